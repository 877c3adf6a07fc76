"""What a label in a survey export means: folded words, contract types, codebook levels.

``analyse draft-mapping`` fills a type or answer label only when it is the contract's or the
codebook's own wording (compared as ``words``: without case, accents, punctuation, and with
« œ » as "oe", since a French keyboard has no « œ » and exports spell « Mise en oeuvre » both
ways); a label that merely looks like one (a typo such as « Une métroploe », « Un EPIC ») is
left null and marked CHECK. ``analyse validate`` uses the same judgement to warn about a label
left null that looks like a known one: such a label silently drops rows or answers.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

from analyse.data.codebook import Codebook

# Letters NFKD does not decompose, written as their usual two-letter spelling.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def words(text: str) -> str:
    """Lowercase words without accents, one space apart: "Nb. d'élus" -> "nb d elus",
    « Mise en œuvre » -> "mise en oeuvre"."""
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


# Type labels that are a contract type's name or a usual code of one: filled, not guessed.
TYPE_NAMES: dict[str, str] = {
    "commune": "commune",
    "communes": "commune",
    "com": "commune",
    "cc": "CC",
    "communaute de communes": "CC",
    "ca": "CA",
    "communaute d agglomeration": "CA",
    "cu": "CU",
    "communaute urbaine": "CU",
    "metropole": "metropole",
    "met": "metropole",
    "metro": "metropole",
    "ept": "EPT",
    "etablissement public territorial": "EPT",
    "departement": "departement",
    "dep": "departement",
    "dept": "departement",
    "region": "region",
    "reg": "region",
}
# More names a survey tool gives a type (after articles and parentheses are dropped: « Une
# métropole », « Un EPCI (hors métropole) »), filled like the names above.
TYPE_NAMES.update(
    {
        "metropoles": "metropole",
        "departements": "departement",
        "conseil departemental": "departement",
        "regions": "region",
        "conseil regional": "region",
        "communautes de communes": "CC",
        "communaute d agglomerations": "CA",
        "communautes d agglomeration": "CA",
        "communautes urbaines": "CU",
        "etablissements publics territoriaux": "EPT",
    }
)
# "epci": an EPCI whose legal type (CC, CA, CU, metropole) the reference frame gives; filled
# only when the draft's parameter file enriches from the frame (a SIREN, INSEE code or name).
EPCI_NAMES = frozenset(
    {
        "epci",
        "epcis",
        "intercommunalite",
        "intercommunalites",
        "epci a fp",
        "epci fp",
        "epci a fiscalite propre",
        "epcis a fiscalite propre",
        "etablissement public de cooperation intercommunale",
        "etablissements publics de cooperation intercommunale",
        "etablissement public de cooperation intercommunale a fiscalite propre",
        "etablissements publics de cooperation intercommunale a fiscalite propre",
    }
)
ARTICLES = frozenset({"un", "une", "le", "la", "les", "l", "des", "du"})
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


def level_labels(codebook: Codebook) -> dict[str, int]:
    """The codebook's level labels, French and English, folded (``words``) -> level."""
    labels = {}
    for level in codebook.levels:
        for text in (level.label_fr, level.label_en):
            if text:
                labels.setdefault(words(text), level.value)
    return labels


def near_level(label: str, own: dict[str, int]) -> int | None:
    """The level whose label ``label`` is close to (a typo, a shortened label), if any."""
    best = near_labels(label, own)
    return None if best is None else own[best]


def type_name(label: str, enrich: bool = True) -> str | None:
    """The contract type a type label names, or None: its own name or a usual code (``CC``,
    « Commune », ``MET``), after articles and parentheses are dropped (« Une métropole »,
    « Un EPCI (hors métropole) »); ``epci`` only with ``enrich`` (the frame gives its legal
    type)."""
    for key in _keys(label):
        if key in TYPE_NAMES:
            return TYPE_NAMES[key]
        if key in EPCI_NAMES:
            return "epci" if enrich else None
    return None


def type_hint(label: str) -> str | None:
    """The type a label mentions among other words (« Syndicat d'agglomération » -> CA), the
    hint shown beside a null placeholder; "hors métropole" is no mention of a metropole."""
    folded = f" {re.sub(r'hors [a-z]+', '', words(label))} "  # "EPCI (hors métropole)"
    return next((vocab for text, vocab in TYPE_HINTS if f" {text} " in folded), None)


# A label this similar to a codebook's level label is probably that level, but is not filled.
LEVEL_SIMILARITY = 0.8
# Type names shorter than this are codes (CC, CA, MET): one letter off is another code, not a
# typo, so they are never "near" a label.
MIN_NEAR_LENGTH = 4


def _keys(label: str) -> list[str]:
    """A type label's folded words without its leading articles, as written and without its
    parentheses (« Un EPCI (hors métropole) » -> "epci hors metropole", "epci")."""
    keys = []
    for text in (label, re.sub(r"\([^)]*\)", " ", str(label))):
        tokens = words(text).split()
        while tokens and tokens[0] in ARTICLES:
            tokens = tokens[1:]
        keys.append(" ".join(tokens))
    return keys


def edit_distance(a: str, b: str) -> int:
    """Letters inserted, deleted, replaced or swapped with a neighbour to turn ``a`` into ``b``
    (optimal string alignment): "metroploe" -> "metropole" is 1, "epic" -> "epci" is 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def allowed_typos(text: str) -> int:
    """The edit distance still read as a typo of ``text``: 1, or 2 past 10 letters."""
    return 1 if len(text) <= 10 else 2


def near_type(label: str) -> tuple[str, str] | None:
    """The contract type a type label is a typo of, and the known name it is near
    (« Une métroploe » -> ("metropole", "metropole"), « Un EPIC (hors métropole) » ->
    ("epci", "epci")), or None; a label that *is* a known name is not "near" one."""
    if type_name(label) is not None:
        return None
    names = {**TYPE_NAMES, **{name: "epci" for name in EPCI_NAMES}}
    best: tuple[int, str] | None = None
    for key in _keys(label):
        if len(key) < MIN_NEAR_LENGTH:
            continue
        for name in names:
            if len(name) < MIN_NEAR_LENGTH or abs(len(name) - len(key)) > 2:
                continue
            distance = edit_distance(key, name)
            if distance <= allowed_typos(name) and (best is None or distance < best[0]):
                best = (distance, name)
    return None if best is None else (names[best[1]], best[1])


def looks_like_type(label: str) -> str | None:
    """The contract type a type label looks like, by its name, a typo of one, or a mention
    (``type_name``, ``near_type``, ``type_hint``), or None."""
    near = near_type(label)
    return type_name(label) or (near[0] if near else None) or type_hint(label)


def near_labels(label: str, known: Iterable[str]) -> str | None:
    """The folded known label ``label`` is close to (``LEVEL_SIMILARITY``), if any."""
    folded = words(label)
    best = max(known, key=lambda t: difflib.SequenceMatcher(None, folded, t).ratio(), default=None)
    if best is None or difflib.SequenceMatcher(None, folded, best).ratio() < LEVEL_SIMILARITY:
        return None
    return best
