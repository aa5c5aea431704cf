"""Tests of the label-noise losses, the estimators of T and NoiseCorrectedClassifier."""

import pickle
from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
from _stencil import five_point
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklogloss.estimators.noise import NoiseCorrectedClassifier
from sklogloss.losses import MultinomialLoss, softmax
from sklogloss.losses.noise import (
    BackwardCorrectedLoss,
    ForwardCorrectedLoss,
    check_transition_matrix,
)
from sklogloss.noise_estimation import (
    anchor_transition_matrix,
    confident_joint,
    confident_joint_transition_matrix,
    flip_labels,
    pair_flip_transition_matrix,
    symmetric_transition_matrix,
)
from sklogloss.objective import LinearObjective


def _random_T(rng, K, zeros=True):
    T = 0.6 * np.eye(K) + 0.4 * rng.dirichlet(np.ones(K), size=K)
    if zeros:
        T[0, K - 1] = 0.0  # a structural zero off the diagonal
        T /= T.sum(axis=1, keepdims=True)
    return T


def _targets(rng, n, K):
    y = rng.dirichlet(np.ones(K), size=n)
    y[: n // 2] = np.eye(K)[rng.integers(0, K, n // 2)]
    return y


def _five_point(f, z, h=1e-3):
    """Five-point derivative of ``f`` at ``z`` along each output column: ``(n, K, ...)``."""
    return np.stack([five_point(f, z, h, direction=np.eye(z.shape[1])[k] + np.zeros_like(z))
                     for k in range(z.shape[1])], axis=-1)


LOSSES = [ForwardCorrectedLoss, BackwardCorrectedLoss]


# --------------------------------------------------------------------- losses
def test_forward_loss_matches_its_definition():
    rng = np.random.default_rng(0)
    K, n = 4, 30
    T = _random_T(rng, K)
    z = rng.normal(size=(n, K))
    y = _targets(rng, n, K)
    expected = -(y * np.log(softmax(z) @ T)).sum(axis=1)
    np.testing.assert_allclose(ForwardCorrectedLoss(T).loss(y, z), expected, rtol=1e-12)


def test_backward_loss_matches_its_definition():
    rng = np.random.default_rng(1)
    K, n = 4, 30
    T = _random_T(rng, K)
    z = rng.normal(size=(n, K))
    y = _targets(rng, n, K)
    per_class = -np.log(softmax(z))                        # l(p_hat), (n, K)
    corrected = per_class @ np.linalg.inv(T).T             # rows: T^{-1} l
    expected = (y * corrected).sum(axis=1)
    value = BackwardCorrectedLoss(T).loss(y, z)
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Loss", LOSSES)
def test_identity_transition_gives_the_multinomial_loss(Loss):
    rng = np.random.default_rng(2)
    z = rng.normal(size=(20, 3)) * 3
    y = _targets(rng, 20, 3)
    ref = MultinomialLoss()
    loss = Loss(np.eye(3))
    np.testing.assert_allclose(loss.loss(y, z), ref.loss(y, z), rtol=1e-12)
    np.testing.assert_allclose(loss.gradient(y, z), ref.gradient(y, z), atol=1e-14)


@pytest.mark.parametrize("Loss", LOSSES)
def test_gradient_and_hessian_match_five_point_differences(Loss):
    rng = np.random.default_rng(3)
    K, n = 4, 25
    T = _random_T(rng, K)
    loss = Loss(T)
    z = rng.normal(size=(n, K)) * 2
    y = _targets(rng, n, K)
    fd_grad = _five_point(lambda r: loss.loss(y, r), z)
    np.testing.assert_allclose(loss.gradient(y, z), fd_grad, atol=1e-9)
    grad, hess = loss.gradient_hessian(y, z)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-9)
    fd_hess = _five_point(lambda r: loss.gradient(y, r), z)
    np.testing.assert_allclose(hess, fd_hess, atol=1e-9)
    value, grad2 = loss.loss_gradient(y, z)
    np.testing.assert_allclose(value, loss.loss(y, z))
    np.testing.assert_allclose(grad2, grad)


