"""Newton-CG on the designs Jacobi preconditions badly: one-hot categoricals and sparse X with p close to n.

References: scikit-learn's objective at a tight tol (its solvers are independent
of ours) and the explicit matrices the preconditioner stands for.
"""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from sklogloss import LogisticClassifier, SoftmaxClassifier
from sklogloss.losses import BinomialLoss, MultinomialLoss
from sklogloss.objective import LinearObjective
from sklogloss.solvers import NewtonCGSolver, NewtonCholeskySolver
from sklogloss.solvers.curvature import SchurJacobi


def one_hot(n=3000, levels=(3, 12, 60, 400), n_classes=2, seed=0):
    """Categorical columns with Zipf-like level frequencies (rare levels), one nested in
    another (level j of the last column belongs to level j % 12 of the second), one-hot
    encoded with every level kept: each group's columns sum to the intercept column."""
    rng = np.random.default_rng(seed)
    cols = []
    for L in levels:
        freq = 1.0 / np.arange(1, L + 1) ** 1.1
        cols.append(rng.choice(L, size=n, p=freq / freq.sum()))
    cols[1] = cols[-1] % levels[1]  # nesting: the parent is a sum of its children's columns
    cats = np.column_stack(cols)
    X = OneHotEncoder(dtype=np.float64).fit_transform(cats).tocsr()
    effects = [rng.normal(scale=1.0, size=L) for L in levels]
    z = sum(e[c] for e, c in zip(effects, cols))
    if n_classes == 2:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(z - z.mean())))).astype(int)
    else:
        y = np.digitize(z + rng.logistic(size=n), np.quantile(z, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def sparse_p_half(n=2000, nnz=20, seed=0):
    """Random sparse X with p = n / 2, values uniform in [0, 1] (not centred: every column
    is coupled to the intercept)."""
    rng = np.random.default_rng(seed)
    p = n // 2
    X = sp.random(n, p, density=nnz / p, format="csr", random_state=seed)
    w = rng.normal(size=p)
    z = X @ w
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(z - z.mean()) * 2))).astype(int)
    return X, y


