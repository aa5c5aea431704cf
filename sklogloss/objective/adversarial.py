"""The exact worst-case logistic loss of a binary linear model under bounded input perturbations.

For a sample ``(x, y)``, ``y`` in ``{0, 1}``, signed label ``s = 2 y - 1`` and
a perturbation ``delta`` with ``||delta|| <= epsilon``, the logistic loss
``log(1 + exp(-s (w . (x + delta) + b)))`` is largest where ``s w . delta`` is
smallest, ``-epsilon ||w||_*`` (Hoelder's inequality, attained), with
``||.||_*`` the dual norm: the L1 norm for an L-inf ball, the L2 norm for an L2
ball. The robust objective is therefore the logistic loss of the shifted
scores ``z_i - s_i epsilon ||w||_*``: convex in ``(w, b)`` (a convex
decreasing function of a concave margin), exact, and no attack is needed
during training (Goodfellow et al. 2015, section 5).

The dual norm is not differentiable everywhere. For the L-inf ball
(``||w||_1``) the weights are split, ``w = u - v`` with ``u, v >= 0`` and
``||w||_1 = sum(u + v)`` (at the optimum one of ``u_j, v_j`` is zero: any other
pair only lowers the margins), which makes the objective smooth under bound
constraints (capability ``"bounds"``: L-BFGS-B). For the L2 ball (``||w||_2``),
smooth except at ``w = 0``, the gradient reported at ``w = 0`` is the
subgradient of least norm, zero exactly when ``w = 0`` is optimal (the closed
form of :meth:`AdversarialObjective.zero_weights_optimal`); elsewhere the
objective is smooth.
"""

import numpy as np

from ..losses import BinomialLoss
from .base import Objective

__all__ = ["AdversarialObjective"]


