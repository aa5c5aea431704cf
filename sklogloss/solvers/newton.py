"""Newton's method with a line search: the template, and Newton-Cholesky.

* :class:`NewtonCholeskySolver` forms the full Hessian (for the logistic loss
  the Fisher information ``X^T diag(s p (1 - p)) X``, so this is IRLS / Fisher
  scoring) and solves the Newton system by Cholesky.
* :class:`~sklogloss.solvers.NewtonCGSolver` (``newton_cg.py``) never forms
  it: truncated conjugate gradients on Hessian-vector products.

The template (:meth:`NewtonSolver.solve`) is::

    setup -> [update_gradient_hessian -> check_convergence -> inner_solve -> release -> line_search]*

and each hook says which attributes it sets. The raw predictions ``X @ coef``
are carried from one iteration to the next and along the search direction,
so that a line search costs no pass over X.
"""

from abc import ABC, abstractmethod
from contextlib import nullcontext as _no_context

import numpy as np

from ..utils._threads import single_threaded_blas
from ._base import Result, Solver, armijo_backtracking
from .curvature import (
    SampledCurvature,
    cholesky_factor,
    deflate,
    factor_solve,
    sample_rows,
    start_from_sample,
    tall_hessian_rows,
)

# SampledCurvature is importable from here as before.
__all__ = ["NewtonCholeskySolver", "NewtonSolver", "SampledCurvature"]


def _abs_max(a):
    """``max|a|`` as a float, 0 for an empty array (the ufunc's reduction: no wrapper call, which small fits feel)."""
    return float(np.maximum.reduce(np.abs(a), axis=None)) if a.size else 0.0


