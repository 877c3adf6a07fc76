"""An attacker's audit of published breakdowns, written apart from ``analyse.report.disclosure``
so that the tests do not check the rule with its own code.

A reader who has two breakdowns of the same respondents (n and mean per group) knows the sum of
the index over every shown group, over each table's hidden part (from the total: rows shown
in full elsewhere give it) and over unions of them. Subtracting a union of one table's groups
from a union of the other's that contains it isolates the rest. ``isolated_groups`` tries every
such pair of unions on the respondents themselves (Python sets, brute force) and returns the
sets of fewer than ``min_cell`` respondents it isolates (the whole run excepted).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import pandas as pd


def _blocks(groups: pd.Series, shown: set[object]) -> list[frozenset[object]]:
    """The sets of respondents a reader can add up in one table: each shown group, and the
    hidden groups together."""
    blocks = [frozenset(groups.index[groups == g]) for g in shown]
    rest = frozenset(groups.index[~groups.isin(list(shown))])
    return [b for b in [*blocks, rest] if b]


def _unions(blocks: list[frozenset[object]]) -> list[frozenset[object]]:
    found = []
    for size in range(len(blocks) + 1):
        for chosen in itertools.combinations(blocks, size):
            found.append(frozenset().union(*chosen))
    return found


def isolated_groups(
    first: pd.Series,
    shown_first: set[object],
    second: pd.Series,
    shown_second: set[object],
    min_cell: int,
) -> list[frozenset[object]]:
    """Sets of between 1 and ``min_cell`` - 1 respondents that the difference of a union of one
    table's blocks and a union of the other's, inside it, gives away."""
    everyone = frozenset(first.index)
    a = _unions(_blocks(first, shown_first))
    b = _unions(_blocks(second, shown_second))
    found = set()
    for big, small in [*itertools.product(a, b), *itertools.product(b, a)]:
        if small <= big:
            rest = big - small
            if 0 < len(rest) < min_cell and rest != everyone:
                found.add(rest)
    return sorted(found, key=len)


def audit(
    partitions: Mapping[str, pd.Series], shown: Mapping[str, set[object]], min_cell: int
) -> dict[tuple[str, str], list[frozenset[object]]]:
    """Every pair of published tables (a table with itself too: its hidden part) and what it
    gives away; empty when nothing is."""
    out = {}
    for x, y in itertools.combinations_with_replacement(list(partitions), 2):
        found = isolated_groups(partitions[x], shown[x], partitions[y], shown[y], min_cell)
        if found:
            out[(x, y)] = found
    return out
