"""Solver policy: which solver ``solver="auto"`` picks, in one place.

The estimators resolve their ``solver`` parameter here; the thresholds are
constants of this module so that every estimator uses the same ones.
"""

__all__ = ["HESSIAN_FREE_WIDTH", "MAX_DENSE_HESSIAN", "ROW_NEWTON_RATIO", "SMALL_FULL_HESSIAN", "select_solver"]

#: Above this many coefficients per problem, ``solver="auto"`` does not form Hessians,
#: and Newton-CG is not preconditioned by a sampled Hessian.
MAX_DENSE_HESSIAN = 1500

#: A single-output Newton-Cholesky step costs ``n p^2 + p^3 / 3`` multiply-adds (the Gram
#: matrix and its factor, at BLAS-3 speed), a Hessian-vector product ``2 n p`` at a few times
#: less, and Newton-CG makes 10 to 25 of them a step: with ``p + p^2 / (3 n)`` above this
#: (a wide X, p close to n or above it) ``solver="auto"`` picks Newton-CG. Measured on dense
#: designs, Newton-Cholesky against Newton-CG: 200 x 500 54 ms against 10 ms, 2,000 x 1,000
#: 384 against 253, 5,000 x 300 43 against 55 (docs/performance.rst).
HESSIAN_FREE_WIDTH = 500

#: With fewer rows than coefficients, Newton-Cholesky's exact step goes through an ``n x n``
#: system (``LinearObjective.newton_step_rows``: ``X X^T`` once, then a factor of ``n^3 / 3``
#: multiply-adds and two passes over X a step). ``solver="auto"`` picks it for a single
#: output while ``n_samples^2 <= ROW_NEWTON_RATIO * n_coef``. Against Newton-CG (C = 1,
#: medians of 3 to 5 interleaved fits): 150 x 5,000 15 ms against 38, 300 x 1,000 15.7 against
#: 17.7, 500 x 3,000 45 against 80, 700 x 5,000 114 against 196; about even at n^2 / p of 150
#: to 250 (300 x 600, 700 x 2,000), behind above (500 x 1,000 31 against 21, 1,000 x 3,000 200
#: against 167). See docs/performance.rst.
ROW_NEWTON_RATIO = 120

#: A multi-output Hessian costs about ``n_samples * n_coef^2`` flops; below this
#: (a few milliseconds) ``solver="auto"`` forms it at every step (Newton-Cholesky:
#: wine, iris), above it Newton-CG saves its cost.
SMALL_FULL_HESSIAN = 5e7


