"""
================================================================
Softmax regression on chemical analyses: soft targets and errors
================================================================

scikit-learn's wine data hold the chemical analysis (13 measurements: alcohol,
malic acid, ash, phenols, colour intensity, hue, ...) of 178 wines grown in
the same region of Italy from three cultivars. Telling the cultivar from the
chemistry is a three-class problem for a multinomial logistic (softmax)
regression, :class:`~sklogloss.SoftmaxClassifier`.

Its cross-entropy ``-sum_k t_k log p_k`` is linear in the target row ``t``, so
the target may be any probability vector, not only a one-hot label. This
example shows

* label smoothing as a probability-matrix target, and what it does to the
  cross-validated log loss;
* the votes of a (simulated) tasting panel as targets: the vote fractions are
  a probability matrix, and fitting them is fitting every vote as its own row;
* standard errors of the unpenalised fit from its Fisher information
  (:func:`sklogloss.inference.summary`), against statsmodels' ``MNLogit``.
"""

# %%
# The data and a pipeline
# -----------------------
# The measurements have very different scales (proline in the hundreds, hue
# around one), so a :class:`~sklearn.preprocessing.StandardScaler` comes first
# in a :class:`~sklearn.pipeline.Pipeline`. Five-fold stratified
# cross-validation measures the log loss and the accuracy.
import time

import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklogloss import SoftmaxClassifier
from sklogloss.inference import summary

start_all = time.perf_counter()
wine = load_wine(as_frame=True)
X, y = wine.data, wine.target.to_numpy()
names = wine.target_names
print(f"{X.shape[0]} wines, {X.shape[1]} measurements; wines per cultivar: "
      + ", ".join(f"{name} {count}" for name, count in zip(names, np.bincount(y))))

folds = StratifiedKFold(5, shuffle=True, random_state=0)
pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(C=1.0))
P = cross_val_predict(pipe, X, y, cv=folds, method="predict_proba")
print(f"C=1, all 13 measurements: cross-validated log loss {log_loss(y, P):.4f}, "
      f"accuracy {accuracy_score(y, P.argmax(axis=1)):.3f}")

# %%
# Label smoothing is a probability-matrix target
# ----------------------------------------------
# ``label_smoothing=eps`` replaces each one-hot row by ``(1 - eps) * onehot +
# eps / K`` (PyTorch's convention, ``K = 3`` classes here). Passing that matrix
# as ``y`` fits the same model: the classifier learns the probabilities it is
# given, whatever their origin.

eps, K = 0.1, len(names)
onehot = np.eye(K)[y]
smoothed = (1 - eps) * onehot + eps / K
by_parameter = make_pipeline(StandardScaler(), SoftmaxClassifier(label_smoothing=eps)).fit(X, y)
by_matrix = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, smoothed)
print(f"label_smoothing={eps} vs the smoothed matrix as y: max |coef difference| "
      f"{np.abs(by_parameter[-1].coef_ - by_matrix[-1].coef_).max():.1e}")

# %%
# Smoothing tells the model that no label is certain, so its probabilities
# stay away from 0 and 1: the mean probability of the predicted class (the
# confidence) falls as ``eps`` grows, towards the largest entry of a smoothed
# target row, ``1 - eps (K - 1) / K``. Whether that helps is a question for
# held-out data; the table gives the cross-validated log loss, accuracy and
# mean confidence of each ``eps`` for three values of ``C``.

smoothing_grid, C_grid = [0.0, 0.05, 0.1, 0.2], [0.1, 1.0, 100.0]
cv_log_loss = np.empty((len(smoothing_grid), len(C_grid)))
confidence = np.empty_like(cv_log_loss)
print(f"{'eps':>5} {'C':>6} {'log loss':>9} {'accuracy':>9} {'confidence':>11}")
for i, eps_i in enumerate(smoothing_grid):
    for j, C in enumerate(C_grid):
        pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(C=C, label_smoothing=eps_i))
        P = cross_val_predict(pipe, X, y, cv=folds, method="predict_proba")
        cv_log_loss[i, j], confidence[i, j] = log_loss(y, P), P.max(axis=1).mean()
        print(f"{eps_i:5.2f} {C:6g} {cv_log_loss[i, j]:9.4f} {accuracy_score(y, P.argmax(axis=1)):9.3f} "
              f"{confidence[i, j]:11.3f}")
best = np.unravel_index(np.argmin(cv_log_loss), cv_log_loss.shape)
print(f"lowest cross-validated log loss: eps={smoothing_grid[best[0]]}, C={C_grid[best[1]]:g}")
rises = np.all(np.diff(cv_log_loss, axis=0) > 0, axis=0)
print("log loss rises with eps at C = " + ", ".join(f"{C:g}: {bool(r)}" for C, r in zip(C_grid, rises)))

