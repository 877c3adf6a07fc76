"""Starter mapping files for a new survey export: ``analyse draft-mapping EXPORT``.

A survey-tool export has its own headers (question texts), answer labels and type labels. The
package reads it through three mappings (``data.columns``, ``data.answer_labels``,
``data.type_labels`` of a parameter file). Typing them by hand for a 200-column export is
where mistakes come from, so this module drafts them from the file itself and the analyst
edits rather than types:

- ``columns.yaml``: ``canonical name: "column in the file"`` for each column whose role is
  guessed, every other column of the file listed as a comment, so that no column goes unseen.
- ``answers.yaml``: every distinct text answer of the item-like columns with its count (as a
  comment) and ``null``, the placeholder the analyst replaces by a level. ``null`` means
  "non-answer" to the loader, so a label left at ``null`` is read as missing, never as a level.
  A label that is the codebook's own wording of a level (compared without case or accents) is
  filled with that level: it is not a guess.
- ``types.yaml``: every distinct value of the guessed type column, with its count. A value that
  is a contract type's own name (``CC``, ``CA``, ``CU``, ``EPT``, « Commune », « Métropole »,
  « Communauté de communes »...) or a usual code of one (``COM``, ``MET``, ``DEP``, ``REG``),
  also with an article or a parenthesis (« Une métropole », « Un EPCI (hors métropole) »), is
  filled with that type (``epci``, also « EPCI à fiscalité propre », when the export has a
  column the reference frame is matched on, which gives an EPCI's legal type); every other
  value gets ``null`` (rows whose type maps to ``null`` are excluded from the analysis, with
  the reason) and ``CHECK`` where a type is likely (a mention of one, or a typo of its name:
  « Une métroploe », « Un EPIC ») or where the value is frequent and no « Autre » (« Interco »
  on 39 rows), with the rows it leaves out. Labels are compared as
  ``analyse.data.label_names.words``.
- ``params.yaml``: the parameter file that runs the export with the three files (survey,
  codebook, mappings by path, ``enrich_from_frame`` when the export has a SIREN, INSEE code or
  name column, the missing-value spellings seen only among numbers, a run name from the file's
  name), valid as written, so that ``analyse validate --params DIR/params.yaml`` is the next
  step rather than copying a snippet. In ``answers.yaml``, a usual non-answer (« Ne sait
  pas », « Non concerné ») says so; any other unknown label is marked ``CHECK``.
- in ``columns.yaml``, as comments for the parameter file: the cells that usually mean a
  missing value (``NA``, ``n/a``, ``-``, ``#N/A``, ``ND``, ``NC``...) as a ``data.missing_values``
  proposal, and for each count column (whole numbers, more than ``MIN_COUNT_VALUES`` distinct
  values, not guessed as another role) round ``cuts`` near its quartiles, for a codebook item
  that bands it into ordered levels.

The guesses are deliberately simple, and each guessed line says which rule made it:

1. a header that matches an item text of the codebook (``text_fr``; folded for case, accents
   and punctuation; equal, one containing the other, or 90 % similar) is that item;
2. then, in this order, the first column whose folded header contains: "siren" or "siret"
   (``siren``); "insee" (``code_insee``); "population" or "habitants" (``population``);
   "budget", or spending ("dépense", "euros") per inhabitant ("habitant", "hab", "€/hab")
   (``budget_per_capita``, tried before ``population`` so that "Dépenses par habitant" is not a
   population); the word "ETP" or "agents" (``digital_staff_fte``); the
   word "élu" (``elected_digital_lead``); "stratégie" (``strategy_adopted``); the word "type"
   (``collectivity_type``); "identifiant" or the word "id" (``respondent_id``); "édition",
   or the word "année", "year", "millésime" or "vague" over a column of years (``edition``); and
   last the word "nom" or "collectivité" (``name``), last because question
   texts often mention "votre collectivité";
3. item-like columns, whose labels go to ``answers.yaml``: the columns guessed as items, or,
   when none is, the unguessed columns with at most ``MAX_LABELS`` distinct non-numeric texts.

A guess a user does not check is a wrong analysis: the header of each file says so.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.cells import distinct
from analyse.data.codebook import Codebook, load_codebook
from analyse.data.label_names import (
    level_labels,
    near_level,
    near_type,
    type_hint,
    type_name,
    words,
)
from analyse.data.numbers import parse_numbers
from analyse.data.readers import duplicate_headers, normalise_label, read_raw
from analyse.errors import InputError, Problem
from analyse.params import NAME_MAX_LENGTH, AnalysisParams
from analyse.paths import default_codebook_path, project_root

MAPPING_FILES = ("columns.yaml", "answers.yaml", "types.yaml")
PARAMS_FILE = "params.yaml"
FILES = (*MAPPING_FILES, PARAMS_FILE)
MAX_LABELS = 15  # an unguessed column with more distinct texts is free text, not an item
ITEM_SIMILARITY = 0.9
MIN_CONTAINED = 20  # a header contained in an item text (or conversely) must be this long

# (canonical name, words that must appear as whole words, texts that may appear anywhere)
RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("siren", (), ("siren", "siret")),
    ("code_insee", (), ("insee",)),
    ("budget_per_capita", (), ("budget",)),
    ("population", (), ("population", "habitants")),
    ("digital_staff_fte", ("etp", "agents"), ()),
    ("elected_digital_lead", ("elu", "elue", "elus", "elues"), ()),
    ("strategy_adopted", (), ("strategie",)),
    ("collectivity_type", ("type",), ()),
    ("respondent_id", ("id",), ("identifiant",)),
    ("edition", ("annee", "year", "millesime", "vague"), ("edition",)),
    ("name", ("nom",), ("collectivite",)),
)

# Words of spending and of "per inhabitant": a header with one of each is spending per inhabitant.
SPENDING_WORDS = ("depense", "depenses", "budget", "euros", "euro", "eur")
PER_INHABITANT = ("habitant", "hab", "capita", "inhabitant", "par habitant")
# Headers that name a year only when the column holds years (« année » is in many questions).
YEAR_RANGE = (1990, 2100)
MIN_COUNT_VALUES = 15  # a whole-number column with more distinct values is a count, not levels
# A type label no rule knows that holds this many rows and this share of the typed rows is
# marked CHECK: « Interco » on 39 rows of 64 is a type the analyst forgot, not an « Autre ».
FREQUENT_TYPE_ROWS = 5
FREQUENT_TYPE_SHARE = 0.1
# First words of a type label that is the survey's "other" choice: left out, no CHECK.
OTHERS = frozenset({"autre", "autres", "other", "others", "aucun", "aucune", "none"})

# Answers that say "no answer" rather than a level (folded words): « Je ne sais pas », « Non
# concerné », « Ma structure n'est pas concernée », « Sans objet », « NSP »... A label left at
# null is read as a non-answer anyway: the draft says which nulls it recognised as such.
NON_ANSWERS = re.compile(
    r"\b(ne (sait|sais|savons|saurais) pas|(non|pas|n est pas) concerne(e|s|es)?|sans "
    r"(objet|reponse|avis)|ne se prononce pas|ne souhaite pas repondre|nsp|nspp|non applicable"
    r"|non renseigne(e)?|pas de reponse|don t know|not applicable|no answer|prefer not)\b"
)


@dataclass(frozen=True)
class Guess:
    canonical: str
    column: str
    why: str


@dataclass(frozen=True)
class Draft:
    """The three drafted files' texts, and what they were drafted from."""

    export: str
    columns: list[str]
    guesses: list[Guess]
    texts: dict[str, str]  # file name -> YAML text (the three mappings)
    missing_values: list[str] = field(default_factory=list)  # for data.missing_values
    # Whether the export has a column the reference frame is matched on (siren, code_insee,
    # name): the drafted parameter file then enriches from the frame.
    enrich: bool = False
    # The missing-value spellings seen only in columns of numbers otherwise: safe to declare.
    confident_missing: list[str] = field(default_factory=list)
    # The worksheet of an .xlsx workbook drafted ("" for another file), whether it was chosen
    # (``--sheet``: written as ``data.sheet``) or is the first by default, and the workbook's
    # worksheets (title, described as "0 'Notice' (3 rows)") when it has several.
    sheet: str = ""
    sheet_chosen: bool = False
    worksheets: tuple[tuple[str, str], ...] = ()


