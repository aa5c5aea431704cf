"""Metrics for probabilistic classifiers: cross-entropy with soft targets, calibration.

Calibration metrics bin the predictions (:func:`calibration_table`) and compare, in each bin, the
mean prediction with the observed frequency:

* :func:`expected_calibration_error` (ECE): the weighted mean gap over the bins;
* :func:`maximum_calibration_error` (MCE): the largest gap;
* :func:`brier_score_decomposition`: Murphy's reliability, resolution and uncertainty.

Bins: ``strategy="uniform"`` splits ``[0, 1]`` into ``n_bins`` bins of equal width; ``"quantile"``
puts the edges at the quantiles of the (unweighted) predictions, so that the bins hold equal
numbers of samples. Bin ``b`` holds the predictions ``e_b <= p < e_{b + 1}`` (the last bin also
its upper edge). scikit-learn's :func:`~sklearn.calibration.calibration_curve` closes the bins on
the right instead; the two agree except for predictions lying exactly on an inner edge (with
``"quantile"``, edge ``b`` is itself a prediction when ``(n - 1) * b / n_bins`` is an integer).
Empty bins (no weight) are left out.
"""

from typing import NamedTuple

import numpy as np

from .losses import BinomialLoss

__all__ = [
    "BrierDecomposition",
    "brier_score_decomposition",
    "calibration_table",
    "expected_calibration_error",
    "make_worst_group_scorer",
    "maximum_calibration_error",
    "soft_log_loss",
    "worst_group_loss",
]

_STRATEGIES = ("uniform", "quantile")
_KINDS = ("top-label", "classwise")
_MULTICLASS_HINT = (
    "For more than two classes use expected_calibration_error or maximum_calibration_error with "
    "kind='top-label' or kind='classwise', or pass one column: (y == k, y_prob[:, k])."
)


# --- input validation -------------------------------------------------------------------------


def _check_binning(n_bins, strategy):
    if isinstance(n_bins, (bool, np.bool_)) or not (isinstance(n_bins, (int, np.integer)) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be 'uniform' or 'quantile'; got {strategy!r}.")


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'top-label' or 'classwise'; got {kind!r}.")


def _check_probabilities(name, a, advice):
    if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
        finite = a[np.isfinite(a)]
        found = f"values in [{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "no finite value"
        nan = " and NaN or infinite entries" if finite.size < a.size else ""
        raise ValueError(f"{name} must hold probabilities in [0, 1] (no NaN); found {found}{nan}. {advice}")


def _check_rows_sum_to_one(name, a, dtype):
    # 1e-6 for float64; a float32 matrix of K columns may be off by K rounding errors.
    tol = max(1e-6, a.shape[1] * np.finfo(dtype if np.issubdtype(dtype, np.floating) else np.float64).eps)
    err = np.abs(a.sum(axis=1) - 1)
    if np.any(err > tol):
        row = int(np.argmax(err))
        raise ValueError(
            f"Each row of {name} must sum to 1 (within {tol:.1g}): row {row} sums to {a[row].sum():.6g}. "
            "Pass probabilities (predict_proba), not scores; normalise the rows or apply a softmax."
        )


def _probability_matrix(name, a, advice):
    """Validate a (n, K) matrix of probabilities; return it as float64."""
    dtype = np.asarray(a).dtype
    out = np.asarray(a, dtype=np.float64)
    if out.size == 0:
        raise ValueError(f"{name} is empty.")
    _check_probabilities(name, out, advice)
    _check_rows_sum_to_one(name, out, dtype)
    return out


def _sample_weight(sample_weight, n):
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,) or not np.all(np.isfinite(sw)) or np.any(sw < 0) or not sw.sum() > 0:
        raise ValueError(
            f"sample_weight must be non-negative and finite, of y_true's length ({n}), with a positive sum; "
            f"got shape {sw.shape}. Pass None for equal weights."
        )
    return sw


