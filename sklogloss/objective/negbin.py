"""The zero-truncated negative binomial objective, with ``log(theta)`` as one more coefficient."""

import numpy as np

from ..losses.counts import ZeroTruncatedNegativeBinomialLoss
from .base import Objective
from .linear import LinearObjective

__all__ = ["TruncatedNegBinObjective"]

#: ``log(theta)`` outside this range is treated as infeasible (infinite objective).
LOG_THETA_BOUND = 100.0


class TruncatedNegBinObjective(Objective):
    """The zero-truncated NB2 count objective with ``log(theta)`` appended to ``coef``.

    ``coef = [w (n_features), b (if fit_intercept), log(theta)]``; the raw
    predictions are ``X @ w + b`` (``log(theta)`` enters with coefficient 0),
    so the Newton solvers carry them along a search direction as for a
    :class:`~sklogloss.objective.LinearObjective`, whose layout, weights,
    penalty and products it reuses: ``sum_i s_i loss_i / S + alpha / 2 *
    ||w||^2``, ``theta`` not penalised. The Hessian is the observed one in
    ``(coef, log(theta))``: indefinite away from the optimum.

    Parameters
    ----------
    design : Design or ndarray or sparse matrix
        The design of the positive counts.
    y : ndarray of shape (n,)
        Positive counts.
    sample_weight : ndarray of shape (n,), default=None
        Non-negative weights.
    fit_intercept : bool, default=True
        Whether ``log(mu)`` has an (unpenalised) intercept.
    C : float, default=np.inf
        Inverse L2 penalty strength.
    offset : ndarray of shape (n,), default=None
        Known log-mean terms (``log(exposure)``): ``log(mu) = X @ w + b +
        offset``. As for :class:`~sklogloss.objective.LinearObjective`, the
        raw scores (:meth:`linear_predictor`) exclude it and
        :meth:`loss_scores` includes it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.objective import TruncatedNegBinObjective
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 2.0, 5.0])
    >>> obj = TruncatedNegBinObjective(X, y)
    >>> obj.size  # weight, intercept, log(theta)
    3
    >>> value, grad = obj.loss_gradient(obj.zero_coef())
    >>> grad.shape
    (3,)
    """

    provides = frozenset({"hessian", "hessp"})

    def __init__(self, design, y, sample_weight=None, fit_intercept=True, C=np.inf, offset=None):
        self.base = LinearObjective(design, y, ZeroTruncatedNegativeBinomialLoss(),
                                    sample_weight=sample_weight, fit_intercept=fit_intercept, C=C,
                                    offset=offset)
        base = self.base
        self.y = base.y
        self.n_outputs = 1
        self.n_samples = base.n_samples
        self.n_features = base.n_features
        self.fit_intercept = base.fit_intercept
        self.size = base.size + 1
        self.weight_sum = base.weight_sum
        self.C = base.C
        self.l2_strength = base.l2_strength
        self.checks_scores = base.checks_scores
        self.offset = base.offset

    def solver_context(self):
        """The design's solver context."""
        return self.base.solver_context()

    def linear_predictor(self, coef, exact=False):
        """``X @ w + b``, shape ``(n,)`` (see ``LinearObjective.linear_predictor``)."""
        return self.base.linear_predictor(coef[:-1], exact=exact)

    def loss_scores(self, coef, raw=None, exact=False):
        """``log(mu)`` at ``coef``: the linear predictor plus the offset (``raw`` reused if given)."""
        return self.base.loss_scores(coef[:-1], raw=raw, exact=exact)

    def round_coef(self, coef):
        """``coef`` with its weights rounded to X's dtype (see ``LinearObjective.round_coef``)."""
        return np.append(self.base.round_coef(coef[:-1]), coef[-1])

    @staticmethod
    def _loss_fn(coef):
        return ZeroTruncatedNegativeBinomialLoss(theta=float(np.exp(coef[-1])))

    def _gradient(self, coef, g_r, g_t):
        sw = self.base.sw
        grad = np.empty(self.size)
        grad[:-1] = self.base._grad_from_raw_grad(coef[:-1], sw * g_r)
        grad[-1] = float(sw @ g_t)
        return grad

    def loss(self, coef, raw=None):
        """Scaled objective at ``coef`` (``inf`` when ``|log(theta)|`` is out of range)."""
        if not abs(coef[-1]) < LOG_THETA_BOUND:
            return np.inf
        if raw is None:
            raw = self.linear_predictor(coef)
        per_sample = self._loss_fn(coef).loss(self.y, self.base._scores(raw))
        return self.base._weighted_sum(per_sample) + self.base._penalty(coef[:-1])

    def loss_gradient(self, coef, raw=None):
        """Scaled objective and its gradient."""
        if not abs(coef[-1]) < LOG_THETA_BOUND:
            return np.inf, np.full(self.size, np.nan)
        if raw is None:
            raw = self.linear_predictor(coef)
        per_sample, g_r, g_t = self._loss_fn(coef).loss_gradient_log_theta(self.y, self.base._scores(raw))
        value = self.base._weighted_sum(per_sample) + self.base._penalty(coef[:-1])
        return value, self._gradient(coef, g_r, g_t)

    def _second_order(self, coef, raw, gradient=True):
        if raw is None:
            raw = self.linear_predictor(coef)
        g_r, g_t, h_rr, h_rt, h_tt = self._loss_fn(coef).hessian_log_theta(self.y, self.base._scores(raw))
        sw = self.base.sw
        grad = self._gradient(coef, g_r, g_t) if gradient else None
        return grad, sw * h_rr, sw * h_rt, float(sw @ h_tt)

    def gradient_hessian(self, coef, raw=None, gradient=True, state=None):
        """Gradient and the full (observed) Hessian, ``(size, size)``."""
        grad, d_rr, d_rt, h_tt = self._second_order(coef, raw, gradient)
        p, m = self.n_features, self.base.n_dof
        H = np.empty((self.size, self.size))
        H[:m, :m] = self.base._gram_block(d_rr, nonneg=False)
        cross = self.base._row_sums(d_rt)
        H[:m, m] = cross
        H[m, :m] = cross
        H[m, m] = h_tt
        idx = np.arange(p)
        H[idx, idx] += self.l2_strength
        return grad, H

    def gradient_hessp(self, coef, raw=None, gradient=True, state=None):
        """Gradient (``None`` if not ``gradient``) and a function ``v -> H v`` (two passes over X per product)."""
        grad, d_rr, d_rt, h_tt = self._second_order(coef, raw, gradient)

        def hessp(v):
            zv = self.base.linear_predictor(v[:-1])
            out = np.empty(self.size)
            # The linear block with the L2 term on v's weights, plus the theta column.
            out[:-1] = self.base._grad_from_raw_grad(v[:-1], d_rr * zv + d_rt * v[-1])
            out[-1] = float(d_rt @ zv) + h_tt * v[-1]
            return out

        return grad, hessp
