"""sklogloss.inference against statsmodels (Logit, MNLogit, truncated count models) and Stata; properties; errors."""

import importlib.resources
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy import stats

from sklogloss import HurdleRegressor, LogisticClassifier, NoiseCorrectedClassifier, SoftmaxClassifier
from sklogloss.inference import (
    InferenceSummary,
    TestResult,
    likelihood_ratio_test,
    predict_proba_interval,
    summary,
    wald_test,
)

sm = pytest.importorskip("statsmodels.api")
sandwich = pytest.importorskip("statsmodels.stats.sandwich_covariance")
truncated_model = pytest.importorskip("statsmodels.discrete.truncated_model")

TOL = 1e-12  # our solvers' tol: both libraries at their optimum to ~1e-10
RTOL = 1e-5  # the tolerance of every comparison of covariances with statsmodels


def _with_const(X):
    return sm.add_constant(X, prepend=False, has_constant="add")


def _sm_fit(model, cov_type="nonrobust", groups=None):
    kwds = {"cov_kwds": {"groups": groups}} if cov_type == "cluster" else {}
    return model.fit(method="newton", tol=1e-12, maxiter=200, disp=0, cov_type=cov_type, **kwds)


def _score_hessian(model, params, rel=1e-5):
    """The Hessian of ``model``'s log-likelihood by central differences of its (analytic) score.

    statsmodels' truncated count models compute their Hessian, hence their
    covariances, by a second difference of the log-likelihood
    (``approx_hess``): accurate to about 2e-5 relative on some machines (the
    off-diagonal entries of the negative binomial's). A first difference of
    the score, whose step error is about ``rel**2`` and rounding error about
    ``eps / rel``, gives the same matrix to about 1e-9.
    """
    params = np.asarray(params, dtype=np.float64)
    H = np.empty((params.size, params.size))
    for i in range(params.size):
        step = np.zeros(params.size)
        step[i] = rel * max(abs(params[i]), 1.0)
        H[:, i] = (model.score(params + step) - model.score(params - step)) / (2 * step[i])
    return (H + H.T) / 2


def _sm_cov(model, cov_type, groups=None):
    """statsmodels' covariance of ``cov_type``.

    statsmodels' discrete models report HC1 without its ``n / (n - k)`` factor (the
    same matrix as HC0); the HC1 of its linear models, with the factor, is
    ``cov_white_simple(use_correction=True)``, the reference here.
    """
    if cov_type == "HC1":
        return sandwich.cov_white_simple(_sm_fit(model), use_correction=True)
    return np.asarray(_sm_fit(model, cov_type, groups).cov_params())


def _binary_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    eta = 0.3 + X @ [1.0, -0.5, 0.0]
    # Heteroscedastic in x2: the sandwich differs from the inverse information.
    y = (rng.random(n) < 1 / (1 + np.exp(-eta * (1 + 0.5 * np.abs(X[:, 2]))))).astype(int)
    return X, y, rng.integers(0, 25, n)


