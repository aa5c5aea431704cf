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
  each iterate by :func:`noisy_log_likelihood`. With ``prior_strength`` it is
  the maximum a posteriori step under a Dirichlet prior centred on the
  symmetric part of ``T`` (:func:`symmetric_part`), whose strength
  :func:`cv_prior_strength` chooses by cross-validation.

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
    "cv_prior_strength",
    "em_transition_matrix",
    "flip_labels",
    "noisy_log_likelihood",
    "pair_flip_transition_matrix",
    "symmetric_part",
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


def em_transition_matrix(y, proba, transition_matrix, sample_weight=None, max_iter=1, tol=0.0,
                         prior_strength=0.0):
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

    With ``prior_strength = b > 0`` the M-step is the maximum a posteriori
    one under a Dirichlet prior on each row of ``T`` worth ``b`` samples,
    centred on the symmetric part ``S`` of the maximum-likelihood update
    (:func:`symmetric_part`: its diagonal kept, the rest of each row spread
    evenly over the other classes)::

        T_new[k] = (counts[k] + b S[k]) / (sum_j counts[k, j] + b)

    It pools the off-diagonal counts of a row, whose entries at high noise
    rest on a few samples each, and leaves the diagonal (the noise rate of
    each class) to the data; ``b = inf`` gives ``S`` itself. For two classes
    ``S`` is the update (nothing to pool). :func:`cv_prior_strength` chooses
    ``b`` by held-out likelihood: large under symmetric noise, 0 for pair
    flips, where the counts concentrate on one entry of each row.

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
    prior_strength : float >= 0 or inf, default=0.0
        Samples' worth of the Dirichlet prior on each row (see above); 0 is
        the maximum-likelihood update.

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

    With three classes and a prior worth 4 samples, row 0's counts (3, 1, 0)
    move toward its symmetric part (0.75, 0.125, 0.125): ``(3 + 3, 1 + 0.5,
    0 + 0.5) / 8``.

    >>> proba = np.eye(3)[[0, 0, 0, 0, 1, 2]]
    >>> em_transition_matrix([0, 0, 0, 1, 1, 2], proba, np.full((3, 3), 1 / 3), prior_strength=4)[0]
    array([0.75  , 0.1875, 0.0625])
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
    prior_strength = _check_prior_strength(prior_strength)
    for _ in range(int(max_iter)):
        new = _em_update(P, y, T, sw, prior_strength)[0]
        change = np.abs(new - T).sum(axis=1).max()
        T = new
        if change <= tol:
            break
    return T


def _check_prior_strength(prior_strength):
    try:
        b = float(prior_strength)
    except (TypeError, ValueError):
        b = np.nan
    if not b >= 0:  # also NaN
        raise ValueError(f"prior_strength must be a non-negative number (or inf); got {prior_strength!r}.")
    return b


def _responsibility_counts(P, y, T, sw):
    """E-step: the weighted counts ``sum_{n: y_n = j} s_n r_nk`` (``(K, K)``) and ``log P(y_n | x_n)``."""
    K = T.shape[0]
    R = P * T.T[y]                                  # p_k T[k, y_n]
    u = R.sum(axis=1)                               # P(noisy = y_n | x_n)
    possible = (u > 0) & (sw > 0)
    R *= np.divide(sw, u, out=np.zeros_like(u), where=possible)[:, None]
    counts = R.T @ np.eye(K)[y]                     # sum_{n: y_n = j} s_n r_nk
    with np.errstate(divide="ignore"):
        log_u = np.log(u)
    return counts, log_u


def _m_step(counts, T, prior_strength):
    """The (MAP) M-step from the counts; rows without mass keep ``T``'s."""
    rows = counts.sum(axis=1)
    new = T.copy()
    has_mass = rows > 0
    new[has_mass] = counts[has_mass] / rows[has_mass, None]
    if prior_strength > 0 and T.shape[0] > 2 and np.any(has_mass):
        S = symmetric_part(new)[has_mass]
        new[has_mass] = S if np.isinf(prior_strength) else (
            (counts[has_mass] + prior_strength * S) / (rows[has_mass] + prior_strength)[:, None])
    return new


def _em_update(P, y, T, sw, prior_strength=0.0):
    """One EM update and the weighted mean log-likelihood of ``T`` (before the update)."""
    counts, log_u = _responsibility_counts(P, y, T, sw)
    used = sw > 0
    loglik = float(np.dot(sw[used], log_u[used]) / sw.sum())
    return _m_step(counts, T, prior_strength), loglik


