"""The hurdle model at parity with R's pscl: separate regressors, offsets, prediction types,
hurdletest, vuong and the rootogram; against statsmodels, scipy and direct formulas."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import PoissonRegressor

from sklogloss import HurdleRegressor, RootogramDisplay, VuongResult, hurdle_test, vuong_test
from sklogloss.design import ArrayDesign
from sklogloss.losses import BinomialLoss, MultinomialLoss
from sklogloss.losses.counts import ZeroTruncatedPoissonLoss
from sklogloss.objective import LinearObjective, TruncatedNegBinObjective
from sklogloss.solvers import SOLVERS

sm = pytest.importorskip("statsmodels.api")
truncated_model = pytest.importorskip("statsmodels.discrete.truncated_model")

ZERO, COUNT = [0, 2], [1, 2]  # the columns of each part in _pscl_data (pscl's y ~ x1 + x2 | x0 + x2)


def _with_const(X):
    return sm.add_constant(X, prepend=False, has_constant="add")


def _sm_fit(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(method="newton", tol=1e-12, maxiter=300, disp=0)


def _pscl_data(n=1500, seed=0, theta=None):
    """Hurdle counts with an exposure: the zero part on x0, x2, the count part on x1, x2 and log(t)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t = rng.uniform(0.5, 3.0, n)
    positive = rng.random(n) < 1 / (1 + np.exp(-(0.3 + X[:, 0] - 0.5 * X[:, 2])))
    mu = t * np.exp(0.2 + 0.4 * X[:, 1] - 0.3 * X[:, 2])
    draws = rng.poisson(mu, size=(80, n)) if theta is None else \
        rng.negative_binomial(theta, theta / (theta + mu), size=(80, n))
    first = draws[(draws > 0).argmax(axis=0), np.arange(n)]
    return X, np.where(positive & (first > 0), first, 0).astype(float), t


@pytest.fixture(scope="module")
def data():
    return _pscl_data()


@pytest.fixture(scope="module")
def fitted(data):
    X, y, t = data
    return HurdleRegressor(zero_features=ZERO, count_features=COUNT, tol=1e-10).fit(X, y, exposure=t)


# ------------------------------------------------------ y ~ x | z with an offset
@pytest.mark.parametrize("dist", ["poisson", "negative_binomial"])
def test_separate_regressors_and_exposure_match_statsmodels(data, dist):
    """Zero part: Logit on X[:, ZERO]; count part: statsmodels' truncated model on X[:, COUNT] with exposure."""
    X, y, t = data
    if dist == "negative_binomial":
        X, y, t = _pscl_data(seed=1, theta=2.0)
    model = HurdleRegressor(count_distribution=dist, zero_features=ZERO, count_features=COUNT,
                            tol=1e-10).fit(X, y, exposure=t)
    pos = y > 0
    logit = _sm_fit(sm.Logit(pos.astype(float), _with_const(X[:, ZERO])))
    sm_count = truncated_model.TruncatedLFPoisson if dist == "poisson" else \
        truncated_model.TruncatedLFNegativeBinomialP
    # (statsmodels' truncated models take log(t) as offset: their exposure= is logged twice)
    count = _sm_fit(sm_count(y[pos], _with_const(X[pos][:, COUNT]), offset=np.log(t[pos])))
    assert_allclose(model.zero_features_, ZERO)
    assert_allclose(model.count_features_, COUNT)
    assert model.count_coef_.shape == (len(COUNT),)
    assert_allclose(np.append(model.zero_estimator_.coef_, model.zero_estimator_.intercept_), logit.params,
                    rtol=1e-6)
    k = len(COUNT) + 1
    assert_allclose(np.append(model.count_coef_, model.count_intercept_), count.params[:k], rtol=1e-6)
    if dist == "negative_binomial":
        assert_allclose(model.theta_, 1 / count.params[-1], rtol=1e-6)
    assert_allclose(model.log_likelihood(X, y, exposure=t).sum(), logit.llf + count.llf, rtol=1e-10)
    # offset = log(exposure) is the same fit.
    same = HurdleRegressor(count_distribution=dist, zero_features=ZERO, count_features=COUNT,
                           tol=1e-10).fit(X, y, offset=np.log(t))
    assert_allclose(same.count_coef_, model.count_coef_, rtol=1e-10)


