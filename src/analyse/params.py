"""Run parameters: the ``params/*.yaml`` files that say what one published run analyses.

A parameter file is the only thing a maintainer edits to point a run at real microdata or to
change an assumption, so it is checked strictly before anything runs: unknown keys (usually a
typo that would otherwise be silently ignored), wrong types and missing input files are all
reported together as ``Problem`` records naming the file and the key path.

The YAML groups keys in sections (``data``, ``analysis``) because a maintainer reads it as a
document. The notebooks' papermill parameters are *flat*: every leaf key is one variable
(``sesoi``, ``survey``, ``min_cell``, ...), so ``papermill NB out.ipynb -p sesoi 0.3`` works.
``flat_parameters`` and ``nested_parameters`` convert between the two spellings; the flat names
are derived from the models below, so a key added to a section is a notebook parameter at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from analyse.errors import InputError, Problem
from analyse.paths import project_root
from analyse.suggest import closest, did_you_mean
from analyse.yaml_files import not_regular, read_yaml

# The controls every survey can have; any other control is a column the parameter file
# declares in ``data.extra_columns`` (checked by ``RunParams``, which sees both sections).
BUILTIN_CONTROLS: tuple[str, ...] = ("collectivity_type",)
# Names an extra column may not take: the contract's columns (``analyse.data.contract``, kept
# equal by a test, as this core module may not import the data layer), and the names the
# scored table and the model already use. Item and theme names are checked against the
# codebook when the survey is loaded (``analyse.data.configured``).
CONTRACT_COLUMNS: tuple[str, ...] = (
    "respondent_id",
    "collectivity_type",
    "population",
    "budget_per_capita",
    "digital_staff_fte",
    "elected_digital_lead",
    "strategy_adopted",
    "siren",
    "name",
    "code_insee",
    "edition",
)
RESERVED_NAMES: tuple[str, ...] = (
    *CONTRACT_COLUMNS,
    "maturity_index",
    "excluded_reason",
    "Intercept",
    "size",
    "budget",
    "staff",
    "sponsorship",
    "controls",
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What the survey file is: answers of volunteers (a survey), every body of a scope (a census),
# or invented by ``analyse simulate`` (synthetic). It chooses the report's words (respondents
# or observed bodies) and whether the published barometer is a comparison.
DataKind = Literal["survey", "census", "synthetic"]
Language = Literal["fr", "en"]
NAME_MAX_LENGTH = 100  # characters of a run name (see RunParams.name)
# The most random draws (bootstrap, simulations) a run may ask for: 100,000 bootstrap draws of
# a few hundred respondents take minutes; more only multiplies the wait, not the precision.
MAX_DRAWS = 100_000
Weights = Literal["none", "raked"]
# What a row the analysis cannot use (population 0, negative or missing, a type no mapping
# names) does to a run: stop it with the problems listed, or leave the row out with its reason.
BadRows = Literal["stop", "exclude"]

# What a user should write for each key, shown next to pydantic's own message.
EXPECTED: dict[str, str] = {
    "name": (
        "a run name of at most 100 lowercase letters, digits, '_' or '-', starting with a letter "
        "or digit (the report folder name; names starting with '_' or '.' are reserved, e.g. "
        "_failed holds failed attempts)"
    ),
    "data": (
        "a mapping with keys survey, codebook, columns, answer_labels, type_labels, "
        "enrich_from_frame, kind, strict_identifiers, bad_rows, missing_values, duplicates, "
        "extra_columns, sheet"
    ),
    "data.survey": "a path to the survey file, relative to the project root or absolute",
    "data.sheet": (
        "null (the first worksheet), the name of a worksheet of the .xlsx survey, or its "
        "0-based position (0 the first, 1 the second)"
    ),
    "data.codebook": "a path to the codebook YAML, relative to the project root or absolute",
    "data.columns": (
        "null, a mapping 'canonical name: name in the file', or the path of a YAML file of "
        "such lines"
    ),
    "data.answer_labels": (
        "null, a mapping 'answer text: level' (null for a non-answer such as 'Je ne sais pas'), "
        "or the path of a YAML file of such lines"
    ),
    "data.type_labels": (
        "null, a mapping 'type as written in the survey: contract type' (commune, CC, CA, CU, "
        "metropole, EPT, departement, region; epci for an EPCI whose legal type comes from the "
        "reference frame; null to leave those rows out), or the path of a YAML file of such lines"
    ),
    "data.kind": (
        "null (synthetic when the survey is a synthetic export, else survey), survey, census "
        "or synthetic: what the file is (answers of volunteers, every body of a scope, "
        "invented)"
    ),
    "title": (
        "null or a title of at most 150 characters, in the report's language, naming the run "
        "for readers (e.g. 'Baromètre 2025, intercommunalités') on its pages and the site index"
    ),
    "data.enrich_from_frame": (
        "true or false: fill population and legal type from the reference frame (by SIREN, "
        "INSEE code or name)"
    ),
    "data.strict_identifiers": (
        "true or false (default): true stops the run on a SIREN/SIRET or INSEE code that does "
        "not parse; false warns and matches that row by its next key (code, then name)"
    ),
    "data.bad_rows": (
        "stop (default) or exclude: what a row whose population is 0, negative or missing, or "
        "whose type is not a known one, does: stop the run with the problems listed, or be "
        "left out with its reason"
    ),
    "data.missing_values": (
        "a list of cell texts read as missing in every column, e.g. [NA, n/a, '-', '#N/A'] "
        "(compared ignoring case and surrounding spaces)"
    ),
    "data.duplicates": (
        "error, warn or keep_first: what to do with a body answering twice (same SIREN, else "
        "same INSEE code, else same name, type and population): stop, list it, or keep its "
        "first row only"
    ),
    "data.extra_columns": (
        "a list of names such as party or colour_2020 (letters, digits and '_'), each a column "
        "of the survey file or a header data.columns maps to it, usable in analysis.controls; "
        "an item may also be a mapping {name: region, kind: category} (kind: category, read as "
        "categories even when written as numeric codes, or number, one linear term); "
        "not a contract column, an item or theme of the codebook, nor a name of the model "
        "(maturity_index, excluded_reason, Intercept, size, budget, staff, sponsorship, controls)"
    ),
    "analysis": (
        "a mapping with keys sesoi, sesoi_points, alpha, controls, confounders, bootstrap, "
        "weights, min_cell, bf_prior_scale, min_themes"
    ),
    "analysis.sesoi": "a finite number > 0 (smallest standardized size effect of interest)",
    "analysis.sesoi_points": (
        "null or a finite number > 0: the smallest effect of interest in index points for a "
        "tenfold population; replaces analysis.sesoi for every verdict"
    ),
    "analysis.alpha": "a number strictly between 0 and 0.5",
    "analysis.controls": (
        "a list whose items are among: collectivity_type, and the names declared in "
        "data.extra_columns"
    ),
    "analysis.confounders": (
        "a list of controls that come before size (each also in analysis.controls), held "
        "equal in the total effect of size too; [] by default"
    ),
    "analysis.bootstrap": "an integer from 0 to 100000 (bootstrap draws)",
    "analysis.weights": (
        "'none', 'raked', or a mapping {column: NAME} naming the survey file's column of "
        "weights shipped with the survey"
    ),
    "analysis.min_themes": (
        "null (every theme must be answered) or an integer >= 1: the fewest themes a "
        "respondent must answer to get an index, the mean of the themes answered"
    ),
    "analysis.min_cell": "an integer >= 1 (smallest group size a published table may show)",
    "analysis.bf_prior_scale": (
        "a finite number > 0 (scale r of the Zellner-Siow prior of the Bayes factor BF01; "
        "0.3535533905932738 = sqrt(2)/4 is BayesFactor's 'medium')"
    ),
    "seed": "an integer >= 0",
    "lang": "fr or en: the language of the published report (French by default)",
}


class _Strict(BaseModel):
    """Unknown keys are errors and YAML values are not coerced ("0.2" is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _sheet_kind(value: Any) -> str | None:
    """Which spelling of ``data.sheet`` a value is (a worksheet's name or its position), so
    that a mistake gets one message about that spelling."""
    if isinstance(value, str):
        return "sheet-name"
    if isinstance(value, int) and not isinstance(value, bool):
        return "sheet-position"
    return None


SheetChoice = Annotated[
    Annotated[Annotated[str, Field(min_length=1)], Tag("sheet-name")]
    | Annotated[Annotated[int, Field(ge=0)], Tag("sheet-position")],
    Discriminator(
        _sheet_kind,
        custom_error_type="sheet_kind",
        custom_error_message="must be a worksheet's name or its 0-based position",
    ),
]


# How an extra control enters the model: categories (one dummy each) or a number (one linear
# term). Undeclared, the loader decides from the cells (``analyse.data.extra_columns.check_extra``).
EXTRA_KINDS = ("category", "number")


class ExtraColumn(_Strict):
    """``data.extra_columns`` item written as a mapping: the column's name and how it enters
    the model, for numeric codes (« Code région » 11, 24, 84) that are categories, not
    quantities."""

    name: str
    kind: Literal["category", "number"]


def _extra_form(value: Any) -> str | None:
    """Which form a ``data.extra_columns`` item takes: a name, or a mapping {name, kind}."""
    if isinstance(value, str):
        return "extra-name"
    if isinstance(value, Mapping | ExtraColumn):
        return "extra-mapping"
    return None


ExtraColumnChoice = Annotated[
    Annotated[str, Tag("extra-name")] | Annotated[ExtraColumn, Tag("extra-mapping")],
    Discriminator(
        _extra_form,
        custom_error_type="extra_column_form",
        custom_error_message="must be a name or a mapping {name: NAME, kind: category|number}",
    ),
]


class DataParams(_Strict):
    """Where the survey and its codebook are; paths are relative to the project root."""

    survey: str = Field(min_length=1)
    codebook: str = Field(default="data/codebook.yaml", min_length=1)
    # Each mapping is written inline or kept in its own YAML file (a path), so that one
    # export's mapping serves several runs; analyse.data.configured reads and checks them.
    columns: dict[str, str] | str | None = None
    answer_labels: dict[str, int | None] | str | None = None
    type_labels: dict[str, str | None] | str | None = None
    enrich_from_frame: bool = False
    kind: DataKind | None = None
    # An identifier is a matching aid: one typed badly is a warning unless this is true.
    strict_identifiers: bool = False
    bad_rows: BadRows = "stop"
    # Cell texts read as missing in every column (R's "NA", "n/a", "-"), compared like labels.
    missing_values: list[str] = Field(default_factory=list)
    # A body answering twice (same SIREN, else INSEE code, else name, type and population).
    duplicates: Literal["error", "warn", "keep_first"] = "warn"
    # Other columns of the export, named here (and mapped from their header by ``columns``) so
    # that ``analysis.controls`` may hold them equal: text -> one dummy per category, a number
    # -> a linear term (``analyse.stats.regression.build_design``); an item {name, kind} says
    # which (``ExtraColumn``).
    extra_columns: list[ExtraColumnChoice] = Field(default_factory=list)
    # The worksheet of an .xlsx survey that holds the data: its name or 0-based position.
    sheet: SheetChoice | None = None

    @property
    def extra_names(self) -> list[str]:
        """The extra columns' names, in order, however each was written."""
        return extra_column_names(self.extra_columns)

    @property
    def extra_kinds(self) -> dict[str, str]:
        """name -> declared kind (``category`` or ``number``), for the items that declare it."""
        return {c.name: c.kind for c in self.extra_columns if isinstance(c, ExtraColumn)}

    @model_validator(mode="after")
    def _extra_names(self) -> DataParams:
        """An extra column's name is a model term and a column of the scored table: it must
        be an identifier, given once, and not a name either already uses."""
        errors = []
        seen: set[str] = set()
        for i, name in enumerate(self.extra_names):
            if not _IDENTIFIER.fullmatch(name):
                why = "is not a name of letters, digits and '_' that starts with a letter or '_'"
            elif name in RESERVED_NAMES:
                why = (
                    "is a contract column"
                    if name in CONTRACT_COLUMNS
                    else "is a name the analysis already uses"
                )
            elif name in seen:
                why = "is listed twice"
            else:
                seen.add(name)
                continue
            message = "data.extra_columns: '{name}' " + why
            errors.append((EXTRA_COLUMN_NAME, message, {"name": name}, ("extra_columns", i), name))
        if errors:
            raise _own_errors(type(self).__name__, errors)
        return self


class ColumnWeights(_Strict):
    """Weights shipped with the survey: ``{column: NAME}``, NAME a column of the survey file.

    Read from the file by ``analyse.data.user_weights`` (finite, >= 0, not all zero), and used
    wherever raked weights would be: the main model, the verdict, the nested comparison and the
    specification curve's weighted specifications.
    """

    column: str = Field(min_length=1)


def _weights_kind(value: Any) -> str | None:
    """Which spelling of ``analysis.weights`` a value is, so that a mistake gets one message
    about that spelling rather than one per alternative of the union."""
    if isinstance(value, str):
        return "weights-name"
    if isinstance(value, Mapping | ColumnWeights):
        return "weights-mapping"
    return None


# The tags only route validation; ``_validation_problems`` leaves them out of key paths.
_UNION_TAGS = frozenset(
    {
        "weights-name",
        "weights-mapping",
        "sheet-name",
        "sheet-position",
        "extra-name",
        "extra-mapping",
    }
)
WeightsChoice = Annotated[
    Annotated[Weights, Tag("weights-name")] | Annotated[ColumnWeights, Tag("weights-mapping")],
    Discriminator(
        _weights_kind,
        custom_error_type="weights_kind",
        custom_error_message="must be 'none', 'raked' or a mapping {column: NAME}",
    ),
]


DEFAULT_SESOI = 0.2  # standard deviations of the index per standard deviation of ln population
BOTH_SESOI = "sesoi_both"  # error types of AnalysisParams' own checks (_validation_problems)
CONFOUNDER_NOT_CONTROL = "confounder_not_control"
EXTRA_COLUMN_NAME = "extra_column_name"
CONTROL_NOT_DECLARED = "control_not_declared"


def _own_errors(title: str, errors: list[tuple[str, str, dict, Any, Any]]) -> ValidationError:
    """One ``ValidationError`` holding every (type, message, context, key, value) found, each
    with its own type, so that ``_validation_problems`` gives each its message."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError(kind, message, context),
                loc=key if isinstance(key, tuple) else (key,),
                input=value,
            )
            for kind, message, context, key, value in errors
        ],
    )


class AnalysisParams(_Strict):
    """The assumptions of the test of "size is not decisive"."""

    sesoi: float = Field(default=DEFAULT_SESOI, gt=0, allow_inf_nan=False)
    # The SESOI in the reader's unit: index points for a tenfold population. When given it
    # replaces ``sesoi`` for every verdict, each fit converting it to its own standardized
    # scale (analyse.stats.equivalence.sesoi_from_points), so that verdicts compare across
    # designs whose spread of size or of the index differ.
    sesoi_points: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    alpha: float = Field(default=0.05, gt=0, lt=0.5, allow_inf_nan=False)
    # collectivity_type, or a column of data.extra_columns (checked by RunParams)
    controls: list[str] = Field(default_factory=list)
    # Controls that come *before* size, held equal in the total effect of size as in the
    # direct one (analyse.stats.estimands). None by default: legal type is defined by
    # population thresholds, so it is a consequence of size, not a confounder.
    confounders: list[str] = Field(default_factory=list)
    # bounded: a typo such as 1000000000 would otherwise mean days of work before any message
    bootstrap: int = Field(default=1000, ge=0, le=MAX_DRAWS)
    weights: WeightsChoice = "none"
    min_cell: int = Field(default=5, ge=1)
    # The Bayes factor of "size adds nothing" depends on its prior's scale, so the scale is an
    # assumption of the run like the SESOI (see analyse.stats.nested).
    bf_prior_scale: float = Field(default=0.3535533905932738, gt=0, allow_inf_nan=False)
    # None: a respondent needs every theme answered (averaging fewer would compare
    # collectivities on different content); k: at least k themes, the index their mean. Checked
    # against the codebook's number of themes when the survey is scored (pipeline.run_result).
    min_themes: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_sesoi_and_controlled_confounders(self, info: ValidationInfo) -> AnalysisParams:
        """Two bounds of interest cannot both hold, and a confounder is held equal in both
        models, so it must be a control of the direct one too.

        A params file gives both SESOIs when it writes both keys. A notebook's flat parameters
        always hold a ``sesoi`` (its parameter cell's default), so there, with context
        ``{"flat": True}``, ``sesoi`` counts as given only when it is not the default.
        """
        flat = bool(info.context and info.context.get("flat"))
        sesoi_given = self.sesoi != DEFAULT_SESOI if flat else "sesoi" in self.model_fields_set
        errors = []
        if self.sesoi_points is not None and sesoi_given:
            message = "analysis.sesoi and analysis.sesoi_points are both given; give one of them"
            errors.append((BOTH_SESOI, message, {}, "sesoi_points", self.sesoi_points))
        missing = [c for c in self.confounders if c not in self.controls]
        if missing:
            message = (
                "analysis.confounders lists {missing}, which analysis.controls does not: add it "
                "to analysis.controls (a confounder is held equal in both models)"
            )
            context = {"missing": ", ".join(missing)}
            errors.append((CONFOUNDER_NOT_CONTROL, message, context, "confounders", missing))
        if errors:  # every problem at once, each with its own type (_validation_problems)
            raise _own_errors(type(self).__name__, errors)
        return self


class RunParams(_Strict):
    """One run: its name (the report folder), its data, its assumptions and its seed."""

    # The report folder's name: a leading "_" or "." is reserved for the runner's own folders
    # (``_failed``, ``.staging-*``, ``.old-*``), which a run must never replace; the length cap
    # leaves room for those prefixes and suffixes within a file system's 255-byte names.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=NAME_MAX_LENGTH)
    data: DataParams
    analysis: AnalysisParams = AnalysisParams()
    seed: int = Field(default=2025, ge=0)
    # The report's language (analyse.report.i18n): its words and its number formats, not its
    # numbers; French by default, for the readers of the barometer.
    lang: Language = "fr"
    # The run's name for readers, in its language (the folder ``name`` is a slug); None: the
    # pages name the run by its scope and data (analyse.report.headline).
    title: str | None = Field(default=None, min_length=1, max_length=150)

    @model_validator(mode="after")
    def _declared_controls(self) -> RunParams:
        """A control is a built-in one or a column the data section declares: a name in
        ``analysis.controls`` alone is a typo or a column nobody said how to read."""
        errors = [
            (CONTROL_NOT_DECLARED, message, {}, ("analysis", "controls", i), name)
            for i, name, message in _undeclared_controls(
                self.analysis.controls, self.data.extra_names
            )
        ]
        if errors:
            raise _own_errors(type(self).__name__, errors)
        return self

    @property
    def survey_path(self) -> Path:
        return resolve_input(self.data.survey)

    @property
    def codebook_path(self) -> Path:
        return resolve_input(self.data.codebook)

    def mapping_paths(self) -> dict[str, Path]:
        """The mapping files the run reads (``data.columns`` etc. given as paths)."""
        return {
            field: resolve_input(value)
            for field in MAPPING_FIELDS
            if isinstance(value := getattr(self.data, field), str)
        }


def extra_column_names(items: Any) -> list[str]:
    """The names of ``data.extra_columns`` items: a name, an ``ExtraColumn``, or (raw, not yet
    validated) a mapping with a ``name``; anything else is skipped (validation reports it)."""
    names = []
    for item in items or ():
        if isinstance(item, ExtraColumn):
            names.append(item.name)
        elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
            names.append(item["name"])
        elif isinstance(item, str):
            names.append(item)
    return names


def _undeclared_controls(controls: Any, declared: Any) -> list[tuple[int, str, str]]:
    """(position, name, message) of each control neither built in nor in ``declared``
    (``data.extra_columns``); from a validated model or a raw mapping alike, so that the
    problem is reported with the others when another key is wrong too."""
    if not isinstance(controls, list):
        return []
    names = set(extra_column_names(declared)) if isinstance(declared, list) else set()
    return [
        (
            i,
            name,
            f"analysis.controls.{i}: {name!r} is neither a built-in control "
            f"({', '.join(BUILTIN_CONTROLS)}) nor declared in data.extra_columns"
            + did_you_mean(closest(name, [*BUILTIN_CONTROLS, *sorted(names)])),
        )
        for i, name in enumerate(controls)
        if isinstance(name, str) and name not in BUILTIN_CONTROLS and name not in names
    ]


# Keys of ``data`` that hold a mapping inline or the path of a YAML file holding it.
MAPPING_FIELDS: tuple[str, ...] = ("columns", "answer_labels", "type_labels")


def _flat_names() -> dict[str, tuple[str, ...]]:
    """Flat parameter name -> its key path in the YAML (``sesoi`` -> ``analysis.sesoi``)."""
    names: dict[str, tuple[str, ...]] = {}
    for key, field in RunParams.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub in annotation.model_fields:
                names[sub] = (key, sub)
        else:
            names[key] = (key,)
    assert len(names) == sum(  # a leaf name used in two sections could not be flattened
        len(f.annotation.model_fields)
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
        else 1
        for f in RunParams.model_fields.values()
    ), "two sections of RunParams share a key name"
    return names


def flat_parameters(params: RunParams) -> dict[str, Any]:
    """The notebooks' papermill parameters: one variable per leaf key, defaults filled in."""
    dumped = params.model_dump(mode="json")
    return {name: _get(dumped, path) for name, path in FLAT_NAMES.items()}


def nested_parameters(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The YAML spelling of flat parameters (names absent from ``flat`` are left out)."""
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        path = FLAT_NAMES[name]
        target = nested
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return nested


def _get(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def shown_input(path: str | Path) -> str:
    """An input path as a published page or results.json may show it: relative to the project
    root when inside it, the file's name alone when outside (the building machine's folders
    are not published)."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        return str(path)
    try:
        return p.resolve().relative_to(project_root().resolve()).as_posix()
    except ValueError:
        return p.name


def resolve_input(path: str | Path) -> Path:
    """An input path as written in a params file: absolute, or relative to the project root.

    Relative to the project root rather than to the params file or the working directory, so
    that the runner, plain papermill (run from ``notebooks/``) and a test all read the same file.
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else project_root() / p


def params_digest(params: RunParams) -> str:
    """SHA-256 of the canonical JSON of the parameters (defaults filled in, keys sorted).

    Canonical so that reordering keys or spelling out a default does not count as a change.
    """
    canonical = json.dumps(
        params.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_params(path: str | Path) -> RunParams:
    """Read and check a params YAML file; raise one ``InputError`` listing every problem."""
    raw = read_yaml(path, what="parameter file")
    return params_from_mapping(raw, source=str(path))


def params_from_mapping(
    raw: Any, source: str = "<parameters>", flat: bool = False, check_files: bool = True
) -> RunParams:
    """Check already-parsed parameters (a YAML document, or a notebook's parameter cell).

    ``flat``: the parameters come from a notebook's flat variables, where every key has a
    value, so a key counts as given when it differs from its default (``AnalysisParams``).
    ``check_files``: whether the input files must exist; not for a notebook executed by the
    runner, which reads the run's copies of them (``analyse.pipeline.snapshot``).
    """
    if not isinstance(raw, Mapping):
        found = "an empty file" if raw is None else type(raw).__name__
        raise InputError(
            [
                Problem(
                    source,
                    "the file must be a mapping of keys",
                    value=found,
                    expected="keys name, data, analysis, seed",
                )
            ]
        )
    problems: list[Problem] = []
    params = None
    try:
        params = RunParams.model_validate(dict(raw), context={"flat": flat})
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, source))
        problems.extend(_raw_control_problems(raw, source, problems))
    if check_files:
        problems.extend(_missing_files(raw.get("data"), source))
    if problems or params is None:
        raise InputError(problems)
    return params


# AnalysisParams' checks across keys: error type -> what to write instead
_OWN_CHECKS = {
    BOTH_SESOI: (
        "analysis.sesoi (standard deviations of the index per standard deviation of ln "
        "population) or analysis.sesoi_points (index points for a tenfold population), not both"
    ),
    CONFOUNDER_NOT_CONTROL: "every item of analysis.confounders also in analysis.controls",
    EXTRA_COLUMN_NAME: EXPECTED["data.extra_columns"],
    CONTROL_NOT_DECLARED: (
        "collectivity_type, or a name listed in data.extra_columns (with its header mapped in "
        "data.columns if the file names it otherwise), e.g. data: {extra_columns: [party], "
        "columns: {party: 'Couleur politique'}}"
    ),
}
_UNION_TAG = re.compile(r"^(str|int|float|bool|none|.*\[.*\])$")


def _validation_problems(exc: ValidationError, source: str) -> list[Problem]:
    problems = []
    unions: set[str] = set()
    for err in exc.errors(include_url=False):
        # discriminated unions (analysis.weights) route by a tag that is no key: drop it
        loc = [str(part) for part in err["loc"] if part not in _UNION_TAGS]
        tag = next((i for i, part in enumerate(loc) if _UNION_TAG.match(part)), None)
        if tag is not None:
            # a key that takes one of several forms (a mapping or a path): pydantic reports
            # one error per form; the user needs one problem saying which forms are accepted
            key = ".".join(loc[:tag])
            if key not in unions:
                unions.add(key)
                problems.append(
                    Problem(
                        source,
                        f"{key}: not one of the accepted forms",
                        value=_shown(err.get("input")),
                        expected=_expected(key),
                    )
                )
            continue
        key = ".".join(loc) or "(top level)"
        if err["type"] in _OWN_CHECKS:  # the message names its keys and says what to do
            problems.append(Problem(source, err["msg"], expected=_OWN_CHECKS[err["type"]]))
            continue
        if err["type"] == "extra_forbidden":
            parent = ".".join(str(part) for part in loc[:-1])
            hint = did_you_mean(closest(loc[-1], _model_keys(parent)))
            problems.append(
                Problem(source, f"{key}: unknown key{hint}", expected=_allowed_keys(parent))
            )
            continue
        if err["type"] == "missing":
            problems.append(
                Problem(source, f"{key}: required key is missing", expected=_expected(key))
            )
            continue
        message = err["msg"]
        if err["type"] == "literal_error" and isinstance(err.get("input"), str):
            # one of a few words (weights: none | raked): "did you mean" as for a key
            choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
            message = "unknown value" + did_you_mean(closest(err["input"], choices))
        problems.append(
            Problem(
                source,
                f"{key}: {message}",
                value=_shown(err.get("input")),
                expected=_expected(key),
            )
        )
    return problems


def _expected(key: str) -> str | None:
    """The expectation for a key; list items (``analysis.controls.0``) use their list's."""
    while key:
        if key in EXPECTED:
            return EXPECTED[key]
        key = key.rpartition(".")[0]
    return None


def _allowed_keys(parent: str) -> str:
    return "one of: " + ", ".join(_model_keys(parent))


def _model_keys(parent: str) -> list[str]:
    """The keys the mapping at ``parent`` (``analysis``, ``data.extra_columns.0``) accepts."""
    model: type[BaseModel] = RunParams
    for part in filter(None, parent.split(".")):
        if part.isdigit():  # an item of a list (data.extra_columns.0): the list's model
            continue
        inner = _model_in(model.model_fields[part].annotation)
        if inner is None:
            break
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or as one alternative of a union (``weights``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _raw_control_problems(
    raw: Mapping[str, Any], source: str, found: list[Problem]
) -> list[Problem]:
    """Undeclared controls when validation stopped before ``RunParams`` could check them
    (another key is wrong), unless already reported."""
    analysis, data = raw.get("analysis"), raw.get("data")
    controls = analysis.get("controls") if isinstance(analysis, Mapping) else None
    declared = data.get("extra_columns") if isinstance(data, Mapping) else None
    messages = {p.message for p in found}
    return [
        Problem(source, message, expected=_OWN_CHECKS[CONTROL_NOT_DECLARED])
        for _, _, message in _undeclared_controls(controls, declared)
        if message not in messages
    ]


def _missing_files(data: Any, source: str) -> list[Problem]:
    """Input files that do not exist, checked even when other keys are wrong (one pass)."""
    if not isinstance(data, Mapping):
        return []
    defaults = {"codebook": DataParams.model_fields["codebook"].default}
    problems = []
    for field in ("survey", "codebook", *MAPPING_FIELDS):
        value = data.get(field, defaults.get(field))
        if not isinstance(value, str) or not value:
            continue  # a type error already reported by validation, or an inline mapping
        key, path = f"data.{field}", resolve_input(value)
        if path.exists() and not path.is_file():  # a folder, a device: say which
            what = not_regular(path.stat().st_mode)
            problems.append(Problem(source, f"{key}: {path} {what}", expected=EXPECTED[key]))
        elif not path.is_file():
            problems.append(
                Problem(source, f"{key}: file not found: {path}", expected=EXPECTED[key])
            )
    return problems


FLAT_NAMES: dict[str, tuple[str, ...]] = _flat_names()
SECTIONS: tuple[str, ...] = tuple(
    key
    for key, field in RunParams.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
)
