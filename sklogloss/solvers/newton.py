"""Newton's method with a line search, in two flavours.

* :class:`NewtonCholeskySolver` forms the full Hessian (for the logistic loss
  the Fisher information ``X^T diag(s p (1 - p)) X``, so this is IRLS / Fisher
  scoring) and solves the Newton system by Cholesky.
* :class:`NewtonCGSolver` never forms it: truncated conjugate gradients on
  Hessian-vector products, two passes over X each.

The template (:meth:`NewtonSolver.solve`) is::

    setup -> [update_gradient_hessian -> check_convergence -> inner_solve -> release -> line_search]*

and each hook says which attributes it sets. The raw predictions ``X @ coef``
are carried from one iteration to the next and along the search direction,
so that a line search costs no pass over X.
"""

from abc import ABC, abstractmethod

import numpy as np
import scipy.linalg

from ._base import Result, armijo_backtracking, single_threaded_blas

__all__ = ["NewtonCGSolver", "NewtonCholeskySolver", "NewtonSolver"]


class NewtonSolver(ABC):
    """Base class: a damped Newton iteration on a :class:`~sklogloss.objective.LinearObjective`.

    Parameters
    ----------
    tol : float
        Stop when ``max|gradient|`` of the scaled objective is at most ``tol``.
    max_iter : int
        Maximum number of Newton steps.
    verbose : int
        Print one line per iteration if positive.
    """

    name = "newton"

    def __init__(self, tol=1e-6, max_iter=100, verbose=0):
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    # -- hooks ---------------------------------------------------------------
    def setup(self, objective, coef0):
        """Set ``obj``, ``coef``, ``raw`` (linear predictor), ``value`` and ``known_state``.

        ``known_state`` is what the loss computed along with ``value`` and can
        reuse at ``coef`` (see ``LinearObjective.loss_state``), ``known_grad``
        the gradient at ``coef`` if already computed: both are consumed by
        :meth:`update_gradient_hessian` and replaced whenever ``coef`` moves.
        """
        self.obj = objective
        coef0 = np.asarray(coef0, dtype=np.float64)
        self.coef = np.array(objective.round_coef(coef0) if hasattr(objective, "round_coef") else coef0)
        self.raw = objective.linear_predictor(self.coef)
        self.value, self.known_state = self._loss_state(self.coef, self.raw)
        self.stalls = 0
        self.rounding_step = False
        self.grad_max = np.inf
        # The gradient at ``coef`` when the line search already computed it.
        self.known_grad = None

    def _loss_state(self, coef, raw):
        """The objective's value at ``(coef, raw)`` and the loss's reusable state there (or None).

        See ``LinearObjective.loss_state``: the multinomial's probabilities,
        computed with the value, spare the gradient at the same point its softmax.
        """
        loss_state = getattr(self.obj, "loss_state", None)
        return (self.obj.loss(coef, raw), None) if loss_state is None else loss_state(coef, raw)

    @staticmethod
    def _state_kw(state):
        return {} if state is None else {"state": state}

    def rescore(self):
        """Recompute the scores of ``coef`` exactly; return True if ``grad`` then exceeds ``tol``.

        The scores are carried from step to step (``raw + t * X @ step``); in
        float64 that costs nothing in accuracy, but with a float32 X each
        product is rounded, and on badly scaled data (offset or collinear
        columns) the carried scores can drift from ``X @ coef`` by more than
        the gradient the stopping test sees. Before convergence is reported,
        the scores are recomputed in float64 arithmetic and the gradient
        checked there (two passes); the iteration goes on from them if needed.
        """
        obj, design = self.obj, self.obj.design
        # Nothing to check for float64 data, nor for a row sample whose sums are
        # float32 by design (float64_sums=False: a start point, not a result).
        if (getattr(design, "dtype", np.float64) == np.float64 or not hasattr(design, "matmul64")
                or not getattr(design, "float64_sums", True)):
            return False
        self.raw = obj.linear_predictor(self.coef, exact=True)
        self.value, self.known_state = self._loss_state(self.coef, self.raw)
        self.grad = self.known_grad = obj.gradient(self.coef, self.raw, **self._state_kw(self.known_state))
        self.grad_max = float(np.max(np.abs(self.grad), initial=0.0))
        return self.grad_max > self.tol

    def gradient_at_coef(self):
        """The gradient at ``coef``: the line search's if it computed one, else a fresh one."""
        if self.known_grad is not None:
            return self.known_grad
        return self.obj.gradient(self.coef, self.raw, **self._state_kw(self.known_state))

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
        self.grad_max = float(np.max(np.abs(self.grad))) if self.grad.size else 0.0
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
        ``known_grad`` (its gradient, when the gradient test computed it), and
        ``rounding_step`` when the step was accepted on the gradient test
        alone (the change of the objective was below its resolution).
        """
        obj, step = self.obj, self.step
        slope = float(np.dot(self.grad, step))
        if not slope < 0:
            # Not a descent direction (numerical breakdown): fall back to steepest descent.
            step = -self.grad
        # The scores move by X @ step exactly when X's dtype holds step.
        round_coef = getattr(obj, "round_coef", lambda c: c)
        step = round_coef(step)
        slope = float(np.dot(self.grad, step))
        if not slope < 0:  # rounding spoilt a direction of (almost) no descent
            step = round_coef(-self.grad)
            slope = float(np.dot(self.grad, step))
        raw_step = obj.linear_predictor(step)
        coef, raw = self.coef, self.raw

        def value_at(t):
            c = coef + t * step
            r = raw_step * t  # raw + t * raw_step with one (n, K) allocation
            r += raw
            value, loss_state = self._loss_state(c, r)
            return value, [c, r, None, loss_state]

        def grad_l1_at(t, state):
            # kept for the next iteration
            state[2] = obj.gradient(state[0], state[1], **self._state_kw(state[3]))
            return float(np.abs(state[2]).sum())

        # The scores along the step are float64 whatever X's dtype: the change
        # of f between two points of the line is resolved to float64 precision.
        t, value, state = armijo_backtracking(
            value_at, self.value, slope, grad_l1_at=grad_l1_at,
            grad_l1=float(np.abs(self.grad).sum()))
        if t is None:
            return False
        self.rounding_step = t < 0
        self.coef, self.raw, self.known_grad, self.known_state = state
        self.value = value
        self.t = abs(t)
        return True

    # -- driver --------------------------------------------------------------
    def solve(self, objective, coef0):
        """Minimise ``objective`` from ``coef0``; return a :class:`~sklogloss.solvers.Result`."""
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
            if self.stalls >= 3:
                message = "no progress at machine precision (the objective and gradient no longer shrink)"
                break
            self.inner_solve()
            self.release()
            if not self.line_search():
                message = "line search found no decrease (objective at machine precision)"
                break
            if self.verbose:
                print(f"[{self.name}] iter {it + 1:3d}  objective {self.value:.12g}  "
                      f"max|grad| {self.grad_max:.3e}  step {self.t:.3g}")
        return Result(self.coef, it, converged, self.value, self.grad_max, message)


class SampledCurvature:
    """A Hessian estimate from a row sample, refreshed lazily or corrected by BFGS.

    The first call computes the Hessian of ``sample`` (a row subset of the
    objective) at ``coef``. Later calls either

    * ``bfgs=True``: apply the BFGS update with the step ``s`` and the change
      ``y`` of the *full* gradient since the previous call, so the estimate
      learns the full problem's curvature along the path at no extra pass
      over X (superlinear convergence in place of the linear rate of a fixed
      sampled Hessian); updates with ``y.s <= 0`` are skipped, which keeps
      the estimate positive definite. Right for a Hessian that *is* the
      Newton system (Newton-Cholesky on tall data);
    * ``bfgs=False``: recompute the sample's Hessian at ``coef`` unless no
      score of the sample moved by more than ``max_score_change`` since the
      last computation. The Hessian depends on the coefficients only through
      the scores, so near the optimum, where the steps are small, the last
      one is kept at no cost. Right for a preconditioner (Newton-CG).

    Parameters
    ----------
    sample : LinearObjective
        The objective on a row sample (see ``LinearObjective.row_subset``).
    bfgs : bool, default=True
        Correct by BFGS (True) or recompute lazily (False).
    max_score_change : float, default=0.1
        With ``bfgs=False``: keep the last Hessian while every sample score is
        within this of the scores it was computed at.

    Attributes
    ----------
    n_computed : int
        How many times the sample's Hessian was computed.
    """

    def __init__(self, sample, bfgs=True, max_score_change=0.1):
        self.sample = sample
        self.bfgs = bfgs
        self.max_score_change = max_score_change
        self.H = None
        self.n_computed = 0

    def seed(self, coef, H):
        """Take ``H``, the sample's Hessian at ``coef`` computed elsewhere, as the current estimate."""
        self.H = H
        self.raw = self.sample.linear_predictor(coef)
        self.coef, self.grad = None, None

    def update(self, coef, grad):
        """Return the current estimate at ``coef`` (full gradient ``grad``)."""
        if self.H is not None and self.bfgs and self.grad is None:
            pass  # seeded at this coef: nothing to correct yet
        elif self.H is None or not self.bfgs:
            raw = self.sample.linear_predictor(coef)
            if self.H is None or np.max(np.abs(raw - self.raw)) > self.max_score_change:
                self.H = self.sample.gradient_hessian(coef, raw=raw, gradient=False)[1]
                self.raw = raw
                self.n_computed += 1
        else:
            step, change = coef - self.coef, grad - self.grad
            sy = float(step @ change)
            Hs = self.H @ step
            sHs = float(step @ Hs)
            if sy > 1e-12 * np.linalg.norm(step) * np.linalg.norm(change) and sHs > 0:
                self.H = self.H + np.outer(change, change / sy) - np.outer(Hs, Hs / sHs)
        self.coef, self.grad = coef.copy(), grad.copy()
        return self.H


