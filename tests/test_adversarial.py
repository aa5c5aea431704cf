"""Attacks on linear classifiers: input gradients by finite differences, the closed-form worst case."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import log_softmax
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sklogloss import LogisticClassifier, NoiseCorrectedClassifier, SoftmaxClassifier
from sklogloss.adversarial import fgsm, input_gradient, pgd


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def three():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=1)
    return X, y


def _fd_input_gradient(loss, X, h=1e-6):
    """Central differences of the per-sample loss ``loss(X) -> (n,)`` in each input coordinate."""
    G = np.zeros_like(X)
    for j in range(X.shape[1]):
        E = np.zeros_like(X)
        E[:, j] = h
        G[:, j] = (loss(X + E) - loss(X - E)) / (2 * h)
    return G


def _nll(estimator, y):
    """-log predict_proba of the true label: the loss the attacks ascend, from the estimator's own output."""
    idx = np.searchsorted(estimator.classes_, y)
    return lambda Z: -np.log(estimator.predict_proba(Z)[np.arange(len(Z)), idx])


def _models(three):
    X, y = three
    T = np.full((3, 3), 0.1) + 0.7 * np.eye(3)
    return {
        "softmax": SoftmaxClassifier(C=1.0).fit(X, y),
        "one-vs-rest": LogisticClassifier(C=1.0).fit(X, y),
        "noise-corrected": NoiseCorrectedClassifier(transition_matrix=T, C=1.0).fit(X, y),
        "sklearn LogisticRegression": LogisticRegression(C=1.0).fit(X, y),
    }


def test_input_gradient_is_the_gradient_of_the_binary_loss(binary):
    X, y = binary
    for est in (LogisticClassifier(C=0.5).fit(X, y), LogisticRegression(C=0.5).fit(X, y),
                SoftmaxClassifier(C=0.5).fit(X, y)):
        np.testing.assert_allclose(input_gradient(est, X, y), _fd_input_gradient(_nll(est, y), X), atol=1e-7)


@pytest.mark.parametrize("name", ["softmax", "one-vs-rest", "noise-corrected", "sklearn LogisticRegression"])
def test_input_gradient_is_the_gradient_of_the_multiclass_loss(three, name):
    X, y = three
    est = _models(three)[name]
    np.testing.assert_allclose(input_gradient(est, X, y), _fd_input_gradient(_nll(est, y), X), atol=1e-7)


def test_input_gradient_of_other_models_uses_the_softmax_of_their_scores(three):
    X, y = three
    svc = LinearSVC(C=1.0).fit(X, y)  # no predict_proba: the softmax cross-entropy of decision_function

    def loss(Z):
        return -log_softmax(svc.decision_function(Z), axis=1)[np.arange(len(Z)), y]

    np.testing.assert_allclose(input_gradient(svc, X, y), _fd_input_gradient(loss, X), atol=1e-7)


def test_input_gradient_of_a_multilabel_model_sums_the_labels_losses():
    X, Y = make_classification(n_samples=150, n_features=5, random_state=2)[0], None
    rng = np.random.default_rng(2)
    Y = (X[:, :3] + rng.normal(size=(150, 3)) > 0).astype(int)
    est = LogisticClassifier().fit(X, Y)

    def loss(Z):
        P = est.predict_proba(Z)
        return -(Y * np.log(P) + (1 - Y) * np.log1p(-P)).sum(axis=1)

    np.testing.assert_allclose(input_gradient(est, X, Y), _fd_input_gradient(loss, X), atol=1e-7)


