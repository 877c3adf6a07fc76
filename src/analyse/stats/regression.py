"""OLS of the maturity index on size and means, with HC3 standard errors.

HC3 because a survey of 56 collectivities of very different sizes is small and heteroskedastic:
HC3 is the heteroskedasticity-consistent estimator that behaves best in small samples (Long and
Ervin 2000). Inference uses t with the residual degrees of freedom, as R's ``coeftest`` does.
With survey weights the fit is WLS, still with HC3 in ``OLSFit.se``, but the verdicts read a
design-based standard error (``OLSFit.se_verdict``, ``linearization_se``), R's
``survey::svyglm``'s linearization with HC3's leverage correction: HC3 treats the weights as
precision weights of a model, the design treats them as what they are, the inverse
probabilities (or calibrated weights) of a sample; and svyglm's own SE, without the correction,
is too small for a sample this size (``OLSFit.se_linearization``, published beside it).
Coefficients are always matched by name, never by position.

Disclosure control (issue 11, item 3): no published coefficient describes a group smaller than
``analysis.min_cell``, the threshold below which a descriptive table hides a group
(``analyse.report.disclosure``). A 0/1 term's coefficient is, given the other terms, the mean
residual difference between those who hold the value and those who do not: when fewer than
``min_cell`` respondents of the model hold it or lack it (2-4 at the default 5, 1 being also a
leverage-1 fit with no HC3 standard error), the coefficient is in effect those few respondents'
own mean residual, and a reader who knows who they are learns about them. Such a term is
dropped from the model like a term whose column is absent (``rare_binary_terms``:
``dropped_terms`` with its reason, shown in the report's model table), as the small groups of
the control collectivity_type are merged into one category "other" (``merge_rare_types``).
Every analysis of the run (nested models and Bayes factor, relative importance, themes,
sensitivity simulations, specification curve, survey weights) starts from this design, so all
use the same terms and rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from analyse.data.contract import COLLECTIVITY_TYPES
from analyse.data.scoring import EXCLUSION_COLUMN
from analyse.data.terms import (
    BINARY_TERMS,
    SPONSORSHIP_TERMS,
    TERM_SOURCES,
    available_terms,
    drop_reasons,
    model_terms,
)
from analyse.errors import InputError, Problem
from analyse.reasons import Reason

OUTCOME = "maturity_index"
CONTROLS: tuple[str, ...] = ("collectivity_type",)
REFERENCE_TYPE = "CC"
# The control's category of the types too rare to have a coefficient of their own.
OTHER_TYPE = "other"
# analysis.min_cell's default: no coefficient describes a group of fewer respondents.
DEFAULT_MIN_CELL = 5


@dataclass
class Design:
    """Outcome and regressors of one model, on the estimation sample."""

    y: pd.Series
    X: pd.DataFrame
    groups: dict[str, list[str]]  # term group -> columns of X (for relative importance)
    dropped_terms: list[str] = field(default_factory=list)
    # why each dropped term is out ("no budget_per_capita column"), for the report's model table
    dropped_reasons: dict[str, str] = field(default_factory=dict)
    # control -> the categories merged into OTHER_TYPE because each had fewer than min_cell
    # respondents in the model (``merge_rare_types``); empty when nothing was merged
    controls_merged: dict[str, list[str]] = field(default_factory=dict)
    min_cell: int = DEFAULT_MIN_CELL
    # extra control (data.extra_columns) -> rows with a maturity index and every other term
    # left out because that control has no value (counted at the first such control)
    missing_controls: dict[str, int] = field(default_factory=dict)


def build_design(
    scored: pd.DataFrame,
    controls: Sequence[str] = (),
    terms: Sequence[str] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
) -> Design:
    """Regressors for the respondents with a maturity index.

    Terms whose survey column is absent, or has no value among the respondents with an index,
    are dropped and listed in ``dropped_terms`` (with ``dropped_reasons``) so a report can say
    so; rows with a missing value in a kept term are left out of the estimation sample. So is a
    0/1 term whose rarer value fewer than ``min_cell`` respondents of that sample hold
    (``rare_binary_terms``): its coefficient would describe that small group. Dropping it gives
    back the rows that only it left out, which can raise another 0/1 term's count above
    ``min_cell``: so the rarest term is dropped alone and the counts taken again, until no kept
    term is rare. Sponsorship is one group of whichever of its two terms are kept.

    With the control ``collectivity_type``, a type with fewer than ``min_cell`` respondents in
    the model has no dummy of its own: it is merged into ``collectivity_type[T.other]``
    (``merge_rare_types``; listed in ``controls_merged``), so that no published coefficient
    describes a group smaller than a published table may show.

    Any other control is a column of ``scored`` (``data.extra_columns``), a term group of its
    own named after it: a number (float64, ``is_numeric_control``) is one linear term, dropped
    like a 0/1 term when it has two values and the rarer is held by fewer than ``min_cell``;
    text gives one dummy per category (``category_dummies``, with the same merge into
    ``name[T.other]``, in ``controls_merged``). A row without its value is left out like a row
    without a term's, and counted in ``missing_controls`` so that the report says why.
    """
    extra = list(dict.fromkeys(c for c in controls if c not in CONTROLS))  # each once
    unknown = [c for c in extra if c not in scored.columns]
    if unknown:
        raise ValueError(
            f"unknown control(s) {unknown}; available: {list(CONTROLS)} and the survey's "
            "extra columns (data.extra_columns)"
        )
    sample = scored[scored[OUTCOME].notna()]
    present, dropped = available_terms(sample)
    if terms is not None:
        dropped += [t for t in terms if t not in present and t not in dropped]
        present = [t for t in present if t in terms]
    # an extra control: numbers are one linear term, text one dummy per category (below)
    numeric = [c for c in extra if is_numeric_control(sample[c])]
    categorical = [c for c in extra if c not in numeric]
    x = model_terms(sample)[present]
    for c in numeric:
        x[c] = sample[c].astype("float64")
    labelled = sample[categorical].notna().all(axis=1)
    rare: dict[str, str] = {}
    while found := rare_binary_terms(
        complete := x[x.notna().all(axis=1) & labelled], min_cell, also=numeric
    ):
        term = min(found, key=lambda t: int(complete[t].value_counts().min()))
        rare[term] = found[term]
        x = x.drop(columns=term)
    present = [t for t in present if t in x.columns]
    numeric = [c for c in numeric if c in x.columns]
    groups = {t: [t] for t in present}
    sponsorship = [t for t in SPONSORSHIP_TERMS if t in present]
    if sponsorship:
        for t in sponsorship:
            groups.pop(t)
        groups["sponsorship"] = sponsorship
    missing = _missing_controls(sample, x[present].notna().all(axis=1), extra, rare)
    keep = x.notna().all(axis=1) & labelled
    x = x[keep]
    merged: dict[str, list[str]] = {}
    if "collectivity_type" in controls:
        # the types' counts are those of the respondents in the model (rows kept above)
        dummies = type_dummies(sample.loc[keep, "collectivity_type"], min_cell=min_cell)
        x = pd.concat([x, dummies], axis=1)
        if len(dummies.columns):
            groups["controls"] = list(dummies.columns)
        if dummies.attrs["merged"]:
            merged["collectivity_type"] = list(dummies.attrs["merged"])
    for c in extra:  # each extra control is a group of its own, named after it
        if c in numeric:
            groups[c] = [c]
            continue
        if c in rare:
            continue
        dummies = category_dummies(sample.loc[keep, c], c, min_cell=min_cell)
        x = pd.concat([x, dummies], axis=1)
        if len(dummies.columns):
            groups[c] = list(dummies.columns)
        if dummies.attrs["merged"]:
            merged[c] = list(dummies.attrs["merged"])
    x.insert(0, "Intercept", 1.0)
    y = sample.loc[keep, OUTCOME].astype("float64")
    return Design(
        y=y,
        X=x.astype("float64"),
        groups=groups,
        dropped_terms=dropped + list(rare),
        dropped_reasons={**drop_reasons(sample, dropped), **rare},
        controls_merged=merged,
        min_cell=min_cell,
        missing_controls=missing,
    )


def is_numeric_control(values: pd.Series) -> bool:
    """Whether an extra control enters the model as a number (one linear term) rather than
    as categories: the loader reads a column of numbers as float64, any other as text."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _missing_controls(
    sample: pd.DataFrame, terms_complete: pd.Series, extra: list[str], rare: dict[str, str]
) -> dict[str, int]:
    """Rows with every main term but left out for lack of an extra control's value, by
    control (a row lacking several counts at the first), so that a report says why."""
    counts: dict[str, int] = {}
    still = terms_complete.copy()
    for c in extra:
        if c in rare:
            continue
        lacking = still & sample[c].isna()
        if lacking.any():
            counts[c] = int(lacking.sum())
        still &= ~lacking
    return counts