class NewtonSolver(Solver, ABC):
    """Base class: a damped Newton iteration on an :class:`~sklogloss.objective.base.Objective`.

    Parameters
    ----------
    tol, max_iter, verbose
        As for every :class:`~sklogloss.solvers.Solver` (``max_iter`` counts
        Newton steps; ``None``: 100).
    """

    name = "newton"

    # -- hooks ---------------------------------------------------------------
    def setup(self, objective, coef0):
        """Set ``obj``, ``coef``, ``raw`` (linear predictor), ``value`` and ``known_state``.

        ``known_state`` is what the loss computed along with ``value`` and can
        reuse at ``coef`` (see ``LinearObjective.loss_state``), ``known_grad``
        the gradient at ``coef`` if already computed: both are consumed by
        :meth:`update_gradient_hessian` and replaced whenever ``coef`` moves.
        """
        self.obj = objective
        self.coef = np.array(objective.round_coef(np.asarray(coef0, dtype=np.float64)))
        self.raw = objective.linear_predictor(self.coef)
        self.value, self.known_state = objective.loss_state(self.coef, self.raw)
        self.exact_scores = False
        self.stalls = 0
        self.rounding_step = False
        self.grad_max = np.inf
        # The gradient at ``coef`` when the line search already computed it.
        self.known_grad = None

    def rescore(self):
        """Recompute the scores of ``coef`` exactly; return True if ``grad`` then exceeds ``tol``.

        The scores are carried from step to step (``raw + t * X @ step``); in
        float64 that costs nothing in accuracy, but with a float32 X each
        product is rounded, and on badly scaled data (offset or collinear
        columns) the carried scores can drift from ``X @ coef`` by more than
        the gradient the stopping test sees. Before convergence is reported,
        the scores are recomputed in float64 arithmetic and the gradient
        checked there (two passes); the iteration goes on from them if needed.
        The same check runs before the solver gives up (a stall, a failed line
        search, ``max_iter``): what it reports holds for the exact scores.
        Nothing to check (False) unless ``objective.checks_scores``: not for
        float64 data, nor for a row sample (a start point, not a result).
        """
        obj = self.obj
        if not obj.checks_scores:
            return False
        self.raw = obj.linear_predictor(self.coef, exact=True)
        self.exact_scores = True
        self.value, self.known_state = obj.loss_state(self.coef, self.raw)
        self.grad = self.known_grad = obj.gradient(self.coef, self.raw, state=self.known_state)
        self.grad_max = _abs_max(self.grad)
        return self.grad_max > self.tol

    def gradient_at_coef(self):
        """The gradient at ``coef``: the line search's if it computed one, else a fresh one."""
        if self.known_grad is not None:
            return self.known_grad
        return self.obj.gradient(self.coef, self.raw, state=self.known_state)

    @abstractmethod
    def update_gradient_hessian(self):
        """Set ``grad`` and whatever :meth:`inner_solve` needs at ``coef``."""

    def check_convergence(self):
        """Return True when ``max|grad| <= tol``; sets ``grad_max`` and ``stalls``.

        ``stalls`` counts consecutive steps that neither resolvably decreased
        the objective nor halved ``max|grad|``: progress is then below what
        the arithmetic resolves (typically float32 data and a tol below its
        resolution).
        """
        previous = self.grad_max
        self.grad_max = _abs_max(self.grad)
        if self.rounding_step and self.grad_max > 0.5 * previous:
            self.stalls += 1
        else:
            self.stalls = 0
        return self.grad_max <= self.tol

    @abstractmethod
    def inner_solve(self):
        """Set ``step``, a descent direction (ideally ``-H^{-1} grad``)."""

    def release(self):
        """Drop what only :meth:`inner_solve` needed (per-sample arrays) before the line search."""
        self.known_state = None

    def line_search(self):
        """Move ``coef``, ``raw`` and ``value`` along ``step``; return False if stuck.

        Also sets ``known_state`` (the loss's state at the new point) and
        ``known_grad`` (its gradient, when the gradient test computed it),
        ``rounding_step`` when the step was accepted on the gradient test
        alone (the change of the objective was below its resolution), and
        ``line``: ``(coef, raw, step, raw_step, slope)`` of the search (its
        start, the direction taken, the scores' change along it and the
        slope there), for :meth:`NewtonCholeskySolver.line_search` to go on
        along the same line.
        """
        obj, step = self.obj, self.step
        slope = float(np.dot(self.grad, step))
        if not slope < 0:
            # Not a descent direction (numerical breakdown): fall back to steepest descent.
            step = -self.grad
        # The scores move by X @ step exactly when X's dtype holds step.
        step = obj.round_coef(step)
        slope = float(np.dot(self.grad, step))
        if not slope < 0:  # rounding spoilt a direction of (almost) no descent
            step = obj.round_coef(-self.grad)
            slope = float(np.dot(self.grad, step))
        raw_step = obj.linear_predictor(step)
        self.line = (self.coef, self.raw, step, raw_step, slope)

        def grad_l1_at(t, state):
            # kept for the next iteration
            state[2] = obj.gradient(state[0], state[1], state=state[3])
            return float(np.abs(state[2]).sum())

        # The scores along the step are float64 whatever X's dtype: the change
        # of f between two points of the line is resolved to float64 precision.
        t, value, state = armijo_backtracking(
            self.point_on_line, self.value, slope, grad_l1_at=grad_l1_at,
            grad_l1=float(np.add.reduce(np.abs(self.grad), axis=None)))
        if t is None:
            return False
        self.rounding_step = t < 0
        self.exact_scores = False
        self.coef, self.raw, self.known_grad, self.known_state = state
        self.value = value
        self.t = abs(t)
        return True

    def point_on_line(self, t):
        """``(value, [coef, raw, None, state])`` at ``t`` along the current ``line`` (no pass over X).

        The scores are ``raw + t * raw_step``, in float64 whatever X's dtype;
        ``state`` is the loss's there (see ``LinearObjective.loss_state``).
        """
        coef, raw, step, raw_step, _ = self.line
        c = coef + t * step
        r = raw_step * t  # raw + t * raw_step with one (n, K) allocation
        r += raw
        value, loss_state = self.obj.loss_state(c, r)
        return value, [c, r, None, loss_state]

    # -- driver --------------------------------------------------------------
    def solve(self, objective, coef0):
        """Minimise ``objective`` from ``coef0``; return a :class:`~sklogloss.solvers.Result`."""
        self.check(objective)
        self.setup(objective, coef0)
        converged, message, it = False, "maximum number of iterations reached", 0
        for it in range(self.max_iter + 1):
            self.update_gradient_hessian()
            if self.check_convergence():
                if not self.rescore():
                    converged, message = True, "gradient below tol"
                    break
                # The carried scores had drifted from X @ coef: go on from the exact ones.
                self.update_gradient_hessian()
                self.check_convergence()
            if it == self.max_iter:
                break
            stuck = None
            if self.stalls >= 3:
                stuck = "no progress at machine precision (the objective and gradient no longer shrink)"
            else:
                self.inner_solve()
                self.release()
                if not self.line_search():
                    stuck = "line search found no decrease (objective at machine precision)"
            if stuck is not None:
                if self.exact_scores or not self.obj.checks_scores:
                    # Stuck after the gradient test passed (a refinement of check_convergence
                    # beyond what the arithmetic resolves): the gradient criterion holds.
                    converged = self.grad_max <= self.tol
                    message = "gradient below tol" if converged else stuck
                    break
                # Drifted scores can stall a search: go on from the exact ones.
                if not self.rescore():
                    converged, message = True, "gradient below tol"
                    break
                self.stalls = 0
                continue
            if self.verbose:
                print(f"[{self.name}] iter {it + 1:3d}  objective {self.value:.12g}  "
                      f"max|grad| {self.grad_max:.3e}  step {self.t:.3g}")
        if not converged and not self.exact_scores and self.obj.checks_scores:
            # Report what holds for the exact scores.
            if not self.rescore():
                converged, message = True, "gradient below tol"
        return Result(self.coef, it, converged, self.value, self.grad_max, message)


