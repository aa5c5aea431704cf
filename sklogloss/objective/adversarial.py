"""The worst-case logistic loss of a linear model under bounded input perturbations: exact, or a bound.

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

With ``K > 2`` classes (softmax scores ``z_k = w_k . x + b_k``, label ``y``) the
worst case is no longer closed-form; the loss is taken at the scores
``z_k + epsilon (||w_k||_* + ||w_y||_*)`` for ``k != y`` (``z_y`` kept), an upper
bound since ``(w_k - w_y) . delta <= epsilon ||w_k - w_y||_* <= epsilon
(||w_k||_* + ||w_y||_*)`` for every ``delta`` of the ball: convex, and exact for
two classes, where the shift of the score vectors that the L2 penalty picks
(``w_0 = -w_1``) makes the triangle inequality an equality. For the L-inf ball
the same split ``w_k = u_k - v_k`` makes it smooth under bounds. For the L2
ball the norms of the bound are not differentiable where a class's weights
vanish, which its optimum favours (a group-lasso structure); with ``K > 2``
each ``||w_k||_2`` is replaced by ``sqrt(||w_k||_2^2 + delta^2)``, ``delta =
1e-3``, larger, hence still an upper bound of the worst case, and smooth: each
score is at most ``2 epsilon delta`` above the bound with the plain norms.
"""

import numpy as np

from ..losses import BinomialLoss, MultinomialLoss
from .base import Objective

__all__ = ["AdversarialObjective"]

