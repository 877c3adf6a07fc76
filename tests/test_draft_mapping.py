"""``analyse draft-mapping EXPORT``: starter mapping files listing every column, every text
answer and every type value, with guesses a user checks, never overwriting without --force."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from analyse import cli
from analyse.data.codebook import load_codebook
from analyse.data.draft_mapping import FILES, draft_mapping, guess_columns, words
from analyse.paths import project_root

EXPORT = project_root() / "data" / "example-export" / "export.csv"


def run_main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["analyse", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


def test_words_fold_accents_case_and_punctuation():
    assert words("Nb. d’élu(e)s ÉTP") == "nb d elu e s etp"


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
    assert '"Je ne sais pas": null  # 66 answers' in draft.texts["answers.yaml"]
    types = draft.texts["types.yaml"]
    assert yaml.safe_load(types) == {"Un EPCI (hors métropole)": None, "Une métropole": None,
                                     "Autre": None}  # fmt: skip
    assert '"Un EPCI (hors métropole)": null  # 39 rows; perhaps epci' in types
    assert '"Une métropole": null  # 17 rows; perhaps metropole' in types


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
    assert '"Oui": null  # 4 answers' in answers and '"Non": null  # 2 answers' in answers
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
        "EPCI": None,  # needs the reference frame: the analyst decides
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
