""" "Did you mean ...?": the closest known name to a misspelt one.

Misspelt column names, collectivity types, parameter keys and notebook parameters are the most
common user errors; pointing at the likely intended name turns a refusal into a one-edit fix.
Names are compared *folded* (accents, case, spaces and punctuation ignored) so that
"Métropole", "metropole" and "METROPOLE " are the same name, then by similarity.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping


def fold(text: str) -> str:
    """A name without accents, case, spaces or punctuation: "Nb. d'habitants" -> "nbdhabitants"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def closest(
    name: str,
    candidates: Iterable[str] | Mapping[str, str],
    cutoff: float = 0.6,
) -> str | None:
    """The candidate ``name`` most likely means, or None when nothing is close enough.

    An exact folded match wins; otherwise the most similar folded candidate whose similarity
    ratio (``difflib``) reaches ``cutoff``. ``candidates`` may map extra spellings (folded
    aliases) to the name to return.
    """
    if isinstance(candidates, Mapping):
        known = {fold(k): v for k, v in candidates.items() if k}
    else:
        known = {fold(c): c for c in candidates if c}
    folded = fold(name)
    if folded in known:
        return known[folded]
    close = difflib.get_close_matches(folded, list(known), n=1, cutoff=cutoff)
    return known[close[0]] if close else None


def did_you_mean(suggestion: str | None) -> str:
    """The tail of an error message: "; did you mean 'x'?" or nothing."""
    return f"; did you mean {suggestion!r}?" if suggestion else ""
