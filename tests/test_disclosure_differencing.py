"""Disclosure by differencing (issue 21, item 2).

With two communes and one département among EPCI and ``min_cell: 5``, each small type was shown
as « moins de 5 » and nothing else was hidden; the spending-band table covered all 55
respondents, so Σ n·mean over it minus the same over the type table gave the exact mean of the
3 hidden respondents. Each test here failed before: the hidden part of a table is now 0 or at
least ``min_cell`` respondents, and no two breakdowns of the same respondents give a smaller
group away (``analyse.report.disclosure``); tables, figures and ``results.json`` agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from disclosure_audit import audit

from analyse.report import descriptive_figures, disclosure, i18n, tables
from analyse.report.gradient import mean_by_type
from analyse.report.groups import type_label, with_groups
from analyse.stats.regression import OUTCOME

MIN_CELL = 5


@pytest.fixture(autouse=True)
def _default_language():
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


def issue_survey(seed: int = 21) -> pd.DataFrame:
    """55 respondents with an index and a spending figure: 2 communes, 1 département, and EPCI
    (CC 20, CA 17, CU 15)."""
    rng = np.random.default_rng(seed)
    types = ["commune"] * 2 + ["departement"] + ["CC"] * 20 + ["CA"] * 17 + ["CU"] * 15
    n = len(types)
    population = np.where(
        np.isin(types, ["commune"]), rng.integers(4_000, 9_000, n), rng.integers(30_000, 400_000, n)
    )
    return pd.DataFrame(
        {
            "collectivity_type": types,
            "population": np.where(np.array(types) == "departement", 600_000, population),
            "budget_per_capita": rng.uniform(400, 1_500, n),
            "elected_digital_lead": rng.integers(0, 2, n),
            "strategy_adopted": rng.integers(0, 2, n),
            OUTCOME: rng.uniform(0, 100, n).round(1),
        }
    )


def published(scored: pd.DataFrame, by: str) -> tuple[pd.DataFrame, pd.Series, set[object]]:
    """The table ``describe_by`` publishes, each respondent's group, the groups shown."""
    table = tables.describe_by(scored, by, MIN_CELL, digits=None)
    groups = disclosure.breakdown_groups(scored, by).astype("object")
    shown = {g for g in table.index if isinstance(table.loc[g, "n"], (int, np.integer))}
    return table, groups, shown


def test_the_issue_case_hides_at_least_min_cell_and_gives_no_mean_away():
    i18n.use("fr")
    scored = with_groups(issue_survey())
    total = scored[OUTCOME].sum()
    by_type, groups, shown = published(scored, "type_label")
    hidden = groups[~groups.isin(list(shown))]
    assert len(hidden) == 0 or len(hidden) >= MIN_CELL  # was 3: two communes and a département
    # the attack of the issue: the spending bands show everyone, so the hidden sum is known
    by_budget, _, shown_budget = published(scored, "budget_band")
    assert shown_budget == set(by_budget.index)  # nothing needs hiding there
    sums = {
        name: sum(float(t.loc[g, "n"]) * float(t.loc[g, "mean"]) for g in s)
        for name, (t, s) in {"type": (by_type, shown), "budget": (by_budget, shown_budget)}.items()
    }
    assert sums["budget"] == pytest.approx(total)
    recovered_n = len(scored) - sum(int(by_type.loc[g, "n"]) for g in shown)
    assert recovered_n >= MIN_CELL  # the difference is the mean of at least min_cell
    assert recovered_n == len(hidden)


def test_no_two_published_breakdowns_of_the_issue_case_give_a_small_group_away():
    scored = with_groups(issue_survey())
    found = {by: published(scored, by) for by in disclosure.BREAKDOWNS}
    partitions = {by: groups for by, (_, groups, _) in found.items()}
    shown = {by: s for by, (_, _, s) in found.items()}
    assert audit(partitions, shown, MIN_CELL) == {}


