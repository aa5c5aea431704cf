"""
=====================================================================
Density ratios from a classifier: importance weighting under shift
=====================================================================

Put a sample of ``n_P`` points from a distribution ``P`` (label 1) and a
sample of ``n_Q`` points from ``Q`` (label 0) together and train a
classifier to tell them apart. By Bayes' rule its posterior odds are

.. math::

    \\frac{P(\\text{label } 1 \\mid x)}{P(\\text{label } 0 \\mid x)}
    = \\frac{n_P \\, p(x)}{n_Q \\, q(x)},

so the classifier's log-odds ``logit(x)`` (``decision_function``) give the
density ratio

.. math::

    \\frac{p(x)}{q(x)} = e^{\\operatorname{logit}(x)} \\, \\frac{n_Q}{n_P}.

Neither density is estimated: only their ratio, by a logistic regression. When
``log(p / q)`` is linear in the features ``phi(x)`` the logistic model is
correctly specified and the unpenalised fit
(:class:`~sklogloss.LogisticClassifier` with ``C=np.inf``) is consistent for
it; for two Gaussians ``log(p / q)`` is quadratic in ``x``, so
``phi(x) = [x, x^2]`` is exact.

A use of the ratio is *covariate shift* (Shimodaira 2000): the inputs of the
training (source) data follow one distribution, those the model will be used
on (target) another, and the conditional law of the output given the input is
the same. A well-specified model does not care; a misspecified one fitted by
least squares on the source data is the best fit *where the source inputs
are*, not where the target inputs are. Weighting each training sample by
``w(x) = p_target(x) / p_source(x)`` turns the source average of the loss
into an estimate of its target average, and the weighted fit into an estimate
of the model the target data would give. Here ``w`` is estimated from the
source inputs and *unlabelled* target inputs.
"""

# %%
# Shimodaira's example
# --------------------
# The output is ``y = -x + x^3 + noise`` (Gaussian noise, standard deviation
# 0.3), the model a straight line. Source inputs: ``N(0.5, 0.5^2)``; target
# inputs: ``N(0, 0.3^2)``. There are 150 labelled source samples and 500
# unlabelled target inputs (inputs without outputs are often the cheap part).
# 150 labelled target samples train the reference model one could fit if the
# target outputs were known, and 100,000 more measure each model's mean
# squared error on the target distribution.
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.linear_model import LinearRegression

from sklogloss import LogisticClassifier

start_all = time.perf_counter()
SOURCE, TARGET = norm(0.5, 0.5), norm(0.0, 0.3)
NOISE = 0.3
n_S, n_T = 150, 500  # labelled source samples, unlabelled target inputs
n_T_labelled = 150


def f(x):
    return -x + x**3


def draw(dist, n, rng):
    x = dist.rvs(size=n, random_state=rng)
    return x, f(x) + NOISE * rng.standard_normal(n)


rng = np.random.default_rng(0)
x_S, y_S = draw(SOURCE, n_S, rng)
x_T, _ = draw(TARGET, n_T, rng)  # the target inputs; their outputs are not used
x_T_train, y_T_train = draw(TARGET, n_T_labelled, rng)  # for the reference model only
x_test, y_test = draw(TARGET, 100_000, rng)

grid = np.linspace(-1.2, 2.2, 400)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for dist, x, name, color in [(SOURCE, x_S, "source", "C0"), (TARGET, x_T, "target", "C1")]:
    ax0.plot(grid, dist.pdf(grid), color=color, label=f"{name} density")
    ax0.hist(x, bins=25, density=True, alpha=0.3, color=color, label=f"{name} sample ({len(x)})")
ax0.set_xlabel("x")
ax0.set_title("Input densities")
ax0.legend()
ax1.scatter(x_S, y_S, s=10, color="C0", label="source samples")
ax1.plot(grid, f(grid), color="k", label="f(x) = -x + x^3")
ax1.set_xlabel("x")
ax1.set_ylabel("y")
ax1.set_ylim(-2, 6)
ax1.set_title("The regression function and the source data")
ax1.legend()
plt.show()

# %%
# The density ratio from a logistic discriminator
# -----------------------------------------------
# The target inputs get label 1, the source inputs label 0, and an
# unpenalised logistic regression on ``[x, x^2]`` separates them. For two
# Gaussians the true log-ratio is
# ``log w(x) = log(s_S / s_T) - (x - m_T)^2 / (2 s_T^2) + (x - m_S)^2 / (2 s_S^2)``,
# a quadratic whose coefficients the fit estimates; its intercept estimates
# the constant plus ``log(n_T / n_S)`` (``log(500 / 150) = 1.20`` here).
# Without the factor ``n_S / n_T`` every weight would be ``n_T / n_S = 3.3``
# times too large: a weighted least-squares fit would not notice (it is
# invariant to a common factor of the weights), but an importance-weighted
# average or a weighted sum of losses would. The *effective sample size*
# ``(sum w)^2 / sum w^2`` of the weighted source sample says how many
# unweighted samples its weights are worth.


