"""Zero-truncated count losses: closed forms, high-precision references, derivatives, extremes."""

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from _stencil import five_point
from numpy.testing import assert_allclose
from scipy import stats

from sklogloss.losses.counts import (
    ZeroTruncatedGeometricLoss,
    ZeroTruncatedNegativeBinomialLoss,
    ZeroTruncatedPoissonLoss,
    log1mexp,
)

THETAS = [0.05, 0.3, 1.0, 7.0, 250.0, 3e3, 1e6]
Y = np.array([1, 1, 2, 3, 5, 10, 40], dtype=float)
RAW = np.array([-6.0, -2.0, -0.3, 0.4, 1.7, 3.0])


def _grid():
    y, raw = np.meshgrid(Y, RAW)
    return y.ravel(), raw.ravel()


def _all_losses():
    return [ZeroTruncatedPoissonLoss(), ZeroTruncatedGeometricLoss(),
            *[ZeroTruncatedNegativeBinomialLoss(theta) for theta in THETAS]]


def _ids(losses):
    return [f"{type(loss).__name__}({getattr(loss, 'theta', '')})" for loss in losses]


# --------------------------------------------------------------------- log1mexp
def test_log1mexp_against_high_precision():
    xs = [1e-300, 1e-20, 1e-8, 1e-3, 0.3, math.log(2) * (1 - 1e-12), math.log(2),
          math.log(2) * (1 + 1e-12), 1.0, 5.0, 40.0, 700.0]
    with localcontext() as ctx:
        ctx.prec = 400      # 1 - exp(-1e-300) needs ~300 digits
        ref = [float((1 - (-Decimal(x)).exp()).ln()) for x in xs]
    assert_allclose(log1mexp(np.array(xs)), ref, rtol=4e-16)


def test_log1mexp_limits_and_dtype():
    with np.errstate(divide="ignore"):
        out = log1mexp(np.array([0.0, np.inf]))
    assert out[0] == -np.inf and out[1] == 0.0
    assert log1mexp(np.array([0.5], dtype=np.float32)).dtype == np.float32
    buf = np.empty(2)
    assert log1mexp(np.array([0.1, 2.0]), out=buf) is buf
    assert_allclose(buf, np.log1p(-np.exp(-np.array([0.1, 2.0]))), rtol=1e-14)


# ------------------------------------------------------------ values vs references
def test_poisson_matches_scipy():
    y, raw = _grid()
    mu = np.exp(raw)
    ref = -(stats.poisson.logpmf(y, mu) - np.log(-np.expm1(-mu)))
    assert_allclose(ZeroTruncatedPoissonLoss().loss(y, raw), ref, rtol=1e-12)


@pytest.mark.parametrize("theta", [0.05, 0.3, 1.0, 7.0, 250.0])
def test_negative_binomial_matches_scipy(theta):
    y, raw = _grid()
    mu = np.exp(raw)
    prob = theta / (theta + mu)
    ref = -(stats.nbinom.logpmf(y, theta, prob) - np.log1p(-stats.nbinom.pmf(0, theta, prob)))
    # scipy subtracts two logarithms of small probabilities: ~1e-13 absolute at small mu.
    assert_allclose(ZeroTruncatedNegativeBinomialLoss(theta).loss(y, raw), ref, rtol=1e-11, atol=1e-12)


def test_geometric_closed_form():
    # Truncated geometric: (1 - p) p**(y - 1) with p = mu / (1 + mu), scipy's geom(1 - p).
    y, raw = _grid()
    mu = np.exp(raw)
    ref = -stats.geom.logpmf(y, 1 / (1 + mu))
    loss = ZeroTruncatedGeometricLoss()
    assert_allclose(loss.loss(y, raw), ref, rtol=1e-12)
    assert_allclose(loss.mean(raw), 1 + mu, rtol=1e-13)


def test_statsmodels_truncated_distributions():
    from statsmodels.distributions.discrete import truncatednegbin, truncatedpoisson

    y, raw = _grid()
    mu = np.exp(raw)
    assert_allclose(ZeroTruncatedPoissonLoss().loss(y, raw),
                    -truncatedpoisson.logpmf(y, mu, 0), rtol=1e-10)
    theta = 2.5
    assert_allclose(ZeroTruncatedNegativeBinomialLoss(theta).loss(y, raw),
                    -truncatednegbin.logpmf(y, mu, 1 / theta, 2, 0), rtol=1e-10)


