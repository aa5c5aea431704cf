"""scikit-learn's estimator checks on every estimator of the package."""

import inspect

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_hurdle import expected_failed_checks as hurdle_expected_failures
from test_noise import expected_failed_checks as noise_expected_failures

from sklogloss import (
    HurdleRegressor,
    LogisticClassifier,
    NoiseCorrectedClassifier,
    SoftmaxClassifier,
)

ESTIMATORS = [
    LogisticClassifier(),
    SoftmaxClassifier(),
    HurdleRegressor(),
    HurdleRegressor(count_distribution="negative_binomial"),
    HurdleRegressor(count_distribution="geometric"),
    NoiseCorrectedClassifier(),
    NoiseCorrectedClassifier(transition_matrix=None),
    NoiseCorrectedClassifier(correction="backward"),
]


def expected_failed_checks(estimator):
    """Check name -> written reason; empty means every check must pass."""
    if isinstance(estimator, HurdleRegressor):
        # y must be counts with a zero and a positive; the reasons are in test_hurdle.py.
        return hurdle_expected_failures(estimator)
    if isinstance(estimator, NoiseCorrectedClassifier):
        return noise_expected_failures(estimator)
    return {}


# An expected failure that starts passing fails the run (its reason is out of date);
# older scikit-learn releases have no xfail_strict.
_STRICT = ({"xfail_strict": True}
           if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters else {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks, **_STRICT)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_parameter_names_are_scikit_learns_and_kept_per_class():
    # CachedParamNames reads the names once per class: they must be what scikit-learn's
    # BaseEstimator reads from the signature, and a subclass with another signature has its own.
    from sklearn.base import BaseEstimator, clone

    from sklogloss import GroupDROClassifier, LogisticClassifierCV, SoftmaxClassifierCV

    classes = {type(e) for e in ESTIMATORS} | {GroupDROClassifier, LogisticClassifierCV, SoftmaxClassifierCV}
    for cls in classes:
        assert cls._get_param_names() == BaseEstimator._get_param_names.__func__(cls), cls

    class Wider(LogisticClassifier):
        def __init__(self, extra=1, **kwargs):
            super().__init__(**kwargs)
            self.extra = extra

    LogisticClassifier._get_param_names()  # cached first for the parent
    assert Wider._get_param_names() == ["extra"]  # scikit-learn's reading of **kwargs-free names
    names = LogisticClassifier._get_param_names()
    names.append("mutated")  # a copy: the cache is not changed through it
    assert "mutated" not in LogisticClassifier._get_param_names()
    assert clone(LogisticClassifier(C=3.0)).C == 3.0


def test_issparse_agrees_with_scipy_and_a_dense_fit_never_asks_scipy(monkeypatch):
    # scipy's issparse is an abstract-base-class check whose first call in a process costs
    # about 1 ms; sklogloss.utils.validation.issparse answers an ndarray at once. A default fit
    # and prediction on a dense ndarray (parameters validated afresh) must not reach scipy's.
    import scipy.sparse as sp

    from sklogloss.utils import _sklearn
    from sklogloss.utils.validation import issparse

    dense = np.eye(3)
    for x in [dense, np.asfortranarray(dense), dense[:, :2], sp.csr_matrix(dense),
              sp.csc_array(dense), sp.coo_matrix(dense), [[1.0]], None, 1.0]:
        assert issparse(x) == sp.issparse(x)
    calls = []
    original = sp.issparse
    monkeypatch.setattr(sp, "issparse", lambda x: calls.append(type(x)) or original(x))
    X, y3 = np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 3
    _sklearn._VALIDATED.clear()
    for est, y in [(LogisticClassifier(), y3 % 2), (SoftmaxClassifier(), y3)]:
        est.fit(X, y).predict_proba(X)
    assert calls == []
    assert issparse(sp.csr_matrix(dense)) and calls == [sp.csr_matrix]  # (the patch is seen)


def test_validated_parameter_sets_are_remembered_only_where_they_passed():
    # CachedParamNames skips the validation of a set of plain values that passed it once in
    # this class; a failing set, a value of another type that compares equal (0.0 == 0, which
    # verbose refuses) and a value that is not a plain scalar are validated at every fit.
    from sklearn.base import BaseEstimator
    from sklearn.utils._param_validation import InvalidParameterError

    from sklogloss.utils import _sklearn

    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    calls = []
    original = BaseEstimator._validate_params

    def counted(self):
        calls.append(type(self))
        return original(self)

    _sklearn._VALIDATED.clear()
    try:
        BaseEstimator._validate_params = counted
        LogisticClassifier(C=2.0).fit(X, y)
        LogisticClassifier(C=2.0).fit(X, y)
        assert len(calls) == 1
        LogisticClassifier(C=3.0).fit(X, y)  # other values: validated
        assert len(calls) == 2
        for _ in range(2):
            with pytest.raises(InvalidParameterError):
                LogisticClassifier(C=-1.0).fit(X, y)
        assert len(calls) == 4
        LogisticClassifier(verbose=0).fit(X, y)
        for _ in range(2):
            with pytest.raises(InvalidParameterError, match="verbose"):
                LogisticClassifier(verbose=0.0).fit(X, y)
        assert len(calls) == 7
        for _ in range(2):  # a numpy scalar: validated every time
            LogisticClassifier(C=np.float64(2.0)).fit(X, y)
        assert calls == [LogisticClassifier] * 9
    finally:
        BaseEstimator._validate_params = original
        _sklearn._VALIDATED.clear()
