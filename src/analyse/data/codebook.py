"""The codebook: which columns are maturity items, in which theme, on which scale.

A survey is only interpretable with its codebook, so the number of levels, the themes and their
items are read from YAML rather than written in code; another survey brings another codebook.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    def theme_keys(self) -> list[str]:
        return [t.key for t in self.themes]

    @property
    def item_columns(self) -> list[str]:
        return [c for t in self.themes for c in t.columns]

    @property
    def structure(self) -> tuple[tuple[int, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
        """What makes two codebooks measure the same thing: the level values and each theme's
        key and item columns (labels and question texts may be reworded or translated)."""
        return tuple(self.level_values), tuple((t.key, tuple(t.columns)) for t in self.themes)

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
