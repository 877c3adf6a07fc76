"""Extra controls (issue 20, item 7): any column of the export, declared in
``data.extra_columns`` and named in ``analysis.controls``, is held equal in the direct effect.

Checked against a known truth: simulated surveys where a party label (three categories) or a
numeric covariate drives both size and maturity, so that the size coefficient without the
control is biased by a known amount and with it recovers the true one.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from run_command import analyse_run

from analyse import cli
from analyse.data.contract import COLUMN_NAMES
from analyse.data.loading import load_survey
from analyse.errors import InputError
from analyse.params import CONTRACT_COLUMNS, params_from_mapping
from analyse.paths import project_root
from analyse.report import i18n
from analyse.report.readable import term_name
from analyse.stats.claim import analyse_claim
from analyse.stats.estimands import total_design
from analyse.stats.regression import (
    build_design,
    category_dummies,
    check_identifiable,
    fit_ols,
)
from analyse.stats.robustness import specification_curve

TRUE_SIZE = 2.0  # index points per unit of ln population, in every simulation below
PARTY_EFFECT = {"A": 0.0, "B": 8.0, "C": -6.0}
NUMERIC_EFFECT = 4.0


def _scored(n: int, seed: int) -> pd.DataFrame:
    """A scored survey whose truth is known: larger bodies lean to party B and away from C
    (a multinomial logit in ln population), party shifts the index, and so does a numeric
    covariate correlated with size; budget per inhabitant is independent noise."""
    rng = np.random.default_rng(seed)
    size = rng.normal(9.0, 1.5, n)
    centred = (size - 9.0) / 1.5
    logits = np.column_stack([np.zeros(n), 1.2 * centred, -1.2 * centred])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    party = np.array(["A", "B", "C"])[(rng.random(n)[:, None] > probs.cumsum(axis=1)).sum(axis=1)]
    income = 0.7 * centred + rng.normal(0, 0.7, n)
    budget = np.exp(rng.normal(7.0, 0.3, n))
    index = (
        10.0
        + TRUE_SIZE * size
        + 3.0 * np.log(budget)
        + pd.Series(party).map(PARTY_EFFECT).to_numpy()
        + NUMERIC_EFFECT * income
        + rng.normal(0, 6.0, n)
    )
    return pd.DataFrame(
        {
            "respondent_id": [f"R{i}" for i in range(n)],
            "collectivity_type": pd.array(["CC"] * n, dtype="string"),
            "population": pd.array(np.round(np.exp(size)).astype("int64"), dtype="Int64"),
            "budget_per_capita": budget,
            "party": pd.array(party, dtype="string"),
            "income": income,
            "maturity_index": index,
            "excluded_reason": pd.array([""] * n, dtype="string"),
        }
    )


def _size(design) -> tuple[float, float]:
    fit = fit_ols(design)
    return float(fit.coef["size"]), float(fit.se["size"])


# --- the known truth ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_categorical_confounder_held_equal_recovers_the_size_effect(seed):
    scored = _scored(3000, seed)
    held, se = _size(build_design(scored, controls=["party", "income"]))
    assert abs(held - TRUE_SIZE) < 4 * se, (held, se)
    # without the party, size takes its effect: larger bodies lean to B (+8) and away from C
    without, se_without = _size(build_design(scored, controls=["income"]))
    assert without - TRUE_SIZE > 10 * se_without, (without, se_without)
    # and the party's own contrasts are the simulated ones, against the largest category
    fit = fit_ols(build_design(scored, controls=["party", "income"]))
    reference = scored["party"].value_counts().idxmax()
    for level, effect in PARTY_EFFECT.items():
        if level != reference:
            coef, se = fit.coef[f"party[T.{level}]"], fit.se[f"party[T.{level}]"]
            assert abs(coef - (effect - PARTY_EFFECT[reference])) < 4 * se


def test_a_numeric_control_is_one_linear_term_that_removes_its_bias():
    scored = _scored(3000, 7)
    design = build_design(scored, controls=["party", "income"])
    assert design.groups["income"] == ["income"] and "income" in design.X.columns
    fit = fit_ols(design)
    assert abs(fit.coef["income"] - NUMERIC_EFFECT) < 4 * fit.se["income"]
    assert abs(fit.coef["size"] - TRUE_SIZE) < 4 * fit.se["size"]
    without, se = _size(build_design(scored, controls=["party"]))
    assert without - TRUE_SIZE > 10 * se  # income rises with size and with the index


def test_an_extra_control_named_a_confounder_is_held_in_the_total_effect_too():
    scored = _scored(3000, 4)
    design = build_design(scored, controls=["party", "income"])
    total = total_design(design, ["party"])
    assert set(total.groups) == {"size", "party"}
    coef, se = _size(total)
    # size -> income -> index is a route of the total effect: 4 * 0.7 / 1.5 per ln unit
    assert abs(coef - (TRUE_SIZE + NUMERIC_EFFECT * 0.7 / 1.5)) < 4 * se


def test_the_specification_curve_holds_the_extra_controls_in_every_specification():
    scored = _scored(800, 5)
    curve = specification_curve(scored, None, extra_controls=["party", "income"])
    fit = fit_ols(build_design(scored, controls=["party", "income"]))
    plain = curve[
        (curve["controls"] == "none")
        & (curve["size"] == "ln_population")
        & (curve["sample"] == "all")
        & (curve["weights"] == "none")
    ]
    (std_coef,) = plain["std_coef"]
    y, x = fit.design.y, fit.design.X["size"]
    assert std_coef == pytest.approx(fit.coef["size"] * x.std() / y.std(), rel=1e-9)
    bare = specification_curve(scored, None)
    (biased,) = bare.loc[plain.index.intersection(bare.index), "std_coef"].head(1)
    assert biased != pytest.approx(std_coef, rel=1e-3)


# --- the min_cell merge ------------------------------------------------------------------


def test_rare_categories_are_merged_into_other_as_the_types_are():
    values = pd.Series(["A"] * 10 + ["B"] * 8 + ["C"] * 3 + ["D"] * 3, dtype="string")
    dummies = category_dummies(values, "party", min_cell=5)
    assert dummies.attrs["merged"] == ["C", "D"] and dummies.attrs["reference"] == "A"
    assert list(dummies.columns) == ["party[T.B]", "party[T.other]"]
    assert dummies["party[T.other]"].sum() == 6
    # merged still too few (2 + 1): the next smallest joins them, as for the types
    values = pd.Series(["A"] * 10 + ["B"] * 8 + ["C"] * 2 + ["D"], dtype="string")
    dummies = category_dummies(values, "party", min_cell=5)
    assert dummies.attrs["merged"] == ["B", "C", "D"]
    assert list(dummies.columns) == ["party[T.other]"]
    # a category spelt "other" joins the merged ones, so that the dummy means one thing
    values = pd.Series(["A"] * 10 + ["other"] * 6 + ["C"] * 3 + ["D"] * 3, dtype="string")
    assert category_dummies(values, "party", min_cell=5).attrs["merged"] == ["C", "D", "other"]


def test_the_design_records_the_merge_and_publishes_no_small_group():
    scored = _scored(400, 8)
    scored.loc[:3, "party"] = "Z"  # four respondents of a fifth party
    design = check_identifiable(scored, controls=["party"], min_cell=5)
    # four are too few even merged: the smallest other party joins them
    smallest = scored.loc[4:, "party"].value_counts().idxmin()
    assert design.controls_merged == {"party": sorted(["Z", smallest])}
    assert len(design.y) == 400
    for column in [c for c in design.X.columns if c.startswith("party[")]:
        assert design.X[column].sum() >= 5


def test_rare_categories_of_an_extra_control_are_counted_never_named_in_what_is_published(
    codebook,
):
    """An extra control's categories may be anything (a mayor's name): results.json and the
    model's description count the rare ones merged into « autres », never name them."""
    from analyse.report.readable import model_specification
    from analyse.stats.claim import to_results

    scored = _scored(400, 8)
    scored.loc[:3, "party"] = "Jean Dupont"
    rng = np.random.default_rng(9)
    for item in codebook.item_columns:
        noisy = scored["maturity_index"] / 20 + rng.normal(0, 0.7, len(scored))
        scored[item] = pd.array(np.clip(np.rint(noisy), 0, 3).astype(int), dtype="Int8")
    analysis = analyse_claim(scored, codebook, controls=["party"], bootstrap=0, simulations=20)
    merged = to_results(analysis)["controls_merged"]["party"]
    assert merged == {"into": "other", "n_categories": 2, "min_cell": 5}
    shown = json.dumps(to_results(analysis), ensure_ascii=False)
    shown += model_specification(analysis).download_frame().to_csv()
    assert "Jean Dupont" not in shown


