"""scikit-learn's estimator checks on every estimator of the package."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklogloss import LogisticClassifier, SoftmaxClassifier

ESTIMATORS = [LogisticClassifier(), SoftmaxClassifier()]

# check name -> reason, per estimator class; empty means every check must pass.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