def select_solver(solver, l1_ratio, n_coef, n_outputs=1, n_samples=None, convex=True, row_newton=False):
    """Resolve ``solver="auto"`` and check that the choice supports the penalty.

    The rule: with an L1 term, proximal Newton while the Hessian is small
    (``n_coef <= MAX_DENSE_HESSIAN``) or the model has a single output (its
    models then live on working sets, see
    :class:`~sklogloss.solvers.ProxNewtonSolver`), else FISTA. Without one, Newton-Cholesky
    for a single output under the same bound while ``n_coef + n_coef^2 / (3 n_samples)``
    is at most ``HESSIAN_FREE_WIDTH`` (a step's Gram matrix and factor cost less than the
    Hessian-vector products Newton-CG would make instead), else Newton-CG: for ``K``
    outputs the full Hessian costs ``K (K + 1) / 2`` weighted Gram matrices,
    and Newton-CG preconditioned by a Hessian on a row sample reaches the
    same steps for a fraction of that (see :class:`~sklogloss.solvers.NewtonCGSolver`),
    unless that Hessian is cheap anyway (``n_samples * n_coef^2 <=
    SMALL_FULL_HESSIAN``: small data, where each step's Python overhead
    outweighs its arithmetic and exact Newton takes the fewest steps).

    With fewer rows than coefficients and an objective that offers the Newton
    step through the ``n x n`` system (``row_newton``: one output, an L2
    term, a dense float64 X), Newton-Cholesky (which then takes that step)
    while ``n_samples^2 <= ROW_NEWTON_RATIO * n_coef``, whatever the width.

    A non-convex objective (``convex=False``: a focal loss) gets
    Newton-Cholesky under the same bounds but whatever the width of X (its
    step modified where the Hessian is indefinite), else L-BFGS; with an L1 term, FISTA (proximal
    Newton's coordinate descent needs a convex model and refuses it).

    Parameters
    ----------
    solver : str
        ``"auto"`` or a name of :data:`sklogloss.solvers.SOLVERS`.
    l1_ratio : float
        Share of the L1 term in the penalty.
    n_coef : int
        Coefficients per problem (``n_outputs * (n_features + fit_intercept)``).
    n_outputs : int, default=1
        Raw outputs per sample.
    n_samples : int, default=None
        Rows of the data (``None``: unknown, as if large).
    convex : bool, default=True
        Whether the smooth objective is convex (``Objective.convex``).
    row_newton : bool, default=False
        Whether the objective provides ``"row_newton"``
        (:meth:`~sklogloss.objective.LinearObjective.newton_step_rows`).

    Returns
    -------
    str
        The solver's name.

    Examples
    --------
    >>> from sklogloss.solvers import select_solver
    >>> select_solver("auto", 0.0, 101), select_solver("auto", 1.0, 5000, n_outputs=3)
    ('newton-cholesky', 'fista')
    >>> select_solver("auto", 0.0, 42, n_outputs=3, n_samples=178)  # wine
    'newton-cholesky'
    >>> select_solver("auto", 0.0, 650, n_outputs=10, n_samples=1797)  # digits
    'newton-cg'
    >>> select_solver("auto", 0.0, 5000, convex=False)  # a focal loss on many features
    'lbfgs'
    >>> select_solver("auto", 0.0, 501, n_samples=200), select_solver("auto", 0.0, 301, n_samples=5000)
    ('newton-cg', 'newton-cholesky')
    >>> select_solver("auto", 0.0, 3001, n_samples=200, row_newton=True)  # a wide dense X, few rows
    'newton-cholesky'
    >>> select_solver("auto", 0.0, 1001, n_samples=500, row_newton=True)  # n^2 / p of 250: products
    'newton-cg'
    """
    from . import SOLVERS

    if solver == "auto":
        small = n_coef <= MAX_DENSE_HESSIAN
        if l1_ratio > 0:
            return "prox-newton" if convex and (small or n_outputs == 1) else "fista"
        if (row_newton and convex and n_outputs == 1 and n_samples is not None and n_samples < n_coef
                and float(n_samples) ** 2 <= ROW_NEWTON_RATIO * n_coef):
            return "newton-cholesky"
        cheap = n_samples is not None and n_samples * float(n_coef) ** 2 <= SMALL_FULL_HESSIAN
        narrow = n_coef + (0.0 if n_samples is None else n_coef ** 2 / (3.0 * max(n_samples, 1))) \
            <= HESSIAN_FREE_WIDTH
        if small and ((n_outputs == 1 and (narrow or not convex)) or cheap):
            return "newton-cholesky"
        return "newton-cg" if convex else "lbfgs"
    if not convex and not SOLVERS[solver].handles_nonconvex:
        ok = sorted(name for name, cls in SOLVERS.items() if cls.handles_nonconvex)
        raise ValueError(f"solver={solver!r} needs a convex objective; a focal loss with focal_gamma > 0 "
                         f"is not. Use one of {ok} or solver='auto'.")
    if l1_ratio > 0 and not SOLVERS[solver].handles_l1:
        l1 = sorted(name for name, cls in SOLVERS.items() if cls.handles_l1)
        raise ValueError(
            f"solver={solver!r} does not support an L1 penalty (l1_ratio={l1_ratio}); use one of "
            f"{l1} or solver='auto'.")
    return solver
