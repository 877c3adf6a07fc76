"""A synthetic barometer survey drawn from the real frame of EPCI, with a known truth.

The real barometer microdata are not public. A synthetic survey lets everything run out of the
box and, above all, lets the statistics be checked against a truth we set ourselves.

The data-generating process, in the order the random numbers are drawn:

1. **Who answers.** Units come from the real EPCI frame (``analyse.data.reference``), keeping their
   real population and type but never their name or SIREN: publishing invented scores under a
   real collectivity's name would be wrong. Designs: ``barometre-2025`` (56 respondents, mostly
   large urban EPCI: quotas per type, drawn with probability proportional to population within
   type), ``census-epci`` (every EPCI) and ``random`` (a simple random sample of ``n``).
2. **Means.** Budget per inhabitant is log-normal within type, with the OFGL 2019 median and
   p10-p90 spread of that type. Digital staff per 10,000 inhabitants grows with population and
   budget. An elected digital lead and an adopted strategy are more frequent in larger
   collectivities (logits in ln population), the strategy more so with an elected lead. Size is
   therefore correlated with the means, as in reality.
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
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.data.terms import MAIN_TERMS, model_terms
from analyse.errors import InputError, Problem

Design = Literal["barometre-2025", "census-epci", "random"]
DESIGNS: tuple[str, ...] = ("barometre-2025", "census-epci", "random")

# 2025 panel: 56 respondents, "mostly large urban EPCI", "about a dozen small EPCI".
BAROMETRE_2025_QUOTAS: dict[str, int] = {"metropole": 17, "CU": 9, "CA": 18, "CC": 12}

# OFGL 2019, total spending in euros per inhabitant, EPCI: (p10, median, p90) by type.
OFGL_BUDGET_QUANTILES: dict[str, tuple[float, float, float]] = {
    "CC": (325.0, 532.0, 880.0),
    "CA": (516.0, 796.0, 1115.0),
    "CU": (1002.0, 1240.0, 1617.0),
    "metropole": (907.0, 1368.0, 1883.0),
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
    if design == "census-epci":
        return np.arange(len(frame))
    if design == "random":
        if n is None or not 1 <= n <= len(frame):
            raise DesignError(
                [
                    Problem(
                        file="simulation design",
                        column="n",
                        message=f"the random design needs 1 <= n <= {len(frame)}",
                        value=str(n),
                    )
                ]
            )
        return np.sort(rng.choice(len(frame), size=n, replace=False))
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
    median = np.array([OFGL_BUDGET_QUANTILES[t][1] for t in ctype])
    spread = np.array(
        [
            np.log(OFGL_BUDGET_QUANTILES[t][2] / OFGL_BUDGET_QUANTILES[t][0]) / (2 * _Z90)
            for t in ctype
        ]
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
    """Draw one synthetic survey; same arguments, same survey."""
    codebook = codebook or load_codebook()
    frame = load_frame("epci") if frame is None else frame
    model = replace(model or SurveyModel(), size_effect=size_effect)
    offsets = calibrate_theme_offsets(model, codebook, frame)
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
    coverage of confidence intervals can be checked against it. Also the implied standardized
    size effect ``b_size * sd(size) / sd(maturity_index)``.
    """
    if replicates is None:
        replicates = max(20, int(np.ceil(120_000 / _design_size(design, n, frame))))
    rng = np.random.default_rng(seed)
    units = _replicated_units(frame, design, n, replicates, rng)
    pooled = score_survey(_assemble(units, model, codebook, offsets, rng), codebook)
    pooled = pooled[pooled["maturity_index"].notna()]
    terms = model_terms(pooled)
    x = np.column_stack([np.ones(len(terms)), terms.to_numpy()])
    y = pooled["maturity_index"].to_numpy(dtype="float64")
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    names = ["Intercept", *terms.columns]
    sd_size = float(terms["size"].std(ddof=1))
    sd_index = float(np.std(y, ddof=1))
    return {
        "coefficients": {k: _r(v) for k, v in zip(names, beta, strict=True)},
        "std_coef_size": _r(beta[names.index("size")] * sd_size / sd_index),
        "sd_size": _r(sd_size),
        "sd_maturity_index": _r(sd_index),
        "pooled_rows": len(y),
        "replicates": replicates,
        "seed": seed,
    }


def _design_size(design: str, n: int | None, frame: pd.DataFrame) -> int:
    if design == "census-epci":
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
    return {
        "synthetic": True,
        "note": "Synthetic survey: invented answers attached to real EPCI populations and types, "
        "without names or SIREN. Not the barometer's data.",
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
}
OTHER_TYPE_LABEL = "Autre"
# Answers a respondent may give instead of a level, and how often (per answered item).
EXPORT_NON_ANSWERS: dict[str, float] = {
    "Je ne sais pas": 0.04,
    "Ma structure n’est pas concernée": 0.02,
}
EXPORT_POPULATION_MISSING = 0.4  # share of EPCI rows whose population is left empty
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
    """
    codebook = codebook or load_codebook()
    frame = load_frame("epci") if frame is None else frame
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
                _siret(s, rng, spaced=bool(rng.random() < 0.5)) for s in units["siren"].to_numpy()
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
    out.insert(
        1,
        "respondent_id",
        [str(v) for v in rng.choice(np.arange(1000, 9999), total, replace=False)],
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
    return {
        "synthetic": True,
        "format": "export",
        "note": "Synthetic survey-tool export: invented answers attached to real EPCI (names, "
        "SIREN, types and populations from the reference frame) plus invented other bodies. "
        "Not the barometer's data, and not what any EPCI answered.",
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