def features(x):
    return np.c_[x, x**2]


def ratio_discriminator(x_target, x_source):
    """Logistic regression of target (label 1) against source (label 0) inputs on ``features``."""
    F = np.vstack([features(x_target), features(x_source)])
    labels = np.r_[np.ones(len(x_target)), np.zeros(len(x_source))]
    return LogisticClassifier(C=np.inf).fit(F, labels)


def importance_weights(discriminator, x, n_target, n_source):
    """``p_target(x) / p_source(x) = exp(logit(x)) * n_source / n_target``."""
    return np.exp(discriminator.decision_function(features(x))) * n_source / n_target


def true_log_weight_coefficients():
    """``(constant, x, x^2)`` coefficients of ``log(p_target / p_source)``."""
    (m_S, s_S), (m_T, s_T) = SOURCE.args, TARGET.args
    return np.array([np.log(s_S / s_T) - m_T**2 / (2 * s_T**2) + m_S**2 / (2 * s_S**2),
                     m_T / s_T**2 - m_S / s_S**2,
                     1 / (2 * s_S**2) - 1 / (2 * s_T**2)])


def true_weights(x):
    return TARGET.pdf(x) / SOURCE.pdf(x)


discriminator = ratio_discriminator(x_T, x_S)
w = importance_weights(discriminator, x_S, n_T, n_S)
estimated = np.r_[discriminator.intercept_[0] - np.log(n_T / n_S), discriminator.coef_[0]]
print("coefficients of log w(x):   constant        x      x^2")
print(f"  true                     {true_log_weight_coefficients()[0]:>8.3f} {true_log_weight_coefficients()[1]:>8.3f}"
      f" {true_log_weight_coefficients()[2]:>8.3f}")
print(f"  estimated                {estimated[0]:>8.3f} {estimated[1]:>8.3f} {estimated[2]:>8.3f}")
ess = w.sum() ** 2 / (w**2).sum()
ess_true = true_weights(x_S).sum() ** 2 / (true_weights(x_S) ** 2).sum()
print(f"mean weight on the source sample: {w.mean():.3f} (E_source[w] = 1)")
print(f"effective sample size of the {n_S} source samples: {ess:.1f} (estimated w), {ess_true:.1f} (true w)")

fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for ax, scale in zip(axes, ["linear", "log"]):
    ax.plot(grid, true_weights(grid), color="k", label="true p_target / p_source")
    ax.plot(grid, importance_weights(discriminator, grid, n_T, n_S), color="C2", linestyle="--",
            label="exp(logit) n_S / n_T")
    ax.plot(x_S, np.full_like(x_S, 0 if scale == "linear" else 1e-4), "|", color="C0", markersize=12,
            label="source inputs")
    ax.set_yscale(scale)
    ax.set_xlabel("x")
    ax.set_ylabel("w(x)")
axes[0].set_title("Density ratio: true and estimated")
axes[1].set_ylim(1e-4, 10)
axes[1].set_title("The same, on a log scale: log w is a quadratic")
axes[0].legend()
plt.show()

# %%
# Three fitted lines
# ------------------
# Least squares on the source data, unweighted and with ``sample_weight=w``,
# and on the labelled target data; the weighted fit with the true ratio and
# the best line under the target distribution (the projection of ``f`` on the
# lines in ``L^2(P_target)``, in closed form from the Gaussian moments) are
# references. The excess risk of a line ``a + b x`` over the best line
# ``a* + b* x`` is ``E_target[(a - a* + (b - b*) x)^2]``; the target test
# error adds the noise and the error of the best line itself.


def best_line(dist):
    """Intercept and slope minimising ``E[(f(x) - a - b x)^2]`` for Gaussian inputs."""
    m1, m2, m3, m4 = (dist.moment(k) for k in (1, 2, 3, 4))
    mean_f, mean_xf = m3 - m1, m4 - m2  # E[f], E[x f] for f = x^3 - x
    slope = (mean_xf - m1 * mean_f) / (m2 - m1**2)
    return mean_f - slope * m1, slope


def excess_risk(intercept, slope, dist=TARGET):
    a_star, b_star = best_line(dist)
    da, db = intercept - a_star, slope - b_star
    return (da + db * dist.mean()) ** 2 + db**2 * dist.var()


