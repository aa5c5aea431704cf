"""Input checks shared by the estimators and the objective (one home for each)."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import type_of_target as _sklearn_type_of_target

from ._sklearn import _check_sample_weight

__all__ = ["check_sample_weight", "issparse", "type_of_target"]


def issparse(x):
    """``scipy.sparse.issparse(x)``, answered at once for a numpy array.

    scipy's test is an ``isinstance`` check against an abstract base class
    whose first call in a process walks every sparse class (the largest
    first-call cost of a fit on a small data set, docs/performance.rst); an
    ``ndarray`` is never sparse, and a fit on one does not reach scipy's test.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sklogloss.utils.validation import issparse
    >>> issparse(np.eye(2)), issparse(sp.eye(2, format="csr")), issparse(None)
    (False, True, False)
    """
    return type(x) is not np.ndarray and sp.issparse(x)


def type_of_target(y, input_name="y"):
    """scikit-learn's ``type_of_target``, computed directly for a non-empty 1-D numeric numpy array.

    For such a ``y`` the answer is ``"continuous"`` (a float with a
    non-integer value; a non-finite value raises as scikit-learn does),
    ``"multiclass"`` (more than two values) or ``"binary"``, as scikit-learn
    decides it, without its dataframe-library lookup (whose first call in a
    process costs about 15 ms, see ``sklogloss.utils._sklearn.validate_data``).
    Any other ``y`` goes to scikit-learn's function.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.utils.validation import type_of_target
    >>> type_of_target(np.array([0, 1, 1])), type_of_target(np.array([0.5, 1.0])), type_of_target(np.arange(3))
    ('binary', 'continuous', 'multiclass')
    """
    if type(y) is not np.ndarray or y.ndim != 1 or y.size == 0 or y.dtype.kind not in "biuf":
        return _sklearn_type_of_target(y, input_name=input_name)
    if y.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            fractional = np.any(y != y.astype(int))
        if fractional or not np.isfinite(y).all():
            return _sklearn_type_of_target(y, input_name=input_name)  # its "continuous", or its error
    # More than two values: one that is neither the smallest nor the largest (no sort of y).
    lo, hi = y.min(), y.max()
    return "multiclass" if bool(np.any((y != lo) & (y != hi))) else "binary"


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
    if sample_weight is None:  # scikit-learn's ones, without its checks of X
        return np.ones(X.shape[0])
    if (type(sample_weight) is np.ndarray and sample_weight.dtype == np.float64 and sample_weight.ndim == 1
            and sample_weight.shape[0] == X.shape[0] and np.isfinite(sample_weight).all()
            and not (sample_weight < 0).any()):
        sw = sample_weight  # what scikit-learn's checks return for it
    else:
        sw = _checked_sample_weight(sample_weight, X, zero)
    if not sw.sum() > 0:
        raise ValueError(zero)
    return sw


def _checked_sample_weight(sample_weight, X, zero):
    try:
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    except ValueError as exc:
        if "non-zero" in str(exc):  # scikit-learn's own all-zero check: say it our way
            raise ValueError(zero) from exc
        raise
    return sw
