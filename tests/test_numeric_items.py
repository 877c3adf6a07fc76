"""Numeric items (issue 20, item 6): a codebook item with ``cuts`` reads counts, amounts and
scores as the codebook's ordered levels, and a 0/1 index is reported as a share of bodies (a
linear probability model, with the logit's average marginal effect beside it)."""

from __future__ import annotations

import html
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from survey_factory import as_text, build_survey, write_text_csv

from analyse.data.codebook import Codebook, load_codebook
from analyse.data.configured import load_configured
from analyse.data.loading import check_cuts, load_survey
from analyse.data.scoring import score_survey, theme_scores
from analyse.errors import InputError
from analyse.params import load_params
from analyse.paths import default_codebook_path
from analyse.report.i18n import messages
from analyse.report.method_box import method_box, methods
from analyse.stats.binary import is_binary_outcome, logit_ame, weighted_logit_ame
from analyse.stats.claim import analyse_claim, to_results
from analyse.stats.regression import Design, build_design

COUNT_ITEM = "resp_1"  # the barometer item turned into a count in these tests
CUTS = [1, 10, 100]


def _codebook_with_cuts(tmp_path: Path, cuts: object = CUTS, item: str = COUNT_ITEM) -> Path:
    """The barometer codebook with ``item`` declaring ``cuts``, written under ``tmp_path``."""
    raw = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    for theme in raw["themes"]:
        for entry in theme["items"]:
            if entry["column"] == item:
                entry["cuts"] = cuts
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _check(cells: list[str], codebook: Codebook, cuts=CUTS):
    checked = check_cuts(pd.Series(cells, dtype=object), cuts, codebook)
    return checked.values.astype("Float64").tolist(), list(checked.messages)


# --- the codebook -------------------------------------------------------------------------


def test_a_codebook_item_may_declare_cuts(tmp_path):
    book = load_codebook(_codebook_with_cuts(tmp_path))
    assert book.item_cuts == {COUNT_ITEM: (1.0, 10.0, 100.0)}
    assert not book.is_barometer_2025  # a count is not the barometer's statement
    assert load_codebook().item_cuts == {}


@pytest.mark.parametrize(
    ("cuts", "says"),
    [
        ([10, 1, 100], "strictly increasing"),
        ([1, 1, 100], "strictly increasing"),
        (["1", 10, 100], "finite numbers"),
        ([True, 10, 100], "finite numbers"),
        ([1, 10, float("inf")], "finite numbers"),
        ([1, 10, 10**400], "finite numbers"),  # too large for a float: no OverflowError
        (["1e1", "1e2", "1e3"], "write 1000 or 1.0e+3"),  # YAML reads 1e3 as text
        ([], "a list of numbers"),
        ("1, 10, 100", "a list of numbers"),
        ([1, 10], "2 cut(s) make 3 levels but the codebook has 4"),
    ],
)
def test_bad_cuts_are_refused_naming_file_theme_and_item(tmp_path, cuts, says):
    path = _codebook_with_cuts(tmp_path, cuts)
    with pytest.raises(InputError) as exc:
        load_codebook(path)
    [problem] = exc.value.problems
    assert problem.file == str(path)
    assert f"theme 'responsible_digital', item '{COUNT_ITEM}'" in problem.message
    assert says in problem.message


# --- cells of a numeric item ----------------------------------------------------------------


def test_levels_from_cuts_at_the_boundaries(codebook):
    cells = ["-5", "0", "0.999", "1", "9.99", "10", "99", "100", "100.5", "1e15", "", "  "]
    values, messages = _check(cells, codebook)
    assert messages == [""] * len(cells)
    # a value equal to a cut is at or above it: the cut counts
    assert values[:-2] == [0, 0, 0, 1, 1, 2, 2, 3, 3, 3]
    assert pd.isna(values[-2]) and pd.isna(values[-1])  # unanswered


def test_levels_start_at_the_codebook_lowest_level(tmp_path):
    raw = yaml.safe_load(default_codebook_path().read_text(encoding="utf-8"))
    for shift, level in enumerate(raw["levels"]):
        level["value"] = shift + 1  # levels 1 to 4
    path = tmp_path / "one_to_four.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    values, _ = _check(["0", "1", "50", "200"], load_codebook(path))
    assert values == [1, 2, 3, 4]


def test_negative_cuts_and_values(codebook):
    values, messages = _check(["-1000", "-50", "-0.5", "0", "3"], codebook, cuts=[-100, -1, 0])
    assert messages == [""] * 5
    assert values == [0, 1, 2, 3, 3]