class NewtonCholeskySolver(NewtonSolver):
    """Newton with the full Hessian and a Cholesky solve (IRLS / Fisher scoring).

    Each iteration costs one weighted Gram matrix ``X^T D X`` (a symmetric
    rank-k update, block by block) and one gradient pass. Directions along
    which the objective is flat by construction (its ``null_space()``, e.g.
    the common shift of all multinomial intercepts) are removed from the
    system by adding the projector onto them, which makes it definite
    without changing the step. If the Hessian is numerically singular for
    another reason (separable data without penalty), the step is taken in
    the range of the Hessian through its eigendecomposition. On a non-convex
    objective (``Objective.convex`` false: a focal loss) a Hessian that is not
    positive definite is replaced by its eigenvalues' absolute values, floored
    at ``sqrt(eps)`` times the largest (a descent step, followed by the same
    line search); the iteration stops at a stationary point.

    The Hessian (and its factorisation) is kept for the next step while the
    step it gave was a unit step that reduced ``max|grad|`` at least
    ``1 / reuse_ratio``-fold: near the optimum the curvature barely moves,
    and a step on the last Hessian costs a gradient where a new one costs a
    weighted Gram matrix. Otherwise, and after any shorter step, the next
    step forms a new one. The iteration converges to the same point, and as
    closely (see :meth:`check_convergence`). On small problems, where a
    Hessian costs less than the rest of a step (``n_samples * size**2``
    below ``reuse_min_work``), every step forms one: a kept Hessian's linear
    convergence would take more steps than the Hessians it saves.

    Parameters
    ----------
    tol, max_iter, verbose
        As for :class:`NewtonSolver`.
    hessian_rows : "auto", int or None, default="auto"
        Rows of the Hessian on tall data (see
        :func:`~sklogloss.solvers.curvature.tall_hessian_rows`).
    random_state : int, default=0
        Seed of the row sample.
    reuse_ratio : float in [0, 1), default=0.1
        Keep the Hessian while each step on it reduces ``max|grad|`` to at
        most this fraction; 0 forms a new Hessian at every step and stops on
        the gradient alone (the classical iteration, without the memory).
        Only for a convex objective with its full Hessian (not on a row
        sample, whose estimate is corrected by BFGS).
    reuse_min_work : float, default=5e6
        Keep a Hessian formed in this fit only when ``n_samples * size**2``
        (the multiply-adds of the weighted Gram matrix, up to a constant) is
        at least this. Below it a Hessian costs less than a step's gradient,
        line search and Python (a few hundred microseconds), and the
        classical iteration takes fewer steps. A Hessian carried in by
        ``memory`` is used whatever the size.
    extrapolate : float in [0, 1), default=0.25
        Go past an accepted unit step while the slope there is more than
        this share of the slope at the start (see :meth:`line_search`); 0
        never does (the classical search).
    memory : HessianMemory or None, default=None
        Start from the Hessian a previous fit of the same data left in it
        (carried to this objective's ``C``), and leave the last one formed
        in it (see :class:`~sklogloss.solvers.curvature.HessianMemory`).
    memory_key : hashable, default=0
        Which of the memory's Hessians is this problem's.

    Examples
    --------
    The unpenalised maximum-likelihood fit on a binary feature, whose
    solution is known in closed form: the intercept is ``logit(1/4) =
    -log 3`` (the positive share where the feature is 0) and the slope
    ``logit(3/4) - logit(1/4) = 2 log 3``. Exact Newton steps reach it to
    ``tol=1e-12``.

    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import NewtonCholeskySolver
    >>> indicator = np.repeat([[0.0], [1.0]], 4, axis=0)
    >>> outcome = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    >>> mle = LinearObjective(indicator, outcome, BinomialLoss(), C=np.inf)
    >>> res = NewtonCholeskySolver(tol=1e-12).solve(mle, np.zeros(2))
    >>> res.converged, bool(np.allclose(res.coef, [2 * np.log(3), -np.log(3)]))
    (True, True)
    """

    name = "newton-cholesky"
    handles_nonconvex = True
    #: Steps at most that :meth:`check_convergence` adds for the Newton correction.
    max_refinements = 3
    requires = frozenset({"hessian"})

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, hessian_rows="auto", random_state=0, reuse_ratio=0.1,
                 memory=None, memory_key=0, reuse_min_work=5e6, extrapolate=0.25):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.hessian_rows = hessian_rows
        self.random_state = random_state
        if not 0 <= reuse_ratio < 1:
            raise ValueError(f"reuse_ratio must be in [0, 1); got {reuse_ratio!r}.")
        self.reuse_ratio = float(reuse_ratio)
        if not reuse_min_work >= 0:
            raise ValueError(f"reuse_min_work must be a number >= 0; got {reuse_min_work!r}.")
        self.reuse_min_work = float(reuse_min_work)
        if not 0 <= extrapolate < 1:
            raise ValueError(f"extrapolate must be in [0, 1); got {extrapolate!r}.")
        self.extrapolate = float(extrapolate)
        self.memory = memory
        self.memory_key = memory_key
        #: Hessians formed by the last solve (not counting a carried one).
        self.n_hessians = 0

    def setup(self, objective, coef0):
        """Also set ``null_basis`` (the objective's ``null_space()``, possibly empty)
        and ``hess_obj``, the objective (or row subset of it) the Hessian comes from.

        With a row sample, the problem restricted to the sample is solved first
        (full Newton on the sample, see
        :func:`~sklogloss.solvers.curvature.start_from_sample`) and its solution replaces a
        cold ``coef0`` (all weights zero), or a warm one if the full objective
        is lower there: a start within the sampling error of the optimum, for
        the cost of about one full iteration.
        """
        n = objective.n_samples
        m = tall_hessian_rows(self.hessian_rows, n, objective.size)
        self.hess_obj = objective
        if m < n and "row_subset" in objective.provides:
            self.hess_obj = sample_rows(objective, m, self.random_state)
            self.curvature = SampledCurvature(self.hess_obj)
            coef0 = start_from_sample(self, objective, self.hess_obj, coef0)
        super().setup(objective, coef0)
        self.null_basis = objective.null_space()
        # Fewer rows than coefficients: each step through the n x n system (see inner_solve).
        self.rows = (self.hess_obj is objective and objective.convex and "row_newton" in objective.provides
                     and objective.n_samples < objective.size and not self.null_basis.shape[1])
        self.row_step = False  # whether the last step came from the n x n system
        self.pending_step = None  # a row step computed by check_convergence, for inner_solve
        # Reuse (and the memory) only where the Hessian is the full problem's and the objective convex.
        self.lazy = (self.hess_obj is objective and objective.convex and self.reuse_ratio > 0
                     and not self.rows)
        # Whether a Hessian formed here may be kept (a carried one always may).
        self.reuse_formed = self.lazy and objective.n_samples * float(objective.size) ** 2 >= self.reuse_min_work
        self.hessian, self.factor, self.t, self.n_hessians, self.hessian_coef = None, None, 1.0, 0, None
        self.keep = False
        self.refinements, self.refined_from = 0, None
        if self.lazy and self.memory is not None:
            self.hessian = self.memory.recall(objective, self.memory_key)
            if self.hessian is not None:
                self._factorise()
                if self.factor is None:
                    self.hessian = None

    def update_gradient_hessian(self):
        """Set ``grad`` and ``keep`` (whether the next step may use the last Hessian).

        The Hessian waits for :meth:`inner_solve`: none is formed at the solution.
        """
        self.grad = self.gradient_at_coef()
        if self.hess_obj is not self.obj:
            self.hessian = self.curvature.update(self.coef, self.grad)
            return
        gmax = _abs_max(self.grad)
        # A good unit step on this Hessian: reduced max|grad| at least 1 / reuse_ratio-fold
        # (a carried Hessian, before any step, counts as good).
        self.keep = (self.lazy and self.factor is not None and self.t == 1 and not self.rounding_step
                     and gmax <= self.reuse_ratio * self.grad_max
                     and (self.reuse_formed or self.n_hessians == 0))

    def line_search(self):
        """The Armijo search from a unit step, then past it while the objective still falls steeply.

        Far from the optimum (unscaled features, weights that must grow)
        Newton's unit step often stops well short of the minimum along its
        direction: the slope there is still a large share of the slope at
        the start. When it is more than ``extrapolate`` (a quarter) of it,
        the search goes on along the same line by secant steps on the slope
        (at most four, each at most four times the last), for as long as
        the objective falls, until the slope is within that share. Each
        trial costs a loss and a slope from the scores already carried
        (:meth:`~sklogloss.objective.LinearObjective.line_derivative`), no
        pass over X: a step saved costs a Hessian. Near the optimum the unit
        step is Newton's and its slope vanishes, so the quadratic
        convergence is untouched. Only with the exact Hessian of a convex
        objective that provides ``"line_derivative"``, and after a step
        solved by Cholesky (not the pseudo-inverse step of a singular
        Hessian: separable data, whose weights grow without a minimum along
        the line).

        After the exact Newton step at this point (a Hessian formed here, or
        the ``n x n`` system) the slope at the unit step is first estimated
        from the values alone: the curvature along the step at its start is
        ``-slope`` (``step^T H step = -grad^T step``), and the cubic through
        the start's value, slope and curvature and the unit step's value has
        slope ``3 (f(1) - f(0) - slope / 2)`` at 1. Where that is less than
        half the share ``extrapolate`` of the start's slope (the quadratic
        convergence phase, where it is about 0), no slope is computed.
        """
        start_value = self.value
        if not super().line_search():
            return False
        if not (self.t == 1 and not self.rounding_step and self.extrapolate > 0 and self.hess_obj is self.obj
                and (self.factor is not None or self.row_step) and self.obj.convex
                and "line_derivative" in self.obj.provides):
            return True
        obj = self.obj
        start, _, step, raw_step, slope = self.line
        if (self.row_step or self.hessian_coef is start) and \
                not self.unit_slope_estimate(start_value, self.value, slope) < 0.5 * self.extrapolate * slope:
            return True
        d1 = obj.line_derivative(self.coef, step, self.raw, raw_step, state=self.known_state)
        if not d1 < self.extrapolate * slope:
            return True
        (t0, d0), (t1, d1) = (0.0, slope), (1.0, d1)
        best_t, best_value, best = 1.0, self.value, None
        for _ in range(4):
            t2 = min(t1 - d1 * (t1 - t0) / (d1 - d0), 4 * t1) if d1 > d0 else 4 * t1
            value, (c, r, _, state) = self.point_on_line(t2)
            if not value < best_value:
                break
            best_t, best_value, best = t2, value, (c, r, state)
            d2 = obj.line_derivative(c, step, r, raw_step, state=state)
            if abs(d2) <= -self.extrapolate * slope:
                break
            (t0, d0), (t1, d1) = (t1, d1), (t2, d2)
        if best is not None:
            self.coef, self.raw, self.known_state = best
            self.value, self.known_grad, self.t = best_value, None, best_t
        return True

    @staticmethod
    def unit_slope_estimate(value0, value1, slope):
        """The slope at the unit step of an exact Newton step, from the values at 0 and 1 and the slope at 0.

        The curvature along a Newton step ``s = -H^{-1} g`` at its start is
        ``s^T H s = -g^T s = -slope``; the cubic with that value, slope and
        curvature at 0 and ``value1`` at 1 has slope ``3 (value1 - value0 -
        slope / 2)`` at 1 (0 on a quadratic). See :meth:`line_search`.

        Examples
        --------
        >>> from sklogloss.solvers import NewtonCholeskySolver
        >>> f = lambda t: (t - 1) ** 2 + 0.1 * t ** 3  # slope -2 and curvature 2 at 0
        >>> round(NewtonCholeskySolver.unit_slope_estimate(f(0), f(1), -2.0), 12)  # f'(1) = 0.3
        0.3
        """
        return 3.0 * (value1 - value0 - 0.5 * slope)

    def _factorise(self):
        """Set ``factor``: the Cholesky factor of the deflated Hessian, or None if it is not definite."""
        with single_threaded_blas():
            self.factor = cholesky_factor(deflate(self.hessian, self.null_basis))

    def _projected(self, g):
        N = self.null_basis
        return g - N @ (N.T @ g) if N.shape[1] else g  # see deflate: g is orthogonal to N up to rounding

    def check_convergence(self):
        """``max|grad| <= tol`` and, with a factor at hand, ``max|H^{-1} grad| <= tol / 10``.

        A gradient below ``tol`` leaves the coefficients within about ``tol``
        over the smallest curvature of the optimum. The Newton correction
        ``H^{-1} grad`` on the last factor (no pass over X) estimates that
        distance; while it exceeds ``tol / 10`` the iteration goes on, on the
        same Hessian, for at most ``max_refinements`` steps (then the
        gradient alone decides: on separable data without penalty the
        correction does not shrink); a refinement that raises ``max|grad|``
        (the arithmetic's floor) is undone. Within a fit the quadratic
        convergence of Newton's method usually meets both at once; the
        correction matters after a step on an earlier Hessian, whose
        convergence is linear. Through the ``n x n`` system (see
        :meth:`inner_solve`) the correction is the exact Newton step at
        ``coef``, which the next iteration then takes without computing it
        again: it matters where the penalty is weak, the curvature along the
        ``p - n`` directions that X does not see is the L2 strength alone,
        and a gradient below ``tol`` leaves the coefficients far from the
        optimum along them.
        """
        converged = super().check_convergence()
        before = self.refined_from
        if before is not None and self.grad_max > before[-1]:
            # The refinement raised max|grad|: below what the arithmetic resolves. The point
            # before it met the gradient test; go back there.
            self.coef, self.raw, self.value, self.known_state, self.grad, self.grad_max = before
            self.known_grad, self.refined_from = self.grad, None
            return True
        self.pending_step = None
        if converged and self.refinements < self.max_refinements and (
                (self.lazy and self.factor is not None) or self.rows):
            if self.rows:  # the exact correction, which is the next step
                correction = self.pending_step = self._row_newton_step()
            else:
                with single_threaded_blas():
                    correction = factor_solve(self.factor, self._projected(self.grad))
            if correction is not None and _abs_max(correction) > 0.1 * self.tol:
                self.keep = self.lazy
                self.refinements += 1
                self.refined_from = (self.coef, self.raw, self.value, self.known_state, self.grad, self.grad_max)
                return False
        self.refined_from = None
        return converged

    def _row_newton_step(self):
        """``-H^{-1} grad`` at ``coef`` through the ``n x n`` system (None where ``newton_step_rows`` is)."""
        with single_threaded_blas() if self.obj.n_samples <= 400 else _no_context():
            return self.obj.newton_step_rows(self.coef, self.grad, self.raw)

    def inner_solve(self):
        """The Newton step: on the Hessian (formed, kept or sampled), or through the ``n x n`` system.

        With fewer rows than coefficients (an objective with ``"row_newton"``,
        a dense float64 X: :meth:`~sklogloss.objective.LinearObjective.newton_step_rows`)
        the exact step costs a factor of ``n x n`` and two passes over X
        instead of the ``(size, size)`` Hessian; no Hessian is then kept (each
        step is a new factor). Only where the loss's curvature is negative
        somewhere (``newton_step_rows`` gives None) is the step taken on the
        Hessian.
        """
        self.row_step = False
        if self.rows:
            step = self.pending_step if self.pending_step is not None else self._row_newton_step()
            if step is not None:
                self.step, self.row_step, self.factor = step, True, None
                return
        if self.hess_obj is self.obj:
            if not self.keep:
                self.hessian = self.factor = None
        else:  # the row sample's estimate (see SampledCurvature): factorised at every step
            self.factor = None
        if self.hessian is None:
            self.hessian = self.obj.gradient_hessian(self.coef, self.raw, gradient=False, state=self.known_state)[1]
            self.hessian_coef = self.coef  # where it was formed
            self.n_hessians += 1
            if self.lazy and self.memory is not None:
                self.memory.store(self.hessian, self.obj, self.memory_key)
        g = self._projected(self.grad)
        if self.factor is None:
            self._factorise()
        step = None
        if self.factor is not None:
            with single_threaded_blas():
                step = factor_solve(self.factor, -g)
        if step is None:
            H = deflate(self.hessian, self.null_basis)
            step = _pseudo_newton_step(H, g) if self.obj.convex else _modified_newton_step(H, g)
            self.factor = None  # (not kept: the next step forms a new Hessian)
        self.step = step


