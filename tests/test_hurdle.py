"""HurdleRegressor against statsmodels, R's pscl and Stata on real count data; properties; sklearn API."""

import importlib.resources
import pickle
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklogloss.estimators.hurdle import HurdleRegressor

sm = pytest.importorskip("statsmodels.api")
truncated_model = pytest.importorskip("statsmodels.discrete.truncated_model")

DISTRIBUTIONS = ["poisson", "negative_binomial", "geometric"]


# ------------------------------------------------------------------ data
@pytest.fixture(scope="module")
def randhie():
    """RAND health insurance experiment: outpatient visits (31% zeros), 9 covariates, n=20190."""
    data = sm.datasets.randhie.load_pandas()
    return data.exog.to_numpy(), data.endog.to_numpy().astype(float)


@pytest.fixture(scope="module")
def docvis():
    """Doctor visits (Cameron & Trivedi), the data of statsmodels' pscl and Stata reference results."""
    pd = pytest.importorskip("pandas")
    path = importlib.resources.files("statsmodels.sandbox.regression.tests") / \
        "racd10data_with_transformed.csv"
    if not path.is_file():
        pytest.skip("statsmodels' docvis data are not installed")
    dt = pd.read_csv(path)
    # The sample of statsmodels' reference results (test_gmm_poisson.get_data).
    keep = ~((dt["private"] == 1) & (dt["medicaid"] == 1)) & (dt["docvis"] <= 70)
    dt = dt[keep]
    return dt[["aget", "totchr"]].to_numpy(), dt["docvis"].to_numpy().astype(float)


def _with_const(X):
    return sm.add_constant(X, prepend=False, has_constant="add")


def _count_params(model):
    return np.append(model.count_coef_, model.count_intercept_)


def _zero_params(model):
    est = model.zero_estimator_
    return np.append(np.ravel(est.coef_), est.intercept_)


def _count_loglik(model, X, y):
    """Log-likelihood of the truncated count part: the hurdle's minus the zero part's, on y > 0."""
    pos = y > 0
    return float(np.sum(model.log_likelihood(X[pos], y[pos])
                        - np.log1p(-model.predict_zero_proba(X[pos]))))