def test_one_table_hides_groups_until_the_hidden_part_reaches_min_cell():
    counts = pd.Series({"a": 1, "b": 2, "c": 8, "d": 20, "e": 30})
    hidden = disclosure.suppressed_groups(counts, MIN_CELL)
    assert list(hidden.index[hidden]) == ["a", "b", "c"]  # before: a and b only (3 < 5)
    # one small group: the next smallest as before; none: nothing
    assert list(disclosure.suppressed_groups(pd.Series({"a": 4, "b": 9, "c": 9}), 5)) == [
        True,
        True,
        False,
    ]
    assert not disclosure.suppressed_groups(pd.Series({"a": 5, "b": 6}), 5).any()
    # exactly min_cell hidden is enough
    assert list(disclosure.suppressed_groups(pd.Series({"a": 2, "b": 3, "c": 9}), 5)) == [
        True,
        True,
        False,
    ]


def test_a_band_nested_in_a_type_cannot_be_subtracted_from_it():
    """Every respondent of band « x » is a CC and CC has 2 more: the CC row minus the x band
    gives the mean of those 2, although no group is under min_cell."""
    index = pd.RangeIndex(40)
    types = pd.Series(["CC"] * 12 + ["CA"] * 28, index=index)
    bands = pd.Series(["x"] * 10 + ["y"] * 30, index=index)
    partitions = {"type": types, "band": bands}
    everything = {name: set(p) for name, p in partitions.items()}
    assert audit(partitions, everything, MIN_CELL)  # the set-up: shown in full, 2 given away
    hidden = disclosure.linked_suppression(partitions, MIN_CELL)
    shown = {name: set(h.index[~h]) for name, h in hidden.items()}
    assert audit(partitions, shown, MIN_CELL) == {}
    assert shown != everything


def test_hidden_parts_that_hold_one_another_are_not_subtracted():
    """The type table hides 6, the band table 8 of which those 6: the difference is 2."""
    index = pd.RangeIndex(60)
    types = pd.Series(["t1"] * 3 + ["t2"] * 3 + ["t3"] * 24 + ["t4"] * 30, index=index)
    bands = pd.Series(["b1"] * 8 + ["b2"] * 22 + ["b3"] * 30, index=index)
    # per table: t1 and t2 hidden (6); b1 is 8, shown; hide it by hand, as a larger min_cell on
    # bands would, to set up the nesting
    shown = {"type": {"t3", "t4"}, "band": {"b2", "b3"}}
    assert audit({"type": types, "band": bands}, shown, MIN_CELL)  # 2 given away
    hidden = disclosure.linked_suppression({"type": types, "band": bands}, MIN_CELL)
    found = {name: set(h.index[~h]) for name, h in hidden.items()}
    assert audit({"type": types, "band": bands}, found, MIN_CELL) == {}


def test_figures_and_results_json_hide_what_the_type_table_hides():
    i18n.use("fr")
    scored = issue_survey()
    groups = with_groups(scored)
    table, _, shown = published(groups, "type_label")
    in_json = {type_label(row["type"]) for row in mean_by_type(scored, MIN_CELL)}
    assert in_json <= shown  # before: CA, CC and CU with the 3 hidden as the only ones missing
    found = descriptive_figures._groups(groups, "type_label", MIN_CELL)
    assert not isinstance(found, str)
    drawn = {g for g in found.order if not found.hidden(g)}
    assert drawn <= shown
    scatter = descriptive_figures._budget_scatter(scored, MIN_CELL)
    assert set(scatter.data["type_label"].astype(str)) <= shown


def test_the_hidden_groups_do_not_depend_on_which_table_asks():
    scored = with_groups(issue_survey(seed=4))
    partitions = {by: disclosure.breakdown_groups(scored, by) for by in disclosure.BREAKDOWNS}
    together = disclosure.linked_suppression(partitions, MIN_CELL)
    for by in disclosure.BREAKDOWNS:
        alone = disclosure.breakdown_suppression(scored, by, MIN_CELL)
        assert alone.equals(together[by])
