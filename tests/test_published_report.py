"""End to end: `analyse run params/ci.yaml` on the real notebooks publishes a complete, coherent,
browsable report. One run per test session (module fixture); kernels make it slow."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analyse.report.i18n import messages

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
CONTRACT_KEYS = {
    "n",
    "n_excluded",
    "sesoi",
    "alpha",
    "verdict",
    "size",
    "ols",
    "importance",
    "sensitivity",
    "themes",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(published_site) -> Path:
    """The shared site (conftest), read-only: run ``ci`` is ``params/ci.yaml``."""
    return published_site.root


def test_every_promised_file_is_published(report):
    run = report / "ci"
    assert (report / "index.html").is_file()
    for name in ("index.html", "results.json", "manifest.json"):
        assert (run / name).is_file(), name
    for stem in NOTEBOOKS:
        for suffix in (".html", ".reader.html", ".ipynb"):
            assert (run / f"{stem}{suffix}").is_file(), stem + suffix
    pngs = list((run / "figures").glob("*.png"))
    assert len(pngs) >= 10
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    # the run's stored result (respondent-level rows) stays in staging, never published
    assert not [p for p in report.rglob("*") if "run_result" in p.name]
    assert not [p for p in report.iterdir() if p.name.startswith(".")]


def test_results_follow_the_contract(report):
    results = json.loads((report / "ci" / "results.json").read_text(encoding="utf-8"))
    assert set(results) >= CONTRACT_KEYS
    assert set(results["ols"]["terms"]) == {
        "Intercept",
        "size",
        "budget",
        "staff",
        "elected_digital_lead",
        "strategy_adopted",
    }
    assert set(results["size"]) >= {"coef", "se_hc3", "p", "std_coef", "std_se", "tost_p"}
    assert set(results["importance"]) == {"size", "budget", "staff", "sponsorship"}
    assert set(results["sensitivity"]) >= {"mde_std", "tost_power"}
    for theme in results["themes"].values():
        assert set(theme) >= {"coef", "se", "p_holm"}
    assert results["run"]["synthetic"] is True


def test_the_html_states_the_verdict_of_results_json(report):
    verdict = json.loads((report / "ci" / "results.json").read_text(encoding="utf-8"))["verdict"]
    page = (report / "ci" / "03_is_size_decisive.reader.html").read_text(encoding="utf-8")
    label = messages("fr")(f"verdicts.{verdict}.label")  # French by default
    stated = set(re.findall(r"Verdict\s:\s([^.]+)\.", html.unescape(page)))
    assert stated == {label.replace("\u00a0", " ")} or stated == {label}
    # the indexes name it in words, in the run's language
    for index in (report / "ci" / "index.html", report / "index.html"):
        assert label in html.unescape(index.read_text(encoding="utf-8")), index


def test_reader_version_hides_code_and_full_version_shows_it(report):
    reader = (report / "ci" / "03_is_size_decisive.reader.html").read_text(encoding="utf-8")
    full = (report / "ci" / "03_is_size_decisive.html").read_text(encoding="utf-8")
    code = '<span class="n">run_result</span>'  # a highlighted code cell
    assert code in full
    assert code not in reader


def test_no_respondent_level_row_is_published(report):
    for path in (report / "ci").rglob("*"):
        if path.suffix in {".html", ".json"}:
            assert not re.search(r"SYN-\d{4}", path.read_text(encoding="utf-8")), path


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


HARNESS = """<!doctype html><html lang="en"><head><title>pending</title></head><body>
<iframe id="f" src="{src}" style="width:1200px;height:900px"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {{
  var doc = this.contentDocument, imgs = Array.from(doc.images);
  var broken = imgs.filter(function (i) {{ return !(i.complete && i.naturalWidth > 0); }});
  var out = document.createElement('pre'); out.id = 'result';
  out.textContent = 'IMAGES=' + imgs.length + ' BROKEN=' + broken.length
    + ' NOALT=' + imgs.filter(function (i) {{ return !i.getAttribute('alt'); }}).length;
  document.body.appendChild(out);
}});
</script></body></html>"""


@pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium is not installed (Debian: apt-get "
    "install chromium); the published pages are checked in a real browser only "
    "where it is present",
)
@pytest.mark.parametrize(
    "page", ["index.html", "03_is_size_decisive.reader.html", "02_descriptives.html"]
)
def test_published_pages_open_in_chromium_with_their_figures(report, copy_of_run, tmp_path, page):
    harness = copy_of_run(report / "ci") / f"_harness_{page}.html"  # the shared run stays as is
    harness.write_text(HARNESS.format(src=page), encoding="utf-8")
    try:
        proc = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--allow-file-access-from-files",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=10000",
                "--dump-dom",
                harness.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        harness.unlink()
    match = re.search(r"IMAGES=(\d+) BROKEN=(\d+) NOALT=(\d+)", proc.stdout)
    assert match, proc.stdout[-2000:] + proc.stderr[-2000:]
    images, broken, noalt = map(int, match.groups())
    assert images >= 1 and broken == 0 and noalt == 0, match.group(0)
    assert "Uncaught" not in proc.stderr, proc.stderr[-2000:]