# --- missing cells -----------------------------------------------------------------------


def test_rows_without_a_control_value_are_left_out_counted_and_said(codebook):
    scored = _scored(300, 9)
    scored.loc[[3, 5, 8], "party"] = pd.NA
    scored.loc[[5, 13], "income"] = np.nan
    rng = np.random.default_rng(9)
    for item in codebook.item_columns:  # the theme models need answers
        level = np.clip(np.rint(scored["maturity_index"] / 20 + rng.normal(0, 0.7, 300)), 0, 3)
        scored[item] = pd.array(level.astype(int), dtype="Int8")
    design = build_design(scored, controls=["party", "income"])
    assert len(design.y) == 300 - 4
    assert design.missing_controls == {"party": 3, "income": 1}  # row 5 counts at party
    claim = analyse_claim(
        scored, codebook, controls=["party", "income"], bootstrap=0, simulations=20
    )
    assert claim.n + claim.n_excluded == 300
    assert claim.exclusions["no value of the control party"] == 3
    assert claim.exclusions["no value of the control income"] == 1


# --- labels in the report ----------------------------------------------------------------


def test_an_extra_control_is_named_by_its_name_in_the_report():
    m = i18n.messages("fr")
    assert term_name("vote_share", m) == "vote share"
    assert term_name("party[T.B]", m).replace("\u00a0", " ") == "party : B"
    other = term_name("party[T.other]", m).replace("\u00a0", " ")
    assert other == "party : autres catégories (regroupées)"
    assert "Autres types" in term_name("collectivity_type[T.other]", m)