def _multi_data(n=500, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    scores = np.column_stack([np.zeros(n), 0.5 + X @ [1.0, -0.5], -0.3 + X @ [-0.5, 0.8]])
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return X, y, rng.integers(0, 30, n)


def _counts_data(n=800, seed=2, theta=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    positive = rng.random(n) < 1 / (1 + np.exp(-(0.3 + X[:, 0])))
    mu = np.exp(0.8 + 0.4 * X[:, 1] - 0.3 * X[:, 0])
    draws = rng.poisson(mu, size=(60, n)) if theta is None else \
        rng.negative_binomial(theta, theta / (theta + mu), size=(60, n))
    first = draws[(draws > 0).argmax(axis=0), np.arange(n)]
    return X, np.where(positive & (first > 0), first, 0).astype(float), rng.integers(0, 40, n)


@pytest.fixture(scope="module")
def binary():
    X, y, groups = _binary_data()
    return X, y, groups, LogisticClassifier(C=np.inf, tol=TOL).fit(X, y), sm.Logit(y, _with_const(X))


@pytest.fixture(scope="module")
def multi():
    X, y, groups = _multi_data()
    return X, y, groups, SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y), sm.MNLogit(y, _with_const(X))


@pytest.fixture(scope="module")
def hurdle():
    X, y, groups = _counts_data()
    return X, y, groups, HurdleRegressor(tol=TOL).fit(X, y)


@pytest.fixture(scope="module")
def docvis():
    """Doctor visits (Cameron & Trivedi): statsmodels' and Stata's truncated-count reference data."""
    pd = pytest.importorskip("pandas")
    path = importlib.resources.files("statsmodels.sandbox.regression.tests") / "racd10data_with_transformed.csv"
    if not path.is_file():
        pytest.skip("statsmodels' docvis data are not installed")
    dt = pd.read_csv(path)
    dt = dt[~((dt["private"] == 1) & (dt["medicaid"] == 1)) & (dt["docvis"] <= 70)]
    return dt[["aget", "totchr"]].to_numpy(), dt["docvis"].to_numpy().astype(float)


# ------------------------------------------------------------- statsmodels
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_binary_matches_statsmodels_logit(binary, cov_type):
    X, y, groups, clf, model = binary
    s = summary(clf, X, y, cov_type=cov_type, groups=groups if cov_type == "cluster" else None)
    res = _sm_fit(model)
    cov = _sm_cov(model, cov_type, groups)
    assert_allclose(s.coef, res.params, rtol=1e-8)
    assert_allclose(s.cov, cov, rtol=RTOL)
    se = np.sqrt(np.diag(cov))
    assert_allclose(s.std_err, se, rtol=RTOL)
    assert_allclose(s.z, res.params / se, rtol=RTOL)
    assert_allclose(s.p_value, 2 * stats.norm.sf(np.abs(res.params / se)), rtol=RTOL)
    if cov_type != "HC1":
        ref = _sm_fit(model, cov_type, groups)
        assert_allclose(s.p_value, ref.pvalues, rtol=RTOL)
        assert_allclose(np.column_stack([s.ci_low, s.ci_high]), ref.conf_int(alpha=0.05), rtol=RTOL)
    assert_allclose(s.log_likelihood, res.llf, rtol=1e-10)
    assert s.names == ["x0", "x1", "x2", "intercept"]
    assert s.cov_type == cov_type and s.alpha == 0.05
    assert s.n_groups == (25 if cov_type == "cluster" else None)


def test_binary_without_intercept_matches_statsmodels(binary):
    X, y, *_ = binary
    clf = LogisticClassifier(C=np.inf, fit_intercept=False, tol=TOL).fit(X, y)
    s = summary(clf, X, y, cov_type="HC0")
    res = _sm_fit(sm.Logit(y, X), "HC0")
    assert s.names == ["x0", "x1", "x2"]
    assert_allclose(s.coef, res.params, rtol=1e-8)
    assert_allclose(s.cov, res.cov_params(), rtol=RTOL)


def test_soft_targets_match_statsmodels_fractional_logit(binary):
    """Probabilities as targets: the fractional logit (quasi-likelihood), whose sandwich is the one to use."""
    X, y, *_ = binary
    t = np.clip(0.2 + 0.6 * y + 0.1 * X[:, 2], 0.0, 1.0)
    clf = LogisticClassifier(C=np.inf, tol=TOL).fit(X, t)
    model = sm.Logit(t, _with_const(X))
    for cov_type in ["nonrobust", "HC0"]:
        s = summary(clf, X, t, cov_type=cov_type)
        assert_allclose(s.coef, _sm_fit(model).params, rtol=1e-8)
        assert_allclose(s.cov, _sm_cov(model, cov_type), rtol=RTOL)


def test_confidence_level(binary):
    X, y, _, clf, model = binary
    s = summary(clf, X, y, alpha=0.1)
    assert_allclose(np.column_stack([s.ci_low, s.ci_high]), _sm_fit(model).conf_int(alpha=0.1), rtol=RTOL)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_softmax_matches_statsmodels_mnlogit(multi, cov_type):
    """statsmodels' reference category is the first class: our reference-class gauge."""
    X, y, groups, clf, model = multi
    s = summary(clf, X, y, cov_type=cov_type, groups=groups if cov_type == "cluster" else None)
    res = _sm_fit(model)
    params = np.asarray(res.params).ravel(order="F")  # (k_exog, K - 1): class-major, as our rows
    assert_allclose(s.coef, params, rtol=1e-7)
    assert_allclose(s.cov, _sm_cov(model, cov_type, groups), rtol=RTOL, atol=1e-12)
    assert_allclose(s.log_likelihood, res.llf, rtol=1e-10)
    assert s.names[:3] == ["class 1: x0", "class 1: x1", "class 1: intercept"]
    assert s.names[3:] == ["class 2: x0", "class 2: x1", "class 2: intercept"]
    # The gauge: differences of the centred coef_ rows.
    assert_allclose(s.coef[:2], clf.coef_[1] - clf.coef_[0], rtol=1e-12)


def test_softmax_string_labels_and_two_classes_equal_the_binary_model(binary):
    X, y, *_ = binary
    labels = np.array(["no", "yes"])[y]
    soft = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, labels)
    logit = LogisticClassifier(C=np.inf, tol=TOL).fit(X, y)
    for cov_type in ["nonrobust", "HC1"]:
        a, b = summary(soft, X, labels, cov_type=cov_type), summary(logit, X, y, cov_type=cov_type)
        assert a.names == ["class 'yes': x0", "class 'yes': x1", "class 'yes': x2", "class 'yes': intercept"]
        assert_allclose(a.coef, b.coef, rtol=1e-7)
        assert_allclose(a.cov, b.cov, rtol=1e-6)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_poisson_hurdle_matches_statsmodels(hurdle, cov_type):
    """Zero part: Logit of y > 0; count part: TruncatedLFPoisson on y > 0 (the parts decouple)."""
    X, y, groups, model = hurdle
    s = summary(model, X, y, cov_type=cov_type, groups=groups if cov_type == "cluster" else None)
    pos = y > 0
    zero = sm.Logit(pos.astype(float), _with_const(X))
    count = truncated_model.TruncatedLFPoisson(y[pos], _with_const(X[pos]))
    assert s.names == ["zero_x0", "zero_x1", "zero_intercept", "count_x0", "count_x1", "count_intercept"]
    assert_allclose(s.coef, np.concatenate([_sm_fit(zero).params, _sm_fit(count).params]), rtol=1e-7)
    cluster = cov_type == "cluster"
    assert_allclose(s.cov[:3, :3], _sm_cov(zero, cov_type, groups if cluster else None), rtol=RTOL)
    assert_allclose(s.cov[3:, 3:], _sm_cov(count, cov_type, groups[pos] if cluster else None), rtol=RTOL)
    if cov_type == "nonrobust":
        assert np.all(s.cov[:3, 3:] == 0)
    assert_allclose(s.log_likelihood, _sm_fit(zero).llf + _sm_fit(count).llf, rtol=1e-10)
    assert_allclose(s.log_likelihood, model.log_likelihood(X, y).sum(), rtol=1e-10)


