import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sklogloss.losses import BinomialLoss, MultinomialLoss, softmax
from sklogloss.objective import LinearObjective
from sklogloss.solvers import SOLVERS, soft_threshold


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=400, n_features=8, n_informative=5, random_state=0)
    return X, y


def _sk_coef(est):
    return np.r_[est.coef_.ravel(), est.intercept_]


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg", "lbfgs", "gd", "prox-newton", "fista"])
def test_l2_solvers_agree_with_sklearn(data, name):
    X, y = data
    ref = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=0.5)
    res = SOLVERS[name](tol=1e-8, max_iter=100000).solve(obj, obj.zero_coef())
    assert res.converged
    np.testing.assert_allclose(res.coef, _sk_coef(ref), atol=1e-6)
    assert res.objective == pytest.approx(obj.objective(res.coef), rel=1e-12)


@pytest.mark.parametrize("name", ["prox-newton", "fista"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l1_solvers_agree_with_sklearn_saga(data, name, l1_ratio):
    X, y = data
    ref = LogisticRegression(C=0.05, l1_ratio=l1_ratio, solver="saga", tol=1e-12,
                             max_iter=100000).fit(X, y)
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=0.05, l1_ratio=l1_ratio)
    res = SOLVERS[name](tol=1e-8, max_iter=100000).solve(obj, obj.zero_coef())
    assert res.converged
    np.testing.assert_allclose(res.coef, _sk_coef(ref), atol=1e-5)
    # Same support: the exact zeros of the lasso are found, not just small values.
    assert np.array_equal(res.coef[:-1] == 0, np.abs(ref.coef_.ravel()) < 1e-8)
    assert (res.coef[:-1] == 0).any()


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg", "lbfgs", "prox-newton"])
def test_multinomial_solvers_agree_with_sklearn(name):
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=1)
    ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000).fit(X, y)
    obj = LinearObjective(X, np.eye(3)[y], MultinomialLoss(), C=0.5)
    res = SOLVERS[name](tol=1e-10, max_iter=1000).solve(obj, obj.zero_coef())
    M = res.coef.reshape(3, 7)
    P = softmax(X @ M[:, :6].T + M[:, 6])
    np.testing.assert_allclose(P, ref.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg", "lbfgs", "prox-newton"])
def test_separable_without_penalty_terminates_finite(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X @ [1.0, -2.0, 0.5] > 0).astype(float)
    obj = LinearObjective(X, y, BinomialLoss(), C=np.inf)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = SOLVERS[name](tol=1e-6, max_iter=500).solve(obj, obj.zero_coef())
    assert np.all(np.isfinite(res.coef))
    raw = obj.linear_predictor(res.coef)
    assert np.all((raw > 0) == (y == 1))


def test_max_iter_is_honoured(data):
    X, y = data
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=10.0)
    for name in SOLVERS:
        res = SOLVERS[name](tol=1e-14, max_iter=2).solve(obj, obj.zero_coef())
        assert res.n_iter <= 2, name
        assert not res.converged, name


