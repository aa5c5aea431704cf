import re

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


def _report_sections(path):
    """``{title: (rows, figures)}`` of a tour report: its table rows ``{name: text}`` and embedded figures."""
    sections, title = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].split(". ", 1)[1]
            sections[title] = ({}, [])
        elif title and line.startswith("| ") and not line.startswith("| number |"):
            cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            sections[title][0][cells[0]] = cells[1]
        elif title and line.startswith("!["):
            sections[title][1].append(re.fullmatch(r"!\[.*\]\((.+)\)", line).group(1))
    return sections


def _check_report(results, output_dir):
    """The report holds every step's numbers as the step returned them, and figures that exist and show them."""
    sections = _report_sections(output_dir / "report.md")
    assert list(sections) == [r.title for r in results]
    for r in results:
        rows, figures = sections[r.title]
        assert r.skipped is None, r.skipped
        # Every number in the report is the step's own value, formatted once; none is missing or extra.
        assert rows == {name: format(value, r.formats[name]) for name, value in r.numbers.items()}
        assert all(np.isfinite(value) for value in r.numbers.values())
        assert figures == [r.figure]
        assert (output_dir / r.figure).stat().st_size > 10_000
        # The numbers drawn on the figure are the same strings.
        assert r.figure_numbers
        drawn = "\n".join(r.figure_texts)
        for name in r.figure_numbers:
            assert r.text(name) in drawn, (r.key, name, r.text(name))


def test_demo_steps_report_their_numbers(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("statsmodels")
    from sklogloss import LogisticClassifier
    from sklogloss.demo import STEPS, _breast_cancer, run_step, write_report

    results = [run_step(key, str(tmp_path)) for key in ("calibration", "inference")]
    write_report(results, str(tmp_path))
    _check_report(results, tmp_path)
    calibration, inference = results
    # The ECE on the reliability diagram is expected_calibration_error of the same bins.
    X_train, X_test, y_train, y_test, _ = _breast_cancer()
    p = LogisticClassifier(C=1.0).fit(X_train, y_train).predict_proba(X_test)[:, 1]
    assert calibration.numbers["ECE [C=1]"] == pytest.approx(expected_calibration_error(y_test, p, n_bins=10),
                                                              rel=1e-12)
    assert calibration.numbers["ECE [C=inf (separable: no MLE)]"] > calibration.numbers["ECE [C=1]"]
    assert inference.numbers["max |std err difference| to statsmodels"] < 1e-8
    assert inference.numbers["likelihood ratio, TUCE = PSI = 0"] == pytest.approx(
        inference.numbers["likelihood ratio, TUCE = PSI = 0 (statsmodels)"], rel=1e-9)
    assert len(STEPS) == 12
    with pytest.raises(ValueError, match="Unknown step"):
        run_step("no such step", str(tmp_path))


@pytest.mark.slow  # the whole tour (20-35 s); the fast test above checks two steps and the report
def test_demo_tour_runs_every_step(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("statsmodels")
    from sklogloss.demo import STEPS, main

    results = main(output_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert list(results) == list(STEPS)
    _check_report(list(results.values()), tmp_path)
    # Each step printed its sentence and its numbers as the report shows them.
    for r in results.values():
        assert r.summary in out
        for name in r.numbers:
            assert re.search(rf"^  {re.escape(name)} +{re.escape(r.text(name))}$", out, flags=re.MULTILINE)
    assert "report written to" in out
    n = {key: r.numbers for key, r in results.items()}
    assert n["newton"]["max |probability difference| to scikit-learn newton-cholesky"] < 1e-5
    assert n["soft_labels"]["label smoothing 0.1 vs smoothed targets: max |coef difference|"] < 1e-8
    for estimate in ("forward, true T", "forward, estimated T"):
        assert n["noise"][f"clean test accuracy [{estimate}]"] > n["noise"]["clean test accuracy [uncorrected]"] + 0.1
    assert n["hurdle"]["mean test log-likelihood [NB hurdle]"] > n["hurdle"]["mean test log-likelihood [Poisson GLM]"]
    assert n["cv"]["chosen C [LogisticClassifierCV]"] == n["cv"]["chosen C [scikit-learn LogisticRegressionCV]"]
    wine_C = n["cv"]["wine: chosen C [SoftmaxClassifierCV]"]
    assert wine_C == n["cv"]["wine: chosen C [scikit-learn LogisticRegressionCV]"]
    dro = n["group_dro"]
    assert dro["test worst-group loss [Group DRO]"] < dro["test worst-group loss [average loss (ERM)]"]
    robust = "robust (adversarial_epsilon=0.1)"
    assert (n["adversarial"][f"accuracy under PGD, epsilon=0.1 [{robust}]"]
            > n["adversarial"]["accuracy under PGD, epsilon=0.1 [standard]"])
    assert n["partial_fit"]["after 3 passes: max |coef difference| to fit"] < 1e-5
    assert abs(n["density_ratio"]["estimated log-ratio slope"] - 0.15) < 0.05


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
