"""Density ratios from a logistic discriminator, against closed forms.

A classifier that separates a sample of ``n_P`` points from ``P`` (label 1)
from a sample of ``n_Q`` points from ``Q`` (label 0) has, by Bayes' rule,
log-odds ``logit(x) = log(p(x) / q(x)) + log(n_P / n_Q)``. When
``log(p / q)`` is linear in the features the unpenalised logistic fit
(``C=np.inf``) is a correctly specified model of the labels and its
coefficients converge to those of the log-ratio, its intercept to the
log-ratio's constant plus ``log(n_P / n_Q)``.

Tolerances are a few standard errors. Fixed sample sizes make the fit a
case-control design: the sandwich covariance of the estimates is the inverse
Fisher information ``I^-1`` with ``1 / n_P + 1 / n_Q`` taken off the
intercept's variance (Prentice & Pyke 1979; the score's variance under fixed
class counts is ``I - (1 / n_P + 1 / n_Q) v v^T`` with ``I^-1 v`` the
intercept's unit vector). :func:`test_standard_errors_match_the_spread_over_seeds`
checks these standard errors against repeated draws.
"""

import numpy as np
import pytest
from scipy.stats import chi2

from sklogloss import LogisticClassifier

# P = N(MU_P, SIGMA), Q = N(MU_Q, SIGMA) in 2-D: log(p / q) = W_TRUE . x + C_TRUE.
MU_P, MU_Q = np.array([1.0, -0.5]), np.array([0.0, 0.5])
SIGMA = np.array([[1.0, 0.6], [0.6, 2.0]])
SIGMA_INV = np.linalg.inv(SIGMA)
W_TRUE = SIGMA_INV @ (MU_P - MU_Q)
C_TRUE = -0.5 * (MU_P @ SIGMA_INV @ MU_P - MU_Q @ SIGMA_INV @ MU_Q)
THETA_TRUE = np.r_[C_TRUE, W_TRUE]  # (constant, coefficients)

Z_MAX = 4.0  # |estimate - truth| / standard error; two-sided tail 6e-5 per coordinate


def gaussian_sample(mean, cov, n, rng):
    return mean + rng.standard_normal((n, len(mean))) @ np.linalg.cholesky(cov).T


def fit_discriminator(F_P, F_Q):
    """Unpenalised logistic fit of label 1 (the rows of ``F_P``) against label 0 (``F_Q``)."""
    F = np.vstack([F_P, F_Q])
    y = np.r_[np.ones(len(F_P)), np.zeros(len(F_Q))]
    return LogisticClassifier(C=np.inf).fit(F, y), F


def log_ratio_parameters(clf, n_P, n_Q):
    """``(constant, coefficients)`` of the estimated ``log(p / q)``: the log-odds less ``log(n_P / n_Q)``."""
    return np.r_[clf.intercept_[0] - np.log(n_P / n_Q), clf.coef_[0]]


def log_ratio(clf, F, n_P, n_Q):
    """Estimated ``log(p(x) / q(x)) = logit(x) + log(n_Q / n_P)``."""
    return clf.decision_function(F) + np.log(n_Q / n_P)


def covariance(clf, F, n_P, n_Q):
    """Asymptotic covariance of ``(intercept, coef)`` under fixed class counts (see the module docstring)."""
    p = clf.predict_proba(F)[:, 1]
    F1 = np.c_[np.ones(len(F)), F]
    information = (F1 * (p * (1 - p))[:, None]).T @ F1
    cov = np.linalg.inv(information)
    cov[0, 0] -= 1 / n_P + 1 / n_Q
    return cov


def test_the_fit_is_at_its_optimum():
    # The solver's error must be negligible next to the sampling error the tests allow.
    rng = np.random.default_rng(0)
    F_P, F_Q = gaussian_sample(MU_P, SIGMA, 20_000, rng), gaussian_sample(MU_Q, SIGMA, 10_000, rng)
    clf, F = fit_discriminator(F_P, F_Q)
    y = np.r_[np.ones(len(F_P)), np.zeros(len(F_Q))]
    F1 = np.c_[np.ones(len(F)), F]
    p = clf.predict_proba(F)[:, 1]
    newton_step = np.linalg.solve((F1 * (p * (1 - p))[:, None]).T @ F1, F1.T @ (y - p))
    se = np.sqrt(np.diag(covariance(clf, F, 20_000, 10_000)))
    assert np.all(np.abs(newton_step) < 1e-4 * se)


