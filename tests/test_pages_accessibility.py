"""Accessibility (RGAA, a legal duty of French public bodies) of every published page, in a real
browser: axe-core (axe-playwright-python) in the system's headless Chromium on the site index,
the run index and each reader and full page of a small run (params/ci.yaml, built once for the
module). Zero ``serious`` or ``critical`` violation, no empty table header, and the layout
promises: lines of 90 characters or less, nothing wider than a phone's screen.

Skipped, with the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKING = {"serious", "critical"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Chromium is not installed (Debian: apt-get install chromium); the pages are "
        "checked in a real browser only where it is present",
    ),
]


@pytest.fixture(scope="module")
def site(published_site) -> Path:
    """The shared site (conftest): run ``ci`` is ``params/ci.yaml`` in French."""
    return published_site.root


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


def pages_of(site: Path) -> list[Path]:
    return [site / "index.html", *sorted((site / "ci").glob("*.html"))]


def test_every_page_of_the_run_is_checked(site):
    names = {p.name for p in pages_of(site)}
    assert "index.html" in names and len(names) >= 11  # run index + 5 reader + 5 full


def test_no_serious_or_critical_axe_violation_on_any_page(site, browser):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    found: dict[str, list[str]] = {}
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for path in pages_of(site):
        page.goto(path.as_uri())
        violations = axe.run(page).response["violations"]
        blocking = [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}"
            for v in violations
            if v.get("impact") in BLOCKING
        ]
        if blocking:
            found[str(path.relative_to(site))] = blocking
    page.close()
    assert not found, found


EMPTY_HEADERS = """() => Array.from(document.querySelectorAll('th'))
  .filter(th => !th.textContent.trim() && !th.getAttribute('aria-label')).length"""

# The widest text line of the page, in characters: each paragraph or list item's width over
# the width of one average character of its own font (a sample of French text).
WIDEST_LINE = """() => {
  const sample = 'Une collectivité dix fois plus peuplée a en moyenne un indice supérieur.';
  let widest = 0;
  for (const el of document.querySelectorAll('main p, main li, main dd')) {
    if (!el.offsetParent) continue;
    const probe = document.createElement('span');
    probe.textContent = sample;
    probe.style.whiteSpace = 'nowrap';
    el.appendChild(probe);
    const perChar = probe.getBoundingClientRect().width / sample.length;
    probe.remove();
    widest = Math.max(widest, el.getBoundingClientRect().width / perChar);
  }
  return widest;
}"""

OVERFLOW = """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""


def test_no_empty_table_header_on_any_page(site, browser):
    page = browser.new_page()
    empty = {}
    for path in pages_of(site):
        page.goto(path.as_uri())
        count = page.evaluate(EMPTY_HEADERS)
        if count:
            empty[path.name] = count
    page.close()
    assert not empty, empty


def test_text_lines_stay_under_90_characters_on_a_wide_screen(site, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1000})
    widest = {}
    for path in pages_of(site):
        page.goto(path.as_uri())
        widest[path.name] = page.evaluate(WIDEST_LINE)
    page.close()
    assert max(widest.values()) <= 90, widest


def test_nothing_is_wider_than_a_phone_screen(site, browser):
    """Wide tables scroll in their own box and figures shrink: the page never scrolls sideways."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    overflowing = {}
    for path in pages_of(site):
        page.goto(path.as_uri())
        excess = page.evaluate(OVERFLOW)
        if excess > 1:
            overflowing[path.name] = excess
    page.close()
    assert not overflowing, overflowing