def guess_columns(
    header: list[str], codebook: Codebook | None, frame: pd.DataFrame | None = None
) -> list[Guess]:
    """Canonical role of each column that can be guessed (each role and column used once).
    With the export's cells (``frame``), a header saying "année" is the edition only over a
    column of years."""
    guesses: list[Guess] = []
    taken: set[str] = set()
    if codebook is not None:
        for theme in codebook.themes:
            for item in theme.items:
                column = _item_column(item.column, item.text_fr, header, taken)
                if column is not None:
                    taken.add(column)
                    guesses.append(Guess(item.column, column, f"item of theme {theme.key}"))
    for canonical, whole, anywhere in RULES:
        for column in header:
            if column in taken:
                continue
            folded = words(column)
            tokens = set(folded.split())
            hit = next((w for w in whole if w in tokens), None) or next(
                (t for t in anywhere if t in folded), None
            )
            if canonical == "budget_per_capita" and hit is None:
                hit = _spending_per_inhabitant(column)
            if canonical == "edition" and hit in whole and not _holds_years(frame, column):
                hit = None
            if hit is not None:
                taken.add(column)
                guesses.append(Guess(canonical, column, f"header mentions {hit!r}"))
                break
    return guesses


def _spending_per_inhabitant(header: str) -> str | None:
    """The words that make ``header`` a spending per inhabitant ("Dépenses (€/hab.)"), if any."""
    folded = words(header.replace("€", " euros "))
    tokens = set(folded.split())
    spend = next((w for w in SPENDING_WORDS if w in tokens), None)
    per = next((w for w in PER_INHABITANT if w in tokens or (" " in w and w in folded)), None)
    return f"{spend} ... {per}" if spend and per else None


