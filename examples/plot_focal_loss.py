"""
===========================
Focal loss for a rare class
===========================

The focal loss of Lin et al. (2017) multiplies each sample's cross-entropy by
``(1 - p_t)**gamma``, where ``p_t`` is the probability the model gives to the
sample's own label: a sample that is already well classified (``p_t`` close to
one) contributes almost nothing, and the fit concentrates on the hard ones. It
was designed for object detectors, where a flood of easy background anchors
swamps the gradient of a rare foreground class.
:class:`~sklogloss.LogisticClassifier` fits it with ``loss="focal"``, in
torchvision's convention ``alpha_t * (1 - p_t)**gamma * BCE``
(``focal_alpha=None``: no alpha weighting); ``focal_gamma=0`` is the log loss
exactly.

This example fits a linear model to a problem with about 1% positives, with
the log loss and with focal losses of several ``gamma``, and compares

* the ranking of the test samples: average precision and the recall at a false
  positive rate of 1%;
* the probabilities: log loss, Brier score and the expected calibration error
  (ECE), before and after recalibration with
  :class:`sklearn.calibration.CalibratedClassifierCV`.
"""

# %%
# The focal loss of one sample
# ----------------------------
# For a positive sample with log-odds ``z`` the model gives ``p_t = sigmoid(z)``
# to its label, and the focal loss is ``-(1 - p_t)**gamma * log(p_t)``
# (:class:`~sklogloss.losses.BinaryFocalLoss`). The larger ``gamma``, the faster
# the loss of a well-classified sample vanishes: at ``p_t = 0.9`` the factor is
# 0.1 for ``gamma = 1`` and 0.01 for ``gamma = 2``. This is the first figure of
# Lin et al.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, precision_recall_curve, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklogloss import LogisticClassifier
from sklogloss.losses import BinaryFocalLoss

z = np.linspace(-5, 6, 400)
p_t = 1 / (1 + np.exp(-z))
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for gamma in [0, 0.5, 1, 2, 5]:
    label = "log loss (gamma = 0)" if gamma == 0 else f"gamma = {gamma}"
    ax.plot(p_t, BinaryFocalLoss(gamma).loss(np.ones_like(z), z), label=label)
ax.set_xlabel("probability of the true class p_t")
ax.set_ylabel("loss")
ax.set_ylim(0, 4)
ax.set_title("Focal loss -(1 - p_t)^gamma log(p_t)")
ax.legend()
plt.show()

# %%
# The data
# --------
# 60,000 samples with 20 features, about 1% positives and a few flipped labels,
# split in halves with the same positive rate (a stratified split). The
# features are standardised in a pipeline.

