"""Reading a survey file into a table of raw text values, whatever format it came in.

Every format is reduced to the same thing: a header and a grid of strings, with the spreadsheet
row number of every data row. Parsing numbers is left to ``analyse.data.numbers`` so that a bad
value can be reported exactly as the user typed it, and so that CSV exported by French office
tools (semicolons, decimal commas, Windows-1252) is read the same way as any other file.

Problems that make a file unreadable (missing, empty, binary, wrong encoding, unknown type)
raise ``InputError`` at once; problems with the header (duplicated names, a mapped column that is
absent) are returned in ``RawTable.problems`` so that validation can report them together with
the problems it finds in the cells.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from analyse.data.cells import blank, categorical, distinct, read_csv_cells
from analyse.data.contract import COLUMN_NAMES
from analyse.data.survey_file import (  # the checks read_raw starts with
    _EXPECTED_TYPES,
    TEXT_EXTENSIONS,
    _check_file,
    _fatal,
)
from analyse.errors import InputError, Problem
from analyse.suggest import closest, did_you_mean

DELIMITERS: tuple[str, ...] = (",", ";", "\t")

_HEADER_ROW_TEXT = 1  # in a text file the header is the first line, as a spreadsheet shows it
_EXPECTED_TEXT = "text encoded in UTF-8 (with or without BOM) or Windows-1252 (cp1252)"
# Control characters never found in a text export; their presence means binary content.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Magic numbers of binary formats that users commonly rename to .csv by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive such as an Excel .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (save it as .xlsx or CSV)"),
    (b"PAR1", "a Parquet file"),
    (b"$FL2", "an SPSS .sav file"),
    (b"$FL3", "an SPSS .sav file"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable program (ELF)"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
    (b"\x89PNG", "a PNG image"),
)
# What the parts of an .xlsx workbook may add up to once decompressed. A survey of 10,000
# respondents and 200 columns is about 200 MB of sheet XML; a zip bomb declares gigabytes.
MAX_XLSX_UNCOMPRESSED = 500_000_000
_FORMULA_CELLS_SHOWN = 5
_THREE_DECIMALS = re.compile(r"-?\d{1,3}\.\d{3}")
_SEP_HINT = re.compile(r"sep=([,;\t])[ ]*\r?\n")
_PARSER_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass
class RawTable:
    """A survey file as text: canonical column names, raw string cells, spreadsheet rows.

    ``frame`` holds one string per cell (``""`` for an empty cell) under the column names of the
    file after the column mapping; ``rows`` gives, for each frame row, the row number a user sees
    in a spreadsheet (header row first), so that every problem can point at a cell.
    """

    file: str
    frame: pd.DataFrame
    rows: np.ndarray
    header_row: int = 1
    problems: list[Problem] = field(default_factory=list)
    # a workbook's worksheets listed ("" for one sheet or a text file): a hint when the
    # columns are missing, perhaps because the data sit on another sheet (data.sheet)
    sheets: str = ""
    # cells of item columns read as non-answers, by answer label (``normalise_label``) mapped
    # to None: a label left null by mistake loses that many answers, which validate says
    non_answers: dict[str, int] = field(default_factory=dict)
    # an .xlsx workbook's worksheet read ("" otherwise), and, when it has several, each one's
    # title and description ("0 'Notice' (3 rows)"): what ``analyse draft-mapping`` says it
    # drafted
    sheet: str = ""
    worksheets: tuple[tuple[str, str], ...] = ()


@dataclass
class _Grid:
    """What a format-specific reader hands back: header names and string cells by position."""

    header: list[str]
    body: pd.DataFrame
    rows: np.ndarray
    header_row: int
    # a workbook's other worksheets, for a message about a sheet without data ("" otherwise)
    sheets: str = ""
    sheet: str = ""  # the worksheet read
    worksheets: tuple[tuple[str, str], ...] = ()  # of a workbook of several: title, described


def read_raw(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    answer_labels: Mapping[str, int | None] | None = None,
    item_columns: Sequence[str] = (),
    numeric_items: Sequence[str] = (),
    sheet: str | int | None = None,
) -> RawTable:
    """Read ``path`` by its extension into a ``RawTable``; never modifies the file.

    ``sheet`` chooses the worksheet of an .xlsx workbook (``data.sheet``): its name or 0-based
    position; the first by default. Any other file has no sheets: giving one is an error.

    ``columns`` maps a canonical column name to its name in the file, for exports whose headers
    differ from the contract. ``answer_labels`` maps answer labels ("Oui", "Non") to levels and
    is applied to ``item_columns`` only, after stripping and ignoring case, because surveys often
    export answers as text while the other columns must stay strict. In ``numeric_items`` (items
    with cuts, whose cells are numbers, not levels) only the labels mapped to None (non-answers)
    apply: a label's level there would be read as a number and cut again.
    """
    path = Path(path)
    name = str(path)
    _check_file(path, name)
    if sheet is not None and path.suffix.lower() != ".xlsx":
        raise _fatal(
            name,
            f"a worksheet ({sheet!r}) is chosen, but only an .xlsx workbook has worksheets",
            "no worksheet (data.sheet, or --sheet) for a file that is not an .xlsx workbook",
        )
    try:
        grid = _read_grid(path, name, sheet)
    except OSError as exc:  # permissions, a file locked by another program, a vanished share
        raise _fatal(name, f"cannot be read ({exc.strerror or exc})", _EXPECTED_TYPES) from None
    grid = _drop_empty_rows(grid)
    if grid.body.empty:
        raise InputError(
            [
                Problem(
                    file=name,
                    message="no data rows (the file has a header only)" + grid.sheets,
                    expected="a header row followed by one row per respondent",
                )
            ]
        )
    problems: list[Problem] = []
    copies: list[tuple[str, int]] = []
    header = _apply_mapping(
        grid.header, columns or {}, name, problems, copies, {*COLUMN_NAMES, *item_columns}
    )
    relevant = set(COLUMN_NAMES) | set(item_columns) | set((columns or {}).keys())
    copied = [canonical for canonical, _ in copies]
    problems += duplicate_headers(header + copied, relevant, name, mapped=bool(columns))
    frame = grid.body.set_axis(header, axis=1)
    if copies:
        frame = pd.concat(
            [frame, pd.DataFrame({c: grid.body.iloc[:, i] for c, i in copies})], axis=1
        )
    non_answers: dict[str, int] = {}
    if answer_labels:
        frame = _apply_answer_labels(
            frame, answer_labels, item_columns, set(header), set(numeric_items), non_answers
        )
    return RawTable(
        file=name,
        frame=frame.reset_index(drop=True),
        rows=grid.rows,
        header_row=grid.header_row,
        problems=problems,
        sheets=grid.sheets,
        non_answers=non_answers,
        sheet=grid.sheet,
        worksheets=grid.worksheets,
    )


def _read_grid(path: Path, name: str, sheet: str | int | None = None) -> _Grid:
    suffix = path.suffix.lower()
    if suffix in TEXT_EXTENSIONS:
        return _read_text(path, name)
    if suffix == ".xlsx":
        return _read_xlsx(path, name, sheet)
    if suffix == ".sav":
        return _read_sav(path, name)
    return _read_parquet(path, name)


# --- text files ---------------------------------------------------------------------------


def decode_text(data: bytes, file: str) -> str:
    """Decode a text export: UTF-8 (BOM or not), else cp1252, else a clear ``InputError``.

    cp1252 is the fallback because it is what Excel and LibreOffice write for "CSV" on French
    Windows machines; it decodes nearly any byte, so binary content is detected separately.
    """
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _fatal(file, f"not a text file: it looks like {what}", _EXPECTED_TEXT)
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) or _looks_utf32(data):
        raise _fatal(
            file,
            "encoded in UTF-32, which is not supported; save it as 'CSV UTF-8'",
            _EXPECTED_TEXT,
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise _fatal(
            file,
            "encoded in UTF-16, which is not supported; save it as 'CSV UTF-8'",
            _EXPECTED_TEXT,
        )
    if b"\x00" in data:
        raise _fatal(file, "not a text file: it contains binary data (NUL bytes)", _EXPECTED_TEXT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _fatal(
                file,
                f"not readable as UTF-8 or cp1252 text (byte {data[exc.start]:#04x} "
                f"at offset {exc.start})",
                _EXPECTED_TEXT,
            ) from None
    text = text.rstrip("\x1a")  # DOS end-of-file marker still written by some tools
    bad = _CONTROL_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise _fatal(
            file,
            f"not a text file: control character {bad.group()!r} on line {line}",
            _EXPECTED_TEXT,
        )
    return text


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without BOM: text characters with a NUL byte in every other position.

    The other half must be text too: an executable or a database file has runs of NUL bytes,
    which alone would make it look like UTF-16.
    """
    sample = data[:200]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) >= 0.8 * len(odd) and _mostly_text(even)) or (
        even.count(0) >= 0.8 * len(even) and _mostly_text(odd)
    )