@pytest.mark.parametrize("epsilon", [0.05, 0.3])
def test_attacks_reach_the_closed_form_worst_case_of_a_binary_model(binary, epsilon):
    X, y = binary
    for est in (LogisticClassifier(C=1.0).fit(X, y), LogisticRegression(C=1.0).fit(X, y)):
        w = est.coef_.ravel()
        s = np.where(y == est.classes_[1], 1.0, -1.0)

        def margin(Z, est=est, s=s):
            return s * est.decision_function(Z)

        worst = {"inf": margin(X) - epsilon * np.abs(w).sum(), "l2": margin(X) - epsilon * np.linalg.norm(w)}
        attacks = {"fgsm inf": (fgsm(est, X, y, epsilon), "inf"),
                   "pgd inf": (pgd(est, X, y, epsilon, norm="inf"), "inf"),
                   "pgd l2": (pgd(est, X, y, epsilon, norm="l2"), "l2"),
                   "pgd inf random start": (pgd(est, X, y, epsilon, random_start=True, random_state=0), "inf")}
        for name, (X_adv, norm) in attacks.items():
            np.testing.assert_allclose(margin(X_adv), worst[norm], rtol=1e-12, atol=1e-12, err_msg=name)
            size = np.abs(X_adv - X).max(axis=1) if norm == "inf" else np.linalg.norm(X_adv - X, axis=1)
            assert np.all(size <= epsilon * (1 + 1e-12)), name
        # No point of the ball does worse than the closed form: random points of the L2 ball.
        rng = np.random.default_rng(0)
        for _ in range(20):
            d = rng.normal(size=X.shape)
            d *= epsilon * rng.uniform(size=(len(X), 1)) / np.linalg.norm(d, axis=1, keepdims=True)
            assert np.all(margin(X + d) >= worst["l2"] - 1e-12)


def test_fgsm_moves_confidently_classified_samples_too():
    X = np.array([[-50.0], [-40.0], [40.0], [50.0]])
    y = np.array([0, 0, 1, 1])
    est = LogisticClassifier().fit(X, y)
    est.coef_, est.intercept_ = np.array([[2.0]]), np.array([0.0])  # margins of 80 to 100
    assert np.abs(est.decision_function(X)).min() > 40  # sigmoid(z) - 1 rounds to 0 here
    np.testing.assert_allclose(fgsm(est, X, y, 1.0), X - np.where(y == 1, 1.0, -1.0)[:, None] * np.sign(est.coef_))


def test_pgd_increases_the_multiclass_loss_within_the_ball(three):
    X, y = three
    for name, est in _models(three).items():
        nll = _nll(est, y)
        for norm in ("inf", "l2"):
            X_fgsm = fgsm(est, X, y, 0.2, norm=norm)
            X_pgd = pgd(est, X, y, 0.2, norm=norm, n_steps=40)
            size = np.abs(X_pgd - X).max(axis=1) if norm == "inf" else np.linalg.norm(X_pgd - X, axis=1)
            assert np.all(size <= 0.2 * (1 + 1e-12)), (name, norm)
            assert np.all(nll(X_pgd) >= nll(X) - 1e-12), (name, norm)
            assert nll(X_pgd).mean() >= nll(X_fgsm).mean() - 1e-9, (name, norm)
            assert nll(X_pgd).mean() > nll(X).mean() + 0.05, (name, norm)
    # Epsilon 0 changes nothing.
    np.testing.assert_array_equal(pgd(_models(three)["softmax"], X, y, 0.0), X)


@pytest.mark.parametrize("call, match", [
    (lambda est, X, y: fgsm(est, X, y, -0.1), "epsilon"),
    (lambda est, X, y: fgsm(est, X, y, float("nan")), "epsilon"),
    (lambda est, X, y: pgd(est, X, y, 0.1, norm="l1"), "norm"),
    (lambda est, X, y: pgd(est, X, y, 0.1, n_steps=0), "n_steps"),
    (lambda est, X, y: pgd(est, X, y, 0.1, step_size=-1.0), "step_size"),
    (lambda est, X, y: fgsm(est, sp.csr_matrix(X), y, 0.1), "dense"),
    (lambda est, X, y: fgsm(est, X[:, :3], y, 0.1), "features"),
    (lambda est, X, y: fgsm(est, X, y + 5, 0.1), "labels"),
    (lambda est, X, y: fgsm(est, X, y[:10], 0.1), "one label per row"),
    (lambda est, X, y: fgsm(DecisionTreeClassifier().fit(X, y), X, y, 0.1), "coef_"),
    (lambda est, X, y: fgsm(LogisticClassifier(), X, y, 0.1), "not fitted"),
])
def test_bad_attack_inputs_say_what_is_wrong(binary, call, match):
    X, y = binary
    est = LogisticClassifier().fit(X, y)
    with pytest.raises(ValueError, match=match):
        call(est, X, y)


