"""Fill a survey's missing populations and EPCI legal types from the reference frame.

Real exports leave population blank for many bodies (40 % of EPCI and most régions in the survey
that motivated this) and often say only "an EPCI" where the model needs CC, CA, CU or métropole.
The official frame (``analyse.data.reference``) knows both for every commune, EPCI, EPT,
département and région, so a respondent that can be identified there need not be dropped.

Identification goes from the most to the least reliable key and stops at the first hit. The
matched population becomes a regressor, so a wrong match is a wrong number: every key is used
only when nothing else the survey says contradicts it, and what is not used is reported.

1. **SIREN** (a 14-digit SIRET, spaces allowed, is read as its first 9 digits): communes, EPCI
   and EPT. Départements and régions have no SIREN in the frame. Every SIREN the INSEE gives
   passes the Luhn check (every one of the committed frame does; La Poste's exception concerns
   its establishments' SIRETs), and a mistyped digit fails it: such a SIREN is ignored with a
   note in ``conflict`` and the row goes on to its next key, as an unparsable one does.
2. **INSEE code**: commune (5 characters, a 4-digit code is taken as having lost its leading
   zero), département (``"13"``, ``"2A"``, ``"976"``) or région (``"84"``). The declared type says
   which list to search; without a type the code must be found in exactly one list (``"84"`` is
   both the Vaucluse and Auvergne-Rhône-Alpes, so it then matches nothing).

   A row found by SIREN or code is checked against the survey's name when it gives one: the
   names agree when they share a full or core key (a région's alias and an EPCI's short name
   count), or when their keys are one edit apart. « Lagnieu » with code 01022 (a digit moved
   from 01202) finds Artemare: the code is then not used, ``conflict`` names both, and the row
   goes on to the next key, then to its name. A name that agrees but states another legal form
   (« Communauté de communes du Grand Avignon » with the CA's SIREN) keeps the hit, with a
   ``review`` note: an identifier and a name agreeing on a body outweigh a former legal form.
3. **Name**, only within the declared type (``epci`` = CC, CA, CU, métropole or EPT) and only when
   exactly one frame row answers. The methods are tried in turn, the first that finds any row
   deciding (each is a value of the report's ``method``):

   - ``exact_name``: the *full* key: accents, case, punctuation, anything in parentheses and
     leading articles (``LE``, ``LA``, ``LES``, ``L'``, ``DU``, ``DE``, ``DE LA``, ``DE L'``,
     ``DES``, ``D'``) ignored, ``ST``/``STE`` read as ``SAINT``/``SAINTE``;
   - ``prefix_stripped``: the *core* key: the full key without a leading legal-form or
     institution word ("Communauté de communes", "Communauté d'agglomération", "Communauté
     urbaine", "CC", "CA", "CU", "Métropole", "Commune de", "Ville de", "Mairie de",
     "Département de/du/des", "Conseil départemental", "Région", "Conseil régional", ...) and
     without a trailing legal form ("Communauté urbaine", "Communauté d'agglomération") nor a
     trailing "Métropole", "Agglomération" or "Agglo", the articles after them ignored too,
     compared with the frame's full and core keys;
   - ``alias``: a usual name or acronym of a région from a small explicit table (``ALIASES``:
     « Région Sud » and « PACA » are Provence-Alpes-Côte d'Azur, « Paris Région » and « IDF »
     Île-de-France, « AURA », « BFC », « CVL », « HDF », ...);
   - ``short_name``: the short name the frame itself writes in parentheses after an EPCI's
     name (« CA de la Région Nazairienne et de l'Estuaire (CARENE) »: 34 EPCI carry one);
   - ``typo``: one letter wrong: the survey's key at Damerau-Levenshtein distance 1 (one letter
     inserted, dropped, replaced, or two neighbours swapped) from a frame key, for keys of at
     least ``TYPO_MIN_LETTERS`` letters. A commune whose survey gives an INSEE code is looked
     for in the code's département only; other rows within their type. Found by a
     deletion-neighbourhood index (each key and its one-letter deletions), so it costs a few
     dictionary reads per row, not a scan of the frame.

   So "Communauté d'agglomération du Grand Avignon" and "CA DU GRAND AVIGNON (COGA)" are the same
   body (core key ``GRAND AVIGNON``), "St-Étienne Métropole" finds "Saint-Étienne Métropole", and
   "Ville-d'Avray" still finds Ville-d'Avray by its full key although its core key drops
   "Ville". The full key is tried first so that a name that *is* a legal word ("Grand", a
   commune of the Vosges, whose core key would collide with "Ville-la-Grand") still finds its
   own row.

   What a method finds is then narrowed, in this order, and is used only if one row is left:

   - **legal form** (``legal_form``): the form the survey's name states by its legal words (CC,
     CA, CU, métropole, EPT; commune, département, région), which prefix stripping drops from
     the key, is kept: rows of that type are preferred, so « Communauté de communes du Sud »
     is CC du Sud and not CA du Sud. When no row found has that form, the frame does not hold
     the body the survey names under that form: another body of the same name (CC du Sud
     absent, CA du Sud found: a population four times as large), or the same body since
     promoted (a CA become a CU). Only the survey's population can tell them apart, so such a
     row is used only when the survey's population is within 10 % of exactly one of them, with
     a ``review`` note; otherwise the row is unmatched and the candidates listed. « Agglo »,
     « Agglomération » and « Collectivité » alone state no form (a census writes « Agglo » for
     CU and métropoles too), nor does a trailing « Métropole » (Le Mans Métropole is a CU);
   - **département**: a commune whose survey gives an INSEE code is in that code's
     département. Several homonyms are narrowed to the one there (two communes called Croix);
     when *none* is there, the row is unmatched with the candidates elsewhere named, even if
     only one body of that name exists: « Balan » with code 01027, absent from the frame, is
     not Balan of the Ardennes (1,579 inhabitants instead of 3,077);
   - **population**: among homonyms left, the one whose population is within 10 % of the
     survey's.

   A ``typo`` match is used only when something else agrees: it was found in the département
   of the row's INSEE code, or the survey's population is within 10 % of the row's (and when
   the survey gives a population that disagrees, it is not used either). Without either, it
   fills nothing: the row is unmatched and its ``review`` asks « did you mean X? ». One letter
   apart is too close to be evidence by itself: 8.6 % of the communes would typo-match another
   commune were they absent from the frame (Billiat and Illiat), so would « CC de la Dombes »
   and « CC des Combes », the Loiret and the Loire. The département is weaker evidence than the
   population: 2.2 % would still typo-match another commune of their own département (Lagnieu
   and Magnieu, both in the Ain), which is why every typo match is listed for review.
   « MONPTELLIER MEDITERRANEE METROPOLE » with a population near 523,000 is still Montpellier
   Méditerranée Métropole.

   Every ``alias``, ``short_name`` and ``typo`` match, every tie broken, every legal form
   accepted from another, and every candidate not used is written in the report's ``review``
   column, with the edit ``distance`` of the keys for a match, and listed by
   ``enrichment_details`` for the analyst to check: nothing fuzzy is accepted silently.

A hit whose type contradicts the declared one (a commune row carrying its EPCI's SIREN) is not
used: the row goes on to the next key and the contradiction is reported. Survey values always win:
population is filled only where missing, and the legal type only where the survey gives none or
the ``epci`` placeholder. A survey population more than 10 % away from the frame's (relative to the
frame's) is reported as a conflict, not changed; nor is anything else in the survey.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from analyse.data.reference import LEVELS, load_frame

EPCI_PLACEHOLDER = "epci"
# Types an ``epci`` row may resolve to: the EPCI à fiscalité propre and the EPT of the Grand Paris
# (in law an EPCI without its own tax, so a survey's "EPCI" category holds them too).
EPCI_LEGAL_TYPES: frozenset[str] = frozenset({"CC", "CA", "CU", "metropole", "EPT"})
# A survey population further than this from the frame's, relative to the frame's, is reported.
CONFLICT_TOLERANCE = 0.10
# How a row was identified, most reliable first; the name methods after the two codes.
NAME_METHODS: tuple[str, ...] = ("exact_name", "prefix_stripped", "alias", "short_name", "typo")
METHODS: tuple[str, ...] = ("siren", "code_insee", *NAME_METHODS)
# Matches the analyst should look at: not the same text once normalised.
FUZZY_METHODS: frozenset[str] = frozenset({"alias", "short_name", "typo"})
# A one-letter edit of a shorter key too often names another body (« EU », « BY », « CROIX »).
TYPO_MIN_LETTERS = 6
REPORT_COLUMNS: tuple[str, ...] = (
    "respondent_id",
    "name",
    "method",
    "distance",
    "frame_name",
    "frame_type",
    "frame_population",
    "population_filled",
    "type_filled",
    "conflict",
    "review",
)
# Frame levels searched by INSEE code, with the declared type that selects each and the code
# length a purely numeric code is left-padded to (spreadsheets drop leading zeros).
_CODE_LEVELS: dict[str, tuple[str, int]] = {
    "commune": ("communes", 5),
    "departement": ("departements", 2),
    "region": ("regions", 2),
}

FrameLoader = Callable[[str], pd.DataFrame]


@dataclass(frozen=True)
class Enrichment:
    """The survey with population and collectivity_type filled (``data``, same rows, same
    order, same columns) and one report row per survey row saying how it was identified
    (``report``, columns ``REPORT_COLUMNS``)."""

    data: pd.DataFrame
    report: pd.DataFrame


# --------------------------------------------------------------------------- keys


_ARTICLES: tuple[tuple[str, ...], ...] = (
    ("DE", "LA"),
    ("DE", "L"),
    ("DE", "LES"),
    ("DES",),
    ("DU",),
    ("DE",),
    ("D",),
    ("LA",),
    ("LE",),
    ("LES",),
    ("L",),
)
_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "COMMUNAUTE DE COMMUNES",
                "COMMUNAUTE DE COMMUNE",
                "COMMUNAUTE D AGGLOMERATION",
                "COMMUNAUTE DE L AGGLOMERATION",
                "COMMUNAUTE URBAINE",
                "COMMUNAUTE D AGGLO",
                "COMMUNAUTE AGGLOMERATION",
                "COMMUNAUTE AGGLO",
                "AGGLOMERATION",
                "AGGLO",
                "CC",
                "CA",
                "CU",
                "METROPOLE EUROPEENNE",
                "METROPOLE",
                "EUROMETROPOLE",
                "ETABLISSEMENT PUBLIC TERRITORIAL",
                "EPT",
                "COMMUNE",
                "VILLE",
                "MAIRIE",
                "DEPARTEMENT",
                "CONSEIL DEPARTEMENTAL",
                "CONSEIL GENERAL",
                "REGION",
                "CONSEIL REGIONAL",
                "COLLECTIVITE TERRITORIALE",
                "COLLECTIVITE",
            )
        ),
        key=len,
        reverse=True,
    )
)
# The legal form a leading word states (``legal_form``). « Agglomération », « Agglo » and
# « Collectivité » alone state none: a census writes « Agglo » for a CU or a métropole too.
_FORM_OF_PREFIX: dict[tuple[str, ...], str] = {
    tuple(p.split()): form
    for form, prefixes in {
        "CC": ("COMMUNAUTE DE COMMUNES", "COMMUNAUTE DE COMMUNE", "CC"),
        "CA": (
            "COMMUNAUTE D AGGLOMERATION",
            "COMMUNAUTE DE L AGGLOMERATION",
            "COMMUNAUTE D AGGLO",
            "COMMUNAUTE AGGLOMERATION",
            "COMMUNAUTE AGGLO",
            "CA",
        ),
        "CU": ("COMMUNAUTE URBAINE", "CU"),
        "metropole": ("METROPOLE EUROPEENNE", "METROPOLE", "EUROMETROPOLE"),
        "EPT": ("ETABLISSEMENT PUBLIC TERRITORIAL", "EPT"),
        "commune": ("COMMUNE", "VILLE", "MAIRIE"),
        "departement": ("DEPARTEMENT", "CONSEIL DEPARTEMENTAL", "CONSEIL GENERAL"),
        "region": ("REGION", "CONSEIL REGIONAL"),
    }.items()
    for p in prefixes
}
_SUFFIXES: tuple[str, ...] = ("METROPOLE", "AGGLOMERATION", "AGGLO")
# a legal form written after the name (« Le Mans Métropole Communauté urbaine », « Grand
# Poitiers Communauté urbaine »), dropped before the one-word suffixes above
_TRAILING_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "COMMUNAUTE URBAINE",
        "COMMUNAUTE D AGGLOMERATION",
        "COMMUNAUTE DE COMMUNES",
        "COMMUNAUTE D AGGLO",
    )
)
# (a trailing « Métropole » is part of a name, not a legal form: Le Mans Métropole is a CU)
_ABBREVIATIONS: dict[str, str] = {"ST": "SAINT", "STE": "SAINTE"}
# Usual names and acronyms of the régions, each to the frame's name: a small explicit table, not
# a guess. An acronym that is also a word a survey writes for "missing" (« NA ») is left out.
ALIASES: dict[str, str] = {
    "Région Sud": "Provence-Alpes-Côte d'Azur",
    "Sud": "Provence-Alpes-Côte d'Azur",
    "PACA": "Provence-Alpes-Côte d'Azur",
    "Paris Région": "Île-de-France",
    "Région Paris": "Île-de-France",
    "IDF": "Île-de-France",
    "AURA": "Auvergne-Rhône-Alpes",
    "ARA": "Auvergne-Rhône-Alpes",
    "BFC": "Bourgogne-Franche-Comté",
    "CVL": "Centre-Val de Loire",
    "Centre": "Centre-Val de Loire",
    "Région Centre": "Centre-Val de Loire",
    "HDF": "Hauts-de-France",
    "Nord-Pas-de-Calais-Picardie": "Hauts-de-France",
    "ACAL": "Grand Est",
    "Alsace-Champagne-Ardenne-Lorraine": "Grand Est",
    "ALPC": "Nouvelle-Aquitaine",
    "Aquitaine-Limousin-Poitou-Charentes": "Nouvelle-Aquitaine",
    "Occitanie Pyrénées-Méditerranée": "Occitanie",
    "LRMP": "Occitanie",
    "Languedoc-Roussillon-Midi-Pyrénées": "Occitanie",
    "PDL": "Pays de la Loire",
    "Pays de Loire": "Pays de la Loire",
    "CTC": "Corse",
    "Collectivité territoriale de Corse": "Corse",
    "Île de la Réunion": "La Réunion",
}
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})


def _tokens(text: str) -> list[str]:
    """Upper-case ASCII words of a name: accents, punctuation and parenthesised parts dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    plain = re.sub(r"\([^)]*\)?", " ", plain).replace("&", " ET ")
    words = re.sub(r"[^0-9A-Z]+", " ", plain).split()
    return [_ABBREVIATIONS.get(w, w) for w in words]


