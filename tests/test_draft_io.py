"""``analyse draft-mapping``'s files and folders: ambiguous headers, text YAML cannot hold raw,
the worksheet drafted, the ``--out`` folder, and the commands it prints (attack review of
issue 22, findings 2, 3, 6, 7 and 11)."""

from __future__ import annotations

import csv
import sys

import pandas as pd
import pytest

from analyse import cli
from analyse.data.draft_mapping import FILES
from analyse.paths import project_root

EXPORT = project_root() / "data" / "example-export" / "export.csv"
TYPE = "Quel est le type de votre structure ?"
NAME = "Nom de votre structure"


def run_main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["analyse", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return exc.value.code or 0


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
