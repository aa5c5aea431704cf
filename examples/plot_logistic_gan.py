"""
================================================================
A generative adversarial network with a logistic discriminator
================================================================

A generative adversarial network (Goodfellow et al. 2014) trains two models
against each other. The *discriminator* ``D(x)`` is a classifier that tells
data (label 1) from the generator's samples (label 0), trained with the
logistic loss, the binary cross-entropy

.. math::

    -\\mathbb{E}_{\\text{data}} \\log D(x) - \\mathbb{E}_z \\log(1 - D(G(z))).

The *generator* ``G`` maps noise ``z`` to samples and is trained to fool it.
Goodfellow et al. show that the best discriminator is
``D*(x) = p_data(x) / (p_data(x) + p_G(x))``: the density-ratio identity of a
classifier between two samples of equal size (see
:ref:`sphx_glr_auto_examples_plot_density_ratio.py`), and against ``D*`` the
generator's minimax objective is the Jensen-Shannon divergence up to
constants. They also recommend the *non-saturating* generator loss
``-log D(G(z))`` over ``log(1 - D(G(z)))``: both push ``D(G(z))`` up, but the
first has strong gradients where the discriminator rejects the samples.

Here the discriminator is :class:`~sklogloss.LogisticClassifier` on fixed
features ``phi(x)``: ``D(x) = sigmoid(w . phi(x) + b)``, refitted (from its
previous coefficients, ``warm_start=True``) on fresh samples every round. The
generator is a polynomial map of one-dimensional Gaussian noise, moved by
gradient steps. Its gradient comes from
:func:`sklogloss.adversarial.input_gradient`, which differentiates the
classifier's loss ``-log P(y | phi)`` with respect to its input ``phi``: with
``y`` the *data* label that loss is the non-saturating ``-log D``, and the
chain rule through ``phi`` and ``G`` by hand gives the gradient with respect
to the generator's parameters.

A logistic discriminator on fixed features cannot see everything. Its loss is
convex (a ridge penalty keeps it so), and at ``w = 0`` (with ``b`` the log of
the classes' size ratio) its gradient with respect to ``w`` is proportional
to ``mean_data(phi) - mean_G(phi)``: the constant discriminator, which cannot
tell the two samples apart, is the best one exactly when the *feature means*
of data and generator agree. A generator that matches the data's feature
means is then a resting point of the game: the discriminator is constant and
pushes its samples nowhere. With ``phi(x) = [x, x^2]`` the feature means are
the mean and the second moment, and nothing else.
"""

# %%
# The data, the features and the generators
# -----------------------------------------
# The data follow a Gamma distribution of shape 2 (mean 2, variance 2,
# skewness 1.41). The features are standardised with the data's mean and
# standard deviation, ``u = (x - 2) / sqrt(2)``, a fixed affine map that
# keeps the polynomial features on a scale of one. The generators are
# ``G(z) = sum_k theta_k He_k(z)`` with ``He_k`` the probabilists' Hermite
# polynomials (``1, z, z^2 - 1, z^3 - 3 z``), orthogonal under ``z ~ N(0, 1)``:
# the generator's mean is ``theta_0`` and its variance
# ``sum_{k >= 1} k! theta_k^2``, in closed form. Degree 1 is a Gaussian
# generator ``mu + sigma z``; degree 3 can also skew and stretch.
import time
from math import factorial

import matplotlib.pyplot as plt
import numpy as np
from numpy.polynomial.hermite_e import hermevander
from scipy import stats

from sklogloss import LogisticClassifier
from sklogloss.adversarial import input_gradient

start_all = time.perf_counter()
DATA = stats.gamma(2.0)
LOC, SCALE = DATA.mean(), DATA.std()
BATCH = 2000


def quadratic_features():
    """``phi(x) = [u, u^2]`` with ``u`` the standardised ``x``, and ``d phi / d x``."""
    def phi(x):
        u = (x - LOC) / SCALE
        return np.column_stack([u, u**2])

    def dphi_dx(x):
        u = (x - LOC) / SCALE
        return np.column_stack([np.ones_like(u), 2 * u]) / SCALE

    return phi, dphi_dx


