"""What a Newton solver reports on float32 data holds for the exact scores, whatever the kernels.

Products in float32 round differently with different BLAS kernels; the solvers
carry scores from step to step, and those can drift from ``X @ coef``. Here the
drift is made large and deterministic (a design whose float32 products are off
by a fixed relative error, whose float64 products are exact), so that the
check does not depend on the machine's kernels.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sklogloss.design import ArrayDesign
from sklogloss.losses import BinomialLoss
from sklogloss.objective import LinearObjective
from sklogloss.solvers import SOLVERS


class DriftingDesign(ArrayDesign):
    """float32 products off by a fixed relative error of up to ``rel``; matmul64 exact."""

    def __init__(self, X, rel, **kwargs):
        super().__init__(X, **kwargs)
        self.error = 1.0 + rel * np.random.default_rng(0).uniform(-1, 1, size=X.shape[0])

    def matmul(self, W, approximate=False):
        out = super().matmul(W, approximate=approximate)
        return out * self.error.astype(out.dtype).reshape((-1,) + (1,) * (out.ndim - 1))

    def take_rows(self, rows, dtype=None):
        return ArrayDesign(self.X[rows].astype(dtype or self.dtype), float64_sums=False)


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg"])
@pytest.mark.parametrize("rel", [1e-6, 1e-4])
def test_reported_gradient_is_the_exact_one(name, rel):
    X, y = make_classification(5000, 10, n_redundant=4, random_state=0)
    X32 = (X * np.logspace(-1, 2, 10) + 20).astype(np.float32)
    obj = LinearObjective(DriftingDesign(X32, rel), y.astype(float), BinomialLoss())
    exact = LinearObjective(X32.astype(np.float64), y.astype(float), BinomialLoss())
    res = SOLVERS[name](tol=1e-8).solve(obj, obj.zero_coef())
    true_grad = float(np.max(np.abs(exact.gradient(res.coef))))
    assert true_grad == pytest.approx(res.grad_max, rel=1e-3)
    assert res.converged == (true_grad <= 1e-8)
    # The objective reported is the one at the exact scores as well.
    assert res.objective == pytest.approx(exact.loss(res.coef), rel=1e-12)
