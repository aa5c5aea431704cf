"""Curvature helpers of the Newton solvers: row-sampled Hessians, their start point, flat directions."""

import numpy as np

__all__ = ["SampledCurvature", "deflate", "sample_rows", "start_from_sample"]


def sample_rows(objective, n_rows, random_state):
    """The objective on ``n_rows`` random rows (sorted), in float32: a Hessian estimate costs half.

    ``n_rows >= objective.n_samples`` gives every row (still a float32 copy).
    Needs the capability ``"row_subset"``.
    """
    n = objective.n_samples
    m = min(n, int(n_rows))
    rows = np.sort(np.random.default_rng(random_state).choice(n, size=m, replace=False))
    return objective.row_subset(rows, dtype=np.float32)


def deflate(H, null_basis):
    """``H + c N N^T``: definite along the flat directions ``N`` of the objective, unchanged elsewhere.

    ``H`` vanishes along ``N`` (and the gradient is orthogonal to it, up to
    rounding): the solution of ``(H + c N N^T) step = -g`` has no component
    along ``N`` and solves ``H step = -g`` on the complement. ``c``, the mean
    diagonal of ``H``, keeps the system as well scaled as ``H``. An empty
    basis (``objective.null_space()`` of shape ``(size, 0)``) returns ``H``.
    """
    if null_basis.shape[1] == 0:
        return H
    c = max(float(np.mean(np.diag(H))), np.finfo(float).tiny)
    return H + c * (null_basis @ null_basis.T)


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


def start_from_sample(solver, objective, sample, coef0):
    """Solve the problem restricted to a row ``sample`` first; return the better start.

    The sample's problem is solved by full Newton-Cholesky (its Hessian is
    cheap) until its gradient is 1% of the one at ``coef0``: closer than the
    sampling error of its optimum (the full gradient at the sample's optimum
    is a few percent of the one at zero), so further sample iterations would
    not give a better start. Its solution replaces a cold ``coef0``
    (all weights zero), or a warm one if the full objective is lower there:
    a start within the sampling error of the optimum, for the cost of about
    one full iteration, which saves the full iterations a cold start spends
    far from it.
    """
    g0 = sample.gradient(np.asarray(coef0, dtype=np.float64))
    # (Not below 1e-6: a warm start near the sample's optimum needs no more.)
    tol = max(solver.tol, 1e-6, 1e-2 * float(np.max(np.abs(g0), initial=0.0)))
    from .newton import NewtonCholeskySolver

    presolver = NewtonCholeskySolver(tol=tol, max_iter=solver.max_iter, hessian_rows=None)
    pre = presolver.solve(sample, coef0)
    weights = np.asarray(coef0, dtype=np.float64)[objective.penalised_mask()]
    # A cold start (no weights yet) takes the sample's solution as it is;
    # a warm one keeps whichever is better on the full data.
    if not np.any(weights) or objective.loss(pre.coef) < objective.loss(coef0):
        coef0 = pre.coef
        # The presolver's last Hessian is the sample's Hessian at its solution:
        # the curvature estimate's first value, at no cost.
        solver.curvature.seed(coef0, presolver.hessian)
    if solver.verbose:
        print(f"[{solver.name}] Hessian from {sample.n_samples} of "
              f"{objective.n_samples} rows; start from their solution "
              f"({pre.n_iter} iterations on the sample)")
    return coef0
