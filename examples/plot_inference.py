"""
====================================================================
Standard errors and tests of a logistic regression, with statsmodels
====================================================================

An unpenalised fit (``C=np.inf``) is the maximum-likelihood estimate, and
:mod:`sklogloss.inference` gives it the statistics of a GLM package:

* :func:`~sklogloss.inference.summary`: standard errors from the inverse
  Fisher information (``cov_type="nonrobust"``), the sandwich estimators
  ``"HC0"`` and ``"HC1"``, and the cluster-robust ``"cluster"``, with z
  statistics, p-values and confidence intervals;
* :func:`~sklogloss.inference.wald_test` and
  :func:`~sklogloss.inference.likelihood_ratio_test` of linear restrictions;
* :func:`~sklogloss.inference.predict_proba_interval`: confidence intervals
  of predicted probabilities.

Each number is compared with statsmodels, on data sets shipped with it.
"""

# %%
# Spector and Mazzeo (1980)
# -------------------------
# Did a new teaching method (PSI) improve 32 students' grades in economics?
# ``GRADE`` is 1 for an improvement, the regressors are the grade point
# average ``GPA``, the score ``TUCE`` of a test taken at the start, and
# ``PSI``. This is the data set of statsmodels' ``Logit`` documentation.
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import gammaln

from sklogloss import LogisticClassifier
from sklogloss.inference import likelihood_ratio_test, predict_proba_interval, summary, wald_test

start_all = time.perf_counter()
spector = sm.datasets.spector.load_pandas()
X, y = spector.exog, spector.endog.astype(int).to_numpy()
print(f"{len(y)} students, {y.sum()} improved; {X['PSI'].sum():.0f} were taught with PSI")
clf = LogisticClassifier(C=np.inf, tol=1e-10).fit(X, y)
s = summary(clf, X, y)
print(s)

# statsmodels with the constant last, in our order (weights, then intercept)
X_sm = sm.add_constant(X, prepend=False)
logit = sm.Logit(y, X_sm).fit(disp=0)


def compare(ours, theirs, what, to="statsmodels"):
    """Print the largest absolute difference of two arrays."""
    print(f"{what}: max |difference| to {to} {np.abs(np.asarray(ours) - np.asarray(theirs)).max():.1e}")


compare(s.coef, logit.params, "coefficients")
compare(s.std_err, logit.bse, "standard errors (inverse Fisher information)")
compare(s.p_value, logit.pvalues, "p-values")
print(f"log-likelihood: ours {s.log_likelihood:.6f}, statsmodels {logit.llf:.6f}")

# %%
# Sandwich standard errors
# ------------------------
# The sandwich ``I^-1 J I^-1``, with ``J`` the sum of the outer products of
# the observations' scores, stays valid when the model is misspecified.
# ``"HC0"`` is the sandwich itself; ``"HC1"`` multiplies it by ``n / (n -
# k)`` (Stata's small-sample factor, ``k`` coefficients). statsmodels applies
# the factor for linear models only: for ``Logit`` its ``"HC1"`` is its
# ``"HC0"``, which is what the lines below check.

hc0, hc1 = summary(clf, X, y, cov_type="HC0"), summary(clf, X, y, cov_type="HC1")
logit_hc0 = sm.Logit(y, X_sm).fit(disp=0, cov_type="HC0")
logit_hc1 = sm.Logit(y, X_sm).fit(disp=0, cov_type="HC1")
compare(hc0.std_err, logit_hc0.bse, "HC0 standard errors")
compare(logit_hc1.bse, logit_hc0.bse, "statsmodels' HC1 standard errors", to="its HC0")
n, k = len(y), s.coef.size
print(f"our HC1 / HC0 standard errors: {np.unique(np.round(hc1.std_err / hc0.std_err, 12))}, "
      f"sqrt(n / (n - k)) = {np.sqrt(n / (n - k)):.12f}")

# %%
# Wald and likelihood-ratio tests
# -------------------------------
# The Wald test of ``R b = q`` uses the estimate and its covariance only; the
# likelihood-ratio test fits the restricted model too. Both are chi-square
# with as many degrees of freedom as restrictions; in a sample this small
# their p-values differ.