def sparse_wide(n=400, p=4000, density=0.005, seed=1):
    """Random sparse X with p = 10 n: two non-zeros per column on average."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=seed)
    z = X @ rng.normal(size=p)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(z - z.mean()) * 2))).astype(int)
    return X, y


def user_objective(X, y, coef, intercept, C):
    Z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        z = Z[:, 0]
        loss = np.logaddexp(0, z) - y * z
    else:
        Zmax = Z.max(axis=1, keepdims=True)
        loss = np.log(np.exp(Z - Zmax).sum(axis=1)) + Zmax[:, 0] - Z[np.arange(len(y)), y]
    return C * loss.sum() + 0.5 * np.sum(coef**2)


def _objective(X, y, C=1.0):
    K = len(np.unique(y))
    if K == 2:
        return LinearObjective(X, y.astype(float), BinomialLoss(), C=C)
    return LinearObjective(X, np.eye(K)[y], MultinomialLoss(), C=C)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_schur_preconditioner_is_the_block_ldl_with_the_diagonal_schur_complement(n_classes):
    X, y = one_hot(n=600, levels=(3, 5, 30), n_classes=n_classes)
    X = sp.hstack([X, np.random.default_rng(1).normal(size=(600, 2))]).tocsr()  # numeric columns too
    obj = _objective(X, y)
    rng = np.random.default_rng(2)
    coef = rng.normal(scale=0.3, size=obj.size)
    raw = obj.linear_predictor(coef)
    pre = SchurJacobi(obj, n_columns=6)
    pre.update(coef, raw)
    H = obj.gradient_hessian(coef, raw)[1]
    m = obj.n_dof
    S, L = pre.S, pre.L
    assert m - 1 in S and len(S) == 7  # the intercept and six weights
    assert pre.block_inverse is None  # coupled with L: the block LDL^T's four products
    r = rng.normal(size=obj.size)
    z = pre(r)
    for k, schur in enumerate(pre.schur):
        block = H[k * m:(k + 1) * m, k * m:(k + 1) * m]
        order = np.r_[S, L]
        A = block[np.ix_(order, order)]
        s = len(S)
        A_SS, A_SL = A[:s, :s], A[:s, s:]
        # M: exact on S and on the couplings S-L; diagonal Schur complement on L.
        M = A.copy()
        M[s:, s:] = A_SL.T @ np.linalg.solve(A_SS, A_SL) + np.diag(schur)
        np.testing.assert_allclose(np.diag(M)[s:], np.diag(A)[s:], rtol=1e-10)  # same diagonal as H
        assert np.linalg.eigvalsh(M).min() > 0
        zk = np.empty(m)
        zk[order] = np.linalg.solve(M, r[k * m:(k + 1) * m][order])
        np.testing.assert_allclose(z[k * m:(k + 1) * m], zk, rtol=1e-8, atol=1e-10 * np.abs(zk).max())


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_float32_coupling_keeps_the_preconditioner_symmetric_positive_definite(n_classes):
    """A coupling W of float32_coupling_entries or more is applied in float32: the operator (the
    same W in both of its products) is symmetric to float32 rounding and positive definite, and
    within float32 rounding of the float64 one."""
    X, y = one_hot(n=600, levels=(3, 5, 30), n_classes=n_classes)
    obj = _objective(X, y)
    rng = np.random.default_rng(4)
    coef = rng.normal(scale=0.3, size=obj.size)
    raw = obj.linear_predictor(coef)
    exact, single = SchurJacobi(obj, n_columns=6), SchurJacobi(obj, n_columns=6)
    exact.float32_coupling_entries, single.float32_coupling_entries = np.inf, 0
    exact.update(coef, raw)
    single.update(coef, raw)
    assert exact.coupling.dtype == np.float64 and single.coupling.dtype == np.float32
    assert single.L.size and np.any(single.coupling)
    R = rng.normal(size=(obj.size, 5))
    Z = np.column_stack([single(r) for r in R.T])
    Z64 = np.column_stack([exact(r) for r in R.T])
    np.testing.assert_allclose(Z, Z64, rtol=0, atol=1e-5 * np.abs(Z64).max())
    G = R.T @ Z  # r_i^T M^{-1} r_j
    G64 = R.T @ Z64
    np.testing.assert_allclose(G64, G64.T, rtol=0, atol=1e-12 * np.abs(G64).max())
    np.testing.assert_allclose(G, G.T, rtol=0, atol=1e-6 * np.abs(G).max())
    assert np.linalg.eigvalsh(0.5 * (G + G.T)).min() > 0


def test_a_dense_x_tests_its_change_on_every_kth_row_without_a_copy(monkeypatch):
    """On a dense X of at least 4 * test_rows rows the change test reads a strided view of X
    (no copy): a small move keeps M without the full pass over X * X, a large one recomputes."""
    monkeypatch.setattr(SchurJacobi, "test_rows", 500)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2400, 30))
    y = (X[:, 0] + rng.logistic(size=2400) > 0).astype(float)
    obj = LinearObjective(X, y, BinomialLoss())
    pre = SchurJacobi(obj, n_columns=4)
    coef = obj.zero_coef()
    pre.update(coef, obj.linear_predictor(coef))
    view, step = pre.tester
    assert view is pre.view and step == slice(None, None, 4)
    assert view.n_samples == 600 and np.shares_memory(view.design.X, X)
    full = []
    original = LinearObjective.hessian_diagonal
    monkeypatch.setattr(LinearObjective, "hessian_diagonal",
                        lambda self, *a, **k: (full.append(self.n_samples), original(self, *a, **k))[1])
    near = coef + 1e-3 * rng.normal(size=obj.size)
    pre.update(near, obj.linear_predictor(near))
    assert pre.n_computed == 1 and full == [600]  # the view's pass only
    far = rng.normal(scale=2.0, size=obj.size)
    pre.update(far, obj.linear_predictor(far))
    assert pre.n_computed == 2 and full[1:3] == [600, 2400]  # moved on the view: the full diagonal
    np.testing.assert_allclose(pre.diag.ravel(), original(obj, far), rtol=1e-12)


def test_schur_knows_one_hot_groups_where_jacobi_does_not():
    X, y = one_hot()
    obj = _objective(X, y)
    counts = {}
    original = obj.gradient_hessp

    def counting(*args, **kwargs):
        grad, hessp = original(*args, **kwargs)

        def counted(v):
            counts[kind] += 1
            return hessp(v)

        return grad, counted

    obj.gradient_hessp = counting
    for kind in ("schur", "jacobi"):
        counts[kind] = 0
        # S (64 weights) holds a small share of the 475 levels: the rare ones are left to the complement.
        solver = NewtonCGSolver(tol=1e-8, preconditioner=kind, max_inner=10_000, schur_columns=64)
        assert solver.solve(obj, obj.zero_coef()).converged
    # The group sums are the intercept column: Jacobi needs several times the products.
    assert counts["schur"] * 3 < counts["jacobi"], counts


@pytest.mark.parametrize("make, n_classes", [(one_hot, 2), (one_hot, 4), (sparse_p_half, 2), (sparse_wide, 2)],
                         ids=["one-hot-binary", "one-hot-multinomial", "sparse-p=n/2", "sparse-p=10n"])
def test_newton_cg_reaches_sklearn_objective_on_hard_sparse_designs(make, n_classes):
    X, y = make(n_classes=n_classes) if make is one_hot else make()
    C = 1.0
    ref = LogisticRegression(C=C, solver="newton-cg", tol=1e-10, max_iter=10_000).fit(X, y)
    f_ref = user_objective(X, y, np.atleast_2d(ref.coef_), ref.intercept_, C)
    est = (LogisticClassifier if n_classes == 2 else SoftmaxClassifier)(C=C).fit(X, y)  # solver="auto"
    f = user_objective(X, y, np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_), C)
    assert (f - f_ref) / f_ref < 1e-8
    obj = _objective(X, y, C)
    res = NewtonCGSolver(tol=1e-8, preconditioner="schur").solve(obj, obj.zero_coef())  # the default tol
    W, b = obj.unpack(res.coef)
    f = user_objective(X, y, W, b, C)
    assert res.converged and (f - f_ref) / f_ref < 1e-8
    if n_classes > 2:  # the closed-form shift step: classes' weights sum to zero feature by feature
        np.testing.assert_allclose(W.sum(axis=0), 0, atol=1e-8)


def test_shift_step_recovers_a_warm_start_off_the_sum_to_zero_plane():
    """A start whose class weights do not sum to zero is moved back in one closed-form step."""
    X, y = one_hot(n=1000, levels=(3, 12, 50), n_classes=3)
    obj = _objective(X, y, C=0.5)
    rng = np.random.default_rng(3)
    coef0 = rng.normal(scale=0.5, size=obj.size)
    res = NewtonCGSolver(tol=1e-9, preconditioner="schur").solve(obj, coef0)
    ref = NewtonCGSolver(tol=1e-9, preconditioner="sampled-hessian").solve(obj, obj.zero_coef())
    assert res.converged and ref.converged
    W, _ = obj.unpack(res.coef)
    np.testing.assert_allclose(W.sum(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(obj.objective(res.coef), obj.objective(ref.coef), rtol=1e-12)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_prox_newton_on_working_sets_reaches_saga_objective(l1_ratio, monkeypatch):
    """Above ``max_full`` coefficients proximal Newton fits on working sets (Hessian block
    columns); the threshold is lowered here so that saga's reference stays quick."""
    from sklogloss.solvers import ProxNewtonSolver

    monkeypatch.setattr(ProxNewtonSolver, "max_full", 50)
    X, y = one_hot(n=1500, levels=(3, 12, 80, 300))
    C = 0.5
    est = LogisticClassifier(C=C, l1_ratio=l1_ratio, solver="prox-newton").fit(X, y)
    ref = LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12, max_iter=100_000).fit(X, y)

    def objective(coef, intercept):
        z = X @ coef.ravel() + intercept[0]
        loss = np.logaddexp(0, z) - y * z
        return C * loss.sum() + l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * np.sum(coef**2)

    f, f_ref = objective(est.coef_, np.atleast_1d(est.intercept_)), objective(ref.coef_, ref.intercept_)
    assert (f - f_ref) / f_ref < 1e-8
    assert 0 < np.count_nonzero(est.coef_) < X.shape[1] / 2  # a sparse solution, exact zeros