def test_newton_on_sparse_and_float32_matches_dense(data):
    X, y = data
    Xs = X.copy()
    Xs[np.abs(Xs) < 1] = 0
    dense = LinearObjective(Xs, y.astype(float), BinomialLoss())
    r0 = SOLVERS["newton-cholesky"](tol=1e-10).solve(dense, dense.zero_coef())
    for X2, tol, atol in ((sp.csr_matrix(Xs), 1e-10, 1e-9), (Xs.astype(np.float32), 1e-7, 1e-4)):
        obj = LinearObjective(X2, y.astype(float), BinomialLoss())
        for name in ("newton-cholesky", "newton-cg"):
            r = SOLVERS[name](tol=tol).solve(obj, obj.zero_coef())
            np.testing.assert_allclose(r.coef, r0.coef, atol=atol)


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg"])
def test_newton_on_float32_reaches_a_float64_tolerance(name):
    # Scores and sums in float64, steps rounded to float32: the solver reaches a
    # tolerance below what float32 sums over 60,000 rows resolve (~1e-8), and the
    # gradient it reports is that of the float32 data in exact arithmetic.
    X, y = make_classification(n_samples=60_000, n_features=20, n_informative=10, random_state=0)
    X32 = X.astype(np.float32)
    obj32 = LinearObjective(X32, y.astype(float), BinomialLoss())
    obj64 = LinearObjective(X32.astype(np.float64), y.astype(float), BinomialLoss())
    res = SOLVERS[name](tol=1e-10).solve(obj32, obj32.zero_coef())
    assert res.converged, res.message
    assert np.max(np.abs(obj64.gradient(res.coef))) < 1e-9


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg"])
def test_newton_on_badly_scaled_float32_reports_the_exact_gradient(name):
    # Offset, collinear columns on scales 1e-2 to 1e3: float32 products of the
    # steps drift the carried scores from X @ coef by more than tol. What the
    # solver reports (converged or not, grad_max) must hold for the exact scores.
    X, y = make_classification(20_000, 20, n_redundant=10, random_state=0)
    X32 = (X * np.logspace(-2, 3, 20) + 50).astype(np.float32)
    obj32 = LinearObjective(X32, y.astype(float), BinomialLoss())
    obj64 = LinearObjective(X32.astype(np.float64), y.astype(float), BinomialLoss())
    res = SOLVERS[name](tol=1e-8).solve(obj32, obj32.zero_coef())
    exact = np.max(np.abs(obj64.gradient(res.coef)))
    if name == "newton-cg":
        assert res.converged, res.message
    if res.converged:
        assert exact <= 1e-8
    assert exact == pytest.approx(res.grad_max, rel=0.1)


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg"])
def test_newton_computes_each_gradient_once(name, monkeypatch):
    # A tol below what the objective's change resolves makes the line search
    # accept the last steps on its gradient test; the next iteration reuses
    # that gradient instead of a second pass over X at the same point.
    X, y = make_classification(n_samples=30_000, n_features=10, random_state=1)
    obj = LinearObjective(X, y.astype(float), BinomialLoss())
    points = []  # the scores at which a full gradient was computed

    def recording(method):
        def wrapped(self, coef, raw=None, *args, **kwargs):
            if self is obj and kwargs.get("gradient", True):  # not the row sample's
                points.append(hash(raw.tobytes()))
            return method(self, coef, raw, *args, **kwargs)
        return wrapped

    for method in ("gradient", "gradient_hessp"):
        monkeypatch.setattr(LinearObjective, method, recording(getattr(LinearObjective, method)))
    res = SOLVERS[name](tol=1e-13, hessian_rows=2000).solve(obj, obj.zero_coef())
    assert res.converged and res.n_iter > 3
    assert len(points) == len(set(points))


