"""The reader pages to the standard of a national statistics note (issue 19's acceptance), on
the French run ``ci`` (the 2025-like panel) of the session's published site:

- a chapeau on the run index and on every reader page, holding the total effect's verdict,
  the held-equal effect's verdict and the scope;
- « Lecture », « Champ » and « Source » under every figure of a reader page;
- none of the methods' names outside the box « Sources et méthodes », and no other unit for a
  tenfold population (« 2,7 fois », « multipliez »).
"""

from __future__ import annotations

import json
import re

import pytest
from test_no_english import VisibleText

from analyse.report.i18n import messages

pytestmark = pytest.mark.slow

JARGON = (
    "rapport de cotes", "Holm", "R²", "bootstrap", "Brant", "LMG", "Cronbach", "HC3", "Wald",
    "BF01", "logit", "z moyen", "ln population", "JZS", "Shapley", "Stouffer", "Kish",
)  # fmt: skip
OTHER_UNITS = ("2,7 fois", "multipliez")
METHOD_BOX = re.compile(r"<section[^>]*class=\"method\"[^>]*>.*?</section>", re.S)


def _visible(page: str) -> str:
    return " ".join(VisibleText(page).lines).replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture(scope="module")
def ci(published_site):
    run = published_site.root / "ci"
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    pages = {p.name: p.read_text(encoding="utf-8") for p in [run / "index.html"]}
    pages |= {p.name: p.read_text(encoding="utf-8") for p in sorted(run.glob("*.reader.html"))}
    return results, pages


def test_every_reader_page_opens_on_a_chapeau_with_both_answers_and_the_scope(ci):
    results, pages = ci
    m = messages("fr")
    total = m(f"verdicts.{results['estimands']['total']['verdict']}.label")
    direct = m(f"verdicts.{results['estimands']['direct']['verdict']}.label")
    assert len(pages) == 6
    for name, page in pages.items():
        chapeau = re.search(r'<p class="chapeau">(.*?)</p>', page, re.S)
        assert chapeau, name
        text = _visible(chapeau.group(0))
        assert total in text and direct in text and "intercommunalités" in text, name
        toc = page.find('class="toc"')
        assert toc == -1 or page.index('class="chapeau"') < toc, name  # title, chapeau, contents


def test_every_reader_figure_has_its_lecture_champ_and_source(ci):
    _, pages = ci
    for name, page in pages.items():
        if not name.endswith(".reader.html"):
            continue
        figures = len(re.findall(r"<img\b", page))
        text = _visible(page)
        for word in ("Lecture :", "Champ :", "Source :"):
            assert text.count(word) >= figures, (name, word, figures)


def test_no_method_name_nor_other_unit_outside_the_method_box(ci):
    _, pages = ci
    for name, page in pages.items():
        outside = _visible(METHOD_BOX.sub("", page))
        for word in JARGON + OTHER_UNITS:
            assert word not in outside, (name, word)
        if name.endswith(".reader.html"):
            assert METHOD_BOX.search(page), name