def test_prox_newton_keeps_the_working_set_hessian_near_the_optimum(monkeypatch):
    """A kept working-set Hessian gives the optimum of the classical iteration (reuse_ratio=0) in fewer
    Hessians; the stopping test is the same, so both meet tol on the exact subgradient."""
    from sklogloss.solvers import ProxNewtonSolver

    monkeypatch.setattr(ProxNewtonSolver, "max_full", 50)
    X, y = one_hot(n=1500, levels=(3, 12, 80, 300))
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=0.5, l1_ratio=0.5)
    lazy, classical = ProxNewtonSolver(tol=1e-10), ProxNewtonSolver(tol=1e-10, reuse_ratio=0.0)
    res, ref = lazy.solve(obj, obj.zero_coef()), classical.solve(obj, obj.zero_coef())
    assert res.converged and ref.converged
    assert obj.projected_gradient_max(res.coef, obj.gradient(res.coef)) <= 1e-10
    assert res.objective == pytest.approx(ref.objective, rel=1e-12)
    assert lazy.n_hessians < classical.n_hessians
    with pytest.raises(ValueError, match="reuse_ratio"):
        ProxNewtonSolver(reuse_ratio=1.0)


def test_kept_working_set_block_is_the_principal_block_with_new_columns_formed():
    """At the point the kept block was formed, the assembled block is the exact principal block of the
    new working set (kept rows moved to their new places, new columns computed); with more than a
    tenth of the set new, none is assembled."""
    from sklogloss.solvers.prox import _kept_block

    X, y = one_hot(n=600, levels=(3, 12, 40))
    obj = LinearObjective(X, y.astype(float), BinomialLoss(), C=0.5, l1_ratio=0.5)
    coef = np.random.default_rng(4).normal(scale=0.3, size=obj.size)
    raw = obj.linear_predictor(coef)
    kept_ws = np.arange(0, obj.size, 2)
    kept_H = obj.hessian_block_columns(coef, kept_ws, raw=raw, square=True)[0]
    ws = np.union1d(kept_ws[3:], [1, 7])  # two new coordinates, three dropped
    H = _kept_block(obj, coef, raw, kept_ws, kept_H, ws)
    np.testing.assert_allclose(H, obj.hessian_block_columns(coef, ws, raw=raw, square=True)[0], rtol=1e-12)
    assert _kept_block(obj, coef, raw, kept_ws, kept_H, np.union1d(kept_ws, np.arange(1, 12, 2))) is None


def test_schur_with_every_weight_is_each_outputs_diagonal_block_in_float32():
    """Dense X with few weights: M is the exact diagonal block of each output, from a float32 copy."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(800, 5)) * [1.0, 2.0, 0.5, 3.0, 1.0]
    y = np.argmax(X[:, :3] + rng.gumbel(size=(800, 3)), axis=1)
    obj = _objective(X, y)
    coef = rng.normal(scale=0.3, size=obj.size)
    raw = obj.linear_predictor(coef)
    pre = SchurJacobi(obj)
    pre.update(coef, raw)
    m = obj.n_dof
    assert len(pre.S) == m and pre.L.size == 0
    assert pre.sample is not None and pre.sample.design.dtype == np.float32
    H = obj.gradient_hessian(coef, raw)[1]
    r = rng.normal(size=obj.size)
    z = pre(r)
    for k in range(3):
        block = H[k * m:(k + 1) * m, k * m:(k + 1) * m]
        np.testing.assert_allclose(z[k * m:(k + 1) * m], np.linalg.solve(block, r[k * m:(k + 1) * m]), rtol=1e-4)


def test_schur_from_a_row_sample_tests_its_change_on_the_sample(monkeypatch):
    """Tall dense X, every weight in S: no full pass over X * X unless M is recomputed."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(12_000, 4))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(12_000, 3)), axis=1)
    obj = _objective(X, y)
    pre = SchurJacobi(obj)
    coef = np.zeros(obj.size)
    pre.update(coef, obj.linear_predictor(coef))
    assert pre.sample is not None and pre.sample.n_samples < obj.n_samples and pre.n_computed == 1
    calls = {"n": 0}
    full = type(obj).hessian_diagonal

    def counted(self, *args, **kwargs):
        calls["n"] += self is obj
        return full(self, *args, **kwargs)

    monkeypatch.setattr(type(obj), "hessian_diagonal", counted)
    near = coef + 1e-3
    pre.update(near, obj.linear_predictor(near))
    assert calls["n"] == 0 and pre.n_computed == 1  # kept, judged on the sample
    far = rng.normal(scale=2.0, size=obj.size)
    pre.update(far, obj.linear_predictor(far))
    assert calls["n"] == 1 and pre.n_computed == 2  # recomputed, from the full diagonal


