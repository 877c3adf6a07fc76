"""The raw gradient of maturity across types of collectivity, as results.json publishes it.

The first thing a reader of the barometer sees is that larger kinds of collectivity are more
mature (communities of communes far behind métropoles). The key findings
(``analyse.report.findings``) start from that gap before saying whether it survives once the
means are held equal, so the mean index per type enters ``results.json`` (``descriptives``),
under the same disclosure rule as every table: no type with fewer than ``min_cell``
respondents, and none hidden to protect a smaller one, in this list or in the type table
beside the other breakdowns (``analyse.report.disclosure``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyse.data.contract import COLLECTIVITY_TYPES
from analyse.report.disclosure import breakdown_suppression, suppressed_groups
from analyse.report.groups import type_label
from analyse.stats.regression import OUTCOME


def mean_by_type(scored: pd.DataFrame, min_cell: int) -> list[dict[str, Any]]:
    """``[{"type", "n", "mean"}]`` for the types that may be shown, smallest kind first."""
    if "collectivity_type" not in scored.columns or OUTCOME not in scored.columns:
        return []
    rated = scored.loc[scored[OUTCOME].notna(), ["collectivity_type", OUTCOME]]
    types = rated["collectivity_type"].astype("object")
    grouped = rated[OUTCOME].astype("float64").groupby(types)
    counts, means = grouped.size(), grouped.mean()
    hidden = suppressed_groups(counts, min_cell)
    # and every type the type table hides beside the other breakdowns (disclosure, rule 3)
    linked = breakdown_suppression(scored, "type_label", min_cell)
    for kind in counts.index:
        if bool(linked.get(type_label(str(kind)), False)):
            hidden[kind] = True
    return [
        {"type": str(kind), "n": int(counts[kind]), "mean": float(means[kind])}
        for kind in COLLECTIVITY_TYPES
        if kind in counts.index and not hidden[kind]
    ]


def types_present(scored: pd.DataFrame) -> list[str]:
    """The contract types of the rows with an index, in the contract's order: what the run
    covers (« Champ »), said without counts, so a type too rare to show is still named."""
    if "collectivity_type" not in scored.columns or OUTCOME not in scored.columns:
        return []
    found = set(scored.loc[scored[OUTCOME].notna(), "collectivity_type"].dropna().astype(str))
    return [kind for kind in COLLECTIVITY_TYPES if kind in found]