def test_hurdle_sandwich_cross_block_is_the_joint_estimate(hurdle):
    """HC0 of the stacked scores: the cross block from the per-sample scores of both statsmodels parts."""
    X, y, _, model = hurdle
    s = summary(model, X, y, cov_type="HC0")
    pos = y > 0
    zero = _sm_fit(sm.Logit(pos.astype(float), _with_const(X)))
    count = _sm_fit(truncated_model.TruncatedLFPoisson(y[pos], _with_const(X[pos])))
    scores = np.zeros((len(y), 6))
    scores[:, :3] = zero.model.score_obs(zero.params)
    scores[pos, 3:] = count.model.score_obs(count.params)
    bread = np.zeros((6, 6))
    bread[:3, :3], bread[3:, 3:] = zero.normalized_cov_params, count.normalized_cov_params
    assert_allclose(s.cov, bread @ scores.T @ scores @ bread, rtol=RTOL, atol=1e-12)


def test_negative_binomial_count_part_matches_statsmodels_and_stata(docvis):
    """log(theta) = -log(alpha): statsmodels' covariance through the Jacobian; Stata's lnalpha row.

    The covariance is that of statsmodels' likelihood at its optimum, its
    Hessian from differences of its score (see ``_score_hessian``; its own
    ``cov_params`` comes from a second difference of the log-likelihood, off
    by up to 2e-5 on some machines), to 1e-7; Stata's published one to ``RTOL``.
    """
    X, y = docvis
    model = HurdleRegressor(count_distribution="negative_binomial", tol=TOL).fit(X, y)
    s = summary(model, X, y)
    assert s.names[3:] == ["count_x0", "count_x1", "count_intercept", "count_log(theta)"]
    pos = y > 0
    res = _sm_fit(truncated_model.TruncatedLFNegativeBinomialP(y[pos], _with_const(X[pos])))
    alpha = res.params[-1]
    J = np.diag([1.0, 1.0, 1.0, -1.0 / alpha])
    assert_allclose(s.coef[3:], np.append(res.params[:-1], -np.log(alpha)), rtol=1e-6)
    cov = np.linalg.inv(-_score_hessian(res.model, res.params))
    assert_allclose(s.cov[3:, 3:], J @ cov @ J.T, rtol=1e-7)
    assert_allclose(s.theta, 1 / alpha, rtol=1e-6)
    assert_allclose(s.theta_std_err, np.sqrt(cov[-1, -1]) / alpha**2, rtol=1e-7)  # delta method both ways
    assert "theta = exp(count_log(theta))" in str(s)
    stata = pytest.importorskip("statsmodels.discrete.tests.results.results_truncated_st").results_trunc_negbin
    sign = np.array([1.0, 1.0, 1.0, -1.0])  # Stata's row is lnalpha = -log(theta)
    assert_allclose(s.cov[3:, 3:], stata.cov * np.outer(sign, sign), rtol=RTOL)  # Stata's to 4e-6
    assert_allclose(s.std_err[3:], stata.bse, rtol=1e-6)
    # The sandwich: the scores in log(theta) are those in alpha times d alpha / d log(theta) = -alpha.
    robust = summary(model, X, y, cov_type="HC0")
    scores = res.model.score_obs(res.params)
    assert_allclose(robust.cov[3:, 3:], J @ cov @ scores.T @ scores @ cov @ J.T, rtol=1e-7)


