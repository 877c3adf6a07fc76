"""``analyse draft-mapping EXPORT``: starter mapping files listing every column, every text
answer and every type value, with guesses a user checks, never overwriting without --force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from run_command import run_main

from analyse.data.codebook import load_codebook
from analyse.data.draft_mapping import FILES, draft_mapping, guess_columns, words
from analyse.paths import project_root

EXPORT = project_root() / "data" / "example-export" / "export.csv"


def test_words_fold_accents_case_and_punctuation():
    assert words("Nb. d’élu(e)s ÉTP") == "nb d elu e s etp"
    # « œ » and « æ » are not accents (NFKD keeps them): spelt as French keyboards type them
    assert words("Mise en Œuvre, cœur, ex æquo") == "mise en oeuvre coeur ex aequo"


def test_guesses_by_header_and_item_text():
    header = [
        "Horodateur",
        "Identifiant",
        "Type de collectivité",
        "Nom de la collectivité",
        "SIRET",
        "Code INSEE",
        "Nombre d'habitants",
        "Nombre d'agents (ETP) au numérique",
        "Budget par habitant",
        "Votre collectivité a-t-elle adopté une stratégie numérique ?",
        "Un élu est-il chargé du numérique ?",
        "Q1. Les démarches sont dématérialisées de bout en bout",  # user_2, prefixed
        "resp_1",  # an item under its own name
    ]
    guesses = {g.canonical: g.column for g in guess_columns(header, load_codebook())}
    assert guesses == {
        "resp_1": "resp_1",
        "user_2": "Q1. Les démarches sont dématérialisées de bout en bout",
        "siren": "SIRET",
        "code_insee": "Code INSEE",
        "population": "Nombre d'habitants",
        "budget_per_capita": "Budget par habitant",
        "digital_staff_fte": "Nombre d'agents (ETP) au numérique",
        "elected_digital_lead": "Un élu est-il chargé du numérique ?",
        "strategy_adopted": "Votre collectivité a-t-elle adopté une stratégie numérique ?",
        "collectivity_type": "Type de collectivité",
        "respondent_id": "Identifiant",
        "name": "Nom de la collectivité",  # "nombre" is not the word "nom"
    }


def test_the_draft_of_the_example_export(tmp_path):
    draft = draft_mapping(EXPORT, load_codebook())
    columns = yaml.safe_load(draft.texts["columns.yaml"])
    committed = yaml.safe_load((EXPORT.parent / "columns.yaml").read_text(encoding="utf-8"))
    assert columns == committed  # the committed file is the draft, every guess kept
    # every column of the file appears, mapped or as a comment
    text = draft.texts["columns.yaml"]
    assert all(f'"{c}"' in text for c in draft.columns)
    assert '# ?: "Horodateur"' in text
    answers = yaml.safe_load(draft.texts["answers.yaml"])
    assert set(answers) == set(
        yaml.safe_load((EXPORT.parent / "answers.yaml").read_text(encoding="utf-8"))
    )
    # the codebook's own labels are filled with their level; every other label is a null
    # placeholder for the analyst to decide (a non-answer unless edited)
    committed_answers = yaml.safe_load((EXPORT.parent / "answers.yaml").read_text("utf-8"))
    book = load_codebook()
    for label, level in answers.items():
        own = [lv.value for lv in book.levels if words(lv.label_fr) == words(label)]
        assert level == (own[0] if own else None), label
        if own:
            assert committed_answers[label] == level  # the committed mapping agrees
    assert '"Je ne sais pas": null  # 66 answers; a non-answer' in draft.texts["answers.yaml"]
    assert 'concernée": null  # 35 answers; a non-answer' in draft.texts["answers.yaml"]
    # the survey tool's type labels are the contract's types with an article: filled, "epci"
    # since the export has a SIRET column the reference frame is matched on
    types = draft.texts["types.yaml"]
    assert draft.enrich
    assert yaml.safe_load(types) == yaml.safe_load(
        (EXPORT.parent / "types.yaml").read_text(encoding="utf-8")
    )
    assert '"Autre": null  # 8 rows; not a type of the contract' in types


def test_item_like_columns_without_a_codebook_match(tmp_path):
    """With no item guessed, columns of a few distinct texts are the item-like ones."""
    path = tmp_path / "export.csv"
    pd.DataFrame(
        {
            "ID": ["1", "2", "3", "4"],
            "Q1": ["Oui", "Non", "Oui", "Je ne sais pas"],
            "Q2": ["Non", "", "Oui", "Oui"],
            "Score": ["1", "2", "3", "4"],
        }
    ).to_csv(path, index=False)
    draft = draft_mapping(path, load_codebook())
    answers = draft.texts["answers.yaml"]
    assert yaml.safe_load(answers) == {"Oui": None, "Non": None, "Je ne sais pas": None}
    # not a level of the codebook: null, marked for the analyst to check
    assert '"Oui": null  # 4 answers; CHECK: not a label of the codebook' in answers
    assert '"Non": null  # 2 answers; CHECK:' in answers
    assert '"Je ne sais pas": null  # 1 answer; a non-answer' in answers
    assert "No type column was guessed" in draft.texts["types.yaml"]


def test_cli_writes_then_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    out = tmp_path / "mapping"
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert "36 of 39 columns guessed" in capsys.readouterr().out
    (out / "answers.yaml").write_text("# edited\n", encoding="utf-8")
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 2
    err = capsys.readouterr().err
    assert all(f"{out / name}: already exists: not overwritten" in err for name in FILES)
    assert (out / "answers.yaml").read_text(encoding="utf-8") == "# edited\n"  # untouched
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out, "--force") == 0
    assert (out / "answers.yaml").read_text(encoding="utf-8").startswith("# Answer labels")


def test_an_unreadable_export_exits_2(tmp_path, monkeypatch, capsys):
    assert run_main(monkeypatch, "draft-mapping", tmp_path / "absent.csv") == 2
    assert "file not found" in capsys.readouterr().err


def test_the_draft_proposes_the_missing_values_it_sees(tmp_path):
    from analyse.data.draft_mapping import draft_mapping

    path = tmp_path / "r.csv"
    path.write_text(
        "Nom,Population,Budget,Q1\nA,12,NA,Oui\nB,NA,3,n/a\nC,14,-,Non\nD,15,4,Oui\n",
        encoding="utf-8",
    )
    drafted = draft_mapping(path)
    assert sorted(drafted.missing_values) == ["-", "NA", "n/a"]
    text = drafted.texts["columns.yaml"]
    assert '"NA" (2 cells, in "Population", "Budget")' in text and '"n/a" (1 cell, in "Q1")' in text
    assert 'missing_values: ["' in text
    path.write_text("Nom,Population\nA,12\nB,13\n", encoding="utf-8")
    assert draft_mapping(path).missing_values == []


def _census(tmp_path):
    """A census of every tier as an R export writes it: codes for types, NA and ND cells, a
    year column, spending per inhabitant, and a count of published datasets."""
    import random

    rng = random.Random(4)
    types = ["COM", "MET", "DEP", "REG", "EPT", "CC", "CA", "CU", "Commune", "EPCI", "Autre"]
    lines = ["Nom;Type;Année;Dépenses numériques (€/hab.);Nb habitants;Jeux publiés;Score"]
    for i in range(300):
        count = 0 if i % 3 == 0 else int(rng.lognormvariate(2, 1.2))
        spend = "NA" if i % 7 == 0 else "ND" if i % 11 == 0 else str(rng.randint(5, 90))
        lines.append(
            f"B{i};{types[i % len(types)]};{2023 + i % 2};{spend};{rng.randint(100, 90000)};"
            f"{count};{'ABCDE'[i % 5]}"
        )
    path = tmp_path / "census.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_draft_knows_a_census(tmp_path):
    from analyse.data.draft_mapping import count_cuts

    draft = draft_mapping(_census(tmp_path))
    guessed = {g.canonical: g.column for g in draft.guesses}
    assert guessed["budget_per_capita"] == "Dépenses numériques (€/hab.)"
    assert guessed["population"] == "Nb habitants"
    assert guessed["edition"] == "Année"
    assert sorted(draft.missing_values) == ["NA", "ND"]
    mapping = yaml.safe_load(draft.texts["types.yaml"])
    assert mapping == {
        "COM": "commune",
        "Commune": "commune",
        "MET": "metropole",
        "DEP": "departement",
        "REG": "region",
        "EPT": "EPT",
        "CC": "CC",
        "CA": "CA",
        "CU": "CU",
        "EPCI": "epci",  # the census has names: the reference frame gives the legal type
        "Autre": None,
    }
    # The count column gets cuts in a comment; every level holds cells.
    text = draft.texts["columns.yaml"]
    proposal = count_cuts(pd.read_csv(_census(tmp_path), sep=";", dtype=str)["Jeux publiés"])
    assert proposal is not None and proposal.cuts[0] == 1  # a third are zeros
    assert all(share > 0 for share in proposal.shares) and abs(sum(proposal.shares) - 1) < 1e-12
    assert f"#   cuts: [{', '.join(map(str, proposal.cuts))}]" in text
    assert '# Count column "Jeux publiés"' in text
    assert 'Count column "Nb habitants"' not in text  # guessed as population: no cuts


def test_a_year_word_needs_years():
    frame = pd.DataFrame({"Année de création du service": ["oui", "non"], "Vague": ["1", "2"]})
    assert "edition" not in {g.canonical for g in guess_columns(list(frame), None, frame)}
    frame = pd.DataFrame({"Millésime": ["2024", "2025", ""]})
    assert {g.canonical for g in guess_columns(list(frame), None, frame)} == {"edition"}


def test_cuts_are_round_increasing_and_inside_the_range():
    from analyse.data.draft_mapping import nice, propose_cuts

    assert [nice(x) for x in (0.4, 3.4, 12, 37, 180, 240, 7000)] == [1, 3, 10, 50, 200, 250, 5000]
    values = np.arange(0, 1001)
    cuts = propose_cuts(values)
    assert cuts == sorted(set(cuts)) and cuts[0] > 0 and cuts[-1] <= 1000
    assert cuts == [250, 500, 1000]  # quartiles 250, 500, 750, the last rounded to 1000
    # few zeros: no cut at 1
    assert propose_cuts(np.array([0] + list(range(50, 150))))[0] > 1
    # as many cuts as the codebook's levels need (one fewer), round or not
    for n_cuts in (1, 2, 3, 4, 6):
        assert len(propose_cuts(values, n_cuts)) == n_cuts
    many_zeros = np.array([0] * 30 + list(range(1, 70)))
    assert propose_cuts(many_zeros, 1) == [1]  # "none" / "at least one" on a two-level codebook
    proposed = propose_cuts(many_zeros, 4)
    assert proposed[0] == 1 and len(proposed) == 4 and proposed == sorted(set(proposed))


# --- a parameter file that runs as drafted -------------------------------------------------


def test_type_labels_with_articles_and_parentheses_are_the_contract_s_types():
    from analyse.data.draft_mapping import type_name

    assert type_name("Une métropole") == "metropole"
    assert type_name("Un EPCI (hors métropole)") == "epci"
    assert type_name("Un EPCI (hors métropole)", enrich=False) is None  # needs the frame
    assert type_name("La Région") == "region"
    assert type_name("Conseil départemental") == "departement"
    assert type_name("Communauté d'agglomération (CA)") == "CA"
    assert type_name("Établissement public territorial") == "EPT"
    assert type_name("Autre") is None
    assert type_name("Syndicat mixte") is None


def test_official_epci_names_are_epci_when_the_export_has_names():
    from analyse.data.draft_mapping import type_name

    for label in (
        "EPCI à fiscalité propre",
        "Un EPCI à FP",
        "Établissement public de coopération intercommunale",
        "EPCI FP",
    ):
        assert type_name(label) == "epci", label
        assert type_name(label, enrich=False) is None, label  # the frame gives the legal type


def test_type_labels_near_a_name_or_frequent_are_checked(tmp_path):
    """A typo of a type's name stays null but says CHECK and which type; a frequent label no
    rule knows says CHECK with the rows it leaves out; « Autre » is left out quietly."""
    path = tmp_path / "export.csv"
    types = (
        ["Une métroploe"] * 4
        + ["Un EPIC (hors métropole)"] * 3
        + ["Interco"] * 30
        + ["Autre"] * 8
        + ["EPCI à fiscalité propre"] * 5
        + ["Syndicat mixte"] * 2
    )
    pd.DataFrame(
        {"Nom de la collectivité": [f"c{i}" for i in range(len(types))], "Type": types}
    ).to_csv(path, index=False)
    text = draft_mapping(path).texts["types.yaml"]
    mapping = yaml.safe_load(text)
    assert mapping["EPCI à fiscalité propre"] == "epci"
    assert all(
        mapping[k] is None
        for k in ("Une métroploe", "Un EPIC (hors métropole)", "Interco", "Autre")
    )
    assert '"Une métroploe": null  # 4 rows; CHECK: perhaps metropole' in text
    assert '"Un EPIC (hors métropole)": null  # 3 rows; CHECK: perhaps epci' in text
    assert (
        '"Interco": null  # 30 rows; CHECK: not a type of the contract: its 30 rows (58 % of '
        "the rows with a type) are left out" in text
    )
    assert '"Autre": null  # 8 rows; not a type of the contract' in text
    assert '"Syndicat mixte": null  # 2 rows; not a type of the contract' in text  # rare


def test_a_codebook_label_spelt_with_oe_is_filled(tmp_path):
    """« Mise en oeuvre » is the codebook's « Mise en œuvre »: filled with its level, not
    left at null (which would read its answers as non-answers)."""
    book = load_codebook()
    label = next(lv for lv in book.levels if "œ" in lv.label_fr)
    path = tmp_path / "export.csv"
    typed = label.label_fr.replace("œ", "oe")
    pd.DataFrame({"resp_1": [label.label_fr, typed], "resp_2": [typed, "Je ne sais pas"]}).to_csv(
        path, index=False
    )
    answers = yaml.safe_load(draft_mapping(path, book).texts["answers.yaml"])
    assert answers[typed] == label.value and answers[label.label_fr] == label.value


def test_answers_non_answers_and_near_labels(tmp_path):
    """The codebook's labels (French or English) are filled; usual non-answers stay null
    without a CHECK; a label near a level's stays null with a CHECK naming that level."""
    path = tmp_path / "export.csv"
    book = load_codebook()
    near = book.levels[2].label_fr[:-3]  # a shortened label: not filled, the level hinted
    pd.DataFrame(
        {
            "Q1": [book.levels[0].label_fr, "Ne sait pas", "Non concerné", near],
            "Q2": [book.levels[3].label_en, "Sans objet", "NSP", "Peut-être"],
        }
    ).to_csv(path, index=False)
    text = draft_mapping(path, book).texts["answers.yaml"]
    answers = yaml.safe_load(text)
    assert answers[book.levels[0].label_fr] == 0 and answers[book.levels[3].label_en] == 3
    assert all(answers[t] is None for t in ("Ne sait pas", "Non concerné", near, "Peut-être"))
    for label in ("Ne sait pas", "Non concerné", "Sans objet", "NSP"):
        assert f'"{label}": null  # 1 answer; a non-answer' in text
    assert f'"{near}": null  # 1 answer; CHECK: not a label of the codebook' in text
    assert "(perhaps level 2)" in text
    check = "CHECK: not a label of the codebook, read as a non-answer"
    assert f'"Peut-être": null  # 1 answer; {check}\n' in text  # near no level: no hint


