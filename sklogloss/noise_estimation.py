"""Noise transition matrices: estimate them from probabilities, or make synthetic noise.

Convention: ``T[i, j] = P(noisy = j | true = i)``, rows sum to one (cleanlab's
``noise_matrix`` is the transpose).

The estimators take class probabilities of the *noisy* labels predicted
out-of-fold (e.g. by :func:`sklearn.model_selection.cross_val_predict` with
``method="predict_proba"``), never in-sample ones, which would be overconfident
on the training labels and bias the estimate toward the identity.

* :func:`anchor_transition_matrix`: the anchor-point estimator of Patrini et
  al. (2017). For each class ``i`` the sample with the highest ``P(noisy = i | x)``
  is taken as surely of clean class ``i``, and its predicted noisy-label
  distribution is the row ``T[i]``. With ``quantile=97`` the highest 3% are
  skipped as outliers (their filter).
* :func:`confident_joint_transition_matrix`: the confident-learning estimator
  of Northcutt et al. (2021). A sample is counted as of clean class ``k`` when
  ``P(noisy = k | x)`` reaches class ``k``'s average self-confidence; the counts
  against the observed labels, calibrated to the observed label counts, give
  the joint distribution of clean and noisy labels, whose rows normalised are
  ``T``.
* :func:`em_transition_matrix`: one M-step of the maximum-likelihood fit of
  ``T`` jointly with a model of the clean posterior (the expectation-maximisation
  of Dawid and Skene, 1979, with a classifier in place of the class priors).
  Given clean-class probabilities ``p(x)`` and the current ``T``, the posterior
  of the clean class of a sample with noisy label ``y`` is
  ``r_k = p_k T[k, y] / sum_l p_l T[l, y]``, and the new ``T[k, j]`` is the
  share of label ``j`` in the ``r``-weighted counts of clean class ``k``.
  :class:`~sklogloss.NoiseCorrectedClassifier` (``estimation="em"``)
  alternates it with out-of-fold fits of the forward-corrected model, scoring
  each iterate by :func:`noisy_log_likelihood`.

References
----------
G. Patrini, A. Rozza, A. Menon, R. Nock, L. Qu, "Making deep neural networks
robust to label noise: a loss correction approach", CVPR 2017.

C. Northcutt, L. Jiang, I. Chuang, "Confident learning: estimating uncertainty
in dataset labels", JAIR 70, 2021.

A. P. Dawid, A. M. Skene, "Maximum likelihood estimation of observer
error-rates using the EM algorithm", Applied Statistics 28(1), 1979.
"""

import numpy as np
from sklearn.utils import check_random_state

from .losses.noise import check_transition_matrix

__all__ = [
    "anchor_transition_matrix",
    "confident_joint",
    "confident_joint_transition_matrix",
    "em_transition_matrix",
    "flip_labels",
    "noisy_log_likelihood",
    "pair_flip_transition_matrix",
    "symmetric_transition_matrix",
]


def _check_proba(proba):
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] < 2 or P.shape[0] < 1:
        raise ValueError(f"proba must be an (n_samples, n_classes) array with n_classes >= 2; "
                         f"got shape {P.shape}.")
    if not np.all(np.isfinite(P)) or P.min() < 0:
        raise ValueError("proba must contain finite, non-negative probabilities.")
    return P


def _check_labels(y, n_samples, n_classes):
    y = np.asarray(y)
    if y.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},) to match proba; got {y.shape}.")
    if y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= n_classes)):
        raise ValueError(f"y must hold integer class indices in [0, {n_classes}); use the "
                         "positions of the labels in the columns of proba.")
    return y


