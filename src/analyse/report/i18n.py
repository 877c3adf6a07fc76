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

Two things about the run change words throughout, and are bound to the catalogue rather than
passed to every call (``Messages.bind``, ``use(lang, kind=..., index_label=...)``,
``for_run(m, results)``):

- **What the data are.** A census (``data.kind: census``) has no respondents, no sample and no
  survey: a message whose survey wording is false for a census has a census variant under the
  same key in ``census.yaml`` (``census.<key>``), that a census run's catalogue gives instead.
- **What the index is called.** The barometer's index is « l'indice de maturité »; another
  codebook measures something else (a transparency grade) and names it
  (``index_label_fr`` / ``index_label_en``). Messages say ``{index}``, ``{Index}``,
  ``{the_index}``, ``{The_index}``, ``{of_index}``, ``{quality}``, ``{the_quality}``, which the
  catalogue fills with the run's words (``index_words``) whenever a message is asked for.

A word that agrees with a number is written in the message beside it, with its two forms:
``{n} {n:collectivité|collectivités}``, ``{gap} {gap:point|points}``. The form is chosen by the
language's plural rule (Babel's CLDR rules) for the number *as written* in the sentence: French
says « 0 collectivité », « 1,5 point », « 2 points »; English « 1 point », « 0 points », « 1.0
points ». A whole sentence that must change (« aucune collectivité ne le déplace ») is a message
variant chosen by the caller (``choose`` or its own rule), not an inline form.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import string
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

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


# ``messages/<lang>/census.yaml`` holds a census's wording of messages, under their keys
CENSUS = "census."
# The barometer's words for its index in each language (``index_words``): what every page said
# before a codebook could name its index, and still says when it does not.
DEFAULT_INDEX_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "index": "indice de maturité",
        "the_index": "l'indice de maturité",
        "of_index": "d'indice de maturité",
        "quality": "maturité numérique",
        "the_quality": "la maturité numérique",
        # the larger collectivities « ont une maturité numérique plus élevée » (a title), « sont
        # plus matures » (a sentence); the descriptives' question
        "have_higher": "ont une maturité numérique plus élevée",
        "have_lower": "ont une maturité numérique plus faible",
        "are_higher": "sont plus matures",
        "are_lower": "sont moins matures",
        "who_highest": "qui est le plus mature",
    },
    "en": {
        "index": "maturity index",
        "the_index": "the maturity index",
        "of_index": "maturity index",
        "quality": "digital maturity",
        "the_quality": "digital maturity",
        "have_higher": "are more digitally mature",
        "have_lower": "are less digitally mature",
        "are_higher": "are more mature",
        "are_lower": "are less mature",
        "who_highest": "who is more mature",
    },
}
# French elides « le » and « de » before a vowel or a mute h: « l'indice », « d'indice »
_ELIDING = set("aeiouyàâäéèêëîïôöùûüœæh")


# The placeholders every message may use for the index, filled by the catalogue itself: each
# word of ``DEFAULT_INDEX_WORDS`` and its capitalised form.
RUN_WORDS: frozenset[str] = frozenset(
    name for key in DEFAULT_INDEX_WORDS["fr"] for name in (key, key[:1].upper() + key[1:])
)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def index_words(lang: str, label: str | None = None) -> dict[str, str]:
    """The words every message uses for the index, in ``lang``: the barometer's (« indice de
    maturité », « maturité numérique ») without a ``label``, else forms of the codebook's label
    (« indice de transparence »: « l'indice de transparence », « d'indice de transparence »).

    A French label is read as a masculine singular noun phrase without article (« indice de
    … », « score de … »): « le » and « de » are elided before a vowel or an h. Each lower-case
    form also has a capitalised one (``Index``, ``The_index``...), to start a sentence or a
    title."""
    label = " ".join((label or "").split())
    if not label:
        found = dict(DEFAULT_INDEX_WORDS[lang])
    elif lang == "fr":
        elide = label[:1].lower() in _ELIDING
        the = f"l'{label}" if elide else f"le {label}"
        found = {
            "index": label,
            "the_index": the,
            "of_index": f"d'{label}" if elide else f"de {label}",
            "quality": label,
            "the_quality": the,
            "have_higher": f"ont un {label} plus élevé",
            "have_lower": f"ont un {label} plus faible",
            "are_higher": f"ont un {label} plus élevé",
            "are_lower": f"ont un {label} plus faible",
            "who_highest": f"qui a {the} le plus élevé",
        }
    else:
        found = {
            "index": label,
            "the_index": f"the {label}",
            "of_index": label,
            "quality": label,
            "the_quality": f"the {label}",
            "have_higher": f"have a higher {label}",
            "have_lower": f"have a lower {label}",
            "are_higher": f"have a higher {label}",
            "are_lower": f"have a lower {label}",
            "who_highest": f"who has the higher {label}",
        }
    found.update({_capital(k): _capital(v) for k, v in list(found.items())})
    return found


def _written_number(value: Any, locale: Locale) -> Decimal | None:
    """The number a placeholder's value writes, for its plural rule: a count or an amount the
    caller formatted (« 1\u202f225 », « +1,8 », « −0,1 ») read back in its locale, its sign
    dropped (« −1,2 point »). None when the value writes no number (« — »)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        return abs(number) if number.is_finite() else None
    text = str(value).strip().lstrip("+-" + MINUS).strip()
    for space in (" ", NBSP, "\u202f"):
        text = text.replace(space, "")
    try:
        number = parse_decimal(text, locale=locale, strict=True)
    except (NumberFormatError, ValueError, ArithmeticError):
        return None
    return abs(number) if number.is_finite() else None  # « NaN », « inf » write no number


class _MessageFormatter(string.Formatter):
    """``str.format`` with one addition, the plural form of a word beside a number:
    ``{n:collectivité|collectivités}`` writes the first form when the language's plural rule
    puts the number ``n`` writes in its ``one`` category, the second otherwise. Any other format
    spec is Python's."""

    def __init__(self, locale: Locale):
        self.locale = locale

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        one, _, other = format_spec.partition("|")
        number = _written_number(value, self.locale)
        return one if number is not None and self.locale.plural_form(number) == "one" else other


