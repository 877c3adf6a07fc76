"""The published index pages come from Jinja templates shipped in the package: user-controlled
strings are escaped by construction, the templates load from the package that is installed,
and editing a template changes the code digest (so reports are rebuilt).

No kernel is started here: the pages are rendered from hand-made manifests and folders.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import analyse
from analyse.pipeline import index_pages, publish, site_layout
from analyse.pipeline.manifest import code_digest
from analyse.report.i18n import messages

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = Path(analyse.__file__).resolve().parent
EVIL = "<script>alert(\"x\")</script> & 'q'"
EVIL_NAME = EVIL.replace("/", "_")  # a file or folder name cannot hold "/"


class Parsed(HTMLParser):
    """What a browser would see: elements with their attributes, and the text of each element."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"img", "meta"}:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.text.setdefault(tag, []).append(data)

    def attrs(self, tag: str, name: str) -> list[str | None]:
        return [attrs.get(name) for t, attrs in self.tags if t == tag]

    def joined(self, tag: str) -> str:
        return "".join(self.text.get(tag, []))


def manifest(name: str = EVIL, survey: str = f"data/{EVIL}.csv") -> dict:
    return {
        "name": name,
        "synthetic": True,
        "params": {"data": {"survey": survey}},
        "notebooks": [{"file": f"01_{EVIL_NAME}.ipynb", "duration_seconds": 1.25}],
        "git": {"commit": "abc123", "dirty": False},
        "inputs": {"params": {"path": f"params/{EVIL}.yaml"}, "survey": {"path": survey}},
        "started_at": "2025-01-01T00:00:00+00:00",
        "ended_at": "2025-01-01T00:01:00+00:00",
        "versions": {"analyse": analyse.__version__},
        "inputs_digest": "0" * 64,
    }


# ------------------------------------------------------------------------------ escaping


def test_run_index_escapes_every_user_string_and_keeps_its_text():
    figure = publish.Figure(f"figures/{EVIL}-1.png", EVIL, 1, EVIL)
    page = index_pages.run_index_html(
        manifest(),
        {"verdict": EVIL, "verdict_sentence": EVIL},
        [figure],
        [f"{EVIL}.txt", f"tables/{EVIL_NAME}.csv"],
    )
    parsed = Parsed(page)
    m = messages("fr")
    assert "script" not in {tag for tag, _ in parsed.tags}
    assert "<script>" not in page and '"x"' not in page
    # Escaped, not mangled: the browser shows the strings exactly as they were given.
    assert parsed.joined("title") == m("pages.run_title", run=EVIL)
    assert parsed.joined("h1") == m("pages.run_heading", run=EVIL)
    assert m("pages.caveat_synthetic", survey=f"data/{EVIL}.csv") in parsed.joined("li")
    assert parsed.attrs("img", "alt") == [figure.alt_in(m)]
    assert EVIL in figure.alt_in(m)
    assert parsed.attrs("img", "src") == [figure.path]
    hrefs = parsed.attrs("a", "href")
    for href in (
        f"{EVIL}.txt",
        f"01_{EVIL_NAME}.ipynb",
        f"01_{EVIL_NAME}.reader.html",
        f"tables/{EVIL_NAME}.csv",
    ):
        assert href in hrefs
    assert f"params/{EVIL}.yaml" in parsed.joined("dd")


def test_site_index_escapes_folder_names_dates_and_verdicts(tmp_path):
    run = tmp_path / EVIL_NAME
    run.mkdir()
    (run / site_layout.MANIFEST_FILE).write_text(
        json.dumps({"synthetic": True, "ended_at": EVIL}), encoding="utf-8"
    )
    (run / site_layout.RESULTS_FILE).write_text(json.dumps({"verdict": EVIL}), encoding="utf-8")
    (tmp_path / site_layout.FAILED_DIR / EVIL_NAME).mkdir(parents=True)
    page = index_pages.site_index_html(tmp_path)
    parsed = Parsed(page)
    assert "script" not in {tag for tag, _ in parsed.tags}
    assert "<script>" not in page
    # the run's cell (a row header) holds its name, then its kind of data and its date
    assert parsed.joined("th").endswith(f"{EVIL_NAME}données synthétiques, {EVIL}")
    assert EVIL in parsed.joined("td") and EVIL_NAME in parsed.joined("a")
    hrefs = parsed.attrs("a", "href")
    assert f"{EVIL_NAME}/index.html" in hrefs
    assert f"{site_layout.FAILED_DIR}/{EVIL_NAME}/" in hrefs