def anchor_transition_matrix(proba, quantile=97.0):
    """Anchor-point estimate of the transition matrix (Patrini et al. 2017).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Out-of-fold probabilities of the noisy labels, ``P(noisy = j | x)``.
    quantile : float in [0, 100], default=97.0
        For class ``i`` the anchors are the samples whose ``proba[:, i]`` equals
        this percentile of the column (its "higher" value, a value the column
        takes), which skips the samples above it as outliers. ``100`` takes
        the plain maximum. Tied samples are all anchors and their rows are
        averaged: a classifier that outputs exactly 1 for more than
        ``100 - quantile`` percent of the samples (trees, nearest neighbours)
        then gives the anchors it has, never a sample of another class.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        ``T[i]``: the mean of ``proba`` over the anchors of class ``i``,
        normalised to sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.noise_estimation import anchor_transition_matrix
    >>> proba = np.array([[0.7, 0.3], [0.8, 0.2], [0.4, 0.6], [0.1, 0.9]])
    >>> anchor_transition_matrix(proba, quantile=100)
    array([[0.8, 0.2],
           [0.1, 0.9]])
    """
    P = _check_proba(proba)
    if not 0 <= quantile <= 100:
        raise ValueError(f"quantile must be in [0, 100]; got {quantile}.")
    K = P.shape[1]
    T = np.empty((K, K))
    for i in range(K):
        col = P[:, i]
        threshold = np.percentile(col, quantile, method="higher")  # 100: the maximum
        row = P[col == threshold].mean(axis=0)
        total = row.sum()
        T[i] = row / total if total > 0 else np.eye(K)[i]
    return T


def confident_joint(y, proba, sample_weight=None):
    """Confident joint counts of clean and noisy labels (Northcutt et al. 2021).

    A sample with noisy label ``y`` is counted in ``C[k, y]`` when ``k`` is, among
    the classes whose probability reaches their threshold
    ``t_k = mean(proba[y == k, k])``, the most probable one; samples with no
    class above its threshold are not counted.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy labels as integer class indices (columns of ``proba``).
    proba : array-like of shape (n_samples, n_classes)
        Out-of-fold probabilities of the noisy labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the counts and of the threshold means.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        ``C[true, noisy]`` (the transpose of cleanlab's ``confident_joint``),
        not calibrated.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.noise_estimation import confident_joint
    >>> proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7]])
    >>> confident_joint([0, 0, 1, 1, 1], proba)
    array([[1., 1.],
           [0., 2.]])
    """
    P = _check_proba(proba)
    n, K = P.shape
    y = _check_labels(y, n, K)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    thresholds = np.full(K, np.inf)
    for k in range(K):
        mask = y == k
        mass = sw[mask].sum()
        if mass > 0:
            thresholds[k] = np.dot(sw[mask], P[mask, k]) / mass
    confident = P >= thresholds - 1e-12
    has_one = confident.any(axis=1)
    guess = np.where(confident, P, -np.inf).argmax(axis=1)
    C = np.zeros((K, K))
    np.add.at(C, (guess[has_one], y[has_one]), sw[has_one])
    return C


def confident_joint_transition_matrix(y, proba, sample_weight=None, calibrate=True):
    """Confident-learning estimate of the transition matrix (Northcutt et al. 2021).

    The rows of the :func:`confident_joint`, normalised.

    Parameters
    ----------
    y, proba, sample_weight
        As for :func:`confident_joint`; the weights also weigh the label
        counts of the calibration.
    calibrate : bool, default=True
        Rescale each column ``C[:, j]`` of the :func:`confident_joint` to the
        (weighted) number of samples with noisy label ``j``, as cleanlab does,
        before normalising the rows.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        ``T[i, j] = C[i, j] / sum_j C[i, j]``; a clean class never counted gets
        the identity row.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.noise_estimation import confident_joint_transition_matrix
    >>> proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7]])
    >>> confident_joint_transition_matrix([0, 0, 1, 1, 1], proba, calibrate=False)
    array([[0.5, 0.5],
           [0. , 1. ]])
    >>> confident_joint_transition_matrix([0, 0, 1, 1, 1], proba).round(3)
    array([[0.667, 0.333],
           [0.   , 1.   ]])
    """
    C = confident_joint(y, proba, sample_weight)
    K = C.shape[0]
    if calibrate:
        y = np.asarray(y)
        sw = np.ones(y.size) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        counts = np.bincount(y, weights=sw, minlength=K)
        col = C.sum(axis=0)
        scale = np.divide(counts, col, out=np.zeros(K), where=col > 0)
        C = C * scale
    rows = C.sum(axis=1)
    T = np.eye(K)
    counted = rows > 0
    T[counted] = C[counted] / rows[counted, None]
    return T


def _check_weights(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n_samples,) or not np.all(np.isfinite(sw)) or sw.min() < 0:
        raise ValueError(f"sample_weight must hold {n_samples} finite, non-negative weights; got "
                         f"shape {sw.shape}.")
    return sw


