"""LogisticClassifierCV and SoftmaxClassifierCV against scikit-learn's LogisticRegressionCV and GridSearchCV."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.estimators.cv import LogisticClassifierCV, SoftmaxClassifierCV, neg_log_loss
from sklogloss.losses import softmax
from sklogloss.metrics import soft_log_loss

CS = np.logspace(-3, 3, 7)


def _data(n_samples=240, n_features=5, n_classes=2, n_informative=None, seed=0):
    X, y = make_classification(n_samples=n_samples, n_features=n_features,
                               n_informative=n_informative or n_features, n_redundant=0, n_classes=n_classes,
                               n_clusters_per_class=1, flip_y=0.1, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _folds(X, y, n_splits=4, stratified=True):
    splitter = (StratifiedKFold if stratified else KFold)(n_splits, shuffle=True, random_state=0)
    return list(splitter.split(X, y))


def _weights(n, seed=1):
    return np.random.default_rng(seed).uniform(0.2, 3.0, size=n)


def _sklearn_cv(X, y, folds, sample_weight=None, **params):
    """scikit-learn's LogisticRegressionCV at tight tolerance, with its new attribute layout."""
    params = {"Cs": CS, "cv": folds, "scoring": "neg_log_loss", "solver": "newton-cholesky", "tol": 1e-12,
              "max_iter": 1000, "l1_ratios": (0.0,), "use_legacy_attributes": False, **params}
    return LogisticRegressionCV(**params).fit(X, y, sample_weight=sample_weight)


def _centred(b):
    return b - b.mean()


def _assert_same_search(ours, ref, coef_atol=1e-5):
    assert ours.C_ == pytest.approx(ref.C_, rel=1e-12)
    assert ours.l1_ratio_ == pytest.approx(ref.l1_ratio_, abs=1e-12)
    np.testing.assert_allclose(ours.Cs_, ref.Cs_)
    assert ours.scores_.shape == ref.scores_.shape
    np.testing.assert_allclose(ours.scores_, ref.scores_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=coef_atol)
    np.testing.assert_allclose(_centred(ours.intercept_), _centred(ref.intercept_), rtol=0, atol=coef_atol)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


# ----------------------------------------------------------------- scikit-learn's LogisticRegressionCV


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("refit", [True, False])
def test_binary_equals_logistic_regression_cv(weighted, refit):
    X, y = _data()
    folds = _folds(X, y)
    sw = _weights(len(y)) if weighted else None
    ref = _sklearn_cv(X, y, folds, sample_weight=sw, refit=refit)
    ours = LogisticClassifierCV(Cs=CS, cv=folds, scoring="neg_log_loss", tol=1e-10, refit=refit).fit(
        X, y, sample_weight=sw)
    _assert_same_search(ours, ref)
    assert ours.coefs_paths_.shape == ref.coefs_paths_.shape == (4, 1, CS.size, 1, X.shape[1] + 1)
    np.testing.assert_allclose(ours.coefs_paths_, ref.coefs_paths_, rtol=0, atol=1e-5)
    assert ours.n_iter_.shape == (4, 1, CS.size)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("refit", [True, False])
def test_multinomial_equals_logistic_regression_cv(weighted, refit):
    X, y = _data(n_classes=3)
    folds = _folds(X, y)
    sw = _weights(len(y)) if weighted else None
    ref = _sklearn_cv(X, y, folds, sample_weight=sw, refit=refit)
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, scoring="neg_log_loss", tol=1e-10, refit=refit).fit(
        X, y, sample_weight=sw)
    _assert_same_search(ours, ref)
    assert ours.coef_.shape == (3, X.shape[1])
    paths = ours.coefs_paths_
    assert paths.shape == ref.coefs_paths_.shape == (4, 1, CS.size, 3, X.shape[1] + 1)
    np.testing.assert_allclose(paths[..., :-1], ref.coefs_paths_[..., :-1], rtol=0, atol=1e-5)


