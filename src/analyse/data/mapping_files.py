"""Reading the three mapping files of a run: column names, answer labels and type labels.

A survey export rarely names its columns, answers and collectivity types as the contract does;
a user then writes flat YAML files that map one to the other (``data.columns``,
``data.answer_labels``, ``data.type_labels``). Each is read here with every scalar kept as text,
into a ``MappingFile`` that remembers its file and the line of each key, so that a mistake in a
mapping is reported against the line to fix, wherever the mapping is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyse.errors import InputError, Problem
from analyse.yaml_files import key_lines, read_yaml


class MappingFile(dict):  # type: ignore[type-arg]
    """A mapping read from a YAML file, which remembers the file and the line of each key, so
    that a mistake in it (``populaton:``) is reported against that file and line, not against
    the survey it maps."""

    def __init__(self, items: Mapping[str, Any], source: str, lines: Mapping[str, int]):
        super().__init__(items)
        self.source = source
        self.lines = dict(lines)

    def where(self, key: str) -> str:
        """The file, and the key's line when known: "columns.yaml, line 12"."""
        line = self.lines.get(str(key))
        return self.source if line is None else f"{self.source}, line {line}"


def mapping_where(mapping: Mapping[str, Any] | None, key: str, default: str) -> str:
    """Where a key of a mapping is written: its file and line for a mapping file, else
    ``default`` (an inline mapping of the parameter file)."""
    return mapping.where(key) if isinstance(mapping, MappingFile) else default


def _read_yaml_mapping(path: str | Path, what: str, allow_null: bool = False) -> dict[str, str]:
    """A flat YAML mapping with every scalar kept as text.

    YAML's base loader is used so that labels such as ``No`` or ``Off`` stay text instead of
    becoming booleans, and ``01`` stays ``01``.
    """
    path = Path(path)
    name = str(path)
    expected = f"a YAML file of '{what}' lines"
    raw = read_yaml(path, expected=expected, text_scalars=True)
    if not isinstance(raw, dict) or not raw:
        raise InputError([Problem(file=name, message="not a mapping", expected=expected)])
    if allow_null:
        raw = {k: "" if v is None else v for k, v in raw.items()}
    bad = [k for k, v in raw.items() if not isinstance(v, str) or not str(k).strip()]
    if bad:
        raise InputError(
            [
                Problem(
                    file=name,
                    column=str(k),
                    message="value is not a single name or number",
                    value=str(raw[k]),
                    expected=expected,
                )
                for k in bad
            ]
        )
    return MappingFile({str(k): v for k, v in raw.items()}, name, key_lines(path))


def read_column_mapping(path: str | Path) -> dict[str, str]:
    """A column mapping file: ``canonical_name: name in the file`` per line."""
    return _read_yaml_mapping(path, "contract_column: column name in the file")


_NULLS = ("", "~", "null", "Null", "NULL")  # YAML's spellings of null, read as text here


def read_answer_labels(path: str | Path) -> dict[str, int | None]:
    """An answer-label file: ``label: level`` per line, e.g. ``Oui: 3``, or ``label: null``
    for a non-answer ("Je ne sais pas: null")."""
    raw = _read_yaml_mapping(path, "answer label: level", allow_null=True)
    nulls = {label for label, level in raw.items() if level in _NULLS}
    bad = [
        label
        for label, level in raw.items()
        if label not in nulls and not re.fullmatch(r"\s*[+-]?\d+\s*", level)
    ]
    if bad:
        raise InputError(
            [
                Problem(
                    file=mapping_where(raw, label, str(path)),
                    message=f"answer label {label!r}: level is not a whole number",
                    value=raw[label],
                    expected="a whole number such as 0 or 3, or null for a non-answer",
                )
                for label in bad
            ]
        )
    return MappingFile(
        {label: None if label in nulls else int(level) for label, level in raw.items()},
        str(path),
        getattr(raw, "lines", {}),
    )


def read_type_labels(path: str | Path) -> dict[str, str | None]:
    """A type-label file: ``type as written in the survey: contract type`` per line, e.g.
    ``Une métropole: metropole``, ``Un EPCI (hors métropole): epci``, ``Autre: null``."""
    raw = _read_yaml_mapping(path, "type in the survey: contract type", allow_null=True)
    return MappingFile(
        {label: None if value in _NULLS else value.strip() for label, value in raw.items()},
        str(path),
        getattr(raw, "lines", {}),
    )
