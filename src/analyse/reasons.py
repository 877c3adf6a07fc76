"""Why something was left out or not computed, as a code with parameters.

The data and statistics layers give reasons: a respondent left out ("no answer in theme(s):
user_services"), a model term dropped ("no digital_staff_fte column"), a theme's check not
computable, population bands merged for the weights. ``results.json`` and the command line
show them in English, and CI consumers read that text, so it stays exactly as it was. A
French page must word them in French, and from an English sentence it cannot: so a reason is
made as a ``Reason(code, params)``, whose ``english()`` is the text of old, and the report's
catalogues (``analyse/report/messages/<lang>/reasons.yaml``) word each code in each language
(``analyse.report.reasons``).

A reason stored as text (a table's ``excluded_reason`` column, a dropped term's reason, a
theme's note) is read back by ``parse``, which matches the same templates that wrote it: the
English of a code is written in one place, so what ``parse`` recognises is what was written.
Text no template matches (an exception's message, a reason from an older run) is the code
``text``, which every page shows as it is rather than failing.

A core module, below ``data`` and ``stats`` (which make reasons) and ``report`` (which words
them).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

TEXT = "text"  # the code of a reason known only by its text


@dataclass(frozen=True)
class Reason:
    """A reason's code and the values it names (theme keys, a column, counts, a nested reason).

    ``params`` values are strings, numbers, lists of them, or another ``Reason`` (the cause of
    a merge); ``english()`` is the text ``results.json`` and the command line show.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        if self.code == TEXT or self.code not in ENGLISH:
            return str(self.params.get("text", self.code))
        return ENGLISH[self.code](self.params)

    def __str__(self) -> str:
        return self.english()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: ``{"code": ..., "params": {...}}``, nested reasons as dicts too."""
        return {
            "code": self.code,
            "params": {
                k: v.to_dict() if isinstance(v, Reason) else (list(v) if _is_list(v) else v)
                for k, v in self.params.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        params = {
            k: cls.from_dict(v) if isinstance(v, Mapping) and "code" in v else v
            for k, v in (data.get("params") or {}).items()
        }
        return cls(str(data["code"]), params)


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as the English text writes them: lists joined by ", ", reasons as text."""
    return {k: ", ".join(map(str, v)) if _is_list(v) else v for k, v in params.items()}


def _s(count: int | str, word: str, plural: str | None = None) -> str:
    return word if int(count) == 1 else (plural or word + "s")


# The English of each code: the text the run wrote before codes existed (results.json's keys).
# Plain templates first: ``parse`` reads these back from a text column.
TEMPLATES: dict[str, str] = {
    # respondents left out (analyse.data.scoring, configured, loading; the pipeline's weights)
    "no_answer": "no answer in theme(s): {themes}",
    "too_few_themes": "fewer than {min_themes} of the {n_themes} themes answered",
    "population_not_found": (
        "population unknown (empty in the survey and not found in the reference frame)"
    ),
    "population_no_column": "population unknown (no population column)",
    "epci_not_found": (
        "EPCI not found in the reference frame: its legal type (CC, CA, CU, metropole) is unknown"
    ),
    "population_zero": "population 0 in the survey",
    "population_negative": "negative population in the survey",
    "population_empty": "population empty in the survey",
    "population_not_number": "population not a number in the survey",
    "type_empty": "type empty in the survey",
    "population_not_positive": "population not a positive number after enrichment",
    # the rows of the types above whose label fewer than min_cell rows hold, pooled: such a
    # label may be a respondent's own free text, and the reasons are published (cell_texts_pooled)
    "type_left_out_other": (
        "type left out by the type-label mapping (other labels, each on fewer than {min_cell} rows)"
    ),
    "type_unknown_other": (
        "type not a known collectivity type (other labels, each on fewer than {min_cell} rows)"
    ),
    "missing_term_value": "missing value in a model term",
    # an extra control (data.extra_columns) with no value: the row is out of the model
    "missing_control_value": "no value of the control {column}",
    # a body answering twice, its later rows left out (analyse.data.duplicates)
    "duplicate_siren": "the same body as row {row} (same SIREN)",
    "duplicate_insee": "the same body as row {row} (same INSEE code and type)",
    "duplicate_frame": "the same body as row {row} (matched to the same body of the frame)",
    "duplicate_name": "the same body as row {row} (same name, type and population)",
    # a model term dropped (analyse.data.terms, analyse.stats.regression)
    "no_column": "no {column} column",
    "empty_column": "column {column} is empty",
    "not_requested": "not requested",
    "rare_value": (
        "value {value} held by fewer than {min_cell} respondents in the model, "
        "below analysis.min_cell"
    ),
    # a theme's ordinal model and its checks (analyse.stats.ordinal)
    "separation": (
        "separation: size and the other terms predict the theme's levels perfectly (the "
        "likelihood keeps rising as size's slope grows), so size's odds ratio has no finite "
        "estimate"
    ),
    "no_finite_se": "no finite standard error for size (singular information matrix)",
    "cut_separation": "cut {cut}: binary logit not identified (separation)",
    "few_levels": "fewer than three levels observed",
    "model_not_estimable": "model not estimable",
    "not_converged": "the proportional-odds model did not converge",
    "no_term": "no term to test",
    "not_computable": "not computable: {error}",
    # a specification of the curve not estimated (analyse.stats.robustness)
    "design_not_identified": "design not identified",
    "hc3_undefined": "HC3 undefined: a respondent has leverage 1 (alone in its type)",
    "weights_not_met": "weights infeasible: raking did not meet the frame's margins",
    # an exception's name and message (a secondary analysis that failed)
    "error": "{name}: {message}",
}