def _holds_years(frame: pd.DataFrame | None, name: str) -> bool:
    """Whether every non-empty cell of the column is a whole number in ``YEAR_RANGE`` (and
    one is)."""
    column = None if frame is None else frame[name]
    if column is None or isinstance(column, pd.DataFrame):
        return False
    numbers = parse_numbers(column.astype(str).str.strip())
    values = np.asarray(numbers.values, dtype=float)[~numbers.empty]
    if len(values) == 0 or not numbers.is_number[~numbers.empty].all():
        return False
    low, high = YEAR_RANGE
    return bool(((values == np.round(values)) & (values >= low) & (values <= high)).all())


def _item_column(item: str, text: str, header: list[str], taken: set[str]) -> str | None:
    """The column of one codebook item: its own name, else a header matching its text."""
    free = [h for h in header if h not in taken]
    if item in free:
        return item
    target = words(text)
    if not target:
        return None
    best, best_ratio = None, 0.0
    for column in free:
        folded = words(column)
        if not folded:
            continue
        short = min(len(folded), len(target))
        if folded == target or (short >= MIN_CONTAINED and (target in folded or folded in target)):
            return column
        ratio = difflib.SequenceMatcher(None, folded, target).ratio()
        if ratio > best_ratio:
            best, best_ratio = column, ratio
    return best if best_ratio >= ITEM_SIMILARITY else None


def draft_mapping(
    export: str | Path, codebook: Codebook | None = None, sheet: str | int | None = None
) -> Draft:
    """Draft the three mapping files of ``export`` (read with ``analyse.data.readers``;
    ``sheet``: the worksheet of an .xlsx workbook, by name or 0-based position, as
    ``data.sheet``; the first by default)."""
    table = read_raw(export, sheet=sheet)
    frame = table.frame
    header = list(frame.columns)
    guesses = guess_columns(header, codebook, frame)
    # a guessed column whose header is repeated is ambiguous, as validate says of it; repeated
    # headers among the columns left unmapped are harmless (not read)
    duplicated = duplicate_headers(header, {g.column for g in guesses}, table.file, mapped=False)
    if duplicated:
        raise InputError(duplicated)
    by_role = {g.canonical: g for g in guesses}
    items = {g.column for g in guesses if codebook and g.canonical in codebook.item_columns}
    if not items:
        guessed = {g.column for g in guesses}
        items = {c for c in header if c not in guessed and _looks_like_item(frame[c])}
    missing, where = _missing_values_where(frame)
    guessed = {g.column for g in guesses}
    counts = {
        c: cuts
        for c in header
        if c not in guessed
        and c not in items
        and (cuts := count_cuts(frame[c], missing, (codebook or load_codebook()).n_levels))
    }
    enrich = any(role in by_role for role in FRAME_KEYS)
    file = comment(table.file)  # shown in the files' first comment
    texts = {
        "columns.yaml": _columns_yaml(file, header, guesses, missing, counts, where),
        "answers.yaml": _answers_yaml(file, frame, [c for c in header if c in items], codebook),
        "types.yaml": _types_yaml(file, frame, by_role.get("collectivity_type"), enrich),
    }
    texts = {name: readable(text) for name, text in texts.items()}
    return Draft(
        export=table.file,
        columns=header,
        guesses=guesses,
        texts=texts,
        missing_values=list(missing),
        enrich=enrich,
        confident_missing=[t for t in missing if _only_in_numbers(frame, where[t], missing)],
        sheet=table.sheet,
        sheet_chosen=sheet is not None,
        worksheets=table.worksheets,
    )


# A worksheet with fewer columns is hardly a survey: perhaps a notice before the answers.
FEW_COLUMNS = 3