# --------------------------------------------------------- robust training
def _robust_objective(X, y, C, epsilon, norm):
    """C sum_i log(1 + exp(-(s_i (w . x_i + b) - epsilon ||w||_*))) + ||w||^2 / 2, from the closed form."""
    s = 2.0 * y - 1

    def f(w, b):
        dual = np.abs(w).sum() if norm == "inf" else np.linalg.norm(w)
        return C * np.logaddexp(0, -(s * (X @ w + b) - epsilon * dual)).sum() + 0.5 * w @ w

    return f


def _slsqp_robust(X, y, C, epsilon, norm, start):
    """The robust fit in epigraph form: variables (w, b, r, t), t >= sum r_j, r_j >= |w_j| (or t^2 >= ||w||^2)."""
    from scipy.optimize import minimize

    p, s = X.shape[1], 2.0 * y - 1

    def value(v):
        w, b, t = v[:p], v[p], v[-1]
        return C * np.logaddexp(0, -(s * (X @ w + b) - epsilon * t)).sum() + 0.5 * w @ w

    if norm == "inf":
        cons = [{"type": "ineq", "fun": lambda v: v[-1] - v[p + 1:p + 1 + p].sum()},
                {"type": "ineq", "fun": lambda v: v[p + 1:p + 1 + p] - v[:p]},
                {"type": "ineq", "fun": lambda v: v[p + 1:p + 1 + p] + v[:p]}]
        v0 = np.r_[start, np.abs(start[:p]), np.abs(start[:p]).sum()]
    else:
        cons = [{"type": "ineq", "fun": lambda v: v[-1] ** 2 - v[:p] @ v[:p]},
                {"type": "ineq", "fun": lambda v: v[-1]}]
        v0 = np.r_[start, np.linalg.norm(start[:p])]
    res = minimize(value, v0, constraints=cons, method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000})
    return res.x[:p], res.x[p], res.fun


@pytest.mark.parametrize("norm", ["inf", "l2"])
def test_robust_training_minimises_the_exact_worst_case_loss(norm):
    X, y = make_classification(n_samples=200, n_features=4, n_informative=3, n_redundant=0, random_state=5)
    C, epsilon = 0.5, 0.2
    est = LogisticClassifier(C=C, adversarial_epsilon=epsilon, adversarial_norm=norm, tol=1e-9).fit(X, y)
    assert est.solver_ == "lbfgs"
    w, b = est.coef_.ravel(), est.intercept_[0]
    f = _robust_objective(X, y, C, epsilon, norm)
    # The objective is the loss at the attacks' worst case (which the attacks reach exactly).
    X_adv = fgsm(est, X, y, epsilon) if norm == "inf" else pgd(est, X, y, epsilon, norm="l2")
    worst = -np.log(est.predict_proba(X_adv)[np.arange(len(y)), y])
    assert f(w, b) == pytest.approx(C * worst.sum() + 0.5 * w @ w, rel=1e-12)
    # The optimum of an independent formulation (epigraph, SLSQP).
    standard = LogisticClassifier(C=C).fit(X, y)
    w_ref, b_ref, f_ref = _slsqp_robust(X, y, C, epsilon, norm, np.r_[standard.coef_.ravel(), standard.intercept_])
    assert f(w, b) <= f_ref + 1e-8 * abs(f_ref)
    np.testing.assert_allclose(np.r_[w, b], np.r_[w_ref, b_ref], atol=1e-4)
    # Robust training does better than standard training against its own worst case.
    assert f(w, b) < f(standard.coef_.ravel(), standard.intercept_[0])