def test_standard_errors_match_the_spread_over_seeds():
    # 100 independent draws of (a) with n_P = 4000, n_Q = 2000: the z-scores computed from each draw's own
    # standard errors have mean 0 and variance 1, within the 0.1% tails of their sampling distributions.
    n_P, n_Q, n_rep = 4000, 2000, 100
    z, z_uncorrected = [], []
    for seed in range(n_rep):
        rng = np.random.default_rng(1000 + seed)
        clf, F = fit_discriminator(gaussian_sample(MU_P, SIGMA, n_P, rng), gaussian_sample(MU_Q, SIGMA, n_Q, rng))
        error = log_ratio_parameters(clf, n_P, n_Q) - THETA_TRUE
        cov = covariance(clf, F, n_P, n_Q)
        z.append(error / np.sqrt(np.diag(cov)))
        z_uncorrected.append(error[0] / np.sqrt(cov[0, 0] + 1 / n_P + 1 / n_Q))
    z = np.array(z)
    assert np.all(np.abs(z.mean(axis=0)) < 3.29 / np.sqrt(n_rep))
    low, high = chi2.ppf([0.0005, 0.9995], n_rep - 1) / (n_rep - 1)
    variance = z.var(axis=0, ddof=1)
    assert np.all((low < variance) & (variance < high)), variance
    # The plain inverse Fisher information overstates the intercept's spread: without the case-control
    # correction its z-scores have a variance near 1/2.
    assert np.var(z_uncorrected, ddof=1) < low


@pytest.mark.parametrize("n_P, n_Q", [(200_000, 200_000), (200_000, 100_000)])
def test_equal_covariances_give_the_linear_log_ratio(n_P, n_Q):
    rng = np.random.default_rng(1)
    clf, F = fit_discriminator(gaussian_sample(MU_P, SIGMA, n_P, rng), gaussian_sample(MU_Q, SIGMA, n_Q, rng))
    theta = log_ratio_parameters(clf, n_P, n_Q)
    cov = covariance(clf, F, n_P, n_Q)
    se = np.sqrt(np.diag(cov))
    assert np.all(se[1:] < 0.01)  # 200k points each pin the coefficients to about 1%
    assert np.all(np.abs(theta - THETA_TRUE) < Z_MAX * se), (theta - THETA_TRUE) / se
    error = theta - THETA_TRUE
    assert error @ np.linalg.solve(cov, error) < chi2.ppf(0.9999, 3)  # jointly, too
    if n_P != n_Q:  # the raw intercept is the log-odds', log(n_P / n_Q) = 0.69 away: over 100 standard errors
        assert abs(clf.intercept_[0] - C_TRUE) > 100 * se[0]


def test_the_intercept_shifts_by_the_log_of_the_sample_size_ratio():
    # n_Q = 100k and P samples of four sizes, each fit on its own independent draws (so that the standard
    # errors of a difference add in quadrature): the coefficients do not move, the intercept moves by
    # log(n_P / n_Q).
    rng = np.random.default_rng(2)
    n_Q = 100_000
    fits = {}
    for n_P in [25_000, 50_000, 100_000, 400_000]:
        clf, F = fit_discriminator(gaussian_sample(MU_P, SIGMA, n_P, rng), gaussian_sample(MU_Q, SIGMA, n_Q, rng))
        fits[n_P] = clf.intercept_[0], clf.coef_[0], np.sqrt(np.diag(covariance(clf, F, n_P, n_Q)))
    b_ref, w_ref, se_ref = fits[n_Q]
    for n_P, (b, w, se) in fits.items():
        if n_P == n_Q:
            continue
        se_diff = np.sqrt(se**2 + se_ref**2)
        shift = b - b_ref
        assert abs(shift - np.log(n_P / n_Q)) < Z_MAX * se_diff[0], (n_P, shift)
        assert abs(shift) > 30 * se_diff[0]  # and log(n_P / n_Q) is far from 0
        np.testing.assert_array_less(np.abs(w - w_ref), Z_MAX * se_diff[1:])
        # The corrected intercept is the log-ratio's constant; the raw one is not.
        assert abs(b - np.log(n_P / n_Q) - C_TRUE) < Z_MAX * se[0]
        assert abs(b - C_TRUE) > 20 * se[0]


