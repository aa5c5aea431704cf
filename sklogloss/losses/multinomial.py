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

import warnings

import numpy as np

from .base import Loss

__all__ = ["MultinomialLoss", "log_softmax", "softmax", "softmax_hessian_blocks"]


def _row_max(a):
    """``a.max(axis=1)`` for an ``(n, K)`` array, a column at a time.

    numpy's reduction along the short axis of a C-ordered ``(n, K)`` array
    costs 20 times an elementwise pass (27 ms against 1.3 ms for
    ``327,000 x 5`` here); the scores of a CSR design are C-ordered.
    """
    out = a[:, 0].copy()
    for k in range(1, a.shape[1]):
        np.maximum(out, a[:, k], out=out)
    return out


def _row_sum(a):
    """``a.sum(axis=1)`` as a matrix-vector product (fast for either memory layout, see :func:`_row_max`)."""
    return a @ np.ones(a.shape[1], dtype=a.dtype)


def _row_dot(a, b):
    """``(a * b).sum(axis=1)``, without the ``(n, K)`` product (``einsum``: 1.8x faster in either layout)."""
    return np.einsum("ij,ij->i", a, b)


def _shifted_softmax(raw):
    """Return ``(log_s, shifted, P)``: ``shifted = raw - max(raw)``, ``log_s = logsumexp(shifted)``.

    Losses are assembled from the shifted scores, ``log_s * sum(y) - y . shifted``,
    so that large scores never cancel (``logsumexp(raw) - y . raw`` would in float32).
    """
    shifted = raw - _row_max(raw)[:, None]
    p = np.exp(shifted)
    s = _row_sum(p)
    p /= s[:, None]
    return np.log(s), shifted, p


def _cross_entropy(y, log_s, shifted):
    return log_s * _row_sum(y) - _row_dot(y, shifted)


def softmax_hessian_blocks(p, mass=None):
    """Per-sample Hessian blocks of the softmax cross-entropy, ``mass * (diag(p) - p p^T)``.

    Parameters
    ----------
    p : ndarray of shape (n, K)
        Probability rows.
    mass : ndarray of shape (n,), default=None
        Target mass of each row (``sum_k y_k``); ``None`` means ones.

    Returns
    -------
    ndarray of shape (n, K, K)
        The blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses.multinomial import softmax_hessian_blocks
    >>> softmax_hessian_blocks(np.array([[0.5, 0.5]]))
    array([[[ 0.25, -0.25],
            [-0.25,  0.25]]])
    """
    hess = -p[:, :, None] * p[:, None, :]
    idx = np.arange(p.shape[1])
    hess[:, idx, idx] += p
    if mass is not None:
        hess *= np.asarray(mass, dtype=hess.dtype)[:, None, None]
    return hess


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
    return _shifted_softmax(np.asarray(raw, dtype=np.result_type(raw, np.float32)))[2]


def log_softmax(raw):
    """Row-wise ``log(softmax(raw))``, computed as ``raw - logsumexp(raw)``.

    Finite wherever ``raw`` is, even where the probability underflows to zero.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_classes)
        Finite scores, of any magnitude.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Log-probabilities; ``exp`` of each row sums to one.

    Examples
    --------
    A score ``1e4`` below the others has probability ``exp(-1e4)``, zero in
    floating point, but a finite log-probability:

    >>> import numpy as np
    >>> from sklogloss.losses import log_softmax, softmax
    >>> scores = np.array([[1e4, 0.0]])
    >>> float(softmax(scores)[0, 1]), float(log_softmax(scores)[0, 1])
    (0.0, -10000.0)
    """
    log_s, shifted, _ = _shifted_softmax(np.asarray(raw, dtype=np.result_type(raw, np.float32)))
    shifted -= log_s[:, None]
    return shifted


