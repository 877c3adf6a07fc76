"""The compute rewritten to scale (issue 17) gives the numbers of the implementation it replaced.

The LMG bootstrap used to build every resample as rows (``x[rows]``, a B x n x p copy) and check
its rank with ``matrix_rank``; it now works from count-weighted cross-product matrices. The
sensitivity simulations and the specification curve's null curves are now drawn and refitted in
chunks of bounded size. The old implementations are kept here, as they were, and every new one
must reproduce them on the shipped panels and on simulated ones (with singular resamples): the
same resamples kept, the same draws to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyse.data.codebook import load_codebook
from analyse.data.reference import load_frame
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.paths import data_dir
from analyse.stats import importance, resampling, robustness
from analyse.stats import sensitivity as sensitivity_module
from analyse.stats.importance import _batched_r2, _positions, _shapley, _subsets
from analyse.stats.regression import Design, build_design, fit_ols
from analyse.stats.robustness import _MAX_ROUNDS, _curve_statistics, _share_at_least

# --- the implementations replaced (as of commit 12b9640) ---------------------------------------


def old_lmg_batch(design: Design, rows: np.ndarray) -> pd.DataFrame:
    groups = list(design.groups)
    columns = [c for c in design.X.columns if c != "Intercept"]
    x = design.X[columns].to_numpy()[rows]
    y = design.y.to_numpy()[rows]
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    gram = np.einsum("bni,bnj->bij", x, x)
    cross = np.einsum("bni,bn->bi", x, y)
    tss = np.einsum("bn,bn->b", y, y)
    r2 = {(): np.zeros(len(rows))}
    for subset in _subsets(groups)[1:]:
        idx = _positions(design, columns, subset)
        r2[subset] = _batched_r2(gram[:, idx][:, :, idx], cross[:, idx], tss)
    return pd.DataFrame(_shapley(r2, groups))


def old_full_rank(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.linalg.matrix_rank(x[rows]) == x.shape[1]


def old_bootstrap(
    design: Design, bootstrap: int, seed: int, chunk: int = 250
) -> tuple[pd.DataFrame, np.ndarray]:
    """The old draws, and which resamples were kept (in order)."""
    rng = np.random.default_rng(seed)
    n = len(design.y)
    parts, kept = [], []
    for start in range(0, bootstrap, chunk):
        rows = rng.integers(0, n, size=(min(chunk, bootstrap - start), n))
        keep = old_full_rank(design.X.to_numpy(), rows)
        kept.append(keep)
        if keep.any():
            parts.append(old_lmg_batch(design, rows[keep]))
    draws = pd.concat(parts, ignore_index=True)
    return draws, np.concatenate(kept)


# --- surveys ------------------------------------------------------------------------------------


def _shipped(name: str) -> pd.DataFrame:
    from analyse.data.loading import load_survey

    codebook = load_codebook()
    return score_survey(load_survey(data_dir() / "synthetic" / name, codebook), codebook)


@pytest.fixture(scope="module")
def panels() -> dict[str, pd.DataFrame]:
    codebook = load_codebook()
    return {
        "shipped panel": _shipped("synthetic_barometre_2025.csv"),
        "shipped census": _shipped("synthetic_census_epci.csv"),
        # small panels with a rare sponsorship value or type: many resamples lack it
        "random 40": _rare(
            score_survey(generate("random", seed=11, n=40, with_truth=False).data, codebook)
        ),
        "random 25": _rare(
            score_survey(generate("random", seed=5, n=25, with_truth=False).data, codebook)
        ),
    }


MIN_CELL = {"shipped panel": 5, "shipped census": 5, "random 40": 2, "random 25": 2}


def _rare(scored: pd.DataFrame) -> pd.DataFrame:
    """``scored`` with an elected digital lead in 3 collectivities only and 3 CU: with
    ``min_cell`` 2 both are in the design, and each is absent from about one resample in 25
    (singular)."""
    out = scored.copy()
    out["elected_digital_lead"] = 0
    out.loc[out.index[:3], "elected_digital_lead"] = 1
    out["collectivity_type"] = out["collectivity_type"].astype(str).replace("CU", "CA")
    out.loc[out.index[-3:], "collectivity_type"] = "CU"
    return out


# --- LMG bootstrap ------------------------------------------------------------------------------


@pytest.mark.parametrize("controls", [[], ["collectivity_type"]])
@pytest.mark.parametrize("name", ["shipped panel", "shipped census", "random 40", "random 25"])
def test_bootstrap_draws_equal_the_old_implementation(panels, name, controls):
    design = build_design(panels[name], controls=controls, min_cell=MIN_CELL[name])
    bootstrap = 400 if name == "shipped census" else 1000
    old, kept = old_bootstrap(design, bootstrap, seed=2025)
    new = importance.relative_importance(design, bootstrap=bootstrap, seed=2025)
    assert len(new.draws) == len(old) == kept.sum()
    np.testing.assert_allclose(new.draws.to_numpy(), old.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        new.shares.to_numpy(),
        old_lmg_batch(design, np.arange(len(design.y))[None, :]).iloc[0].to_numpy(),
        rtol=0,
        atol=1e-12,
    )


def test_small_panels_do_have_singular_resamples(panels):
    """The comparison above covers the rank check: some resamples of the small panels are
    singular under the old check, and the new one drops exactly those."""
    for name in ("random 40", "random 25"):
        design = build_design(panels[name], controls=["collectivity_type"], min_cell=2)
        _, kept = old_bootstrap(design, 1000, seed=2025)
        assert 30 < (~kept).sum() < 300
        rows = np.random.default_rng(2025).integers(0, len(design.y), size=(1000, len(design.y)))
        moments = importance._moments(design, resampling.row_counts(rows, len(design.y)))
        np.testing.assert_array_equal(importance._identified(moments), kept)


def test_the_chunk_size_does_not_change_the_draws(panels):
    design = build_design(panels["shipped panel"])
    a = importance.relative_importance(design, bootstrap=300, seed=1, chunk=250)
    b = importance.relative_importance(design, bootstrap=300, seed=1, chunk=7)
    pd.testing.assert_frame_equal(a.draws, b.draws, check_exact=False, rtol=0, atol=1e-12)


# --- sensitivity simulations in chunks ------------------------------------------------------------


def old_simulator_sums(fit, simulations: int, seed: int) -> dict[str, np.ndarray]:
    """What ``_Simulator`` reduced the (simulations x n) errors to, all drawn at once."""
    x = fit.design.X.to_numpy()
    j = list(fit.design.X.columns).index("size")
    xtx_inv = np.linalg.inv(x.T @ x)
    a = (xtx_inv @ x.T)[j]
    h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    hc3 = a**2 / (1.0 - h) ** 2
    beta = fit.coef.to_numpy().copy()
    beta[j] = 0.0
    base = x @ beta
    size = x[:, j]
    sigma = float(np.sqrt(fit.result.scale))
    errors = sigma * np.random.default_rng(seed).standard_normal((simulations, len(h)))
    q = np.linalg.qr(x)[0]
    resid = errors - (errors @ q) @ q.T
    base_c = base - base.mean()
    size_c = size - size.mean()
    errors_c = errors - errors.mean(axis=1, keepdims=True)
    return {
        "se": np.sqrt(np.einsum("si,si,i->s", resid, resid, hc3)),
        "b_errors": errors @ a,
        "ss0": float(base_c @ base_c)
        + 2 * (errors_c @ base_c)
        + np.einsum("si,si->s", errors_c, errors_c),
        "ss1": float(base_c @ size_c) + errors_c @ size_c,
    }


@pytest.mark.parametrize("cells", [4_000_000, 50_000, 1])
@pytest.mark.parametrize("name", ["shipped panel", "shipped census"])
def test_simulations_in_chunks_equal_the_old_ones(panels, monkeypatch, name, cells):
    """Chunks of one simulation, of some, or all at once: the same numbers, so the same MDE."""
    fit = fit_ols(build_design(panels[name]))
    old = old_simulator_sums(fit, 2000, seed=2025)
    monkeypatch.setattr(sensitivity_module, "_CHUNK_CELLS", cells)
    sim = sensitivity_module._Simulator(fit, 2000, seed=2025)
    for key, expected in old.items():
        np.testing.assert_allclose(getattr(sim, key), expected, rtol=1e-12, atol=0)


# --- the specification curve's null curves ----------------------------------------------------
# ``_null_fits``, ``_weighted_ss`` and ``_inference`` as of commit 12b9640, verbatim but for the
# names of what they call.


def old_null_fits(
    y: np.ndarray, specs: list, counts: np.ndarray, null: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardized size effect, t statistic, residual df and identification of every
    specification on every resample, as ``ols_hc3`` would fit them, in matrix algebra.

    ``counts`` (draws, n) gives how often each row of the estimation sample is drawn. With
    ``null`` the outcome of specification k is y - coef_k * size_k. Returns (draws, K) arrays.
    For a resample, OLS (or WLS) on the drawn rows, repeats included, is the count-weighted
    normal equations A b = X'Wy with W = counts * raking weight; a copy of row i has leverage
    h_i = w_i x_i'A^-1 x_i and the HC3 variance of the size coefficient is
    sum_i counts_i w_i^2 e_i^2 (x_i'a)^2 / (1 - h_i)^2, a the size row of A^-1.
    """
    n_draws, k = counts.shape[0], len(specs)
    std = np.full((n_draws, k), np.nan)
    t = np.full((n_draws, k), np.nan)
    df = np.full((n_draws, k), np.nan)
    ok = np.zeros((n_draws, k), dtype=bool)
    for j, spec in enumerate(specs):
        p = spec.x.shape[1]
        w = np.ones(len(y)) if spec.weights is None else spec.weights
        yk = y - spec.coef * spec.x[:, 1] if null else y
        yk = np.where(spec.rows, yk, 0.0)
        # regressors centred and scaled on the specification's rows: the same fit (slopes
        # rescale, t and leverages do not change) with a far better conditioned X'WX
        x = spec.x.copy()
        centre = x[spec.rows, 1:].mean(axis=0)
        spread = x[spec.rows, 1:].std(axis=0)
        x[:, 1:] = np.where(spec.rows[:, None], (x[:, 1:] - centre) / spread, 0.0)
        freq = counts * spec.rows  # (B, n): copies of each row in this specification
        wt = freq * w  # regression weight of each row
        outer = (x[:, :, None] * x[:, None, :]).reshape(len(y), p * p)
        a = (wt @ outer).reshape(n_draws, p, p)
        xty = wt @ (x * yk[:, None])
        # identified when X'WX scaled to unit diagonal is well conditioned (a column constant
        # at 0 on the drawn rows, e.g. an absent type, has a zero diagonal)
        diag = np.einsum("bii->bi", a)
        ident = (diag > 0).all(axis=1)
        root = np.sqrt(np.where(ident[:, None], diag, 1.0))
        scaled = a / (root[:, :, None] * root[:, None, :])
        eig = np.linalg.eigvalsh(np.where(ident[:, None, None], scaled, np.eye(p)))
        ident &= eig[:, 0] > resampling.EIGEN_TOL
        a_inv = np.linalg.inv(np.where(ident[:, None, None], a, np.eye(p)))
        a_inv = (a_inv + a_inv.transpose(0, 2, 1)) / 2
        coef = np.einsum("bij,bj->bi", a_inv, xty)
        resid = yk[None, :] - coef @ x.T  # (B, n)
        h = w[None, :] * (a_inv.reshape(n_draws, p * p) @ outer.T)  # (B, n) leverages
        g = np.ascontiguousarray(a_inv[:, 1, :]) @ x.T  # (B, n): size row of A^-1 times x_i
        drawn = wt > 0
        ident &= ~(drawn & (h > 1.0 - robustness._LEVERAGE_TOL)).any(axis=1)
        one_minus_h = np.where(drawn & ident[:, None], 1.0 - h, 1.0)
        var = np.sum(freq * w**2 * (resid * g / one_minus_h) ** 2, axis=1)
        # standardized as the curve does: SDs of size and outcome on the drawn rows, weighted
        # by the raking weights for a raked spec (the normalisation cancels in the ratio)
        n_rows = freq.sum(axis=1)
        ss_x = old_weighted_ss(x[:, 1], wt)
        ss_y = old_weighted_ss(yk, wt)
        with np.errstate(divide="ignore", invalid="ignore"):
            std[:, j] = coef[:, 1] * np.sqrt(ss_x / ss_y)
            t[:, j] = coef[:, 1] / np.sqrt(var)
        df[:, j] = n_rows - p
        ok[:, j] = ident & np.isfinite(t[:, j]) & np.isfinite(std[:, j]) & (n_rows > p)
    return std, t, df, ok


