import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _stencil import five_point
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_iris, make_blobs, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklogloss.estimators.softmax import SoftmaxClassifier
from sklogloss.exceptions import PerfectSeparationWarning
from sklogloss.losses import BinomialLoss, MultinomialLoss, log_softmax, softmax
from sklogloss.objective import LinearObjective
from sklogloss.solvers import SMALL_FULL_HESSIAN, NewtonCholeskySolver, newton, select_solver


def _data(n_samples=240, n_features=5, n_classes=3, seed=0):
    X, y = make_classification(n_samples=n_samples, n_features=n_features, n_informative=n_features,
                               n_redundant=0, n_classes=n_classes, n_clusters_per_class=1,
                               flip_y=0.15, class_sep=0.8, random_state=seed)
    return X, y


def _random_proba(rng, n, K, scale=1.5):
    return softmax(scale * rng.standard_normal((n, K)))


def _sklearn(X, y, **params):
    """scikit-learn's multinomial LogisticRegression at tight tolerance (Newton-Cholesky)."""
    params = {"tol": 1e-14, "max_iter": 1000, "solver": "newton-cholesky", **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(**params).fit(X, y)


# --------------------------------------------------------------------------- loss
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_loss_gradient_and_hessp_five_point(weighted):
    rng = np.random.default_rng(1)
    n, K = 6, 4
    raw = 3 * rng.standard_normal((n, K))
    Y = _random_proba(rng, n, K)
    if weighted:  # class-weighted targets: rows no longer sum to one
        Y = Y * np.array([0.5, 2.0, 1.0, 3.0])
    loss = MultinomialLoss()
    h = 1e-3
    fd_grad = five_point(lambda z: loss.loss(Y, z.reshape(n, K)).sum(), raw.ravel(), h)
    np.testing.assert_allclose(loss.gradient(Y, raw).ravel(), fd_grad, atol=1e-9)
    V = rng.standard_normal((n, K))
    fd_hv = five_point(lambda t: loss.gradient(Y, raw + t[0] * V), np.zeros(1), h)[..., 0]
    _, hessp = loss.gradient_hessian_product(Y, raw)
    np.testing.assert_allclose(hessp(V), fd_hv, atol=1e-9)
    _, blocks = loss.gradient_hessian(Y, raw)
    np.testing.assert_allclose(np.einsum("ikl,il->ik", blocks, V), fd_hv, atol=1e-9)


def test_multinomial_loss_is_shift_invariant_and_bounded_by_entropy():
    rng = np.random.default_rng(2)
    raw = 4 * rng.standard_normal((50, 3))
    Y = _random_proba(rng, 50, 3)
    loss = MultinomialLoss()
    assert loss.shift_invariant
    shift = rng.standard_normal((50, 1))
    np.testing.assert_allclose(loss.loss(Y, raw + shift), loss.loss(Y, raw), rtol=1e-12)
    # Gibbs' inequality: cross-entropy >= entropy, with equality at P = Y.
    assert np.all(loss.loss(Y, raw) >= loss.entropy(Y) - 1e-12)
    np.testing.assert_allclose(loss.loss(Y, np.log(Y)), loss.entropy(Y), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_stable(dtype):
    raw = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0], [-3.0, 2.0, 0.5]], dtype=dtype)
    out = log_softmax(raw)
    assert out.dtype == dtype and np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0], [0.0, -1e4, -2e4], rtol=1e-6)
    np.testing.assert_allclose(out[1], np.full(3, -np.log(3)), rtol=1e-6)
    np.testing.assert_allclose(np.exp(out[2]), np.exp(raw[2]) / np.exp(raw[2]).sum(), rtol=1e-6)


# ---------------------------------------------------------------------- objective
def test_objective_gradient_and_hessp_five_point():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 4))
    Y = _random_proba(rng, 30, 3)
    sw = rng.uniform(0.2, 2.0, 30)
    obj = LinearObjective(X, Y, MultinomialLoss(), sample_weight=sw, C=0.7)
    coef = 0.5 * rng.standard_normal(obj.size)
    h = 1e-3
    grad = obj.gradient(coef)
    np.testing.assert_allclose(grad, five_point(obj.loss, coef, h), atol=1e-10)
    v = rng.standard_normal(obj.size)
    fd_hv = five_point(lambda t: obj.gradient(coef + t[0] * v), np.zeros(1), h)[..., 0]
    g2, hessp = obj.gradient_hessp(coef)
    g3, H = obj.gradient_hessian(coef)
    np.testing.assert_allclose(hessp(v), fd_hv, atol=1e-10)
    np.testing.assert_allclose(H @ v, fd_hv, atol=1e-10)
    np.testing.assert_allclose(g2, grad, rtol=1e-12)
    np.testing.assert_allclose(g3, grad, rtol=1e-12)


