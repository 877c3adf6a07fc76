"""The model's identifiability check reads its design a block of rows at a time.

``check_identifiable`` used to copy the whole n x p design, scale it to unit-norm columns and
take the QR of that copy (its n x p workspace on top): on a census of two million rows about
1.6 times the survey file at ``analyse validate``'s peak (benchmarks/validate_memory.py). The
triangular factor is now accumulated a block of rows at a time (``_spectrum``) and the
leverages made a block at a time (``_leverages``). These tests compare it with the former
implementation, kept here as the reference, on designs where the decisions are delicate:
exact and near collinearity, columns on very different scales, a constant column, a
respondent alone with a value, and block sizes that split the rows anywhere (a block smaller
than the number of columns, a last block of one row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analyse.stats.regression as regression
from analyse.data.scoring import score_survey
from analyse.data.simulate import generate
from analyse.errors import InputError
from analyse.stats.regression import (
    _COLLINEAR_TOL,
    _LEVERAGE_TOL,
    _leverages,
    _spectrum,
    check_identifiable,
)


def _former_spectrum(x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The former implementation: the whole unit-norm design, its QR, the SVD of R."""
    unit = x.to_numpy(dtype="float64", copy=True)
    norms = np.linalg.norm(unit, axis=0)
    unit /= norms
    _, s, vt = np.linalg.svd(np.linalg.qr(unit, mode="r"), full_matrices=False)
    return norms, s, vt


def _former_leverages(x: pd.DataFrame, s: np.ndarray, vt: np.ndarray) -> np.ndarray:
    unit = x.to_numpy(dtype="float64", copy=True)
    unit /= np.linalg.norm(unit, axis=0)
    u = unit @ (vt.T / s)
    return np.einsum("ij,ij->i", u, u)


def _decisions(x: pd.DataFrame, s: np.ndarray, vt: np.ndarray) -> tuple[int, list[str]]:
    """What ``check_identifiable`` decides from the spectrum: the rank deficiency and the
    columns involved in the collinearity."""
    null = vt[s < _COLLINEAR_TOL * s.max()]
    if not len(null):
        return 0, []
    weights = np.abs(null).max(axis=0)
    return len(null), [c for c, w in zip(x.columns, weights, strict=True) if w > 1e-6]


def _designs() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 203
    size = np.log(rng.lognormal(10, 1.5, n))
    budget = rng.normal(0, 1, n) * 1e-3 + 5.0  # small variance around a large mean
    lead = (rng.random(n) < 0.4).astype(float)
    strategy = (rng.random(n) < 0.6).astype(float)
    base = pd.DataFrame(
        {"Intercept": 1.0, "size": size, "budget": budget, "lead": lead, "strategy": strategy}
    )
    out = {"full rank": base}
    out["exact copy"] = base.assign(strategy=lead)
    out["combination with the constant"] = base.assign(strategy=1.0 - lead)
    out["combination of three, scales 1e6 apart"] = base.assign(
        strategy=1e6 * size - 3e-3 * budget + 2.0
    )
    out["constant column"] = base.assign(budget=7.0)
    out["two collinearities"] = base.assign(strategy=lead, budget=2 * size)
    # near collinear but identifiable: a relative perturbation far above the 1e-9 threshold
    out["near collinear, scales differ"] = base.assign(
        strategy=1e5 * size * (1 + 1e-6 * rng.normal(size=n))
    )
    # and one far below it: numerically collinear for both implementations
    out["collinear up to rounding"] = base.assign(
        strategy=1e5 * size * (1 + 1e-14 * rng.normal(size=n))
    )
    alone = np.zeros(n)
    alone[17] = 1.0
    out["one respondent alone"] = base.assign(lead=alone)
    last = np.zeros(n)
    last[-1] = 1.0
    out["the last respondent alone"] = base.assign(strategy=last)
    return out


@pytest.mark.parametrize("block", [1, 3, 7, 64, 65_536])
@pytest.mark.parametrize("name", list(_designs()))
def test_blockwise_spectrum_decides_as_the_whole_design(name, block):
    x = _designs()[name]
    norms, s, vt = _spectrum(x, block)
    norms0, s0, vt0 = _former_spectrum(x)
    np.testing.assert_allclose(norms, norms0, rtol=1e-13)
    np.testing.assert_allclose(s, s0, rtol=0, atol=1e-12 * s0.max())
    assert _decisions(x, s, vt) == _decisions(x, s0, vt0)
    if _decisions(x, s0, vt0)[0] == 0:
        # the right singular vectors, up to their signs (distinct singular values here)
        np.testing.assert_allclose(np.abs(vt @ vt0.T), np.eye(len(s)), atol=1e-8)
        leverage = _leverages(x, norms, s, vt, block)
        former = _former_leverages(x, s0, vt0)
        np.testing.assert_allclose(leverage, former, atol=1e-10)
        assert list(np.flatnonzero(leverage > 1 - _LEVERAGE_TOL)) == list(
            np.flatnonzero(former > 1 - _LEVERAGE_TOL)
        )