@pytest.mark.parametrize("name", ["newton-cholesky", "newton-cg"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_newton_computes_each_softmax_once(name, dtype, monkeypatch):
    # The probabilities computed with a value (setup, line search, float32
    # check) serve the gradient and Hessian at the same point: no softmax of
    # the full data is computed twice at the same scores.
    X, y = make_classification(n_samples=20_000, n_features=8, n_informative=6, n_classes=4, random_state=0)
    Y = np.eye(4)[y]
    obj = LinearObjective(X.astype(dtype), Y, MultinomialLoss(), C=1.0)
    points = []  # the scores of the full data at which a softmax was computed

    def recording(method, always):
        def wrapped(self, y, raw, *args, state=None, **kwargs):
            if raw.shape[0] == X.shape[0] and (always or state is None):
                points.append(hash(raw.tobytes()))
            kw = {} if always else {"state": state}
            return method(self, y, raw, *args, **kw, **kwargs)
        return wrapped

    for method in ("loss", "loss_state"):
        monkeypatch.setattr(MultinomialLoss, method, recording(getattr(MultinomialLoss, method), True))
    for method in ("gradient", "gradient_hessian_factors", "gradient_hessian_product"):
        monkeypatch.setattr(MultinomialLoss, method, recording(getattr(MultinomialLoss, method), False))
    res = SOLVERS[name](tol=1e-10, hessian_rows=2000).solve(obj, obj.zero_coef())
    assert res.converged and res.n_iter >= 3
    assert len(points) == len(set(points))


def test_soft_threshold_is_the_l1_prox():
    rng = np.random.default_rng(3)
    x = rng.normal(size=50)
    out = soft_threshold(x, 0.4)
    # prox minimises 0.5 (u - x)^2 + 0.4 |u| coordinatewise: check against a fine grid.
    grid = np.linspace(-4, 4, 80001)
    brute = grid[np.argmin(0.5 * (grid[None, :] - x[:, None]) ** 2 + 0.4 * np.abs(grid), axis=1)]
    np.testing.assert_allclose(out, brute, atol=1e-4)


def test_subsampled_hessian_newton_reaches_the_full_optimum():
    X, y = make_classification(n_samples=3000, n_features=10, random_state=2)
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=0.5)
    full = SOLVERS["newton-cholesky"](tol=1e-10, hessian_rows=None).solve(obj, obj.zero_coef())
    sub = SOLVERS["newton-cholesky"](tol=1e-10, hessian_rows=300).solve(obj, obj.zero_coef())
    assert full.converged and sub.converged
    # The gradient is exact, so the optimum is the same; only the path differs.
    np.testing.assert_allclose(sub.coef, full.coef, atol=1e-9)
    assert sub.n_iter > full.n_iter


def test_row_subset_keeps_penalty_and_renormalises_weights():
    X, y = make_classification(n_samples=200, n_features=4, random_state=3)
    sw = np.random.default_rng(0).uniform(0.5, 2, size=200)
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), sample_weight=sw, C=0.1)
    rows = np.arange(0, 200, 2)
    sub = obj.row_subset(rows)
    ref = LinearObjective(X[rows], y[rows].astype(float), BinomialLoss(), sample_weight=sw[rows],
                          C=0.1 * sw.sum() / sw[rows].sum())
    coef = np.random.default_rng(1).normal(size=5)
    assert sub.l2_strength == obj.l2_strength
    np.testing.assert_allclose(sub.gradient_hessian(coef)[1], ref.gradient_hessian(coef)[1], rtol=1e-12)


def test_sampled_curvature_is_the_sample_hessian_refreshed_while_scores_move():
    from sklogloss.solvers.newton import SampledCurvature

    rng = np.random.default_rng(11)
    X = rng.standard_normal((400, 3))
    Y = np.eye(3)[rng.integers(0, 3, 400)]
    obj = LinearObjective(X, Y, MultinomialLoss(), C=1.0)
    sample = obj.row_subset(np.arange(0, 400, 4))
    coef = 0.1 * rng.standard_normal(obj.size)
    lazy = SampledCurvature(sample, bfgs=False, max_score_change=0.05)
    H0 = lazy.update(coef, obj.gradient(coef))
    np.testing.assert_allclose(H0, sample.gradient_hessian(coef)[1])
    small = coef + 1e-4  # every score moves by at most 1e-4 * (|x|_1 + 1) < 0.05
    assert lazy.update(small, obj.gradient(small)) is H0 and lazy.n_computed == 1
    big = coef + 0.5
    np.testing.assert_allclose(lazy.update(big, obj.gradient(big)), sample.gradient_hessian(big)[1])
    assert lazy.n_computed == 2


