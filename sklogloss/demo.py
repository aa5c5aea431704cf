"""The tour of sklogloss: every estimator and idea of the package on data that ship with a package.

Run it with ``python -m sklogloss.demo`` (``make demo``). Each step prints what
it shows and its key numbers and draws its figure (a PNG under the output
directory); the tour ends by writing ``report.md`` there, a Markdown section
per step with its sentence, its numbers and its figure.

Every number is computed once, formatted once (:meth:`StepResult.text`), and
the same string goes to the figure, to the printed lines and to the report.

The data: scikit-learn's breast cancer, digits, wine and diabetes data, and
statsmodels' RAND Health Insurance Experiment (``randhie``) and Spector and
Mazzeo data. The three steps that need statsmodels (the hurdle model, the
focal loss on the heavy users of health care, the inference summary) are
skipped, with a note, when it is not installed.
matplotlib is needed for the figures (``pip install sklogloss[demo]``).
"""

import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["STEPS", "StepResult", "main", "run_step", "write_report"]

#: Report file written at the end of the tour, in the output directory.
REPORT_NAME = "report.md"


@dataclass
class StepResult:
    """What one step of the tour found: its sentence, its numbers and its figure.

    Parameters
    ----------
    key : str
        Short name of the step (one of :data:`STEPS`).
    title : str
        Section title.
    summary : str
        One or two sentences saying what the step shows.
    numbers : dict of str to float
        The step's key numbers, by name.
    formats : dict of str to str
        A format specification per number (``format(value, spec)``).
    figure : str or None, default=None
        File name of the figure, relative to the output directory.
    figure_numbers : list of str, default=[]
        Names of the numbers drawn on the figure.
    figure_texts : list of str, default=[]
        Every text drawn on the figure (titles, labels, legend entries).
    skipped : str or None, default=None
        Why the step did not run (then there are no numbers and no figure).

    Examples
    --------
    >>> from sklogloss.demo import StepResult
    >>> r = StepResult("demo", "A step", "It shows a number.", {"accuracy": 0.91234}, {"accuracy": ".3f"})
    >>> r.text("accuracy")
    '0.912'
    """

    key: str
    title: str
    summary: str
    numbers: dict = field(default_factory=dict)
    formats: dict = field(default_factory=dict)
    figure: str = None
    figure_numbers: list = field(default_factory=list)
    figure_texts: list = field(default_factory=list)
    skipped: str = None

    def text(self, name):
        """The number ``name`` as the report, the printed lines and the figure show it.

        Parameters
        ----------
        name : str
            A key of :attr:`numbers`.

        Returns
        -------
        str
            ``format(numbers[name], formats[name])``.

        Examples
        --------
        >>> from sklogloss.demo import StepResult
        >>> StepResult("k", "t", "s", {"gap": 1.5e-7}, {"gap": ".1e"}).text("gap")
        '1.5e-07'
        """
        return format(self.numbers[name], self.formats[name])


class _Skip(Exception):
    """Raised by a step that cannot run (a missing optional package)."""


class _Step:
    """Collects a step's numbers as it computes them, and saves its figure."""

    def __init__(self, key, title, summary, output_dir):
        self.result = StepResult(key, title, summary)
        self.output_dir = output_dir

    def add(self, name, value, spec=".4f", figure=False):
        """Record a number; return its text (to draw on the figure when ``figure``)."""
        value = int(value) if spec == "d" else float(value)
        self.result.numbers[name] = value
        self.result.formats[name] = spec
        if figure:
            self.result.figure_numbers.append(name)
        return self.result.text(name)

    def save(self, fig, filename):
        """Write the figure as a PNG and keep its texts."""
        from matplotlib.text import Text

        self.result.figure_texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        self.result.figure = filename
        fig.savefig(os.path.join(self.output_dir, filename), dpi=100, bbox_inches="tight")


