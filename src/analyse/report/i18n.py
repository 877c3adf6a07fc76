"""The report's language: its message catalogue and its number and date formats.

Readers of the reports are mostly French speakers who are not statisticians, so a report is
written in French by default (``lang: fr``; ``en`` for an English one). Every sentence, table
header, figure label and index page takes its words from one catalogue per language
(``analyse/report/messages/<lang>/*.yaml``, split by topic but loaded as one) and its numbers
from Babel, so that "1 200 €", "12,6 %" and "23 novembre 2026" follow the locale's rules
rather than hand-written ones. ``tests/test_i18n.py`` checks that both catalogues hold the same
keys with the same placeholders, so a key added in one language cannot be forgotten in the
other.

A notebook calls ``use(params.lang)`` once (``analyse.report.notebook.setup`` does); the
report's functions then call ``current()``, so that the language does not have to be passed
through every table and figure call of a notebook.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from analyse.params import Language

LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "fr"
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
# Babel locales: France's French; British English writes dates "23 November 2026", which reads
# closer to the French order than the American "November 23, 2026".
LOCALES: dict[str, str] = {"fr": "fr_FR", "en": "en_GB"}
MINUS = "\u2212"  # a true minus sign: a hyphen reads as a dash in a sentence
NBSP = "\u00a0"
# French puts a space before : ; ? ! % € » and after «, one a line must not break at: a "?"
# alone at the start of a line reads as a typo.
_FRENCH_SPACE = re.compile(r" ([:;?!%€»])|(«) ")


class MissingMessage(KeyError):
    """A key that is not in the catalogue: a programming error, named with its language."""


class Messages:
    """One language's catalogue, and the formats of its locale.

    Calling the object fills a message's ``{placeholders}``: ``m("verdict.title")``,
    ``m("findings.n", n=m.integer(55))``. Numbers are formatted by the caller with the methods
    below, because only the caller knows whether 0.2 is a share, a standardized effect or a
    p-value.
    """

    def __init__(self, lang: str, texts: Mapping[str, str]):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
        self.lang = lang
        self.locale = Locale.parse(LOCALES[lang])
        self.texts = dict(texts)

    def __repr__(self) -> str:
        return f"Messages({self.lang!r}, {len(self.texts)} texts)"

    # ------------------------------------------------------------------------- text
    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self.texts[key]
        except KeyError:
            raise MissingMessage(f"no message {key!r} in the {self.lang!r} catalogue") from None
        text = text.format(**values) if values else text
        return _french_spacing(text) if self.lang == "fr" else text

    def has(self, key: str) -> bool:
        return key in self.texts

    def get(self, key: str, default: str, **values: Any) -> str:
        """A message that may not exist (e.g. a label per codebook theme), else ``default``."""
        return self(key, **values) if key in self.texts else default

    def choose(self, key: str, count: float, **values: Any) -> str:
        """``key.one`` or ``key.other`` by the language's plural rule for ``count``."""
        form = self.locale.plural_form(count)
        return self(f"{key}.{'one' if form == 'one' else 'other'}", **values)

    # ------------------------------------------------------------------------- numbers
    def number(self, x: float | None, digits: int = 2, sign: bool = False) -> str:
        """A decimal number with ``digits`` decimals, the locale's separators and a true minus
        sign ("−0,29"); ``sign`` writes "+" before positive numbers; "—" when missing."""
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return self("format.missing")
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        text = format_decimal(x, format=pattern, locale=self.locale)
        if set(text) <= set("-0,.\u202f\xa0"):  # rounds to zero: no "−0,00"
            text = text.lstrip("-")
        elif sign and not text.startswith("-"):
            text = "+" + text
        return text.replace("-", MINUS)

    def integer(self, n: float | None) -> str:
        """A count with the locale's grouping ("1 225" in French)."""
        if n is None or (isinstance(n, float) and not math.isfinite(n)):
            return self("format.missing")
        return self.number(round(n), digits=0)

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share (0.126) as a percentage in the locale's spelling ("12,6 %", "12.6%")."""
        if share is None or not math.isfinite(share):
            return self("format.missing")
        number = self.number(100 * share, digits)
        return self("format.percent", number=number)

    def euros(self, amount: float | None, digits: int = 0) -> str:
        """An amount in euros ("1 200 €", "€1,200")."""
        if amount is None or not math.isfinite(amount):
            return self("format.missing")
        return self("format.euros", number=self.number(amount, digits))

    def p_value(self, p: float | None, prefix: bool = True) -> str:
        """A p-value as readers expect it: "p < 0,001" below the threshold, three decimals
        otherwise; ``prefix=False`` drops the "p" for a table column already named p."""
        if p is None or not math.isfinite(p):
            return self("format.missing")
        if p < 0.001:
            text = "< " + self.number(0.001, 3)
            return f"p {text}" if prefix else text
        text = self.number(p, 3)
        return f"p = {text}" if prefix else text

    def date(self, when: _dt.date | _dt.datetime | str) -> str:
        """A date in words ("23 novembre 2026"); ISO strings (manifests) are accepted."""
        if isinstance(when, str):
            when = _dt.datetime.fromisoformat(when)
        if isinstance(when, _dt.datetime):
            when = when.date()
        return format_date(when, format="long", locale=self.locale)

    def datetime(self, when: _dt.datetime | str) -> str:
        """A date and time in words, in the time zone the value carries."""
        if isinstance(when, str):
            when = _dt.datetime.fromisoformat(when)
        return format_datetime(when, format="d MMMM y, HH:mm", locale=self.locale)


def _french_spacing(text: str) -> str:
    return _FRENCH_SPACE.sub(lambda m: f"{NBSP}{m[1]}" if m[1] else f"{m[2]}{NBSP}", text)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message expects (for the catalogue test)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, str):
            flat[name] = value.strip("\n") if "\n" in value else value
        else:
            raise TypeError(f"message {name!r} is {type(value).__name__}, not text")
    return flat


def catalogue_files(lang: str) -> list[Path]:
    return sorted((MESSAGES_DIR / lang).glob("*.yaml"))


# The package's own catalogues, parsed by libyaml when PyYAML has it: the same safe loading, ten
# times faster: a skipped run (which rewrites the site index) and every kernel load them.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=len(LANGUAGES))
def messages(lang: str = DEFAULT_LANGUAGE) -> Messages:
    """The catalogue of ``lang``: every ``messages/<lang>/*.yaml`` file, keys prefixed by the
    file's stem (``figures.yaml``'s ``title`` is ``figures.title``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
    texts: dict[str, str] = {}
    for path in catalogue_files(lang):
        tree = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}
        texts.update(_flatten(tree, path.stem + "."))
    return Messages(lang, texts)


_current: list[str] = [DEFAULT_LANGUAGE]


def use(lang: str) -> Messages:
    """Make ``lang`` the language of what the report's functions write from now on."""
    found = messages(lang)
    _current[0] = lang
    return found


def current() -> Messages:
    """The catalogue ``use`` chose (French until told otherwise)."""
    return messages(_current[0])
