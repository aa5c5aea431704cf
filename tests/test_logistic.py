import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import (
    load_breast_cancer,
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklogloss import LogisticClassifier
from sklogloss.exceptions import PerfectSeparationWarning
from sklogloss.losses import BinomialLoss


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_same_C_same_coef_as_sklearn(cancer, C):
    X, y = cancer
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    clf = LogisticClassifier(C=C, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(clf.intercept_, ref.intercept_, atol=1e-6)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(clf.predict(X), ref.predict(X))


def _user_objective(X, y, coef, intercept, C):
    z = X @ coef.ravel() + intercept[0]
    return C * BinomialLoss().loss(y.astype(float), z).sum() + 0.5 * coef.ravel() @ coef.ravel()


# gd is left out at C=100: at that conditioning it needs about a million steps.
@pytest.mark.parametrize(
    "C, solver",
    [(C, s) for C in (0.01, 1.0, 100.0) for s in ("newton-cg", "lbfgs", "gd", "fista", "prox-newton")
     if not (s == "gd" and C == 100.0)])
def test_every_solver_reaches_sklearns_objective(cancer, C, solver):
    X, y = cancer
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    clf = LogisticClassifier(C=C, solver=solver, tol=1e-9, max_iter=200000).fit(X, y)
    f_ref = _user_objective(X, y, ref.coef_, ref.intercept_, C)
    f = _user_objective(X, y, clf.coef_, clf.intercept_, C)
    assert f == pytest.approx(f_ref, rel=1e-9)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_sample_and_class_weights_match_sklearn(cancer):
    X, y = cancer
    sw = np.random.default_rng(0).uniform(0.1, 3, size=len(y))
    for cw in ({0: 2.0, 1: 0.5}, "balanced"):
        ref = LogisticRegression(C=0.3, class_weight=cw, tol=1e-12, max_iter=1000,
                                 solver="newton-cholesky").fit(X, y, sample_weight=sw)
        clf = LogisticClassifier(C=0.3, class_weight=cw, tol=1e-10).fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-6)
        np.testing.assert_allclose(clf.intercept_, ref.intercept_, atol=1e-6)


def test_l1_matches_sklearn_saga(cancer):
    X, y = cancer
    ref = LogisticRegression(C=0.1, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100000).fit(X, y)
    clf = LogisticClassifier(C=0.1, l1_ratio=1.0, tol=1e-9).fit(X, y)
    assert clf.solver_ == "prox-newton"
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-5)
    assert np.array_equal(clf.coef_ == 0, np.abs(ref.coef_) < 1e-8)


def test_string_labels_and_classes(cancer):
    X, y = cancer
    labels = np.array(["benign", "malignant"])[1 - y]
    clf = LogisticClassifier().fit(X, labels)
    assert list(clf.classes_) == ["benign", "malignant"]
    ref = LogisticClassifier().fit(X, 1 - y)
    np.testing.assert_allclose(clf.coef_, ref.coef_)
    assert set(clf.predict(X)) <= set(labels)


def test_one_vs_rest_matches_sklearn_ovr():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = OneVsRestClassifier(LogisticRegression(C=2.0, tol=1e-12, max_iter=1000,
                                                 solver="newton-cholesky")).fit(X, y)
    for n_jobs in (None, 2):
        clf = LogisticClassifier(C=2.0, tol=1e-10, n_jobs=n_jobs).fit(X, y)
        np.testing.assert_allclose(clf.coef_, np.vstack([e.coef_ for e in ref.estimators_]), atol=1e-6)
        np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-7)
        assert clf.n_iter_.shape == (3,)
        assert clf.decision_function(X).shape == (len(y), 3)


def test_multilabel_is_one_sigmoid_per_column():
    X, Y = make_multilabel_classification(n_samples=200, n_features=6, n_classes=4, random_state=0)
    clf = LogisticClassifier(C=0.5, tol=1e-10).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    for j in range(4):
        col = LogisticClassifier(C=0.5, tol=1e-10).fit(X, Y[:, j])
        np.testing.assert_allclose(clf.coef_[j], col.coef_[0], atol=1e-9)
        np.testing.assert_allclose(clf.predict_proba(X)[:, j], col.predict_proba(X)[:, 1], atol=1e-9)