@pytest.mark.parametrize("multinomial", [False, True])
def test_sampled_curvature_solvers_reach_the_exact_newton_solution(multinomial):
    """Row-sampled Hessians (and the start from the sample's solution) change the path, not the optimum."""
    rng = np.random.default_rng(12)
    n = 6000
    X = rng.standard_normal((n, 4))
    if multinomial:
        Y = np.eye(3)[rng.integers(0, 3, n)]
        obj = LinearObjective(X, Y, MultinomialLoss(), C=0.5)
        solver = SOLVERS["newton-cg"](tol=1e-10, hessian_rows=400)
    else:
        y = (X @ [1.0, -0.5, 0.2, 0.0] + rng.logistic(size=n) > 0).astype(float)
        obj = LinearObjective(X, y, BinomialLoss(), C=0.5)
        solver = SOLVERS["newton-cholesky"](tol=1e-10, hessian_rows=400)
    exact = SOLVERS["newton-cholesky"](tol=1e-12, hessian_rows=None).solve(obj, obj.zero_coef())
    def gauge_free(coef):  # multinomial intercepts are defined up to a common shift
        W, b = obj.unpack(coef)
        return np.r_[W.ravel(), b - b.mean()]

    for start in (obj.zero_coef(), rng.standard_normal(obj.size)):  # cold, and warm but far
        res = solver.solve(obj, start)
        assert res.converged
        np.testing.assert_allclose(gauge_free(res.coef), gauge_free(exact.coef), atol=1e-8)
    assert solver.hess_obj.design.n_samples == 400


def test_line_search_stops_trying_below_the_objective_resolution():
    from sklogloss.solvers._base import armijo_backtracking

    calls = []

    def value_at(t):  # an objective that no step changes resolvably
        calls.append(t)
        return 1.0, t

    t, f, _ = armijo_backtracking(value_at, 1.0, -1e-20, grad_l1_at=lambda t, s: 2.0, grad_l1=1.0)
    assert t is None and f == 1.0 and calls == [1.0, 0.5, 0.25, 0.125]
    # A step whose gradient is smaller is taken, flagged as a rounding step (negative t).
    t, _, _ = armijo_backtracking(value_at, 1.0, -1e-20, grad_l1_at=lambda t, s: 0.5, grad_l1=1.0)
    assert t == -1.0


def _l1_model_reference(H, b0, lam_vec):
    """min b0.u + u'Hu/2 + sum lam_j |u_j| as a bound-constrained problem in (u+, u-) >= 0 (L-BFGS-B)."""
    from scipy.optimize import minimize

    n = b0.size
    free = lam_vec == 0  # unpenalised coordinates: u+ carries them, unbounded

    def f(z):
        u = z[:n] - z[n:]
        Hu = H @ u
        grad_u = b0 + Hu
        value = b0 @ u + 0.5 * u @ Hu + lam_vec @ (z[:n] + z[n:])
        return value, np.r_[grad_u + lam_vec, -grad_u + lam_vec]

    bounds = [(None, None) if free[j] else (0, None) for j in range(n)] + [(0, 0) if free[j] else (0, None)
                                                                          for j in range(n)]
    res = minimize(f, np.zeros(2 * n), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000})
    u = res.x[:n] - res.x[n:]
    # L-BFGS-B stops where its own tests say (on an ill-conditioned H, 1e-6 from the minimum
    # on some BLAS kernels): it gives the support and the signs, and the minimum on them is
    # the linear system H_SS u_S = -(b0_S + lam_S sign(u_S)), solved directly.
    support = free | (np.abs(u) > 1e-8)
    exact = np.zeros(n)
    exact[support] = np.linalg.solve(H[np.ix_(support, support)],
                                     -(b0[support] + lam_vec[support] * np.sign(u[support])))
    return exact


