"""Reasons (``analyse.reasons``) in the report's words.

The data and statistics layers give their reasons as codes with parameters, written in English
in ``results.json`` and in text columns; a page words each code from its catalogue
(``messages/<lang>/reasons.yaml``): theme keys become the codebook's labels, columns and
collectivity types their names in words, population bands "20 000 à 50 000 hab.", an
exception's message a computation that did not succeed. A code the catalogue does not know,
or text no code matches, is shown as it is (in English) rather than failing a run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analyse.data.bands import raking_band_range
from analyse.reasons import TEXT, Reason, parse
from analyse.report import i18n
from analyse.report.groups import type_label

# the parameter whose length chooses a message's plural form
_COUNTED = {
    "no_answer": "themes",
    "empty_bands": "bands",
    "types_short": "types",
    "types_exact": "types",
}
_BAND = re.compile(r"<(?P<high>[\d.]+)k|(?P<low>[\d.]+)-(?P<to>[\d.]+)k|(?P<above>[\d.]+)k\+")


def word(
    reason: Reason | str,
    m: i18n.Messages | None = None,
    themes: Mapping[str, str] | None = None,
) -> str:
    """``reason`` (or the text it was written as) in the words of ``m``'s language.

    ``themes`` maps theme keys to their labels in that language (the codebook's); without it a
    theme is named by its key.
    """
    m = m or i18n.current()
    found = parse(reason)
    key = f"reasons.{found.code}"
    if found.code == TEXT:
        return found.english()
    params = found.params
    try:
        values = _values(found, m, themes or {})
        if m.has(f"{key}.one"):  # a plural: by the number of things named
            count = len(params.get(_COUNTED.get(found.code, "themes")) or [])
            return m.choose(key, count, **values)
        if found.code == "no_frame_unit":
            key = f"{key}.{params['margin']}"
        if found.code == "same_level" and params.get("level") in (None, ""):
            key = f"{key}_unknown"
        if not m.has(key):
            return found.english()
        text = m(key, **values)
        if params.get("then") is not None:  # a chained reason (bands merged in a second tier)
            text = m("reasons.and_then", first=text, then=values["then"])
        return text
    except (KeyError, TypeError, ValueError):  # parameters the catalogue did not expect
        return found.english()


def _values(reason: Reason, m: i18n.Messages, themes: Mapping[str, str]) -> dict[str, Any]:
    """The parameters as the catalogue's words: names in «», numbers in the locale's format."""
    out: dict[str, Any] = {}
    for name, value in reason.params.items():
        if name == "themes":
            out[name] = _quoted_list(m, [themes.get(t, t) for t in value])
        elif name == "types":
            out[name] = _list(m, [type_label(t, m) for t in value])
        elif name == "bands":
            out[name] = _list(m, [band_words(b, m) for b in value])
        elif name == "column":
            out[name] = m.get(f"reasons.columns.{value}", str(value))
        elif name == "category":
            margin = reason.params.get("margin")
            out[name] = band_words(value, m) if margin == "band" else type_label(value, m)
        elif name == "cut":
            low, _, high = str(value).partition("|")
            out["low"], out["high"] = low, high
        elif name in ("because", "then"):
            out[name] = word(value, m, themes)
        elif name == "merges":
            out[name] = "\u00a0; ".join(
                m(
                    "reasons.merge",
                    bands=_quoted_list(m, [band_words(b, m) for b in merge["bands"]]),
                    into=m("reasons.quoted", text=band_words(merge["into"], m)),
                )
                for merge in value
            )
        elif name.endswith("_pct"):
            out[name] = m.percent(float(value) / 100, 1)
        elif isinstance(value, bool) or value is None:
            out[name] = value
        elif isinstance(value, int):
            out[name] = m.integer(value)
        elif isinstance(value, float):
            out[name] = _short(value, m)
        else:
            out[name] = value
    if reason.code == "bands_merged" and "merges" not in out:
        out["merges"] = ""
    return out


def _short(value: float, m: i18n.Messages) -> str:
    """A number with no trailing zero ("0,5", "3")."""
    if float(value).is_integer():
        return m.integer(value)
    return m.number(value, 2).rstrip("0").rstrip(",.")


def band_words(label: str, m: i18n.Messages) -> str:
    """A raking band's label ("20-50k", "<20k", "250k+", "commune 500-2k", "region 1M+") as the
    report writes bands: the tier's name before the band for any tier but the EPCI's."""
    found = raking_band_range(str(label))
    if found is None:
        match = _BAND.fullmatch(str(label))  # an EPCI group of an older run
        if not match:
            return str(label)
        if match["high"]:
            return m("groups.population.below", high=m.integer(1000 * float(match["high"])))
        if match["above"]:
            return m("groups.population.above", low=m.integer(1000 * float(match["above"])))
        low, high = 1000 * float(match["low"]), 1000 * float(match["to"])
        return m("groups.population.between", low=m.integer(low), high=m.integer(high))
    tier, low, high = found
    if low == 0 and np.isinf(high):
        words = m("groups.population.all_sizes")
    elif low == 0:
        words = m("groups.population.below", high=m.integer(high))
    elif np.isinf(high):
        words = m("groups.population.above", low=m.integer(low))
    else:
        words = m("groups.population.between", low=m.integer(low), high=m.integer(high))
    if not tier.prefix:
        return words
    return m(f"groups.population.{tier.name}", band=words)


def _list(m: i18n.Messages, words: Sequence[str]) -> str:
    words = [str(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return m("tables.and_list", items=", ".join(words[:-1]), last=words[-1])


def _quoted_list(m: i18n.Messages, words: Sequence[str]) -> str:
    return _list(m, [m("reasons.quoted", text=w) for w in words])
