"""Plain full-batch gradient descent with the constant step ``1 / L``."""

import numpy as np

from ._base import Result, Solver

__all__ = ["GradientDescentSolver"]


class GradientDescentSolver(Solver):
    """Gradient descent ``coef <- coef - grad / L``, for teaching and for the implicit bias.

    ``L`` is an upper bound of the gradient's Lipschitz constant (from
    ``||X||_2^2`` and the loss's Hessian bound), the step size for which the
    textbook guarantees hold. On separable data without penalty the direction
    of ``coef`` converges to the max-margin separator (Soudry et al. 2018).

    Parameters
    ----------
    tol, max_iter, verbose
        As for every :class:`~sklogloss.solvers.Solver` (a step is two passes
        over X; ``max_iter=None``: 10000; progress every ``max_iter // 10`` steps).
    step_size : float, optional
        A constant step instead of ``1 / L``.

    Examples
    --------
    Separable data without penalty have no minimiser: the iterates grow like
    ``log(t)`` along the max-margin direction, here ``(1, 0)``, and stay
    bounded across it, while the gradient decays only like ``1 / t``.

    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import GradientDescentSolver
    >>> X_sep = np.array([[1.0, 0.0], [3.0, 2.0], [-1.0, 0.0], [-3.0, -2.0]])
    >>> separable = LinearObjective(X_sep, np.array([1.0, 1.0, 0.0, 0.0]), BinomialLoss(),
    ...                             C=np.inf, fit_intercept=False)
    >>> short, long = (GradientDescentSolver(max_iter=n).solve(separable, np.zeros(2))
    ...                for n in (100, 1000))
    >>> long.converged
    False
    >>> short.coef.round(2), long.coef.round(2)
    (array([3.36, 0.45]), array([5.65, 0.45]))
    """

    name = "gd"
    handles_nonconvex = True
    requires = frozenset({"lipschitz"})
    default_max_iter = 10000

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, step_size=None):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.step_size = step_size
        if step_size is not None:  # no Lipschitz bound needed
            self.requires = frozenset()

    def solve(self, objective, coef0):
        """Run gradient descent from ``coef0``."""
        self.check(objective)
        step = self.step_size if self.step_size is not None else 1.0 / objective.lipschitz()
        coef = np.array(coef0, dtype=np.float64)
        value, grad = objective.loss_gradient(coef)
        grad_max = float(np.max(np.abs(grad)))
        every = max(1, self.max_iter // 10)
        it = 0
        while grad_max > self.tol and it < self.max_iter:
            coef -= step * grad
            value, grad = objective.loss_gradient(coef)
            grad_max = float(np.max(np.abs(grad)))
            it += 1
            if self.verbose and it % every == 0:
                print(f"[gd] iter {it:6d}  objective {value:.12g}  max|grad| {grad_max:.3e}")
        converged = grad_max <= self.tol
        return Result(coef, it, converged, value, grad_max,
                      "gradient below tol" if converged else "maximum number of iterations reached")