@pytest.mark.parametrize("correlation", [0.0, 0.95])
def test_prox_newton_model_solver_minimises_the_l1_quadratic_model(correlation, monkeypatch):
    # The quadratic model of one prox-Newton step, with columns that share a common factor
    # (the case where coordinate descent alone crawls and the support step takes over), from
    # a start whose signs are partly wrong.
    from sklogloss.solvers import prox

    rng = np.random.default_rng(7)
    n, m = 60, 400
    Z = rng.normal(size=(m, n)) * np.sqrt(1 - correlation) + np.sqrt(correlation) * rng.normal(size=(m, 1))
    H = Z.T @ Z / m + 1e-3 * np.eye(n)
    g = rng.normal(size=n) * 0.3
    coef = rng.normal(size=n) * (rng.random(n) < 0.5)
    mask = np.ones(n, dtype=bool)
    mask[-1] = False  # an unpenalised intercept
    lam = 0.05
    calls, original = [], prox._support_step

    def counting(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(prox, "_support_step", counting)
    solver = prox.ProxNewtonSolver(max_sweeps=10_000)
    d = solver._quadratic_cd(H, g, coef, lam, mask, inner_tol=1e-12)
    lam_vec = np.where(mask, lam, 0.0)
    u_ref = _l1_model_reference(H, g - H @ coef, lam_vec)
    np.testing.assert_allclose(coef + d, u_ref, atol=1e-6)
    # Optimality of the model at coef + d: zero minimum-norm subgradient.
    u = coef + d
    grad = g + H @ d
    on = (u != 0) | ~mask
    np.testing.assert_allclose(grad[on] + lam_vec[on] * np.sign(u[on]), 0, atol=1e-9)
    assert np.all(np.abs(grad[~on]) <= lam + 1e-9)
    assert 0 < np.count_nonzero(u[mask]) < n - 1  # a sparse solution: the L1 term is active
    if correlation:
        assert calls  # correlated columns: the support step was taken


# ----------------------------------------------------------- Hessian reuse
def _badly_scaled(seed=0):
    X, y = make_classification(n_samples=3000, n_features=12, n_informative=8, random_state=seed)
    X = X * np.logspace(-2, 2, X.shape[1])  # curvatures over eight orders of magnitude
    return X, y.astype(float)


@pytest.mark.parametrize("C", [0.01, 1.0, 1e4])
def test_newton_cholesky_hessian_reuse_reaches_the_classical_solution(C):
    """Reuse changes the steps, not the answer: to 1e-9 of the classical iteration and of scikit-learn."""
    from sklogloss.solvers import NewtonCholeskySolver

    X, y = _badly_scaled()
    objective = LinearObjective(X, y, BinomialLoss(), C=C)
    lazy = NewtonCholeskySolver(tol=1e-10, reuse_min_work=0)
    classical = NewtonCholeskySolver(tol=1e-10, reuse_ratio=0.0)
    a = lazy.solve(objective, objective.zero_coef())
    b = classical.solve(objective, objective.zero_coef())
    assert a.converged and b.converged
    np.testing.assert_allclose(a.coef, b.coef, rtol=0, atol=1e-9 * max(1.0, np.abs(b.coef).max()))
    assert lazy.n_hessians <= classical.n_hessians
    sk = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=500).fit(X, y)
    np.testing.assert_allclose(a.coef[:-1], sk.coef_.ravel(), rtol=1e-6, atol=1e-8)


def test_newton_cholesky_reuse_on_multinomial_and_memory_across_c():
    """A multinomial path with HessianMemory: each fit equals a cold classical fit, fewer Hessians in all."""
    from sklogloss.solvers import NewtonCholeskySolver
    from sklogloss.solvers.curvature import HessianMemory

    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 6))
    Y = np.eye(3)[np.argmax(X[:, :3] + rng.gumbel(size=(2000, 3)), axis=1)]
    memory, coef, lazy_h, classical_h = HessianMemory(), None, 0, 0
    for C in [0.05, 0.5, 5.0, 50.0]:
        objective = LinearObjective(X, Y, MultinomialLoss(), C=C)
        coef = objective.zero_coef() if coef is None else coef
        lazy = NewtonCholeskySolver(tol=1e-10, memory=memory, reuse_min_work=0)
        coef = lazy.solve(objective, coef).coef
        classical = NewtonCholeskySolver(tol=1e-10, reuse_ratio=0.0)
        np.testing.assert_allclose(coef, classical.solve(objective, objective.zero_coef()).coef, atol=1e-9)
        lazy_h, classical_h = lazy_h + lazy.n_hessians, classical_h + classical.n_hessians
    assert memory.n_carried == 3
    assert lazy_h < classical_h


