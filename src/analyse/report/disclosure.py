"""Statistical disclosure control: which groups a published table may not show.

The rule. A published breakdown (n and mean of the maturity index per group) never lets a
reader work out the mean of fewer than ``min_cell`` respondents, alone or beside any other
breakdown published over the same respondents:

1. **Primary suppression.** A group of fewer than ``min_cell`` respondents is not shown ("fewer
   than {min_cell}").
2. **The hidden part of a table is 0 or at least ``min_cell`` respondents.** A reader knows the
   number of respondents and the sum of their index (any breakdown shown in full gives both,
   and so does an overall mean with its n), so from the groups shown he has the count and the
   mean of everything hidden. Two communes and one département hidden as « moins de 5 » beside
   a spending-band table that shows all 55 respondents gave away the exact mean of those 3
   (issue 21). So while the hidden groups hold together fewer than ``min_cell`` respondents,
   the smallest group shown is hidden too ("hidden to protect a smaller group": secondary, or
   complementary, suppression, as τ-ARGUS and sdcTable do).
3. **Any two breakdowns over the same respondents.** Beside table A, table B adds the sums of
   its own groups; subtracting some groups of B from some groups of A that contain them (a
   size band that holds only communes from the communes, A's hidden part from B's when one
   holds the other) isolates the rest. ``linked_suppression`` looks, for every pair of
   breakdowns, for rows R of A and columns C of B whose respondents all lie in R such that
   R minus C holds between 1 and ``min_cell`` - 1 respondents (the hidden groups of a table
   count as one row, since only their sum is known), and hides the smallest group involved
   until no pair gives such a difference away. These differences of unions are the 0/1
   combinations of two partitions' sums that a reader can form (a vector ``x_i + y_j`` of
   row and column weights that is 0 or 1 on every non-empty cell); combinations of three
   tables or more are not searched.

``breakdown_suppression`` applies the rule to the breakdowns notebook 2 publishes
(``analyse.report.groups.GROUP_SOURCES``: size band, type, spending band, sponsorship, each
with its « Non renseigné » group), so that the tables (``analyse.report.tables.describe_by``),
the box plots and scatter (``analyse.report.descriptive_figures``) and the mean per type of
``results.json`` (``analyse.report.gradient``) hide the same groups.

What a report says instead of a hidden group's numbers is in the report's language
(``analyse.report.i18n``, catalogue ``groups.yaml``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analyse.report import i18n
from analyse.report.groups import GROUP_SOURCES, unavailable, with_groups
from analyse.stats.regression import OUTCOME

# The breakdowns published over the same respondents (those with a maturity index).
BREAKDOWNS: tuple[str, ...] = tuple(GROUP_SOURCES)
_HIDDEN = object()  # the one row that a table's hidden groups form for a reader
# Beyond this many rows a side is not enumerated (2**rows subsets): no report groups so finely.
_MAX_AUDITED_ROWS = 16


def suppressed_groups(counts: pd.Series, min_cell: int) -> pd.Series:
    """Which groups of one table to suppress: those below ``min_cell`` and, while the groups
    hidden hold together fewer than ``min_cell`` respondents, the smallest group shown too (so
    that the total does not give the hidden ones away): rules 1 and 2 of the module."""
    hidden = (counts < min_cell) & (counts > 0)
    return _complete(counts, hidden, min_cell)


def _complete(counts: pd.Series, hidden: pd.Series, min_cell: int) -> pd.Series:
    """``hidden`` with the smallest shown groups added until the hidden part is 0 or at least
    ``min_cell`` respondents (or everything is hidden)."""
    hidden = hidden.copy() & (counts > 0)
    while 0 < int(counts[hidden].sum()) < min_cell:
        shown = counts[~hidden & (counts > 0)]
        if shown.empty:
            break
        hidden[_smallest(shown)] = True
    return hidden


def _smallest(counts: pd.Series) -> object:
    """The smallest group, the first in the table's order among equals (deterministic)."""
    return counts.index[int(np.argmin(counts.to_numpy()))]