class AdversarialObjective(Objective):
    """The worst-case binary logistic loss over an ``epsilon`` ball of each input.

    Parameters
    ----------
    base : LinearObjective
        The binary objective of the clean data: a :class:`~sklogloss.losses.BinomialLoss`
        on 0/1 targets, with its weights, class weights, intercept and penalty.
    epsilon : float >= 0
        Radius of the ball.
    norm : {"inf", "l2"}
        Norm of the ball (its dual norm ``||w||_1`` or ``||w||_2`` shifts the scores).

    Notes
    -----
    The coefficient vector the solver sees is ``[u, v, b]`` (size ``2 p + 1``,
    ``w = u - v``, bounds ``u, v >= 0``) for ``norm="inf"`` and ``[w, b]`` for
    ``norm="l2"``; :meth:`unpack` gives ``(W, b)`` of the model either way and
    :meth:`lift` maps model coefficients ``[w, b]`` to the solver's layout. An
    L1 term (``l1_ratio > 0``) is the linear ``sum(u + v)`` in the smooth part
    for ``norm="inf"``; for ``norm="l2"`` it is refused.

    Examples
    --------
    The worst case of a fitted model's scores is the margin minus
    ``epsilon ||w||_1``:

    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.objective.adversarial import AdversarialObjective
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([0.0, 0.0, 1.0, 1.0])
    >>> robust = AdversarialObjective(LinearObjective(X, y, BinomialLoss(), C=1.0), 0.1, "inf")
    >>> coef = robust.lift(np.array([1.0, -0.5, -1.5]))  # w = (1, -0.5), b = -1.5
    >>> bool(np.allclose(robust.linear_predictor(coef), X @ [1.0, -0.5] - 1.5))
    True
    >>> bool(np.allclose(robust.worst_case_scores(coef), X @ [1.0, -0.5] - 1.5 - (2 * y - 1) * 0.1 * 1.5))
    True
    """

    def __init__(self, base, epsilon, norm):
        if base.n_outputs != 1 or not isinstance(base.loss_fn, BinomialLoss):
            raise ValueError("Adversarial training needs a binary logistic objective (BinomialLoss, one output).")
        if not np.all((base.y == 0) | (base.y == 1)):
            raise ValueError("Adversarial training needs hard 0/1 targets: the worst case of a soft target "
                             "is not a convex objective. Drop label_smoothing and pass class labels.")
        if norm not in ("inf", "l2"):
            raise ValueError(f"adversarial_norm must be 'inf' or 'l2'; got {norm!r}.")
        if norm == "l2" and base.l1_strength > 0:
            raise ValueError("adversarial_norm='l2' with an L1 term (l1_ratio > 0) is not supported: use "
                             "adversarial_norm='inf' or l1_ratio=0.")
        self.base, self.epsilon, self.norm = base, float(epsilon), norm
        self.sign = 2.0 * base.y - 1.0
        p = self.n_features = base.n_features
        self.fit_intercept, self.n_outputs, self.n_samples = base.fit_intercept, 1, base.n_samples
        self.y, self.sample_weight, self.sw = base.y, base.sample_weight, base.sw
        self.weight_sum, self.C, self.l2_strength = base.weight_sum, base.C, base.l2_strength
        self.l1_weight = base.l1_strength  # for "inf": sum(u + v) in the smooth part
        self.split = norm == "inf"
        self.size = (2 * p if self.split else p) + self.fit_intercept
        self.provides = frozenset({"bounds"}) if self.split else frozenset()
        self.checks_scores = False

    # ------------------------------------------------------------------ layout
    def solver_context(self):
        """The base objective's solver context."""
        return self.base.solver_context()

    def unpack(self, coef):
        """The model's weights ``(1, p)`` and intercept ``(1,)`` (copies for the split layout)."""
        p = self.n_features
        w = coef[:p] - coef[p:2 * p] if self.split else coef[:p]
        b = coef[-1:] if self.fit_intercept else np.zeros(1)
        return np.asarray(w)[None, :], np.asarray(b, dtype=np.float64)

    def lift(self, model_coef):
        """The solver's coefficients for model coefficients ``[w, b]`` (``[w]`` without intercept)."""
        model_coef = np.asarray(model_coef, dtype=np.float64)
        if not self.split:
            return model_coef.copy()
        p = self.n_features
        w = model_coef[:p]
        return np.concatenate([np.maximum(w, 0), np.maximum(-w, 0), model_coef[p:]])

    def _model(self, coef):
        W, b = self.unpack(coef)
        return np.concatenate([W[0], b]) if self.fit_intercept else W[0].copy()

    def bounds(self):
        """``(lower, upper)`` per coefficient: ``u, v >= 0`` (capability ``"bounds"``)."""
        p = self.n_features
        lower = np.r_[np.zeros(2 * p), np.full(int(self.fit_intercept), -np.inf)]
        return list(zip(lower, np.full(self.size, np.inf)))

    def penalised_mask(self):
        """The weights' entries of ``coef``."""
        mask = np.ones(self.size, dtype=bool)
        if self.fit_intercept:
            mask[-1] = False
        return mask

    # ------------------------------------------------------------------ values
    def _dual_norm(self, coef):
        p = self.n_features
        if self.split:
            return float(coef[:2 * p].sum())
        return float(np.linalg.norm(coef[:p]))

    def linear_predictor(self, coef, exact=False):
        """The clean scores ``X w + b`` of the model."""
        return self.base.linear_predictor(self._model(coef), exact=exact)

    def worst_case_scores(self, coef, raw=None):
        """The scores at each sample's worst perturbation, ``z_i - s_i epsilon ||w||_*``."""
        if raw is None:
            raw = self.linear_predictor(coef)
        return raw - self.sign * (self.epsilon * self._dual_norm(coef))

    def loss(self, coef, raw=None):
        """The scaled robust objective (there is no separate L1 part)."""
        return self.loss_gradient(coef, raw)[0]

    def loss_gradient(self, coef, raw=None):
        """Value and gradient in the solver's layout."""
        base, p = self.base, self.n_features
        model = self._model(coef)
        shifted = self.worst_case_scores(coef, raw)
        per_sample, G = base.loss_fn.loss_gradient(base.y, shifted)
        G = G * base.sw
        value = float(base.sw @ per_sample) + base._penalty(model)
        model_grad = base._grad_from_raw_grad(model, G)  # X^T G (+ sum G) + l2 w
        # d/dw of the shift term: -epsilon * sum_i G_i s_i * d||w||_* / dw, with -G_i s_i >= 0.
        pull = self.epsilon * float(-(G @ self.sign))
        if self.split:
            value += self.l1_weight * float(coef[:2 * p].sum())
            grad = np.empty(self.size)
            grad[:p] = model_grad[:p] + pull + self.l1_weight
            grad[p:2 * p] = -model_grad[:p] + pull + self.l1_weight
            grad[2 * p:] = model_grad[p:]
            return value, grad
        norm = np.linalg.norm(coef[:p])
        grad = model_grad.copy()
        if norm > 0:
            grad[:p] += pull * coef[:p] / norm
        else:
            # At w = 0 the subdifferential is a + pull * (unit ball), a = grad[:p]: its element of
            # least norm, zero exactly when w = 0 is optimal (see zero_weights_optimal).
            a_norm = np.linalg.norm(grad[:p])
            grad[:p] *= max(0.0, 1.0 - pull / a_norm) if a_norm > 0 else 0.0
        return value, grad

    def zero_weights_optimal(self, intercept):
        """Whether ``w = 0`` (with the given intercept, the null model's) minimises the ``"l2"`` objective.

        At ``w = 0`` the directional derivative along ``d`` is ``a . d + epsilon c
        ||d||_2`` with ``a = X^T (s_i g_i)`` and ``c = sum_i s_i |g_i|`` (``g`` the
        weighted score gradient at the null model): ``w = 0`` is optimal iff
        ``||a||_2 <= epsilon c``.
        """
        model = np.r_[np.zeros(self.n_features), np.atleast_1d(intercept)[: self.fit_intercept]]
        base = self.base
        G = base.loss_fn.gradient(base.y, base.linear_predictor(model)) * base.sw
        a = base._row_sums(G)[: self.n_features]
        return bool(np.linalg.norm(a) <= self.epsilon * float(np.abs(G).sum()))

    def user_objective(self, coef, raw=None):
        """The robust objective in scikit-learn's scaling, ``C * S * f``."""
        return self.loss(coef, raw) * self.weight_sum * (1.0 if np.isinf(self.C) else self.C)