def _binary_inputs(y_true, y_prob, sample_weight, hint=_MULTICLASS_HINT):
    """Positive-class targets, predictions and weights of a binary problem, validated, as float64."""
    y_prob = np.asarray(y_prob)
    if y_prob.ndim == 2:
        if y_prob.shape[1] != 2:
            raise ValueError(f"y_prob must be (n,) or (n, 2) for a binary problem; got {y_prob.shape}. {hint}")
        y_prob = _probability_matrix("y_prob", y_prob, "Pass predict_proba's output.")[:, 1]
    elif y_prob.ndim != 1:
        raise ValueError(f"y_prob must be (n,) or (n, 2) for a binary problem; got {y_prob.shape}.")
    y_prob = np.asarray(y_prob, dtype=np.float64)
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] == 2:
        y_true = _probability_matrix("y_true", y_true, "A (n, 2) y_true holds target probabilities per class.")[:, 1]
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    if y_true.shape != y_prob.shape:
        raise ValueError(
            f"y_true has {y_true.size} entries and y_prob {y_prob.size}; they must match (one target and one "
            "prediction per sample)."
        )
    if y_true.size == 0:
        raise ValueError("y_true is empty.")
    _check_probabilities("y_true", y_true, "Binary targets are 0/1 labels or probabilities of the positive class.")
    _check_probabilities("y_prob", y_prob, "Pass predict_proba's output, or squash scores with scipy.special.expit.")
    return y_true, y_prob, _sample_weight(sample_weight, y_true.size)


def _calibration_inputs(y_true, y_prob, sample_weight):
    """Validate ECE / MCE inputs.

    Returns ``(t, p, sw)`` with 1-D ``t`` and ``p`` for a binary problem ((n,) or (n, 2)
    ``y_prob``), or ``(T, P, sw)`` with (n, K) target and probability matrices for K > 2.
    """
    y_prob_arr = np.asarray(y_prob)
    if y_prob_arr.ndim != 2 or y_prob_arr.shape[1] <= 2:
        if y_prob_arr.ndim == 2 and y_prob_arr.shape[1] == 1:
            raise ValueError("y_prob has one column; pass the positive class's probabilities as (n,) or (n, 2).")
        return _binary_inputs(y_true, y_prob, sample_weight)
    n, n_classes = y_prob_arr.shape
    P = _probability_matrix("y_prob", y_prob_arr, "Pass predict_proba's output.")
    y = np.asarray(y_true)
    if y.ndim == 2:
        if y.shape != P.shape:
            raise ValueError(
                f"y_true has shape {y.shape} and y_prob {P.shape}; a matrix of targets must have y_prob's shape "
                "(one row per sample, one column per class)."
            )
        T = _probability_matrix("y_true", y, "A (n, K) y_true holds one-hot rows or target probabilities.")
    elif y.ndim == 1:
        if y.size != n:
            raise ValueError(
                f"y_true has {y.size} entries and y_prob {n} rows; they must match (one target and one prediction "
                "per sample)."
            )
        integral = y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.all(np.isfinite(y) & (y == np.round(y))))
        if not integral:
            raise ValueError(
                f"y_true must hold integer class labels 0..{n_classes - 1} (the columns of y_prob); got dtype "
                f"{y.dtype}. Encode the labels as positions in estimator.classes_ (np.searchsorted(classes_, y)) "
                "or pass a (n, K) matrix of target probabilities."
            )
        labels = y.astype(np.int64)
        bad = (labels < 0) | (labels >= n_classes)
        if np.any(bad):
            raise ValueError(
                f"y_true labels must lie in 0..{n_classes - 1} (the columns of y_prob); got {labels[bad][0]}. "
                "Encode the labels as positions in estimator.classes_ (np.searchsorted(classes_, y))."
            )
        T = np.zeros_like(P)
        T[np.arange(n), labels] = 1.0
    else:
        raise ValueError(f"y_true must be (n,) class labels or a (n, K) matrix of targets; got shape {y.shape}.")
    return T, P, _sample_weight(sample_weight, n)