def bump_features(centres, width):
    """``[u, u^2]`` and Gaussian bumps ``exp(-(u - c)^2 / (2 width^2))`` at ``centres``, and ``d phi / d x``."""
    centres = np.asarray(centres)

    def phi(x):
        u = ((x - LOC) / SCALE)[:, None]
        return np.hstack([u, u**2, np.exp(-((u - centres) ** 2) / (2 * width**2))])

    def dphi_dx(x):
        u = ((x - LOC) / SCALE)[:, None]
        bumps = np.exp(-((u - centres) ** 2) / (2 * width**2))
        return np.hstack([np.ones_like(u), 2 * u, -(u - centres) / width**2 * bumps]) / SCALE

    return phi, dphi_dx


def generate(theta, z):
    """Samples ``G(z)`` and the Jacobian ``d G(z_i) / d theta`` (the Hermite basis at ``z_i``)."""
    basis = hermevander(z, len(theta) - 1)
    return basis @ theta, basis


def generator_moments(theta):
    """Mean and standard deviation of ``G(z)``, ``z ~ N(0, 1)``."""
    return theta[0], np.sqrt(sum(factorial(k) * t**2 for k, t in enumerate(theta) if k > 0))


# %%
# One generator step, by the chain rule
# -------------------------------------
# ``input_gradient(D, phi(x), y)`` is row by row ``d l_i / d phi(x_i)`` for
# ``l_i = -log P(y_i | phi(x_i))``; with ``y_i = 1`` (the data label) this is
# the non-saturating generator loss ``-log D(x_i)``, and the gradient is
# ``-(1 - D(x_i)) w``. Then
#
# * ``d l_i / d x_i = sum_k (d l_i / d phi_k) (d phi_k / d x)(x_i)``;
# * ``d L / d theta = mean_i (d l_i / d x_i) (d G(z_i) / d theta)`` for the
#   generator's loss ``L``, the mean of ``l_i`` over the batch.
#
# Each round the discriminator is refitted on ``BATCH`` fresh data samples
# and as many fresh generated ones (equal sizes: ``D / (1 - D)`` estimates
# ``p_data / p_G`` with no correction), then the generator takes one step
# down ``L``.


def generator_gradient(discriminator, features, theta, z):
    """Gradient of ``mean_i -log D(G(z_i))`` with respect to ``theta``."""
    phi, dphi_dx = features
    x, jacobian = generate(theta, z)
    dl_dphi = input_gradient(discriminator, phi(x), np.ones(len(x)))  # y = 1: the data label
    dl_dx = np.sum(dl_dphi * dphi_dx(x), axis=1)
    return dl_dx @ jacobian / len(x)


def generator_loss(discriminator, features, theta, z):
    x = generate(theta, z)[0]
    return -np.mean(discriminator.predict_log_proba(features[0](x))[:, 1])


# A check of the chain rule against central differences of the loss, for a
# discriminator fitted to a Gaussian generator N(-2, 0.5^2) and a cubic
# generator's parameters.
rng = np.random.default_rng(0)
features = quadratic_features()
theta = np.array([-2.0, 0.5, 0.2, 0.05])
z = rng.standard_normal(BATCH)
x_fake = generate(np.array([-2.0, 0.5]), z)[0]
check = LogisticClassifier(C=1.0).fit(np.vstack([features[0](DATA.rvs(BATCH, random_state=rng)),
                                                 features[0](x_fake)]), np.r_[np.ones(BATCH), np.zeros(BATCH)])
step = 1e-6
numeric = [(generator_loss(check, features, theta + step * e, z) - generator_loss(check, features, theta - step * e, z))
           / (2 * step) for e in np.eye(len(theta))]
analytic = generator_gradient(check, features, theta, z)
print(f"generator gradient, chain rule:    {np.array2string(analytic, precision=6)}")
print(f"generator gradient, finite diff.:  {np.array2string(np.array(numeric), precision=6)}")
print(f"max relative difference: {np.max(np.abs(analytic - numeric) / np.abs(analytic)):.1e}")

