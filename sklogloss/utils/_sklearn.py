"""Every import of scikit-learn private API goes through this module.

If scikit-learn moves one of these names, this is the only file to change.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["HasMethods", "Interval", "Options", "StrOptions", "_check_sample_weight", "_fit_context"]