# --- bins ---------------------------------------------------------------------------------------


def _bins(t, p, sw, n_bins, strategy):
    """Mean prediction, mean target and weight share of each non-empty bin (inputs validated)."""
    if strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    else:
        edges = np.quantile(p, np.linspace(0, 1, n_bins + 1))
    idx = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, n_bins - 1)
    w = np.bincount(idx, weights=sw, minlength=n_bins)
    keep = w > 0
    pred = np.bincount(idx, weights=sw * p, minlength=n_bins)[keep] / w[keep]
    obs = np.bincount(idx, weights=sw * t, minlength=n_bins)[keep] / w[keep]
    return pred, obs, w[keep] / w.sum()


def _reliability_curves(y_true, y_prob, n_bins, strategy, sample_weight, kind):
    """The ``(mean_predicted, observed, weight)`` tables the ECE and the MCE are made of.

    One table for a binary problem and for ``kind="top-label"``, one per class for
    ``kind="classwise"``.
    """
    _check_binning(n_bins, strategy)
    _check_kind(kind)
    t, p, sw = _calibration_inputs(y_true, y_prob, sample_weight)
    if p.ndim == 1:
        return [_bins(t, p, sw, n_bins, strategy)]
    if kind == "top-label":
        top = np.argmax(p, axis=1)
        rows = np.arange(p.shape[0])
        return [_bins(t[rows, top], p[rows, top], sw, n_bins, strategy)]
    return [_bins(t[:, k], p[:, k], sw, n_bins, strategy) for k in range(p.shape[1])]


# --- metrics ------------------------------------------------------------------------------------


def soft_log_loss(y_true, y_prob, sample_weight=None, eps=1e-15, excess=False):
    """Binary cross-entropy for soft (probability) targets, or its excess over the entropy floor.

    ``mean_i s_i * -(t_i log p_i + (1 - t_i) log(1 - p_i)) / mean(s)``; with 0/1
    targets this is :func:`sklearn.metrics.log_loss`. The cross-entropy of a
    soft target is never below the target's own entropy ``H(t_i)``, with
    equality exactly at ``p_i = t_i`` (Gibbs' inequality): ``excess=True``
    reports the mean of ``CE(t_i, p_i) - H(t_i)``, the Kullback-Leibler
    divergence ``KL(t_i || p_i)``, which is 0 for a perfect fit of the
    targets whatever their entropy.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 2)
        Target probabilities of the positive class, in ``[0, 1]`` (of a
        ``(n, 2)`` matrix of target probabilities, the second column).
    y_prob : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probabilities (the positive class's column is used).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.
    eps : float, default=1e-15
        Predicted probabilities are clipped to ``[eps, 1 - eps]``.
    excess : bool, default=False
        Report the cross-entropy minus the targets' entropy (the floor).

    Returns
    -------
    float
        The weighted mean cross-entropy (``excess=True``: its excess over the
        weighted mean entropy of the targets, ``>= 0`` up to the clipping).

    Raises
    ------
    ValueError
        If the lengths differ, a value lies outside ``[0, 1]``, the rows of a
        matrix do not sum to 1 or ``y_prob`` has more than two columns.

    Examples
    --------
    >>> from sklogloss.metrics import soft_log_loss
    >>> round(soft_log_loss([0.5, 1.0], [0.5, 0.5]), 6)
    0.693147

    The floor: a prediction equal to a soft target has the target's entropy as
    its cross-entropy, and no excess:

    >>> round(soft_log_loss([0.3], [0.3]), 6), soft_log_loss([0.3], [0.3], excess=True)
    (0.610864, 0.0)
    """
    t, p, sw = _binary_inputs(y_true, y_prob, sample_weight)
    p = np.clip(p, eps, 1 - eps)
    raw = np.log(p) - np.log1p(-p)
    loss = BinomialLoss()
    per_sample = loss.loss(t, raw)
    if excess:
        per_sample = per_sample - loss.entropy(t)
    return float(np.average(per_sample, weights=sw))


