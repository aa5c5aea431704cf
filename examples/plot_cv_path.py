"""
=================================================================
Choosing C by cross-validation: the score curve and the path
=================================================================

:class:`~sklogloss.LogisticClassifierCV` and
:class:`~sklogloss.SoftmaxClassifierCV` fit a model for every value of the
inverse regularisation strength ``C`` (and of ``l1_ratio``, the share of the
L1 term in the penalty) on every fold, score each fit on the held-out part of
its fold, choose the ``(C, l1_ratio)`` of the best mean score and refit on
all the data. Along the ``C`` path each fit starts from the previous solution
(a warm start), from the smallest ``C`` (the most regularised, easiest
problem) up.

The objective is scikit-learn's, so on the same folds and the same grid the
scores, the chosen ``C`` and the refitted model are those of
:class:`sklearn.linear_model.LogisticRegressionCV`. This example checks that
on the breast cancer and wine data, and draws

* the cross-validation score curve against ``C``;
* the coefficient path: the weights as ``C`` grows;
* the elastic-net grid ``C`` x ``l1_ratio``, with the number of non-zero
  weights of the L1 fits.
"""

# %%
# The data and the folds
# ----------------------
# Breast cancer: 569 tumours, 30 features computed from images of cell
# nuclei, benign or malignant. Standardised features; five stratified folds,
# shuffled once and given to both estimators, so that they see the same
# splits. The score is the negated log loss (scikit-learn's
# ``"neg_log_loss"``, the default of ours).
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import log_expit
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sklogloss import LogisticClassifier, LogisticClassifierCV, SoftmaxClassifierCV

start_all = time.perf_counter()
cancer = load_breast_cancer()
X = StandardScaler().fit_transform(cancer.data)
y = cancer.target
folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
Cs = np.logspace(-3, 3, 25)
print(f"{X.shape[0]} samples, {X.shape[1]} features; {len(folds)} folds; {Cs.size} values of C "
      f"from {Cs[0]:g} to {Cs[-1]:g}")

# %%
# The ridge path, against scikit-learn
# ------------------------------------
# scikit-learn fits with ``solver="newton-cholesky"`` and a tight tolerance,
# so that both sides are converged; ``use_legacy_attributes=False`` gives its
# ``scores_`` the shape of ours, ``(n_folds, n_l1_ratios, n_Cs)``.

start = time.perf_counter()
ours = LogisticClassifierCV(Cs=Cs, cv=folds, tol=1e-10).fit(X, y)
t_ours = time.perf_counter() - start
start = time.perf_counter()
ref = LogisticRegressionCV(Cs=Cs, cv=folds, l1_ratios=(0.0,), scoring="neg_log_loss", solver="newton-cholesky",
                           tol=1e-10, max_iter=1000, use_legacy_attributes=False).fit(X, y)
t_ref = time.perf_counter() - start
score_difference = np.abs(ours.scores_ - ref.scores_).max(axis=(0, 1))
moderate = Cs <= 10
print(f"chosen C: ours {ours.C_:.4g}, scikit-learn {ref.C_:.4g}")
print(f"max |score difference| for C <= 10: {score_difference[moderate].max():.1e}; "
      f"for C > 10: {score_difference[~moderate].max():.1e}")
print(f"refitted models: max |coef difference| {np.abs(ours.coef_ - ref.coef_).max():.1e}")
print(f"time: ours {t_ours:.2f} s, scikit-learn {t_ref:.2f} s ({len(folds) * Cs.size} fits each)")

# %%
# The scores agree to rounding up to ``C = 10``. Beyond, the penalty hardly
# holds the weights back and some test samples get log-odds of several tens,
# of the wrong sign: their probability of the true class is of order
# ``1e-15``. The fitted weights still agree (the paths' coefficients, below),
# but scikit-learn's ``predict_proba`` computes the probability of class 0
# as ``1 - p``, which keeps only a digit or two at that size; our score is
# the log loss of the exact probabilities, ``log_expit(margin)``. Those ``C``
# score far below the best, so the choice is not affected.