def _reference_loss(y, mu, theta=None):
    """-log P(y | y > 0) in decimal arithmetic with 40 digits more than ``1 - f(0)`` needs."""
    with localcontext() as ctx:
        ctx.prec = 40 + max(0, int(-math.log10(mu)))
        mu = Decimal(mu)
        logfact = sum(Decimal(j).ln() for j in range(1, y + 1))
        if theta is None:
            log_f = y * mu.ln() - mu - logfact
            f0 = (-mu).exp()
        else:
            th = Decimal(theta)
            log_ratio = sum((th + j).ln() for j in range(y))     # log Gamma(y+th)/Gamma(th)
            log_q = (th / (th + mu)).ln()
            log_f = log_ratio - logfact + th * log_q + y * (mu / (th + mu)).ln()
            f0 = (th * log_q).exp()
        return float(-(log_f - (1 - f0).ln()))


@pytest.mark.parametrize("theta", [None, 0.05, 1.0, 4.0, 2e3, 1e5, 1e9])
def test_loss_against_high_precision(theta):
    """Small mu (series branches and their thresholds), large theta (Stirling branch)."""
    mus = [1e-250, 1e-12, 1e-6, 9.99e-4, 1.001e-3, 0.05, 0.7, 3.0, 60.0]
    loss = ZeroTruncatedPoissonLoss() if theta is None else ZeroTruncatedNegativeBinomialLoss(theta)
    for y in [1, 2, 7, 30]:
        ref = np.array([_reference_loss(y, mu, theta) for mu in mus])
        got = loss.loss(np.full(len(mus), float(y)), np.log(mus))
        assert_allclose(got, ref, rtol=1e-13, atol=1e-14)


def test_mean_against_high_precision():
    mus = [1e-200, 1e-9, 1e-4, 0.5, 5.0, 50.0]
    with localcontext() as ctx:
        ctx.prec = 240
        ref_p = [float(Decimal(m) / (1 - (-Decimal(m)).exp())) for m in mus]
        th = Decimal("0.4")
        ref_nb = [float(Decimal(m) / (1 - (th / (th + Decimal(m))) ** th)) for m in mus]
    assert_allclose(ZeroTruncatedPoissonLoss().mean(np.log(mus)), ref_p, rtol=1e-14)
    assert_allclose(ZeroTruncatedNegativeBinomialLoss(0.4).mean(np.log(mus)), ref_nb, rtol=1e-13)


# ------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("theta", [None, 0.05, 1.0, 4.0, 2e3])
def test_hessian_against_high_precision(theta):
    """Hessian q * ((1 - q) * (y - m) + m * (1 - q * mu / expm1(a))) where its terms cancel."""
    mus = [1e-250, 1e-12, 1e-6, 2e-4, 9.99e-4, 1.001e-3, 0.05, 0.7, 3.0, 60.0]
    loss = ZeroTruncatedPoissonLoss() if theta is None else ZeroTruncatedNegativeBinomialLoss(theta)
    for y in [1, 4]:
        ref = []
        for mu in mus:
            with localcontext() as ctx:
                ctx.prec = 40 + 2 * max(0, int(-math.log10(mu)))    # cancels to order mu**2
                mu_d = Decimal(mu)
                if theta is None:       # the truncated variance m - exp(-mu) m^2
                    f0 = (-mu_d).exp()
                    m = mu_d / (1 - f0)
                    ref.append(float(m - f0 * m * m))
                    continue
                th = Decimal(theta)
                q = th / (th + mu_d)
                a = -th * q.ln()
                m = mu_d / (1 - (-a).exp())
                k = 1 - q * mu_d / (a.exp() - 1)
                ref.append(float(q * ((1 - q) * (y - m) + m * k)))
        _, hess = loss.gradient_hessian(np.full(len(mus), float(y)), np.log(mus))
        assert_allclose(hess, ref, rtol=2e-13)


@pytest.mark.parametrize("loss", _all_losses(), ids=_ids(_all_losses()))
def test_gradient_hessian_five_point(loss):
    y, raw = _grid()
    h = 1e-3
    num_grad = five_point(lambda r: loss.loss(y, r), raw, h, direction=np.ones_like(raw))
    num_hess = five_point(lambda r: loss.gradient(y, r), raw, h, direction=np.ones_like(raw))
    grad, hess = loss.gradient_hessian(y, raw)
    scale = 1 + np.abs(grad)
    assert np.max(np.abs(grad - num_grad) / scale) < 1e-8
    assert np.max(np.abs(hess - num_hess) / (1 + np.abs(hess))) < 1e-8
    value, grad2 = loss.loss_gradient(y, raw)
    assert_allclose(value, loss.loss(y, raw), rtol=1e-15)
    assert_allclose(grad2, grad, rtol=1e-15)
    assert_allclose(loss.gradient(y, raw), grad, rtol=1e-15)


