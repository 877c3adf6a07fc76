"""A body answering twice: which rows repeat an earlier one, and by which key.

An export may hold one body on several rows: two services answered, a row repeated by the
export, or a census that repeats a body once per historical party of its head. The model would
count that body several times. A body is recognised by the most reliable key its row gives:
the body of the reference frame it was matched to (``data.enrich_from_frame``), else its SIREN,
else its INSEE code (with its type: a département and a région may share a two-digit
code), else its normalised name with its type and population (communes share names across
départements, and two bodies of one name differ in population). Two rows repeat each other
when they have the same key; a row without any key is never a repeat.

``data.duplicates`` says what a run does with them (``analyse.data.configured``): ``warn``
lists them (``analyse.data.checks``) and keeps them, ``keep_first`` leaves the later rows out
with their reason, ``error`` stops with every group named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyse.data.enrich import name_keys
from analyse.reasons import Reason

# How each key is named in messages, and the reason code of a row left out by it.
KEY_WORDS: dict[str, str] = {
    "frame": "reference-frame body",
    "siren": "SIREN",
    "code_insee": "INSEE code",
    "name": "name, type and population",
}
REASON_CODES: dict[str, str] = {
    "frame": "duplicate_frame",
    "siren": "duplicate_siren",
    "code_insee": "duplicate_insee",
    "name": "duplicate_name",
}


@dataclass(frozen=True)
class Repeats:
    """Groups of rows that are one body: each group's key kind, its shown value, and the
    positions of its rows in table order (first one first)."""

    groups: list[tuple[str, str, list[int]]]

    def later(self) -> dict[int, tuple[str, int]]:
        """Each repeating row's position -> (key kind, position of the group's first row)."""
        return {p: (kind, rows[0]) for kind, _, rows in self.groups for p in rows[1:]}


def _text(survey: pd.DataFrame, column: str) -> pd.Series:
    if column not in survey.columns:
        return pd.Series("", index=survey.index, dtype=object)
    values = survey[column].astype("string").fillna("").str.strip()
    return values.astype(object)


def body_keys(survey: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each row's key kind (``frame``, ``siren``, ``code_insee``, ``name`` or ``""``) and key
    value. ``frame`` is the body of the reference frame the row was matched to
    (``data.enrich_from_frame``): the most reliable key, since it joins rows that name one body
    differently (a SIREN on one row, a name on another)."""
    frame = _text(survey, "frame_body")
    siren = _text(survey, "siren")
    insee = _text(survey, "code_insee")
    kind_type = _text(survey, "collectivity_type")
    names = _text(survey, "name")
    names = names.map({t: name_keys(t)[0] if t else "" for t in names.unique()})  # per text
    population = (
        pd.to_numeric(survey["population"], errors="coerce")
        if "population" in survey.columns
        else pd.Series(np.nan, index=survey.index)
    )
    by_name = (names != "") & (kind_type != "") & population.notna()
    name_value = (
        names
        + " | "
        + kind_type
        + " | "
        + population.map(lambda v: "" if pd.isna(v) else str(int(v)))
    )
    kind = pd.Series(
        np.select(
            [frame != "", siren != "", insee != "", by_name],
            ["frame", "siren", "code_insee", "name"],
            "",
        ),
        index=survey.index,
        dtype=object,
    )
    value = pd.Series(
        np.select(
            [kind == "frame", kind == "siren", kind == "code_insee", kind == "name"],
            [frame, siren, kind_type + " " + insee, name_value],
            "",
        ),
        index=survey.index,
        dtype=object,
    )
    return kind, value


def find_repeats(survey: pd.DataFrame, considered: np.ndarray | None = None) -> Repeats:
    """The groups of rows of one body among the ``considered`` rows (all by default)."""
    kind, value = body_keys(survey)
    mask = (kind != "").to_numpy(copy=True)
    if considered is not None:
        mask = mask & np.asarray(considered, dtype=bool)
    keyed = pd.DataFrame(
        {"kind": kind.to_numpy()[mask], "value": value.to_numpy()[mask]},
        index=np.flatnonzero(mask),
    )
    repeated = keyed[keyed.duplicated(["kind", "value"], keep=False)]
    groups = [
        (str(k), _shown(survey, str(k), positions[0]), [int(p) for p in positions])
        for (k, _), positions in (
            (key, list(group.index)) for key, group in repeated.groupby(["kind", "value"])
        )
    ]
    return Repeats(sorted(groups, key=lambda g: g[2][0]))


def _shown(survey: pd.DataFrame, kind: str, position: int) -> str:
    """The key as a user wrote it: the SIREN, the INSEE code, or the name (type, population)."""
    row = survey.iloc[position]
    if kind == "frame":
        return str(row["frame_body"])
    if kind in ("siren", "code_insee"):
        return str(row[kind]).strip()
    return f"{str(row['name']).strip()!r} ({row['collectivity_type']}, {int(row['population'])})"


def describe(kind: str, shown: str) -> str:
    """``SIREN 200067106``, ``INSEE code 75056``, ``name 'X' (commune, 1200)``."""
    return f"{'name' if kind == 'name' else KEY_WORDS[kind]} {shown}"


def repeat_reason(kind: str, first_row: int) -> Reason:
    """Why a later row of a body is left out: it repeats the body of ``first_row``."""
    return Reason(REASON_CODES[kind], {"row": first_row})