def test_robust_objective_gradient_is_exact():
    from sklogloss.losses import BinomialLoss
    from sklogloss.objective import LinearObjective
    from sklogloss.objective.adversarial import AdversarialObjective

    X, y = make_classification(n_samples=80, n_features=3, n_informative=3, n_redundant=0, random_state=6)
    base = LinearObjective(X, y.astype(float), BinomialLoss(), C=2.0, sample_weight=np.linspace(0.5, 2, 80))
    rng = np.random.default_rng(0)
    for norm in ("inf", "l2"):
        obj = AdversarialObjective(base, 0.3, norm)
        coef = np.abs(rng.normal(size=obj.size)) if norm == "inf" else rng.normal(size=obj.size)
        _, grad = obj.loss_gradient(coef)
        fd = np.array([(obj.loss(coef + h) - obj.loss(coef - h)) / 2e-6 for h in np.eye(obj.size) * 1e-6])
        np.testing.assert_allclose(grad, fd, atol=1e-8)


def test_robust_l2_training_returns_the_null_model_beyond_the_closed_form_threshold():
    from sklogloss.losses import BinomialLoss
    from sklogloss.objective import LinearObjective
    from sklogloss.objective.adversarial import AdversarialObjective

    X, y = make_classification(n_samples=300, n_features=5, random_state=7)
    # w = 0 is optimal iff ||X^T g|| <= epsilon sum|g| at the null model: the threshold epsilon*.
    p1 = y.mean()
    g = p1 - y
    threshold = np.linalg.norm(X.T @ g) / np.abs(g).sum()
    for factor, zero in ((0.9, False), (1.1, True)):
        est = LogisticClassifier(adversarial_epsilon=factor * threshold, adversarial_norm="l2").fit(X, y)
        assert np.all(est.coef_ == 0) == zero
        obj = AdversarialObjective(LinearObjective(X, y.astype(float), BinomialLoss()), factor * threshold, "l2")
        assert obj.zero_weights_optimal(np.log(p1 / (1 - p1))) == zero
    assert est.intercept_[0] == pytest.approx(np.log(p1 / (1 - p1)), rel=1e-8)


def test_robust_one_vs_rest_is_each_class_against_the_rest(three):
    X, y = three
    ovr = LogisticClassifier(adversarial_epsilon=0.1, tol=1e-9).fit(X, y)
    for k in range(3):
        single = LogisticClassifier(adversarial_epsilon=0.1, tol=1e-9).fit(X, (y == k).astype(int))
        np.testing.assert_allclose(ovr.coef_[k], single.coef_[0], atol=1e-6)


@pytest.mark.parametrize("params, y_kind, match", [
    ({"adversarial_epsilon": 0.1}, "soft", "hard 0/1 targets"),
    ({"adversarial_epsilon": 0.1, "label_smoothing": 0.1}, "labels", "hard 0/1 targets"),
    ({"adversarial_epsilon": 0.1, "loss": "focal"}, "labels", "loss='log'"),
    ({"adversarial_epsilon": 0.1, "solver": "newton-cg"}, "labels", "lbfgs"),
    ({"adversarial_epsilon": -0.1}, "labels", "adversarial_epsilon"),
    ({"adversarial_epsilon": 0.1, "adversarial_norm": "l1"}, "labels", "adversarial_norm"),
    ({"adversarial_epsilon": 0.1, "adversarial_norm": "l2", "l1_ratio": 0.5}, "labels", "L1 term"),
])
def test_bad_robust_training_parameters_say_what_is_wrong(binary, params, y_kind, match):
    X, y = binary
    target = np.clip(y + 0.2 * (y == 0), 0, 1) if y_kind == "soft" else y
    with pytest.raises(ValueError, match=match):
        LogisticClassifier(**params).fit(X, target)


