"""Tests and bands on a fit's summary: Wald, likelihood ratio, pscl's hurdletest and vuong.

See :mod:`sklogloss.inference`.
"""

from typing import NamedTuple

import numpy as np
from scipy import stats
from sklearn.linear_model import PoissonRegressor
from sklearn.utils.validation import check_is_fitted

from ..estimators import HurdleRegressor
from ..estimators._base import validate_X, warn_user
from ..estimators._hurdle_features import take_columns
from ..estimators._targets import check_counts
from ..losses import sigmoid
from ..utils.validation import issparse
from ._summary import InferenceSummary, _check_alpha, _model, _with_intercept, summary

__all__ = ["TestResult", "VuongResult", "hurdle_test", "likelihood_ratio_test", "predict_proba_interval",
           "vuong_test", "wald_test"]


class TestResult(NamedTuple):
    """A chi-square test: its statistic, degrees of freedom and p-value.

    Examples
    --------
    >>> from sklogloss.inference import TestResult
    >>> t = TestResult(statistic=3.84, df=1, p_value=0.05)
    >>> t.p_value
    0.05
    >>> statistic, df, p_value = t
    """

    __test__ = False  # not a pytest test class

    statistic: float
    df: int
    p_value: float


def wald_test(summary, R, q=None):
    """Wald test of the linear hypothesis ``R @ coef = q``.

    The statistic ``(R b - q)^T (R V R^T)^-1 (R b - q)`` is chi-square with
    ``df = R.shape[0]`` degrees of freedom under the hypothesis, with ``V``
    the summary's covariance (of its ``cov_type``).

    Parameters
    ----------
    summary : InferenceSummary
        From :func:`summary`.
    R : array-like of shape (r, k) or (k,), or sequence of str
        The restrictions, one row each over the summary's coefficients; a
        sequence of names tests that those coefficients are ``q``.
    q : array-like of shape (r,), default=None
        The right-hand side; ``None`` means zeros.

    Returns
    -------
    TestResult
        ``statistic``, ``df``, ``p_value``.

    Examples
    --------
    >>> from sklogloss.inference import InferenceSummary, wald_test
    >>> s = InferenceSummary(["a", "b"], [1.0, -0.5], [[0.25, 0.0], [0.0, 0.04]])
    >>> t = wald_test(s, ["a"])  # a = 0: (1 / 0.5)**2
    >>> t.statistic, t.df, round(t.p_value, 4)
    (4.0, 1, 0.0455)
    >>> round(wald_test(s, [[1.0, 0.0], [0.0, 1.0]]).statistic, 6)  # 4 + 6.25
    10.25
    """
    k = summary.coef.size
    if isinstance(R, str):
        R = [R]
    if len(R) and all(isinstance(r, str) for r in R):
        unknown = [r for r in R if r not in summary.names]
        if unknown:
            raise ValueError(f"Unknown coefficient names {unknown}; the names are {summary.names}.")
        R = np.eye(k)[[summary.names.index(r) for r in R]]
    R = np.atleast_2d(np.asarray(R, dtype=np.float64))
    if R.ndim != 2 or R.shape[1] != k:
        raise ValueError(f"R must have one column per coefficient ({k}); got shape {R.shape}.")
    q = np.zeros(R.shape[0]) if q is None else np.atleast_1d(np.asarray(q, dtype=np.float64))
    if q.shape != (R.shape[0],):
        raise ValueError(f"q must have one entry per row of R ({R.shape[0]}); got shape {q.shape}.")
    d = R @ summary.coef - q
    VR = R @ summary.cov @ R.T
    if np.linalg.matrix_rank(VR) < R.shape[0]:
        raise ValueError("R @ cov @ R.T is singular: the rows of R are linearly dependent; drop the redundant "
                         "restrictions.")
    statistic = float(d @ np.linalg.solve(VR, d))
    df = int(R.shape[0])
    return TestResult(statistic, df, float(stats.chi2.sf(statistic, df)))