def disclosing_difference(
    rows: pd.Series,
    hidden_rows: set[object],
    columns: pd.Series,
    hidden_columns: set[object],
    min_cell: int,
) -> tuple[list[object], list[object], int] | None:
    """A difference between two breakdowns of the same respondents that isolates fewer than
    ``min_cell`` of them, as ``(groups of rows, groups of columns, respondents)``, or None.

    ``rows`` and ``columns`` give each respondent's group in table A and table B (same index);
    the hidden groups of each table count as one group (``_HIDDEN`` in the answer), whose sum a
    reader has from the total. A witness means: the respondents of the row groups, minus those
    of the column groups (which all lie within them), are between 1 and ``min_cell`` - 1; the
    roles of A and B are tried both ways.
    """
    a = rows.astype("object").where(~rows.isin(list(hidden_rows)), _HIDDEN)
    b = columns.astype("object").where(~columns.isin(list(hidden_columns)), _HIDDEN)
    a_codes, a_groups = pd.factorize(a, sort=False)
    b_codes, b_groups = pd.factorize(b, sort=False)
    cells = np.zeros((len(a_groups), len(b_groups)), dtype=np.int64)
    np.add.at(cells, (a_codes, b_codes), 1)
    for matrix, first, second in ((cells, a_groups, b_groups), (cells.T, b_groups, a_groups)):
        found = _rows_minus_columns(matrix, min_cell)
        if found is not None:
            r, c, size = found
            picked = ([first[i] for i in r], [second[j] for j in c], size)
            if matrix is cells:
                return picked
            return picked[1], picked[0], size  # always as (A's groups, B's groups)
    return None


def _rows_minus_columns(
    cells: np.ndarray, min_cell: int
) -> tuple[list[int], list[int], int] | None:
    """Rows R and columns C, every respondent of C in R, with 0 < n(R) - n(C) < min_cell.

    The respondents of all rows less no column are everyone: the total of the run (a run of
    fewer than ``min_cell`` respondents hides every group), not a group a table gives away."""
    n_rows = cells.shape[0]
    if n_rows > _MAX_AUDITED_ROWS:
        raise ValueError(f"{n_rows} groups: too many to audit for disclosure by differencing")
    row_n = cells.sum(axis=1)
    col_n = cells.sum(axis=0)
    # the rows each column's respondents lie in, as a bit mask
    col_rows = [sum(1 << i for i in np.flatnonzero(cells[:, j])) for j in range(cells.shape[1])]
    everyone = int(row_n.sum())
    window = (1 << (min_cell - 1)) - 1  # sums s with total - min_cell < s < total
    for mask in range(1, 1 << n_rows):
        in_r = [i for i in range(n_rows) if mask >> i & 1]
        total = int(row_n[in_r].sum())
        if total == 0:
            continue
        inside = [j for j, rows in enumerate(col_rows) if rows and rows & ~mask == 0]
        sums = 1  # bit s set: some columns inside hold s respondents together
        for j in inside:
            sums |= sums << int(col_n[j])
        low = total - min_cell + 1
        near = (sums >> low if low >= 0 else sums << -low) & window
        if near and total - (low + near.bit_length() - 1) == everyone:
            near &= ~(1 << (near.bit_length() - 1))  # everyone: the total, not a group
        if near:
            target = low + near.bit_length() - 1  # the largest such sum
            return in_r, _columns_summing(inside, col_n, target), total - target
    return None


def _columns_summing(inside: list[int], col_n: np.ndarray, target: int) -> list[int]:
    """Columns among ``inside`` whose counts add up to ``target`` (one is known to exist)."""
    ways: dict[int, list[int]] = {0: []}
    for j in inside:
        for s, chosen in list(ways.items()):
            if s + int(col_n[j]) <= target:
                ways.setdefault(s + int(col_n[j]), [*chosen, j])
    return ways[target]


