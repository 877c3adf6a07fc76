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
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.paths import data_dir
from analyse.stats import importance
from analyse.stats import sensitivity as sensitivity_module
from analyse.stats.importance import _batched_r2, _positions, _shapley, _subsets
from analyse.stats.regression import Design, build_design, fit_ols

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
        moments = importance._moments(design, importance._counts(rows, len(design.y)))
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