class CloglogClassifier(ClassifierMixin, BaseEstimator):
    """``P(y = 1) = 1 - exp(-exp(x @ w + b))``: the binary model of ``y > 0`` under a Poisson.

    This is the zero hurdle of pscl's ``zero.dist = "poisson"`` and of statsmodels'
    ``HurdleCountModel(zerodist="poisson")``, fitted with statsmodels' GLM.
    """

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        family = sm.families.Binomial(link=sm.families.links.CLogLog())
        glm = sm.GLM((y == self.classes_[1]).astype(float), _with_const(np.asarray(X)),
                     family=family, freq_weights=sample_weight)
        self.params_ = np.asarray(glm.fit(tol=1e-13, maxiter=200).params)
        return self

    def predict_proba(self, X):
        p = -np.expm1(-np.exp(_with_const(np.asarray(X)) @ self.params_))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def _counts_data(n=600, seed=0, theta=None):
    """Simulated hurdle data: logistic zeros, (NB or Poisson) counts above."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    positive = rng.random(n) < 1 / (1 + np.exp(-(0.3 + X[:, 0] - 0.5 * X[:, 2])))
    mu = np.exp(0.8 + 0.4 * X[:, 1] - 0.3 * X[:, 2])
    draws = rng.poisson(mu, size=(60, n)) if theta is None else \
        rng.negative_binomial(theta, theta / (theta + mu), size=(60, n))
    first = draws[(draws > 0).argmax(axis=0), np.arange(n)]
    return X, np.where(positive & (first > 0), first, 0).astype(float)


# ------------------------------------------------ statsmodels on randhie
@pytest.fixture(scope="module")
def randhie_fits(randhie):
    X, y = randhie
    return {dist: HurdleRegressor(count_distribution=dist).fit(X, y)
            for dist in ("poisson", "geometric")}


def test_zero_part_matches_statsmodels_logit(randhie, randhie_fits):
    X, y = randhie
    res = sm.Logit((y > 0).astype(float), _with_const(X)).fit(method="newton", tol=1e-12, disp=0)
    model = randhie_fits["poisson"]
    assert_allclose(_zero_params(model), res.params, rtol=1e-6)
    ll_zero = np.sum(np.where(y > 0, np.log1p(-model.predict_zero_proba(X)),
                              np.log(model.predict_zero_proba(X))))
    assert_allclose(ll_zero, res.llf, rtol=1e-11)


def test_poisson_count_part_matches_statsmodels(randhie, randhie_fits):
    X, y = randhie
    model = randhie_fits["poisson"]
    res = truncated_model.TruncatedLFPoisson(y, _with_const(X)).fit(
        method="newton", maxiter=100, tol=1e-12, disp=0)
    assert_allclose(_count_params(model), res.params, rtol=1e-6)
    assert_allclose(_count_loglik(model, X, y), res.llf, rtol=1e-11)
    # The hurdle log-likelihood separates: logit + truncated Poisson.
    logit = sm.Logit((y > 0).astype(float), _with_const(X)).fit(method="newton", tol=1e-12, disp=0)
    assert_allclose(model.log_likelihood(X, y).sum(), logit.llf + res.llf, rtol=1e-11)


def test_geometric_is_statsmodels_negbin_with_alpha_one(randhie, randhie_fits):
    """statsmodels' truncated NB2 with alpha = 1/theta fixed at 1: its score vanishes at our fit.

    statsmodels has no fit with a fixed alpha; its log-likelihood and score are the reference.
    """
    X, y = randhie
    model = randhie_fits["geometric"]
    assert model.theta_ is None
    mod = truncated_model.TruncatedLFNegativeBinomialP(y, _with_const(X))
    params = np.append(_count_params(model), 1.0)
    n_pos = int((y > 0).sum())
    score = mod.score(params)[:-1] / n_pos
    assert np.max(np.abs(score)) < 1e-7
    assert_allclose(_count_loglik(model, X, y), mod.loglike(params), rtol=1e-11)
    # The truncated geometric log-likelihood is concave in the coefficients (its Hessian in
    # raw is non-negative, test_counts.py), so a vanishing score means the maximum.


def test_negative_binomial_first_order_conditions_statsmodels(randhie):
    """statsmodels' score of the truncated NB2 vanishes at our (coef, 1/theta) on randhie."""
    X, y = randhie
    model = HurdleRegressor(count_distribution="negative_binomial").fit(X, y)
    mod = truncated_model.TruncatedLFNegativeBinomialP(y, _with_const(X))
    params = np.append(_count_params(model), 1.0 / model.theta_)
    assert np.max(np.abs(mod.score(params))) / (y > 0).sum() < 1e-7
    assert_allclose(_count_loglik(model, X, y), mod.loglike(params), rtol=1e-11)


@pytest.mark.slow
def test_negative_binomial_matches_statsmodels_fit_randhie(randhie):
    X, y = randhie
    model = HurdleRegressor(count_distribution="negative_binomial").fit(X, y)
    res = truncated_model.TruncatedLFNegativeBinomialP(y, _with_const(X)).fit(
        method="newton", maxiter=200, tol=1e-12, disp=0)
    assert_allclose(_count_params(model), res.params[:-1], rtol=1e-6)
    assert_allclose(model.theta_, 1 / res.params[-1], rtol=1e-6)
    assert_allclose(_count_loglik(model, X, y), res.llf, rtol=1e-11)


# ---------------------------------------- statsmodels, pscl and Stata on docvis
def test_negative_binomial_matches_statsmodels_fit(docvis):
    X, y = docvis
    model = HurdleRegressor(count_distribution="negative_binomial").fit(X, y)
    res = truncated_model.TruncatedLFNegativeBinomialP(y, _with_const(X)).fit(
        method="newton", maxiter=200, tol=1e-12, disp=0)
    assert_allclose(_count_params(model), res.params[:-1], rtol=1e-6)
    assert_allclose(model.theta_, 1 / res.params[-1], rtol=1e-6)
    assert_allclose(_count_loglik(model, X, y), res.llf, rtol=1e-11)