def test_singular_block_gets_a_jitter_and_stays_positive_definite():
    # Unpenalised, with a weight duplicated: A_SS is singular on S (every weight is
    # dense and in S), so its factor needs the jitter; M^{-1} must still be a
    # symmetric positive-definite operator with finite entries, per output.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    X = np.column_stack([X, X[:, 1]])
    y = rng.integers(0, 3, size=400)
    obj = LinearObjective(X, np.eye(3)[y], MultinomialLoss(), C=np.inf)
    coef = rng.normal(scale=0.1, size=obj.size)
    pre = SchurJacobi(obj)
    pre.update(coef, obj.linear_predictor(coef))
    assert pre.S.size == obj.n_dof  # every weight and the intercept
    Minv = np.column_stack([pre(e) for e in np.eye(obj.size)])
    assert np.all(np.isfinite(Minv))
    np.testing.assert_allclose(Minv, Minv.T, rtol=1e-6, atol=1e-8 * np.abs(Minv).max())
    assert np.linalg.eigvalsh(0.5 * (Minv + Minv.T)).min() > 0
    assert np.abs(Minv).max() < 1e12  # the jitter (1e-10 relative) bounds it; a pivot of rounding size gives ~1e16
    # On a regular block (no duplicate) M is the exact diagonal block, M^{-1} H_kk = I, to
    # the float32 of its blocks (every weight dense on few rows: a float32 copy of them).
    obj2 = LinearObjective(X[:, :4], np.eye(3)[y], MultinomialLoss(), C=np.inf)
    coef2 = rng.normal(scale=0.1, size=obj2.size)
    pre2 = SchurJacobi(obj2)
    pre2.update(coef2, obj2.linear_predictor(coef2))
    H = obj2.gradient_hessian(coef2)[1]
    m = obj2.n_dof
    for k in range(3):
        v = np.zeros(obj2.size)
        v[k * m:(k + 1) * m] = rng.normal(size=m)
        Hv = np.zeros(obj2.size)
        Hv[k * m:(k + 1) * m] = H[k * m:(k + 1) * m, k * m:(k + 1) * m] @ v[k * m:(k + 1) * m]
        np.testing.assert_allclose(pre2(Hv), v, rtol=1e-4, atol=1e-6)


def test_blank_columns_go_to_L_and_the_blocks_stay_exact():
    # Dense X with two blank columns (pixels that are zero in every image) and a small L2
    # term: the blank weights couple with nothing, so S holds every other weight and M is
    # each output's exact diagonal block. (Before, their diagonal, the L2 term alone, fell
    # below the dense share and M became Jacobi on six columns.)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 10))
    X[:, [2, 7]] = 0.0
    y = rng.integers(0, 3, size=500)
    obj = LinearObjective(X, np.eye(3)[y], MultinomialLoss(), C=1e4)
    coef = rng.normal(scale=0.1, size=obj.size)
    pre = SchurJacobi(obj)
    pre.update(coef, obj.linear_predictor(coef))
    m = obj.n_dof
    assert set(pre.L) == {2, 7} and pre.S.size == m - 2
    assert pre.block_inverse is not None  # S uncoupled from L: one product per application
    H = obj.gradient_hessian(coef)[1]
    for k in range(3):
        block = slice(k * m, (k + 1) * m)
        v = np.zeros(obj.size)
        v[block] = rng.normal(size=m)
        Hv = np.zeros(obj.size)
        Hv[block] = H[block, block] @ v[block]
        np.testing.assert_allclose(pre(Hv), v, rtol=1e-4, atol=1e-6)


def test_products_pay_for_a_recomputation_before_the_next():
    # Dense multinomial on few rows: S holds every weight, and M costs many products
    # (a symmetric product of 12 columns on 400 rows per class, against 2 passes of 400 x 12).
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 12))
    y = rng.integers(0, 4, size=400)
    obj = LinearObjective(X, np.eye(4)[y], MultinomialLoss(), C=1.0)
    pre = SchurJacobi(obj)
    coef = obj.zero_coef()
    pre.update(coef, obj.linear_predictor(coef), products=0)
    assert pre.n_computed == 1
    expected = (400 * 12 ** 2 / 2 / (400 * 12) + 1) / 2  # multiply-adds of M over a pass's, per product
    assert pre.cost_products == pytest.approx(expected)
    far = rng.normal(scale=3.0, size=obj.size)  # the diagonal moves far
    pre.update(far, obj.linear_predictor(far), products=int(expected) - 1)
    assert pre.n_computed == 1  # not paid for yet: kept without a test
    pre.update(far, obj.linear_predictor(far), products=int(expected) + 1)
    assert pre.n_computed == 2  # paid for, and moved: recomputed
    pre.update(coef, obj.linear_predictor(coef))  # no count: the change test alone
    assert pre.n_computed == 3