def test_numbers_written_as_french_office_tools_write_them(codebook):
    cells = ["12", "1 234", "1\u00a0234", "1\u202f234", "12,5", "0,5", "+7", "2.0"]
    values, messages = _check(cells, codebook)
    assert messages == [""] * len(cells)
    assert values == [2, 3, 3, 3, 2, 0, 1, 1]


def test_an_ambiguous_separator_is_refused_only_when_its_readings_differ(codebook):
    # "12,000": 12 or 12000, level 2 of [1, 10, 1e5] either way; "1,500": 1.5 (1) or 1500 (2)
    cuts = [1, 10, 100_000]
    values, faults = _check(["12,000", "1,500"], codebook, cuts=cuts)
    assert faults[0] == "" and values[0] == 2
    assert faults[1].startswith("is ambiguous") and pd.isna(values[1])
    # a decimal comma elsewhere in the column settles the convention: 1.5, level 1
    values, faults = _check(["1,500", "3,25"], codebook, cuts=cuts)
    assert faults == ["", ""] and values == [1, 1]


def test_a_cell_that_is_not_a_number_is_a_problem(tmp_path, codebook):
    book = load_codebook(_codebook_with_cuts(tmp_path))
    survey = build_survey(codebook, n=12, seed=1)
    text = as_text(survey)
    text[COUNT_ITEM] = ["3", "0", "250", "12", "beaucoup", "", "7", "1 500", "40", "2", "x", "9"]
    path = write_text_csv(text, tmp_path / "counts.csv")
    with pytest.raises(InputError) as exc:
        load_survey(path, book)
    problems = exc.value.problems
    assert [(p.row, p.column, p.value) for p in problems] == [
        (6, COUNT_ITEM, "beaucoup"),
        (12, COUNT_ITEM, "x"),
    ]
    assert {p.file for p in problems} == {str(path)}
    assert all(p.message == "is not a number" for p in problems)
    assert "cuts [1, 10, 100]" in problems[0].expected


def test_a_column_writing_decimals_both_ways_is_refused_once(tmp_path, codebook):
    """``0.99`` and ``1,5`` in one column: no one convention, so ``1.500`` or ``12,000`` has no
    safe reading. One problem names the file, the column and a row of each; a column using
    one convention is read."""
    book = load_codebook(_codebook_with_cuts(tmp_path))
    survey = build_survey(codebook, n=8, seed=3)
    text = as_text(survey)
    text[COUNT_ITEM] = ["3", "0.99", "250", "12", "1,5", "", "1.500", "40"]
    path = write_text_csv(text, tmp_path / "mixed.csv")
    with pytest.raises(InputError) as exc:
        load_survey(path, book)
    [problem] = exc.value.problems
    assert (problem.file, problem.column) == (str(path), COUNT_ITEM)
    assert "('0.99', row 3)" in problem.message and "('1,5', row 6)" in problem.message
    # one convention each: read (12,000 may be a thousands comma: it shows no convention)
    for cells in (["3", "0.99", "2.5", "12"], ["3", "0,99", "1,5", "12"], ["1,5", "12,000"]):
        text = as_text(build_survey(codebook, n=len(cells), seed=3))
        text[COUNT_ITEM] = cells
        load_survey(write_text_csv(text, tmp_path / "one.csv"), book)


def test_answer_labels_give_only_non_answers_to_a_numeric_item(tmp_path, codebook):
    """A label's level in a count column would be read as a count and cut again: only the
    labels mapped to null (non-answers) apply there, in the other items every label does."""
    book = load_codebook(_codebook_with_cuts(tmp_path))
    survey = build_survey(codebook, n=6, seed=2, unanswered_share=0.0)
    text = as_text(survey)
    text[COUNT_ITEM] = ["Je ne sais pas", "5", "120", "0", "Oui", "10"]
    other = "resp_2"
    text.loc[0, other] = "Oui"
    path = write_text_csv(text, tmp_path / "labels.csv")
    labels = {"Oui": 3, "Je ne sais pas": None}
    with pytest.raises(InputError) as exc:
        load_survey(path, book, answer_labels=labels)
    [problem] = exc.value.problems  # "Oui" in the count column only
    assert (problem.row, problem.column, problem.value) == (6, COUNT_ITEM, "Oui")
    text.loc[4, COUNT_ITEM] = "2"
    path = write_text_csv(text, tmp_path / "labels.csv")
    loaded = load_survey(path, book, answer_labels=labels)
    assert loaded[COUNT_ITEM].astype("Float64").tolist()[1:] == [1, 3, 0, 1, 2]
    assert pd.isna(loaded.loc[0, COUNT_ITEM])
    assert loaded.loc[0, other] == 3