# --- parameters --------------------------------------------------------------------------


def _params(tmp_path: Path, **changes) -> dict:
    survey = tmp_path / "s.csv"
    survey.write_text("x\n1\n", encoding="utf-8")
    data = {"survey": str(survey), **changes.pop("data", {})}
    return {"name": "t", "data": data, "analysis": {"bootstrap": 0, **changes}}


def _problems(raw: dict) -> list[str]:
    with pytest.raises(InputError) as exc:
        params_from_mapping(raw, source="p.yaml")
    return [str(p) for p in exc.value.problems]


def test_a_control_must_be_built_in_or_declared(tmp_path):
    (text,) = _problems(_params(tmp_path, controls=["collectivity_type", "party"]))
    assert "analysis.controls.1" in text and "'party'" in text
    assert "data.extra_columns" in text and "collectivity_type" in text
    declared = _params(tmp_path, controls=["party"], data={"extra_columns": ["party"]})
    assert params_from_mapping(declared).analysis.controls == ["party"]
    declared["analysis"]["confounders"] = ["party"]
    assert params_from_mapping(declared).analysis.confounders == ["party"]


def test_an_undeclared_control_is_reported_with_the_other_problems(tmp_path):
    raw = _params(tmp_path, controls=["party"], sesoi=0)
    texts = _problems(raw)
    assert any("analysis.sesoi" in t for t in texts)
    assert any("analysis.controls.0: 'party'" in t for t in texts), texts


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("population", "is a contract column"),
        ("size", "is a name the analysis already uses"),
        ("maturity_index", "is a name the analysis already uses"),
        ("2020_party", "is not a name"),
        ("party colour", "is not a name"),
    ],
)
def test_an_extra_column_name_must_be_free_and_an_identifier(tmp_path, name, why):
    (text,) = _problems(_params(tmp_path, data={"extra_columns": [name]}))
    assert f"data.extra_columns: '{name}' {why}" in text


