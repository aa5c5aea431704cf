"""Truncated Newton: conjugate gradients on Hessian-vector products (see :mod:`sklogloss.solvers.newton`)."""

import numpy as np
import scipy.linalg

from ..utils._threads import single_threaded_blas
from ._policy import MAX_DENSE_HESSIAN
from .curvature import SampledCurvature, deflate, sample_rows, start_from_sample
from .newton import NewtonSolver

__all__ = ["NewtonCGSolver"]


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
    * ``"auto"``: sampled Hessian up to ``MAX_DENSE_HESSIAN`` (1500)
      coefficients, else Jacobi.

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
    requires = frozenset({"hessp"})

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, max_inner=200, preconditioner="auto",
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
        first and its solution is the start (see
        :func:`~sklogloss.solvers.curvature.start_from_sample`). The sample's
        Hessian is recomputed while the scores move, not corrected by BFGS (a
        better preconditioner for fewer products; see docs/performance.rst).
        """
        kind = self.preconditioner
        sampled = {"row_subset", "hessian"} <= objective.provides
        if kind == "auto":
            kind = "sampled-hessian" if objective.size <= MAX_DENSE_HESSIAN and sampled else "jacobi"
        if kind == "sampled-hessian" and not sampled:
            raise ValueError(f"preconditioner='sampled-hessian' needs an objective with row subsets "
                             f"and Hessians; {type(objective).__name__} has "
                             f"{sorted(objective.provides)}.")
        self.hess_obj, self.null_basis, self.factored = None, None, None
        if kind == "sampled-hessian":
            m = max(5_000, 10 * objective.size) if self.hessian_rows == "auto" else int(self.hessian_rows)
            self.hess_obj = sample_rows(objective, m, self.random_state)
            self.curvature = SampledCurvature(self.hess_obj, bfgs=False,
                                              max_score_change=self.max_score_change)
            self.null_basis = objective.null_space()
            if self.hess_obj.n_samples < objective.n_samples:
                coef0 = start_from_sample(self, objective, self.hess_obj, coef0)
        super().setup(objective, coef0)

    def update_gradient_hessian(self):
        """Set ``grad``, ``hessp`` and ``precond`` (a function ``r -> M^{-1} r``)."""
        state = self.known_state
        if self.known_grad is None:
            self.grad, self.hessp = self.obj.gradient_hessp(self.coef, self.raw, state=state)
        else:
            self.grad = self.known_grad
            self.hessp = self.obj.gradient_hessp(self.coef, self.raw, gradient=False, state=state)[1]
        if self.hess_obj is not None:
            H = self.curvature.update(self.coef, self.grad)
            if H is self.factored:
                return  # the same sample Hessian as last step: keep its factor
            self.factored = None
            H = deflate(H, self.null_basis)
            try:
                with single_threaded_blas():
                    factor = scipy.linalg.cho_factor(H, check_finite=False)

                def precond(r):
                    with single_threaded_blas():
                        return scipy.linalg.cho_solve(factor, r, check_finite=False)

                self.precond, self.factored = precond, self.curvature.H
                return
            except (np.linalg.LinAlgError, ValueError):
                pass  # not positive definite on the sample: fall back to Jacobi
        if "hessian_diagonal" not in self.obj.provides:
            self.precond = lambda r: r
        else:
            diag = self.obj.hessian_diagonal(self.coef, self.raw, state=state)
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