@pytest.mark.parametrize("C, fit_intercept, m", [(1.0, True, 1), (np.inf, True, 5), (np.inf, False, 4),
                                                 (1.0, False, 0)])
def test_objective_null_space(C, fit_intercept, m):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 4))
    Y = _random_proba(rng, 40, 3)
    obj = LinearObjective(X, Y, MultinomialLoss(), C=C, fit_intercept=fit_intercept)
    N = obj.null_space()
    assert N.shape == (obj.size, m)
    np.testing.assert_allclose(N.T @ N, np.eye(m), atol=1e-15)
    coef = rng.standard_normal(obj.size)
    grad, H = obj.gradient_hessian(coef)
    np.testing.assert_allclose(H @ N, 0, atol=1e-12)
    np.testing.assert_allclose(N.T @ grad, 0, atol=1e-12)
    for j in range(m):  # the smooth objective is flat along the basis
        assert obj.loss(coef + 3.0 * N[:, j]) == pytest.approx(obj.loss(coef), rel=1e-12)
    binary = LinearObjective(X, (Y[:, 0] > 0.5).astype(float), BinomialLoss(), C=C)
    assert binary.null_space().shape == (binary.size, 0)


@pytest.mark.parametrize("C", [1.0, np.inf])
def test_newton_cholesky_removes_gauge_without_eigen_fallback(C, monkeypatch):
    X, y = _data()
    obj = LinearObjective(X, np.eye(3)[y], MultinomialLoss(), C=C)

    def fail(H, g):
        raise AssertionError("the eigendecomposition fallback was used")

    monkeypatch.setattr(newton, "_pseudo_newton_step", fail)
    coef0 = obj.zero_coef()
    coef0.reshape(3, -1)[:, -1] = [0.3, -0.1, 0.5]  # gauge component 0.7 / sqrt(3)
    res = NewtonCholeskySolver(tol=1e-10).solve(obj, coef0)
    assert res.converged and res.n_iter <= 15
    N = obj.null_space()
    # Every Newton step is orthogonal to the flat directions.
    np.testing.assert_allclose(N.T @ res.coef, N.T @ coef0, atol=1e-12)


# ------------------------------------------------------------- against scikit-learn
@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg", "lbfgs"])
@pytest.mark.parametrize("C", [0.05, 1.0, 100.0, np.inf])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_matches_sklearn_multinomial(solver, C, fit_intercept):
    X, y = _data(n_classes=4)
    ref = _sklearn(X, y, C=C, fit_intercept=fit_intercept)
    # L-BFGS compares objective values and stops near max|gradient| ~ 1e-9: tol=1e-8 is its limit.
    tol = 1e-8 if solver == "lbfgs" else 1e-10
    clf = SoftmaxClassifier(C=C, fit_intercept=fit_intercept, solver=solver, tol=tol).fit(X, y)
    assert clf.solver_ == solver and clf.n_iter_.shape == (1,)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6, rtol=0)
    W_ref = ref.coef_ - ref.coef_.mean(axis=0)
    b_ref = ref.intercept_ - ref.intercept_.mean() if fit_intercept else np.zeros(4)
    np.testing.assert_allclose(clf.coef_, W_ref, atol=1e-6, rtol=0)
    np.testing.assert_allclose(clf.intercept_, b_ref, atol=1e-6, rtol=0)
    assert abs(clf.intercept_.sum()) < 1e-12
    # The L2 optimum is centred by itself; the unpenalised fit is centred by construction.
    np.testing.assert_allclose(clf.coef_.sum(axis=0), 0, atol=1e-6)


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 3.0, 2: 0.5}])
def test_matches_sklearn_with_sample_and_class_weights(class_weight):
    X, y = _data(n_classes=3, seed=5)
    sw = np.random.default_rng(5).uniform(0.1, 3.0, X.shape[0])
    ref = _sklearn(X, y, C=0.5, class_weight=class_weight)
    ref.fit(X, y, sample_weight=sw)
    clf = SoftmaxClassifier(C=0.5, class_weight=class_weight, tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6, rtol=0)
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-6, rtol=0)


def test_string_labels_match_sklearn():
    X, y = _data(n_classes=3, seed=6)
    labels = np.array(["cat", "dog", "emu"])[y]
    ref = _sklearn(X, labels, C=2.0)
    clf = SoftmaxClassifier(C=2.0, tol=1e-10).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ref.classes_)
    np.testing.assert_array_equal(clf.predict(X), ref.predict(X))
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6, rtol=0)


