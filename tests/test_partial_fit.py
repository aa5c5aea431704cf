"""partial_fit: the incremental Newton method on chunks (sklogloss.solvers.streaming, estimators._streaming)."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.estimators.cv import LogisticClassifierCV, SoftmaxClassifierCV
from sklogloss.losses import BinomialLoss
from sklogloss.objective import LinearObjective
from sklogloss.solvers import NewtonCholeskySolver
from sklogloss.solvers.streaming import AugmentedObjective, QuadraticMemory, streaming_step

N_CHUNKS = 20


def make_data(n_classes, n=2000, p=6, seed=0):
    """Features of different scales, labels drawn from a linear model, positive sample weights."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.3, 3.0, size=p) + rng.normal(size=p)
    Z = X @ rng.normal(size=(p, n_classes)) * 0.5
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1)
    sw = rng.uniform(0.2, 2.0, size=n)
    return X, y, sw


def stream(estimator, X, y, classes, sample_weight=None, passes=3, n_chunks=N_CHUNKS):
    """``passes`` passes over the same ``n_chunks`` consecutive chunks."""
    for _ in range(passes):
        for rows in np.array_split(np.arange(X.shape[0]), n_chunks):
            sw = None if sample_weight is None else sample_weight[rows]
            estimator.partial_fit(X[rows], y[rows], classes=classes, sample_weight=sw)
    return estimator


def weighted_log_loss(estimator, X, y, sw):
    return log_loss(y, estimator.predict_proba(X), sample_weight=sw, labels=estimator.classes_)


# ------------------------------------------------------------------ accuracy
@pytest.mark.parametrize("Estimator, n_classes", [(LogisticClassifier, 2), (SoftmaxClassifier, 3),
                                                   (SoftmaxClassifier, 5), (LogisticClassifier, 3)])