def worst_group_loss(y_true, y_prob, groups, sample_weight=None, labels=None, eps=1e-15):
    """The largest mean log loss over groups: the objective of Group DRO, as a model-selection metric.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Class labels.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities: of the positive class (the second of
        ``labels``) for a vector, one column per label for a matrix.
    groups : array-like of shape (n_samples,)
        Group label of each sample.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights within the groups.
    labels : array-like, default=None
        The classes, in the order of ``y_prob``'s columns; ``None``: the sorted
        labels of ``y_true`` (pass them when a split may miss a class).
    eps : float, default=1e-15
        Probabilities are clipped to ``[eps, 1]``.

    Returns
    -------
    float
        ``max_g`` of the weighted mean of ``-log p_i(y_i)`` over group ``g``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.metrics import worst_group_loss
    >>> y, g = np.array([0, 1, 0, 1]), np.array(["a", "a", "b", "b"])
    >>> p = np.array([0.2, 0.9, 0.5, 0.5])   # P(y = 1)
    >>> bool(np.isclose(worst_group_loss(y, p, g), np.log(2)))  # group b
    True
    """
    y_true, groups = np.asarray(y_true), np.asarray(groups)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    n = y_true.shape[0]
    if y_true.ndim != 1 or groups.shape != (n,) or y_prob.shape[0] != n:
        raise ValueError(f"y_true, y_prob and groups must have one entry (row) per sample; got shapes "
                         f"{y_true.shape}, {y_prob.shape} and {groups.shape}.")
    _check_probabilities("y_prob", y_prob, "pass probabilities, e.g. predict_proba's output")
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_prob.ndim == 1:
        y_prob = np.column_stack([1 - y_prob, y_prob])
    if y_prob.ndim != 2 or y_prob.shape[1] != labels.size:
        raise ValueError(f"y_prob has {y_prob.shape[1] if y_prob.ndim == 2 else '?'} columns for "
                         f"{labels.size} labels {labels[:5]}; pass labels= in the order of the columns.")
    index = np.searchsorted(labels, y_true)
    index = np.clip(index, 0, labels.size - 1)
    if np.any(labels[index] != y_true):
        raise ValueError(f"y_true holds labels outside labels={labels}; pass every class in labels=.")
    sw = _sample_weight(sample_weight, n)
    per_sample = -np.log(np.clip(y_prob[np.arange(n), index], eps, 1.0))
    names, which = np.unique(groups, return_inverse=True)
    mass = np.bincount(which, weights=sw, minlength=names.size)
    if np.any(mass <= 0):
        raise ValueError(f"group(s) {list(names[mass <= 0])[:5]} have no sample with a positive weight.")
    return float(np.max(np.bincount(which, weights=sw * per_sample, minlength=names.size) / mass))


def make_worst_group_scorer(labels=None):
    """A scorer of ``-worst_group_loss`` that requests ``groups`` (for ``GridSearchCV(scoring=...)``).

    Needs scikit-learn's metadata routing (``sklearn.set_config(enable_metadata_routing=True)``):
    a search then passes each test fold's ``groups`` to the scorer. Greater is better (the
    negated loss, as scikit-learn's ``neg_log_loss``).

    Parameters
    ----------
    labels : array-like, default=None
        Passed to :func:`worst_group_loss` (the classes in ``predict_proba``'s order).

    Returns
    -------
    scorer
        ``scorer(estimator, X, y, groups=...)``.

    Examples
    --------
    >>> import numpy as np, sklearn
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.metrics import make_worst_group_scorer
    >>> rng = np.random.default_rng(0)
    >>> X, g = rng.normal(size=(300, 3)), np.arange(300) % 3
    >>> y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     search = GridSearchCV(LogisticClassifier(), {"C": [0.01, 1.0]}, cv=3,
    ...                           scoring=make_worst_group_scorer()).fit(X, y, groups=g)
    >>> search.best_params_
    {'C': 1.0}
    """
    import sklearn
    from sklearn.metrics import make_scorer

    if not sklearn.get_config().get("enable_metadata_routing", False):
        raise ValueError("make_worst_group_scorer needs scikit-learn's metadata routing, which passes groups to "
                         "the scorer: call sklearn.set_config(enable_metadata_routing=True) (or use "
                         "sklearn.config_context) first.")
    kwargs = {} if labels is None else {"labels": labels}
    return make_scorer(worst_group_loss, greater_is_better=False, response_method="predict_proba",
                       **kwargs).set_score_request(groups=True)