def test_geometric_count_part_matches_statsmodels_hessian(hurdle):
    """The truncated geometric is statsmodels' truncated NB2 with alpha = 1 fixed: its Hessian without alpha."""
    X, y, _, _ = hurdle
    model = HurdleRegressor(count_distribution="geometric", tol=TOL).fit(X, y)
    s = summary(model, X, y)
    pos = y > 0
    mod = truncated_model.TruncatedLFNegativeBinomialP(y[pos], _with_const(X[pos]))
    H = mod.hessian(np.append(s.coef[3:], 1.0))[:-1, :-1]
    assert_allclose(s.cov[3:, 3:], np.linalg.inv(-H), rtol=RTOL)
    assert_allclose(s.log_likelihood, model.log_likelihood(X, y).sum(), rtol=1e-10)
    assert s.theta is None


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_wald_test_matches_statsmodels(binary, cov_type):
    X, y, _, clf, model = binary
    s = summary(clf, X, y, cov_type=cov_type)
    res = _sm_fit(model, cov_type)
    R = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    q = np.array([-0.5, 0.1])
    ref = res.wald_test((R, q), scalar=True, use_f=False)
    t = wald_test(s, R, q)
    assert isinstance(t, TestResult) and t.df == 2
    assert_allclose(t.statistic, ref.statistic, rtol=RTOL)
    assert_allclose(t.p_value, ref.pvalue, rtol=RTOL)
    by_name = wald_test(s, ["x2"])
    assert_allclose(by_name.statistic, s.z[2] ** 2, rtol=1e-12)
    assert wald_test(s, "x2") == by_name
    assert_allclose(wald_test(s, R[1], 0.1).statistic, ((s.coef[2] - 0.1) / s.std_err[2]) ** 2, rtol=1e-12)


def test_wald_test_softmax_matches_statsmodels(multi):
    X, y, _, clf, model = multi
    s = summary(clf, X, y)
    R = np.eye(6)[[0, 3]]  # x0 in both equations
    ref = _sm_fit(model).wald_test(R, scalar=True, use_f=False)
    t = wald_test(s, ["class 1: x0", "class 2: x0"])
    assert_allclose([t.statistic, t.p_value], [ref.statistic, ref.pvalue], rtol=RTOL)