def test_the_drafted_params_file_is_valid_and_names_the_run(tmp_path):
    from analyse.data.draft_mapping import params_yaml, run_name
    from analyse.params import params_from_mapping

    assert run_name("exports/Baromètre 2025 (final).xlsx") == "barometre-2025-final"
    assert run_name("___.csv") == "survey"
    assert run_name("x" * 300 + ".csv") == "x" * 100
    out = tmp_path / "draft"
    text = params_yaml(draft_mapping(EXPORT, load_codebook()), out)
    params = params_from_mapping(yaml.safe_load(text), check_files=False)
    assert params.name == "export" and params.data.enrich_from_frame
    assert params.survey_path == EXPORT  # inside the project: written relative to its root
    assert params.data.survey == "data/example-export/export.csv"
    assert params.mapping_paths() == {
        "columns": out / "columns.yaml",
        "answer_labels": out / "answers.yaml",
        "type_labels": out / "types.yaml",
    }


def test_missing_values_are_declared_only_where_they_cannot_be_a_label(tmp_path):
    """« NA » among numbers is a missing value; « NC » in a column of text may be a label
    (a party): the parameter file declares the first and leaves the second to a CHECK."""
    from analyse.data.draft_mapping import params_yaml

    path = tmp_path / "r.csv"
    path.write_text("Nom,Population,Parti\nA,12,NC\nB,NA,PS\nC,14,LR\nD,15,NC\n", encoding="utf-8")
    drafted = draft_mapping(path)
    assert drafted.confident_missing == ["NA"]
    raw = yaml.safe_load(params_yaml(drafted, tmp_path))
    assert raw["data"]["missing_values"] == ["NA"]
    assert '# missing_values: ["NC"]  # CHECK' in params_yaml(drafted, tmp_path)


