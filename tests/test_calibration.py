"""Calibration metrics and the reliability display against independent references.

References written here from their definitions, with explicit loops: Guo et al. (2017)'s ECE
(bins ``((m - 1) / M, m / M]``, weight ``|B_m| / n``), equal-mass bins as consecutive chunks of
the sorted predictions, Kull et al. (2019)'s classwise ECE and the within-bin terms of the Brier
score (Stephenson et al. 2008). scikit-learn's ``calibration_curve`` and ``brier_score_loss``
give the bin means and the Brier score. The random data are continuous, so no prediction lies on
a bin edge and the open/closed side of the bins plays no role.
"""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from sklogloss.metrics import (
    BrierDecomposition,
    brier_score_decomposition,
    calibration_table,
    expected_calibration_error,
    maximum_calibration_error,
)

# --- references -------------------------------------------------------------------------------


def textbook_bins(conf, observed, n_bins, weights=None):
    """Guo et al.'s bins: a list of (weight share, mean confidence, mean observed) per non-empty bin."""
    n = len(conf)
    weights = [1.0] * n if weights is None else list(weights)
    total = sum(weights)
    out = []
    for m in range(1, n_bins + 1):
        lo, hi = (m - 1) / n_bins, m / n_bins
        members = [i for i in range(n) if lo < conf[i] <= hi or (m == 1 and conf[i] == 0)]
        mass = sum(weights[i] for i in members)
        if mass == 0:
            continue
        mean_conf = sum(weights[i] * conf[i] for i in members) / mass
        mean_obs = sum(weights[i] * observed[i] for i in members) / mass
        out.append((mass / total, mean_conf, mean_obs))
    return out


def textbook_ece(conf, observed, n_bins, weights=None):
    return sum(w * abs(o - c) for w, c, o in textbook_bins(conf, observed, n_bins, weights))


def textbook_mce(conf, observed, n_bins):
    return max(abs(o - c) for _, c, o in textbook_bins(conf, observed, n_bins))


def top_label(P, labels):
    """Confidence and correctness of each row, the argmax taken by a loop (first maximum wins)."""
    conf, correct = [], []
    for row, label in zip(P, labels):
        best = 0
        for k in range(1, len(row)):
            if row[k] > row[best]:
                best = k
        conf.append(row[best])
        correct.append(1.0 if best == label else 0.0)
    return conf, correct


def equal_mass_ece(p, y, n_bins):
    """ECE over consecutive chunks of equal size of the sorted predictions (n divisible by n_bins)."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    size = len(p) // n_bins
    ece = 0.0
    for b in range(n_bins):
        chunk = order[b * size:(b + 1) * size]
        ece += size / len(p) * abs(sum(y[i] for i in chunk) / size - sum(p[i] for i in chunk) / size)
    return ece


def within_bin_terms(p, y, n_bins):
    """sum_b w_b (var_b(p) - 2 cov_b(p, y)), the gap between the Brier score and its binned decomposition."""
    n = len(p)
    total = 0.0
    for m in range(1, n_bins + 1):
        lo, hi = (m - 1) / n_bins, m / n_bins
        members = [i for i in range(n) if lo < p[i] <= hi or (m == 1 and p[i] == 0)]
        if not members:
            continue
        f = sum(p[i] for i in members) / len(members)
        o = sum(y[i] for i in members) / len(members)
        var = sum((p[i] - f) ** 2 for i in members) / len(members)
        cov = sum((p[i] - f) * (y[i] - o) for i in members) / len(members)
        total += len(members) / n * (var - 2 * cov)
    return total


def draw_labels(P, rng):
    """One label per row, drawn from the row's probabilities."""
    u = rng.uniform(size=(P.shape[0], 1))
    return np.minimum((u > np.cumsum(P, axis=1)).sum(axis=1), P.shape[1] - 1)


@pytest.fixture
def binary_data():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=2000)
    y = (rng.uniform(size=2000) < p ** 1.5).astype(int)
    return y, p


@pytest.fixture
def multiclass_data():
    rng = np.random.default_rng(1)
    P = rng.dirichlet([0.7, 1.0, 1.5, 0.5], size=1500)
    y = draw_labels(P ** 2 / (P ** 2).sum(axis=1, keepdims=True), rng)  # labels from sharpened rows
    return y, P


# --- binary ECE and MCE ------------------------------------------------------------------------