@pytest.mark.parametrize("solver", ["newton-cholesky", "lbfgs"])
def test_two_classes_equal_binary_logistic_with_twice_c(solver):
    X, y = _data(n_classes=2, seed=7)
    ref = _sklearn(X, y, C=0.6)
    clf = SoftmaxClassifier(C=0.3, solver=solver, tol=1e-10).fit(X, y)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)
    np.testing.assert_allclose(clf.coef_[0], ref.coef_[0], atol=1e-6)
    assert clf.decision_function(X).shape == (X.shape[0],)
    np.testing.assert_allclose(clf.decision_function(X), ref.decision_function(X), atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6, rtol=0)


@pytest.mark.parametrize("solver", ["prox-newton", "fista"])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_elastic_net_matches_sklearn_saga(solver, l1_ratio):
    X, y = _data(n_classes=3, seed=8)
    X = StandardScaler().fit_transform(X)
    ref = LogisticRegression(C=0.1, l1_ratio=l1_ratio, solver="saga", tol=1e-12,
                             max_iter=100000).fit(X, y)
    clf = SoftmaxClassifier(C=0.1, l1_ratio=l1_ratio, solver=solver, tol=1e-9).fit(X, y)
    assert clf.solver_ == solver
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6, rtol=0)
    # With three classes the L1 optimum is unique (a median of three numbers).
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-5, rtol=0)
    assert np.count_nonzero(clf.coef_ == 0) > 0


def test_auto_solver_choice():
    X, y = _data()
    # Several outputs: Newton-CG with a sampled-Hessian preconditioner, not K^2 Gram matrices ...
    assert select_solver("auto", 0.0, 3 * (X.shape[1] + 1), n_outputs=3, n_samples=10**6) == "newton-cg"
    # ... unless the full Hessian costs less than a few milliseconds (small data).
    assert X.shape[0] * (3 * (X.shape[1] + 1)) ** 2 <= SMALL_FULL_HESSIAN
    assert SoftmaxClassifier().fit(X, y).solver_ == "newton-cholesky"
    assert SoftmaxClassifier(l1_ratio=0.5).fit(X, y).solver_ == "prox-newton"
    wide = np.random.default_rng(0).standard_normal((60, 600))
    assert SoftmaxClassifier().fit(wide, np.arange(60) % 3).solver_ == "newton-cg"


# ------------------------------------------------------------------ probability targets
def test_exact_soft_targets_recover_the_model():
    rng = np.random.default_rng(9)
    n, p, K = 2000, 3, 4
    X = rng.standard_normal((n, p))
    W = rng.standard_normal((K, p))
    b = rng.standard_normal(K)
    P = softmax(X @ W.T + b)
    clf = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, P)
    np.testing.assert_array_equal(clf.classes_, np.arange(K))
    np.testing.assert_allclose(clf.coef_, W - W.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(clf.intercept_, b - b.mean(), atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X), P, atol=1e-7)
    # Targets the model can represent: the cross-entropy at the optimum is their entropy.
    loss = MultinomialLoss()
    fitted = loss.loss(P, clf.decision_function(X)).mean()
    assert fitted == pytest.approx(loss.entropy(P).mean(), abs=1e-10)


def test_sampled_soft_targets_recover_the_model_with_large_n():
    rng = np.random.default_rng(10)
    n, p, draws = 20000, 3, 20
    X = rng.standard_normal((n, p))
    W = np.array([[1.0, -0.5, 0.0], [0.0, 1.0, -1.0], [-1.0, -0.5, 1.0]])
    b = np.array([0.3, 0.0, -0.3])
    P = softmax(X @ W.T + b)
    counts = np.stack([rng.multinomial(draws, row) for row in P])
    clf = SoftmaxClassifier(C=np.inf).fit(X, counts / draws)
    # Standard errors are about 1 / sqrt(n * draws * p(1 - p)) ~ 0.003.
    np.testing.assert_allclose(clf.coef_, W - W.mean(axis=0), atol=0.03)
    np.testing.assert_allclose(clf.intercept_, b - b.mean(), atol=0.03)