class NewtonCholeskySolver(NewtonSolver):
    """Newton with the full Hessian and a Cholesky solve (IRLS / Fisher scoring).

    Each iteration costs one weighted Gram matrix ``X^T D X`` (a symmetric
    rank-k update, block by block) and one gradient pass. Directions along
    which the objective is flat by construction (its ``null_space()``, e.g.
    the common shift of all multinomial intercepts) are removed from the
    system by adding the projector onto them, which makes it definite
    without changing the step. If the Hessian is numerically singular for
    another reason (separable data without penalty), the step is taken in
    the range of the Hessian through its eigendecomposition.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import NewtonCholeskySolver
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> res = NewtonCholeskySolver(tol=1e-10).solve(LinearObjective(X, y, BinomialLoss()), np.zeros(2))
    >>> res.converged
    True
    """

    name = "newton-cholesky"

    def __init__(self, tol=1e-6, max_iter=100, verbose=0, hessian_rows="auto", random_state=0):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.hessian_rows = hessian_rows
        self.random_state = random_state

    def _n_hessian_rows(self, n_samples, size):
        """Rows the Hessian is computed on: all of them unless n is much larger than needed.

        ``hessian_rows="auto"``: ``m = max(20000, 100 * size)`` random rows when
        ``n > 4 m``. The Hessian on the sample is computed once and then
        corrected by BFGS updates from the full gradients (see
        :class:`SampledCurvature`), at a fraction of the cost of the full
        ``X^T D X`` per step. The gradient and the line search stay exact: the
        solution and the stopping test are the full problem's. ``None``
        always uses every row (exact Newton).
        """
        if self.hessian_rows is None:
            return n_samples
        m = max(20_000, 100 * size) if self.hessian_rows == "auto" else int(self.hessian_rows)
        return m if n_samples > 4 * m else n_samples

    def setup(self, objective, coef0):
        """Also set ``null_basis`` (the objective's ``null_space()``, ``None`` if empty)
        and ``hess_obj``, the objective (or row subset of it) the Hessian comes from.

        With a row sample, the problem restricted to the sample is solved first
        (full Newton on the sample, see :func:`_start_from_sample`) and its solution replaces a
        cold ``coef0`` (all weights zero), or a warm one if the full objective
        is lower there: a start within the sampling error of the optimum, for
        the cost of about one full iteration.
        """
        n = objective.design.n_samples
        m = self._n_hessian_rows(n, objective.size)
        self.hess_obj = objective
        if m < n and hasattr(objective, "row_subset"):
            rows = np.sort(np.random.default_rng(self.random_state).choice(n, size=m, replace=False))
            # A sampled Hessian is an estimate: float32 rows halve its cost.
            self.hess_obj = objective.row_subset(rows, dtype=np.float32)
            self.curvature = SampledCurvature(self.hess_obj)
            coef0 = _start_from_sample(self, objective, self.hess_obj, coef0)
        super().setup(objective, coef0)
        basis = objective.null_space()
        self.null_basis = basis if basis.shape[1] else None

    def update_gradient_hessian(self):
        if self.hess_obj is self.obj:
            self.grad, self.hessian = self.obj.gradient_hessian(self.coef, self.raw,
                                                                **self._state_kw(self.known_state))
        else:
            self.grad = self.gradient_at_coef()
            self.hessian = self.curvature.update(self.coef, self.grad)

    def inner_solve(self):
        H, g = self.hessian, self.grad
        N = self.null_basis
        if N is not None:
            # H vanishes along N and g is orthogonal to N (up to rounding): the
            # solution of (H + c N N^T) step = -g has no component along N and
            # solves H step = -g on the complement. c, the mean diagonal of H,
            # keeps the system as well scaled as H.
            g = g - N @ (N.T @ g)
            c = max(float(np.mean(np.diag(H))), np.finfo(float).tiny)
            H = H + c * (N @ N.T)
        try:
            with single_threaded_blas():
                factor = scipy.linalg.cho_factor(H, lower=False, check_finite=False)
                step = scipy.linalg.cho_solve(factor, -g, check_finite=False)
            if np.all(np.isfinite(step)):
                self.step = step
                return
        except (np.linalg.LinAlgError, ValueError):
            pass
        self.step = _pseudo_newton_step(H, g)