def test_selectors_by_name_mask_and_index_agree(data, fitted):
    pd = pytest.importorskip("pandas")
    X, y, t = data
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    by_name = HurdleRegressor(zero_features=["c", "a"], count_features=np.array([False, True, True]),
                              tol=1e-10).fit(df, y, exposure=t)
    assert_allclose(by_name.zero_features_, ZERO)  # increasing, X's column order
    assert_allclose(by_name.count_features_, COUNT)
    assert_allclose(by_name.count_coef_, fitted.count_coef_, rtol=1e-12)
    assert_allclose(by_name.predict(df, exposure=t), fitted.predict(X, exposure=t), rtol=1e-12)
    # Names of the summary rows follow each part's columns.
    from sklogloss.inference import summary
    s = summary(by_name, df, y, exposure=t)
    assert s.names == ["zero_a", "zero_c", "zero_intercept", "count_b", "count_c", "count_intercept"]


def test_sparse_float32_and_clone_with_selectors(data, fitted):
    X, y, t = data
    sparse = clone(fitted).fit(sp.csr_matrix(X), y, exposure=t)
    assert_allclose(sparse.count_coef_, fitted.count_coef_, rtol=1e-8)
    assert_allclose(sparse.predict(sp.csr_matrix(X), exposure=t), fitted.predict(X, exposure=t), rtol=1e-8)
    single = clone(fitted).set_params(tol=1e-6).fit(X.astype(np.float32), y, exposure=t)
    assert_allclose(single.predict(X.astype(np.float32), exposure=t), fitted.predict(X, exposure=t), rtol=1e-4)
    assert clone(fitted).get_params()["zero_features"] == ZERO


# ---------------------------------------------------------- prediction types
def test_prediction_types_closed_form(data, fitted):
    """pscl's response / count / zero / prob against numpy and scipy at the fitted coefficients."""
    X, y, t = data
    zero = fitted.zero_estimator_
    p_pos = 1 / (1 + np.exp(-(X[:, ZERO] @ zero.coef_.ravel() + zero.intercept_[0])))
    mu = t * np.exp(X[:, COUNT] @ fitted.count_coef_ + fitted.count_intercept_)
    ratio = p_pos / -np.expm1(-mu)
    assert_allclose(fitted.predict_count_mean(X, exposure=t), mu, rtol=1e-12)
    assert_allclose(fitted.predict_hurdle_ratio(X, exposure=t), ratio, rtol=1e-10)
    assert_allclose(fitted.predict(X, exposure=t), ratio * mu, rtol=1e-10)
    assert_allclose(fitted.predict_zero_proba(X), 1 - p_pos, rtol=1e-12)
    pmf = fitted.predict_pmf(X, max_count=12, exposure=t)
    assert_allclose(pmf[:, 0], 1 - p_pos, rtol=1e-12)
    assert_allclose(pmf[:, 1:], ratio[:, None] * stats.poisson.pmf(np.arange(1, 13)[None, :], mu[:, None]),
                    rtol=1e-10)
    # The offset moves the count part only.
    assert_allclose(fitted.predict_count_mean(X, offset=np.log(t) + 1.0), np.e * mu, rtol=1e-12)
    ll = fitted.log_likelihood(X, y, exposure=t)
    assert_allclose(ll, np.log(fitted.predict_pmf(X, int(y.max()), exposure=t)[np.arange(len(y)), y.astype(int)]),
                    rtol=1e-10)


