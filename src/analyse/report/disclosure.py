"""Statistical disclosure control: which groups a published table may not show.

A group of fewer than ``min_cell`` respondents is never shown. When exactly one group is
hidden, the next smallest is hidden too: otherwise the hidden group's count and mean could be
recovered from the total and the other groups (complementary suppression).

What a report says instead of a hidden group's numbers is in the report's language
(``analyse.report.i18n``, catalogue ``groups.yaml``).
"""

from __future__ import annotations

import pandas as pd

from analyse.report import i18n


def suppressed_groups(counts: pd.Series, min_cell: int) -> pd.Series:
    """Which groups to suppress: those below ``min_cell`` and, when only one group is, the next
    smallest one too (so that the total does not give the hidden group away)."""
    hidden = counts < min_cell
    shown = counts[~hidden & (counts > 0)]
    if int((hidden & (counts > 0)).sum()) == 1 and len(shown) > 1:
        hidden[shown.idxmin()] = True
    return hidden


def protecting(m: i18n.Messages | None = None) -> str:
    """What a report says of a group large enough to show but hidden so that the total does
    not give a smaller one away ("hidden to protect a smaller group")."""
    return (m or i18n.current())("groups.protecting")


def too_few(min_cell: int, m: i18n.Messages | None = None) -> str:
    """What a report says of a group hidden for its own size, with the run's true threshold."""
    m = m or i18n.current()
    return m("groups.too_few", min_cell=m.integer(min_cell))


def suppression_labels(
    counts: pd.Series, min_cell: int, m: i18n.Messages | None = None
) -> pd.Series:
    """What a report says instead of each hidden group's count, in the report's language:
    "fewer than {min_cell}" (the run's own threshold, ``too_few``) for a group too small to
    show, ``protecting()`` for a group large enough but hidden so that the total does not give
    a smaller one away (a reader should not think it small); "" for shown groups."""
    hidden = suppressed_groups(counts, min_cell)
    small = (counts < min_cell) & (counts > 0)
    labels = pd.Series("", index=counts.index, dtype="object")
    labels[hidden & small] = too_few(min_cell, m)
    labels[hidden & ~small] = protecting(m)
    return labels