def test_wald_test_errors(binary):
    X, y, _, clf, _ = binary
    s = summary(clf, X, y)
    with pytest.raises(ValueError, match="Unknown coefficient"):
        wald_test(s, ["x9"])
    with pytest.raises(ValueError, match="one column per coefficient"):
        wald_test(s, np.eye(3))
    with pytest.raises(ValueError, match="one entry per row"):
        wald_test(s, np.eye(4)[:2], q=[0.0])
    with pytest.raises(ValueError, match="linearly dependent"):
        wald_test(s, np.eye(4)[[1, 1]])


def test_likelihood_ratio_test_matches_statsmodels(binary, multi):
    X, y, *_ = binary
    full = LogisticClassifier(C=np.inf, tol=TOL).fit(X, y)
    restricted = LogisticClassifier(C=np.inf, tol=TOL).fit(X[:, :1], y)
    t = likelihood_ratio_test(full, restricted, X, X[:, :1], y)
    ll_full = _sm_fit(sm.Logit(y, _with_const(X))).llf
    ll_restricted = _sm_fit(sm.Logit(y, _with_const(X[:, :1]))).llf
    assert t.df == 2
    assert_allclose(t.statistic, 2 * (ll_full - ll_restricted), rtol=1e-7)
    assert_allclose(t.p_value, stats.chi2.sf(2 * (ll_full - ll_restricted), 2), rtol=1e-6)
    X, y, *_ = multi
    full = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y)
    restricted = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X[:, 1:], y)
    t = likelihood_ratio_test(full, restricted, X, X[:, 1:], y)
    lr = 2 * (_sm_fit(sm.MNLogit(y, _with_const(X))).llf - _sm_fit(sm.MNLogit(y, _with_const(X[:, 1:]))).llf)
    assert t.df == 2
    assert_allclose([t.statistic, t.p_value], [lr, stats.chi2.sf(lr, 2)], rtol=1e-6)


def test_likelihood_ratio_test_hurdle_and_errors(hurdle, binary):
    X, y, _, model = hurdle
    restricted = HurdleRegressor(tol=TOL).fit(X[:, :1], y)
    t = likelihood_ratio_test(model, restricted, X, X[:, :1], y)
    ll = model.log_likelihood(X, y).sum() - restricted.log_likelihood(X[:, :1], y).sum()
    assert t.df == 2
    assert_allclose(t.statistic, 2 * ll, rtol=1e-8)
    Xb, yb, _, clf, _ = binary
    with pytest.raises(ValueError, match="same kind"):
        likelihood_ratio_test(clf, SoftmaxClassifier(C=np.inf).fit(Xb, yb), Xb, Xb, yb)
    with pytest.raises(ValueError, match="fewer coefficients"):
        likelihood_ratio_test(clf, clf, Xb, Xb, yb)


def test_predict_proba_interval_is_the_delta_method_on_statsmodels_covariance(binary):
    X, y, _, clf, model = binary
    s = summary(clf, X, y)
    res = _sm_fit(model)
    Xnew = np.random.default_rng(5).normal(size=(20, 3))
    Xc = _with_const(Xnew)
    eta = Xc @ res.params
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xc, res.cov_params(), Xc))
    for alpha in [0.05, 0.2]:
        q = stats.norm.ppf(1 - alpha / 2)
        p, low, high = predict_proba_interval(s, Xnew, alpha=alpha)
        assert_allclose(p, res.predict(Xc), rtol=1e-8)
        assert_allclose(low, 1 / (1 + np.exp(-(eta - q * se))), rtol=RTOL)
        assert_allclose(high, 1 / (1 + np.exp(-(eta + q * se))), rtol=RTOL)
    assert_allclose(p, clf.predict_proba(Xnew)[:, 1], rtol=1e-12)
    # CSR gives the same; the default alpha is the summary's.
    assert_allclose(predict_proba_interval(s, sp.csr_matrix(Xnew))[1],
                    predict_proba_interval(s, Xnew, alpha=0.05)[1], rtol=1e-12)


