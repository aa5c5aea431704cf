"""Multinomial log loss (categorical cross-entropy) on raw predictions.

The raw prediction of a sample is a vector of ``K`` scores ``z``; the target
``y`` is a probability vector of length ``K`` (a one-hot row for hard labels).
With ``P = softmax(z)`` and ``s = sum_k y_k`` (1 for a probability vector)::

    loss(y, z)     = s * logsumexp(z) - y . z
    gradient(y, z) = s * P - y
    hessian(y, z)  = s * (diag(P) - P P^T)            (independent of y's shape)

Everything is computed from ``z - max(z)`` so that scores of any magnitude
stay finite.
"""

import numpy as np

__all__ = ["MultinomialLoss", "softmax"]


def _logsumexp_and_softmax(raw):
    zmax = raw.max(axis=1, keepdims=True)
    p = raw - zmax
    np.exp(p, out=p)
    s = p.sum(axis=1, keepdims=True)
    p /= s
    lse = np.log(s[:, 0])
    lse += zmax[:, 0]
    return lse, p


def softmax(raw):
    """Row-wise softmax of an ``(n, K)`` array, stable for any finite scores.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_classes)
        Raw scores.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Rows are probability vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import softmax
    >>> softmax(np.array([[0.0, 0.0], [1e4, 0.0]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    return _logsumexp_and_softmax(np.asarray(raw, dtype=np.result_type(raw, np.float32)))[1]


class MultinomialLoss:
    """Categorical cross-entropy on ``(n, K)`` scores with probability targets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import MultinomialLoss
    >>> loss = MultinomialLoss()
    >>> z = np.array([[0.0, 0.0, 0.0]])
    >>> y = np.array([[1.0, 0.0, 0.0]])
    >>> loss.loss(y, z).round(4)
    array([1.0986])
    >>> loss.gradient(y, z).round(4)
    array([[-0.6667,  0.3333,  0.3333]])
    """

    #: Scores per sample are ``(n, K)``; ``None`` means "K, whatever the targets say".
    n_outputs = None
    hessian_is_fisher = True

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        lse, _ = _logsumexp_and_softmax(raw)
        return lse * y.sum(axis=1) - np.einsum("ij,ij->i", y, raw)

    def loss_gradient(self, y, raw):
        """Per-sample loss ``(n,)`` and gradient ``(n, K)``."""
        lse, p = _logsumexp_and_softmax(raw)
        ysum = y.sum(axis=1)
        loss = lse * ysum - np.einsum("ij,ij->i", y, raw)
        p *= ysum[:, None]
        p -= y
        return loss, p

    def gradient(self, y, raw):
        """Per-sample gradient ``s * softmax(raw) - y``, shape ``(n, K)``."""
        return self.loss_gradient(y, raw)[1]

    def gradient_hessian(self, y, raw):
        """Gradient ``(n, K)`` and per-sample Hessian blocks ``(n, K, K)``."""
        _, p = _logsumexp_and_softmax(raw)
        ysum = y.sum(axis=1)
        hess = -p[:, :, None] * p[:, None, :]
        idx = np.arange(p.shape[1])
        hess[:, idx, idx] += p
        hess *= ysum[:, None, None]
        grad = p * ysum[:, None]
        grad -= y
        return grad, hess

    def gradient_hessian_product(self, y, raw):
        """Gradient and a function ``v -> H v`` applied per sample.

        ``v`` has shape ``(n, K)``; the product is ``s * (P * v - P (P . v))``.
        """
        _, p = _logsumexp_and_softmax(raw)
        ysum = y.sum(axis=1)
        grad = p * ysum[:, None]
        grad -= y
        ps = p * ysum[:, None]

        def hessp(v):
            pv = np.einsum("ij,ij->i", p, v)
            out = v - pv[:, None]
            out *= ps
            return out

        return grad, hessp

    def entropy(self, y):
        """Per-sample entropy of the target rows, the infimum of the loss."""
        y = np.asarray(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.where(y > 0, y * np.log(y), 0).sum(axis=1)

    @staticmethod
    def predict_proba(raw):
        """Class probabilities ``softmax(raw)``."""
        return softmax(raw)