gap = np.abs(ours.scores_ - ref.scores_)[:, 0]
fold, c = np.unravel_index(np.argmax(gap), gap.shape)
test = folds[fold][1]
coef = ours.coefs_paths_[fold, 0, c, 0]
margin = (2 * y[test] - 1) * (X[test] @ coef[:-1] + coef[-1])
print(f"largest score difference: fold {fold}, C = {Cs[c]:g}: ours {ours.scores_[fold, 0, c]:.10f}, "
      f"scikit-learn {ref.scores_[fold, 0, c]:.10f}, exact mean log_expit(margin) {np.mean(log_expit(margin)):.10f}")
print(f"there, max |coef difference| of the fold's fits: "
      f"{np.abs(coef - ref.coefs_paths_[fold, 0, c, 0]).max():.1e}; smallest margin {margin.min():.1f}")
print(f"best mean score {ours.scores_[:, 0].mean(axis=0).max():.4f}; best for C > 10: "
      f"{ours.scores_[:, 0].mean(axis=0)[~moderate].max():.4f}")

# %%
# The score curve and the coefficient path
# ----------------------------------------
# Left: the mean test score over the folds, with one standard deviation of
# the folds' scores, and the chosen ``C``. Right: the weights of a model
# fitted on all the data at each ``C``, along the path with warm starts (the
# fits that ``LogisticClassifierCV`` makes on each fold), with the five
# largest at the chosen ``C`` named.

mean, std = ours.scores_[:, 0].mean(axis=0), ours.scores_[:, 0].std(axis=0)
path_model = LogisticClassifier(warm_start=True, tol=1e-10)
path = np.array([path_model.set_params(C=C).fit(X, y).coef_.ravel() for C in Cs])
chosen = int(np.flatnonzero(Cs == ours.C_)[0])
band = Cs[mean >= mean[chosen] - std[chosen]]
print(f"C whose mean score is within one standard deviation (over the folds) of the best: "
      f"{band.min():.3g} to {band.max():.3g}")

fig, (ax_score, ax_path) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
ax_score.semilogx(Cs, mean, marker=".", label="LogisticClassifierCV")
ax_score.fill_between(Cs, mean - std, mean + std, alpha=0.2)
ax_score.semilogx(Cs, ref.scores_[:, 0].mean(axis=0), linestyle="--", color="k", lw=1,
                  label="LogisticRegressionCV")
ax_score.axvline(ours.C_, color="C3", linestyle=":", label=f"chosen C = {ours.C_:.3g}")
ax_score.set_xlabel("C")
ax_score.set_ylabel("mean test score (neg log loss)")
ax_score.legend()
ax_path.semilogx(Cs, path, color="0.6", lw=0.8)
for j in np.argsort(-np.abs(path[chosen]))[:5]:
    ax_path.semilogx(Cs, path[:, j], lw=1.6, label=cancer.feature_names[j])
ax_path.axvline(ours.C_, color="C3", linestyle=":")
ax_path.axhline(0, color="k", lw=0.6)
ax_path.set_xlabel("C")
ax_path.set_ylabel("weight (standardised feature)")
ax_path.legend(fontsize="small")
fig.suptitle("Breast cancer: ridge path, 5-fold cross-validation")
plt.show()

# %%
# The elastic-net grid
# --------------------
# ``l1_ratios`` adds a second axis: for each ``l1_ratio`` a path over ``C``,
# solved by proximal Newton. The L1 term sets weights exactly to zero, the
# more the smaller ``C``; the score of each ``(C, l1_ratio)`` decides between
# a sparse model and a ridge one. (scikit-learn reaches these fits with its
# ``saga`` solver only, far more slowly, so this grid is ours alone.)