def test_prediction_types_match_statsmodels_truncated_models(data, fitted):
    """The count mean and truncated mean from statsmodels' TruncatedLFPoisson.predict with exposure."""
    X, y, t = data
    pos = y > 0
    count = _sm_fit(truncated_model.TruncatedLFPoisson(y[pos], _with_const(X[pos][:, COUNT]),
                                                       offset=np.log(t[pos])))
    Xc, off = _with_const(X[:, COUNT]), np.log(t)
    mean_main = count.model.predict(count.params, exog=Xc, offset=off, which="mean-main")
    trunc_mean = count.model.predict(count.params, exog=Xc, offset=off, which="mean")
    assert_allclose(fitted.predict_count_mean(X, exposure=t), mean_main, rtol=1e-6)
    p_pos = 1 - fitted.predict_zero_proba(X)
    assert_allclose(fitted.predict(X, exposure=t), p_pos * trunc_mean, rtol=1e-6)
    # pscl's type = "zero": P(y > 0) over the untruncated Poisson's P(y > 0) at statsmodels' mu
    assert_allclose(fitted.predict_hurdle_ratio(X, exposure=t), p_pos / stats.poisson.sf(0, mean_main), rtol=1e-6)


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("params, match", [
    ({"zero_features": [0, 3]}, "out of range"),
    ({"count_features": [-1]}, "out of range"),
    ({"zero_features": [True, False]}, "boolean mask of length 2"),
    ({"count_features": [False, False, False]}, "selects no column"),
    ({"zero_features": []}, "selects no column"),
    ({"zero_features": ["a"]}, "no column names"),
    ({"count_features": [0.5]}, "dtype float64"),
    ({"zero_features": [1, 1]}, "more than once"),
    ({"count_features": [[0, 1]]}, "1-D"),
])
def test_bad_selectors(data, params, match):
    X, y, _ = data
    with pytest.raises(ValueError, match=match):
        HurdleRegressor(**params).fit(X, y)


def test_unknown_names_list_the_columns(data):
    pd = pytest.importorskip("pandas")
    X, y, _ = data
    with pytest.raises(ValueError, match=r"does not have: \['d'\]. X's columns are \['a', 'b', 'c'\]"):
        HurdleRegressor(count_features=["a", "d"]).fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)


@pytest.mark.parametrize("kwargs, match", [
    ({"offset": np.zeros(5), "exposure": np.ones(5)}, "not both"),
    ({"exposure": np.r_[np.ones(4), 0.0]}, "positive"),
    ({"offset": np.r_[np.zeros(4), np.nan]}, "finite"),
    ({"offset": np.zeros(4)}, r"shape \(5,\)"),
])
def test_bad_offsets(kwargs, match):
    X = np.arange(10.0).reshape(5, 2)
    y = [0, 1, 2, 0, 3]
    with pytest.raises(ValueError, match=match):
        HurdleRegressor().fit(X, y, **kwargs)
    model = HurdleRegressor().fit(X, y)
    with pytest.raises(ValueError, match=match):
        model.predict(X, **kwargs)


def test_score_samples_is_gone(fitted):
    assert not hasattr(fitted, "score_samples")


# -------------------------------------------------- the objective's offset
def _augmented(X, offset):
    """The offset as a last column of X whose weight is held at 1: the reference of every entry point."""
    return np.column_stack([X, offset])


@pytest.mark.parametrize("loss", [ZeroTruncatedPoissonLoss(), BinomialLoss()])
def test_objective_offset_equals_a_column_with_weight_one(loss):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    off = rng.normal(size=60)
    y = rng.integers(1, 6, 60).astype(float) if isinstance(loss, ZeroTruncatedPoissonLoss) else \
        (rng.random(60) < 0.4).astype(float)
    sw = rng.uniform(0.5, 2.0, 60)
    obj = LinearObjective(X, y, loss, sample_weight=sw, C=np.inf, offset=off)
    ref = LinearObjective(_augmented(X, off), y, loss, sample_weight=sw, C=np.inf)
    coef = np.array([0.2, -0.1, 0.3, 0.1])
    coef_ref = np.array([0.2, -0.1, 0.3, 1.0, 0.1])
    keep = [0, 1, 2, 4]
    assert_allclose(obj.linear_predictor(coef), X @ coef[:3] + coef[3], rtol=1e-14)  # without the offset
    assert_allclose(obj.loss_scores(coef), ref.linear_predictor(coef_ref), rtol=1e-13)
    assert_allclose(obj.loss(coef), ref.loss(coef_ref), rtol=1e-13)
    value, grad = obj.loss_gradient(coef)
    assert_allclose(grad, ref.gradient(coef_ref)[keep], rtol=1e-12, atol=1e-15)
    H = obj.gradient_hessian(coef)[1]
    assert_allclose(H, ref.gradient_hessian(coef_ref)[1][np.ix_(keep, keep)], rtol=1e-12)
    v = rng.normal(size=4)
    assert_allclose(obj.gradient_hessp(coef)[1](v), H @ v, rtol=1e-11)
    assert_allclose(obj.hessian_diagonal(coef), np.diag(H), rtol=1e-12)
    assert_allclose(obj.hessian_block_columns(coef, [3, 1])[0], H[:, [3, 1]], rtol=1e-12)
    rows = np.arange(0, 60, 3)
    sub, sub_ref = obj.row_subset(rows), ref.row_subset(rows)
    assert_allclose(sub.loss(coef), sub_ref.loss(coef_ref), rtol=1e-13)
    # A solver on the offset objective finds the constrained optimum of the augmented one.
    result = SOLVERS["newton-cholesky"](tol=1e-12).solve(obj, obj.zero_coef())
    assert np.max(np.abs(ref.gradient(np.insert(result.coef, 3, 1.0))[keep])) < 1e-10


