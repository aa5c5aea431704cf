"""The in-memory design: a dense (C or F order, float32 or float64) or CSR matrix."""

import threading

import numpy as np
import scipy.sparse as sp

# scipy's compiled CSR/CSC kernels, which add into a given output (private, and in every scipy
# this package supports: see _fused_sparse_hessian_product and weighted_cross_gram).
from scipy.sparse import _sparsetools

from ..utils._threads import (
    blas_threads,
    last_level_cache_bytes,
    other_blas_single_threaded,
    parallel_map,
    single_threaded_blas,
)
from ..utils.validation import issparse
from .base import Design

__all__ = ["ArrayDesign"]


def _row_bounds(cumulative, step):
    """Row bounds ``[0, ..., n]`` where ``cumulative`` (``n + 1`` counts from 0, like a CSR
    ``indptr``) reaches each multiple of ``step``: chunks of about ``step`` of what it counts."""
    cuts = np.searchsorted(cumulative, np.arange(step, int(cumulative[-1]), step))
    return np.unique(np.concatenate([[0], cuts, [len(cumulative) - 1]])).tolist()


def _row_counts(member, X, step=1 << 18):
    """Non-zeros per row of a CSR ``X`` whose column is a ``member`` (a boolean map of the columns).

    By row chunks of about ``step`` non-zeros: a reduction over the whole
    matrix would first cast its boolean gather to int64 (8 bytes a non-zero).
    """
    counts = np.zeros(X.shape[0], dtype=np.int64)
    indptr = X.indptr
    bounds = _row_bounds(indptr, step)
    for a, b in zip(bounds[:-1], bounds[1:]):
        lo, hi = int(indptr[a]), int(indptr[b])
        if hi > lo:
            starts = indptr[a:b] - lo
            chunk = np.add.reduceat(member[X.indices[lo:hi]], np.minimum(starts, hi - lo - 1), dtype=np.int64)
            chunk[indptr[a + 1:b + 1] == indptr[a:b]] = 0  # (reduceat gives an empty row the next entry)
            counts[a:b] = chunk
    return counts