@pytest.mark.parametrize("C", [0.01, 1.0])
def test_three_passes_match_full_batch(Estimator, n_classes, C):
    """3 passes over 20 chunks: the log loss of fit (within 1%, and in fact to many digits)."""
    X, y, sw = make_data(n_classes)
    full = Estimator(C=C).fit(X, y, sample_weight=sw)
    streamed = stream(Estimator(C=C), X, y, np.arange(n_classes), sw)
    ratio = weighted_log_loss(streamed, X, y, sw) / weighted_log_loss(full, X, y, sw)
    assert abs(ratio - 1) <= 0.01
    # The fixed point of the method is fit's minimiser: three passes reach it closely.
    assert abs(ratio - 1) <= 1e-6
    np.testing.assert_allclose(streamed.coef_, full.coef_, rtol=0, atol=1e-4 * np.abs(full.coef_).max())
    np.testing.assert_allclose(streamed.predict_proba(X), full.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_three_passes_match_sklearn(n_classes):
    """The same C as scikit-learn's LogisticRegression (binary: LogisticClassifier; else multinomial)."""
    X, y, sw = make_data(n_classes, seed=1)
    C = 0.1
    Estimator = LogisticClassifier if n_classes == 2 else SoftmaxClassifier
    streamed = stream(Estimator(C=C), X, y, np.arange(n_classes), sw)
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X, y, sample_weight=sw)
    ratio = weighted_log_loss(streamed, X, y, sw) / log_loss(y, ref.predict_proba(X), sample_weight=sw)
    assert abs(ratio - 1) <= 0.01
    np.testing.assert_allclose(streamed.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_first_pass_is_already_close():
    """A single pass gives every chunk's loss to second order: far within 1% on i.i.d. chunks."""
    X, y, sw = make_data(3, seed=2)
    full = SoftmaxClassifier(C=1.0).fit(X, y, sample_weight=sw)
    streamed = stream(SoftmaxClassifier(C=1.0), X, y, [0, 1, 2], sw, passes=1)
    ratio = weighted_log_loss(streamed, X, y, sw) / weighted_log_loss(full, X, y, sw)
    assert abs(ratio - 1) <= 0.01


ONE_CHUNK_CASES = {
    "binary": (LogisticClassifier(C=0.5), 2),
    "one-vs-rest": (LogisticClassifier(C=0.5), 3),
    "multinomial": (SoftmaxClassifier(C=0.5), 4),
    "softmax two classes": (SoftmaxClassifier(C=0.5), 2),
    "no penalty": (SoftmaxClassifier(C=np.inf), 3),
    "no intercept": (LogisticClassifier(C=0.5, fit_intercept=False), 2),
    "l1": (LogisticClassifier(C=0.05, l1_ratio=1.0), 2),
    "elastic net multinomial": (SoftmaxClassifier(C=0.05, l1_ratio=0.5), 3),
    "label smoothing": (SoftmaxClassifier(C=0.5, label_smoothing=0.1), 3),
    "class weight": (LogisticClassifier(C=0.5, class_weight={0: 3.0}), 2),
    "class weight multinomial": (SoftmaxClassifier(C=0.5, class_weight={1: 0.5, 2: 2.0}), 3),
}


@pytest.mark.parametrize("case", ONE_CHUNK_CASES)
def test_one_chunk_equals_fit(case):
    """One chunk of all the data: the memory is empty and the call is fit's problem, solved exactly."""
    estimator, n_classes = ONE_CHUNK_CASES[case]
    X, y, sw = make_data(n_classes, n=500, seed=3)
    full = clone(estimator).fit(X, y, sample_weight=sw)
    once = clone(estimator).partial_fit(X, y, classes=np.arange(n_classes), sample_weight=sw)
    np.testing.assert_allclose(once.coef_, full.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(once.intercept_, full.intercept_, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(once.classes_, full.classes_)


def test_a_chunk_seen_again_is_not_counted_twice():
    """The same chunk twice is fit on it, not fit on it with doubled weights (a smaller penalty)."""
    X, y, sw = make_data(2, n=300, seed=4)
    twice = LogisticClassifier(C=0.05).partial_fit(X, y, classes=[0, 1], sample_weight=sw)
    twice.partial_fit(X, y, sample_weight=sw)
    full = LogisticClassifier(C=0.05).fit(X, y, sample_weight=sw)
    doubled = LogisticClassifier(C=0.05).fit(X, y, sample_weight=2 * sw)
    np.testing.assert_allclose(twice.coef_, full.coef_, atol=1e-6)
    assert np.abs(twice.coef_ - doubled.coef_).max() > 1e-3
    assert len(twice._stream.memories[0].points) == 1


def test_c_scales_with_the_distinct_samples_seen():
    """Two distinct halves: C multiplies the losses of both, as fit on their union (not an average)."""
    X, y, sw = make_data(2, n=400, seed=5)
    halves = np.array_split(np.arange(400), 2)
    clf = LogisticClassifier(C=0.02)
    for _ in range(4):
        for rows in halves:
            clf.partial_fit(X[rows], y[rows], classes=[0, 1], sample_weight=sw[rows])
    np.testing.assert_allclose(clf.coef_, LogisticClassifier(C=0.02).fit(X, y, sample_weight=sw).coef_, atol=1e-6)


def test_c_may_change_between_calls():
    """The memory holds loss terms only: after set_params(C=...) the passes converge to the new C's fit."""
    X, y, _ = make_data(3, seed=6)
    clf = stream(SoftmaxClassifier(C=0.01), X, y, [0, 1, 2], passes=1)
    clf.set_params(C=1.0)
    stream(clf, X, y, [0, 1, 2], passes=3)
    np.testing.assert_allclose(clf.predict_proba(X), SoftmaxClassifier(C=1.0).fit(X, y).predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("Estimator, targets", [(LogisticClassifier, "soft"), (SoftmaxClassifier, "proba"),
                                                (LogisticClassifier, "multilabel")])
def test_target_kinds(Estimator, targets):
    """Soft targets, probability matrices and multilabel matrices stream as they fit."""
    X, y, _ = make_data(3, seed=7)
    rng = np.random.default_rng(7)
    P = np.exp(X @ rng.normal(size=(X.shape[1], 3)) * 0.3)
    P /= P.sum(axis=1, keepdims=True)
    Y = {"soft": P[:, 0], "proba": P, "multilabel": (rng.uniform(size=P.shape) < 2 * P).astype(int)}[targets]
    classes = [0, 1] if targets == "soft" else [0, 1, 2]
    streamed = stream(Estimator(C=1.0), X, Y, classes)
    full = Estimator(C=1.0).fit(X, Y)
    np.testing.assert_array_equal(streamed.classes_, full.classes_)
    np.testing.assert_allclose(streamed.predict_proba(X), full.predict_proba(X), atol=1e-5)


def test_sparse_chunks():
    X, y, sw = make_data(2, seed=8)
    X = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
    streamed = stream(LogisticClassifier(C=1.0), X, y, [0, 1], sw)
    full = LogisticClassifier(C=1.0).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(streamed.coef_, full.coef_, atol=1e-5)


@pytest.mark.parametrize("Estimator, n_classes", [(LogisticClassifier, 2), (SoftmaxClassifier, 3)])
def test_float32(Estimator, n_classes):
    """float32 chunks stay float32 in the products; the model is float64 X's to float32 precision."""
    X, y, sw = make_data(n_classes, seed=9)
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges: no ConvergenceWarning
        streamed = stream(Estimator(C=1.0), X32, y, np.arange(n_classes), sw)
    reference = stream(Estimator(C=1.0), X32.astype(np.float64), y, np.arange(n_classes), sw)
    assert streamed.coef_.dtype == np.float64
    np.testing.assert_allclose(streamed.coef_, reference.coef_, rtol=0, atol=1e-5)
    assert streamed.predict_proba(X32).shape == (X.shape[0], n_classes)


# --------------------------------------------------------------- semantics
def test_usable_after_every_call_with_a_class_missing_from_the_chunk():
    X, y, _ = make_data(3, seed=10)
    first = y != 2
    clf = SoftmaxClassifier().partial_fit(X[first][:100], y[first][:100], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.coef_.shape == (3, X.shape[1]) and clf.intercept_.shape == (3,)
    assert clf.n_features_in_ == X.shape[1]
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 3) and np.allclose(proba.sum(axis=1), 1)
    assert proba[:, 2].max() < 0.05  # class 2 not seen yet
    # A chunk of one class only: nothing in fit's way of refusing one class applies to a chunk.
    clf.partial_fit(X[y == 2][:50], y[y == 2][:50])
    assert clf.predict_proba(X)[:, 2].max() > 0.5


def test_fit_after_partial_fit_starts_over():
    X, y, sw = make_data(2, seed=11)
    clf = stream(LogisticClassifier(C=1.0), X[:500], y[:500], [0, 1], passes=1)
    clf.fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(clf.coef_, LogisticClassifier(C=1.0).fit(X, y, sample_weight=sw).coef_)
    assert getattr(clf, "_stream", None) is None
    # ... and a new stream after it does not remember the old one's chunks.
    clf.partial_fit(X[:500], y[:500])
    assert len(clf._stream.memories[0].points) == 1


def test_partial_fit_after_fit_continues_from_its_coefficients():
    """No classes needed; fit's coefficients start the Newton iterations (here: already the minimiser)."""
    X, y, sw = make_data(3, seed=12)
    clf = SoftmaxClassifier(C=1.0, tol=1e-6).fit(X, y, sample_weight=sw)
    coef = clf.coef_.copy()
    clf.partial_fit(X, y, sample_weight=sw)
    assert clf.n_iter_[0] == 0
    np.testing.assert_allclose(clf.coef_, coef, atol=1e-8)


def test_pickle_mid_stream():
    """A pickled stream goes on as the uninterrupted one."""
    X, y, sw = make_data(3, seed=13)
    chunks = np.array_split(np.arange(X.shape[0]), 10)
    straight, paused = SoftmaxClassifier(C=1.0), SoftmaxClassifier(C=1.0)
    for i, rows in enumerate(chunks * 2):
        straight.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=sw[rows])
        paused.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=sw[rows])
        if i == 13:
            paused = pickle.loads(pickle.dumps(paused))
            np.testing.assert_array_equal(paused.predict_proba(X), straight.predict_proba(X))
    np.testing.assert_allclose(paused.coef_, straight.coef_, rtol=0, atol=1e-12)


def test_no_partial_fit_on_the_cv_estimators():
    """They choose C: there is no single penalty to stream with."""
    assert not hasattr(LogisticClassifierCV(), "partial_fit")
    assert not hasattr(SoftmaxClassifierCV(), "partial_fit")
    assert hasattr(LogisticClassifier(), "partial_fit") and hasattr(SoftmaxClassifier(), "partial_fit")


# ------------------------------------------------------------------ errors
def test_classes_required_on_the_first_call():
    X, y, _ = make_data(2, n=50)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        LogisticClassifier().partial_fit(X, y)


def test_labels_outside_classes():
    X, y, _ = make_data(3, n=60)
    with pytest.raises(ValueError, match=r"labels not in classes: 2"):
        SoftmaxClassifier().partial_fit(X, y, classes=[0, 1])
    clf = LogisticClassifier().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels not in classes: 2"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_wrong_classes_for_a_target_matrix():
    X, _, _ = make_data(3, n=60)
    P = np.full((60, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"Pass classes=\[0, 1, 2\]"):
        SoftmaxClassifier().partial_fit(X, P, classes=["a", "b", "c"])


def test_changed_number_of_features():
    X, y, _ = make_data(2, n=60)
    clf = LogisticClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :-1], y)


@pytest.mark.parametrize("params, match", [
    ({"loss": "focal"}, "loss='log' only"),
    ({"adversarial_epsilon": 0.1}, "adversarial"),
    ({"class_weight": "balanced"}, "balanced"),
])
def test_unsupported_options(params, match):
    X, y, _ = make_data(2, n=60)
    for Estimator in (LogisticClassifier, SoftmaxClassifier):
        with pytest.raises(ValueError, match=match):
            Estimator(**params).partial_fit(X, y, classes=[0, 1])


def test_too_many_coefficients():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 2000)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="size = 2001 coefficients"):
        LogisticClassifier().partial_fit(X, y, classes=[0, 1])