def test_objective_offset_multinomial_and_errors():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2))
    Y = np.eye(3)[rng.integers(0, 3, 40)]
    off = rng.normal(size=(40, 3))
    obj = LinearObjective(X, Y, MultinomialLoss(), C=2.0, offset=off)
    coef = rng.normal(size=9)
    raw = obj.linear_predictor(coef)
    assert_allclose(obj.loss_scores(coef), raw + off)
    assert_allclose(obj.loss(coef), MultinomialLoss().loss(Y, raw + off).mean() + obj._penalty(coef), rtol=1e-13)
    # An (n,) offset of a multinomial adds the same to every class: it changes nothing.
    same = LinearObjective(X, Y, MultinomialLoss(), C=2.0, offset=off[:, 0])
    assert_allclose(same.loss(coef), LinearObjective(X, Y, MultinomialLoss(), C=2.0).loss(coef), rtol=1e-13)
    with pytest.raises(ValueError, match=r"offset must have shape \(40,\) or \(40, 3\)"):
        LinearObjective(X, Y, MultinomialLoss(), offset=np.zeros(39))
    with pytest.raises(ValueError, match="finite"):
        LinearObjective(X, Y[:, 0], BinomialLoss(), offset=np.full(40, np.inf))


def test_truncated_negbin_objective_offset():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 2))
    off = rng.normal(scale=0.5, size=50)
    y = rng.integers(1, 8, 50).astype(float)
    obj = TruncatedNegBinObjective(ArrayDesign(X), y, offset=off)
    ref = TruncatedNegBinObjective(ArrayDesign(_augmented(X, off)), y)
    coef = np.array([0.2, -0.3, 0.5, np.log(2.0)])
    coef_ref = np.array([0.2, -0.3, 1.0, 0.5, np.log(2.0)])
    keep = [0, 1, 3, 4]
    assert_allclose(obj.loss(coef), ref.loss(coef_ref), rtol=1e-13)
    assert_allclose(obj.loss_gradient(coef)[1], ref.loss_gradient(coef_ref)[1][keep], rtol=1e-12)
    H = obj.gradient_hessian(coef)[1]
    assert_allclose(H, ref.gradient_hessian(coef_ref)[1][np.ix_(keep, keep)], rtol=1e-12)
    v = rng.normal(size=4)
    assert_allclose(obj.gradient_hessp(coef)[1](v), H @ v, rtol=1e-11)
    assert_allclose(obj.loss_scores(coef), X @ coef[:2] + coef[2] + off, rtol=1e-13)


# --------------------------------------------------------------- hurdletest
@pytest.fixture(scope="module")
def geometric():
    """A logit-geometric hurdle with the same regressors in both parts (hurdletest's setting)."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(1200, 2))
    mu = np.exp(0.4 + X @ [0.5, -0.3])
    y = (rng.geometric(1 / (1 + mu)) - 1).astype(float)
    y = np.where(rng.random(1200) < 0.15, 0.0, y)  # a few extra zeros: a moderate hurdle
    return X, y, HurdleRegressor(count_distribution="geometric", tol=1e-11).fit(X, y)


def _statsmodels_geometric_parts(X, y):
    """Logit of y > 0 and statsmodels' truncated NB2 with alpha = 1 (the geometric) at our count fit."""
    pos = y > 0
    logit = _sm_fit(sm.Logit(pos.astype(float), _with_const(X)))
    mod = truncated_model.TruncatedLFNegativeBinomialP(y[pos], _with_const(X[pos]))
    return logit, mod, pos