def test_a_recomputation_is_made_only_where_half_a_step_pays_for_it():
    # One-hot data (sparse): M's cost counts the co-occurring non-zeros of the block product
    # at sparse_product_cost a multiply-add, and its dense part at dense_speedup; after the
    # products have paid for M, it is recomputed only if saving_share of the last step's
    # products would pay for it again.
    rng = np.random.default_rng(3)
    n = 3000
    a, b = rng.integers(0, 4, n), rng.zipf(1.3, n) % 60
    X = sp.hstack([sp.csr_matrix(np.eye(4)[a]), sp.csr_matrix(np.eye(60)[b])]).tocsr()
    obj = LinearObjective(X, (rng.uniform(size=n) < 0.3 + 0.1 * (a == 1)).astype(float), BinomialLoss())
    pre = SchurJacobi(obj, n_columns=10)
    coef = obj.zero_coef()
    pre.update(coef, obj.linear_predictor(coef), products=0)
    nnz, total = obj.column_nnz(), X.nnz
    w = pre.S[:-1]
    work = SchurJacobi.sparse_product_cost * float((nnz[w] * total / n).sum()) \
        + obj.n_dof * pre.S.size ** 2 / SchurJacobi.dense_speedup
    assert pre.cost_products == pytest.approx((work / total + 1) / 2)
    far = rng.normal(scale=3.0, size=obj.size)  # the diagonal moves far
    paid = int(np.ceil(pre.cost_products)) + 1
    small = int(pre.cost_products / SchurJacobi.saving_share) - 1  # half of it does not pay
    pre.update(far, obj.linear_predictor(far), products=paid, last_products=small)
    assert pre.n_computed == 1
    # ... over the steps the solver expects: a step too small to pay alone pays over three.
    few = int(np.ceil(pre.cost_products / (3 * SchurJacobi.saving_share))) + 1
    assert SchurJacobi.saving_share * few < pre.cost_products
    pre.update(far, obj.linear_predictor(far), products=paid, last_products=few, steps_left=1)
    assert pre.n_computed == 1
    pre.update(far, obj.linear_predictor(far), products=paid, last_products=few, steps_left=3)
    assert pre.n_computed == 2
    large = int(np.ceil(pre.cost_products / SchurJacobi.saving_share)) + 1
    paid += int(np.ceil(pre.cost_products)) + 1
    farther = rng.normal(scale=3.0, size=obj.size)
    pre.update(farther, obj.linear_predictor(farther), products=paid, last_products=large)
    assert pre.n_computed == 3


def test_newton_cg_expects_the_steps_that_the_gradient_s_rate_leaves():
    # ceil(log(tol / g) / log(g / g_last)), the rate at most a halving, 1 within tol or at the first step.
    from sklogloss.solvers.newton_cg import NewtonCGSolver

    solver = NewtonCGSolver(tol=1e-6)
    solver.step_grad_max, solver.grad_max = [1e-2], 1e-2
    assert solver.steps_left() == 1
    solver.step_grad_max = [1e-2, 1e-3]
    assert solver.steps_left() == 3  # 1e-3 -> 1e-4 -> 1e-5 -> 1e-6
    solver.step_grad_max = [1e-3, 9e-4]  # slow progress: counted at a halving per step
    assert solver.steps_left() == int(np.ceil(np.log(1e-6 / 9e-4) / np.log(0.5)))
    solver.step_grad_max = [1e-3, 5e-7]
    assert solver.steps_left() == 1


def test_a_stale_preconditioner_is_recomputed_while_steps_remain():
    """Digits, standardised: the first M goes stale and every later step costs more products on it;
    counting the remaining steps, M is recomputed and the fit needs far fewer products than on the
    rule that weighs one step alone, for the same optimum."""
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    from sklogloss.solvers.newton_cg import NewtonCGSolver

    X, y = load_digits(return_X_y=True)
    obj = LinearObjective(StandardScaler().fit_transform(X), np.eye(10)[y], MultinomialLoss(), C=1.0)

    class OneStep(NewtonCGSolver):
        def steps_left(self):
            return 1

    results = {}
    for cls in (NewtonCGSolver, OneStep):
        solver = cls(tol=1e-6, preconditioner="schur")
        results[cls] = (solver.solve(obj, obj.zero_coef()), solver.products)
    (res, products), (one, one_products) = results[NewtonCGSolver], results[OneStep]
    assert res.converged and one.converged
    assert products < 0.7 * one_products
    assert res.objective <= one.objective + 1e-12 * abs(one.objective)


