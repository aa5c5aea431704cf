"""Zero-truncated count losses on the log-mean: the count part of a hurdle model.

The raw prediction is ``raw = log(mu)``, the log of the mean of the
*untruncated* count distribution; the target ``y`` is a positive count. The
per-sample loss is the negative log-likelihood of the distribution truncated
at zero,

    loss(y, raw) = -log f(y; mu) + log(1 - f(0; mu)),

with ``f`` the Poisson, the negative binomial (NB2, ``var = mu + mu**2 / theta``,
R's MASS / pscl ``theta``) or the geometric (NB2 with ``theta = 1``)
probability mass function. Constants are included (``log y!``), so the loss is
exactly the negative log-likelihood and ``-loss`` is the log of the truncated
probability mass; ``y = 0`` has probability zero (loss ``+inf``).

The gradient with respect to ``raw`` is ``q * (m - y)``, where
``m = mu / (1 - f(0; mu))`` is the mean of the truncated distribution and
``q = theta / (theta + mu)`` (``q = 1`` for the Poisson, whose Hessian ``m (1 -
m exp(-mu))`` is the truncated variance: positive and independent of ``y``).

Numerics. Everything is written around the quantity ``C = log(1 - f(0)) - raw
= -log(m)`` and the helper :func:`log1mexp`; for small ``mu`` the
cancellations (``1 - f(0) -> 0`` while ``f(y) -> 0``) are resolved with series,
so that ``raw`` down to ``-1e4`` gives finite, accurate values (a ``y = 1``
becomes certain). Large ``raw`` is bounded only by the overflow of ``mu =
exp(raw)`` itself (``raw`` of about 709 in float64, 88 in float32), beyond
which the loss is ``+inf``. Computations run in float64; results have the
floating dtype of ``raw``.
"""

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, polygamma

from .base import Loss

__all__ = [
    "ZeroTruncatedGeometricLoss",
    "ZeroTruncatedNegativeBinomialLoss",
    "ZeroTruncatedPoissonLoss",
    "log1mexp",
]

_LOG2 = float(np.log(2.0))
#: Below these, functions of a small positive argument use their Taylor series.
_SERIES = 1e-3
_SERIES_WIDE = 0.1
#: Above this theta, log-gamma, digamma and trigamma differences use asymptotic series.
_LARGE_THETA = 1e3