def test_different_variances_give_the_quadratic_log_ratio():
    # P = N(0.5, 0.8^2), Q = N(-0.3, 1.2^2) in 1-D: log(p / q) = a x^2 + b x + c, recovered on [x, x^2].
    m_P, s_P, m_Q, s_Q = 0.5, 0.8, -0.3, 1.2
    a = 1 / (2 * s_Q**2) - 1 / (2 * s_P**2)
    b = m_P / s_P**2 - m_Q / s_Q**2
    c = np.log(s_Q / s_P) - m_P**2 / (2 * s_P**2) + m_Q**2 / (2 * s_Q**2)
    theta_true = np.array([c, b, a])
    n_P, n_Q = 150_000, 250_000
    rng = np.random.default_rng(3)
    x_P, x_Q = m_P + s_P * rng.standard_normal(n_P), m_Q + s_Q * rng.standard_normal(n_Q)
    features = lambda x: np.c_[x, x**2]
    clf, F = fit_discriminator(features(x_P), features(x_Q))
    theta = log_ratio_parameters(clf, n_P, n_Q)
    cov = covariance(clf, F, n_P, n_Q)
    se = np.sqrt(np.diag(cov))
    assert np.all(np.abs(theta - theta_true) < Z_MAX * se), (theta - theta_true) / se

    # The ratio itself, p(x) / q(x) = exp(logit(x)) n_Q / n_P, on a grid, to a few pointwise standard errors
    # (the delta method: the variance of (1, x, x^2) . theta).
    grid = np.linspace(-2.5, 2.5, 11)
    true_log_ratio = (-(grid - m_P) ** 2 / (2 * s_P**2) + (grid - m_Q) ** 2 / (2 * s_Q**2) + np.log(s_Q / s_P))
    G1 = np.c_[np.ones_like(grid), features(grid)]
    se_grid = np.sqrt(np.einsum("ij,jk,ik->i", G1, cov, G1))
    estimate = log_ratio(clf, features(grid), n_P, n_Q)
    assert np.all(np.abs(estimate - true_log_ratio) < Z_MAX * se_grid)
    ratio = np.exp(clf.decision_function(features(grid))) * n_Q / n_P
    np.testing.assert_allclose(np.log(ratio), estimate, rtol=0, atol=1e-12)
    # Leaving out n_Q / n_P multiplies the ratio by n_P / n_Q = 0.6: over 10 standard errors off everywhere.
    assert np.all(np.abs(clf.decision_function(features(grid)) - true_log_ratio) > 10 * se_grid)
    # On [x] alone the log-ratio is misspecified: its slope is not the quadratic's, and the ratio is wrong.
    linear, _ = fit_discriminator(x_P[:, None], x_Q[:, None])
    assert np.max(np.abs(log_ratio(linear, grid[:, None], n_P, n_Q) - true_log_ratio)) > 1.0


def test_importance_weights_reweight_a_source_mean_to_the_target_mean():
    # Source N(0, 1), target N(0.6, 0.8^2): w = p_target / p_source, estimated on [x, x^2] from unlabelled
    # samples (target: label 1, n_T points; source: label 0, n_S points) as exp(logit) n_S / n_T. The
    # weighted source means (1 / n_S) sum_i w(x_i) f(x_i) estimate E_target[f]: f = 1 (E_source[w] = 1),
    # f = x and f = sin(x) (not in the features' span). Their standard error comes from 40 independent
    # repetitions of the whole procedure.
    m_T, s_T = 0.6, 0.8
    target_means = np.array([1.0, m_T, np.sin(m_T) * np.exp(-(s_T**2) / 2)])
    functions = lambda x: np.c_[np.ones_like(x), x, np.sin(x)]
    features = lambda x: np.c_[x, x**2]
    n_S, n_T, n_rep = 40_000, 10_000, 40
    weighted, unweighted, forgotten = [], [], []
    for seed in range(n_rep):
        rng = np.random.default_rng(2000 + seed)
        x_S, x_T = rng.standard_normal(n_S), m_T + s_T * rng.standard_normal(n_T)
        clf, _ = fit_discriminator(features(x_T), features(x_S))
        logit = clf.decision_function(features(x_S))
        w = np.exp(logit) * n_S / n_T
        weighted.append(w @ functions(x_S) / n_S)
        unweighted.append(functions(x_S).mean(axis=0))
        forgotten.append(np.exp(logit) @ functions(x_S) / n_S)  # without the factor n_S / n_T
    weighted, unweighted, forgotten = np.array(weighted), np.array(unweighted), np.array(forgotten)
    se = weighted.std(axis=0, ddof=1) / np.sqrt(n_rep)
    assert np.all(np.abs(weighted.mean(axis=0) - target_means) < Z_MAX * se)
    # The shift matters, and so does the factor: the source means and the weights without n_S / n_T are
    # both far from the target means, on x and sin(x) alike.
    assert np.all(np.abs(unweighted.mean(axis=0)[1:] - target_means[1:]) > 50 * se[1:])
    assert np.all(np.abs(forgotten.mean(axis=0) - target_means) > 50 * se)
    # Each single repetition is within a few of its own standard deviations of the target means.
    assert np.all(np.abs(weighted - target_means) < Z_MAX * se * np.sqrt(n_rep))