ENGLISH: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{code: (lambda p, t=text: t.format(**_plain(p))) for code, text in TEMPLATES.items()},
    "type_left_out": lambda p: f"type {p['value']!r} is left out by the type-label mapping",
    "type_unknown": lambda p: f"type {p['value']!r} is not a known collectivity type",
    "weight_zero": lambda p: f"weight 0 in column {p['column']!r}",
    "same_level": lambda p: (
        "every respondent is at the same level"
        + (f" ({p['level']})" if p.get("level") not in (None, "") else "")
        + ": nothing to model"
    ),
    # the weights (analyse.stats.weights)
    "bands_merged": lambda p: (
        "population bands merged: "
        + "; ".join(f"{' and '.join(m['bands'])} into {m['into']}" for m in p["merges"])
        + f", because {p['because']}"
        # a second tier merged too (analyse.stats.weights: one reason per tier, chained)
        + (f"; {p['then']}" if p.get("then") is not None else "")
    ),
    "empty_bands": lambda p: (
        f"population {_s(len(p['bands']), 'band')} {', '.join(p['bands'])} "
        f"{_s(len(p['bands']), 'holds', 'hold')} {p['units']} {_s(p['units'], 'unit')} of the "
        "frame but no respondent"
    ),
    "no_frame_unit": lambda p: (
        f"{'population band' if p['margin'] == 'band' else 'collectivity type'} "
        f"{p['category']} has respondents but the frame has no unit in it"
    ),
    "types_short": lambda p: (
        f"{_who(p['types'])} respondents only in population band(s) {', '.join(p['bands'])}, "
        f"which hold {p['have_pct']:.2f} % of the frame ({p['have']} units), less than the "
        f"{p['need_pct']:.2f} % ({p['need']}) to match"
    ),
    "types_exact": lambda p: (
        f"{_who(p['types'])} respondents only in population band(s) {', '.join(p['bands'])}, "
        f"which hold exactly its {p['need_pct']:.2f} % of the frame, so the other types' "
        "respondents there would need a weight of 0"
    ),
    "bounds_unmet": lambda p: (
        f"no weights between {p['lower']:g} and {p['upper']:g} times the design weight N/n "
        "can meet both margins"
    ),
}


def _who(types: list[str]) -> str:
    names = ", ".join(types)
    return (
        f"collectivity type {names} has" if len(types) == 1 else f"collectivity types {names} have"
    )


# ----------------------------------------------------------------------------- reading back