def rare_binary_terms(x: pd.DataFrame, min_cell: int, also: Sequence[str] = ()) -> dict[str, str]:
    """The 0/1 terms of ``x`` (the model's rows and terms) whose rarer value fewer than
    ``min_cell`` respondents hold, each with the reason the report gives for dropping it.

    The reason says "fewer than {min_cell}", as a hidden table cell does
    (``analyse.report.disclosure.too_few``), never the exact count. A term with a single value
    is not listed: it has no group to protect, and ``check_identifiable`` refuses it as a
    constant column (more likely a data error than an answer nobody gave). Neither is a term
    with other values than two (not 0/1 data). ``also`` are more terms to check the same way
    (numeric extra controls: one with two values splits the respondents like a 0/1 term).
    """
    rare = {}
    for term in [t for t in (*BINARY_TERMS, *also) if t in x.columns]:
        counts = x[term].value_counts()
        if len(counts) == 2 and int(counts.min()) < min_cell:
            value = _value_text(counts.idxmin())
            rare[term] = Reason("rare_value", {"value": value, "min_cell": min_cell}).english()
    return rare


_LEVERAGE_TOL = 1e-8  # a respondent with leverage above 1 - this makes HC3 undefined
# a categorical extra control may have at most MAX_CATEGORIES + 1 categories in the model (one
# is the reference): a département of the 101 is the most a run holds equal
MAX_CATEGORIES = 100
_COLLINEAR_TOL = 1e-9  # singular value, relative to the largest, of a unit-norm design deemed 0


_BLOCK = 65_536  # rows of the design made dense at a time (about 3 MB for 6 columns)