def test_count_part_matches_stata_tpoisson_tnbreg(docvis):
    """Stata's ``tpoisson`` / ``tnbreg docvis aget totchr if docvis > 0`` (statsmodels' results)."""
    ref = pytest.importorskip("statsmodels.discrete.tests.results.results_truncated_st")
    X, y = docvis
    for dist, res in [("poisson", ref.results_trunc_poisson),
                      ("negative_binomial", ref.results_trunc_negbin)]:
        model = HurdleRegressor(count_distribution=dist).fit(X, y)
        assert_allclose(_count_params(model), res.params[:3], rtol=1e-6)
        assert_allclose(_count_loglik(model, X, y), res.ll, rtol=1e-10)
        if dist == "negative_binomial":
            assert_allclose(model.theta_, 1 / res.alpha, rtol=1e-6)   # Stata's alpha = 1/theta


def test_hurdle_matches_pscl(docvis):
    """R: ``hurdle(docvis ~ aget + totchr, data=dt, zero.dist="poisson")`` (statsmodels' results).

    pscl's Poisson zero hurdle is the complementary log-log binary model of y > 0,
    passed here as the zero estimator; the count part is ours.
    """
    ref = pytest.importorskip("statsmodels.discrete.tests.results.results_truncated").hurdle_poisson
    X, y = docvis
    model = HurdleRegressor(zero_estimator=CloglogClassifier()).fit(X, y)
    # pscl lists (intercept, aget, totchr). Its BFGS stops early on the flat zero-part
    # likelihood (5e-6 off, the tolerance statsmodels uses against it too).
    assert_allclose(_count_params(model), ref.count[[1, 2, 0], 0], rtol=2e-6)
    assert_allclose(model.zero_estimator_.params_, ref.zero[[1, 2, 0], 0], atol=1e-5)
    assert_allclose(model.log_likelihood(X, y).sum(), ref.loglik, rtol=1e-9)
    at_means = X.mean(axis=0, keepdims=True)
    assert_allclose(model.predict(at_means), ref.predict_mean, rtol=1e-6)
    pmf = model.predict_pmf(at_means, max_count=3)[0]
    assert_allclose(pmf[0], ref.predict_prob[0], rtol=1e-5)     # the zero part, see above
    assert_allclose(pmf[1:], ref.predict_prob[1:], rtol=1e-6)
    # pscl's type = "count" (mu) and type = "zero" (the ratio P(y > 0) / (1 - f(0; mu))).
    assert_allclose(model.predict_count_mean(at_means), ref.predict_mean_main, rtol=1e-6)
    assert_allclose(model.predict_hurdle_ratio(at_means), ref.predict_zero, rtol=1e-5)  # the zero part, see above


@pytest.mark.parametrize("dist", ["poisson", "negative_binomial"])
def test_end_to_end_statsmodels_hurdle_count_model(docvis, dist):
    X, y = docvis
    model = HurdleRegressor(count_distribution=dist, zero_estimator=CloglogClassifier()).fit(X, y)
    sm_dist = {"poisson": "poisson", "negative_binomial": "negbin"}[dist]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = truncated_model.HurdleCountModel(y, _with_const(X), dist=sm_dist, zerodist="poisson").fit(
            method="newton", maxiter=300, disp=0)
    k = X.shape[1] + 1
    params = np.asarray(res.params)
    assert_allclose(model.zero_estimator_.params_, params[:k], rtol=1e-6)
    assert_allclose(_count_params(model), params[k:2 * k], rtol=1e-6)
    if dist == "negative_binomial":
        assert_allclose(model.theta_, 1 / params[-1], rtol=1e-6)
    assert_allclose(model.log_likelihood(X, y).sum(), res.llf, rtol=1e-10)
    Xc = _with_const(X[:200])
    assert_allclose(model.predict(X[:200]), res.predict(Xc, which="mean"), rtol=1e-6)
    assert_allclose(model.predict_zero_proba(X[:200]), res.predict(Xc, which="prob-zero"), rtol=1e-6)
    pmf = res.predict(Xc, which="prob", y_values=np.arange(16))
    assert_allclose(model.predict_pmf(X[:200], max_count=15), pmf, rtol=1e-5, atol=1e-12)
    assert_allclose(model.predict_count_mean(X[:200]), res.predict(Xc, which="mean-main"), rtol=1e-6)
    ratio = res.predict(Xc, which="prob-main") / (1 - res.predict(Xc, which="prob-trunc"))
    assert_allclose(model.predict_hurdle_ratio(X[:200]), ratio, rtol=1e-6)


