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
- ``types.yaml``: every distinct value of the guessed type column, with its count and ``null``
  (rows whose type maps to ``null`` are excluded from the analysis, with the reason).

The guesses are deliberately simple, and each guessed line says which rule made it:

1. a header that matches an item text of the codebook (``text_fr``; folded for case, accents
   and punctuation; equal, one containing the other, or 90 % similar) is that item;
2. then, in this order, the first column whose folded header contains: "siren" or "siret"
   (``siren``); "insee" (``code_insee``); "population" or "habitants" (``population``);
   "budget" (``budget_per_capita``); the word "ETP" or "agents" (``digital_staff_fte``); the
   word "élu" (``elected_digital_lead``); "stratégie" (``strategy_adopted``); the word "type"
   (``collectivity_type``); "identifiant" or the word "id" (``respondent_id``); "édition"
   (``edition``); and last the word "nom" or "collectivité" (``name``), last because question
   texts often mention "votre collectivité";
3. item-like columns, whose labels go to ``answers.yaml``: the columns guessed as items, or,
   when none is, the unguessed columns with at most ``MAX_LABELS`` distinct non-numeric texts.

A guess a user does not check is a wrong analysis: the header of each file says so.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analyse.data.cells import distinct
from analyse.data.codebook import Codebook
from analyse.data.loading import parse_numbers
from analyse.data.readers import normalise_label, read_raw
from analyse.errors import InputError, Problem

FILES = ("columns.yaml", "answers.yaml", "types.yaml")
MAX_LABELS = 15  # an unguessed column with more distinct texts is free text, not an item
ITEM_SIMILARITY = 0.9
MIN_CONTAINED = 20  # a header contained in an item text (or conversely) must be this long

# (canonical name, words that must appear as whole words, texts that may appear anywhere)
RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("siren", (), ("siren", "siret")),
    ("code_insee", (), ("insee",)),
    ("population", (), ("population", "habitants")),
    ("budget_per_capita", (), ("budget",)),
    ("digital_staff_fte", ("etp", "agents"), ()),
    ("elected_digital_lead", ("elu", "elue", "elus", "elues"), ()),
    ("strategy_adopted", (), ("strategie",)),
    ("collectivity_type", ("type",), ()),
    ("respondent_id", ("id",), ("identifiant",)),
    ("edition", (), ("edition",)),
    ("name", ("nom",), ("collectivite",)),
)

# Type labels and what they most likely mean, shown as a hint beside each null placeholder.
TYPE_HINTS: tuple[tuple[str, str], ...] = (
    ("epci", "epci"),
    ("metropole", "metropole"),
    ("communaute de communes", "CC"),
    ("communaute d agglomeration", "CA"),
    ("agglomeration", "CA"),
    ("communaute urbaine", "CU"),
    ("etablissement public territorial", "EPT"),
    ("ept", "EPT"),
    ("departement", "departement"),
    ("region", "region"),
    ("commune", "commune"),
)


