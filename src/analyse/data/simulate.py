"""A synthetic barometer survey drawn from the real frame of EPCI, with a known truth.

The real barometer microdata are not public. A synthetic survey lets everything run out of the
box and, above all, lets the statistics be checked against a truth we set ourselves.

The data-generating process, in the order the random numbers are drawn:

1. **Who answers.** Units come from the real frame (``analyse.data.reference``), keeping their
   real population and type but never their name or SIREN: publishing invented scores under a
   real collectivity's name would be wrong. Designs: ``barometre-2025`` (56 respondents, mostly
   large urban EPCI: quotas per type, drawn with probability proportional to population within
   type), ``census-epci`` (every EPCI), ``census-communes`` (every inhabited commune, 34,957)
   and ``random``: a simple random sample of ``n`` EPCI while ``n`` fits in the EPCI frame
   (1,255); beyond it, ``n`` bodies of every tier (``all_tiers_frame``: communes, EPCI, EPT,
   départements, régions), stratified by collectivity type in proportion to the frame with at
   least ``TYPE_MINIMUM`` of each type, bodies repeated (as evenly as possible) once ``n``
   exceeds a type's count. The EPCI-only sample below the threshold keeps every seed's survey
   what it was, and stays the barometer's population.
2. **Means.** Budget per inhabitant is log-normal within type, with the OFGL 2019 median and
   p10-p90 spread of that type for EPCI, and assumed orders of magnitude for the other types
   (``ASSUMED_BUDGET_QUANTILES``). Digital staff per 10,000 inhabitants grows with population and
   budget, and is reported in FTE rounded to 0.1, so that most communes under about 1,500
   inhabitants have none. An elected digital lead and an adopted strategy are more frequent in
   larger collectivities (logits in ln population: a few per cent of the smallest communes), the
   strategy more so with an elected lead. Size is therefore correlated with the means, as in
   reality. The same equations hold for every type, so the truth is one set of coefficients.
3. **Maturity.** A latent maturity per respondent, linear in the model terms of
   ``analyse.data.terms`` (centred at fixed reference values), plus a normal respondent effect; per
   theme a calibrated offset plus a normal theme effect; per item a normal item noise, cut at
   equally spaced thresholds into the codebook's levels. The **true size effect** on the latent
   scale is a parameter (default 0: size does not matter once the means are held fixed).
4. **Non-response.** Items are missing completely at random at a small rate, and a respondent
   occasionally skips a whole theme (and so gets no maturity index).

Theme offsets are calibrated, by Monte Carlo with common random numbers, so that under the
``barometre-2025`` design the expected share of respondents whose theme level is 2 or more
matches the published 2025 figures. The truth file records the latent coefficients and the
coefficients an OLS of ``maturity_index`` on the model terms estimates under the design (its
estimand, computed on a large pooled simulation), since the index is a bounded, discretised
function of the latent maturity and the two scales differ.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analyse import __version__
from analyse.data.codebook import Codebook, load_codebook
from analyse.data.provenance import file_sha256, truth_path
from analyse.data.reference import LEVELS, load_frame
from analyse.data.scoring import score_survey
from analyse.data.terms import MAIN_TERMS, model_terms
from analyse.errors import InputError, Problem

Design = Literal["barometre-2025", "census-epci", "census-communes", "random"]
DESIGNS: tuple[str, ...] = ("barometre-2025", "census-epci", "census-communes", "random")
EPCI_TYPES: tuple[str, ...] = ("CC", "CA", "CU", "metropole")
# A random sample beyond the EPCI frame gives every collectivity type at least this many bodies
# (or all of them), so that each type is a group a table with the default min_cell may show.
TYPE_MINIMUM = 5
# Larger random samples are not surveys any more, and their truth would take minutes to pool.
MAX_N = 1_000_000

# 2025 panel: 56 respondents, "mostly large urban EPCI", "about a dozen small EPCI".
BAROMETRE_2025_QUOTAS: dict[str, int] = {"metropole": 17, "CU": 9, "CA": 18, "CC": 12}

# OFGL 2019, total spending in euros per inhabitant, EPCI: (p10, median, p90) by type.
OFGL_BUDGET_QUANTILES: dict[str, tuple[float, float, float]] = {
    "CC": (325.0, 532.0, 880.0),
    "CA": (516.0, 796.0, 1115.0),
    "CU": (1002.0, 1240.0, 1617.0),
    "metropole": (907.0, 1368.0, 1883.0),
}
# Other types: total spending in euros per inhabitant, (p10, median, p90). No published
# distribution per body is at hand, so these are assumed orders of magnitude, recorded in the
# truth file as such: communes (small ones spend about 1,000 euros per inhabitant, tourist and
# very small communes far more), EPT (small budgets: most competences stay with the communes
# and the Métropole du Grand Paris), départements (social spending, about 1,100) and régions
# (about 500, more overseas).
ASSUMED_BUDGET_QUANTILES: dict[str, tuple[float, float, float]] = {
    "commune": (620.0, 980.0, 1750.0),
    "EPT": (250.0, 400.0, 700.0),
    "departement": (900.0, 1150.0, 1600.0),
    "region": (380.0, 480.0, 900.0),
}
BUDGET_QUANTILES: dict[str, tuple[float, float, float]] = {
    **OFGL_BUDGET_QUANTILES,
    **ASSUMED_BUDGET_QUANTILES,
}
_Z90 = 1.2815515655446004  # standard normal 0.9 quantile

# Published 2025 shares of respondents at level 2 ("actions formalisées") or better, by theme.
# Numérique responsable 59 %, données et IA 36 %, inclusion plan 73 %; the other themes sit in
# the published 53-59 % band, whose midpoint we use.
PUBLISHED_2025_SHARES: dict[str, float] = {
    "responsible_digital": 0.59,
    "user_services": 0.56,
    "compliance": 0.56,
    "digital_inclusion": 0.73,
    "cybersecurity": 0.56,
    "agent_services": 0.56,
    "data_ai": 0.36,
}
CALIBRATION_LEVEL = 2

# Fixed centres of the latent model: they only move the theme offsets, which are calibrated.
_CENTRES = {
    "size": float(np.log(50_000)),
    "budget": float(np.log(700.0)),
    "staff": float(np.log1p(1.5)),
    "elected_digital_lead": 0.5,
    "strategy_adopted": 0.5,
}


class DesignError(InputError):
    """A simulation design that cannot be drawn (unknown design, impossible sample size).

    ``column`` names the parameter at fault (``design``, ``n``), so a caller can say it in its
    own terms: the CLI names its option, a notebook its argument.
    """


@dataclass(frozen=True)
class SurveyModel:
    """Every parameter of the data-generating process (latent coefficients per term unit)."""

    size_effect: float = 0.0
    budget_effect: float = 0.8
    staff_effect: float = 0.6
    elected_digital_lead_effect: float = 0.3
    strategy_adopted_effect: float = 0.5
    respondent_sd: float = 0.6
    theme_sd: float = 0.4
    item_sd: float = 0.7
    staff_per_10k_at_reference: float = 1.0  # at 50,000 inhabitants and 700 euros per inhabitant
    staff_population_elasticity: float = 0.25
    staff_budget_elasticity: float = 0.6
    staff_sd: float = 0.5
    elected_logit_intercept: float = 0.0  # at 50,000 inhabitants
    elected_logit_per_log_population: float = 0.7
    strategy_logit_intercept: float = -0.6
    strategy_logit_per_log_population: float = 0.5
    strategy_logit_if_elected: float = 1.0
    item_missing_rate: float = 0.03
    theme_skip_rate: float = 0.004
    edition: int = 2025

    def latent_coefficients(self) -> dict[str, float]:
        return {
            "size": self.size_effect,
            "budget": self.budget_effect,
            "staff": self.staff_effect,
            "elected_digital_lead": self.elected_digital_lead_effect,
            "strategy_adopted": self.strategy_adopted_effect,
        }


@dataclass(frozen=True)
class SyntheticSurvey:
    """A generated survey (data contract columns plus items) and everything used to make it."""

    data: pd.DataFrame
    design: str
    seed: int
    model: SurveyModel
    theme_offsets: dict[str, float]
    truth: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- selection


def inhabited_communes() -> pd.DataFrame:
    """The communes of the frame that have inhabitants (34,957 of 34,969): the six uninhabited
    pseudo-communes (TAAF, Clipperton) have no population and six communes have none left, and
    a survey's population must be greater than 0."""
    communes = load_frame("communes")
    communes = communes[communes["population"].fillna(0) > 0].reset_index(drop=True)
    communes["population"] = communes["population"].astype("int64")
    return communes