@pytest.mark.parametrize("theta", THETAS)
def test_log_theta_derivatives_five_point(theta):
    y, raw = _grid()
    t0, h = np.log(theta), 1e-3

    def at(t):
        return ZeroTruncatedNegativeBinomialLoss(np.exp(t)).loss_gradient_log_theta(y, raw)

    # The three outputs of loss_gradient_log_theta differentiated along log(theta) at once.
    d = five_point(lambda t: np.stack(at(float(t))), t0, h)

    loss = ZeroTruncatedNegativeBinomialLoss(theta)
    g_r, g_t, h_rr, h_rt, h_tt = loss.hessian_log_theta(y, raw)
    value, g_r2, g_t2 = loss.loss_gradient_log_theta(y, raw)
    assert_allclose(value, loss.loss(y, raw), rtol=1e-15)
    assert_allclose(g_r2, g_r, rtol=1e-15)
    assert_allclose(g_t2, g_t, rtol=1e-15)
    assert_allclose(h_rr, loss.gradient_hessian(y, raw)[1], rtol=1e-15)
    # Loss values reach ~1e2: the difference quotient resolves ~1e-12 * 1e2 / h.
    tol = 1e-7 * (1 + np.abs(value))
    assert np.all(np.abs(g_t - d[0]) < tol)
    assert np.all(np.abs(h_rt - d[1]) < tol)
    assert np.all(np.abs(h_tt - d[2]) < tol)


@pytest.mark.parametrize("theta", [None, 0.3, 1.0, 6.0])
@pytest.mark.parametrize("raw", [-3.0, 0.0, 1.5])
def test_fisher_identities(theta, raw):
    """Under the truncated model: E[gradient] = 0, E[Hessian] = Var(gradient) = Fisher information."""
    loss = ZeroTruncatedPoissonLoss() if theta is None else ZeroTruncatedNegativeBinomialLoss(theta)
    k = np.arange(1, 4000, dtype=float)
    r = np.full_like(k, raw)
    pmf = np.exp(-loss.loss(k, r))
    assert abs(pmf.sum() - 1) < 1e-12
    grad, hess = loss.gradient_hessian(k, r)
    assert abs(pmf @ grad) < 1e-12
    fisher = pmf @ grad**2
    assert_allclose(pmf @ hess, fisher, rtol=1e-10)
    assert_allclose(pmf @ k, loss.mean(np.array([raw]))[0], rtol=1e-12)
    if theta is None:
        assert np.all(hess == hess[0])                 # independent of y
    else:
        assert_allclose(loss.fisher_hessian(np.array([raw]))[0], fisher, rtol=1e-10)


def test_poisson_hessian_is_truncated_variance():
    raw = np.linspace(-30, 30, 61)
    mu = np.exp(raw)
    m = mu / -np.expm1(-mu)
    var = m - np.exp(-mu) * m**2
    ok = mu > 1e-2        # the closed form cancels below; the series branch is checked above
    _, hess = ZeroTruncatedPoissonLoss().gradient_hessian(np.ones_like(raw), raw)
    assert_allclose(hess[ok], var[ok], rtol=1e-10)
    assert np.all(hess > 0)
    assert_allclose(hess[raw < -20], mu[raw < -20] / 2, rtol=1e-8)


# ---------------------------------------------------------------- relationships
def test_geometric_is_negative_binomial_theta_one():
    y, raw = _grid()
    geo, nb = ZeroTruncatedGeometricLoss(), ZeroTruncatedNegativeBinomialLoss(1.0)
    assert geo.theta == 1.0
    assert_allclose(geo.loss(y, raw), nb.loss(y, raw), rtol=0)
    for a, b in zip(geo.gradient_hessian(y, raw), nb.gradient_hessian(y, raw), strict=True):
        assert_allclose(a, b, rtol=0)


