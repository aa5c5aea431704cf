"""Input checks shared by the estimators and the objective (one home for each)."""

import numpy as np

from ._sklearn import _check_sample_weight

__all__ = ["check_sample_weight"]


def check_sample_weight(sample_weight, X):
    """Sample weights as float64 ``(n,)``: finite, non-negative, with a positive sum.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The weights; ``None`` means ones.
    X : array-like, sparse matrix or int
        The data they weight (or its number of rows).

    Returns
    -------
    ndarray of shape (n_samples,)
        The validated weights.

    Examples
    --------
    >>> from sklogloss.utils.validation import check_sample_weight
    >>> check_sample_weight(None, 3)
    array([1., 1., 1.])
    >>> try:
    ...     check_sample_weight([0, 0, 0], 3)
    ... except ValueError as exc:
    ...     print(exc)
    The sample weights sum to zero; at least one sample must have a non-zero (positive) weight.
    """
    if isinstance(X, (int, np.integer)):
        X = np.empty((int(X), 0))
    zero = ("The sample weights sum to zero; at least one sample must have a non-zero (positive) "
            "weight.")
    try:
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    except ValueError as exc:
        if "non-zero" in str(exc):  # scikit-learn's own all-zero check: say it our way
            raise ValueError(zero) from exc
        raise
    if not sw.sum() > 0:
        raise ValueError(zero)
    return sw