# %%
# Training
# --------
# ``C=1`` puts a light ridge penalty on the discriminator (``C`` multiplies
# the summed loss of 4000 samples), which keeps it finite while the two
# samples are still easy to separate. At logged rounds the generator is
# measured against the data: its mean and standard deviation (exact, from
# ``theta``), its skewness and the 1-D Wasserstein distance
# :func:`scipy.stats.wasserstein_distance`, both computed on 20,000
# quantiles instead of random samples (the generator at the normal quantiles
# ``z_i = Phi^-1((i - 1/2) / n)``, the data's quantile function at
# ``(i - 1/2) / n``), so that they carry no sampling noise; and the
# discriminator's ``|w|`` and log loss on the round's samples
# (``log 2 = 0.693`` for a discriminator that cannot tell them apart).

LEVELS = (np.arange(20_000) + 0.5) / 20_000
EVAL_Z = stats.norm.ppf(LEVELS)
EVAL_DATA = DATA.ppf(LEVELS)
# For scale: the distance from a random sample of one batch (2000 points) of the data itself.
SAMPLE_W1 = stats.wasserstein_distance(DATA.rvs(BATCH, random_state=np.random.default_rng(3)), EVAL_DATA)


def train(features, theta0, n_rounds, learning_rate, log_rounds, seed=0):
    rng = np.random.default_rng(seed)
    phi = features[0]
    theta = np.array(theta0, dtype=float)
    discriminator = LogisticClassifier(C=1.0, warm_start=True)
    labels = np.r_[np.ones(BATCH), np.zeros(BATCH)]
    log = {}
    for r in range(n_rounds + 1):
        x_real = DATA.rvs(BATCH, random_state=rng)
        z = rng.standard_normal(BATCH)
        F = np.vstack([phi(x_real), phi(generate(theta, z)[0])])
        discriminator.fit(F, labels)
        if r in log_rounds:
            x_eval = generate(theta, EVAL_Z)[0]
            log[r] = {"theta": theta.copy(), "mean": generator_moments(theta)[0], "sd": generator_moments(theta)[1],
                      "skewness": stats.skew(x_eval), "W1": stats.wasserstein_distance(x_eval, EVAL_DATA),
                      "|w|": np.linalg.norm(discriminator.coef_),
                      "D log loss": -np.mean(discriminator.predict_log_proba(F)[np.arange(2 * BATCH),
                                                                                 labels.astype(int)])}
        if r < n_rounds:
            theta -= learning_rate * generator_gradient(discriminator, features, theta, z)
    return theta, log


def print_log(log, rounds):
    print(f"{'round':>6}{'mean':>8}{'sd':>8}{'skewness':>10}{'W1':>8}{'|w|':>8}{'D log loss':>12}")
    for r in rounds:
        row = log[r]
        print(f"{r:>6}{row['mean']:>8.3f}{row['sd']:>8.3f}{np.round(row['skewness'], 3) + 0.0:>10.3f}{row['W1']:>8.4f}"
              f"{row['|w|']:>8.4f}{row['D log loss']:>12.4f}")
    print(f"{'data':>6}{DATA.mean():>8.3f}{DATA.std():>8.3f}{float(DATA.stats(moments='s')):>10.3f}"
          f"{SAMPLE_W1:>8.4f}   (W1: a random sample of {BATCH} data points)")


# %%
# A Gaussian generator against quadratic features
# -----------------------------------------------
# ``G(z) = mu + sigma z`` from ``mu = -2, sigma = 0.5``: far from the data,
# which a logistic regression on ``[u, u^2]`` separates easily.

LOG_ROUNDS = sorted({5, 10, 20, 30, *range(0, 401, 25)})
start = time.perf_counter()
theta_gauss, log_gauss = train(quadratic_features(), [-2.0, 0.5], 300, 0.3, LOG_ROUNDS)
print(f"Gaussian generator, features [u, u^2] ({time.perf_counter() - start:.1f} s)")
print_log(log_gauss, [0, 5, 20, 50, 100, 200, 300])
mean_gap, sd_gap = log_gauss[300]["mean"] - DATA.mean(), log_gauss[300]["sd"] - DATA.std()
print(f"after 300 rounds: mean {mean_gap:+.3f} and standard deviation {sd_gap:+.3f} from the data's")
r_best = min(log_gauss, key=lambda r: log_gauss[r]["W1"])
print(f"smallest W1 of the logged rounds: {log_gauss[r_best]['W1']:.4f} at round {r_best}; "
      f"{log_gauss[300]['W1']:.4f} at round 300")