def words(text: str) -> str:
    """Lowercase words without accents, one space apart: "Nb. d'élus" -> "nb d elus"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


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
    texts: dict[str, str]  # file name -> YAML text
    missing_values: list[str] = field(default_factory=list)  # for data.missing_values


def guess_columns(header: list[str], codebook: Codebook | None) -> list[Guess]:
    """Canonical role of each column that can be guessed (each role and column used once)."""
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
            if hit is not None:
                taken.add(column)
                guesses.append(Guess(canonical, column, f"header mentions {hit!r}"))
                break
    return guesses


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


def draft_mapping(export: str | Path, codebook: Codebook | None = None) -> Draft:
    """Draft the three mapping files of ``export`` (read with ``analyse.data.readers``)."""
    table = read_raw(export)
    frame = table.frame
    header = list(frame.columns)
    guesses = guess_columns(header, codebook)
    by_role = {g.canonical: g for g in guesses}
    items = {g.column for g in guesses if codebook and g.canonical in codebook.item_columns}
    if not items:
        guessed = {g.column for g in guesses}
        items = {c for c in header if c not in guessed and _looks_like_item(frame[c])}
    missing = missing_values_seen(frame)
    texts = {
        "columns.yaml": _columns_yaml(table.file, header, guesses, missing),
        "answers.yaml": _answers_yaml(
            table.file, frame, [c for c in header if c in items], codebook
        ),
        "types.yaml": _types_yaml(table.file, frame, by_role.get("collectivity_type")),
    }
    return Draft(
        export=table.file,
        columns=header,
        guesses=guesses,
        texts=texts,
        missing_values=list(missing),
    )


# How exports write a missing cell: R's NA, spreadsheets' #N/A, dashes, "non communiqué".
MISSING_SPELLINGS = frozenset(
    normalise_label(t)
    for t in ("NA", "N/A", "#N/A", "NaN", "NULL", "None", "-", "--", ".", "?", "NC", "NR", "N.C.")
)


def missing_values_seen(frame: pd.DataFrame) -> Counter[str]:
    """The cell texts of the export that are usual spellings of a missing value, as written,
    with their counts: a proposal for ``data.missing_values``."""
    seen: Counter[str] = Counter()
    for position in range(frame.shape[1]):
        codes, texts = distinct(frame.iloc[:, position])  # once per distinct text
        hits = [i for i, t in enumerate(texts) if normalise_label(t) in MISSING_SPELLINGS]
        if hits:
            counts = np.bincount(codes, minlength=len(texts))
            for i in hits:
                seen[str(texts.iloc[i]).strip()] += int(counts[i])
    return seen


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


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML; accents kept readable)."""
    return json.dumps(str(text), ensure_ascii=False, allow_nan=False)


def _columns_yaml(
    file: str, header: list[str], guesses: list[Guess], missing: Counter[str] | None = None
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
        found = ", ".join(f"{q(t)} ({n} cell{'s' if n != 1 else ''})" for t, n in missing.items())
        values = ", ".join(q(t) for t in missing)
        lines += [
            f"# Cells that usually mean a missing value: {found}. To read them as empty in",
            "# every column, give the parameter file (not this file)",
            f"#   data: {{missing_values: [{values}]}}",
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
        lines += [f"#   {level.value} = {level.label_fr}" for level in codebook.levels]
    hints = {} if codebook is None else {words(lv.label_fr): lv.value for lv in codebook.levels}
    for label, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        hint = hints.get(words(label))
        # the codebook's own wording of a level is no guess: filled in, so that forgetting to
        # edit it cannot turn every such answer into a non-answer
        value = "null" if hint is None else str(hint)
        note = f"; the codebook's label of level {hint}" if hint is not None else ""
        lines.append(f"{q(label)}: {value}  # {count} answer{'s' if count != 1 else ''}{note}")
    if not counts:
        lines.append("# (no text answer found: items are numbers already, or none was guessed)")
    return "\n".join(lines) + "\n"


def _types_yaml(file: str, frame: pd.DataFrame, guess: Guess | None) -> str:
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
    for label, count in sorted(_labels(frame[guess.column]).items(), key=lambda kv: -kv[1]):
        hint = _type_hint(label)
        note = f"; perhaps {hint}" if hint else ""
        lines.append(f"{q(label)}: null  # {count} row{'s' if count != 1 else ''}{note}")
    return "\n".join(lines) + "\n"


def _type_hint(label: str) -> str | None:
    folded = f" {re.sub(r'hors [a-z]+', '', words(label))} "  # "EPCI (hors métropole)"
    return next((vocab for text, vocab in TYPE_HINTS if f" {text} " in folded), None)


def write_draft(draft: Draft, out: str | Path, force: bool = False) -> list[Path]:
    """Write the drafted files into ``out``; refuse (``InputError``) to overwrite any unless
    ``force``, naming every file that exists, and writing none of them."""
    out = Path(out)
    targets = [out / name for name in FILES]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise InputError(
            [
                Problem(
                    str(p),
                    "already exists: not overwritten",
                    expected="another --out folder, or --force to overwrite",
                )
                for p in existing
            ]
        )
    out.mkdir(parents=True, exist_ok=True)
    for path in targets:
        path.write_text(draft.texts[path.name], encoding="utf-8")
    return targets
