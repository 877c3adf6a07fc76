"""No English on a French page: every French reader page and the run's index, as a reader
sees them (text, and the text alternatives of figures), hold no English phrase and no internal
name (``digital_staff_fte``, ``enrich_from_frame``, ``01_data_quality``).

The reasons the data and statistics layers give (a respondent left out, a term dropped, a
theme's check not computable, bands merged for the weights) are codes worded by the catalogues
(``analyse.report.reasons``); a reason built in English and shown as it is would be caught here.
The markers are words that cannot be French; file names (``tables/x.csv``) are the downloads'
business and are not scanned. Run on ``ci`` (the 2025-like panel: themes left blank, a cut not
identified) and on the example export (a type left out by the mapping, a missing column).

``python tests/test_no_english.py DIR...`` prints what it finds in published runs.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# words and phrases that are English and not French (word-bounded, case-insensitive)
ENGLISH = re.compile(
    r"\b(?:the|of|not|no|and|with|which|because|only|less than|fewer than|column|respondents?"
    r"|left out|merged|answer|theme\(s\)|type-label|mapping|separation|identified|binary"
    r"|band|bands|frame|hold|holds|unknown|empty|requested|model|level|value|held|below"
    r"|weights?|nothing|every|error|size|nested|ols|cut|found|computable|estimable)\b",
    re.IGNORECASE,
)
# an internal name: lower-case words joined by "_" (a file name with its extension is a
# download's name, the business of the download links, not of this test)
IDENTIFIER = re.compile(r"(?<![\w/.-])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w.-]*\.[a-z]{2,5}\b)")
SKIPPED_TAGS = {"script", "style"}
ALT_ATTRIBUTES = {"alt", "title", "aria-label"}


class VisibleText(HTMLParser):
    """A page's text as a reader sees or hears it: no script or style, with text alternatives."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        self.parts.extend(value for name, value in attrs if name in ALT_ATTRIBUTES and value)
        self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in "".join(self.parts).splitlines() if line.strip()]


def french_pages(run: Path) -> list[Path]:
    """The pages a French reader is sent to: the reader pages and the run's index."""
    return [run / "index.html", *sorted(run.glob("*.reader.html"))]


def english_found(page: Path) -> list[str]:
    """Each line of ``page`` holding an English marker or an internal name, with what matched."""
    found = []
    for line in VisibleText(page.read_text(encoding="utf-8")).lines:
        hits = [m[0] for m in ENGLISH.finditer(line)] + IDENTIFIER.findall(line)
        if hits:
            found.append(f"{page.parent.name}/{page.name}: {hits} in {line[:200]!r}")
    return found


def test_the_scanner_sees_what_it_must(tmp_path):
    page = tmp_path / "x.reader.html"
    page.write_text(
        "<p>Raison : no answer in theme(s): user_services</p><script>the of</script>"
        '<img alt="Figure 1 du carnet 01_data_quality"><p>Télécharger tables/size_effects.csv</p>'
        "<p>Le modèle, la taille, les répondants et les thèmes sans réponse.</p>",
        encoding="utf-8",
    )
    found = english_found(page)
    assert len(found) == 2, found
    assert "user_services" in found[0] and "answer" in found[0]
    assert "01_data_quality" in found[1]


def test_no_english_on_the_french_pages(published_site, published_example_export):
    runs = [published_site.root / "ci", published_example_export / "example-export"]
    pages = [page for run in runs for page in french_pages(run)]
    assert len(pages) == 12, pages
    found = [line for page in pages for line in english_found(page)]
    assert not found, "\n".join(found)


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        for page in french_pages(Path(folder)):
            print("\n".join(english_found(page)))
