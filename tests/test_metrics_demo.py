import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import log_loss

from sklogloss.metrics import (
    calibration_table,
    expected_calibration_error,
    soft_log_loss,
)


def test_soft_log_loss_equals_sklearn_on_hard_labels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=100)
    p = rng.uniform(0.01, 0.99, size=100)
    w = rng.uniform(size=100)
    assert soft_log_loss(y, p, sample_weight=w) == pytest.approx(log_loss(y, p, sample_weight=w), rel=1e-12)
    # Soft target t = hard labels 1 and 0 weighted t and 1 - t.
    t = rng.uniform(size=100)
    both = log_loss(np.r_[np.ones(100), np.zeros(100)], np.r_[p, p], sample_weight=np.r_[t, 1 - t])
    assert soft_log_loss(t, p) == pytest.approx(both, rel=1e-12)


def test_calibration_table_matches_sklearn_calibration_curve():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p ** 2).astype(int)
    for strategy in ("uniform", "quantile"):
        pred, obs, w = calibration_table(y, p, n_bins=7, strategy=strategy)
        obs_ref, pred_ref = calibration_curve(y, p, n_bins=7, strategy=strategy)
        np.testing.assert_allclose(pred, pred_ref, rtol=1e-12)
        np.testing.assert_allclose(obs, obs_ref, rtol=1e-12)
        assert w.sum() == pytest.approx(1.0)


def test_ece_zero_for_calibrated_bins_and_positive_otherwise():
    p = np.repeat([0.25, 0.75], 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.0, abs=1e-15)
    assert expected_calibration_error(1 - y, p, n_bins=2) == pytest.approx(0.5)


def test_metric_input_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        soft_log_loss([0, 2], [0.5, 0.5])
    with pytest.raises(ValueError, match="match"):
        expected_calibration_error([0, 1], [0.5])
    with pytest.raises(ValueError, match="strategy"):
        calibration_table([0, 1], [0.2, 0.7], strategy="kmeans")


def test_demo_runs_and_reports(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from sklogloss.demo import main

    report = main(output_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert "reliability diagram written" in out
    assert (tmp_path / "reliability.png").stat().st_size > 10_000
    assert report["coef_difference"] < 1e-6
    assert report["test_accuracy"] > 0.9
    assert report["softmax_proba_difference"] < 1e-6
    assert report["noise[forward correction, true T]"] > report["noise[uncorrected]"] + 0.1
    assert report["noise[forward correction, estimated T]"] > report["noise[uncorrected]"] + 0.1
    np.testing.assert_allclose(report["hurdle_count_coef"], [0.3, 0.4], atol=0.1)
    # The calibration table and the reliability diagram show the same ECE for every model.
    names = [key[4:-1] for key in report if key.startswith("ece[")]
    assert len(names) == 3
    for name in names:
        assert report[f"figure_ece[{name}]"] == report[f"ece[{name}]"]
        assert report[f"figure_label[{name}]"] == f"{name} (ECE {report[f'ece[{name}]']:.4f})"
        row = next(line for line in out.splitlines() if line.startswith(f"{name:28s} "))
        assert row.endswith(f" {report[f'ece[{name}]']:7.4f}")


def test_soft_log_loss_excess_is_the_kl_divergence_to_the_targets():
    from scipy.special import rel_entr

    rng = np.random.default_rng(0)
    t, p = rng.uniform(0.05, 0.95, 200), rng.uniform(0.05, 0.95, 200)
    kl = rel_entr(t, p) + rel_entr(1 - t, 1 - p)  # KL(Bernoulli(t) || Bernoulli(p)), scipy's own
    assert soft_log_loss(t, p, excess=True) == pytest.approx(kl.mean(), rel=1e-12)
    # The floor: the cross-entropy is at least the targets' entropy, attained at p = t only.
    entropy = -(t * np.log(t) + (1 - t) * np.log1p(-t)).mean()
    assert soft_log_loss(t, t) == pytest.approx(entropy, rel=1e-12)
    assert soft_log_loss(t, t, excess=True) == pytest.approx(0.0, abs=1e-15)
    assert soft_log_loss(t, p) > entropy
