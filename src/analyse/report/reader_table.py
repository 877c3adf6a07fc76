"""Tables for people: what a report shows instead of a raw pandas frame, and its downloads.

The reports' readers (elected officials, directors of digital services, journalists) read
French and are mostly not statisticians. A raw frame shows them ``share_of_r2_pct``, ``NaN``,
``True`` and "0.000", cuts long cells, and leaves an empty corner header that screen readers
announce as nothing (axe-core flags it on every page). A ``ReaderTable`` keeps the raw numbers
(``frame``, internal column names, full precision) for code and tests, and renders them itself:

- a ``<caption>``, ``<th scope="col">`` headers in the report's language, the row labels as
  ``<th scope="row">`` under a named header, so no header cell is empty;
- every value formatted by its column's kind (``Column.kind``) with the report's locale
  (``analyse.report.i18n``): "1 225", "−0,29", "12,6 %", "< 0,001", "[−0,29 ; 0,24]", "Oui";
  a missing value is "—", never NaN, None or nan;
- text cells escaped (``analyse.report.escape``): codebook labels and file names are the user's;
  in the downloads too, where a text that starts like a formula (``=``, ``+``, ``-``, ``@``) gets
  a leading apostrophe and an XLSX text cell is always a string, never a formula;
- numbers right-aligned; the table inside a focusable, labelled scrolling region, so a wide
  table scrolls instead of overflowing the page (axe's ``scrollable-region-focusable``);
- at most ``MAX_COLUMNS`` columns on a page, the row labels' included (``ReaderTable.width``):
  a table with more detail shows the columns that carry the answer and keeps every column in its
  downloads (``download_columns``), and says so under the table.

Rendering is done here rather than by pandas' Styler so that no display option (``max_rows``,
``max_colwidth``) can cut a cell, and so that the HTML holds nothing a reader page must not.

``show_table`` displays a table and, when the run gives an output folder, writes it as
``tables/<name>.csv`` (UTF-8 with a BOM, so that Excel reads the accents; numbers at full
precision with a decimal point) and ``tables/<name>.xlsx`` (numbers as numbers with a number
format), linked under the table by their format in words (« Télécharger le tableau (CSV,
Excel) »), never by their file name; beside them ``tables/<name>.json`` records the table's
caption, so that the run's index names each download by its caption
(``analyse.pipeline.index_pages``). The reader pages live in the run folder, where the output
folder's files end up, so the links are relative (``tables/<name>.csv``).
"""

from __future__ import annotations

import html
import json
import math
import numbers
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analyse.report import i18n
from analyse.report.downloads import DOWNLOAD_FORMATS, SIDECAR_SUFFIX, TABLES_DIR
from analyse.report.escape import html_text, markdown_text, one_line, spreadsheet_text

Kind = Literal[
    "count", "number", "effect", "percent", "share", "p", "euros", "interval", "yesno", "text"
]
NUMERIC_KINDS: frozenset[str] = frozenset(
    {"count", "number", "effect", "percent", "share", "p", "euros", "interval"}
)
# A download's name becomes a file name and part of a link: letters, digits, "_" and "-" only,
# starting with a letter or digit (no path, no hidden file, nothing to escape in a URL).
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
# Excel number formats by kind (digits are added for "number", "effect", "percent", "euros").
_MAX_XLSX_WIDTH = 60
# The most columns a reader page shows, the row labels' included: six fit an A4 page in portrait
# and, with short labels, a phone held upright; more hide the answer behind a scrollbar.
MAX_COLUMNS = 6


@dataclass(frozen=True)
class Column:
    """One displayed column: ``key`` in the raw frame, its header ``label``, how its values are
    written (``kind``, ``digits``). An interval shows ``key`` (low) and ``high`` as one cell.

    ``kind``: ``count`` (integer), ``number`` (``digits`` decimals), ``effect`` (signed
    number), ``percent`` (the frame holds percentage points, 12.6 for 12.6 %), ``share`` (the
    frame holds a proportion, 0.126 for 12.6 %), ``p``
    (p-value, "< 0,001" below 0.001), ``euros``, ``interval``, ``yesno``, ``text``. A text
    value in a numeric column (a suppression label, "not estimable: ...") is shown as text.
    """

    key: str
    label: str
    kind: Kind = "number"
    digits: int = 2
    high: str | None = None
    sign: bool = False  # intervals of effects: "+0,24"

    def __post_init__(self) -> None:
        if self.kind == "interval" and not self.high:
            raise ValueError(f"interval column {self.key!r} needs its high column")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Format:
    """How one row of a table of named quantities is written (its value's kind); ``only``
    limits it to one column (the others keep their own kind)."""

    kind: Kind = "number"
    digits: int = 2
    only: str | None = None


