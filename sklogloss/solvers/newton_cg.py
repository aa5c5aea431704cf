"""Truncated Newton: conjugate gradients on Hessian-vector products (see :mod:`sklogloss.solvers.newton`)."""

import math

import numpy as np
import scipy.linalg

from ..utils._threads import single_threaded_blas
from ._policy import MAX_DENSE_HESSIAN
from .curvature import SampledCurvature, SchurJacobi, deflate, sample_rows, start_from_sample
from .newton import NewtonSolver, _abs_max

__all__ = ["NewtonCGSolver"]


class NewtonCGSolver(NewtonSolver):
    """Truncated Newton: preconditioned conjugate gradients on Hessian-vector products.

    Each product costs two passes over X. The inner CG stops at relative
    residual ``min(0.5, sqrt(||g||))`` (superlinear outer convergence), when
    every residual entry is below ``residual_share * tol`` (a half; the next
    gradient is about the residual: more accuracy would not be used), on
    negative curvature, or after ``max_inner`` products. The preconditioner:

    * ``"sampled-hessian"``: the Cholesky factor of the Hessian on
      ``hessian_rows`` random rows (``"auto"``: ``m = max(5000, 10 * size)``,
      all rows if fewer), in float32, recomputed while some sample score
      moves by more than ``max_score_change`` between outer steps and kept
      after that (see :class:`SampledCurvature`). A few products then give a step
      close to the exact Newton step: the method of choice for multinomial
      models, whose full Hessian costs ``K^2`` weighted Gram matrices;
    * ``"schur"``: exact on the intercept and the ``schur_columns`` densest
      weights, Jacobi on the Schur complement of the rest (see
      :class:`~sklogloss.solvers.curvature.SchurJacobi`): for many
      coefficients, where no Hessian can be factored. On one-hot data it
      knows that each group's columns sum to the intercept and that nested
      levels sum to their parent, which Jacobi cannot; recomputed when the
      Hessian's diagonal moved by more than ``schur_change`` (0.1; relative, L1)
      and the recomputation is worth its cost in products (see
      :meth:`SchurJacobi.update <sklogloss.solvers.curvature.SchurJacobi.update>`);
    * ``"jacobi"``: the Hessian's diagonal, one pass over ``X * X``;
    * ``"auto"``: sampled Hessian up to ``MAX_DENSE_HESSIAN`` (1500)
      coefficients, unless the sample would be every row (then, for several
      outputs, the full Hessian's ``K^2`` Gram matrices at every refresh
      cost more than the products they save: digits' 1,797 rows and 10
      classes; for one, it is Newton-Cholesky's Hessian), or a refresh
      costs more than ``sampled_refresh_products`` Hessian-vector products
      (for one output or several); else Schur (Jacobi for an objective
      without ``"block_columns"``).

    Examples
    --------
    A three-class multinomial model, the case the sampled-Hessian
    preconditioner is made for. With an L2 penalty, the weights of the
    ``K`` classes sum to zero feature by feature at the solution (adding the
    same vector to every class changes no probability).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> Y = np.eye(3)[np.argmax(X[:, :3] + rng.normal(size=(300, 3)), axis=1)]
    >>> from sklogloss.losses import MultinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import NewtonCGSolver
    >>> softmax_obj = LinearObjective(X, Y, MultinomialLoss(), C=1.0)
    >>> res = NewtonCGSolver(tol=1e-10).solve(softmax_obj, softmax_obj.zero_coef())
    >>> W, intercepts = softmax_obj.unpack(res.coef)
    >>> res.converged, W.shape, bool(np.allclose(W.sum(axis=0), 0.0))
    (True, (3, 4), True)
    """

    name = "newton-cg"
    handles_nonconvex = True
    requires = frozenset({"hessp"})
    #: A CG solve on approximate (float32) products that needs more products than this is
    #: taken to be limited by their rounding (ill-conditioned, badly scaled data): it is
    #: redone on exact products, which the rest of the fit then uses. Standardised digits
    #: needs at most 21 per step at C = 100; badly scaled data can send float32 CG to
    #: ``max_inner`` while float64 CG needs 50.
    approximate_max_inner = 40
    #: ``preconditioner="auto"`` on a single output: a sampled Hessian while one refresh costs at
    #: most this many Hessian-vector products (20,000 x 300: 113 ms against 139 ms with Schur;
    #: 20,000 x 1,000, a refresh of 125 products: 1,070 ms against 820 ms).
    sampled_refresh_products = 20
    #: A CG solve ends once every residual entry is below this share of ``tol``: after a unit
    #: step the gradient is about the residual (plus the step's nonlinear error), and the
    #: convergence test, on the exact gradient, needs no more (docs/performance.rst measures a
    #: tenth against a half).
    residual_share = 0.5

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, max_inner=200, preconditioner="auto",
                 random_state=0, hessian_rows="auto", max_score_change=0.1, schur_columns="auto",
                 schur_change=0.1):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.max_inner = max_inner
        self.preconditioner = preconditioner
        self.random_state = random_state
        self.hessian_rows = hessian_rows
        self.max_score_change = max_score_change
        self.schur_columns = schur_columns
        self.schur_change = schur_change

    def setup(self, objective, coef0):
        """Also set ``hess_obj``: the row sample the preconditioning Hessian comes from, or None.

        When the sample is smaller than the data, the sample's problem is solved
        first and its solution is the start (see
        :func:`~sklogloss.solvers.curvature.start_from_sample`). The sample's
        Hessian is recomputed while the scores move, not corrected by BFGS (a
        better preconditioner for fewer products; see docs/performance.rst).
        """
        kind = self.preconditioner
        sampled = {"row_subset", "hessian"} <= objective.provides
        schur = {"block_columns", "hessian_diagonal"} <= objective.provides
        if kind == "auto":
            rows = self._hessian_rows(objective)
            n = objective.n_samples
            # A Hessian on fewer rows than the data, while a refresh (rows * size^2 / 2
            # multiply-adds, for K outputs too: their Kronecker Gram matrix) costs at most
            # `sampled_refresh_products` products (2 n size each). On every row it would be
            # Newton-Cholesky's Hessian, which solver="auto" leaves for a wide X (2,000 x
            # 1,000: 400 ms against 253 ms with the Schur preconditioner); for K outputs on
            # 12,000 x 40, K = 20 (8,200 rows of 820 coefficients) a refresh took 140
            # products' time: 816 ms against 126 ms with Schur.
            cheap = rows < n and rows * objective.size <= 4 * self.sampled_refresh_products * n
            kind = ("sampled-hessian" if objective.size <= MAX_DENSE_HESSIAN and sampled and (cheap or not schur)
                    else "schur" if schur else "jacobi")
        needs = {"sampled-hessian": (sampled, "row subsets and Hessians"),
                 "schur": (schur, "Hessian block columns and diagonals"),
                 "jacobi": (True, "")}
        if kind not in needs:
            raise ValueError(f"preconditioner must be one of {['auto', *needs]}; got {kind!r}.")
        if not needs[kind][0]:
            raise ValueError(f"preconditioner={kind!r} needs an objective with {needs[kind][1]}; "
                             f"{type(objective).__name__} has {sorted(objective.provides)}.")
        self.hess_obj, self.null_basis, self.factored, self.factored_precond = None, None, None, None
        self.precond = None
        # Float32 products only where they are float32 (a small float64 X has a copy for them;
        # approximates() is False without the capability).
        self.approximate = objective.approximates()
        self.products = 0  # Hessian-vector products so far (the Schur preconditioner's budget)
        self.last_products = None  # ... and in the last step's CG solve
        self.step_grad_max = []  # max|grad| at the start of each step's CG solve
        self.schur = SchurJacobi(objective, self.schur_columns, self.schur_change) if kind == "schur" else None
        if kind == "sampled-hessian":
            self.hess_obj = sample_rows(objective, self._hessian_rows(objective), self.random_state)
            self.curvature = SampledCurvature(self.hess_obj, bfgs=False,
                                              max_score_change=self.max_score_change)
            self.null_basis = objective.null_space()
            if self.hess_obj.n_samples < objective.n_samples:
                coef0 = start_from_sample(self, objective, self.hess_obj, coef0)
        super().setup(objective, coef0)

    def _hessian_rows(self, objective):
        m = max(5_000, 10 * objective.size) if self.hessian_rows == "auto" else int(self.hessian_rows)
        return min(m, objective.n_samples)

    def update_gradient_hessian(self):
        """Set ``grad`` and ``hessp``; the preconditioner waits for :meth:`inner_solve`.

        None is formed at the solution, where the convergence test ends the
        iteration (a Schur or Jacobi preconditioner costs a pass over ``X * X``).
        """
        if self.known_grad is None:
            self.grad, self.hessp = self._gradient_hessp(gradient=True)
        else:
            self.grad = self.known_grad
            self.hessp = self._gradient_hessp(gradient=False)[1]
        self.precond = None

    def steps_left(self):
        """The steps that remain, this one included, if ``max|grad|`` goes on falling as in the last step.

        ``ceil(log(tol / g) / log(g / g_last))`` for the gradients ``g`` now and
        ``g_last`` at the last step (a reduction smaller than a halving counts as
        a halving; at most 50 steps): a linear rate, which overestimates the steps
        of a superlinear iteration, so that a preconditioner's cost is weighed
        against every step it may serve. One where ``max|grad|`` is within ``tol``
        or at the first step.

        Examples
        --------
        >>> from sklogloss.solvers import NewtonCGSolver
        >>> solver = NewtonCGSolver(tol=1e-6)
        >>> solver.step_grad_max, solver.grad_max = [1e-2, 1e-3], 1e-3  # tenfold a step
        >>> solver.steps_left()  # 1e-3 to 1e-4, 1e-5, 1e-6
        3
        """
        history = self.step_grad_max
        if len(history) < 2 or not history[-1] > self.tol:
            return 1
        g = history[-1]
        rate = min(g / max(history[-2], np.finfo(float).tiny), 0.5)
        return int(min(50, max(1, np.ceil(np.log(max(self.tol, np.finfo(float).tiny) / g) / np.log(rate)))))

    def update_preconditioner(self):
        """Set ``precond``, a function ``r -> M^{-1} r`` at ``coef`` (before the line search drops ``known_state``)."""
        state = self.known_state
        if self.hess_obj is not None:
            H = self.curvature.update(self.coef, self.grad)
            if H is self.factored:
                self.precond = self.factored_precond  # the same sample Hessian as last step: its factor
                return
            self.factored = None
            H = deflate(H, self.null_basis)
            try:
                with single_threaded_blas():
                    factor = scipy.linalg.cho_factor(H, check_finite=False)

                def precond(r):
                    with single_threaded_blas():
                        return scipy.linalg.cho_solve(factor, r, check_finite=False)

                self.precond = self.factored_precond = precond
                self.factored = self.curvature.H
                return
            except (np.linalg.LinAlgError, ValueError):
                pass  # not positive definite on the sample: fall back to Jacobi
        if self.schur is not None:
            self.schur.update(self.coef, self.raw, state=state, products=self.products,
                              last_products=self.last_products, steps_left=self.steps_left())
            self.precond = self.schur
            return
        if "hessian_diagonal" not in self.obj.provides:
            self.precond = lambda r: r
        else:
            diag = self.obj.hessian_diagonal(self.coef, self.raw, state=state)
            inv = 1.0 / np.maximum(diag, max(float(diag.max(initial=0.0)), np.finfo(float).tiny) * 1e-12)
            self.precond = lambda r: inv * r

    def _gradient_hessp(self, gradient):
        """The objective's ``gradient_hessp`` at the current point (its ``known_state``).

        Its products in float32 where the objective allows it (a small float64
        X): CG's directions need no more, and the gradient that decides
        convergence is exact (until a CG solve shows otherwise: see
        ``approximate_max_inner`` and :meth:`inner_solve`).
        """
        kwargs = {"approximate": True} if self.approximate else {}
        return self.obj.gradient_hessp(self.coef, self.raw, gradient=gradient, state=self.known_state, **kwargs)

    def release(self):
        """Drop the Hessian-vector product and ``known_state``: per-sample arrays of the size of the scores."""
        super().release()
        self.hessp = None

    def inner_solve(self, start=None):
        """Preconditioned CG on ``H step = -grad`` (from ``start``, or zero).

        For an objective with :meth:`~sklogloss.objective.LinearObjective.shift_curvature`
        (a multinomial model) and a preconditioner that does not factor the
        Hessian (Schur, Jacobi), the component of the step along the output
        shifts is taken in closed form (``H`` acts there as the known
        ``c_j``) and CG runs on the rest, projected after every product: the
        shifts' eigenvalue ``1 / (C S)`` would otherwise dominate the CG
        iterations.

        Approximate (float32) products that have not converged in
        ``approximate_max_inner`` products (their rounding may be what stalls
        CG) give way to exact ones, for this solve and the rest of the fit:
        CG goes on from the step it has (``start``), not from zero.
        """
        if start is None:
            self.step_began = self.products
            self.step_grad_max.append(self.grad_max)
        if self.precond is None:
            self.update_preconditioner()
        g = self.grad
        gnorm = float(np.linalg.norm(g))
        eta = min(0.5, np.sqrt(gnorm))
        # A residual below residual_share * tol ends the solve whatever eta asks (see there).
        enough = self.residual_share * self.tol
        curv = self.obj.shift_curvature() if self.hess_obj is None else None
        if curv is not None:
            K = self.obj.n_outputs

            def project(v):  # remove the component along the shifts (the ufunc: no wrapper call)
                V = v.reshape(K, -1)
                return (V - np.add.reduce(V, axis=0) * (1.0 / K)).ravel()

            G = g.reshape(K, -1)
            mean = np.add.reduce(G, axis=0) * (1.0 / K)
            shift_step = np.broadcast_to(np.where(curv > 0, -mean / np.where(curv > 0, curv, 1.0), 0.0),
                                         G.shape).ravel()
            g = project(g)
            hessp, precond = (lambda v: project(self.hessp(v))), (lambda r: project(self.precond(r)))
        else:
            shift_step, hessp, precond = 0.0, self.hessp, self.precond
        if start is None:
            x = np.zeros_like(g)
            r = -g.copy()
        else:
            x = start
            r = -g - hessp(x)
            self.products += 1
        z = precond(r)
        d = z.copy()
        rz = float(r @ z)
        eps = np.finfo(float).eps
        for i in range(min(self.max_inner, 10 * g.size)):
            if self.approximate and i == self.approximate_max_inner:
                # Float32 products that CG has not converged on: this step and the rest of
                # the fit on exact ones (the same gradient, hence the same system), from here.
                self.approximate = False
                self.hessp = self._gradient_hessp(gradient=False)[1]
                return self.inner_solve(start=x)
            Hd = hessp(d)
            self.products += 1
            curv_d = float(d @ Hd)
            if curv_d <= eps * float(d @ d):
                break  # negative or zero curvature: keep what we have
            a = rz / curv_d
            x += a * d
            r -= a * Hd
            if math.sqrt(float(r @ r)) <= eta * gnorm or _abs_max(r) <= enough:
                break
            z = precond(r)
            rz_new = float(r @ z)
            d *= rz_new / rz
            d += z
            rz = rz_new
        x = x + shift_step
        self.step = x if np.any(x) else -self.grad
        self.last_products = self.products - self.step_began