def _subplots(nrows=1, ncols=1, *, figsize, layout=None, **kwargs):
    """A figure and its axes, without pyplot: no backend is chosen and nothing stays open."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _require_statsmodels():
    try:
        import statsmodels.api as sm
    except ImportError as exc:
        raise _Skip("needs statsmodels (pip install statsmodels)") from exc
    return sm


def _breast_cancer(test_size=0.3):
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, test_size=test_size, random_state=0,
                                                        stratify=data.target)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, data.feature_names


def _randhie():
    sm = _require_statsmodels()
    data = sm.datasets.randhie.load_pandas().data
    features = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]
    return data[features].to_numpy(dtype=float), data["mdvis"].to_numpy().astype(int)


# ----------------------------------------------------------------------------- the steps
def _soft_labels(step):
    from sklearn.metrics import log_loss
    from sklearn.model_selection import cross_val_predict

    from . import LogisticClassifier
    from .metrics import soft_log_loss

    X_train, X_test, y_train, y_test, _ = _breast_cancer()
    # The teacher's out-of-fold probabilities on the training set are the student's soft labels.
    teacher = LogisticClassifier(C=1.0)
    soft = cross_val_predict(teacher, X_train, y_train, cv=5, method="predict_proba")[:, 1]
    p_teacher = teacher.fit(X_train, y_train).predict_proba(X_test)[:, 1]
    few = slice(0, 10)  # the ten "mean ..." features
    students = {"soft": LogisticClassifier(C=1.0).fit(X_train[:, few], soft),
                "hard": LogisticClassifier(C=1.0).fit(X_train[:, few], y_train)}
    texts = {}
    for kind, model in students.items():
        p = model.predict_proba(X_test[:, few])[:, 1]
        texts[kind] = (step.add(f"student on {kind} labels: test log loss", log_loss(y_test, p), figure=True),
                       step.add(f"student on {kind} labels: cross-entropy to the teacher", soft_log_loss(p_teacher, p),
                                figure=True), p)
    eps = 0.1
    smoothed = LogisticClassifier(C=1.0, label_smoothing=eps).fit(X_train, y_train)
    by_targets = LogisticClassifier(C=1.0).fit(X_train, (1 - eps) * y_train + eps / 2)
    step.add(f"label smoothing {eps:g} vs smoothed targets: max |coef difference|",
             np.abs(smoothed.coef_ - by_targets.coef_).max(), ".1e")

    fig, axes = _subplots(1, 2, figsize=(9, 4.2), sharey=True, layout="constrained")
    for ax, (kind, (ll, ce, p)) in zip(axes, texts.items()):
        ax.scatter(p_teacher, p, s=12, c=y_test, cmap="coolwarm", alpha=0.8)
        ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
        ax.set_title(f"student on {kind} labels\ntest log loss {ll}, cross-entropy to teacher {ce}", fontsize=10)
        ax.set_xlabel("teacher's probability (30 features)")
    axes[0].set_ylabel("student's probability (10 features)")
    fig.suptitle("Breast cancer test set: distillation with soft labels")
    step.save(fig, "soft_labels.png")


def _newton(step):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from . import SoftmaxClassifier

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    C, tol = 0.1, 1e-8
    fits = {
        "sklogloss SoftmaxClassifier": lambda: SoftmaxClassifier(C=C, tol=tol).fit(X, y),
        "scikit-learn newton-cholesky": lambda: LogisticRegression(C=C, solver="newton-cholesky", tol=tol,
                                                                   max_iter=1000).fit(X, y),
        "scikit-learn lbfgs": lambda: LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=10_000).fit(X, y),
    }
    models, seconds = {}, {}
    for name, fit in fits.items():
        times = []
        for _ in range(3):  # the best of three runs
            start = time.perf_counter()
            models[name] = fit()
            times.append(time.perf_counter() - start)
        seconds[name] = min(times)
    ours, ref = models["sklogloss SoftmaxClassifier"], models["scikit-learn newton-cholesky"]
    diff = step.add("max |probability difference| to scikit-learn newton-cholesky",
                    np.abs(ours.predict_proba(X) - ref.predict_proba(X)).max(), ".1e", figure=True)
    step.add("sklogloss Newton iterations", ours.n_iter_[0], "d")
    labels = {}
    for name, t in seconds.items():
        labels[name] = step.add(f"time: {name} (ms)", 1e3 * t, ".1f", figure=True)
    for name in ["scikit-learn newton-cholesky", "scikit-learn lbfgs"]:
        step.add(f"time ratio: {name} / sklogloss", seconds[name] / seconds["sklogloss SoftmaxClassifier"], ".2f")

    fig, ax = _subplots(figsize=(7, 3), layout="constrained")
    names = list(seconds)
    ax.barh(names, [1e3 * seconds[n] for n in names], color=["C0", "C1", "C2"])
    for k, name in enumerate(names):
        ax.text(1e3 * seconds[name], k, f" {labels[name]} ms", va="center")
    ax.set_xlim(0, 1.3e3 * max(seconds.values()))
    ax.invert_yaxis()
    ax.set_xlabel("fit time, best of 3 (ms)")
    ax.set_title(f"Digits, 10 classes, C={C:g}: same objective (max |probability difference| {diff})", fontsize=10)
    step.save(fig, "newton.png")


def _calibration(step):
    from sklearn.metrics import brier_score_loss, log_loss

    from . import LogisticClassifier
    from .exceptions import PerfectSeparationWarning
    from .plotting import ReliabilityDisplay

    X_train, X_test, y_train, y_test, _ = _breast_cancer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)  # C=inf on separable data: the point of the curve
        models = {
            "C=1": LogisticClassifier(C=1.0).fit(X_train, y_train),
            "C=inf (separable: no MLE)": LogisticClassifier(C=np.inf).fit(X_train, y_train),
            "label smoothing 0.1": LogisticClassifier(C=1.0, label_smoothing=0.1).fit(X_train, y_train),
        }

    fig, ax = _subplots(figsize=(5.5, 5.5), layout="constrained")
    for name, model in models.items():
        p = model.predict_proba(X_test)[:, 1]
        disp = ReliabilityDisplay.from_predictions(y_test, p, n_bins=10, name=name, ax=ax)
        # The ECE the display computed from the bins it drew: that one number, in its legend and in the report.
        ece = step.add(f"ECE [{name}]", disp.ece, figure=True)
        disp.line_.set_label(f"{name} (ECE {ece})")
        step.add(f"log loss [{name}]", log_loss(y_test, p))
        step.add(f"Brier score [{name}]", brier_score_loss(y_test, p))
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title("Breast cancer test set (10 uniform bins)")
    step.save(fig, "reliability.png")


def _noise(step):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from . import NoiseCorrectedClassifier
    from .noise_estimation import flip_labels, pair_flip_transition_matrix

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    rate = 0.35
    T = pair_flip_transition_matrix(10, rate)
    noisy = flip_labels(y_train, T, random_state=0)
    step.add("share of wrong training labels", np.mean(noisy != y_train), ".1%")
    models = {"uncorrected": NoiseCorrectedClassifier(transition_matrix=None),
              "forward, true T": NoiseCorrectedClassifier(transition_matrix=T),
              "forward, estimated T": NoiseCorrectedClassifier()}
    accuracy = {name: step.add(f"clean test accuracy [{name}]", model.fit(X_train, noisy).score(X_test, y_test),
                               ".3f", figure=True)
                for name, model in models.items()}
    T_hat = models["forward, estimated T"].transition_matrix_
    gap = step.add("max |estimated T - T|", np.abs(T_hat - T).max(), ".3f", figure=True)

    fig, (ax_bar, ax_T) = _subplots(1, 2, figsize=(10, 4), layout="constrained")
    names = list(accuracy)
    ax_bar.barh(names, [step.result.numbers[f"clean test accuracy [{n}]"] for n in names], color=["C3", "C0", "C2"])
    for k, name in enumerate(names):
        ax_bar.text(0.02, k, accuracy[name], va="center", color="white", fontweight="bold")
    ax_bar.set_xlim(0, 1)
    ax_bar.invert_yaxis()
    ax_bar.set_xlabel("accuracy on clean test labels")
    ax_bar.set_title(f"{rate:.0%} of each digit's labels flipped to the next digit", fontsize=10)
    image = ax_T.imshow(T_hat, vmin=0, vmax=1, cmap="Blues")
    fig.colorbar(image, ax=ax_T)
    ax_T.set_xlabel("noisy label j")
    ax_T.set_ylabel("true label i")
    ax_T.set_title(f"estimated T[i, j] (max |error| {gap})", fontsize=10)
    step.save(fig, "noise.png")


def _hurdle(step):
    from scipy import stats
    from sklearn.linear_model import PoissonRegressor
    from sklearn.model_selection import train_test_split

    from . import HurdleRegressor
    from .plotting import RootogramDisplay

    X, y = _randhie()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    glm = PoissonRegressor(alpha=0.0, max_iter=1000).fit(X_train, y_train)
    hurdle = HurdleRegressor(count_distribution="negative_binomial").fit(X_train, y_train)
    step.add("share of zeros", np.mean(y == 0), ".1%")
    step.add("negative binomial theta", hurdle.theta_, ".3f")
    max_count = 20
    glm_pmf = stats.poisson.pmf(np.arange(max_count + 1)[None, :], glm.predict(X_test)[:, None])
    loglik = {"Poisson GLM": step.add("mean test log-likelihood [Poisson GLM]",
                                      stats.poisson.logpmf(y_test, glm.predict(X_test)).mean(), figure=True),
              "NB hurdle": step.add("mean test log-likelihood [NB hurdle]",
                                    hurdle.log_likelihood(X_test, y_test).mean(), figure=True)}

    fig, axes = _subplots(1, 2, figsize=(11, 4), sharey=True, layout="constrained")
    displays = {
        "Poisson GLM": RootogramDisplay.from_predictions(y_test, glm_pmf, ax=axes[0]),
        "NB hurdle": RootogramDisplay.from_estimator(hurdle, X_test, y_test, max_count=max_count, ax=axes[1]),
    }
    observed = step.add("observed zeros (test)", displays["NB hurdle"].observed[0], ".0f", figure=True)
    for ax, (name, disp) in zip(axes, displays.items()):
        zeros = step.add(f"expected zeros (test) [{name}]", disp.expected[0], ".0f", figure=True)
        ax.set_title(f"{name}: {zeros} zeros expected, {observed} observed\n"
                     f"mean log-likelihood {loglik[name]}", fontsize=10)
    axes[1].set_ylabel("")
    fig.suptitle("Doctor visits (RAND HIE), test half: hanging rootograms")
    step.save(fig, "hurdle_rootogram.png")


def _focal(step):
    from sklearn.metrics import average_precision_score, precision_recall_curve
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import LogisticClassifier
    from .metrics import expected_calibration_error

    X, visits = _randhie()
    y = (visits >= 15).astype(int)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    step.add("share of the rare class (15+ visits)", y.mean(), ".2%")
    models = {"log loss": LogisticClassifier(),
              "class_weight=balanced": LogisticClassifier(class_weight="balanced"),
              "focal, gamma=2": LogisticClassifier(loss="focal", focal_gamma=2.0)}

    fig, ax = _subplots(figsize=(6.5, 4.5), layout="constrained")
    for name, clf in models.items():
        p = make_pipeline(StandardScaler(), clf).fit(X_train, y_train).predict_proba(X_test)[:, 1]
        ap = step.add(f"average precision [{name}]", average_precision_score(y_test, p), figure=True)
        ece = step.add(f"ECE, 10 quantile bins [{name}]",
                       expected_calibration_error(y_test, p, n_bins=10, strategy="quantile"), figure=True)
        step.add(f"mean predicted probability [{name}]", p.mean())
        precision, recall, _ = precision_recall_curve(y_test, p)
        ax.plot(recall, precision, drawstyle="steps-post", label=f"{name} (AP {ap}, ECE {ece})")
    ax.axhline(y_test.mean(), color="grey", ls=":", label="share of the rare class")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("15+ doctor visits in a year (RAND HIE), test half")
    ax.legend(fontsize="small")
    step.save(fig, "focal.png")


def _adversarial(step):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from . import LogisticClassifier
    from .adversarial import fgsm, pgd

    digits = load_digits()
    keep = np.isin(digits.target, [3, 8])
    X, y = digits.data[keep] / 16, digits.target[keep]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    eps = 0.1
    models = {"standard": LogisticClassifier(C=1.0).fit(X_train, y_train),
              f"robust (adversarial_epsilon={eps:g})": LogisticClassifier(C=1.0, adversarial_epsilon=eps)
              .fit(X_train, y_train)}
    epsilons = np.linspace(0, 0.2, 11)

    fig, ax = _subplots(figsize=(6.5, 4.2), layout="constrained")
    for name, model in models.items():
        clean = step.add(f"clean test accuracy [{name}]", model.score(X_test, y_test), ".3f", figure=True)
        step.add(f"accuracy under FGSM, epsilon={eps:g} [{name}]",
                 model.score(fgsm(model, X_test, y_test, eps), y_test), ".3f")
        attacked = step.add(f"accuracy under PGD, epsilon={eps:g} [{name}]",
                            model.score(pgd(model, X_test, y_test, eps), y_test), ".3f", figure=True)
        curve = [model.score(pgd(model, X_test, y_test, e), y_test) if e > 0 else model.score(X_test, y_test)
                 for e in epsilons]
        ax.plot(epsilons, curve, marker="o", label=f"{name}: clean {clean}, PGD at {eps:g}: {attacked}")
    ax.axvline(eps, color="grey", ls=":")
    ax.set_xlabel("epsilon (L-inf, fraction of the pixel range)")
    ax.set_ylabel("test accuracy under PGD")
    ax.set_title("Digits 3 vs 8")
    ax.legend(fontsize="small")
    step.save(fig, "adversarial.png")


def _group_dro(step):
    from sklearn.datasets import load_digits
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    from . import GroupDROClassifier, LogisticClassifier
    from .metrics import worst_group_loss

    X, digit = load_digits(return_X_y=True)
    X, y = X / 16, digit % 2  # odd or even; the groups are the digits
    train, test = train_test_split(np.arange(len(y)), test_size=0.5, random_state=0, stratify=digit)
    models = {"average loss (ERM)": LogisticClassifier(C=1.0).fit(X[train], y[train]),
              "Group DRO": GroupDROClassifier(LogisticClassifier(C=1.0)).fit(X[train], y[train], groups=digit[train])}
    step.add("Group DRO duality gap", models["Group DRO"].dro_gap_, ".1e")
    per_group = {}
    for name, model in models.items():
        p = model.predict_proba(X[test])[:, 1]
        step.add(f"test accuracy [{name}]", model.score(X[test], y[test]), ".3f")
        step.add(f"test mean loss [{name}]", log_loss(y[test], p))
        per_group[name] = (step.add(f"test worst-group loss [{name}]", worst_group_loss(y[test], p, digit[test]),
                                    figure=True),
                           [log_loss(y[test][digit[test] == g], p[digit[test] == g], labels=[0, 1])
                            for g in range(10)])

    fig, ax = _subplots(figsize=(7.5, 4), layout="constrained")
    for k, (name, (worst, losses)) in enumerate(per_group.items()):
        ax.bar(np.arange(10) + (k - 0.5) * 0.4, losses, width=0.4, color=f"C{k}", label=f"{name}: worst {worst}")
        ax.axhline(max(losses), color=f"C{k}", ls=":", lw=1)
    ax.set_xticks(np.arange(10))
    ax.set_xlabel("digit (group)")
    ax.set_ylabel("test log loss of 'odd or even'")
    ax.set_title("Digits: the loss of each group")
    ax.legend(fontsize="small")
    step.save(fig, "group_dro.png")


def _inference(step):
    sm = _require_statsmodels()
    from . import LogisticClassifier
    from .inference import likelihood_ratio_test, summary

    spector = sm.datasets.spector.load_pandas()
    X, y = spector.exog, spector.endog.astype(int).to_numpy()
    clf = LogisticClassifier(C=np.inf, tol=1e-10).fit(X, y)
    s = summary(clf, X, y)
    ref = sm.Logit(y, sm.add_constant(X, prepend=False)).fit(disp=0)
    step.add("max |coef difference| to statsmodels", np.abs(s.coef - ref.params.to_numpy()).max(), ".1e")
    se_gap = step.add("max |std err difference| to statsmodels", np.abs(s.std_err - ref.bse.to_numpy()).max(),
                      ".1e", figure=True)
    j = s.names.index("PSI")
    step.add("PSI coefficient", s.coef[j])
    step.add("PSI standard error", s.std_err[j])
    step.add("PSI p-value", s.p_value[j])
    restricted = LogisticClassifier(C=np.inf, tol=1e-10).fit(X[["GPA"]], y)
    lr = likelihood_ratio_test(clf, restricted, X, X[["GPA"]], y)
    ref_restricted = sm.Logit(y, sm.add_constant(X[["GPA"]], prepend=False)).fit(disp=0)
    step.add("likelihood ratio, TUCE = PSI = 0", lr.statistic)
    step.add("likelihood ratio, TUCE = PSI = 0 (statsmodels)", 2 * (ref.llf - ref_restricted.llf))
    step.add("likelihood-ratio p-value", lr.p_value)

    ci = ref.conf_int().to_numpy()
    fig, ax = _subplots(figsize=(6.5, 3.5), layout="constrained")
    rows = [k for k, name in enumerate(s.names) if name != "intercept"]
    pos = np.arange(len(rows))
    ax.errorbar(s.coef[rows], pos - 0.1, xerr=[s.coef[rows] - s.ci_low[rows], s.ci_high[rows] - s.coef[rows]],
                fmt="o", label="sklogloss summary")
    ax.errorbar(ref.params.to_numpy()[rows], pos + 0.1, xerr=[ref.params.to_numpy()[rows] - ci[rows, 0],
                                                              ci[rows, 1] - ref.params.to_numpy()[rows]],
                fmt="s", color="k", label="statsmodels Logit")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(pos, [s.names[k] for k in rows])
    ax.invert_yaxis()
    ax.set_xlabel("coefficient (log-odds), 95% interval")
    ax.set_title(f"Spector and Mazzeo: max |std err difference| {se_gap}", fontsize=10)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize="small")
    step.save(fig, "inference.png")


def _cv(step):
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from . import LogisticClassifierCV, SoftmaxClassifierCV

    X_train, _, y_train, _, _ = _breast_cancer()
    Cs = np.logspace(-3, 3, 13)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X_train, y_train))
    reference = {"l1_ratios": (0.0,), "scoring": "neg_log_loss", "solver": "newton-cholesky", "tol": 1e-10,
                 "max_iter": 1000, "use_legacy_attributes": False}
    ours = LogisticClassifierCV(Cs=Cs, cv=folds, tol=1e-10).fit(X_train, y_train)
    ref = LogisticRegressionCV(Cs=Cs, cv=folds, **reference).fit(X_train, y_train)
    chosen = step.add("chosen C [LogisticClassifierCV]", ours.C_, "g", figure=True)
    chosen_ref = step.add("chosen C [scikit-learn LogisticRegressionCV]", ref.C_, "g", figure=True)
    moderate = Cs <= 10
    gap = step.add("max |CV score difference| for C <= 10",
                   np.abs(ours.scores_ - ref.scores_).max(axis=(0, 1))[moderate].max(), ".1e", figure=True)
    wine = load_wine()
    Xw = StandardScaler().fit_transform(wine.data)
    folds_w = list(StratifiedKFold(5, shuffle=True, random_state=0).split(Xw, wine.target))
    step.add("wine: chosen C [SoftmaxClassifierCV]",
             SoftmaxClassifierCV(Cs=Cs, cv=folds_w, tol=1e-10).fit(Xw, wine.target).C_, "g")
    step.add("wine: chosen C [scikit-learn LogisticRegressionCV]",
             LogisticRegressionCV(Cs=Cs, cv=folds_w, **reference).fit(Xw, wine.target).C_, "g")

    mean, std = ours.scores_[:, 0].mean(axis=0), ours.scores_[:, 0].std(axis=0)
    fig, ax = _subplots(figsize=(6.5, 4.2), layout="constrained")
    ax.semilogx(Cs, mean, marker="o", label="LogisticClassifierCV (mean over 5 folds)")
    ax.fill_between(Cs, mean - std, mean + std, alpha=0.2)
    ax.semilogx(Cs, ref.scores_[:, 0].mean(axis=0), "k--", lw=1, label="LogisticRegressionCV")
    ax.axvline(ours.C_, color="C3", ls=":", label=f"chosen C: ours {chosen}, scikit-learn {chosen_ref}")
    ax.set_xlabel("C")
    ax.set_ylabel("test score (neg log loss)")
    ax.set_title(f"Breast cancer: C path (max |score difference| for C <= 10: {gap})", fontsize=10)
    ax.legend(fontsize="small")
    step.save(fig, "cv_path.png")


def _partial_fit(step):
    from sklearn.datasets import load_digits
    from sklearn.metrics import log_loss

    from . import LogisticClassifier

    X, digit = load_digits(return_X_y=True)
    X, y = X / 16, digit % 2  # odd or even
    chunks = np.array_split(np.random.default_rng(0).permutation(len(y)), 6)
    stream, history = LogisticClassifier(C=0.1), []
    for _ in range(3):
        for rows in chunks:
            stream.partial_fit(X[rows], y[rows], classes=[0, 1])
            history.append(log_loss(y, stream.predict_proba(X)))
    full = LogisticClassifier(C=0.1).fit(X, y)
    full_value = log_loss(y, full.predict_proba(X))
    full_loss = step.add("log loss of fit (full batch)", full_value, ".6f", figure=True)
    passes = [step.add(f"log loss after pass {k + 1}", history[(k + 1) * len(chunks) - 1], ".6f", figure=True)
              for k in range(3)]
    step.add("after 3 passes: max |coef difference| to fit", np.abs(stream.coef_ - full.coef_).max(), ".1e")

    fig, ax = _subplots(figsize=(6.5, 4), layout="constrained")
    ax.semilogy(np.arange(1, len(history) + 1), np.maximum(np.abs(np.array(history) - full_value), 1e-16),
                marker="o")
    for k in range(3):
        ax.axvline((k + 1) * len(chunks) + 0.5, color="grey", lw=0.8)
    ax.text(0.97, 0.95, "log loss after\n" + "\n".join(f"pass {k + 1}: {text}" for k, text in enumerate(passes)),
            ha="right", va="top", fontsize="small", transform=ax.transAxes,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"})
    ax.set_xlabel(f"chunks processed ({len(chunks)} per pass)")
    ax.set_ylabel("|log loss - full-batch log loss|")
    ax.set_title(f"Digits, odd or even: LogisticClassifier.partial_fit (full batch: log loss {full_loss})",
                 fontsize=10)
    step.save(fig, "partial_fit.png")


def _density_ratio(step):
    from sklearn.datasets import load_diabetes

    from . import LogisticClassifier

    data = load_diabetes(scaled=False)
    bmi, y = data.data[:, list(data.feature_names).index("bmi")], data.target
    # The source sample keeps each patient with probability exp(-slope (bmi - min)): the density ratio
    # target / source is proportional to exp(slope bmi), a log-ratio linear in bmi.
    slope = 0.15
    keep = np.random.default_rng(0).uniform(size=len(y)) < np.exp(-slope * (bmi - bmi.min()))
    source, target = bmi[keep], bmi
    Z = np.r_[target, source][:, None]
    label = np.r_[np.ones(len(target)), np.zeros(len(source))]
    disc = LogisticClassifier(C=np.inf).fit(Z, label)
    step.add("patients (target)", len(y), "d")
    step.add("patients in the selected sample (source)", keep.sum(), "d")
    est = step.add("estimated log-ratio slope", disc.coef_[0, 0], ".4f", figure=True)
    step.add("true log-ratio slope", slope, ".4f")
    # ratio(x) = exp(logit(x)) * n_source / n_target
    weights = np.exp(disc.decision_function(source[:, None])) * len(source) / len(target)
    step.add("mean weight on the source (1 if the ratio is right)", weights.mean())
    truth = step.add("target mean of disease progression", y.mean(), ".1f", figure=True)
    naive = step.add("source mean (unweighted)", y[keep].mean(), ".1f", figure=True)
    weighted = step.add("source mean weighted by the estimated ratio", np.average(y[keep], weights=weights), ".1f",
                        figure=True)

    fig, (ax_hist, ax_ratio) = _subplots(1, 2, figsize=(10, 4), layout="constrained")
    bins = np.linspace(bmi.min(), bmi.max(), 20)
    ax_hist.hist(target, bins=bins, alpha=0.5, density=True, label=f"target (all): mean progression {truth}")
    ax_hist.hist(source, bins=bins, alpha=0.5, density=True, label=f"source: {naive} unweighted, {weighted} weighted")
    ax_hist.set_xlabel("body mass index")
    ax_hist.set_ylabel("density")
    ax_hist.legend(fontsize="small")
    grid = np.linspace(bmi.min(), bmi.max(), 100)
    log_ratio = disc.decision_function(grid[:, None]) + np.log(len(source) / len(target))
    ax_ratio.plot(grid, log_ratio, label=f"logistic discriminator (slope {est})")
    true_line = slope * grid
    ax_ratio.plot(grid, true_line - true_line.mean() + log_ratio.mean(), "k--",
                  label=f"true slope {slope:g} (up to a constant)")
    ax_ratio.set_xlabel("body mass index")
    ax_ratio.set_ylabel("log density ratio, target / source")
    ax_ratio.legend(fontsize="small")
    fig.suptitle("Diabetes data: a selected (source) sample reweighted to all patients (target)")
    step.save(fig, "density_ratio.png")


_STEP_TABLE = {
    "soft_labels": (_soft_labels, "Soft labels and label smoothing",
                    "LogisticClassifier fits probabilities as targets: a student on 10 of the 30 breast cancer "
                    "features learns from a teacher's out-of-fold probabilities or from the hard labels, and "
                    "label smoothing is the same as fitting the smoothed targets."),
    "newton": (_newton, "Newton vs scikit-learn",
               "SoftmaxClassifier and scikit-learn's LogisticRegression minimise the same objective (same C): the "
               "fitted probabilities agree to solver tolerance; the fit times are measured here (best of 3)."),
    "calibration": (_calibration, "Calibration",
                    "Reliability diagrams (ReliabilityDisplay) and expected calibration errors on the breast cancer "
                    "test set: a penalised fit, the unpenalised fit on separable data, and label smoothing."),
    "noise": (_noise, "Noise correction with a transition matrix",
              "NoiseCorrectedClassifier on digits whose training labels are flipped to the next digit: no "
              "correction, forward correction with the true transition matrix T, and with T estimated from the "
              "noisy data (confident joint), judged on clean test labels."),
    "hurdle": (_hurdle, "Hurdle model for counts with many zeros",
               "Doctor visits in the RAND Health Insurance Experiment: a Poisson GLM against a negative binomial "
               "HurdleRegressor, by rootograms (RootogramDisplay) and held-out log-likelihood."),
    "focal": (_focal, "Focal loss on a rare class",
              "The heavy users of health care (15 or more visits a year) as a rare class: log loss, balanced "
              "class weights and the focal loss rank alike but differ in calibration."),
    "adversarial": (_adversarial, "Adversarial robustness",
                    "Digits 3 vs 8 under FGSM and PGD attacks within an L-inf ball: a standard logistic regression "
                    "and one trained against the worst case of the ball (adversarial_epsilon)."),
    "group_dro": (_group_dro, "Group DRO: the worst group's loss",
                  "Odd or even digits, with the digits as groups: the average-loss fit against GroupDROClassifier, "
                  "which minimises the loss of the worst group."),
    "inference": (_inference, "Inference summary vs statsmodels",
                  "Standard errors of the unpenalised fit from its Fisher information (sklogloss.inference.summary) "
                  "and a likelihood-ratio test, against statsmodels' Logit on the Spector and Mazzeo data."),
    "cv": (_cv, "Cross-validation over a C path",
           "LogisticClassifierCV and SoftmaxClassifierCV against scikit-learn's LogisticRegressionCV on the same "
           "folds and C grid: the scores and the chosen C."),
    "partial_fit": (_partial_fit, "Streaming with partial_fit",
                    "LogisticClassifier.partial_fit on the digits (odd or even) in 6 chunks, 3 passes over them: the "
                    "log loss on all the data after every chunk, against the full-batch fit."),
    "density_ratio": (_density_ratio, "The logistic discriminator: a density ratio",
                      "A logistic regression that tells a selected sample of diabetes patients from all patients "
                      "estimates their density ratio; weighting the selected sample by it moves its mean towards that "
                      "of all patients."),
}

#: The steps of the tour, in order.
STEPS = tuple(_STEP_TABLE)


def run_step(key, output_dir="demo_output"):
    """Run one step of the tour: compute its numbers and write its figure.

    Parameters
    ----------
    key : str
        One of :data:`STEPS`.
    output_dir : str, default="demo_output"
        Where the figure is written (created if needed).

    Returns
    -------
    StepResult
        The step's sentence, numbers and figure; ``skipped`` says why a step
        that needs a missing optional package did not run.

    Examples
    --------
    >>> import tempfile
    >>> from sklogloss.demo import run_step
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     step = run_step("density_ratio", tmp)
    >>> step.figure
    'density_ratio.png'
    >>> step.text("true log-ratio slope")
    '0.1500'
    >>> abs(step.numbers["estimated log-ratio slope"] - 0.15) < 0.05
    True
    """
    if key not in _STEP_TABLE:
        raise ValueError(f"Unknown step {key!r}; the steps are {list(STEPS)}.")
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError("The tour draws figures with matplotlib: pip install sklogloss[demo] "
                          "(or pip install matplotlib).") from exc
    function, title, summary = _STEP_TABLE[key]
    os.makedirs(output_dir, exist_ok=True)
    step = _Step(key, title, summary, output_dir)
    try:
        function(step)
    except _Skip as reason:
        return StepResult(key, title, summary, skipped=str(reason))
    return step.result


def _cell(text):
    """Text for a cell of a Markdown table: ``|`` escaped."""
    return text.replace("|", "\\|")


def write_report(results, output_dir="demo_output"):
    """Write ``report.md``: a section per step with its sentence, its numbers and its figure.

    Parameters
    ----------
    results : list of StepResult
        The steps, in order.
    output_dir : str, default="demo_output"
        Where the report is written (next to the figures).

    Returns
    -------
    str
        The path of the report.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sklogloss.demo import StepResult, write_report
    >>> step = StepResult("k", "A step", "It shows a number.", {"accuracy": 0.9}, {"accuracy": ".3f"})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_report([step], tmp)
    ...     text = pathlib.Path(path).read_text(encoding="utf-8")
    >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
    # sklogloss tour
    <BLANKLINE>
    ## 1. A step
    <BLANKLINE>
    It shows a number.
    <BLANKLINE>
    | number | value |
    |---|---|
    | accuracy | 0.900 |
    """
    lines = ["# sklogloss tour", ""]
    for k, r in enumerate(results, start=1):
        lines += [f"## {k}. {r.title}", "", r.summary, ""]
        if r.skipped:
            lines += [f"Skipped: {r.skipped}.", ""]
            continue
        lines += ["| number | value |", "|---|---|"]
        lines += [f"| {_cell(name)} | {_cell(r.text(name))} |" for name in r.numbers]
        lines.append("")
        if r.figure:
            lines += [f"![{r.title}]({r.figure})", ""]
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, REPORT_NAME)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path


def main(output_dir="demo_output", steps=None):
    """Run the tour: every step in turn, printing its sentence and numbers, then write the report.

    Parameters
    ----------
    output_dir : str, default="demo_output"
        Where the figures and ``report.md`` are written.
    steps : list of str, default=None
        The steps to run, a subset of :data:`STEPS`; ``None`` runs them all.

    Returns
    -------
    dict of str to StepResult
        The result of each step, by key.

    Examples
    --------
    >>> from sklogloss.demo import main
    >>> results = main("demo_output")  # doctest: +SKIP
    """
    results = {}
    start_all = time.perf_counter()
    for k, key in enumerate(STEPS if steps is None else steps, start=1):
        start = time.perf_counter()
        r = run_step(key, output_dir)
        results[key] = r
        print(f"\n{k}. {r.title}\n{'-' * (len(r.title) + len(str(k)) + 2)}\n{r.summary}")
        if r.skipped:
            print(f"skipped: {r.skipped}")
            continue
        width = max(len(name) for name in r.numbers)
        for name in r.numbers:
            print(f"  {name:{width}}  {r.text(name)}")
        print(f"  figure: {os.path.join(output_dir, r.figure)} ({time.perf_counter() - start:.1f} s)")
    path = write_report(list(results.values()), output_dir)
    print(f"\nreport written to {path} ({time.perf_counter() - start_all:.1f} s in all)")
    return results


if __name__ == "__main__":
    main()