@pytest.mark.parametrize("C", [0.3, np.inf])
def test_soft_target_optimum_satisfies_kkt_and_entropy_bound(C):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((150, 3))
    Y = _random_proba(rng, 150, 4)
    sw = rng.uniform(0.5, 2.0, 150)
    clf = SoftmaxClassifier(C=C, tol=1e-10).fit(X, Y, sample_weight=sw)
    P = clf.predict_proba(X)
    R = sw[:, None] * (P - Y)
    # Stationarity: C X^T S (P - Y) + W = 0 (W = 0 term absent when C = inf); intercepts free.
    if np.isinf(C):
        np.testing.assert_allclose(X.T @ R, 0, atol=1e-8)
    else:
        np.testing.assert_allclose(C * (X.T @ R).T + clf.coef_, 0, atol=1e-8)
    np.testing.assert_allclose(R.sum(axis=0), 0, atol=1e-8)
    # Random targets are not softmax-linear: the cross-entropy stays strictly above their entropy.
    loss = MultinomialLoss()
    assert sw @ loss.loss(Y, clf.decision_function(X)) > sw @ loss.entropy(Y) + 1e-3


def test_one_hot_matrix_equals_labels():
    X, y = _data(seed=12)
    sw = np.random.default_rng(12).uniform(0.5, 2.0, X.shape[0])
    for cw in (None, "balanced", {1: 2.0}):
        a = SoftmaxClassifier(class_weight=cw, tol=1e-10).fit(X, y, sample_weight=sw)
        b = SoftmaxClassifier(class_weight=cw, tol=1e-10).fit(X, np.eye(3)[y], sample_weight=sw)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-10)
        np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-10)


def test_label_smoothing_equals_smoothed_probability_targets():
    X, y = _data(seed=13)
    eps = 0.2
    a = SoftmaxClassifier(label_smoothing=eps, tol=1e-10).fit(X, y)
    b = SoftmaxClassifier(tol=1e-10).fit(X, (1 - eps) * np.eye(3)[y] + eps / 3)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-10)
    # Smoothing bounds the probabilities away from 0: no score is unbounded even with C = inf.
    Xs, ys = make_blobs(n_samples=60, centers=[[-10, 0], [10, 0], [0, 10]], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier(C=np.inf, label_smoothing=0.1, tol=1e-10).fit(Xs, ys)
    assert clf.predict_proba(Xs).min() > 0.1 / 3 / 10


def test_class_weight_for_probability_targets_weights_each_term():
    rng = np.random.default_rng(14)
    X = rng.standard_normal((120, 3))
    Y = _random_proba(rng, 120, 3)
    w = np.array([2.0, 1.0, 0.25])
    clf = SoftmaxClassifier(C=0.8, class_weight={0: 2.0, 2: 0.25}, tol=1e-10).fit(X, Y)
    # Stationarity of C * sum_i -sum_k w_k y_ik log p_ik + ||W||^2 / 2.
    A = Y * w
    P = clf.predict_proba(X)
    R = P * A.sum(axis=1, keepdims=True) - A
    np.testing.assert_allclose(0.8 * (X.T @ R).T + clf.coef_, 0, atol=1e-8)
    np.testing.assert_allclose(R.sum(axis=0), 0, atol=1e-8)
    # "balanced" uses the soft class masses.
    mass = Y.sum(axis=0)
    balanced = SoftmaxClassifier(C=0.8, class_weight="balanced", tol=1e-10).fit(X, Y)
    manual = SoftmaxClassifier(C=0.8, class_weight=dict(enumerate(120 / (3 * mass))), tol=1e-10).fit(X, Y)
    np.testing.assert_allclose(balanced.coef_, manual.coef_, atol=1e-10)


# ----------------------------------------------------------------------- validation
@pytest.mark.parametrize("y, match", [
    (np.array([[0.5, 0.4], [0.5, 0.5]] * 5), "sum to 1"),
    (np.array([[1.5, -0.5], [0.5, 0.5]] * 5), r"in \[0, 1\]"),
    (np.array([["a", "b"], ["b", "a"]] * 5), "probabilities"),
    (np.linspace(0.1, 0.9, 10), "Unknown label type"),
    (np.zeros(10, dtype=int), "class"),
    (np.array([[1.0, 0.0], [1.0, 0.0]] * 5), "class"),
])
def test_bad_targets_raise_clear_errors(y, match):
    X = np.random.default_rng(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match=match):
        SoftmaxClassifier().fit(X, y)


def test_bad_arguments_raise_clear_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="Only one class has samples of positive weight"):
        SoftmaxClassifier().fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match="keys"):
        SoftmaxClassifier(class_weight={5: 1.0}).fit(X, np.eye(3)[y])
    with pytest.raises(ValueError, match="L1"):
        SoftmaxClassifier(l1_ratio=0.5, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="C"):
        SoftmaxClassifier(C=0.0).fit(X, y)
    with pytest.raises(ValueError, match="label_smoothing"):
        SoftmaxClassifier(label_smoothing=1.0).fit(X, y)
    with pytest.raises(ValueError, match="(?i)sample weights"):
        SoftmaxClassifier().fit(X, y, sample_weight=np.zeros(X.shape[0]))
    with pytest.raises(ValueError, match="features"):
        SoftmaxClassifier().fit(X, y).predict(X[:, :2])


