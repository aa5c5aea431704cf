"""Focal losses: torchvision's formula, exact derivatives, gamma = 0 as the log loss, stationarity of fits."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.losses import BinaryFocalLoss, MultinomialFocalLoss
from sklogloss.objective import LinearObjective
from sklogloss.solvers import SOLVERS, select_solver


# ------------------------------------------------------------ references
def torchvision_focal(z, t, gamma, alpha):
    """torchvision.ops.sigmoid_focal_loss (reduction="none"), transcribed to numpy."""
    p = 1 / (1 + np.exp(-z))
    ce = np.logaddexp(0, z) - t * z  # binary_cross_entropy_with_logits
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss


def softmax_focal(z, y, gamma, alpha):
    """-sum_k alpha_k y_k (1 - p_k)^gamma log p_k, from scipy's log_softmax."""
    from scipy.special import log_softmax

    log_p = log_softmax(z, axis=1)
    a = np.ones(z.shape[1]) if alpha is None else np.asarray(alpha)
    return -(a * y * (1 - np.exp(log_p)) ** gamma * log_p).sum(axis=1)


def finite_difference_gradient(f, x, h=1e-6):
    g = np.zeros_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        g[j] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# ------------------------------------------------------------- the losses
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_binary_focal_loss_is_torchvision_with_exact_derivatives(gamma, alpha):
    rng = np.random.default_rng(0)
    z = rng.normal(size=300) * 4
    t = np.r_[rng.integers(0, 2, 150).astype(float), rng.random(150)]  # hard and soft targets
    loss = BinaryFocalLoss(gamma, alpha)
    # rtol: the reference forms 1 - p_t by cancellation (relative error eps / (1 - p_t)).
    np.testing.assert_allclose(loss.loss(t, z), torchvision_focal(z, t, gamma, alpha), rtol=1e-9, atol=1e-300)
    grad, hess = loss.gradient_hessian(t, z)
    h = 1e-5
    fd_grad = (torchvision_focal(z + h, t, gamma, alpha) - torchvision_focal(z - h, t, gamma, alpha)) / (2 * h)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-8)
    np.testing.assert_allclose(loss.gradient(t, z), grad, rtol=1e-14, atol=1e-300)
    fd_hess = (loss.gradient(t, z + h) - loss.gradient(t, z - h)) / (2 * h)
    np.testing.assert_allclose(hess, fd_hess, atol=1e-8)
    if gamma >= 1:
        assert hess.min() < 0  # not convex: the curvature changes sign


def test_binary_focal_derivatives_stay_finite_at_extreme_scores():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    for t in (np.zeros(7), np.ones(7), np.full(7, 0.3)):
        for gamma in (0.5, 2.0):
            grad, hess = BinaryFocalLoss(gamma).gradient_hessian(t, z)
            assert np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
            assert np.all(np.isfinite(BinaryFocalLoss(gamma).loss(t, z)))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_multinomial_focal_loss_matches_its_formula_with_exact_derivatives(gamma):
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(60, 4)) * 3
    Y = np.r_[np.eye(4)[rng.integers(0, 4, 30)], rng.dirichlet(np.ones(4), 30)]
    alpha = [1.0, 2.0, 0.5, 1.0]
    loss = MultinomialFocalLoss(gamma, alpha)
    np.testing.assert_allclose(loss.loss(Y, Z), softmax_focal(Z, Y, gamma, alpha), rtol=1e-11)
    grad, hess = loss.gradient_hessian(Y, Z)
    h = 1e-5
    for k in range(4):
        E = np.zeros_like(Z)
        E[:, k] = h
        fd = (softmax_focal(Z + E, Y, gamma, alpha) - softmax_focal(Z - E, Y, gamma, alpha)) / (2 * h)
        np.testing.assert_allclose(grad[:, k], fd, atol=1e-8)
        np.testing.assert_allclose(hess[:, :, k], (loss.gradient(Y, Z + E) - loss.gradient(Y, Z - E)) / (2 * h),
                                   atol=1e-8)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)  # shift invariance
    if gamma:
        assert np.linalg.eigvalsh(hess).min() < -1e-3