wald_psi = wald_test(s, ["PSI"])
sm_psi = logit.wald_test("PSI = 0", scalar=True)
print(f"Wald, PSI = 0: statistic {wald_psi.statistic:.6f} (statsmodels {float(sm_psi.statistic):.6f}), "
      f"p-value {wald_psi.p_value:.6f} (statsmodels {float(sm_psi.pvalue):.6f})")

wald_joint = wald_test(s, ["TUCE", "PSI"])
restricted = LogisticClassifier(C=np.inf, tol=1e-10).fit(X[["GPA"]], y)
lr_joint = likelihood_ratio_test(clf, restricted, X, X[["GPA"]], y)
logit_restricted = sm.Logit(y, sm.add_constant(X[["GPA"]], prepend=False)).fit(disp=0)
lr_sm = 2 * (logit.llf - logit_restricted.llf)
sm_joint = logit.wald_test("TUCE = 0, PSI = 0", scalar=True)
print(f"TUCE = PSI = 0: Wald {wald_joint.statistic:.6f} (statsmodels {float(sm_joint.statistic):.6f}), "
      f"p-value {wald_joint.p_value:.4f}")
print(f"               likelihood ratio {lr_joint.statistic:.6f} (statsmodels 2 (llf - llf_restricted) "
      f"{lr_sm:.6f}), p-value {lr_joint.p_value:.4f}")

# %%
# Probabilities with confidence intervals
# ---------------------------------------
# :func:`~sklogloss.inference.predict_proba_interval` takes the interval of
# the log-odds ``x^T b -+ 1.96 sqrt(x^T V x)`` through the sigmoid, so that it
# stays in ``(0, 1)``; statsmodels' ``get_prediction(which="linear")`` gives
# the same interval of the log-odds. The figure shows the probability of an
# improvement against the GPA, with and without PSI, ``TUCE`` at its mean,
# and the students as ticks (at 1: improved).

gpa = np.linspace(X["GPA"].min(), X["GPA"].max(), 100)
fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
for psi, color in [(0.0, "C0"), (1.0, "C1")]:
    grid = pd.DataFrame({"GPA": gpa, "TUCE": X["TUCE"].mean(), "PSI": psi})
    p, low, high = predict_proba_interval(s, grid)
    eta = logit.get_prediction(sm.add_constant(grid, prepend=False, has_constant="add"), which="linear")
    eta_low, eta_high = eta.conf_int().T
    if psi == 1.0:
        compare(low, 1 / (1 + np.exp(-eta_low)), "interval of the probability (lower ends)")
        compare(high, 1 / (1 + np.exp(-eta_high)), "interval of the probability (upper ends)")
    ax.plot(gpa, p, color=color, label=f"PSI = {psi:g}")
    ax.fill_between(gpa, low, high, color=color, alpha=0.2)
    mask = X["PSI"] == psi
    ax.plot(X["GPA"][mask], y[mask] + (0.02 if psi else -0.02), "|", color=color, markersize=10)
ax.set_xlabel("GPA")
ax.set_ylabel("P(grade improved)")
ax.set_title("Spector and Mazzeo: 95% confidence bands (TUCE at its mean)")
ax.legend(loc="upper left")
plt.show()

# %%
# Cluster-robust standard errors
# ------------------------------
# statsmodels' ``modechoice`` data (Greene): 210 travellers between Sydney
# and Melbourne, each with four rows, one per mode (air, train, bus, car),
# and ``choice = 1`` on the mode taken. A binary logit of ``choice`` on mode
# constants (car is the base), the generalised cost ``gc``, the terminal
# waiting time ``ttme`` and household income for air travel treats the 840
# rows as independent, but the four rows of a traveller are not: exactly one
# of them is chosen. ``cov_type="cluster"`` sums the scores over each
# traveller before forming ``J`` (CRV1, statsmodels' default factor
# ``G / (G - 1) * (n - 1) / (n - k)``).

modes = sm.datasets.modechoice.load_pandas().data
mode_names = modes["mode"].map({1.0: "air", 2.0: "train", 3.0: "bus", 4.0: "car"})
Xm = pd.get_dummies(mode_names, dtype=float)[["air", "train", "bus"]]
Xm["gc"], Xm["ttme"] = modes["gc"], modes["ttme"]
Xm["income x air"] = modes["hinc"] * Xm["air"]
ym = modes["choice"].astype(int).to_numpy()
traveller = modes["individual"].astype(int).to_numpy()
mode_clf = LogisticClassifier(C=np.inf, tol=1e-10).fit(Xm, ym)

