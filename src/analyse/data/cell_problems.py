"""One problem per faulty cell of a column, capped so that a broken file stays readable.

Shared by every check that reports cells (the contract and item columns of
``analyse.data.loading``, the extra controls of ``analyse.data.extra_columns``, the user's weights
of ``analyse.data.user_weights``), so that each reports bad cells alike; apart from the loader so
that those checks need not import it.
"""

from __future__ import annotations

import numpy as np

from analyse.data.readers import RawTable
from analyse.errors import Problem

MAX_PROBLEMS_PER_COLUMN = 20


def cell_problems(table: RawTable, column: str, faults: np.ndarray, expected: str) -> list[Problem]:
    """One problem per faulty cell of ``column``, capped so a broken file stays readable."""
    positions = np.flatnonzero(faults != "")
    shown = positions[:MAX_PROBLEMS_PER_COLUMN]
    raw = table.frame[column].iloc[shown].to_numpy()  # the shown cells only, not the column
    problems = [
        Problem(
            file=table.file,
            row=int(table.rows[i]),
            column=column,
            value=str(value),
            message=str(faults[i]),
            expected=expected,
        )
        for i, value in zip(shown, raw, strict=True)
    ]
    hidden = len(positions) - MAX_PROBLEMS_PER_COLUMN
    if hidden > 0:
        problems.append(
            Problem(
                file=table.file,
                column=column,
                message=f"and {hidden} more rows with a problem in this column "
                f"(only the first {MAX_PROBLEMS_PER_COLUMN} are listed)",
                expected=expected,
            )
        )
    return problems