def test_multinomial_focal_is_finite_when_a_probability_rounds_to_one():
    Z = np.array([[800.0, 0.0, -800.0], [0.0, 40.0, 0.0], [0.0, 0.0, 0.0]])
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    for gamma in (0.5, 2.0):
        grad, hess = MultinomialFocalLoss(gamma).gradient_hessian(Y, Z)
        assert np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
        assert np.abs(hess[0]).max() == 0.0


# -------------------------------------------------------------- the fits
@pytest.fixture(scope="module")
def rare():
    X, y = make_classification(n_samples=600, n_features=5, n_informative=3, weights=[0.9], flip_y=0.05,
                               random_state=0)
    return X, y


def _binary_objective(X, t, sw, C, gamma, alpha, cw):
    """C sum_i s_i w_t(i) FL_i + ||w||^2 / 2 (intercept last, unpenalised), from torchvision's formula."""
    mult = sw * (cw[1] * t + cw[0] * (1 - t))

    def f(coef):
        z = X @ coef[:-1] + coef[-1]
        return C * mult @ torchvision_focal(z, t, gamma, alpha) + 0.5 * coef[:-1] @ coef[:-1]

    return f


def test_focal_with_gamma_zero_is_the_log_loss(rare):
    X, y = rare
    log = LogisticClassifier(tol=1e-12).fit(X, y)
    focal = LogisticClassifier(loss="focal", focal_gamma=0.0, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(focal.coef_, log.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(focal.intercept_, log.intercept_, rtol=1e-8, atol=1e-10)
    # alpha with gamma = 0 weights each class: the log loss with class weights (1 - alpha, alpha).
    alpha = LogisticClassifier(loss="focal", focal_gamma=0.0, focal_alpha=0.8, tol=1e-12).fit(X, y)
    weighted = LogisticClassifier(class_weight={0: 0.2, 1: 0.8}, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(alpha.coef_, weighted.coef_, rtol=1e-8, atol=1e-10)
    Xm, ym = make_classification(n_samples=400, n_features=6, n_informative=4, n_classes=3, random_state=1)
    log = SoftmaxClassifier(tol=1e-12).fit(Xm, ym)
    focal = SoftmaxClassifier(loss="focal", focal_gamma=0.0, tol=1e-12).fit(Xm, ym)
    np.testing.assert_allclose(focal.coef_, log.coef_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("gamma", [1.0, 2.0, 4.0])
def test_binary_focal_fit_is_stationary_with_weights_smoothing_and_soft_targets(rare, gamma):
    X, y = rare
    rng = np.random.default_rng(2)
    sw = rng.uniform(0.5, 2.0, size=y.size)
    # Soft targets: the labels, softened at random (the loss is not linear in them).
    t = np.clip(y + rng.uniform(-0.3, 0.3, size=y.size) * (rng.random(y.size) < 0.3), 0, 1)
    t[0], t[1] = 0.4, 0.6  # surely soft
    eps, C, alpha, cw = 0.1, 2.0, 0.3, (1.0, 3.0)
    est = LogisticClassifier(loss="focal", focal_gamma=gamma, focal_alpha=alpha, label_smoothing=eps, C=C,
                             class_weight={0: cw[0], 1: cw[1]}, tol=1e-10)
    est.fit(X, t, sample_weight=sw)
    coef = np.r_[est.coef_.ravel(), est.intercept_]
    f = _binary_objective(X, (1 - eps) * t + eps / 2, sw, C, gamma, alpha, cw)
    g = finite_difference_gradient(f, coef)
    assert np.abs(g).max() < 1e-5 * max(1.0, np.abs(finite_difference_gradient(f, 0 * coef)).max())
    # A local minimum: no direction decreases it.
    from scipy.optimize import minimize

    ref = minimize(f, coef + 0.05, method="BFGS", options={"gtol": 1e-10})
    assert f(coef) <= ref.fun + 1e-9 * abs(ref.fun)


def test_softmax_focal_fit_is_stationary_with_alpha_and_class_weights():
    X, y = make_classification(n_samples=500, n_features=6, n_informative=4, n_classes=3, n_clusters_per_class=1,
                               random_state=3)
    alpha, cw, C, gamma = np.array([0.5, 1.0, 2.0]), np.array([1.0, 2.0, 1.0]), 1.5, 2.0
    est = SoftmaxClassifier(loss="focal", focal_gamma=gamma, focal_alpha=alpha, C=C,
                            class_weight=dict(enumerate(cw)), tol=1e-10).fit(X, y)
    Y = np.eye(3)[y]
    W0 = np.c_[est.coef_, est.intercept_]

    def f(flat):
        W = flat.reshape(3, -1)
        Z = X @ W[:, :-1].T + W[:, -1]
        return C * (Y @ cw) @ softmax_focal(Z, Y, gamma, alpha) + 0.5 * (W[:, :-1] ** 2).sum()

    g = finite_difference_gradient(f, W0.ravel())
    assert np.abs(g).max() < 1e-5 * np.abs(finite_difference_gradient(f, 0 * W0.ravel())).max()


def test_newton_takes_a_modified_step_where_the_focal_hessian_is_indefinite(rare, monkeypatch):
    from sklogloss.solvers import newton

    X, y = rare
    obj = LinearObjective(X, y.astype(float), BinaryFocalLoss(gamma=4.0), C=10.0)
    taken = []
    original = newton._modified_newton_step
    monkeypatch.setattr(newton, "_modified_newton_step", lambda H, g: taken.append(1) or original(H, g))
    start = np.random.default_rng(4).normal(size=obj.size) * 3  # far out: concave regions of the loss
    res = SOLVERS["newton-cholesky"](tol=1e-10).solve(obj, start)
    assert taken and res.converged
    assert np.abs(obj.gradient(res.coef)).max() <= 1e-10
    # The same stationary point as L-BFGS from the null model.
    lbfgs = SOLVERS["lbfgs"](tol=1e-10).solve(obj, obj.zero_coef())
    assert res.objective == pytest.approx(lbfgs.objective, rel=1e-9)


def test_solvers_for_a_nonconvex_objective(rare):
    X, y = rare
    assert select_solver("auto", 0.5, 6, convex=False) == "fista"
    assert select_solver("auto", 0.0, 6, convex=False) == "newton-cholesky"
    with pytest.raises(ValueError, match="convex objective"):
        LogisticClassifier(loss="focal", solver="prox-newton", l1_ratio=1.0).fit(X, y)
    with pytest.raises(ValueError, match="convex objective"):
        SOLVERS["prox-newton"]().solve(LinearObjective(X, y.astype(float), BinaryFocalLoss(2.0), l1_ratio=1.0),
                                       np.zeros(6))
    # L1 with a focal loss: FISTA (no Lipschitz bound needed) to the subgradient's zero.
    C, l1 = 0.5, 1.0
    est = LogisticClassifier(loss="focal", C=C, l1_ratio=l1, tol=1e-8).fit(X, y)
    assert est.solver_ == "fista"
    coef = np.r_[est.coef_.ravel(), est.intercept_]
    smooth = _binary_objective(X, y.astype(float), np.ones(y.size), C, 2.0, None, (1.0, 1.0))
    g = finite_difference_gradient(lambda c: smooth(c) - 0.5 * c[:-1] @ c[:-1], coef)  # C sum FL only
    on = coef[:-1] != 0
    assert 0 < on.sum() < 5
    np.testing.assert_allclose(g[:-1][on] + np.sign(coef[:-1][on]), 0, atol=1e-5)
    assert np.all(np.abs(g[:-1][~on]) <= 1 + 1e-5)
    assert abs(g[-1]) < 1e-5


@pytest.mark.parametrize("params, match", [
    ({"focal_gamma": -1.0}, "focal_gamma"),
    ({"focal_alpha": 1.5}, "focal_alpha"),
    ({"loss": "hinge"}, "loss"),
])
def test_bad_focal_parameters_say_what_is_wrong(rare, params, match):
    X, y = rare
    with pytest.raises(ValueError, match=match):
        LogisticClassifier(**{"loss": "focal", **params}).fit(X, y)


def test_softmax_focal_alpha_needs_one_weight_per_class():
    X, y = make_classification(n_samples=100, n_features=5, n_informative=3, n_classes=3, random_state=0)
    with pytest.raises(ValueError, match="one non-negative weight per class"):
        SoftmaxClassifier(loss="focal", focal_alpha=[1.0, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        SoftmaxClassifier(loss="focal", focal_alpha=[1.0, -2.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match="focal_gamma"):
        MultinomialFocalLoss(gamma=float("nan"))