def test_pages_keep_their_accessible_structure(tmp_path):
    """Language, title, one main landmark, headings and table headers, as before templates."""
    for page in (
        index_pages.run_index_html(manifest("demo", "data/s.csv"), None, []),
        index_pages.site_index_html(tmp_path),
    ):
        parsed = Parsed(page)
        assert page.startswith("<!DOCTYPE html>\n")
        assert parsed.attrs("html", "lang") == ["fr"]
        assert parsed.joined("title") and parsed.joined("h1")
        assert [tag for tag, _ in parsed.tags].count("main") == 1
    m = messages("fr")
    run_page = Parsed(index_pages.run_index_html(manifest("demo", "data/s.csv"), None, []))
    assert m("pages.no_findings") in run_page.joined("p")
    assert m("pages.no_figures") in run_page.joined("p")
    assert m("pages.no_runs") in Parsed(index_pages.site_index_html(tmp_path)).joined("p")


# --------------------------------------------------------------- where templates come from


def test_templates_load_from_the_package_folder():
    assert site_layout.TEMPLATES_DIR == PACKAGE_DIR / "pipeline" / "templates"
    environment = site_layout._pages()
    for name in (
        "base.html.j2",
        "run_index.html.j2",
        "site_index.html.j2",
        "notebook.html.j2",
        "print.html.j2",
    ):
        assert Path(environment.get_template(name).filename) == site_layout.TEMPLATES_DIR / name


def test_nbconvert_finds_our_extension_and_still_its_own_base_template():
    """Our page shell is also named base.html.j2; nbconvert's lab template must not see it."""
    environment = publish._exporter(True).environment
    loader = environment.loader
    assert loader is not None
    ours = Path(loader.get_source(environment, "analyse-cells.html.j2")[1])
    assert ours == site_layout.NBCONVERT_TEMPLATES_DIR / "analyse-cells.html.j2"
    base = Path(loader.get_source(environment, "base.html.j2")[1])
    assert base.parent.name == "lab" and site_layout.TEMPLATES_DIR not in base.parents


def test_package_data_ships_every_template():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["analyse"]
    shipped = {path for pattern in patterns for path in PACKAGE_DIR.glob(pattern)}
    templates = set(site_layout.TEMPLATES_DIR.rglob("*.j2"))
    assert len(templates) >= 4 and templates <= shipped


@pytest.mark.slow
def test_a_built_package_renders_pages_from_its_own_templates(tmp_path):
    """Build the package as an installer would (setuptools build_py) and render from the build,
    away from the source tree: a template missing from package-data fails here."""
    pytest.importorskip("setuptools")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(
        PACKAGE_DIR, project / "src" / "analyse", ignore=shutil.ignore_patterns("__pycache__")
    )
    build = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py"]
        + ["--build-lib", str(build)],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=300,
    )
    check = (
        "import sys, pathlib, analyse\n"
        "from analyse.pipeline import index_pages, publish\n"
        "assert pathlib.Path(analyse.__file__).is_relative_to(sys.argv[1]), analyse.__file__\n"
        "env = publish._exporter(True).environment\n"
        "assert env.loader.get_source(env, 'analyse-cells.html.j2')[1].startswith(sys.argv[1])\n"
        "print(index_pages.site_index_html(pathlib.Path(sys.argv[2])))\n"
    )
    empty = tmp_path / "reports"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(build)}
    proc = subprocess.run(
        [sys.executable, "-c", check, str(build), str(empty)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert messages("fr")("pages.no_runs") in html.unescape(proc.stdout)


# ---------------------------------------------------------------------------- code digest


@pytest.fixture
def package_copy(tmp_path) -> Path:
    copy = tmp_path / "analyse"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_code_digest_of_a_copy_is_the_digest_of_the_package(package_copy):
    assert code_digest(package_copy) == code_digest()


@pytest.mark.parametrize(
    "source",
    [
        "pipeline/templates/run_index.html.j2",
        "pipeline/templates/nbconvert/analyse-cells.html.j2",
        "report/messages/fr/nb3.yaml",  # a reworded sentence changes the report too
    ],
)
def test_editing_a_template_changes_the_code_digest(package_copy, source):
    before = code_digest(package_copy)
    path = package_copy / source
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert code_digest(package_copy) != before


def test_editing_a_module_changes_the_code_digest_and_bytecode_does_not(package_copy):
    before = code_digest(package_copy)
    (package_copy / "__pycache__").mkdir()
    (package_copy / "__pycache__" / "publish.cpython-311.pyc").write_bytes(b"\0")
    assert code_digest(package_copy) == before
    (package_copy / "publish.py").write_text("# changed\n", encoding="utf-8")
    assert code_digest(package_copy) != before


def test_results_json_is_strict_json_with_null_for_what_could_not_be_computed():
    text = publish.dump_json({"se": float("nan"), "ci": [1.0, float("inf")], "n": 3})
    assert json.loads(text) == {"se": None, "ci": [1.0, None], "n": 3}
    assert "NaN" not in text and "Infinity" not in text
