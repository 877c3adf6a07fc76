"""Screenshots of the published report for the README: the French site index and the reader
page of notebook 3, as a reader's browser shows them (headless Chromium through Playwright).

Run after ``analyse run params/default.yaml params/census.yaml`` (the README's first line):
``.venv/bin/python docs/make_screenshots.py [--reports reports]``. It writes
``docs/index.fr.png`` and ``docs/notebook3.fr.png``: the first screen of each page at a
laptop's width (key findings first), small enough to keep in the repository.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parent
WIDTH, HEIGHT = 1200, 1500  # CSS pixels: a laptop's width, about two screens of height


def shoot(page_path: Path, target: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(page_path.resolve().as_uri())
        page.screenshot(path=str(target), full_page=False)
        browser.close()
    print(f"wrote {target.relative_to(DOCS.parent)} from {page_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=DOCS.parent / "reports")
    parser.add_argument("--run", default="default")
    args = parser.parse_args()
    shoot(args.reports / "index.html", DOCS / "index.fr.png")
    shoot(args.reports / args.run / "03_is_size_decisive.reader.html", DOCS / "notebook3.fr.png")


if __name__ == "__main__":
    main()
