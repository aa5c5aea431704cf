"""Every import of scikit-learn private API goes through this module.

If scikit-learn moves one of these names, this is the only file to change.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import _check_n_features, _check_sample_weight
from sklearn.utils.validation import validate_data as _sklearn_validate_data

__all__ = ["CachedParamNames", "HasMethods", "Interval", "Options", "StrOptions", "_check_sample_weight",
           "_fit_context", "validate_data"]

_PARAM_NAMES = {}
#: Parameter sets that passed validation, per class (see ``CachedParamNames._validate_params``).
_VALIDATED = {}
_VALIDATED_MAX = 4096
#: The types whose values are compared by value in ``_VALIDATED`` (immutable, hashable).
_SCALAR_TYPES = (type(None), bool, int, float, str)


class CachedParamNames:
    """Mixin: the constructor's parameter names read once per class, and parameter sets validated once.

    scikit-learn's ``BaseEstimator._get_param_names`` inspects the signature
    of ``__init__`` on every ``get_params``, which every ``fit`` calls to
    validate its parameters and every ``clone`` calls twice (0.3 ms a call
    here, about 4% of a fit on wine). A class's parameters do not change, so
    the names are kept per class (a copy is returned).

    Validation (``_validate_params``, run by every ``fit``) is a function of
    the class and the parameters' values alone: a set of values that passed
    it once is not checked again, where every value is ``None``, a ``bool``,
    an ``int``, a ``float`` or a ``str`` (compared with their types, so that
    ``True`` is not taken for ``1``). Any other value (an array, an estimator,
    a numpy scalar) is validated at every fit, as is a set that failed.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from sklogloss import LogisticClassifier
    >>> names = LogisticClassifier._get_param_names()
    >>> names == BaseEstimator._get_param_names.__func__(LogisticClassifier)  # scikit-learn's own
    True
    >>> names[:3]
    ['C', 'adversarial_epsilon', 'adversarial_norm']
    """

    @classmethod
    def _get_param_names(cls):
        names = _PARAM_NAMES.get(cls)
        if names is None:
            names = _PARAM_NAMES[cls] = tuple(super()._get_param_names())
        return list(names)

    def _validate_params(self):
        params = self.get_params(deep=False)
        key = None
        if all(type(value) in _SCALAR_TYPES for value in params.values()):
            key = (type(self),) + tuple((name, type(value), value) for name, value in params.items())
            if key in _VALIDATED:
                return
        super()._validate_params()
        if key is not None:
            if len(_VALIDATED) >= _VALIDATED_MAX:
                _VALIDATED.clear()
            _VALIDATED[key] = True


def _all_finite(a):
    """Whether every entry of the float or complex array ``a`` is finite.

    A 2-D float array is tested through its row sums, one BLAS product ``a @ 1``
    (a NaN or an infinity in a row makes its sum NaN or infinite; a third of the time of
    ``np.isfinite(a).all()``, which writes and reads a boolean array of
    ``a``'s shape); only a sum that is not finite (which an overflow can also
    give) is checked entry by entry.

    >>> import numpy as np
    >>> X = np.ones((3, 2))
    >>> _all_finite(X), _all_finite(np.full((2, 2), 1e308))
    (True, True)
    >>> X[1, 0] = np.nan
    >>> _all_finite(X)
    False
    """
    if a.ndim == 2 and a.dtype.kind == "f" and a.shape[1] > 1:
        with np.errstate(all="ignore"):  # (an overflow is answered below, silently)
            sums = a @ np.ones(a.shape[1], dtype=a.dtype)
        if bool(np.isfinite(sums).all()):
            return True
    return bool(np.isfinite(a).all())


def _plain(a, kinds):
    """Whether ``a`` is a finite, non-empty numpy array of these dtype kinds (a no-op for check_array)."""
    if type(a) is not np.ndarray or a.size == 0 or a.dtype.kind not in kinds:
        return False
    return a.dtype.kind not in "fc" or _all_finite(a)


def validate_data(estimator, X, y="no_validation", reset=True, **check_params):
    """scikit-learn's ``validate_data``, with a shortcut where it would return X and y unchanged.

    For a finite, non-empty 2-D numpy array of a dtype the caller accepts
    (``check_params["dtype"]``, a list), and a finite numeric 1-D or 2-D
    numpy ``y`` of the same length, scikit-learn's checks change nothing;
    the shortcut returns them as they are, sets ``n_features_in_`` and
    removes ``feature_names_in_`` with ``reset`` (an array has no feature
    names), as scikit-learn does. It skips scikit-learn's search for
    dataframe libraries, whose first call in a process reads the metadata of
    every installed package (about 15 ms: the largest part of a first fit on
    a small data set). Anything else goes through scikit-learn's function,
    with its conversions and error messages.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sklogloss.utils._sklearn import validate_data
    >>> est = BaseEstimator()
    >>> X = np.ones((3, 2))
    >>> validate_data(est, X, dtype=[np.float64]) is X, est.n_features_in_
    (True, 2)
    """
    dtypes = check_params.get("dtype")
    shortcut = (isinstance(dtypes, list) and X.dtype in dtypes if isinstance(X, np.ndarray) else False) \
        and X.ndim == 2 and _plain(X, "f") and (reset or not hasattr(estimator, "feature_names_in_")) \
        and check_params.get("ensure_2d", True) and not check_params.get("copy", False) \
        and check_params.get("order") is None
    if shortcut and not (isinstance(y, str) and y == "no_validation"):
        # A numeric y needs no conversion (y_numeric concerns object arrays); a 2-D y only with multi_output.
        shortcut = _plain(y, "biuf") and y.shape[0] == X.shape[0] and (
            y.ndim == 1 or (y.ndim == 2 and check_params.get("multi_output", False)))
    if not shortcut:
        return _sklearn_validate_data(estimator, X, y, reset=reset, **check_params)
    if reset and hasattr(estimator, "feature_names_in_"):
        delattr(estimator, "feature_names_in_")
    _check_n_features(estimator, X, reset=reset)
    return X if isinstance(y, str) and y == "no_validation" else (X, y)