@pytest.mark.parametrize("n_bins", [1, 3, 10, 15])
def test_binary_ece_and_mce_equal_textbook_definition(binary_data, n_bins):
    y, p = binary_data
    expected = textbook_ece(list(p), list(y), n_bins)
    assert expected_calibration_error(y, p, n_bins=n_bins) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert maximum_calibration_error(y, p, n_bins=n_bins) == pytest.approx(textbook_mce(list(p), list(y), n_bins),
                                                                           rel=1e-12)
    # A (n, 2) probability matrix is the same binary problem, whatever ``kind`` says.
    P = np.column_stack([1 - p, p])
    for kind in ("top-label", "classwise"):
        assert expected_calibration_error(y, P, n_bins=n_bins, kind=kind) == expected_calibration_error(
            y, p, n_bins=n_bins)


def test_binary_ece_with_weights_and_soft_targets(binary_data):
    y, p = binary_data
    rng = np.random.default_rng(2)
    w = rng.uniform(size=p.size)
    assert expected_calibration_error(y, p, sample_weight=w) == pytest.approx(
        textbook_ece(list(p), list(y), 10, weights=list(w)), rel=1e-12)
    # Integer weights are repetitions of the samples.
    counts = rng.integers(0, 4, size=p.size)
    assert expected_calibration_error(y, p, sample_weight=counts) == pytest.approx(
        expected_calibration_error(np.repeat(y, counts), np.repeat(p, counts)), rel=1e-12)
    # Soft targets: the observed value of a bin is the mean target probability.
    t = rng.uniform(size=p.size)
    assert expected_calibration_error(t, p) == pytest.approx(textbook_ece(list(p), list(t), 10), rel=1e-12)
    # A (n, 2) matrix of target probabilities means its second column.
    assert expected_calibration_error(np.column_stack([1 - t, t]), p) == expected_calibration_error(t, p)


@pytest.mark.parametrize("n_bins", [4, 10])
def test_quantile_bins_have_equal_mass(n_bins):
    rng = np.random.default_rng(3)
    p = rng.beta(0.5, 2.0, size=500)
    y = (rng.uniform(size=500) < p).astype(int)
    pred, obs, w = calibration_table(y, p, n_bins=n_bins, strategy="quantile")
    np.testing.assert_allclose(w, np.full(n_bins, 1 / n_bins), rtol=1e-12)
    assert expected_calibration_error(y, p, n_bins=n_bins, strategy="quantile") == pytest.approx(
        equal_mass_ece(list(p), list(y), n_bins), rel=1e-12)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [5, 20])
def test_bin_means_equal_sklearn_calibration_curve(strategy, n_bins):
    # Predictions in [0, 0.3) and [0.8, 1): with 20 uniform bins some are empty, dropped by both. With
    # n = 500 (499 is prime), no quantile edge is itself a prediction.
    rng = np.random.default_rng(4)
    p = np.r_[rng.uniform(0, 0.3, size=300), rng.uniform(0.8, 1, size=200)]
    y = (rng.uniform(size=500) < p).astype(int)
    pred, obs, w = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    obs_ref, pred_ref = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    assert pred.shape == pred_ref.shape
    np.testing.assert_allclose(pred, pred_ref, rtol=1e-12)
    np.testing.assert_allclose(obs, obs_ref, rtol=1e-12)
    if strategy == "uniform" and n_bins == 20:
        assert pred.size < n_bins
    assert expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy) == pytest.approx(
        np.sum(w * np.abs(obs_ref - pred_ref)), rel=1e-12)


def test_bin_edges_are_closed_on_the_left():
    # 0.5 lies on the inner edge of two uniform bins: it belongs to the upper one; 1 to the last.
    pred, obs, w = calibration_table([0, 1, 1], [0.0, 0.5, 1.0], n_bins=2)
    np.testing.assert_allclose(pred, [0.0, 0.75])
    np.testing.assert_allclose(obs, [0.0, 1.0])
    np.testing.assert_allclose(w, [1 / 3, 2 / 3])
    # Quantile edges of 5 predictions in 2 bins: 0.1, 0.3 (the median, a prediction), 0.5; the median
    # goes up.
    pred, obs, w = calibration_table([0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5], n_bins=2, strategy="quantile")
    np.testing.assert_allclose(pred, [0.15, 0.4])
    np.testing.assert_allclose(w, [0.4, 0.6])