def test_predict_proba_interval_hurdle_and_softmax(hurdle, multi):
    X, y, _, model = hurdle
    p, low, high = predict_proba_interval(summary(model, X, y), X[:10])
    assert_allclose(p, 1 - model.predict_zero_proba(X[:10]), rtol=1e-10)
    assert np.all((low < p) & (p < high))
    X, y, _, clf, _ = multi
    with pytest.raises(ValueError, match="binary LogisticClassifier"):
        predict_proba_interval(summary(clf, X, y), X)
    X, y = X[y > 0], y[y > 0]  # two classes: the interval of the binary model
    soft = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y)
    logit = LogisticClassifier(C=np.inf, tol=TOL).fit(X, y)
    assert_allclose(predict_proba_interval(summary(soft, X, y), X[:5]),
                    predict_proba_interval(summary(logit, X, y), X[:5]), rtol=1e-7)


# -------------------------------------------------------------- properties
def test_integer_weights_equal_repeated_rows(binary):
    X, y, groups, *_ = binary
    w = np.random.default_rng(3).integers(0, 4, len(y))
    rows = np.repeat(np.arange(len(y)), w)
    weighted = LogisticClassifier(C=np.inf, tol=TOL).fit(X, y, sample_weight=w)
    repeated = LogisticClassifier(C=np.inf, tol=TOL).fit(X[rows], y[rows])
    for cov_type in ["nonrobust", "HC0", "HC1", "cluster"]:
        kw = {"groups": groups} if cov_type == "cluster" else {}
        kw_rep = {"groups": groups[rows]} if cov_type == "cluster" else {}
        a = summary(weighted, X, y, sample_weight=w, cov_type=cov_type, **kw)
        b = summary(repeated, X[rows], y[rows], cov_type=cov_type, **kw_rep)
        assert_allclose(a.cov, b.cov, rtol=1e-6)
        assert a.n_obs == b.n_obs == w.sum()


def test_hurdle_integer_weights_equal_repeated_rows(hurdle):
    X, y, groups, _ = hurdle
    w = np.random.default_rng(4).integers(0, 3, len(y))
    rows = np.repeat(np.arange(len(y)), w)
    a_model = HurdleRegressor(tol=TOL).fit(X, y, sample_weight=w)
    b_model = HurdleRegressor(tol=TOL).fit(X[rows], y[rows])
    for cov_type in ["nonrobust", "HC1", "cluster"]:
        a = summary(a_model, X, y, sample_weight=w, cov_type=cov_type,
                    groups=groups if cov_type == "cluster" else None)
        b = summary(b_model, X[rows], y[rows], cov_type=cov_type,
                    groups=groups[rows] if cov_type == "cluster" else None)
        assert_allclose(a.cov, b.cov, rtol=1e-6, atol=1e-14)