class MissingMessage(KeyError):
    """A key that is not in the catalogue: a programming error, named with its language."""


class Messages:
    """One language's catalogue, and the formats of its locale.

    Calling the object fills a message's ``{placeholders}``: ``m("verdict.title")``,
    ``m("findings.n", n=m.integer(55))``. Numbers are formatted by the caller with the methods
    below, because only the caller knows whether 0.2 is a share, a standardized effect or a
    p-value.
    """

    def __init__(
        self,
        lang: str,
        texts: Mapping[str, str],
        kind: str | None = None,
        index_label: str | None = None,
    ):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
        self.lang = lang
        self.locale = Locale.parse(LOCALES[lang])
        self.texts = texts if isinstance(texts, dict) else dict(texts)
        # survey, census or synthetic: a census gets the wording of ``census.yaml``
        self.kind = kind or "survey"
        self.index_label = " ".join((index_label or "").split()) or None
        self.words = index_words(lang, self.index_label)

    def __repr__(self) -> str:
        return f"Messages({self.lang!r}, {len(self.texts)} texts, {self.kind})"

    def bind(self, kind: str | None = None, index_label: str | None = None) -> Messages:
        """This catalogue for a run: a census's wording (``kind``) and the codebook's name of
        the index (``index_label``, in this language; None for the barometer's words)."""
        return Messages(self.lang, self.texts, kind=kind, index_label=index_label)

    @property
    def census(self) -> bool:
        return self.kind == "census"

    def key(self, key: str) -> str:
        """The key whose text the run gets: ``census.<key>`` for a census when it exists."""
        if self.kind == "census" and (variant := CENSUS + key) in self.texts:
            return variant
        return key

    # ------------------------------------------------------------------------- text
    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self.texts[self.key(key)]
        except KeyError:
            raise MissingMessage(f"no message {key!r} in the {self.lang!r} catalogue") from None
        if values:
            text = self.fill(text, **values)
        elif "{" in text:  # the index's words; other placeholders are the caller's
            text = _keep_unknown(text, self.words, self._formatter)
        return _french_spacing(text) if self.lang == "fr" else text

    @property
    def _formatter(self) -> _MessageFormatter:
        return _MessageFormatter(self.locale)

    def fill(self, template: str, **values: Any) -> str:
        """A message's text with its placeholders filled, and each word beside a number in the
        form its number asks (``{n:collectivité|collectivités}``, see the module's note)."""
        return self._formatter.vformat(template, (), {**self.words, **values})

    def plural(self, count: Any, one: str, other: str) -> str:
        """``one`` or ``other`` by the language's plural rule for ``count`` (a number, or the
        number a formatted value writes), as a message's ``{n:one|other}`` does."""
        return self._formatter.format_field(count, f"{one}|{other}")

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


def _keep_unknown(text: str, words: Mapping[str, str], formatter: _MessageFormatter) -> str:
    """``text`` with the index's ``words`` filled and every other placeholder kept as written,
    with its format spec (``{n:collectivité|collectivités}``), for the caller to fill."""
    parts: list[str] = []
    for literal, field, spec, conversion in formatter.parse(text):
        parts.append(literal)  # unescaped, as ``format_map`` wrote it
        if field is None:
            continue
        if field in words and not spec and not conversion:
            parts.append(words[field])
        else:
            conversion = f"!{conversion}" if conversion else ""
            parts.append("{" + field + conversion + (f":{spec}" if spec else "") + "}")
    return "".join(parts)


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


_bound: dict[str, Messages] = {}


def use(lang: str, kind: str | None = None, index_label: str | None = None) -> Messages:
    """Make ``lang`` the language of what the report's functions write from now on, with the
    run's words: a census's wording (``kind``) and the codebook's name of its index
    (``index_label``, in ``lang``)."""
    found = messages(lang)
    if kind not in (None, "survey", "synthetic") or index_label:
        found = found.bind(kind=kind, index_label=index_label)
    _current[0] = lang
    _bound.clear()
    if found is not messages(lang):
        _bound[lang] = found
    return found


def current() -> Messages:
    """The catalogue ``use`` chose (French until told otherwise), bound to its run's words."""
    lang = _current[0]
    return _bound.get(lang) or messages(lang)


def run_index_label(results: Mapping[str, Any] | None, lang: str) -> str | None:
    """The index's name in ``lang`` that a run's ``results.json`` records (``run.index_label``,
    by language), None when its codebook gives none."""
    labels = ((results or {}).get("run") or {}).get("index_label") or {}
    found = labels.get(lang) if isinstance(labels, Mapping) else None
    return str(found) if found else None


def for_run(m: Messages, results: Mapping[str, Any] | None) -> Messages:
    """``m`` bound to the run a ``results.json`` describes (its kind and index name): the
    pages that read only that file say what the run's notebooks said."""
    run = (results or {}).get("run") or {}
    kind = run.get("kind") if isinstance(run, Mapping) else None
    label = run_index_label(results, m.lang)
    if (kind or "survey") == m.kind and label == m.index_label:
        return m
    return m.bind(kind=kind, index_label=label)