def sheet_notes(draft: Draft) -> list[str]:
    """What to say of the worksheet drafted, one line each: which one, when the workbook has
    several and none was chosen; the others, when the one drafted yields almost nothing (fewer
    than ``FEW_COLUMNS`` columns, or none guessed) and the data may sit on another."""
    if not draft.worksheets:
        return []
    notes = []
    listed = ", ".join(entry for _, entry in draft.worksheets)
    if not draft.sheet_chosen:
        notes.append(
            f"{draft.export} has {len(draft.worksheets)} worksheets ({listed}): the first, "
            f"{draft.sheet!r}, was drafted; choose another with --sheet NAME or --sheet POSITION"
        )
    n = len(draft.columns)
    if n < FEW_COLUMNS or not draft.guesses:
        others = [entry for title, entry in draft.worksheets if title != draft.sheet]
        notes.append(
            f"the worksheet {draft.sheet!r} gives {n} column{'s' if n != 1 else ''} and "
            f"{len(draft.guesses)} guessed: are the answers on another worksheet? "
            f"{', '.join(others)}; draft it with --sheet"
        )
    return notes


# The columns the reference frame is matched on (``analyse.data.enrich``).
FRAME_KEYS = ("siren", "code_insee", "name")


def _only_in_numbers(frame: pd.DataFrame, columns: list[str], missing: Counter[str]) -> bool:
    """Whether every column in ``columns`` holds numbers in every other non-empty cell: there
    « NA » or « - » can only mean a missing value (in a column of text, « NC » may be a label)."""
    blanks = {normalise_label(t) for t in missing}
    for name in columns:
        column = frame[name]
        if isinstance(column, pd.DataFrame):
            return False
        text = column.astype(str).str.strip()
        numbers = parse_numbers(text.mask(text.map(normalise_label).isin(blanks), ""))
        filled = ~numbers.empty
        if not filled.any() or not numbers.is_number[filled].all():
            return False
    return True


# How exports write a missing cell: R's NA, spreadsheets' #N/A, dashes, "non communiqué".
MISSING_SPELLINGS = frozenset(
    normalise_label(t)
    for t in (
        "NA",
        "N/A",
        "#N/A",
        "#N/D",
        "NaN",
        "NULL",
        "None",
        "-",
        "--",
        ".",
        "?",
        "NC",
        "N.C.",
        "ND",
        "N.D.",
        "NR",
        "Non communiqué",
        "Non renseigné",
        "#VALEUR!",
        "#VALUE!",
        "#DIV/0!",
    )
)


@dataclass(frozen=True)
class CountCuts:
    """A count column's proposal: its range, distinct values, the cuts, and the share of the
    non-empty cells in each level (level = number of cuts <= the value)."""

    low: int
    high: int
    distinct: int
    cuts: list[int]
    shares: list[float]


def nice(x: float) -> int:
    """``x`` rounded to a number a reader takes as a band limit: a whole number up to 10, then
    the nearest of 1, 2, 2.5 and 5 times a power of ten (12 -> 10, 37 -> 50, 180 -> 200)."""
    if x <= 10:
        return max(round(x), 1)
    power = 10 ** int(np.floor(np.log10(x)))
    steps = [power * m for m in (1, 2, 2.5, 5, 10)]
    return int(min(steps, key=lambda s: (abs(np.log(x / s)), s)))


def propose_cuts(values: np.ndarray, n_cuts: int = 3) -> list[int]:
    """``n_cuts`` round cuts near evenly spaced quantiles of ``values`` (non-negative whole
    numbers; the quartiles for 3), with a first cut at 1 when zeros are common (a count's "none"
    is its own level): strictly increasing, each above the smallest value and at most the
    largest, so that every level is observed. A codebook item needs exactly one cut fewer than
    the codebook's levels (``analyse.data.codebook.cuts_fault``): when round numbers cannot
    give that many distinct cuts, the quantiles are taken as they are; fewer cuts come back
    only when the column has too few distinct values for more."""
    values = np.asarray(values, dtype=float)
    low, high = float(values.min()), float(values.max())
    start: list[int] = []
    positive = values
    if n_cuts >= 1 and low <= 0 and (values <= 0).mean() >= 0.1:
        start = [1]
        positive = values[values > 0]
    wanted = n_cuts - len(start)
    if wanted <= 0 or len(positive) == 0:
        return start[:n_cuts]
    positions = [k / (wanted + 1) for k in range(1, wanted + 1)]
    for rounding in (nice, lambda x: int(np.ceil(x))):
        cuts = list(start)
        for q in positions:
            cut = rounding(float(np.quantile(positive, q)))
            if cut > low and cut <= high and (not cuts or cut > cuts[-1]):
                cuts.append(cut)
        if len(cuts) == n_cuts:
            return cuts
    return cuts