def test_an_extra_column_listed_twice_is_refused(tmp_path):
    (text,) = _problems(_params(tmp_path, data={"extra_columns": ["party", "party"]}))
    assert "data.extra_columns: 'party' is listed twice" in text


def test_the_reserved_contract_columns_are_the_contracts():
    assert CONTRACT_COLUMNS == COLUMN_NAMES


# --- loading -----------------------------------------------------------------------------


def _export(tmp_path: Path, n: int = 30, seed: int = 3) -> tuple[Path, pd.DataFrame]:
    """The CI panel's text with a party column and a vote share written the French way."""
    from analyse.params import load_params

    survey = load_params(project_root() / "params" / "ci.yaml").survey_path
    text = pd.read_csv(survey, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    text["Couleur politique"] = rng.choice(["Gauche", "Droite", "Centre"], size=len(text))
    text.loc[[2, 7], "Couleur politique"] = ["NA", ""]
    text["Part des voix (%)"] = [
        f"{v:.1f}".replace(".", ",") for v in rng.uniform(30, 70, len(text))
    ]
    path = tmp_path / "survey.csv"
    text.to_csv(path, index=False)
    return path, text


def test_extra_columns_are_read_as_text_or_numbers(tmp_path, codebook):
    path, text = _export(tmp_path)
    survey = load_survey(
        path,
        codebook,
        columns={"party": "Couleur politique", "vote_share": "Part des voix (%)"},
        missing_values=["NA"],
        extra_columns=["party", "vote_share"],
    )
    assert survey["party"].dtype == "string" and survey["party"].isna().sum() == 2
    assert survey.loc[0, "party"] == text.loc[0, "Couleur politique"]
    assert survey["vote_share"].dtype == "float64"
    expected = text["Part des voix (%)"].str.replace(",", ".").astype(float)
    assert np.allclose(survey["vote_share"], expected)


def test_a_number_column_with_a_few_texts_is_refused_not_read_as_categories(tmp_path, codebook):
    """One « NA » among vote shares would make every share a category of its own (merged into
    « other », holding nothing equal): the text cells are problems naming their rows, until
    they are listed as missing values or the column is declared categories."""
    path, text = _export(tmp_path)
    text.loc[5, "Part des voix (%)"] = "n.d."
    text.to_csv(path, index=False)
    columns = {"vote_share": "Part des voix (%)"}
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, columns=columns, extra_columns=["vote_share"])
    [problem] = exc.value.problems
    assert problem.row == 7 and problem.value == "n.d." and "missing_values" in problem.expected
    survey = load_survey(
        path, codebook, columns=columns, extra_columns=["vote_share"], missing_values=["n.d."]
    )
    assert survey["vote_share"].dtype == "float64" and survey["vote_share"].isna().sum() == 1


def test_categories_differing_by_case_or_accents_are_one(tmp_path, codebook):
    path, text = _export(tmp_path)
    spellings = ["Droite", "droite", "DROITE", "Gauche", "gauche"]
    text["Couleur politique"] = [spellings[i % 5] for i in range(len(text))]
    text.to_csv(path, index=False)
    survey = load_survey(
        path, codebook, columns={"party": "Couleur politique"}, extra_columns=["party"]
    )
    assert set(survey["party"].dropna()) == {"Droite", "Gauche"}


def test_an_extra_column_may_read_a_column_the_contract_reads_too(tmp_path, codebook):
    """« One header may feed several columns »: an extra control mapped to the file's own
    population column is a copy of it; the population is still read."""
    path, text = _export(tmp_path)
    survey = load_survey(path, codebook, columns={"pop": "population"}, extra_columns=["pop"])
    assert survey["population"].notna().all()
    assert np.allclose(survey["pop"], survey["population"].astype(float))