# %%
# The generator's density (a normal density: the generator is Gaussian) at
# several rounds, against the data's. It settles on the normal density with
# the data's mean and variance, and no Gaussian can follow the skewness of
# the Gamma density: the Wasserstein distance stops far above that of a
# random sample of the data. Nor is it what the game minimises: the Gaussian
# with the data's mean and variance need not be the Gaussian closest to the
# data in W1, and the printed distances say whether the generator passed
# closer on its way.

grid = np.linspace(-4, 10, 500)
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.fill_between(grid, DATA.pdf(grid), color="grey", alpha=0.3, label="data: Gamma(2)")
for r, color in zip([0, 5, 20, 50, 300], plt.cm.viridis(np.linspace(0, 0.9, 5))):
    mu, sigma = generator_moments(log_gauss[r]["theta"])
    ax.plot(grid, stats.norm(mu, sigma).pdf(grid), color=color, label=f"generator, round {r}")
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.set_title("Gaussian generator, discriminator on [x, x^2]")
ax.legend()
plt.show()

# %%
# What the quadratic discriminator cannot see
# -------------------------------------------
# A cubic generator could skew its samples the right way, but the
# discriminator on ``[u, u^2]`` gives it no reason to: any generator with the
# data's mean and variance is a resting point. From the same start, it
# matches the two moments and ends wherever its path leaves its skewness.

start = time.perf_counter()
theta_cubic_quad, log_cubic_quad = train(quadratic_features(), [-2.0, 0.5, 0.0, 0.0], 400, 0.1, LOG_ROUNDS)
print(f"cubic generator, features [u, u^2] ({time.perf_counter() - start:.1f} s)")
print_log(log_cubic_quad, [0, 20, 50, 100, 200, 400])

# %%
# Richer features
# ---------------
# Eight Gaussian bumps of width 0.5 (in units of the data's standard
# deviation) at centres from -1.5 to 3, on top of ``[u, u^2]``: now the
# resting points must also match the mean of each bump, which ties down the
# shape. For reference, the cubic closest to the data's quantile function
# (a least-squares fit of ``G(z)`` to ``F^-1(Phi(z))``, which needs the
# data's quantiles, not samples) shows how close a cubic generator can get.

bumps = bump_features(np.linspace(-1.5, 3, 8), 0.5)
start = time.perf_counter()
theta_cubic_bumps, log_cubic_bumps = train(bumps, [-2.0, 0.5, 0.0, 0.0], 400, 0.1, LOG_ROUNDS)
print(f"cubic generator, features [u, u^2] and 8 bumps ({time.perf_counter() - start:.1f} s)")
print_log(log_cubic_bumps, [0, 20, 50, 100, 200, 400])

quantile_z = np.sort(EVAL_Z)
theta_quantile = np.linalg.lstsq(hermevander(quantile_z, 3), DATA.ppf(stats.norm.cdf(quantile_z)), rcond=None)[0]
w1_quantile = stats.wasserstein_distance(generate(theta_quantile, EVAL_Z)[0], EVAL_DATA)
print(f"cubic fitted to the data's quantile function: theta = {np.array2string(theta_quantile, precision=3)}, "
      f"W1 = {w1_quantile:.4f}, skewness {stats.skew(generate(theta_quantile, EVAL_Z)[0]):.3f}")

final = {"Gaussian, [u, u^2]": log_gauss[300], "cubic, [u, u^2]": log_cubic_quad[400],
         "cubic, [u, u^2] + bumps": log_cubic_bumps[400]}
print(f"{'final generator':<26}{'mean':>8}{'sd':>8}{'skewness':>10}{'W1':>8}")
for name, row in final.items():
    print(f"{name:<26}{row['mean']:>8.3f}{row['sd']:>8.3f}{np.round(row['skewness'], 3) + 0.0:>10.3f}"
          f"{row['W1']:>8.4f}")
closest = min(final, key=lambda name: final[name]["W1"])
print(f"closest to the data in W1: {closest} ({final[closest]['W1'] / w1_quantile:.1f} times the quantile fit's W1)")
matched = all(abs(row["mean"] - DATA.mean()) < 0.05 and abs(row["sd"] - DATA.std()) < 0.05 for row in final.values())
print(f"all three match the data's mean and standard deviation to within 0.05: {matched}")
print(f"the bump-feature generator's W1 ({final['cubic, [u, u^2] + bumps']['W1']:.4f}) is "
      f"{'below' if final['cubic, [u, u^2] + bumps']['W1'] < SAMPLE_W1 else 'above'} that of a random sample of "
      f"{BATCH} data points ({SAMPLE_W1:.4f})")