def noisy_log_likelihood(y, proba, transition_matrix, sample_weight=None):
    """Mean log-likelihood of noisy labels under clean probabilities and a transition matrix.

    The model of the noisy label of a sample with clean-class probabilities
    ``p`` is ``T^T p``; the score is the (weighted) mean of
    ``log sum_k p_k T[k, y]``. On out-of-fold probabilities it is a held-out
    log-likelihood: the only measure of a ``T`` that noisy labels allow.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy labels as integer class indices (columns of ``proba``).
    proba : array-like of shape (n_samples, n_classes)
        Probabilities of the *clean* classes, ``P(true = k | x)``.
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the mean.

    Returns
    -------
    float
        The mean log-likelihood; ``-inf`` if a label has probability zero.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.noise_estimation import noisy_log_likelihood
    >>> proba = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> T = np.array([[0.8, 0.2], [0.0, 1.0]])
    >>> ll = noisy_log_likelihood([1, 1], proba, T)     # (log 0.2 + log 0.6) / 2
    >>> bool(np.isclose(ll, (np.log(0.2) + np.log(0.6)) / 2))
    True
    """
    P = _check_proba(proba)
    y = _check_labels(y, *P.shape)
    T = check_transition_matrix(transition_matrix, n_classes=P.shape[1])
    sw = _check_weights(sample_weight, y.size)
    if not sw.sum() > 0:
        raise ValueError("sample_weight sums to zero; at least one sample needs a positive weight.")
    return _em_update(P, y, T, sw)[1]


def em_transition_matrix(y, proba, transition_matrix, sample_weight=None, max_iter=1, tol=0.0):
    """EM updates of the transition matrix from clean-class probabilities.

    With the clean-class probabilities ``p(x)`` of a model of the clean
    posterior and the current ``T``, the E-step gives each sample the
    posterior of its clean class given its noisy label ``y``::

        r_k = p_k T[k, y] / sum_l p_l T[l, y]

    and the M-step the maximiser of the expected log-likelihood::

        T_new[k, j] = sum_{n: y_n = j} s_n r_nk / sum_n s_n r_nk

    Each update does not decrease the likelihood
    ``sum_n s_n log (T^T p(x_n))_{y_n}`` (:func:`noisy_log_likelihood`) of
    the fixed ``p``; repeated (``max_iter > 1``) it climbs to the ``T`` that
    maximises it. Alternated with refits of the model to each new ``T`` (the
    forward correction) this is the maximum-likelihood fit of ``T`` jointly
    with the classifier, and the true ``T`` with the true clean posterior is
    a fixed point. Entries that are zero stay zero: start from a ``T``
    without structural zeros that are not meant.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy labels as integer class indices (columns of ``proba``).
    proba : array-like of shape (n_samples, n_classes)
        Probabilities of the *clean* classes, out-of-fold (a model's fit to a
        sample's own label would pull ``T`` toward the identity).
    transition_matrix : array-like of shape (n_classes, n_classes)
        The current ``T[i, j] = P(noisy = j | true = i)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the counts.
    max_iter : int, default=1
        Number of updates with ``proba`` fixed.
    tol : float, default=0.0
        Stop earlier when no row of ``T`` moves by more than ``tol`` (L1).

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        The updated ``T``; a clean class that receives no posterior mass keeps
        its current row.

    Examples
    --------
    A confident model (``p`` one-hot) makes the update the row-normalised
    counts of predicted clean class against noisy label:

    >>> import numpy as np
    >>> from sklogloss.noise_estimation import em_transition_matrix
    >>> proba = np.eye(2)[[0, 0, 0, 0, 1, 1]]
    >>> em_transition_matrix([0, 0, 0, 1, 1, 1], proba, [[0.5, 0.5], [0.5, 0.5]])
    array([[0.75, 0.25],
           [0.  , 1.  ]])
    """
    P = _check_proba(proba)
    n, K = P.shape
    y = _check_labels(y, n, K)
    T = check_transition_matrix(transition_matrix, n_classes=K)
    sw = _check_weights(sample_weight, n)
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1; got {max_iter}.")
    if not tol >= 0:
        raise ValueError(f"tol must be non-negative; got {tol}.")
    for _ in range(int(max_iter)):
        new = _em_update(P, y, T, sw)[0]
        change = np.abs(new - T).sum(axis=1).max()
        T = new
        if change <= tol:
            break
    return T