def old_weighted_ss(v: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sum w (v - weighted mean)^2 for each row of ``weight`` (B, n): resamples given as row
    counts, times raking weights for a raked specification. Centred first for accuracy. A
    ratio of two such sums is a ratio of (weighted) variances whatever their normalisation."""
    total = weight.sum(axis=1)
    mean = (weight @ v) / total
    dev = v[None, :] - mean[:, None]
    return np.sum(weight * dev**2, axis=1)


OLD_CHUNK_CELLS = 2_000_000


def old_inference(y: np.ndarray, specs: list, draws: int, seed: int, alpha: float) -> dict:
    """The observed curve's three statistics and the share of null curves at least as
    extreme (see the module docstring)."""
    n = len(y)
    observed = old_null_fits(y, specs, np.ones((1, n)), null=False)
    obs_median, obs_share, obs_z = (float(s[0]) for s in _curve_statistics(*observed[:3], alpha))
    rng = np.random.default_rng(seed)
    chunk = max(
        1, robustness._CHUNK_CELLS // n
    )  # draws refitted at once: bounded memory on large panels
    kept: list[tuple[np.ndarray, ...]] = []
    total = 0
    for _ in range(_MAX_ROUNDS):
        index = rng.integers(0, n, size=(draws, n))
        counts = np.bincount(
            (index + n * np.arange(draws)[:, None]).ravel(), minlength=draws * n
        ).reshape(draws, n)
        parts = [
            old_null_fits(y, specs, counts[i : i + chunk].astype("float64"))
            for i in range(0, draws, chunk)
        ]
        std, t, df, ok = (np.concatenate([part[i] for part in parts]) for i in range(4))
        good = ok.all(axis=1)
        kept.append((std[good], t[good], df[good]))
        total += int(good.sum())
        if total >= draws:
            break
    std, t, df = (np.concatenate([part[i] for part in kept])[:draws] for i in range(3))
    result: dict = {
        "draws": len(std),
        "median_std_coef": obs_median,
        "median_p": None,  # no p-value without null curves (never NaN: results.json is strict)
        "share_significant": obs_share,
        "share_significant_p": None,
        "mean_z": obs_z,
        "mean_z_p": None,
    }
    if len(std):
        median, share, mean_z = _curve_statistics(std, t, df, alpha)
        result["median_p"] = _share_at_least(np.abs(median), abs(obs_median))
        result["share_significant_p"] = _share_at_least(share, obs_share)
        result["mean_z_p"] = _share_at_least(np.abs(mean_z), abs(obs_z))
    return result


def _curve_inputs(scored: pd.DataFrame):
    frame = load_frame("epci")
    _, y, specs, _, _, _ = robustness._build(scored, frame, None, 5)
    return y, specs


@pytest.mark.parametrize(
    "name",
    ["shipped panel", pytest.param("shipped census", marks=pytest.mark.slow), "random 40"],
)
def test_null_refits_equal_the_old_ones(panels, name):
    """Every null curve of one round, draw by draw: the same identification, and the same
    standardized effects and t statistics to 1e-10."""
    y, specs = _curve_inputs(panels[name])
    n = len(y)
    index = np.random.default_rng(2025).integers(0, n, size=(300, n))
    counts = resampling.row_counts(index, n)
    old = old_null_fits(y, specs, counts)
    new = robustness._null_fits(y, specs, counts)
    np.testing.assert_array_equal(new[3], old[3])
    assert old[3].any()
    ok = old[3]
    for a, b in zip(new[:3], old[:3], strict=True):
        np.testing.assert_allclose(a[ok], b[ok], rtol=1e-10, atol=1e-12)
    observed_old = old_null_fits(y, specs, np.ones((1, n)), null=False)
    observed_new = robustness._null_fits(y, specs, np.ones((1, n)), null=False)
    for a, b in zip(observed_new, observed_old, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cells", [robustness._CHUNK_CELLS, 20_000])
@pytest.mark.parametrize(
    "name",
    [
        "shipped panel",
        pytest.param("shipped census", marks=pytest.mark.slow),
        pytest.param("random 40", marks=pytest.mark.slow),
    ],
)
def test_curve_inference_equals_the_old_one(panels, monkeypatch, name, cells):
    """The published test of the curve: the same p-values (the same null curves), the same
    observed statistics to 1e-10, in chunks of any size (several on the census with 20,000
    cells, refitted on threads)."""
    y, specs = _curve_inputs(panels[name])
    draws = 500 if name != "shipped census" else 200
    old = old_inference(y, specs, draws=draws, seed=2025, alpha=0.05)
    monkeypatch.setattr(robustness, "_CHUNK_CELLS", cells)
    new = robustness._inference(y, specs, draws=draws, seed=2025, alpha=0.05)
    assert new.keys() == old.keys()
    for key in ("draws", "median_p", "share_significant_p", "mean_z_p", "share_significant"):
        assert new[key] == old[key], key
    for key in ("median_std_coef", "mean_z"):
        assert new[key] == pytest.approx(old[key], rel=1e-10, abs=1e-12)


def test_power_curve_reuses_the_sensitivity_simulations_of_the_same_fit_only(panels):
    """A run's sensitivity and power curve share one set of simulations; another fit (another
    panel, another seed) draws its own, and the numbers are those of fresh simulations."""
    fit = fit_ols(build_design(panels["shipped panel"]))
    sensitivity_module.sensitivity(fit, seed=3)
    (first,) = sensitivity_module._LAST.values()
    refit = fit_ols(build_design(panels["shipped panel"]))  # another object, same content
    curve = sensitivity_module.power_curve(refit, [-0.3, 0.0, 0.3], seed=3)
    assert sensitivity_module._LAST[next(iter(sensitivity_module._LAST))] is first
    sensitivity_module._LAST.clear()
    fresh = sensitivity_module.power_curve(refit, [-0.3, 0.0, 0.3], seed=3)
    pd.testing.assert_frame_equal(curve, fresh)
    sensitivity_module.power_curve(fit_ols(build_design(panels["random 40"])), [0.0], seed=3)
    assert first not in sensitivity_module._LAST.values()
    sensitivity_module.power_curve(refit, [0.0], seed=4)
    assert next(iter(sensitivity_module._LAST))[2] == 4


@pytest.mark.parametrize(("seed", "n"), [(5, 25), (11, 40)])
def test_curve_inference_of_rare_panels_in_small_chunks_equals_the_old_one(
    codebook, monkeypatch, seed, n
):
    """Panels with rare categories lose draws to unidentified refits, so the null curves take
    several rounds; in chunks of 7 draws refitted on threads, they must come back in the order
    drawn for the p-values (and the draws kept) to be the old ones."""
    scored = _rare(
        score_survey(generate("random", seed=seed, n=n, with_truth=False).data, codebook)
    )
    y, specs = _curve_inputs(scored)
    old = old_inference(y, specs, draws=300, seed=7, alpha=0.05)
    monkeypatch.setattr(robustness, "_CHUNK_CELLS", 7 * len(y))
    new = robustness._inference(y, specs, draws=300, seed=7, alpha=0.05)
    for key in ("draws", "median_p", "share_significant_p", "mean_z_p", "share_significant"):
        assert new[key] == old[key], key
