"""Cross-entropy corrected for label noise with a transition matrix (Patrini et al. 2017).

Convention: ``T[i, j] = P(noisy = j | true = i)``, rows sum to one (cleanlab's
``noise_matrix`` is the transpose). The raw prediction of a sample is a vector
of ``K`` scores ``z`` with clean posterior ``p = softmax(z)``; the target ``y``
is a row of weights over the *noisy* classes (one-hot for a hard label) with
``s = sum_j y_j``.

Forward correction
    The model of the noisy label is ``u = T^T p``, and the loss is its
    cross-entropy::

        loss = -sum_j y_j log u_j
        grad = s * p - q,         q_k = sum_j y_j r_kj,   r_kj = p_k T_kj / u_j
        hess = s * (diag(p) - p p^T) - sum_j y_j (diag(r_j) - r_j r_j^T)

    ``r_kj = P(true = k | noisy = j, x)``, so the gradient is the multinomial
    one with the target replaced by the posterior of the clean class given the
    noisy label (an E-step). The Hessian is a difference of two covariance
    matrices: it is indefinite in general and is not a Fisher information.
    ``log u_j`` is a log-sum-exp of ``log p_k + log T_kj``, finite for any
    scores as long as ``T[:, j]`` is not all zero.

Backward correction
    With ``l_k = -log p_k`` and ``M = T^{-1}`` the loss is ``sum_j y_j (M l)_j``
    ``= sum_k w_k l_k`` with ``w = M^T y``. Since ``T 1 = 1`` implies
    ``M 1 = 1``, ``sum_k w_k = s`` and::

        loss = s * logsumexp(z) - w . z
        grad = s * p - w
        hess = s * (diag(p) - p p^T)

    the multinomial cross-entropy with the (possibly negative) target ``w``.
    On the scores it is convex (the Hessian is the multinomial one), but it is
    unbounded below as soon as ``w`` has a negative entry: it needs a penalty.
"""

import numpy as np

from .base import Loss
from .multinomial import MultinomialLoss, log_softmax, softmax, softmax_hessian_blocks

__all__ = ["BackwardCorrectedLoss", "ForwardCorrectedLoss", "check_transition_matrix"]

#: Largest condition number of ``T`` accepted by the backward correction.
MAX_CONDITION_NUMBER = 1e10


def check_transition_matrix(transition_matrix, n_classes=None, *, invertible=False, atol=1e-6):
    """Validate a noise transition matrix and return it as a float64 array.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``: non-negative, rows summing to one.
    n_classes : int, default=None
        The number of classes the matrix must have, if known.
    invertible : bool, default=False
        Also require ``T`` to be invertible (condition number at most ``1e10``),
        as the backward correction does.
    atol : float, default=1e-6
        Tolerance on the row sums. The returned rows are divided by their sums.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        A float64 copy whose rows sum to one.

    Raises
    ------
    ValueError
        If the matrix has the wrong shape, non-finite or negative entries, rows
        that do not sum to one, or is singular while ``invertible=True``.

    Examples
    --------
    >>> from sklogloss.losses.noise import check_transition_matrix
    >>> check_transition_matrix([[0.9, 0.1], [0.2, 0.8]])
    array([[0.9, 0.1],
           [0.2, 0.8]])
    >>> try:
    ...     check_transition_matrix([[0.9, 0.2], [0.2, 0.8]])
    ... except ValueError as exc:
    ...     print(str(exc).split(";")[0])
    The rows of transition_matrix must sum to 1, T[i, j] = P(noisy = j | true = i)
    """
    try:
        T = np.array(transition_matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"transition_matrix must be a numeric (n_classes, n_classes) array; "
                         f"got {transition_matrix!r}.") from exc
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] < 2:
        raise ValueError(f"transition_matrix must be a square (n_classes, n_classes) array with "
                         f"n_classes >= 2; got shape {T.shape}.")
    if n_classes is not None and T.shape[0] != n_classes:
        raise ValueError(f"transition_matrix has shape {T.shape} but the data have {n_classes} "
                         f"classes; it must be ({n_classes}, {n_classes}), rows and columns in "
                         "the order of the sorted class labels (classes_).")
    if not np.all(np.isfinite(T)):
        raise ValueError("transition_matrix has non-finite entries.")
    if T.min() < 0:
        raise ValueError(f"transition_matrix has negative entries (min {T.min():g}); "
                         "T[i, j] = P(noisy = j | true = i) must be probabilities.")
    sums = T.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=atol):
        raise ValueError(
            "The rows of transition_matrix must sum to 1, T[i, j] = P(noisy = j | true = i); "
            f"got row sums {np.array2string(sums, precision=4)}. (cleanlab's noise_matrix is "
            "the transpose of T.)")
    T /= sums[:, None]
    if invertible:
        cond = np.linalg.cond(T)
        if not cond <= MAX_CONDITION_NUMBER:
            raise ValueError(
                f"transition_matrix is singular or nearly so (condition number {cond:.3g}); the "
                "backward correction needs its inverse. Use correction='forward', which does not.")
    return T


