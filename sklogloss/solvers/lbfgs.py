"""L-BFGS through :func:`scipy.optimize.minimize`."""

import numpy as np
import scipy.optimize

from ._base import Result, Solver

__all__ = ["LbfgsSolver"]


class LbfgsSolver(Solver):
    """Limited-memory BFGS (scipy's L-BFGS-B) on the smooth objective, within its bounds if it has any.

    Parameters
    ----------
    tol, max_iter, verbose
        As for every :class:`~sklogloss.solvers.Solver` (``tol`` is scipy's
        ``gtol``; ``max_iter=None``: 1000).
    memory : int, default=20
        Number of correction pairs kept.
    restarts : int, default=2
        Fresh starts (the curvature memory dropped) from where scipy stopped
        short of ``tol`` with iterations left: on an ill-conditioned
        objective its line search can stall on stale curvature pairs.

    Examples
    --------
    Each iteration needs only a gradient (two passes over X), so a sparse X
    with many columns suits it; a warm start from the solution at a
    neighbouring ``C`` (a regularisation path) saves iterations.

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import LbfgsSolver
    >>> X_csr = sp.random(200, 50, density=0.1, format="csr", random_state=0)
    >>> labels = (X_csr @ np.linspace(-2.0, 2.0, 50) > -0.1).astype(float)
    >>> solver = LbfgsSolver(tol=1e-8)
    >>> cold = solver.solve(LinearObjective(X_csr, labels, BinomialLoss(), C=10.0), np.zeros(51))
    >>> warm = solver.solve(LinearObjective(X_csr, labels, BinomialLoss(), C=11.0), cold.coef)
    >>> cold.converged and warm.converged, warm.n_iter < cold.n_iter
    (True, True)
    """

    name = "lbfgs"
    handles_nonconvex = True
    handles_bounds = True
    default_max_iter = 1000

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, memory=20, restarts=2):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.memory = memory
        self.restarts = restarts

    def solve(self, objective, coef0):
        """Minimise ``objective`` from ``coef0``."""
        self.check(objective)
        callback = None
        if self.verbose:
            count = [0]

            def callback(intermediate_result):
                count[0] += 1
                print(f"[lbfgs] iter {count[0]:4d}  objective {intermediate_result.fun:.12g}")

        bounds = objective.bounds() if "bounds" in objective.provides else None
        if bounds is not None:
            lower, upper = (np.array(side, dtype=np.float64) for side in zip(*bounds))
        x, n_iter = np.asarray(coef0, dtype=np.float64), 0
        for _ in range(1 + self.restarts):
            res = scipy.optimize.minimize(
                objective.loss_gradient, x, jac=True, method="L-BFGS-B", callback=callback, bounds=bounds,
                options={"maxiter": self.max_iter - n_iter, "gtol": self.tol, "ftol": 0.0,
                         "maxcor": self.memory, "maxls": 50},
            )
            n_iter += int(res.nit)
            jac = res.jac
            if bounds is not None:  # the projected gradient: no component pushing out of the box
                jac = np.where(res.x <= lower, np.minimum(jac, 0), np.where(res.x >= upper, np.maximum(jac, 0), jac))
            grad_max = float(np.max(np.abs(jac))) if jac.size else 0.0
            # scipy also stops on a tiny relative decrease of f; only the gradient counts here. A stop
            # short of tol with iterations left is often the curvature memory gone stale on an
            # ill-conditioned objective: a fresh start from there goes on.
            if grad_max <= self.tol or n_iter >= self.max_iter or res.nit == 0:
                break
            x = res.x
        converged = bool(grad_max <= self.tol)
        return Result(res.x, n_iter, converged, float(res.fun), grad_max, str(res.message))
