"""Fill a survey's missing populations and EPCI legal types from the reference frame.

Real exports leave population blank for many bodies (40 % of EPCI and most régions in the survey
that motivated this) and often say only "an EPCI" where the model needs CC, CA, CU or métropole.
The official frame (``analyse.data.reference``) knows both for every commune, EPCI, EPT,
département and région, so a respondent that can be identified there need not be dropped.

Identification goes from the most to the least reliable key and stops at the first hit:

1. **SIREN** (a 14-digit SIRET, spaces allowed, is read as its first 9 digits): communes, EPCI
   and EPT. Départements and régions have no SIREN in the frame.
2. **INSEE code**: commune (5 characters, a 4-digit code is taken as having lost its leading
   zero), département (``"13"``, ``"2A"``, ``"976"``) or région (``"84"``). The declared type says
   which list to search; without a type the code must be found in exactly one list (``"84"`` is
   both the Vaucluse and Auvergne-Rhône-Alpes, so it then matches nothing).
3. **Name**, only within the declared type (``epci`` = CC, CA, CU, métropole or EPT) and only when
   exactly one frame row has that name. Two keys are tried in turn, each compared with the same
   key of the frame's names:

   - the *full* key: accents, case, punctuation, anything in parentheses and leading articles
     (``LE``, ``LA``, ``LES``, ``L'``, ``DU``, ``DE``, ``DE LA``, ``DE L'``, ``DES``, ``D'``)
     ignored, ``ST``/``STE`` read as ``SAINT``/``SAINTE``;
   - the *core* key: the full key without a leading legal-form or institution word
     ("Communauté de communes", "Communauté d'agglomération", "CC", "CA", "CU", "Métropole",
     "Commune de", "Ville de", "Mairie de", "Département", "Conseil départemental", "Région",
     "Conseil régional", ...) and without a trailing "Métropole", "Agglomération" or "Agglo",
     the articles after them ignored too.

   So "Communauté d'agglomération du Grand Avignon" and "CA DU GRAND AVIGNON (COGA)" are the same
   body (core key ``GRAND AVIGNON``), "St-Étienne Métropole" finds "Saint-Étienne Métropole", and
   "Ville-d'Avray" still finds Ville-d'Avray by its full key although its core key drops
   "Ville". Acronyms ("COGA", "MEL") and other spellings are not guessed: such rows stay
   unmatched and are listed for the analyst. The full key is tried first so that a name that
   *is* a legal word ("Grand", a commune of the Vosges, whose core key would collide with
   "Ville-la-Grand") still finds its own row.

A hit whose type contradicts the declared one (a commune row carrying its EPCI's SIREN) is not
used: the row goes on to the next key and the contradiction is reported. Survey values always win:
population is filled only where missing, and the legal type only where the survey gives none or
the ``epci`` placeholder. A survey population more than 10 % away from the frame's (relative to the
frame's) is reported as a conflict, not changed; nor is anything else in the survey.
"""

from __future__ import annotations

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
METHODS: tuple[str, ...] = ("siren", "code_insee", "name")
REPORT_COLUMNS: tuple[str, ...] = (
    "respondent_id",
    "name",
    "method",
    "frame_name",
    "frame_type",
    "frame_population",
    "population_filled",
    "type_filled",
    "conflict",
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
_SUFFIXES: tuple[str, ...] = ("METROPOLE", "AGGLOMERATION", "AGGLO")
_ABBREVIATIONS: dict[str, str] = {"ST": "SAINT", "STE": "SAINTE"}
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})


