"""Whether the unpenalised maximum-likelihood estimate of a logistic model exists.

It does not when some direction of the weights raises no sample's loss and
lowers some (complete or quasi-complete separation; Albert and Anderson,
1984). Whether there is one is a linear program (the test of Konis, 2007,
``safeBinaryRegression`` in R), written here for ``K`` classes: find ``D``
(``K`` rows of weights and intercepts) with ``(D[y_i] - D[k]) . [x_i, 1] >= 0``
for every weighted sample ``i`` and class ``k != y_i``, maximising the sum of
those margins within ``|D| <= 1``. The maximum is 0 exactly when no such
direction exists.

References
----------
A. Albert, J. A. Anderson, "On the existence of maximum likelihood estimates
in logistic regression models", Biometrika 71(1), 1984.

K. Konis, "Linear programming algorithms for detecting separated data in
binary logistic regression models", DPhil thesis, University of Oxford, 2007.
"""

import numpy as np
import scipy.sparse as sp

from ..utils.validation import issparse

__all__ = ["MAX_CHECK_ENTRIES", "separating_direction_exists"]

#: The linear program is built only up to this many non-zeros in its constraint matrix
#: (about a second of HiGHS); beyond, the check is skipped (None).
MAX_CHECK_ENTRIES = 3_000_000


def separating_direction_exists(X, Y, sample_weight=None, fit_intercept=True, max_entries=MAX_CHECK_ENTRIES):
    """Whether a direction of the weights separates the classes, completely or on a hyperplane.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples,) with values 0/1, or (n_samples, K) one-hot
        The targets: a binary model's 0/1 labels or a multinomial model's
        indicator rows (a row of zeros, a class of weight 0, does not count).
    sample_weight : ndarray of shape (n_samples,), default=None
        Samples of weight 0 do not count.
    fit_intercept : bool, default=True
    max_entries : int, default=MAX_CHECK_ENTRIES
        Skip the check (return None) above this many constraint non-zeros.

    Returns
    -------
    bool or None
        True when the unpenalised maximum-likelihood estimate does not exist.

    Examples
    --------
    Quasi-complete separation: the two classes meet only at ``x = 3``.

    >>> import numpy as np
    >>> from sklogloss.estimators._separation import separating_direction_exists
    >>> X = np.array([[1.0], [2.0], [3.0], [3.0], [4.0], [5.0]])
    >>> separating_direction_exists(X, np.array([0, 0, 0, 1, 1, 1]))
    True
    >>> separating_direction_exists(X, np.array([0, 1, 0, 1, 0, 1]))
    False
    """
    from scipy.optimize import linprog

    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1:
        Y = np.column_stack([1.0 - Y, Y])
    n, K = Y.shape
    used = Y.sum(axis=1) > 0
    if sample_weight is not None:
        used &= np.asarray(sample_weight) > 0
    rows = np.flatnonzero(used)
    if rows.size == 0:
        return False
    # The size check comes first, from X's shape or stored entries: no copy of a large X.
    stored = X.nnz if issparse(X) else rows.size * X.shape[1]
    if (K - 1) * 2 * (stored + rows.size * bool(fit_intercept)) > max_entries:
        return None
    X = sp.csr_matrix(X) if issparse(X) else np.asarray(X, dtype=np.float64)  # (a DataFrame too)
    Xu = sp.csr_matrix(X[rows])
    if fit_intercept:
        Xu = sp.hstack([Xu, np.ones((rows.size, 1))], format="csr")
    labels = Y[rows].argmax(axis=1)
    # One block row per other class k: +x_i on the block of y_i, -x_i on the block of k.
    blocks = []
    for k in range(K):
        others = np.flatnonzero(labels != k)  # samples whose class is not k: margin against k
        if others.size == 0:
            continue
        Xo = Xu[others]
        # Row i of the block: kron(e_{y_i} - e_k, x_i), the coefficients laid out class-major.
        blocks.append(_in_class_block(labels[others], Xo, K) - _in_class_block(np.full(others.size, k), Xo, K))
    A = sp.vstack(blocks, format="csr")
    scale = float(abs(A).sum()) or 1.0
    res = linprog(-np.asarray(A.sum(axis=0)).ravel() / scale, A_ub=-A, b_ub=np.zeros(A.shape[0]),
                  bounds=(-1.0, 1.0), method="highs")
    if res.status != 0:
        return None
    return bool(-res.fun > 1e-9)


def _in_class_block(classes, X, K):
    """Row ``i`` of ``X`` placed in the block of class ``classes[i]`` of ``K`` blocks: ``kron(e_c, x_i)``."""
    X = X.tocoo()
    m = X.shape[1]
    return sp.csr_matrix((X.data, (X.row, classes[X.row] * m + X.col)), shape=(X.shape[0], K * m))
