"""``analyse draft-mapping``'s files and folders: ambiguous headers, text YAML cannot hold raw,
the worksheet drafted, the ``--out`` folder, and the commands it prints (attack review of
issue 22, findings 2, 3, 6, 7 and 11)."""

from __future__ import annotations

import csv
import os
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from run_command import run_main

from analyse.data.draft_mapping import FILES
from analyse.paths import project_root

EXPORT = project_root() / "data" / "example-export" / "export.csv"
TYPE = "Quel est le type de votre structure ?"
NAME = "Nom de votre structure"


def example() -> pd.DataFrame:
    """The committed example export, every cell as text."""
    return pd.read_csv(EXPORT, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def write_csv(path, header: list[str], frame: pd.DataFrame) -> None:
    """``frame``'s cells under ``header`` (which may repeat a name), as a survey tool writes."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(frame.itertuples(index=False))


@pytest.mark.parametrize("repeated", [TYPE, NAME, "item"])
def test_a_repeated_guessed_header_exits_2_naming_its_columns(
    tmp_path, monkeypatch, capsys, repeated
):
    frame = example()
    if repeated == "item":
        repeated = frame.columns[9]  # the first item question
    header = [*frame.columns, repeated]
    path = tmp_path / "dup.csv"
    write_csv(path, header, pd.concat([frame, frame[[repeated]]], axis=1))
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", path, "--out", out) == 2
    err = capsys.readouterr().err
    first = f"{chr(ord('A') + list(frame.columns).index(repeated))}"
    assert f"the header has 2 columns named {repeated!r}" in err
    assert f"(spreadsheet columns {first}, AN)" in err
    assert "Traceback" not in err and not out.exists()


def test_a_repeated_header_among_unread_columns_is_drafted(tmp_path, monkeypatch, capsys):
    frame = example()
    header = [*frame.columns, "Horodateur"]  # a column no guess reads
    path = tmp_path / "dup.csv"
    write_csv(path, header, pd.concat([frame, frame[["Horodateur"]]], axis=1))
    assert run_main(monkeypatch, "draft-mapping", path, "--out", tmp_path / "draft") == 0
    assert sorted(p.name for p in (tmp_path / "draft").iterdir()) == sorted(FILES)


# Text a YAML file cannot hold raw: mojibake of « ’ » (C1 controls), DEL, the line and
# paragraph separators and NEL (line breaks to YAML), a byte-order mark, an escape, a tab,
# quotes and backslashes, YAML's own indicators, and a label longer than a simple key.
SPECIAL_LABELS = [
    "Ce n\u00e2\x80\x99est pas fait",
    "Oui\u2028vraiment",
    "Non\u2029jamais",
    "Peut\x85être",
    "Sup\x7fprimé",
    "Tab\tulé",
    "Avec\ufeffBOM",
    "Esc\x1bape",
    'Guillemets " et \\ barre',
    "#dièse: deux-points - tiret",
    "Long " + "x" * 1100,
]


def special_export(path) -> None:
    labels = SPECIAL_LABELS
    rows = len(labels)
    frame = pd.DataFrame(
        {
            "Identifiant": [str(i) for i in range(rows)],
            "Type de collectivité": [labels[(i + 1) % rows] for i in range(rows)],
            "Q1\u2028suite": labels,
            "Q2\x85\x80 fin": [labels[(i + 3) % rows] for i in range(rows)],
        }
    )
    frame.to_parquet(path, index=False)  # a CSV may not hold C0 controls or DEL


def test_drafted_files_read_back_as_the_export_s_exact_text(tmp_path, monkeypatch, capsys):
    from analyse.data.readers import read_raw
    from analyse.yaml_files import read_yaml

    path = tmp_path / "Baro\u2028mètre\n\x85 2025.parquet"  # shown in comments
    special_export(path)
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", path, "--out", out) == 0
    frame = read_raw(path).frame  # the export's text as the package reads it
    header = list(frame.columns)
    columns = yaml.safe_load((out / "columns.yaml").read_text(encoding="utf-8"))
    assert columns["collectivity_type"] == "Type de collectivité"
    assert columns["respondent_id"] == "Identifiant"
    text = (out / "columns.yaml").read_text(encoding="utf-8")
    commented = [line for line in text.splitlines() if line.startswith("# ?: ")]
    assert [yaml.safe_load(line[len("# ?: ") :]) for line in commented] == header[2:]
    answers = yaml.safe_load((out / "answers.yaml").read_text(encoding="utf-8"))
    assert set(answers) == set(frame[header[2]]) | set(frame[header[3]]) == set(SPECIAL_LABELS)
    # as the loader reads a mapping (every scalar text), and with the reading's own checks
    assert set(read_yaml(out / "answers.yaml", text_scalars=True)) == set(SPECIAL_LABELS)
    types = read_yaml(out / "types.yaml", text_scalars=True)
    assert set(types) == set(SPECIAL_LABELS)
    params = yaml.safe_load((out / "params.yaml").read_text(encoding="utf-8"))
    assert params["data"]["survey"] == str(path)
    for name in FILES:  # nothing a YAML reader refuses, no line broken
        raw = (out / name).read_text(encoding="utf-8")
        assert not set(raw) & {"\x7f", "\x80", "\x85", "\u2028", "\u2029", "\ufeff", "\r"}
        read_yaml(out / name)


def test_comment_and_scalar_escapes_keep_one_line():
    from analyse.data.draft_mapping import comment, key, q

    for text in [*SPECIAL_LABELS, "a\nb\r\nc", "\U0001f600 é « » ’"]:
        assert yaml.safe_load(q(text)) == text
        assert yaml.safe_load(f"{key(text)}: 1") == {text: 1}
        assert "\n" not in q(text) and "\n" not in comment(text)
        assert yaml.safe_load(f"a: 1  # {comment(text)}\nb: 2") == {"a": 1, "b": 2}
    assert q("é « ’ »") == '"é « ’ »"'  # readable text stays as it is


def notes_first(path) -> None:
    """A workbook as analysts send them: a notice first, the answers on the second sheet."""
    with pd.ExcelWriter(path) as writer:
        notice = pd.DataFrame({"Notes": ["Export du 3 mars", "Ne pas diffuser"]})
        notice.to_excel(writer, sheet_name="Notice", index=False)
        example().head(12).to_excel(writer, sheet_name="Réponses", index=False)


@pytest.mark.parametrize("chosen", ["Réponses", "1", " réponses "])
def test_sheet_chooses_the_worksheet_and_is_written_as_data_sheet(
    tmp_path, monkeypatch, capsys, chosen
):
    from analyse.params import params_from_mapping

    path = tmp_path / "b.xlsx"
    notes_first(path)
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", path, "--out", out, "--sheet", chosen) == 0
    captured = capsys.readouterr()
    assert "36 of 39 columns guessed" in captured.out
    assert "warning" not in captured.err  # the worksheet was chosen, and has the answers
    raw = yaml.safe_load((out / "params.yaml").read_text(encoding="utf-8"))
    assert raw["data"]["sheet"] == "Réponses"  # by name, whichever way it was chosen
    assert params_from_mapping(raw, check_files=False).data.sheet == "Réponses"


def test_several_worksheets_and_none_chosen_say_which_was_drafted(tmp_path, monkeypatch, capsys):
    path = tmp_path / "b.xlsx"
    notes_first(path)
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", path, "--out", out) == 0
    err = capsys.readouterr().err
    first, few = [line for line in err.splitlines() if line.startswith("warning:")]
    assert "has 2 worksheets (0 'Notice' (3 rows), 1 'Réponses' (13 rows))" in first
    assert "the first, 'Notice', was drafted; choose another with --sheet" in first
    # one column, nothing guessed: the other worksheet is named
    assert "the worksheet 'Notice' gives 1 column and 0 guessed" in few
    assert "another worksheet? 1 'Réponses' (13 rows); draft it with --sheet" in few
    text = (out / "params.yaml").read_text(encoding="utf-8")
    assert "sheet" not in yaml.safe_load(text)["data"]  # the first, as by default
    assert '# sheet: "Notice"  # the first worksheet, drafted; the workbook\'s worksheets: ' in text


def test_a_chosen_worksheet_with_almost_nothing_names_the_others(tmp_path, monkeypatch, capsys):
    path = tmp_path / "b.xlsx"
    notes_first(path)
    args = ["draft-mapping", path, "--out", tmp_path / "draft", "--sheet", "Notice"]
    assert run_main(monkeypatch, *args) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert "the worksheet 'Notice' gives 1 column" in line and "1 'Réponses'" in line
    assert (
        yaml.safe_load((tmp_path / "draft" / "params.yaml").read_text("utf-8"))["data"]["sheet"]
        == "Notice"
    )


def test_a_worksheet_the_workbook_lacks_or_a_sheet_of_a_csv_exits_2(tmp_path, monkeypatch, capsys):
    path = tmp_path / "b.xlsx"
    notes_first(path)
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", path, "--out", out, "--sheet", "Reponse") == 2
    err = capsys.readouterr().err
    assert "no worksheet named 'Reponse'" in err and "0 'Notice'" in err
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out, "--sheet", "0") == 2
    assert "only an .xlsx workbook has worksheets" in capsys.readouterr().err
    assert not out.exists()


def _every_file(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("out", "said"),
    [
        ("a-file", "a-file: is not a folder (--out must be a folder)"),
        ("a-file/sub", "a-file: is not a folder, and {tmp}/a-file/sub is in it"),
        ("draft", "draft/params.yaml: is a folder, not a file: not overwritten"),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_an_out_that_is_no_folder_exits_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, out, said, force
):
    (tmp_path / "a-file").write_text("mine\n", encoding="utf-8")
    (tmp_path / "draft" / "params.yaml").mkdir(parents=True)
    before = _every_file(tmp_path)
    args = ["draft-mapping", EXPORT, "--out", tmp_path / out, *(["--force"] if force else [])]
    assert run_main(monkeypatch, *args) == 2
    err = capsys.readouterr().err
    assert said.format(tmp=tmp_path) in err and "Traceback" not in err
    assert "expected --out: a folder you may write in" in err or "another --out folder" in err
    assert _every_file(tmp_path) == before
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "mine\n"


def test_an_out_that_cannot_be_created_exits_2(tmp_path, monkeypatch, capsys):
    import analyse.data.draft_mapping as module

    real = Path.mkdir

    def refused(self, *args, **kwargs):
        if self.name == "deeper":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(module.Path, "mkdir", refused)
    out = tmp_path / "new" / "deeper"
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 2
    err = capsys.readouterr().err
    assert f"{out}: cannot be created (Permission denied: {out})" in err
    assert _every_file(tmp_path) == []  # "new", created on the way, is removed again


def test_a_write_failing_midway_leaves_no_file_and_no_folder(tmp_path, monkeypatch, capsys):
    """The disk fills up at the third file: none of the four is left, nor the folder made."""
    import builtins

    import analyse.data.draft_mapping as module

    calls = []

    def full_at_third(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(module, "open", full_at_third, raising=False)
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 2
    err = capsys.readouterr().err
    assert f"{out}: the drafted files cannot be written (No space left on device" in err
    assert "none was written" in err and "Traceback" not in err
    assert len(calls) == 3 and _every_file(tmp_path) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes in any folder"
)
def test_a_folder_that_may_not_be_written_in_exits_2(tmp_path, monkeypatch, capsys):
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 2
        assert f"{out}: the drafted files cannot be written" in capsys.readouterr().err
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o755)


def test_forced_files_are_replaced_whole_and_keep_usual_permissions(tmp_path, monkeypatch):
    out = tmp_path / "draft"
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 0
    (out / "answers.yaml").write_text("# edited\n", encoding="utf-8")
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out, "--force") == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no temporary left
    assert (out / "answers.yaml").read_text(encoding="utf-8").startswith("# Answer labels")
    umask = os.umask(0)
    os.umask(umask)
    assert all((out / n).stat().st_mode & 0o777 == 0o666 & ~umask for n in FILES)


def test_simulate_s_next_step_is_shell_quoted(tmp_path, monkeypatch, capsys):
    """A folder with spaces and quotes: the printed command, pasted in a shell, names it."""
    export = tmp_path / "l'été 2025" / "export $(x).csv"
    args = ["simulate", "--format", "export", "--seed", "3", "--out", export]
    assert run_main(monkeypatch, *args) == 0
    printed = capsys.readouterr().out
    (line,) = [x for x in printed.splitlines() if "analyse draft-mapping" in x]
    assert shlex.split(line.split(": ", 1)[1]) == ["analyse", "draft-mapping", str(export)]


def test_draft_mapping_s_next_step_is_shell_quoted(tmp_path, monkeypatch, capsys):
    out = tmp_path / "l'été 2025" / "draft $(x) files"
    assert run_main(monkeypatch, "draft-mapping", EXPORT, "--out", out) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "analyse validate" in x]
    assert shlex.split(line) == ["analyse", "validate", "--params", str(out / "params.yaml")]


@pytest.mark.parametrize("fmt", ["export", "contract"])
@pytest.mark.parametrize("name", ["x.xlsx", "x.parquet", "x"])
def test_simulate_refuses_an_out_that_is_not_csv(tmp_path, monkeypatch, capsys, fmt, name):
    """simulate writes CSV text in either format: a workbook's name would hold CSV."""
    out = tmp_path / name
    assert run_main(monkeypatch, "simulate", "--format", fmt, "--out", out) == 2
    err = capsys.readouterr().err
    assert "--out: simulate writes a CSV file" in err and "a path ending in .csv" in err
    assert list(tmp_path.iterdir()) == []