def count_cuts(
    column: pd.Series, missing: Counter[str] | None = None, n_levels: int = 4
) -> CountCuts | None:
    """The proposal for a column of whole numbers >= 0 with more than ``MIN_COUNT_VALUES``
    distinct values (cells of ``missing`` read as empty), cut into the codebook's
    ``n_levels`` levels, else None."""
    if isinstance(column, pd.DataFrame):
        return None
    text = column.astype(str).str.strip()
    blank = text.map(normalise_label).isin({normalise_label(t) for t in (missing or {})})
    numbers = parse_numbers(text.mask(blank, ""))
    filled = ~numbers.empty
    if not filled.any() or not numbers.is_number[filled].all():
        return None
    values = np.asarray(numbers.values, dtype=float)[filled]
    if (values < 0).any() or (values != np.round(values)).any():
        return None
    distinct_values = len(np.unique(values))
    if distinct_values <= MIN_COUNT_VALUES:
        return None
    cuts = propose_cuts(values, n_levels - 1)
    if not cuts:
        return None
    levels = np.searchsorted(np.asarray(cuts, dtype=float), values, side="right")
    shares = np.bincount(levels, minlength=len(cuts) + 1) / len(values)
    return CountCuts(
        int(values.min()), int(values.max()), distinct_values, cuts, [float(x) for x in shares]
    )


def _band_words(cuts: list[int]) -> str:
    """The levels of ``cuts`` in words: [1, 10, 100] -> "0 / 1-9 / 10-99 / >= 100"."""
    edges = [0, *cuts]
    bands = [
        f"{a}" if b - a == 1 else f"{a}-{b - 1}" for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    first = "< " + str(cuts[0]) if cuts[0] > 1 else bands[0]
    return " / ".join([first, *bands[1:], f">= {cuts[-1]}"])


def missing_values_seen(frame: pd.DataFrame) -> Counter[str]:
    """The cell texts of the export that are usual spellings of a missing value, as written,
    with their counts: a proposal for ``data.missing_values``."""
    return _missing_values_where(frame)[0]


def _missing_values_where(frame: pd.DataFrame) -> tuple[Counter[str], dict[str, list[str]]]:
    """``missing_values_seen``, and the columns each text was seen in: « NC » is "non
    communiqué" in a number column but a party's label in a column of political colours."""
    seen: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for position in range(frame.shape[1]):
        codes, texts = distinct(frame.iloc[:, position])  # once per distinct text
        hits = [i for i, t in enumerate(texts) if normalise_label(t) in MISSING_SPELLINGS]
        if hits:
            counts = np.bincount(codes, minlength=len(texts))
            for i in hits:
                text = str(texts.iloc[i]).strip()
                seen[text] += int(counts[i])
                where.setdefault(text, []).append(str(frame.columns[position]))
    return seen, where


def _looks_like_item(column: pd.Series) -> bool:
    if isinstance(column, pd.DataFrame):  # a repeated header
        return False
    labels = _labels(column)
    return 0 < len(labels) <= MAX_LABELS


def _labels(column: pd.Series) -> Counter[str]:
    """Non-empty, non-numeric cell texts and their counts (numbers are levels already)."""
    text = column.astype(str).str.strip()
    numbers = parse_numbers(text)
    keep = ~numbers.empty & ~numbers.is_number
    return Counter(text[keep].tolist())


# What a YAML file cannot hold raw on a line: the characters its reader refuses (C0 and C1
# controls, U+007F, lone surrogates, U+FFFE, U+FFFF), the line breaks it would fold into a
# space inside a scalar or end a comment with (\n, \r, U+0085, U+2028, U+2029), and the
# byte-order mark. Export headers and labels hold them: mojibake (« nâ\x80\x99est »), text
# pasted from a word processor (U+2028).
_UNSAFE = re.compile(
    "[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# Above this length, a mapping key is no "simple key" for a YAML parser (1024 characters):
# it is written as an explicit key (``? "label"`` then ``: value`` on the next line).
SIMPLE_KEY_MAX = 1000


def _escape(match: re.Match[str]) -> str:
    """A YAML escape of one character: \\x80, \\u2028, \\U0001F600."""
    code = ord(match.group())
    return (
        f"\\x{code:02X}"
        if code <= 0xFF
        else f"\\u{code:04X}"
        if code <= 0xFFFF
        else f"\\U{code:08X}"
    )


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML; accents kept readable), with
    what YAML cannot hold raw written as YAML escapes, so that the file reads back as the
    export's exact text."""
    return _UNSAFE.sub(_escape, json.dumps(str(text), ensure_ascii=False, allow_nan=False))


def key(text: str) -> str:
    """``text`` as a mapping key followed by ``: value``: ``q(text)``, or an explicit key on a
    line of its own when too long for a simple key."""
    quoted = q(text)
    return quoted if len(quoted) <= SIMPLE_KEY_MAX else f"? {quoted}\n"


def comment(text: str) -> str:
    """Text shown in a YAML comment (a file name, a codebook label) on one line that a YAML
    parser accepts: line breaks and other characters YAML cannot hold raw as escapes."""
    return _UNSAFE.sub(_escape, str(text))


def readable(text: str) -> str:
    """A drafted file's text with every character YAML cannot hold raw escaped, line by line:
    a safety net behind ``q`` and ``comment`` (in a double-quoted scalar the escape reads back
    as the character; in a comment it is shown)."""
    return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))