def _em_update(P, y, T, sw):
    """One EM update and the weighted mean log-likelihood of ``T`` (before the update)."""
    K = T.shape[0]
    R = P * T.T[y]                                  # p_k T[k, y_n]
    u = R.sum(axis=1)                               # P(noisy = y_n | x_n)
    possible = (u > 0) & (sw > 0)
    R *= np.divide(sw, u, out=np.zeros_like(u), where=possible)[:, None]
    counts = R.T @ np.eye(K)[y]                     # sum_{n: y_n = j} s_n r_nk
    rows = counts.sum(axis=1)
    new = T.copy()
    has_mass = rows > 0
    new[has_mass] = counts[has_mass] / rows[has_mass, None]
    used = sw > 0
    with np.errstate(divide="ignore"):
        loglik = float(np.dot(sw[used], np.log(u[used])) / sw.sum())
    return new, loglik


def pair_flip_transition_matrix(n_classes, rate):
    """Pair-flip noise: class ``i`` is recorded as ``i + 1 (mod K)`` with probability ``rate``.

    Parameters
    ----------
    n_classes : int
        Number of classes ``K >= 2``; the last class flips to the first.
    rate : float in [0, 1]
        Flip probability.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        ``(1 - rate) I + rate P`` with ``P`` the cyclic shift.

    Examples
    --------
    >>> from sklogloss.noise_estimation import pair_flip_transition_matrix
    >>> pair_flip_transition_matrix(3, 0.25)
    array([[0.75, 0.25, 0.  ],
           [0.  , 0.75, 0.25],
           [0.25, 0.  , 0.75]])
    """
    _check_rate(n_classes, rate)
    T = (1.0 - rate) * np.eye(n_classes)
    T[np.arange(n_classes), (np.arange(n_classes) + 1) % n_classes] += rate
    return T


def symmetric_transition_matrix(n_classes, rate):
    """Symmetric noise: with probability ``rate`` a label becomes any other class, uniformly.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 2.
    rate : float in [0, 1]
        Probability that the recorded label differs from the true one;
        ``(K - 1) / K`` makes it independent of the true label.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        ``1 - rate`` on the diagonal, ``rate / (K - 1)`` elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.noise_estimation import symmetric_transition_matrix
    >>> T = symmetric_transition_matrix(4, 0.3)
    >>> T[0]
    array([0.7, 0.1, 0.1, 0.1])
    >>> bool(np.allclose(T, T.T)), bool(np.allclose(symmetric_transition_matrix(4, 0.75), 0.25))
    (True, True)
    """
    _check_rate(n_classes, rate)
    T = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(T, 1.0 - rate)
    return T


def _check_rate(n_classes, rate):
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes}.")
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1]; got {rate}.")


def flip_labels(y, transition_matrix, classes=None, random_state=None):
    """Draw noisy labels: a sample of class ``i`` gets label ``j`` with probability ``T[i, j]``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Clean labels.
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``, rows and columns in the order of ``classes``.
    classes : array-like of shape (n_classes,), default=None
        The class labels; ``None`` means the sorted unique values of ``y``.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    ndarray of shape (n_samples,)
        Noisy labels, of the same type as ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.noise_estimation import flip_labels, pair_flip_transition_matrix
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> noisy = flip_labels(y, pair_flip_transition_matrix(3, 0.3), random_state=0)
    >>> bool(abs(np.mean(noisy[y == 0] == 1) - 0.3) < 0.05)
    True
    """
    y = np.asarray(y)
    classes = np.unique(y) if classes is None else np.asarray(classes)
    T = check_transition_matrix(transition_matrix, n_classes=classes.size)
    order = np.argsort(classes, kind="stable")
    pos = np.minimum(np.searchsorted(classes[order], y), classes.size - 1)
    if np.any(classes[order][pos] != y):
        raise ValueError("y has labels that are not in classes.")
    idx = order[pos]
    rng = check_random_state(random_state)
    cum = np.cumsum(T, axis=1)
    u = rng.uniform(size=y.size)
    noisy = (u[:, None] > cum[idx]).sum(axis=1)
    return classes[np.minimum(noisy, classes.size - 1)]