def test_extra_column_problems_name_the_key(tmp_path, codebook):
    path, text = _export(tmp_path)
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, extra_columns=["party"])  # no header 'party', no mapping
    assert "data.extra_columns lists 'party'" in str(exc.value)
    item = codebook.item_columns[0]
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, extra_columns=[item, codebook.theme_keys[0]])
    message = str(exc.value)
    assert f"data.extra_columns: '{item}' is an item column of the codebook" in message
    assert f"'{codebook.theme_keys[0]}' is a theme of the codebook" in message
    # 1,250 is a thousand times 1.25 or 1250: refused unless another cell shows the
    # column's decimal comma (as _export's "45,3" do, making it 1.25)
    text["Part des voix (%)"] = [str(30 + i % 40) for i in range(len(text))]
    text.loc[4, "Part des voix (%)"] = "1,250"
    text.to_csv(path, index=False)
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, columns={"share": "Part des voix (%)"}, extra_columns=["share"])
    assert "is ambiguous" in str(exc.value)
    text["party"] = "A"
    text.insert(0, "party", "B", allow_duplicates=True)  # an export with two such headers
    text.to_csv(path, index=False)
    with pytest.raises(InputError) as exc:
        load_survey(path, codebook, extra_columns=["party"])
    assert "the header has 2 columns named 'party'" in str(exc.value)


# --- the command line --------------------------------------------------------------------


def _params_file(tmp_path: Path, path: Path, **analysis) -> Path:
    content = {
        "name": "extra",
        "data": {
            "survey": str(path),
            "codebook": str(project_root() / "data" / "codebook.yaml"),
            "columns": {"party": "Couleur politique", "vote_share": "Part des voix (%)"},
            "extra_columns": ["party", "vote_share"],
            "missing_values": ["NA"],
        },
        "analysis": {"bootstrap": 0, **analysis},
    }
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return params


