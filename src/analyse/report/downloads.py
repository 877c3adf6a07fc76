"""Where a report's tables are written for download, and how their names are found again.

``analyse.report.reader_table`` writes each table shown in a notebook as
``tables/<name>.csv`` and ``tables/<name>.xlsx`` (the full table), and beside them
``tables/<name>.json``, a sidecar that records the table's caption in the report's language. The
run's index (``analyse.pipeline.index_pages``) reads the sidecars so that it names every
download by its caption, in words, never by its file name. This module holds only names and the
reading of a sidecar: the index pages import it without pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

TABLES_DIR = "tables"
# The files a table is written to, in the order their links are given.
DOWNLOAD_FORMATS = ("csv", "xlsx")
SIDECAR_SUFFIX = ".json"


def sidecar_caption(path: Path) -> str | None:
    """The caption a sidecar records, or ``None`` when there is none or it cannot be read (a
    run written before sidecars, a file edited by hand): the index then says less."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    caption = record.get("caption") if isinstance(record, dict) else None
    return " ".join(caption.split()) if isinstance(caption, str) and caption.strip() else None
