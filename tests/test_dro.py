"""GroupDROClassifier: the min-max optimum against an independent SLSQP epigraph fit, routing, bad input."""

import pickle

import numpy as np
import pytest
import sklearn
from scipy.optimize import minimize
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold

from sklogloss import GroupDROClassifier, LogisticClassifier, SoftmaxClassifier


def spurious(n=1200, minority=0.1, seed=0):
    """Feature 0 predicts the label in the majority group and the opposite in the minority; feature 1 in both."""
    rng = np.random.default_rng(seed)
    g = (rng.random(n) < minority).astype(int)
    y = rng.integers(0, 2, n)
    s = 2 * y - 1
    X = np.c_[np.where(g == 0, s, -s) + rng.normal(size=n), 0.5 * s + rng.normal(size=n), rng.normal(size=n)]
    return X, y, g


def group_log_losses(w, b, X, y, g):
    z = X @ w + b
    loss = np.logaddexp(0, -(2 * y - 1) * z)
    return np.array([loss[g == k].mean() for k in np.unique(g)])


def slsqp_minmax(X, y, g, C, adjust):
    """min_{w, b, t} t + ||w||^2 / (2 C n) subject to L_g(w, b) + adjust_g <= t (the epigraph form)."""
    n, p = X.shape

    def objective(v):
        return v[-1] + v[:p] @ v[:p] / (2 * C * n)

    cons = [{"type": "ineq", "fun": lambda v: v[-1] - group_log_losses(v[:p], v[p], X, y, g) - adjust}]
    v0 = np.r_[np.zeros(p + 1), 1.0]
    res = minimize(objective, v0, constraints=cons, method="SLSQP", options={"ftol": 1e-12, "maxiter": 500})
    assert res.success
    return res.x[:p], res.x[p], res.fun


@pytest.mark.parametrize("adjustment", [0.0, 2.0])
def test_group_dro_reaches_the_minmax_optimum(adjustment):
    X, y, g = spurious()
    C = 0.5
    dro = GroupDROClassifier(LogisticClassifier(C=C), adjustment=adjustment, tol=1e-8).fit(X, y, groups=g)
    n_g = np.bincount(g)
    adjust = adjustment / np.sqrt(n_g)
    w, b = dro.estimator_.coef_.ravel(), dro.estimator_.intercept_[0]
    losses = group_log_losses(w, b, X, y, g)
    np.testing.assert_allclose(dro.group_losses_, losses, rtol=1e-10)
    primal = np.max(losses + adjust) + w @ w / (2 * C * len(y))
    w_ref, b_ref, f_ref = slsqp_minmax(X, y, g, C, adjust)
    assert primal == pytest.approx(f_ref, rel=1e-6)
    np.testing.assert_allclose(np.r_[w, b], np.r_[w_ref, b_ref], atol=1e-3)
    assert dro.dro_gap_ <= 1e-8
    assert dro.group_weights_.sum() == pytest.approx(1.0)
    # The worst group does better than under the ordinary fit.
    erm = LogisticClassifier(C=C).fit(X, y)
    assert np.max(losses) < np.max(group_log_losses(erm.coef_.ravel(), erm.intercept_[0], X, y, g)) - 0.1


def test_group_dro_with_a_softmax_model_equalises_the_active_groups():
    rng = np.random.default_rng(1)
    n = 1500
    g = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    y = rng.integers(0, 3, n)
    X = np.eye(3)[y] * np.array([2.0, 1.0, 0.5])[g][:, None] + rng.normal(size=(n, 3))
    dro = GroupDROClassifier(SoftmaxClassifier(C=1.0)).fit(X, y, groups=g)
    P = dro.predict_proba(X)[np.arange(n), y]
    losses = np.array([-np.log(P[g == k]).mean() for k in range(3)])
    np.testing.assert_allclose(dro.group_losses_, losses, rtol=1e-9)
    active = dro.group_weights_ > 1e-3
    assert np.ptp(losses[active]) < 1e-4
    assert np.all(losses[~active] <= losses[active].max() + 1e-6)
    erm = SoftmaxClassifier(C=1.0).fit(X, y)
    P_erm = erm.predict_proba(X)[np.arange(n), y]
    assert losses.max() < max(-np.log(P_erm[g == k]).mean() for k in range(3))
    np.testing.assert_array_equal(dro.predict(X), dro.estimator_.predict(X))
    assert dro.classes_.tolist() == [0, 1, 2]