def test_mce_is_the_largest_gap_and_bounds_the_ece(binary_data):
    assert maximum_calibration_error([0, 1, 1, 1], [0.2, 0.4, 0.8, 0.9], n_bins=2) == pytest.approx(0.2)
    y, p = binary_data
    for strategy in ("uniform", "quantile"):
        pred, obs, _ = calibration_table(y, p, n_bins=8, strategy=strategy)
        mce = maximum_calibration_error(y, p, n_bins=8, strategy=strategy)
        assert mce == np.max(np.abs(obs - pred))
        assert mce >= expected_calibration_error(y, p, n_bins=8, strategy=strategy)


# --- more than two classes ------------------------------------------------------------------------

# Confidences 0.6, 0.6, 0.8, 0.8; the argmax is right for rows 0, 2 and 3.
P_SMALL = np.array([[0.6, 0.3, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])
Y_SMALL = np.array([0, 2, 2, 0])


def test_top_label_hand_worked():
    # Bins [0.5, 0.75): accuracy 1/2, confidence 0.6; [0.75, 1]: accuracy 1, confidence 0.8.
    assert expected_calibration_error(Y_SMALL, P_SMALL, n_bins=4) == pytest.approx(0.5 * 0.1 + 0.5 * 0.2)
    assert maximum_calibration_error(Y_SMALL, P_SMALL, n_bins=4) == pytest.approx(0.2)
    # One bin: |mean accuracy - mean confidence| = |3/4 - 0.7|.
    assert expected_calibration_error(Y_SMALL, P_SMALL, n_bins=1) == pytest.approx(0.05)
    # Target probabilities: observed = the target's probability of the predicted class
    # (0.5, 0.25 in the first bin; 0.9, 1.0 in the second).
    T = np.array([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.0, 0.1, 0.9], [1.0, 0.0, 0.0]])
    expected = 0.5 * abs(0.375 - 0.6) + 0.5 * abs(0.95 - 0.8)
    assert expected_calibration_error(T, P_SMALL, n_bins=4) == pytest.approx(expected)
    assert maximum_calibration_error(T, P_SMALL, n_bins=4) == pytest.approx(0.225)


def test_top_label_ties_take_the_first_column():
    P = np.array([[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]])
    assert expected_calibration_error([0, 0], P, n_bins=1) == pytest.approx(0.6)  # predicted 0: right
    assert expected_calibration_error([1, 1], P, n_bins=1) == pytest.approx(0.4)  # predicted 0: wrong


def test_classwise_hand_worked():
    # Column 0, bins of width 1/4: {0.2, 0.1} -> gap 0.15 (weight 1/2), {0.6} -> 0.4, {0.8} -> 0.2.
    # Column 1: {0.1, 0.1} -> 0.1, {0.3} -> 0.3, {0.6} -> 0.6. Column 2: {0.1, 0.2, 0.1} -> 0.2, {0.8} -> 0.2.
    per_class = [0.5 * 0.15 + 0.25 * 0.4 + 0.25 * 0.2, 0.5 * 0.1 + 0.25 * 0.3 + 0.25 * 0.6, 0.75 * 0.2 + 0.25 * 0.2]
    ece = expected_calibration_error(Y_SMALL, P_SMALL, n_bins=4, kind="classwise")
    assert ece == pytest.approx(np.mean(per_class))
    assert maximum_calibration_error(Y_SMALL, P_SMALL, n_bins=4, kind="classwise") == pytest.approx(0.6)


@pytest.mark.parametrize("n_bins", [5, 12])
def test_top_label_equals_guo_definition(multiclass_data, n_bins):
    y, P = multiclass_data
    conf, correct = top_label(P.tolist(), y.tolist())
    assert expected_calibration_error(y, P, n_bins=n_bins) == pytest.approx(textbook_ece(conf, correct, n_bins),
                                                                            rel=1e-12)
    assert maximum_calibration_error(y, P, n_bins=n_bins) == pytest.approx(textbook_mce(conf, correct, n_bins),
                                                                           rel=1e-12)
    # One-hot rows are the labels; equal-mass bins on the confidence.
    onehot = np.eye(P.shape[1])[y]
    assert expected_calibration_error(onehot, P, n_bins=n_bins) == expected_calibration_error(y, P, n_bins=n_bins)
    assert expected_calibration_error(y, P, n_bins=n_bins, strategy="quantile") == pytest.approx(
        equal_mass_ece(conf, correct, n_bins), rel=1e-12)