class ForwardCorrectedLoss(Loss):
    """Forward-corrected cross-entropy ``-sum_j y_j log((T^T softmax(z))_j)``.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``.

    Notes
    -----
    The targets are rows of weights over the noisy classes, ``(n, K)``; a hard
    label is a one-hot row. Work and memory are ``O(n K)`` per noisy class
    present in a row (``O(n K)`` in total for hard labels). The Hessian is
    indefinite in general (``hessian_is_fisher = False``): use solvers that
    need only gradients or Hessian-vector products with a negative-curvature
    safeguard (L-BFGS, Newton-CG).

    Examples
    --------
    Class 0 is recorded as 1 with probability 0.2, class 1 never as 0:

    >>> import numpy as np
    >>> from sklogloss.losses.noise import ForwardCorrectedLoss
    >>> loss = ForwardCorrectedLoss([[0.8, 0.2], [0.0, 1.0]])
    >>> z = np.array([[0.0, 0.0]])        # clean posterior p = (1/2, 1/2)
    >>> loss.noisy_proba(z)               # u = T^T p
    array([[0.4, 0.6]])
    >>> loss.loss(np.array([[0.0, 1.0]]), z).round(4)     # noisy label 1: -log(0.6)
    array([0.5108])
    """

    n_outputs = None
    hessian_is_fisher = False
    #: ``-log (T^T softmax(z))_j`` is a log-sum-exp minus another: not convex in general.
    convex = False
    #: ``T^T softmax(z)`` does not change when a constant is added to the scores.
    shift_invariant = True
    #: Spectral bound of one sample's Hessian per unit of target mass.
    hessian_bound = 0.5
    linear_in_target = True

    def __init__(self, transition_matrix):
        self.transition_matrix = check_transition_matrix(transition_matrix)
        with np.errstate(divide="ignore"):
            self._log_T = np.log(self.transition_matrix)
        self._impossible = ~(self.transition_matrix > 0).any(axis=0)

    def _posterior_groups(self, y, raw):
        """Clean posterior ``p``, per-sample loss and, per noisy class, ``(rows, y_j, r_j)``."""
        dtype = np.result_type(raw.dtype, np.float32)
        raw = np.asarray(raw, dtype=dtype)
        y = np.asarray(y)
        logp = log_softmax(raw)
        p = np.exp(logp)
        logT = self._log_T.astype(dtype)
        loss = np.zeros(raw.shape[0], dtype=np.result_type(dtype, y.dtype))
        groups = []
        for j in range(raw.shape[1]):
            rows = np.flatnonzero(y[:, j])
            if rows.size == 0:
                continue
            if self._impossible[j]:
                raise ValueError(f"Noisy class {j} is observed but has probability zero under the "
                                 "transition matrix (its column is all zeros).")
            yj = y[rows, j]
            a = logp[rows] + logT[:, j]
            amax = a.max(axis=1, keepdims=True)
            e = np.exp(a - amax)
            total = e.sum(axis=1, keepdims=True)
            logu = amax[:, 0] + np.log(total[:, 0])
            e /= total
            loss[rows] -= yj * logu
            groups.append((rows, yj, e))
        return p, loss, groups

    @staticmethod
    def _gradient(y, p, groups):
        s = np.asarray(y).sum(axis=1)
        grad = p * s[:, None]
        for rows, yj, r in groups:
            grad[rows] -= yj[:, None] * r
        return grad

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        return self._posterior_groups(y, raw)[1]

    def loss_gradient(self, y, raw):
        """Per-sample loss ``(n,)`` and gradient ``(n, K)``."""
        p, loss, groups = self._posterior_groups(y, raw)
        return loss, self._gradient(y, p, groups)

    def gradient(self, y, raw, state=None):
        """Per-sample gradient ``s * p - q``, shape ``(n, K)``."""
        p, _, groups = self._posterior_groups(y, raw)
        return self._gradient(y, p, groups)

    def gradient_hessian(self, y, raw):
        """Gradient ``(n, K)`` and per-sample Hessian blocks ``(n, K, K)`` (indefinite)."""
        p, _, groups = self._posterior_groups(y, raw)
        grad = self._gradient(y, p, groups)
        hess = softmax_hessian_blocks(p, np.asarray(y).sum(axis=1))
        for rows, yj, r in groups:
            hess[rows] -= softmax_hessian_blocks(r, yj)
        return grad, hess

    def gradient_hessian_product(self, y, raw, state=None, overwrite=False, dtype=None):
        """Gradient and a function ``v -> H v`` per sample (``v`` is ``(n, K)``; ``overwrite``, ``dtype`` unused)."""
        p, _, groups = self._posterior_groups(y, raw)
        grad = self._gradient(y, p, groups)
        ps = p * np.asarray(y).sum(axis=1)[:, None]

        def hessp(v):
            out = v - np.einsum("ij,ij->i", p, v)[:, None]
            out *= ps
            for rows, yj, r in groups:
                vr = v[rows]
                corr = vr - np.einsum("ij,ij->i", r, vr)[:, None]
                corr *= r
                corr *= yj[:, None]
                out[rows] -= corr
            return out

        return grad, hessp

    def noisy_proba(self, raw):
        """Model of the noisy labels, ``softmax(raw) @ T``, shape ``(n, K)``."""
        return softmax(raw) @ self.transition_matrix.astype(np.result_type(raw, np.float32))



