"""
=====================================================================
A rare class: reweighting, calibration and the decision threshold
=====================================================================

When one class is rare, two remedies are common: weight the rare class up
(``class_weight="balanced"``) or focus the loss on the hard samples (the focal
loss, see :ref:`sphx_glr_auto_examples_plot_focal_loss.py`). Both change the
probabilities the model reports, and so both change what a decision
threshold on those probabilities means. This example asks what each remedy
does to

* the ranking of the samples (average precision, ROC AUC): little, for a
  linear model;
* the probabilities (log loss, expected calibration error (ECE), reliability
  diagrams with :class:`~sklogloss.plotting.ReliabilityDisplay`): a lot;
* the decision: which threshold minimises an expected cost, and what
  ``predict``'s threshold of 1/2 does instead.

For a logistic model reweighting has a closed-form effect: class weights
``w_1`` and ``w_0`` multiply the odds of the weighted fit by ``w_1 / w_0``
(exactly so when the model is well specified), so subtracting ``log(w_1 /
w_0)`` from the log-odds undoes it.
"""

# %%
# The data: heavy users of health care
# ------------------------------------
# The RAND Health Insurance Experiment data shipped with statsmodels
# (``randhie``, 20,190 person-years) count the outpatient visits to a doctor in
# a year (``mdvis``). The rare class is the heavy users, 15 visits or more;
# the features are the insurance plan (log coinsurance rate, individual
# deductible, participation incentive, maximum expenditure) and the health
# of the person (physical limitation, chronic diseases, self-rated health).
# The samples are split in halves with the same share of heavy users.
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import average_precision_score, log_loss, make_scorer, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from statsmodels.datasets import randhie

from sklogloss import LogisticClassifier
from sklogloss.metrics import expected_calibration_error
from sklogloss.plotting import ReliabilityDisplay

start_all = time.perf_counter()
data = randhie.load_pandas().data
features = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]
X = data[features].to_numpy(dtype=float)
y = (data["mdvis"].to_numpy() >= 15).astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
print(f"heavy users: {y.mean():.2%} of {len(y)} person-years; "
      f"{y_train.sum()} in the training half, {y_test.sum()} in the test half")

# %%
# Three fits of the same linear model
# -----------------------------------
# The log loss; the log loss with ``class_weight="balanced"`` (each class
# weighted by ``n / (2 n_k)``, so that both classes weigh the same in total);
# the focal loss with ``gamma = 2``. All with ``C=1`` after a
# :class:`~sklearn.preprocessing.StandardScaler`.

models = {
    "log loss": LogisticClassifier(),
    "balanced": LogisticClassifier(class_weight="balanced"),
    "focal, gamma=2": LogisticClassifier(loss="focal", focal_gamma=2.0),
}
pipelines = {name: make_pipeline(StandardScaler(), clf).fit(X_train, y_train) for name, clf in models.items()}
proba = {name: pipe.predict_proba(X_test)[:, 1] for name, pipe in pipelines.items()}

ECE_BINS = {"n_bins": 10, "strategy": "quantile"}  # equal-count bins: equal-width bins would hold nearly all samples


def metrics(p):
    """Ranking metrics, then probability metrics, of test-set probabilities of the rare class."""
    return {"AP": average_precision_score(y_test, p), "ROC AUC": roc_auc_score(y_test, p),
            "log loss": log_loss(y_test, p), "ECE": expected_calibration_error(y_test, p, **ECE_BINS),
            "mean p": p.mean()}


def print_table(rows):
    columns = list(next(iter(rows.values())))
    width = max(len(name) for name in rows)
    print(f"{'':{width}}" + "".join(f"{c:>10}" for c in columns))
    for name, row in rows.items():
        print(f"{name:{width}}" + "".join(f"{row[c]:10.4f}" for c in columns))


results = {name: metrics(p) for name, p in proba.items()}
print(f"test half (share of heavy users {y_test.mean():.4f})")
print_table(results)
for metric in ["AP", "ROC AUC", "ECE", "mean p"]:
    values = [row[metric] for row in results.values()]
    print(f"{metric}: from {min(values):.4f} to {max(values):.4f} over the three models")
z_log = pipelines["log loss"].decision_function(X_test)
for name in ["balanced", "focal, gamma=2"]:
    r = np.corrcoef(z_log, pipelines[name].decision_function(X_test))[0, 1]
    print(f"correlation of the log-odds of '{name}' with those of the log loss model: {r:.4f}")