@pytest.mark.parametrize("C", [0.01, 10.0])
def test_newton_cg_with_float32_products_on_a_small_dense_x_reaches_sklearn_objective(C):
    """Digits: the Hessian-vector products run on the float32 copy of X; the optimum is still float64's."""
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    from sklogloss.design import ArrayDesign

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X[:900])
    y = y[:900]
    Y = np.eye(10)[y]
    fits = {}
    for entries in (ArrayDesign.approximate_entries, 0):
        design = ArrayDesign(X, approximate_entries=entries)
        obj = LinearObjective(design, Y, MultinomialLoss(), C=C)
        # tol=1e-10: both coefficients are within (gradient) / (smallest curvature, at least
        # the L2 term 1 / (C n) >= 1e-4) <= 1e-6 of the optimum. At tol=1e-8 that bound is
        # 1e-4, which does not pin the weakly determined weights at C = 10: there the two
        # fits differed by 1.7e-5 on one machine and by less than 1e-5 on another.
        res = NewtonCGSolver(tol=1e-10).solve(obj, obj.zero_coef())
        assert res.converged
        # the fit's products asked for the copy (made on first use) only where it is allowed
        assert (design._X32 is not None) == (entries > 0)
        fits[entries] = (obj.user_objective(res.coef), res.coef, res.n_iter)
    sk = LogisticRegression(C=C, tol=1e-12, max_iter=100_000).fit(X, y)
    sk_coef = np.hstack([sk.coef_, sk.intercept_[:, None]]).ravel()
    obj = LinearObjective(X, Y, MultinomialLoss(), C=C)
    reference = obj.user_objective(sk_coef)
    (f32, coef32, steps32), (f64, coef64, steps64) = fits[ArrayDesign.approximate_entries], fits[0]
    assert (f32 - reference) / abs(reference) <= 1e-8
    assert abs(f32 - f64) / abs(f64) <= 1e-10
    np.testing.assert_allclose(coef32, coef64, atol=1e-5)
    assert steps32 <= steps64 + 1  # float32 directions cost no Newton steps


def test_newton_cg_redoes_a_step_on_exact_products_when_float32_cg_does_not_converge():
    """Badly scaled columns (norms within the copy's spread) at a large C: float32 CG stalls, exact CG does not.

    Both fits reach Newton-Cholesky's optimum. The tolerance is on max|grad|, and near the
    optimum the objective is above it by about ``g' H^-1 g / 2``: here the smallest
    curvature is ~2e-7 (columns of norm 1e-3 offset by 5, nearly the intercept), so
    ``tol=1e-8`` admits up to ~4e-10 relative (one machine's exact-products fit ended
    at 3.4e-10, another's at 3e-14) and ``tol=1e-9`` up to ~5e-12, under the 1e-10 asserted.
    """
    from sklearn.datasets import make_classification

    from sklogloss.design import ArrayDesign
    from sklogloss.solvers import NewtonCholeskySolver

    X, y = make_classification(3000, 20, n_informative=10, n_classes=4, random_state=0)
    X = X * np.logspace(-3, 3, 20) + 5
    y = (y > 1).astype(float)
    exact = LinearObjective(ArrayDesign(X, approximate_entries=0), y, BinomialLoss(), C=1e4)
    reference = exact.user_objective(NewtonCholeskySolver(tol=1e-12).solve(exact, exact.zero_coef()).coef)
    for entries in (ArrayDesign.approximate_entries, 0):
        design = ArrayDesign(X, approximate_entries=entries)
        obj = LinearObjective(design, y, BinomialLoss(), C=1e4)
        # The Hessian (of every row) as preconditioner: float32 CG stalls on it, where the
        # Schur preconditioner (the auto choice here) keeps float32 CG within the limit.
        solver = NewtonCGSolver(tol=1e-9, preconditioner="sampled-hessian")
        res = solver.solve(obj, obj.zero_coef())
        assert res.converged
        if entries:
            assert design.approximate_X() is not None  # the fit started on float32 products ...
            assert not solver.approximate  # ... and went on on exact ones
        assert abs(obj.user_objective(res.coef) - reference) <= 1e-10 * abs(reference)


