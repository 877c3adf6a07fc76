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


def _present(survey: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer codes of a column's stripped texts (-1 for an empty cell) and which cells are
    filled; None without the column. Codes, not a text per row: a census of two million rows
    keeps one copy of each distinct text (``pandas.factorize``)."""
    if column not in survey.columns:
        return None
    values = survey[column]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:  # every cell empty
        return np.full(len(values), -1), np.zeros(len(values), dtype=bool)
    stripped = pd.Index(uniques).astype(str).str.strip()
    blank = np.asarray(stripped == "", dtype=bool)
    # texts equal once stripped share a code
    remap, _ = pd.factorize(stripped)
    out = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    out[(codes >= 0) & blank[np.maximum(codes, 0)]] = -1
    return out, out >= 0


def _name_codes(survey: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """For ``rows``: codes of (normalised name, type, population), -1 where one is missing
    (communes share names across départements, and two bodies of one name differ in
    population). Name keys are computed once per distinct name."""
    if not {"name", "collectivity_type", "population"} <= set(survey.columns) or not rows.any():
        return np.full(len(survey), -1)
    at = np.flatnonzero(rows)
    names = survey["name"].iloc[at]
    distinct = pd.unique(names.dropna())
    keys = {t: name_keys(t)[0] for t in distinct}
    key = names.map(keys).fillna("").to_numpy(dtype=object)
    kind_type = survey["collectivity_type"].iloc[at].astype("string").fillna("").str.strip()
    population = pd.to_numeric(survey["population"].iloc[at], errors="coerce")
    ok = (key != "") & (kind_type != "").to_numpy() & population.notna().to_numpy()
    frame = pd.DataFrame(
        {"k": key[ok], "t": kind_type.to_numpy()[ok], "p": population.to_numpy()[ok]}
    )
    out = np.full(len(survey), -1)
    if len(frame):
        out[at[ok]] = frame.groupby(["k", "t", "p"], sort=False).ngroup().to_numpy()
    return out


def find_repeats(survey: pd.DataFrame, considered: np.ndarray | None = None) -> Repeats:
    """The groups of rows of one body among the ``considered`` rows (all by default).

    Each row's key is the first it gives of: the frame body it was matched to (``frame``, the
    most reliable key: it joins rows that name one body differently), its SIREN, its INSEE
    code with its type, its normalised name with type and population; a row with none is
    never a repeat."""
    n = len(survey)
    open_ = np.ones(n, dtype=bool) if considered is None else np.asarray(considered, dtype=bool)
    open_ = open_.copy()
    groups: list[tuple[str, str, list[int]]] = []
    types = _present(survey, "collectivity_type")
    for kind in ("frame", "siren", "code_insee", "name"):
        if kind == "name":
            codes = _name_codes(survey, open_)
            has = codes >= 0
        else:
            found = _present(survey, "frame_body" if kind == "frame" else kind)
            if found is None:
                continue
            codes, has = found
            if kind == "code_insee" and types is not None:  # a département and a région
                codes = np.where(has, codes * (types[0].max() + 2) + types[0] + 1, -1)
        keyed = has & open_
        open_ &= ~has  # a row is keyed by its first key only
        if not keyed.any():
            continue
        positions = np.flatnonzero(keyed)
        values = codes[positions]
        repeated = pd.Series(values).duplicated(keep=False).to_numpy()
        if not repeated.any():
            continue
        by_value = pd.Series(positions[repeated]).groupby(values[repeated], sort=False)
        groups += [
            (kind, _shown(survey, kind, int(rows.iloc[0])), [int(p) for p in rows])
            for _, rows in by_value
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