def test_two_class_softmax_is_binary_logistic_at_twice_c():
    """SoftmaxClassifier's two-class model with C is the binary one with 2 C (see its Notes)."""
    X, y = _data(seed=16)
    folds = _folds(X, y)
    soft = SoftmaxClassifierCV(Cs=CS, cv=folds, tol=1e-10).fit(X, y)
    binary = LogisticClassifierCV(Cs=2 * CS, cv=folds, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(soft.scores_, binary.scores_, rtol=0, atol=1e-9)
    assert soft.C_ == binary.C_ / 2 and soft.coefs_paths_.shape == binary.coefs_paths_.shape
    np.testing.assert_allclose(soft.coef_, binary.coef_, rtol=0, atol=1e-7)


def test_default_scoring_is_neg_log_loss():
    """scoring=None is scikit-learn's neg_log_loss (its default from 1.11; 1.9's is accuracy)."""
    X, y = _data(n_classes=3)
    folds = _folds(X, y)
    sw = _weights(len(y))
    ref = _sklearn_cv(X, y, folds, sample_weight=sw)
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.scores_, ref.scores_, rtol=0, atol=1e-6)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), abs=1e-8)
    assert ours.score(X, y, sample_weight=sw) == pytest.approx(ref.score(X, y, sample_weight=sw), abs=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_elastic_net_equals_saga(weighted, n_classes):
    """l1_ratios against scikit-learn's saga on a small problem at tight tolerance.

    The grid starts at C=0.1: below, where the L1 term sets every weight to 0, saga leaves the
    intercept short of the null model's log-odds (see test_elastic_net_equals_grid_search).
    """
    X, y = _data(n_samples=120, n_features=6, n_informative=3, n_classes=n_classes)
    folds = _folds(X, y, n_splits=3)
    sw = _weights(len(y)) if weighted else None
    Cs, l1_ratios = np.logspace(-1, 2, 4), [0.0, 0.5, 1.0]
    ref = _sklearn_cv(X, y, folds, sample_weight=sw, Cs=Cs, l1_ratios=l1_ratios, solver="saga", tol=1e-10,
                      max_iter=100_000)
    Est = LogisticClassifierCV if n_classes == 2 else SoftmaxClassifierCV
    ours = Est(Cs=Cs, l1_ratios=l1_ratios, cv=folds, tol=1e-9).fit(X, y, sample_weight=sw)
    _assert_same_search(ours, ref)
    np.testing.assert_allclose(ours.l1_ratios_, l1_ratios)
    assert ours.scores_.shape == (3, 3, 4)
    assert ours.best_estimator_.l1_ratio == ours.l1_ratio_


def test_balanced_class_weight_from_all_data():
    """"balanced" is computed once on all the (weighted) data, as LogisticRegressionCV does."""
    X, y = _data(n_samples=300, seed=3)
    keep = (y == 1) | (np.arange(y.size) % 3 == 0)  # unbalanced classes
    X, y = X[keep], y[keep]
    folds = _folds(X, y)
    sw = _weights(len(y))
    ref = _sklearn_cv(X, y, folds, sample_weight=sw, class_weight="balanced")
    ours = LogisticClassifierCV(Cs=CS, cv=folds, tol=1e-10, class_weight="balanced").fit(X, y, sample_weight=sw)
    _assert_same_search(ours, ref)


# ------------------------------------------------------------------------- GridSearchCV of our estimators


def _grid_search(estimator, X, y, folds, Cs, scoring, sample_weight=None, **grid):
    """GridSearchCV over C (and l1_ratio), sample weights routed to fit and scorer.

    ``scoring``: a scorer name, or a metric ``f(y_true, y_prob, sample_weight=None)`` of ``predict_proba``.
    """
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = clone(estimator).set_fit_request(sample_weight=True)
        if callable(scoring):
            scoring = make_scorer(scoring, response_method="predict_proba").set_score_request(sample_weight=True)
        search = GridSearchCV(estimator, {"C": list(Cs), **grid}, cv=folds, scoring=scoring)
        return search.fit(X, y, **({} if sample_weight is None else {"sample_weight": sample_weight}))


def _split_scores(search, n_folds, shape):
    """GridSearchCV's test scores as (n_folds, n_l1_ratios, n_cs) (its grid varies l1_ratio fastest)."""
    scores = np.array([search.cv_results_[f"split{k}_test_score"] for k in range(n_folds)])
    return scores.reshape(n_folds, *shape).transpose(0, 2, 1) if len(shape) == 2 else scores[:, None]


def _neg_binary_cross_entropy(y_true, y_prob, sample_weight=None):
    return -soft_log_loss(y_true, y_prob if y_prob.ndim == 1 else y_prob[:, 1], sample_weight=sample_weight)


def _neg_categorical_cross_entropy(Y, P, sample_weight=None):
    return -float(np.average(-(Y * np.log(P)).sum(axis=1), weights=sample_weight))


@pytest.mark.parametrize("weighted", [False, True])
def test_soft_targets_equal_grid_search(weighted):
    X, y = _data(seed=1)
    t = 1 / (1 + np.exp(-(X @ np.array([1.0, -1.0, 0.5, 0.0, 0.3]) + np.random.default_rng(2).normal(size=len(y)))))
    folds = _folds(X, t, stratified=False)
    sw = _weights(len(t)) if weighted else None
    ours = LogisticClassifierCV(Cs=CS, cv=folds, tol=1e-10).fit(X, t, sample_weight=sw)
    search = _grid_search(LogisticClassifier(tol=1e-10), X, t, folds, CS,
                          _neg_binary_cross_entropy, sample_weight=sw)
    np.testing.assert_allclose(ours.scores_, _split_scores(search, 4, (CS.size,)), rtol=0, atol=1e-8)
    assert ours.C_ == search.best_params_["C"]
    np.testing.assert_allclose(ours.coef_, search.best_estimator_.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, search.best_estimator_.intercept_, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(ours.classes_, [0, 1])


def test_probability_matrix_targets_equal_grid_search():
    X, _ = _data(n_classes=3, seed=2)
    Y = softmax(X[:, :3] @ np.array([[1.5, 0.0, -1.0], [0.0, 1.0, -0.5], [0.5, -1.0, 0.0]]))
    folds = _folds(X, Y, stratified=False)
    sw = _weights(len(Y))
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, tol=1e-10).fit(X, Y, sample_weight=sw)
    search = _grid_search(SoftmaxClassifier(tol=1e-10), X, Y, folds, CS,
                          _neg_categorical_cross_entropy, sample_weight=sw)
    np.testing.assert_allclose(ours.scores_, _split_scores(search, 4, (CS.size,)), rtol=0, atol=1e-8)
    assert ours.C_ == search.best_params_["C"]
    np.testing.assert_allclose(ours.coef_, search.best_estimator_.coef_, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(ours.classes_, [0, 1, 2])


def test_soft_targets_are_split_with_kfold():
    """Soft targets cannot be stratified: cv=int means KFold(int), for both estimators."""
    X, y = _data(seed=1)
    t = np.clip(0.5 + 0.3 * X[:, 0], 0, 1)
    explicit = LogisticClassifierCV(Cs=3, cv=list(KFold(3).split(X))).fit(X, t)
    np.testing.assert_array_equal(LogisticClassifierCV(Cs=3, cv=3).fit(X, t).scores_, explicit.scores_)
    Y = np.column_stack([t, 1 - t])
    explicit = SoftmaxClassifierCV(Cs=3, cv=list(KFold(3).split(X))).fit(X, Y)
    np.testing.assert_array_equal(SoftmaxClassifierCV(Cs=3, cv=3).fit(X, Y).scores_, explicit.scores_)
    # labels are stratified
    stratified = LogisticClassifierCV(Cs=3, cv=list(StratifiedKFold(3).split(X, y))).fit(X, y)
    np.testing.assert_array_equal(LogisticClassifierCV(Cs=3, cv=3).fit(X, y).scores_, stratified.scores_)


def test_elastic_net_equals_grid_search():
    X, y = _data(n_samples=120, n_features=6, n_informative=3)
    folds = _folds(X, y, n_splits=3)
    Cs, l1_ratios = [0.01, 0.1, 1.0, 10.0], [0.0, 0.5, 1.0]
    ours = LogisticClassifierCV(Cs=Cs, l1_ratios=l1_ratios, cv=folds, tol=1e-9).fit(X, y)
    search = _grid_search(LogisticClassifier(tol=1e-9), X, y, folds, Cs, "neg_log_loss", l1_ratio=l1_ratios)
    np.testing.assert_allclose(ours.scores_, _split_scores(search, 3, (len(Cs), len(l1_ratios))), rtol=0, atol=1e-8)
    assert (ours.C_, ours.l1_ratio_) == (search.best_params_["C"], search.best_params_["l1_ratio"])
    np.testing.assert_allclose(ours.coef_, search.best_estimator_.coef_, rtol=0, atol=1e-7)
    # at C=0.01 the L1 term leaves no weight and the intercept is the null model's log-odds
    assert np.all(ours.coefs_paths_[:, 1:, 0, 0, :-1] == 0)
    train = folds[0][0]
    np.testing.assert_allclose(ours.coefs_paths_[0, 2, 0, 0, -1], np.log(y[train].mean() / (1 - y[train].mean())),
                               atol=1e-8)


def test_one_vs_rest_equals_grid_search():
    X, y = _data(n_classes=3, seed=4)
    folds = _folds(X, y)
    ours = LogisticClassifierCV(Cs=CS, cv=folds, tol=1e-10).fit(X, y)
    search = _grid_search(LogisticClassifier(tol=1e-10), X, y, folds, CS, "neg_log_loss")
    np.testing.assert_allclose(ours.scores_, _split_scores(search, 4, (CS.size,)), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.coef_, search.best_estimator_.coef_, rtol=0, atol=1e-7)
    assert ours.coefs_paths_.shape == (4, 1, CS.size, 3, X.shape[1] + 1)


def test_multilabel_targets():
    X, y = _data(n_samples=200, seed=5)
    Y = np.column_stack([y, (X[:, 1] > 0).astype(int)])
    ours = LogisticClassifierCV(Cs=[0.1, 1.0], cv=3).fit(X, Y)
    assert ours.predict(X).shape == Y.shape
    model = ours.best_estimator_
    P = np.clip(model.predict_proba(X), 1e-15, 1 - 1e-15)
    expected = np.mean((Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1))
    assert ours.score(X, Y) == pytest.approx(expected, rel=1e-10)


# ----------------------------------------------------------------------------------------------- behaviour


def test_refit_false_averages_each_folds_best():
    X, y = _data(n_classes=3, seed=6)
    ours = SoftmaxClassifierCV(Cs=CS, cv=4, refit=False).fit(X, y)
    assert not hasattr(ours, "best_estimator_")
    best = ours.scores_[:, 0].argmax(axis=1)
    assert ours.C_ == pytest.approx(np.mean(CS[best]))
    mean = np.mean([ours.coefs_paths_[f, 0, c] for f, c in enumerate(best)], axis=0)
    np.testing.assert_array_equal(ours.coef_, mean[:, :-1])
    np.testing.assert_array_equal(ours.intercept_, mean[:, -1])
    P = softmax(X @ ours.coef_.T + ours.intercept_)
    np.testing.assert_allclose(ours.predict_proba(X), P)
    # a refit after refit=False, and back, with the same instance
    ours.set_params(refit=True).fit(X, y)
    assert ours.best_estimator_.C == ours.C_
    assert not ours.set_params(refit=False).fit(X, y).__dict__.get("best_estimator_")


def test_refit_model_is_the_base_estimator_at_the_chosen_c():
    X, y = _data(seed=7)
    sw = _weights(len(y))
    ours = LogisticClassifierCV(Cs=CS, cv=3, class_weight={0: 2.0}, label_smoothing=0.05).fit(X, y, sample_weight=sw)
    model = ours.best_estimator_
    assert type(model) is LogisticClassifier
    assert model.get_params()["warm_start"] is False
    cold = LogisticClassifier(C=ours.C_, class_weight={0: 2.0}, label_smoothing=0.05).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(model.coef_, cold.coef_, atol=1e-8)
    np.testing.assert_array_equal(ours.coef_, model.coef_)
    np.testing.assert_array_equal(ours.predict(X), model.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), model.predict_proba(X))


def _count_hessians(monkeypatch):
    """Count the full Hessians formed (the expensive part of a Newton-Cholesky step)."""
    from sklogloss.objective.linear import LinearObjective

    counter = {"n": 0}
    original = LinearObjective.gradient_hessian

    def counted(self, *args, **kwargs):
        counter["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LinearObjective, "gradient_hessian", counted)
    return counter


def test_path_is_warm_started(monkeypatch):
    """Work counts, not timings: the path forms fewer Hessians than cold starts at each C.

    Along the path each fit starts at the previous solution and from the previous
    fit's last Hessian (HessianMemory), so most fits form one Hessian or none.
    """
    X, y = _data(n_samples=400, n_classes=3, seed=8)
    folds = _folds(X, y, n_splits=3)
    train = folds[0][0]
    counter = _count_hessians(monkeypatch)
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds[:1], refit=False).fit(X, y)
    path = counter["n"]
    counter["n"] = 0
    cold = [SoftmaxClassifier(C=C).fit(X[train], y[train]) for C in CS]
    assert path < 0.5 * counter["n"]
    # the same solutions
    for j, model in enumerate(cold):
        np.testing.assert_allclose(ours.coefs_paths_[0, 0, j][:, :-1], model.coef_, atol=1e-7)


def test_carried_hessian_changes_steps_not_solutions():
    """Newton-Cholesky with and without HessianMemory and Hessian reuse reach the same optimum."""
    from sklogloss.losses import BinomialLoss
    from sklogloss.objective import LinearObjective
    from sklogloss.solvers import NewtonCholeskySolver
    from sklogloss.solvers.curvature import HessianMemory

    X, y = make_classification(n_samples=500, n_features=8, random_state=3)
    memory, coef = HessianMemory(), np.zeros(9)
    for C in CS:
        objective = LinearObjective(X, y.astype(float), BinomialLoss(), C=C)
        coef = NewtonCholeskySolver(tol=1e-10, memory=memory).solve(objective, coef).coef
        classical = NewtonCholeskySolver(tol=1e-10, reuse_ratio=0.0).solve(objective, np.zeros(9)).coef
        np.testing.assert_allclose(coef, classical, atol=1e-9)
    assert memory.n_carried == len(CS) - 1
    # not carried to other data
    other = LinearObjective(X[:-1], y[:-1].astype(float), BinomialLoss(), C=1.0)
    assert memory.recall(other) is None


def test_cs_order_and_integer_grid():
    X, y = _data(seed=9)
    folds = _folds(X, y, n_splits=3)
    ours = LogisticClassifierCV(Cs=4, cv=folds).fit(X, y)
    np.testing.assert_allclose(ours.Cs_, np.logspace(-4, 4, 4))
    shuffled = [1e4, 1e-4, 10 ** (4 / 3), 10 ** (-4 / 3)]
    other = LogisticClassifierCV(Cs=shuffled, cv=folds).fit(X, y)
    np.testing.assert_array_equal(other.Cs_, shuffled)
    np.testing.assert_allclose(other.scores_[..., [1, 3, 2, 0]], ours.scores_, atol=1e-9)
    assert other.C_ == pytest.approx(ours.C_)


def test_scoring_strings_and_callables():
    X, y = _data(seed=10)
    folds = _folds(X, y, n_splits=3)
    sw = _weights(len(y))
    accuracy = LogisticClassifierCV(Cs=CS, cv=folds, scoring="accuracy").fit(X, y, sample_weight=sw)
    for f, (train, test) in enumerate(folds):
        model = LogisticClassifier(C=CS[2]).fit(X[train], y[train], sample_weight=sw[train])
        assert accuracy.scores_[f, 0, 2] == pytest.approx(
            accuracy_score(y[test], model.predict(X[test]), sample_weight=sw[test]))
    assert accuracy.score(X, y) == pytest.approx(accuracy_score(y, accuracy.predict(X)))
    calls = []

    def scorer(estimator, X, y, sample_weight=None):
        calls.append(sample_weight is not None)
        return -np.abs(estimator.coef_).sum()

    LogisticClassifierCV(Cs=[0.1, 1.0], cv=folds, scoring=scorer).fit(X, y)
    LogisticClassifierCV(Cs=[0.1, 1.0], cv=folds, scoring=scorer).fit(X, y, sample_weight=sw)
    assert calls == [False] * 6 + [True] * 6
    assert LogisticClassifierCV(Cs=[0.1, 1.0], cv=folds, scoring=scorer).fit(X, y).C_ == 0.1


def test_neg_log_loss_scorer():
    X, y = _data(seed=11)
    model = LogisticClassifier().fit(X, y)
    t = np.clip(0.5 + 0.3 * X[:, 0], 0, 1)
    sw = _weights(len(y))
    assert neg_log_loss(model, X, t, sw) == pytest.approx(-soft_log_loss(t, model.predict_proba(X), sw), rel=1e-12)
    Y = softmax(X[:, :3])
    soft = SoftmaxClassifier().fit(X, Y)
    assert neg_log_loss(soft, X, Y) == pytest.approx(_neg_categorical_cross_entropy(Y, soft.predict_proba(X)))


@pytest.mark.parametrize("Est", [LogisticClassifierCV, SoftmaxClassifierCV])
def test_n_jobs_threads_give_the_same_result(Est):
    X, y = _data(n_classes=3, seed=12)
    one = Est(Cs=3, l1_ratios=[0.0, 0.5], cv=3).fit(X, y)
    two = Est(Cs=3, l1_ratios=[0.0, 0.5], cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(two.scores_, one.scores_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(two.coefs_paths_, one.coefs_paths_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(two.coef_, one.coef_, rtol=0, atol=1e-6)


def test_sparse_and_dataframe_input():
    X, y = _data(seed=13)
    X[np.abs(X) < 0.5] = 0
    dense = LogisticClassifierCV(Cs=4, cv=3, tol=1e-10).fit(X, y)
    sparse = LogisticClassifierCV(Cs=4, cv=3, tol=1e-10).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.scores_, dense.scores_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-8)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    named = LogisticClassifierCV(Cs=4, cv=3, tol=1e-10).fit(frame, y)
    np.testing.assert_array_equal(named.feature_names_in_, frame.columns)
    np.testing.assert_array_equal(named.best_estimator_.feature_names_in_, frame.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        named.predict(frame)


@pytest.mark.parametrize("params, match", [
    ({"Cs": []}, "Cs must be an int >= 1 or a non-empty list of positive floats"),
    ({"Cs": [1.0, -1.0]}, "Cs must be an int >= 1 or a non-empty list of positive floats"),
    ({"Cs": [0.0]}, "positive floats"),
    ({"Cs": [np.nan]}, "positive floats"),
    ({"Cs": 0}, "'Cs' parameter"),
    ({"l1_ratios": [0.5, 1.5]}, r"l1_ratios must be None or a non-empty list of floats in \[0, 1\]"),
    ({"l1_ratios": [-0.1]}, r"in \[0, 1\]"),
    ({"l1_ratios": []}, "non-empty"),
    ({"scoring": "accuracy_typo"}, "not a scikit-learn scorer name.*get_scorer_names"),
    ({"cv": "five"}, "'cv' parameter"),
])
@pytest.mark.parametrize("Est", [LogisticClassifierCV, SoftmaxClassifierCV])
def test_bad_parameters(Est, params, match):
    X, y = _data(n_samples=60)
    with pytest.raises(ValueError, match=match):
        Est(**params).fit(X, y)


def test_fold_missing_a_class():
    X, y = _data(n_samples=90, n_classes=3)
    folds = [(np.flatnonzero(y != 0), np.flatnonzero(y == 0)), (np.arange(0, 90, 2), np.arange(1, 90, 2))]
    with pytest.raises(ValueError, match="fold 0 has no sample of class.*0.*every fold must see every class"):
        SoftmaxClassifierCV(Cs=2, cv=folds).fit(X, y)


@pytest.mark.parametrize("Est", [LogisticClassifierCV, SoftmaxClassifierCV])
def test_clone_and_pickle(Est):
    X, y = _data(n_classes=3, seed=14)
    est = Est(Cs=[0.1, 10.0], l1_ratios=[0.0, 0.3], cv=3, scoring="accuracy", n_jobs=2)
    assert clone(est).get_params() == est.get_params()
    est.fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(again.scores_, est.scores_)
    assert again.score(X, y) == est.score(X, y)


def test_pipeline_and_cross_validation():
    X, y = _data(n_classes=3, seed=15)
    X = 5 * X + 3
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifierCV(Cs=4, cv=3)).fit(X, y)
    assert pipe.score(X, y) == pytest.approx(pipe[-1].score(pipe[0].transform(X), y))
    assert pipe.predict(X).shape == y.shape
    scores = cross_val_score(make_pipeline(StandardScaler(), LogisticClassifierCV(Cs=3, cv=3)), X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores < 0)  # the estimator's score: neg log loss


@parametrize_with_checks([LogisticClassifierCV(Cs=2, cv=2), SoftmaxClassifierCV(Cs=2, cv=2)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