def calibration_table(y_true, y_prob, n_bins=10, strategy="uniform", sample_weight=None):
    """Reliability table: per bin, the mean prediction, the observed frequency and the weight.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 2)
        0/1 labels or soft targets in ``[0, 1]`` (of a ``(n, 2)`` matrix of
        target probabilities, the second column).
    y_prob : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probabilities of the positive class (of a ``(n, 2)`` matrix,
        whose rows must sum to 1, the second column).
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on ``[0, 1]`` or bins with equal numbers of samples
        (edges at the quantiles of ``y_prob``, ignoring ``sample_weight``).
        Bin ``b`` holds ``e_b <= p < e_{b + 1}``, the last bin also its upper
        edge (scikit-learn's ``calibration_curve`` closes bins on the right:
        the two differ only for predictions exactly on an inner edge).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.

    Returns
    -------
    mean_predicted, observed, weight : ndarray of shape (n_nonempty_bins,)
        Weighted mean prediction and weighted mean target in each non-empty
        bin, and the bin's share of the total weight. Bins without weight are
        left out, as by :func:`sklearn.calibration.calibration_curve`.

    Raises
    ------
    ValueError
        If the lengths differ, a value lies outside ``[0, 1]``, the rows of a
        matrix do not sum to 1, ``y_prob`` has more than two columns,
        ``n_bins < 1`` or ``strategy`` is unknown.

    Examples
    --------
    >>> from sklogloss.metrics import calibration_table
    >>> pred, obs, w = calibration_table([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2)
    >>> pred, obs, w
    (array([0.3 , 0.85]), array([0.5, 1. ]), array([0.5, 0.5]))
    """
    t, p, sw = _binary_inputs(y_true, y_prob, sample_weight)
    _check_binning(n_bins, strategy)
    return _bins(t, p, sw, n_bins, strategy)