def test_blockwise_spectrum_against_closed_forms():
    """Known answers: orthogonal columns have singular values 1 once of unit norm; the
    leverages of a design of group dummies are 1 / the group's size."""
    n = 12
    groups = np.repeat([0, 1, 2], [2, 4, 6])
    x = pd.DataFrame({f"g{k}": (groups == k).astype(float) for k in range(3)})
    norms, s, vt = _spectrum(x, 5)
    np.testing.assert_allclose(norms, [np.sqrt(2), 2, np.sqrt(6)])
    np.testing.assert_allclose(s, 1.0)
    np.testing.assert_allclose(_leverages(x, norms, s, vt, 5), 1 / np.bincount(groups)[groups])
    assert len(x) == n


def _former_check(monkeypatch) -> None:
    """``check_identifiable`` with the former whole-design computation."""

    def spectrum(x, block=None):
        return _former_spectrum(x)

    def leverages(x, norms, s, vt, block=None):
        return _former_leverages(x, s, vt)

    monkeypatch.setattr(regression, "_spectrum", spectrum)
    monkeypatch.setattr(regression, "_leverages", leverages)


def _outcome(scored: pd.DataFrame, **kwargs) -> tuple[str, list[str]]:
    try:
        design = check_identifiable(scored, file="survey.csv", **kwargs)
    except InputError as caught:
        return "refused", [f"{p.column}: {p.message}" for p in caught.problems]
    return "fitted", list(design.X.columns)


@pytest.fixture(scope="module")
def panel(codebook) -> pd.DataFrame:
    survey = generate(design="barometre-2025", seed=5, with_truth=False).data
    return score_survey(survey, codebook)


def _cases(panel: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, dict, str]]:
    """Surveys (scored), ``check_identifiable``'s arguments and the message's start."""
    model = panel.index[panel["maturity_index"].notna()]
    collinear = panel.copy()
    collinear["strategy_adopted"] = collinear["elected_digital_lead"]
    with_constant = panel.copy()
    with_constant["strategy_adopted"] = 1 - with_constant["elected_digital_lead"]
    lone = panel.copy()
    lone["elected_digital_lead"] = 0.0
    lone.loc[model[0], "elected_digital_lead"] = 1.0
    alone_type = panel.copy()
    alone_type["collectivity_type"] = alone_type["collectivity_type"].astype("object")
    alone_type.loc[model[3], "collectivity_type"] = "EPT"
    types = {"controls": ["collectivity_type"]}
    return {
        "as generated": (panel, {}, "fitted"),
        "as generated, type control": (panel, types, "fitted"),
        "collinear 0/1 columns": (collinear, {}, "None: columns elected_digital_lead and"),
        "collinear with the constant": (with_constant, {}, "None: columns elected_digital_lead"),
        "a lone value, min_cell 1": (lone, {"min_cell": 1}, "elected_digital_lead: respondent"),
        "a type alone, min_cell 1": (
            alone_type,
            {**types, "min_cell": 1},
            "collectivity_type: respondent",
        ),
    }


CASES = [
    "as generated",
    "as generated, type control",
    "collinear 0/1 columns",
    "collinear with the constant",
    "a lone value, min_cell 1",
    "a type alone, min_cell 1",
]


@pytest.mark.parametrize("block", [2, 5, 65_536])
@pytest.mark.parametrize("case", CASES)
def test_check_identifiable_says_what_the_former_implementation_said(
    panel, monkeypatch, case, block
):
    """The same outcome and the same messages, word for word, whatever the block size."""
    scored, kwargs, start = _cases(panel)[case]
    with monkeypatch.context() as former:
        _former_check(former)
        expected = _outcome(scored, **kwargs)
    monkeypatch.setattr(regression, "_BLOCK", block)
    assert _outcome(scored, **kwargs) == expected
    status, said = expected
    assert status == "fitted" if start == "fitted" else said[0].startswith(start)
