"""Raw text cells held compactly: most survey columns repeat a handful of texts.

A survey export of a million respondents has tens of millions of cells, and most columns take a
few distinct values (answer levels, types, 0/1): held as one string per cell they cost far more
than the file (an Arrow string is an 8-byte offset plus its text). A CSV is therefore read with
every column that repeats its values as a categorical (one small integer code per cell, each
distinct text once), and only the columns of mostly distinct values (identifiers, populations,
names) as strings. The helpers here work on the distinct texts of a column and spread the
result back by code, so that a check costs the number of distinct texts, not of cells.

Either dtype holds the same texts; a column's dtype changes memory, never a cell's value.
"""

from __future__ import annotations

from typing import IO

import numpy as np
import pandas as pd

# The first rows of a file decide each column's dtype: a column whose distinct texts are at
# most REPEATED_SHARE of the sampled rows is read as a categorical. A column that repeats little
# in the sample but much later costs memory, never correctness.
SAMPLE_ROWS = 10_000
REPEATED_SHARE = 0.5


def read_csv_cells(source: str | IO[bytes], sep: str) -> tuple[list[str], pd.DataFrame]:
    """The header texts and the body cells of a UTF-8 CSV, every cell a text (``""`` if empty).

    ``source`` is a path or a seekable binary file. The pandas C parser reads it twice: once for
    ``SAMPLE_ROWS`` rows to choose each column's dtype, then whole; its ``ParserError`` is left
    to the caller. Its cost is linear in the cells, whatever the number of columns
    (benchmarks/wide_files.py).
    """
    options: dict[str, object] = {
        "encoding": "utf-8",
        "sep": sep,
        "header": None,
        "keep_default_na": False,
        "skip_blank_lines": False,
        "quotechar": '"',
    }
    # The sample is read as strings and its distinct texts counted: parsed as categoricals it
    # would cost about ten times more per column (seconds on a file of thousands of columns).
    sample = pd.read_csv(_rewound(source), nrows=SAMPLE_ROWS, dtype=str, **options)
    dtypes = {i: "category" if _repeats(sample.iloc[:, i]) else str for i in range(sample.shape[1])}
    del sample
    cells = pd.read_csv(_rewound(source), dtype=dtypes, **options)
    header = ["" if pd.isna(h) else str(h) for h in cells.iloc[0]]
    # Column by column out of the parsed table, each raw column freed once filled. Taken all
    # at once into a dict, then dropped from it: popping them one by one out of the table
    # would rebuild its block list at every column (quadratic in the columns of a wide file).
    raw = {i: cells.iloc[1:, i] for i in range(cells.shape[1])}
    del cells
    index = pd.RangeIndex(len(raw[0])) if raw else pd.RangeIndex(0)
    filled = {}
    for i in range(len(raw)):
        filled[i] = _filled(raw.pop(i)).set_axis(index)
    return header, pd.DataFrame(filled, index=index)


def _rewound(source: str | IO[bytes]) -> str | IO[bytes]:
    if not isinstance(source, str):
        source.seek(0)
    return source


def _repeats(sample: pd.Series) -> bool:
    """Whether a column's sampled cells hold few distinct texts (missing cells not counted)."""
    return sample.nunique(dropna=True) <= REPEATED_SHARE * len(sample)


def _filled(column: pd.Series) -> pd.Series:
    """A column without the header's text among its categories and ``""`` for missing cells
    (a row shorter than the header)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.cat.remove_unused_categories()
        if column.isna().any():
            if "" not in column.cat.categories:
                column = column.cat.add_categories([""])
            column = column.fillna("")
        return column
    return column.fillna("") if column.isna().any() else column


def distinct(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each cell's code and the distinct texts (``str``) the codes point to.

    A categorical gives its own codes (its unused categories dropped first: the texts are those
    of the cells); any other column is factorised, as text.
    """
    if isinstance(raw.dtype, pd.CategoricalDtype) and not raw.isna().any():
        codes = np.asarray(raw.cat.codes)
        if np.bincount(codes, minlength=len(raw.cat.categories)).all():
            return codes, pd.Series(raw.cat.categories.astype(str), dtype=object)
        return distinct(raw.cat.remove_unused_categories())
    codes, uniques = pd.factorize(raw.astype(str), use_na_sentinel=False)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def categorical(codes: np.ndarray, texts: pd.Series | list[str], index: pd.Index) -> pd.Series:
    """Cells given by codes into ``texts``, which may repeat (two labels mapped to one level):
    a categorical over the distinct texts."""
    recoded, uniques = pd.factorize(pd.Series(list(texts), dtype=object), use_na_sentinel=False)
    uniques = pd.Index(np.asarray(uniques, dtype=object), dtype=str)
    return pd.Series(pd.Categorical.from_codes(recoded[codes], uniques), index=index)


def blank(raw: pd.Series) -> np.ndarray:
    """Which cells are empty or only spaces (once per distinct text of a categorical)."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes, texts = distinct(raw)
        return texts.str.strip().eq("").to_numpy(dtype=bool)[codes]
    return raw.astype(str).str.strip().eq("").to_numpy(dtype=bool)


def release_memory() -> None:
    """Give the memory freed so far back to the operating system.

    Arrow's allocator keeps the pages of freed strings for its own later use, and the C
    library's allocator keeps freed blocks below its heap top: neither can serve the next
    stage's large NumPy arrays, so the process's footprint would grow stage after stage.
    ``release_unused`` returns what Arrow's pool holds (with the system allocator it trims
    the C library's heap). Milliseconds; called between the stages of loading a survey.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def return_freed_memory() -> None:
    """Have Arrow allocate through the C library for the rest of the process, so that what a
    stage frees goes back to the operating system (``release_memory``) instead of staying in
    Arrow's own pool, which only Arrow can reuse.

    For a command whose footprint is its purpose (``analyse validate`` of a large export):
    measured on a 200 MB survey, about 100 MB less at the peak (benchmarks/validate_memory.py).
    A process-wide setting, hence called by the command line, never by the library.
    """
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