def test_newton_cholesky_reuse_ratio_is_checked():
    from sklogloss.solvers import NewtonCholeskySolver

    with pytest.raises(ValueError, match="reuse_ratio"):
        NewtonCholeskySolver(reuse_ratio=1.0)
    with pytest.raises(ValueError, match="reuse_min_work"):
        NewtonCholeskySolver(reuse_min_work=-1.0)


@pytest.mark.parametrize("multi", [False, True])
def test_newton_cholesky_extrapolation_saves_steps_on_unscaled_data(multi):
    """Past the unit step while the slope stays steep: fewer steps on raw features, the same optimum.

    Breast cancer and wine unscaled (features from 1e-3 to 4e3): Newton's
    unit steps fall short along their direction for the first steps.
    """
    from sklearn.datasets import load_breast_cancer, load_wine

    from sklogloss.solvers import NewtonCholeskySolver

    X, y = (load_wine if multi else load_breast_cancer)(return_X_y=True)
    target, loss = (np.eye(3)[y], MultinomialLoss()) if multi else (y.astype(float), BinomialLoss())
    objective = LinearObjective(X, target, loss, C=1.0)
    ext, classical = NewtonCholeskySolver(tol=1e-9), NewtonCholeskySolver(tol=1e-9, extrapolate=0.0)
    a, b = ext.solve(objective, objective.zero_coef()), classical.solve(objective, objective.zero_coef())
    assert a.converged and b.converged
    assert a.n_iter < b.n_iter
    np.testing.assert_allclose(a.coef, b.coef, rtol=0, atol=1e-8 * np.abs(b.coef).max())
    assert a.objective <= b.objective + 1e-15 * abs(b.objective)
    sk = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10, max_iter=500).fit(X, y)
    W, b0 = objective.unpack(a.coef)
    if multi:  # scikit-learn's multinomial weights are centred like ours (the L2 penalty centres them)
        np.testing.assert_allclose(W, sk.coef_, rtol=1e-5, atol=1e-7)
    else:
        np.testing.assert_allclose(W.ravel(), sk.coef_.ravel(), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="extrapolate"):
        NewtonCholeskySolver(extrapolate=1.0)


@pytest.mark.parametrize("multi", [False, True])
def test_newton_cholesky_skips_the_unit_slope_only_where_it_is_not_steep(multi):
    """The slope at the unit step estimated from values (``3 (f(1) - f(0) - slope / 2)``) never hides a steep one.

    Along the exact Newton path on unscaled data (where the first unit steps
    fall short, and their slope is steep) and scaled data: wherever the
    estimate lets the search skip ``line_derivative`` (above half the
    extrapolation share of the start's slope), the exact slope is not
    below the share either, so no extrapolation is lost; the path has steps
    of both kinds.
    """
    from sklearn.datasets import load_breast_cancer, load_wine
    from sklearn.preprocessing import StandardScaler

    from sklogloss.solvers import NewtonCholeskySolver
    from sklogloss.solvers.curvature import cholesky_solve

    share = NewtonCholeskySolver().extrapolate  # NewtonCholeskySolver's default extrapolate
    skipped, steep = 0, 0
    for scale in (False, True):
        X, y = (load_wine if multi else load_breast_cancer)(return_X_y=True)
        X = StandardScaler().fit_transform(X) if scale else X
        target, loss = (np.eye(3)[y], MultinomialLoss()) if multi else (y.astype(float), BinomialLoss())
        objective = LinearObjective(X, target, loss, C=1.0)
        N = objective.null_space()
        coef = objective.zero_coef()
        for _ in range(8):
            grad, H = objective.gradient_hessian(coef)
            step = -cholesky_solve(H + N @ N.T, grad)
            slope = float(grad @ step)
            if not slope < -1e-12:
                break
            f0, f1 = objective.loss(coef), objective.loss(coef + step)
            exact = objective.line_derivative(coef + step, step, objective.linear_predictor(coef + step),
                                              objective.linear_predictor(step))
            np.testing.assert_allclose(exact, objective.gradient(coef + step) @ step, rtol=1e-6, atol=1e-12)
            steep += exact < share * slope
            estimate = NewtonCholeskySolver.unit_slope_estimate(f0, f1, slope)
            if abs(slope) > 1e-6:  # (resolved: the values differ by far more than their rounding)
                assert abs(estimate - exact) <= 0.5 * abs(slope)
            if not estimate < 0.5 * share * slope:
                skipped += 1
                assert not exact < share * slope
            coef = coef + step
    assert skipped >= 4 and steep >= 1