@pytest.mark.parametrize("Loss", LOSSES)
def test_hessian_vector_product_matches_the_hessian(Loss):
    rng = np.random.default_rng(4)
    K, n = 5, 40
    loss = Loss(_random_T(rng, K))
    z = rng.normal(size=(n, K))
    y = _targets(rng, n, K)
    grad, hess = loss.gradient_hessian(y, z)
    grad2, hessp = loss.gradient_hessian_product(y, z)
    v = rng.normal(size=(n, K))
    np.testing.assert_allclose(grad2, grad)
    np.testing.assert_allclose(hessp(v), np.einsum("nij,nj->ni", hess, v), atol=1e-14)


def test_forward_hessian_is_indefinite_and_backward_hessian_is_psd():
    rng = np.random.default_rng(5)
    K, n = 3, 300
    T = pair_flip_transition_matrix(K, 0.4)
    z = rng.normal(size=(n, K)) * 3
    y = np.eye(K)[rng.integers(0, K, n)]
    _, hf = ForwardCorrectedLoss(T).gradient_hessian(y, z)
    _, hb = BackwardCorrectedLoss(T).gradient_hessian(y, z)
    assert np.linalg.eigvalsh(hf).min() < -1e-2          # not a Fisher information
    assert np.linalg.eigvalsh(hb).min() > -1e-12         # convex in the scores
    assert not ForwardCorrectedLoss.hessian_is_fisher


def test_backward_targets_keep_their_mass_and_can_be_negative():
    T = pair_flip_transition_matrix(4, 0.3)
    y = np.eye(4)
    w = BackwardCorrectedLoss(T).corrected_targets(y)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert w.min() < 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Loss", LOSSES)
def test_extreme_scores_stay_finite(Loss, dtype):
    T = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.3, 0.7]])
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [0.0, -1e4, 1e4]], dtype=dtype)
    y = np.eye(3)[[2, 0, 1]]
    loss = Loss(T)
    value, grad = loss.loss_gradient(y, z)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    _, hessp = loss.gradient_hessian_product(y, z)
    assert np.all(np.isfinite(hessp(np.ones((3, 3), dtype=dtype))))
    if Loss is ForwardCorrectedLoss:
        # Sample 0: p ~ e_0 but T[0, 2] = 0, so u_2 = p_1 T[1, 2] = exp(-1e4) * 0.1.
        np.testing.assert_allclose(value[0], 1e4 - np.log(0.1), rtol=1e-6)


@pytest.mark.parametrize("Loss", LOSSES)
def test_float32_scores_agree_with_float64(Loss):
    rng = np.random.default_rng(6)
    T = _random_T(rng, 4)
    z = rng.normal(size=(50, 4))
    y = np.eye(4)[rng.integers(0, 4, 50)]
    loss = Loss(T)
    v64, g64 = loss.loss_gradient(y, z)
    v32, g32 = loss.loss_gradient(y, z.astype(np.float32))
    np.testing.assert_allclose(v32, v64, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g32, g64, atol=1e-6)