# ----------------------------------------------------------------- fitted behaviour
def test_predict_methods_are_consistent_and_stable():
    X, y = _data(seed=15)
    clf = SoftmaxClassifier(C=10.0).fit(X, y)
    scores = clf.decision_function(X)
    np.testing.assert_allclose(scores, X @ clf.coef_.T + clf.intercept_, rtol=1e-12)
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(P), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(axis=1)])
    far = 1e4 * X[:3]
    logp = clf.predict_log_proba(far)
    assert np.all(np.isfinite(logp)) and logp.min() < -100
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)
    assert clf.score(X, np.eye(3)[y]) == clf.score(X, y)


def test_separable_data_without_penalty_warns():
    X, y = make_blobs(n_samples=60, centers=[[-10, 0], [10, 0], [0, 10]], random_state=0)
    for solver in ("newton-cholesky", "newton-cg"):
        with pytest.warns(PerfectSeparationWarning):
            clf = SoftmaxClassifier(C=np.inf, solver=solver).fit(X, y)
        assert clf.score(X, y) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftmaxClassifier(C=1.0).fit(X, y)


def test_warm_start():
    X, y = _data(seed=16)
    clf = SoftmaxClassifier(C=1.0, tol=1e-10, warm_start=True).fit(X, y)
    first = clf.coef_.copy()
    clf.fit(X, y)
    assert clf.n_iter_[0] == 0
    np.testing.assert_array_equal(clf.coef_, first)
    clf.set_params(C=3.0).fit(X, y)
    cold = SoftmaxClassifier(C=3.0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(clf.coef_, cold.coef_, atol=1e-8)


def test_integer_sample_weight_equals_repetition():
    X, y = _data(seed=17)
    sw = np.random.default_rng(17).integers(0, 4, X.shape[0])
    a = SoftmaxClassifier(C=0.5, tol=1e-10).fit(X, y, sample_weight=sw)
    b = SoftmaxClassifier(C=0.5, tol=1e-10).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-10)
    np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-10)


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg", "fista"])
def test_csr_equals_dense(solver):
    X, y = _data(seed=18)
    X[np.abs(X) < 0.8] = 0.0
    l1 = 0.5 if solver == "fista" else 0.0
    dense = SoftmaxClassifier(solver=solver, l1_ratio=l1, tol=1e-11).fit(X, y)
    sparse = SoftmaxClassifier(solver=solver, l1_ratio=l1, tol=1e-11).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg"])
def test_float32_input(solver):
    X, y = _data(seed=19)
    c64 = SoftmaxClassifier(tol=1e-10).fit(X, y)
    with warnings.catch_warnings():
        # The default tol is reachable although float32 scores resolve the loss to ~1e-8.
        warnings.simplefilter("error")
        c32 = SoftmaxClassifier(solver=solver).fit(X.astype(np.float32), y)
    # Differences at the level float32 scores allow.
    np.testing.assert_allclose(c32.coef_, c64.coef_, atol=1e-4)
    np.testing.assert_allclose(c32.predict_proba(X.astype(np.float32)), c64.predict_proba(X), atol=1e-5)


def test_pickle_and_joblib_round_trip(tmp_path):
    import joblib

    X, y = _data(seed=20)
    clf = SoftmaxClassifier(C=0.7).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    joblib.dump(clf, tmp_path / "softmax.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "softmax.joblib").predict_proba(X),
                                  clf.predict_proba(X))


def test_pandas_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _data(seed=21)
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    clf = SoftmaxClassifier().fit(df, pd.Series(np.array(["a", "b", "c"])[y]))
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    np.testing.assert_allclose(clf.predict_proba(df), SoftmaxClassifier().fit(X, y).predict_proba(X),
                               atol=1e-12)


def test_pipeline_gridsearch_and_calibration():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier())
    search = GridSearchCV(pipe, {"softmaxclassifier__C": [0.01, 1.0]}, cv=3).fit(X, y)
    manual = [cross_val_score(clone(pipe).set_params(softmaxclassifier__C=C), X, y, cv=3).mean()
              for C in (0.01, 1.0)]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], manual)
    assert search.best_params_["softmaxclassifier__C"] == 1.0
    assert search.score(X, y) > 0.9
    cal = CalibratedClassifierCV(SoftmaxClassifier(), cv=3).fit(X, y)
    P = cal.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-12)
    assert np.mean(cal.predict(X) == y) > 0.9
    assert clone(pipe).get_params()["softmaxclassifier__C"] == 1.0