def _columns_yaml(
    file: str,
    header: list[str],
    guesses: list[Guess],
    missing: Counter[str] | None = None,
    counts: dict[str, CountCuts] | None = None,
    where: dict[str, list[str]] | None = None,
) -> str:
    lines = [
        f"# Column mapping drafted by `analyse draft-mapping` from {file}",
        f"# ({len(header)} columns). Each line: canonical name: column exactly as in the file.",
        "# These are GUESSES from the headers: check every one. Columns not guessed are listed",
        "# below as comments; to use one, uncomment its line and write its canonical name.",
        "# Canonical names: respondent_id, collectivity_type, population, budget_per_capita,",
        "# digital_staff_fte, elected_digital_lead, strategy_adopted, siren, code_insee, name,",
        "# edition, and the item columns of the codebook.",
    ]
    width = max((len(g.canonical) for g in guesses), default=0)
    for g in guesses:
        lines.append(f"{g.canonical + ':':<{width + 1}} {q(g.column)}  # {g.why}")
    guessed = {g.column for g in guesses}
    rest = [c for c in header if c not in guessed]
    if rest:
        lines.append(f"# Not mapped ({len(rest)}):")
        lines += [f"# ?: {q(c)}" for c in rest]
    if missing:
        lines.append("# Cells that usually mean a missing value:")
        for text, n in missing.items():
            seen_in = (where or {}).get(text, [])
            shown = ", ".join(q(c) for c in seen_in[:3]) + (
                f" and {len(seen_in) - 3} more" if len(seen_in) > 3 else ""
            )
            lines.append(f"#   {q(text)} ({n} cell{'s' if n != 1 else ''}, in {shown})")
        values = ", ".join(q(t) for t in missing)
        lines += [
            "# To read them as empty in every column (drop any that is a real value in one),",
            "# give the parameter file (not this file)",
            f"#   data: {{missing_values: [{values}]}}",
        ]
    for column, proposal in (counts or {}).items():
        shares = " / ".join(f"{100 * x:.0f} %" for x in proposal.shares)
        lines += [
            f"# Count column {q(column)}: whole numbers {proposal.low} to {proposal.high}, "
            f"{proposal.distinct} distinct values.",
            "# As a codebook item, its levels could be cut so (level = number of cuts <= the",
            f"# value; levels {_band_words(proposal.cuts)} hold {shares} of the cells):",
            f"#   cuts: [{', '.join(str(c) for c in proposal.cuts)}]",
        ]
    return "\n".join(lines) + "\n"


def _answers_yaml(
    file: str, frame: pd.DataFrame, columns: list[str], codebook: Codebook | None
) -> str:
    counts: Counter[str] = Counter()
    for column in columns:
        counts.update(_labels(frame[column]))
    lines = [
        f"# Answer labels drafted by `analyse draft-mapping` from {file}",
        f"# (every distinct text answer of {len(columns)} item-like columns, with its count).",
        "# Replace each null by the answer's level (the codebook's own labels are filled in).",
        "# A label left at null is a NON-ANSWER",
        '# ("Je ne sais pas", "Non concerné"): it is read as missing, never as a level.',
    ]
    if codebook is not None:
        lines.append("# Levels of the codebook:")
        lines += [f"#   {level.value} = {comment(level.label_fr)}" for level in codebook.levels]
    own = {} if codebook is None else level_labels(codebook)
    for label, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        level = own.get(words(label))
        # the codebook's own wording of a level is no guess: filled in, so that forgetting to
        # edit it cannot turn every such answer into a non-answer
        value = "null" if level is None else str(level)
        if level is not None:
            note = f"; the codebook's label of level {level}"
        elif NON_ANSWERS.search(words(label)):
            note = "; a non-answer"
        else:
            near = near_level(label, own)
            note = "; CHECK: not a label of the codebook, read as a non-answer" + (
                f" (perhaps level {near})" if near is not None else ""
            )
        lines.append(f"{key(label)}: {value}  # {count} answer{'s' if count != 1 else ''}{note}")
    if not counts:
        lines.append("# (no text answer found: items are numbers already, or none was guessed)")
    return "\n".join(lines) + "\n"