def test_classwise_equals_kull_definition(multiclass_data):
    y, P = multiclass_data
    n_classes = P.shape[1]
    per_class = [textbook_ece(list(P[:, k]), [1.0 if label == k else 0.0 for label in y], 10)
                 for k in range(n_classes)]
    assert expected_calibration_error(y, P, kind="classwise") == pytest.approx(sum(per_class) / n_classes, rel=1e-12)
    per_class_mce = [textbook_mce(list(P[:, k]), [1.0 if label == k else 0.0 for label in y], 10)
                     for k in range(n_classes)]
    assert maximum_calibration_error(y, P, kind="classwise") == pytest.approx(max(per_class_mce), rel=1e-12)
    # Target probabilities: each column against the target's column.
    rng = np.random.default_rng(5)
    T = rng.dirichlet(np.ones(n_classes), size=P.shape[0])
    expected = np.mean([expected_calibration_error(T[:, k], P[:, k]) for k in range(n_classes)])
    assert expected_calibration_error(T, P, kind="classwise") == pytest.approx(expected, rel=1e-12)


def test_calibrated_predictions_have_small_ece_and_miscalibrated_large():
    rng = np.random.default_rng(6)
    n = 100_000
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(int)  # labels drawn from the predictions: calibrated
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, p, strategy="quantile") < 0.01
    assert maximum_calibration_error(y, p) < 0.03
    y_over = (rng.uniform(size=n) < p ** 2).astype(int)  # the model overestimates: gap E[p - p^2] = 1/6
    assert expected_calibration_error(y_over, p) == pytest.approx(1 / 6, abs=0.01)

    P = rng.dirichlet(np.ones(5), size=n)
    labels = draw_labels(P, rng)
    assert expected_calibration_error(labels, P) < 0.01
    assert expected_calibration_error(labels, P, kind="classwise") < 0.01
    sharp = P ** 3 / (P ** 3).sum(axis=1, keepdims=True)  # overconfident
    assert expected_calibration_error(labels, sharp) > 0.1
    assert expected_calibration_error(labels, sharp, kind="classwise") > 0.03


def test_float32_probability_rows_are_accepted():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(200, 50)).astype(np.float32)
    P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y = rng.integers(0, 50, size=200)
    assert 0 <= expected_calibration_error(y, P) <= 1
    # Rows off by 1e-7 in float64 are probabilities too.
    Q = np.full((4, 3), 1 / 3) + np.array([1e-7, 0, 0])
    assert expected_calibration_error([0, 1, 2, 0], Q, n_bins=1) == pytest.approx(abs(0.5 - (1 / 3 + 1e-7)))
    # Off by 1e-5 they are not.
    with pytest.raises(ValueError, match="within 1e-06"):
        expected_calibration_error([0, 1, 2, 0], np.full((4, 3), 1 / 3) + np.array([1e-5, 0, 0]))


# --- Brier score decomposition ---------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_brier_identity_is_exact_for_predictions_constant_in_bins(strategy):
    rng = np.random.default_rng(8)
    n_bins = 10
    # Bin centres, 300 predictions each: one value per uniform bin and per quantile bin.
    p = rng.permutation(np.repeat((np.arange(n_bins) + 0.5) / n_bins, 300))
    y = (rng.uniform(size=3000) < p ** 1.3).astype(int)
    w = rng.uniform(size=3000)
    for sample_weight in (None, w):
        d = brier_score_decomposition(y, p, n_bins=n_bins, strategy=strategy, sample_weight=sample_weight)
        assert isinstance(d, BrierDecomposition)
        assert d.brier == pytest.approx(brier_score_loss(y, p, sample_weight=sample_weight), rel=1e-12)
        assert d.reliability - d.resolution + d.uncertainty == pytest.approx(d.brier, rel=1e-12)
        base = np.average(y, weights=sample_weight)
        assert d.uncertainty == pytest.approx(base * (1 - base), rel=1e-12)
    # Hand-worked: bins {0.2: labels 0, 0, 1} and {0.7: labels 0, 1, 1}, base rate 1/2.
    d = brier_score_decomposition([0, 0, 1, 0, 1, 1], [0.2, 0.2, 0.2, 0.7, 0.7, 0.7], n_bins=2)
    assert d.reliability == pytest.approx(0.5 * (0.2 - 1 / 3) ** 2 + 0.5 * (0.7 - 2 / 3) ** 2)
    assert d.resolution == pytest.approx((1 / 6) ** 2)
    assert d.uncertainty == pytest.approx(0.25)
    assert d.brier == pytest.approx((2 * 0.2 ** 2 + 0.8 ** 2 + 0.7 ** 2 + 2 * 0.3 ** 2) / 6)