# --- scoring --------------------------------------------------------------------------------


def test_a_survey_with_a_count_item_scores_its_levels(tmp_path, codebook):
    book = load_codebook(_codebook_with_cuts(tmp_path))
    survey = build_survey(codebook, n=20, seed=4)
    rng = np.random.default_rng(4)
    counts = rng.integers(0, 400, size=len(survey))
    counts[:4] = [0, 1, 10, 100]  # on the cuts themselves
    text = as_text(survey)
    text[COUNT_ITEM] = [str(c) for c in counts]
    text.loc[5, COUNT_ITEM] = ""  # unanswered
    path = write_text_csv(text, tmp_path / "counts.csv")
    loaded = load_survey(path, book)
    expected_level = np.select([counts >= 100, counts >= 10, counts >= 1], [3, 2, 1], 0)
    level = loaded[COUNT_ITEM].astype("Float64")
    assert level.drop(5).tolist() == expected_level[np.arange(len(survey)) != 5].tolist()
    assert pd.isna(level[5])
    # the theme score is the mean of the answered items' levels on 0-100, the count's included
    theme = book.theme("responsible_digital").columns
    items = loaded[theme].astype("float64")
    by_hand = items.mean(axis=1, skipna=True) / 3 * 100
    scores = theme_scores(loaded, book)["responsible_digital"]
    np.testing.assert_allclose(scores.to_numpy(), by_hand.to_numpy(), rtol=0, atol=1e-12)
    assert scores.between(0, 100).all()
    # the other items are untouched by the cut item
    pd.testing.assert_series_equal(
        loaded["resp_2"].astype("Int64"), survey["resp_2"], check_names=False
    )


# --- a 0/1 index: a linear probability model and the logit's marginal effect ---------------


BINARY_CODEBOOK = {
    "levels": [
        {"value": 0, "label_fr": "Non", "label_en": "No"},
        {"value": 1, "label_fr": "Oui", "label_en": "Yes"},
    ],
    "themes": [
        {
            "key": "open_data",
            "label_fr": "Données ouvertes",
            "label_en": "Open data",
            "items": [{"column": "publishes", "cuts": [1]}],
        }
    ],
}


def _binary_survey(n: int, seed: int, beta: float = 0.6) -> pd.DataFrame:
    """A scored census of one 0/1 item (publishes at least one dataset: ``cuts: [1]`` on a
    count), drawn from a logit in size and budget: its index is 0 or 100."""
    rng = np.random.default_rng(seed)
    population = np.exp(rng.uniform(np.log(500), np.log(500_000), size=n)).round()
    budget = rng.uniform(400, 3000, size=n)
    eta = -7.0 + beta * np.log(population) + 0.0005 * budget
    published = rng.random(n) < 1 / (1 + np.exp(-eta))
    table = pd.DataFrame(
        {
            "respondent_id": [f"R{i}" for i in range(n)],
            "collectivity_type": "commune",
            "population": population,
            "budget_per_capita": budget,
            "publishes": pd.array(published.astype(int), dtype="Int8"),
        }
    )
    return score_survey(table, Codebook.model_validate(BINARY_CODEBOOK))


def test_a_binary_outcome_is_recognised():
    assert is_binary_outcome(pd.Series([0.0, 100.0, 100.0, np.nan]))
    assert not is_binary_outcome(pd.Series([0.0, 100.0, 50.0]))
    assert not is_binary_outcome(pd.Series([100.0, 100.0]))  # one value: no contrast


def test_logit_ame_matches_its_closed_form():
    """AME = mean over respondents of beta_size * p_i (1 - p_i), from the logit's own fit."""
    data = _binary_survey(400, seed=5)
    design = build_design(data)
    found = logit_ame(design)
    fit = sm.Logit(design.y / 100, design.X).fit(disp=0)
    p = fit.predict(design.X)
    closed = float(np.mean(fit.params["size"] * p * (1 - p))) * 100
    assert found.not_estimable is None
    assert found.coef == pytest.approx(closed, rel=1e-10)
    assert 0 < found.se < abs(found.coef)


