"""Errors a user can fix, reported the way a spreadsheet user locates them.

Expected user errors (a bad file, a bad parameter) are collected as ``Problem`` records and
raised together in one ``InputError``, so that a user sees every problem in one pass; the CLI
prints them without a traceback and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``row`` is the row number as a spreadsheet shows it (the header is row 1, so the first data
    row is row 2), or ``None`` when the problem concerns the whole file or a whole column.
    ``header`` is the export's own header of ``column`` when a column mapping renamed it: the
    user looks for « Nb habitants » in the file, not for ``population``.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
            if self.header is not None and self.header != self.column:
                where += f' (export header "{self.header}")'
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (found {self.value!r}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(Exception):
    """One or more problems in user-supplied input; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem]]]:
        """Pickled with its problems (the run's analysis comes back from the kernel so), not
        with the joined message, which ``__init__`` would read as a list of problems."""
        return type(self), (self.problems,)