def test_groups_travel_through_metadata_routing():
    X, y, g = spurious(n=600)
    grid = {"estimator__C": [0.1, 1.0]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(GroupDROClassifier(LogisticClassifier()), grid, cv=3).fit(X, y, groups=g)
    best = search.best_params_["estimator__C"]
    refit = GroupDROClassifier(LogisticClassifier(C=best)).fit(X, y, groups=g)
    np.testing.assert_allclose(search.best_estimator_.group_weights_, refit.group_weights_, rtol=1e-8)
    # Each fold's fit got that fold's groups: the fold fits' results are the manual fits'.
    with sklearn.config_context(enable_metadata_routing=True):
        scores = GridSearchCV(GroupDROClassifier(LogisticClassifier(C=best)), {"tol": [1e-6]},
                              cv=KFold(3)).fit(X, y, groups=g).cv_results_["split0_test_score"][0]
    train, test = next(KFold(3).split(X))
    manual = GroupDROClassifier(LogisticClassifier(C=best)).fit(X[train], y[train], groups=g[train])
    assert scores == pytest.approx(manual.score(X[test], y[test]))


def test_clone_and_pickle_keep_the_fit():
    X, y, g = spurious(n=400)
    dro = GroupDROClassifier(adjustment=1.0).fit(X, y, groups=g)
    again = pickle.loads(pickle.dumps(dro))
    np.testing.assert_array_equal(again.predict_proba(X), dro.predict_proba(X))
    assert clone(dro).get_params()["adjustment"] == 1.0


@pytest.mark.parametrize("call, match", [
    (lambda X, y, g: GroupDROClassifier().fit(X, y, groups=g[:-1]), "one group label per sample"),
    (lambda X, y, g: GroupDROClassifier().fit(X, y, groups=g, sample_weight=np.where(g == 1, 0.0, 1.0)),
     "no sample with a positive weight"),
    (lambda X, y, g: GroupDROClassifier(LogisticRegression()).fit(X, y, groups=g), "classifier of this package"),
    (lambda X, y, g: GroupDROClassifier(adjustment=-1.0).fit(X, y, groups=g), "adjustment"),
])
def test_bad_group_dro_input_says_what_is_wrong(call, match):
    X, y, g = spurious(n=200)
    with pytest.raises(ValueError, match=match):
        call(X, y, g)


def test_worst_group_loss_is_the_largest_group_log_loss():
    from sklearn.metrics import log_loss

    from sklogloss.metrics import worst_group_loss

    X, y, g = spurious(n=500)
    P = LogisticClassifier().fit(X, y).predict_proba(X)
    sw = np.linspace(0.5, 2.0, len(y))
    expected = max(log_loss(y[g == k], P[g == k], labels=[0, 1], sample_weight=sw[g == k]) for k in (0, 1))
    assert worst_group_loss(y, P, g, sample_weight=sw) == pytest.approx(expected, rel=1e-12)
    assert worst_group_loss(y, P[:, 1], g, sample_weight=sw) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="one entry"):
        worst_group_loss(y, P, g[:-1])
    with pytest.raises(ValueError, match="labels"):
        worst_group_loss(y, np.c_[P, np.zeros(len(y))] / 1.0, g)


def test_worst_group_scorer_selects_by_the_worst_group():
    from sklogloss.metrics import make_worst_group_scorer, worst_group_loss

    X, y, g = spurious(n=900)
    grid = {"estimator__C": [0.01, 1.0]}
    with pytest.raises(ValueError, match="metadata routing"):
        make_worst_group_scorer()
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(GroupDROClassifier(LogisticClassifier()), grid, cv=KFold(3),
                              scoring=make_worst_group_scorer()).fit(X, y, groups=g)

    # The fold scores are -worst_group_loss of the fold's fit on its test fold.
    train, test = next(KFold(3).split(X))
    C = search.cv_results_["param_estimator__C"][0]
    fold = GroupDROClassifier(LogisticClassifier(C=C)).fit(X[train], y[train], groups=g[train])
    expected = -worst_group_loss(y[test], fold.predict_proba(X[test]), g[test])
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(expected, rel=1e-10)


def test_group_dro_of_a_robust_model_equalises_the_worst_case_losses():
    from sklogloss.estimators.dro import per_sample_losses

    X, y, g = spurious(n=600)
    base = LogisticClassifier(adversarial_epsilon=0.1)
    dro = GroupDROClassifier(base).fit(X, y, groups=g)
    losses = per_sample_losses(dro.estimator_, X, y)
    # The per-sample losses are the worst-case ones: the clean log loss at the FGSM points.
    from sklogloss.adversarial import fgsm

    P = dro.estimator_.predict_proba(fgsm(dro.estimator_, X, y, 0.1))[np.arange(len(y)), y]
    np.testing.assert_allclose(losses, -np.log(P), rtol=1e-9)
    group_losses = np.array([losses[g == k].mean() for k in (0, 1)])
    np.testing.assert_allclose(dro.group_losses_, group_losses, rtol=1e-10)
    assert dro.dro_gap_ <= 1e-6
