"""A survey-tool export read through the parameter file's mappings (analyse.data.configured)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from survey_factory import as_text, build_survey, write_text_csv

from analyse.data.configured import load_configured
from analyse.data.loading import load_survey
from analyse.data.mapping_files import read_answer_labels, read_type_labels
from analyse.data.readers import normalise_label
from analyse.data.scoring import EXCLUSION_COLUMN, score_survey
from analyse.errors import InputError
from analyse.params import load_params
from analyse.paths import default_codebook_path

LEVEL_LABELS = {0: "Pas engagé", 1: "En réflexion", 2: "Actions formalisées", 3: "Effectif"}


def _export(tmp_path: Path, codebook, n: int = 30, seed: int = 2) -> tuple[Path, pd.DataFrame]:
    """A survey whose answers are French labels (some non-answers), with French headers for
    two contract columns and a type column in words."""
    survey = build_survey(codebook, n=n, seed=seed)
    text = as_text(survey)
    for item in codebook.item_columns:
        text[item] = survey[item].map(lambda v: "" if pd.isna(v) else LEVEL_LABELS[int(v)])
    text.loc[0, codebook.item_columns[0]] = "Je ne sais pas"
    text.loc[1, codebook.item_columns[1]] = "Ma structure n’est pas concernée"  # typographic
    text.loc[2, codebook.item_columns[2]] = "  ma structure n'est pas CONCERNÉE "
    words = {"CC": "Une communauté de communes", "metropole": "Une métropole"}
    text["collectivity_type"] = survey["collectivity_type"].map(lambda t: words.get(t, t))
    text.loc[3, "collectivity_type"] = "Autre"
    text.loc[3, "population"] = ""  # a body left out needs no population
    text.loc[4, "siren"] = "213 100 125 00013"  # a SIRET with spaces
    text = text.rename(columns={"population": "Nombre d'habitants", "respondent_id": "ID"})
    return write_text_csv(text, tmp_path / "export.csv"), survey


def _params(tmp_path: Path, survey: Path, **data) -> Path:
    path = tmp_path / "params.yaml"
    document = {
        "name": "export",
        "data": {"survey": str(survey), "codebook": str(default_codebook_path()), **data},
        "analysis": {"bootstrap": 10},
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


ANSWERS = {**{v: k for k, v in LEVEL_LABELS.items()}, "Je ne sais pas": None}
ANSWERS["Ma structure n'est pas concernée"] = None
TYPES = {
    "Une communauté de communes": "CC",
    "Une métropole": "metropole",
    "Autre": None,
}
COLUMNS = {"population": "Nombre d'habitants", "respondent_id": "ID"}


def test_labels_compare_after_nfc_apostrophes_spaces_and_case():
    decomposed = "concerne\u0301e"  # e + combining acute accent
    assert normalise_label(f"Ma  structure n’est pas {decomposed}") == normalise_label(
        "ma structure n'est pas concernée "
    )


def test_an_export_loads_from_inline_mappings(tmp_path, codebook):
    path, survey = _export(tmp_path, codebook)
    params = load_params(
        _params(tmp_path, path, columns=COLUMNS, answer_labels=ANSWERS, type_labels=TYPES)
    )
    configured = load_configured(params)
    loaded = configured.survey
    assert len(loaded) == len(survey)  # every row read is kept
    first, second, third = codebook.item_columns[:3]
    assert pd.isna(loaded.loc[0, first]) and pd.isna(loaded.loc[1, second])
    assert pd.isna(loaded.loc[2, third])  # spaces, case, apostrophe style do not matter
    assert loaded.loc[5, codebook.item_columns[5]] == survey.loc[5, codebook.item_columns[5]]
    assert loaded.loc[4, "siren"] == "213100125"
    assert loaded.loc[3, EXCLUSION_COLUMN] == "type 'Autre' is left out by the type-label mapping"
    scored = score_survey(loaded, configured.codebook)
    assert np.isnan(scored.loc[3, "maturity_index"])
    excluded = (scored[EXCLUSION_COLUMN].fillna("") != "").sum()
    assert scored["maturity_index"].notna().sum() + excluded == len(survey)


def test_mappings_can_live_in_their_own_files(tmp_path, codebook):
    path, survey = _export(tmp_path, codebook)
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "".join(f"{k}: {'null' if v is None else v}\n" for k, v in ANSWERS.items()),
        encoding="utf-8",
    )
    types = tmp_path / "types.yaml"
    types.write_text(
        "".join(f"{k}: {'null' if v is None else v}\n" for k, v in TYPES.items()),
        encoding="utf-8",
    )
    columns = tmp_path / "columns.yaml"
    columns.write_text(yaml.safe_dump(COLUMNS, allow_unicode=True), encoding="utf-8")
    assert read_answer_labels(answers)["Je ne sais pas"] is None
    assert read_type_labels(types)["Autre"] is None
    params = load_params(
        _params(
            tmp_path, path, columns=str(columns), answer_labels=str(answers), type_labels=str(types)
        )
    )
    assert set(params.mapping_paths()) == {"columns", "answer_labels", "type_labels"}
    inline = load_configured(
        load_params(
            _params(tmp_path, path, columns=COLUMNS, answer_labels=ANSWERS, type_labels=TYPES)
        )
    )
    pd.testing.assert_frame_equal(load_configured(params).survey, inline.survey)


def test_unmapped_labels_are_listed_once_each_with_their_count(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    answers = {k: v for k, v in ANSWERS.items() if k != "Effectif"}
    params = load_params(
        _params(tmp_path, path, columns=COLUMNS, answer_labels=answers, type_labels=TYPES)
    )
    with pytest.raises(InputError) as exc:
        load_configured(params)
    problems = [p for p in exc.value.problems if p.value == "Effectif"]
    assert len(problems) == 1  # one problem, not one per cell
    assert "text answer in" in problems[0].message and "cell(s)" in problems[0].message


def test_a_missing_mapping_file_is_a_parameter_problem(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    with pytest.raises(InputError) as exc:
        load_params(_params(tmp_path, path, answer_labels=str(tmp_path / "absent.yaml")))
    assert "data.answer_labels: file not found" in str(exc.value)


def test_epci_placeholder_needs_the_frame(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    types = {**TYPES, "Une métropole": "epci"}
    params = load_params(
        _params(tmp_path, path, columns=COLUMNS, answer_labels=ANSWERS, type_labels=types)
    )
    with pytest.raises(InputError) as exc:
        load_configured(params)
    assert "data.enrich_from_frame is false" in str(exc.value)


def test_an_unknown_type_target_is_named(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    with pytest.raises(InputError) as exc:
        load_survey(
            path,
            codebook,
            columns=COLUMNS,
            answer_labels=ANSWERS,
            type_labels={**TYPES, "Une métropole": "Metropole"},
        )
    assert "gives 'Une métropole' an unknown type" in str(exc.value)
    assert "did you mean 'metropole'" in str(exc.value)


def test_the_frame_fills_population_and_legal_type(tmp_path, codebook):
    """EPCI declared only as "an EPCI" get their legal type and population from the frame by
    SIRET; an EPCI the frame does not know, or a row without any population, is left out with
    its reason, and every row read is accounted for."""
    from analyse.data.reference import load_frame

    frame = load_frame("epci").sort_values("siren").reset_index(drop=True)
    survey = build_survey(codebook, n=12, seed=4)
    text = as_text(survey)
    for item in codebook.item_columns:
        text[item] = survey[item].map(lambda v: "" if pd.isna(v) else LEVEL_LABELS[int(v)])
    text["collectivity_type"] = "Un EPCI"
    text["siren"] = [f"{s[:3]} {s[3:6]} {s[6:]} 00017" for s in frame["siren"][:12]]
    text.loc[:5, "population"] = ""
    text.loc[10, "siren"] = "999 999 999 00017"  # not in the frame
    text.loc[11, "siren"] = ""
    text.loc[11, "population"] = ""  # no population anywhere
    path = write_text_csv(text, tmp_path / "epci.csv")
    params = load_params(
        _params(
            tmp_path,
            path,
            answer_labels=ANSWERS,
            type_labels={"Un EPCI": "epci"},
            enrich_from_frame=True,
        )
    )
    configured = load_configured(params)
    loaded = configured.survey
    expected = frame.iloc[:10]
    assert list(loaded["collectivity_type"][:10]) == list(expected["collectivity_type"])
    assert list(loaded["population"][:6]) == list(expected["population"][:6])  # filled
    assert list(loaded["population"][6:10]) == list(survey["population"][6:10])  # survey wins
    assert loaded.loc[10, EXCLUSION_COLUMN].startswith("EPCI not found in the reference frame")
    assert loaded.loc[11, EXCLUSION_COLUMN].startswith("population unknown")
    assert configured.enrichment is not None and len(configured.enrichment) == 12
    scored = score_survey(loaded, configured.codebook)
    excluded = (scored[EXCLUSION_COLUMN].fillna("") != "").sum()
    assert scored["maturity_index"].notna().sum() + excluded == 12


def test_a_mapped_header_is_found_whatever_its_apostrophe(tmp_path, codebook):
    """The export writes "Nombre d’habitants" (typographic); the mapping "Nombre d'habitants"."""
    path, survey = _export(tmp_path, codebook)
    text = path.read_text(encoding="utf-8").replace("Nombre d'habitants", "Nombre d’habitants")
    path.write_text(text, encoding="utf-8")
    loaded = load_survey(path, codebook, columns=COLUMNS, answer_labels=ANSWERS, type_labels=TYPES)
    assert loaded.loc[0, "population"] == survey.loc[0, "population"]


def test_codes_that_lost_their_leading_zero_are_read(tmp_path, codebook):
    path, survey = _export(tmp_path, codebook)
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] += ",code_insee"
    codes = ["1053", "1", "2A004", "75"] + [""] * (len(text) - 5)
    text[1:] = [f"{line},{code}" for line, code in zip(text[1:], codes, strict=True)]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    loaded = load_survey(path, codebook, columns=COLUMNS, answer_labels=ANSWERS, type_labels=TYPES)
    assert list(loaded["code_insee"][:4]) == ["01053", "01", "2A004", "75"]


def test_a_codebook_label_mapped_to_null_is_warned(tmp_path, codebook):
    """A draft placeholder left at null on the codebook's own wording of a level would read
    every such answer as missing: valid, but warned."""
    from analyse.data.configured import mapping_warnings

    level0 = codebook.levels[0].label_fr
    path, _ = _export(tmp_path, codebook)
    params = load_params(_params(tmp_path, path, answer_labels={**ANSWERS, level0: None}))
    [warning] = mapping_warnings(params, codebook)
    assert repr(level0) in warning and "level 0" in warning
    assert (
        mapping_warnings(load_params(_params(tmp_path, path, answer_labels=ANSWERS)), codebook)
        == []
    )


# --- "did you mean", pointing at the mapping file and line (issue 22) ----------------------


def _files(tmp_path: Path, columns: str, answers: dict, types: str) -> dict[str, str]:
    (tmp_path / "columns.yaml").write_text(columns, encoding="utf-8")
    (tmp_path / "answers.yaml").write_text(
        "".join(f'"{k}": {"null" if v is None else v}\n' for k, v in answers.items()),
        encoding="utf-8",
    )
    (tmp_path / "types.yaml").write_text(types, encoding="utf-8")
    return {
        "columns": str(tmp_path / "columns.yaml"),
        "answer_labels": str(tmp_path / "answers.yaml"),
        "type_labels": str(tmp_path / "types.yaml"),
    }


TYPES_FILE = '"Une communauté de communes": CC\n"Une métropole": metropole\n"Autre": null\n'


def test_a_misspelt_mapping_key_is_reported_against_its_file_and_line(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    columns = '# my mapping\nrespondent_id: "ID"\npopulaton: "Nombre d\'habitants"\n'
    files = _files(tmp_path, columns, ANSWERS, TYPES_FILE)
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_params(tmp_path, path, **files)))
    (problem,) = [p for p in exc.value.problems if "populaton" in str(p)]
    assert problem.file == f"{tmp_path / 'columns.yaml'}, line 3"
    assert problem.message.startswith("'populaton': the column mapping names a column")
    assert problem.message.endswith("; did you mean 'population'?")
    # written inline in the parameter file: named as before, with the same suggestion
    inline = {"respondent_id": "ID", "populaton": "Nombre d'habitants"}
    params = load_params(_params(tmp_path, path, columns=inline, answer_labels=ANSWERS,
                                 type_labels=TYPES))  # fmt: skip
    with pytest.raises(InputError) as exc:
        load_configured(params)
    (problem,) = [p for p in exc.value.problems if "populaton" in str(p)]
    assert problem.column == "populaton" and "did you mean 'population'?" in problem.message


def test_a_misspelt_type_in_the_type_file_is_pointed_at_with_a_suggestion(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    types = '"Une communauté de communes": CC\n"Une métropole": metropol\n"Autre": null\n'
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), ANSWERS, types)
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_params(tmp_path, path, **files)))
    (problem,) = exc.value.problems
    assert problem.file == f"{tmp_path / 'types.yaml'}, line 2"
    assert "did you mean 'metropole'?" in problem.message


def test_an_answer_label_misspelt_in_the_mapping_is_pointed_at(tmp_path, codebook):
    """The cells say « Effectif », the mapping « Efectif »: the unmapped answer names the
    mapping's near key; a label nothing is near gets no suggestion."""
    path, _ = _export(tmp_path, codebook)
    answers = {**{k: v for k, v in ANSWERS.items() if k != "Effectif"}, "Efectif": 3}
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), answers, TYPES_FILE)
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_params(tmp_path, path, **files)))
    (problem,) = [p for p in exc.value.problems if p.value == "Effectif"]
    assert "the mapping has 'Efectif': did you mean 'Effectif' there?" in problem.message
    answers = {k: v for k, v in ANSWERS.items() if k != "Effectif"}
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), answers, TYPES_FILE)
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_params(tmp_path, path, **files)))
    (problem,) = [p for p in exc.value.problems if p.value == "Effectif"]
    assert "did you mean" not in problem.message