# %%
# The three models rank the test samples almost alike: their log-odds are
# nearly perfectly correlated, and their average precisions and ROC AUCs lie
# close together. Their probabilities do not: the mean predicted probability
# of the reweighted and focal models is many times the share of heavy users,
# and their ECE is many times the log loss model's.
#
# Reweighting moves the intercept
# -------------------------------
# With class weights ``w_1`` and ``w_0`` the weighted log-likelihood is the
# log-likelihood of data in which each positive counts ``w_1 / w_0`` times as
# much as each negative: the fitted odds are those odds times ``w_1 / w_0``,
# the intercept shifted by ``log(w_1 / w_0)`` and the weights nearly
# unchanged (exactly, if the model were well specified). Subtracting the
# shift from the log-odds of the balanced model gives probabilities on the
# original scale, with no refit.

w0, w1 = compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train)
shift = np.log(w1 / w0)
balanced = pipelines["balanced"][-1]
plain = pipelines["log loss"][-1]
print(f"w_1 / w_0 = {w1 / w0:.2f}, log(w_1 / w_0) = {shift:.4f}")
print(f"intercepts: log loss {plain.intercept_[0]:.4f}, balanced {balanced.intercept_[0]:.4f}, "
      f"balanced - log(w_1 / w_0) = {balanced.intercept_[0] - shift:.4f}")
print(f"max |weight difference| between the two models: {np.abs(plain.coef_ - balanced.coef_).max():.4f} "
      f"(largest weight {np.abs(plain.coef_).max():.4f})")
proba["balanced, shifted back"] = expit(pipelines["balanced"].decision_function(X_test) - shift)

# %%
# The focal loss has no such closed form. Platt scaling fits ``sigmoid(a z +
# b)`` to its out-of-fold log-odds ``z``
# (:class:`~sklearn.calibration.CalibratedClassifierCV`, ``ensemble=False``:
# one focal model refitted on all the training data, and the map); the map is
# increasing, so the ranking is kept.

platt = CalibratedClassifierCV(pipelines["focal, gamma=2"], method="sigmoid", cv=5, ensemble=False)
proba["focal + Platt"] = platt.fit(X_train, y_train).predict_proba(X_test)[:, 1]
for name in ["balanced, shifted back", "focal + Platt"]:
    results[name] = metrics(proba[name])
print_table(results)

# %%
# Reliability diagrams
# --------------------
# Ten bins with equally many test samples each; the legend carries each
# curve's ECE, the same number as in the table. On the left the reweighted and
# focal models lie far below the diagonal: they predict probabilities many
# times the observed frequencies. On the right (a zoom on the range of the
# calibrated models) the shifted-back balanced model and the Platt-scaled
# focal model lie on the log loss model's curve, near the diagonal.

fig, (ax_all, ax_zoom) = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
for name in ["log loss", "balanced", "focal, gamma=2"]:
    disp = ReliabilityDisplay.from_predictions(y_test, proba[name], name=name, ax=ax_all, **ECE_BINS)
    assert disp.ece == results[name]["ECE"]
zoom = 0.0
for name in ["log loss", "balanced, shifted back", "focal + Platt"]:
    disp = ReliabilityDisplay.from_predictions(y_test, proba[name], name=name, ax=ax_zoom, **ECE_BINS)
    zoom = max(zoom, 1.2 * disp.prob_pred.max(), 1.2 * disp.prob_true.max())
ax_zoom.set_xlim(0, zoom)
ax_zoom.set_ylim(0, zoom)
ax_all.set_title("as fitted")
ax_zoom.set_title("calibrated (zoom)")
fig.suptitle(f"Reliability of the probability of a heavy user ({ECE_BINS['n_bins']} equal-count bins)")
plt.show()

# %%
# The decision threshold
# ----------------------
# Suppose a heavy user who is missed costs 20 times as much as a false alarm
# (say, a care-management call to someone who did not need it). Flagging a
# person of probability ``p`` costs ``1 - p`` in expectation, not flagging
# costs ``20 p``: the threshold that minimises the expected cost is ``p* = 1
# / (1 + 20)``, for *calibrated* probabilities. ``predict`` flags ``p > 1/2``
# instead: for the log loss model that is a cost ratio of 1, for the balanced
# model (whose odds are ``w_1 / w_0`` times too high) a cost ratio of ``w_1 /
# w_0``. :class:`~sklearn.model_selection.TunedThresholdClassifierCV` chooses
# the threshold that minimises the cost on out-of-fold predictions instead.

cost_fn, cost_fp = 20.0, 1.0
bayes_threshold = cost_fp / (cost_fp + cost_fn)


