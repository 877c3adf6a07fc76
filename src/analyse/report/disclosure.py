"""Statistical disclosure control: which groups a published table may not show.

A group of fewer than ``min_cell`` respondents is never shown. When exactly one group is
hidden, the next smallest is hidden too: otherwise the hidden group's count and mean could be
recovered from the total and the other groups (complementary suppression).
"""

from __future__ import annotations

import pandas as pd


def suppressed_groups(counts: pd.Series, min_cell: int) -> pd.Series:
    """Which groups to suppress: those below ``min_cell`` and, when only one group is, the next
    smallest one too (so that the total does not give the hidden group away)."""
    hidden = counts < min_cell
    shown = counts[~hidden & (counts > 0)]
    if int((hidden & (counts > 0)).sum()) == 1 and len(shown) > 1:
        hidden[shown.idxmin()] = True
    return hidden


PROTECTING = "hidden to protect a smaller group"


def too_few(min_cell: int) -> str:
    """What a report says of a group hidden for its own size, with the run's true threshold."""
    return f"fewer than {min_cell}"


def suppression_labels(counts: pd.Series, min_cell: int) -> pd.Series:
    """What a report says instead of each hidden group's count: "fewer than {min_cell}" (the
    run's own threshold, ``too_few``) for a group too small to show, ``PROTECTING`` for a group
    large enough but hidden so that the total does not give a smaller one away (a reader should
    not think it small); "" for shown groups."""
    hidden = suppressed_groups(counts, min_cell)
    small = (counts < min_cell) & (counts > 0)
    labels = pd.Series("", index=counts.index, dtype="object")
    labels[hidden & small] = too_few(min_cell)
    labels[hidden & ~small] = PROTECTING
    return labels