def _unit_blocks(x: pd.DataFrame, norms: np.ndarray, block: int) -> Iterator[np.ndarray]:
    """The rows of the design with unit-norm columns, ``block`` rows at a time: never the
    whole n x p matrix, which on a census of millions of rows costs as much as the survey's
    other columns (benchmarks/validate_memory.py)."""
    for start in range(0, len(x), block):
        chunk = x.iloc[start : start + block].to_numpy(dtype="float64", copy=True)
        chunk /= norms
        yield chunk


def _spectrum(x: pd.DataFrame, block: int = _BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column norms, singular values and right singular vectors of the design ``x`` with
    unit-norm columns, from its p x p triangular factor.

    The factor is that of a QR of the whole design, accumulated a block of rows at a time
    (the R of [R_so_far; next block], a tall-skinny QR): R'R = X'X, so its SVD has the design's
    singular values and right vectors (up to their signs) without the n x p copy and the n x p
    workspace a QR of the whole matrix needs, nor the squared condition number of forming
    X'X. Each step is backward stable, as the QR of the whole matrix is."""
    norms = np.array([np.linalg.norm(x[c].to_numpy(dtype="float64")) for c in x.columns])
    r = np.zeros((0, x.shape[1]))
    for chunk in _unit_blocks(x, norms, block):
        r = np.linalg.qr(np.vstack([r, chunk]), mode="r")
    _, s, vt = np.linalg.svd(r, full_matrices=False)
    return norms, s, vt


def _leverages(
    x: pd.DataFrame, norms: np.ndarray, s: np.ndarray, vt: np.ndarray, block: int = _BLOCK
) -> np.ndarray:
    """The diagonal of the hat matrix, sum of the squared rows of U = X V / s (full rank),
    with ``_spectrum``'s norms, singular values and vectors; a block of rows at a time."""
    out = np.empty(len(x))
    scale = vt.T / s
    for start, chunk in zip(range(0, len(x), block), _unit_blocks(x, norms, block), strict=True):
        u = chunk @ scale
        out[start : start + block] = np.einsum("ij,ij->i", u, u)
    return out


def rows_left_out(scored: pd.DataFrame, top: int = 3) -> str:
    """When no row reaches the model because every row with a reason is excluded before it
    (a type mapped to null, no population), that in words: "no row left in the model: 64 of
    the 64 rows excluded: 39 × reason; ..." (the ``top`` most frequent reasons, then how many
    rows the others hold); "" when some row is not excluded (it lacks a term's value instead).

    Said so rather than "column population is empty": a column of a model without rows has
    no value, but the file's column is full, and emptying it is not the fix."""
    reasons = scored.get(EXCLUSION_COLUMN, pd.Series("", index=scored.index, dtype="string"))
    reasons = reasons.fillna("").astype(str)
    excluded = reasons != ""
    if len(scored) == 0 or not excluded.all() or scored.get(OUTCOME) is None:
        return ""
    counts = reasons.value_counts()
    shown = "; ".join(f"{int(k)} × {reason}" for reason, k in counts.head(top).items())
    rest = int(counts.iloc[top:].sum())
    if rest:
        others = len(counts) - top
        shown += f"; {rest} more for {others} other reason{'s' if others != 1 else ''}"
    return f"no row left in the model: {len(scored)} of the {len(scored)} rows excluded: {shown}"


def check_identifiable(
    scored: pd.DataFrame,
    controls: Sequence[str] = (),
    file: str = "survey",
    min_cell: int = DEFAULT_MIN_CELL,
) -> Design:
    """The main model's design, or ``InputError`` saying in plain words why it cannot be fitted.

    Run before anything is fitted, so that a survey the model cannot identify stops with a
    message naming the column to fix (exit 2), never with ``LinAlgError: Singular matrix`` or
    NaN standard errors further on. Problems, in the order a user would fix them:

    - a term with the same value for every respondent in the model (it has no variance);
    - fewer respondents in the model than coefficients to estimate;
    - terms that are perfectly collinear (one an exact linear combination of others and the
      intercept), found from the null space of the design with unit-norm columns;
    - a respondent with leverage 1 (typically alone in its collectivity type when the type is a
      control, or, with ``min_cell`` 1, the only one with a value of a 0/1 term, which a larger
      ``min_cell`` drops from the model instead): its residual is 0 and its HC3 term 0/0, so no
      standard error exists;
    - with the control collectivity_type, types too rare for ``min_cell`` that even merged into
      "other" (``merge_rare_types``) are fewer than ``min_cell``: their coefficient would
      describe a group a published table may not show.

    ``file`` is how the problems name the survey (its path, for the CLI).
    """
    design = build_design(scored, controls=controls, min_cell=min_cell)
    x, n = design.X, len(design.y)
    # the rows in the model, only the columns a message names: a copy of every column of a
    # census of two million rows (items, theme scores) would be most of validate's memory
    named = {"respondent_id", "collectivity_type", *controls}
    named |= {c for sources in TERM_SOURCES.values() for c in sources}
    model_rows = scored.loc[design.y.index, [c for c in scored.columns if c in named]]
    where = f"among the {n} respondents in the model"
    if n == 0:
        left_out = rows_left_out(scored)
        if left_out:  # every row excluded: its columns are not empty, its rows are gone
            raise InputError(
                [
                    Problem(
                        file,
                        f"{left_out}: nothing can be estimated",
                        expected="mappings that keep the rows, since a type mapped to null "
                        "excludes its rows; a population for each row; or the reasons above "
                        "otherwise fixed",
                    )
                ]
            )
        terms = ", ".join(c for c in x.columns if c != "Intercept") or "none left"
        raise InputError(
            [
                Problem(
                    file,
                    "no respondent has both a maturity index and a value for every term of the "
                    f"model (terms: {terms}): nothing can be estimated; fix the missing values "
                    "or remove the emptiest column",
                )
            ]
        )
    problems = []
    for term in [c for c in x.columns if c in TERM_SOURCES]:
        if (x[term] != x[term].iloc[0]).any():
            continue
        column = _source_column(term)
        raw = model_rows[column].dropna().unique()
        remedy = (
            "population is required: fix the data"
            if column == "population"
            else "remove the column or fix the data"
        )
        what = f"column {column} has the same value ({_value_text(raw[0])})"
        if len(raw) > 1:  # staff: constant per 10,000 inhabitants, not in FTE
            what = f"digital staff per 10,000 inhabitants ({column} / population) is the same"
        problems.append(
            Problem(
                file,
                f"{what} for every respondent in the model ({n} respondents): it cannot be "
                f"estimated; {remedy}",
                column=column,
            )
        )
    if problems:
        raise InputError(problems)
    for control, merged in design.controls_merged.items():
        together = int(model_rows[control].isin(merged).sum())
        if together >= min_cell:
            continue
        what = (
            _types(merged)
            if control == "collectivity_type"
            else f"the categor{'ies' if len(merged) > 1 else 'y'} {_and(merged)}"
        )
        raise InputError(
            [
                Problem(
                    file,
                    f"with the control {control}, {what} have fewer "
                    f"than {min_cell} respondents in the model (analysis.min_cell) even merged "
                    "into one category 'other': its coefficient would describe a group that "
                    f"small; remove the control {control}, or add respondents",
                    column=control,
                )
            ]
        )
    for control in [c for c in controls if c not in CONTROLS]:
        k = sum(c.startswith(f"{control}[") for c in x.columns)
        if k > MAX_CATEGORIES:
            raise InputError(
                [
                    Problem(
                        file,
                        f"the control {control} has {k + 1} categories in the model (after "
                        f"merging those under analysis.min_cell), more than {MAX_CATEGORIES + 1}:"
                        " the resampling of the run would not fit in memory, and so many "
                        "dummies hold little equal; group its categories (a département into "
                        "its région), or raise analysis.min_cell",
                        column=control,
                    )
                ]
            )
    p = x.shape[1]
    if n <= p:
        dummies = sum(c.startswith("collectivity_type[") for c in x.columns)
        parts = ", ".join(c for c in x.columns if c in TERM_SOURCES)
        if dummies:
            parts += f" and {dummies} collectivity-type dummies"
        for control in [c for c in controls if c not in CONTROLS]:
            own = [c for c in x.columns if c == control or c.startswith(f"{control}[")]
            if own:
                parts += f", {control} ({len(own)} column{'s' if len(own) > 1 else ''})"
        raise InputError(
            [
                Problem(
                    file,
                    f"{n} respondents in the model (with a maturity index and a value for every "
                    f"term) cannot estimate {p} coefficients (the intercept, {parts}): at least "
                    f"{p + 1} are needed; remove a column or control, or add respondents",
                )
            ]
        )
    # the SVD of the n x p design through its p x p triangular factor, accumulated a block of
    # rows at a time: no n x p U, copy or QR workspace on a census of millions of rows
    norms, s, vt = _spectrum(x, _BLOCK)
    null = vt[s < _COLLINEAR_TOL * s.max()]
    if len(null):
        involved = [c for c, w in zip(x.columns, np.abs(null).max(axis=0), strict=True) if w > 1e-6]
        columns = list(dict.fromkeys(_source_column(c) for c in involved if c != "Intercept"))
        constant = " and a constant" if "Intercept" in involved else ""
        raise InputError(
            [
                Problem(
                    file,
                    f"columns {_and(columns)} are perfectly collinear {where} (one is an exact "
                    f"linear combination of the others{constant}): their effects cannot be told "
                    "apart; remove one of them or fix the data",
                    column=columns[0] if len(columns) == 1 else None,
                )
            ]
        )
    leverage = _leverages(x, norms, s, vt, _BLOCK)
    alone = np.flatnonzero(leverage > 1.0 - _LEVERAGE_TOL)
    if len(alone):
        problems = []
        for i in alone:
            who = model_rows.iloc[i]
            name = who.get("respondent_id", design.y.index[i])
            if (
                "collectivity_type" in controls
                and int((model_rows["collectivity_type"] == who["collectivity_type"]).sum()) == 1
            ):
                problems.append(
                    Problem(
                        file,
                        f"respondent {name} is the only {who['collectivity_type']} in the model: "
                        "with the control collectivity_type it is fitted exactly and no HC3 "
                        "standard error exists; remove the control, or that respondent",
                        column="collectivity_type",
                    )
                )
            else:
                # typically the only respondent with a given value of a yes/no column, which
                # reaches here with min_cell 1 only (build_design drops it otherwise)
                own = [
                    c
                    for c in x.columns
                    if c in TERM_SOURCES
                    and x[c].nunique() == 2
                    and int((x[c] == x[c].iloc[i]).sum()) == 1
                ]
                if own:
                    column = _source_column(own[0])
                    problems.append(
                        Problem(
                            file,
                            f"respondent {name} is the only one in the model with "
                            f"{column} = {_value_text(model_rows.iloc[i][column])}: that "
                            "column's effect rests on this respondent alone (leverage 1) and no "
                            f"HC3 standard error exists; remove the column {column}, or check "
                            "the value",
                            column=column,
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            file,
                            f"respondent {name} alone determines a coefficient of the model "
                            "(leverage 1): no HC3 standard error exists; check its values",
                        )
                    )
        raise InputError(problems)
    return design


def _source_column(column: str) -> str:
    """The survey column a column of the design comes from, to name it to the user."""
    if "[T." in column:  # a dummy of a categorical control: the control's column
        return column.split("[T.", 1)[0]
    if column == "staff":
        return "digital_staff_fte"
    return TERM_SOURCES.get(column, (column,))[0]


def _value_text(value: object) -> str:
    """A value as a user typed it: 1200, not 1200.0 or 1.2e+03."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _types(names: list[str]) -> str:
    """ "the type EPT", "the types CU and EPT"."""
    return f"the type{'s' if len(names) > 1 else ''} {_and(names)}"


def merge_rare_types(types: pd.Series, min_cell: int) -> list[str]:
    """The types to merge into ``OTHER_TYPE`` so that every category of the control has at
    least ``min_cell`` respondents among ``types`` (the respondents in the model).

    Each type with fewer than ``min_cell`` respondents is merged. When those merged are
    together still fewer than ``min_cell``, the smallest remaining type joins them, and so on,
    as complementary suppression hides the next smallest group in the tables
    (``analyse.report.disclosure``): a lone rare type is never refused for that alone. In the
    order of ``COLLECTIVITY_TYPES``; empty when every type is large enough. ``check_identifiable``
    refuses a model whose respondents are fewer than ``min_cell`` in all.
    """
    return merge_rare_levels(types, min_cell, COLLECTIVITY_TYPES)


def merge_rare_levels(values: pd.Series, min_cell: int, order: Sequence[str]) -> list[str]:
    """``merge_rare_types`` for any categorical control whose categories are ``order``."""
    counts = pd.Series({t: int((values == t).sum()) for t in order}, dtype="int64")
    counts = counts[counts > 0]
    merged = set(counts.index[counts < min_cell])
    rest = counts.drop(index=list(merged)).sort_values(kind="stable")
    for t in rest.index:
        if not merged or counts[list(merged)].sum() >= min_cell:
            break
        merged.add(t)
    return [t for t in order if t in merged]


def type_dummies(types: pd.Series, min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Treatment dummies for collectivity type, CC as reference when present.

    Column names follow patsy (``collectivity_type[T.CA]``) so tables read like statsmodels'.
    Types with fewer than ``min_cell`` respondents among ``types`` share one dummy,
    ``collectivity_type[T.other]``, last (``merge_rare_types``; they are listed in
    ``attrs['merged']``): a coefficient of its own would describe a group a published table
    may not show. The reference is CC unless CC is merged, then the first type kept; when
    every type is merged there is a single category and no dummy.
    """
    merged = merge_rare_types(types, min_cell)
    present = [t for t in COLLECTIVITY_TYPES if (types == t).any() and t not in merged]
    reference = REFERENCE_TYPE if REFERENCE_TYPE in present else (present[0] if present else None)
    cols = {
        f"collectivity_type[T.{t}]": (types == t).astype("float64")
        for t in present
        if t != reference
    }
    if merged and reference is not None:
        cols[f"collectivity_type[T.{OTHER_TYPE}]"] = types.isin(merged).astype("float64")
    out = pd.DataFrame(cols, index=types.index)
    out.attrs["merged"] = merged
    return out


def category_dummies(
    values: pd.Series, name: str, min_cell: int = DEFAULT_MIN_CELL
) -> pd.DataFrame:
    """Treatment dummies of a text control of ``data.extra_columns`` (a party label, say),
    ``name[T.level]``, as ``type_dummies`` makes the type's.

    Categories with fewer than ``min_cell`` respondents among ``values`` share one dummy,
    ``name[T.other]``, last (``merge_rare_levels``, listed in ``attrs['merged']``); a category
    spelt "other" joins them then, so that the dummy means one thing. The reference is the
    largest category kept (the first in alphabetical order among equals): its contrasts are
    then the most precise, and no category is the reference by the accident of its spelling
    alone. Categories are in alphabetical order; missing values have no dummy (the caller
    leaves those rows out).
    """
    text = values.astype("string")
    order = sorted(str(v) for v in text.dropna().unique())
    merged = merge_rare_levels(text, min_cell, order)
    if merged and OTHER_TYPE in order and OTHER_TYPE not in merged:
        merged = [t for t in order if t in {*merged, OTHER_TYPE}]
    present = [t for t in order if t not in merged]
    counts = {t: int((text == t).sum()) for t in present}
    reference = min(present, key=lambda t: (-counts[t], t)) if present else None
    cols = {
        f"{name}[T.{t}]": (text == t).fillna(False).astype("float64")
        for t in present
        if t != reference
    }
    if merged and reference is not None:
        cols[f"{name}[T.{OTHER_TYPE}]"] = text.isin(merged).fillna(False).astype("float64")
    out = pd.DataFrame(cols, index=values.index)
    out.attrs["merged"] = merged
    out.attrs["reference"] = reference
    return out


# How the standard errors the verdicts read were computed (``OLSFit.se_method``, results.json's
# ``size.se_method``): HC3 for an unweighted fit; with survey weights, the design-based
# linearization with HC3's leverage correction (``linearization_se(..., hc3=True)``), for weights
# taken as fixed (``linearization_hc3``) or calibrated to the frame
# (``linearization_calibrated_hc3``). Without the correction, the linearization is R's
# ``survey::svyglm``'s (on ``svydesign(ids = ~1, weights = ~w)``, or on a ``calibrate()``d
# design): published beside it (``OLSFit.se_linearization``), and read by the verdict only when
# a respondent has leverage 1, where the correction is undefined (``fit_ols``).
SE_METHODS = (
    "hc3",
    "linearization_hc3",
    "linearization_calibrated_hc3",
    "linearization",
    "linearization_calibrated",
)
# attrs key of calibrated weights (``analyse.stats.weights.rake``): what the linearization
# needs of the calibration, as plain lists (attrs are compared and copied by pandas): ``index``
# (the calibrated respondents), ``cells`` (margin -> each one's category, bands as calibrated,
# after any merge) and ``weight`` (each one's calibrated weight)
CALIBRATION = "calibration"


@dataclass
class OLSFit:
    """An OLS fit with HC3 inference, named terms, and the sample it used.

    ``se`` and ``p`` are always HC3 (WLS HC3 under weights: ``ols.terms.*.se_hc3``).
    ``se_verdict`` and ``p_verdict`` are what the verdicts read: the same HC3 numbers
    unweighted, the design-based linearization with HC3's leverage correction under survey
    weights (``se_method``, one of ``SE_METHODS``; ``linearization_se``), each p a two-sided t
    test on ``df_resid``. ``se_linearization`` is R's ``survey::svyglm`` SE under weights (the
    linearization without the correction), None unweighted.
    """

    coef: pd.Series
    se: pd.Series
    p: pd.Series
    r2: float
    df_resid: float
    nobs: int
    design: Design
    result: object  # statsmodels RegressionResults, for anything else a notebook wants
    weights: pd.Series | None = None  # survey weights of the WLS fit, on the estimation sample
    se_verdict: pd.Series | None = None  # None: the HC3 ``se``
    p_verdict: pd.Series | None = None
    se_method: str = "hc3"
    se_linearization: pd.Series | None = None  # svyglm's, under weights only

    def __post_init__(self) -> None:
        if self.se_verdict is None:
            self.se_verdict, self.p_verdict = self.se, self.p

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"coef": self.coef, "se_hc3": self.se, "p": self.p})


