"""L-BFGS through :func:`scipy.optimize.minimize`."""

import numpy as np
import scipy.optimize

from ._base import Result, Solver

__all__ = ["LbfgsSolver"]


class LbfgsSolver(Solver):
    """Limited-memory BFGS (scipy's L-BFGS-B without bounds) on the smooth objective.

    Parameters
    ----------
    tol, max_iter, verbose
        As for every :class:`~sklogloss.solvers.Solver` (``tol`` is scipy's
        ``gtol``; ``max_iter=None``: 1000).
    memory : int, default=20
        Number of correction pairs kept.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import LbfgsSolver
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> LbfgsSolver(tol=1e-8).solve(LinearObjective(X, y, BinomialLoss()), np.zeros(2)).converged
    True
    """

    name = "lbfgs"
    default_max_iter = 1000

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, memory=20):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.memory = memory

    def solve(self, objective, coef0):
        """Minimise ``objective`` from ``coef0``."""
        self.check(objective)
        callback = None
        if self.verbose:
            count = [0]

            def callback(intermediate_result):
                count[0] += 1
                print(f"[lbfgs] iter {count[0]:4d}  objective {intermediate_result.fun:.12g}")

        res = scipy.optimize.minimize(
            objective.loss_gradient, np.asarray(coef0, dtype=np.float64), jac=True,
            method="L-BFGS-B", callback=callback,
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 0.0,
                     "maxcor": self.memory, "maxls": 50},
        )
        grad_max = float(np.max(np.abs(res.jac))) if res.jac.size else 0.0
        # scipy also stops on a tiny relative decrease of f; only the gradient counts here.
        converged = bool(grad_max <= self.tol)
        return Result(res.x, int(res.nit), converged, float(res.fun), grad_max, str(res.message))
