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

:class:`~sklogloss.estimators.hurdle.HurdleRegressor` fits both parts (the
numbers are those of R's ``pscl::hurdle``). This example simulates
overdispersed counts with excess zeros, compares the expected frequency of
each count under a plain Poisson GLM and under Poisson and negative binomial
hurdles (a "rootogram"), and compares their held-out log-likelihoods.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.linear_model import PoissonRegressor
from sklearn.model_selection import train_test_split

from sklogloss.estimators.hurdle import HurdleRegressor

# %%
# Simulated data
# --------------
# Whether a count is positive depends on the first two features (logistic
# model); how large it is, given that it is positive, on the last two
# (zero-truncated negative binomial, ``theta = 1.5``). Truncated draws come
# from the inverse CDF restricted to ``(F(0), 1)``.

rng = np.random.default_rng(0)
n = 6000
X = rng.normal(size=(n, 3))
p_positive = 1 / (1 + np.exp(-(-0.3 + 1.0 * X[:, 0] - 0.5 * X[:, 1])))
mu = np.exp(1.2 + 0.4 * X[:, 1] + 0.3 * X[:, 2])
theta = 1.5
q = theta / (theta + mu)
u = rng.uniform(stats.nbinom.cdf(0, theta, q), 1.0)
y = np.where(rng.random(n) < p_positive, stats.nbinom.ppf(u, theta, q), 0).astype(int)
print(f"share of zeros: {np.mean(y == 0):.2f}, mean count: {y.mean():.2f}, max: {y.max()}")

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

# %%
# Three models
# ------------
# A Poisson GLM (scikit-learn, no penalty) and two hurdle models. The
# negative binomial hurdle estimates ``theta`` with the coefficients.

glm = PoissonRegressor(alpha=0.0).fit(X_train, y_train)
hurdle_poisson = HurdleRegressor(count_distribution="poisson").fit(X_train, y_train)
hurdle_nb = HurdleRegressor(count_distribution="negative_binomial").fit(X_train, y_train)
print(f"estimated theta: {hurdle_nb.theta_:.2f} (true {theta})")
print("count part, log(mu) weights:", hurdle_nb.count_coef_.round(2),
      "intercept", round(hurdle_nb.count_intercept_, 2))
print("zero part, logit weights:", hurdle_nb.zero_estimator_.coef_.ravel().round(2),
      "intercept", hurdle_nb.zero_estimator_.intercept_.round(2))

# %%
# Expected versus observed frequencies
# ------------------------------------
# Summing the predicted probabilities of each count over the test samples
# gives the expected number of zeros, ones, twos, ...; a good model matches
# the observed histogram. The Poisson GLM has too few zeros and too few large
# counts; the Poisson hurdle gets the zeros right (its zero part is a separate
# model) but not the spread of the positive counts; the negative binomial
# hurdle matches both.

max_count = 20
k = np.arange(max_count + 1)
observed = np.bincount(np.minimum(y_test, max_count + 1), minlength=max_count + 2)[: max_count + 1]
expected = {
    "Poisson GLM": stats.poisson.pmf(k[None, :], glm.predict(X_test)[:, None]).sum(axis=0),
    "Poisson hurdle": hurdle_poisson.predict_pmf(X_test, max_count).sum(axis=0),
    "NB hurdle": hurdle_nb.predict_pmf(X_test, max_count).sum(axis=0),
}

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
for ax, (name, freq) in zip(axes, expected.items(), strict=True):
    # Hanging rootogram: bars of sqrt(observed) hang from the curve sqrt(expected).
    ax.bar(k, np.sqrt(observed), bottom=np.sqrt(freq) - np.sqrt(observed), color="0.75",
           edgecolor="0.4", label="observed")
    ax.plot(k, np.sqrt(freq), "o-", color="C3", label="expected")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_title(name)
    ax.set_xlabel("count")
axes[0].set_ylabel("sqrt(frequency)")
axes[0].legend()
fig.suptitle("Hanging rootograms on the test half: bars should end at zero")
fig.tight_layout()

# %%
# Held-out log-likelihood
# -----------------------
# :meth:`~sklogloss.estimators.hurdle.HurdleRegressor.score_samples` returns
# ``log P(y_i | x_i)``; its mean on the test half ranks the models by how
# well they predict whole distributions, not only means. ``score`` is the
# :math:`R^2` of the expected count: it does not tell the models apart (the
# GLM's mean is even competitive), because a good mean does not make a good
# distribution.

loglik = {
    "Poisson GLM": stats.poisson.logpmf(y_test, glm.predict(X_test)).mean(),
    "Poisson hurdle": hurdle_poisson.score_samples(X_test, y_test).mean(),
    "NB hurdle": hurdle_nb.score_samples(X_test, y_test).mean(),
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
# What each part says
# -------------------
# ``predict_zero_proba`` is the hurdle, ``P(y = 0)``; ``predict`` is the mean
# ``P(y > 0) * E[y | y > 0]``. Along the first feature only the hurdle moves;
# along the third only the size of the positive counts does.

grid = np.linspace(-2.5, 2.5, 101)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, j in zip(axes, [0, 2], strict=True):
    Xg = np.zeros((grid.size, 3))
    Xg[:, j] = grid
    ax.plot(grid, hurdle_nb.predict(Xg), label="E[y]")
    ax.plot(grid, hurdle_nb.predict_zero_proba(Xg), label="P(y = 0)")
    ax.set_xlabel(f"feature {j} (others at 0)")
axes[0].legend()
fig.tight_layout()
plt.show()