def test_schur_keeps_at_most_the_mean_nonzeros_per_column_in_S():
    """p >> n: an application of M (2 |S| multiply-adds per coefficient) stays within a
    Hessian-vector product's (2 per non-zero): |S| is capped at nnz / n_dof weights."""
    X, y = sparse_wide()
    obj = _objective(X, y)
    coef = obj.zero_coef()
    raw = obj.linear_predictor(coef)
    cap = int(X.nnz / obj.n_dof)
    assert cap == 1  # 8,000 non-zeros over 4,001 coefficients
    pre = SchurJacobi(obj)
    pre.update(coef, raw)
    assert obj.n_dof - 1 in pre.S and pre.S.size == cap + 1  # the intercept and one column
    assert np.argmax(obj.hessian_diagonal(coef, raw)[:-1]) in pre.S  # the largest curvature
    uncapped = SchurJacobi(obj)
    uncapped.apply_cost = 1e6
    uncapped.update(coef, raw)
    assert uncapped.S.size > 10 * pre.S.size  # the cap is what limits S here
    # Both are the block LDL^T of the same Hessian: exact on their S.
    H = obj.gradient_hessian(coef, raw)[1]
    v = np.zeros(obj.size)
    v[pre.S] = np.random.default_rng(0).normal(size=pre.S.size)
    np.testing.assert_allclose(pre(H @ v), v, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("n, p, solver", [(200, 500, "newton-cholesky"), (1200, 600, "newton-cg")],
                         ids=["p>n", "p=n/2"])
def test_auto_fits_a_wide_dense_x_to_sklearn_objective(n, p, solver):
    """A dense X with p close to n or above it: no ``(p, p)`` Gram matrix and factor at every
    step (``p + p^2 / (3 n) > 500``). With fewer rows than coefficients Newton-Cholesky takes
    its exact step through the ``n x n`` system; otherwise Newton-CG with the Schur
    preconditioner (a sampled Hessian would be on every row: Newton-Cholesky's)."""
    from sklearn.datasets import make_classification

    from sklogloss.solvers import HESSIAN_FREE_WIDTH, NewtonCholeskySolver, select_solver

    X, y = make_classification(n_samples=n, n_features=p, n_informative=30, random_state=0)
    assert (p + 1) + (p + 1) ** 2 / (3 * n) > HESSIAN_FREE_WIDTH
    assert select_solver("auto", 0.0, p + 1, n_samples=n) == "newton-cg"
    assert select_solver("auto", 0.0, p + 1, n_samples=n, row_newton=True) == solver
    C = 1.0
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    f_ref = user_objective(X, y, ref.coef_, ref.intercept_, C)
    est = LogisticClassifier(C=C).fit(X, y)
    assert est.solver_ == solver
    f = user_objective(X, y, est.coef_, est.intercept_, C)
    assert (f - f_ref) / f_ref < 1e-8
    # The coefficients at tol=1e-11: within sqrt(p) tol / (the L2 term 1 / (C n)) <= 3e-7 of
    # the optimum, on any machine (the default tol, 1e-8, bounds them only to 3e-4).
    tight = LogisticClassifier(C=C, tol=1e-11).fit(X, y)
    np.testing.assert_allclose(tight.coef_, ref.coef_, atol=1e-6)
    obj = _objective(X, y, C)
    if solver == "newton-cg":
        cg = NewtonCGSolver()
        cg.setup(obj, obj.zero_coef())
        assert cg.schur is not None and cg.hess_obj is None
    else:
        newton = NewtonCholeskySolver(tol=1e-8)
        assert newton.solve(obj, obj.zero_coef()).converged
        assert newton.rows and newton.n_hessians == 0  # every step through the n x n system


@pytest.mark.parametrize("C", [0.01, 100.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_cholesky_through_the_row_system_reaches_sklearn_objective(C, fit_intercept):
    """Few rows, many columns, weighted samples: the steps through the ``n x n`` system (Woodbury)
    reach scikit-learn's objective, with a strong and with a weak L2 term (where the identity's
    division by the L2 strength would show any loss of accuracy). At C = 1e4 this data is all
    but separable, and scikit-learn's own fits stopped 1e-4 apart in two processes here."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=120, n_features=900, n_informative=20, random_state=3)
    sw = np.random.default_rng(3).uniform(0.2, 2.0, size=120)
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000,
                             fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    est = LogisticClassifier(C=C, fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    assert est.solver_ == "newton-cholesky"

    def objective(e):
        z = X @ e.coef_.ravel() + (e.intercept_[0] if fit_intercept else 0.0)
        return C * float(sw @ (np.logaddexp(0, z) - y * z)) + 0.5 * float(np.sum(e.coef_ ** 2))

    f, f_ref = objective(est), objective(ref)
    assert (f - f_ref) / f_ref < 1e-8


def test_newton_cholesky_through_the_row_system_converges_in_the_coefficients_under_a_weak_penalty():
    """C = 1e4 on 100 x 2,000: along the 1,900 directions X does not see the curvature is the L2
    strength alone, so a gradient below tol leaves the weights 6e-4 from the optimum. The row
    steps go on while the exact Newton correction exceeds tol / 10, as Newton-Cholesky's on a
    kept Hessian: scikit-learn's coefficients to 1e-6 (and its objective to 1e-8)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=100, n_features=2000, n_informative=20, random_state=0)
    C = 1e4
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    est = LogisticClassifier(C=C).fit(X, y)
    assert est.solver_ == "newton-cholesky"
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=0, atol=1e-6)

    def objective(e):
        z = X @ e.coef_.ravel() + e.intercept_[0]
        return C * float(np.sum(np.logaddexp(0, z) - y * z)) + 0.5 * float(np.sum(e.coef_ ** 2))

    assert (objective(est) - objective(ref)) / objective(ref) < 1e-8


def test_newton_cholesky_through_the_row_system_forms_no_hessian_under_a_very_weak_penalty():
    """C = 1e6 on 100 x 6,000: the intercept's Schur complement is about l2, and computed by
    cancellation it came out negative, so each such step fell back to the 6,001 x 6,001 Hessian
    (288 MB, 3.6 s). Every step now goes through the n x n system, to the objective of a tight
    Newton-CG fit (both at a tight tol: the data are separable, and the objective falls fivefold
    a step until the L2 term stops it)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 6000))
    y = (X[:, :5].sum(axis=1) + rng.normal(size=100) > 0).astype(float)
    obj = _objective(X, y, C=1e6)
    newton = NewtonCholeskySolver(tol=1e-10)
    result = newton.solve(obj, obj.zero_coef())
    assert result.converged and newton.rows and newton.n_hessians == 0
    ref = NewtonCGSolver(tol=1e-12, max_iter=1000).solve(obj, obj.zero_coef())
    assert (obj.loss(result.coef) - obj.loss(ref.coef)) <= 1e-8 * abs(obj.loss(ref.coef))


def test_newton_cholesky_through_the_row_system_with_a_few_huge_rows():
    """Three rows 1e5 times the others' scale (C = 1e4): the first row step's intercept was 13.1
    where the Hessian's is 1.7, and the fit stopped at the null model ("line search found no
    decrease"). It now reaches scikit-learn's objective."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 1000))
    y = (X[:, :5].sum(axis=1) + rng.normal(size=80) > 0).astype(int)
    X[:3] *= 1e5
    C = 1e4
    with warnings.catch_warnings():  # (scikit-learn's Hessian here has rcond 1e-20, and it says so)
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LogisticClassifier(C=C).fit(X, y)
    assert est.solver_ == "newton-cholesky"

    def objective(e):
        z = X @ e.coef_.ravel() + e.intercept_[0]
        return C * float(np.sum(np.logaddexp(0, z) - y * z)) + 0.5 * float(np.sum(e.coef_ ** 2))

    assert (objective(est) - objective(ref)) / objective(ref) < 1e-8