def all_tiers_frame() -> pd.DataFrame:
    """Every body a survey of collectivities may reach, one row each, tier after tier
    (inhabited communes, EPCI, EPT, départements, régions): ``siren`` (missing for départements,
    régions and the communes of the overseas collectivities), ``name``, ``collectivity_type``,
    ``population``."""
    columns = ["siren", "name", "collectivity_type", "population"]
    tiers = [inhabited_communes()] + [load_frame(level) for level in LEVELS if level != "communes"]
    out = pd.concat([tier[columns] for tier in tiers], ignore_index=True)
    out["population"] = out["population"].astype("int64")
    return out


def design_frame(design: str, n: int | None = None) -> pd.DataFrame:
    """The frame a design draws from: the inhabited communes for ``census-communes``, every tier
    for a ``random`` sample larger than the EPCI frame, the EPCI otherwise."""
    epci = load_frame("epci")
    if design == "census-communes":
        return inhabited_communes()
    if design == "random" and n is not None and n > len(epci):
        return all_tiers_frame()
    return epci


def select_units(
    frame: pd.DataFrame, design: str, rng: np.random.Generator, n: int | None = None
) -> pd.DataFrame:
    """The frame rows that answer under ``design`` (real population and type only)."""
    idx = _selection(frame, design, rng, n)
    return frame.iloc[idx][["collectivity_type", "population"]].reset_index(drop=True)