def expected_calibration_error(y_true, y_prob, n_bins=10, strategy="uniform", sample_weight=None, kind="top-label"):
    """Expected calibration error: ``sum_b weight_b * |observed_b - mean_predicted_b|``.

    The weighted mean gap between the two columns of a reliability diagram
    (Naeini et al. 2015; Guo et al. 2017).

    * **Binary** (``y_prob`` of shape (n,) or (n, 2)): the bins of
      :func:`calibration_table` on the positive class's probability; ``kind``
      plays no role.
    * **K > 2 classes**, ``kind="top-label"``: the bins are made on the largest
      probability of each row (the confidence) and the observed value is the
      accuracy of the predicted class, ``argmax`` of the row (the first of
      tied columns); for a matrix of target probabilities, the target's
      probability of the predicted class (Guo et al.'s confidence ECE).
    * **K > 2 classes**, ``kind="classwise"``: the mean over the classes ``k``
      of the binary ECE of column ``k`` against the indicator (or target
      probability) of class ``k`` (Kull et al. 2019).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Binary: 0/1 labels or soft targets in ``[0, 1]``. K classes: integer
        labels ``0..K-1`` (positions of the columns of ``y_prob``, e.g.
        ``np.searchsorted(estimator.classes_, y)``), or a ``(n, K)`` matrix
        of one-hot rows or target probabilities.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities: of the positive class, or ``predict_proba``'s
        matrix, whose rows must sum to 1 within ``1e-6``.
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on ``[0, 1]`` or equal-count bins (edges at the
        quantiles of the binned probabilities); see :func:`calibration_table`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.
    kind : {"top-label", "classwise"}, default="top-label"
        What is binned for more than two classes (see above).

    Returns
    -------
    float
        The ECE, in ``[0, 1]``; 0 when every bin's observed frequency equals
        its mean prediction.

    Raises
    ------
    ValueError
        If the lengths differ, a probability lies outside ``[0, 1]``, a row of
        a matrix does not sum to 1, a label lies outside ``0..K-1``,
        ``n_bins < 1``, or ``strategy`` or ``kind`` is unknown.

    See Also
    --------
    calibration_table : the bins of the binary ECE.
    maximum_calibration_error : the largest gap instead of the mean.

    Examples
    --------
    Two bins with gaps ``|0.5 - 0.3|`` and ``|1 - 0.85|``, of weight 1/2 each:

    >>> from sklogloss.metrics import expected_calibration_error
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2), 6)
    0.175

    Three classes: confidences 0.6, 0.6, 0.8 and 0.8 in bins ``[0.5, 0.75)``
    and ``[0.75, 1]``; the first bin's argmax is right once in two (gap 0.1),
    the second's twice (gap 0.2). Classwise, the three columns have ECEs
    0.225, 0.275 and 0.2:

    >>> P = [[0.6, 0.3, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]]
    >>> round(expected_calibration_error([0, 2, 2, 0], P, n_bins=4), 6)
    0.15
    >>> round(expected_calibration_error([0, 2, 2, 0], P, n_bins=4, kind="classwise"), 6)
    0.233333
    """
    curves = _reliability_curves(y_true, y_prob, n_bins, strategy, sample_weight, kind)
    eces = [_table_ece(*curve) for curve in curves]
    return eces[0] if len(eces) == 1 else float(np.mean(eces))


def _table_ece(mean_predicted, observed, weight):
    """The ECE of one reliability table (:func:`calibration_table`'s three arrays)."""
    return float(np.sum(weight * np.abs(observed - mean_predicted)))


def maximum_calibration_error(y_true, y_prob, n_bins=10, strategy="uniform", sample_weight=None, kind="top-label"):
    """Maximum calibration error: the largest ``|observed_b - mean_predicted_b|`` over non-empty bins.

    The bins are those of :func:`expected_calibration_error` (same arguments,
    same defaults, same errors); for ``kind="classwise"`` the result is the
    maximum over the classes of each class's binary MCE. Every non-empty bin
    counts, however little weight it holds: with few samples per bin the MCE
    is noisy.

    Parameters
    ----------
    y_true, y_prob, n_bins, strategy, sample_weight, kind
        As for :func:`expected_calibration_error`.

    Returns
    -------
    float
        The MCE, in ``[0, 1]``; never smaller than the ECE of the same bins.

    Raises
    ------
    ValueError
        As :func:`expected_calibration_error`.

    Examples
    --------
    The gaps of the two bins are 0.2 and 0.15:

    >>> from sklogloss.metrics import maximum_calibration_error
    >>> round(maximum_calibration_error([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2), 6)
    0.2
    """
    curves = _reliability_curves(y_true, y_prob, n_bins, strategy, sample_weight, kind)
    return max(float(np.max(np.abs(obs - pred))) for pred, obs, _ in curves)


