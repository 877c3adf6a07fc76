"""The codebook: which columns are maturity items, in which theme, on which scale.

A survey is only interpretable with its codebook, so the number of levels, the themes and their
items are read from YAML rather than written in code; another survey brings another codebook.

Every item is on the codebook's levels: theme scores, theme levels, Cronbach's alpha and the
per-theme ordinal models all read an item's answer as one of them. An item whose cells are
numbers rather than answers (a count of published datasets, an amount, a score) declares
``cuts: [c1, c2, ...]``, strictly increasing numbers, and its level is the lowest level plus
the number of cuts at or below the value: ``[1, 10, 100]`` on levels 0-3 gives 0 below 1, 1
from 1 to under 10, 2 from 10 to under 100 and 3 from 100 up. A cut item therefore has one cut
fewer than the codebook has levels: it shares the codebook's levels like any other item, so
its level weighs in a theme score exactly as an answered level does, and nothing downstream
needs to know that it came from a number. A binary (0/1) item needs no cuts on a two-level
codebook; ``cuts: [1]`` reads any count as "none" (0) or "at least one" (1).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analyse.errors import InputError, Problem
from analyse.paths import default_codebook_path
from analyse.yaml_files import read_yaml


class Level(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: int
    label_fr: str
    label_en: str


class Item(BaseModel):
    model_config = ConfigDict(extra="allow")
    column: str = Field(min_length=1)
    text_fr: str = ""
    text_en: str = ""
    # numbers cutting a numeric item into the codebook's levels (module docstring); None for an
    # item answered on the levels. Checked by the codebook, which can name the theme and level.
    cuts: Any = None


class Theme(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str = Field(min_length=1)
    label_fr: str
    label_en: str
    items: list[Item] = Field(min_length=1)

    @property
    def columns(self) -> list[str]:
        return [item.column for item in self.items]


class Codebook(BaseModel):
    """Levels (lowest first) and themes of a maturity survey."""

    model_config = ConfigDict(extra="allow")
    levels: list[Level] = Field(min_length=2)
    themes: list[Theme] = Field(min_length=1)
    # What the index measures, named for readers (« indice de transparence », "transparency
    # index"): another codebook's index is not the barometer's « indice de maturité ». None
    # keeps the barometer's words. French: a masculine singular noun phrase without article.
    index_label_fr: str | None = None
    index_label_en: str | None = None

    @field_validator("index_label_fr", "index_label_en")
    @classmethod
    def _label_text(cls, label: str | None) -> str | None:
        """A label is one line of words, or nothing: blanks collapse, an empty one is None."""
        if label is None:
            return None
        text = " ".join(label.split())
        if "{" in text or "}" in text:
            raise ValueError(f"an index label cannot hold braces; got {label!r}")
        return text or None

    def index_label(self, lang: str) -> str | None:
        """The index's name in ``lang`` (``fr`` or ``en``), None for the barometer's words."""
        return self.index_label_fr if lang == "fr" else self.index_label_en

    @field_validator("levels")
    @classmethod
    def _levels_consecutive(cls, levels: list[Level]) -> list[Level]:
        values = [lv.value for lv in levels]
        expected = list(range(values[0], values[0] + len(values)))
        if values != expected:
            raise ValueError(
                f"level values must be consecutive integers, lowest first; got {values}"
            )
        return levels

    @model_validator(mode="after")
    def _unique_keys(self) -> Codebook:
        keys = [t.key for t in self.themes]
        if len(set(keys)) != len(keys):
            raise ValueError(f"theme keys must be unique; got {keys}")
        cols = self.item_columns
        dupes = sorted({c for c in cols if cols.count(c) > 1})
        if dupes:
            raise ValueError(f"an item column may belong to one theme only; repeated: {dupes}")
        faults = [
            f"theme {theme.key!r}, item {item.column!r}: {fault}"
            for theme in self.themes
            for item in theme.items
            if item.cuts is not None and (fault := cuts_fault(item.cuts, len(self.levels)))
        ]
        if faults:
            raise ValueError("; ".join(faults))
        return self

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def min_level(self) -> int:
        return self.levels[0].value

    @property
    def max_level(self) -> int:
        return self.levels[-1].value

    @property
    def level_values(self) -> list[int]:
        return [lv.value for lv in self.levels]

    @property
    def item_cuts(self) -> dict[str, tuple[float, ...]]:
        """The cuts of each numeric item, by column (items answered on the levels are absent)."""
        return {
            item.column: tuple(float(c) for c in item.cuts)
            for theme in self.themes
            for item in theme.items
            if item.cuts is not None
        }

    @property
    def theme_keys(self) -> list[str]:
        return [t.key for t in self.themes]

    @property
    def item_columns(self) -> list[str]:
        return [c for t in self.themes for c in t.columns]

    @property
    def structure(self) -> tuple[tuple, ...]:
        """What makes two codebooks measure the same thing: the level values, each theme's
        key and item columns, and the cuts of numeric items (labels and question texts may be
        reworded or translated)."""
        themes = tuple((t.key, tuple(t.columns)) for t in self.themes)
        return tuple(self.level_values), themes, tuple(sorted(self.item_cuts.items()))

    @property
    def is_barometer_2025(self) -> bool:
        """Whether this is the 2025 barometer's codebook (``data/codebook.yaml``): same levels,
        themes and items. Only then can its theme shares be set beside the published ones."""
        return self.structure == _barometer_structure()

    def theme(self, key: str) -> Theme:
        for t in self.themes:
            if t.key == key:
                return t
        raise KeyError(f"no theme {key!r} in the codebook; themes are {self.theme_keys}")


def cuts_fault(cuts: object, n_levels: int) -> str:
    """What is wrong with an item's ``cuts`` on a codebook of ``n_levels`` levels ("" if
    nothing): a list of finite numbers (not texts or booleans), strictly increasing, one fewer
    than the levels, so that the item's levels are the codebook's."""
    if not isinstance(cuts, list) or not cuts:
        return f"cuts must be a list of numbers, got {cuts!r}"
    bad = [c for c in cuts if isinstance(c, bool) or not isinstance(c, int | float)]
    if bad or not all(_finite(c) for c in cuts):
        hint = ""
        if any(isinstance(c, str) and _finite_text(c) for c in bad):  # YAML reads 1e3 as text
            hint = " (YAML reads a number like 1e3 as text: write 1000 or 1.0e+3)"
        return f"cuts must be finite numbers (not texts), got {cuts!r}{hint}"
    if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        return f"cuts must be strictly increasing, got {cuts!r}"
    if len(cuts) != n_levels - 1:
        return (
            f"{len(cuts)} cut(s) make {len(cuts) + 1} levels but the codebook has {n_levels}: "
            f"give {n_levels - 1} cut(s), so that the item shares the codebook's levels"
        )
    return ""


def _finite(value: float) -> bool:
    """A finite number, an integer too large for a float (10**400) included as not finite."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _finite_text(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except (ValueError, OverflowError):
        return False


@lru_cache(maxsize=1)
def _barometer_structure() -> tuple | None:
    """The structure of the package's barometer codebook; None if it cannot be read."""
    try:
        return load_codebook(default_codebook_path()).structure
    except (InputError, OSError):
        return None


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and check a codebook; the default is the barometer codebook in ``data/``."""
    path = Path(path) if path is not None else default_codebook_path()
    raw = read_yaml(path, what="codebook file")
    if not isinstance(raw, dict):
        raise InputError(
            [Problem(file=str(path), message="expected a mapping with 'levels' and 'themes'")]
        )
    try:
        return Codebook.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem(
                file=str(path),
                column=".".join(str(p) for p in err["loc"]),
                message=err["msg"],
            )
            for err in exc.errors()
        ]
        raise InputError(problems) from None