def test_class_weights_sandwich_is_the_weighted_score_sandwich(binary):
    """With class weights the loss of each observation is multiplied by w_{y_i}: its score too."""
    X, y, *_ = binary
    clf = LogisticClassifier(C=np.inf, tol=TOL, class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    a = summary(clf, X, y, cov_type="HC0")
    Xc = _with_const(X)
    p = clf.predict_proba(X)[:, 1]
    w = np.where(y == 1, 3.0, 1.0)
    bread = np.linalg.inv(Xc.T @ (Xc * (w * p * (1 - p))[:, None]))
    u = Xc * (w * (p - y))[:, None]
    assert_allclose(a.cov, bread @ u.T @ u @ bread, rtol=1e-8)
    assert a.n_obs == len(y)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1", "cluster"])
def test_sparse_and_float32_equal_dense(multi, hurdle, cov_type):
    X, y, groups, clf, _ = multi
    kw = {"groups": groups} if cov_type == "cluster" else {}
    dense = summary(clf, X, y, cov_type=cov_type, **kw)
    assert_allclose(summary(clf, sp.csr_matrix(X), y, cov_type=cov_type, **kw).cov, dense.cov, rtol=1e-10)
    X, y, groups, model = hurdle
    kw = {"groups": groups} if cov_type == "cluster" else {}
    dense = summary(model, X, y, cov_type=cov_type, **kw)
    assert_allclose(summary(model, sp.csr_matrix(X), y, cov_type=cov_type, **kw).cov, dense.cov, rtol=1e-10)
    X32 = X.astype(np.float32)
    model32 = HurdleRegressor(tol=1e-8).fit(X32, y)
    assert_allclose(summary(model32, X32, y, cov_type=cov_type, **kw).cov, dense.cov, rtol=1e-4)


def test_dataframe_names_str_and_frame(binary):
    pd = pytest.importorskip("pandas")
    X, y, *_ = binary
    df = pd.DataFrame(X, columns=["age", "dose", "noise"])
    clf = LogisticClassifier(C=np.inf, tol=TOL).fit(df, y)
    s = summary(clf, df, y)
    assert s.names == ["age", "dose", "noise", "intercept"]
    text = str(s)
    assert "LogisticClassifier: log-odds of class 1" in text
    assert "inverse Fisher information" in text and "observations: 400" in text
    for name in s.names:
        assert name in text
    assert len(text.splitlines()) == 4 + 4
    frame = s.to_frame()
    assert list(frame.columns) == ["coef", "std_err", "z", "p_value", "ci_low", "ci_high"]
    assert list(frame.index) == s.names
    assert_allclose(frame["std_err"], s.std_err)
    assert "InferenceSummary" in repr(s)
    hurdle_model = HurdleRegressor().fit(df, np.where(y > 0, np.arange(len(y)) % 4 + 1, 0))
    names = summary(hurdle_model, df, np.where(y > 0, np.arange(len(y)) % 4 + 1, 0)).names
    assert names[:4] == ["zero_age", "zero_dose", "zero_noise", "zero_intercept"]
    assert names[4:] == ["count_age", "count_dose", "count_noise", "count_intercept"]


def test_to_frame_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas"):
        InferenceSummary(["a"], [1.0], [[1.0]]).to_frame()


# ------------------------------------------------------------------ errors
def test_penalised_fits_are_refused(binary, hurdle):
    X, y, *_ = binary
    with pytest.raises(ValueError, match="C=np.inf"):
        summary(LogisticClassifier(C=1.0).fit(X, y), X, y)
    X, y, *_ = hurdle
    with pytest.raises(ValueError, match="C=np.inf"):
        summary(HurdleRegressor(C=10.0).fit(X, y), X, y)


@pytest.mark.parametrize("params, match", [({"loss": "focal"}, "loss='log'"),
                                           ({"label_smoothing": 0.1}, "label_smoothing=0"),
                                           ({"adversarial_epsilon": 0.1}, "adversarial_epsilon=0")])
def test_losses_that_are_not_the_likelihood_are_refused(binary, params, match):
    X, y, *_ = binary
    with pytest.raises(ValueError, match=match):
        summary(LogisticClassifier(C=np.inf, **params).fit(X, y), X, y)


def test_unsupported_estimators(multi):
    X, y, *_ = multi
    with pytest.raises(ValueError, match="one-vs-rest"):
        summary(LogisticClassifier(C=np.inf).fit(X, y), X, y)
    with pytest.raises(ValueError, match="NoiseCorrectedClassifier"):
        summary(NoiseCorrectedClassifier(C=np.inf).fit(X, y), X, y)
    with pytest.raises(ValueError, match="HurdleRegressor"):
        summary(object(), X, y)
    Xc, yc, _ = _counts_data(n=300)
    custom = HurdleRegressor(zero_estimator=SoftmaxClassifier(C=np.inf)).fit(Xc, yc)
    with pytest.raises(ValueError, match="zero part"):
        summary(custom, Xc, yc)


def test_groups_errors(binary):
    X, y, groups, clf, _ = binary
    with pytest.raises(ValueError, match="needs groups"):
        summary(clf, X, y, cov_type="cluster")
    with pytest.raises(ValueError, match="cov_type='cluster' only"):
        summary(clf, X, y, cov_type="HC0", groups=groups)
    with pytest.raises(ValueError, match="one label per sample"):
        summary(clf, X, y, cov_type="cluster", groups=groups[:-1])
    with pytest.raises(ValueError, match="at least 2 clusters"):
        summary(clf, X, y, cov_type="cluster", groups=np.zeros(len(y)))
    with pytest.raises(ValueError, match="cov_type must be one of"):
        summary(clf, X, y, cov_type="HC3")
    with pytest.raises(ValueError, match="alpha must be"):
        summary(clf, X, y, alpha=1.5)


def test_singular_information(binary):
    X, y, *_ = binary
    Xdup = np.column_stack([X, X[:, 0]])
    clf = LogisticClassifier(C=np.inf).fit(Xdup, y)
    with pytest.raises(ValueError, match="singular.*x0, .*x3"):
        summary(clf, Xdup, y)
    Xzero = np.column_stack([X, np.zeros(len(y))])
    with pytest.raises(ValueError, match="does not depend on x3"):
        summary(LogisticClassifier(C=np.inf).fit(Xzero, y), Xzero, y)


def test_separated_data():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0], [3.0]])
    y = [0, 0, 1, 1, 1]
    with pytest.warns(Warning):
        clf = LogisticClassifier(C=np.inf).fit(X, y)
    with pytest.raises(ValueError, match="separated"):
        summary(clf, X, y)