# ------------------------------------------------------------- properties
@pytest.fixture(scope="module")
def small_fits():
    X, y = _counts_data(n=800, seed=1, theta=1.5)
    return X, y, {dist: HurdleRegressor(count_distribution=dist).fit(X, y) for dist in DISTRIBUTIONS}


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_pmf_sums_to_one_and_its_mean_is_predict(small_fits, dist):
    X, _, fits = small_fits
    model = fits[dist]
    pmf = model.predict_pmf(X, max_count=400)
    assert pmf.shape == (X.shape[0], 401)
    assert np.all(pmf >= 0)
    assert_allclose(pmf.sum(axis=1), 1.0, rtol=1e-10)
    assert_allclose(pmf @ np.arange(401), model.predict(X), rtol=1e-9)
    assert_allclose(pmf[:, 0], model.predict_zero_proba(X), rtol=1e-14)


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_expected_count_where_the_parts_underflow_and_overflow(small_fits, dist):
    # A point where the zero part's score is -1000 (P(y > 0) = e^-1000 underflows
    # to 0) and log(mu) = 1000 (mu overflows): E[y] = e^-1000 * e^1000 = 1, up to
    # f(0; mu) = 0 and log(1 + e^-1000) = 0 in float64.
    X, _, fits = small_fits
    model = fits[dist]
    A = np.vstack([model.zero_estimator_.coef_.ravel(), model.count_coef_])
    b = np.array([-1000.0 - model.zero_estimator_.intercept_[0], 1000.0 - model.count_intercept_])
    far = np.linalg.lstsq(A, b, rcond=None)[0][None, :]
    assert_allclose(model.predict(far), [1.0], rtol=1e-9)
    assert_allclose(model.predict_zero_proba(far), [1.0])


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_log_likelihood_is_log_pmf(small_fits, dist):
    X, y, fits = small_fits
    model = fits[dist]
    pmf = model.predict_pmf(X, max_count=int(y.max()))
    assert_allclose(model.log_likelihood(X, y), np.log(pmf[np.arange(len(y)), y.astype(int)]),
                    rtol=1e-10)
    # Evaluating one count for all samples equals the matching pmf column.
    assert_allclose(np.exp(model.log_likelihood(X, np.full(len(y), 3))), pmf[:, 3], rtol=1e-10)