def test_a_null_label_that_looks_like_a_known_one_is_warned_with_what_it_drops(tmp_path, codebook):
    """« Une métroploe: null » and a codebook label with a typo left null are valid (rows
    and answers are left out as asked) but warned, with file, line and what they drop;
    « Autre: null » is not."""
    path, _ = _export(tmp_path, codebook)
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    text.loc[5:7, "collectivity_type"] = "Une métroploe"
    level3 = codebook.levels[3].label_fr
    typo = level3[:-2]  # « ...continu »
    text.loc[8:9, codebook.item_columns[0]] = typo
    write_text_csv(text, path)
    answers = {**ANSWERS, typo: None}
    types = TYPES_FILE + '"Une métroploe": null\n'
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), answers, types)
    configured = load_configured(load_params(_params(tmp_path, path, **files)))
    type_warning, answer_warning = configured.warnings
    assert type_warning.startswith(f"{tmp_path / 'types.yaml'}, line 4: type label ")
    assert "'Une métroploe' is mapped to null, which leaves its 3 row(s)" in type_warning
    assert "looks like the type 'metropole'" in type_warning
    line = list(answers).index(typo) + 1
    assert answer_warning.startswith(f"{tmp_path / 'answers.yaml'}, line {line}: answer label")
    assert "reads its 2 answer(s) as missing" in answer_warning
    assert f"codebook's label of level 3 ({level3!r})" in answer_warning
    # the same file without the typos: « Autre: null » alone warns of nothing
    path, _ = _export(tmp_path, codebook)
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), ANSWERS, TYPES_FILE)
    assert load_configured(load_params(_params(tmp_path, path, **files))).warnings == []