def hurdle_test(estimator, X, y, sample_weight=None, cov_type="nonrobust", groups=None):
    """Wald test that no hurdle is needed: the zero part's coefficients equal the count part's.

    R's ``pscl::hurdletest``. When the zero hurdle is the binary model of
    ``y > 0`` that the count distribution itself implies, with the same
    regressors, equal coefficients in the two parts make the hurdle model the
    plain count model; the Wald statistic of the ``k`` restrictions
    ``zero_j = count_j`` (every weight and the intercept) is chi-square with
    ``k`` degrees of freedom under that hypothesis. pscl requires
    ``zero.dist == dist`` for this reason.

    Our zero part is a logit. For a geometric count part that is exactly the
    count model's own zero hurdle: ``P(y > 0) = 1 - 1 / (1 + mu) = mu / (1 +
    mu)``, the logistic function of ``log(mu)`` (pscl: the geometric and the
    logit zero hurdles are the same model). So the test is defined for
    ``count_distribution="geometric"`` and equals pscl's ``hurdletest`` of
    ``hurdle(y ~ x, dist = "geometric", zero.dist = "geometric")``. For a
    Poisson count part the no-hurdle zero model is the complementary log-log
    of ``log(mu)``, for the negative binomial one that depends on ``theta``:
    equal logit and ``log(mu)`` coefficients do not mean "no hurdle", and the
    test refuses these models (compare them with the plain count model by
    :func:`vuong_test` instead). It also refuses a fit with an offset: the
    zero part has none, so its coefficients cannot equal the count part's
    under the hypothesis.

    Parameters
    ----------
    estimator : HurdleRegressor
        Fitted with ``count_distribution="geometric"``, ``C=np.inf``, the
        default zero part and the same columns for both parts
        (``zero_features_`` equal to ``count_features_``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data.
    y : array-like of shape (n_samples,)
        The training counts.
    sample_weight : array-like of shape (n_samples,), default=None
        The training sample weights.
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
        The covariance of the coefficients, as in :func:`summary` (pscl's
        ``hurdletest(fm, vcov = sandwich)`` is ``"HC0"``).
    groups : array-like of shape (n_samples,), default=None
        Cluster labels, for ``cov_type="cluster"``.

    Returns
    -------
    TestResult
        ``statistic`` (chi-square), ``df`` (the number of coefficients of
        each part) and ``p_value``; a small p-value says the zeros need a
        hurdle.

    Raises
    ------
    ValueError
        For another estimator or count distribution, different columns in the
        two parts, a fit with an offset, and whatever :func:`summary` refuses.

    See Also
    --------
    wald_test : the general linear hypothesis on a :func:`summary`.

    Examples
    --------
    Counts from a plain geometric regression (no hurdle), then with one:

    >>> import numpy as np
    >>> from sklogloss import HurdleRegressor
    >>> from sklogloss.inference import hurdle_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> mu = np.exp(0.5 + X @ [0.4, -0.3])
    >>> y = rng.geometric(1 / (1 + mu)) - 1  # geometric counts from 0
    >>> model = HurdleRegressor(count_distribution="geometric").fit(X, y)
    >>> t = hurdle_test(model, X, y)
    >>> t.df, bool(t.p_value > 0.05)
    (3, True)
    >>> y_hurdle = np.where(rng.random(2000) < 0.3, 0, np.maximum(y, 1))
    >>> model = HurdleRegressor(count_distribution="geometric").fit(X, y_hurdle)
    >>> bool(hurdle_test(model, X, y_hurdle).p_value < 1e-6)
    True
    """
    if not isinstance(estimator, HurdleRegressor):
        raise ValueError(f"hurdle_test needs a fitted HurdleRegressor; got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    if estimator.count_distribution != "geometric":
        raise ValueError(
            f"hurdle_test needs count_distribution='geometric'; got {estimator.count_distribution!r}. With a logit "
            "zero part, equal coefficients mean 'no hurdle' only when the count model's own P(y > 0) is a logit "
            "of log(mu), which holds for the geometric (mu / (1 + mu)) and not for the Poisson (1 - exp(-mu)) or "
            "the negative binomial. Refit with count_distribution='geometric', or compare the hurdle with the "
            "plain count model by vuong_test.")
    if not np.array_equal(estimator.zero_features_, estimator.count_features_):
        raise ValueError(
            f"hurdle_test needs the same columns in both parts; zero_features_ = {estimator.zero_features_.tolist()}"
            f" and count_features_ = {estimator.count_features_.tolist()}. Refit with zero_features=None and "
            "count_features=None (or equal selections).")
    if getattr(estimator, "_fitted_with_offset", False):
        raise ValueError(
            "The hurdle was fitted with an offset, which enters its count part only: without the offset in the zero "
            "part, equal coefficients are not the no-hurdle hypothesis. Refit without an offset for hurdle_test.")
    s = summary(estimator, X, y, sample_weight=sample_weight, cov_type=cov_type, groups=groups)
    k = s.coef.size // 2
    return wald_test(s, np.hstack([np.eye(k), -np.eye(k)]))


def likelihood_ratio_test(full_estimator, restricted_estimator, X_full, X_restricted, y, sample_weight=None):
    """Likelihood-ratio test of a restricted model nested in a full one.

    The statistic ``2 * (loglik_full - loglik_restricted)`` is chi-square with
    ``df`` the difference in the number of coefficients under the hypothesis
    that the restricted model is true. Both are fitted models of the same kind
    (as for :func:`summary`: maximum-likelihood fits) on the same ``y``; the
    restricted model's columns ``X_restricted`` must span a subspace of those
    of ``X_full`` (e.g. a subset of them), which is not checked.

    Parameters
    ----------
    full_estimator, restricted_estimator : estimator
        The two fitted models.
    X_full, X_restricted : {array-like, sparse matrix}
        Their training data.
    y : array-like
        The targets both were fitted on.
    sample_weight : array-like of shape (n_samples,), default=None
        The sample weights both were fitted with.

    Returns
    -------
    TestResult
        ``statistic``, ``df``, ``p_value``.

    Examples
    --------
    Two weights that do not matter (the labels depend on the first feature only):

    >>> import numpy as np
    >>> from sklogloss.inference import likelihood_ratio_test
    >>> from sklogloss import LogisticClassifier
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> u = np.random.default_rng(1).random(500)
    >>> y = (u < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    >>> full = LogisticClassifier(C=np.inf).fit(X, y)
    >>> restricted = LogisticClassifier(C=np.inf).fit(X[:, :1], y)
    >>> t = likelihood_ratio_test(full, restricted, X, X[:, :1], y)
    >>> t.df, bool(t.p_value > 0.05)
    (2, True)
    """
    if type(full_estimator) is not type(restricted_estimator):
        raise ValueError(f"Both models must be of the same kind; got {type(full_estimator).__name__} and "
                         f"{type(restricted_estimator).__name__}.")
    classes = [getattr(est, "classes_", None) for est in (full_estimator, restricted_estimator)]
    if classes[0] is not None and classes[1] is not None and not np.array_equal(*classes):
        raise ValueError(f"The models have different classes, {classes[0]} and {classes[1]}: fit both on the same y.")
    models = [_model(est, X, y, sample_weight) for est, X in
              [(full_estimator, X_full), (restricted_estimator, X_restricted)]]
    (_, full, _, _), (_, restricted, _, _) = models
    k_full, k_restricted = (sum(len(p.names) for p in parts) for parts in (full, restricted))
    df = k_full - k_restricted
    if df <= 0:
        raise ValueError(f"The restricted model must have fewer coefficients than the full one; got {k_restricted} "
                         f"and {k_full}.")
    ll_full, ll_restricted = (sum(p.loglik for p in parts) for parts in (full, restricted))
    statistic = 2.0 * (ll_full - ll_restricted)
    if statistic < -1e-6 * max(1.0, abs(ll_full)):
        raise ValueError(f"The restricted model's log-likelihood ({ll_restricted:.6g}) exceeds the full model's "
                         f"({ll_full:.6g}): the models are not nested.")
    statistic = max(statistic, 0.0)
    return TestResult(statistic, int(df), float(stats.chi2.sf(statistic, df)))


class VuongResult(NamedTuple):
    """Vuong's test of two non-nested models: raw, AIC- and BIC-corrected statistics.

    Each statistic is asymptotically standard normal under the hypothesis
    that the models are equally close to the truth; a positive one favours
    ``model_a``. Each p-value is one-sided, in the direction of its
    statistic's sign (as pscl's ``vuong`` prints them). ``str()`` prints
    pscl's table.

    Examples
    --------
    >>> from sklogloss.inference import VuongResult
    >>> r = VuongResult(2.5, 0.0062, 1.9, 0.0287, -0.4, 0.3446, 100, (6, 3))
    >>> r.statistic_bic, r.n_params
    (-0.4, (6, 3))
    >>> print(r)  # doctest: +NORMALIZE_WHITESPACE
    Vuong non-nested hypothesis test (asymptotically N(0, 1) under the null that the models are indistinguishable)
                   Vuong z-statistic                H_A    p-value
    Raw                        2.500  model_a > model_b     0.0062
    AIC-corrected              1.900  model_a > model_b     0.0287
    BIC-corrected             -0.400  model_b > model_a     0.3446
    """

    statistic: float
    p_value: float
    statistic_aic: float
    p_value_aic: float
    statistic_bic: float
    p_value_bic: float
    n_obs: int
    n_params: tuple

    def __str__(self):
        lines = ["Vuong non-nested hypothesis test (asymptotically N(0, 1) under the null that the models are "
                 "indistinguishable)", f"{'':14} {'Vuong z-statistic':>17} {'H_A':>18} {'p-value':>10}"]
        for label, v, p in [("Raw", self.statistic, self.p_value), ("AIC-corrected", self.statistic_aic,
                            self.p_value_aic), ("BIC-corrected", self.statistic_bic, self.p_value_bic)]:
            ha = "model_a > model_b" if v > 0 else "model_b > model_a"
            p_text = f"{p:10.4f}" if p >= 1e-4 else f"{p:10.3g}"
            lines.append(f"{label:14} {v:17.3f} {ha:>18} {p_text}")
        return "\n".join(lines)


def _vuong_loglik(model, X, y, offset, exposure, n_params, which):
    """Per-sample log-likelihoods of ``model`` on ``(X, y)`` and its number of coefficients."""
    if isinstance(model, HurdleRegressor):
        check_is_fitted(model)
        ll = model.log_likelihood(X, y, offset=offset, exposure=exposure)
        if n_params is None:
            if model.zero_estimator is not None:
                raise ValueError(f"{which} has a custom zero estimator, whose number of coefficients is unknown here; "
                                 "pass n_params.")
            n_params = model.zero_features_.size + model.count_features_.size + 2 * model.fit_intercept
    elif isinstance(model, PoissonRegressor):
        check_is_fitted(model)
        ll = stats.poisson.logpmf(y, model.predict(X))
        if n_params is None:
            n_params = model.n_features_in_ + model.fit_intercept
    elif hasattr(model, "fit") or hasattr(model, "predict"):
        raise ValueError(f"{which} is a {type(model).__name__}; vuong_test takes a fitted HurdleRegressor, a fitted "
                         "sklearn.linear_model.PoissonRegressor, or the model's per-sample log-likelihoods (with "
                         "n_params), e.g. a statsmodels result's res.model.loglikeobs(res.params).")
    else:
        ll = np.asarray(model, dtype=np.float64)
        if ll.shape != y.shape:
            raise ValueError(f"{which}'s per-sample log-likelihoods must have one value per sample, shape {y.shape}; "
                             f"got shape {ll.shape}.")
        if n_params is None:
            raise ValueError(f"{which} is given as per-sample log-likelihoods: pass its number of coefficients in "
                             "n_params (as pscl counts them: the regression coefficients, not theta).")
    if isinstance(n_params, bool) or not isinstance(n_params, (int, np.integer)) or n_params < 0:
        raise ValueError(f"The number of coefficients of {which} must be a non-negative integer; got {n_params!r}.")
    return np.asarray(ll, dtype=np.float64), int(n_params)


def vuong_test(model_a, model_b, X, y, *, offset=None, exposure=None, n_params=None):
    """Vuong's test of two non-nested count models, e.g. a hurdle against the plain Poisson.

    R's ``pscl::vuong(m1, m2)``. With ``m_i = log p_a(y_i | x_i) - log
    p_b(y_i | x_i)`` the per-sample log-likelihood differences, ``n`` their
    number and ``s`` their standard deviation (``ddof=1``), the statistics
    are::

        raw = sum(m) / (s * sqrt(n))
        AIC-corrected: (sum(m) - (k_a - k_b)) / (s * sqrt(n))
        BIC-corrected: (sum(m) - (k_a - k_b) * log(n) / 2) / (s * sqrt(n))

    with ``k`` each model's number of coefficients; each is asymptotically
    standard normal when the models are equally close to the truth. A
    positive statistic favours ``model_a``; its p-value is ``P(Z > |v|)``,
    one-sided in the direction of the sign, as pscl prints it. A hurdle and
    the plain count model are not nested (no coefficients of the hurdle give
    the plain Poisson's zeros with a logit zero part), which is why this test
    and not a likelihood ratio is the comparison pscl users run. Samples whose
    difference is not finite (a probability of 0) are dropped with a warning,
    as pscl does.

    Parameters
    ----------
    model_a, model_b : HurdleRegressor, PoissonRegressor or array-like of shape (n_samples,)
        Each a fitted :class:`~sklogloss.HurdleRegressor`
        (:meth:`~sklogloss.HurdleRegressor.log_likelihood`; ``k`` = the
        coefficients and intercepts of both parts, ``theta`` not counted, as
        pscl's ``length(coef(m))``), a fitted
        :class:`sklearn.linear_model.PoissonRegressor` (the plain Poisson,
        R's ``glm(family = poisson)``: the Poisson log-probability of ``y`` at
        its ``predict``; ``k = n_features_in_ + fit_intercept``), or the
        per-sample log-likelihoods of any other model on ``(X, y)``, with its
        ``k`` in ``n_params`` (a statsmodels result ``res``:
        ``res.model.loglikeobs(res.params)``; for its negative binomial,
        ``k = len(res.params) - 1`` without the dispersion, as pscl counts
        ``MASS::glm.nb``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples (passed to the fitted models).
    y : array-like of shape (n_samples,)
        The observed counts.
    offset, exposure : array-like of shape (n_samples,), default=None
        The count-part offset (or exposure) of the HurdleRegressor models.
    n_params : tuple of (int or None, int or None), default=None
        ``(k_a, k_b)``; ``None`` entries are taken from the models (required
        for log-likelihoods given as arrays and a hurdle with a custom zero
        estimator).

    Returns
    -------
    VuongResult
        ``statistic``, ``p_value`` (raw), ``statistic_aic``, ``p_value_aic``,
        ``statistic_bic``, ``p_value_bic``, ``n_obs`` and ``n_params``.

    Raises
    ------
    ValueError
        For other models, log-likelihoods of the wrong shape, missing or bad
        ``n_params``, counts that are not non-negative integers, and models
        that give the same log-likelihood to every sample.

    Examples
    --------
    Counts with extra zeros: the hurdle beats the plain Poisson.

    >>> import numpy as np
    >>> from sklearn.linear_model import PoissonRegressor
    >>> from sklogloss import HurdleRegressor
    >>> from sklogloss.inference import vuong_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> y = np.where(rng.random(1000) < 0.4, 0, rng.poisson(np.exp(1 + 0.3 * X[:, 0])))
    >>> hurdle = HurdleRegressor().fit(X, y)
    >>> poisson = PoissonRegressor(alpha=0.0).fit(X, y)
    >>> result = vuong_test(hurdle, poisson, X, y)
    >>> result.n_params, bool(result.statistic > 3), bool(result.p_value_bic < 1e-3)
    ((6, 3), True, True)
    """
    y = check_counts(np.ravel(y)).astype(np.float64)
    if n_params is None:
        n_params = (None, None)
    if not isinstance(n_params, (tuple, list)) or len(n_params) != 2:
        raise ValueError(f"n_params must be a pair (k_a, k_b) (None entries from the models); got {n_params!r}.")
    ll_a, k_a = _vuong_loglik(model_a, X, y, offset, exposure, n_params[0], "model_a")
    ll_b, k_b = _vuong_loglik(model_b, X, y, offset, exposure, n_params[1], "model_b")
    with np.errstate(invalid="ignore"):
        m = ll_a - ll_b
    good = np.isfinite(m)
    if not np.all(good):
        warn_user(f"vuong_test: {int(np.sum(~good))} samples have a non-finite log-likelihood difference (a predicted "
                  "probability of 0); they are dropped, as pscl's vuong does.", UserWarning)
        m = m[good]
    n = int(m.size)
    if n < 2:
        raise ValueError(f"vuong_test needs at least 2 samples with finite log-likelihoods; got {n}.")
    s = float(np.std(m, ddof=1))
    if not s > 0:
        raise ValueError("The two models give every sample the same log-likelihood difference (its standard deviation "
                         "is 0): they cannot be told apart by Vuong's test (the same model twice?).")
    total, dk, scale = float(m.sum()), float(k_a - k_b), s * np.sqrt(n)
    v = [(total - c) / scale for c in (0.0, dk, dk * np.log(n) / 2.0)]
    p = [float(stats.norm.sf(abs(vj))) for vj in v]
    return VuongResult(float(v[0]), p[0], float(v[1]), p[1], float(v[2]), p[2], n, (k_a, k_b))


def predict_proba_interval(summary, X, alpha=None):
    """Probabilities with pointwise confidence intervals (delta method on the log-odds).

    For a binary model the log-odds ``eta = x^T b`` has the standard error
    ``sqrt(x^T V x)``; the interval of the probability is the sigmoid of
    ``eta -+ z_{1 - alpha/2} se(eta)``, which stays in ``(0, 1)``.

    Parameters
    ----------
    summary : InferenceSummary
        :func:`summary` of a binary LogisticClassifier, a two-class
        SoftmaxClassifier (the probability of ``classes_[1]``) or a
        HurdleRegressor (its zero part: ``P(y > 0)``).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Samples.
    alpha : float, default=None
        ``1 - alpha`` intervals; ``None`` means the summary's ``alpha``.

    Returns
    -------
    proba, low, high : ndarray of shape (n_samples,)
        The probability and the bounds of its interval.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.inference import predict_proba_interval, summary
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + X[:, 0])))).astype(int)
    >>> clf = LogisticClassifier(C=np.inf).fit(X, y)
    >>> p, low, high = predict_proba_interval(summary(clf, X, y), [[0.0, 0.0], [2.0, 0.0]])
    >>> p.round(3), low.round(3), high.round(3)
    (array([0.614, 0.899]), array([0.567, 0.84 ]), array([0.659, 0.938]))
    """
    if not isinstance(summary, InferenceSummary) or summary._binary is None:
        raise ValueError("predict_proba_interval needs the summary(...) of a binary LogisticClassifier, a two-class "
                         "SoftmaxClassifier or a HurdleRegressor.")
    alpha = summary.alpha if alpha is None else _check_alpha(alpha)
    estimator, rows, fit_intercept, columns = summary._binary
    Xv = validate_X(estimator, X, reset=False)
    Xd = _with_intercept(Xv if columns is None else take_columns(Xv, columns), fit_intercept)
    b, V = summary.coef[rows], summary.cov[rows, rows]
    eta = np.asarray(Xd @ b).ravel()
    XV = Xd @ V
    var = np.asarray(Xd.multiply(XV).sum(axis=1)).ravel() if issparse(Xd) else np.einsum("ij,ij->i", XV, Xd)
    half = stats.norm.ppf(1.0 - alpha / 2.0) * np.sqrt(np.maximum(var, 0.0))
    return sigmoid(eta), sigmoid(eta - half), sigmoid(eta + half)
