"""The solver contract, what every solver returns, and the shared line search.

A solver sees only an objective (:class:`~sklogloss.objective.base.Objective`)::

    Solver(tol=..., max_iter=..., verbose=...).solve(objective, coef0) -> Result

It declares the objective capabilities it needs in ``requires`` and whether it
handles an L1 term in ``handles_l1``; :meth:`Solver.check`, called first thing
in ``solve``, refuses an objective that does not provide them.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Result", "Solver", "armijo_backtracking"]

# The default relative resolution of f in armijo_backtracking.
_RESOLUTION = 16 * float(np.finfo(np.float64).eps)


class Solver:
    """Base class of the solvers: parameters, requirements and their check.

    Parameters
    ----------
    tol : float, default=1e-6
        Stop when the max-norm of the (minimum-norm sub)gradient of the
        objective is at most ``tol``.
    max_iter : int or None, default=None
        Maximum number of (outer) iterations; ``None``: the solver's
        ``default_max_iter``.
    verbose : int, default=0
        Print progress if positive.
    """

    #: The name an estimator's ``solver`` parameter takes.
    name = None
    #: Objective capabilities the solver needs (see :mod:`sklogloss.objective.base`).
    requires = frozenset()
    #: Whether the solver minimises an objective with an L1 term.
    handles_l1 = False
    #: Whether the solver reaches a stationary point of a non-convex objective
    #: (``Objective.convex`` false: indefinite curvature, no Lipschitz bound).
    handles_nonconvex = False
    #: Whether the solver honours the box constraints of an objective with the capability ``"bounds"``.
    handles_bounds = False
    #: ``max_iter=None`` means this.
    default_max_iter = 100

    def __init__(self, tol=1e-6, max_iter=None, verbose=0):
        self.tol = tol
        self.max_iter = self.default_max_iter if max_iter is None else int(max_iter)
        self.verbose = verbose

    def check(self, objective):
        """Raise ``ValueError`` unless ``objective`` provides what this solver needs."""
        missing = self.requires - objective.provides
        if missing:
            raise ValueError(f"solver {self.name!r} needs {sorted(missing)} of the objective, which "
                             f"{type(objective).__name__} does not provide; choose another solver.")
        if "bounds" in objective.provides and not self.handles_bounds:
            raise ValueError(f"solver {self.name!r} does not handle the bounds of {type(objective).__name__} "
                             "(adversarial training); use 'lbfgs'.")
        if not objective.convex and not self.handles_nonconvex:
            raise ValueError(f"solver {self.name!r} needs a convex objective; {type(objective).__name__} "
                             "is not (a focal loss): use 'newton-cholesky', 'newton-cg', 'lbfgs', 'gd' or "
                             "'fista'.")
        if objective.l1_strength > 0 and not self.handles_l1:
            raise ValueError(f"solver {self.name!r} does not handle an L1 penalty; use "
                             "'prox-newton' or 'fista'.")

    def solve(self, objective, coef0):
        """Minimise ``objective`` from ``coef0``; return a :class:`Result`."""
        raise NotImplementedError


@dataclass
class Result:
    """Outcome of a solver run.

    Attributes
    ----------
    coef : ndarray
        The final flat coefficient vector (see :mod:`sklogloss.objective`).
    n_iter : int
        Number of outer iterations taken.
    converged : bool
        Whether the stopping criterion on the (sub)gradient was met.
    objective : float
        The scaled objective ``f`` at ``coef``.
    grad_max : float
        Max-norm of the (minimum-norm sub)gradient at ``coef``.
    message : str
        Why the solver stopped.
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    objective: float = np.nan
    grad_max: float = np.nan
    message: str = ""


def armijo_backtracking(value_at, f0, slope, *, grad_l1_at=None, grad_l1=None, sigma=1e-4,
                        shrink=0.5, max_halvings=40, resolution=None, max_unresolved=4):
    """Backtracking line search along a descent direction.

    From ``t = 1``, a rejected trial is replaced by the minimiser of the
    quadratic through ``f(0)``, the slope and ``f(t)``, kept within
    ``[t / 10, shrink * t]`` (Nocedal & Wright, section 3.5); a trial whose
    value is not finite, or that the quadratic cannot place, is multiplied
    by ``shrink``.

    Parameters
    ----------
    value_at : callable
        ``t -> (f(t), state)``: the objective at step ``t`` and anything the
        caller wants back for the accepted step (e.g. raw predictions).
    f0 : float
        Objective at ``t = 0``.
    slope : float
        Directional derivative (or the proximal model decrease) at ``t = 0``;
        must be negative.
    grad_l1_at, grad_l1 : callable and float, optional
        When ``f`` stops resolving the decrease (a few ulps of ``f0``), the
        step is accepted if the l1-norm of the gradient at ``t`` is smaller
        than ``grad_l1`` (the test scikit-learn's Newton solver uses too).
    resolution : float, optional
        Relative precision of ``f``: changes below ``resolution * max(|f0|, 1)``
        count as rounding. Default ``16 * eps`` of float64; an objective
        evaluated from coarser scores resolves less.
    max_unresolved : int, default=4
        Give up after this many steps in a row whose change of ``f`` is below
        its resolution and whose gradient is no smaller: shorter steps only
        move closer to the current point (each trial costs a gradient).

    Returns
    -------
    t : float or None
        The accepted step, ``None`` if none was found. A step accepted by the
        gradient test alone (no resolvable decrease of ``f``) is returned as a
        negative number ``-t``, so that callers can notice stagnation.
    f : float
        The objective at the accepted step.
    state : object
        What ``value_at`` returned for it.
    """
    t = 1.0
    if resolution is None:
        resolution = _RESOLUTION
    eps = resolution * max(abs(f0), 1.0)
    unresolved = 0
    for _ in range(max_halvings):
        f, state = value_at(t)
        if np.isfinite(f):
            if abs(f - f0) <= eps and grad_l1_at is not None:
                # The change is below what f resolves: judge by the gradient instead.
                if grad_l1_at(t, state) < grad_l1:
                    return -t, f, state
                unresolved += 1
                if unresolved >= max_unresolved:
                    break
            elif f <= f0 + sigma * t * slope:
                return t, f, state
            else:
                unresolved = 0
        state = None  # a rejected point's state is not kept while the next one is computed
        if np.isfinite(f) and f > f0 + slope * t:
            # minimiser of the quadratic through f0, slope and f(t), kept within [t / 10, t / 2]
            t = min(max(-slope * t * t / (2.0 * (f - f0 - slope * t)), 0.1 * t), shrink * t)
        else:
            t *= shrink
    return None, f0, None