def _looks_utf32(data: bytes) -> bool:
    """UTF-32 without BOM: text characters each followed (or preceded) by three NUL bytes."""
    sample = data[: 200 - 200 % 4]
    if len(sample) < 8:
        return False
    lanes = [sample[i::4] for i in range(4)]
    zeros = [lane.count(0) >= 0.8 * len(lane) for lane in lanes]
    little = zeros[1] and zeros[2] and zeros[3] and _mostly_text(lanes[0])
    big = zeros[0] and zeros[1] and zeros[2] and _mostly_text(lanes[3])
    return little or big


_TEXT_BYTES = frozenset(b"\t\n\r") | frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))


def _mostly_text(lane: bytes) -> bool:
    """At least 90% printable characters (Latin-1 range), NULs aside."""
    chars = [b for b in lane if b != 0]
    return bool(chars) and sum(b in _TEXT_BYTES for b in chars) >= 0.9 * len(chars)


def detect_delimiter(text: str) -> str:
    """The delimiter among comma, semicolon and tab that splits the header into most fields.

    Counting on the header is robust because headers hold names, never decimal commas; quotes
    are honoured by splitting with ``csv``. A one-column file gets a comma.

    ``csv`` refuses a field over its limit (131,072 characters by default), and split on the
    wrong delimiter a header is one field: the header of a file of a few thousand columns is
    longer than that. The limit is raised to the header's length for the split, then put back
    (the pandas parser that reads the file has none).
    """
    # splitlines: a file from an old Mac ends its lines with a lone CR
    first_line = next(iter(text.splitlines()), "")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(first_line) + 1))
    try:
        counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    finally:
        csv.field_size_limit(limit)
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def _read_text(path: Path, name: str) -> _Grid:
    if _plain_utf8(path):
        # nothing to decode, strip or skip: parsed from the disk, never held whole in memory
        with path.open("rb") as fh:
            first = fh.readline(_CHUNK).removeprefix(_UTF8_BOM).decode("utf-8")
        sep, skipped = detect_delimiter(first), 0
        return _parsed(path.open("rb"), name, sep, skipped)
    text, hinted, skipped = _split_preamble(decode_text(path.read_bytes(), name))
    if not text or text.isspace():
        raise _fatal(name, "file is empty (only blank lines)", "a header row followed by data rows")
    sep = hinted or detect_delimiter(text)
    # The parser reads UTF-8 bytes: io.StringIO would hold the text at 4 bytes a character,
    # and only one copy of the file is kept while it is parsed (memory: benchmarks/).
    payload = io.BytesIO(text.encode("utf-8"))
    del text
    return _parsed(payload, name, sep, skipped)