def log1mexp(x, out=None):
    """Compute ``log(1 - exp(-x))`` for ``x >= 0`` without cancellation.

    Uses ``log(-expm1(-x))`` for ``x < log 2`` and ``log1p(-exp(-x))``
    otherwise (Maechler, 2012), accurate to a few ulps everywhere.

    Parameters
    ----------
    x : array-like
        Non-negative values; ``x = 0`` gives ``-inf``, ``x = inf`` gives 0.
    out : ndarray, optional
        Output buffer of the same shape (float64 or the dtype of ``x``).

    Returns
    -------
    ndarray
        ``log(1 - exp(-x))``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses.counts import log1mexp
    >>> log1mexp(np.array([1e-20, np.log(2.0), 50.0]))
    array([-4.60517019e+01, -6.93147181e-01, -1.92874985e-22])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    small = x < _LOG2
    with np.errstate(divide="ignore"):
        value = np.where(small, np.log(-np.expm1(-np.where(small, x, 1.0))),
                         np.log1p(-np.exp(-np.where(small, 1.0, x))))
    if out is not None:
        out[...] = value
        return out
    return value


def _log1mexp_over_x(x, log_x):
    """``c(x) = log((1 - exp(-x)) / x)`` for ``x >= 0``, given ``log(x)``.

    Near zero, where the direct form subtracts two nearly equal logarithms,
    ``c(x) = -x/2 + sum_k B_2k x**2k / (2k (2k)!)`` (Bernoulli numbers); ``log_x``
    is used only away from zero (pass the exact ``raw`` rather than
    ``log(exp(raw))``).
    """
    small = x < _SERIES_WIDE
    xs = np.where(small, x, 0.0)
    x2 = xs * xs
    series = -0.5 * xs + x2 * (1 / 24 + x2 * (-1 / 2880 + x2 * (1 / 181440 - x2 / 9676800)))
    xl = np.where(small, 1.0, x)
    with np.errstate(invalid="ignore"):
        direct = log1mexp(xl) - np.where(small, 0.0, log_x)
    return np.where(small, series, direct)


def _one_minus_x_over_expm1(x):
    """``1 - x / expm1(x) = x/2 - sum_k B_2k x**2k / (2k)!`` for ``x >= 0`` (1 at ``inf``)."""
    small = x < _SERIES_WIDE
    xs = np.where(small, x, 0.0)
    x2 = xs * xs
    series = 0.5 * xs - x2 * (1 / 12 + x2 * (-1 / 720 + x2 * (1 / 30240 - x2 / 1209600)))
    xl = np.where(small, 1.0, x)
    with np.errstate(over="ignore", invalid="ignore"):
        direct = np.where(np.isinf(xl), 1.0, 1.0 - xl / np.expm1(xl))
    return np.where(small, series, direct)


def _log1p_minus_frac(p):
    """``log1p(u) - u / (1 + u)`` written as ``-log1p(-p) - p`` for ``p = u / (1 + u)``."""
    small = p < _SERIES
    ps = np.where(small, p, 0.0)
    # sum_{k >= 2} p**k / k, Horner form up to p**9.
    series = ps * ps * (1 / 2 + ps * (1 / 3 + ps * (1 / 4 + ps * (1 / 5 + ps * (
        1 / 6 + ps * (1 / 7 + ps * (1 / 8 + ps / 9)))))))
    pl = np.where(small, 0.5, p)
    with np.errstate(divide="ignore"):
        direct = -np.log1p(-pl) - pl
    return np.where(small, series, direct)


def _as_float64(y, raw):
    raw = np.asarray(raw)
    dtype = raw.dtype if raw.dtype.kind == "f" else np.dtype(np.float64)
    return np.asarray(y, dtype=np.float64), raw.astype(np.float64, copy=False), dtype


def _log_binom(theta, y):
    """``log(Gamma(y + theta) / (Gamma(theta) * y!))`` for ``y >= 1``, stable for large ``theta``."""
    if theta < _LARGE_THETA:
        with np.errstate(divide="ignore", invalid="ignore"):
            return -(np.log(y) + betaln(theta, y))
    # Stirling's series for log Gamma(theta + y) - log Gamma(theta), differences written exactly.
    tpy = theta + y
    lg = (y * np.log(theta) + (tpy - 0.5) * np.log1p(y / theta) - y - y / (12.0 * theta * tpy)
          + y * (3.0 * theta**2 + 3.0 * theta * y + y * y) / (360.0 * theta**3 * tpy**3))
    return lg - gammaln(y + 1.0)


def _digamma_diff(theta, y):
    """``digamma(y + theta) - digamma(theta)``, stable for large ``theta``."""
    if theta < _LARGE_THETA:
        return digamma(y + theta) - digamma(theta)
    tpy = theta + y
    return (np.log1p(y / theta) + y / (2.0 * theta * tpy)
            + y * (2.0 * theta + y) / (12.0 * theta**2 * tpy**2))


def _trigamma_diff(theta, y):
    """``trigamma(theta) - trigamma(y + theta)``, stable for large ``theta``."""
    if theta < _LARGE_THETA:
        return polygamma(1, theta) - polygamma(1, y + theta)
    tpy = theta + y
    return (y / (theta * tpy) + y * (2.0 * theta + y) / (2.0 * theta**2 * tpy**2)
            + y * (3.0 * theta**2 + 3.0 * theta * y + y * y) / (6.0 * theta**3 * tpy**3))


class ZeroTruncatedPoissonLoss(Loss):
    """Negative log-likelihood of the zero-truncated Poisson on ``raw = log(mu)``.

    Per sample, with ``mu = exp(raw)`` and ``m = mu / (1 - exp(-mu))`` the
    truncated mean::

        loss(y, raw)     = mu - y * raw + log(y!) + log(1 - exp(-mu))
        gradient(y, raw) = m - y
        hessian(y, raw)  = m * (1 - m * exp(-mu))      (the truncated variance)

    The Hessian does not depend on ``y`` and is positive, so Newton's method
    is Fisher scoring, as for the logistic loss.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import poisson
    >>> from sklogloss.losses.counts import ZeroTruncatedPoissonLoss
    >>> loss = ZeroTruncatedPoissonLoss()
    >>> y, mu = np.array([1.0, 3.0]), np.array([0.5, 2.0])
    >>> np.allclose(loss.loss(y, np.log(mu)), -(poisson.logpmf(y, mu) - np.log1p(-poisson.pmf(0, mu))))
    True
    >>> hess = loss.gradient_hessian(y, np.log(mu))[1]
    >>> np.array_equal(hess, loss.gradient_hessian(np.ones(2), np.log(mu))[1])  # whatever y
    True
    >>> hess.round(4), loss.mean(np.log(mu)).round(4)
    (array([0.2913, 1.589 ]), array([1.2707, 2.313 ]))
    """

    n_outputs = 1
    hessian_is_fisher = True

    @staticmethod
    def _log_mean(raw, mu):
        """``log(m) = raw - log(1 - exp(-mu))``, i.e. ``-c(mu)``."""
        return -_log1mexp_over_x(mu, raw)

    def loss(self, y, raw):
        """Per-sample negative log-likelihood, shape ``(n,)`` (broadcasts ``y`` and ``raw``)."""
        y, r, dtype = _as_float64(y, raw)
        with np.errstate(over="ignore"):
            mu = np.exp(r)
        c = _log1mexp_over_x(mu, r)
        with np.errstate(invalid="ignore"):
            out = (1.0 - y) * r + mu + gammaln(y + 1.0) + c
        return np.where(y >= 1, out, np.inf).astype(dtype, copy=False)

    def loss_gradient(self, y, raw):
        """Per-sample loss and gradient with respect to ``raw``."""
        y, r, dtype = _as_float64(y, raw)
        with np.errstate(over="ignore"):
            mu = np.exp(r)
            c = _log1mexp_over_x(mu, r)
            m = np.exp(-c)
        with np.errstate(invalid="ignore"):
            loss = np.where(y >= 1, (1.0 - y) * r + mu + gammaln(y + 1.0) + c, np.inf)
        return loss.astype(dtype, copy=False), (m - y).astype(dtype, copy=False)

    def gradient(self, y, raw, state=None):
        """Per-sample gradient ``m - y``."""
        y, r, dtype = _as_float64(y, raw)
        with np.errstate(over="ignore"):
            m = np.exp(-_log1mexp_over_x(np.exp(r), r))
        return (m - y).astype(dtype, copy=False)

    def gradient_hessian(self, y, raw):
        """Per-sample gradient and Hessian ``m * (1 - mu / expm1(mu))``."""
        y, r, dtype = _as_float64(y, raw)
        with np.errstate(over="ignore"):
            mu = np.exp(r)
            m = np.exp(-_log1mexp_over_x(mu, r))
        hess = m * _one_minus_x_over_expm1(mu)
        return (m - y).astype(dtype, copy=False), hess.astype(dtype, copy=False)

    def log_mean(self, raw):
        """Log of the truncated mean, ``log(mu / (1 - exp(-mu)))``, finite for any finite ``raw``."""
        _, r, dtype = _as_float64(0.0, raw)
        with np.errstate(over="ignore"):
            return (-_log1mexp_over_x(np.exp(r), r)).astype(dtype, copy=False)

    def mean(self, raw):
        """Mean of the truncated distribution, ``E[y | y > 0] = mu / (1 - exp(-mu))``."""
        with np.errstate(over="ignore"):
            return np.exp(self.log_mean(raw))


class ZeroTruncatedNegativeBinomialLoss(Loss):
    """Negative log-likelihood of the zero-truncated NB2 on ``raw = log(mu)``.

    The negative binomial has mean ``mu`` and variance ``mu + mu**2 / theta``
    (R's MASS and pscl ``theta``; statsmodels' ``alpha`` is ``1 / theta``), so
    that ``f(0) = (1 + mu / theta) ** -theta``. Per sample, with ``q = theta /
    (theta + mu)``, ``p = 1 - q``, ``m = mu / (1 - f(0))`` and ``a = -log f(0)``::

        loss(y, raw)     = -log f(y) + log(1 - f(0))
        gradient(y, raw) = q * (m - y)
        hessian(y, raw)  = q * ((1 - q) * (y - m) + m * (1 - q * mu / expm1(a)))

    The Hessian depends on ``y`` and may be negative (``hessian_is_fisher =
    False``): its expectation under the model, the Fisher information
    ``q * m * (1 - q * mu / expm1(a))``, is positive. The derivatives with
    respect to ``log(theta)``, for estimating ``theta`` jointly with the
    coefficients, are given by :meth:`loss_gradient_log_theta` and
    :meth:`hessian_log_theta`.

    Parameters
    ----------
    theta : float, default=1.0
        Dispersion (size) parameter, ``theta > 0``; ``theta -> inf`` is the
        Poisson, ``theta = 1`` the geometric distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import nbinom
    >>> from sklogloss.losses.counts import ZeroTruncatedNegativeBinomialLoss
    >>> loss = ZeroTruncatedNegativeBinomialLoss(theta=0.5)
    >>> y, raw = np.array([1.0, 30.0]), np.log([20.0, 20.0])
    >>> q = 0.5 / (0.5 + np.exp(raw))         # scipy's (n, p) = (theta, theta / (theta + mu))
    >>> np.allclose(loss.loss(y, raw), -(nbinom.logpmf(y, 0.5, q) - np.log1p(-nbinom.pmf(0, 0.5, q))))
    True
    >>> loss.gradient_hessian(y, raw)[1].round(4)    # observed: negative at y = 1 << mean
    array([-0.0143,  0.6758])
    >>> loss.fisher_hessian(raw).round(4)            # expected: positive
    array([0.5259, 0.5259])
    """

    n_outputs = 1
    #: The observed Hessian depends on ``y`` and can be negative.
    hessian_is_fisher = False

    def __init__(self, theta=1.0):
        self.theta = theta

    # ---------------------------------------------------------------- pieces
    def _parts(self, r):
        """Shared quantities at ``raw = r`` (float64): a dict of arrays."""
        theta = float(self.theta)
        if not theta > 0:
            raise ValueError(f"theta must be positive; got {theta!r}.")
        t = np.log(theta)
        d = r - t                           # log(mu / theta)
        with np.errstate(over="ignore"):
            u = np.exp(d)                   # mu / theta
        s = np.logaddexp(0.0, d)            # log1p(u) = -log(q)
        a = theta * s                       # -log f(0)
        # lr = log(log1p(u) / u) = -log1p(u / log1p(u) - 1), with Gregory's series
        # u / log1p(u) - 1 = u/2 - u**2/12 + u**3/24 - ... near u = 0.
        small = u < _SERIES
        us = np.where(small, u, 0.0)
        gregory = us * (1 / 2 + us * (-1 / 12 + us * (1 / 24 + us * (-19 / 720 + us * (
            3 / 160 - us * 863 / 60480)))))
        with np.errstate(divide="ignore"):
            lr = np.where(small, -np.log1p(gregory),
                          np.log(np.where(small, 1.0, s)) - np.where(small, 0.0, d))
        # C = log(1 - f(0)) - raw = lr + c(a), c(a) = log((1 - e^-a) / a), log a = t + d + lr.
        C = lr + _log1mexp_over_x(a, t + d + lr)
        q = expit(-d)
        p = expit(d)
        with np.errstate(over="ignore"):
            m = np.exp(-C)
        return {"theta": theta, "t": t, "d": d, "u": u, "s": s, "a": a, "lr": lr, "C": C,
                "q": q, "p": p, "m": m}

    def _loss_from_parts(self, y, r, P):
        theta, t, d, s, C = P["theta"], P["t"], P["d"], P["s"], P["C"]
        const = -_log_binom(theta, y)
        with np.errstate(invalid="ignore"):
            neg = d < 0
            # Two exact forms of y*log1p(theta/mu) + raw: the first avoids the
            # cancellation between y*(-raw) and raw when mu << theta.
            lo = (theta + y) * s + (1.0 - y) * r + y * t
            hi = theta * s + y * np.logaddexp(0.0, -d) + r
            out = const + np.where(neg, lo, hi) + C
        return np.where(y >= 1, out, np.inf)

    def _fisher_factor(self, P):
        """``k = 1 - q * mu / expm1(a) = -expm1(c(s) - c(a) - a)`` (positive)."""
        s, a, d = P["s"], P["a"], P["d"]
        log_s = d + P["lr"]
        cs = _log1mexp_over_x(s, log_s)
        ca = _log1mexp_over_x(a, P["t"] + log_s)
        return -np.expm1(cs - ca - a)

    # ------------------------------------------------------------- interface
    def loss(self, y, raw):
        """Per-sample negative log-likelihood, shape ``(n,)`` (broadcasts ``y`` and ``raw``)."""
        y, r, dtype = _as_float64(y, raw)
        return self._loss_from_parts(y, r, self._parts(r)).astype(dtype, copy=False)

    def loss_gradient(self, y, raw):
        """Per-sample loss and gradient with respect to ``raw``."""
        y, r, dtype = _as_float64(y, raw)
        P = self._parts(r)
        loss = self._loss_from_parts(y, r, P)
        grad = P["q"] * (P["m"] - y)
        return loss.astype(dtype, copy=False), grad.astype(dtype, copy=False)

    def gradient(self, y, raw, state=None):
        """Per-sample gradient ``q * (m - y)``."""
        y, r, dtype = _as_float64(y, raw)
        P = self._parts(r)
        return (P["q"] * (P["m"] - y)).astype(dtype, copy=False)

    def gradient_hessian(self, y, raw):
        """Per-sample gradient and (observed) Hessian with respect to ``raw``."""
        y, r, dtype = _as_float64(y, raw)
        P = self._parts(r)
        q, p, m = P["q"], P["p"], P["m"]
        grad = q * (m - y)
        hess = q * (p * (y - m) + m * self._fisher_factor(P))
        return grad.astype(dtype, copy=False), hess.astype(dtype, copy=False)

    def fisher_hessian(self, raw):
        """Expected Hessian with respect to ``raw``, ``q * m * (1 - q * mu / expm1(a))``."""
        _, r, dtype = _as_float64(0.0, raw)
        P = self._parts(r)
        return (P["q"] * P["m"] * self._fisher_factor(P)).astype(dtype, copy=False)

    def log_mean(self, raw):
        """Log of the truncated mean, ``log(mu / (1 - f(0)))``, finite for any finite ``raw``."""
        _, r, dtype = _as_float64(0.0, raw)
        return (-self._parts(r)["C"]).astype(dtype, copy=False)

    def mean(self, raw):
        """Mean of the truncated distribution, ``E[y | y > 0] = mu / (1 - f(0))``."""
        with np.errstate(over="ignore"):
            return np.exp(self.log_mean(raw))

    # --------------------------------------------------- theta derivatives
    def _theta_terms(self, y, P):
        """Pieces of the ``log(theta)`` derivatives, written without ``0 * inf``.

        With ``b = d a / d log(theta) = theta * (log1p(u) - u / (1 + u))`` and
        ``E(a) = a / expm1(a)``, the ratios that appear are computed as
        ``b / expm1(a) = (b / a) * E(a)`` and ``b / (1 - e^-a) = (b / a) * exp(-c(a))``.
        """
        theta, q, p, a, s = P["theta"], P["q"], P["p"], P["a"], P["s"]
        # b / a = 1 - p / log1p(u): Gregory's series near p = 0.
        small = p < _SERIES
        ps = np.where(small, p, 0.0)
        series = ps * (1 / 2 + ps * (1 / 12 + ps * (1 / 24 + ps * (19 / 720 + ps * 3 / 160))))
        with np.errstate(divide="ignore", invalid="ignore"):
            direct = 1.0 - np.where(small, 0.5, p) / np.where(small, 1.0, s)
        b_over_a = np.where(small, series, direct)
        ca = P["C"] - P["lr"]                 # c(a)
        E = np.exp(-a - ca)                   # a / expm1(a)
        b_em1 = b_over_a * E                  # b / expm1(a)
        psi = _digamma_diff(theta, y)         # digamma(y + theta) - digamma(theta)
        mu = theta * P["u"]
        grad_t = -theta * psi + a + q * (y - mu) + b_em1
        return b_over_a, ca, E, b_em1, psi, mu, grad_t

    def loss_gradient_log_theta(self, y, raw):
        """Per-sample loss and its gradients with respect to ``raw`` and ``log(theta)``.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Positive counts.
        raw : ndarray of shape (n,)
            ``log(mu)``.

        Returns
        -------
        loss, grad_raw, grad_log_theta : ndarray of shape (n,)
            Float64 arrays.
        """
        y, r, _ = _as_float64(y, raw)
        P = self._parts(r)
        loss = self._loss_from_parts(y, r, P)
        grad_t = self._theta_terms(y, P)[-1]
        return loss, P["q"] * (P["m"] - y), grad_t

    def hessian_log_theta(self, y, raw):
        """Gradients and second derivatives in ``(raw, log(theta))``, per sample.

        Parameters
        ----------
        y, raw : ndarray of shape (n,)
            As for :meth:`loss_gradient_log_theta`.

        Returns
        -------
        grad_raw, grad_log_theta, h_raw_raw, h_raw_log_theta, h_log_theta_log_theta : ndarray
            Float64 arrays of shape ``(n,)``: the gradient, then the three
            distinct entries of the symmetric 2 x 2 Hessian.
        """
        y, r, _ = _as_float64(y, raw)
        P = self._parts(r)
        theta, q, p, m, a = P["theta"], P["q"], P["p"], P["m"], P["a"]
        b_over_a, ca, E, b_em1, psi, mu, grad_t = self._theta_terms(y, P)
        grad_r = q * (m - y)
        h_rr = q * (p * (y - m) + m * self._fisher_factor(P))
        h_rt = q * p * (m - y) - q * m * b_em1
        # theta p^2 / expm1(a) = p * (p / log1p(u)) * E(a);
        # b^2 e^a / expm1(a)^2 = (b / expm1(a)) * (b / a) * a / (1 - e^-a).
        with np.errstate(over="ignore"):
            tp2_em1 = p * (1.0 - b_over_a) * E
            b2_term = b_em1 * b_over_a * np.exp(-ca)
        h_tt = (-theta * psi + theta**2 * _trigamma_diff(theta, y) + b_over_a * a
                + q * p * (y - mu) + b_em1 - tp2_em1 - b2_term)
        return grad_r, grad_t, h_rr, h_rt, h_tt


class ZeroTruncatedGeometricLoss(ZeroTruncatedNegativeBinomialLoss):
    """Negative log-likelihood of the zero-truncated geometric on ``raw = log(mu)``.

    The geometric distribution on ``{0, 1, ...}`` with mean ``mu`` is the
    negative binomial with ``theta = 1``: ``f(y) = (1 - p) * p**y`` with ``p =
    mu / (1 + mu)``, so that the truncated mass is ``(1 - p) * p**(y - 1)`` and
    the truncated mean is ``1 + mu``. Same interface as
    :class:`ZeroTruncatedNegativeBinomialLoss` with ``theta`` fixed to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses.counts import ZeroTruncatedGeometricLoss
    >>> loss = ZeroTruncatedGeometricLoss()
    >>> y, raw = np.array([1.0, 3.0]), np.log(np.array([0.5, 2.0]))
    >>> loss.loss(y, raw).round(4)    # -log((1 - p) * p**(y - 1))
    array([0.4055, 1.9095])
    >>> loss.mean(raw)
    array([1.5, 3. ])
    """

    def __init__(self):
        super().__init__(theta=1.0)