def _selection(
    frame: pd.DataFrame, design: str, rng: np.random.Generator, n: int | None
) -> np.ndarray:
    """Positions in ``frame`` of the units that answer, in frame order within type."""
    if design in ("census-epci", "census-communes"):
        return np.arange(len(frame))
    if design == "random":
        epci_only = bool(frame["collectivity_type"].isin(EPCI_TYPES).all())
        if n is None or not 1 <= n <= MAX_N:
            message = f"the random design needs 1 <= n <= {MAX_N:,}"
        elif epci_only and n > len(frame):
            message = f"an EPCI-only frame holds at most n = {len(frame)} distinct bodies"
        else:
            message = ""
        if message:
            raise DesignError(
                [Problem(file="simulation design", column="n", message=message, value=str(n))]
            )
        if epci_only:
            return np.sort(rng.choice(len(frame), size=n, replace=False))
        return _stratified(frame, n, rng)
    if design == "barometre-2025":
        types = frame["collectivity_type"].to_numpy()
        weights = frame["population"].to_numpy(dtype="float64")
        parts = []
        for ctype, quota in BAROMETRE_2025_QUOTAS.items():
            pool = np.flatnonzero(types == ctype)
            p = weights[pool] / weights[pool].sum()
            parts.append(np.sort(rng.choice(pool, size=quota, replace=False, p=p)))
        return np.concatenate(parts)
    raise DesignError(
        [
            Problem(
                file="simulation design",
                column="design",
                message="unknown design",
                value=design,
                expected="one of " + ", ".join(DESIGNS),
            )
        ]
    )


def type_allocation(counts: pd.Series, n: int) -> pd.Series:
    """How many of ``n`` bodies each type gets: ``min(TYPE_MINIMUM, count)`` first, the rest in
    proportion to the types' counts in the frame (largest remainders), so that every type is
    present and the big tiers keep their weight. ``counts`` is indexed by type, frame order."""
    floor = np.minimum(counts.to_numpy(), TYPE_MINIMUM)
    if n <= floor.sum():  # not reached by the random design, which starts above the EPCI frame
        raise ValueError(f"{n} bodies cannot hold {TYPE_MINIMUM} of every type")
    share = (n - floor.sum()) * counts.to_numpy() / counts.sum()
    whole = np.floor(share).astype("int64")
    left = n - floor.sum() - whole.sum()
    order = np.argsort(-(share - whole), kind="stable")
    whole[order[:left]] += 1
    return pd.Series(floor + whole, index=counts.index)