def test_other_data_than_the_fit(binary):
    X, y, _, clf, _ = binary
    with pytest.raises(ValueError, match="do not maximise"):
        summary(clf, X, 1 - y)


# ------------------------------------------------- hurdle: y ~ x | z, offsets
@pytest.fixture(scope="module")
def hurdle_offset():
    """A hurdle with its own columns per part (zero: x0; count: x0, x1) and an exposure."""
    X, y, groups = _counts_data(n=900, seed=9)
    t = np.random.default_rng(9).uniform(0.5, 2.0, len(y))
    model = HurdleRegressor(zero_features=[0], count_features=[0, 1], tol=TOL).fit(X, y, exposure=t)
    return X, y, groups, t, model


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "cluster"])
def test_hurdle_selectors_and_offset_match_statsmodels(hurdle_offset, cov_type):
    X, y, groups, t, model = hurdle_offset
    cluster = cov_type == "cluster"
    s = summary(model, X, y, cov_type=cov_type, groups=groups if cluster else None, exposure=t)
    pos = y > 0
    zero = sm.Logit(pos.astype(float), _with_const(X[:, [0]]))
    count = truncated_model.TruncatedLFPoisson(y[pos], _with_const(X[pos]), offset=np.log(t[pos]))
    assert s.names == ["zero_x0", "zero_intercept", "count_x0", "count_x1", "count_intercept"]
    assert_allclose(s.coef, np.concatenate([_sm_fit(zero).params, _sm_fit(count).params]), rtol=1e-7)
    assert_allclose(s.cov[:2, :2], _sm_cov(zero, cov_type, groups if cluster else None), rtol=RTOL)
    assert_allclose(s.cov[2:, 2:], _sm_cov(count, cov_type, groups[pos] if cluster else None), rtol=RTOL)
    assert_allclose(s.log_likelihood, model.log_likelihood(X, y, exposure=t).sum(), rtol=1e-10)
    # offset = log(exposure) gives the same summary.
    assert_allclose(summary(model, X, y, cov_type=cov_type, groups=groups if cluster else None,
                            offset=np.log(t)).cov, s.cov, rtol=1e-12)


def test_hurdle_predict_proba_interval_uses_the_zero_columns(hurdle_offset):
    X, y, _, t, model = hurdle_offset
    res = _sm_fit(sm.Logit((y > 0).astype(float), _with_const(X[:, [0]])))
    Xc = _with_const(X[:20, [0]])
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xc, res.cov_params(), Xc))
    p, low, high = predict_proba_interval(summary(model, X, y, exposure=t), X[:20])
    assert_allclose(p, res.predict(Xc), rtol=1e-8)
    assert_allclose(low, 1 / (1 + np.exp(-(Xc @ res.params - stats.norm.ppf(0.975) * se))), rtol=RTOL)


def test_offset_errors(hurdle_offset, binary):
    X, y, _, t, model = hurdle_offset
    with pytest.raises(ValueError, match="do not maximise"):
        summary(model, X, y)  # fitted with an exposure, summarised without
    Xb, yb, _, clf, _ = binary
    with pytest.raises(ValueError, match="offset and exposure are the count part's"):
        summary(clf, Xb, yb, offset=np.zeros(len(yb)))
