"""The review's harness (issue 21): publish the breakdown tables with random group labels from
a hostile alphabet and check what a reader downloads and what he can work out from it.

Seeded random examples (property-style, without a new dependency): each draws a survey of 12
to 60 respondents whose four breakdowns (size band, type, spending band, sponsorship) have 2
to 4 groups of uneven sizes, labelled with strings of ``= + - @ < > & " ' \\t \\r`` and a
right-to-left override, some values missing (a « Non renseigné » group) and an index that
can be negative; publishes each breakdown as notebook 2 does (``readable.describe_by``, CSV
and XLSX); and checks:

- no XLSX cell is a formula, and no CSV or XLSX text cell starts a formula (``= + @``, or
  ``-`` followed by anything but a digit) unquoted; numbers stay numbers in the XLSX;
- the HTML of each table holds no tag but the table's own;
- the published counts and means are those of the data (the audit reads what is published);
- no group of fewer than ``min_cell`` respondents is recoverable by differencing: within a
  table (the hidden part from the total) or between any two tables over the same rows
  (``disclosure_audit``, brute force on the respondents, apart from the package's code), and,
  as the issue puts it, Σ n·mean over the shown cells of two tables whose hidden parts hold one
  another differs by 0 or at least ``min_cell`` respondents.

Before issue 21 the first example failed on the formulas and most on differencing.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from disclosure_audit import audit

from analyse.report import disclosure, i18n, readable
from analyse.report.escape import one_line, spreadsheet_text
from analyse.stats.regression import OUTCOME

HOSTILE = ["=", "+", "-", "@", "<", ">", "&", '"', "'", "\t", "\r", "\u202e", "a", "1"]
EXAMPLES = 12
TAGS = {"div", "table", "caption", "thead", "tbody", "tr", "th", "td", "p", "a", "span"}


@pytest.fixture(autouse=True)
def _default_language():
    yield
    i18n.use(i18n.DEFAULT_LANGUAGE)


def _labels(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` labels of hostile characters, distinct as a reader sees them (on one line)."""
    found: dict[str, str] = {}
    while len(found) < count:
        text = "".join(rng.choice(HOSTILE, size=int(rng.integers(1, 7))))
        if not text.strip():  # a blank label is "missing", not a group
            continue
        found.setdefault(one_line(text).strip(), text)
    return list(found.values())


def hostile_survey(seed: int) -> tuple[pd.DataFrame, int]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 61))
    frame = pd.DataFrame({OUTCOME: rng.normal(10, 40, n).round(2)})
    for by in disclosure.BREAKDOWNS:
        labels = _labels(rng, int(rng.integers(2, 5)))
        shares = rng.dirichlet(np.full(len(labels), 0.7))
        values = pd.Series(rng.choice(labels, size=n, p=shares), dtype="object")
        if rng.random() < 0.3:
            values[rng.random(n) < 0.1] = None  # « Non renseigné »
        frame[by] = values
    return frame, int(rng.integers(3, 7))


def _live(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as the start of a formula."""
    if text[:1] in {"\t", "\r", "\n"}:
        return True
    visible = text.lstrip(" \u202e\u200b\ufeff")
    return visible[:1] in {"=", "+", "@"} or (visible[:1] == "-" and not visible[1:2].isdigit())


def _number(cell: str, decimal: str) -> float | None:
    try:
        return float(cell.replace(decimal, ".")) if cell else None
    except ValueError:
        return None


@pytest.mark.parametrize("seed", range(EXAMPLES))
def test_hostile_labels_publish_no_formula_and_no_recoverable_small_group(tmp_path, seed):
    lang = ("fr", "en")[seed % 2]
    i18n.use(lang)
    frame, min_cell = hostile_survey(seed)
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    partitions, shown, sums = {}, {}, {}
    for by in disclosure.BREAKDOWNS:
        table = readable.describe_by(frame, by, min_cell)
        csv_path, xlsx_path = table.save(tmp_path, f"t_{by}")
        # --- no formula, no live text, numbers as numbers
        sheet = openpyxl.load_workbook(xlsx_path).active
        cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert not [c.value for c in cells if isinstance(c.value, str) and _live(c.value)]
        rows = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig")), delimiter=sep))
        assert not [cell for row in rows for cell in row if _number(cell, decimal) is None
                    and _live(cell)]  # fmt: skip
        tags = {t.lower() for t in re.findall(r"</?([A-Za-z][\w-]*)", table.to_html())}
        assert tags <= TAGS
        # --- what is shown is what the data hold
        groups = disclosure.breakdown_groups(frame, by).astype("object")
        values = frame.loc[groups.index, OUTCOME]
        by_label = {spreadsheet_text(one_line(g)): g for g in groups.unique()}
        seen = set()
        for position, row in enumerate(rows[1:], start=2):
            group = by_label[row[0]]
            n_cell = sheet.cell(position, 2)
            if isinstance(n_cell.value, str):  # hidden: a reason, no number
                assert all(sheet.cell(position, c).value is None for c in (3, 4, 5))
                continue
            assert n_cell.data_type == "n" and sheet.cell(position, 3).data_type == "n"
            members = values[groups == group]
            assert n_cell.value == len(members) >= min_cell
            assert sheet.cell(position, 3).value == pytest.approx(members.mean())
            assert _number(row[2], decimal) == pytest.approx(members.mean())
            seen.add(group)
        partitions[by], shown[by] = groups, seen
        sums[by] = sum(
            sheet.cell(p, 2).value * sheet.cell(p, 3).value
            for p in range(2, sheet.max_row + 1)
            if not isinstance(sheet.cell(p, 2).value, str)
        )
    # --- nothing under min_cell recoverable by differencing
    assert audit(partitions, shown, min_cell) == {}
    total = float(frame[OUTCOME].sum())
    hidden = {by: set(g.index[~g.isin(list(shown[by]))]) for by, g in partitions.items()}
    for a in disclosure.BREAKDOWNS:
        assert len(hidden[a]) == 0 or len(hidden[a]) >= min_cell
        for b in disclosure.BREAKDOWNS:
            if hidden[a] <= hidden[b]:
                # Σ n·mean of A's shown cells minus B's: the mean of hidden[b] - hidden[a]
                isolated = hidden[b] - hidden[a]
                assert sums[a] - sums[b] == pytest.approx(
                    float(frame.loc[list(isolated), OUTCOME].sum()), abs=1e-6
                )
                assert len(isolated) == 0 or len(isolated) >= min_cell
        assert total - sums[a] == pytest.approx(
            float(frame.loc[list(hidden[a]), OUTCOME].sum()), abs=1e-6
        )