def fit_lines(x_S, y_S, w, x_T_train, y_T_train):
    X_S = x_S[:, None]
    models = {"source, unweighted": LinearRegression().fit(X_S, y_S),
              "source, estimated w": LinearRegression().fit(X_S, y_S, sample_weight=w),
              "source, true w": LinearRegression().fit(X_S, y_S, sample_weight=true_weights(x_S)),
              "target-trained": LinearRegression().fit(x_T_train[:, None], y_T_train)}
    return {name: (m.intercept_, m.coef_[0]) for name, m in models.items()}


lines = fit_lines(x_S, y_S, w, x_T_train, y_T_train)
lines_with_best = {**lines, "best line under the target": best_line(TARGET)}
print(f"{'':<28}{'intercept':>10}{'slope':>8}{'target test MSE':>17}{'excess risk':>13}")
for name, (a, b) in lines_with_best.items():
    mse = np.mean((y_test - a - b * x_test) ** 2)
    print(f"{name:<28}{a:>10.3f}{b:>8.3f}{mse:>17.4f}{excess_risk(a, b):>13.1e}")
a_src, b_src = best_line(SOURCE)
print(f"(the best line under the source distribution: intercept {a_src:.3f}, slope {b_src:.3f})")
risks = {name: excess_risk(*line) for name, line in lines.items()}
print(f"in this draw the weighted fit's excess risk is "
      f"{risks['source, estimated w'] / risks['source, unweighted']:.3f} times the unweighted fit's and "
      f"{risks['source, estimated w'] / risks['target-trained']:.1f} times the target-trained fit's")

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.scatter(x_S, y_S, s=10, color="C0", alpha=0.6, label="source samples")
ax.scatter(x_T_train, y_T_train, s=10, color="C1", alpha=0.6, label="target samples")
ax.plot(grid, f(grid), color="k", label="f(x)")
for (name, (a, b)), style in zip(lines.items(), ["C0-", "C2--", "C2:", "C1-"]):
    if name != "source, true w":
        ax.plot(grid, a + b * grid, style, linewidth=2, label=name)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_ylim(-2, 4)
ax.set_title("Linear fits: unweighted, importance-weighted, target-trained")
ax.legend()
plt.show()

# %%
# Over many draws
# ---------------
# One draw of the data is one draw. 200 independent draws of the 150 source
# samples, 500 target inputs and 150 labelled target samples give the mean
# excess risk of each fit (with its standard error) and how often the
# weighted fit beats the unweighted one. Weighting trades bias for variance:
# the weighted sample is worth fewer unweighted samples (the effective sample
# size above), so its line varies more from draw to draw than the
# target-trained one.

start = time.perf_counter()
draws = {name: [] for name in lines}
for seed in range(1, 201):
    rng = np.random.default_rng(seed)
    xs, ys = draw(SOURCE, n_S, rng)
    xt, _ = draw(TARGET, n_T, rng)
    xtt, ytt = draw(TARGET, n_T_labelled, rng)
    ws = importance_weights(ratio_discriminator(xt, xs), xs, n_T, n_S)
    for name, line in fit_lines(xs, ys, ws, xtt, ytt).items():
        draws[name].append(excess_risk(*line))
draws = {name: np.array(r) for name, r in draws.items()}
print(f"excess risk on the target over {len(draws['target-trained'])} draws "
      f"({time.perf_counter() - start:.1f} s)")
for name, r in draws.items():
    print(f"  {name:<22} mean {r.mean():.2e} +- {r.std(ddof=1) / np.sqrt(len(r)):.1e}, median {np.median(r):.2e}")
wins = np.mean(draws["source, estimated w"] < draws["source, unweighted"])
print(f"the weighted fit has the smaller excess risk in {wins:.0%} of the draws")
ratio = draws["source, estimated w"].mean() / draws["target-trained"].mean()
print(f"mean excess risk, weighted / target-trained: {ratio:.2f}; estimated / true w: "
      f"{draws['source, estimated w'].mean() / draws['source, true w'].mean():.2f}")
print(f"total run time {time.perf_counter() - start_all:.1f} s")

# %%
# Takeaways
# ---------
# * A probabilistic classifier between two samples is a density-ratio
#   estimator: ``p / q = exp(logit) n_Q / n_P``. The factor ``n_Q / n_P``
#   undoes the classes' prior odds; it matters as soon as the samples differ
#   in size.
# * The logistic fit on ``[x, x^2]`` is exact in form for Gaussian inputs;
#   for other shifts the features decide which ratios can be represented, and
#   a penalty (finite ``C``) can tame the weights' variance.
# * Under covariate shift a misspecified model fitted on the source data
#   answers the wrong question; with the estimated weights, as the printed
#   excess risks show, the source fit moves to the line the target data would
#   give, at the price of the variance of fewer effective samples, which the
#   target-trained fit does not pay.