def _start_from_sample(solver, objective, sample, coef0):
    """Solve the problem restricted to a row ``sample`` first; return the better start.

    The sample's problem is solved by full Newton-Cholesky (its Hessian is
    cheap) until its gradient is 1% of the one at ``coef0``: closer than the
    sampling error of its optimum (on 20,000 of 200,000 rows the full
    gradient there is 8% of the one at zero), so further sample iterations
    would not give a better start. Its solution replaces a cold ``coef0``
    (all weights zero), or a warm one if the full objective is lower there:
    a start within the sampling error of the optimum, for the cost of about
    one full iteration, which saves the full iterations a cold start spends
    far from it.
    """
    g0 = sample.gradient(np.asarray(coef0, dtype=np.float64))
    # (Not below 1e-6: a warm start near the sample's optimum needs no more.)
    tol = max(solver.tol, 1e-6, 1e-2 * float(np.max(np.abs(g0), initial=0.0)))
    presolver = NewtonCholeskySolver(tol=tol, max_iter=solver.max_iter, hessian_rows=None)
    pre = presolver.solve(sample, coef0)
    W0, _ = objective.unpack(np.asarray(coef0, dtype=np.float64))
    # A cold start (no weights yet) takes the sample's solution as it is;
    # a warm one keeps whichever is better on the full data.
    if not np.any(W0) or objective.loss(pre.coef) < objective.loss(coef0):
        coef0 = pre.coef
        # The presolver's last Hessian is the sample's Hessian at its solution:
        # the curvature estimate's first value, at no cost.
        solver.curvature.seed(coef0, presolver.hessian)
    if solver.verbose:
        print(f"[{solver.name}] Hessian from {sample.design.n_samples} of "
              f"{objective.design.n_samples} rows; start from their solution "
              f"({pre.n_iter} iterations on the sample)")
    return coef0


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