def linked_suppression(partitions: Mapping[str, pd.Series], min_cell: int) -> dict[str, pd.Series]:
    """Which groups of each breakdown to suppress so that no table, and no two of them, give
    away fewer than ``min_cell`` respondents (rules 1 to 3 of the module).

    ``partitions`` maps each table's name to its respondents' groups (one Series per table,
    all over the same respondents). The answer maps each name to a boolean Series over its
    groups (those with respondents, in the order the Series' categories or first appearance
    give), True for a hidden group. Each round finds a pair of tables and a difference that
    gives respondents away, and hides one more group of the pair (``_hide_one_more``); rounds
    stop when no pair discloses anything, which they must: every round hides one more group.
    """
    counts = {name: _counts(groups) for name, groups in partitions.items()}
    hidden = {name: suppressed_groups(n, min_cell) for name, n in counts.items()}
    while True:
        for names in itertools.combinations(partitions, 2):
            found = _pair_witness(partitions, names, hidden, min_cell)
            if found is not None:
                _hide_one_more(found, names, partitions, counts, hidden, min_cell)
                break
        else:
            return hidden


def _hide_one_more(
    found: tuple[list[object], list[object], int],
    names: tuple[str, str],
    partitions: Mapping[str, pd.Series],
    counts: dict[str, pd.Series],
    hidden: dict[str, pd.Series],
    min_cell: int,
) -> None:
    """Hide one more group of the two tables a disclosing difference ``found`` comes from,
    then complete that table (rule 2).

    The group is the smallest shown one whose hiding leaves the pair disclosing nothing; else
    the smallest whose hiding changes the respondents given away (hiding a row that the
    difference already takes whole, with the hidden ones, would change nothing); else the
    smallest shown. Ties go to the first table, then to the table's order."""
    first, second = names
    given_away = _respondents(found, partitions[first], partitions[second], hidden, names)
    candidates = sorted(
        (int(counts[name][group]), position, order, name, group)
        for position, name in enumerate(names)
        for order, group in enumerate(counts[name].index)
        if not hidden[name][group]
    )
    if not candidates:  # nothing shown: nothing can be given away, so no witness either
        raise AssertionError(f"a disclosing difference with nothing shown: {found}")
    changing = None
    for _, _, _, name, group in candidates:
        trial = dict(hidden)
        more = hidden[name].copy()
        more[group] = True
        trial[name] = _complete(counts[name], more, min_cell)
        witness = _pair_witness(partitions, names, trial, min_cell)
        if witness is None:
            hidden[name] = trial[name]
            return
        if changing is None and (
            _respondents(witness, partitions[first], partitions[second], trial, names) != given_away
        ):
            changing = (name, trial[name])
    name, chosen = changing or (candidates[0][3], None)
    if chosen is None:
        more = hidden[name].copy()
        more[candidates[0][4]] = True
        chosen = _complete(counts[name], more, min_cell)
    hidden[name] = chosen


def _pair_witness(
    partitions: Mapping[str, pd.Series],
    names: tuple[str, str],
    hidden: Mapping[str, pd.Series],
    min_cell: int,
) -> tuple[list[object], list[object], int] | None:
    """``disclosing_difference`` for two of the tables, with their hidden groups."""
    first, second = names
    return disclosing_difference(
        partitions[first],
        set(hidden[first].index[hidden[first]]),
        partitions[second],
        set(hidden[second].index[hidden[second]]),
        min_cell,
    )


def _respondents(
    found: tuple[list[object], list[object], int],
    rows: pd.Series,
    columns: pd.Series,
    hidden: Mapping[str, pd.Series],
    names: tuple[str, str],
) -> frozenset[object]:
    """The respondents a witness gives away: in its groups of rows, not in its columns."""

    def members(groups: pd.Series, chosen: list[object], name: str) -> pd.Series:
        hide = set(hidden[name].index[hidden[name]])
        picked = {g for g in chosen if g is not _HIDDEN}
        if any(g is _HIDDEN for g in chosen):
            picked |= hide
        return groups.isin(list(picked))

    inside = members(rows, found[0], names[0]) & ~members(columns, found[1], names[1])
    return frozenset(rows.index[inside.to_numpy()])


