"""The survey data contract: the columns every survey file is read into.

One row per responding collectivity. Item columns come from the codebook; any other column in a
file is ignored, because survey-tool exports carry many.
"""

from __future__ import annotations

from dataclasses import dataclass

COLLECTIVITY_TYPES: tuple[str, ...] = (
    "commune",
    "CC",
    "CA",
    "CU",
    "metropole",
    "EPT",
    "departement",
    "region",
)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    # "string", "type", "int_pos", "float_pos", "float_nonneg", "binary", "siren", "year",
    # "text", "code_insee"
    kind: str
    required: bool
    meaning: str

    @property
    def expected(self) -> str:
        return EXPECTED[self.kind]


EXPECTED: dict[str, str] = {
    "string": "a non-empty identifier, unique in the file",
    "type": "one of " + ", ".join(COLLECTIVITY_TYPES),
    "int_pos": "a whole number greater than 0",
    "float_pos": "a number greater than 0",
    "float_nonneg": "a number greater than or equal to 0",
    "binary": "0 or 1",
    "siren": "a SIREN of 9 digits, or a SIRET of 14 digits (read as its first 9)",
    "text": "a name as written in the survey, or empty",
    "code_insee": "an INSEE code of a commune (5 characters), département (2 or 3) or région "
    "(2 digits), or empty",
    "year": "a year such as 2025",
}

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("respondent_id", "string", True, "identifier of the responding collectivity"),
    ColumnSpec("collectivity_type", "type", True, "legal type of the collectivity"),
    ColumnSpec("population", "int_pos", True, "inhabitants"),
    ColumnSpec("budget_per_capita", "float_pos", False, "spending, euros per inhabitant"),
    ColumnSpec(
        "digital_staff_fte", "float_nonneg", False, "digital/IT staff, full-time equivalents"
    ),
    ColumnSpec(
        "elected_digital_lead", "binary", False, "an elected official holds a digital delegation"
    ),
    ColumnSpec("strategy_adopted", "binary", False, "the council adopted a digital strategy"),
    ColumnSpec("siren", "siren", False, "key to the reference frame"),
    ColumnSpec("name", "text", False, "the body's name as the survey writes it"),
    ColumnSpec("code_insee", "code_insee", False, "INSEE code of a commune, département or région"),
    ColumnSpec("edition", "year", False, "survey edition (year)"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)


def spec(name: str) -> ColumnSpec:
    for c in COLUMNS:
        if c.name == name:
            return c
    raise KeyError(name)