def test_a_type_misspelt_in_the_type_file_key_is_pointed_at_there(tmp_path, codebook):
    """The cells say « Une métropole », the mapping « Une metropol »: reported against the
    mapping's line, as for answer labels, not as an unknown type of the survey."""
    path, _ = _export(tmp_path, codebook)
    types = '"Une communauté de communes": CC\n"Une metropol": metropole\n"Autre": null\n'
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), ANSWERS, types)
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_params(tmp_path, path, **files)))
    (problem,) = [p for p in exc.value.problems if "métropole" in str(p)]
    assert problem.file == f"{tmp_path / 'types.yaml'}, line 2"
    assert "the mapping has 'Une metropol': did you mean 'Une métropole' there?" in str(problem)
    assert "did you mean 'metropole'" not in str(problem)


def test_a_type_value_near_epci_is_suggested(tmp_path, codebook):
    path, _ = _export(tmp_path, codebook)
    types = TYPES_FILE + '"Un EPCI": epic\n'
    files = _files(tmp_path, yaml.safe_dump(COLUMNS, allow_unicode=True), ANSWERS, types)
    with pytest.raises(InputError) as exc:
        load_configured(load_params(_params(tmp_path, path, enrich_from_frame=True, **files)))
    (problem,) = exc.value.problems
    assert problem.file == f"{tmp_path / 'types.yaml'}, line 4"
    assert problem.message.endswith("; did you mean 'epci'?")


def test_an_answer_level_in_words_names_the_label_and_its_line(tmp_path):
    labels = tmp_path / "answers.yaml"
    labels.write_text('"Effectif": 3\n"Sujet non abordé": zero\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_answer_labels(labels)
    (problem,) = exc.value.problems
    assert problem.file == f"{labels}, line 2" and problem.column is None
    assert problem.message == "answer label 'Sujet non abordé': level is not a whole number"


def test_a_null_label_that_looks_like_an_epci_is_advised_by_whether_the_frame_is_used(codebook):
    """Without data.enrich_from_frame, mapping to epci is refused: the advice says what works."""
    from analyse.data.loading import null_label_warnings

    def advice(enrich: bool) -> str:
        (warning,) = null_label_warnings(
            codebook,
            {"Un EPCI (hors métropole)": None},
            {"un epci (hors métropole)": 39},
            None,
            {},
            "export.csv",
            enrich=enrich,
        )
        return warning

    assert advice(True).endswith("looks like the type 'epci': map it to epci if it is one")
    without = advice(False)
    assert "map it to its legal type (CC, CA, CU or metropole)" in without
    assert "data.enrich_from_frame: true" in without