def _modified_newton_step(H, g):
    """``-|H|^{-1} g`` with eigenvalues ``max(|lambda|, sqrt(eps) max|lambda|)``: a descent step where H is indefinite.

    The eigenvalue modification of Nocedal & Wright (section 3.4) with absolute
    values (the saddle-free Newton step): along directions of negative
    curvature the step goes downhill with the curvature's magnitude as its
    scale, elsewhere it is Newton's step.
    """
    evals, evecs = np.linalg.eigh(H)
    scale = max(float(np.abs(evals).max(initial=0.0)), np.finfo(float).tiny)
    modified = np.maximum(np.abs(evals), np.sqrt(np.finfo(float).eps) * scale)
    step = -(evecs @ ((evecs.T @ g) / modified))
    return step if np.all(np.isfinite(step)) else -g


def _pseudo_newton_step(H, g):
    """``-H^+ g`` restricted to eigenvalues above a relative floor."""
    evals, evecs = np.linalg.eigh(H)
    floor = max(evals.max(initial=0.0), np.finfo(float).tiny) * 1e-12
    keep = evals > floor
    coords = evecs[:, keep].T @ g
    step = -(evecs[:, keep] @ (coords / evals[keep]))
    if not np.any(keep) or not np.all(np.isfinite(step)):
        step = -g
    return step
