"""A short tour of sklogloss on data that ships with scikit-learn.

Run it with ``python -m sklogloss.demo`` (``make demo``). It prints a report
and writes a reliability diagram to ``demo_output/reliability.png``.
"""

import os
import time
import warnings

import numpy as np

# One binning for the calibration table and the reliability diagram, so that both show the same ECE.
CALIBRATION_BINS = {"n_bins": 10, "strategy": "uniform"}


def _section(title):
    print(f"\n{title}\n{'-' * len(title)}")


def main(output_dir="demo_output"):
    """Fit, cross-validate, check calibration and fit soft labels; print the report.

    Parameters
    ----------
    output_dir : str, default="demo_output"
        Where the reliability diagram is written.

    Returns
    -------
    dict
        The numbers the report prints (accuracies, losses, calibration errors), and the ECE and
        legend label of each curve of the reliability diagram (``figure_ece[...]``, ``figure_label[...]``).
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, log_loss
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklogloss import LogisticClassifier
    from sklogloss.metrics import expected_calibration_error, soft_log_loss

    report = {}
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    print("sklogloss tour: breast cancer data (569 samples, 30 features), 70/30 split")

    _section("1. Fit: the same model as scikit-learn's LogisticRegression")
    scaler = StandardScaler().fit(X_train)
    Xs_train, Xs_test = scaler.transform(X_train), scaler.transform(X_test)
    t0 = time.perf_counter()
    ours = LogisticClassifier(C=1.0).fit(Xs_train, y_train)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10).fit(Xs_train, y_train)
    t_ref = time.perf_counter() - t0
    diff = float(np.abs(ours.coef_ - ref.coef_).max())
    print(f"solver chosen: {ours.solver_}, {ours.n_iter_[0]} Newton steps, {t_ours * 1e3:.1f} ms "
          f"(scikit-learn newton-cholesky: {t_ref * 1e3:.1f} ms)")
    print(f"max |coef difference| to scikit-learn: {diff:.1e}")
    print(f"test accuracy: {ours.score(Xs_test, y_test):.3f}")
    report["coef_difference"] = diff
    report["test_accuracy"] = ours.score(Xs_test, y_test)

    _section("2. Cross-validation in a Pipeline")
    pipe = make_pipeline(StandardScaler(), LogisticClassifier())
    for C in (0.01, 0.1, 1.0, 10.0):
        pipe.set_params(logisticclassifier__C=C)
        scores = cross_val_score(pipe, X, y, cv=5, scoring="neg_log_loss")
        print(f"C={C:<5g} 5-fold log loss {-scores.mean():.4f} +- {scores.std():.4f}")
    report["cv_log_loss_C1"] = -cross_val_score(pipe.set_params(logisticclassifier__C=1.0),
                                                X, y, cv=5, scoring="neg_log_loss").mean()

    _section("3. Calibration on the test set")
    models = {
        "C=1": LogisticClassifier(C=1.0).fit(Xs_train, y_train),
        "C=inf (separable: no MLE)": None,
        "label smoothing 0.1": LogisticClassifier(C=1.0, label_smoothing=0.1).fit(Xs_train, y_train),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models["C=inf (separable: no MLE)"] = LogisticClassifier(C=np.inf).fit(Xs_train, y_train)
    if caught:
        print(f"C=inf warns: {caught[0].category.__name__}")
    probas = {}
    print(f"ECE over {CALIBRATION_BINS['n_bins']} {CALIBRATION_BINS['strategy']} bins (as in the reliability diagram)")
    print(f"{'model':28s} {'log loss':>9s} {'Brier':>7s} {'ECE':>7s}")
    for name, model in models.items():
        p = model.predict_proba(Xs_test)[:, 1]
        probas[name] = p
        ll = log_loss(y_test, p)
        ece = expected_calibration_error(y_test, p, **CALIBRATION_BINS)
        print(f"{name:28s} {ll:9.4f} {brier_score_loss(y_test, p):7.4f} {ece:7.4f}")
        report[f"ece[{name}]"] = ece

    _section("4. Soft labels: learning from probabilities")
    # A teacher's probabilities (e.g. averaged annotators) carry more than hard labels.
    teacher = LogisticClassifier(C=1.0).fit(Xs_train, y_train)
    soft = teacher.predict_proba(Xs_train)[:, 1]
    student = LogisticClassifier(C=1.0).fit(Xs_train[:, :10], soft)
    hard = LogisticClassifier(C=1.0).fit(Xs_train[:, :10], y_train)
    p_teacher = teacher.predict_proba(Xs_test)[:, 1]
    for name, model in (("student on soft labels", student), ("student on hard labels", hard)):
        p = model.predict_proba(Xs_test[:, :10])[:, 1]
        print(f"{name:24s} (10 of 30 features): test accuracy {model.score(Xs_test[:, :10], y_test):.3f}, "
              f"cross-entropy to teacher {soft_log_loss(p_teacher, p):.4f}")
    report["student_soft_ce"] = soft_log_loss(p_teacher, student.predict_proba(Xs_test[:, :10])[:, 1])

    _section("5. SoftmaxClassifier: multinomial logistic regression")
    from sklearn.datasets import load_digits

    from sklogloss import SoftmaxClassifier

    Xd, yd = load_digits(return_X_y=True)
    Xd = StandardScaler().fit_transform(Xd)
    Xd_train, Xd_test, yd_train, yd_test = train_test_split(Xd, yd, test_size=0.3, random_state=0,
                                                            stratify=yd)
    soft = SoftmaxClassifier(C=0.1).fit(Xd_train, yd_train)
    ref_multi = LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-10).fit(Xd_train, yd_train)
    pdiff = float(np.abs(soft.predict_proba(Xd_test) - ref_multi.predict_proba(Xd_test)).max())
    print(f"digits (10 classes): test accuracy {soft.score(Xd_test, yd_test):.3f}; "
          f"max |probability difference| to scikit-learn's multinomial fit: {pdiff:.1e}")
    smooth = SoftmaxClassifier(C=0.1, label_smoothing=0.1).fit(Xd_train, yd_train)
    print(f"label smoothing 0.1: test log loss {log_loss(yd_test, smooth.predict_proba(Xd_test)):.4f} "
          f"(none: {log_loss(yd_test, soft.predict_proba(Xd_test)):.4f})")
    report["softmax_proba_difference"] = pdiff

    _section("6. NoiseCorrectedClassifier: learning from noisy labels")
    from sklogloss import NoiseCorrectedClassifier
    from sklogloss.noise_estimation import flip_labels, pair_flip_transition_matrix

    T = pair_flip_transition_matrix(10, 0.35)
    noisy = flip_labels(yd_train, T, random_state=0)
    print(f"35% of each digit's training labels flipped to the next digit "
          f"({np.mean(noisy != yd_train):.0%} wrong); test labels clean")
    for name, model in (
        ("uncorrected", NoiseCorrectedClassifier(transition_matrix=None)),
        ("forward correction, true T", NoiseCorrectedClassifier(transition_matrix=T)),
        ("forward correction, estimated T", NoiseCorrectedClassifier()),
    ):
        acc = model.fit(Xd_train, noisy).score(Xd_test, yd_test)
        print(f"{name:34s} clean test accuracy {acc:.3f}")
        report[f"noise[{name}]"] = acc

    _section("7. HurdleRegressor: counts with many zeros")
    from sklogloss import HurdleRegressor

    rng = np.random.default_rng(0)
    Xc = rng.normal(size=(3000, 2))
    p_pos = 1 / (1 + np.exp(-(0.5 + Xc @ [1.0, -0.5])))
    mu = np.exp(0.8 + Xc @ [0.3, 0.4])
    # Zero-truncated Poisson draws by inversion: u uniform on (P(0), 1).
    from scipy.stats import poisson

    u = rng.uniform(np.exp(-mu), 1.0)
    counts = np.where(rng.uniform(size=3000) < p_pos, poisson.ppf(u, mu), 0).astype(int)
    hurdle = HurdleRegressor(count_distribution="poisson").fit(Xc, counts)
    print(f"{np.mean(counts == 0):.0%} zeros; zero part coef {hurdle.zero_estimator_.coef_.ravel().round(2)} "
          f"(true [1.0, -0.5]); count part coef {hurdle.count_coef_.round(2)} (true [0.3, 0.4])")
    pmf = hurdle.predict_pmf(Xc, max_count=6).mean(axis=0)
    observed = np.bincount(counts, minlength=7)[:7] / len(counts)
    print("count    " + " ".join(f"{k:6d}" for k in range(7)))
    print("observed " + " ".join(f"{v:6.3f}" for v in observed))
    print("expected " + " ".join(f"{v:6.3f}" for v in pmf))
    report["hurdle_count_coef"] = hurdle.count_coef_

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sklogloss.plotting import ReliabilityDisplay
    except ImportError:
        print("\nmatplotlib is not installed: no reliability diagram (pip install sklogloss[demo]).")
    else:
        os.makedirs(output_dir, exist_ok=True)
        _, ax = plt.subplots(figsize=(5, 5))
        for name, p in probas.items():
            disp = ReliabilityDisplay.from_predictions(y_test, p, name=name, ax=ax, **CALIBRATION_BINS)
            report[f"figure_ece[{name}]"] = disp.ece
            report[f"figure_label[{name}]"] = disp.line_.get_label()
        ax.set_title(f"Breast cancer test set ({CALIBRATION_BINS['n_bins']} {CALIBRATION_BINS['strategy']} bins)")
        path = os.path.join(output_dir, "reliability.png")
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(ax.figure)
        print(f"\nreliability diagram written to {path}")
    return report


if __name__ == "__main__":
    main()