def _parsed(source: IO[bytes], name: str, sep: str, skipped: int) -> _Grid:
    """The grid of a UTF-8 CSV (``analyse.data.cells``: compact dtypes); ``skipped`` blank
    lines came before the header."""
    try:
        with source:
            header, body = read_csv_cells(source, sep)
    except pd.errors.ParserError as exc:
        raise _parser_problem(name, sep, exc, skipped) from None
    # Record i (0-based, header included) is what a spreadsheet shows as row i + 1.
    header_row = skipped + 1
    rows = np.arange(len(body)) + header_row + 1
    return _Grid(_clean_header(header), body, rows, header_row)


_CHUNK = 1 << 23
_UTF8_BOM = b"\xef\xbb\xbf"
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_utf8(path: Path) -> bool:
    """Whether ``decode_text`` and ``_split_preamble`` would hand the parser the file's own
    bytes (a leading BOM aside, which the parser skips too): UTF-8 without control characters,
    a first line that is neither blank nor Excel's ``sep=``. Read in chunks, so that a large
    export is never held whole; anything else (cp1252, a preamble, a fault to report) takes
    the path that decodes the file in memory, and gets its exact messages there."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        chunk = fh.read(_CHUNK)
        head = chunk.removeprefix(_UTF8_BOM)
        newline = head.find(b"\n")
        if (
            newline == -1
            or any(chunk.startswith(magic) for magic, _ in _MAGIC)
            or chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
            or _looks_utf16(chunk)
            or _looks_utf32(chunk)
        ):
            return False
        try:
            first = head[: newline + 1].decode("utf-8")
        except UnicodeDecodeError:
            return False
        if not first.strip() or _SEP_HINT.match(first):
            return False
        while chunk:
            if _CONTROL_BYTES.search(chunk):  # NUL bytes and \x1a included
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
            chunk = fh.read(_CHUNK)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _split_preamble(text: str) -> tuple[str, str | None, int]:
    """Remove Excel's ``sep=;`` line and leading blank lines before the header.

    Returns the remaining text, the delimiter the ``sep=`` line names (Excel hides that line, so
    it is not counted as a row) and the number of blank lines skipped (which are rows).
    """
    hinted = None
    start = 0
    found = _SEP_HINT.match(text)
    if found:
        hinted, start = found.group(1), found.end()
    skipped = 0
    # offsets, not partitions: each partition would copy the rest of a file of any size
    end = text.find("\n", start)
    while end != -1 and not text[start:end].strip():
        start, skipped = end + 1, skipped + 1
        end = text.find("\n", start)
    return (text[start:] if start else text), hinted, skipped


def _parser_problem(file: str, sep: str, exc: Exception, skipped: int) -> InputError:
    shown = {"\t": "tab", ",": "comma", ";": "semicolon"}[sep]
    found = _PARSER_FIELDS.search(str(exc))
    if not found:
        return _fatal(file, f"not readable as CSV: {exc}", f"{shown}-separated values")
    n_header, line, n_row = (int(g) for g in found.groups())
    return _fatal(
        file,
        f"this row has {n_row} fields but the header has {n_header}",
        f"one field per header column, separated by {shown}s; quote values holding a {shown}",
        row=line + skipped,
    )


# --- binary formats -----------------------------------------------------------------------


def _read_xlsx(path: Path, name: str, sheet: str | int | None = None) -> _Grid:
    """The chosen worksheet (``sheet``: name or 0-based position; the first by default); the
    header is its first non-empty row, row numbers are the sheet's.

    A worksheet without data, in a workbook of several, is reported with every worksheet and
    its number of rows: the data are often on another sheet than the first (a cover page, a
    notice, the questionnaire), and the message says which to choose (``data.sheet``).
    """
    import openpyxl

    _check_xlsx_size(path, name)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt or foreign file
        raise _fatal(
            name,
            f"not readable as an Excel workbook ({type(exc).__name__}: {exc})",
            "an .xlsx workbook saved by Excel or LibreOffice",
        ) from None
    try:
        chosen = _chosen_sheet(workbook, sheet, name)
        worksheets = (
            tuple(zip(workbook.sheetnames, _sheet_entries(workbook), strict=True))
            if len(workbook.worksheets) > 1
            else ()
        )
        others = _sheets_listed(workbook, [e for _, e in worksheets]) if worksheets else ""
        chosen.reset_dimensions()  # some writers record wrong dimensions; read what is there
        numbered = [
            (i, [cell_text(v) for v in values])
            for i, values in enumerate(chosen.iter_rows(min_row=1, values_only=True), start=1)
        ]
        _check_formula_values(chosen, name)
    finally:
        workbook.close()
    numbered = [(i, cells) for i, cells in numbered if any(c.strip() for c in cells)]
    if not numbered:
        which = "the first worksheet" if sheet is None else f"the worksheet {chosen.title!r}"
        raise _fatal(name, f"{which} is empty{others}", "a header row followed by data rows")
    header_row, header = numbered[0]
    width = len(header)
    data = [(cells + [""] * width)[:width] for _, cells in numbered[1:]]
    body = pd.DataFrame(data, columns=range(width), dtype=str)
    rows = np.array([i for i, _ in numbered[1:]], dtype=int)
    return _Grid(_clean_header(header), body, rows, header_row, others, chosen.title, worksheets)


def _chosen_sheet(workbook: Any, sheet: str | int | None, name: str) -> Any:
    """The worksheet ``sheet`` names (or is the 0-based position of); the first when None."""
    sheets = workbook.worksheets
    titles = [ws.title for ws in sheets]
    expected = "data.sheet: one of the workbook's worksheets, by name or 0-based position"
    if sheet is None:
        return sheets[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(sheets):
            return sheets[sheet]
        raise _fatal(
            name,
            f"the workbook has no worksheet at position {sheet} (positions count from 0)"
            + _sheets_listed(workbook),
            expected,
        )
    if sheet in titles:
        return sheets[titles.index(sheet)]
    by_label = [t for t in titles if normalise_label(t) == normalise_label(sheet)]
    if len(by_label) == 1:  # case, accents' composition and spaces as a user may type them
        return sheets[titles.index(by_label[0])]
    if sheet.strip().isdigit():  # no sheet of that name: a position (``--sheet 1``)
        return _chosen_sheet(workbook, int(sheet.strip()), name)
    raise _fatal(
        name,
        f"the workbook has no worksheet named {sheet!r}"
        + did_you_mean(closest(sheet, titles))
        + _sheets_listed(workbook),
        expected,
    )


def _sheets_listed(workbook: Any, entries: Sequence[str] | None = None) -> str:
    """``; the workbook's worksheets: 0 'Notice' (3 rows), 1 'Réponses' (57 rows)``, for a
    message (``entries``: ``_sheet_entries`` of the workbook, if already known)."""
    return (
        "; the workbook's worksheets: "
        + ", ".join(_sheet_entries(workbook) if entries is None else entries)
        + " (choose one by name or 0-based position: data.sheet, or --sheet of analyse validate"
        " and analyse draft-mapping)"
    )


def _sheet_entries(workbook: Any) -> list[str]:
    """Each worksheet as ``0 'Notice' (3 rows)``. Rows as each sheet's recorded dimensions give
    them (the sheets are not read: the last row used, blank rows included); a sheet that records
    none is listed without."""
    listed = []
    for position, ws in enumerate(workbook.worksheets):
        try:
            dimension = ws.calculate_dimension()
        except ValueError:  # no dimensions recorded: not counted, rather than read
            count = None
        else:  # "A1:A1" is a sheet of one cell or of none: its first row says which
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            empty = dimension == "A1:A1" and all(v is None or v == "" for v in first)
            count = 0 if empty else ws.max_row
        rows = "" if count is None else f" ({count} row{'s' if count != 1 else ''})"
        listed.append(f"{position} {ws.title!r}{rows}")
    return listed


def _check_xlsx_size(path: Path, name: str) -> None:
    """Refuse a workbook whose parts declare more than ``MAX_XLSX_UNCOMPRESSED`` bytes.

    The declared sizes are binding: Python's zipfile stops at a part's declared size and fails
    its checksum if more was packed, so a zip bomb cannot hide behind a small declaration.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # not a zip at all: openpyxl says so in its own words
    if declared > MAX_XLSX_UNCOMPRESSED:
        raise _fatal(
            name,
            f"the workbook decompresses to {declared / 1e6:,.0f} MB, more than the "
            f"{MAX_XLSX_UNCOMPRESSED / 1e6:,.0f} MB a survey workbook may hold (a zip bomb?)",
            "an .xlsx workbook of a survey; a larger survey as CSV",
        )


