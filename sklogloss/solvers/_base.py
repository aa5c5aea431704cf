"""What every solver returns, and the shared line search."""

from dataclasses import dataclass, field

import numpy as np

from ..utils._threads import single_threaded_blas

__all__ = ["Result", "armijo_backtracking", "single_threaded_blas"]


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
    history: list = field(default_factory=list, repr=False)


def armijo_backtracking(value_at, f0, slope, *, grad_l1_at=None, grad_l1=None, sigma=1e-4,
                        shrink=0.5, max_halvings=40, resolution=None, max_unresolved=4):
    """Backtracking line search along a descent direction.

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
        resolution = 16 * np.finfo(np.float64).eps
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
        t *= shrink
    return None, f0, None