def test_count_part_is_the_direct_likelihood_maximum():
    """The unpenalised count part maximises the scipy truncated likelihood."""
    X, y = _counts_data(n=400, seed=2, theta=2.0)
    pos = y > 0
    Xp, yp = X[pos], y[pos]
    for dist in DISTRIBUTIONS:
        model = HurdleRegressor(count_distribution=dist).fit(X, y)

        def nll(params, dist=dist):
            mu = np.exp(Xp @ params[:3] + params[3])
            if dist == "poisson":
                return -np.sum(stats.poisson.logpmf(yp, mu) - np.log1p(-np.exp(-mu)))
            theta = np.exp(params[4]) if dist == "negative_binomial" else 1.0
            prob = theta / (theta + mu)
            return -np.sum(stats.nbinom.logpmf(yp, theta, prob)
                           - np.log1p(-stats.nbinom.pmf(0, theta, prob)))

        start = np.zeros(5 if dist == "negative_binomial" else 4)
        opt = scipy.optimize.minimize(nll, start, method="Nelder-Mead",
                                      options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000,
                                               "maxfev": 20000})
        ours = _count_params(model)
        if dist == "negative_binomial":
            ours = np.append(ours, np.log(model.theta_))
        assert nll(ours) <= opt.fun + 1e-9
        assert_allclose(ours, opt.x, atol=2e-4)


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_penalised_fit_minimises_the_documented_objective(dist):
    """C * sum s_i loss_i + ||w||^2 / 2 per part, intercepts and theta unpenalised."""
    X, y = _counts_data(n=300, seed=3, theta=3.0)
    sw = np.random.default_rng(3).integers(1, 4, size=y.size).astype(float)
    C = 0.05
    model = HurdleRegressor(count_distribution=dist, C=C).fit(X, y, sample_weight=sw)
    # Zero part: scikit-learn's LogisticRegression has the same objective for the same C.
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=1000).fit(X, y > 0, sample_weight=sw)
    assert_allclose(_zero_params(model), np.append(ref.coef_, ref.intercept_), rtol=1e-6, atol=1e-8)
    # Count part: the penalised objective with scipy's log-pmf, minimised directly.
    pos = y > 0
    Xp, yp, swp = X[pos], y[pos], sw[pos]

    def objective(params):
        mu = np.exp(Xp @ params[:3] + params[3])
        if dist == "poisson":
            logp = stats.poisson.logpmf(yp, mu) - np.log1p(-np.exp(-mu))
        else:
            theta = np.exp(params[4]) if dist == "negative_binomial" else 1.0
            prob = theta / (theta + mu)
            logp = stats.nbinom.logpmf(yp, theta, prob) - np.log1p(-stats.nbinom.pmf(0, theta, prob))
        return -C * np.sum(swp * logp) + 0.5 * params[:3] @ params[:3]

    ours = _count_params(model)
    if dist == "negative_binomial":
        ours = np.append(ours, np.log(model.theta_))
    opt = scipy.optimize.minimize(objective, np.zeros(ours.size), method="BFGS",
                                  options={"gtol": 1e-9})
    assert objective(ours) <= opt.fun + 1e-10
    assert_allclose(ours, opt.x, atol=1e-5)
    # The penalty shrinks the weights relative to the maximum-likelihood fit.
    mle = HurdleRegressor(count_distribution=dist).fit(X, y, sample_weight=sw)
    assert np.linalg.norm(model.count_coef_) < np.linalg.norm(mle.count_coef_)


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_integer_weights_equal_repetition_zero_weights_equal_removal(dist):
    X, y = _counts_data(n=300, seed=4, theta=2.0)
    sw = np.random.default_rng(4).integers(0, 4, size=y.size)
    weighted = HurdleRegressor(count_distribution=dist).fit(X, y, sample_weight=sw)
    repeated = HurdleRegressor(count_distribution=dist).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(_count_params(weighted), _count_params(repeated), rtol=1e-7, atol=1e-9)
    assert_allclose(_zero_params(weighted), _zero_params(repeated), rtol=1e-7, atol=1e-9)
    if dist == "negative_binomial":
        assert_allclose(weighted.theta_, repeated.theta_, rtol=1e-7)
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_solvers_agree(small_fits, dist, solver):
    X, y, fits = small_fits
    model = HurdleRegressor(count_distribution=dist, solver=solver).fit(X, y)
    assert model.solver_ == solver
    assert_allclose(_count_params(model), _count_params(fits[dist]), rtol=1e-5, atol=1e-7)
    if dist == "negative_binomial":
        assert_allclose(model.theta_, fits[dist].theta_, rtol=1e-5)


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_sparse_and_float32(small_fits, dist):
    X, y, fits = small_fits
    dense = fits[dist]
    sparse = HurdleRegressor(count_distribution=dist).fit(sp.csr_matrix(X), y)
    assert_allclose(_count_params(sparse), _count_params(dense), rtol=1e-8, atol=1e-10)
    assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-8)
    single = HurdleRegressor(count_distribution=dist, tol=1e-5).fit(X.astype(np.float32), y)
    assert_allclose(single.predict(X.astype(np.float32)), dense.predict(X), rtol=1e-4)


def test_attributes(small_fits):
    X, _, fits = small_fits
    for dist, model in fits.items():
        assert model.count_coef_.shape == (X.shape[1],)
        assert isinstance(model.count_intercept_, float)
        assert isinstance(model.n_iter_, int) and model.n_iter_ > 0
        assert model.n_features_in_ == X.shape[1]
        assert (model.theta_ is None) == (dist != "negative_binomial")
        assert_allclose(model.zero_estimator_.classes_, [0, 1])
    assert fits["negative_binomial"].theta_ > 0