l1_ratios = [0.0, 0.5, 1.0]
Cs_enet = np.logspace(-2, 2, 9)
start = time.perf_counter()
enet = LogisticClassifierCV(Cs=Cs_enet, l1_ratios=l1_ratios, cv=folds).fit(X, y)
print(f"elastic-net grid: {len(folds) * len(l1_ratios) * Cs_enet.size} fits in {time.perf_counter() - start:.1f} s; "
      f"chosen C = {enet.C_:.3g}, l1_ratio = {enet.l1_ratio_:g}")
best_per_ratio = enet.scores_.mean(axis=0).max(axis=1)
for ratio, score in zip(l1_ratios, best_per_ratio):
    print(f"l1_ratio = {ratio:g}: best mean score {score:.4f}")
# Non-zero weights of the L1 fits, averaged over the folds (the intercept, last, is not penalised).
lasso = enet.coefs_paths_[:, l1_ratios.index(1.0), :, 0, :-1]
nonzero = (np.abs(lasso) > 0).sum(axis=-1).mean(axis=0)

fig, (ax_grid, ax_sparse) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for r, ratio in enumerate(l1_ratios):
    ax_grid.semilogx(Cs_enet, enet.scores_[:, r].mean(axis=0), marker="o", label=f"l1_ratio = {ratio:g}")
ax_grid.plot(enet.C_, enet.scores_.mean(axis=0).max(), "k*", markersize=14,
             label=f"chosen: C = {enet.C_:.3g}, l1_ratio = {enet.l1_ratio_:g}")
ax_grid.set_xlabel("C")
ax_grid.set_ylabel("mean test score (neg log loss)")
ax_grid.legend()
ax_sparse.semilogx(Cs_enet, nonzero, marker="o", color="C2")
ax_sparse.axhline(X.shape[1], color="grey", linestyle=":", label="all features")
ax_sparse.set_xlabel("C")
ax_sparse.set_ylabel("non-zero weights (mean over folds)")
ax_sparse.set_title("l1_ratio = 1 (lasso)")
ax_sparse.legend()
fig.suptitle("Breast cancer: elastic-net grid")
plt.show()

# %%
# More than two classes
# ---------------------
# :class:`~sklogloss.SoftmaxClassifierCV` does the same for the multinomial
# model. On the wine data (three cultivars, 13 measurements), against
# scikit-learn's multinomial ``LogisticRegressionCV`` on the same folds:

wine = load_wine()
Xw = StandardScaler().fit_transform(wine.data)
yw = wine.target
folds_w = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(Xw, yw))
softmax_cv = SoftmaxClassifierCV(Cs=Cs, cv=folds_w, tol=1e-10).fit(Xw, yw)
ref_w = LogisticRegressionCV(Cs=Cs, cv=folds_w, l1_ratios=(0.0,), scoring="neg_log_loss", solver="newton-cholesky",
                             tol=1e-10, max_iter=1000, use_legacy_attributes=False).fit(Xw, yw)
diff_w = np.abs(softmax_cv.scores_ - ref_w.scores_).max(axis=(0, 1))
print(f"wine: chosen C ours {softmax_cv.C_:.4g}, scikit-learn {ref_w.C_:.4g}; max |score difference| "
      f"for C <= 10: {diff_w[moderate].max():.1e}; refitted probabilities differ by at most "
      f"{np.abs(softmax_cv.predict_proba(Xw) - ref_w.predict_proba(Xw)).max():.1e}")

# %%
# Takeaways
# ---------
# * ``LogisticClassifierCV`` and ``SoftmaxClassifierCV`` choose the same ``C``
#   as scikit-learn's ``LogisticRegressionCV`` on the same folds, with the same
#   scores: the objectives are the same.
# * The fold-to-fold spread of the scores is wide compared with the
#   differences between neighbouring ``C`` near the maximum: the printed band
#   of ``C`` within one standard deviation of the best covers a range of
#   values that the data cannot tell apart.
# * ``l1_ratios`` makes the choice between sparse and dense models part of
#   the cross-validation.

print(f"whole example: {time.perf_counter() - start_all:.1f} s")