def test_hurdle_test_is_the_wald_statistic_on_statsmodels_covariance(geometric):
    X, y, model = geometric
    logit, mod, _ = _statsmodels_geometric_parts(X, y)
    count_params = np.append(model.count_coef_, model.count_intercept_)
    V_count = np.linalg.inv(-mod.hessian(np.append(count_params, 1.0))[:-1, :-1])
    d = count_params - logit.params
    statistic = d @ np.linalg.solve(logit.cov_params() + V_count, d)
    result = hurdle_test(model, X, y)
    assert result.df == 3
    assert_allclose(result.statistic, statistic, rtol=1e-5)
    assert_allclose(result.p_value, stats.chi2.sf(statistic, 3), rtol=1e-5)


def test_hurdle_test_sandwich_matches_statsmodels_scores(geometric):
    """HC0: the joint sandwich of both parts' statsmodels scores, so the cross block enters the variance of d."""
    X, y, model = geometric
    logit, mod, pos = _statsmodels_geometric_parts(X, y)
    count_params = np.append(model.count_coef_, model.count_intercept_)
    full = np.append(count_params, 1.0)
    scores = np.zeros((len(y), 6))
    scores[:, :3] = logit.model.score_obs(logit.params)
    scores[pos, 3:] = mod.score_obs(full)[:, :-1]
    bread = np.zeros((6, 6))
    bread[:3, :3] = logit.normalized_cov_params
    bread[3:, 3:] = np.linalg.inv(-mod.hessian(full)[:-1, :-1])
    cov = bread @ scores.T @ scores @ bread
    R = np.hstack([np.eye(3), -np.eye(3)])
    d = R @ np.append(logit.params, count_params)
    statistic = d @ np.linalg.solve(R @ cov @ R.T, d)
    assert_allclose(hurdle_test(model, X, y, cov_type="HC0").statistic, statistic, rtol=1e-5)


def test_hurdle_test_size_and_power():
    """No hurdle (plain geometric counts): not rejected; a real hurdle: rejected."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 2))
    mu = np.exp(0.3 + X @ [0.4, 0.2])
    y = (rng.geometric(1 / (1 + mu)) - 1).astype(float)
    p_null = hurdle_test(HurdleRegressor(count_distribution="geometric").fit(X, y), X, y).p_value
    assert p_null > 0.01
    y_hurdle = np.where(rng.random(3000) < 1 / (1 + np.exp(-(1.0 - X[:, 0]))), np.maximum(y, 1.0), 0.0)
    p_alt = hurdle_test(HurdleRegressor(count_distribution="geometric").fit(X, y_hurdle), X, y_hurdle).p_value
    assert p_alt < 1e-8


def test_hurdle_test_refusals(geometric, data):
    X, y, model = geometric
    with pytest.raises(ValueError, match="count_distribution='geometric'"):
        hurdle_test(HurdleRegressor().fit(X, y), X, y)
    with pytest.raises(ValueError, match="same columns"):
        hurdle_test(HurdleRegressor(count_distribution="geometric", zero_features=[0]).fit(X, y), X, y)
    t = np.linspace(1, 2, len(y))
    with pytest.raises(ValueError, match="offset"):
        hurdle_test(HurdleRegressor(count_distribution="geometric").fit(X, y, exposure=t), X, y)
    with pytest.raises(ValueError, match="C=np.inf"):
        hurdle_test(HurdleRegressor(count_distribution="geometric", C=1.0).fit(X, y), X, y)
    with pytest.raises(ValueError, match="HurdleRegressor"):
        hurdle_test(PoissonRegressor().fit(X, y), X, y)


# -------------------------------------------------------------------- vuong
def _vuong_reference(ll_a, ll_b, k_a, k_b):
    """pscl's vuong: sum(m - c) / (sd(m - c) sqrt(n)) for c = 0, (k_a - k_b) / n, (k_a - k_b) log(n) / (2 n)."""
    m = ll_a - ll_b
    n = m.size
    out = []
    for c in [0.0, (k_a - k_b) / n, (k_a - k_b) * np.log(n) / (2 * n)]:
        v = np.sum(m - c) / (np.std(m - c, ddof=1) * np.sqrt(n))
        out += [v, stats.norm.sf(v) if v > 0 else stats.norm.cdf(v)]
    return np.array(out)