def fit_ols(design: Design, weights: pd.Series | None = None) -> OLSFit:
    """OLS (or WLS with survey weights) with HC3 covariance and t inference.

    With ``weights``, the coefficients are WLS's and ``se_verdict`` is design-based
    (``linearization_se``): accounting for calibration when the weights carry their
    calibration cells (``attrs['calibration']``, set by ``analyse.stats.weights.rake``), for
    fixed weights otherwise (weights shipped with the survey). It carries HC3's leverage
    correction (``hc3=True``): without it, svyglm's linearization (``se_linearization``) is too
    small at this survey's size (``validation/weighted_calibration.py``).

    A respondent with leverage 1 (alone in a category: ``check_identifiable`` refuses such a
    model before a run fits it) has a zero residual and a 0/0 correction. Nothing is divided
    then, as ``analyse.stats.influence`` computes no leave-one-out: ``se_verdict`` is svyglm's
    linearization, and ``se_method`` says so (``linearization`` or
    ``linearization_calibrated``, without ``_hc3``).
    """
    if len(design.y) <= design.X.shape[1]:
        raise ValueError(
            f"{len(design.y)} respondents cannot identify {design.X.shape[1]} coefficients"
        )
    import statsmodels.api as sm  # here: checking a design (``analyse validate``) needs neither
    from scipy import stats  # statsmodels nor scipy, seconds of imports

    if weights is not None:
        weights = weights.loc[design.y.index]
    if weights is None:
        model = sm.OLS(design.y, design.X)
    else:
        model = sm.WLS(design.y, design.X, weights=weights)
    res = model.fit(cov_type="HC3", use_t=True)
    se_verdict = p_verdict = se_linearization = None
    method = "hc3"
    if weights is not None:
        calibration = weights.attrs.get(CALIBRATION)
        method = "linearization" if calibration is None else "linearization_calibrated"
        x, w = design.X.to_numpy(dtype="float64"), weights.to_numpy(dtype="float64")
        resid = np.asarray(res.resid, dtype="float64")
        cells = None if calibration is None else calibration_rows(calibration, weights)
        plain = linearization_se(x, resid, w, calibration=cells)
        se_linearization = pd.Series(plain, index=design.X.columns)
        values = plain
        if weighted_leverages(x, w).max() <= 1.0 - LEVERAGE_ONE_TOL:
            values = linearization_se(x, resid, w, calibration=cells, hc3=True)
            method += "_hc3"
        se_verdict = pd.Series(values, index=design.X.columns)
        p_verdict = pd.Series(
            2 * stats.t.sf(np.abs(res.params.to_numpy() / values), res.df_resid),
            index=design.X.columns,
        )
    return OLSFit(
        coef=res.params,
        se=res.bse,
        p=res.pvalues,
        r2=float(res.rsquared),
        df_resid=float(res.df_resid),
        nobs=int(res.nobs),
        design=design,
        result=res,
        weights=weights,
        se_verdict=se_verdict,
        p_verdict=p_verdict,
        se_method=method,
        se_linearization=se_linearization,
    )