def test_forward_refuses_a_label_of_probability_zero():
    T = np.array([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="probability zero"):
        ForwardCorrectedLoss(T).loss(np.array([[0.0, 1.0]]), np.zeros((1, 2)))


@pytest.mark.parametrize("Loss", LOSSES)
def test_objective_hessian_vector_product_matches_differences(Loss):
    rng = np.random.default_rng(7)
    n, p, K = 40, 3, 3
    X = rng.normal(size=(n, p))
    y = np.eye(K)[rng.integers(0, K, n)]
    obj = LinearObjective(X, y, Loss(_random_T(rng, K)), C=2.0, n_outputs=K)
    coef = rng.normal(size=obj.size) * 0.5
    v = rng.normal(size=obj.size)
    _, hessp = obj.gradient_hessp(coef)
    h = 1e-4
    fd = five_point(obj.gradient, coef, h, direction=v)
    np.testing.assert_allclose(hessp(v), fd, atol=1e-8)


# --------------------------------------------------------- transition matrices
BAD_MATRICES = [
    (np.ones((2, 3)) / 3, "square"),
    (np.array([[0.9, 0.2], [0.1, 0.9]]), "sum to 1"),
    (np.array([[1.2, -0.2], [0.1, 0.9]]), "negative"),
    (np.array([[np.nan, 1.0], [0.1, 0.9]]), "non-finite"),
    (np.array([[1.0]]), "n_classes >= 2"),
    ("not a matrix", "numeric"),
]


@pytest.mark.parametrize("T, match", BAD_MATRICES)
def test_check_transition_matrix_rejects_bad_matrices(T, match):
    with pytest.raises(ValueError, match=match):
        check_transition_matrix(T)


def test_check_transition_matrix_singular_only_matters_when_inverting():
    T = pair_flip_transition_matrix(4, 0.5)  # eigenvalue 1 - 2 * 0.5 = 0
    check_transition_matrix(T)
    with pytest.raises(ValueError, match="singular"):
        check_transition_matrix(T, invertible=True)
    with pytest.raises(ValueError, match="singular"):
        BackwardCorrectedLoss(T)


def test_synthetic_noise_matrices_and_flips():
    T = pair_flip_transition_matrix(4, 0.3)
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    assert T[3, 0] == pytest.approx(0.3) and T[0, 0] == pytest.approx(0.7)
    S = symmetric_transition_matrix(5, 0.4)
    np.testing.assert_allclose(S.sum(axis=1), 1.0)
    assert S[0, 1] == pytest.approx(0.1)
    y = np.repeat(np.array(["a", "b", "c"]), 4000)
    T3 = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]])
    noisy = flip_labels(y, T3, random_state=0)
    classes = np.array(["a", "b", "c"])
    empirical = np.array([[np.mean(noisy[y == a] == b) for b in classes] for a in classes])
    np.testing.assert_allclose(empirical, T3, atol=0.03)
    # Unsorted classes: rows and columns follow the given order.
    noisy2 = flip_labels(y, T3[[2, 0, 1]][:, [2, 0, 1]], classes=["c", "a", "b"], random_state=0)
    empirical2 = np.array([[np.mean(noisy2[y == a] == b) for b in classes] for a in classes])
    np.testing.assert_allclose(empirical2, T3, atol=0.03)


def test_estimators_recover_T_from_the_noisy_posterior():
    # Probabilities that are exactly the noisy posterior: anchors and confident
    # counts both read T off them when every class has confident samples.
    rng = np.random.default_rng(8)
    K, n = 3, 3000
    T = np.array([[0.8, 0.2, 0.0], [0.1, 0.7, 0.2], [0.1, 0.0, 0.9]])
    true = rng.integers(0, K, n)
    clean = np.eye(K)[true]
    clean[: n // 2] = rng.dirichlet(np.ones(K) * 0.5, size=n // 2)  # some ambiguous samples
    proba = clean @ T
    noisy = np.array([rng.choice(K, p=row) for row in proba])
    np.testing.assert_allclose(anchor_transition_matrix(proba, quantile=100), T, atol=1e-12)
    # The default percentile filter skips the top 3%: still an exact anchor here.
    np.testing.assert_allclose(anchor_transition_matrix(proba), T, atol=0.05)
    assert np.abs(confident_joint_transition_matrix(noisy, proba) - T).max() < 0.1


def test_backward_without_penalty_is_refused():
    X, y = load_iris(return_X_y=True)
    T = np.full((3, 3), 0.1) + 0.7 * np.eye(3)
    with pytest.raises(ValueError, match="finite C"):
        NoiseCorrectedClassifier(transition_matrix=T, correction="backward", C=np.inf).fit(X, y)


def test_labels_carried_only_by_weightless_rows_are_not_observed():
    # T says label 2 is never recorded; rows labelled 2 with weight 0 must not
    # make it "observed", and the labels of weightless rows must not matter.
    X, y = load_iris(return_X_y=True)
    T = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.3, 0.7, 0.0]])
    y_noisy = np.where(y == 2, 1, y)
    weightless = np.arange(len(y)) % 25 == 0
    y_noisy[weightless] = 2
    sw = (~weightless) * 1.0
    a = NoiseCorrectedClassifier(transition_matrix=T, tol=1e-8).fit(X, y_noisy, sample_weight=sw)
    relabelled = y_noisy.copy()
    relabelled[weightless] = np.r_[2, np.zeros(weightless.sum() - 1, dtype=int)]
    b = NoiseCorrectedClassifier(transition_matrix=T, tol=1e-8).fit(X, relabelled, sample_weight=sw)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-6)
    assert np.all(np.isfinite(a.predict_proba(X)))


