"""The target encoders' fast paths against numpy's and scikit-learn's answers."""

import numpy as np
import pytest
from sklearn.utils.multiclass import type_of_target as sklearn_type_of_target

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.estimators._targets import _label_indices
from sklogloss.utils.validation import type_of_target


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.float64, np.float32])
@pytest.mark.parametrize("values", [[0, 1], [2, 5], [0, 1, 2, 3, 4], [1, 3, 30, 299], [-3, 0, 4], [7]])
def test_type_of_target_is_sklearns(values, dtype):
    if np.dtype(dtype).kind == "u" and min(values) < 0:
        pytest.skip("negative labels in an unsigned dtype")
    rng = np.random.default_rng(len(values))
    y = rng.choice(np.array(values), size=200).astype(dtype)
    assert type_of_target(y) == sklearn_type_of_target(y)
    # the extreme values alone are binary: a middle value present once makes it multiclass
    if len(values) >= 3:
        two = np.where(y == y.min(), y.min(), y.max()).astype(dtype)
        assert type_of_target(two) == sklearn_type_of_target(two) == "binary"
        two[17] = np.sort(np.unique(y))[1]
        assert type_of_target(two) == sklearn_type_of_target(two) == "multiclass"


@pytest.mark.parametrize("y", [
    np.array([3, 0, 3, 7]),
    np.array([1, 1, 0], dtype=np.uint8),
    np.array([5, 2, 2, 9, 5, 5]),
    np.array([-1, 1, 1, -1]),  # negative labels: numpy's unique
    np.array([0, 10_000]),  # a range beyond 2 n: numpy's unique
    np.array([0.0, 2.0, 2.0, 1.0]),  # float labels: numpy's unique
    np.array(["b", "a", "b"]),
])
def test_label_indices_are_numpys_unique(y):
    classes, index = _label_indices(y)
    ref_classes, ref_index = np.unique(y, return_inverse=True)
    np.testing.assert_array_equal(classes, ref_classes)
    assert classes.dtype == ref_classes.dtype
    np.testing.assert_array_equal(index, ref_index.reshape(-1))
    np.testing.assert_array_equal(classes[index], y)


def test_label_indices_random_integer_labels():
    rng = np.random.default_rng(0)
    for n, high in [(50, 3), (1000, 40), (300, 600), (10, 20)]:
        y = rng.integers(0, high, size=n)
        classes, index = _label_indices(y)
        ref_classes, ref_index = np.unique(y, return_inverse=True)
        np.testing.assert_array_equal(classes, ref_classes)
        np.testing.assert_array_equal(index, ref_index.reshape(-1))


def test_integer_labels_fit_as_their_strings():
    """Counted integer labels and sorted string labels give the same model and classes order."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3))
    y = rng.choice([2, 5, 9], size=120)
    ints = SoftmaxClassifier().fit(X, y)
    strs = SoftmaxClassifier().fit(X, np.array([f"c{v}" for v in y]))
    np.testing.assert_array_equal(ints.classes_, [2, 5, 9])
    np.testing.assert_allclose(ints.coef_, strs.coef_, rtol=0, atol=1e-12)
    binary = LogisticClassifier().fit(X, np.where(y == 9, 9, 2))
    np.testing.assert_array_equal(binary.classes_, [2, 9])
    np.testing.assert_array_equal(binary.predict(X[:5]), np.where(binary.decision_function(X[:5]) > 0, 9, 2))
