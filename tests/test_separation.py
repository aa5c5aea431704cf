"""Existence of the unpenalised maximum-likelihood estimate: complete and quasi-complete separation.

References: closed-form cases (Albert and Anderson's examples: classes that meet
only on a hyperplane), the fitted weights' growth as tol shrinks (a property of a
missing optimum), and scikit-learn's unpenalised fit where the optimum exists.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.estimators._separation import separating_direction_exists
from sklogloss.exceptions import PerfectSeparationWarning
from sklogloss.inference import summary

QUASI = (np.array([[1.0], [2.0], [3.0], [3.0], [4.0], [5.0]]), np.array([0, 0, 0, 1, 1, 1]))


def test_closed_form_cases():
    X, y = QUASI
    assert separating_direction_exists(X, y)  # the classes meet only at x = 3
    assert separating_direction_exists(X[[0, 1, 2, 4, 5]], y[[0, 1, 2, 4, 5]])  # complete
    assert not separating_direction_exists(X, np.array([0, 1, 0, 1, 0, 1]))  # overlapping
    # A sample of weight 0 does not count.
    w = np.ones(6)
    w[3] = 0.0  # drop the class-1 sample at x = 3: complete separation remains
    assert separating_direction_exists(X, y, sample_weight=w)
    yo = np.array([0, 1, 0, 1, 1, 1])  # an overlap at x = 2
    assert not separating_direction_exists(X, yo)
    w = np.ones(6)
    w[1] = 0.0  # without the sample that overlaps: quasi-complete again
    assert separating_direction_exists(X, yo, sample_weight=w)
    # Dense and CSR give the same answer; so does a one-hot target.
    assert separating_direction_exists(sp.csr_matrix(X), np.eye(2)[y])
    # Without an intercept, a line through the origin must do it: [1..5] with a class change at 3 cannot.
    assert not separating_direction_exists(X, y, fit_intercept=False)


def _wine(cols):
    X, y = load_wine(return_X_y=True)
    return X[:, cols], y


@pytest.mark.parametrize("cols, quasi", [((0, 6, 9, 12), True), ((6, 9, 11, 12), True),
                                         ((0, 1, 2, 3), False), ((0, 9, 11, 12), False)])
def test_wine_columns_quasi_separated_or_not(cols, quasi):
    # On these four wine columns some classes are separable from others while the three
    # overlap: no sample is misclassified by the fit, and no warning of complete separation.
    X, y = _wine(list(cols))
    assert separating_direction_exists(X, np.eye(3)[y]) is quasi
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = SoftmaxClassifier(C=np.inf, max_iter=2000).fit(X, y)
    separation = [w for w in caught if issubclass(w.category, PerfectSeparationWarning)]
    assert len(separation) == int(quasi)
    if quasi:
        assert "quasi-completely" in str(separation[0].message)
        # No optimum: the weights stop where the arithmetic does, far out (about 200 and 2,500
        # here, against 4 to 8 on the columns where the optimum exists).
        assert np.abs(clf.coef_).max() > 50
        with pytest.raises(ValueError, match="quasi-completely separated"):
            summary(clf, X, y)
    else:
        # The optimum exists: scikit-learn's unpenalised fit finds the same one.
        ref = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
        tight = SoftmaxClassifier(C=np.inf, tol=1e-10, max_iter=5000).fit(X, y)
        np.testing.assert_allclose(tight.predict_proba(X), ref.predict_proba(X), atol=1e-5)
        assert np.all(np.isfinite(summary(tight, X, y).std_err))


def test_binary_quasi_separation_warns_and_summary_refuses():
    X, y = QUASI
    with pytest.warns(PerfectSeparationWarning, match="quasi-completely"):
        clf = LogisticClassifier(C=np.inf).fit(X, y)
    with pytest.raises(ValueError, match="quasi-completely separated"):
        summary(clf, X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticClassifier(C=1.0).fit(X, y)  # penalised: no test, no warning


def test_too_large_a_program_is_skipped():
    X, y = QUASI
    assert separating_direction_exists(X, y, max_entries=1) is None


def test_the_size_check_comes_before_any_copy_of_X():
    # A large X is refused from its shape alone: X is never indexed (a copy of its rows).
    class Shape:
        shape = (10**5, 100)

        def __getitem__(self, key):
            raise AssertionError("X was copied before the size check")

    assert separating_direction_exists(Shape(), np.zeros(10**5)) is None