@pytest.mark.parametrize("norm", ["inf", "l2"])
def test_robust_softmax_with_two_classes_is_the_exact_binary_robust_fit(binary, norm):
    X, y = binary
    soft = SoftmaxClassifier(C=0.5, adversarial_epsilon=0.2, adversarial_norm=norm).fit(X, y)
    logistic = LogisticClassifier(C=1.0, adversarial_epsilon=0.2, adversarial_norm=norm).fit(X, y)
    assert soft.solver_ == "lbfgs"
    np.testing.assert_allclose(soft.coef_, logistic.coef_, atol=1e-6)
    np.testing.assert_allclose(soft.intercept_, logistic.intercept_, atol=1e-6)


def test_robust_softmax_bounds_the_worst_case_and_is_optimal_for_its_bound(three):
    from sklogloss.losses import MultinomialLoss
    from sklogloss.objective import LinearObjective
    from sklogloss.objective.adversarial import AdversarialObjective

    X, y = three
    epsilon, C = 0.15, 1.0
    robust = SoftmaxClassifier(C=C, adversarial_epsilon=epsilon).fit(X, y)
    standard = SoftmaxClassifier(C=C).fit(X, y)
    base = LinearObjective(X, np.eye(3)[y], MultinomialLoss(), C=C)
    obj = AdversarialObjective(base, epsilon, "inf")
    coef = obj.lift(np.c_[robust.coef_, robust.intercept_].ravel())
    # An upper bound of the loss at each sample's strongest attack found by PGD.
    bound = MultinomialLoss().loss(np.eye(3)[y], obj.worst_case_scores(coef))
    attacked = -np.log(robust.predict_proba(pgd(robust, X, y, epsilon, n_steps=50))[np.arange(len(y)), y])
    assert np.all(bound >= attacked - 1e-12)
    assert bound.mean() > attacked.mean()  # a bound, not the exact worst case, for three classes
    # The fit minimises the bound: lower than the standard fit's, and stationary under the bounds.
    assert obj.loss(coef) < obj.loss(obj.lift(np.c_[standard.coef_, standard.intercept_].ravel()))
    _, grad = obj.loss_gradient(coef)
    at_bound = (coef <= 0) & (np.arange(obj.size) < 2 * 3 * X.shape[1])
    assert np.abs(np.where(at_bound, np.minimum(grad, 0), grad)).max() < 1e-7
    # Its gradient is exact (finite differences in the solver's layout, away from the bounds).
    point = np.abs(np.random.default_rng(1).normal(size=obj.size))
    fd = np.array([(obj.loss(point + h) - obj.loss(point - h)) / 2e-6 for h in np.eye(obj.size) * 1e-6])
    np.testing.assert_allclose(obj.loss_gradient(point)[1], fd, atol=1e-8)


def test_robust_softmax_l2_bound_beyond_two_classes(three):
    from sklogloss.losses import MultinomialLoss
    from sklogloss.objective import LinearObjective
    from sklogloss.objective.adversarial import AdversarialObjective

    X, y = three
    epsilon = 0.3
    robust = SoftmaxClassifier(adversarial_epsilon=epsilon, adversarial_norm="l2", tol=1e-6).fit(X, y)
    obj = AdversarialObjective(LinearObjective(X, np.eye(3)[y], MultinomialLoss()), epsilon, "l2")
    coef = np.c_[robust.coef_, robust.intercept_].ravel()
    bound = MultinomialLoss().loss(np.eye(3)[y], obj.worst_case_scores(coef))
    attacked = -np.log(robust.predict_proba(pgd(robust, X, y, epsilon, norm="l2", n_steps=50))[np.arange(len(y)), y])
    assert np.all(bound >= attacked - 1e-12)
    assert np.abs(obj.loss_gradient(coef)[1]).max() <= 1e-6
    # The smoothed norms sqrt(||w_k||^2 + delta^2) are exact derivatives of the objective.
    point = np.random.default_rng(2).normal(size=obj.size)
    fd = np.array([(obj.loss(point + h) - obj.loss(point - h)) / 2e-6 for h in np.eye(obj.size) * 1e-6])
    np.testing.assert_allclose(obj.loss_gradient(point)[1], fd, atol=1e-8)
