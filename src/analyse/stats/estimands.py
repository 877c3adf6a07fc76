"""The two questions about size, answered apart: its total and its direct effect on maturity.

The barometer's sentence, « la taille n'est pas déterminante : l'ambition politique et les
moyens financiers et humains font la différence », speaks of two quantities:

- the **total** effect of size: how much more mature a collectivity ten times as populous is,
  whatever the route (size with only the confounders that come *before* it; none by default:
  legal type is defined by population thresholds, so it is not one);
- the **direct** effect: the same with the means held equal (budget per inhabitant, digital
  staff, political sponsorship, and the controls): the main model, whose verdict the reports
  have always given;
- their difference, the **indirect** effect: the part that passes through what size buys.

All three are estimated on the rows the main model fits, so that the difference is exactly
the omitted-variable identity of OLS: ``total - direct = sum_j a_j b_j``, where ``b_j`` is the
direct model's coefficient of mediator column ``j`` and ``a_j`` the coefficient of size when
column ``j`` is regressed on the total model's regressors. Each mean's contribution
(``by_mean``) is its columns' sum of ``a_j b_j``; they add up to the indirect effect. The
interval of the indirect effect comes from a bootstrap of the rows (the same resamples for
both models), as its sampling distribution is that of a difference of correlated estimates.
Under survey weights each resampled row keeps its weight and the resample is not calibrated
again: with raked weights that interval ignores the calibration that the total and direct
effects' linearized SEs account for (a known limit, said in the README).

Effects are given in **index points for a tenfold population** (``coef * ln 10``: size is the
natural log of the population), the one unit readers get, beside the standardized effect on
which the verdicts are read (``analyse.stats.equivalence``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyse.stats.equivalence import SizeTest, equivalence_interval, test_size
from analyse.stats.regression import Design, OLSFit, fit_ols
from analyse.stats.resampling import full_rank, row_counts

LN10 = math.log(10.0)  # from one unit of ln(population) to a tenfold population


@dataclass(frozen=True)
class Estimands:
    """The total and direct effects of size with their tests, and the indirect effect."""

    total: SizeTest
    total_fit: OLSFit
    direct: SizeTest
    direct_fit: OLSFit
    indirect_points: float
    indirect_ci90_points: tuple[float, float] | None  # None without bootstrap draws
    share: float | None  # indirect / total; None when the total's interval contains 0
    # None also when alpha or more of the resampled totals cross 0 (the interval is unbounded)
    share_ci90: tuple[float, float] | None
    by_mean: dict[str, float]  # mediator term group -> its part of the indirect effect, points
    draws: int  # bootstrap resamples with both models identified


def total_design(design: Design, confounders: list[str] | tuple[str, ...] = ()) -> Design:
    """The main model's design reduced to size and the confounders (same rows).

    A confounder is a term group of the design or a control (``analysis.confounders``): a
    control's columns are its dummies (``collectivity_type[T.CA]``, ...) in the group
    ``controls``, which the total model keeps under that name, as the direct model lists it.
    """
    groups = {"size": design.groups["size"]}
    for name in confounders:
        if name in design.groups:
            groups[name] = design.groups[name]
            continue
        columns = [c for c in design.groups.get("controls", []) if c.startswith(f"{name}[")]
        if columns:  # none when the control has one category on these rows
            groups.setdefault("controls", []).extend(columns)
    columns = ["Intercept", *(c for cols in groups.values() for c in cols)]
    return Design(
        y=design.y,
        X=design.X[columns],
        groups=groups,
        controls_merged={k: v for k, v in design.controls_merged.items() if k in confounders},
        min_cell=design.min_cell,
    )


def estimate_estimands(
    fit: OLSFit,
    direct: SizeTest,
    confounders: list[str] | tuple[str, ...] = (),
    bootstrap: int = 1000,
    seed: int = 0,
) -> Estimands:
    """The estimands of the main model ``fit`` (whose size test is ``direct``), with its
    survey weights if it has any. ``bootstrap`` resamples give the indirect effect's interval
    (none when 0)."""
    design = fit.design
    reduced = total_design(design, confounders)
    total_fit = fit_ols(reduced, weights=fit.weights)
    total = test_size(total_fit, sesoi=direct.sesoi, alpha=direct.alpha)
    by_mean = _by_mean(design, reduced, fit)
    indirect = (total.coef - direct.coef) * LN10
    draws = _bootstrap(design, reduced, fit.weights, bootstrap, seed)
    q = (direct.alpha, 1 - direct.alpha)  # the (1 - 2 alpha) interval, like the verdicts'
    interval = None
    share_interval = None
    if len(draws):
        low, high = np.quantile(draws[:, 0] - draws[:, 1], q) * LN10
        interval = (float(low), float(high))
    share = None
    # a share of the total only when the total is shown to differ from zero by the rule the
    # verdicts use (the two-sided test at alpha), not merely by its (1 - 2 alpha) interval
    if total.p < total.alpha:
        share = float(indirect / (total.coef * LN10))
        # The ratio's percentiles mean something only if the resampled totals stay away from 0:
        # when alpha or more of them cross it, the interval is unbounded (as Fieller's would
        # be) and none is given.
        crossing = np.mean(np.sign(draws[:, 0]) != np.sign(total.coef)) if len(draws) else 1.0
        if crossing < direct.alpha:
            ratios = 1 - draws[:, 1] / draws[:, 0]
            share_interval = tuple(float(v) for v in np.quantile(ratios, q))
    return Estimands(
        total=total,
        total_fit=total_fit,
        direct=direct,
        direct_fit=fit,
        indirect_points=float(indirect),
        indirect_ci90_points=interval,
        share=share,
        share_ci90=share_interval,  # type: ignore[arg-type]
        by_mean=by_mean,
        draws=len(draws),
    )


def _by_mean(design: Design, reduced: Design, fit: OLSFit) -> dict[str, float]:
    """Each mediator group's ``sum_j a_j b_j`` in points (see the module's docstring)."""
    x_total = reduced.X.to_numpy(dtype="float64")
    w = None if fit.weights is None else np.sqrt(fit.weights.to_numpy(dtype="float64"))
    size_at = list(reduced.X.columns).index("size")
    parts = {}
    for group, columns in design.groups.items():
        columns = [c for c in columns if c not in reduced.X.columns]  # not a confounder's
        if not columns:
            continue
        mediators = design.X[columns].to_numpy(dtype="float64")
        a = _lstsq(x_total, mediators, w)[size_at]  # size's coefficient for each column
        b = fit.coef[columns].to_numpy(dtype="float64")
        parts[group] = float(a @ b) * LN10
    return parts


def _lstsq(x: np.ndarray, y: np.ndarray, root_w: np.ndarray | None) -> np.ndarray:
    if root_w is not None:
        x, y = x * root_w[:, None], y * (root_w[:, None] if y.ndim == 2 else root_w)
    return np.linalg.lstsq(x, y, rcond=None)[0]


_CHUNK_CELLS = 4_000_000  # resampled row counts held at once (draws x rows)


def _bootstrap(
    design: Design, reduced: Design, weights: pd.Series | None, draws: int, seed: int
) -> np.ndarray:
    """(total, direct) size coefficients on ``draws`` resamples of the rows, the same
    resamples for both models; resamples where either model is not of full rank (a category
    not drawn) are left out.

    Each resample is a vector of row counts; its weighted cross-products ``Z'CWZ`` of
    ``Z = [X, y]`` come from one matrix product with the rows' distinct products, and both
    models are solved from blocks of it (the total model's columns are among the direct's), so
    memory stays at a chunk of counts whatever the number of rows.
    """
    if draws <= 0:
        return np.empty((0, 2))
    columns = list(design.X.columns)
    p = len(columns)
    z = np.column_stack([design.X.to_numpy(dtype="float64"), design.y.to_numpy(dtype="float64")])
    n = len(z)
    upper = np.triu_indices(p + 1)
    products = z[:, upper[0]] * z[:, upper[1]]
    if weights is not None:
        products *= weights.to_numpy(dtype="float64")[:, None]
    models = []
    for x_columns in (list(reduced.X.columns), columns):
        at = np.asarray([columns.index(c) for c in x_columns])
        models.append((at, x_columns.index("size")))
    rng = np.random.default_rng([seed, 18])  # a stream of its own: other draws stay as they are
    chunk = max(1, _CHUNK_CELLS // n)
    out = []
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        counts = row_counts(rng.integers(0, n, size=(k, n)), n)
        moments = np.zeros((k, p + 1, p + 1))
        moments[:, upper[0], upper[1]] = counts @ products
        moments = moments + np.triu(moments, 1).transpose(0, 2, 1)
        pair = []
        ok = np.ones(k, dtype=bool)
        for at, size_at in models:
            gram = moments[:, at[:, None], at[None, :]]
            ok &= full_rank(gram)
            safe = np.where(ok[:, None, None], gram, np.eye(len(at)))
            beta = np.linalg.solve(safe, moments[:, at, p][:, :, None])[:, :, 0]
            pair.append(beta[:, size_at])
        out.append(np.column_stack(pair)[ok])
    return np.concatenate(out).reshape(-1, 2)


def estimand_block(test: SizeTest, fit: OLSFit) -> dict:
    """One estimand's keys in ``results.json`` (``estimands.total`` and ``.direct``).

    ``se`` and the intervals are the verdict's (``SizeTest.se``): HC3 unweighted, design-based
    under survey weights."""
    q = stats.t.ppf(1 - test.alpha, test.df_resid)
    low, high = test.coef - q * test.se, test.coef + q * test.se
    return {
        "coef": test.coef,
        "se": test.se,
        "coef_points": test.coef * LN10,
        "ci90_points": [low * LN10, high * LN10],
        "std_coef": test.std_coef,
        "ci90": [float(v) for v in equivalence_interval(test)],
        "p": test.p,
        "met_p": test.met_p,
        "tost_p": test.tost_p,
        "direction": test.direction,
        "verdict": test.verdict,
        "terms": [name for name in fit.design.groups],
    }


def to_results(estimands: Estimands) -> dict:
    """``results.json``'s ``estimands`` block (keys are a public interface)."""
    e = estimands
    return {
        "total": estimand_block(e.total, e.total_fit),
        "direct": estimand_block(e.direct, e.direct_fit),
        "indirect": {
            "coef_points": e.indirect_points,
            "ci90_points": None if e.indirect_ci90_points is None else list(e.indirect_ci90_points),
            "share": e.share,
            "ci90_share": None if e.share_ci90 is None else list(e.share_ci90),
            "by_mean": e.by_mean,
            "bootstrap_draws": e.draws,
        },
    }