def _drafted_and_validated(monkeypatch, capsys, export, out) -> str:
    assert run_main(monkeypatch, "draft-mapping", export, "--out", out) == 0
    printed = capsys.readouterr().out
    assert f"analyse validate --params {out / 'params.yaml'}" in printed
    assert run_main(monkeypatch, "validate", "--params", out / "params.yaml") == 0
    return capsys.readouterr().out


def _model_rows(out: str) -> int:
    import re

    return int(re.search(r"Respondents in the model: (\d+)", out).group(1))


@pytest.mark.slow
def test_the_example_export_validates_with_no_edit(tmp_path, monkeypatch, capsys):
    """Issue 22: draft-mapping then validate --params, nothing edited: exit 0, >= 50 rows."""
    out = _drafted_and_validated(monkeypatch, capsys, EXPORT, tmp_path / "draft")
    assert _model_rows(out) >= 50, out
    assert "is empty" not in out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 31])
def test_a_fresh_simulated_export_validates_with_no_edit(tmp_path, monkeypatch, capsys, seed):
    export = tmp_path / "x.csv"
    args = ["simulate", "--design", "barometre-2025", "--format", "export", "--seed", seed]
    assert run_main(monkeypatch, *args, "--out", export) == 0
    capsys.readouterr()
    out = _drafted_and_validated(monkeypatch, capsys, export, tmp_path / "draft")
    assert _model_rows(out) >= 50, out


def test_the_params_file_is_never_overwritten_without_force(tmp_path, monkeypatch, capsys):
    out = tmp_path / "draft"
    out.mkdir()
    (out / "params.yaml").write_text("# mine\n", encoding="utf-8")
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 2
    assert f"{out / 'params.yaml'}: already exists: not overwritten" in capsys.readouterr().err
    assert (out / "params.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert not (out / "columns.yaml").exists()  # none written


def test_a_frequent_type_label_without_words_is_checked_not_a_crash(tmp_path):
    """« - » or « ? » for an unknown type, frequent: no word to compare with « Autre »."""
    path = tmp_path / "export.csv"
    types = ["-"] * 10 + ["?"] * 6 + ["Une métropole"] * 20
    pd.DataFrame(
        {"Nom de la collectivité": [f"c{i}" for i in range(len(types))], "Type": types}
    ).to_csv(path, index=False)
    text = draft_mapping(path).texts["types.yaml"]
    assert yaml.safe_load(text)["-"] is None
    assert '"-": null  # 10 rows; CHECK: not a type of the contract' in text
    assert '"?": null  # 6 rows; CHECK: not a type of the contract' in text