def test_newton_cholesky_small_problem_forms_a_hessian_every_step():
    """Below reuse_min_work a Hessian formed in the fit is not kept: the classical steps, one Hessian each.

    The same problem with the gate at 0 keeps Hessians (fewer of them, more
    steps: the linear convergence of a kept Hessian); both reach the
    classical iteration's solution.
    """
    from sklogloss.solvers import NewtonCholeskySolver

    X, y = _badly_scaled()
    objective = LinearObjective(X, y, BinomialLoss(), C=1.0)
    assert objective.n_samples * objective.size ** 2 < 5e6  # the default gate
    small = NewtonCholeskySolver(tol=1e-10)
    kept = NewtonCholeskySolver(tol=1e-10, reuse_min_work=0)
    classical = NewtonCholeskySolver(tol=1e-10, reuse_ratio=0.0)
    a, b, c = (s.solve(objective, objective.zero_coef()) for s in (small, kept, classical))
    assert small.n_hessians == a.n_iter == c.n_iter == classical.n_hessians
    assert kept.n_hessians < small.n_hessians
    for res in (a, b):
        np.testing.assert_allclose(res.coef, c.coef, rtol=0, atol=1e-9 * max(1.0, np.abs(c.coef).max()))


def test_carry_hessian_is_the_new_objectives_hessian():
    """Objective.carry_hessian: the Hessian of C=0.1 carried to C=10 is C=10's Hessian at the same point."""
    X, y = _badly_scaled(1)
    coef = np.random.default_rng(0).normal(scale=0.01, size=X.shape[1] + 1)
    a = LinearObjective(X, y, BinomialLoss(), C=0.1)
    b = LinearObjective(X, y, BinomialLoss(), C=10.0)
    carried = b.carry_hessian(a.gradient_hessian(coef)[1], a)
    np.testing.assert_allclose(carried, b.gradient_hessian(coef)[1], rtol=1e-12, atol=1e-14)
    # not between different data, nor from another kind of objective
    assert b.carry_hessian(a.gradient_hessian(coef)[1], LinearObjective(X.copy(), y, BinomialLoss())) is None
    assert b.carry_hessian(np.eye(3), a) is None


def test_sampled_curvature_starts_from_the_samples_hessian_at_the_start_point():
    """Tall data: the row sample's Hessian that seeds BFGS is the one at the presolver's solution."""
    from sklogloss.solvers import NewtonCholeskySolver

    rng = np.random.default_rng(7)
    X = rng.normal(size=(90_000, 4)) * [1.0, 3.0, 0.3, 1.0]
    y = (X @ [1.0, -0.5, 2.0, 0.0] + rng.logistic(size=90_000) > 0).astype(float)
    objective = LinearObjective(X, y, BinomialLoss(), C=1.0)
    solver = NewtonCholeskySolver(tol=1e-8)
    solver.setup(objective, objective.zero_coef())
    assert solver.hess_obj is not objective  # a row sample
    H = solver.curvature.update(solver.coef, objective.gradient(solver.coef))
    expected = solver.hess_obj.gradient_hessian(solver.coef, gradient=False)[1]
    np.testing.assert_allclose(H, expected, rtol=1e-6)