def test_newton_cg_auto_samples_a_single_output_hessian_only_where_a_refresh_is_cheap():
    """One output: a Hessian on a row sample while a refresh costs at most
    ``sampled_refresh_products`` products, the Schur preconditioner otherwise."""
    rng = np.random.default_rng(0)
    kinds = {}
    for n, p in [(30_000, 40), (3_000, 40), (30_000, 900)]:
        X = rng.normal(size=(n, p))
        obj = _objective(X, (X[:, 0] > 0).astype(int))
        solver = NewtonCGSolver()
        rows = solver._hessian_rows(obj)
        solver.setup(obj, obj.zero_coef())
        kinds[n, p] = ("sampled" if solver.hess_obj is not None else "schur",
                       rows < n and rows * obj.size <= 4 * solver.sampled_refresh_products * n)
    assert kinds == {(30_000, 40): ("sampled", True),   # 5,000 of 30,000 rows, a refresh of 1.7 products
                     (3_000, 40): ("schur", False),      # the sample would be every row
                     (30_000, 900): ("schur", False)}    # 9,010 rows: a refresh of 68 products


def test_newton_cg_auto_samples_a_multinomial_hessian_only_where_a_refresh_is_cheap():
    """Several outputs: the same rule (their Hessian's Kronecker Gram matrix costs rows * size^2 / 2)."""
    rng = np.random.default_rng(0)
    kinds = {}
    for n, p, K in [(30_000, 20, 5), (12_000, 20, 20)]:
        X = rng.normal(size=(n, p))
        obj = LinearObjective(X, np.eye(K)[rng.integers(0, K, n)], MultinomialLoss(), C=1.0)
        solver = NewtonCGSolver()
        solver.setup(obj, obj.zero_coef())
        kinds[n, K] = "sampled" if solver.hess_obj is not None else "schur"
    # 5,000 of 30,000 rows of 105 coefficients (a refresh of 4 products); 5,000 of 12,000 rows
    # of 420 (a refresh of 44 products).
    assert kinds == {(30_000, 5): "sampled", (12_000, 20): "schur"}


def test_many_classes_recompute_the_preconditioner_made_at_the_null_model():
    # At the start every sample has the same curvature; with 40 classes the blocks' couplings
    # then move while the diagonal moves by less than a quarter: the default schur_change
    # (0.1) recomputes M once the diagonal moved a tenth, and the fit needs fewer products
    # than with 0.25 for the same optimum.
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=12_000, n_features=30, n_informative=25, n_classes=40,
                               n_clusters_per_class=1, random_state=3)
    fits = {}
    for change in (0.1, 0.25):
        obj = LinearObjective(X, np.eye(40)[y], MultinomialLoss(), C=1.0)
        solver = NewtonCGSolver(tol=1e-8, schur_change=change)
        res = solver.solve(obj, obj.zero_coef())
        assert res.converged and solver.schur is not None
        fits[change] = (obj.objective(res.coef), solver.products, solver.schur.n_computed)
    assert NewtonCGSolver().schur_change == 0.1
    assert fits[0.1][2] > fits[0.25][2] == 1
    assert fits[0.1][1] < fits[0.25][1]
    assert abs(fits[0.1][0] - fits[0.25][0]) <= 1e-10 * abs(fits[0.25][0])


def test_csr_fit_with_schur_block_columns_allocates_less_than_x():
    """No copy of X: a fit on text-like CSR data (Zipf columns, the Schur preconditioner's dense
    columns) allocates at most half of X's bytes on top of X. scipy's sparse product allocates
    its bound on the result's entries (the co-occurring pairs) before summing: on the whole
    data at once that took the peak to 2.1 times X here; in row chunks it stays small, and
    the squares of X's values are made a block at a time (no squared copy)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, p, nnz = 20_000, 5_000, 40
    weights = 1.0 / np.arange(1, p + 1) ** 1.1
    cols = rng.choice(p, size=n * nnz, p=weights / weights.sum())
    X = sp.csr_matrix((np.log1p(rng.poisson(1.0, n * nnz) + 1.0), cols, np.arange(0, n * nnz + 1, nnz)),
                      shape=(n, p))
    X.sum_duplicates()
    y = (X @ (rng.normal(size=p) * (rng.uniform(size=p) < 0.05)) + rng.logistic(size=n) > 0).astype(int)
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    tracemalloc.start()
    try:
        clf = LogisticClassifier().fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert clf.solver_ == "newton-cg"
    assert peak <= 1.5 * x_bytes, (peak / 2**20, x_bytes / 2**20)
    ref = LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=1000).fit(X, y)

    def objective(est):  # scikit-learn's: C * sum of log-losses + |w|^2 / 2
        z = X @ est.coef_.ravel() + est.intercept_[0]
        return float(np.logaddexp(0, z).sum() - z[y == 1].sum() + 0.5 * est.coef_.ravel() @ est.coef_.ravel())

    assert objective(clf) <= objective(ref) * (1 + 1e-9)
