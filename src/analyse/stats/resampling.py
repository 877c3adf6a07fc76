"""What every bootstrap of this package shares: resamples as row counts, and the rank check.

A bootstrap resample of n rows is held as how often each row is drawn (``row_counts``), so
that its cross-products are one matrix product with the rows' distinct products, whatever n
(LMG bootstrap, the specification curve's null curves, the estimands of size). A resample
whose design is not of full rank (a category not drawn) is left out (``full_rank``).
"""

from __future__ import annotations

import numpy as np

EIGEN_TOL = 1e-10  # smallest eigenvalue of a resample's scaled X'WX deemed non-zero


def row_counts(index: np.ndarray, n: int) -> np.ndarray:
    """How often each of the ``n`` rows is drawn in each resample of ``index`` (B, m): (B, n),
    as floats for the matrix products that follow."""
    b = len(index)
    flat = (index + n * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype("float64")


def full_rank(gram: np.ndarray) -> np.ndarray:
    """Which of the (B, q, q) cross-product matrices X'WX are of full rank.

    Checked on the matrix scaled to unit diagonal: full rank when its smallest eigenvalue
    exceeds ``EIGEN_TOL``. A regressor constant on the drawn rows, or type dummies that add up
    to the intercept (the reference type not drawn), make it singular up to rounding (about
    1e-15); a column at 0 on every drawn row has a zero diagonal. The rule is deliberately
    stricter than ``matrix_rank``'s tolerance: a design full rank only numerically (a condition
    number over about 1e5) is dropped like a singular one, as its coefficients would be
    rounding noise.
    """
    diag = np.einsum("bii->bi", gram)
    ok = (diag > 0).all(axis=1)
    root = np.sqrt(np.where(ok[:, None], diag, 1.0))
    scaled = gram / (root[:, :, None] * root[:, None, :])
    eig = np.linalg.eigvalsh(np.where(ok[:, None, None], scaled, np.eye(gram.shape[1])))
    return ok & (eig[:, 0] > EIGEN_TOL)