fig, (ax_loss, ax_conf) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
for j, C in enumerate(C_grid):
    ax_loss.plot(smoothing_grid, cv_log_loss[:, j], marker="o", label=f"C = {C:g}")
    ax_conf.plot(smoothing_grid, confidence[:, j], marker="o", label=f"C = {C:g}")
ax_conf.plot(smoothing_grid, 1 - np.array(smoothing_grid) * (K - 1) / K, color="grey", linestyle=":",
             label="largest smoothed target")
ax_loss.set_xlabel("label smoothing eps")
ax_loss.set_ylabel("cross-validated log loss")
ax_conf.set_xlabel("label smoothing eps")
ax_conf.set_ylabel("mean probability of the predicted class")
ax_conf.legend(fontsize="small")
fig.suptitle("Label smoothing on the wine data (5-fold cross-validation)")
plt.show()

# %%
# On these data the three cultivars are nearly separable and the unsmoothed
# model's confident probabilities are right: the last line says at which
# ``C`` the held-out log loss rises with every step of ``eps``. Smoothing
# pays off where the labels themselves are unreliable, or where a model
# would otherwise grow overconfident far from the training data.

# %%
# The votes of a tasting panel
# ----------------------------
# Suppose the cultivar were not recorded and each wine were judged by a panel
# of five tasters instead. The panel here is simulated: a taster names
# cultivar ``k`` with probability ``softmax(z / 3)_k``, where ``z`` are the
# out-of-fold log-odds of a model of all 13 measurements. Tasters thus
# disagree on the wines whose chemistry is ambiguous. The vote fractions form
# an ``(n, 3)`` matrix of target probabilities; the majority vote is a hard
# label (ties to the first cultivar).

rng = np.random.default_rng(0)
n_tasters, temperature = 5, 3.0
Z = cross_val_predict(make_pipeline(StandardScaler(), SoftmaxClassifier()), X, y, cv=folds,
                      method="decision_function")
taster_proba = np.exp((Z - Z.max(axis=1, keepdims=True)) / temperature)
taster_proba /= taster_proba.sum(axis=1, keepdims=True)
votes = np.stack([rng.multinomial(n_tasters, p) for p in taster_proba])
fractions = votes / n_tasters
majority = votes.argmax(axis=1)
print(f"panel: unanimous on {np.mean(votes.max(axis=1) == n_tasters):.0%} of the wines; "
      f"the majority vote names the wrong cultivar for {np.mean(majority != y):.1%}")

# %%
# Because the cross-entropy is linear in the target, fitting the fractions is
# the same as fitting one row per vote, each with sample weight
# ``1 / n_tasters``, with the voted cultivar as a hard label.

rows = np.repeat(np.arange(len(y)), n_tasters)
voted = np.concatenate([np.repeat(np.arange(K), v) for v in votes])
model_fractions = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, fractions)
model_votes = make_pipeline(StandardScaler(), SoftmaxClassifier())
model_votes.fit(X.iloc[rows], voted, softmaxclassifier__sample_weight=np.full(rows.size, 1 / n_tasters))
print(f"fractions as y vs one weighted row per vote: max |coef difference| "
      f"{np.abs(model_fractions[-1].coef_ - model_votes[-1].coef_).max():.1e}")

# %%
# A model of five measurements (alcohol, malic acid, ash, colour intensity and
# hue) is fitted to half of the wines, from the vote fractions or from the
# majority vote, and judged on the other half twice: by the cross-entropy
# against that half's vote fractions (how well it predicts what the panel
# says) and by the log loss against the recorded cultivar.

five = ["alcohol", "malic_acid", "ash", "color_intensity", "hue"]
train, test = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y, random_state=0)


def cross_entropy(T, P):
    """Mean cross-entropy ``-sum_k T_ik log P_ik`` of predicted probabilities against target rows."""
    return float(-(T * np.log(np.clip(P, 1e-15, 1.0))).sum(axis=1).mean())


targets = {"vote fractions": fractions, "majority vote": majority}
panel_scores = {}
print(f"{'fitted to':>15} {'CE to panel':>12} {'log loss (cultivar)':>20} {'accuracy':>9}")
for name, target in targets.items():
    model = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X.iloc[train][five], target[train])
    P_test = model.predict_proba(X.iloc[test][five])
    panel_scores[name] = (cross_entropy(fractions[test], P_test), log_loss(y[test], P_test),
                          accuracy_score(y[test], P_test.argmax(axis=1)))
    print(f"{name:>15} {panel_scores[name][0]:12.4f} {panel_scores[name][1]:20.4f} {panel_scores[name][2]:9.3f}")