class Calibration(NamedTuple):
    """What ``linearization_se`` needs of a calibration: the calibrated sample's model matrix
    (the indicators of every category of every margin), its weights, and where the fit's rows
    are in it."""

    model: np.ndarray  # (calibrated respondents, categories)
    weights: np.ndarray  # (calibrated respondents,)
    rows: np.ndarray  # position in the calibrated sample of each row of the fit


def calibration_rows(calibration: dict, weights: pd.Series) -> Calibration:
    """``Calibration`` from ``attrs['calibration']`` of calibrated weights, for the fit's rows
    (``weights``' index)."""
    rows = pd.Index(calibration["index"]).get_indexer(weights.index)
    if (rows < 0).any():
        raise ValueError("the fit has rows that were not calibrated with its weights")
    cells = pd.DataFrame({m: pd.Series(v, dtype="string") for m, v in calibration["cells"].items()})
    model = pd.get_dummies(cells, dtype="float64").to_numpy()
    return Calibration(
        model=model, weights=np.asarray(calibration["weight"], dtype="float64"), rows=rows
    )


# a leverage above 1 - this is 1: HC3's correction is then 0/0 (``analyse.stats.influence``'s)
LEVERAGE_ONE_TOL = 1e-10


def weighted_leverages(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Leverages of the WLS fit, h_i = w_i x_i' (X'WX)^-1 x_i: the diagonal of the hat matrix
    W^1/2 X (X'WX)^-1 X' W^1/2 (Li and Valliant 2009, "Survey weighted hat matrix and
    leverages", Survey Methodology 35, 15-24), with the pseudo-inverse ``linearization_se``
    uses. They add up to the rank of X, whatever the weights."""
    bread = np.linalg.pinv(x.T @ (x * w[:, None]))
    return w * np.einsum("ij,jk,ik->i", x, bread, x)


def linearization_se(
    x: np.ndarray,
    resid: np.ndarray,
    w: np.ndarray,
    calibration: Calibration | None = None,
    hc3: bool = False,
) -> np.ndarray:
    """Design-based standard errors of WLS coefficients: R's ``survey::svyglm``'s, or (``hc3``)
    the same with HC3's leverage correction.

    Each respondent's influence on the coefficients is z_i = w_i e_i x_i' (X'WX)^-1 (the
    weighted score times the inverse of the weighted Gram matrix, ``svy.varcoef``). With one
    stage of sampling and no strata (``svydesign(ids = ~1, weights = ~w)``), the covariance is
    n/(n-1) sum (z_i - zbar)(z_i - zbar)' (``svyrecvar``): the WLS sandwich with the score
    variance's n/(n-1) factor, not HC3's leverage correction.

    A calibrated design (``survey::calibrate``, raking or logit) first replaces z by the
    residuals of its regression on the calibration variables (Deville and Sarndal 1992; Lumley
    2010, Complex Surveys, sec. 7.2): z_i <- g_i d_i r_i, r the residual of z / (g d) regressed
    on the calibration model matrix with weights d, g the calibration factor and d the design
    weight. Calibration's variance reduction is this projection: the part of the scores that
    the margins explain is known without error. ``rake``'s design weights d = N_t/n_t are equal
    within a tier and each calibration indicator is one tier's (the model is block-diagonal by
    tier), so the weighted regression is the unweighted one, and g d is the calibrated weight up
    to a constant factor, which cancels: z_i <- w_i r_i, r the residual of z_i / w_i. Rows of
    the calibrated sample outside the fit have z = 0 and count in n (a domain of the calibrated
    design, as svyglm on a subset of it).

    With ``hc3``, each residual is first divided by 1 - h_i, h_i the respondent's leverage in
    the weighted fit (``weighted_leverages``), as HC3 does (MacKinnon and White 1985; Li and
    Valliant 2009 for the weighted hat matrix): the scores z_i = w_i e_i / (1 - h_i) x_i'
    (X'WX)^-1 then go through the same calibration residualisation and the same n/(n-1)
    factor. A fitted residual is smaller than the error it stands for, most for the
    high-leverage respondents that large weights make, and svyglm's linearization, which
    ignores it, is then too small: at this survey's size (55 respondents, raked weights with a
    Kish n near 18) its 90 % intervals covered the population's slope in 74-76 % of samples
    drawn from the frame, the corrected ones in 88-91 % (``validation/weighted_calibration.out``).
    As leverages vanish (n large against p, no dominant weight) the two coincide. A leverage of
    1 makes the division 0/0: the caller checks first (``fit_ols``).

    Degrees of freedom are not given here: svyglm's are the design's (n - 1 with one stage)
    + 1 - p, the residual df of the fit, which the caller uses.
    """
    xw = x * w[:, None]
    bread = np.linalg.pinv(x.T @ xw)
    if hc3:
        resid = resid / (1.0 - weighted_leverages(x, w))
    z = (xw * resid[:, None]) @ bread
    return np.sqrt(np.diag(influence_covariance(z, calibration)))


def influence_covariance(z: np.ndarray, calibration: Calibration | None = None) -> np.ndarray:
    """The design-based covariance of estimates whose influence (linearised contribution) of
    each respondent is a row of ``z``: ``svyrecvar``'s n/(n-1) sum (z_i - zbar)(z_i - zbar)'
    for one stage without strata, after calibration's residualisation when ``calibration`` is
    given (``linearization_se`` explains both). Shared by every weighted estimating equation
    (WLS here, the weighted logit of ``analyse.stats.binary``), so that their SEs account for
    the same design."""
    if calibration is not None:
        full = np.zeros((len(calibration.weights), z.shape[1]))
        full[calibration.rows] = z
        scaled = full / calibration.weights[:, None]
        fitted = calibration.model @ np.linalg.lstsq(calibration.model, scaled, rcond=None)[0]
        z = (scaled - fitted) * calibration.weights[:, None]
    n = len(z)
    z = z - z.mean(axis=0)
    return n / (n - 1) * (z.T @ z)


class WeightsTest(NamedTuple):
    """The DuMouchel-Duncan test of whether survey weights are informative for a model."""

    f: float
    df_num: int  # product columns x*w kept (collinear ones dropped)
    df_den: int
    p: float


_ALIASED_TOL = 1e-7  # R's lm: a column whose part not explained by the earlier ones is below
# this share of its norm is aliased (dqrdc2's limited pivoting)


def informative_weights(design: Design, weights: pd.Series) -> WeightsTest | None:
    """Do the survey weights change what the model estimates? (DuMouchel and Duncan 1983)

    OLS of y on X and on X * w (each column of the design times the weight), and the F test of
    the added columns: if the unweighted and weighted estimands are the same, the products add
    nothing. Products that are linear combinations of the columns before them are dropped, as R's
    ``lm`` aliases them, so the F test equals ``anova(lm(y ~ X), lm(y ~ X + X:w))``. Weights
    constant within the model's categories (raking cells and a type control) make some
    products collinear. None when no product is left or no residual df remains.
    """
    from scipy import stats

    w = weights.loc[design.y.index].to_numpy(dtype="float64")
    x = design.X.to_numpy(dtype="float64")
    y = design.y.to_numpy(dtype="float64")
    basis = np.linalg.qr(x)[0]
    kept = 0
    for column in (x * w[:, None]).T:
        r = column - basis @ (basis.T @ column)
        r = r - basis @ (basis.T @ r)  # twice: Gram-Schmidt loses orthogonality once
        if np.linalg.norm(r) > _ALIASED_TOL * np.linalg.norm(column):
            basis = np.column_stack([basis, r / np.linalg.norm(r)])
            kept += 1
    n, rank = len(y), basis.shape[1]
    df_den = n - rank
    if kept == 0 or df_den <= 0:
        return None
    q0 = np.linalg.qr(x)[0]
    rss0 = float(np.sum((y - q0 @ (q0.T @ y)) ** 2))
    rss1 = float(np.sum((y - basis @ (basis.T @ y)) ** 2))
    f = ((rss0 - rss1) / kept) / (rss1 / df_den)
    return WeightsTest(f=f, df_num=kept, df_den=df_den, p=float(stats.f.sf(f, kept, df_den)))


class HC3Arrays(NamedTuple):
    """What ``ols_hc3`` returns: coefficients, HC3 SEs and t p-values, by column of ``x``."""

    coef: np.ndarray
    se: np.ndarray
    p: np.ndarray
    df_resid: float
    rank: int


def ols_hc3(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    svd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> HC3Arrays:
    """The numbers of ``fit_ols`` from plain arrays, without building a statsmodels model.

    For loops of many small fits (the specification curve), where the statsmodels result object
    costs far more than the algebra. It repeats statsmodels' own computation step by step, so
    the two agree to rounding: the pseudo-inverse from the SVD of the (weighted) design with
    singular values below 1e-15 of the largest treated as zero, the rank as numpy counts it,
    leverages from the normalized covariance, HC3 as (pinv X) diag(e^2 / (1-h)^2) (pinv X)',
    and two-sided t p-values with n - rank degrees of freedom.

    ``svd``, the thin SVD of ``x`` (``np.linalg.svd(x, full_matrices=False)``), may be passed by
    a caller that already has it (it checked the design's rank); it is ignored with weights.
    """
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype="float64"))
        x, y = x * root[:, None], y * root
        svd = None
    u, s, vt = np.linalg.svd(x, full_matrices=False) if svd is None else svd
    s_inv = np.where(s > 1e-15 * s.max(), 1.0 / np.where(s > 0, s, 1.0), 0.0)
    pinv = vt.T @ (s_inv[:, None] * u.T)
    rank = int(np.count_nonzero(s > s.max() * len(s) * np.finfo(s.dtype).eps))  # as numpy's
    coef = pinv @ y
    resid = y - x @ coef
    h = np.einsum("ij,ik,kj->i", x, x, pinv @ pinv.T)
    het = (resid / (1.0 - h)) ** 2
    se = np.sqrt(np.einsum("ji,i,ji->j", pinv, het, pinv))
    df_resid = float(len(y) - rank)
    from scipy import stats

    p = 2 * stats.t.sf(np.abs(coef / se), df_resid)
    return HC3Arrays(coef=coef, se=se, p=p, df_resid=df_resid, rank=rank)