def symmetric_part(transition_matrix):
    """The symmetric-noise matrix with the same diagonal: each row's off-diagonal mass spread evenly.

    ``S[i, i] = T[i, i]`` and ``S[i, j] = (1 - T[i, i]) / (K - 1)`` for
    ``j != i``: class ``i`` keeps its noise rate, and its flips go to every
    other class alike. The centre of the prior of
    :func:`em_transition_matrix` (``prior_strength``).

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``, at least two classes.

    Returns
    -------
    ndarray of shape (n_classes, n_classes)

    Examples
    --------
    >>> from sklogloss.noise_estimation import symmetric_part
    >>> symmetric_part([[0.6, 0.4, 0.0], [0.1, 0.8, 0.1], [0.0, 0.5, 0.5]])
    array([[0.6 , 0.2 , 0.2 ],
           [0.1 , 0.8 , 0.1 ],
           [0.25, 0.25, 0.5 ]])
    """
    T = check_transition_matrix(transition_matrix)
    K = T.shape[0]
    d = np.diag(T)
    S = np.repeat(((1.0 - d) / (K - 1))[:, None], K, axis=1)
    S[np.arange(K), np.arange(K)] = d
    return S


#: The prior strengths :func:`cv_prior_strength` compares (samples' worth per row).
PRIOR_STRENGTHS = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, np.inf)


def cv_prior_strength(y, proba, transition_matrix, folds, sample_weight=None, strengths=PRIOR_STRENGTHS):
    """The ``prior_strength`` of :func:`em_transition_matrix` that best predicts held-out noisy labels.

    For each fold, the (MAP) update is made from the E-step counts of the
    other samples and scored by the noisy log-likelihood of the fold's
    samples (:func:`noisy_log_likelihood` of their clean probabilities and
    that update). The strength with the highest total (the first of equals,
    so the weakest) is returned. The probabilities should be out-of-fold
    (as for the update itself), so the score is of ``T`` alone: the classifier
    that made them saw none of the samples it scores.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy labels as integer class indices.
    proba : array-like of shape (n_samples, n_classes)
        Clean-class probabilities, out-of-fold.
    transition_matrix : array-like of shape (n_classes, n_classes)
        The current ``T`` (the E-step's).
    folds : iterable of index arrays
        The held-out samples of each fold (e.g. the test parts of
        cross-validation splits), each without repeats; the update scored on
        a fold is made from every other sample.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the counts and of the scores.
    strengths : sequence of float, default=PRIOR_STRENGTHS
        The candidates, non-negative (``inf`` allowed).

    Returns
    -------
    strength : float
        The chosen prior strength.
    scores : ndarray of shape (len(strengths),)
        The summed held-out weighted log-likelihood of each candidate.

    Examples
    --------
    Symmetric noise of 60% over ten classes, with the true clean posterior:
    the counts of each off-diagonal entry rest on a few samples, and pooling
    them predicts held-out labels better.

    >>> import numpy as np
    >>> from sklogloss.noise_estimation import (cv_prior_strength, flip_labels,
    ...                                         symmetric_transition_matrix)
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.integers(0, 10, 1000)
    >>> T = symmetric_transition_matrix(10, 0.6)
    >>> noisy = flip_labels(clean, T, random_state=0)
    >>> proba = np.eye(10)[clean]
    >>> folds = np.array_split(rng.permutation(1000), 5)
    >>> strength, scores = cv_prior_strength(noisy, proba, np.full((10, 10), 0.1), folds)
    >>> bool(strength > 0)
    True
    """
    P = _check_proba(proba)
    n, K = P.shape
    y = _check_labels(y, n, K)
    T = check_transition_matrix(transition_matrix, n_classes=K)
    sw = _check_weights(sample_weight, n)
    strengths = [_check_prior_strength(b) for b in strengths]
    if not strengths:
        raise ValueError("strengths must hold at least one candidate.")
    folds = [np.asarray(f, dtype=np.intp) for f in folds]
    if not folds or any(f.size == 0 for f in folds):
        raise ValueError("folds must be a non-empty sequence of non-empty index arrays.")
    if K <= 2:  # the symmetric part is T itself: every strength gives the same update
        return strengths[0], np.zeros(len(strengths))
    counts = np.zeros((len(folds), K, K))
    for i, fold in enumerate(folds):
        counts[i] = _responsibility_counts(P[fold], y[fold], T, sw[fold])[0]
    # The counts of every sample, not the folds' sum: with overlapping folds (ShuffleSplit)
    # a fold's update must still leave out the fold's own samples.
    total = _responsibility_counts(P, y, T, sw)[0]
    scores = np.zeros(len(strengths))
    for i, fold in enumerate(folds):
        rest = total - counts[i]
        keep = sw[fold] > 0
        Pf, yf, wf = P[fold][keep], y[fold][keep], sw[fold][keep]
        for b, strength in enumerate(strengths):
            Tb = _m_step(rest, T, strength)
            with np.errstate(divide="ignore"):
                scores[b] += float(np.dot(wf, np.log((Pf * Tb.T[yf]).sum(axis=1))))
    return strengths[int(np.argmax(scores))], scores


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