def _tokens(text: str) -> list[str]:
    """Upper-case ASCII words of a name: accents, punctuation and parenthesised parts dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    plain = re.sub(r"\([^)]*\)?", " ", plain).replace("&", " ET ")
    words = re.sub(r"[^0-9A-Z]+", " ", plain).split()
    return [_ABBREVIATIONS.get(w, w) for w in words]


def _strip_leading(words: list[str], patterns: Iterable[tuple[str, ...]]) -> list[str]:
    """Drop the first pattern found at the start, if any word would remain."""
    for pattern in patterns:
        n = len(pattern)
        if len(words) > n and tuple(words[:n]) == pattern:
            return words[n:]
    return words


def _strip_articles(words: list[str]) -> list[str]:
    while True:
        stripped = _strip_leading(words, _ARTICLES)
        if stripped == words:
            return words
        words = stripped


def name_keys(text: object) -> tuple[str, str]:
    """The full and core matching keys of a name (see the module docstring); ``("", "")`` for a
    missing or empty one."""
    if not isinstance(text, str):
        return "", ""
    full = _strip_articles(_tokens(text))
    core = _strip_articles(_strip_leading(full, _PREFIXES))
    if len(core) > 1 and core[-1] in _SUFFIXES:
        core = core[:-1]
    return " ".join(full), " ".join(core)


def siren_key(value: object) -> str:
    """The 9-digit SIREN in a SIREN or SIRET (spaces, dots and dashes allowed), else ``""``."""
    if not isinstance(value, str):
        return ""
    digits = re.sub(r"[\s.\-]", "", value)
    if re.fullmatch(r"\d{9}|\d{14}", digits) is None:
        return ""
    return digits[:9]


def _code_key(value: object, width: int) -> str:
    if not isinstance(value, str):
        return ""
    code = re.sub(r"\s", "", value).upper()
    if code.isdigit() and len(code) < width:
        code = code.zfill(width)
    return code


# --------------------------------------------------------------------------- the frame index


@dataclass(frozen=True)
class _Row:
    siren: str
    name: str
    collectivity_type: str
    population: int | None


class _Index:
    """Dict lookups over every frame level, so that each survey row costs a few dictionary reads
    and a survey of thousands of rows against the ~35,000 communes is linear in both. The name
    keys of a type are computed only when a row of that type reaches name matching (the
    communes' take most of the build time and most surveys never need them)."""

    def __init__(self, loader: FrameLoader) -> None:
        self.rows: list[_Row] = []
        self.by_siren: dict[str, list[int]] = {}
        self.by_code: dict[tuple[str, str], list[int]] = {}
        self._of_kind: dict[str, list[int]] = {}
        self._names: dict[str, tuple[dict[str, list[int]], dict[str, list[int]]]] = {}
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
                self.rows.append(_Row(siren, str(name), kind, size))
                self._of_kind.setdefault(kind, []).append(i)
                if siren:
                    self.by_siren.setdefault(siren, []).append(i)
                if isinstance(code, str):
                    self.by_code.setdefault((level, code), []).append(i)

    def _name_index(self, kind: str) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Frame rows of one type by full key, and by full-or-core key (each row once per key)."""
        if kind not in self._names:
            full: dict[str, list[int]] = {}
            loose: dict[str, list[int]] = {}
            for i in self._of_kind.get(kind, []):
                f, c = name_keys(self.rows[i].name)
                if f:
                    full.setdefault(f, []).append(i)
                for key in {f, c} - {""}:
                    loose.setdefault(key, []).append(i)
            self._names[kind] = (full, loose)
        return self._names[kind]

    def by_name(self, text: object, kinds: Iterable[str]) -> list[int]:
        """Frame rows the name designates among ``kinds``: by the full key if it finds any,
        else by the core key against the frame's full and core keys. More than one row means
        ambiguous; the caller then matches nothing."""
        full, core = name_keys(text)
        if not full:
            return []
        indexes = [self._name_index(kind) for kind in sorted(kinds)]
        found = [i for by_full, _ in indexes for i in by_full.get(full, [])]
        if found:
            return found
        return sorted({i for _, loose in indexes for i in loose.get(core, [])})


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
    new_pop: list[object] = population.tolist()
    new_type: list[object] = types.tolist()
    report: dict[str, list[object]] = {c: [] for c in REPORT_COLUMNS}

    for pos in range(n):
        declared = _declared(new_type[pos])
        allowed = _allowed(declared)
        notes: list[str] = []
        method, hit = "", None

        def fits(i: int, allowed: frozenset[str] | None = allowed) -> bool:
            return allowed is None or index.rows[i].collectivity_type in allowed

        siren = siren_key(sirens[pos])
        if siren:
            found = index.by_siren.get(siren, [])
            fitting = [i for i in found if fits(i)]
            if len(fitting) == 1:
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
            if len(found) == 1:
                method, hit = "code_insee", found[0]

        if hit is None and allowed is not None:
            found = index.by_name(names[pos], allowed)
            if len(found) == 1:
                method, hit = "name", found[0]

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

        report["respondent_id"].append(data["respondent_id"].iloc[pos])
        report["name"].append(names[pos] if isinstance(names[pos], str) else pd.NA)
        report["method"].append(method)
        report["frame_name"].append(row.name if row else pd.NA)
        report["frame_type"].append(row.collectivity_type if row else pd.NA)
        report["frame_population"].append(row.population if row else pd.NA)
        report["population_filled"].append(pop_filled)
        report["type_filled"].append(type_filled)
        report["conflict"].append("; ".join(notes))

    data["population"] = pd.array(new_pop, dtype="Int64")
    type_dtype = "string" if types.dtype == "string" else object
    data["collectivity_type"] = pd.Series(new_type, index=data.index, dtype=type_dtype)
    out = pd.DataFrame(report)
    for col in ("name", "method", "frame_name", "frame_type", "conflict"):
        out[col] = out[col].astype("string")
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
    """The rows the analyst should look at, for notebook 1 (not for publication): every
    unmatched row and every row with a conflict, with its respondent_id, the survey's name, what
    happened (``issue``: ``unmatched``, ``conflict`` or ``unmatched; conflict``), the frame row
    it matched and the conflict text."""
    unmatched = report["method"].fillna("").eq("")
    conflict = report["conflict"].fillna("").ne("")
    keep = unmatched | conflict
    issue = pd.Series("", index=report.index, dtype="string")
    issue[unmatched] = "unmatched"
    issue[conflict & unmatched] = "unmatched; conflict"
    issue[conflict & ~unmatched] = "conflict"
    out = report.loc[keep, ["respondent_id", "name", "method", "frame_name", "conflict"]].copy()
    out.insert(2, "issue", issue[keep])
    return out.reset_index(drop=True)