class BrierDecomposition(NamedTuple):
    """Murphy's decomposition of the Brier score, from :func:`brier_score_decomposition`.

    Attributes
    ----------
    reliability : float
        ``sum_b w_b (mean_predicted_b - observed_b)**2``: the calibration
        term, 0 for calibrated bins (lower is better).
    resolution : float
        ``sum_b w_b (observed_b - base_rate)**2``: how far the bins' observed
        frequencies spread from the overall rate (higher is better).
    uncertainty : float
        ``base_rate * (1 - base_rate)``: the Brier score of always predicting
        the base rate; a property of the targets alone.
    brier : float
        The Brier score of the (unbinned) predictions.

    Examples
    --------
    >>> from sklogloss.metrics import BrierDecomposition
    >>> d = BrierDecomposition(reliability=0.01, resolution=0.05, uncertainty=0.25, brier=0.21)
    >>> round(d.reliability - d.resolution + d.uncertainty, 6)
    0.21
    """

    reliability: float
    resolution: float
    uncertainty: float
    brier: float


def brier_score_decomposition(y_true, y_prob, n_bins=10, strategy="uniform", sample_weight=None):
    """Murphy's (1973) decomposition of the binary Brier score on calibration bins.

    With the bins of :func:`calibration_table` (weight share ``w_b``, mean
    prediction ``f_b``, observed frequency ``o_b``) and the base rate
    ``o = sum_b w_b o_b``::

        reliability = sum_b w_b (f_b - o_b)**2
        resolution  = sum_b w_b (o_b - o)**2
        uncertainty = o (1 - o)

    and ``brier = reliability - resolution + uncertainty + within``, where
    ``within = sum_b w_b (var_b(p) - 2 cov_b(p, y))`` (the within-bin variance
    of the predictions and their within-bin covariance with the targets,
    Stephenson et al. 2008). The identity ``brier = reliability - resolution
    + uncertainty`` is therefore exact (up to rounding) when the predictions
    are constant within each bin, e.g. predictions that take at most
    ``n_bins`` values, one per bin; otherwise it is an approximation whose
    error, with uniform bins of width ``h``, is at most ``h**2 / 4 + h / 2``
    and shrinks with finer bins.

    A soft target ``t`` counts as two copies of the sample, labelled 1 and 0
    and weighted ``t`` and ``1 - t``: ``brier`` is then
    ``mean((p - t)**2 + t (1 - t))``, the expected Brier score of labels drawn
    with probability ``t``, and the identity holds as for labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 2)
        0/1 labels or soft targets in ``[0, 1]``.
    y_prob : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probabilities of the positive class.
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Binning, as for :func:`calibration_table`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.

    Returns
    -------
    BrierDecomposition
        Named tuple ``(reliability, resolution, uncertainty, brier)``; for
        0/1 labels ``brier`` equals :func:`sklearn.metrics.brier_score_loss`.

    Raises
    ------
    ValueError
        As :func:`calibration_table`; also for more than two classes (decompose
        one class against the rest: ``(y == k, y_prob[:, k])``).

    Examples
    --------
    Predictions constant within each of two bins: the identity is exact.

    >>> from sklogloss.metrics import brier_score_decomposition
    >>> d = brier_score_decomposition([0, 0, 1, 0, 1, 1], [0.2, 0.2, 0.2, 0.7, 0.7, 0.7], n_bins=2)
    >>> [round(v, 6) for v in d]
    [0.009444, 0.027778, 0.25, 0.231667]
    >>> round(d.reliability - d.resolution + d.uncertainty, 6)
    0.231667
    """
    hint = "brier_score_decomposition is binary: decompose one class against the rest, (y == k, y_prob[:, k])."
    t, p, sw = _binary_inputs(y_true, y_prob, sample_weight, hint=hint)
    _check_binning(n_bins, strategy)
    pred, obs, w = _bins(t, p, sw, n_bins, strategy)
    base = float(np.sum(w * obs))
    return BrierDecomposition(
        reliability=float(np.sum(w * (pred - obs) ** 2)),
        resolution=float(np.sum(w * (obs - base) ** 2)),
        uncertainty=base * (1 - base),
        brier=float(np.average((p - t) ** 2 + t * (1 - t), weights=sw)),
    )