for column, label in [(0, "cross-entropy to the panel"), (1, "log loss against the cultivar")]:
    winner = min(panel_scores, key=lambda name: panel_scores[name][column])
    print(f"lower {label}: fitted to the {winner}")

# %%
# The model of the fractions estimates the probability of each *vote*, the
# panel's uncertainty included, which is what it was given; the model of the
# majority vote is sharper. Which one is right depends on the question:
# "what will the tasters say?" or "which cultivar is it?". The log loss
# against the cultivar rewards the sharper model whenever the majority vote
# is mostly right.

# %%
# Standard errors of the unpenalised fit
# --------------------------------------
# With ``C=np.inf`` the fit is the maximum-likelihood estimate, and the
# inverse of the Fisher information (the Hessian of the negative
# log-likelihood) is its covariance. On all thirteen measurements the
# cultivars are linearly separable and the maximum-likelihood estimate does
# not exist (a penalised model classifies every training wine correctly, see
# below), so the unpenalised model uses the five measurements above.
#
# :func:`~sklogloss.inference.summary` reports the coefficients in statsmodels'
# gauge: the log-odds of cultivar ``c`` against the first one (``class_0``),
# rows ``class 1: alcohol``, ... . statsmodels' ``MNLogit`` fits the same model
# by Newton's method.

full_fit = make_pipeline(StandardScaler(), SoftmaxClassifier(C=1.0)).fit(X, y)
print(f"C=1, 13 measurements: training accuracy {full_fit.score(X, y):.3f}")

scaler = StandardScaler().set_output(transform="pandas")
X5 = scaler.fit_transform(X[five])
mle = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X5, y)
s = summary(mle, X5, y)
print(s)

mnlogit = sm.MNLogit(y, sm.add_constant(X5, prepend=False)).fit(method="newton", disp=0)
# statsmodels: one column per non-reference class, the constant last (prepend=False): the same order, transposed.
coef_sm = mnlogit.params.to_numpy().T.ravel()
se_sm = mnlogit.bse.to_numpy().T.ravel()
print(f"\n{'':26} {'coef':>9} {'statsmodels':>12} {'std err':>9} {'statsmodels':>12}")
for name, b, b_sm, se, se_ref in zip(s.names, s.coef, coef_sm, s.std_err, se_sm):
    print(f"{name:26} {b:9.4f} {b_sm:12.4f} {se:9.4f} {se_ref:12.4f}")
print(f"max |coef difference| {np.abs(s.coef - coef_sm).max():.1e}, "
      f"max |std err difference| {np.abs(s.std_err - se_sm).max():.1e}; "
      f"log-likelihood {s.log_likelihood:.4f} (statsmodels {mnlogit.llf:.4f})")

# %%
# The coefficients with their 95% confidence intervals: ours as bars,
# statsmodels' interval ends as ticks. A measurement whose interval excludes
# zero tells that cultivar from ``class_0`` when the other four are held
# fixed (a unit is one standard deviation of the measurement); the list
# printed below names them.

ci_sm = mnlogit.conf_int().to_numpy()  # rows: class 1's coefficients, then class 2's
excludes_zero = [name for name, low, high in zip(s.names, s.ci_low, s.ci_high)
                 if (low > 0 or high < 0) and not name.endswith("intercept")]
print("95% intervals that exclude zero:", ", ".join(excludes_zero))
fig, axes = plt.subplots(1, K - 1, figsize=(10, 3.8), sharey=True, layout="constrained")
per_class = len(five) + 1
for c, ax in enumerate(axes):
    block = slice(c * per_class, (c + 1) * per_class)
    labels = [name.split(": ")[1] for name in s.names[block]]
    pos = np.arange(per_class)
    ax.errorbar(s.coef[block], pos, xerr=[s.coef[block] - s.ci_low[block], s.ci_high[block] - s.coef[block]],
                fmt="o", capsize=0, label="sklogloss summary")
    ax.plot(ci_sm[block, 0], pos, "|", color="k", markersize=12, label="statsmodels MNLogit")
    ax.plot(ci_sm[block, 1], pos, "|", color="k", markersize=12)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(pos, labels)
    ax.set_title(f"log-odds of {names[c + 1]} against {names[0]}")
    ax.set_xlabel("coefficient (per standard deviation)")
axes[0].invert_yaxis()  # the axes share y: invert once
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize="small")
fig.suptitle("Softmax regression on five measurements: 95% confidence intervals")
plt.show()

print(f"whole example: {time.perf_counter() - start_all:.1f} s")