def _main(monkeypatch, *args: object) -> int:
    monkeypatch.setattr(sys, "argv", ["analyse", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


def test_validate_params_accepts_extra_controls(tmp_path, monkeypatch, capsys):
    path, _ = _export(tmp_path)
    params = _params_file(tmp_path, path, controls=["party", "vote_share"])
    assert _main(monkeypatch, "validate", "--params", params) == 0
    out = capsys.readouterr().out
    assert "vote_share" in out and "party[T." in out
    assert "without a value of the control party" in out


def test_validate_params_refuses_an_undeclared_control_with_exit_2(tmp_path, monkeypatch, capsys):
    path, _ = _export(tmp_path)
    params = _params_file(tmp_path, path, controls=["colour"])
    assert _main(monkeypatch, "validate", "--params", params) == 2
    err = capsys.readouterr().err
    assert "analysis.controls.0: 'colour'" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_run_with_extra_controls_publishes_them(tmp_path):
    path, text = _export(tmp_path)
    params = _params_file(
        tmp_path, path, controls=["collectivity_type", "party", "vote_share"], confounders=["party"]
    )
    out = tmp_path / "reports"
    done = analyse_run(params, out)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((out / "extra" / "results.json").read_text(encoding="utf-8"))
    assert results["controls"] == ["collectivity_type", "party", "vote_share"]
    terms = results["ols"]["terms"]
    assert "vote_share" in terms and any(t.startswith("party[T.") for t in terms)
    assert results["estimands"]["total"]["terms"] == ["size", "party"]
    assert results["exclusions"]["no value of the control party"] == 2
    assert results["n"] + results["n_excluded"] == len(text)
    page = (out / "extra" / "03_is_size_decisive.reader.html").read_text(encoding="utf-8")
    assert "vote share" in page and "party" in page


# --- numeric codes (a region, a département) -----------------------------------------------


def _coded_export(tmp_path: Path) -> Path:
    """The CI panel with a region code (11, 24, 84...) and a département written with its
    leading zero (01, 06, 13...), as exports give them."""
    from analyse.params import load_params

    survey = load_params(project_root() / "params" / "ci.yaml").survey_path
    text = pd.read_csv(survey, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(0)
    text["Code région"] = rng.choice(["11", "24", "84", "93", "76"], size=len(text))
    text["Département"] = rng.choice(["01", "06", "13", "75", "69"], size=len(text))
    path = tmp_path / "coded.csv"
    text.to_csv(path, index=False)
    return path


CODED = {"region": "Code région", "dep": "Département"}


def test_codes_with_a_leading_zero_are_categories_and_few_whole_values_warn(tmp_path, codebook):
    path = _coded_export(tmp_path)
    survey = load_survey(path, codebook, columns=CODED, extra_columns=["region", "dep"])
    # « 01 » is a code: categories, the zero kept; 11/24/84 stay numbers, with a warning
    assert survey["dep"].dtype == "string" and "01" in set(survey["dep"].dropna())
    assert survey["region"].dtype == "float64"
    said = survey.attrs["warnings"]
    assert any("'dep' is read as categories" in w and "leading zero" in w for w in said)
    assert any(
        "'region' has only 5 distinct whole values" in w and "kind: category" in w for w in said
    )
    design = build_design(
        survey.assign(maturity_index=50.0 + np.arange(len(survey)) % 7), controls=["region", "dep"]
    )
    assert any(c.startswith("dep[T.") for c in design.X.columns)
    assert "region" in design.X.columns  # undeclared: one linear term, as warned


def test_a_declared_kind_decides_and_silences_the_warning(tmp_path, codebook):
    path = _coded_export(tmp_path)
    survey = load_survey(
        path,
        codebook,
        columns=CODED,
        extra_columns=[{"name": "region", "kind": "category"}, {"name": "dep", "kind": "number"}],
    )
    assert survey["region"].dtype == "string" and set(survey["region"].dropna()) <= {
        "11", "24", "84", "93", "76"
    }  # fmt: skip
    assert survey["dep"].dtype == "float64" and 1.0 in set(survey["dep"])
    assert not survey.attrs.get("warnings")
    design = build_design(
        survey.assign(maturity_index=50.0 + np.arange(len(survey)) % 7), controls=["region"]
    )
    assert "region" not in design.X.columns
    assert any(c.startswith("region[T.") for c in design.X.columns)


def test_kind_number_refuses_a_cell_that_is_no_number(tmp_path, codebook):
    path, text = _export(tmp_path)
    with pytest.raises(InputError) as exc:
        load_survey(
            path,
            codebook,
            columns={"party": "Couleur politique"},
            missing_values=["NA"],
            extra_columns=[{"name": "party", "kind": "number"}],
        )
    assert "is not a number, but data.extra_columns declares kind: number" in str(exc.value)


def test_extra_columns_take_names_or_name_and_kind(tmp_path):
    items = ["party", {"name": "region", "kind": "category"}]
    raw = _params(tmp_path, controls=["party", "region"], data={"extra_columns": items})
    params = params_from_mapping(raw)
    assert params.data.extra_names == ["party", "region"]
    assert params.data.extra_kinds == {"region": "category"}
    # the papermill round trip (flat parameters dumped as JSON and read back) keeps the kind
    from analyse.params import flat_parameters, nested_parameters

    flat = json.loads(json.dumps(flat_parameters(params)))
    again = params_from_mapping(nested_parameters(flat), flat=True)
    assert again.data.extra_kinds == {"region": "category"}
    (text,) = _problems(
        _params(tmp_path, data={"extra_columns": [{"name": "region", "kind": "code"}]})
    )
    assert "data.extra_columns.0" in text and "kind: category" in text
    (text,) = _problems(
        _params(tmp_path, data={"extra_columns": ["region", {"name": "region", "kind": "number"}]})
    )
    assert "data.extra_columns: 'region' is listed twice" in text


def test_validate_params_warns_of_codes_read_as_a_number_and_of_no_confounder(
    tmp_path, monkeypatch, capsys
):
    path = _coded_export(tmp_path)
    content = {
        "name": "codes",
        "data": {
            "survey": str(path),
            "codebook": str(project_root() / "data" / "codebook.yaml"),
            "columns": CODED,
            "extra_columns": ["region", "dep"],
        },
        "analysis": {"bootstrap": 0, "controls": ["region"]},
    }
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    assert _main(monkeypatch, "validate", "--params", params) == 0
    said = capsys.readouterr()
    out = " ".join((said.out + said.err).split())
    assert "'region' has only 5 distinct whole values" in out
    assert "analysis.confounders names none" in out
    content["analysis"]["confounders"] = ["region"]
    content["data"]["extra_columns"] = [{"name": "region", "kind": "category"}, "dep"]
    params.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    assert _main(monkeypatch, "validate", "--params", params) == 0
    said = capsys.readouterr()
    out = " ".join((said.out + said.err).split())
    assert "distinct whole values" not in out and "confounders names none" not in out


def test_the_method_box_says_a_numeric_extra_control_is_one_linear_term():
    from analyse.report.method_box import method_box

    results = {
        "controls": ["party", "vote_share"],
        "ols": {"terms": {"size": {}, "vote_share": {}, "party[T.B]": {}}},
        "estimands": {"direct": {"terms": ["size", "party", "vote_share"]}},
        "n": 50,
    }
    box = html.unescape(method_box(results, i18n.messages("fr"), 3)).replace("\u00a0", " ")
    assert "« vote share » (entré comme un terme linéaire)" in box
    assert "« party » (entré" not in box and "« party »" in box


def test_the_indirect_effect_names_the_means_apart_from_the_other_controls(codebook):
    """An extra control not named a confounder is a route of the size effect but not a mean:
    the page gives the part through the means and the part through the other controls
    separately, each the sum of its routes, together the indirect effect."""
    from analyse.report.findings import estimand_sentences
    from analyse.stats.claim import to_results

    scored = _scored(300, 4)
    rng = np.random.default_rng(9)
    for item in codebook.item_columns:
        noisy = scored["maturity_index"] / 20 + rng.normal(0, 0.7, len(scored))
        scored[item] = pd.array(np.clip(np.rint(noisy), 0, 3).astype(int), dtype="Int8")
    analysis = analyse_claim(
        scored, codebook, controls=["party", "income"], bootstrap=50, simulations=20
    )
    results = json.loads(json.dumps(to_results(analysis)))
    by_mean = results["estimands"]["indirect"]["by_mean"]
    assert set(by_mean) == {"budget", "party", "income"}
    m = i18n.messages("fr")
    text = " ".join(estimand_sentences(results, m)).replace("\u00a0", " ").replace("\u202f", " ")
    means = m.number(by_mean["budget"], 1, sign=True).replace("\u00a0", " ")
    others = m.number(by_mean["party"] + by_mean["income"], 1, sign=True).replace("\u00a0", " ")
    unit = m.plural(means, "point", "points")  # « −0,1 point », « +2,3 points »
    assert f"dont {means} {unit} par les moyens (budget " in text
    assert f"et {others} par les autres variables de contrôle (party " in text
    assert "passe par les moyens qui vont de pair" not in text
    # only means: the sentence is unchanged
    only = {**results, "estimands": {**results["estimands"]}}
    only["estimands"]["indirect"] = {**results["estimands"]["indirect"], "by_mean": {"budget": 1.0}}
    text = " ".join(estimand_sentences(only, m))
    assert "passe par les moyens qui vont de pair avec la taille" in text
    assert "autres variables de contrôle" not in text


def test_a_control_with_too_many_categories_is_refused_before_anything_is_fitted():
    """A categorical control of hundreds of categories (each above min_cell) passed validate
    and exhausted the memory of the run: refused, naming the control and the limit."""
    from analyse.stats.regression import MAX_CATEGORIES, check_identifiable

    scored = _scored(n=(MAX_CATEGORIES + 2) * 6, seed=4)
    scored["party"] = pd.array(
        [f"P{i // 6}" for i in range(len(scored))], dtype="string"
    )  # MAX_CATEGORIES + 2 categories of 6 rows each
    with pytest.raises(InputError) as exc:
        check_identifiable(scored, controls=["party"], min_cell=5)
    [problem] = exc.value.problems
    assert problem.column == "party" and f"{MAX_CATEGORIES + 2} categories" in problem.message
    scored["party"] = pd.array([f"P{i % MAX_CATEGORIES}" for i in range(len(scored))], "string")
    check_identifiable(scored, controls=["party"], min_cell=5)  # 100 categories: fine