def test_soft_targets_fit_expected_loss():
    """Soft target t equals hard labels 1 and 0 with weights t and 1 - t."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    t = 1 / (1 + np.exp(-(X @ [1.0, -1.0, 0.5, 0.0])))
    t = np.round(t, 2)
    soft = LogisticClassifier(C=0.7, tol=1e-10).fit(X, t)
    np.testing.assert_array_equal(soft.classes_, [0, 1])
    Xd = np.vstack([X, X])
    yd = np.r_[np.ones(150), np.zeros(150)]
    hard = LogisticClassifier(C=0.7, tol=1e-10).fit(Xd, yd, sample_weight=np.r_[t, 1 - t])
    np.testing.assert_allclose(soft.coef_, hard.coef_, atol=1e-7)
    np.testing.assert_allclose(soft.intercept_, hard.intercept_, atol=1e-7)


def test_soft_targets_recover_true_model_and_entropy_bound():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 3))
    w, b = np.array([1.5, -0.7, 0.3]), -0.4
    t = 1 / (1 + np.exp(-(X @ w + b)))
    clf = LogisticClassifier(C=np.inf, tol=1e-10).fit(X, t)
    np.testing.assert_allclose(clf.coef_[0], w, atol=1e-6)
    np.testing.assert_allclose(clf.intercept_[0], b, atol=1e-6)
    # Noisy soft targets: the optimum's loss is at least the targets' entropy (the
    # infimum over all predictions) and no perturbation of the fit lowers it.
    t2 = np.clip(t + rng.normal(scale=0.1, size=t.size), 0.01, 0.99)
    clf2 = LogisticClassifier(C=np.inf, tol=1e-10).fit(X, t2)
    loss = BinomialLoss()
    z = clf2.decision_function(X)
    mean_loss = loss.loss(t2, z).mean()
    assert loss.entropy(t2).mean() <= mean_loss < loss.entropy(t2).mean() + 0.1
    Xb = np.column_stack([X, np.ones(len(X))])
    for direction in np.eye(4):
        for h in (1e-3, -1e-3):
            assert loss.loss(t2, z + h * (Xb @ direction)).mean() > mean_loss


def test_label_smoothing_is_target_transform(cancer):
    X, y = cancer
    eps = 0.2
    a = LogisticClassifier(label_smoothing=eps, tol=1e-10).fit(X, y)
    b = LogisticClassifier(tol=1e-10).fit(X, (1 - eps) * y + eps / 2)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-9)
    # Separable data without penalty: the smoothed targets have a finite optimum,
    # whose intercept equation says mean(p) = mean(smoothed target).
    rng = np.random.default_rng(5)
    Xs = rng.normal(size=(200, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = LogisticClassifier(C=np.inf, label_smoothing=eps, tol=1e-10).fit(Xs, ys)
    assert np.mean(c.predict_proba(Xs)[:, 1]) == pytest.approx(np.mean((1 - eps) * ys + eps / 2), abs=1e-9)
    assert np.abs(c.coef_).max() < 50


@pytest.mark.parametrize("soft", [False, True])
def test_class_weight_with_label_smoothing_weights_each_term(soft):
    """Smoothing first, then w1, w0 on the two terms: as SoftmaxClassifier with two classes."""
    rng = np.random.default_rng(12)
    X = rng.normal(size=(200, 3))
    z = X @ [1.0, -0.5, 0.3]
    y = 1 / (1 + np.exp(-z)) if soft else (z + rng.logistic(size=200) > 0).astype(int)
    cw, eps = {0: 1.0, 1: 4.0}, 0.2
    clf = LogisticClassifier(C=0.8, class_weight=cw, label_smoothing=eps, tol=1e-10).fit(X, y)
    # Reference 1: the weighted cross-entropy of the smoothed target, written out.
    t = (1 - eps) * y + eps / 2
    from scipy.optimize import minimize

    def objective(theta):
        zz = X @ theta[:3] + theta[3]
        return 0.8 * np.sum(cw[1] * t * np.logaddexp(0, -zz) + cw[0] * (1 - t) * np.logaddexp(0, zz)) \
            + 0.5 * theta[:3] @ theta[:3]

    ref = minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(clf.coef_[0], ref[:3], atol=1e-5)
    np.testing.assert_allclose(clf.intercept_[0], ref[3], atol=1e-5)
    # Reference 2: two-class softmax at C / 2 (same convention for K classes).
    from sklogloss import SoftmaxClassifier

    Y = np.column_stack([1 - y, y]).astype(float)
    sm = SoftmaxClassifier(C=0.4, class_weight=cw, label_smoothing=eps, tol=1e-10).fit(X, Y)
    np.testing.assert_allclose(sm.coef_[0], clf.coef_[0], atol=1e-6)


def test_a_class_without_weight_is_an_error_or_ignored():
    X, y = make_classification(n_samples=90, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=3)
    with pytest.raises(ValueError, match="Only one class has samples of positive weight"):
        LogisticClassifier().fit(X[y < 2], y[y < 2], sample_weight=(y[y < 2] == 1) * 1.0)
    # Three classes, one of them weightless: "balanced" gives it weight 0, the
    # other two problems are fitted as if its rows had been dropped.
    sw = (y != 2) * 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = LogisticClassifier(class_weight="balanced", tol=1e-10).fit(X, y, sample_weight=sw)
    keep = y != 2
    bw = keep.sum() / (3 * np.bincount(y[keep]))  # scikit-learn's balanced weights, three classes
    ref = LogisticClassifier(tol=1e-10).fit(X[keep], (y[keep] == 0).astype(int), sample_weight=bw[y[keep]])
    np.testing.assert_allclose(clf.coef_[0], ref.coef_[0], atol=1e-7)
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_one_vs_rest_probabilities_are_finite_for_extreme_scores():
    X, y = load_iris(return_X_y=True)
    clf = LogisticClassifier(C=10.0).fit(X, y)
    far = 1e3 * np.array([[-5.0, 3.0, -9.0, 2.0], [4.0, -1.0, 7.0, -3.0]])
    P, logP = clf.predict_proba(far), clf.predict_log_proba(far)
    assert np.all(np.isfinite(P)) and np.all(np.isfinite(logP))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(logP), P)
    # Ordinary scores: the normalised sigmoids, as written.
    S = 1 / (1 + np.exp(-clf.decision_function(X)))
    np.testing.assert_allclose(clf.predict_proba(X), S / S.sum(axis=1, keepdims=True), rtol=1e-12)


def test_multilabel_probability_targets_fit_and_score():
    X, Y = make_multilabel_classification(n_samples=120, n_features=5, n_classes=3, random_state=0)
    rng = np.random.default_rng(0)
    P = np.clip(Y * 0.9 + rng.uniform(0, 0.1, Y.shape), 0, 1)
    clf = LogisticClassifier(tol=1e-10).fit(X, P)
    for j in range(3):
        ref = LogisticClassifier(tol=1e-10).fit(X, P[:, j])
        np.testing.assert_allclose(clf.coef_[j], ref.coef_[0], atol=1e-8)
    assert clf.score(X, P) == pytest.approx(np.mean(np.all(clf.predict(X) == (P > 0.5), axis=1)))


def test_soft_class_weight_matches_expanded_hard_labels():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 3))
    t = rng.uniform(size=100)
    cw = {0: 1.0, 1: 3.0}
    soft = LogisticClassifier(class_weight=cw, tol=1e-10).fit(X, t)
    hard = LogisticClassifier(class_weight=cw, tol=1e-10).fit(
        np.vstack([X, X]), np.r_[np.ones(100), np.zeros(100)], sample_weight=np.r_[t, 1 - t])
    np.testing.assert_allclose(soft.coef_, hard.coef_, atol=1e-8)


def test_integer_weights_equal_repetition_and_csr_equals_dense(cancer):
    X, y = cancer
    reps = np.random.default_rng(3).integers(0, 3, size=len(y))
    a = LogisticClassifier(tol=1e-10).fit(X, y, sample_weight=reps)
    b = LogisticClassifier(tol=1e-10).fit(np.repeat(X, reps, axis=0), np.repeat(y, reps))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    Xs = X.copy()
    Xs[np.abs(Xs) < 0.5] = 0
    d = LogisticClassifier(tol=1e-10).fit(Xs, y)
    s = LogisticClassifier(tol=1e-10).fit(sp.csr_matrix(Xs), y)
    np.testing.assert_allclose(d.coef_, s.coef_, atol=1e-9)
    np.testing.assert_allclose(d.predict_proba(Xs), s.predict_proba(sp.csr_matrix(Xs)), atol=1e-12)


def test_float32_kept_and_close(cancer, monkeypatch):
    import sklogloss.estimators.logistic as module

    X, y = cancer
    seen = []
    original = module.ArrayDesign

    def recording_design(Xv, *args, **kwargs):
        seen.append(Xv.dtype)
        return original(Xv, *args, **kwargs)

    monkeypatch.setattr(module, "ArrayDesign", recording_design)
    a = LogisticClassifier().fit(X.astype(np.float32), y)
    assert seen == [np.float32]  # the solver works on the float32 data, not a float64 copy
    b = LogisticClassifier().fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=2e-4)


def test_separable_without_penalty_warns_and_separates():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    with pytest.warns(PerfectSeparationWarning, match="separable"):
        clf = LogisticClassifier(C=np.inf).fit(X, y)
    assert np.all(np.isfinite(clf.coef_))
    assert clf.score(X, y) == 1.0
    # With a penalty the same data has a unique finite solution and no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticClassifier(C=1.0).fit(X, y)


def test_convergence_warning_and_max_iter(cancer):
    X, y = cancer
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf = LogisticClassifier(solver="lbfgs", max_iter=3, tol=1e-12).fit(X, y)
    assert clf.n_iter_[0] <= 3


def test_warm_start_starts_from_previous_solution(cancer):
    X, y = cancer
    clf = LogisticClassifier(warm_start=True, tol=1e-8).fit(X, y)
    n_first = clf.n_iter_[0]
    clf.fit(X, y)
    assert clf.n_iter_[0] == 0 < n_first


def test_predict_log_proba_is_stable_and_consistent(cancer):
    X, y = cancer
    clf = LogisticClassifier(C=100.0).fit(X * 50, y)
    logp = clf.predict_log_proba(X * 50)
    assert np.all(np.isfinite(logp)) and logp.min() < -40  # log(p) below float64 resolution of 1 - p
    p = clf.predict_proba(X * 50)
    moderate = np.all((p > 1e-3) & (p < 1 - 1e-3), axis=1)
    assert moderate.any()
    np.testing.assert_allclose(logp[moderate], np.log(p[moderate]), rtol=1e-10)
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, rtol=1e-12)


def test_sklearn_tools(cancer):
    X, y = cancer
    pipe = make_pipeline(StandardScaler(), LogisticClassifier())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.95
    grid = [1e-4, 0.01, 1.0]
    gs = GridSearchCV(LogisticClassifier(), {"C": grid}, cv=3).fit(X, y)
    manual = [cross_val_score(LogisticClassifier(C=C), X, y, cv=3).mean() for C in grid]
    assert gs.best_params_["C"] == grid[int(np.argmax(manual))]
    np.testing.assert_allclose(gs.cv_results_["mean_test_score"], manual)
    cal = CalibratedClassifierCV(LogisticClassifier(), cv=3).fit(X, y)
    P = cal.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.mean(cal.predict(X) == y) > 0.95


def test_pickle_and_joblib_round_trip(tmp_path, cancer):
    X, y = cancer
    clf = LogisticClassifier().fit(X, y)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict_proba(X), clf.predict_proba(X))


def test_pandas_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    clf = make_pipeline(StandardScaler(), LogisticClassifier()).fit(X, y)
    est = LogisticClassifier().fit(StandardScaler().set_output(transform="pandas").fit_transform(X), y)
    np.testing.assert_array_equal(est.feature_names_in_, X.columns)
    assert clf.score(X, y) > 0.95
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X.to_numpy())
    with pytest.raises(ValueError, match="feature names"):
        est.predict(pd.DataFrame(X.to_numpy()[:, ::-1], columns=X.columns[::-1]))


@pytest.mark.parametrize(
    "X, y, sw, match",
    [
        ([[np.nan], [1.0]], [0, 1], None, "NaN"),
        ([[np.inf], [1.0]], [0, 1], None, "infinity"),
        ([[0.0], [1.0], [2.0]], [0.2, 1.5, 0.3], None, r"\[0, 1\]"),
        ([[0.0], [1.0]], [0, 1], [1.0, -1.0], "[Nn]egative"),
        ([[0.0], [1.0]], [1, 1], None, "class"),
        (np.empty((0, 2)), [], None, "0 sample"),
        ([[0.0], [1.0]], [0, 1], [0.0, 0.0], "non-zero"),
    ],
)
def test_bad_input_raises_value_error(X, y, sw, match):
    with pytest.raises(ValueError, match=match):
        LogisticClassifier().fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_non_finite_entry_of_a_numpy_x_raises_and_huge_finite_rows_do_not(bad, dtype):
    # A float numpy X is checked through its row sums (one product): a NaN or infinity
    # anywhere is an error like scikit-learn's; rows whose sum overflows are still finite.
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    X = X.astype(dtype)
    Xbad = X.copy()
    Xbad[17, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        LogisticClassifier().fit(Xbad, y)
    from sklearn.base import BaseEstimator

    from sklogloss.utils._sklearn import validate_data

    huge = X.copy()
    huge[3, :] = np.finfo(dtype).max / 2  # its row sum overflows; every entry is finite
    assert validate_data(BaseEstimator(), huge, dtype=[np.float64, np.float32]) is huge
    with pytest.raises(ValueError, match="NaN|infinity"):
        validate_data(BaseEstimator(), Xbad, dtype=[np.float64, np.float32])


def test_bad_parameters_and_solver_penalty_mismatch(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="L1"):
        LogisticClassifier(l1_ratio=0.5, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="label_smoothing"):
        LogisticClassifier(label_smoothing=1.0).fit(X, y)
    with pytest.raises(ValueError, match="multilabel"):
        LogisticClassifier(class_weight="balanced").fit(X, np.column_stack([y, 1 - y]))


def test_solver_auto_rule():
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    assert LogisticClassifier().fit(X, y).solver_ == "newton-cholesky"
    assert LogisticClassifier(l1_ratio=0.5).fit(X, y).solver_ == "prox-newton"
    Xw = sp.random(100, 3000, density=0.01, format="csr", random_state=0)
    assert LogisticClassifier().fit(Xw, y).solver_ == "newton-cg"
    # Many coefficients, one output: proximal Newton on working sets.
    assert LogisticClassifier(l1_ratio=1.0).fit(Xw, y).solver_ == "prox-newton"