def test_newton_cg_takes_float32_products_only_where_they_are_float32(monkeypatch):
    # A float64 X above ArrayDesign.approximate_entries has no float32 copy: its "approximate"
    # products are exact, and CG is never restarted for their sake (a restart threw away
    # forty products at the step where it came).
    from sklogloss.solvers import NewtonCGSolver

    X, y = make_classification(n_samples=600, n_features=40, n_informative=10, random_state=0)
    for entries, expected in [(None, True), (0, False)]:
        obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=100.0)
        if entries is not None:
            obj.design.approximate_entries = entries
        asked = []

        def gradient_hessp(*args, asked=asked, original=obj.gradient_hessp, **kwargs):
            asked.append(kwargs.get("approximate", False))
            return original(*args, **kwargs)

        monkeypatch.setattr(obj, "gradient_hessp", gradient_hessp)
        assert obj.approximates() is expected
        res = NewtonCGSolver(tol=1e-10).solve(obj, obj.zero_coef())
        assert res.converged, res.message
        assert any(asked) is expected


def test_newton_cg_switching_to_exact_products_keeps_the_step_it_has(monkeypatch):
    # Approximate products that have not converged after approximate_max_inner products give
    # way to exact ones: CG goes on from its step, which already reduced the residual of the
    # (exact) Newton system, and the fit ends at the exact solution.
    from sklogloss.solvers import NewtonCGSolver, NewtonCholeskySolver

    X, y = make_classification(n_samples=600, n_features=40, n_informative=10, random_state=0)
    obj = LinearObjective(X * np.linspace(0.2, 5, 40), y.astype(float), BinomialLoss(), C=100.0)
    assert obj.approximates()
    starts = []
    original = NewtonCGSolver.inner_solve

    def inner_solve(self, start=None):
        if start is not None:
            H = self.obj.gradient_hessian(self.coef, gradient=False)[1]
            starts.append((np.linalg.norm(H @ start + self.grad), np.linalg.norm(self.grad)))
        return original(self, start=start)

    monkeypatch.setattr(NewtonCGSolver, "inner_solve", inner_solve)
    solver = NewtonCGSolver(tol=1e-10, preconditioner="jacobi")
    solver.approximate_max_inner = 3
    res = solver.solve(obj, obj.zero_coef())
    assert len(starts) == 1  # once: the rest of the fit takes exact products
    residual, gnorm = starts[0]
    assert residual < 0.5 * gnorm
    reference = NewtonCholeskySolver(tol=1e-12).solve(obj, obj.zero_coef())
    assert res.converged and np.allclose(res.coef, reference.coef, rtol=1e-7, atol=1e-8)


def test_newton_cg_residual_share_ends_cg_early_not_the_fit():
    """CG's residual test (``residual_share * tol``) saves products; the exact gradient test still decides.

    One-hot data (two categorical columns, an intercept) with the Schur preconditioner: a
    larger share must cost fewer products and reach the same optimum, with ``max|grad| <= tol``
    checked here on the objective's own gradient; a share so large that every solve stops at
    its first product still converges (more steps, not a looser answer).
    """
    rng = np.random.default_rng(3)
    a = rng.integers(0, 6, 3000)
    b = np.minimum(rng.zipf(1.4, 3000), 200) - 1
    X = sp.hstack([sp.csr_matrix(np.eye(6)[a]), sp.csr_matrix(np.eye(200)[b])]).tocsr()
    y = (rng.uniform(size=3000) < 1 / (1 + np.exp(-(0.8 * a - 0.05 * b)))).astype(float)
    obj = LinearObjective(X, y, BinomialLoss(), C=1.0)
    tol = 1e-9
    results = {}
    for share in (0.01, 0.5, 1e6):
        solver = SOLVERS["newton-cg"](tol=tol, max_iter=1000, preconditioner="schur")
        solver.residual_share = share
        res = solver.solve(obj, obj.zero_coef())
        assert res.converged
        assert np.abs(obj.gradient(res.coef)).max() <= tol
        results[share] = (res, solver.products)
    ref = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    for res, _ in results.values():
        assert res.objective == pytest.approx(obj.objective(_sk_coef(ref)), rel=1e-10)
    assert results[0.5][1] < results[0.01][1]
    assert results[1e6][0].n_iter > results[0.5][0].n_iter
