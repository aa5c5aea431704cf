import numpy as np
import pytest
import scipy.sparse as sp
from _stencil import five_point
from threadpoolctl import threadpool_limits

from sklogloss.losses import BinomialLoss, MultinomialLoss, sigmoid
from sklogloss.objective import ArrayDesign, LinearObjective
from sklogloss.utils._threads import blas_threads


def _problem(multi, n=60, p=5, seed=0, dtype=np.float64, order="C"):
    rng = np.random.default_rng(seed)
    X = np.asarray(rng.normal(size=(n, p)), dtype=dtype, order=order)
    if multi:
        y = rng.dirichlet(np.ones(3), size=n)
        loss = MultinomialLoss()
    else:
        y = rng.uniform(size=n)
        loss = BinomialLoss()
    sw = rng.uniform(0.5, 2.0, size=n)
    return X, y, loss, sw


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gradient_hessian_against_finite_differences(multi, fit_intercept):
    X, y, loss, sw = _problem(multi)
    obj = LinearObjective(X, y, loss, sample_weight=sw, fit_intercept=fit_intercept, C=0.7)
    coef = np.random.default_rng(1).normal(scale=0.5, size=obj.size)
    value, grad = obj.loss_gradient(coef)
    assert value == pytest.approx(obj.loss(coef), rel=1e-14)
    np.testing.assert_allclose(grad, five_point(obj.loss, coef, 1e-3), rtol=1e-7, atol=1e-10)
    g2, H = obj.gradient_hessian(coef)
    np.testing.assert_allclose(g2, grad, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(H, five_point(obj.gradient, coef, 1e-3), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(H, H.T, atol=1e-14)
    g3, hessp = obj.gradient_hessp(coef)
    np.testing.assert_allclose(g3, grad, rtol=1e-13, atol=1e-15)
    v = np.random.default_rng(2).normal(size=obj.size)
    np.testing.assert_allclose(hessp(v), H @ v, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("offset", [False, True])
def test_line_derivative_is_the_slope_along_the_step(multi, offset):
    """From the scores alone: the derivative of t -> f(coef + t step), by a finite difference and grad . step."""
    X, y, loss, sw = _problem(multi)
    off = np.random.default_rng(3).normal(size=(60, 3) if multi else 60) if offset else None
    obj = LinearObjective(X, y, loss, sample_weight=sw, C=0.7, offset=off)
    rng = np.random.default_rng(4)
    coef, step = rng.normal(scale=0.5, size=obj.size), rng.normal(size=obj.size)
    raw, raw_step = obj.linear_predictor(coef), obj.linear_predictor(step)
    for t in (0.0, 0.7):
        slope = obj.line_derivative(coef + t * step, step, raw + t * raw_step, raw_step,
                                    state=obj.loss_state(coef + t * step, raw + t * raw_step)[1])
        assert slope == pytest.approx(obj.gradient(coef + t * step) @ step, rel=1e-12)
        assert slope == pytest.approx(five_point(lambda s: obj.loss(coef + s[0] * step), np.array([t]), 1e-3)[0],
                                      rel=1e-7)
    assert "line_derivative" in obj.provides


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("weights", ["equal", "none", "varied"])
def test_equal_weights_scale_the_sums_and_give_the_same_derivatives(multi, weights):
    # Equal weights are applied to the row sums, not row by row (LinearObjective._uniform_weight):
    # value, gradient and Hessian-vector products must be those of the explicit Hessian, and
    # weights all equal to 3 must give the objective of no weights.
    X, y, loss, sw = _problem(multi)
    sample_weight = {"equal": np.full(len(X), 3.0), "none": None, "varied": sw}[weights]
    obj = LinearObjective(X, y, loss, sample_weight=sample_weight, C=0.7)
    assert (obj._uniform_weight() is None) == (weights == "varied")
    coef = np.random.default_rng(3).normal(scale=0.5, size=obj.size)
    g, H = obj.gradient_hessian(coef)
    np.testing.assert_allclose(obj.gradient(coef), five_point(obj.loss, coef, 1e-3), rtol=1e-7, atol=1e-10)
    g2, hessp = obj.gradient_hessp(coef)
    np.testing.assert_allclose(g2, g, rtol=1e-13, atol=1e-15)
    for seed in (4, 5):
        v = np.random.default_rng(seed).normal(size=obj.size)
        np.testing.assert_allclose(hessp(v), H @ v, rtol=1e-11, atol=1e-13)
    if weights == "equal":
        plain = LinearObjective(X, y, loss, C=0.7 * 3.0)  # C * sum(w) * f is the same objective
        np.testing.assert_allclose(obj.gradient(coef) * obj.weight_sum * obj.C,
                                   plain.gradient(coef) * plain.weight_sum * plain.C, rtol=1e-12)
        sub = obj.row_subset(np.arange(0, len(X), 2))  # its own sw: its own cached weight
        assert sub._uniform_weight() == pytest.approx(2.0 / len(X))


def test_hessian_is_fisher_information():
    """Hessian of the logistic objective = E_y[score score^T] under the model (per sample)."""
    X, _, loss, sw = _problem(False, n=40, p=3)
    coef = np.array([0.3, -0.2, 0.5, 0.1])
    obj0 = LinearObjective(X, np.zeros(40), loss, sample_weight=sw, C=np.inf)
    p = sigmoid(obj0.linear_predictor(coef))
    Xa = np.column_stack([X, np.ones(40)])
    w = sw / sw.sum()
    fisher = np.zeros((4, 4))
    for yv, prob in ((1.0, p), (0.0, 1 - p)):
        score = (p - yv)[:, None] * Xa  # per-sample gradient
        fisher += np.einsum("i,ij,ik->jk", w * prob, score, score)
    for y in (np.zeros(40), np.ones(40), np.full(40, 0.3)):  # the Hessian does not depend on y
        obj = LinearObjective(X, y, loss, sample_weight=sw, C=np.inf)
        np.testing.assert_allclose(obj.gradient_hessian(coef)[1], fisher, rtol=1e-12)


def test_objective_scaling_matches_user_objective():
    X, y, loss, sw = _problem(False)
    C, r = 0.3, 0.4
    obj = LinearObjective(X, y, loss, sample_weight=sw, C=C, l1_ratio=r)
    coef = np.random.default_rng(5).normal(size=obj.size)
    w = coef[:-1]
    raw = X @ w + coef[-1]
    F = C * np.sum(sw * loss.loss(y, raw)) + (1 - r) / 2 * w @ w + r * np.abs(w).sum()
    assert obj.user_objective(coef) == pytest.approx(F, rel=1e-13)


def test_intercept_is_a_column_of_ones():
    X, y, loss, sw = _problem(False)
    obj_i = LinearObjective(X, y, loss, sample_weight=sw, C=np.inf, fit_intercept=True)
    obj_c = LinearObjective(np.column_stack([X, np.ones(len(X))]), y, loss, sample_weight=sw,
                            C=np.inf, fit_intercept=False)
    coef = np.random.default_rng(6).normal(size=obj_i.size)
    assert obj_i.loss(coef) == pytest.approx(obj_c.loss(coef), rel=1e-14)
    np.testing.assert_allclose(obj_i.gradient_hessian(coef)[1], obj_c.gradient_hessian(coef)[1],
                               rtol=1e-12)


@pytest.mark.parametrize("multi", [False, True])
def test_csr_equals_dense_and_orders_and_blocks(multi):
    X, y, loss, sw = _problem(multi, n=300)
    X[np.abs(X) < 0.8] = 0
    coef = np.random.default_rng(7).normal(size=(3 if multi else 1) * 6)
    ref = LinearObjective(X, y, loss, sample_weight=sw)
    v_ref, g_ref = ref.loss_gradient(coef)
    _, H_ref = ref.gradient_hessian(coef)
    for design in (sp.csr_matrix(X), np.asfortranarray(X), ArrayDesign(X, block_rows=7)):
        obj = LinearObjective(design, y, loss, sample_weight=sw)
        v, g = obj.loss_gradient(coef)
        assert v == pytest.approx(v_ref, rel=1e-13)
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(obj.gradient_hessian(coef)[1], H_ref, rtol=1e-11, atol=1e-14)


def test_float32_agrees_with_float64():
    X, y, loss, sw = _problem(False, n=500)
    coef = np.random.default_rng(8).normal(scale=0.3, size=6)
    o64 = LinearObjective(X, y, loss, sample_weight=sw)
    o32 = LinearObjective(X.astype(np.float32), y.astype(np.float32), loss, sample_weight=sw)
    # Products in float32, scores (with the intercept) and sums in float64.
    assert o32.linear_predictor(coef).dtype == np.float64
    assert o32.loss(coef) == pytest.approx(o64.loss(coef), rel=1e-6)
    np.testing.assert_allclose(o32.gradient(coef), o64.gradient(coef), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(o32.gradient_hessian(coef)[1], o64.gradient_hessian(coef)[1],
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("K", [1, 3])
def test_float32_rmatmul_sums_in_float64(order, K):
    # X^T G over float32 rows equals the float64 product of the same numbers
    # (a float32 accumulation is off by ~1e-7 relative on this many rows).
    rng = np.random.default_rng(0)
    n = 3 * 4096 + 17  # several blocks and a partial one
    X32 = np.asarray(rng.normal(size=(n, 7)), dtype=np.float32, order=order)
    G = rng.normal(size=(n, K)) if K > 1 else rng.normal(size=n)
    exact = X32.astype(np.float64).T @ G
    np.testing.assert_allclose(ArrayDesign(X32).rmatmul(G), exact, rtol=1e-13, atol=1e-11)
    # exact=False (Hessian-vector products): the float32 product itself.
    fast = ArrayDesign(X32).rmatmul(G, exact=False)
    np.testing.assert_array_equal(fast, (G.astype(np.float32).T @ X32).T.astype(np.float64))
    assert not np.array_equal(fast, ArrayDesign(X32).rmatmul(G))


@pytest.mark.parametrize("kind", ["C", "F", "csr"])
@pytest.mark.parametrize("K", [1, 3])
def test_matmul64_is_the_float64_product_of_float32_values(kind, K):
    rng = np.random.default_rng(1)
    X32 = np.asarray(rng.normal(size=(5000, 9)) + 30, dtype=np.float32, order="C" if kind == "csr" else kind)
    W = rng.normal(size=(9, K)) if K > 1 else rng.normal(size=9)
    exact = X32.astype(np.float64) @ W
    # Row blocks of 100 (dense) and chunks of 6,400 non-zeros (CSR): several of each.
    design = ArrayDesign(sp.csr_matrix(X32) if kind == "csr" else X32, block_rows=100)
    np.testing.assert_allclose(design.matmul64(W), exact, rtol=1e-12, atol=1e-12 * np.abs(exact).max())
    # The float32 product rounds W and sums in float32: far coarser on these offset columns.
    assert np.max(np.abs(np.asarray(design.matmul(W), dtype=np.float64) - exact)) > 1e-6


def test_round_coef_rounds_weights_only():
    X, y, loss, _ = _problem(True, n=50)
    coef = np.random.default_rng(3).normal(size=18) / 3
    o64 = LinearObjective(X, y, loss)
    o32 = LinearObjective(X.astype(np.float32), y, loss)
    assert o64.round_coef(coef) is coef
    rounded = o32.round_coef(coef)
    W, b = o32.unpack(rounded)
    W0, b0 = o32.unpack(coef)
    assert np.array_equal(W, W0.astype(np.float32).astype(np.float64)) and not np.array_equal(W, W0)
    assert np.array_equal(b, b0)  # the intercept is added in float64


def test_integer_weights_equal_row_repetition():
    X, y, loss, _ = _problem(False, n=30)
    reps = np.random.default_rng(9).integers(0, 4, size=30)
    reps[0] = 1
    coef = np.random.default_rng(10).normal(size=6)
    # Same C * sum s_i l_i: compare the user objective and its gradient scaled back.
    a = LinearObjective(X, y, loss, sample_weight=reps.astype(float), C=2.0)
    b = LinearObjective(np.repeat(X, reps, axis=0), np.repeat(y, reps), loss, C=2.0)
    assert a.user_objective(coef) == pytest.approx(b.user_objective(coef), rel=1e-13)
    np.testing.assert_allclose(a.gradient(coef), b.gradient(coef), rtol=1e-12)


def test_l2_penalty_spares_intercept_and_c_inf_has_none():
    X, y, loss, sw = _problem(False)
    coef = np.zeros(6)
    coef[-1] = 5.0
    a = LinearObjective(X, y, loss, C=1e-3)
    b = LinearObjective(X, y, loss, C=np.inf)
    assert a.loss(coef) == pytest.approx(b.loss(coef), rel=1e-14)
    coef[0] = 1.0
    assert a.loss(coef) - b.loss(coef) == pytest.approx(0.5 * a.alpha, rel=1e-12)
    assert b.alpha == 0


def test_zero_weight_sum_rejected():
    X, y, loss, _ = _problem(False)
    with pytest.raises(ValueError, match="sum to zero"):
        LinearObjective(X, y, loss, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_hessian_diagonal_is_the_diagonal_of_the_hessian(multi, sparse):
    X, y, loss, sw = _problem(multi, n=100)
    X[np.abs(X) < 0.5] = 0
    obj = LinearObjective(sp.csr_matrix(X) if sparse else ArrayDesign(X, block_rows=17), y, loss,
                          sample_weight=sw, C=0.3)
    coef = np.random.default_rng(11).normal(scale=0.5, size=obj.size)
    np.testing.assert_allclose(obj.hessian_diagonal(coef), np.diag(obj.gradient_hessian(coef)[1]),
                               rtol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_targets_are_laid_out_as_the_scores(sparse):
    # Elementwise work on (n, K) scores and targets of different layouts is
    # several times slower: the objective stores the targets in the scores' layout.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    X = sp.csr_matrix(X) if sparse else X
    Y = np.eye(4)[rng.integers(0, 4, 40)]
    obj = LinearObjective(X, Y, MultinomialLoss())
    raw = obj.linear_predictor(rng.normal(size=obj.size))
    sub = obj.row_subset(np.arange(0, 40, 3))
    for o, r in [(obj, raw), (sub, sub.linear_predictor(rng.normal(size=obj.size)))]:
        assert o.y.flags.f_contiguous == r.flags.f_contiguous
        assert o.y.flags.c_contiguous == r.flags.c_contiguous
    np.testing.assert_array_equal(obj.y, Y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("K", [None, 3])
def test_threaded_dense_squared_rmatmul_is_numpys(dtype, layout, K):
    # (X * X).T @ D from row ranges in threads, each squared a few rows at a time into a
    # buffer: the ranges' and sub-blocks' edges (uneven: 7 rows of 40 columns a block, 3
    # threads over 301 rows) must neither drop nor repeat a row, whatever X's layout.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(602 if layout == "strided" else 301, 40)).astype(dtype)
    X = X[::2] if layout == "strided" else np.asarray(X, order=layout)
    D = rng.random(301) if K is None else rng.random((301, K))
    design = ArrayDesign(X, n_threads=3)
    design.min_entries_per_thread = 1000
    design.square_block_entries = 7 * 40 + 5
    before = blas_threads()
    out = design.squared_rmatmul(D)
    assert out.dtype == np.float64 and out.shape == (40,) + D.shape[1:]
    expected = np.square(X.astype(np.float64)).T @ D
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=rtol)
    assert blas_threads() == before  # the BLAS limit is restored
    # One thread (too few entries per thread) is the same product.
    design.min_entries_per_thread = X.size + 1
    np.testing.assert_allclose(design.squared_rmatmul(D), expected, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_sparse_products_equal_the_single_threaded_ones(dtype):
    # Row blocks of about equal non-zeros, computed in threads, give scipy's products.
    rng = np.random.default_rng(0)
    X = sp.random(3000, 40, density=0.2, format="csr", random_state=1, dtype=dtype)
    X.data = rng.normal(size=X.nnz).astype(dtype)
    design = ArrayDesign(X, n_threads=3)
    design.min_nnz_per_thread = 1000
    blocks = design.sparse_blocks(X)
    assert len(blocks) == 3
    assert [b[0].start for b in blocks] == [0, blocks[0][0].stop, blocks[1][0].stop] and blocks[-1][0].stop == 3000
    assert max(b[1].nnz for b in blocks) < 1.1 * X.nnz / 3
    assert all(np.shares_memory(b[1].data, X.data) for b in blocks)
    w, W = rng.normal(size=40), rng.normal(size=(40, 4))
    g, G = rng.normal(size=3000), rng.normal(size=(3000, 4))
    # float32: the blocks' partial sums are added in another order (rounding ~1e-5 of ~25).
    rtol, atol = (1e-5, 1e-4) if dtype == np.float32 else (1e-12, 1e-10)
    np.testing.assert_allclose(design.matmul(w), X @ w.astype(dtype), rtol=rtol)
    np.testing.assert_allclose(design.matmul(W), X @ W.astype(dtype), rtol=rtol)
    np.testing.assert_allclose(design.rmatmul(g), X.T.astype(np.float64) @ g, rtol=rtol, atol=atol)
    np.testing.assert_allclose(design.rmatmul(G), X.T.astype(np.float64) @ G, rtol=rtol, atol=atol)
    np.testing.assert_allclose(design.squared_rmatmul(G), X.multiply(X).T.astype(np.float64) @ G,
                               rtol=rtol, atol=atol)
    # A solver runs with single-threaded BLAS on a threaded design, with the BLAS default otherwise
    # (on a dense X: above its small_entries, below which a dense design is single-threaded too).
    with design.solver_context():
        assert blas_threads() == 1
    # ... and on a CSR X of one block too: there BLAS only has the coefficients' vector work
    # and a preconditioner's small factorisations, which two threads make slower.
    small = ArrayDesign(X[:50])
    assert len(small.sparse_blocks(small.X)) == 1
    with small.solver_context():
        assert blas_threads() == 1
    dense = ArrayDesign(X.toarray())
    dense.small_entries = X.shape[0] * X.shape[1] - 1
    with dense.solver_context():
        assert blas_threads() == ArrayDesign(X).n_threads
    dense.small_entries = X.shape[0] * X.shape[1]
    with dense.solver_context():
        assert blas_threads() == 1
    # Limited to one thread (threadpoolctl) when it is made, a design multiplies X itself.
    with threadpool_limits(1, user_api="blas"):
        single = ArrayDesign(X)
    single.min_nnz_per_thread = 1000
    assert single.n_threads == 1 and single.sparse_blocks(X) == [(slice(0, 3000), X)]


def test_a_large_dense_design_leaves_numpy_blas_its_threads_and_gives_the_others_one():
    """scipy's wheel brings an OpenBLAS beside numpy's: in a large dense design's solver context
    that one runs on one thread (two pools that take turns spin on each other's cores),
    numpy's keeps its threads; after the context both are as before."""
    import os

    from sklogloss.utils._threads import blas_controller

    home = os.path.dirname(os.path.abspath(np.__file__))
    blas = blas_controller().select(user_api="blas")
    numpy_own = [c for c in blas.lib_controllers if c.filepath.startswith(home)]
    other = [c for c in blas.lib_controllers if not c.filepath.startswith(home)]
    if not numpy_own or not other:
        pytest.skip("a single BLAS library (numpy and scipy linked to one): nothing to limit")
    with threadpool_limits(2, user_api="blas"):
        before = [c.num_threads for c in numpy_own + other]
        design = ArrayDesign(np.ones((1000, 500)))
        assert 1000 * 500 > design.small_entries
        with design.solver_context():
            assert [c.num_threads for c in other] == [1] * len(other)
            assert [c.num_threads for c in numpy_own] == before[: len(numpy_own)]
        assert [c.num_threads for c in numpy_own + other] == before


def test_single_threaded_blas_sets_one_thread_and_restores_each_librarys_count():
    """Within the context every BLAS library runs on one thread, nested entries change nothing,
    and leaving restores each library's own count (set by the caller, here 2 and 1)."""
    from sklogloss.utils._threads import blas_controller, single_threaded_blas

    blas = blas_controller().select(user_api="blas")
    if not blas.lib_controllers:
        pytest.skip("no BLAS library that threadpoolctl controls")
    with threadpool_limits(2, user_api="blas"):
        blas.lib_controllers[-1].set_num_threads(1)  # one library already at one thread
        before = [c.num_threads for c in blas.lib_controllers]
        with single_threaded_blas():
            assert [c.num_threads for c in blas.lib_controllers] == [1] * len(before)
            with single_threaded_blas():
                assert [c.num_threads for c in blas.lib_controllers] == [1] * len(before)
            assert [c.num_threads for c in blas.lib_controllers] == [1] * len(before)
        assert [c.num_threads for c in blas.lib_controllers] == before
        with pytest.raises(RuntimeError):  # restored on an exception too
            with single_threaded_blas():
                raise RuntimeError
        assert [c.num_threads for c in blas.lib_controllers] == before


def test_weighted_sums_before_a_fit_are_the_products_they_replace():
    # weighted_sum (einsum, no BLAS threads woken before a solver) is w @ A over the samples,
    # for vectors, matrices, a strided column and float32 values; the null model's target mass
    # and the class masses use it.
    from sklogloss.estimators._targets import LabelTargets, OneVsRestTargets
    from sklogloss.utils._threads import weighted_sum

    rng = np.random.default_rng(0)
    w, A = rng.uniform(size=20_000), rng.normal(size=(20_000, 3))
    for values in [A[:, 0], A, A[:, 1:], A.astype(np.float32), A[:, 2].astype(np.float32)]:
        out = weighted_sum(w, values)
        assert np.shape(out) == np.shape(w @ values)
        np.testing.assert_allclose(out, w @ values.astype(np.float64), rtol=1e-12)
    X, y, loss, sw = _problem(True, n=300)
    obj = LinearObjective(X, y, loss, sample_weight=sw)
    np.testing.assert_allclose(obj.target_mass(), obj.sample_weight @ obj.y, rtol=1e-13)
    labels = rng.integers(0, 3, 400)
    sw = rng.uniform(size=400)
    targets = LabelTargets()
    Y = targets.fit_transform(labels)
    np.testing.assert_allclose(targets.class_mass(Y, sw), [sw[labels == k].sum() for k in range(3)], rtol=1e-13)
    binary = OneVsRestTargets()
    Y = binary.fit_transform(labels == 1)
    np.testing.assert_allclose(binary.class_mass(Y, sw), [sw[labels != 1].sum(), sw[labels == 1].sum()],
                               rtol=1e-13)


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_approximate_hessp_is_the_hessian_product_to_float32_accuracy(multi, weighted, fit_intercept):
    # On a small float64 X the approximate products run on a float32 copy (for several outputs
    # the per-sample curvature too, in float32): within float32 rounding of H v, and the
    # gradient that comes with them is the exact one. Equal weights scale the row sums,
    # unequal ones each row: both paths.
    X, y, loss, sw = _problem(multi, n=300)
    obj = LinearObjective(X, y, loss, sample_weight=sw if weighted else None, C=0.7, fit_intercept=fit_intercept)
    assert (obj._uniform_weight() is None) == weighted
    assert "approximate_hessp" in obj.provides and obj.design.approximate_X() is not None
    coef = np.random.default_rng(1).normal(scale=0.5, size=obj.size)
    grad, H = obj.gradient_hessian(coef)
    g_approx, hessp = obj.gradient_hessp(coef, approximate=True)
    np.testing.assert_array_equal(g_approx, obj.gradient_hessp(coef)[0])
    np.testing.assert_allclose(g_approx, grad, rtol=1e-13, atol=1e-15)
    for seed in range(3):
        v = np.random.default_rng(seed).normal(size=obj.size)
        err = np.abs(hessp(v) - H @ v).max()
        assert 0 < err <= 1e-5 * np.abs(H @ v).max()  # float32, not float64, arithmetic
        np.testing.assert_allclose(obj.gradient_hessp(coef)[1](v), H @ v, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("square", [False, True])
def test_block_columns_where_every_sample_has_the_same_curvature(square):
    # At the null model (every score the same) the K blocks are one weighted Gram scaled
    # per output; with unequal sample weights they must still be the Hessian's blocks.
    X, y, loss, sw = _problem(True, n=80)
    obj = LinearObjective(X, y, loss, sample_weight=sw, C=0.4)
    K, m = obj.n_outputs, obj.n_dof
    coef = obj.zero_coef()
    coef.reshape(K, m)[:, -1] = [0.3, -0.2, 0.5]  # intercepts only: equal scores on every row
    H = obj.gradient_hessian(coef)[1]
    columns = [4, 1, 5]  # a weight, another, the intercept
    shapes, product = [], obj.design.weighted_cross_gram
    obj.design.weighted_cross_gram = lambda D, *args, **kwargs: shapes.append(D.shape) or product(D, *args, **kwargs)
    blocks = obj.hessian_block_columns(coef, columns, square=square)
    assert shapes == [(80,)]  # one product for the K outputs
    for k in range(K):
        block = H[k * m:(k + 1) * m, k * m:(k + 1) * m]
        expected = block[np.ix_(columns, columns)] if square else block[:, columns]
        np.testing.assert_allclose(blocks[k], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.3, 1e4, 1e6])
def test_newton_step_rows_is_the_hessian_solve(fit_intercept, C):
    """Through the n x n system (Woodbury, the intercept by its Schur complement): the same step
    as the full Hessian's, with sample weights (four of them zero) and an offset, under a strong
    and a weak penalty. The Schur complement is O(l2): as ``sum d - c^T A^{-1} c`` it lost every
    digit (relative error 4e-7 at C = 1e4, 1e-2 at C = 1e6, no step at 1e8); the Woodbury
    weights keep a rounding of about eps / l2 (4e-11 and 4e-9 here)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 80))
    y = (X[:, 0] + rng.normal(size=30) > 0).astype(float)
    sw = rng.uniform(0.1, 3.0, size=30)
    sw[:4] = 0.0
    obj = LinearObjective(X, y, BinomialLoss(), C=C, fit_intercept=fit_intercept,
                          sample_weight=sw, offset=rng.normal(size=30))
    assert "row_newton" in obj.provides
    coef = rng.normal(scale=0.2, size=obj.size)
    grad, H = obj.gradient_hessian(coef)
    step, ref = obj.newton_step_rows(coef, grad), -np.linalg.solve(H, grad)
    assert np.linalg.norm(step - ref) <= (1e-12 if C < 1 else 1e-6) * np.linalg.norm(ref)


def test_newton_step_rows_damps_an_l2_term_below_rounding():
    """Duplicated rows and C = 1e14: M = l2 I + D^{1/2} X X^T D^{1/2} is singular to rounding. The
    step is then a Levenberg-Marquardt one, the Newton step of the L2 term 1e-10 max diag(M) on the
    weights (the full Hessian with that term: a descent direction)."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(20, 60))
    X = np.vstack([X, X])  # every row twice: X X^T has rank 20 of 40
    y = (X[:, 0] > 0).astype(float)
    obj = LinearObjective(X, y, BinomialLoss(), C=1e14)
    coef = obj.zero_coef()
    grad = obj.gradient(coef)
    step = obj.newton_step_rows(coef, grad)
    assert step is not None and np.all(np.isfinite(step))
    assert float(grad @ step) < 0
    d = 0.25 / len(X)  # the curvature of every row at zero scores, with weights summing to 1
    H = obj.gradient_hessian(coef)[1]
    H[np.arange(60), np.arange(60)] += 1e-10 * d * float(np.max(np.sum(X ** 2, axis=1))) - obj.l2_strength
    ref = -np.linalg.solve(H, grad)  # (both solves of a system of condition about 1e10)
    assert np.linalg.norm(step - ref) <= 1e-4 * np.linalg.norm(ref)


def test_newton_step_rows_only_where_the_row_gram_is_offered():
    """A float32 or CSR X, no L2 term, several outputs, a float32 row sample: no capability, and
    the method says None."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(20, 40))
    y = (X[:, 0] > 0).astype(float)
    cases = [LinearObjective(X.astype(np.float32), y, BinomialLoss()),
             LinearObjective(sp.csr_matrix(X), y, BinomialLoss()),
             LinearObjective(X, y, BinomialLoss(), C=np.inf),
             LinearObjective(X, np.eye(3)[rng.integers(0, 3, size=20)], MultinomialLoss())]
    full = LinearObjective(X, y, BinomialLoss())
    assert "row_newton" in full.provides
    cases.append(full.row_subset(np.arange(10), dtype=np.float32))  # a float32 row sample of it
    for obj in cases:
        assert "row_newton" not in obj.provides
        assert obj.newton_step_rows(obj.zero_coef(), obj.gradient(obj.zero_coef())) is None
    sub = full.row_subset(np.arange(10))  # a float64 one keeps it, and its step is its Hessian's
    g, H = sub.gradient_hessian(sub.zero_coef())
    np.testing.assert_allclose(sub.newton_step_rows(sub.zero_coef(), g), -np.linalg.solve(H, g), rtol=1e-9)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_output_hessp_reads_a_large_dense_x_once_and_is_the_hessian_product(fit_intercept, dtype):
    # A dense X above fused_bytes: each product is Design.hessian_product's blocks (here of 9
    # rows), X^T D (X w + b) and its intercept sum in one read; it is H v of the full Hessian.
    X, y, loss, sw = _problem(False, n=250, dtype=dtype)
    design = ArrayDesign(X)
    design.fused_bytes, design.fused_block_bytes = 0, 9 * X.shape[1] * X.itemsize
    calls = []
    product = design.hessian_product
    design.hessian_product = lambda *a, **k: calls.append(1) or product(*a, **k)
    offset = np.random.default_rng(3).normal(size=len(y))
    obj = LinearObjective(design, y, loss, sample_weight=sw, fit_intercept=fit_intercept, C=0.7, offset=offset)
    coef = np.random.default_rng(1).normal(scale=0.5, size=obj.size)
    H = LinearObjective(X.astype(np.float64), y, loss, sample_weight=sw, fit_intercept=fit_intercept, C=0.7,
                        offset=offset).gradient_hessian(coef)[1]
    hessp = obj.gradient_hessp(coef)[1]
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for seed in range(3):
        v = np.random.default_rng(seed).normal(size=obj.size)
        np.testing.assert_allclose(hessp(v), H @ v, rtol=0, atol=tol * (np.abs(H) @ np.abs(v)).max())
    assert len(calls) == 3