def test_brier_decomposition_terms_equal_textbook_bins(binary_data):
    y, p = binary_data
    bins = textbook_bins(list(p), list(y), 10)
    base = sum(w * o for w, _, o in bins)
    d = brier_score_decomposition(y, p)
    assert d.reliability == pytest.approx(sum(w * (c - o) ** 2 for w, c, o in bins), rel=1e-12)
    assert d.resolution == pytest.approx(sum(w * (o - base) ** 2 for w, _, o in bins), rel=1e-12)
    assert d.brier == pytest.approx(brier_score_loss(y, p), rel=1e-12)


def test_brier_identity_off_by_the_within_bin_terms_otherwise():
    rng = np.random.default_rng(9)
    n = 5000
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(int)
    gaps = {}
    for n_bins in (2, 10, 100):
        d = brier_score_decomposition(y, p, n_bins=n_bins)
        gap = d.brier - (d.reliability - d.resolution + d.uncertainty)
        assert gap == pytest.approx(within_bin_terms(list(p), list(y), n_bins), rel=1e-9, abs=1e-12)
        h = 1 / n_bins
        assert abs(gap) <= h ** 2 / 4 + h / 2  # the bound stated in the docstring
        gaps[n_bins] = gap
    # Calibrated within bins, cov_b(p, y) ~ var_b(p): the gap is about -1/(12 n_bins^2), vanishing with finer bins.
    assert gaps[2] == pytest.approx(-1 / 48, abs=0.005)
    assert abs(gaps[100]) < 1e-3 < abs(gaps[10]) < abs(gaps[2])


def test_brier_decomposition_of_soft_targets_is_that_of_two_weighted_copies():
    rng = np.random.default_rng(10)
    p = rng.uniform(size=400)
    t = rng.uniform(size=400)
    d = brier_score_decomposition(t, p, n_bins=6)
    copies = brier_score_decomposition(np.r_[np.ones(400), np.zeros(400)], np.r_[p, p], n_bins=6,
                                       sample_weight=np.r_[t, 1 - t])
    np.testing.assert_allclose(d, copies, rtol=1e-10)
    assert d.brier == pytest.approx(brier_score_loss(np.r_[np.ones(400), np.zeros(400)], np.r_[p, p],
                                                     sample_weight=np.r_[t, 1 - t]), rel=1e-12)
    centres = (np.floor(p * 6) + 0.5) / 6
    d = brier_score_decomposition(t, centres, n_bins=6)
    assert d.reliability - d.resolution + d.uncertainty == pytest.approx(d.brier, rel=1e-12)


# --- bad inputs -----------------------------------------------------------------------------------

METRICS = [expected_calibration_error, maximum_calibration_error]
BINARY_METRICS = [*METRICS, brier_score_decomposition, calibration_table]
P3 = [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]]