def test_anchor_ties_at_one_stay_in_their_class():
    # A tree-like classifier: 20% of the samples of each class get probability
    # exactly 1; the 97th percentile is then 1 and the anchors are those samples,
    # not the most probable sample below 1 (which belongs to another class).
    rng = np.random.default_rng(3)
    K, n = 3, 600
    true = np.repeat(np.arange(K), n // K)
    proba = rng.dirichlet(np.ones(K), size=n) * 0.5 + 0.5 * np.eye(K)[(true + 1) % K]
    confident = rng.uniform(size=n) < 0.2
    proba[confident] = np.eye(K)[true[confident]]
    np.testing.assert_array_equal(anchor_transition_matrix(proba), np.eye(K))


def test_confident_joint_counts_the_most_probable_confident_class():
    proba = np.array([[0.4, 0.3, 0.3],
                      [0.4, 0.5, 0.1],   # classes 0 and 1 both confident: 1 is more probable
                      [0.3, 0.4, 0.3],
                      [0.2, 0.4, 0.4],
                      [0.1, 0.2, 0.7],
                      [0.5, 0.2, 0.3]])
    y = np.array([0, 0, 1, 1, 2, 2])
    # Thresholds (mean self-confidence): t = (0.4, 0.4, 0.5).
    expected = np.array([[1.0, 0.0, 1.0],
                         [1.0, 2.0, 0.0],
                         [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(confident_joint(y, proba), expected)
    # Weights: row 1 counts twice, row 5 not at all (and t_2 becomes 0.7).
    weighted = confident_joint(y, proba, sample_weight=[1, 2, 1, 1, 1, 0])
    expected_w = np.array([[1.0, 0.0, 0.0],
                           [2.0, 2.0, 0.0],
                           [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(weighted, expected_w)
    # Column sums already equal the label counts (2, 2, 2): calibration keeps C.
    T = confident_joint_transition_matrix(y, proba)
    np.testing.assert_allclose(T, [[0.5, 0.0, 0.5], [1 / 3, 2 / 3, 0.0], [0.0, 0.0, 1.0]])
    # A seventh sample, of label 0, confident of no class (t_0 becomes 0.3833): the
    # two counts of label 0 are scaled up to its three samples before normalising.
    proba7 = np.vstack([proba, [0.35, 0.33, 0.32]])
    y7 = np.append(y, 0)
    np.testing.assert_array_equal(confident_joint(y7, proba7), expected)
    T = confident_joint_transition_matrix(y7, proba7)
    np.testing.assert_allclose(T, [[0.6, 0.0, 0.4], [1.5 / 3.5, 2 / 3.5, 0.0], [0.0, 0.0, 1.0]])


def test_confident_joint_matches_cleanlab():
    cleanlab_count = pytest.importorskip("cleanlab.count")
    X, y_noisy, _, _, _ = _digits_problem("pair", 0.3, seed=0)
    proba = cross_val_predict(NoiseCorrectedClassifier(transition_matrix=None), X, y_noisy,
                              cv=5, method="predict_proba")
    ours = confident_joint_transition_matrix(y_noisy, proba)
    cj = cleanlab_count.compute_confident_joint(y_noisy, proba)
    theirs = cleanlab_count.estimate_latent(cj, y_noisy)[1].T  # cleanlab's noise_matrix is T^T
    assert np.abs(ours - theirs).max() < 0.05


# ------------------------------------------------------------------ estimator
@cache
def _digits():
    return load_digits(return_X_y=True)


def _digits_problem(kind, rate, seed):
    """Standardised digits with synthetic noise on the training labels only."""
    X, y = _digits()
    if kind == "binary":
        y = y % 2
        T = np.array([[1 - rate, rate], [0.1, 0.9]])
    elif kind == "pair":
        T = pair_flip_transition_matrix(10, rate)
    else:
        T = symmetric_transition_matrix(10, rate)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, train_size=0.7, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(X_tr)
    y_noisy = flip_labels(y_tr, T, random_state=seed)
    return scaler.transform(X_tr), y_noisy, scaler.transform(X_te), y_te, T


@pytest.mark.parametrize("seed", [0, 1])
def test_forward_correction_undoes_strong_pair_flips(seed):
    # 45% of each digit recorded as the next one: the uncorrected model learns
    # half the digits wrong, the forward correction with the true T does not.
    X, y_noisy, X_te, y_te, T = _digits_problem("pair", 0.45, seed)
    plain = NoiseCorrectedClassifier(transition_matrix=None).fit(X, y_noisy).score(X_te, y_te)
    forward = NoiseCorrectedClassifier(transition_matrix=T).fit(X, y_noisy).score(X_te, y_te)
    assert forward > plain + 0.25
    assert forward > 0.9


@pytest.mark.parametrize("seed", [0, 1])
def test_corrections_beat_the_uncorrected_model_under_pair_flips(seed):
    X, y_noisy, X_te, y_te, T = _digits_problem("pair", 0.3, seed)
    plain = NoiseCorrectedClassifier(transition_matrix=None).fit(X, y_noisy).score(X_te, y_te)
    backward = NoiseCorrectedClassifier(transition_matrix=T, correction="backward")
    assert backward.fit(X, y_noisy).score(X_te, y_te) > plain + 0.03
    estimated = NoiseCorrectedClassifier().fit(X, y_noisy)
    assert estimated.score(X_te, y_te) > plain + 0.1
    T_hat = estimated.transition_matrix_
    assert np.abs(T_hat - T).mean() < np.abs(np.eye(10) - T).mean()
    # The flips to the next digit are found: larger than any other confusion.
    i = np.arange(10)
    flips = T_hat[i, (i + 1) % 10]
    others = T_hat.copy()
    others[i, i] = others[i, (i + 1) % 10] = 0
    assert flips.mean() > 0.15 and flips.mean() > others.sum(axis=1).mean() / 8


def test_forward_correction_fixes_asymmetric_binary_noise():
    X, y_noisy, X_te, y_te, T = _digits_problem("binary", 0.4, seed=0)
    plain = NoiseCorrectedClassifier(transition_matrix=None).fit(X, y_noisy).score(X_te, y_te)
    forward = NoiseCorrectedClassifier(transition_matrix=T).fit(X, y_noisy).score(X_te, y_te)
    assert forward > plain + 0.04


@pytest.mark.parametrize("seed", [0, 1])
def test_estimated_correction_does_at_least_as_well_as_cleanlab(seed):
    classification = pytest.importorskip("cleanlab.classification")
    X, y_noisy, X_te, y_te, _ = _digits_problem("pair", 0.3, seed)
    ours = NoiseCorrectedClassifier().fit(X, y_noisy).score(X_te, y_te)
    cleaned = classification.CleanLearning(LogisticRegression(max_iter=2000), seed=seed)
    theirs = cleaned.fit(X, y_noisy).score(X_te, y_te)
    assert ours >= theirs


@pytest.mark.slow
@pytest.mark.parametrize("kind, rate", [("pair", 0.3), ("symmetric", 0.5), ("binary", 0.4)])
def test_estimated_correction_vs_cleanlab_on_average(kind, rate):
    classification = pytest.importorskip("cleanlab.classification")
    ours, theirs = [], []
    for seed in range(5):
        X, y_noisy, X_te, y_te, _ = _digits_problem(kind, rate, seed)
        ours.append(NoiseCorrectedClassifier().fit(X, y_noisy).score(X_te, y_te))
        cleaned = classification.CleanLearning(LogisticRegression(max_iter=2000), seed=seed)
        theirs.append(cleaned.fit(X, y_noisy).score(X_te, y_te))
    assert np.mean(ours) >= np.mean(theirs)


def test_estimate_uses_out_of_fold_probabilities():
    X, y_noisy, _, _, _ = _digits_problem("pair", 0.3, seed=0)
    X, y_noisy = X[:600], y_noisy[:600]
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    inner = LogisticRegression(C=0.5, max_iter=1000)
    for estimation, estimate in [
        ("confident_joint", lambda P: confident_joint_transition_matrix(y_noisy, P)),
        ("anchor", lambda P: anchor_transition_matrix(P, quantile=90)),
    ]:
        clf = NoiseCorrectedClassifier(estimator=inner, cv=cv, estimation=estimation,
                                       anchor_quantile=90).fit(X, y_noisy)
        proba = cross_val_predict(inner, X, y_noisy, cv=cv, method="predict_proba")
        np.testing.assert_allclose(clf.transition_matrix_, estimate(proba))


def test_identity_matches_scikit_learn_multinomial():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = LogisticRegression(C=0.7, tol=1e-12, max_iter=10000).fit(X, y)
    for T in (None, np.eye(3)):
        clf = NoiseCorrectedClassifier(transition_matrix=T, C=0.7, solver="newton-cg",
                                       tol=1e-10).fit(X, y)
        np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)
        np.testing.assert_allclose(clf.coef_, ref.coef_ - ref.coef_.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(clf.coef_.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_.sum(), 0.0, atol=1e-12)


def test_binary_layout_and_equivalence_with_twice_C():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)[50:]
    labels = np.array(["versicolor", "virginica"])[y[50:] - 1]
    clf = NoiseCorrectedClassifier(transition_matrix=None, C=0.5, solver="newton-cg",
                                   tol=1e-10).fit(X, labels)
    ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=10000).fit(X, labels)
    assert clf.coef_.shape == (1, 4) and clf.intercept_.shape == (1,)
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(clf.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(clf.decision_function(X), ref.decision_function(X), atol=1e-5)
    np.testing.assert_array_equal(clf.classes_, labels[np.argsort(labels)][[0, -1]])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X))


def test_predictions_are_the_clean_posterior():
    X, y_noisy, X_te, _, T = _digits_problem("pair", 0.3, seed=0)
    clf = NoiseCorrectedClassifier(transition_matrix=T).fit(X, y_noisy)
    P = clf.predict_proba(X_te)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P, softmax(clf.decision_function(X_te)), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X_te), clf.classes_[P.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X_te), np.log(P), atol=1e-10)
    np.testing.assert_allclose(clf.predict_noisy_proba(X_te), P @ T)
    np.testing.assert_allclose(clf.transition_matrix_, T)
    assert clf.n_iter_.shape == (1,) and clf.n_iter_[0] > 0
    assert clf.n_features_in_ == 64


def test_solvers_agree():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    T = pair_flip_transition_matrix(3, 0.2)
    y_noisy = flip_labels(y, T, random_state=0)
    probas = {}
    for correction, solvers in [("forward", ["lbfgs", "newton-cg", "gd"]),
                                ("backward", ["lbfgs", "newton-cg", "newton-cholesky"])]:
        for solver in solvers:
            clf = NoiseCorrectedClassifier(transition_matrix=T, correction=correction,
                                           solver=solver, tol=1e-8, max_iter=100000)
            probas[correction, solver] = clf.fit(X, y_noisy).predict_proba(X)
            assert clf.solver_ == solver
        ref = probas[correction, "lbfgs"]
        for solver in solvers[1:]:
            np.testing.assert_allclose(probas[correction, solver], ref, atol=1e-5)


def test_newton_cholesky_is_refused_for_the_forward_correction():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="positive semi-definite"):
        NoiseCorrectedClassifier(transition_matrix=np.eye(3), solver="newton-cholesky").fit(X, y)


@pytest.mark.parametrize("T, match", BAD_MATRICES[:4] + [(np.eye(4), r"\(3, 3\)")])
def test_fit_rejects_bad_transition_matrices(T, match):
    X, y = load_iris(return_X_y=True)
    if T.shape == (2, 2) or T.shape == (2, 3):
        X, y = X[50:], y[50:]
    with pytest.raises(ValueError, match=match):
        NoiseCorrectedClassifier(transition_matrix=T).fit(X, y)


def test_fit_rejects_singular_T_for_backward_and_impossible_labels_for_forward():
    X, y = load_iris(return_X_y=True)
    singular = pair_flip_transition_matrix(3, 0.5)
    singular[:, :] = 1.0 / 3
    with pytest.raises(ValueError, match="singular"):
        NoiseCorrectedClassifier(transition_matrix=singular, correction="backward").fit(X, y)
    NoiseCorrectedClassifier(transition_matrix=singular).fit(X, y)  # forward does not invert
    never_2 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    with pytest.raises(ValueError, match=r"probability zero to the observed labels \[2\]"):
        NoiseCorrectedClassifier(transition_matrix=never_2).fit(X, y)


def test_sample_weights_with_a_given_T():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    T = pair_flip_transition_matrix(3, 0.2)
    rng = np.random.default_rng(0)
    sw = rng.integers(0, 3, size=y.size)
    for correction in ("forward", "backward"):
        clf = NoiseCorrectedClassifier(transition_matrix=T, correction=correction, tol=1e-8)
        weighted = clone(clf).fit(X, y, sample_weight=sw).predict_proba(X)
        repeated = clone(clf).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw)).predict_proba(X)
        np.testing.assert_allclose(weighted, repeated, atol=1e-6)


