"""Focal losses (Lin et al. 2017) on raw predictions: the cross-entropy down-weighted where it is small.

Binary, torchvision's ``sigmoid_focal_loss`` convention, for a target ``t`` in
``[0, 1]`` and log-odds ``z`` (``p = expit(z)``)::

    p_t   = p t + (1 - p) (1 - t)
    loss  = alpha_t (1 - p_t)**gamma * BCE(t, z),   alpha_t = alpha t + (1 - alpha) (1 - t)

(``alpha=None``: ``alpha_t = 1``). With soft targets ``1 - p_t = t (1 - p) + (1 - t) p``
is the expected disagreement, and the loss is not linear in ``t``.

Multinomial, for a target row ``y`` (one-hot for hard labels, a probability
vector for soft ones) and ``p = softmax(z)``::

    loss = -sum_k alpha_k y_k (1 - p_k)**gamma log p_k

(``alpha=None``: all ones), linear in ``y``: for one-hot rows it is
``-alpha_t (1 - p_t)**gamma log p_t``.

With ``gamma = 0`` both are the (alpha-weighted) cross-entropy. For ``gamma > 0``
neither is convex in the scores: their Hessians can be indefinite, which the
solvers are told through the capability ``convex = False``.

Derivatives are exact and stay finite for any finite scores: the binary ones
are written with ``r = p (1 - p) / (1 - p_t)`` (bounded by 1), the multinomial
Hessian as ``sum_k beta_k w_k w_k^T - U (diag(p) - p p^T)`` with ``w_k = e_k -
p`` whose entry ``k`` is ``1 - p_k`` computed as ``-expm1(log p_k)`` (no
cancellation where ``p_k`` is close to 1).
"""

from numbers import Real

import numpy as np

from .base import Loss

__all__ = ["BinaryFocalLoss", "MultinomialFocalLoss", "check_focal_gamma"]

#: Floor of ``1 - p`` where ``(1 - p)**(gamma - 1)`` is formed (``gamma < 1``): its product with
#: ``(1 - p)**2`` stays finite; the terms it multiplies are below ``1e-300`` there.
_TINY_COMPLEMENT = 1e-150


def _out_dtype(raw):
    """The floating dtype of ``raw`` (the dtype every output keeps; the arithmetic is float64)."""
    dtype = np.asarray(raw).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def check_focal_gamma(gamma):
    """Return ``gamma`` as a float after checking it is a finite number ``>= 0``.

    Examples
    --------
    >>> from sklogloss.losses.focal import check_focal_gamma
    >>> check_focal_gamma(2)
    2.0
    >>> try:
    ...     check_focal_gamma(-1.0)
    ... except ValueError as exc:
    ...     print(exc)
    focal_gamma must be a finite number >= 0 (0 is the log loss); got -1.0.
    """
    if isinstance(gamma, bool) or not isinstance(gamma, Real) or not np.isfinite(gamma) or gamma < 0:
        raise ValueError(f"focal_gamma must be a finite number >= 0 (0 is the log loss); got {gamma!r}.")
    return float(gamma)