@pytest.fixture(scope="module")
def extra_zeros():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(1500, 2))
    y = np.where(rng.random(1500) < 0.35, 0, rng.poisson(np.exp(0.8 + X @ [0.3, -0.2]))).astype(float)
    return X, y, HurdleRegressor(tol=1e-11).fit(X, y)


def _hurdle_loglik_statsmodels(X, y):
    """Per-sample log-likelihood of the logit-Poisson hurdle from statsmodels' two parts."""
    pos = y > 0
    logit = _sm_fit(sm.Logit(pos.astype(float), _with_const(X)))
    count = _sm_fit(truncated_model.TruncatedLFPoisson(y[pos], _with_const(X[pos])))
    ll = logit.model.loglikeobs(logit.params)
    ll[pos] += count.model.loglikeobs(count.params)
    return ll


def test_vuong_matches_the_formula_on_statsmodels_loglikelihoods(extra_zeros):
    X, y, hurdle = extra_zeros
    plain = _sm_fit(sm.Poisson(y, _with_const(X)))
    poisson = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12).fit(X, y)
    # The PoissonRegressor's per-sample log-likelihoods are statsmodels'.
    assert_allclose(stats.poisson.logpmf(y, poisson.predict(X)), plain.model.loglikeobs(plain.params), rtol=1e-7)
    ref = _vuong_reference(_hurdle_loglik_statsmodels(X, y), plain.model.loglikeobs(plain.params), 6, 3)
    result = vuong_test(hurdle, poisson, X, y)
    assert isinstance(result, VuongResult)
    assert result.n_obs == len(y) and result.n_params == (6, 3)
    got = [result.statistic, result.p_value, result.statistic_aic, result.p_value_aic, result.statistic_bic,
           result.p_value_bic]
    assert_allclose(got, ref, rtol=1e-5)
    assert result.statistic > 3  # the extra zeros: the hurdle wins
    # The plain model as statsmodels' per-sample log-likelihoods.
    again = vuong_test(hurdle, plain.model.loglikeobs(plain.params), X, y, n_params=(None, 3))
    assert_allclose(again.statistic, result.statistic, rtol=1e-6)


def test_vuong_negative_binomial_hurdle_against_statsmodels_negbin():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(1500, 2))
    mu = np.exp(0.8 + X @ [0.3, -0.2])
    y = np.where(rng.random(1500) < 0.3, 0, rng.negative_binomial(1.5, 1.5 / (1.5 + mu))).astype(float)
    hurdle_nb = HurdleRegressor(count_distribution="negative_binomial", tol=1e-10).fit(X, y)
    nb = _sm_fit(sm.NegativeBinomial(y, _with_const(X)))
    ll_nb = nb.model.loglikeobs(nb.params)
    result = vuong_test(hurdle_nb, ll_nb, X, y, n_params=(None, len(nb.params) - 1))
    pos = y > 0
    logit = _sm_fit(sm.Logit(pos.astype(float), _with_const(X)))
    count = _sm_fit(truncated_model.TruncatedLFNegativeBinomialP(y[pos], _with_const(X[pos])))
    ll_h = logit.model.loglikeobs(logit.params)
    ll_h[pos] += count.model.loglikeobs(count.params)
    ref = _vuong_reference(ll_h, ll_nb, 6, 3)
    assert_allclose([result.statistic, result.statistic_aic, result.statistic_bic], ref[::2], rtol=1e-5)