def _stratified(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """A sample of ``n`` bodies stratified by type (``type_allocation``). Within a type, a quota
    up to the type's count is a sample without replacement; beyond, every body is taken
    ``quota // count`` times and the remainder drawn without replacement."""
    types = frame["collectivity_type"].to_numpy()
    counts = frame["collectivity_type"].value_counts(sort=False)
    parts = []
    for ctype, quota in type_allocation(counts, n).items():
        pool = np.flatnonzero(types == ctype)
        repeats, rest = divmod(int(quota), len(pool))
        chosen = np.concatenate(
            [np.repeat(pool, repeats), rng.choice(pool, size=rest, replace=False)]
        )
        parts.append(np.sort(chosen))
    return np.concatenate(parts)


def _replicated_units(
    frame: pd.DataFrame, design: str, n: int | None, replicates: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Many independent selections stacked, for pooled simulations."""
    idx = np.concatenate([_selection(frame, design, rng, n) for _ in range(replicates)])
    return frame.iloc[idx][["collectivity_type", "population"]].reset_index(drop=True)


# --------------------------------------------------------------------------- means


def draw_means(units: pd.DataFrame, model: SurveyModel, rng: np.random.Generator) -> pd.DataFrame:
    """Budget, digital staff and sponsorship, dependent on size as in reality."""
    n = len(units)
    log_pop = np.log(units["population"].to_numpy(dtype="float64"))
    ctype = units["collectivity_type"].to_numpy()
    median = np.array([BUDGET_QUANTILES[t][1] for t in ctype])
    spread = np.array(
        [np.log(BUDGET_QUANTILES[t][2] / BUDGET_QUANTILES[t][0]) / (2 * _Z90) for t in ctype]
    )
    budget = np.exp(np.log(median) + spread * rng.standard_normal(n))
    budget = np.round(budget, 2)

    log_rate = (
        np.log(model.staff_per_10k_at_reference)
        + model.staff_population_elasticity * (log_pop - _CENTRES["size"])
        + model.staff_budget_elasticity * (np.log(budget) - _CENTRES["budget"])
        + model.staff_sd * rng.standard_normal(n)
    )
    fte = np.round(np.exp(log_rate) * np.exp(log_pop) / 10_000.0, 1)

    elected = rng.random(n) < _expit(
        model.elected_logit_intercept
        + model.elected_logit_per_log_population * (log_pop - _CENTRES["size"])
    )
    strategy = rng.random(n) < _expit(
        model.strategy_logit_intercept
        + model.strategy_logit_per_log_population * (log_pop - _CENTRES["size"])
        + model.strategy_logit_if_elected * elected
    )
    return pd.DataFrame(
        {
            "budget_per_capita": budget,
            "digital_staff_fte": fte,
            "elected_digital_lead": elected.astype("int64"),
            "strategy_adopted": strategy.astype("int64"),
        }
    )


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- maturity


def latent_maturity(survey: pd.DataFrame, model: SurveyModel) -> np.ndarray:
    """The systematic part of the latent maturity: linear in the model terms."""
    terms = model_terms(survey)
    coefs = model.latent_coefficients()
    return sum(coefs[t] * (terms[t].to_numpy() - _CENTRES[t]) for t in MAIN_TERMS)


def _cuts(codebook: Codebook) -> np.ndarray:
    k = codebook.n_levels - 1
    return np.arange(k, dtype="float64") - (k - 1) / 2.0


def _item_propensities(
    systematic: np.ndarray, codebook: Codebook, model: SurveyModel, rng: np.random.Generator
) -> list[np.ndarray]:
    """Latent item propensities before theme offsets, one (n, items) array per theme."""
    n = len(systematic)
    person = systematic + model.respondent_sd * rng.standard_normal(n)
    out = []
    for theme in codebook.themes:
        theme_level = person + model.theme_sd * rng.standard_normal(n)
        noise = model.item_sd * rng.standard_normal((n, len(theme.items)))
        out.append(theme_level[:, None] + noise)
    return out


def _to_levels(propensity: np.ndarray, offset: float, codebook: Codebook) -> np.ndarray:
    return codebook.min_level + np.searchsorted(_cuts(codebook), propensity + offset)


def draw_items(
    systematic: np.ndarray,
    codebook: Codebook,
    model: SurveyModel,
    offsets: dict[str, float],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Item answers (nullable integers), with item and whole-theme non-response."""
    n = len(systematic)
    propensities = _item_propensities(systematic, codebook, model, rng)
    columns: dict[str, pd.Series] = {}
    for theme, prop in zip(codebook.themes, propensities, strict=True):
        levels = _to_levels(prop, offsets[theme.key], codebook).astype("float64")
        missing = rng.random(levels.shape) < model.item_missing_rate
        skipped = rng.random(n) < model.theme_skip_rate
        levels[missing | skipped[:, None]] = np.nan
        for j, item in enumerate(theme.items):
            columns[item.column] = pd.Series(levels[:, j]).astype("Int64")
    return pd.DataFrame(columns)


# --------------------------------------------------------------------------- calibration


def _frame_key(frame: pd.DataFrame) -> str:
    raw = pd.util.hash_pandas_object(frame[["collectivity_type", "population"]], index=False)
    return hashlib.sha256(raw.to_numpy().tobytes()).hexdigest()


_FRAMES: dict[str, pd.DataFrame] = {}


def calibrate_theme_offsets(
    model: SurveyModel,
    codebook: Codebook | None = None,
    frame: pd.DataFrame | None = None,
    targets: dict[str, float] | None = None,
    replicates: int = 400,
    seed: int = 20250708,
) -> dict[str, float]:
    """Theme offsets giving, in expectation under ``barometre-2025``, the target shares.

    Common random numbers: one large pooled simulation of the design is drawn once, then each
    theme's offset is found by bisection on the share of respondents whose theme level (mean of
    items rounded half up) reaches level 2. The share is monotone in the offset, so bisection
    converges; item non-response is ignored here, being missing completely at random.
    """
    codebook = codebook or load_codebook()
    frame = load_frame("epci") if frame is None else frame
    key = _frame_key(frame)
    _FRAMES[key] = frame
    return dict(
        _calibrate_cached(
            model,
            codebook.model_dump_json(),
            key,
            tuple(sorted((targets or PUBLISHED_2025_SHARES).items())),
            replicates,
            seed,
        )
    )


@lru_cache(maxsize=16)
def _calibrate_cached(
    model: SurveyModel,
    codebook_json: str,
    frame_key: str,
    targets: tuple[tuple[str, float], ...],
    replicates: int,
    seed: int,
) -> tuple[tuple[str, float], ...]:
    codebook = Codebook.model_validate_json(codebook_json)
    frame = _FRAMES[frame_key]
    wanted = dict(targets)
    missing = [k for k in codebook.theme_keys if k not in wanted]
    if missing:
        raise ValueError(f"no calibration target for theme(s) {missing}")
    rng = np.random.default_rng(seed)
    units = _replicated_units(frame, "barometre-2025", None, replicates, rng)
    survey = pd.concat([units, draw_means(units, model, rng)], axis=1)
    systematic = latent_maturity(survey, model)
    propensities = _item_propensities(systematic, codebook, model, rng)
    threshold = CALIBRATION_LEVEL - 0.5  # theme mean rounded half up reaches the level
    offsets = []
    for theme, prop in zip(codebook.themes, propensities, strict=True):
        lo, hi = -6.0, 6.0
        for _ in range(50):
            mid = (lo + hi) / 2.0
            share = (_to_levels(prop, mid, codebook).mean(axis=1) >= threshold).mean()
            lo, hi = (lo, mid) if share > wanted[theme.key] else (mid, hi)
        offsets.append((theme.key, round((lo + hi) / 2.0, 6)))
    return tuple(offsets)


# --------------------------------------------------------------------------- generation


def generate(
    design: str = "barometre-2025",
    seed: int = 2025,
    n: int | None = None,
    size_effect: float = 0.0,
    model: SurveyModel | None = None,
    codebook: Codebook | None = None,
    frame: pd.DataFrame | None = None,
    with_truth: bool = True,
) -> SyntheticSurvey:
    """Draw one synthetic survey; same arguments, same survey.

    ``frame`` is what the units are drawn from (default: ``design_frame``). The theme offsets
    are always calibrated on the EPCI frame, whatever the design: the published figures they
    match are those of the 2025 panel of EPCI, and one calibration keeps the surveys of every
    design comparable (a census of communes is then less mature, being smaller and less
    equipped, as expected).
    """
    codebook = codebook or load_codebook()
    frame = design_frame(design, n) if frame is None else frame
    model = replace(model or SurveyModel(), size_effect=size_effect)
    offsets = calibrate_theme_offsets(model, codebook)
    rng = np.random.default_rng(seed)
    data = _draw(frame, design, n, model, codebook, offsets, rng)
    truth = build_truth(design, seed, n, model, codebook, frame, offsets) if with_truth else {}
    return SyntheticSurvey(data, design, seed, model, offsets, truth)


def _draw(
    frame: pd.DataFrame,
    design: str,
    n: int | None,
    model: SurveyModel,
    codebook: Codebook,
    offsets: dict[str, float],
    rng: np.random.Generator,
) -> pd.DataFrame:
    return _assemble(select_units(frame, design, rng, n), model, codebook, offsets, rng)


def _assemble(
    units: pd.DataFrame,
    model: SurveyModel,
    codebook: Codebook,
    offsets: dict[str, float],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Means, answers and synthetic identifiers for the selected units."""
    survey = pd.concat([units, draw_means(units, model, rng)], axis=1)
    items = draw_items(latent_maturity(survey, model), codebook, model, offsets, rng)
    width = max(4, len(str(len(units))))
    ids = pd.Series([f"SYN-{i:0{width}d}" for i in range(1, len(units) + 1)], dtype="string")
    out = pd.concat([survey, items], axis=1)
    out.insert(0, "respondent_id", ids)
    out.insert(len(survey.columns) + 1, "edition", model.edition)
    out["population"] = out["population"].astype("int64")
    return out


# --------------------------------------------------------------------------- truth


def index_scale_truth(
    design: str,
    n: int | None,
    model: SurveyModel,
    codebook: Codebook,
    frame: pd.DataFrame,
    offsets: dict[str, float],
    replicates: int | None = None,
    seed: int = 777,
) -> dict:
    """What an OLS of ``maturity_index`` on the model terms estimates under this design.

    Computed on a large pooled simulation of the design (independent of the user's seed), so
    coverage of confidence intervals can be checked against it: at least 20 replicates of the
    design and 120,000 rows, so that the truth's own Monte Carlo error is under a quarter of one
    survey's standard error. Also the implied standardized size effect
    ``b_size * sd(size) / sd(maturity_index)``.

    The replicates are drawn and scored in batches of at most ``TRUTH_BATCH_ROWS`` rows, one
    after the other from the one stream, and pooled through their cross-products, so that the
    truth of a census of communes (20 x 35,000 rows) does not hold 700,000 rows at once. A pool
    that fits in one batch is drawn exactly as one stacked simulation.
    """
    size = _design_size(design, n, frame)
    if replicates is None:
        replicates = max(20, int(np.ceil(120_000 / size)))
    per_batch = max(1, TRUTH_BATCH_ROWS // size)
    rng = np.random.default_rng(seed)
    pool = _Pool()
    names: list[str] = []
    for start in range(0, replicates, per_batch):
        units = _replicated_units(frame, design, n, min(per_batch, replicates - start), rng)
        scored = score_survey(_assemble(units, model, codebook, offsets, rng), codebook)
        scored = scored[scored["maturity_index"].notna()]
        terms = model_terms(scored)
        names = ["Intercept", *terms.columns]
        x = np.column_stack([np.ones(len(terms)), terms.to_numpy()])
        pool.add(x, scored["maturity_index"].to_numpy(dtype="float64"))
    beta = np.linalg.solve(pool.xtx, pool.xty)
    sd_size = pool.sd(names.index("size"))
    sd_index = pool.sd(-1)
    return {
        "coefficients": {k: _r(v) for k, v in zip(names, beta, strict=True)},
        "std_coef_size": _r(beta[names.index("size")] * sd_size / sd_index),
        "sd_size": _r(sd_size),
        "sd_maturity_index": _r(sd_index),
        "pooled_rows": pool.rows,
        "replicates": replicates,
        "seed": seed,
    }


TRUTH_BATCH_ROWS = 150_000


class _Pool:
    """Cross-products, means and sums of squared deviations of the batches of a pooled
    simulation: what the pooled OLS and standard deviations need (Chan et al.'s pairwise update
    for the deviations, exact up to rounding)."""

    def __init__(self) -> None:
        self.rows = 0
        self.xtx: np.ndarray = np.zeros((0, 0))
        self.xty: np.ndarray = np.zeros(0)
        self.mean: np.ndarray = np.zeros(0)
        self.m2: np.ndarray = np.zeros(0)

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        both = np.column_stack([x, y])
        rows = len(y)
        mean = both.mean(axis=0)
        m2 = ((both - mean) ** 2).sum(axis=0)
        if self.rows == 0:
            self.xtx, self.xty, self.mean, self.m2 = x.T @ x, x.T @ y, mean, m2
        else:
            total = self.rows + rows
            delta = mean - self.mean
            self.m2 = self.m2 + m2 + delta**2 * self.rows * rows / total
            self.mean = self.mean + delta * rows / total
            self.xtx = self.xtx + x.T @ x
            self.xty = self.xty + x.T @ y
        self.rows += rows

    def sd(self, column: int) -> float:
        """Standard deviation (n - 1) of a column of x (the intercept is column 0) or of y (-1)."""
        return float(np.sqrt(self.m2[column] / (self.rows - 1)))


def _design_size(design: str, n: int | None, frame: pd.DataFrame) -> int:
    if design in ("census-epci", "census-communes"):
        return len(frame)
    if design == "random":
        return int(n or 1)
    return sum(BAROMETRE_2025_QUOTAS.values())


def _r(x: float) -> float:
    """Round to 9 significant digits so the truth file is stable across BLAS builds."""
    return float(f"{float(x):.9g}")


def build_truth(
    design: str,
    seed: int,
    n: int | None,
    model: SurveyModel,
    codebook: Codebook,
    frame: pd.DataFrame,
    offsets: dict[str, float],
) -> dict:
    """Everything needed to know what the survey should show and to draw it again.

    A design drawing from bodies other than EPCI also records the types it drew from, its
    allocation rule and the assumed budget quantiles it used (a survey of EPCI keeps the record
    it always had).
    """
    types = [str(t) for t in frame["collectivity_type"].unique()]
    beyond_epci = any(t not in EPCI_TYPES for t in types)
    truth = {
        "synthetic": True,
        "note": "Synthetic survey: invented answers attached to real "
        + (
            "EPCI "
            if not beyond_epci
            else "communes' "
            if types == ["commune"]
            else "bodies' (every tier) "
        )
        + "populations and types, without names or SIREN. Not the barometer's data.",
        "generator": f"analyse {__version__} (analyse.data.simulate)",
        "design": design,
        "seed": seed,
        "n_requested": n,
        "barometre_2025_quotas": BAROMETRE_2025_QUOTAS if design == "barometre-2025" else None,
        "model": asdict(model),
        "latent_coefficients": model.latent_coefficients(),
        "latent_centres": _CENTRES,
        "level_cuts": _cuts(codebook).tolist(),
        "theme_offsets": offsets,
        "calibration_targets": {
            "level": CALIBRATION_LEVEL,
            "design": "barometre-2025",
            "shares": PUBLISHED_2025_SHARES,
        },
        "budget_quantiles_ofgl_2019": {k: list(v) for k, v in OFGL_BUDGET_QUANTILES.items()},
        "index_scale": index_scale_truth(design, n, model, codebook, frame, offsets),
    }
    if beyond_epci:
        truth["frame"] = {
            "types": {
                str(k): int(v)
                for k, v in frame["collectivity_type"].value_counts(sort=False).items()
            },
            "rule": "every inhabited commune"
            if design == "census-communes"
            else f"stratified by type, in proportion to the frame, at least {TYPE_MINIMUM} of "
            "each type, bodies repeated as evenly as possible beyond a type's count",
        }
        truth["budget_quantiles_assumed"] = {
            k: list(v) for k, v in ASSUMED_BUDGET_QUANTILES.items() if k in types
        }
    return truth


# --------------------------------------------------------------------------- writing


def write(survey: SyntheticSurvey, out: str | Path) -> tuple[Path, Path]:
    """Write the survey CSV (data contract, UTF-8, comma) and its truth file, byte-stable.

    The truth file is also the provenance marker that makes reports call the data synthetic.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    survey.data.to_csv(out, index=False, lineterminator="\n")
    # The checksum ties the "synthetic" marker to these exact bytes (analyse.data.provenance).
    truth = {**survey.truth, "survey_sha256": file_sha256(out)}
    tpath = truth_path(out)
    tpath.write_text(
        json.dumps(truth, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8"
    )
    return out, tpath


# --------------------------------------------------------------------------- export format

# What a survey tool would export: French questions as headers, French labels, non-answers.
EXPORT_COLUMNS: dict[str, str] = {
    "timestamp": "Horodateur",
    "respondent_id": "Identifiant de la réponse",
    "collectivity_type": "Quel est le type de votre structure ?",
    "name": "Nom de votre structure",
    "siren": "Numéro SIRET de votre structure",
    "population": "Nombre d’habitants de votre territoire",
    "budget_per_capita": "Budget de fonctionnement par habitant (en euros)",
    "elected_digital_lead": "Un(e) élu(e) est-il chargé du numérique ? (1 = oui, 0 = non)",
    "strategy_adopted": "Votre structure a-t-elle adopté une stratégie numérique ? "
    "(1 = oui, 0 = non)",
    "role": "Fonction de la personne qui répond",
    "comment": "Commentaires libres",
}
EXPORT_TYPE_LABELS: dict[str, str] = {
    "metropole": "Une métropole",
    "CC": "Un EPCI (hors métropole)",
    "CA": "Un EPCI (hors métropole)",
    "CU": "Un EPCI (hors métropole)",
    # bodies of the other tiers (census of communes, random samples beyond the EPCI frame)
    "commune": "Une commune",
    "EPT": "Un établissement public territorial (Grand Paris)",
    "departement": "Un département",
    "region": "Une région",
}
OTHER_TYPE_LABEL = "Autre"
# Answers a respondent may give instead of a level, and how often (per answered item).
EXPORT_NON_ANSWERS: dict[str, float] = {
    "Je ne sais pas": 0.04,
    "Ma structure n’est pas concernée": 0.02,
}
EXPORT_POPULATION_MISSING = 0.4  # share of collectivity rows whose population is left empty
# Bodies that answer such surveys without being collectivities (invented names, no SIREN).
EXPORT_OTHER_BODIES: tuple[str, ...] = (
    "Syndicat mixte numérique du Val de Loire",
    "Agence départementale d’ingénierie territoriale",
    "Syndicat intercommunal d’informatique de l’Ouest",
    "Agence régionale du numérique et de l’intelligence artificielle",
    "Syndicat mixte ouvert Très Haut Débit",
    "Centre de gestion de la fonction publique territoriale",
    "Agence d’urbanisme de l’agglomération",
    "Syndicat départemental d’énergie et du numérique",
)
EXPORT_ROLES: tuple[str, ...] = (
    "Directeur(rice) des systèmes d’information",
    "Directeur(rice) général(e) des services",
    "Chargé(e) de mission numérique",
    "Élu(e)",
)
EXPORT_COMMENTS: tuple[str, ...] = (
    "Questionnaire long mais utile.",
    "Certaines questions ne s’appliquent pas à notre structure.",
    "Nous attendons le schéma directeur pour avancer.",
)


def export_headers(codebook: Codebook) -> dict[str, str]:
    """Item column -> its export header: "Theme - statement", with typographic apostrophes,
    as a survey tool titles a question (the codebook's ``text_fr``; a plausible French
    question when the codebook has none)."""
    headers = {}
    for theme in codebook.themes:
        for j, item in enumerate(theme.items, start=1):
            text = item.text_fr or f"Question {j} sur le thème « {theme.label_fr} »"
            headers[item.column] = f"{theme.label_fr} - {text}".replace("'", "’")
    return headers


def export_labels(codebook: Codebook) -> dict[int, str]:
    """Level -> the answer label an export shows (the codebook's French level labels)."""
    return {level.value: level.label_fr or f"Niveau {level.value}" for level in codebook.levels}


def generate_export(
    design: str = "barometre-2025",
    seed: int = 2025,
    n: int | None = None,
    size_effect: float = 0.0,
    codebook: Codebook | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A messy survey-tool export of the synthetic survey ``generate`` draws; same seed, same
    export. Every cell is text, as a tool writes it.

    The EPCI rows are ``generate``'s respondents, now with their frame name and SIRET (SIREN
    plus 5 digits, spaced "200 000 172 00018" in about half the rows) so that the reference
    frame can be joined back; their type is a label ("Une métropole", "Un EPCI (hors
    métropole)"), their population is empty in about 40 % of rows (the frame has it), numbers
    are written the French way ("12 345", "1 294,58"), and item answers are the codebook's
    French labels, some replaced by "Je ne sais pas" or "Ma structure n’est pas concernée".
    Rows of other bodies (syndicates, agencies; type "Autre", no population) are added, there
    is no staff question, and rows come in the order they were answered (a timestamp column).
    Randomness beyond ``generate``'s comes from a stream of its own, so the contract-format
    survey of a seed is unchanged by this function's existence.

    Designs beyond the EPCI (``census-communes``, a large ``random``) give communes, EPT,
    départements and régions the same treatment, typed "Une commune", "Un département", ...;
    départements, régions and the communes of the overseas collectivities have no SIREN in the
    frame, so their SIRET is empty and the frame finds them by name (where a name is unique).
    """
    codebook = codebook or load_codebook()
    frame = design_frame(design, n) if frame is None else frame
    survey = generate(
        design=design, seed=seed, n=n, size_effect=size_effect, codebook=codebook, frame=frame,
        with_truth=False,
    )  # fmt: skip
    # the frame rows drawn: generate's first draws are the selection, so redrawing it from the
    # same seed gives the same units (checked on type and population)
    units = frame.iloc[_selection(frame, design, np.random.default_rng(seed), n)]
    data = survey.data
    if not (
        np.array_equal(units["population"].to_numpy(), data["population"].to_numpy())
        and np.array_equal(units["collectivity_type"].to_numpy(), data["collectivity_type"])
    ):
        raise RuntimeError("the export's frame units differ from the survey's")
    rng = np.random.default_rng([seed, 0x6578])  # "ex": a stream of the export's own
    labels = export_labels(codebook)
    items = codebook.item_columns
    n_epci, n_other = len(data), len(EXPORT_OTHER_BODIES)

    epci = pd.DataFrame(
        {
            "collectivity_type": data["collectivity_type"].map(EXPORT_TYPE_LABELS).to_numpy(),
            "name": units["name"].to_numpy(),
            "siren": [
                _siret(s, rng, spaced=bool(rng.random() < 0.5)) if isinstance(s, str) else ""
                for s in units["siren"].astype(object).where(units["siren"].notna()).to_numpy()
            ],
            "population": [_grouped(int(p), rng) for p in data["population"]],
            "budget_per_capita": [_decimal_comma(float(b)) for b in data["budget_per_capita"]],
            "elected_digital_lead": data["elected_digital_lead"].astype(str).to_numpy(),
            "strategy_adopted": data["strategy_adopted"].astype(str).to_numpy(),
        }
    )
    epci.loc[rng.random(n_epci) < EXPORT_POPULATION_MISSING, "population"] = ""
    for item in items:
        epci[item] = data[item].map(labels, na_action="ignore").fillna("").to_numpy()

    other = pd.DataFrame(
        {
            "collectivity_type": OTHER_TYPE_LABEL,
            "name": list(EXPORT_OTHER_BODIES),
            "siren": [
                _siret(f"{rng.integers(130_000_000, 130_099_999)}", rng, spaced=False)
                for _ in range(n_other)
            ],
            "population": "",
            "budget_per_capita": "",
            "elected_digital_lead": [str(v) for v in rng.integers(0, 2, n_other)],
            "strategy_adopted": [str(v) for v in rng.integers(0, 2, n_other)],
        }
    )
    for item in items:
        levels = rng.integers(codebook.min_level, codebook.max_level + 1, n_other)
        other[item] = [labels[int(v)] for v in levels]

    out = pd.concat([epci, other], ignore_index=True)
    answered = out[items].ne("").to_numpy()
    draws = rng.random(answered.shape)
    cells = out[items].to_numpy(dtype=object)
    cut = 0.0
    for label, rate in EXPORT_NON_ANSWERS.items():
        hit = answered & (draws >= cut) & (draws < cut + rate)
        cells[hit] = label
        cut += rate
    padded = answered & (rng.random(answered.shape) < 0.03)  # stray spaces from the tool
    cells[padded] = [f"{c} " for c in cells[padded]]
    out[items] = cells

    total = len(out)
    out["role"] = rng.choice(list(EXPORT_ROLES), size=total)
    out["comment"] = np.where(
        rng.random(total) < 0.1, rng.choice(list(EXPORT_COMMENTS), size=total), ""
    )
    order = rng.permutation(total)  # the order the answers came in
    out = out.iloc[order].reset_index(drop=True)
    start = pd.Timestamp("2025-03-03 09:00:00")
    gaps = np.sort(rng.integers(0, 40 * 24 * 3600, size=total))
    out.insert(
        0,
        "timestamp",
        [(start + pd.Timedelta(seconds=int(g))).strftime("%d/%m/%Y %H:%M:%S") for g in gaps],
    )
    # four-digit ids as long as they suffice (so every export drawn before stays the same)
    digits = 4 if total <= 8999 else len(str(total)) + 1
    low, high = 10 ** (digits - 1), (9999 if digits == 4 else 10**digits)
    out.insert(
        1,
        "respondent_id",
        # the same draws as from np.arange(low, high), without that array (720 MB at 10**8)
        [str(low + v) for v in rng.choice(high - low, total, replace=False)],
    )
    headers = {**EXPORT_COLUMNS, **export_headers(codebook)}
    ordered = [*EXPORT_COLUMNS][:9] + items + ["role", "comment"]
    return out[ordered].rename(columns=headers).astype(str)


def _siret(siren: str, rng: np.random.Generator, spaced: bool) -> str:
    """A 14-digit SIRET of ``siren`` (an establishment number of 5 digits), maybe spaced as
    people type it: "200 000 172 00018"."""
    nic = f"{int(rng.integers(1, 100)):05d}"
    return f"{siren[:3]} {siren[3:6]} {siren[6:]} {nic}" if spaced else siren + nic


def _grouped(value: int, rng: np.random.Generator) -> str:
    """A whole number as French office tools write it: plain, or with a (non-breaking) space
    between thousands."""
    style = rng.integers(0, 3)
    if style == 0 or value < 1000:
        return str(value)
    sep = " " if style == 1 else "\u202f"
    return f"{value:,}".replace(",", sep)


def _decimal_comma(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def export_truth(design: str, seed: int, n: int | None, size_effect: float) -> dict:
    """The provenance record of an export: it is synthetic, and how to redraw it."""
    epci_only = bool(design_frame(design, n)["collectivity_type"].isin(EPCI_TYPES).all())
    bodies, body = ("EPCI", "EPCI") if epci_only else ("collectivities", "collectivity")
    return {
        "synthetic": True,
        "format": "export",
        "note": f"Synthetic survey-tool export: invented answers attached to real {bodies} "
        "(names, SIREN, types and populations from the reference frame) plus invented other "
        f"bodies. Not the barometer's data, and not what any {body} answered.",
        "generator": f"analyse {__version__} (analyse.data.simulate.generate_export)",
        "design": design,
        "seed": seed,
        "n_requested": n,
        "size_effect": size_effect,
        "latent_coefficients": replace(
            SurveyModel(), size_effect=size_effect
        ).latent_coefficients(),
    }


def write_export(export: pd.DataFrame, out: str | Path, truth: dict) -> tuple[Path, Path]:
    """Write an export as a tool would (UTF-8 with BOM, semicolons, CRLF) and its truth file,
    which marks it synthetic (``analyse.data.provenance``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    export.to_csv(out, index=False, sep=";", lineterminator="\r\n", encoding="utf-8-sig")
    record = {**truth, "survey_sha256": file_sha256(out)}
    tpath = truth_path(out)
    tpath.write_text(
        json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8"
    )
    return out, tpath