def test_logit_ame_recovers_a_known_truth_by_simulation():
    """Over simulated surveys drawn from a logit with a known size slope, the AME estimates
    centre on the true AME (that of the population drawn, with the true coefficients), and
    their spread is what the delta-method SE says."""
    beta = 0.6
    estimates, ses, truths = [], [], []
    for seed in range(60):
        data = _binary_survey(600, seed=100 + seed, beta=beta)
        size = np.log(data["population"].to_numpy())
        eta = -7.0 + beta * size + 0.0005 * data["budget_per_capita"].to_numpy()
        p = 1 / (1 + np.exp(-eta))
        truths.append(float(np.mean(beta * p * (1 - p))) * 100)
        found = logit_ame(build_design(data))
        estimates.append(found.coef)
        ses.append(found.se)
    estimates, truths = np.asarray(estimates), np.asarray(truths)
    error = estimates - truths
    # the mean error within 3 standard errors of the mean of 60 draws
    assert abs(error.mean()) < 3 * error.std(ddof=1) / math.sqrt(len(error))
    # the delta-method SE matches the spread of the estimates within 25 %
    assert np.mean(ses) == pytest.approx(error.std(ddof=1), rel=0.25)


def test_separation_makes_the_ame_not_estimable():
    data = _binary_survey(60, seed=6)
    data["maturity_index"] = np.where(data["population"] > data["population"].median(), 100.0, 0)
    found = logit_ame(build_design(data))
    assert found.coef is None and found.se is None and found.not_estimable


def test_a_binary_index_gives_the_lpm_and_the_logit_ame_in_results_and_method_box(codebook):
    """One 0/1 item: the index is 0 or 100, the linear model a linear probability model."""
    data = _binary_survey(300, seed=7)
    book = Codebook.model_validate(BINARY_CODEBOOK)
    analysis = analyse_claim(data, book, bootstrap=0, simulations=50)
    results = json.loads(json.dumps(to_results(analysis)))  # strict JSON, as published
    ame = results["size"]["logit_ame"]
    design = build_design(data)
    assert ame["coef"] == pytest.approx(logit_ame(design).coef, rel=1e-12)
    assert set(ame) == {"coef", "se", "weighted", "not_estimable"} and ame["weighted"] is False
    # the LPM: the linear model's size coefficient on the 0/100 index is a share difference
    lpm = sm.OLS(design.y, design.X).fit().params["size"]
    assert results["size"]["coef"] == pytest.approx(lpm, rel=1e-10)
    assert "binary" in methods(results, 3) and "binary" not in methods(results, 5)
    for lang, words in (("fr", "modèle linéaire de probabilité"), ("en", "linear probability")):
        m = messages(lang)
        box = html.unescape(method_box(results, m, 3))
        assert words in box
        tenfold = m.number(ame["coef"] * math.log(10), 1, sign=True)
        assert tenfold in box
    # a survey whose index is not 0/100 has no such line and a null key
    scored = score_survey(build_survey(codebook, n=40, seed=8), codebook)
    other = to_results(analyse_claim(scored, codebook, bootstrap=0, simulations=20))
    assert other["size"]["logit_ame"] is None and "binary" not in methods(other, 3)


R_LOGIT = Path(__file__).parent / "fixtures" / "r_logit_ame"


def test_the_weighted_logit_ame_matches_r_svyglm():
    """svyglm(family = quasibinomial) on svydesign(ids = ~1, weights = ~w), the weighted mean
    of b p(1-p) and its delta-method SE with vcov(svyglm): tests/fixtures/r_logit_ame."""
    sample = pd.read_csv(R_LOGIT / "sample.csv")
    reference = json.loads((R_LOGIT / "logit_ame.json").read_text(encoding="utf-8"))
    x = sample[["size", "budget"]].astype("float64")
    x.insert(0, "Intercept", 1.0)
    design = Design(y=sample["y"].astype("float64") * 100.0, X=x, groups={})
    found = logit_ame(design, weights=sample["w"])
    assert found.weighted and found.not_estimable is None
    # index points: R's 0/1 scale times 100; the same estimating equations and covariance
    assert found.coef == pytest.approx(reference["weighted"]["coef"] * 100, abs=1e-6)
    assert found.se == pytest.approx(reference["weighted"]["se"] * 100, rel=1e-6)
    plain = logit_ame(design)
    assert plain.coef == pytest.approx(reference["unweighted"]["coef"] * 100, abs=1e-6)
    assert plain.se == pytest.approx(reference["unweighted"]["se"] * 100, rel=1e-6)
    # the weights matter here (a flat, heavily weighted half): the two AMEs differ
    assert abs(found.coef - plain.coef) > 3 * found.se / 2