def test_vuong_is_antisymmetric(extra_zeros):
    X, y, hurdle = extra_zeros
    poisson = PoissonRegressor(alpha=0.0, solver="newton-cholesky").fit(X, y)
    ab, ba = vuong_test(hurdle, poisson, X, y), vuong_test(poisson, hurdle, X, y)
    assert_allclose([ab.statistic, ab.statistic_aic, ab.statistic_bic],
                    [-ba.statistic, -ba.statistic_aic, -ba.statistic_bic], rtol=1e-12)
    assert_allclose([ab.p_value, ab.p_value_bic], [ba.p_value, ba.p_value_bic], rtol=1e-12)
    assert "model_a > model_b" in str(ab).splitlines()[2] and "model_b > model_a" in str(ba).splitlines()[2]


def test_vuong_drops_non_finite_samples_and_errors(extra_zeros):
    X, y, hurdle = extra_zeros
    ll = hurdle.log_likelihood(X, y)
    other = ll - 0.1 * np.random.default_rng(0).random(len(y))
    other[:3] = -np.inf
    with pytest.warns(UserWarning, match="3 samples"):
        result = vuong_test(hurdle, other, X, y, n_params=(None, 2))
    assert result.n_obs == len(y) - 3
    assert_allclose(result.statistic, _vuong_reference(ll[3:], other[3:], 6, 2)[0], rtol=1e-12)
    with pytest.raises(ValueError, match="n_params"):
        vuong_test(hurdle, other, X, y)
    with pytest.raises(ValueError, match="one value per sample"):
        vuong_test(hurdle, other[:10], X, y, n_params=(None, 2))
    with pytest.raises(ValueError, match="cannot be told apart"):
        vuong_test(hurdle, hurdle, X, y)
    with pytest.raises(ValueError, match="LogisticRegression"):
        from sklearn.linear_model import LogisticRegression
        vuong_test(hurdle, LogisticRegression(), X, y)
    with pytest.raises(ValueError, match="pair"):
        vuong_test(hurdle, other, X, y, n_params=3)


# ---------------------------------------------------------------- rootogram
@pytest.fixture()
def agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_rootogram_bars_and_curve(agg, data, fitted):
    X, y, t = data
    disp = RootogramDisplay.from_estimator(fitted, X, y, max_count=10, exposure=t)
    observed = np.bincount(y.astype(int), minlength=11)[:11]
    expected = fitted.predict_pmf(X, 10, exposure=t).sum(axis=0)
    heights = np.array([bar.get_height() for bar in disp.bars_])
    bottoms = np.array([bar.get_y() for bar in disp.bars_])
    assert_allclose(heights, np.sqrt(observed), rtol=1e-12)
    assert_allclose(bottoms, np.sqrt(expected) - np.sqrt(observed), rtol=1e-10, atol=1e-12)
    assert_allclose(disp.line_.get_ydata(), np.sqrt(expected), rtol=1e-12)
    assert_allclose(disp.line_.get_xdata(), np.arange(11))
    assert disp.ax_.get_title() == "HurdleRegressor"
    standing = RootogramDisplay.from_estimator(fitted, X, y, max_count=10, exposure=t, style="standing", name="x")
    assert_allclose([bar.get_y() for bar in standing.bars_], 0.0)
    assert standing.ax_.get_title() == "x"


def test_rootogram_from_predictions_weights_and_errors(agg):
    y = np.array([0, 1, 1, 5])
    pmf = np.full((4, 3), 0.3)
    sw = np.array([1.0, 2.0, 0.5, 1.0])
    disp = RootogramDisplay.from_predictions(y, pmf, sample_weight=sw)
    assert_allclose(disp.observed, [1.0, 2.5, 0.0])  # 5 > max_count has no bar
    assert_allclose(disp.expected, sw.sum() * 0.3)
    with pytest.raises(ValueError, match="style"):
        RootogramDisplay.from_predictions(y, pmf, style="suspended")
    with pytest.raises(ValueError, match="shape"):
        RootogramDisplay.from_predictions(y, pmf[:3])
    with pytest.raises(ValueError, match="probabilities"):
        RootogramDisplay.from_predictions(y, -pmf)
    with pytest.raises(ValueError, match="predict_pmf"):
        RootogramDisplay.from_estimator(PoissonRegressor().fit(np.ones((4, 1)), y), np.ones((4, 1)), y)
