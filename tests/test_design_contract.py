"""The design contract (sklogloss.design.base): every design against plain numpy.

A new design (chunked, dask) is one entry of ``DESIGNS``: a factory that makes
it from a dense X in the entry's dtype. Every product is compared with the same
product of that X converted to float64. Tolerances: 1e-12 relative to the
magnitude of the terms for products in float64 arithmetic, 1e-5 for products a
float32 design may compute in float32.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklogloss.design import ArrayDesign, Design

N, P, K = 203, 6, 3
EXACT, FLOAT32 = 1e-12, 1e-5


def _threaded_csr(X):
    design = ArrayDesign(sp.csr_matrix(X), n_threads=2)
    design.min_nnz_per_thread = 100
    assert len(design.sparse_blocks(design.X)) == 2  # the threaded sparse path runs
    return design


def _fused(X):
    # hessian_product reads X once, in blocks of 7 rows (the path of a dense X above fused_bytes).
    design = ArrayDesign(X)
    design.fused_bytes, design.fused_block_bytes = 0, 7 * X.shape[1] * X.itemsize
    return design


def _fused_csr(X, threads=1, index_dtype=np.int32):
    # hessian_product reads X once, in row blocks of about 50 non-zeros (the path of a CSR X
    # above fused_sparse_bytes), in one thread or two; weighted_cross_gram's sparse products
    # run on chunks of a few rows.
    X = sp.csr_matrix(X)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    design = ArrayDesign(X, n_threads=threads)
    design.min_nnz_per_thread, design.fused_sparse_bytes, design.fused_block_nnz = 100, 0, 50
    design.cross_gram_pairs = 20  # weighted_cross_gram in row chunks of a few rows
    plans = design._fused_sparse_blocks()
    assert len(plans) == threads and all(len(plan) > 3 for plan in plans)  # the blocked path runs
    return design


@dataclass(frozen=True)
class DesignCase:
    id: str
    make: Callable  # dense X of `dtype` -> Design
    dtype: type = np.float64
    min_blocks: int = 1  # row_blocks yields at least this many blocks


DESIGNS = [
    DesignCase("dense-C-f64", lambda X: ArrayDesign(np.ascontiguousarray(X))),
    DesignCase("dense-F-f64", lambda X: ArrayDesign(np.asfortranarray(X))),
    DesignCase("dense-f32", ArrayDesign, np.float32),
    DesignCase("csr-f64", lambda X: ArrayDesign(sp.csr_matrix(X))),
    DesignCase("csr-f32", lambda X: ArrayDesign(sp.csr_matrix(X)), np.float32),
    DesignCase("csr-threaded-f64", _threaded_csr),
    DesignCase("csr-threaded-f32", _threaded_csr, np.float32),
    DesignCase("csr-fused-f64", _fused_csr),
    DesignCase("csr-fused-threaded-int64-f64", lambda X: _fused_csr(X, 2, np.int64)),
    DesignCase("csr-fused-threaded-f32", lambda X: _fused_csr(X, 2), np.float32),
    DesignCase("dense-blocks7-f64", lambda X: ArrayDesign(X, block_rows=7), min_blocks=N // 7),
    DesignCase("dense-fused-f64", lambda X: _fused(X)),
    DesignCase("dense-fused-F-f32", lambda X: _fused(np.asfortranarray(X)), np.float32),
]
designs = pytest.mark.parametrize("case", DESIGNS, ids=[c.id for c in DESIGNS])
outputs = pytest.mark.parametrize("k", [None, K], ids=["1d", "2d"])
ABSTRACT = {  # the products every design must implement, with arguments of the right shapes
    "row_blocks": lambda: (), "matmul": lambda: (np.ones(P),), "matmul64": lambda: (np.ones(P),),
    "rmatmul": lambda: (np.ones(N),), "squared_rmatmul": lambda: (np.ones(N),),
    "weighted_gram": lambda: (np.ones(N),), "weighted_cross_gram": lambda: (np.ones(N), [0]),
    "column_nnz": lambda: (),
    "block_gram": lambda: (np.ones((N, K)), np.ones((N, K))),
    "take_rows": lambda: (np.arange(3),), "squared_norm_bound": lambda: (),
}


def _data(case, seed=0):
    """The design and the float64 values of its X (its own dtype's numbers)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, P))
    X[np.abs(X) < 0.5] = 0  # about 40% zeros
    X[5] = 0  # an empty row
    X = X.astype(case.dtype)
    return case.make(X), X.astype(np.float64)


def _vec(rng, rows, k):
    return rng.normal(size=rows if k is None else (rows, k))


def _check(got, expected, scale, tol):
    """``|got - expected| <= tol * max(scale)``: ``scale`` bounds the magnitude of the summed terms."""
    got = np.asarray(got)
    assert got.shape == expected.shape
    err = np.abs(got.astype(np.float64) - expected).max(initial=0)
    assert err <= tol * max(np.abs(scale).max(initial=0), 1e-300), (err, tol)


def _fast_tol(design):
    return FLOAT32 if design.dtype == np.float32 else EXACT


def _check_matmul(design, X, W):
    out = design.matmul(W)
    assert isinstance(out, np.ndarray) and out.dtype == design.dtype
    if W.ndim == 2:
        assert out.flags.f_contiguous if design.score_order == "F" else out.flags.c_contiguous
    _check(out, X @ W, np.abs(X) @ np.abs(W), _fast_tol(design))


def _check_rmatmul(design, X, G):
    exact_tol = EXACT if design.dtype == np.float64 or design.float64_sums else FLOAT32
    for exact, tol in ((None, exact_tol), (False, _fast_tol(design))):
        out = design.rmatmul(G, exact=exact)
        assert out.dtype == np.float64
        _check(out, X.T @ G, np.abs(X).T @ np.abs(G), tol)


# --------------------------------------------------------------------- tests
@designs
def test_attributes(case):
    design, X = _data(case)
    assert isinstance(design, Design)
    assert (design.n_samples, design.n_features) == X.shape
    assert design.dtype == case.dtype
    assert design.score_order in ("C", "F")
    assert isinstance(design.float64_sums, bool)  # take_rows: False (an estimate)


@designs
def test_abstract_products_are_implemented(case):
    design, _ = _data(case)
    for name in ABSTRACT:
        assert getattr(type(design), name) is not getattr(Design, name), name


def test_base_design_raises_for_its_abstract_products():
    base = Design()
    for name, args in ABSTRACT.items():
        with pytest.raises(NotImplementedError):
            result = getattr(base, name)(*args())
            next(iter(result))  # a generator raises when iterated
    with base.solver_context():  # the one default: no context
        pass


@designs
@outputs
def test_matmul(case, k):
    design, X = _data(case)
    _check_matmul(design, X, _vec(np.random.default_rng(1), P, k))


@designs
@outputs
def test_matmul64_is_float64_arithmetic(case, k):
    design, X = _data(case)
    W = _vec(np.random.default_rng(2), P, k) / 3  # not representable in float32
    out = design.matmul64(W)
    assert out.dtype == np.float64
    _check(out, X @ W, np.abs(X) @ np.abs(W), EXACT)


@designs
@outputs
def test_rmatmul(case, k):
    design, X = _data(case)
    G = _vec(np.random.default_rng(3), N, k)
    _check_rmatmul(design, X, G)
    if k is not None:  # targets and gradients are laid out as the scores
        _check_rmatmul(design, X, np.asarray(G, order=design.score_order))


@designs
@pytest.mark.parametrize("shift", [0.0, 0.7])
@pytest.mark.parametrize("approximate", [False, True])
def test_hessian_product(case, shift, approximate):
    # (X^T u, sum u) with u = d (X v + shift): what a Hessian-vector product of one output needs.
    design, X = _data(case)
    rng = np.random.default_rng(8)
    d, v = rng.uniform(size=N), rng.normal(size=P)
    Xtu, total = design.hessian_product(d, v, shift, approximate=approximate)
    u = d * (X @ v.astype(case.dtype) + shift)
    scale = np.abs(X).T @ (d * (np.abs(X) @ np.abs(v) + shift))
    tol = FLOAT32 if approximate else _fast_tol(design)
    assert isinstance(Xtu, np.ndarray) and Xtu.dtype == np.float64 and isinstance(total, float)
    _check(Xtu, X.T @ u, scale, tol)
    _check(np.array(total), np.array(u.sum()), d @ (np.abs(X) @ np.abs(v) + shift), tol)
    # The default (two products) gives the same within the products' rounding.
    Xtu2, total2 = Design.hessian_product(design, d, v, shift, approximate=approximate)
    _check(Xtu, Xtu2, scale, tol)


@pytest.mark.parametrize("make", [lambda X: ArrayDesign(sp.csr_matrix(X)), _threaded_csr], ids=["one", "threaded"])
def test_csr_transposes_are_made_once_and_share_the_arrays_of_x(make):
    # X^T u runs on CSC views of X's row blocks, built once (scipy's .T builds and checks a new
    # matrix per product): the same objects at every product, no copy of X's arrays.
    design = make(np.random.default_rng(0).normal(size=(N, P)))
    first = design._sparse_transposed_blocks(design.X)
    again = design._sparse_transposed_blocks(design.X)
    assert len(first) == len(again) and all(a[1] is b[1] for a, b in zip(first, again))
    for (_, XbT), (_, Xb) in zip(first, design.sparse_blocks(design.X)):
        assert np.shares_memory(XbT.data, design.X.data) and np.shares_memory(XbT.indices, design.X.indices)
        np.testing.assert_array_equal(XbT.toarray(), Xb.toarray().T)


def test_threaded_csr_hessian_product_hands_each_block_to_one_thread_task(monkeypatch):
    # Both products of a row block in one task: one hand-off of the threads per product.
    import sklogloss.design.array as array

    design = _threaded_csr(np.random.default_rng(0).normal(size=(N, P)))
    calls = []
    original = array.parallel_map
    monkeypatch.setattr(array, "parallel_map", lambda f, items: calls.append(len(items)) or original(f, items))
    Xtu, total = design.hessian_product(np.ones(N), np.ones(P), 0.5)
    assert calls == [2]
    X = design.X.toarray()
    np.testing.assert_allclose(Xtu, X.T @ (X @ np.ones(P) + 0.5), rtol=1e-12)


@designs
@outputs
def test_approximate_products(case, k):
    # approximate=True: within float32 accuracy of the exact product, in the layout of matmul.
    design, X = _data(case)
    rng = np.random.default_rng(11)
    W, G = _vec(rng, P, k), _vec(rng, N, k)
    out = design.matmul(W, approximate=True)
    assert out.dtype in (np.float32, design.dtype)
    if W.ndim == 2:
        assert out.flags.f_contiguous if design.score_order == "F" else out.flags.c_contiguous
    _check(out, X @ W, np.abs(X) @ np.abs(W), FLOAT32)
    back = design.rmatmul(G, approximate=True)
    assert back.dtype == np.float64
    _check(back, X.T @ G, np.abs(X).T @ np.abs(G), FLOAT32)


def test_approximate_products_of_a_small_float64_x_are_float32_on_one_copy():
    X = np.random.default_rng(0).normal(size=(N, P))
    design = ArrayDesign(X)
    assert design.matmul(np.ones(P)).dtype == np.float64  # the exact product is untouched
    X32 = design.approximate_X()
    assert X32.dtype == np.float32 and X32.shape == X.shape and X32 is design.approximate_X()
    # X rounded, column-major whatever X's order (its products with a few columns are BLAS's fast case)
    assert X32.flags.f_contiguous and X.flags.c_contiguous
    assert_array_equal(X32, X.astype(np.float32))
    assert design.approximates()
    assert design.matmul(np.ones((P, K)), approximate=True).dtype == np.float32
    # rounding X to float32 is the only error of the product (a float32 product of float32 values)
    W = np.random.default_rng(1).normal(size=(P, K)).astype(np.float32).astype(np.float64)
    assert_array_equal(design.matmul(W, approximate=True), (W.astype(np.float32).T @ X32.T).T)
    # every row in float32 (the Schur preconditioner's sample of a small X) is that same copy
    assert design.take_rows(np.arange(N), dtype=np.float32).X is X32
    assert design.take_rows(np.arange(N)[::-1], dtype=np.float32).X is not X32


@pytest.mark.parametrize("make", [
    lambda X: ArrayDesign(X, approximate_entries=N * P - 1),  # above the limit
    lambda X: ArrayDesign(X, approximate_entries=0),  # a distributed fit's row block
    lambda X: ArrayDesign(X.astype(np.float32)),  # already float32
    lambda X: ArrayDesign(sp.csr_matrix(X)),  # sparse
    lambda X: ArrayDesign(X * np.logspace(-3, 3, P)),  # column norms 1e6 apart (float32 rounding swamps the small)
], ids=["large", "disabled", "float32", "csr", "badly-scaled"])
def test_no_float32_copy_where_it_is_not_allowed(make):
    design = make(np.random.default_rng(0).normal(size=(N, P)))
    assert design.approximate_X() is None and not design.approximates()
    W = np.ones((P, K))
    assert design.matmul(W, approximate=True).dtype == design.dtype


@designs
@outputs
def test_squared_rmatmul(case, k):
    design, X = _data(case)
    D = np.abs(_vec(np.random.default_rng(4), N, k))
    out = design.squared_rmatmul(D)
    assert out.dtype == np.float64
    _check(out, (X * X).T @ D, (X * X).T @ D, _fast_tol(design))


@designs
@pytest.mark.parametrize("nonneg", [True, False])
def test_weighted_gram(case, nonneg):
    design, X = _data(case)
    d = np.random.default_rng(5).normal(size=N)
    d = np.abs(d) if nonneg else d
    assert nonneg or (d.min() < 0 < d.max())
    out = design.weighted_gram(d, nonneg=nonneg)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (P, P)
    expected = X.T @ (d[:, None] * X)
    _check(out, expected, np.abs(X).T @ (np.abs(d)[:, None] * np.abs(X)), _fast_tol(design))
    _check(out, out.T, np.abs(expected), _fast_tol(design))


@designs
def test_column_nnz(case):
    design, X = _data(case)
    out = design.column_nnz()
    # CSR: the stored entries per column; dense: every row counts.
    expected = np.count_nonzero(X, axis=0) if getattr(design, "is_sparse", False) else np.full(P, N)
    assert_array_equal(out, expected)


def test_column_nnz_over_several_chunks_of_indices():
    # ArrayDesign counts a CSR X's indices by chunks of 2^18: a count spread over three
    # chunks (and over columns a chunk does not reach) is scipy's.
    import scipy.sparse as sp

    from sklogloss.design import ArrayDesign

    X = sp.hstack([sp.random(3000, 650, density=0.3, random_state=0), sp.csr_matrix((3000, 50))]).tocsr()
    assert X.nnz > 2 * (1 << 18)
    assert_array_equal(ArrayDesign(X).column_nnz(), X.getnnz(axis=0))


@designs
@outputs
@pytest.mark.parametrize("rows", [None, [5, 1]], ids=["all-rows", "some-rows"])
def test_weighted_cross_gram(case, k, rows):
    design, X = _data(case)
    D = _vec(np.random.default_rng(8), N, k)
    columns = np.array([4, 0, 5])  # any order, a subset
    out = design.weighted_cross_gram(D, columns, rows=rows)
    D2 = D.reshape(N, -1)
    Xr = X if rows is None else X[:, rows]
    expected = np.stack([Xr.T @ (D2[:, [j]] * X[:, columns]) for j in range(D2.shape[1])])
    bound = np.stack([np.abs(Xr).T @ (np.abs(D2[:, [j]]) * np.abs(X[:, columns])) for j in range(D2.shape[1])])
    if k is None:
        expected, bound = expected[0], bound[0]
    assert out.dtype == np.float64 and out.shape == expected.shape
    _check(out, expected, bound, _fast_tol(design))


@designs
@pytest.mark.parametrize("intercept", [False, True])
def test_block_gram(case, intercept):
    design, X = _data(case)
    rng = np.random.default_rng(6)
    D, V = rng.uniform(size=(N, K)), rng.normal(size=(N, K))
    Xa = np.column_stack([X, np.ones(N)]) if intercept else X
    # sum_i (diag(D_i) - V_i V_i^T) (x) x_i x_i^T, sample by sample
    blocks = [np.kron(np.diag(d) - np.outer(v, v), np.outer(x, x)) for d, v, x in zip(D, V, Xa)]
    scale = sum(np.kron(np.diag(d) + np.abs(np.outer(v, v)), np.abs(np.outer(x, x))) for d, v, x in zip(D, V, Xa))
    out = design.block_gram(D, V, intercept=intercept)
    assert out.dtype == np.float64 and out.shape == (K * Xa.shape[1],) * 2
    _check(out, np.sum(blocks, axis=0), scale, _fast_tol(design))


@designs
def test_take_rows(case):
    design, X = _data(case)
    rng = np.random.default_rng(7)
    rows = rng.choice(N, size=50, replace=False)
    sub = design.take_rows(rows)
    assert isinstance(sub, Design)
    assert (sub.n_samples, sub.n_features) == (50, P) and sub.dtype == design.dtype
    assert sub.float64_sums is False  # an estimate
    Xr = X[rows]
    for k in (None, K):
        _check_matmul(sub, Xr, _vec(rng, P, k))
        _check_rmatmul(sub, Xr, _vec(rng, 50, k))
    d = rng.uniform(size=50)
    _check(sub.weighted_gram(d), Xr.T @ (d[:, None] * Xr), Xr.T @ (d[:, None] * Xr), _fast_tol(sub))
    for dtype in (np.float32, np.float64):
        cast = design.take_rows(rows, dtype=dtype)
        assert cast.dtype == dtype and cast.float64_sums is False
        Xc = Xr.astype(dtype).astype(np.float64)
        _check_matmul(cast, Xc, _vec(rng, P, K))


@designs
def test_squared_norm_bound(case):
    design, X = _data(case)
    s = np.linalg.norm(X, 2) ** 2
    assert s <= design.squared_norm_bound() <= 1.1 * s


@designs
@pytest.mark.parametrize("width", [1, K])
def test_row_blocks_cover_the_rows_once_in_order(case, width):
    design, X = _data(case)
    for dtype in (None, np.float64):
        covered = []
        for rows, Xb in design.row_blocks(width=width, dtype=dtype):
            # Consumed before the next block: a converted block may be a reused buffer.
            assert Xb.dtype == (design.dtype if dtype is None else dtype)
            Xb = Xb.toarray() if sp.issparse(Xb) else np.asarray(Xb)
            idx = np.arange(N)[rows]
            assert Xb.shape == (len(idx), P)
            assert_array_equal(Xb.astype(np.float64), X[idx])
            covered.append(idx)
        assert len(covered) >= case.min_blocks
        assert_array_equal(np.concatenate(covered), np.arange(N))


@designs
def test_solver_context_is_a_context_manager(case):
    design, X = _data(case)
    ctx = design.solver_context()
    assert isinstance(ctx, contextlib.AbstractContextManager)
    with ctx:
        _check_matmul(design, X, np.ones(P))  # products work inside it


def test_csr_hessian_product_reads_x_once_when_x_exceeds_half_the_cache(monkeypatch):
    # fused_sparse_bytes=None: half the last-level cache, at least 16 MB (16 MB where unknown).
    import sklogloss.design.array as array
    from sklogloss.utils._threads import _cache_size

    assert [_cache_size(s) for s in ("32768K\n", "2M", "512", "n/a")] == [32 << 20, 2 << 20, 512, None]
    X = sp.random(400, 30, density=0.5, format="csr", random_state=0)
    design = ArrayDesign(X)
    for cache, threshold in ((480 << 20, 240 << 20), (8 << 20, 16 << 20), (None, 16 << 20)):
        monkeypatch.setattr(array, "last_level_cache_bytes", lambda cache=cache: cache)
        assert design._fused_sparse_bytes() == threshold
    calls = []
    monkeypatch.setattr(ArrayDesign, "_fused_sparse_hessian_product", lambda self, *a: calls.append(1) or (0, 0))
    design.hessian_product(np.ones(400), np.ones(30))
    assert not calls  # 48 kB of X: the two products
    design.fused_sparse_bytes = X.data.nbytes + X.indices.nbytes
    design.hessian_product(np.ones(400), np.ones(30))
    assert calls == [1]


@designs
@pytest.mark.parametrize("rows", ["columns", "repeated"])
def test_weighted_cross_gram_principal_and_repeated_columns(case, rows):
    # The principal block (rows == columns: the working set's Hessian of an elastic-net model) and
    # repeated columns, which a CSR X computes on the distinct ones.
    design, X = _data(case)
    D = _vec(np.random.default_rng(9), N, K)
    columns = np.array([4, 0, 5]) if rows == "columns" else np.array([4, 0, 4, 5])
    select = columns if rows == "columns" else np.array([1, 1, 3])
    out = design.weighted_cross_gram(D, columns, rows=select)
    expected = np.stack([X[:, select].T @ (D[:, [j]] * X[:, columns]) for j in range(K)])
    bound = np.stack([np.abs(X[:, select]).T @ (np.abs(D[:, [j]]) * np.abs(X[:, columns])) for j in range(K)])
    assert out.dtype == np.float64 and out.shape == expected.shape
    _check(out, expected, bound, _fast_tol(design))


@pytest.mark.parametrize("columns", [np.array([3, 700, 1999]), np.arange(0, 2000, 4)], ids=["3", "500"])
def test_csr_weighted_cross_gram_allocates_less_than_x(columns):
    """No copy of X in a CSR cross-Gram product, whether few or many of its rows meet the columns:
    the per-row counts of the chunking are made a row chunk at a time (over the whole matrix
    the reduction cast a gather of every non-zero to int64: up to twice X here), and the
    product's buffers hold at most one entry per pair of columns."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, p, nnz = 50_000, 2_000, 40
    X = sp.csr_matrix((rng.uniform(size=n * nnz), rng.integers(0, p, n * nnz), np.arange(0, n * nnz + 1, nnz)),
                      shape=(n, p))
    X.sum_duplicates()
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    design = ArrayDesign(X, n_threads=2)
    design.min_nnz_per_thread = 1000
    assert len(design.sparse_blocks(design.X)) == 2
    D = rng.uniform(size=n)
    tracemalloc.start()
    try:
        out = design.weighted_cross_gram(D, columns)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - out.nbytes <= 0.75 * x_bytes, (peak / 2**20, out.nbytes / 2**20, x_bytes / 2**20)
    expected = X.T @ X[:, columns].multiply(D[:, None]).toarray()
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