def _counts(groups: pd.Series) -> pd.Series:
    """Respondents per group, groups with none left out, in the grouping's own order."""
    if isinstance(groups.dtype, pd.CategoricalDtype):
        found = groups.value_counts(sort=False)
    else:
        found = groups.astype("object").value_counts(sort=False)
    return found[found > 0].astype("int64")


def breakdown_groups(scored: pd.DataFrame, by: str) -> pd.Series:
    """Each respondent's group in the breakdown ``by`` as a published table forms it: only the
    respondents with a maturity index, a missing value in a group of its own
    (``groups.missing``: « Non renseigné »). ``by`` is a column of ``scored`` or a grouping of
    ``analyse.report.groups.with_groups``."""
    data = scored if by in scored.columns else with_groups(scored)
    if by not in data.columns:
        raise KeyError(f"no column {by!r}; available: {list(scored.columns)}")
    groups = data.loc[data[OUTCOME].notna(), by]
    missing = i18n.current()("groups.missing")
    if isinstance(groups.dtype, pd.CategoricalDtype):
        if groups.isna().any():
            groups = groups.cat.add_categories([missing]).fillna(missing)
        return groups
    return groups.astype("object").where(groups.notna(), missing)


def breakdown_suppression(scored: pd.DataFrame, by: str, min_cell: int) -> pd.Series:
    """The groups of the breakdown ``by`` to hide (True) so that, beside the other breakdowns
    a report publishes over the same respondents (``BREAKDOWNS`` that ``scored`` can form),
    no table and no two tables give away fewer than ``min_cell`` respondents."""
    # one order whatever ``by``: every table and figure of a run then hides the same groups
    names = [*BREAKDOWNS, *([] if by in BREAKDOWNS else [by])]
    grouped: dict[str, pd.Series] = {}
    formed: pd.DataFrame | None = None
    for name in names:
        if name not in scored.columns:
            if unavailable(scored, name) or name not in GROUP_SOURCES:
                if name == by:
                    raise KeyError(f"no column {by!r}; available: {list(scored.columns)}")
                continue
            formed = with_groups(scored) if formed is None else formed
            if name not in formed.columns:
                continue
            grouped[name] = breakdown_groups(formed, name)
        else:
            grouped[name] = breakdown_groups(scored, name)
    return linked_suppression(grouped, min_cell)[by]


def protecting(m: i18n.Messages | None = None) -> str:
    """What a report says of a group large enough to show but hidden so that the total does
    not give a smaller one away ("hidden to protect a smaller group")."""
    return (m or i18n.current())("groups.protecting")


def too_few(min_cell: int, m: i18n.Messages | None = None) -> str:
    """What a report says of a group hidden for its own size, with the run's true threshold."""
    m = m or i18n.current()
    return m("groups.too_few", min_cell=m.integer(min_cell))


def suppression_labels(
    counts: pd.Series,
    min_cell: int,
    m: i18n.Messages | None = None,
    hidden: pd.Series | None = None,
) -> pd.Series:
    """What a report says instead of each hidden group's count, in the report's language:
    "fewer than {min_cell}" (the run's own threshold, ``too_few``) for a group too small to
    show, ``protecting()`` for a group large enough but hidden so that the total, or another
    table, does not give a smaller one away (a reader should not think it small); "" for shown
    groups. ``hidden`` (True for a hidden group) defaults to ``suppressed_groups``; a group it
    leaves shown that is under ``min_cell`` is hidden all the same."""
    found = suppressed_groups(counts, min_cell)
    if hidden is not None:
        found = _complete(counts, found | hidden.reindex(counts.index, fill_value=False), min_cell)
    small = (counts < min_cell) & (counts > 0)
    labels = pd.Series("", index=counts.index, dtype="object")
    labels[found & small] = too_few(min_cell, m)
    labels[found & ~small] = protecting(m)
    return labels