_LIST_PARAMS = {"themes"}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex + r"\Z", re.DOTALL)


def _literal(text: str) -> str:
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return text
    return value if isinstance(value, str) else text


# Codes a text column carries, each with the pattern that reads it back (same templates).
_PARSERS: list[tuple[str, re.Pattern[str], Callable[[dict[str, str]], dict[str, Any]]]] = []


def _add(
    code: str, template: str, convert: Callable[[dict[str, str]], dict[str, Any]] | None = None
):
    _PARSERS.append((code, _pattern(template), convert or dict))


for _code, _text in TEMPLATES.items():
    if _code != "error":  # an exception's text is read by _ERROR, after every other code
        _add(_code, _text)
_add(
    "type_left_out",
    "type {value} is left out by the type-label mapping",
    lambda g: {"value": _literal(g["value"])},
)
_add(
    "type_unknown",
    "type {value} is not a known collectivity type",
    lambda g: {"value": _literal(g["value"])},
)
_add("weight_zero", "weight 0 in column {column}", lambda g: {"column": _literal(g["column"])})
_add("same_level", "every respondent is at the same level ({level}): nothing to model")
_add("same_level", "every respondent is at the same level: nothing to model")
_ERROR = re.compile(r"(?P<name>[A-Z]\w*(?:Error|Exception|Warning)): (?P<message>.*)\Z", re.DOTALL)


def parse(text: str | Reason) -> Reason:
    """The reason a text was written from (``Reason(TEXT, {"text": text})`` when none)."""
    if isinstance(text, Reason):
        return text
    text = str(text)
    for code, pattern, convert in _PARSERS:
        found = pattern.match(text)
        if found:
            params = convert(found.groupdict())
            for key in _LIST_PARAMS & params.keys():
                params[key] = params[key].split(", ")
            reason = Reason(code, params)
            if reason.english() == text:  # a pattern too loose never rewrites a reason
                return reason
    found = _ERROR.match(text)
    if found:
        return Reason("error", found.groupdict())
    return Reason(TEXT, {"text": text})


# The codes whose value is a cell's text as the respondent typed it, each with the code of
# their pooled rows: a type label may be an « Autre : Syndicat mixte de la vallée de … » that
# names one body.
CELL_TEXT_CODES: dict[str, str] = {
    "type_left_out": "type_left_out_other",
    "type_unknown": "type_unknown_other",
}


def cell_texts_pooled(counts: Mapping[str, int], min_cell: int) -> dict[str, int]:
    """Counts of reasons (reason text -> rows) as a published table may show them: a reason
    that names a cell's text (``CELL_TEXT_CODES``) is kept only when at least ``min_cell``
    rows share it; the rarer ones are pooled into one reason per code that names none, with
    their total.

    The label of a type left out is what the survey's cell said (the type mapping's key is
    copied from it), so a label on a handful of rows may be a respondent's free text naming
    its body, and below ``min_cell`` a count describes a group the report may not show. The
    pooled total is published even when small: it names nothing, and like every count of
    exclusions it describes the file, not what anyone answered. The analyst sees every label
    with its count on the terminal (``analyse validate``), never in a published file.

    Order is kept: a pooled reason takes the place of the first reason it pools.
    """
    pooled: dict[str, int] = {}
    out: dict[str, int] = {}
    for text, count in counts.items():
        code = parse(text).code
        if code in CELL_TEXT_CODES and int(count) < min_cell:
            other = Reason(CELL_TEXT_CODES[code], {"min_cell": min_cell}).english()
            out.setdefault(other, 0)  # its place: the first reason it pools
            pooled[other] = pooled.get(other, 0) + int(count)
        else:
            out[str(text)] = out.get(str(text), 0) + int(count)
    return {text: pooled.get(text, count) for text, count in out.items()}


def error_reason(exc: BaseException) -> Reason:
    """An exception as a reason ("LinAlgError: Singular matrix"): a secondary analysis that
    failed says why, and a page words it as a computation that did not succeed."""
    return Reason("error", {"name": type(exc).__name__, "message": str(exc)})
