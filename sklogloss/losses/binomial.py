"""Binomial log loss (binary cross-entropy) on raw predictions.

The raw prediction is the log-odds ``z``; the target ``y`` is a probability in
``[0, 1]`` (hard labels are the special case ``y in {0, 1}``). Per sample::

    loss(y, z)     = log(1 + exp(z)) - y * z
    gradient(y, z) = expit(z) - y
    hessian(y, z)  = expit(z) * (1 - expit(z))        (independent of y)

Every function keeps the floating dtype of ``z`` and stays finite for
``|z|`` up to the float's range (no ``log(sigmoid)``, no ``1 - p``
cancellation).
"""

import numpy as np

from .base import Loss

__all__ = ["BinomialLoss", "log1pexp", "sigmoid"]


def log1pexp(z, out=None):
    """Compute ``log(1 + exp(z))`` without overflow.

    Parameters
    ----------
    z : ndarray
        Raw predictions (any floating dtype).
    out : ndarray, optional
        Output buffer of the same shape and dtype.

    Returns
    -------
    ndarray
        ``log(1 + exp(z))``, finite for every finite ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import log1pexp
    >>> log1pexp(np.array([-1e4, 0.0, 1e4]))
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    """
    z = np.asarray(z)
    # max(z, 0) + log1p(exp(-|z|)): twice as fast as np.logaddexp(0, z), as exact.
    out = np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(z, 0)
    return out


def sigmoid(z, out=None):
    """Logistic function ``1 / (1 + exp(-z))``, stable for any finite ``z``.

    Parameters
    ----------
    z : ndarray
        Raw predictions (log-odds).
    out : ndarray, optional
        Output buffer of the same shape and dtype.

    Returns
    -------
    ndarray
        Probabilities in ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import sigmoid
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    from scipy.special import expit

    return expit(z, out=out)


class BinomialLoss(Loss):
    """Binary cross-entropy on log-odds, with targets in ``[0, 1]``.

    A loss never sees the design matrix: it maps raw predictions ``z`` of
    shape ``(n,)`` and targets ``y`` of shape ``(n,)`` to per-sample losses,
    gradients and Hessians with respect to ``z``.

    Its state (see :mod:`sklogloss.losses.base`) is ``exp(-|z|)``, the
    exponential the value needs: given back, the gradient, the Hessian
    diagonal and the Hessian products at the same ``z`` cost no exponential
    of their own (on a tall X, where a line search's value and the next
    gradient are most of a Newton step's work beside the products).

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> loss = BinomialLoss()
    >>> z, y = np.array([0.0, 2.0]), np.array([1.0, 0.25])
    >>> loss.loss(y, z).round(4)
    array([0.6931, 1.6269])
    >>> grad, hess = loss.gradient_hessian(y, z)
    >>> grad.round(4), hess.round(4)
    (array([-0.5   ,  0.6308]), array([0.25 , 0.105]))
    """

    n_outputs = 1
    hessian_is_fisher = True
    hessian_bound = 0.25
    linear_in_target = True
    has_state = True

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        out = log1pexp(raw)
        out -= y * raw
        return out

    def loss_gradient(self, y, raw):
        """Per-sample loss and gradient with respect to ``raw``."""
        e = np.exp(-np.abs(raw))
        loss = np.log1p(e)
        loss += np.maximum(raw, 0)
        loss -= y * raw
        grad = self._proba_from_exp(raw, e)
        grad -= y
        return loss, grad

    def loss_state(self, y, raw):
        """Per-sample loss and the state ``exp(-|raw|)`` (read-only for its consumers)."""
        e = np.abs(raw)
        np.negative(e, out=e)
        np.exp(e, out=e)
        loss = np.log1p(e)
        loss += np.maximum(raw, 0)
        loss -= y * raw
        return loss, e

    def gradient(self, y, raw, state=None):
        """Per-sample gradient ``expit(raw) - y`` (``state``: ``exp(-|raw|)`` from :meth:`loss_state`)."""
        grad = sigmoid(raw) if state is None else self._proba_from_exp(raw, state)
        grad -= y
        return grad

    def hessian_diagonal(self, y, raw, state=None):
        """Per-sample Hessian ``p (1 - p)``, computed as ``e / (1 + e)^2`` with ``e = exp(-|raw|)``."""
        e = np.exp(-np.abs(raw)) if state is None else state
        return e / np.square(1 + e)

    def gradient_hessian_product(self, y, raw, state=None, overwrite=False, dtype=None):
        """Per-sample gradient and ``r -> p (1 - p) r`` (``state``: see :meth:`gradient`; ``dtype`` is not used)."""
        e = np.exp(-np.abs(raw)) if state is None else state
        grad = self._proba_from_exp(raw, e)
        grad -= y
        hess = e / np.square(1 + e)
        if overwrite:
            return grad, lambda r: np.multiply(hess, r, out=r) if r.dtype == hess.dtype else hess * r
        return grad, lambda r: hess * r

    def gradient_hessian(self, y, raw):
        """Per-sample gradient and (diagonal) Hessian ``p (1 - p)``."""
        e = np.exp(-np.abs(raw))
        p = self._proba_from_exp(raw, e)
        # p (1 - p) = e / (1 + e)^2 with e = exp(-|z|): no cancellation.
        hess = e / np.square(1 + e)
        p -= y
        return p, hess

    def entropy(self, y):
        """Per-sample entropy of the targets, the infimum of the loss over ``raw``."""
        y = np.asarray(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -(np.where(y > 0, y * np.log(y), 0) + np.where(y < 1, (1 - y) * np.log1p(-y), 0))
        return out

    @staticmethod
    def _proba_from_exp(raw, e):
        # expit(z) from e = exp(-|z|): 1 / (1 + e) for z >= 0, e / (1 + e) otherwise.
        denom = 1 + e
        p = np.where(raw >= 0, 1.0, e)
        p /= denom
        return p.astype(raw.dtype, copy=False)
