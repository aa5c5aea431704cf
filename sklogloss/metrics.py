"""Metrics for probabilistic classifiers: cross-entropy with soft targets, calibration."""

import numpy as np

from .losses import BinomialLoss

__all__ = ["calibration_table", "expected_calibration_error", "soft_log_loss"]


def _binary_inputs(y_true, y_prob, sample_weight):
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_prob.ndim == 2:
        if y_prob.shape[1] != 2:
            raise ValueError(f"y_prob must be (n,) or (n, 2) for a binary problem; got {y_prob.shape}.")
        y_prob = y_prob[:, 1]
    if y_true.shape != y_prob.shape:
        raise ValueError(f"y_true has {y_true.size} entries and y_prob {y_prob.size}; they must match.")
    if y_true.size == 0:
        raise ValueError("y_true is empty.")
    for name, a in (("y_true", y_true), ("y_prob", y_prob)):
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise ValueError(f"{name} must hold probabilities in [0, 1] (no NaN).")
    sw = np.ones_like(y_true) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != y_true.shape or np.any(sw < 0) or not sw.sum() > 0:
        raise ValueError("sample_weight must be non-negative, of y_true's length, with a positive sum.")
    return y_true, y_prob, sw


def soft_log_loss(y_true, y_prob, sample_weight=None, eps=1e-15):
    """Binary cross-entropy for soft (probability) targets.

    ``mean_i s_i * -(t_i log p_i + (1 - t_i) log(1 - p_i)) / mean(s)``; with 0/1
    targets this is :func:`sklearn.metrics.log_loss`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Target probabilities of the positive class, in ``[0, 1]``.
    y_prob : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probabilities (the positive class's column is used).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.
    eps : float, default=1e-15
        Predicted probabilities are clipped to ``[eps, 1 - eps]``.

    Returns
    -------
    float
        The weighted mean cross-entropy.

    Examples
    --------
    >>> from sklogloss.metrics import soft_log_loss
    >>> round(soft_log_loss([0.5, 1.0], [0.5, 0.5]), 6)
    0.693147
    """
    t, p, sw = _binary_inputs(y_true, y_prob, sample_weight)
    p = np.clip(p, eps, 1 - eps)
    raw = np.log(p) - np.log1p(-p)
    return float(np.average(BinomialLoss().loss(t, raw), weights=sw))


def calibration_table(y_true, y_prob, n_bins=10, strategy="uniform", sample_weight=None):
    """Reliability table: per bin, the mean prediction, the observed frequency and the weight.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        0/1 labels or soft targets in ``[0, 1]``.
    y_prob : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probabilities of the positive class.
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on ``[0, 1]`` or bins with equal numbers of samples.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.

    Returns
    -------
    mean_predicted, observed, weight : ndarray of shape (n_nonempty_bins,)
        Weighted mean prediction and weighted mean target in each non-empty
        bin, and the bin's share of the total weight.

    Examples
    --------
    >>> from sklogloss.metrics import calibration_table
    >>> pred, obs, w = calibration_table([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2)
    >>> pred, obs, w
    (array([0.3 , 0.85]), array([0.5, 1. ]), array([0.5, 0.5]))
    """
    t, p, sw = _binary_inputs(y_true, y_prob, sample_weight)
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    if strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    elif strategy == "quantile":
        edges = np.quantile(p, np.linspace(0, 1, n_bins + 1))
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile'; got {strategy!r}.")
    idx = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, n_bins - 1)
    w = np.bincount(idx, weights=sw, minlength=n_bins)
    keep = w > 0
    pred = np.bincount(idx, weights=sw * p, minlength=n_bins)[keep] / w[keep]
    obs = np.bincount(idx, weights=sw * t, minlength=n_bins)[keep] / w[keep]
    return pred, obs, w[keep] / w.sum()


def expected_calibration_error(y_true, y_prob, n_bins=10, strategy="uniform", sample_weight=None):
    """Expected calibration error: ``sum_b weight_b * |observed_b - mean_predicted_b|``.

    The weighted mean gap between the two columns of the reliability
    diagram, over the bins of :func:`calibration_table`.

    Parameters
    ----------
    y_true, y_prob, n_bins, strategy, sample_weight
        As for :func:`calibration_table`, which makes the bins and their
        weights (same defaults, same errors).

    Returns
    -------
    float
        The ECE, in ``[0, 1]``; 0 when every bin's observed frequency equals
        its mean prediction.

    Examples
    --------
    Two bins with gaps ``|0.5 - 0.3|`` and ``|1 - 0.85|``, of weight 1/2 each:

    >>> from sklogloss.metrics import expected_calibration_error
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2), 6)
    0.175
    """
    pred, obs, w = calibration_table(y_true, y_prob, n_bins, strategy, sample_weight)
    return float(np.sum(w * np.abs(obs - pred)))