def _by_first_word(
    patterns: Iterable[tuple[str, ...]],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Patterns by their first word, longest first: a name is compared only with the patterns
    its first word can start (a census calls this 70,000 times)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for pattern in sorted(patterns, key=len, reverse=True):
        out.setdefault(pattern[0], []).append(pattern)
    return {word: tuple(found) for word, found in out.items()}


_ARTICLES_BY_WORD = _by_first_word(_ARTICLES)
_PREFIXES_BY_WORD = _by_first_word(_PREFIXES)


def _strip_leading(words: list[str], patterns: dict[str, tuple[tuple[str, ...], ...]]) -> list[str]:
    """Drop the first pattern found at the start, if any word would remain."""
    if not words:
        return words
    for pattern in patterns.get(words[0], ()):
        n = len(pattern)
        if len(words) > n and tuple(words[:n]) == pattern:
            return words[n:]
    return words


def _strip_articles(words: list[str]) -> list[str]:
    while True:
        stripped = _strip_leading(words, _ARTICLES_BY_WORD)
        if stripped is words:
            return words
        words = stripped


def name_keys(text: object) -> tuple[str, str]:
    """The full and core matching keys of a name (see the module docstring); ``("", "")`` for a
    missing or empty one."""
    if not isinstance(text, str):
        return "", ""
    return _name_keys(text)


@functools.lru_cache(maxsize=1 << 16)
def _name_keys(text: str) -> tuple[str, str]:
    """``name_keys`` of a text, remembered: a census's names are mostly the frame's own, whose
    keys the index has just computed."""
    full = _strip_articles(_tokens(text))
    core = _strip_articles(_strip_leading(full, _PREFIXES_BY_WORD))
    for form in _TRAILING_FORMS:
        if len(core) > len(form) and tuple(core[-len(form) :]) == form:
            core = core[: -len(form)]
            break
    if len(core) > 1 and core[-1] in _SUFFIXES:
        core = core[:-1]
    return " ".join(full), " ".join(core)


def legal_form(text: object) -> str | None:
    """The legal form a name states by its leading legal words (« Communauté de communes »,
    « CA », « Métropole », « Ville de », « Conseil départemental », « Région », ...) or by a
    legal form written after it (« Le Mans Métropole Communauté urbaine »): a frame type (``CC``,
    ``CA``, ``CU``, ``metropole``, ``EPT``, ``commune``, ``departement``, ``region``), else None.
    Prefix stripping drops these words to compare names; this keeps what they said."""
    if not isinstance(text, str):
        return None
    return _legal_form(text)


@functools.lru_cache(maxsize=1 << 16)
def _legal_form(text: str) -> str | None:
    words = _strip_articles(_tokens(text))
    for pattern in _PREFIXES_BY_WORD.get(words[0] if words else "", ()):
        n = len(pattern)
        if len(words) > n and tuple(words[:n]) == pattern:
            return _FORM_OF_PREFIX.get(pattern)
    for form in _TRAILING_FORMS:
        if len(words) > len(form) and tuple(words[-len(form) :]) == form:
            return _FORM_OF_PREFIX[form]
    return None


def siren_key(value: object) -> str:
    """The 9-digit SIREN in a SIREN or SIRET (spaces, dots and dashes allowed), else ``""``."""
    if not isinstance(value, str):
        return ""
    digits = re.sub(r"[\s.\-]", "", value)
    if re.fullmatch(r"\d{9}|\d{14}", digits) is None:
        return ""
    return digits[:9]


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check, as every SIREN the INSEE gives does
    (every SIREN of the committed frame passes it; La Poste's exception concerns the 14-digit
    SIRET of its establishments, not a 9-digit SIREN). One digit mistyped, or most pairs of
    neighbours swapped, fail it: a SIREN that fails is a typo, whatever it happens to find."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        d = int(char)
        if position % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _code_key(value: object, width: int) -> str:
    if not isinstance(value, str):
        return ""
    code = re.sub(r"\s", "", value).upper()
    if code.isdigit() and len(code) < width:
        code = code.zfill(width)
    return code


# --------------------------------------------------------------------------- the frame index


# column of the enriched survey naming the frame body a row was matched to (empty if none)
FRAME_BODY = "frame_body"


def _body(row: _Row, hit: object) -> str:
    """A frame body as messages show it: its name, type and SIREN (or its position in the
    index, for a body without SIREN: a département, a région)."""
    return f"{row.name!r} ({row.collectivity_type}, {row.siren or f'frame row {hit}'})"


@dataclass(frozen=True)
class _Row:
    siren: str
    name: str
    collectivity_type: str
    population: int | None
    departement: str  # of a commune, from its INSEE code; "" for the other levels


@dataclass(frozen=True)
class NameMatch:
    """What name matching found for one survey name: the frame rows (one = a match), the method
    that found them, the edit distance between the keys (0 but for ``typo``), and what the
    analyst should check (``review``: a fuzzy match, a tie broken, or the candidates of an
    ambiguous name)."""

    rows: list[int]
    method: str = ""
    distance: int | None = None
    review: str = ""


def departement_of(code: object) -> str:
    """The département of a commune's 5-character INSEE code (3 characters overseas: ``971``
    to ``976``), else ``""``."""
    if not isinstance(code, str) or len(code) != 5:
        return ""
    return code[:3] if code.startswith("97") else code[:2]


def within_one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at Damerau-Levenshtein (optimal string alignment) distance at
    most 1: equal, or one letter inserted, dropped or replaced, or two neighbours swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i, shortest = 0, min(la, lb)
    while i < shortest and a[i] == b[i]:
        i += 1
    if la == lb:
        replaced = a[i + 1 :] == b[i + 1 :]
        swapped = i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        return replaced or swapped
    if la > lb:
        a, b = b, a
    return a[i:] == b[i + 1 :]


def _half(length: int) -> int:
    """Letters at each end of a key of ``length`` that one edit leaves whole at one end at least:
    an edit touches at most two neighbouring letters, so the untouched prefix or suffix is at
    least (length - 2) / 2 long (none for 2 letters or fewer: one bucket per length)."""
    return max((length - 2) // 2, 0)


class _TypoIndex:
    """Keys one edit away from a query, without a scan: each frame key is filed under (its
    length, its first ``_half`` letters) and (its length, its last ``_half`` letters). A key one
    edit from the query keeps one of its two ends whole and is 1 letter longer, shorter or the
    same length, so the query looks in six buckets and checks only what it finds there."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._heads: dict[tuple[int, str], list[str]] = {}
        self._tails: dict[tuple[int, str], list[str]] = {}
        for key in keys:
            h = _half(len(key))
            self._heads.setdefault((len(key), key[:h]), []).append(key)
            self._tails.setdefault((len(key), key[len(key) - h :]), []).append(key)

    def near(self, query: str) -> set[str]:
        """The indexed keys at distance exactly 1 from ``query``."""
        found: set[str] = set()
        for length in (len(query) - 1, len(query), len(query) + 1):
            if length < 1:
                continue
            h = _half(length)
            for bucket in (
                self._heads.get((length, query[:h]), ()),
                self._tails.get((length, query[len(query) - h :]), ()),
            ):
                found.update(k for k in bucket if k != query and within_one_edit(query, k))
        return found


def _letters(key: str) -> int:
    return len(key.replace(" ", ""))


_ALIAS_KEYS: dict[str, str] = {name_keys(a)[0]: name_keys(t)[0] for a, t in ALIASES.items()}
# The frame's short names (in parentheses) are read for these types only: a commune's
# parentheses say which of two homonyms it is (« Bors (Canton de Charente-Sud) »).
_SHORT_NAME_TYPES: frozenset[str] = frozenset({"CC", "CA", "CU", "metropole", "EPT"})


@dataclass
class _Names:
    """The name keys of one frame type: rows by full key, by full-or-core key, by short name,
    and (built on first need) the typo index of the full-or-core keys."""

    full: dict[str, list[int]]
    loose: dict[str, list[int]]
    short: dict[str, list[int]]
    typos: _TypoIndex | None = None


class _Index:
    """Dict lookups over every frame level, so that each survey row costs a few dictionary reads
    and a survey of thousands of rows against the ~35,000 communes is linear in both. The name
    keys of a type are computed only when a row of that type reaches name matching (the
    communes' take most of the build time and most surveys never need them), and the typo index
    of a type only when a name of that type finds nothing otherwise."""

    def __init__(self, loader: FrameLoader) -> None:
        self.rows: list[_Row] = []
        self.by_siren: dict[str, list[int]] = {}
        self.by_code: dict[tuple[str, str], list[int]] = {}
        self._of_kind: dict[str, list[int]] = {}
        self._names: dict[str, _Names] = {}
        for level in LEVELS:
            frame = loader(level)
            first = len(self.rows)
            n = len(frame)
            sirens = frame["siren"].tolist() if "siren" in frame else [None] * n
            codes = frame["code_insee"].tolist() if "code_insee" in frame else [None] * n
            kinds = frame["collectivity_type"].astype(str).tolist()
            pops = frame["population"].astype("Int64").tolist()
            for offset, (siren, name, kind, pop, code) in enumerate(
                zip(sirens, frame["name"].tolist(), kinds, pops, codes, strict=True)
            ):
                i = first + offset
                siren = siren if isinstance(siren, str) else ""
                # a population of 0 (Verdun's « communes mortes pour la France ») is no size:
                # the row is unmatched for population rather than a ln(0) in a fit
                size = None if pd.isna(pop) or int(pop) <= 0 else int(pop)
                dep = departement_of(code) if level == "communes" else ""
                self.rows.append(_Row(siren, str(name), kind, size, dep))
                self._of_kind.setdefault(kind, []).append(i)
                if siren:
                    self.by_siren.setdefault(siren, []).append(i)
                if isinstance(code, str):
                    self.by_code.setdefault((level, code), []).append(i)

    def _name_index(self, kind: str) -> _Names:
        """Frame rows of one type by full key, by full-or-core key (each row once per key) and
        by the full and core keys of the short name in parentheses (EPCI and EPT)."""
        if kind not in self._names:
            names = _Names({}, {}, {})
            for i in self._of_kind.get(kind, []):
                name = self.rows[i].name
                f, c = name_keys(name)
                if f:
                    names.full.setdefault(f, []).append(i)
                for key in {f, c} - {""}:
                    names.loose.setdefault(key, []).append(i)
                if kind in _SHORT_NAME_TYPES:
                    for short in re.findall(r"\(([^)]*)\)", name):
                        for key in set(name_keys(short)) - {""}:
                            names.short.setdefault(key, []).append(i)
            self._names[kind] = names
        return self._names[kind]

    def _typo_index(self, kind: str) -> _TypoIndex:
        names = self._name_index(kind)
        if names.typos is None:
            names.typos = _TypoIndex(names.loose)
        return names.typos

    def by_name(
        self,
        text: object,
        kinds: Iterable[str],
        departement: str = "",
        population: int | None = None,
    ) -> NameMatch:
        """The frame rows a name designates among ``kinds``, by the first method of
        ``NAME_METHODS`` that finds any (see the module docstring). Rows of the legal form the
        name states are preferred; several rows are narrowed by ``departement`` (a commune's,
        from the survey's INSEE code), then by ``population`` (the survey's, within
        ``CONFLICT_TOLERANCE``); more than one left means ambiguous, and the caller matches
        nothing. A ``departement`` that none of the rows is in matches nothing either. The typo
        search is limited to ``departement`` when given, and a typo is used only when that
        département or the population agrees."""
        full, core = name_keys(text)
        if not full:
            return NameMatch([])
        form = legal_form(text)
        kinds = sorted(kinds)
        indexes = [self._name_index(kind) for kind in kinds]
        keys = [full] if core == full else [full, core]
        alias_targets = [_ALIAS_KEYS[k] for k in keys if k in _ALIAS_KEYS]
        steps: list[tuple[str, list[int]]] = [
            ("exact_name", [i for ix in indexes for i in ix.full.get(full, [])]),
            ("prefix_stripped", [i for ix in indexes for i in ix.loose.get(core, [])]),
            ("alias", [i for t in alias_targets for ix in indexes for i in ix.full.get(t, [])]),
            ("short_name", [i for k in keys for ix in indexes for i in ix.short.get(k, [])]),
        ]
        for method, found in steps:
            found = sorted(set(found))
            if found:
                return self._decide(text, method, found, 0, form, departement, population)
        if _letters(full) < TYPO_MIN_LETTERS:
            return NameMatch([])
        near: dict[int, str] = {}
        for kind, ix in zip(kinds, indexes, strict=True):
            typos = self._typo_index(kind)
            for key in keys:
                if _letters(key) < TYPO_MIN_LETTERS:
                    continue
                for other in typos.near(key):
                    for i in ix.loose[other]:
                        if not departement or self.rows[i].departement == departement:
                            near.setdefault(i, other)
        if not near:
            return NameMatch([])
        match = self._decide(text, "typo", sorted(near), 1, form, "", population)
        if len(match.rows) != 1 or departement:
            return match  # ambiguous, or found within the département of the survey's code
        hit = self.rows[match.rows[0]]
        if population is not None and hit.population is not None:
            gap = population_conflict(population, hit.population)
            if not gap:
                return match  # the survey's population agrees
            why = gap
        else:
            why = "neither an INSEE code's département nor a population to confirm it"
        return NameMatch(
            [],
            "",
            None,
            f"did you mean {hit.name!r}? typo (distance 1): {str(text).strip()!r} is one letter "
            f"from {self._describe(match.rows[0])}; not used: {why}",
        )

    def _decide(
        self,
        text: object,
        method: str,
        found: list[int],
        distance: int,
        form: str | None,
        departement: str,
        population: int | None,
    ) -> NameMatch:
        """One row of ``found``, or none with the candidates named for review."""
        notes: list[str] = []
        narrowed = found
        if form is not None:
            same = [i for i in found if self.rows[i].collectivity_type == form]
            if same:
                narrowed = same
            else:
                # The name states a legal form no candidate has: another body of the same name
                # (CC du Sud absent, CA du Sud found), or the same body since promoted. Only the
                # survey's population can tell; without it nothing is used.
                close = [
                    i
                    for i in found
                    if population is not None
                    and self.rows[i].population is not None
                    and not population_conflict(population, self.rows[i].population)
                ]
                if len(close) != 1:
                    shown = self._listed(found)
                    return NameMatch(
                        [],
                        "",
                        None,
                        f"legal form ({method}): the name says {form}, but what matches it is of "
                        f"another form: {shown}; not used without a survey population "
                        f"within {round(CONFLICT_TOLERANCE * 100)} % of the frame's",
                    )
                narrowed = close
                notes.append(
                    f"legal form: the name says {form}, the frame's {self.rows[close[0]].name!r} "
                    f"is a {self.rows[close[0]].collectivity_type} (accepted: the survey's "
                    f"population is within {round(CONFLICT_TOLERANCE * 100)} % of its)"
                )
        if departement:
            in_dep = [i for i in narrowed if self.rows[i].departement == departement]
            if not in_dep:
                shown = self._listed(narrowed)
                return NameMatch(
                    [],
                    "",
                    None,
                    f"not in département {departement} ({method}): the survey's INSEE code "
                    f"is of département {departement}, and the name is found only elsewhere: "
                    f"{shown}",
                )
            if len(in_dep) == 1 and len(narrowed) > 1:
                notes.append(f"of {len(narrowed)} homonyms, the one in département {departement}")
            narrowed = in_dep
        if len(narrowed) > 1 and population is not None:
            close = [
                i
                for i in narrowed
                if self.rows[i].population is not None
                and not population_conflict(population, self.rows[i].population)
            ]
            if len(close) == 1:
                notes.append(
                    f"of {len(narrowed)} homonyms, the one whose population is within "
                    f"{round(CONFLICT_TOLERANCE * 100)} % of the survey's"
                )
                narrowed = close
        if len(narrowed) > 1:
            shown = self._listed(narrowed)
            what = "one letter away from" if method == "typo" else "matching"
            return NameMatch(
                [],
                "",
                None,
                f"ambiguous ({method}): {len(narrowed)} frame rows {what} the name: {shown}",
            )
        hit = narrowed[0]
        if method in FUZZY_METHODS:
            notes.insert(
                0,
                f"{method} (distance {distance}): {str(text).strip()!r} read as "
                f"{self.rows[hit].name!r}",
            )
        return NameMatch([hit], method, distance, "; ".join(notes))

    def names_agree(self, text: object, i: int) -> bool:
        """Whether a survey's name can be frame row ``i``'s: no name, the same full or core key
        (a région's alias, an EPCI's short name included), or keys one edit apart. A row found
        by SIREN or INSEE code whose name disagrees is more likely a mistyped identifier than a
        misnamed body."""
        full, core = name_keys(text)
        if not full:
            return True
        survey = {full, core} | {_ALIAS_KEYS[k] for k in (full, core) if k in _ALIAS_KEYS}
        row = self.rows[i]
        frame = set(name_keys(row.name))
        if row.collectivity_type in _SHORT_NAME_TYPES:
            for short in re.findall(r"\(([^)]*)\)", row.name):
                frame |= set(name_keys(short))
        frame -= {""}
        survey -= {""}
        return bool(survey & frame) or any(within_one_edit(a, b) for a in survey for b in frame)

    def _listed(self, rows: list[int], most: int = 5) -> str:
        """The first ``most`` candidate rows described, then how many more, for a note."""
        shown = "; ".join(self._describe(i) for i in rows[:most])
        return shown + (f" and {len(rows) - most} more" if len(rows) > most else "")

    def _describe(self, i: int) -> str:
        row = self.rows[i]
        where = f", département {row.departement}" if row.departement else ""
        size = f", population {_fmt(row.population)}" if row.population else ""
        return f"{row.name} ({row.collectivity_type}{where}{size})"


def _declared(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _allowed(declared: str | None) -> frozenset[str] | None:
    """Frame types a row may match: any (None) when the survey gives no type."""
    if declared is None:
        return None
    if declared == EPCI_PLACEHOLDER:
        return EPCI_LEGAL_TYPES
    return frozenset({declared})


def _fmt(n: int) -> str:
    return f"{n:,}"


def population_conflict(survey: int, frame: int) -> str:
    """The conflict text when ``survey`` is more than 10 % from ``frame`` (relative to the
    frame's), else ``""``. Compared in integers so that exactly 10 % is not a conflict."""
    gap = abs(survey - frame)
    if frame <= 0 or gap * 100 <= frame * round(CONFLICT_TOLERANCE * 100):
        return ""
    pct = 100 * gap / frame
    shown = f"{pct:.0f}" if round(pct) > 10 else f"{pct:.1f}"
    return f"survey population {_fmt(survey)} is {shown} % from the frame's {_fmt(frame)}"


# --------------------------------------------------------------------------- enrichment


def enrich_from_frame(survey: pd.DataFrame, frame_loader: FrameLoader = load_frame) -> Enrichment:
    """Identify each survey row in the reference frame and fill what the survey leaves blank.

    ``survey`` has ``respondent_id``, ``collectivity_type`` (a contract type, the ``epci``
    placeholder, or missing), ``population`` (may be missing) and any of the optional keys
    ``siren``, ``code_insee`` and ``name``. ``frame_loader(level)`` returns one frame level (see
    ``analyse.data.reference.load_frame``); tests pass small frames through it.

    Returns the survey with ``population`` (as ``Int64``) and ``collectivity_type`` filled where
    the survey had no value (an ``epci`` placeholder counts as no value for the type), and a
    report with one row per survey row, in the same order. An ``epci`` row that matches nothing
    keeps ``epci``: excluding it, with its reason, is the caller's decision.
    """
    index = _Index(frame_loader)
    data = survey.copy()
    n = len(data)
    population = (
        data["population"].astype("Int64")
        if "population" in data
        else pd.Series(pd.NA, index=data.index, dtype="Int64")
    )
    types = (
        data["collectivity_type"]
        if "collectivity_type" in data
        else pd.Series([None] * n, index=data.index, dtype=object)
    )

    def column(name: str) -> list[object]:
        return data[name].tolist() if name in data else [None] * n

    sirens, codes, names = column("siren"), column("code_insee"), column("name")
    ids = data["respondent_id"].tolist()
    new_pop: list[object] = population.tolist()
    new_type: list[object] = types.tolist()
    report: dict[str, list[object]] = {c: [] for c in REPORT_COLUMNS}
    bodies: list[object] = []

    for pos in range(n):
        declared = _declared(new_type[pos])
        allowed = _allowed(declared)
        notes: list[str] = []
        method, hit = "", None

        def fits(i: int, allowed: frozenset[str] | None = allowed) -> bool:
            return allowed is None or index.rows[i].collectivity_type in allowed

        def agrees(
            i: int, key: str, value: str, name: object = names[pos], notes: list[str] = notes
        ) -> bool:
            """Whether the survey's name agrees with the row its identifier found; if not,
            the disagreement is reported and the identifier not used."""
            if index.names_agree(name, i):
                return True
            notes.append(
                f"{key} {value} is {index.rows[i].name!r} in the frame, not the survey's "
                f"{str(name).strip()!r}: a mistyped {key}? not used"
            )
            return False

        siren = siren_key(sirens[pos])
        if siren and not luhn_valid(siren):
            notes.append(
                f"SIREN {siren} fails the Luhn check every SIREN passes: a typo, ignored; "
                "the row is matched by its next key (code_insee, then name)"
            )
            siren = ""
        if siren:
            found = index.by_siren.get(siren, [])
            fitting = [i for i in found if fits(i)]
            if len(fitting) == 1:
                if agrees(fitting[0], "SIREN", siren):
                    method, hit = "siren", fitting[0]
            elif found and not fitting:
                other = index.rows[found[0]]
                notes.append(
                    f"SIREN {siren} is the {other.collectivity_type} {other.name!r} in the frame, "
                    f"not a {declared}"
                )

        if hit is None and isinstance(codes[pos], str):
            levels = (
                [_CODE_LEVELS[declared]]
                if declared in _CODE_LEVELS
                else list(_CODE_LEVELS.values())
                if declared is None
                else []
            )
            found = [
                i
                for level, width in levels
                for i in index.by_code.get((level, _code_key(codes[pos], width)), [])
            ]
            if len(found) == 1 and agrees(found[0], "INSEE code", str(codes[pos]).strip()):
                method, hit = "code_insee", found[0]

        distance: int | None = None
        review = ""
        if hit is None and allowed is not None:
            current = new_pop[pos]
            match = index.by_name(
                names[pos],
                allowed,
                departement=departement_of(_code_key(codes[pos], 5))
                if declared == "commune"
                else "",
                population=None if pd.isna(current) else int(current),
            )
            review = match.review
            if len(match.rows) == 1:
                method, hit, distance = match.method, match.rows[0], match.distance

        form = legal_form(names[pos])
        if method in ("siren", "code_insee") and form is not None and hit is not None:
            found_type = index.rows[hit].collectivity_type
            if form != found_type:
                review = (
                    f"legal form: the name says {form}, the frame's {index.rows[hit].name!r} "
                    f"found by {method} is a {found_type}"
                )
        pop_filled = type_filled = False
        row = index.rows[hit] if hit is not None else None
        if row is not None:
            if siren and row.siren and row.siren != siren:
                notes.append(f"survey SIREN {siren} differs from the frame's {row.siren}")
            current = new_pop[pos]
            if row.population is None and pd.isna(current):
                notes.append("the frame gives no population (0 or empty): none filled")
            if row.population is not None:
                if pd.isna(current):
                    new_pop[pos], pop_filled = row.population, True
                else:
                    text = population_conflict(int(current), row.population)
                    if text:
                        notes.append(text)
            if declared is None or declared == EPCI_PLACEHOLDER:
                new_type[pos], type_filled = row.collectivity_type, True

        bodies.append(_body(row, hit) if row is not None else pd.NA)
        report["respondent_id"].append(ids[pos])
        report["name"].append(names[pos] if isinstance(names[pos], str) else pd.NA)
        report["method"].append(method)
        report["distance"].append(distance)
        report["frame_name"].append(row.name if row else pd.NA)
        report["frame_type"].append(row.collectivity_type if row else pd.NA)
        report["frame_population"].append(row.population if row else pd.NA)
        report["population_filled"].append(pop_filled)
        report["type_filled"].append(type_filled)
        report["conflict"].append("; ".join(notes))
        report["review"].append(review)

    data["population"] = pd.array(new_pop, dtype="Int64")
    # the frame body each row was matched to: two rows matched to one body are one body
    # answering twice, whatever keys each gave (analyse.data.duplicates)
    data[FRAME_BODY] = pd.array(bodies, dtype="string")
    type_dtype = "string" if types.dtype == "string" else object
    data["collectivity_type"] = pd.Series(new_type, index=data.index, dtype=type_dtype)
    out = pd.DataFrame(report)
    for col in ("name", "method", "frame_name", "frame_type", "conflict", "review"):
        out[col] = out[col].astype("string")
    out["distance"] = out["distance"].astype("Int64")
    out["frame_population"] = out["frame_population"].astype("Int64")
    out["population_filled"] = out["population_filled"].astype(bool)
    out["type_filled"] = out["type_filled"].astype(bool)
    return Enrichment(data=data, report=out)


# --------------------------------------------------------------------------- summaries


def enrichment_summary(report: pd.DataFrame) -> pd.DataFrame:
    """Counts only, for notebook 1: one row per method (``siren``, ``code_insee``, ``name``,
    ``unmatched``) and a ``total`` row; columns ``rows`` (identified by that method),
    ``population_filled``, ``type_filled`` and ``conflicts`` (rows with something reported).
    No respondent appears in it, so it can be published as is."""
    labels = report["method"].fillna("").replace("", "unmatched")
    has_conflict = report["conflict"].fillna("").ne("")
    order = [*METHODS, "unmatched"]
    grouped = pd.DataFrame(
        {
            "method": labels,
            "rows": 1,
            "population_filled": report["population_filled"].astype(int),
            "type_filled": report["type_filled"].astype(int),
            "conflicts": has_conflict.astype(int),
        }
    ).groupby("method", sort=False)[["rows", "population_filled", "type_filled", "conflicts"]]
    table = grouped.sum().reindex(order, fill_value=0)
    table.loc["total"] = table.sum()
    table.index.name = "method"
    return table.reset_index().astype(
        {c: "int64" for c in ("rows", "population_filled", "type_filled", "conflicts")}
    )


def enrichment_details(report: pd.DataFrame) -> pd.DataFrame:
    """The rows the analyst should look at, for notebook 1 and ``validate --params`` (not for
    publication): every unmatched row, every row with a conflict, and every row with something
    to review (a fuzzy match, a tie broken, the candidates of an ambiguous name), with its
    respondent_id, the survey's name, what happened (``issue``: ``unmatched``, ``conflict``,
    ``review``, joined by "; " when several), the method and edit distance of its match, the
    frame row it matched, the conflict text and the review text."""
    unmatched = report["method"].fillna("").eq("")
    conflict = report["conflict"].fillna("").ne("")
    review = (
        report["review"].fillna("").ne("")
        if "review" in report
        else pd.Series(False, index=report.index)
    )
    keep = unmatched | conflict | review
    parts = pd.DataFrame({"unmatched": unmatched, "conflict": conflict, "review": review})
    issue = parts.apply(lambda r: "; ".join(k for k in parts.columns if r[k]), axis=1)
    columns = [
        c
        for c in ("respondent_id", "name", "method", "distance", "frame_name", "conflict", "review")
        if c in report
    ]
    out = report.loc[keep, columns].copy()
    out.insert(
        2, "issue", issue[keep].astype("string") if keep.any() else pd.Series(dtype="string")
    )
    return out.reset_index(drop=True)