class BackwardCorrectedLoss(Loss):
    """Backward-corrected cross-entropy ``sum_j y_j (T^{-1} l(softmax(z)))_j``.

    ``l_k = -log p_k`` is the vector of per-class losses. The loss equals the
    multinomial cross-entropy with the corrected target ``w = y @ T^{-1}``,
    whose rows keep their sum but may have negative entries: it is convex in
    the scores, with the multinomial Hessian, but unbounded below when ``w``
    has a negative entry, so it needs a finite penalty.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``; must be invertible.

    Examples
    --------
    With 20% symmetric noise, a recorded label 0 stands for the target
    ``(4/3, -1/3)``:

    >>> import numpy as np
    >>> from sklogloss.losses.noise import BackwardCorrectedLoss
    >>> from sklogloss.noise_estimation import symmetric_transition_matrix
    >>> loss = BackwardCorrectedLoss(symmetric_transition_matrix(2, 0.2))
    >>> label_0 = np.array([[1.0, 0.0]])
    >>> loss.corrected_targets(label_0).round(4)
    array([[ 1.3333, -0.3333]])
    >>> loss.loss(label_0, np.zeros((1, 2))).round(4)     # (4/3 - 1/3) * log 2
    array([0.6931])
    """

    n_outputs = None
    #: The multinomial Hessian of the row mass ``sum(y)``: independent of the target's shape.
    hessian_is_fisher = True
    shift_invariant = True
    hessian_bound = 0.5
    linear_in_target = True

    def __init__(self, transition_matrix):
        self.transition_matrix = check_transition_matrix(transition_matrix, invertible=True)
        self.inverse = np.linalg.inv(self.transition_matrix)
        self._multinomial = MultinomialLoss()

    def _targets(self, y, raw):
        return self.corrected_targets(y, np.result_type(raw, np.float32))

    def corrected_targets(self, y, dtype=None):
        """The targets ``w = y @ T^{-1}`` of the equivalent multinomial loss (in ``dtype`` if given)."""
        w = np.asarray(y) @ self.inverse
        return w if dtype is None else w.astype(dtype, copy=False)

    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        return self._multinomial.loss(self._targets(y, raw), raw)

    def loss_gradient(self, y, raw):
        """Per-sample loss ``(n,)`` and gradient ``s * p - w``, ``(n, K)``."""
        return self._multinomial.loss_gradient(self._targets(y, raw), raw)

    def gradient(self, y, raw, state=None):
        """Per-sample gradient ``s * p - w``, shape ``(n, K)``."""
        return self._multinomial.gradient(self._targets(y, raw), raw)

    def gradient_hessian(self, y, raw):
        """Gradient and per-sample Hessian blocks ``s * (diag(p) - p p^T)``."""
        return self._multinomial.gradient_hessian(self._targets(y, raw), raw)

    def gradient_hessian_product(self, y, raw, state=None, overwrite=False, dtype=None):
        """Gradient and a function ``v -> H v`` applied per sample."""
        return self._multinomial.gradient_hessian_product(self._targets(y, raw), raw, overwrite=overwrite, dtype=dtype)