def test_only_ones_above_the_hurdle():
    """All positive counts equal 1: the truncated mean tends to 1, predict to P(y > 0)."""
    X, y = _counts_data(n=300, seed=5)
    y = np.minimum(y, 1.0)
    for dist in DISTRIBUTIONS:
        with pytest.warns(ConvergenceWarning, match="Every positive count is 1"):
            model = HurdleRegressor(count_distribution=dist).fit(X, y)
        assert_allclose(model.predict(X), 1 - model.predict_zero_proba(X), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a penalised count model has a finite optimum
        HurdleRegressor(C=1.0).fit(X, y)


def test_fit_intercept_false():
    X, y = _counts_data(n=300, seed=6)
    model = HurdleRegressor(fit_intercept=False).fit(X, y)
    assert model.count_intercept_ == 0.0
    assert model.zero_estimator_.intercept_[0] == 0.0
    res = truncated_model.TruncatedLFPoisson(y, X).fit(method="newton", tol=1e-12, disp=0)
    assert_allclose(model.count_coef_, res.params, rtol=1e-6)


# --------------------------------------------------------- zero estimator
def test_custom_zero_estimator(small_fits):
    X, y, fits = small_fits
    clf = LogisticRegression(C=1e6, tol=1e-10, max_iter=1000)
    model = HurdleRegressor(zero_estimator=clf).fit(X, y)
    assert model.zero_estimator_ is not clf and not hasattr(clf, "coef_")
    ref = clone(clf).fit(X, (y > 0).astype(int))
    assert_allclose(model.predict_zero_proba(X), ref.predict_proba(X)[:, 0], rtol=1e-10)
    # The count part does not depend on the zero part.
    assert_allclose(_count_params(model), _count_params(fits["poisson"]), rtol=1e-12)
    # Nearly unpenalised scikit-learn logistic regression = our default logit hurdle.
    assert_allclose(model.predict(X), fits["poisson"].predict(X), rtol=1e-5)


def test_zero_estimator_receives_sample_weight():
    X, y = _counts_data(n=300, seed=7)
    sw = np.random.default_rng(7).integers(1, 4, size=y.size).astype(float)
    model = HurdleRegressor(zero_estimator=CloglogClassifier()).fit(X, y, sample_weight=sw)
    rep = HurdleRegressor(zero_estimator=CloglogClassifier()).fit(
        np.repeat(X, sw.astype(int), axis=0), np.repeat(y, sw.astype(int)))
    assert_allclose(model.zero_estimator_.params_, rep.zero_estimator_.params_, rtol=1e-7)


# ------------------------------------------------------------- validation
@pytest.mark.parametrize("y, match", [
    ([0, 1, -1, 2], "negative value"),
    ([0, 1, 2.5, 2], "non-integer"),
    ([0, 0, 0, 0], "only zeros"),
    ([1, 2, 3, 1], "only positive counts"),
    (["a", "b", "a", "b"], "non-negative integer counts"),
])
def test_invalid_targets(y, match):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=match):
        HurdleRegressor().fit(X, y)


def test_weights_that_remove_every_zero():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="only positive counts"):
        HurdleRegressor().fit(X, [0, 1, 0, 2], sample_weight=[0, 1, 0, 1])


def test_invalid_parameters_and_calls(small_fits):
    X, y, fits = small_fits
    with pytest.raises(ValueError, match="count_distribution"):
        HurdleRegressor(count_distribution="zip").fit(X, y)
    with pytest.raises(ValueError, match="zero_estimator"):
        HurdleRegressor(zero_estimator=StandardScaler()).fit(X, y)
    with pytest.raises(NotFittedError):
        HurdleRegressor().predict(X)
    with pytest.raises(ValueError, match="max_count"):
        fits["poisson"].predict_pmf(X, max_count=-1)
    with pytest.raises(ValueError, match="non-integer"):
        fits["poisson"].log_likelihood(X, y + 0.5)
    with pytest.raises(ValueError, match="features"):
        fits["poisson"].predict(X[:, :2])