def _check_formula_values(sheet: object, name: str) -> None:
    """Refuse formula cells saved without their value.

    A workbook keeps each formula's last computed value; files written by programs (openpyxl,
    some exports) may store the formula alone, and reading values then gives an empty cell:
    an answer would silently become "unanswered". The cells are found in the sheet's XML,
    which openpyxl's value-only reading does not expose.
    """
    archive = getattr(getattr(sheet, "parent", None), "_archive", None)
    part = getattr(sheet, "_worksheet_path", None)
    if archive is None or part is None:
        return
    from xml.etree.ElementTree import iterparse

    missing: list[str] = []
    count = 0
    with archive.open(part) as source:
        for _event, element in iterparse(source, events=("end",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "row":
                element.clear()  # its cells are done: keep memory flat on a large sheet
            if tag != "c":
                continue
            formula = value = None
            for child in element:
                tag = child.tag.rsplit("}", 1)[-1]
                if tag == "f":
                    formula = child
                elif tag == "v":
                    value = child
            # <v/> is a saved empty text for a text formula (t="str"), no value otherwise
            empty = value is None or (not value.text and element.get("t") != "str")
            if formula is not None and empty:
                count += 1
                if len(missing) < _FORMULA_CELLS_SHOWN:
                    missing.append(element.get("r", "?"))
            element.clear()
    if not count:
        return
    cells = ", ".join(missing) + (
        f" and {count - len(missing)} more" if count > len(missing) else ""
    )
    first_row = re.sub(r"^[A-Z]+", "", missing[0])
    where = f"cell {cells} holds" if count == 1 else f"{count} cells ({cells}) hold"
    raise _fatal(
        name,
        f"{where} a formula without a saved value: open the file in a spreadsheet program "
        "and save it (the values are then saved with the formulas)",
        "a workbook saved with the values of its formulas",
        row=int(first_row) if count == 1 and first_row.isdigit() else None,
    )


def _read_sav(path: Path, name: str) -> _Grid:
    """Raw codes, not value labels: labels are mapped only when the user gives a mapping."""
    import pyreadstat

    try:
        frame, _meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises ReadstatError and others for a bad file
        raise _fatal(
            name,
            f"not readable as an SPSS file ({type(exc).__name__}: {exc})",
            "an SPSS .sav file",
        ) from None
    return _frame_grid(frame)


def _read_parquet(path: Path, name: str) -> _Grid:
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... for a bad file
        raise _fatal(
            name,
            f"not readable as a Parquet file ({type(exc).__name__}: {exc})",
            "a Parquet file",
        ) from None
    return _frame_grid(frame)


def _frame_grid(frame: pd.DataFrame) -> _Grid:
    """Typed columns of a SAV or Parquet file as text; rows are numbered as if in a sheet."""
    header = [str(c) for c in frame.columns]
    body = pd.DataFrame(
        {i: column_text(frame.iloc[:, i]) for i in range(frame.shape[1])}, dtype=str
    )
    if body.shape[1] == 0:
        body = pd.DataFrame(index=range(len(frame)), dtype=str)
    return _Grid(_clean_header(header), body, np.arange(len(frame)) + 2, 1)


def cell_text(value: object) -> str:
    """A typed cell as the text a user would have typed: ``3.0`` -> ``"3"``, empty -> ``""``.

    Whole floats lose their ``.0`` because Excel and SPSS store every number as a float; booleans
    become 1/0 because that is what a true/false cell means in a 0/1 column. A stored number is
    never ambiguous, so one whose text would look like a thousands group (1.125, written
    ``1.1250``) keeps a trailing zero: the text check of ``analyse.data.numbers`` refuses
    ``1.125`` typed as text, where it may mean 1125.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        text = repr(number)
        return text + "0" if _THREE_DECIMALS.fullmatch(text) else text
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def column_text(series: pd.Series) -> pd.Series:
    """A typed column as text cells, ``""`` where missing."""
    return series.astype(object).map(cell_text, na_action="ignore").fillna("").astype(str)


# --- shared steps -------------------------------------------------------------------------


def _clean_header(header: Iterable[str]) -> list[str]:
    return [h.replace("\ufeff", "").strip() for h in header]


def _drop_empty_rows(grid: _Grid) -> _Grid:
    """Blank rows are layout, not respondents; dropping them keeps the others' row numbers."""
    if grid.body.shape[1] == 0:
        return _Grid(grid.header, grid.body.iloc[:0], grid.rows[:0], grid.header_row)
    empty = np.ones(len(grid.body), dtype=bool)
    for position in range(grid.body.shape[1]):  # column by column: no table of booleans
        empty &= blank(grid.body.iloc[:, position])
        if not empty.any():
            break  # no blank row left to find: the other columns of a wide file are not read
    if not empty.any():
        return grid  # selecting every row would copy the table
    kept = grid.body.loc[~empty].reset_index(drop=True)
    # a new table of the columns, not each column set in place: on a table of thousands of
    # columns every assignment would cost the whole table
    body = pd.DataFrame(
        {
            label: column.cat.remove_unused_categories()
            if isinstance(column.dtype, pd.CategoricalDtype)
            else column
            for label, column in kept.items()
        },
        index=kept.index,
    )
    return _Grid(grid.header, body, grid.rows[~empty], grid.header_row)


def _apply_mapping(
    header: list[str],
    columns: Mapping[str, str],
    file: str,
    problems: list[Problem],
    copies: list[tuple[str, int]],
    own: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Rename mapped file columns to canonical names; report mapped names absent from the file.

    A file column mapped to several canonical names is renamed to the first and appended to
    ``copies`` as ``(canonical, position in the file)`` for each of the others; so is a file
    column already under a canonical name of its own (``own``: ``population``, an item) that
    a mapping also names (an extra control read from the population column)."""
    rename: dict[str, str] = {}
    # a header written with a typographic apostrophe or doubled spaces is still found: headers
    # are compared like labels when the exact name is absent and exactly one header matches
    by_label: dict[str, list[str]] = {}
    for h in header:
        by_label.setdefault(normalise_label(h), []).append(h)
    for canonical, in_file in columns.items():
        in_file = str(in_file).strip()
        if in_file not in header and len(by_label.get(normalise_label(in_file), [])) == 1:
            in_file = by_label[normalise_label(in_file)][0]
        if in_file not in header:
            problems.append(
                Problem(
                    file=file,
                    column=canonical,
                    message=f"the column mapping says {canonical!r} is the file's column "
                    f"{in_file!r}, which is not in the file"
                    + did_you_mean(closest(in_file, header)),
                    expected="a column name exactly as written in the file's header",
                )
            )
        elif in_file in rename or (
            in_file in own and in_file != canonical and in_file not in columns
        ):
            # one export column may feed several contract columns (a name that is also the
            # only identifier), or keep its own canonical name and feed another: the later
            # ones are copies of it
            copies.append((canonical, header.index(in_file)))
        else:
            rename[in_file] = canonical
    return [rename.get(h, h) for h in header]


def column_letter(position: int) -> str:
    """Spreadsheet letter of a 0-based column position (0 -> A, 26 -> AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def duplicate_headers(
    header: list[str], relevant: set[str], file: str, mapped: bool
) -> list[Problem]:
    """A column we read must be unambiguous; duplicates among ignored columns are harmless."""
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        positions.setdefault(h, []).append(i)
    problems = []
    for name, where in positions.items():
        if len(where) > 1 and name in relevant:
            letters = ", ".join(column_letter(i) for i in where)
            after = " after applying the column mapping" if mapped else ""
            problems.append(
                Problem(
                    file=file,
                    row=None,
                    column=name,
                    message=f"the header has {len(where)} columns named {name!r}{after} "
                    f"(spreadsheet columns {letters})",
                    expected="each column name once in the header",
                )
            )
    return problems


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})


def normalise_label(label: str) -> str:
    """How answer and type labels are compared: Unicode NFC, typographic and straight
    apostrophes alike, runs of spaces as one, surrounding spaces and case ignored, because
    survey tools and spreadsheet editors each write "Ma structure n’est pas concernée" their
    own way."""
    text = unicodedata.normalize("NFC", str(label)).translate(_APOSTROPHES)
    return " ".join(text.split()).casefold()


def _apply_answer_labels(
    frame: pd.DataFrame,
    answer_labels: Mapping[str, int | None],
    item_columns: Sequence[str],
    present: set[str],
    numeric_items: Collection[str] = (),
    counts: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Replace answer labels by their level in item columns; other text is left for validation.
    In ``numeric_items`` only non-answers (labels mapped to None) are replaced. ``counts``
    receives the cells read as non-answers by label (normalised)."""
    # a label mapped to None is a non-answer ("Je ne sais pas"): an empty cell, i.e. unanswered
    lookup = {
        normalise_label(k): "" if v is None else str(int(v)) for k, v in answer_labels.items()
    }
    non_answers = {k: v for k, v in lookup.items() if v == ""}
    frame = frame.copy(deep=False)  # columns are replaced, never written in place
    for column in item_columns:
        if column not in present or isinstance(frame[column], pd.DataFrame):
            continue  # absent or duplicated: reported elsewhere
        raw = frame[column]
        codes, texts = distinct(raw)
        labels = non_answers if column in numeric_items else lookup
        keys = [normalise_label(text) for text in texts]
        mapped = [labels.get(key, text) for key, text in zip(keys, texts, strict=True)]
        if counts is not None and any(key in non_answers for key in keys):
            cells = np.bincount(codes[codes >= 0], minlength=len(keys))
            for key, n in zip(keys, cells, strict=True):
                if key in non_answers and n:
                    counts[key] = counts.get(key, 0) + int(n)
        frame[column] = categorical(codes, mapped, raw.index)
    return frame