class BinaryFocalLoss(Loss):
    """Binary focal loss on log-odds, torchvision's convention, with targets in ``[0, 1]``.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``; ``0`` gives the binary cross-entropy.
    alpha : float in [0, 1] or None, default=None
        Weight of the positive class (``1 - alpha`` for the negative one);
        ``None``: no alpha weighting.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinaryFocalLoss, BinomialLoss
    >>> z, t = np.array([-2.0, 0.0, 3.0]), np.array([0.0, 1.0, 1.0])
    >>> BinaryFocalLoss(gamma=2.0).loss(t, z).round(5)
    array([1.8000e-03, 1.7329e-01, 1.1000e-04])
    >>> bool(np.allclose(BinaryFocalLoss(gamma=0.0).loss(t, z), BinomialLoss().loss(t, z)))
    True
    """

    n_outputs = 1
    linear_in_target = False

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = check_focal_gamma(gamma)
        if alpha is not None:
            if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha <= 1:
                raise ValueError(f"focal_alpha of a binary focal loss must be None or a number in "
                                 f"[0, 1] (the positive class's weight); got {alpha!r}.")
            alpha = float(alpha)
        self.alpha = alpha
        self.convex = self.gamma == 0
        # gamma = 0: alpha_t p (1 - p) >= 0 (the Fisher information of the weighted cross-entropy).
        self.hessian_is_fisher = self.gamma == 0 and alpha is None
        self.hessian_bound = 0.25 * (1.0 if alpha is None else max(alpha, 1 - alpha)) if self.convex else None

    def _alpha_t(self, y):
        return None if self.alpha is None else self.alpha * y + (1 - self.alpha) * (1 - y)

    def _parts(self, y, raw):
        z = np.asarray(raw, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        e = np.exp(-np.abs(z))
        denom = 1 + e
        p = np.where(z >= 0, 1.0, e) / denom
        pc = np.where(z >= 0, e, 1.0) / denom  # 1 - p, without cancellation
        ce = np.log1p(e) + np.maximum(z, 0) - y * z
        q = y * pc + (1 - y) * p  # 1 - p_t
        return z, p, pc, ce, q

    def _modulator(self, q):
        return np.ones_like(q) if self.gamma == 0 else q ** self.gamma

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        _, _, _, ce, q = self._parts(y, raw)
        out = self._modulator(q) * ce
        a = self._alpha_t(y)
        return (out if a is None else out * a).astype(_out_dtype(raw), copy=False)

    def _ratio(self, p, pc, q):
        s = p * pc
        with np.errstate(invalid="ignore", divide="ignore"):
            # q = 0 only for a hard target whose probability underflowed: the limit of s / q is 1.
            return s, np.where(q > 0, s / np.where(q > 0, q, 1.0), 1.0)

    def gradient(self, y, raw, state=None):
        """Per-sample gradient with respect to ``raw``."""
        _, p, pc, ce, q = self._parts(y, raw)
        g = self.gamma
        grad = p - y
        if g:
            _, r = self._ratio(p, pc, q)
            grad = grad + g * (1 - 2 * y) * r * ce
        grad = self._modulator(q) * grad
        a = self._alpha_t(y)
        return (grad if a is None else grad * a).astype(_out_dtype(raw), copy=False)

    def gradient_hessian(self, y, raw):
        """Per-sample gradient and second derivative (may be negative for ``gamma > 0``)."""
        _, p, pc, ce, q = self._parts(y, raw)
        g = self.gamma
        s, r = self._ratio(p, pc, q)
        d = p - y
        grad, hess = d.copy(), s.copy()
        if g:
            b = (1 - 2 * y) * r  # (1 - p_t)' / (1 - p_t)
            grad += g * b * ce
            hess += g * (g - 1) * b * b * ce + g * b * (1 - 2 * p) * ce + 2 * g * b * d
        m = self._modulator(q)
        grad *= m
        hess *= m
        a = self._alpha_t(y)
        if a is not None:
            grad *= a
            hess *= a
        dtype = _out_dtype(raw)
        return grad.astype(dtype, copy=False), hess.astype(dtype, copy=False)


class MultinomialFocalLoss(Loss):
    """Multinomial focal loss ``-sum_k alpha_k y_k (1 - p_k)**gamma log p_k`` on ``(n, K)`` scores.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``; ``0`` gives the (alpha-weighted) cross-entropy.
    alpha : array-like of shape (K,) or None, default=None
        Non-negative weight of each class; ``None``: all ones.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import MultinomialFocalLoss, MultinomialLoss
    >>> z = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    >>> MultinomialFocalLoss(gamma=2.0).loss(y, z).round(5)
    array([0.00414, 0.48827])
    >>> bool(np.allclose(MultinomialFocalLoss(gamma=0.0).loss(y, z), MultinomialLoss().loss(y, z)))
    True
    """

    n_outputs = None
    shift_invariant = True
    linear_in_target = True

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = check_focal_gamma(gamma)
        if alpha is not None:
            alpha = np.asarray(alpha, dtype=np.float64)
            if alpha.ndim != 1 or not np.all(np.isfinite(alpha)) or np.any(alpha < 0):
                raise ValueError("focal_alpha of a multinomial focal loss must be None or a 1-D array of "
                                 f"non-negative finite weights, one per class; got {alpha!r}.")
        self.alpha = alpha
        self.convex = self.gamma == 0
        self.hessian_is_fisher = self.convex
        self.hessian_bound = 0.5 * (1.0 if alpha is None else float(alpha.max(initial=0.0))) \
            if self.convex else None

    def _weights(self, y):
        if self.alpha is None:
            return y
        if self.alpha.size != y.shape[1]:
            raise ValueError(f"focal_alpha has {self.alpha.size} entries for {y.shape[1]} classes; give one "
                             "weight per class.")
        return y * self.alpha

    def _parts(self, y, raw):
        """``(c, p, log p, 1 - p)`` at ``raw``, each ``(n, K)``; ``1 - p`` accurate near ``p = 1``."""
        z = np.asarray(raw, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        top = z.argmax(axis=1)
        rows = np.arange(z.shape[0])
        shifted = z - z[rows, top][:, None]
        e = np.exp(shifted)
        e[rows, top] = 0.0
        rest = e.sum(axis=1)  # sum of the other classes' exp(z_k - z_max)
        log_s = np.log1p(rest)
        log_p = shifted - log_s[:, None]
        p = np.exp(log_p)
        m = -np.expm1(log_p)
        return self._weights(y), p, log_p, m

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        c, _, log_p, m = self._parts(y, raw)
        mod = np.ones_like(m) if self.gamma == 0 else m ** self.gamma
        return (-(c * mod * log_p).sum(axis=1)).astype(_out_dtype(raw), copy=False)

    def _u(self, c, p, log_p, m):
        """``u_k = c_k p_k f'(p_k)`` with ``f(p) = -(1 - p)**gamma log p``, and ``rho = log p / (1 - p)``."""
        g = self.gamma
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.where(m > 0, log_p / np.where(m > 0, m, 1.0), -1.0)
        mod = np.ones_like(m) if g == 0 else m ** g
        return c * mod * (g * p * rho - 1.0), rho

    def gradient(self, y, raw, state=None):
        """Per-sample gradient ``u - p sum(u)`` with respect to ``raw``, ``(n, K)``."""
        c, p, log_p, m = self._parts(y, raw)
        u, _ = self._u(c, p, log_p, m)
        return (u - p * u.sum(axis=1)[:, None]).astype(_out_dtype(raw), copy=False)

    def gradient_hessian(self, y, raw):
        """Per-sample gradient ``(n, K)`` and Hessian blocks ``(n, K, K)`` (indefinite for ``gamma > 0``)."""
        c, p, log_p, m = self._parts(y, raw)
        g = self.gamma
        u, rho = self._u(c, p, log_p, m)
        U = u.sum(axis=1)
        grad = u - p * U[:, None]
        n, K = p.shape
        idx = np.arange(K)
        # -U (diag(p) - p p^T), its diagonal p (1 - p) without cancellation.
        hess = p[:, :, None] * p[:, None, :]
        hess[:, idx, idx] = -p * m
        hess *= U[:, None, None]
        if g:
            # beta_k = c_k p_k (f''(p_k) p_k + f'(p_k))
            #        = c_k p_k gamma (1 - p_k)^(gamma - 1) ((1 - gamma) p_k rho_k + log p_k + 2)
            beta = c * p * g * np.maximum(m, _TINY_COMPLEMENT) ** (g - 1) * ((1 - g) * p * rho + log_p + 2)
            W = np.broadcast_to(-p[:, None, :], (n, K, K)).copy()  # row k: e_k - p
            W[:, idx, idx] = m
            hess += np.matmul(W.transpose(0, 2, 1), beta[:, :, None] * W)
        dtype = _out_dtype(raw)
        return grad.astype(dtype, copy=False), hess.astype(dtype, copy=False)