def test_negative_binomial_tends_to_poisson():
    y, raw = _grid()
    pois, nb = ZeroTruncatedPoissonLoss(), ZeroTruncatedNegativeBinomialLoss(1e11)
    assert_allclose(nb.loss(y, raw), pois.loss(y, raw), rtol=1e-8, atol=1e-9)
    for a, b in zip(nb.gradient_hessian(y, raw), pois.gradient_hessian(y, raw), strict=True):
        assert_allclose(a, b, rtol=1e-8, atol=1e-9)
    assert_allclose(nb.mean(raw), pois.mean(raw), rtol=1e-9)
    # log(theta) no longer matters: its derivatives vanish.
    _, g_t, _, h_rt, _ = nb.hessian_log_theta(y, raw)
    assert np.max(np.abs(g_t)) < 1e-7 and np.max(np.abs(h_rt)) < 1e-7


def test_negative_binomial_hessian_sign():
    """Convex in raw for theta >= 1 (the geometric is log-concave); not for theta < 1."""
    raw = np.linspace(-20, 20, 401)
    for y in [1.0, 2.0, 10.0]:
        yy = np.full_like(raw, y)
        assert ZeroTruncatedGeometricLoss().gradient_hessian(yy, raw)[1].min() >= 0
        assert ZeroTruncatedNegativeBinomialLoss(3.0).gradient_hessian(yy, raw)[1].min() >= 0
    h = ZeroTruncatedNegativeBinomialLoss(0.2).gradient_hessian(np.ones_like(raw), raw)[1]
    assert h.min() < 0
    assert not ZeroTruncatedNegativeBinomialLoss.hessian_is_fisher
    assert ZeroTruncatedPoissonLoss.hessian_is_fisher


# ------------------------------------------------------------------- numerics
@pytest.mark.parametrize("loss", _all_losses(), ids=_ids(_all_losses()))
def test_extreme_raw_stays_finite(loss):
    raw = np.array([-1e4, -745.0, -700.0, -40.0, 0.0, 40.0, 300.0, 700.0])
    for y in [1.0, 2.0, 50.0]:
        yy = np.full_like(raw, y)
        outputs = [loss.loss(yy, raw), *loss.gradient_hessian(yy, raw), loss.mean(raw)]
        if hasattr(loss, "hessian_log_theta"):
            outputs += [*loss.hessian_log_theta(yy, raw), loss.fisher_hessian(raw)]
        for out in outputs:
            assert np.all(np.isfinite(out))
    # mu -> 0: a count of one becomes certain, the loss of y grows like (y - 1) * |raw|.
    lo = np.array([-1e4])
    assert abs(loss.loss(np.array([1.0]), lo)[0]) < 1e-12
    assert abs(loss.gradient(np.array([1.0]), lo)[0]) < 1e-12
    assert_allclose(loss.loss(np.array([3.0]), lo), 2e4, rtol=1e-3)


def test_overflow_of_mu_is_infinite_not_nan():
    loss = ZeroTruncatedPoissonLoss()
    out = loss.loss(np.array([1.0, 1.0]), np.array([710.0, 1e4]))
    assert np.all(out == np.inf)


def test_zero_count_has_probability_zero():
    for loss in (ZeroTruncatedPoissonLoss(), ZeroTruncatedNegativeBinomialLoss(2.0)):
        assert loss.loss(np.array([0.0, 1.0]), np.array([0.5, 0.5]))[0] == np.inf


@pytest.mark.parametrize("loss", _all_losses()[:3], ids=_ids(_all_losses()[:3]))
def test_float32_keeps_dtype(loss):
    y, raw = _grid()
    raw32 = raw.astype(np.float32)
    out32 = [loss.loss(y, raw32), *loss.gradient_hessian(y, raw32), loss.mean(raw32)]
    out64 = [loss.loss(y, raw32.astype(np.float64)), *loss.gradient_hessian(y, raw32.astype(np.float64)),
             loss.mean(raw32.astype(np.float64))]
    for a, b in zip(out32, out64, strict=True):
        assert a.dtype == np.float32
        assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_broadcasting_gives_pmf_table():
    raw = np.array([-1.0, 0.5, 2.0])
    k = np.arange(1, 6, dtype=float)
    for loss in (ZeroTruncatedPoissonLoss(), ZeroTruncatedNegativeBinomialLoss(0.7)):
        table = loss.loss(k[None, :], raw[:, None])
        assert table.shape == (3, 5)
        for i in range(3):
            assert_allclose(table[i], loss.loss(k, np.full(5, raw[i])), rtol=1e-15)


def test_invalid_theta():
    with pytest.raises(ValueError, match="theta must be positive"):
        ZeroTruncatedNegativeBinomialLoss(theta=0.0).loss(np.ones(2), np.zeros(2))