Xm_sm = sm.add_constant(Xm, prepend=False)
fits = {
    "nonrobust": (summary(mode_clf, Xm, ym), sm.Logit(ym, Xm_sm).fit(disp=0)),
    "HC0": (summary(mode_clf, Xm, ym, cov_type="HC0"), sm.Logit(ym, Xm_sm).fit(disp=0, cov_type="HC0")),
    "cluster": (summary(mode_clf, Xm, ym, cov_type="cluster", groups=traveller),
                sm.Logit(ym, Xm_sm).fit(disp=0, cov_type="cluster", cov_kwds={"groups": traveller})),
}
for cov_type, (ours, theirs) in fits.items():
    compare(ours.std_err, theirs.bse, f"{cov_type:9s} standard errors")
print(fits["cluster"][0])
table = pd.DataFrame({cov_type: ours.std_err for cov_type, (ours, _) in fits.items()}, index=fits["cluster"][0].names)
print("\nstandard errors relative to the nonrobust ones")
print((table.div(table["nonrobust"], axis=0)).round(3).to_string())
moved = table.index[np.abs(table["cluster"] / table["HC0"] - 1) > 0.1].tolist()
print(f"cluster-robust standard errors more than 10% from the HC0 ones: {', '.join(moved)}")

# %%
# The sandwich (HC0) already moves most standard errors away from the
# nonrobust ones: the binary logit is not the model that generated these
# rows (the four modes of a traveller compete for one choice, which a
# conditional logit would describe). Clustering by traveller moves some of
# them further (the last line above names those). The figure draws the
# ratios of the table, a scale-free view of all the coefficients at once.

ratios = table.div(table["nonrobust"], axis=0)
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
pos = np.arange(len(ratios))
for offset, cov_type, color in [(-0.2, "HC0", "C2"), (0.2, "cluster", "C3")]:
    ax.barh(pos + offset, ratios[cov_type], height=0.4, color=color, label=cov_type)
ax.axvline(1, color="k", lw=0.8)
ax.set_yticks(pos, ratios.index)
ax.invert_yaxis()
ax.set_xlabel("standard error / nonrobust standard error")
ax.set_title(f"Mode choice: {fits['cluster'][0].n_groups} travellers, {len(ym)} rows")
ax.legend(loc="lower right")
plt.show()

# %%
# Grouped data: proportions as targets
# ------------------------------------
# ``star98`` gives, for 303 Californian school districts, the number of
# pupils above and below the national median in a mathematics test. A
# logistic regression of the *share* above, with each district weighted by
# its number of pupils, is the binomial GLM of the counts: the soft target
# ``t`` with sample weight ``m`` has the log-likelihood of ``m t`` successes
# in ``m`` trials, up to the constant ``sum log C(m, m t)`` that statsmodels'
# ``GLM`` includes and a Bernoulli likelihood does not.

star = sm.datasets.star98.load_pandas()
trials = star.endog.sum(axis=1).to_numpy()
print(f"{len(trials)} districts, {trials.sum():.0f} pupils, {star.exog.shape[1]} regressors")
share = star.endog["NABOVE"].to_numpy() / trials
star_clf = LogisticClassifier(C=np.inf, tol=1e-12).fit(star.exog, share, sample_weight=trials)
star_s = summary(star_clf, star.exog, share, sample_weight=trials)
glm = sm.GLM(star.endog, sm.add_constant(star.exog, prepend=False), family=sm.families.Binomial()).fit()
compare(star_s.coef, glm.params, "star98 coefficients")
print(f"star98 standard errors: max relative difference {np.abs(star_s.std_err / glm.bse - 1).max():.1e}")
successes = star.endog["NABOVE"].to_numpy()
log_binom = np.sum(gammaln(trials + 1) - gammaln(successes + 1) - gammaln(trials - successes + 1))
print(f"log-likelihood: ours {star_s.log_likelihood:.4f} + sum log C(m, m t) {log_binom:.4f} = "
      f"{star_s.log_likelihood + log_binom:.4f}; statsmodels GLM {glm.llf:.4f}")

print(f"whole example: {time.perf_counter() - start_all:.1f} s")