# %%
# Two discriminators, one generator
# ---------------------------------
# The final cubic generator of the quadratic discriminator is far from the
# data, yet a logistic regression on ``[u, u^2]`` cannot tell them apart:
# fitted on 20,000 quantiles of each, its log loss stays at ``log 2``. The
# same fit on ``[u, u^2]`` and the bumps separates them.

F_data_quad, F_gen_quad = quadratic_features()[0](EVAL_DATA), quadratic_features()[0](generate(theta_cubic_quad,
                                                                                             EVAL_Z)[0])
F_data_bumps, F_gen_bumps = bumps[0](EVAL_DATA), bumps[0](generate(theta_cubic_quad, EVAL_Z)[0])
labels = np.r_[np.ones(len(EVAL_DATA)), np.zeros(len(EVAL_Z))]
for name, F in [("[u, u^2]", np.vstack([F_data_quad, F_gen_quad])),
                ("[u, u^2] + bumps", np.vstack([F_data_bumps, F_gen_bumps]))]:
    critic = LogisticClassifier(C=1.0).fit(F, labels)
    loss = -np.mean(critic.predict_log_proba(F)[np.arange(len(F)), labels.astype(int)])
    D = critic.predict_proba(F)[:, 1]
    print(f"discriminator on {name:<17} log loss {loss:.4f} (log 2 = {np.log(2):.4f}), "
          f"D(x) from {D.min():.3f} to {D.max():.3f}")

# %%
# The three final generators' densities (histograms of their 20,000
# quantiles; the cubic generator of the quadratic discriminator folds over,
# and its density rises far above the frame near the fold), and the
# Wasserstein distance over the rounds.

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
ax0.fill_between(grid, DATA.pdf(grid), color="grey", alpha=0.3, label="data: Gamma(2)")
bins = np.linspace(-4, 10, 141)
for (name, row), color in zip(final.items(), ["C0", "C3", "C2"]):
    ax0.hist(generate(row["theta"], EVAL_Z)[0], bins=bins, density=True, histtype="step", color=color,
             linewidth=1.5, label=name)
ax0.set_xlim(-4, 10)
ax0.set_ylim(0, 0.8)
ax0.set_xlabel("x")
ax0.set_ylabel("density")
ax0.set_title("Final generators")
ax0.legend()
for (name, log), color in zip([("Gaussian, [u, u^2]", log_gauss), ("cubic, [u, u^2]", log_cubic_quad),
                               ("cubic, [u, u^2] + bumps", log_cubic_bumps)], ["C0", "C3", "C2"]):
    ax1.plot(list(log), [row["W1"] for row in log.values()], color=color, label=name)
ax1.axhline(w1_quantile, color="C2", linestyle=":", label="cubic fitted to the quantiles")
ax1.axhline(SAMPLE_W1, color="grey", linestyle="--", label=f"a sample of {BATCH} data points")
ax1.set_yscale("log")
ax1.set_xlabel("round")
ax1.set_ylabel("Wasserstein distance to the data")
ax1.set_title("Distance to the data")
ax1.legend(loc="upper right")
plt.show()
print(f"total run time {time.perf_counter() - start_all:.1f} s")

# %%
# Takeaways
# ---------
# * The GAN discriminator's loss is the logistic loss, and its best response
#   estimates the density ratio ``p_data / p_G``; the non-saturating
#   generator step moves each sample up the estimated log-ratio, weighted by
#   ``1 - D``.
# * A logistic discriminator on fixed features turns the game into matching
#   the features' means: with ``[x, x^2]`` a generator is done when its mean
#   and variance are the data's, whatever its shape, as the cubic generator
#   shows.
# * Richer features constrain more of the distribution. With the bumps, the
#   printed distances say how far the cubic generator gets towards the best
#   cubic. The step size matters, as in any GAN: the iteration is a game, not
#   a descent, and too large steps can make it oscillate or diverge.