X, y = make_classification(n_samples=60_000, n_features=20, n_informative=8, n_redundant=4, weights=[0.99],
                           flip_y=0.005, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
print(f"positive rate: {y_train.mean():.2%} of {len(y_train)} training samples, "
      f"{y_test.mean():.2%} of {len(y_test)} test samples ({y_test.sum()} positives)")

# %%
# Metrics
# -------
# Average precision and the recall at a false positive rate of 1% judge the
# ranking alone (any increasing function of the scores gives the same values);
# the log loss, the Brier score and the ECE judge the probabilities. The ECE
# sorts the test samples into 15 equal-width bins of predicted probability and
# averages, weighted by the bins' sizes, the gap between the mean prediction
# and the observed frequency of positives in each bin.


def expected_calibration_error(y_true, proba, n_bins=15):
    """ECE on ``n_bins`` uniform bins of the predicted probability.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        0/1 labels.
    proba : ndarray of shape (n_samples,)
        Predicted probabilities of the positive class.
    n_bins : int, default=15
        Number of bins of equal width on ``[0, 1]``.

    Returns
    -------
    float
        ``sum_b (n_b / n) * |mean(proba in b) - mean(y_true in b)|``.
    """
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    predicted = np.bincount(bins, weights=proba, minlength=n_bins)
    observed = np.bincount(bins, weights=y_true, minlength=n_bins)
    return np.abs(predicted - observed).sum() / len(y_true)


def recall_at_fpr(y_true, score, max_fpr=0.01):
    """The largest true positive rate of the ROC curve at a false positive rate ``<= max_fpr``."""
    fpr, tpr, _ = roc_curve(y_true, score)
    return tpr[fpr <= max_fpr].max()


def evaluate(proba):
    return {"AP": average_precision_score(y_test, proba), "recall@1%FPR": recall_at_fpr(y_test, proba),
            "log loss": log_loss(y_test, proba), "Brier": brier_score_loss(y_test, proba),
            "ECE": expected_calibration_error(y_test, proba), "mean p": proba.mean()}


def print_table(rows, extra=()):
    """One line per model: the metrics of :func:`evaluate`, then the columns named in ``extra``."""
    metrics = list(next(iter(rows.values())))
    columns = [m for m in metrics if m not in extra] + list(extra)
    cells = {name: [row[c] if isinstance(row[c], str) else f"{row[c]:.4f}" for c in columns]
             for name, row in rows.items()}
    widths = [max(len(c), *(len(line[k]) for line in cells.values())) + 2 for k, c in enumerate(columns)]
    width = max(len(name) for name in rows)
    print(f"{'':<{width}}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths)))
    for name, line in cells.items():
        print(f"{name:<{width}}" + "".join(f"{cell:>{w}}" for cell, w in zip(line, widths)))


# %%
# Log loss and focal losses
# -------------------------
# The same linear model with ``C=1``, fitted with the log loss and with focal
# losses of increasing ``gamma``, and with ``gamma = 2, alpha = 0.25``
# (torchvision's default, which gives the rare positives *less* weight than
# the negatives: ``alpha`` balances the down-weighting of the easy negatives).
# For ``gamma > 0`` the objective is not convex; ``solver="auto"`` still picks
# Newton-Cholesky (``solver_``), whose step uses the Hessian's eigenvalues made
# positive wherever the Hessian is indefinite, so that every step descends.

models = {"log loss": LogisticClassifier()}
for gamma in [0.5, 1, 2, 5]:
    models[f"focal, gamma={gamma}"] = LogisticClassifier(loss="focal", focal_gamma=gamma)
models["focal, gamma=2, alpha=0.25"] = LogisticClassifier(loss="focal", focal_gamma=2, focal_alpha=0.25)

start = time.perf_counter()
pipelines, probas, results = {}, {}, {}
for name, clf in models.items():
    pipelines[name] = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
    probas[name] = pipelines[name].predict_proba(X_test)[:, 1]
    results[name] = {**evaluate(probas[name]), "solver_": clf.solver_, "n_iter_": str(clf.n_iter_[0])}
print(f"test-set metrics ({time.perf_counter() - start:.1f} s for {len(models)} fits)")
print_table(results, extra=("solver_", "n_iter_"))

for metric, better in [("AP", max), ("recall@1%FPR", max), ("log loss", min), ("ECE", min)]:
    best = better(row[metric] for row in results.values())
    tied = [name for name, row in results.items() if row[metric] == best]
    print(f"best {metric} ({best:.4f}): {', '.join(tied)}")

# %%
# Precision and recall
# --------------------
# The precision-recall curves of the log loss and of the focal loss with
# ``gamma = 2``; the area under each is its average precision.

fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
for name in ["log loss", "focal, gamma=2", "focal, gamma=5"]:
    precision, recall, _ = precision_recall_curve(y_test, probas[name])
    ax.plot(recall, precision, drawstyle="steps-post", label=f"{name} (AP = {results[name]['AP']:.3f})")
ax.axhline(y_test.mean(), color="grey", linestyle=":", label="positive rate (a random ranking)")
ax.set_xlabel("recall")
ax.set_ylabel("precision")
ax.set_title("Precision-recall curves on the test set")
ax.legend()
plt.show()

# %%
# Calibration
# -----------
# The log loss is a proper scoring rule: its minimiser is the true
# probability, and a well-specified model's probabilities come out calibrated.
# The focal loss is not: lowering the weight of the confident predictions makes
# them less confident, so the probabilities are pulled towards 1/2. With 1%
# positives nearly every sample is an easy negative, and its probability is
# pushed *up*: compare the ``mean p`` column with the positive rate.
#
# :class:`~sklearn.calibration.CalibratedClassifierCV` fits a map from the
# focal model's scores to probabilities on out-of-fold predictions (5 folds).
# With ``ensemble=False`` it then refits a single focal model on the whole
# training set and applies the map to it. Platt's sigmoid
# (``method="sigmoid"``) is strictly increasing, so the calibrated model ranks
# the test samples exactly as the focal model does and keeps its average
# precision; isotonic regression is a step function, whose ties can change the
# average precision a little.

calibrated = {
    "focal, gamma=2, sigmoid": CalibratedClassifierCV(pipelines["focal, gamma=2"], method="sigmoid", cv=5,
                                                      ensemble=False),
    "focal, gamma=2, isotonic": CalibratedClassifierCV(pipelines["focal, gamma=2"], method="isotonic", cv=5,
                                                       ensemble=False),
}
start = time.perf_counter()
for name, clf in calibrated.items():
    probas[name] = clf.fit(X_train, y_train).predict_proba(X_test)[:, 1]
print(f"before and after calibration ({time.perf_counter() - start:.1f} s for {len(calibrated)} calibrations)")
print_table({name: evaluate(probas[name]) for name in ["log loss", "focal, gamma=2", *calibrated]})
ap_focal = average_precision_score(y_test, probas["focal, gamma=2"])
for name in calibrated:
    change = average_precision_score(y_test, probas[name]) - ap_focal
    print(f"{name}: average precision changed by {change:+.4f} by the calibration")

# %%
# A reliability diagram plots the observed frequency of positives against the
# mean predicted probability, in bins holding equally many test samples
# (``strategy="quantile"``: with equal-width bins nearly every sample would
# fall in the first one). Calibrated probabilities lie on the diagonal; both
# axes are logarithmic. Bins without a positive are left out.
#
# At the left all the curves level off at a few positives in a thousand:
# ``flip_y=0.005`` gives a random label to 0.5% of the samples, whatever their
# features, and half of these become positives. No logistic model represents
# such a floor, the log loss model included, and a recalibration by a sigmoid
# of the score does not either. Above it, the focal model's curve lies far to
# the right of the diagonal (predictions much higher than the frequencies they
# stand for), and the recalibrated curve lies on that of the log loss model.

fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
for name in ["log loss", "focal, gamma=2", "focal, gamma=2, sigmoid"]:
    observed, predicted = calibration_curve(y_test, probas[name], n_bins=20, strategy="quantile")
    keep = observed > 0
    ax.plot(predicted[keep], observed[keep], marker="o", label=name)
ax.plot([1e-4, 1], [1e-4, 1], color="grey", linestyle=":", label="calibrated")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("mean predicted probability")
ax.set_ylabel("fraction of positives")
ax.set_title("Reliability diagram on the test set")
ax.legend()
plt.show()

# %%
# Is the difference in ranking real?
# ----------------------------------
# One split of one data set is a single draw. Five other data sets of the same
# kind (other ``random_state`` of ``make_classification``) give the average
# precision of the log loss and of the focal loss with ``gamma = 2``.

rows = {}
for seed in range(1, 6):
    Xs, ys = make_classification(n_samples=60_000, n_features=20, n_informative=8, n_redundant=4,
                                 weights=[0.99], flip_y=0.005, random_state=seed)
    Xs_train, Xs_test, ys_train, ys_test = train_test_split(Xs, ys, test_size=0.5, stratify=ys, random_state=seed)
    row = {}
    for name in ["log loss", "focal, gamma=2"]:
        fitted = make_pipeline(StandardScaler(), clone(models[name])).fit(Xs_train, ys_train)
        row[name] = average_precision_score(ys_test, fitted.predict_proba(Xs_test)[:, 1])
    rows[f"random_state={seed}"] = {**row, "difference": row["focal, gamma=2"] - row["log loss"]}
print("test average precision")
print_table(rows)
wins = sum(row["difference"] > 0 for row in rows.values())
print(f"the focal loss (gamma=2) has the higher average precision on {wins} of {len(rows)} data sets")

# %%
# Takeaways
# ---------
# * ``loss="focal"`` changes how much each sample counts, not the model: the
#   fit is still a linear model on the log-odds, and ``focal_gamma=0`` is the
#   log loss.
# * Whether focusing on the hard samples improves the ranking is an empirical
#   question, to be answered on held-out data with a ranking metric such as the
#   average precision, as above. For a linear model fitted to its optimum, the
#   easy negatives cannot swamp the fit the way they swamp the stochastic
#   gradients of a detector; the counts printed above say whether the focal
#   loss gains anything on these data sets.
# * The focal loss's probabilities are not calibrated: here they sit far from
#   the observed frequencies, and their log loss and ECE are several times the
#   log loss model's, the more so the larger ``gamma``. Recalibrate with
#   :class:`~sklearn.calibration.CalibratedClassifierCV` before using them as
#   probabilities (for a decision threshold, an expected cost, or a positive
#   rate); a sigmoid map on a linear score keeps the ranking exactly.