def _types_yaml(file: str, frame: pd.DataFrame, guess: Guess | None, enrich: bool = False) -> str:
    lines = [
        f"# Type labels drafted by `analyse draft-mapping` from {file}.",
        "# Replace each null by one of: commune, CC, CA, CU, metropole, EPT, departement,",
        "# region, or epci (an EPCI whose legal type CC, CA, CU or metropole is read from the",
        "# reference frame). A type left at null EXCLUDES its rows, with the reason.",
    ]
    if guess is None:
        lines.append("# No type column was guessed: map collectivity_type in columns.yaml first.")
        return "\n".join(lines) + "\n"
    lines.append(f"# Values of the column {q(guess.column)}:")
    values = _labels(frame[guess.column])
    total = sum(values.values())
    for label, count in sorted(values.items(), key=lambda kv: -kv[1]):
        rows = f"{count} row{'s' if count != 1 else ''}"
        known = type_name(label, enrich)
        if known == "epci":
            lines.append(f"{key(label)}: epci  # {rows}; CC, CA, CU or metropole, from the frame")
            continue
        if known is not None:
            what = "the contract's own name" if words(known) == words(label) else "a usual name"
            lines.append(f"{key(label)}: {known}  # {rows}; {what} of {known}")
            continue
        note = _type_note(label, count, total, enrich)
        lines.append(f"{key(label)}: null  # {rows}{note}")
    return "\n".join(lines) + "\n"


def _type_note(label: str, count: int, total: int, enrich: bool) -> str:
    """The comment beside a type label left at null: the type it probably is (a mention of
    one, « EPCI à FP », or a typo of its name, « Une métroploe »), else, for a frequent label
    that is no « Autre », how many rows it leaves out: each a CHECK, since a null left
    unedited silently drops those rows."""
    near = near_type(label)
    hint = type_hint(label) or (near[0] if near else None)
    typo = f" (a typo of {near[1]!r}?)" if near and not type_hint(label) else ""
    if hint == "epci" and not enrich:
        return (
            f"; CHECK: perhaps epci{typo}, which needs data.enrich_from_frame and a siren, "
            "code_insee or name column"
        )
    if hint:
        return f"; CHECK: perhaps {hint}{typo}"
    share = count / total if total else 0.0
    first = words(label).split()[:1]  # none for « - » or « ? »: frequent, and no known type
    if (
        count >= FREQUENT_TYPE_ROWS
        and share >= FREQUENT_TYPE_SHARE
        and (not first or first[0] not in OTHERS)
    ):
        return (
            f"; CHECK: not a type of the contract: its {count} rows ({100 * share:.0f} % of "
            "the rows with a type) are left out unless it is mapped to a type"
        )
    return "; not a type of the contract: its rows are left out"


def run_name(export: str | Path) -> str:
    """A run name (``RunParams.name``: lowercase letters, digits, '_' and '-', starting with a
    letter or digit, at most ``NAME_MAX_LENGTH``) from the export's file name:
    « Baromètre 2025 (final).xlsx » -> ``barometre-2025-final``."""
    slug = "-".join(words(Path(export).stem).split())[:NAME_MAX_LENGTH].strip("-")
    return slug or "survey"


def param_path(path: str | Path) -> str:
    """A path as a parameter file writes it: relative to the project root when inside it
    (``analyse.params.resolve_input`` reads it so), else absolute."""
    resolved = Path(path).expanduser().resolve()
    try:
        return resolved.relative_to(project_root().resolve()).as_posix()
    except ValueError:
        return str(resolved)


def params_yaml(draft: Draft, out: str | Path, codebook: str | Path | None = None) -> str:
    """The parameter file of the drafted mappings in ``out``: what ``analyse validate --params``
    and ``analyse run`` read, valid as it is (``analyse.params``)."""
    out = Path(out)
    book = param_path(codebook if codebook is not None else default_codebook_path())
    defaults = AnalysisParams()
    lines = [
        f"# Parameter file drafted by `analyse draft-mapping` from {comment(draft.export)}.",
        "# Check it with `analyse validate --params FILE`, then `analyse run FILE`. Paths are",
        "# relative to the project root, or absolute. Every key: params/default.yaml, README.",
        f"name: {run_name(draft.export)}  # the report folder",
        "data:",
        f"  survey: {q(param_path(draft.export))}",
        f"  codebook: {q(book)}",
        f"  columns: {q(param_path(out / 'columns.yaml'))}",
        f"  answer_labels: {q(param_path(out / 'answers.yaml'))}",
        f"  type_labels: {q(param_path(out / 'types.yaml'))}",
    ]
    if draft.sheet_chosen:
        lines.append(f"  sheet: {q(draft.sheet)}  # the worksheet drafted")
    elif draft.worksheets:
        lines.append(
            f"  # sheet: {q(draft.sheet)}  # the first worksheet, drafted; the workbook's "
            f"worksheets: {comment(', '.join(e for _, e in draft.worksheets))}"
        )
    if draft.enrich:
        lines.append(
            "  enrich_from_frame: true  # populations and EPCI legal types from the reference "
            "frame, by SIREN, INSEE code or name"
        )
    else:
        lines.append(
            "  enrich_from_frame: false  # no siren, code_insee or name column was guessed"
        )
    confident = draft.confident_missing
    if confident:
        lines.append(
            f"  missing_values: [{', '.join(q(t) for t in confident)}]  # seen in columns "
            "of numbers only"
        )
    others = [t for t in draft.missing_values if t not in confident]
    if others:
        lines.append(
            f"  # missing_values: [{', '.join(q(t) for t in others)}]  # CHECK: also seen "
            "in columns of text (columns.yaml says where); add those that mean missing"
        )
    lines += [
        "analysis:",
        f"  sesoi: {defaults.sesoi}  # smallest standardized size effect of interest",
        f"  alpha: {defaults.alpha}",
        "  controls: []  # allowed: collectivity_type",
        f"  bootstrap: {defaults.bootstrap}",
        f"  weights: {defaults.weights}",
        f"  min_cell: {defaults.min_cell}",
        "seed: 2025",
    ]
    return readable("\n".join(lines) + "\n")


