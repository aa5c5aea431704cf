"""
========================================
Hurdle models for counts with many zeros
========================================

Count data often have more zeros than a Poisson or negative binomial model
can produce: most people see a doctor a few times a year, but many never do.
A *hurdle* model answers two questions with two models:

* "zero or not?" -- a logistic regression of ``y > 0``;
* "how many, given at least one?" -- a zero-truncated count model
  (Poisson, negative binomial or geometric) fitted on the positive counts.

:class:`~sklogloss.HurdleRegressor` fits both parts (the numbers are those
of R's ``pscl::hurdle``). This example uses the RAND Health Insurance
Experiment data shipped with statsmodels (``randhie``: 20,190 person-years,
``mdvis`` = number of outpatient visits to a doctor), compares the expected
frequency of each count under a plain Poisson GLM and under Poisson and
negative binomial hurdles (a "rootogram"), compares their held-out
log-likelihoods, and runs the tests R users know from pscl: Vuong's test of
the hurdle against the plain Poisson model and the Wald test of "no hurdle".
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.linear_model import PoissonRegressor
from sklearn.model_selection import train_test_split
from statsmodels.datasets import randhie

from sklogloss import HurdleRegressor, RootogramDisplay, hurdle_test, vuong_test

# %%
# The data
# --------
# The covariates of the classic analyses (Deb and Trivedi 2002): log
# coinsurance rate, individual deductible plan, log annual participation
# incentive, maximum expenditure, physical limitation, number of chronic
# diseases, and self-rated health (good, fair, poor; excellent is the base).

data = randhie.load_pandas().data
features = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]
X = data[features].to_numpy(dtype=float)
y = data["mdvis"].to_numpy().astype(int)
print(f"{len(y)} person-years; share of zeros: {np.mean(y == 0):.2f}, mean count: {y.mean():.2f}, "
      f"max: {y.max()}")

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

# %%
# Three models
# ------------
# A Poisson GLM (scikit-learn, no penalty) and two hurdle models. The
# negative binomial hurdle estimates ``theta`` with the coefficients.

glm = PoissonRegressor(alpha=0.0).fit(X_train, y_train)
hurdle_poisson = HurdleRegressor(count_distribution="poisson").fit(X_train, y_train)
hurdle_nb = HurdleRegressor(count_distribution="negative_binomial").fit(X_train, y_train)
print(f"estimated theta: {hurdle_nb.theta_:.2f}")
print("count part, log(mu) weights:", hurdle_nb.count_coef_.round(2),
      "intercept", round(hurdle_nb.count_intercept_, 2))
print("zero part, logit weights:", hurdle_nb.zero_estimator_.coef_.ravel().round(2),
      "intercept", hurdle_nb.zero_estimator_.intercept_.round(2))

# %%
# Expected versus observed frequencies
# ------------------------------------
# Summing the predicted probabilities of each count over the test samples
# gives the expected number of zeros, ones, twos, ...; a good model matches
# the observed histogram. The Poisson GLM has far too few zeros; the Poisson
# hurdle gets the zeros right (its zero part is a separate model) but not the
# spread of the positive counts; the negative binomial hurdle matches both
# much better.

max_count = 20
k = np.arange(max_count + 1)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
# The GLM has no predict_pmf: its Poisson probabilities go to from_predictions.
glm_pmf = stats.poisson.pmf(k[None, :], glm.predict(X_test)[:, None])
RootogramDisplay.from_predictions(y_test, glm_pmf, name="Poisson GLM", ax=axes[0])
RootogramDisplay.from_estimator(hurdle_poisson, X_test, y_test, max_count=max_count, name="Poisson hurdle",
                                ax=axes[1])
RootogramDisplay.from_estimator(hurdle_nb, X_test, y_test, max_count=max_count, name="NB hurdle", ax=axes[2])
for ax in axes[1:]:
    ax.set_ylabel("")
fig.suptitle("Hanging rootograms on the test half: bars should end at zero")
fig.tight_layout()

# %%
# Held-out log-likelihood
# -----------------------
# :meth:`~sklogloss.HurdleRegressor.log_likelihood` returns
# ``log P(y_i | x_i)``; its mean on the test half ranks the models by how
# well they predict whole distributions, not only means. ``score`` is the
# :math:`R^2` of the expected count: it does not tell the models apart (the
# GLM's mean is even competitive), because a good mean does not make a good
# distribution.

loglik = {
    "Poisson GLM": stats.poisson.logpmf(y_test, glm.predict(X_test)).mean(),
    "Poisson hurdle": hurdle_poisson.log_likelihood(X_test, y_test).mean(),
    "NB hurdle": hurdle_nb.log_likelihood(X_test, y_test).mean(),
}
r2 = {
    "Poisson GLM": glm.score(X_test, y_test),
    "Poisson hurdle": hurdle_poisson.score(X_test, y_test),
    "NB hurdle": hurdle_nb.score(X_test, y_test),
}
for name, value in loglik.items():
    print(f"{name:>15}: mean log-likelihood {value:.4f}   R^2 of the mean {r2[name]:.3f}")

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.plot(list(loglik.values()), list(loglik), "o", markersize=9)
ax.set_xlabel("mean held-out log-likelihood (higher is better)")
ax.grid(axis="x", alpha=0.4)
fig.tight_layout()

# %%
# Vuong's test and the test of "no hurdle"
# ----------------------------------------
# A logit hurdle and the plain Poisson model are not nested, so pscl users
# compare them with Vuong's test (``pscl::vuong``): a positive statistic
# favours the first model, here by far, also after the AIC and BIC
# corrections for the hurdle's extra coefficients.

print(vuong_test(hurdle_poisson, glm, X_train, y_train))

# %%
# pscl's ``hurdletest`` asks whether the zero hurdle's coefficients equal the
# count model's, in which case the hurdle is the plain count model. With a
# logit zero part this holds for the geometric count distribution, whose own
# probability of a positive count is the logistic function of ``log(mu)``
# (see :func:`~sklogloss.inference.hurdle_test`).

hurdle_geometric = HurdleRegressor(count_distribution="geometric").fit(X_train, y_train)
print(hurdle_test(hurdle_geometric, X_train, y_train))

# %%
# What each part says
# -------------------
# ``predict_zero_proba`` is the hurdle, ``P(y = 0)``; ``predict`` is the mean
# ``P(y > 0) * E[y | y > 0]``. Here both move with the number of chronic
# diseases (the other covariates at their means).

disea = np.linspace(0, 40, 81)
Xg = np.tile(X.mean(axis=0), (disea.size, 1))
Xg[:, features.index("disea")] = disea
fig, ax1 = plt.subplots(figsize=(6, 3.5))
ax1.plot(disea, hurdle_nb.predict(Xg), color="C0", label="E[visits]")
ax1.set_xlabel("number of chronic diseases")
ax1.set_ylabel("expected visits", color="C0")
ax2 = ax1.twinx()
ax2.plot(disea, hurdle_nb.predict_zero_proba(Xg), color="C1", label="P(no visit)")
ax2.set_ylabel("P(no visit)", color="C1")
fig.tight_layout()
plt.show()