class NewtonCGSolver(NewtonSolver):
    """Truncated Newton: preconditioned conjugate gradients on Hessian-vector products.

    Each product costs two passes over X. The inner CG stops at relative
    residual ``min(0.5, sqrt(||g||))`` (superlinear outer convergence), on
    negative curvature, or after ``max_inner`` products. The preconditioner:

    * ``"sampled-hessian"``: the Cholesky factor of the Hessian on
      ``hessian_rows`` random rows (``"auto"``: ``m = max(5000, 10 * size)``,
      all rows if fewer), in float32, recomputed while some sample score
      moves by more than ``max_score_change`` between outer steps and kept
      after that (see :class:`SampledCurvature`). A few products then give a step
      close to the exact Newton step: the method of choice for multinomial
      models, whose full Hessian costs ``K^2`` weighted Gram matrices;
    * ``"jacobi"``: the Hessian's diagonal, one pass over ``X * X``: for many
      coefficients (sparse text data), where no Hessian can be factored;
    * ``"auto"``: sampled Hessian up to 1500 coefficients, else Jacobi.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import NewtonCGSolver
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> NewtonCGSolver(tol=1e-10).solve(LinearObjective(X, y, BinomialLoss()), np.zeros(2)).converged
    True
    """

    name = "newton-cg"

    def __init__(self, tol=1e-6, max_iter=100, verbose=0, max_inner=200, preconditioner="auto",
                 random_state=0, hessian_rows="auto", max_score_change=0.1):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.max_inner = max_inner
        self.preconditioner = preconditioner
        self.random_state = random_state
        self.hessian_rows = hessian_rows
        self.max_score_change = max_score_change

    def setup(self, objective, coef0):
        """Also set ``hess_obj``: the row sample the preconditioning Hessian comes from, or None.

        When the sample is smaller than the data, the sample's problem is solved
        first and its solution is the start (see :func:`_start_from_sample`).
        """
        kind = self.preconditioner
        if kind == "auto":
            kind = "sampled-hessian" if objective.size <= 1500 and hasattr(objective, "row_subset") else "jacobi"
        self.hess_obj, self.null_basis, self.factored = None, None, None
        if kind == "sampled-hessian":
            n = objective.design.n_samples
            m = max(5_000, 10 * objective.size) if self.hessian_rows == "auto" else int(self.hessian_rows)
            m = min(n, m)
            rows = np.sort(np.random.default_rng(self.random_state).choice(n, size=m, replace=False))
            self.hess_obj = objective.row_subset(rows, dtype=np.float32)
            # Recomputed while the scores move: on a 100,000 x 50, 10-class problem
            # a BFGS-corrected Hessian from the start point cost 39 products in 7
            # steps, the current sample Hessian 14; keeping it once no score moves
            # by more than 0.1 saves 2 of 7 computations and no product.
            self.curvature = SampledCurvature(self.hess_obj, bfgs=False,
                                              max_score_change=self.max_score_change)
            basis = objective.null_space()
            self.null_basis = basis if basis.shape[1] else None
            if m < n:
                coef0 = _start_from_sample(self, objective, self.hess_obj, coef0)
        super().setup(objective, coef0)

    def update_gradient_hessian(self):
        """Set ``grad``, ``hessp`` and ``precond`` (a function ``r -> M^{-1} r``)."""
        state = self._state_kw(self.known_state)
        if self.known_grad is None:
            self.grad, self.hessp = self.obj.gradient_hessp(self.coef, self.raw, **state)
        else:
            self.grad = self.known_grad
            self.hessp = self.obj.gradient_hessp(self.coef, self.raw, gradient=False, **state)[1]
        if self.hess_obj is not None:
            H = self.curvature.update(self.coef, self.grad)
            if H is self.factored:
                return  # the same sample Hessian as last step: keep its factor
            self.factored = None
            N = self.null_basis
            if N is not None:  # flat directions (see NewtonCholeskySolver.inner_solve)
                H = H + max(float(np.mean(np.diag(H))), np.finfo(float).tiny) * (N @ N.T)
            try:
                with single_threaded_blas():
                    factor = scipy.linalg.cho_factor(H, check_finite=False)

                def precond(r):
                    with single_threaded_blas():
                        return scipy.linalg.cho_solve(factor, r, check_finite=False)

                self.precond, self.factored = precond, H
                return
            except (np.linalg.LinAlgError, ValueError):
                pass  # not positive definite on the sample: fall back to Jacobi
        diag = (self.obj.hessian_diagonal(self.coef, self.raw, **state)
                if hasattr(self.obj, "hessian_diagonal") else None)
        if diag is None:
            self.precond = lambda r: r
        else:
            inv = 1.0 / np.maximum(diag, max(float(diag.max(initial=0.0)), np.finfo(float).tiny) * 1e-12)
            self.precond = lambda r: inv * r

    def release(self):
        """Drop the Hessian-vector product and ``known_state``: per-sample arrays of the size of the scores."""
        super().release()
        self.hessp = None

    def inner_solve(self):
        """Preconditioned CG on ``H step = -grad``."""
        g = self.grad
        gnorm = float(np.linalg.norm(g))
        eta = min(0.5, np.sqrt(gnorm))
        x = np.zeros_like(g)
        r = -g.copy()
        z = self.precond(r)
        d = z.copy()
        rz = float(r @ z)
        for _ in range(min(self.max_inner, 10 * g.size)):
            Hd = self.hessp(d)
            curv = float(d @ Hd)
            if curv <= np.finfo(float).eps * float(d @ d):
                break  # negative or zero curvature: keep what we have
            a = rz / curv
            x += a * d
            r -= a * Hd
            if np.linalg.norm(r) <= eta * gnorm:
                break
            z = self.precond(r)
            rz_new = float(r @ z)
            d *= rz_new / rz
            d += z
            rz = rz_new
        self.step = x if np.any(x) else -g
