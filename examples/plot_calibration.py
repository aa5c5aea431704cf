"""
=================================================
Calibration: logistic regression vs hinge loss
=================================================

A classifier is *calibrated* when, among the samples it gives a probability
``p``, a fraction ``p`` is positive. The logistic loss is a proper scoring
rule: its expected value is minimised by the true conditional probability, so
a logistic model estimates probabilities, and is calibrated as far as its
linear score can follow the truth. The hinge loss of a support vector machine
is minimised by the *sign* of ``2 P(y = 1 | x) - 1`` alone: the scale of its
decision values carries no probability, and squashing them through a sigmoid
gives numbers in ``(0, 1)`` that are not calibrated. Platt scaling (Platt 1999)
fits ``sigmoid(a f + b)`` to the decision values ``f`` on held-out folds and
recovers calibrated probabilities from the same linear score.

We compare, on the same data:

* :class:`~sklogloss.LogisticClassifier` (logistic loss);
* :class:`~sklearn.svm.LinearSVC` (hinge loss), its decision values squashed
  with ``scipy.special.expit``;
* the same ``LinearSVC`` with Platt scaling,
  ``CalibratedClassifierCV(LinearSVC(), method="sigmoid")``,

with reliability diagrams (:class:`~sklogloss.plotting.ReliabilityDisplay`),
the expected and maximum calibration errors and the Brier score decomposition
(:mod:`sklogloss.metrics`; see the :ref:`calibration user guide <calibration_guide>`).
"""

# %%
# Data and models
# ---------------
# A synthetic binary problem from :func:`~sklearn.datasets.make_classification`:
# 20 features, of which 2 informative and 10 linear combinations of them, one
# Gaussian cluster per class. Half of the 20,000 samples train the models, the
# other half measures their calibration.
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from sklogloss import LogisticClassifier
from sklogloss.metrics import (
    brier_score_decomposition,
    expected_calibration_error,
    maximum_calibration_error,
)
from sklogloss.plotting import ReliabilityDisplay

X, y = make_classification(n_samples=20_000, n_features=20, n_informative=2, n_redundant=10,
                           n_clusters_per_class=1, random_state=42)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=42)

start = time.perf_counter()
logistic = LogisticClassifier(C=1.0).fit(X_train, y_train)
svc = LinearSVC(C=1.0).fit(X_train, y_train)
platt = CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=5).fit(X_train, y_train)
print(f"three fits in {time.perf_counter() - start:.1f} s")

probas = {
    "logistic regression": logistic.predict_proba(X_test)[:, 1],
    "LinearSVC, expit(decision)": expit(svc.decision_function(X_test)),
    "LinearSVC + Platt scaling": platt.predict_proba(X_test)[:, 1],
}

# %%
# Calibration errors
# ------------------
# The ECE is the weighted mean gap between the observed frequency and the mean
# prediction over 10 bins; the MCE the largest gap. The Brier score is
# ``reliability - resolution + uncertainty`` (up to the within-bin terms):
# reliability is the calibration part, resolution how well the bins separate
# the classes, and uncertainty, ``0.25`` for balanced classes, does not depend
# on the model. All three models rank the test samples almost alike (the same
# accuracy); they differ in the numbers they attach to the ranks.
print(f"{'model':28s} {'accuracy':>8s} {'ECE':>7s} {'ECE (q)':>7s} {'MCE':>7s} {'log loss':>8s} "
      f"{'Brier':>7s} {'rel.':>7s} {'res.':>7s}")
for name, p in probas.items():
    d = brier_score_decomposition(y_test, p)
    print(f"{name:28s} {np.mean((p > 0.5) == y_test):8.3f} {expected_calibration_error(y_test, p):7.4f} "
          f"{expected_calibration_error(y_test, p, strategy='quantile'):7.4f} "
          f"{maximum_calibration_error(y_test, p):7.4f} {log_loss(y_test, p):8.4f} "
          f"{d.brier:7.4f} {d.reliability:7.4f} {d.resolution:7.4f}")

# %%
# Reliability diagrams
# --------------------
# The logistic model and the Platt-scaled SVM follow the diagonal. The squashed
# hinge-loss scores form an S around it: the hinge loss stops pushing a sample
# once its margin reaches 1, so three quarters of the decision values lie
# within 2.2 of 0 and their sigmoid between 0.1 and 0.9, where the observed
# frequencies are already close to 0 and 1. The model is under-confident; its
# ranking is as good as the others'. The histograms below show where the
# predictions fall: the ECE weighs every bin's gap by its share of the samples.
fig = plt.figure(figsize=(10, 9), layout="constrained")
grid = fig.add_gridspec(3, 3)
ax = fig.add_subplot(grid[:2, :])
colors = ["tab:blue", "tab:orange", "tab:green"]
displays = {}
for (name, p), color in zip(probas.items(), colors):
    displays[name] = ReliabilityDisplay.from_predictions(y_test, p, n_bins=10, name=name, ax=ax, color=color)
ax.set_title("Reliability diagrams on the test set (10 uniform bins)")
for k, ((name, disp), color) in enumerate(zip(displays.items(), colors)):
    hist = fig.add_subplot(grid[2, k])
    hist.hist(disp.y_prob, bins=10, range=(0, 1), color=color)
    hist.set(title=name, xlabel="predicted probability", ylabel="count")
plt.show()

# %%
# The legend shows exactly :func:`~sklogloss.metrics.expected_calibration_error`
# of the same bins:
for name, disp in displays.items():
    assert disp.ece == expected_calibration_error(y_test, probas[name], n_bins=10)
    print(f"{name:28s} {disp.line_.get_label()}")