@dataclass
class ReaderTable:
    """A table ready for readers; ``frame`` holds the raw values under internal names.

    ``row_labels`` are what the first column shows for each row of ``frame`` (defaults to its
    index), under the header ``row_header``. ``row_formats`` (one per row, or None) override
    the kind of every non-text column in that row: for tables of named quantities whose one
    value column holds an R², a p-value and a count. ``note`` is a sentence shown under the
    table. ``name`` is the default file name of its downloads (``show_table``); ``downloads``
    are the files ``show_table`` wrote, as (label, relative href). ``lang`` is the language
    of the catalogue current when the table was made.

    ``download_columns``, when given, are the columns of the downloads (CSV, XLSX): the full
    table, of which the page shows ``columns`` (at most ``MAX_COLUMNS`` with the row labels);
    by default the downloads hold the columns shown.
    """

    frame: pd.DataFrame
    caption: str
    columns: Sequence[Column]
    row_header: str
    row_labels: Sequence[str] | None = None
    row_formats: Sequence[Format | None] | None = None
    note: str = ""
    name: str = ""
    downloads: list[tuple[str, str]] = field(default_factory=list)
    lang: str = field(default_factory=lambda: i18n.current().lang)
    download_columns: Sequence[Column] | None = None

    def __post_init__(self) -> None:
        missing = [
            key
            for c in (*self.columns, *(self.download_columns or ()))
            for key in (c.key, c.high)
            if key is not None and key not in self.frame.columns
        ]
        if missing:
            raise KeyError(f"columns {missing} not in the table's frame {list(self.frame)}")
        if self.row_labels is None:
            self.row_labels = [_index_label(v) for v in self.frame.index]
        if len(self.row_labels) != len(self.frame):
            raise ValueError(f"{len(self.row_labels)} row labels for {len(self.frame)} rows")
        if self.row_formats is not None and len(self.row_formats) != len(self.frame):
            raise ValueError(f"{len(self.row_formats)} row formats for {len(self.frame)} rows")

    # ------------------------------------------------------------------ cells
    @property
    def messages(self) -> i18n.Messages:
        """The table's language, with the run's words when it is the current one."""
        found = i18n.current()
        return found if found.lang == self.lang else i18n.messages(self.lang)

    @property
    def width(self) -> int:
        """The columns a page shows, the row labels' included (at most ``MAX_COLUMNS`` for
        the report's tables)."""
        return 1 + len(self.columns)

    @property
    def full_columns(self) -> Sequence[Column]:
        """The columns of the downloads: the full table."""
        return self.columns if self.download_columns is None else self.download_columns

    @property
    def download_width(self) -> int:
        """The columns of the downloads as a spreadsheet shows them (an interval as two)."""
        return len(self.download_frame().columns)

    def notes(self) -> list[str]:
        """The sentences under the table: its own note, and, when the page shows part of a
        table whose downloads hold it all, where the rest is."""
        found = [self.note] if self.note else []
        hidden = {c.key for c in self.full_columns} - {c.key for c in self.columns}
        if self.downloads and hidden:
            found.append(
                self.messages(
                    "tables.full_in_download", count=self.messages.integer(self.download_width)
                )
            )
        return found

    def _column_in_row(self, column: Column, position: int) -> Column:
        override = self.row_formats[position] if self.row_formats is not None else None
        if override is None or column.kind == "text":
            return column
        if override.only is not None and override.only != column.key:
            return column
        return replace(column, kind=override.kind, digits=override.digits)

    def cells(self) -> list[list[tuple[str, bool]]]:
        """Each row's displayed values as (text, is a number), before any escaping."""
        m = self.messages
        rows = []
        for position in range(len(self.frame)):
            record = self.frame.iloc[position]
            row = []
            for column in self.columns:
                col = self._column_in_row(column, position)
                high = record[col.high] if col.high else None
                text = format_value(record[col.key], col, m, high=high)
                row.append((text, col.numeric and not _is_text(record[col.key])))
            rows.append(row)
        return rows

    @property
    def holds_nothing(self) -> bool:
        """Whether the table has no value to give: no row, or rows without a value (a grouping
        the data cannot form, whose one line says why). Such a table is said in one line, not
        drawn, and written for download nowhere: a reader would download an empty file."""
        if self.frame.empty:
            return True
        keys = [k for c in self.full_columns for k in (c.key, c.high) if k is not None]
        return all(is_missing(v) for key in keys for v in self.frame[key])

    def _nothing_line(self) -> str:
        """« <caption> : <why> », the one line a table that holds nothing is shown as."""
        m = self.messages
        why = "; ".join(one_line(label) for label in self.row_labels or [])
        why = why or m("tables.nothing_to_show")
        return m("tables.holds_nothing", caption=one_line(self.caption), why=why)

    # ------------------------------------------------------------------ HTML
    def to_html(self) -> str:
        """The table as HTML: caption, labelled headers, formatted cells, download links."""
        m = self.messages
        if self.holds_nothing:
            return f'<p class="table-empty">{html_text(self._nothing_line())}</p>'

        # numbers right-aligned, digits aligned, and never broken before their unit ("12,6 %");
        # headers wrap, so that a long header does not widen its column past the page
        right = (
            ' style="text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap"'
        )
        left = ' style="text-align: left"'
        right_head = ' style="text-align: right"'
        head = [f'<th scope="col"{left}>{html_text(self.row_header)}</th>']
        head += [
            f'<th scope="col"{right_head if c.numeric else left}>{html_text(c.label)}</th>'
            for c in self.columns
        ]
        body = []
        labels = self.row_labels or []
        for label, cells in zip(labels, self.cells(), strict=True):
            tds = "".join(
                f"<td{right if numeric else left}>{html_text(text)}</td>" for text, numeric in cells
            )
            body.append(f'<tr><th scope="row"{left}>{html_text(label)}</th>{tds}</tr>')
        if not body:
            body.append(
                f'<tr><td colspan="{len(self.columns) + 1}"{left}>'
                f"{html_text(m('tables.empty'))}</td></tr>"
            )
        region = html.escape(one_line(self.caption), quote=True)
        parts = [
            f'<div class="table-scroll" role="region" aria-label="{region}" tabindex="0" '
            'style="overflow-x: auto; max-width: 100%">',
            '<table class="reader-table tex2jax_ignore mathjax_ignore">',
            f"<caption>{html_text(self.caption)}</caption>",
            f"<thead><tr>{''.join(head)}</tr></thead>",
            f"<tbody>{''.join(body)}</tbody>",
            "</table>",
            "</div>",
        ]
        parts += [f'<p class="table-note">{html_text(note)}</p>' for note in self.notes()]
        if self.downloads:
            # each link named by its format in words; its accessible name adds which table
            links = ", ".join(
                f'<a href="{html.escape(href, quote=True)}" download aria-label="'
                + html.escape(
                    one_line(m("tables.download_link", caption=self.caption, format=label)),
                    quote=True,
                )
                + f'">{html_text(label)}</a>'
                for label, href in self.downloads
            )
            parts.append(
                f'<p class="table-downloads">{html_text(m("tables.download"))} ({links})</p>'
            )
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    # ------------------------------------------------------------------ text
    def _repr_markdown_(self) -> str:
        """A Markdown table (front ends without HTML), every cell escaped as Markdown text."""
        if self.holds_nothing:
            return markdown_text(self._nothing_line())
        header = [self.row_header, *(c.label for c in self.columns)]
        align = [":--", *("--:" if c.numeric else ":--" for c in self.columns)]
        lines = [
            f"**{markdown_text(self.caption)}**",
            "",
            "| " + " | ".join(markdown_text(h) for h in header) + " |",
            "| " + " | ".join(align) + " |",
        ]
        for label, cells in zip(self.row_labels or [], self.cells(), strict=True):
            texts = [markdown_text(label), *(markdown_text(t) for t, _ in cells)]
            lines.append("| " + " | ".join(texts) + " |")
        for note in self.notes():
            lines += ["", markdown_text(note)]
        if self.downloads:
            links = ", ".join(f"[{label}]({href})" for label, href in self.downloads)
            lines += ["", f"{markdown_text(self.messages('tables.download'))} ({links})"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Aligned plain text (a console, or a front end showing text/plain)."""
        rows = [[self.row_header, *(c.label for c in self.columns)]]
        for label, cells in zip(self.row_labels or [], self.cells(), strict=True):
            rows.append([one_line(label), *(one_line(t) for t, _ in cells)])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        text = [self.caption]
        for row in rows:
            text.append(
                "  ".join(
                    cell.ljust(w) if i == 0 else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(row, widths, strict=True))
                ).rstrip()
            )
        return "\n".join(text)

    # ------------------------------------------------------------------ downloads
    def download_frame(self) -> pd.DataFrame:
        """What the CSV and XLSX hold: labelled headers, the raw numbers unformatted (an
        interval as two columns, a percentage in percentage points), yes/no in words, missing
        values empty.

        Every text, headers and row labels included, goes through ``spreadsheet_text``: a
        label from the user's codebook that starts like a formula (``=HYPERLINK(...)``,
        ``@SUM(...)``, ``-2+3``) is written with a leading apostrophe, so a spreadsheet shows it
        as text; numbers stay numbers (a negative one too)."""
        m = self.messages
        labels = [spreadsheet_text(one_line(v)) for v in self.row_labels or []]
        data: dict[str, list[Any]] = {spreadsheet_text(one_line(self.row_header)): labels}
        for column in self.full_columns:
            for key, label in self._download_columns(column, m):
                data[spreadsheet_text(one_line(label))] = [
                    _download_value(v, m) for v in self.frame[key].tolist()
                ]
        return pd.DataFrame(data)

    def _download_columns(self, column: Column, m: i18n.Messages) -> list[tuple[str, str]]:
        if column.kind == "interval":
            assert column.high is not None
            return [
                (column.key, m("tables.interval_low", label=column.label)),
                (column.high, m("tables.interval_high", label=column.label)),
            ]
        if column.kind == "percent":
            return [(column.key, m("tables.percent_header", label=column.label))]
        return [(column.key, column.label)]

    def _download_formats(self) -> list[str]:
        """The Excel number format of each column of ``download_frame``."""
        formats = ["@"]
        for column in self.full_columns:
            fmt = _excel_format(column)
            formats += [fmt, fmt] if column.kind == "interval" else [fmt]
        return formats

    def write_csv(self, path: str | Path) -> Path:
        """The table as CSV, UTF-8 with a BOM (Excel then reads "é" as "é"), numbers at full
        precision, missing values empty; in the report's locale's spreadsheet convention, so
        that a double click opens it in columns: in French ";" between fields and a decimal
        comma (a French Excel reads a comma-separated file as one column), else "," and a
        decimal point."""
        path = Path(path)
        french = i18n.current().lang == "fr"
        frame = self.download_frame()
        if french:
            # pandas writes the decimal comma in float columns only: a number in a column that
            # also holds text (a reason said in place of a number) would keep its point
            for position, label in enumerate(frame.columns):
                if not pd.api.types.is_object_dtype(frame.dtypes.iloc[position]):
                    continue
                frame[label] = [
                    repr(v).replace(".", ",") if isinstance(v, float) else v for v in frame[label]
                ]
        frame.to_csv(
            path,
            index=False,
            encoding="utf-8-sig",
            na_rep="",
            sep=";" if french else ",",
            decimal="," if french else ".",
        )
        return path

    def write_xlsx(self, path: str | Path) -> Path:
        """The table as an Excel workbook: numbers stored as numbers with a number format, text
        stored as text (an explicit string cell, never a formula), the header row bold, each
        column wide enough for its longest cell (up to a limit)."""
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        path = Path(path)
        frame = self.download_frame()
        sheet_name = "table"
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=sheet_name)
            sheet = writer.sheets[sheet_name]
            bold = Font(bold=True)
            for cell in sheet[1]:
                cell.font = bold
            for row in sheet.iter_rows():
                for cell in row:
                    # text stays text whatever it holds: openpyxl makes a formula of any
                    # string starting with "=", and spreadsheet_text is the first guard only
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
            for i, fmt in enumerate(self._download_formats(), start=1):
                letter = get_column_letter(i)
                values = [frame.columns[i - 1], *frame.iloc[:, i - 1].tolist()]
                width = max(len(str(v)) for v in values if v is not None)
                sheet.column_dimensions[letter].width = min(width + 2, _MAX_XLSX_WIDTH)
                for row in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    for cell in row:
                        if isinstance(cell.value, (int, float)) and not isinstance(
                            cell.value, bool
                        ):
                            cell.number_format = fmt
            sheet.freeze_panes = "B2"
        _fix_timestamps(path)
        return path

    def write_sidecar(self, path: str | Path) -> Path:
        """What the run's index needs to name the downloads in words: the caption, the
        language, the columns of the full table (``tables/<name>.json``, same bytes for the
        same table)."""
        path = Path(path)
        record = {
            "caption": one_line(self.caption),
            "columns": self.download_width,
            "lang": self.lang,
            "shown_columns": self.width,
        }
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        path.write_text(text, encoding="utf-8", newline="\n")
        return path

    def save(self, output_dir: str | Path, name: str) -> list[Path]:
        """Write ``<output_dir>/tables/<name>.csv`` and ``.xlsx`` (the full table) and link
        them under the table by their format in words, with ``<name>.json`` (the caption, for
        the run's index); nothing when ``output_dir`` is empty (a notebook run by hand)."""
        check_name(name)
        if not output_dir or self.holds_nothing:  # nothing to download: no empty file
            return []
        folder = Path(output_dir) / TABLES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        written = [
            self.write_csv(folder / f"{name}.csv"),
            self.write_xlsx(folder / f"{name}.xlsx"),
        ]
        self.write_sidecar(folder / f"{name}{SIDECAR_SUFFIX}")
        m = self.messages
        self.downloads = [
            (m(f"tables.format.{suffix}"), f"{TABLES_DIR}/{name}.{suffix}")
            for suffix in DOWNLOAD_FORMATS
        ]
        return written


# openpyxl stamps the workbook (and each zip entry) with the time of writing: fixed here, so that
# the same table gives the same bytes, like every other file of a run.
_FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fix_timestamps(path: Path) -> None:
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(r"\g<1>2000-01-01T00:00:00Z\g<2>", data.decode()).encode()
            target.writestr(
                zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED
            )


def check_name(name: str) -> str:
    """``name`` if it is a safe file name for a download, else ``ValueError``."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        raise ValueError(
            f"table name {name!r} is not a safe file name: use letters, digits, '_' and '-' "
            "(at most 80, starting with a letter or digit)"
        )
    return name


def show_table(table: ReaderTable, name: str = "", output_dir: str | Path = "") -> None:
    """Display ``table`` and, when ``output_dir`` is given, write it as
    ``<output_dir>/tables/<name>.csv`` and ``.xlsx`` with links under it (``ReaderTable.save``);
    ``name`` defaults to the table's own (``ReaderTable.name``).

    Like ``analyse.report.notebook.show_figure``, it displays and returns nothing, so that a
    cell ending with it shows the table once.
    """
    from IPython.display import display

    table.save(output_dir, name or table.name)
    display(table)


# --------------------------------------------------------------------------- formatting


def is_missing(value: object) -> bool:
    """None, NaN, pd.NA, NaT and the empty string are missing (shown "—", written empty)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return not math.isfinite(float(value))
    return False


def _is_text(value: object) -> bool:
    return isinstance(value, str) and not is_missing(value)


def _is_bool(value: object) -> bool:
    return isinstance(value, (bool, np.bool_))


def format_value(
    value: object, column: Column, m: i18n.Messages, high: object | None = None
) -> str:
    """``value`` as a reader sees it in ``column``, in ``m``'s language ("—" when missing)."""
    kind = column.kind
    if kind == "interval":
        if is_missing(value) and is_missing(high):
            return m("format.missing")
        if _is_text(value):
            return str(value)
        return m(
            "tables.interval",
            low=m.number(_float(value), column.digits, sign=column.sign),
            high=m.number(_float(high), column.digits, sign=column.sign),
        )
    if is_missing(value):
        return m("format.missing")
    if _is_bool(value) or kind == "yesno":
        return m("tables.yes") if bool(value) else m("tables.no")
    if isinstance(value, str) or kind == "text":
        return one_line(value)
    x = _float(value)
    if kind == "count":
        return m.integer(x)
    if kind == "effect":
        return m.number(x, column.digits, sign=True)
    if kind == "percent":
        return m.percent(x / 100.0, column.digits)
    if kind == "share":
        return m.percent(x, column.digits)
    if kind == "p":
        return m.p_value(x, prefix=False)
    if kind == "euros":
        return m.euros(x, column.digits)
    return m.number(x, column.digits)


def _float(value: object) -> float | None:
    if is_missing(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _download_value(value: object, m: i18n.Messages) -> object:
    """A raw value for the CSV/XLSX: numbers as Python numbers, yes/no in words, None if
    missing, text as it is unless it would start a formula (``spreadsheet_text``)."""
    if is_missing(value):
        return None
    if _is_bool(value):
        return m("tables.yes") if bool(value) else m("tables.no")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        return float(value)
    return spreadsheet_text(one_line(value))


def _excel_format(column: Column) -> str:
    digits = "." + "0" * column.digits if column.digits > 0 else ""
    if column.kind == "count":
        return "#,##0"
    if column.kind == "p":
        return "0.0000"
    if column.kind == "share":
        return "0" + digits + "%"
    if column.kind in {"number", "effect", "interval", "percent", "euros"}:
        return "#,##0" + digits if column.kind == "euros" else "0" + digits
    return "General"


def _index_label(value: object) -> str:
    if isinstance(value, tuple):
        return " — ".join(str(v) for v in value if str(v))
    return "" if is_missing(value) else str(value)