def cost(y_true, y_pred):
    """Total cost of the decisions ``y_pred`` (1: flag) for the labels ``y_true``."""
    return cost_fn * np.sum((y_pred == 0) & (y_true == 1)) + cost_fp * np.sum((y_pred == 1) & (y_true == 0))


tuned = TunedThresholdClassifierCV(make_pipeline(StandardScaler(), LogisticClassifier()),
                                   scoring=make_scorer(cost, greater_is_better=False), cv=5, random_state=0)
tuned.fit(X_train, y_train)
decisions = {
    "flag nobody": np.zeros_like(y_test),
    "log loss, predict (p > 1/2)": pipelines["log loss"].predict(X_test),
    "balanced, predict (p > 1/2)": pipelines["balanced"].predict(X_test),
    "focal, predict (p > 1/2)": pipelines["focal, gamma=2"].predict(X_test),
    "log loss, p > p*": (proba["log loss"] > bayes_threshold).astype(int),
    "balanced shifted back, p > p*": (proba["balanced, shifted back"] > bayes_threshold).astype(int),
    "focal + Platt, p > p*": (proba["focal + Platt"] > bayes_threshold).astype(int),
    "log loss, tuned threshold": tuned.predict(X_test),
}
print(f"p* = {bayes_threshold:.4f}; tuned threshold (log loss model) = {tuned.best_threshold_:.4f}; "
      f"the balanced model's p > 1/2 is p > {1 / (1 + w1 / w0):.4f} on the original scale")
mean_cost = {name: cost(y_test, d) / len(y_test) for name, d in decisions.items()}
width = max(len(name) for name in decisions)
print(f"{'decision':{width}} {'flagged':>8} {'recall':>7} {'cost per person':>16}")
for name, d in decisions.items():
    print(f"{name:{width}} {d.mean():8.2%} {d[y_test == 1].mean():7.2%} {mean_cost[name]:16.4f}")
print(f"lowest cost: {min(mean_cost, key=mean_cost.get)}")

# %%
# The expected cost of every threshold on the log loss model's probabilities
# (left), and the cost of each decision rule (right). ``predict`` at 1/2 is
# the wrong threshold for each model: the log loss model flags almost nobody,
# and the balanced model's threshold corresponds to a cost ratio of ``w_1 /
# w_0`` instead of 20. Any of the calibrated probabilities, thresholded at
# ``p*``, comes close to the tuned threshold; the table names the best.

thresholds = np.linspace(0.002, 0.3, 300)
curve = [cost(y_test, (proba["log loss"] > t).astype(int)) / len(y_test) for t in thresholds]
fig, (ax_curve, ax_bar) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained",
                                       gridspec_kw={"width_ratios": [1, 1.2]})
ax_curve.plot(thresholds, curve, color="C0", label="log loss model")
ax_curve.axvline(bayes_threshold, color="C1", linestyle="--", label=f"p* = 1 / (1 + {cost_fn:g})")
ax_curve.axvline(tuned.best_threshold_, color="C2", linestyle=":", label="tuned by cross-validation")
ax_curve.axhline(mean_cost["flag nobody"], color="grey", linewidth=1, label="flag nobody")
ax_curve.set_xlabel("threshold on the probability")
ax_curve.set_ylabel("cost per person on the test half")
ax_curve.legend(fontsize="small")
names = list(mean_cost)
ax_bar.barh(names, [mean_cost[name] for name in names], color=["0.6"] + ["C3"] * 3 + ["C0"] * 3 + ["C2"])
for k, name in enumerate(names):
    ax_bar.text(mean_cost[name], k, f" {mean_cost[name]:.4f}", va="center", fontsize="small")
ax_bar.set_xlim(0, 1.15 * max(mean_cost.values()))
ax_bar.invert_yaxis()
ax_bar.set_xlabel("cost per person on the test half")
fig.suptitle(f"Decisions at a cost ratio of {cost_fn:g} : {cost_fp:g} (missed heavy user : false alarm)")
plt.show()

# %%
# Takeaways
# ---------
# * For a linear model, class weights and the focal loss barely change the
#   ranking; they change the probabilities, and with them the meaning of a
#   threshold.
# * Class weights shift the log-odds by ``log(w_1 / w_0)``: subtract it to get
#   probabilities back, or equivalently move the threshold. The focal loss
#   needs a fitted recalibration.
# * Choose the threshold from the costs, ``p* = c_FP / (c_FP + c_FN)`` on
#   calibrated probabilities, or tune it on held-out data; ``predict``'s 1/2
#   is the right threshold only for equal costs and calibrated probabilities.

print(f"whole example: {time.perf_counter() - start_all:.1f} s")