class MultinomialLoss(Loss):
    """Categorical cross-entropy on ``(n, K)`` scores with probability targets.

    Its state (see :mod:`sklogloss.losses.base`) is ``softmax(raw)``: computed
    along with the value by :meth:`loss_state`, it spares the gradient and
    Hessian methods at the same scores their own exponentials (the
    exponential of ``n K`` scores is the most expensive part of this loss).

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

    n_outputs = None
    hessian_is_fisher = True
    shift_invariant = True
    hessian_bound = 0.5
    has_state = True
    linear_in_target = True
    has_hessian_factors = True

    def loss(self, y, raw, return_proba=False):
        """Per-sample loss, shape ``(n,)``.

        ``return_proba=True`` is deprecated: use :meth:`loss_state`.
        """
        if return_proba:
            warnings.warn("loss(..., return_proba=True) is deprecated; use loss_state(y, raw).",
                          FutureWarning, stacklevel=2)
            return self.loss_state(y, raw)
        return self._loss(y, raw, False)

    def loss_state(self, y, raw):
        """Per-sample loss ``(n,)`` and ``softmax(raw)`` (the state), at the cost of one softmax."""
        return self._loss(y, raw, True)

    @staticmethod
    def _loss(y, raw, with_proba):
        # One (n, K) temporary: the shifted scores, exponentiated in place and,
        # if asked for, normalised in place into the probabilities.
        shifted = raw - _row_max(raw)[:, None]
        yz = _row_dot(y, shifted)
        np.exp(shifted, out=shifted)
        s = _row_sum(shifted)
        out = np.log(s)
        out *= _row_sum(y)
        out -= yz
        if with_proba:
            shifted /= s[:, None]
            return out, shifted
        return out

    @staticmethod
    def _proba(raw, state, proba):
        if proba is not None:
            warnings.warn("proba= is deprecated; pass the state of loss_state as state=.",
                          FutureWarning, stacklevel=3)
            state = proba
        return _shifted_softmax(raw)[2] if state is None else state

    def loss_gradient(self, y, raw):
        """Per-sample loss ``(n,)`` and gradient ``(n, K)``."""
        log_s, shifted, p = _shifted_softmax(raw)
        ysum = _row_sum(y)
        loss = _cross_entropy(y, log_s, shifted)
        p *= ysum[:, None]
        p -= y
        return loss, p

    def gradient(self, y, raw, state=None, proba=None):
        """Per-sample gradient ``s * softmax(raw) - y``, shape ``(n, K)``.

        ``state``: ``softmax(raw)`` from :meth:`loss_state`, if known; not modified.
        """
        if state is None and proba is None:
            return self.loss_gradient(y, raw)[1]
        p = self._proba(raw, state, proba)
        ysum = _row_sum(y)
        return p - y if (ysum == 1).all() else p * ysum[:, None] - y

    def gradient_hessian(self, y, raw):
        """Gradient ``(n, K)`` and per-sample Hessian blocks ``(n, K, K)``."""
        p = _shifted_softmax(raw)[2]
        ysum = _row_sum(y)
        grad = p * ysum[:, None]
        grad -= y
        return grad, softmax_hessian_blocks(p, ysum)

    def gradient_hessian_factors(self, y, raw, state=None, proba=None):
        """Gradient ``(n, K)`` and the per-sample Hessian as ``diag(d) - v v^T``.

        Returns ``(grad, d, v)`` with ``d = s * P`` and ``v = sqrt(s) * P``:
        the ``(n, K, K)`` blocks are never formed, and the objective can
        assemble ``X^T H X`` from ``K`` weighted Gram matrices and one product
        of an ``(n, K * n_features)`` matrix with itself. ``state``: as in
        :meth:`gradient`.
        """
        p = self._proba(raw, state, proba)
        ysum = _row_sum(y)[:, None]
        d = p * ysum
        v = p * np.sqrt(np.maximum(ysum, 0))
        grad = d - y
        return grad, d, v

    def gradient_hessian_product(self, y, raw, state=None, proba=None, overwrite=False, dtype=None):
        """Gradient and a function ``v -> H v`` applied per sample.

        ``v`` has shape ``(n, K)``; the product is ``s * (P * v - P (P . v))``.
        ``state``: as in :meth:`gradient`; ``overwrite`` and ``dtype``: as in
        :meth:`Loss.gradient_hessian_product <sklogloss.losses.Loss.gradient_hessian_product>`
        (in place, half the time of the product with a new array at
        ``50,000 x 50``; with ``dtype=np.float32`` and a float32 ``v``, the
        product is float32 arithmetic on ``P`` rounded to float32).
        """
        p = self._proba(raw, state, proba)
        ysum = _row_sum(y)
        if np.all(ysum == 1):  # probability rows: s * P is P
            ps = p
        else:
            ps = p * ysum[:, None]
        grad = ps - y
        if dtype is not None and np.dtype(dtype) != p.dtype:
            p, ps = (p.astype(dtype),) * 2 if ps is p else (p.astype(dtype), ps.astype(dtype))

        def hessp(v):
            pv = _row_dot(p, v)
            if overwrite and v.dtype == ps.dtype:
                v -= pv[:, None]
                v *= ps
                return v
            out = v - pv[:, None]
            out *= ps
            return out

        return grad, hessp

    def hessian_diagonal(self, y, raw, state=None, proba=None):
        """Diagonal of the per-sample Hessian blocks, ``s * P * (1 - P)``, shape ``(n, K)``.

        ``state``: as in :meth:`gradient`.
        """
        p = self._proba(raw, state, proba)
        out = p * (1 - p)
        out *= _row_sum(y)[:, None]
        return out

    def entropy(self, y):
        """Per-sample entropy of the target rows, the infimum of the loss."""
        y = np.asarray(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.where(y > 0, y * np.log(y), 0).sum(axis=1)