def test_equal_weights_give_the_unweighted_ame_with_a_sandwich_se():
    """With every weight 1 the weighted logit is the ML logit (same point); its SE is the
    sandwich, close to the model-based one when the logit is well specified."""
    data = _binary_survey(800, seed=11)
    design = build_design(data)
    plain = logit_ame(design)
    equal = weighted_logit_ame(design, pd.Series(1.0, index=data.index))
    assert equal.coef == pytest.approx(plain.coef, rel=1e-8)
    assert equal.se == pytest.approx(plain.se, rel=0.15)


def test_a_weighted_binary_run_sets_the_weighted_lpm_beside_a_weighted_logit():
    """In a weighted run both models take the weights, and the method box says so: the gap
    between them is then about the S-shape, not about the weights."""
    data = _binary_survey(400, seed=12)
    rng = np.random.default_rng(12)
    weights = pd.Series(np.where(rng.random(len(data)) < 0.5, 10.0, 1.0), index=data.index)
    weights /= weights.mean()
    book = Codebook.model_validate(BINARY_CODEBOOK)
    analysis = analyse_claim(data, book, bootstrap=0, simulations=20, weights=weights)
    results = json.loads(json.dumps(to_results(analysis)))
    ame = results["size"]["logit_ame"]
    expected = weighted_logit_ame(build_design(data), weights)
    assert ame["weighted"] is True
    assert ame["coef"] == pytest.approx(expected.coef, rel=1e-12)
    assert ame["se"] == pytest.approx(expected.se, rel=1e-12)
    assert ame["coef"] != pytest.approx(logit_ame(build_design(data)).coef, rel=1e-3)
    both = (("fr", "Les deux modèles sont pondérés"), ("en", "Both models are weighted"))
    for lang, words in both:
        box = html.unescape(method_box(results, messages(lang), 3))
        assert words in box
    # results written when the logit was unweighted beside a weighted linear model
    older = {**results, "size": {**results["size"], "logit_ame": {**ame, "weighted": False}}}
    box = html.unescape(method_box(older, messages("en"), 3))
    assert "the logit model is not: a gap between the two may come from the weights" in box
    unweighted = to_results(analyse_claim(data, book, bootstrap=0, simulations=20))
    box = html.unescape(method_box(unweighted, messages("fr"), 3))
    assert "Aucun des deux modèles n'utilise de pondération" in box


def test_the_method_box_says_when_the_logit_could_not_be_estimated():
    results = {"size": {"coef": 3.0, "logit_ame": {"coef": None, "se": None}}, "n": 50}
    box = html.unescape(method_box(results, messages("fr"), 3))
    assert "n'a pas pu être estimé" in box and "modèle linéaire de probabilité" in box


# --- end to end -----------------------------------------------------------------------------


def _run_validate(monkeypatch, params: Path) -> int:
    from analyse import cli

    monkeypatch.setattr(sys, "argv", ["analyse", "validate", "--params", str(params)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


def test_validate_params_reads_a_count_column_as_an_item(tmp_path, codebook, monkeypatch, capsys):
    survey = build_survey(codebook, n=30, seed=9)
    text = as_text(survey)
    rng = np.random.default_rng(9)
    text["Nombre de jeux publiés"] = [f"{c:,}".replace(",", " ") for c in rng.integers(0, 3000, 30)]
    text.loc[3, "Nombre de jeux publiés"] = "NA"
    text = text.drop(columns=COUNT_ITEM)
    path = write_text_csv(text, tmp_path / "census.csv")
    params = tmp_path / "params.yaml"
    document = {
        "name": "counts",
        "data": {
            "survey": str(path),
            "codebook": str(_codebook_with_cuts(tmp_path)),
            "columns": {COUNT_ITEM: "Nombre de jeux publiés"},
            "missing_values": ["NA"],
        },
        "analysis": {"bootstrap": 0},
    }
    params.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert _run_validate(monkeypatch, params) == 0
    out, err = capsys.readouterr()
    assert "Rows: 30" in out and "Traceback" not in err
    loaded = load_configured(load_params(params)).survey
    counts = pd.to_numeric(text["Nombre de jeux publiés"].str.replace(" ", ""), errors="coerce")
    expected = np.select([counts >= 100, counts >= 10, counts >= 1], [3, 2, 1], 0)
    got = loaded[COUNT_ITEM].astype("Float64")
    assert pd.isna(got[3])
    assert got.drop(3).tolist() == np.delete(expected, 3).tolist()
    # a bad count stops validation with exit 2, naming the row and value, no traceback
    text.loc[7, "Nombre de jeux publiés"] = "plusieurs"
    write_text_csv(text, path)
    assert _run_validate(monkeypatch, params) == 2
    _, err = capsys.readouterr()
    assert "plusieurs" in err and "is not a number" in err and "Traceback" not in err
