"""Warnings raised by sklogloss estimators."""

from sklearn.exceptions import ConvergenceWarning

__all__ = ["PerfectSeparationWarning"]


class PerfectSeparationWarning(ConvergenceWarning):
    """The training data are linearly separable and nothing penalises the weights.

    The maximum-likelihood estimate does not exist: the loss keeps decreasing
    as the weights grow. The fit stops when the gradient falls below ``tol``
    and returns finite weights that classify the training data perfectly; their
    size depends on ``tol``. Use a finite ``C`` (or label smoothing) for a
    unique, finite solution.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.exceptions import PerfectSeparationWarning
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = [0, 0, 1, 1]
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     clf = LogisticClassifier(C=np.inf).fit(X, y)
    >>> any(issubclass(x.category, PerfectSeparationWarning) for x in w)
    True
    """