# ----------------------------------------------------- scikit-learn API
def test_pipeline_gridsearch_pickle(small_fits):
    X, y, _ = small_fits
    pipe = make_pipeline(StandardScaler(), HurdleRegressor())
    search = GridSearchCV(pipe, {"hurdleregressor__count_distribution": DISTRIBUTIONS,
                                 "hurdleregressor__C": [0.01, np.inf]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["hurdleregressor__C"] == np.inf   # n=800, 3 features: no shrinkage needed
    best = search.best_estimator_
    restored = pickle.loads(pickle.dumps(best))
    assert_allclose(restored.predict(X), best.predict(X), rtol=0)
    assert_allclose(restored[-1].log_likelihood(StandardScaler().fit(X).transform(X), y),
                    best[-1].log_likelihood(best[0].transform(X), y), rtol=0)


def test_score_is_r2_of_the_mean(small_fits):
    from sklearn.metrics import r2_score

    X, y, fits = small_fits
    model = fits["negative_binomial"]
    assert model.score(X, y) == pytest.approx(r2_score(y, model.predict(X)))
    sw = np.linspace(0.5, 2.0, y.size)
    assert model.score(X, y, sample_weight=sw) == pytest.approx(
        r2_score(y, model.predict(X), sample_weight=sw))


def test_checks_that_need_count_targets(small_fits):
    """What the expected failures below would check, with counts as targets."""
    pd = pytest.importorskip("pandas")
    X, y, fits = small_fits
    model = fits["poisson"]
    # Subset and order invariance of every prediction method.
    perm = np.random.default_rng(0).permutation(len(y))
    for method, args in [("predict", ()), ("predict_zero_proba", ()), ("log_likelihood", (y,))]:
        full = getattr(model, method)(X, *args)
        sub = getattr(model, method)(X[:50], *(a[:50] for a in args))
        shuffled = getattr(model, method)(X[perm], *(a[perm] for a in args))
        assert_allclose(sub, full[:50], rtol=1e-13)
        assert_allclose(shuffled, full[perm], rtol=1e-13)
    # Idempotent fit; pandas input (feature names, Series weights), weights not overwritten.
    again = clone(model).fit(X, y)
    assert_allclose(again.predict(X), model.predict(X), rtol=1e-13)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    sw = pd.Series(np.ones(len(y)))
    sw_copy = sw.copy()
    named = HurdleRegressor().fit(df, pd.Series(y), sample_weight=sw)
    pd.testing.assert_series_equal(sw, sw_copy)
    assert list(named.feature_names_in_) == ["a", "b", "c"]
    assert_allclose(named.predict(df), model.predict(X), rtol=1e-12)
    with pytest.warns(UserWarning, match="feature names"):
        named.predict(X)
    # Integer and float32 inputs, lists.
    Xi = np.round(X * 3).astype(np.int64)
    assert_allclose(HurdleRegressor().fit(Xi, y.astype(int)).predict(Xi),
                    HurdleRegressor().fit(Xi.astype(float), y).predict(Xi.astype(float)), rtol=1e-12)
    assert HurdleRegressor().fit(X.tolist(), y.tolist()).predict(X).shape == y.shape


_Y_NOT_COUNTS = ("the check fits continuous or negative y; HurdleRegressor models non-negative "
                 "integer counts and raises ValueError (the same checks run on counts in "
                 "test_checks_that_need_count_targets)")
_Y_NO_ZERO = ("the check's y has no zero count, so the zero part would see one class and fit "
              "raises ValueError (covered with counts in test_checks_that_need_count_targets)")
EXPECTED_FAILED_CHECKS = {
    "check_n_features_in": _Y_NOT_COUNTS,
    "check_n_features_in_after_fitting": _Y_NOT_COUNTS,
    "check_regressors_train": _Y_NOT_COUNTS,
    "check_regressor_data_not_an_array": _Y_NOT_COUNTS,
    "check_regressors_no_decision_function": _Y_NOT_COUNTS,
    "check_fit_idempotent": _Y_NOT_COUNTS,
    "check_fit_check_is_fitted": _Y_NOT_COUNTS,
    "check_estimators_dtypes": _Y_NO_ZERO,
    "check_sample_weights_pandas_series": _Y_NO_ZERO,
    "check_sample_weights_not_an_array": _Y_NO_ZERO,
    "check_sample_weights_shape": _Y_NO_ZERO,
    "check_sample_weights_not_overwritten": _Y_NO_ZERO,
    "check_fit2d_1feature": _Y_NO_ZERO,
}
_NB_NO_MLE = ("30 features and ~10 positive counts: the truncated NB likelihood has no maximum "
              "(theta -> inf, the Poisson limit), so the weighted and repeated fits stop at "
              "different points of a flat direction (weights = repetition is tested on "
              "well-posed data in test_integer_weights_equal_repetition_zero_weights_equal_removal)")


def expected_failed_checks(estimator):
    """Checks that HurdleRegressor is expected to fail, with reasons (used by test_common)."""
    failed = dict(EXPECTED_FAILED_CHECKS)
    if estimator.count_distribution == "negative_binomial":
        failed["check_sample_weight_equivalence_on_dense_data"] = _NB_NO_MLE
        failed["check_sample_weight_equivalence_on_sparse_data"] = _NB_NO_MLE
    return failed