@pytest.mark.parametrize("metric", BINARY_METRICS)
@pytest.mark.parametrize(
    "y_true, y_prob, kwargs, match",
    [
        ([0, 1, 1], [0.2, 0.3], {}, "must match"),
        ([], [], {}, "empty"),
        ([0, 1], [0.2, 1.2], {}, r"probabilities in \[0, 1\].*expit"),
        ([0, 1], [0.2, np.nan], {}, "NaN"),
        ([0, 2], [0.2, 0.3], {}, r"y_true must hold probabilities in \[0, 1\]"),
        ([0, 1], [[0.5, 0.6], [0.5, 0.5]], {}, "sum to 1.*predict_proba"),
        ([[0.2, 0.9], [0.5, 0.5]], [0.5, 0.5], {}, "y_true must sum to 1"),
        ([0, 1], [[0.2], [0.3]], {}, "one column|n, 2"),
        ([0, 1], [0.2, 0.3], {"n_bins": 0}, "n_bins must be a positive integer"),
        ([0, 1], [0.2, 0.3], {"n_bins": 2.5}, "n_bins"),
        ([0, 1], [0.2, 0.3], {"n_bins": True}, "n_bins"),
        ([0, 1], [0.2, 0.3], {"strategy": "kmeans"}, "strategy must be 'uniform' or 'quantile'"),
        ([0, 1], [0.2, 0.3], {"sample_weight": [1.0, -1.0]}, "sample_weight must be non-negative"),
        ([0, 1], [0.2, 0.3], {"sample_weight": [1.0]}, "sample_weight.*length"),
        ([0, 1], [0.2, 0.3], {"sample_weight": [0.0, 0.0]}, "positive sum"),
    ],
)
def test_binary_bad_inputs(metric, y_true, y_prob, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metric(y_true, y_prob, **kwargs)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    "y_true, y_prob, kwargs, match",
    [
        ([0, 1, 2], P3, {}, "must match"),
        ([], np.zeros((0, 3)), {}, "empty"),
        ([[1, 0, 0]], P3, {}, "shape"),
        ([0, 3], P3, {}, r"labels must lie in 0\.\.2.*Encode"),
        ([-1, 0], P3, {}, r"0\.\.2"),
        ([0.5, 1], P3, {}, "integer class labels"),
        (["a", "b"], P3, {}, "integer class labels.*classes_"),
        ([0, 1], [[0.2, 0.3, 0.6], [0.6, 0.2, 0.2]], {}, r"row 0 sums to 1\.1"),
        ([0, 1], [[-0.1, 0.6, 0.5], [0.6, 0.2, 0.2]], {}, r"\[0, 1\]"),
        ([[0.2, 0.2, 0.2], [1, 0, 0]], P3, {}, "y_true must sum to 1"),
        ([0, 1], P3, {"kind": "marginal"}, "kind must be 'top-label' or 'classwise'"),
        ([0, 1], [0.2, 0.3], {"kind": "top_label"}, "kind"),
        ([0, 1], P3, {"strategy": "kmeans"}, "strategy"),
        ([0, 1], P3, {"n_bins": -1}, "n_bins"),
    ],
)
def test_multiclass_bad_inputs(metric, y_true, y_prob, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metric(y_true, y_prob, **kwargs)


@pytest.mark.parametrize("metric", [brier_score_decomposition, calibration_table])
def test_binary_only_functions_reject_more_classes(metric):
    with pytest.raises(ValueError, match=r"\(n, 2\).*y_prob\[:, k\]"):
        metric([0, 1], P3)


# --- the reliability display -----------------------------------------------------------------------


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [4, 10])
def test_display_from_predictions_shows_the_ece_of_the_same_bins(plt, binary_data, strategy, n_bins):
    from sklogloss.plotting import ReliabilityDisplay

    y, p = binary_data
    w = np.random.default_rng(11).uniform(size=p.size)
    for sample_weight in (None, w):
        disp = ReliabilityDisplay.from_predictions(y, p, n_bins=n_bins, strategy=strategy, name="model",
                                                   sample_weight=sample_weight)
        ece = expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy, sample_weight=sample_weight)
        assert disp.ece == ece
        assert disp.line_.get_label() == f"model (ECE {ece:.4f})"
        legend = [text.get_text() for text in disp.ax_.get_legend().get_texts()]
        assert legend == ["perfectly calibrated", f"model (ECE {ece:.4f})"]
        pred, obs, weight = calibration_table(y, p, n_bins=n_bins, strategy=strategy, sample_weight=sample_weight)
        np.testing.assert_array_equal(disp.prob_pred, pred)
        np.testing.assert_array_equal(disp.prob_true, obs)
        np.testing.assert_array_equal(disp.bin_weight, weight)
        np.testing.assert_array_equal(disp.line_.get_xdata(), pred)
        np.testing.assert_array_equal(disp.line_.get_ydata(), obs)
        np.testing.assert_array_equal(disp.y_prob, p)
        assert disp.figure_ is disp.ax_.figure
        assert (disp.n_bins, disp.strategy, disp.estimator_name) == (n_bins, strategy, "model")


def test_display_bins_equal_sklearn_calibration_curve(plt, binary_data):
    from sklogloss.plotting import ReliabilityDisplay

    y, p = binary_data
    disp = ReliabilityDisplay.from_predictions(y, np.column_stack([1 - p, p]), n_bins=7, strategy="quantile")
    obs_ref, pred_ref = calibration_curve(y, p, n_bins=7, strategy="quantile")
    np.testing.assert_allclose(disp.prob_true, obs_ref, rtol=1e-12)
    np.testing.assert_allclose(disp.prob_pred, pred_ref, rtol=1e-12)
    assert disp.line_.get_label() == f"ECE {disp.ece:.4f}"  # no name: the ECE alone


