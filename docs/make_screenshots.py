"""Screenshots of the published report for the README: the French site index, the default
run's index and the reader page of chapter 3, as a reader's browser shows them (headless
Chromium through Playwright), at a laptop's width (1280 px) and a phone's (390 px).

Run after ``analyse run params/default.yaml params/census.yaml`` (the README's first line):
``.venv/bin/python docs/make_screenshots.py [--reports reports]``. It writes
``docs/<page>.fr.<width>.png``: the first screens of each page (title and chapeau first), small
enough to keep in the repository.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# CSS pixels: a laptop (about two screens of height) and a phone (about two screens)
SIZES = {1280: 1400, 390: 1600}


def shoot(page_path: Path, target: Path, width: int, height: int) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(page_path.resolve().as_uri())
        page.screenshot(path=str(target), full_page=False)
        browser.close()
    print(f"wrote {target.relative_to(DOCS.parent)} from {page_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=DOCS.parent / "reports")
    parser.add_argument("--run", default="default")
    args = parser.parse_args()
    pages = {
        "index": args.reports / "index.html",
        "run": args.reports / args.run / "index.html",
        "chapter3": args.reports / args.run / "03_is_size_decisive.reader.html",
    }
    for name, path in pages.items():
        for width, height in SIZES.items():
            shoot(path, DOCS / f"{name}.fr.{width}.png", width, height)


if __name__ == "__main__":
    main()