class ArrayDesign(Design):
    """An in-memory design matrix: dense (C or F order, float32 or float64) or CSR.

    The matrix is used as given, never copied or densified. Products that sum
    over rows are accumulated over the blocks of :meth:`row_blocks`, which
    keeps temporaries small and the BLAS calls cache-friendly. Products with a
    large CSR X run in threads over row blocks (see :meth:`sparse_blocks`).

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        The validated design matrix.
    block_rows : int, default=4096
        Most rows per block of :meth:`row_blocks`.
    float64_sums : bool, default=True
        Whether :meth:`rmatmul` sums in float64 when X is float32 and dense.
        ``False`` keeps the sums in X's dtype (faster, with a rounding floor):
        for a row sample that only serves estimates (see :meth:`take_rows`).
        A float32 CSR X always sums in float32 (its attribute is then
        ``False``): each column sums over its non-zeros only, and a float64
        product would convert X's values on every call.
    n_threads : int, default=None
        Threads for the products with a CSR X (see :meth:`sparse_blocks`);
        ``None``: as many as BLAS may use when the design is made (set with
        ``threadpoolctl.threadpool_limits``).
    approximate_entries : int, default=None
        A dense float64 X of at most this many entries keeps a float32 copy
        for the approximate products (``approximate=True`` in :meth:`matmul`
        and :meth:`rmatmul`: Hessian-vector products), made on first use.
        ``None``: the class attribute (``2**20``, a copy of at most 4 MB); 0
        never copies (the row blocks of a distributed fit, which live on
        workers whose memory is for X itself).

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.design import ArrayDesign
    >>> design = ArrayDesign(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> design.weighted_gram(np.array([1.0, 0.5]))
    array([[ 5.5,  8. ],
           [ 8. , 12. ]])
    """

    #: A CSR product runs in one thread below this many non-zeros per thread (measured in
    #: docs/performance.rst, *BLAS threads woken before a fit*).
    min_nnz_per_thread = 200_000
    #: A solver on a dense X of at most this many entries runs with single-threaded BLAS.
    small_entries = 1 << 18
    #: A dense float64 X of at most this many entries keeps a float32 copy for approximate
    #: products: there X is in cache and BLAS is compute-bound, and float32 products cost
    #: about half (digits, 1,437 x 64 and 10 outputs: 46 against 80 microseconds).
    approximate_entries = 1 << 20
    #: ... whose non-zero columns' norms are within this factor of each other (see approximate_X).
    approximate_spread = 1e4
    #: Entries per block of :meth:`row_blocks` (4 MB of float64).
    block_entries = 1 << 19
    #: A dense X of at least this many bytes is read once per Hessian-vector product
    #: (:meth:`hessian_product`): larger than the last-level cache, its two products would
    #: read it from memory twice (docs/performance.rst; 20,000 x 2,000: 16.8 against 19.9 ms;
    #: 5,000 x 1,000, 40 MB, which stays in cache: 2.1 against 1.8 ms).
    fused_bytes = 1 << 26
    #: Bytes per block of :meth:`hessian_product`, whose second product reads the block from
    #: cache (4 MB: 20,000 x 2,000 took 14.8 ms, against 18.8 ms in blocks of 2 MB and 16.7 ms
    #: in blocks of 32 MB).
    fused_block_bytes = 1 << 22
    #: A CSR X of at least this many bytes (values and column indices) is read from memory
    #: once per Hessian-vector product, in row blocks of about ``fused_block_nnz`` non-zeros
    #: (1.5 MB of float64 values and int32 indices: a core's L2 cache or its share of L3),
    #: each block's ``X_b^T u_b`` added into one output per thread while the block is in
    #: cache. None: half the last-level cache (:func:`~sklogloss.utils._threads.last_level_cache_bytes`),
    #: at least 16 MB (16 MB where the cache is unknown). A smaller X stays in cache between
    #: the two products, which the blocks would only split into more calls
    #: (docs/performance.rst measures both).
    fused_sparse_bytes = None
    #: Non-zeros per row block of the CSR Hessian-vector product (see ``fused_sparse_bytes``).
    fused_block_nnz = 1 << 17
    #: About this many pairs of co-occurring non-zeros per sparse product of a CSR :meth:`weighted_cross_gram`
    #: (its result's buffers: about 6 MB of indices and values a thread, less where the
    #: columns are few).
    cross_gram_pairs = 1 << 19
    #: A dense X's :meth:`squared_rmatmul` runs in one thread below this many entries per thread.
    min_entries_per_thread = 1 << 20
    #: Entries of X squared at a time by :meth:`squared_rmatmul` (1 MB of float64: 20,000 x 2,000
    #: took 27 to 29 ms in one thread with blocks of 64 rows, 38 to 42 ms with 128 to 256 rows).
    square_block_entries = 1 << 17
    #: Entries per block converted to another dtype (512 kB of float64: the buffer stays in
    #: the core's L2 cache, where the conversion and the product that follows are fastest).
    buffer_entries = 1 << 16

    def __init__(self, X, block_rows=4096, float64_sums=True, n_threads=None, approximate_entries=None):
        self.X = X
        if approximate_entries is not None:
            self.approximate_entries = int(approximate_entries)
        self._X32 = None  # see approximate_X
        self._X32_checked = False  # whether approximate_X has decided (the copy, or X itself)
        self.block_rows = int(block_rows)
        self.is_sparse = issparse(X)
        # Read now for CSR (the limit in force when the design is made); a dense design
        # asks only if asked (the call goes into each BLAS library).
        self._n_threads = max(1, int(n_threads)) if n_threads is not None else (
            blas_threads() if self.is_sparse else None)
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.float64_sums = bool(float64_sums) and not (self.is_sparse and X.dtype != np.float64)
        #: Memory layout of the ``(n, K)`` scores :meth:`matmul` returns ("F" for dense X).
        self.score_order = "C" if self.is_sparse else "F"
        self._column_nnz = None
        self._row_gram = None  # see row_gram
        self._sparse_block_cache = {}  # see sparse_blocks

    @property
    def n_threads(self):
        """Threads for CSR products: as given, else what BLAS may use (for a dense X: when first asked)."""
        if self._n_threads is None:
            self._n_threads = blas_threads()
        return self._n_threads

    # ------------------------------------------------------------ row blocks
    def row_blocks(self, width=1, dtype=None):
        """Yield ``(rows, X[rows])`` over consecutive row blocks (see :meth:`Design.row_blocks`).

        A block has at most ``block_rows`` rows and about ``block_entries``
        entries divided by ``width``: dense rows count ``n_features``
        entries, CSR rows their non-zeros. ``dtype``: a dense block is copied
        into one reused buffer of that dtype (of ``buffer_entries``), a CSR
        block converted.
        """
        n = self.n_samples
        if self.is_sparse:
            per_row = width * max(self.X.nnz, 1) / max(n, 1)
        else:
            per_row = width * max(self.n_features, 1)
        convert = dtype is not None and np.dtype(dtype) != self.dtype
        entries = self.buffer_entries if convert and not self.is_sparse else self.block_entries
        rows = int(max(1, min(self.block_rows, n, entries // max(per_row, 1))))
        buffer = np.empty((rows, self.n_features), dtype=dtype) if convert and not self.is_sparse else None
        for start in range(0, n, rows):
            Xb = self.X[start : start + rows]
            if buffer is not None:
                np.copyto(buffer[: Xb.shape[0]], Xb)
                Xb = buffer[: Xb.shape[0]]
            elif convert:
                Xb = Xb.astype(dtype)
            yield slice(start, start + Xb.shape[0]), Xb

    # ------------------------------------------------------ CSR thread blocks
    def sparse_blocks(self, X):
        """Row blocks ``[(rows, X[rows]), ...]`` of a CSR ``X`` (X or its squares), one per thread.

        scipy's sparse products run on one core, and release the GIL: split
        into row blocks of about equal numbers of non-zeros, they run in
        threads, at most ``n_threads`` and with at least ``min_nnz_per_thread``
        non-zeros each (see also :meth:`solver_context`). The blocks share
        X's arrays (their ``data`` and ``indices`` are slices of X's); one
        block ``(all rows, X)`` means one thread.

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> from sklogloss.design import ArrayDesign
        >>> X = sp.random(1000, 50, density=0.1, format="csr", random_state=0)
        >>> design = ArrayDesign(X)
        >>> len(design.sparse_blocks(X))  # 5,000 non-zeros: one thread
        1
        """
        k = min(self.n_threads, X.nnz // self.min_nnz_per_thread)
        if k <= 1:
            return [(slice(0, X.shape[0]), X)]
        cache = self._sparse_block_cache
        key = (id(X), k)
        if key not in cache:
            cuts = np.searchsorted(X.indptr, np.linspace(0, X.nnz, k + 1)[1:-1])
            bounds = np.unique(np.concatenate([[0], np.clip(cuts, 1, X.shape[0] - 1), [X.shape[0]]]))
            blocks = []
            for a, b in zip(bounds[:-1], bounds[1:]):
                start, stop = X.indptr[a], X.indptr[b]
                # Assigned, not passed to the constructor: it copies slices of
                # less than half an array.
                Xb = sp.csr_matrix((b - a, X.shape[1]), dtype=X.dtype)
                Xb.indptr = X.indptr[a : b + 1] - start
                Xb.indices = X.indices[start:stop]
                Xb.data = X.data[start:stop]
                blocks.append((slice(int(a), int(b)), Xb))
            cache[key] = blocks
        return cache[key]

    def solver_context(self):
        """The context a solver runs in on this design.

        BLAS is limited to one thread

        * for a CSR X: its products are scipy's, which run on one core (in
          threads of their own for a large X, :meth:`sparse_blocks`); the
          rest of a solver's arithmetic is vector operations on the
          coefficients and the small dense factorisations of a
          preconditioner, where OpenBLAS threads that wake for a short
          call then spin on the core that a product's second thread needs.
          On a small CSR X (one block) a 129 x 129 Cholesky factor took
          35 to 84 ms with two BLAS threads against 0.3 ms with one;
        * for a dense X of at most ``small_entries`` entries: its products are
          too short to share, and waking BLAS threads for each costs more than
          the product (see docs/performance.rst).

        Otherwise numpy's BLAS keeps its threads, and the BLAS libraries
        beside it (scipy's own OpenBLAS: its LAPACK, L-BFGS-B) get one
        (:class:`~sklogloss.utils._threads.other_blas_single_threaded`): two
        thread pools that take turns spin on each other's cores (L-BFGS on a
        dense 1,000 x 500 X: 3.3 s against 134 ms).
        """
        if self.is_sparse or self.n_samples * self.n_features <= self.small_entries:
            return single_threaded_blas()
        return other_blas_single_threaded()

    def _sparse_transposed_blocks(self, X):
        """``[(rows, X[rows].T), ...]`` for :meth:`sparse_blocks`, the CSC transposes sharing the blocks' arrays.

        (scipy's ``.T`` of a block would copy its slices on every product; even of all of X,
        a view, it builds and checks a new matrix, 0.1 ms a product.)
        """
        blocks = self.sparse_blocks(X)
        cache = self._sparse_block_cache
        key = (id(X), "T", len(blocks))
        if key not in cache:
            transposed = []
            for rows, Xb in blocks:
                XbT = sp.csc_matrix(Xb.shape[::-1], dtype=X.dtype)
                XbT.indptr, XbT.indices, XbT.data = Xb.indptr, Xb.indices, Xb.data
                transposed.append((rows, XbT))
            cache[key] = transposed
        return cache[key]

    def _sparse_rmatmul(self, X, G):
        """``X.T @ G`` for a CSR ``X``, in X's dtype, summed over the row blocks of :meth:`sparse_blocks`."""
        G = G.astype(X.dtype, copy=False)
        blocks = self._sparse_transposed_blocks(X)
        if len(blocks) == 1:
            return np.asarray(blocks[0][1] @ G, dtype=np.float64)
        parts = parallel_map(lambda block: block[1] @ G[block[0]], blocks)
        out = np.array(parts[0], dtype=np.float64)
        for part in parts[1:]:
            out += part
        return out

    # -------------------------------------------------------------- products
    def approximate_X(self):
        """The float32 copy of X for approximate products, or None (X itself serves them).

        Only a dense float64 X of at most ``approximate_entries`` entries has
        one, made on the first call and kept (half of X's memory), and only
        when its non-zero columns' norms are within ``approximate_spread`` of
        each other: a product's float32 rounding is relative to its largest
        terms, and on columns of very different scales it swamps what the
        small ones contribute (features spanning twelve orders of magnitude
        took Newton-CG 21 steps on float32 products against 15). The copy is
        column-major (Fortran order).
        """
        if (not self._X32_checked and not self.is_sparse and self.dtype == np.float64
                and 0 < self.n_samples * self.n_features <= self.approximate_entries):
            self._X32_checked = True
            norms = np.sqrt(np.einsum("ij,ij->j", self.X, self.X))
            norms = norms[norms > 0]
            if norms.size and norms.max() <= self.approximate_spread * norms.min():
                # Column-major whatever X's order: BLAS's product with a few columns (X V, the
                # multinomial scores) takes half the time of a row-major X's, X^T G a little more.
                self._X32 = self.X.astype(np.float32, order="F")
        return self._X32

    def approximates(self):
        """Whether approximate products use a float32 copy (:meth:`approximate_X`; made here if due).

        >>> import numpy as np
        >>> from sklogloss.design import ArrayDesign
        >>> X = np.ones((10, 3))
        >>> ArrayDesign(X).approximates(), ArrayDesign(X, approximate_entries=0).approximates()
        (True, False)
        """
        return self.approximate_X() is not None

    def matmul(self, W, approximate=False):
        """``X @ W`` for ``W`` of shape ``(p,)`` or ``(p, K)``, in X's dtype.

        For dense X and several outputs the ``(n, K)`` result is column-major,
        computed as ``(W^T X^T)^T``: a faster product than ``X @ W``, and
        row-wise reductions of a softmax over column-major scores are much
        faster (see docs/performance.rst).

        ``approximate=True`` allows float32 arithmetic (a float32 result) on
        the copy of :meth:`approximate_X` where there is one.
        """
        X = self.approximate_X() if approximate else None
        if X is None:
            X = self.X
        W = W.astype(X.dtype, copy=False)
        if not self.is_sparse:
            return (W.T @ X.T).T if W.ndim == 2 else X @ W
        blocks = self.sparse_blocks(self.X)
        if len(blocks) == 1:
            return self.X @ W
        out = np.empty((self.n_samples,) + W.shape[1:], dtype=self.dtype)

        def product(block):
            rows, Xb = block
            out[rows] = Xb @ W

        parallel_map(product, blocks)
        return out

    def matmul64(self, W):
        """``X @ W`` in float64 arithmetic whatever X's dtype, returned in float64.

        ``W`` is not rounded to X's dtype and the sums are float64: the scores
        of float64 coefficients on float32 data, for checking what products
        in X's dtype carried along a solver's path. X is converted a row
        block at a time (no float64 copy of X).
        """
        W = np.asarray(W, dtype=np.float64)
        if self.dtype == np.float64:
            return np.asarray(self.matmul(W))
        out = np.empty((self.n_samples,) + W.shape[1:], order=self.score_order)
        for rows, Xb64 in self.row_blocks(dtype=np.float64):
            out[rows] = Xb64 @ W
        return out

    def rmatmul(self, G, exact=None, approximate=False):
        """``X.T @ G`` for ``G`` of shape ``(n,)`` or ``(n, K)``, returned in float64.

        ``exact=False`` keeps the sums in X's dtype (for Hessian-vector products,
        which are approximations anyway); ``None`` means ``float64_sums``.
        ``approximate=True`` (which implies ``exact=False``) also allows float32
        arithmetic on the copy of :meth:`approximate_X` where there is one.

        A dense X below float64 is converted a row block at a time into a
        float64 buffer that stays in cache: a float32 sum over every row has
        a rounding floor above the stopping tolerances, while the buffer
        costs less than the float64 pass over a float64 X would. A CSR X sums
        in its dtype: each column's sum runs over its non-zeros only.
        """
        if self.is_sparse:
            return self._sparse_rmatmul(self.X, G)
        X32 = self.approximate_X() if approximate else None
        if X32 is not None:
            return np.asarray((G.astype(np.float32, copy=False).T @ X32).T, dtype=np.float64)
        if approximate:
            exact = False
        if self.dtype == np.float64 or not (self.float64_sums if exact is None else exact):
            return np.asarray((G.astype(self.dtype, copy=False).T @ self.X).T, dtype=np.float64)
        G = G.astype(np.float64, copy=False)
        out = np.zeros((self.n_features,) + G.shape[1:])
        for rows, Xb64 in self.row_blocks(dtype=np.float64):
            out += Xb64.T @ G[rows]
        return out

    def weighted_gram(self, d, nonneg=True):
        """``X.T @ diag(d) @ X`` as a dense float64 ``(p, p)`` array.

        ``nonneg=True`` promises ``d >= 0``, which allows the symmetric
        rank-k update on ``sqrt(d) * X`` (half the flops of a general product).
        """
        if self.is_sparse:
            X = self.X
            return np.asarray((X.T @ sp.diags(d) @ X).toarray(), dtype=np.float64)
        p = self.n_features
        d = d.astype(self.dtype, copy=False)
        if self.n_samples * p <= self.block_entries and self.n_samples <= self.block_rows:
            # One block: no accumulator (small data, where each call counts).
            if nonneg:
                A = self.X * np.sqrt(d)[:, None]
                return np.asarray(A.T @ A, dtype=np.float64)
            return np.asarray(self.X.T @ (self.X * d[:, None]), dtype=np.float64)
        H = np.zeros((p, p), dtype=np.float64)
        for rows, Xb in self.row_blocks():
            db = d[rows, None]
            if nonneg:
                A = Xb * np.sqrt(db)
                H += A.T @ A
            else:
                H += Xb.T @ (Xb * db)
        return H

    def weighted_cross_gram(self, D, columns, rows=None):
        """``X.T @ diag(D[:, k]) @ X[:, columns]`` per column of ``D`` (see :meth:`Design.weighted_cross_gram`).

        CSR: ``(X_S^T D) X`` per thread block (:meth:`sparse_blocks`) with
        ``X_S`` the block's ``columns``, a sparse product whose cost is the
        number of co-occurring non-zeros (one-hot data: the rows times the
        non-zeros of a row that fall in ``columns``, times those of the row),
        in row chunks of about ``cross_gram_pairs`` of them, into buffers
        reused across chunks (see :meth:`_sparse_cross_gram`). Repeated
        ``columns`` (or ``rows``) are computed once.
        Dense: ``X_b^T (D_b X_b[:, columns])`` per row block.
        """
        columns = np.asarray(columns, dtype=np.intp)
        select = None if rows is None else np.asarray(rows, dtype=np.intp)
        width = self.n_features if select is None else select.size
        D2 = D.reshape(len(D), -1)
        K, k = D2.shape[1], columns.size
        if self.is_sparse:
            if np.unique(columns).size < k or (select is not None and np.unique(select).size < width):
                # Repeated columns: the product on the distinct ones, repeated.
                cols, col_of = np.unique(columns, return_inverse=True)
                sel, sel_of = (None, slice(None)) if select is None else np.unique(select, return_inverse=True)
                out = self.weighted_cross_gram(D2, cols, rows=sel)[:, sel_of][:, :, col_of]
                return out[0] if D.ndim == 1 else out
            out = self._sparse_cross_gram(np.asarray(D2, dtype=np.float64), columns, select)
            out = out.transpose(0, 2, 1)
        else:
            out = np.zeros((K, width, k))
            D2 = D2.astype(self.dtype, copy=False)
            # Every column against every column with non-negative weights (the exact
            # diagonal blocks of a convex loss): a symmetric rank-k update on sqrt(D) X,
            # half the flops of the general product.
            full = (select is None and k == self.n_features and np.array_equal(columns, np.arange(k))
                    and not np.any(D2 < 0))
            root = np.sqrt(D2) if full else None
            for rows, Xb in self.row_blocks(width=1 + k / max(self.n_features, 1)):
                if full:
                    for j in range(K):
                        A = Xb * root[rows, j, None]
                        out[j] += A.T @ A
                    continue
                Xs = Xb[:, columns]
                Xr = Xb if select is None else Xb[:, select]
                for j in range(K):
                    out[j] += Xr.T @ (Xs * D2[rows, j, None])
        return out[0] if D.ndim == 1 else out

    @property
    def offers_row_gram(self):
        """A dense float64 X (see :meth:`row_gram`)."""
        return not self.is_sparse and self.dtype == np.float64

    def row_gram(self):
        """``X X^T`` (float64, ``(n, n)``) for a dense float64 X, computed once and kept; else None.

        A symmetric rank-k update: ``n^2 p / 2`` multiply-adds. Only float64: a float32 or CSR X
        would need a float64 copy of its values.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.design import ArrayDesign
        >>> X = np.arange(6.0).reshape(2, 3)
        >>> ArrayDesign(X).row_gram()
        array([[ 5., 14.],
               [14., 50.]])
        >>> ArrayDesign(X.astype(np.float32)).row_gram() is None
        True
        """
        if not self.offers_row_gram:
            return None
        if self._row_gram is None:
            self._row_gram = self.X @ self.X.T  # (numpy calls syrk for a product with its own transpose)
        return self._row_gram

    def column_nnz(self):
        """Non-zeros per column (computed once for CSR; ``n_samples`` each for a dense X)."""
        if not self.is_sparse:
            return np.full(self.n_features, self.n_samples, dtype=np.int64)
        if self._column_nnz is None:
            # By chunks of the indices: bincount converts int32 indices to intp, and a chunk's
            # copy stays in cache (5M indices: 12 ms against 19 ms in one call).
            indices, chunk = self.X.indices[: self.X.nnz], 1 << 18
            counts = np.zeros(self.n_features, dtype=np.intp)
            for start in range(0, indices.size, chunk):
                counts += np.bincount(indices[start : start + chunk], minlength=self.n_features)
            self._column_nnz = counts
        return self._column_nnz

    def block_gram(self, D, V, intercept=False):
        """``sum_i (diag(D_i) - V_i V_i^T) (x) x_i x_i^T`` (see :meth:`Design.block_gram`).

        One pass over the row blocks: per block, the ``K`` diagonal Gram
        blocks of ``sqrt(D[:, k]) * [X_b, 1]`` (each a symmetric rank-k
        update) and ``B_b^T B_b`` for the rows ``b_i = V_i (x) [x_i, 1]``
        (``(x)`` the Kronecker product): the rank-one part of all ``K^2``
        blocks in one matrix product, in place of ``K (K + 1) / 2`` weighted
        Gram matrices. On small data this is a few matrix products in all,
        where assembling the matrix from ``K`` weighted Gram matrices and
        their intercept sums cost tens of numpy calls per class. CSR rows are
        densified a block at a time (a Hessian is only formed for a few
        hundred coefficients).

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.design import ArrayDesign
        >>> X = np.array([[1.0], [2.0]])
        >>> P = np.array([[0.5, 0.5], [0.25, 0.75]])
        >>> H = ArrayDesign(X).block_gram(P, P)
        >>> expected = sum(np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x)) for p, x in zip(P, X))
        >>> bool(np.allclose(H, expected))
        True
        """
        K = V.shape[1]
        p = self.n_features
        m = p + bool(intercept)
        H = np.zeros((K * m, K * m))
        V = V.astype(self.dtype, copy=False)
        root = np.sqrt(D).astype(self.dtype, copy=False)
        for rows, Xb in self.row_blocks(width=K + 1):
            if self.is_sparse:
                Xb = Xb.toarray()
            nb = Xb.shape[0]
            Xa = Xb
            if intercept:
                Xa = np.empty((nb, m), dtype=self.dtype)
                Xa[:, :p] = Xb
                Xa[:, p] = 1
            Vb = V[rows]
            B = np.multiply(Vb[:, :, None], Xa[:, None, :]).reshape(nb, K * m)
            H -= B.T @ B
            Rb = root[rows]
            for k in range(K):
                A = Xa * Rb[:, k, None]
                H[k * m:(k + 1) * m, k * m:(k + 1) * m] += A.T @ A
        return H

    def squared_rmatmul(self, D):
        """``(X * X).T @ D`` for ``D`` of shape ``(n,)`` or ``(n, K)``, float64.

        CSR: squares the values a row block at a time into one reused
        buffer (see :meth:`_sparse_squared_rmatmul`). Dense: no copy of X; each of
        up to ``n_threads`` threads (with at least ``min_entries_per_thread``
        entries of X) takes a contiguous range of rows, squares
        ``square_block_entries`` entries at a time into one reused buffer
        and multiplies it by D's rows while it is in cache, with
        single-threaded BLAS (measured in docs/performance.rst). The sums of
        the blocks are float64.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.design import ArrayDesign
        >>> X = np.array([[1.0, 2.0], [3.0, -1.0]])
        >>> ArrayDesign(X).squared_rmatmul(np.array([1.0, 0.5]))
        array([5.5, 4.5])
        """
        D = D.astype(self.dtype, copy=False)
        if self.is_sparse:
            return self._sparse_squared_rmatmul(D)
        n, p = self.n_samples, self.n_features
        threads = max(1, min(self.n_threads, n, (n * p) // self.min_entries_per_thread))
        step = max(1, min(n, self.square_block_entries // max(p, 1)))
        bounds = np.linspace(0, n, threads + 1).astype(np.intp)
        X = self.X

        def part(i):
            start, stop = int(bounds[i]), int(bounds[i + 1])
            out = np.zeros((p,) + D.shape[1:])
            buffer = np.empty((min(step, stop - start), p), dtype=self.dtype)
            for a in range(start, stop, step):
                b = min(a + step, stop)
                Sb = np.square(X[a:b], out=buffer[: b - a])
                out += Sb.T @ D[a:b]
            return out

        if threads == 1:
            return part(0)
        with single_threaded_blas():
            parts = parallel_map(part, range(threads))
        out = parts[0]
        for other in parts[1:]:
            out += other
        return out

    def hessian_product(self, d, v, shift=0.0, approximate=False):
        """``(X^T u, sum(u))`` with ``u = d * (X @ v + shift)`` (see :meth:`Design.hessian_product`).

        A dense X of at least ``fused_bytes`` (without the float32 copy of
        :meth:`approximate_X`) is read from memory once: per row block of
        ``fused_block_bytes``, ``u_b = d_b (X_b v + shift)``, then ``X_b^T
        u_b`` while the block is still in cache (both products with BLAS's
        own threads). The products are in X's dtype, ``u`` and the sums of
        the blocks' parts in float64. A CSR X split into thread blocks
        (:meth:`sparse_blocks`) makes both products of a block in one
        thread task: one hand-off of the threads per product instead of two
        (Zipf one-hot, 1 million non-zeros: 1.6 against 2.0 ms a product);
        one larger than the cache (``fused_sparse_bytes``) is, moreover, read once, in row
        blocks that stay in cache for their second product. Anything else:
        the two products of the default.
        """
        if self.is_sparse:
            if self.X.data.nbytes + self.X.indices.nbytes >= self._fused_sparse_bytes():
                return self._fused_sparse_hessian_product(d, v, shift)
            blocks = self.sparse_blocks(self.X)
            if len(blocks) > 1:
                return self._sparse_hessian_product(blocks, d, v, shift)
        if (self.is_sparse or self.X.nbytes < self.fused_bytes
                or (approximate and self.approximate_X() is not None)):
            return super().hessian_product(d, v, shift=shift, approximate=approximate)
        v = np.asarray(v).astype(self.dtype, copy=False)
        rows = max(1, self.fused_block_bytes // max(self.n_features * self.X.itemsize, 1))
        Xtu, total = np.zeros(self.n_features), 0.0
        for start in range(0, self.n_samples, rows):
            Xb = self.X[start:start + rows]
            u = (Xb @ v).astype(np.float64, copy=False)
            if shift:
                u += shift
            u *= d[start:start + len(u)]
            total += float(u.sum())
            Xtu += u.astype(self.dtype, copy=False) @ Xb
        return Xtu, total

    def _fused_sparse_bytes(self):
        """``fused_sparse_bytes``, or where it is None, half the last-level cache and at least 16 MB."""
        if self.fused_sparse_bytes is not None:
            return self.fused_sparse_bytes
        return max(1 << 24, (last_level_cache_bytes() or 0) // 2)

    def _fused_sparse_blocks(self):
        """Per thread block of :meth:`sparse_blocks`, its row blocks of about ``fused_block_nnz`` non-zeros.

        Each is ``(start, stop, indptr, indices, data)``: rows ``start:stop``
        of X, their ``indptr`` from zero (a copy, in the indices' dtype) and
        views of X's ``indices`` and ``data``. Made once per design.
        """
        cache = self._sparse_block_cache
        key = (id(self.X), "fused", self.fused_block_nnz)
        if key not in cache:
            plans = []
            for rows, Xb in self.sparse_blocks(self.X):
                indptr = Xb.indptr
                bounds = _row_bounds(indptr, self.fused_block_nnz)
                plan = []
                for a, b in zip(bounds[:-1], bounds[1:]):
                    start, stop = indptr[a], indptr[b]
                    plan.append((rows.start + a, rows.start + b, (indptr[a:b + 1] - start).astype(Xb.indices.dtype),
                                 Xb.indices[start:stop], Xb.data[start:stop]))
                plans.append(plan)
            cache[key] = plans
        return cache[key]

    def _sparse_squared_rmatmul(self, D):
        """:meth:`squared_rmatmul` of a CSR X without a squared copy of its values.

        Per row block of :meth:`_fused_sparse_blocks`, the block's values are
        squared into one reused buffer and multiplied in place (scipy's
        kernels, in the threads of :meth:`sparse_blocks`); the sums in X's
        dtype, as :meth:`_sparse_rmatmul`'s.
        """
        dtype = self.X.dtype
        D = np.ascontiguousarray(D, dtype=dtype)
        p = self.n_features

        def part(plan):
            out = np.zeros((p,) + D.shape[1:], dtype=dtype)
            buffer = np.empty(max(len(data) for *_, data in plan), dtype=dtype)
            for a, b, indptr, indices, data in plan:
                squares = np.square(data, out=buffer[: len(data)])
                if D.ndim == 1:
                    _sparsetools.csc_matvec(p, b - a, indptr, indices, squares, D[a:b], out)
                else:
                    _sparsetools.csc_matvecs(p, b - a, D.shape[1], indptr, indices, squares, D[a:b].ravel(),
                                             out.ravel())
            return out

        parts = parallel_map(part, self._fused_sparse_blocks())
        out = np.array(parts[0], dtype=np.float64)
        for other in parts[1:]:
            out += other
        return out

    def _sparse_cross_gram(self, D, columns, select):
        """:meth:`weighted_cross_gram` of a CSR X: ``(K, len(columns), width)`` with distinct ``columns``.

        Per thread block (:meth:`sparse_blocks`), in row chunks of about
        ``cross_gram_pairs`` co-occurring pairs (a row's non-zeros in
        ``columns`` times its non-zeros in the output's columns, ``select``
        or all): the chunk's entries in ``columns`` are gathered through a
        map of X's columns (no copy of X's block), transposed, weighted by
        ``D``'s column and multiplied by the chunk (scipy's ``csr_tocsc`` and
        ``csr_matmat`` kernels, which release the GIL). The pair count is the
        bound on the product's entries that scipy's own product finds in a
        pass of its own (``csr_matmat_maxnnz``, a third of the product's
        time on text-like data); the product goes into buffers of that size
        or ``len(columns) * width`` (one entry per pair of columns) if
        smaller, reused across chunks, and is added into the float64 output
        (``csr_todense``): one output for all threads, which add into it in
        turn (a copy per thread would double the memory of a working set's
        block, the largest array of an elastic-net fit).
        """
        K, k = D.shape[1], columns.size
        p = self.n_features
        width = p if select is None else select.size
        budget = max(1, int(self.cross_gram_pairs))
        map_dtype = np.int32 if p < np.iinfo(np.int32).max else np.int64
        in_columns = np.full(p, -1, dtype=map_dtype)  # each column's position in `columns`, or -1
        in_columns[columns] = np.arange(k)
        in_select = None
        if select is not None and not np.array_equal(select, columns):
            in_select = np.full(p, -1, dtype=map_dtype)
            in_select[select] = np.arange(width)
        # (the counts per row gather from boolean maps: a byte per non-zero of the block, not eight)
        is_column, is_selected = in_columns >= 0, None if in_select is None else in_select >= 0

        def restrict(column_map, indptr, indices, data):
            # The chunk's entries in the mapped columns, renumbered: (indptr, indices, data).
            mapped = column_map[indices]
            keep = mapped >= 0
            counts = np.zeros(keep.size + 1, dtype=indptr.dtype)
            np.cumsum(keep, out=counts[1:])
            return counts[indptr], mapped[keep], data[keep]

        out = np.zeros((K, k, width))
        adding = threading.Lock()  # one output for every thread: added into by one at a time

        def part(block):
            rows, Xb = block
            row_nnz = np.diff(Xb.indptr).astype(np.int64)
            hits = _row_counts(is_column, Xb)
            wide = row_nnz if select is None else (hits if in_select is None else _row_counts(is_selected, Xb))
            cumulative = np.concatenate([[0], np.cumsum(hits * wide)])
            # Chunks of about `budget` pairs and non-zeros: a chunk's own arrays (its entries in
            # `columns`, their map) stay small where few of its rows meet `columns`.
            bounds = _row_bounds(cumulative + Xb.indptr, budget)
            most = max(int(cumulative[b] - cumulative[a]) for a, b in zip(bounds[:-1], bounds[1:]))
            if most == 0:
                return
            # One index type for every array of a kernel call: X's, or int64 where a count may exceed int32.
            big = max(most, Xb.nnz, p, len(row_nnz)) >= np.iinfo(np.int32).max
            index = np.int64 if big or Xb.indices.dtype == np.int64 else np.int32
            Cp, Tp = np.empty(k + 1, dtype=index), np.empty(k + 1, dtype=index)
            # A product has at most one entry per (column, output column): at most k * width of them.
            Cj, Cx = np.empty(min(most, k * width), dtype=index), np.empty(min(most, k * width))
            for a, b in zip(bounds[:-1], bounds[1:]):
                if cumulative[b] == cumulative[a]:
                    continue
                lo, hi = int(Xb.indptr[a]), int(Xb.indptr[b])
                indptr = (Xb.indptr[a:b + 1] - lo).astype(index)
                indices, data = Xb.indices[lo:hi], Xb.data[lo:hi].astype(np.float64, copy=False)
                s_ptr, s_idx, s_val = restrict(in_columns, indptr, indices, data)
                if in_select is not None:
                    r_ptr, r_idx, r_val = restrict(in_select, indptr, indices, data)
                elif select is not None:
                    r_ptr, r_idx, r_val = s_ptr, s_idx, s_val
                else:
                    r_ptr, r_idx, r_val = indptr, indices, data
                s_ptr, s_idx = s_ptr.astype(index, copy=False), s_idx.astype(index, copy=False)
                r_ptr, r_idx = r_ptr.astype(index, copy=False), r_idx.astype(index, copy=False)
                # The chunk's columns as rows (k x chunk rows): their indices are the chunk's rows.
                Ti, Tx = np.empty(s_idx.size, dtype=index), np.empty(s_idx.size)
                _sparsetools.csr_tocsc(b - a, k, s_ptr, s_idx, s_val, Tp, Ti, Tx)
                for j in range(K):
                    Wx = Tx * D[rows.start + a + Ti, j]
                    _sparsetools.csr_matmat(k, width, Tp, Ti, Wx, r_ptr, r_idx, r_val, Cp, Cj, Cx)
                    nnz = int(Cp[k])
                    with adding:
                        _sparsetools.csr_todense(k, width, Cp, Cj[:nnz], Cx[:nnz], out[j])

        parallel_map(part, self.sparse_blocks(self.X))
        return out

    def _fused_sparse_hessian_product(self, d, v, shift):
        """:meth:`hessian_product` of a large CSR X, read from memory once.

        Per row block of :meth:`_fused_sparse_blocks`, ``u_b = d_b (X_b v +
        shift)``, then ``X_b^T u_b`` added into the thread's output while the
        block is in cache (scipy's kernels, which release the GIL). ``u`` and
        its sum are float64, the output's sums in X's dtype (as
        :meth:`_sparse_rmatmul`'s).
        """
        dtype = self.X.dtype
        v = np.ascontiguousarray(v, dtype=dtype)
        d = np.ascontiguousarray(d, dtype=np.float64)
        p = self.n_features
        same = dtype == np.float64

        def part(plan):
            out = np.zeros(p, dtype=dtype)
            rows = max(b - a for a, b, *_ in plan)
            buffer = np.empty(rows, dtype=dtype)
            wide = buffer if same else np.empty(rows, dtype=np.float64)
            total = 0.0
            for a, b, indptr, indices, data in plan:
                ub, u = buffer[: b - a], wide[: b - a]
                ub.fill(0)
                _sparsetools.csr_matvec(b - a, p, indptr, indices, data, v, ub)
                if not same:
                    u[...] = ub
                if shift:
                    u += shift
                u *= d[a:b]
                total += float(u.sum())
                if not same:
                    ub[...] = u
                _sparsetools.csc_matvec(p, b - a, indptr, indices, data, ub, out)
            return out, total

        parts = parallel_map(part, self._fused_sparse_blocks())
        Xtu, total = np.array(parts[0][0], dtype=np.float64), parts[0][1]
        for other, subtotal in parts[1:]:
            Xtu += other
            total += subtotal
        return Xtu, total

    def _sparse_hessian_product(self, blocks, d, v, shift):
        """:meth:`hessian_product` of a CSR X, a thread per row block (``X_b v``, then ``X_b^T u_b``)."""
        v = np.asarray(v).astype(self.dtype, copy=False)
        transposed = self._sparse_transposed_blocks(self.X)

        def part(i):
            rows, Xb = blocks[i]
            u = (Xb @ v).astype(np.float64, copy=False)
            if shift:
                u += shift
            u *= d[rows]
            return transposed[i][1] @ u.astype(self.dtype, copy=False), float(u.sum())

        parts = parallel_map(part, range(len(blocks)))
        Xtu, total = np.array(parts[0][0], dtype=np.float64), parts[0][1]
        for other, subtotal in parts[1:]:
            Xtu += other
            total += subtotal
        return Xtu, total

    def take_rows(self, rows, dtype=None):
        """A design on a subset of rows (a copy of those rows only), optionally cast to ``dtype``.

        The subset serves estimates (sampled Hessians, a start point): its
        products keep their sums in its dtype (``float64_sums=False``). A
        ``slice`` of rows without ``dtype`` is a view of a dense X (no copy).
        """
        view = isinstance(rows, slice)
        every = not view and len(rows) == self.n_samples and np.array_equal(rows, np.arange(self.n_samples))
        if every and dtype is not None and np.dtype(dtype) == np.float32 and self.approximate_X() is not None:
            Xr = self._X32  # every row in float32: the copy approximate products use
        else:
            Xr = self.X[rows if view else np.asarray(rows)]
            if dtype is not None:
                Xr = Xr.astype(dtype, copy=False)
        # (a view gets no float32 copy of its own: it serves estimates on X's memory)
        return ArrayDesign(Xr, self.block_rows, float64_sums=False, n_threads=self._n_threads,
                           approximate_entries=0 if view else self.approximate_entries)

    def squared_norm_bound(self):
        """``||X||_2^2`` (largest squared singular value), estimated from above.

        Thirty power iterations on ``X^T X`` (two passes over X each), padded
        by 5% and capped by the Frobenius norm, which is a strict bound. Power
        iteration approaches from below; a step size of ``1 / L`` stays stable
        for any ``L`` above half the true value.
        """
        X = self.X
        if self.is_sparse:
            frobenius = float(X.multiply(X).sum())
        else:
            frobenius = float(np.einsum("ij,ij->", X, X, dtype=np.float64))
        if frobenius == 0:
            return 0.0
        v = np.random.default_rng(0).standard_normal(self.n_features)
        v /= np.linalg.norm(v)
        est = 0.0
        for _ in range(30):
            v = self.rmatmul(self.matmul(v).astype(np.float64))
            est = float(np.linalg.norm(v))
            if est == 0:
                break
            v /= est
        return min(frobenius, 1.05 * est)