def test_loss_parameters_fixed_along_a_stream():
    X, y, _ = make_data(2, n=60)
    clf = LogisticClassifier().partial_fit(X, y, classes=[0, 1])
    clf.set_params(label_smoothing=0.1)
    with pytest.raises(ValueError, match="label_smoothing changed during the stream"):
        clf.partial_fit(X, y)


# ----------------------------------------------------------- solver layer
def test_augmented_objective_derivatives():
    """Value, gradient, Hessian and Hessian-vector products of chunk + memory agree (finite differences)."""
    rng = np.random.default_rng(14)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + rng.normal(size=80) > 0).astype(float)
    first, second = (LinearObjective(X[i::2], y[i::2], BinomialLoss(), C=2.0) for i in range(2))
    memory = QuadraticMemory(4)
    memory.remember(first, rng.normal(size=4), key="first")
    obj = AugmentedObjective(second, memory, centre=rng.normal(size=4))
    coef, v = rng.normal(size=4), rng.normal(size=4)
    h = 1e-6
    fd = np.array([(obj.loss(coef + h * e) - obj.loss(coef - h * e)) / (2 * h) for e in np.eye(4)])
    grad, H = obj.gradient_hessian(coef)
    np.testing.assert_allclose(grad, fd, atol=1e-7)
    np.testing.assert_allclose(obj.loss_gradient(coef)[1], grad)
    fd_h = np.array([(obj.gradient(coef + h * e) - obj.gradient(coef - h * e)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(H, fd_h, atol=1e-6)
    np.testing.assert_allclose(obj.gradient_hessp(coef)[1](v), H @ v)
    np.testing.assert_allclose(obj.hessian_diagonal(coef), np.diag(H))
    # The penalty is the one of all the data: alpha = 1 / (C * S), S the weight of both chunks.
    assert obj.weight_sum == 80 and np.isclose(obj.l2_strength, 1 / (2.0 * 80))


def test_memory_forget_restores():
    """Forgetting a chunk removes exactly what remembering it added."""
    rng = np.random.default_rng(15)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(float)
    a, b = (LinearObjective(X[i::2], y[i::2], BinomialLoss(), C=1.0) for i in range(2))
    memory = QuadraticMemory(3)
    memory.remember(a, rng.normal(size=3), key="a")
    A, linear, constant = memory.A.copy(), memory.linear.copy(), memory.constant
    memory.remember(b, rng.normal(size=3), key="b")
    assert memory.forget(b, "b") is not None and memory.forget(b, "b") is None
    np.testing.assert_allclose(memory.A, A, atol=1e-12)
    np.testing.assert_allclose(memory.linear, linear, atol=1e-12)
    assert np.isclose(memory.constant, constant) and memory.weight_sum == 30
    with pytest.raises(ValueError, match="already in the memory"):
        memory.remember(a, np.zeros(3), key="a")


def test_failed_solve_keeps_the_memory():
    rng = np.random.default_rng(16)
    X = rng.normal(size=(40, 2))
    chunk = LinearObjective(X, (X[:, 0] > 0).astype(float), BinomialLoss(), C=1.0)
    memory = QuadraticMemory(3)
    streaming_step(memory, chunk, np.zeros(3), "c", NewtonCholeskySolver().solve)
    before = memory.A.copy()

    def broken(objective, coef0):
        raise FloatingPointError("solver failure")

    with pytest.raises(FloatingPointError):
        streaming_step(memory, chunk, np.zeros(3), "c", broken)
    assert list(memory.points) == ["c"]
    np.testing.assert_allclose(memory.A, before, atol=1e-12)