def test_display_from_estimator(plt):
    from sklearn.datasets import make_classification

    from sklogloss import LogisticClassifier
    from sklogloss.plotting import ReliabilityDisplay

    X, y01 = make_classification(n_samples=400, n_features=5, random_state=0)
    y = np.where(y01 == 1, "yes", "no")
    clf = LogisticClassifier().fit(X, y)
    assert clf.classes_.tolist() == ["no", "yes"]
    disp = ReliabilityDisplay.from_estimator(clf, X, y, n_bins=8, strategy="quantile")
    ref = ReliabilityDisplay.from_predictions(y == "yes", clf.predict_proba(X)[:, 1], n_bins=8, strategy="quantile")
    assert disp.ece == ref.ece
    np.testing.assert_array_equal(disp.prob_true, ref.prob_true)
    assert disp.estimator_name == "LogisticClassifier"
    assert disp.line_.get_label() == f"LogisticClassifier (ECE {disp.ece:.4f})"
    # Soft targets, for a model whose classes are 0 and 1.
    t = np.clip(y01 * 0.8 + 0.1, 0, 1)
    soft = LogisticClassifier().fit(X, t)
    disp = ReliabilityDisplay.from_estimator(soft, X, t, name="soft")
    assert disp.ece == expected_calibration_error(t, soft.predict_proba(X)[:, 1])


def test_displays_share_an_axes_and_plot_reliability_diagram_agrees(plt, binary_data):
    from sklogloss.plotting import ReliabilityDisplay, plot_reliability_diagram

    y, p = binary_data
    q = np.clip(p * 1.2, 0, 1)
    _, ax = plt.subplots()
    first = ReliabilityDisplay.from_predictions(y, p, ax=ax, name="a")
    second = ReliabilityDisplay.from_predictions(y, q, ax=ax, name="b", color="black", ls=":")
    assert first.ax_ is second.ax_ is ax
    assert [line.get_label() for line in ax.get_lines()].count("perfectly calibrated") == 1
    assert second.line_.get_color() == "black" and second.line_.get_linestyle() == ":"
    # Replotting on a new Axes moves the curve; the name can be changed.
    assert first.plot(name="renamed").line_.get_label() == f"renamed (ECE {first.ece:.4f})"
    assert first.ax_ is not ax

    ax = plot_reliability_diagram(y, {"a": p, "b": q}, n_bins=6, strategy="quantile")
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    eces = [expected_calibration_error(y, v, n_bins=6, strategy="quantile") for v in (p, q)]
    assert legend == ["perfectly calibrated", f"a (ECE {eces[0]:.4f})", f"b (ECE {eces[1]:.4f})"]
    assert ax.get_xlabel() == "mean predicted probability" and ax.get_ylabel() == "observed frequency"
    _, own = plt.subplots()
    assert plot_reliability_diagram(y, {}, ax=own) is own
    assert [line.get_label() for line in own.get_lines()] == ["perfectly calibrated"]


def test_display_errors(plt):
    from sklearn.datasets import make_classification
    from sklearn.exceptions import NotFittedError
    from sklearn.svm import LinearSVC

    from sklogloss import LogisticClassifier
    from sklogloss.plotting import ReliabilityDisplay

    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0)
    multi = LogisticClassifier().fit(X, y)
    with pytest.raises(ValueError, match=r"binary problems.*classes \[0, 1, 2\].*kind='top-label'"):
        ReliabilityDisplay.from_estimator(multi, X, y)
    with pytest.raises(ValueError, match=r"3 columns.*expected_calibration_error"):
        ReliabilityDisplay.from_predictions(y, multi.predict_proba(X))
    y2 = (y == 1).astype(int)
    with pytest.raises(ValueError, match="no predict_proba.*CalibratedClassifierCV"):
        ReliabilityDisplay.from_estimator(LinearSVC().fit(X, y2), X, y2)
    binary = LogisticClassifier().fit(X, y2)
    with pytest.raises(ValueError, match=r"labels the estimator does not know: \[2"):
        ReliabilityDisplay.from_estimator(binary, X, y)
    with pytest.raises(NotFittedError):
        ReliabilityDisplay.from_estimator(LogisticClassifier(), X, y2)
    with pytest.raises(ValueError, match="strategy"):
        ReliabilityDisplay.from_predictions(y2, binary.predict_proba(X), strategy="kmeans")