def write_draft(
    draft: Draft, out: str | Path, force: bool = False, codebook: str | Path | None = None
) -> list[Path]:
    """Write the drafted mappings and their parameter file (``params_yaml``; ``codebook`` is
    the codebook the draft used, the default one if None) into ``out``, creating it; refuse
    (``InputError``) to overwrite any unless ``force``, naming every file that exists.

    All four files or none: every target is checked first (``out`` a folder or creatable, no
    target a folder), then the four texts are written to temporary files beside them and moved
    in, so that a folder that cannot be written in, or a disk that fills up, leaves no file
    half written and no draft of three files out of four."""
    out = Path(out)
    targets = [out / name for name in FILES]
    problems = _folder_problems(out)
    if not problems:
        problems = [
            Problem(
                str(p),
                "is a folder, not a file: not overwritten",
                expected="another --out folder, or that folder moved away",
            )
            for p in targets
            if p.is_dir()
        ] + [
            Problem(
                str(p),
                "already exists: not overwritten",
                expected="another --out folder, or --force to overwrite",
            )
            for p in targets
            if p.exists() and not p.is_dir() and not force
        ]
    if problems:
        raise InputError(problems)
    texts = {**draft.texts, PARAMS_FILE: params_yaml(draft, out, codebook)}
    created = _make_folder(out)
    temporaries: list[Path] = []
    try:
        for path in targets:
            temporary = out / f".{path.name}.{secrets.token_hex(6)}.tmp"
            with open(temporary, "x", encoding="utf-8", newline="") as fh:
                temporaries.append(temporary)
                fh.write(texts[path.name])
        for temporary, path in zip(temporaries, targets, strict=True):
            os.replace(temporary, path)
    except OSError as exc:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        where = exc.filename if exc.filename is not None else out
        raise InputError(
            [
                Problem(
                    str(out),
                    f"the drafted files cannot be written ({exc.strerror or exc}: {where}); "
                    "none was written",
                    expected=OUT_EXPECTED,
                )
            ]
        ) from None
    return targets


OUT_EXPECTED = "--out: a folder you may write in, existing or to create"


def _folder_problems(out: Path) -> list[Problem]:
    """What makes ``out`` no folder for the drafted files: it, or a folder above it, is a file."""
    for folder in (out, *out.parents):
        try:
            if not (folder.exists() or folder.is_symlink()):
                continue
            if folder.is_dir():
                return []
        except OSError as exc:  # a folder above that may not be looked into
            return [
                Problem(str(folder), f"cannot be examined ({exc.strerror})", expected=OUT_EXPECTED)
            ]
        what = "is not a folder" if folder == out else f"is not a folder, and {out} is in it"
        return [Problem(str(folder), f"{what} (--out must be a folder)", expected=OUT_EXPECTED)]
    return []


def _make_folder(out: Path) -> list[Path]:
    """Create ``out`` and the folders above it that are missing; the folders created, top
    first (removed again if the files cannot be written)."""
    missing = [f for f in (out, *out.parents) if not f.exists()][::-1]
    for folder in missing:
        try:
            folder.mkdir()
        except FileExistsError:  # made meanwhile
            continue
        except OSError as exc:
            for made in reversed(missing[: missing.index(folder)]):
                with contextlib.suppress(OSError):
                    made.rmdir()
            raise InputError(
                [
                    Problem(
                        str(out),
                        f"cannot be created ({exc.strerror or exc}: {folder})",
                        expected=OUT_EXPECTED,
                    )
                ]
            ) from None
    return missing