#: More than two classes, L2 ball: the norms in the bound are sqrt(||w_k||^2 + delta^2), smooth where a
#: class's weights vanish (which the optimum favours); each score is then at most 2 epsilon delta higher.
_L2_SMOOTHING = 1e-3


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
        K = base.n_outputs
        if K == 1 and not isinstance(base.loss_fn, BinomialLoss) or K > 1 and not isinstance(
                base.loss_fn, MultinomialLoss):
            raise ValueError("Adversarial training needs a logistic objective: BinomialLoss with one output or "
                             "MultinomialLoss with several.")
        hard = np.all((base.y == 0) | (base.y == 1)) if K == 1 else np.all((base.y > 0).sum(axis=1) <= 1)
        if not hard:
            raise ValueError("Adversarial training needs hard 0/1 targets: the worst case of a soft target "
                             "is not a convex objective. Drop label_smoothing and pass class labels.")
        if norm not in ("inf", "l2"):
            raise ValueError(f"adversarial_norm must be 'inf' or 'l2'; got {norm!r}.")
        if norm == "l2" and base.l1_strength > 0:
            raise ValueError("adversarial_norm='l2' with an L1 term (l1_ratio > 0) is not supported: use "
                             "adversarial_norm='inf' or l1_ratio=0.")
        self.base, self.epsilon, self.norm = base, float(epsilon), norm
        if K == 1:
            self.sign = 2.0 * base.y - 1.0
        else:
            self.others = np.asarray(base.y == 0, dtype=np.float64)  # 1 off each row's class
            self.label = np.asarray(base.y).argmax(axis=1)
        p = self.n_features = base.n_features
        self.fit_intercept, self.n_outputs, self.n_samples = base.fit_intercept, K, base.n_samples
        self.y, self.sample_weight, self.sw = base.y, base.sample_weight, base.sw
        self.weight_sum, self.C, self.l2_strength = base.weight_sum, base.C, base.l2_strength
        self.l1_weight = base.l1_strength  # for "inf": sum(u + v) in the smooth part
        self.split = norm == "inf"
        #: K > 2, L2 ball: ||w_k||_2 is replaced by sqrt(||w_k||^2 + delta^2) >= ||w_k||_2 (still a bound).
        self.smoothing = _L2_SMOOTHING if norm == "l2" and K > 2 else 0.0
        self.size = K * (2 * p if self.split else p) + K * self.fit_intercept
        self.provides = frozenset({"bounds"}) if self.split else frozenset()
        self.checks_scores = False

    # ------------------------------------------------------------------ layout
    def solver_context(self):
        """The base objective's solver context."""
        return self.base.solver_context()

    def unpack(self, coef):
        """The model's weights ``(K, p)`` and intercepts ``(K,)``."""
        return self.base.unpack(self._model(coef))

    def lift(self, model_coef):
        """The solver's coefficients for model coefficients in the base objective's layout."""
        model_coef = np.asarray(model_coef, dtype=np.float64)
        if not self.split:
            return model_coef.copy()
        M = model_coef.reshape(self.n_outputs, -1)
        W = M[:, : self.n_features]
        return np.concatenate([np.maximum(W, 0).ravel(), np.maximum(-W, 0).ravel(), M[:, self.n_features:].ravel()])

    def _model(self, coef):
        """The coefficients in the base objective's layout (``(K, p + fit_intercept)`` rows, flat)."""
        if not self.split:
            return coef
        K, p = self.n_outputs, self.n_features
        W = coef[: K * p] - coef[K * p: 2 * K * p]
        return np.column_stack([W.reshape(K, p), coef[2 * K * p:].reshape(K, -1)]).ravel()

    def bounds(self):
        """``(lower, upper)`` per coefficient: ``u, v >= 0`` (capability ``"bounds"``)."""
        K, p = self.n_outputs, self.n_features
        lower = np.r_[np.zeros(2 * K * p), np.full(K * int(self.fit_intercept), -np.inf)]
        return list(zip(lower, np.full(self.size, np.inf)))

    def penalised_mask(self):
        """The weights' entries of ``coef``."""
        if not self.split:
            return self.base.penalised_mask()
        return np.arange(self.size) < 2 * self.n_outputs * self.n_features

    # ------------------------------------------------------------------ values
    def _dual_norms(self, coef):
        """``||w_k||_*`` per output, ``(K,)``."""
        K, p = self.n_outputs, self.n_features
        if self.split:
            return (coef[: K * p] + coef[K * p: 2 * K * p]).reshape(K, p).sum(axis=1)
        squares = (coef.reshape(K, -1)[:, :p] ** 2).sum(axis=1)
        return np.sqrt(squares + self.smoothing ** 2)

    def linear_predictor(self, coef, exact=False):
        """The clean scores ``X W^T + b`` of the model."""
        return self.base.linear_predictor(self._model(coef), exact=exact)

    def separates(self, coef):
        """Whether the model's clean scores separate the targets (see ``LinearObjective.separates``)."""
        return self.base.separates(self._model(coef))

    def worst_case_scores(self, coef, raw=None):
        """The scores the loss is taken at: the exact worst case (one output) or its bound (several).

        One output: ``z_i - s_i epsilon ||w||_*``. Several: ``z_ik + epsilon (||w_k||_* +
        ||w_y||_*)`` for each class ``k`` other than the sample's class ``y``, which keeps
        ``z_iy``: since ``(w_k - w_y) . delta <= epsilon ||w_k - w_y||_* <= epsilon
        (||w_k||_* + ||w_y||_*)``, the cross-entropy there bounds the worst case from above.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        N = self._dual_norms(coef)
        if self.n_outputs == 1:
            return raw - self.sign * (self.epsilon * N[0])
        return raw + self.epsilon * (N[None, :] + N[self.label][:, None]) * self.others

    def loss(self, coef, raw=None):
        """The scaled robust objective (there is no separate L1 part)."""
        return self.loss_gradient(coef, raw)[0]

    def loss_gradient(self, coef, raw=None):
        """Value and gradient in the solver's layout."""
        base, K, p = self.base, self.n_outputs, self.n_features
        model = self._model(coef)
        shifted = self.worst_case_scores(coef, raw)
        per_sample, G = base.loss_fn.loss_gradient(base.y, shifted)
        G = base._weight_rows(G)
        value = float(base.sw @ per_sample) + base._penalty(model)
        mg = base._grad_from_raw_grad(model, G).reshape(K, -1)  # X^T G (+ sum G) + l2 w, per output
        # The shift's derivative in ||w_k||_*, >= 0: the norms act as a penalty on every margin.
        if K == 1:
            pull = np.array([self.epsilon * float(-(G @ self.sign))])  # -G_i s_i >= 0
        else:
            M = G * self.others
            pull = self.epsilon * (M.sum(axis=0) + np.bincount(self.label, weights=M.sum(axis=1), minlength=K))
        if self.split:
            value += self.l1_weight * float(coef[: 2 * K * p].sum())
            shift = pull[:, None] + self.l1_weight
            return value, np.concatenate([(mg[:, :p] + shift).ravel(), (-mg[:, :p] + shift).ravel(),
                                          mg[:, p:].ravel()])
        W = coef.reshape(K, -1)[:, :p]
        for k in range(K):
            norm = np.sqrt(float(W[k] @ W[k]) + self.smoothing ** 2)
            if norm > 0:
                mg[k, :p] += pull[k] * W[k] / norm
            else:
                # At w_k = 0 the subdifferential is a + pull_k * (unit ball), a = mg[k, :p]: its
                # element of least norm, zero exactly when w_k = 0 is optimal there.
                a_norm = np.linalg.norm(mg[k, :p])
                mg[k, :p] *= max(0.0, 1.0 - pull[k] / a_norm) if a_norm > 0 else 0.0
        return value, mg.ravel()

    def zero_weights_optimal(self, intercept):
        """Whether ``w = 0`` (with the given intercept, the null model's) minimises the one-output ``"l2"`` objective.

        At ``w = 0`` the directional derivative along ``d`` is ``a . d + epsilon c
        ||d||_2`` with ``a = X^T g`` and ``c = sum_i |g_i|`` (``g`` the weighted
        gradient of the loss with respect to the scores at the null model, whose
        sign is ``-s_i``): ``w = 0`` is optimal iff ``||a||_2 <= epsilon c``.
        """
        if self.n_outputs != 1:
            raise ValueError("zero_weights_optimal is the closed form of the one-output model.")
        model = np.r_[np.zeros(self.n_features), np.atleast_1d(intercept)[: self.fit_intercept]]
        base = self.base
        G = base.loss_fn.gradient(base.y, base.linear_predictor(model)) * base.sw
        a = base._row_sums(G)[: self.n_features]
        return bool(np.linalg.norm(a) <= self.epsilon * float(np.abs(G).sum()))

    def user_objective(self, coef, raw=None):
        """The robust objective in scikit-learn's scaling, ``C * S * f``."""
        return self.loss(coef, raw) * self.weight_sum * (1.0 if np.isinf(self.C) else self.C)