def test_sparse_and_float32_inputs():
    X, y_noisy, X_te, _, T = _digits_problem("pair", 0.3, seed=0)
    X, y_noisy = X[:500], y_noisy[:500]
    clf = NoiseCorrectedClassifier(transition_matrix=T, tol=1e-8)
    dense = clone(clf).fit(X, y_noisy).predict_proba(X_te)
    sparse = clone(clf).fit(sp.csr_matrix(X), y_noisy).predict_proba(sp.csr_matrix(X_te))
    np.testing.assert_allclose(sparse, dense, atol=1e-4)
    single = clone(clf).set_params(tol=1e-5).fit(X.astype(np.float32), y_noisy)
    np.testing.assert_allclose(single.predict_proba(X_te), dense, atol=1e-2)


def test_pipeline_grid_search_and_pickle():
    X, y = load_iris(return_X_y=True)
    y_noisy = flip_labels(y, pair_flip_transition_matrix(3, 0.2), random_state=1)
    pipe = make_pipeline(StandardScaler(), NoiseCorrectedClassifier(cv=3))
    grid = GridSearchCV(pipe, {"noisecorrectedclassifier__C": [0.1, 1.0],
                               "noisecorrectedclassifier__correction": ["forward", "backward"]},
                        cv=3).fit(X, y_noisy)
    assert grid.best_estimator_.score(X, y) > 0.8
    restored = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_array_equal(restored.predict_proba(X), grid.best_estimator_.predict_proba(X))


def test_verbose_prints_the_estimate(capsys):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    NoiseCorrectedClassifier(verbose=1, cv=3, solver="newton-cg").fit(X, y)
    out = capsys.readouterr().out
    assert "estimated transition matrix (em)" in out
    assert "EM iteration 0: held-out noisy log-likelihood" in out
    assert "[newton-cg] iter" in out
    NoiseCorrectedClassifier(verbose=1, cv=3, estimation="confident_joint").fit(X, y)
    out = capsys.readouterr().out
    assert "estimated transition matrix (confident_joint)" in out
    assert "EM iteration" not in out


def test_convergence_warning_when_stopped_early():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning):
        NoiseCorrectedClassifier(transition_matrix=np.eye(3), max_iter=2).fit(X, y)


def expected_failed_checks(estimator):
    """Checks NoiseCorrectedClassifier is expected to fail, with reasons (used by test_common)."""
    if estimator.get_params()["correction"] == "backward":
        return {
            "check_estimators_nan_inf": (
                "the check fits 10 random samples; the transition matrix estimated from them is "
                "singular and the backward correction refuses it with a ValueError that does not "
                "mention NaN or infinity"),
        }
    return {}

