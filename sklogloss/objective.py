"""The penalised empirical risk of a linear model: the only place X is multiplied.

Conventions (fixed once, used by every solver and estimator)
------------------------------------------------------------
* ``K`` raw outputs per sample (``K = 1`` for a binary or count model, ``K``
  classes for the multinomial). ``n_dof = n_features + fit_intercept``.
* ``coef`` is a flat float64 vector of length ``K * n_dof``; viewed as a
  ``(K, n_dof)`` matrix (C order), row ``k`` holds the weights of output
  ``k`` followed, if ``fit_intercept``, by its intercept.
* Raw predictions are ``X @ W.T + b``: shape ``(n,)`` when ``K = 1`` (the
  loss's own convention), ``(n, K)`` otherwise.
* The user's objective is scikit-learn's::

      F(coef) = C * sum_i s_i * loss_i + (1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1

  with the intercept never penalised and ``C = inf`` meaning no penalty.
  Solvers minimise the same function divided by ``C * sum_i s_i``::

      f(coef) = sum_i s_i loss_i / S + alpha * ((1 - l1_ratio) / 2 ||W||^2 + l1_ratio ||W||_1)

  with ``S = sum_i s_i`` and ``alpha = 1 / (C * S)``, so that ``tol`` means
  the same thing whatever the number of samples. :meth:`LinearObjective.loss`
  and friends return the smooth part of ``f`` (everything but the L1 term);
  :meth:`LinearObjective.l1_value` and :attr:`LinearObjective.l1_strength`
  give the rest to proximal solvers; :meth:`LinearObjective.user_objective`
  converts ``f`` back to ``F``.
* Every quantity is a sum over rows. :class:`ArrayDesign` computes the
  products with X; a distributed or chunked design provides the same
  methods: ``matmul``, ``rmatmul`` and ``weighted_gram`` for the loss,
  gradient and Hessians, ``squared_norm_bound`` for first-order step sizes,
  and, for the solvers that use them, ``squared_rmatmul`` (the Jacobi
  preconditioner), ``take_rows`` (row-sampled Hessians), ``kron_gram``
  (multinomial Hessians in one product) and ``matmul64`` (float64 scores
  of a float32 design, to check a solver's carried scores). Its
  ``score_order`` ("C" if absent) is the layout of the ``(n, K)`` scores
  ``matmul`` returns; the objective stores ``(n, K)`` targets in it.
"""

import contextlib
import copy

import numpy as np
import scipy.sparse as sp

from .utils._threads import blas_threads, parallel_map, single_threaded_blas

__all__ = ["ArrayDesign", "LinearObjective"]


def _f64(raw):
    return raw.astype(np.float64, copy=False)


class ArrayDesign:
    """An in-memory design matrix: dense (C or F order, float32 or float64) or CSR.

    The matrix is used as given, never copied or densified. Products that sum
    over rows (the weighted Gram matrix) are accumulated block by block, which
    keeps temporaries small and the BLAS calls cache-friendly. Products with a
    large CSR X run in threads over row blocks (see :meth:`sparse_blocks`).

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        The validated design matrix.
    block_rows : int, default=4096
        Rows per block for the Gram matrices.
    float64_sums : bool, default=True
        Whether :meth:`rmatmul` sums in float64 when X is float32. ``False``
        keeps the sums in X's dtype (faster, with a rounding floor): for a
        row sample that only serves estimates (see :meth:`take_rows`).
    n_threads : int, default=None
        Threads for the products with a CSR X (see :meth:`sparse_blocks`);
        ``None``: as many as BLAS may use when the design is made (set with
        ``threadpoolctl.threadpool_limits``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.objective import ArrayDesign
    >>> design = ArrayDesign(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> design.weighted_gram(np.array([1.0, 0.5]))
    array([[ 5.5,  8. ],
           [ 8. , 12. ]])
    """

    #: A CSR product runs in one thread below this many non-zeros per thread.
    min_nnz_per_thread = 250_000

    def __init__(self, X, block_rows=4096, float64_sums=True, n_threads=None):
        self.X = X
        self.block_rows = int(block_rows)
        self.float64_sums = bool(float64_sums)
        self.n_threads = blas_threads() if n_threads is None else max(1, int(n_threads))
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.is_sparse = sp.issparse(X)
        #: Memory layout of the ``(n, K)`` scores :meth:`matmul` returns ("F" for dense X).
        self.score_order = "C" if self.is_sparse else "F"
        self._sparse_block_cache = {}  # see sparse_blocks

    def matmul(self, W):
        """``X @ W`` for ``W`` of shape ``(p,)`` or ``(p, K)``, in X's dtype.

        For dense X and several outputs the ``(n, K)`` result is column-major,
        computed as ``(W^T X^T)^T``: on a 100,000 x 50 X with ``K = 10`` that
        product is a third faster than ``X @ W``, and the row-wise reductions
        of a softmax over column-major scores ten times faster.
        """
        W = W.astype(self.dtype, copy=False)
        if not self.is_sparse:
            return (W.T @ self.X.T).T if W.ndim == 2 else self.X @ W
        blocks = self.sparse_blocks(self.X)
        if len(blocks) == 1:
            return self.X @ W
        out = np.empty((self.n_samples,) + W.shape[1:], dtype=self.dtype)

        def product(block):
            rows, Xb = block
            out[rows] = Xb @ W

        parallel_map(product, blocks)
        return out

    def sparse_blocks(self, X):
        """Row blocks ``[(rows, X[rows]), ...]`` of a CSR ``X`` (X or its squares), one per thread.

        scipy's sparse products run on one core, and release the GIL: split
        into row blocks of about equal numbers of non-zeros, they run in
        threads, at most ``n_threads`` and with at least ``min_nnz_per_thread``
        non-zeros each (see also :meth:`solver_context`). On 2 cores this
        makes the products of a 100,000 x 50,000 CSR X with 5 million
        non-zeros about 1.8 times faster. The blocks share X's arrays
        (their ``data`` and ``indices`` are slices of X's); one block
        ``(all rows, X)`` means one thread.

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> from sklogloss.objective import ArrayDesign
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

        For a CSR X multiplied in threads (:meth:`sparse_blocks`), BLAS is
        limited to one thread: the rest of a solver's arithmetic is vector
        operations on the coefficients, and OpenBLAS threads that wake for a
        dot product of 50,000 numbers then spin for a while on the core that
        the product's second thread needs (which made the threaded products
        no faster within a fit). A null context otherwise.
        """
        if self.is_sparse and len(self.sparse_blocks(self.X)) > 1:
            return single_threaded_blas()
        return contextlib.nullcontext()

    def _sparse_transposed_blocks(self, X):
        """``[(rows, X[rows].T), ...]`` for :meth:`sparse_blocks`, the CSC transposes sharing the blocks' arrays.

        (scipy's ``.T`` of a block would copy its slices on every product.)
        """
        blocks = self.sparse_blocks(X)
        if len(blocks) == 1:
            return [(blocks[0][0], X.T)]
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
            return np.asarray(X.T @ G, dtype=np.float64)
        parts = parallel_map(lambda block: block[1] @ G[block[0]], blocks)
        out = np.array(parts[0], dtype=np.float64)
        for part in parts[1:]:
            out += part
        return out

    def matmul64(self, W):
        """``X @ W`` in float64 arithmetic whatever X's dtype, returned in float64.

        ``W`` is not rounded to X's dtype and the sums are float64: the scores
        of float64 coefficients on float32 data, for checking what products
        in X's dtype carried along a solver's path (dense X: row blocks
        converted in a buffer; CSR: row chunks converted one at a time).
        """
        W = np.asarray(W, dtype=np.float64)
        if self.dtype == np.float64:
            return np.asarray(self.matmul(W))
        if self.is_sparse:
            # Row chunks of about 64 * block_rows non-zeros (2^18 by default)
            # converted one at a time: no float64 copy of X.
            out = np.empty((self.n_samples,) + W.shape[1:])
            step = max(1, int(self.n_samples * 64 * self.block_rows / max(self.X.nnz, 1)))
            for start in range(0, self.n_samples, step):
                out[start : start + step] = self.X[start : start + step].astype(np.float64) @ W
            return out
        out = np.empty((self.n_samples,) + W.shape[1:], order="F")  # column-major, as matmul
        for rows, Xb64 in self._float64_blocks():
            np.matmul(Xb64, W, out=out[rows])
        return out

    def _float64_blocks(self):
        """Yield ``(row slice, float64 copy of those rows)`` of a dense X, reusing one buffer.

        The buffer holds at most 4096 rows and 4 MB, so that it stays in cache.
        """
        rows = max(1, min(self.block_rows, self.n_samples, (1 << 19) // max(self.n_features, 1)))
        buffer = np.empty((rows, self.n_features))
        for start in range(0, self.n_samples, rows):
            Xb = self.X[start : start + rows]
            Xb64 = buffer[: Xb.shape[0]]
            np.copyto(Xb64, Xb)
            yield slice(start, start + Xb.shape[0]), Xb64

    def rmatmul(self, G, exact=None):
        """``X.T @ G`` for ``G`` of shape ``(n,)`` or ``(n, K)``, returned in float64.

        ``exact=False`` keeps the sums in X's dtype (for Hessian-vector products,
        which are approximations anyway); ``None`` means ``float64_sums``.

        A dense X below float64 is converted a row block at a time into a
        float64 buffer that stays in cache: a float32 sum over every row has
        a rounding floor above the stopping tolerances (a gradient error of
        1e-8 on a 200,000-row problem, and steps of the Newton solvers that
        the objective's change no longer resolves), while the buffer costs
        less than the float64 pass over a float64 X would. A CSR X sums in
        its dtype: each column's sum runs over its non-zeros only.
        """
        if self.is_sparse:
            return self._sparse_rmatmul(self.X, G)
        if self.dtype == np.float64 or not (self.float64_sums if exact is None else exact):
            return np.asarray((G.astype(self.dtype, copy=False).T @ self.X).T, dtype=np.float64)
        G = G.astype(np.float64, copy=False)
        out = np.zeros((self.n_features,) + G.shape[1:])
        for rows, Xb64 in self._float64_blocks():
            out += Xb64.T @ G[rows]
        return out

    def weighted_gram(self, d, nonneg=True):
        """``X.T @ diag(d) @ X`` as a dense float64 ``(p, p)`` array.

        ``nonneg=True`` promises ``d >= 0``, which allows the symmetric
        rank-k update on ``sqrt(d) * X`` (half the flops of a general product).
        """
        X = self.X
        if self.is_sparse:
            H = (X.T @ sp.diags(d) @ X).toarray()
            return np.asarray(H, dtype=np.float64)
        p = self.n_features
        H = np.zeros((p, p), dtype=np.float64)
        d = d.astype(self.dtype, copy=False)
        for start in range(0, self.n_samples, self.block_rows):
            Xb = X[start : start + self.block_rows]
            db = d[start : start + self.block_rows, None]
            if nonneg:
                A = Xb * np.sqrt(db)
                H += A.T @ A
            else:
                H += Xb.T @ (Xb * db)
        return H

    def kron_gram(self, V, intercept=False):
        """``B^T B`` for the matrix ``B`` whose row ``i`` is ``v_i (x) [x_i, 1]``.

        ``(x)`` is the Kronecker product, the trailing 1 is there only if
        ``intercept``. With ``V`` of shape ``(n, K)`` the result is the float64
        ``(K m, K m)`` matrix, ``m = n_features + intercept``, laid out as the
        objective's coefficients (output-major): the rank-one part of a
        multinomial Hessian for all ``K^2`` blocks in one matrix product per
        row block, in place of ``K (K + 1) / 2`` weighted Gram matrices.
        ``B`` is formed a row block at a time (CSR rows are densified a block
        at a time: a Hessian is only formed for a few hundred coefficients).
        """
        n, K = V.shape
        p = self.n_features
        m = p + bool(intercept)
        H = np.zeros((K * m, K * m))
        V = V.astype(self.dtype, copy=False)
        rows = max(1, min(self.block_rows, (1 << 22) // (K * m)))  # B blocks of at most 4M entries
        for start in range(0, n, rows):
            Xb = self.X[start : start + rows]
            if self.is_sparse:
                Xb = Xb.toarray()
            Vb = V[start : start + rows]
            B = np.empty((Xb.shape[0], K, m), dtype=self.dtype)
            np.multiply(Vb[:, :, None], Xb[:, None, :], out=B[:, :, :p])
            if intercept:
                B[:, :, p] = Vb
            B = B.reshape(Xb.shape[0], K * m)
            H += B.T @ B
        return H

    def squared_rmatmul(self, D):
        """``(X * X).T @ D`` for ``D`` of shape ``(n,)`` or ``(n, K)``, float64.

        CSR: squares the stored values once and keeps them (one copy of
        ``X.data``, the indices are shared). Dense: block by block.
        """
        D = D.astype(self.dtype, copy=False)
        if self.is_sparse:
            if getattr(self, "_X_squared", None) is None:
                X = self.X
                self._X_squared = sp.csr_matrix((np.square(X.data), X.indices, X.indptr), shape=X.shape)
            return self._sparse_rmatmul(self._X_squared, D)
        out = np.zeros((self.n_features,) + D.shape[1:])
        for start in range(0, self.n_samples, self.block_rows):
            Xb = self.X[start : start + self.block_rows]
            out += np.square(Xb).T @ D[start : start + self.block_rows]
        return out

    def take_rows(self, rows, dtype=None):
        """A design on a subset of rows (a copy of those rows only), optionally cast to ``dtype``.

        The subset serves estimates (sampled Hessians, a start point): its
        products keep their sums in its dtype (``float64_sums=False``).
        """
        Xr = self.X[rows]
        if dtype is not None:
            Xr = Xr.astype(dtype, copy=False)
        return ArrayDesign(Xr, self.block_rows, float64_sums=False, n_threads=self.n_threads)

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


class LinearObjective:
    """Penalised, weighted empirical risk of a linear model with a given loss.

    Parameters
    ----------
    design : ArrayDesign or ndarray or sparse matrix
        The design matrix (wrapped in :class:`ArrayDesign` if needed).
    y : ndarray
        Targets in the loss's format: ``(n,)`` for a single output, ``(n, K)``
        for a multi-output loss such as the multinomial.
    loss : object
        A loss from :mod:`sklogloss.losses`.
    sample_weight : ndarray of shape (n,), default=None
        Non-negative weights ``s_i``; ``None`` means ones.
    fit_intercept : bool, default=True
        Whether each output has an unpenalised intercept.
    C : float, default=1.0
        Inverse penalty strength; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Share of the L1 term in the penalty.
    n_outputs : int, default=None
        Number of raw outputs ``K``; taken from the loss or from ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> obj = LinearObjective(X, y, BinomialLoss(), C=np.inf)
    >>> coef = obj.zero_coef()
    >>> round(obj.loss(coef), 6)  # log(2) at the origin
    0.693147
    """

    def __init__(self, design, y, loss, sample_weight=None, fit_intercept=True, C=1.0,
                 l1_ratio=0.0, n_outputs=None):
        self.design = design if hasattr(design, "weighted_gram") else ArrayDesign(design)
        # Per-sample quantities (targets, losses, gradients) are float64 whatever
        # X's dtype: they cost O(n), a pass over X costs O(n p), and float64 sums
        # keep line searches and stopping tests meaningful for float32 data.
        # ``(n, K)`` targets are laid out as the scores (column-major for a dense
        # X): elementwise work on mixed layouts runs at a quarter of the speed.
        self.y = np.asarray(y, dtype=np.float64, order=getattr(self.design, "score_order", "C"))
        self.loss_fn = loss
        n = self.design.n_samples
        if n_outputs is None:
            n_outputs = loss.n_outputs if loss.n_outputs is not None else y.shape[1]
        self.n_outputs = int(n_outputs)
        self.fit_intercept = bool(fit_intercept)
        self.n_features = self.design.n_features
        self.n_dof = self.n_features + self.fit_intercept
        self.size = self.n_outputs * self.n_dof
        sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.weight_sum = float(sw.sum())
        if not self.weight_sum > 0:
            raise ValueError("The sample weights sum to zero; at least one must be positive.")
        # Normalised weights s_i / S.
        self.sw64 = sw / self.weight_sum
        self.C = float(C)
        self.l1_ratio = float(l1_ratio)
        self.alpha = 0.0 if np.isinf(self.C) else 1.0 / (self.C * self.weight_sum)
        self.l2_strength = self.alpha * (1.0 - self.l1_ratio)
        self.l1_strength = self.alpha * self.l1_ratio

    # ------------------------------------------------------------------ layout
    def zero_coef(self):
        """A zero coefficient vector of the right size (float64)."""
        return np.zeros(self.size, dtype=np.float64)

    def unpack(self, coef):
        """Split ``coef`` into weights ``(K, p)`` and intercepts ``(K,)`` (views)."""
        M = coef.reshape(self.n_outputs, self.n_dof)
        W = M[:, : self.n_features]
        b = M[:, self.n_features] if self.fit_intercept else np.zeros(self.n_outputs)
        return W, b

    def penalised_mask(self):
        """Boolean mask of the entries of ``coef`` that the penalty acts on."""
        mask = np.ones((self.n_outputs, self.n_dof), dtype=bool)
        if self.fit_intercept:
            mask[:, -1] = False
        return mask.ravel()

    def null_space(self):
        """Orthonormal basis ``(size, m)`` of directions along which the smooth part is constant.

        For a loss with ``shift_invariant = True`` (the multinomial: adding the
        same number to the ``K`` scores of a sample changes nothing), moving
        coefficient ``j`` of every output by the same amount leaves the loss
        unchanged; the smooth objective is flat along that direction when the
        L2 term does not act on ``j``: the intercepts, and every coefficient
        when ``l2_strength == 0``. The Hessian is singular there (and the
        gradient orthogonal to it). ``m = 0`` for any other loss.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.losses import MultinomialLoss
        >>> from sklogloss.objective import LinearObjective
        >>> X = np.array([[0.0], [1.0], [2.0]]); Y = np.eye(3)
        >>> LinearObjective(X, Y, MultinomialLoss(), C=1.0).null_space().T.round(4)
        array([[0.    , 0.5774, 0.    , 0.5774, 0.    , 0.5774]])
        """
        K, m = self.n_outputs, self.n_dof
        if K < 2 or not getattr(self.loss_fn, "shift_invariant", False):
            return np.zeros((self.size, 0))
        free = np.arange(m) if self.l2_strength == 0 else np.flatnonzero(~self.penalised_mask()[:m])
        basis = np.zeros((K, m, free.size))
        basis[:, free, np.arange(free.size)] = 1.0 / np.sqrt(K)
        return basis.reshape(K * m, free.size)

    def row_subset(self, rows, dtype=None):
        """The same objective on a subset of rows, for approximating curvature.

        The subset's weights are renormalised to the same total, and the
        penalty strengths are those of the full objective, so that the
        subset's Hessian estimates the full one (sub-sampled Newton).
        ``dtype`` casts the subset's rows (e.g. float32: a Hessian that is an
        estimate anyway costs half as much).
        """
        sub = copy.copy(self)
        sub.design = self.design.take_rows(rows, dtype)
        sub.y = np.asarray(self.y[rows], order=getattr(sub.design, "score_order", "C"))
        w = self.sw64[rows]
        sub.sw64 = w / w.sum()
        return sub

    # ------------------------------------------------------------ raw scores
    def linear_predictor(self, coef, exact=False):
        """Raw predictions ``X @ W.T + b`` in float64: ``(n,)`` if ``K = 1`` else ``(n, K)``.

        The product is computed in X's dtype (``exact=True``: in float64
        arithmetic, see ``ArrayDesign.matmul64``), the intercept added in float64.
        """
        W, b = self.unpack(coef)
        matmul = self.design.matmul64 if exact else self.design.matmul
        if self.n_outputs == 1:
            raw = _f64(np.asarray(matmul(W[0])))
            if self.fit_intercept:
                raw += b[0]
        else:
            raw = _f64(np.asarray(matmul(W.T)))
            if self.fit_intercept:
                raw += b
        return raw

    def round_coef(self, coef):
        """``coef`` with its weights rounded to X's dtype (a copy; float64 X: ``coef`` itself).

        ``X @ W`` is computed in X's dtype, so only weights that dtype holds
        are seen exactly. Newton solvers round their steps: the scores they
        carry from step to step (``raw + t * X @ step``, in float64) then are
        those of the float64 coefficients they report, to the rounding of
        each product, and the coefficients keep float64 resolution (the
        float32 optimum rounded to float32 weights has a gradient of 3e-8 on
        a 200,000 x 100 problem, above the default tolerance).
        """
        if self.design.dtype == np.float64:
            return coef
        coef = np.array(coef, dtype=np.float64)
        W, _ = self.unpack(coef)
        W[...] = W.astype(self.design.dtype)
        return coef

    # --------------------------------------------------------------- values
    def _penalty(self, coef):
        W, _ = self.unpack(coef)
        return 0.5 * self.l2_strength * float(np.vdot(W, W))

    def l1_value(self, coef):
        """The L1 part of the scaled objective, ``alpha * l1_ratio * ||W||_1``."""
        if self.l1_strength == 0:
            return 0.0
        W, _ = self.unpack(coef)
        return self.l1_strength * float(np.abs(W).sum())

    def _weighted_sum(self, per_sample):
        # Accumulate in float64 whatever X's dtype: line searches compare sums.
        return float(np.dot(self.sw64, per_sample.astype(np.float64, copy=False)))

    def loss(self, coef, raw=None):
        """Smooth part of the scaled objective at ``coef`` (raw scores reused if given)."""
        if raw is None:
            raw = self.linear_predictor(coef)
        return self._weighted_sum(self.loss_fn.loss(self.y, _f64(raw))) + self._penalty(coef)

    def loss_state(self, coef, raw=None):
        """Smooth objective value and what the loss can reuse at the same scores.

        Returns ``(value, state)``. ``state`` is ``softmax(raw)`` (read-only)
        for a loss that computes it along with the value (``returns_proba``,
        e.g. the multinomial), else ``None``. Passed back as ``state`` to
        :meth:`gradient`, :meth:`gradient_hessp`, :meth:`hessian_diagonal` or
        :meth:`gradient_hessian` (there only when the loss offers
        ``gradient_hessian_factors``) at the same ``coef`` and ``raw``, it
        saves them their own exponentials: a line search's last value then
        pays for the next gradient's probabilities.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        if not getattr(self.loss_fn, "returns_proba", False):
            return self.loss(coef, raw), None
        per_sample, proba = self.loss_fn.loss(self.y, _f64(raw), return_proba=True)
        proba.flags.writeable = False  # shared by every consumer at this point
        return self._weighted_sum(per_sample) + self._penalty(coef), proba

    @staticmethod
    def _state_kw(state):
        return {} if state is None else {"proba": state}

    def _grad_from_raw_grad(self, coef, G, exact=None):
        """Assemble the flat gradient from the per-sample gradient ``G`` (already weighted).

        ``exact`` is passed to ``rmatmul`` (``False`` for Hessian-vector products).
        """
        grad = np.empty((self.n_outputs, self.n_dof))
        rmatmul = self.design.rmatmul if exact is None else (lambda G: self.design.rmatmul(G, exact=exact))
        if self.n_outputs == 1:
            grad[0, : self.n_features] = rmatmul(G)
            if self.fit_intercept:
                grad[0, -1] = G.sum(dtype=np.float64)
        else:
            grad[:, : self.n_features] = rmatmul(G).T
            if self.fit_intercept:
                grad[:, -1] = G.sum(axis=0, dtype=np.float64)
        W, _ = self.unpack(coef)
        grad[:, : self.n_features] += self.l2_strength * W
        return grad.ravel()

    def _weight_rows(self, G):
        return G * (self.sw64 if G.ndim == 1 else self.sw64[:, None])

    def loss_gradient(self, coef, raw=None):
        """Smooth objective value and its gradient (flat, float64)."""
        if raw is None:
            raw = self.linear_predictor(coef)
        per_sample, G = self.loss_fn.loss_gradient(self.y, _f64(raw))
        value = self._weighted_sum(per_sample) + self._penalty(coef)
        return value, self._grad_from_raw_grad(coef, self._weight_rows(G))

    def gradient(self, coef, raw=None, state=None):
        """Gradient of the smooth objective (``state``: see :meth:`loss_state`)."""
        if raw is None:
            raw = self.linear_predictor(coef)
        G = self.loss_fn.gradient(self.y, _f64(raw), **self._state_kw(state))
        return self._grad_from_raw_grad(coef, self._weight_rows(G))

    # ------------------------------------------------------------- Hessians
    def _gram_block(self, d, nonneg):
        """``[[X^T D X, X^T d], [d^T X, sum d]]`` (intercept last), float64."""
        H = np.empty((self.n_dof, self.n_dof))
        p = self.n_features
        H[:p, :p] = self.design.weighted_gram(d, nonneg=nonneg)
        if self.fit_intercept:
            col = self.design.rmatmul(d)
            H[:p, p] = col
            H[p, :p] = col
            H[p, p] = d.sum(dtype=np.float64)
        return H

    def gradient_hessian(self, coef, raw=None, gradient=True, state=None):
        """Gradient and full Hessian ``(size, size)`` of the smooth objective.

        For a single output this is ``X^T diag(s_i h_i) X`` (the Fisher
        information for the logistic loss); for ``K`` outputs the ``(k, l)``
        block is ``X^T diag(s_i H_i[k, l]) X``. ``gradient=False`` skips the
        gradient's pass over X and returns ``None`` for it. ``state``: see
        :meth:`loss_state`.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        factors = None
        if self.n_outputs > 1 and hasattr(self.loss_fn, "gradient_hessian_factors") \
                and hasattr(self.design, "kron_gram"):
            G, *factors = self.loss_fn.gradient_hessian_factors(self.y, _f64(raw), **self._state_kw(state))
        else:
            G, hess = self.loss_fn.gradient_hessian(self.y, _f64(raw))
        grad = self._grad_from_raw_grad(coef, self._weight_rows(G)) if gradient else None
        K, m = self.n_outputs, self.n_dof
        fisher = bool(self.loss_fn.hessian_is_fisher)
        if K == 1:
            H = self._gram_block(hess * self.sw64, nonneg=fisher)
        elif factors is not None:
            # Per-sample blocks diag(d_i) - v_i v_i^T: K Gram matrices on the
            # diagonal minus one Kronecker Gram for all blocks at once.
            d, V = factors
            H = -self.design.kron_gram(V * np.sqrt(self.sw64)[:, None], self.fit_intercept)
            for k in range(K):
                H[k * m:(k + 1) * m, k * m:(k + 1) * m] += self._gram_block(d[:, k] * self.sw64, nonneg=True)
        else:
            H = np.empty((K * m, K * m))
            for k in range(K):
                for l in range(k, K):
                    block = self._gram_block(hess[:, k, l] * self.sw64, nonneg=(k == l and fisher))
                    H[k * m:(k + 1) * m, l * m:(l + 1) * m] = block
                    if l != k:
                        H[l * m:(l + 1) * m, k * m:(k + 1) * m] = block.T
        diag = np.arange(K * m).reshape(K, m)[:, : self.n_features].ravel()
        H[diag, diag] += self.l2_strength
        return grad, H

    def gradient_hessp(self, coef, raw=None, gradient=True, state=None):
        """Gradient and a function ``v -> H v`` (two passes over X per product).

        ``gradient=False`` skips the gradient's pass over X and returns ``None``
        for it. ``state``: see :meth:`loss_state`.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        if self.n_outputs == 1:
            G, hess = self.loss_fn.gradient_hessian(self.y, _f64(raw))
            d = hess * self.sw64

            def raw_hessp(r):
                return d * r
        else:
            G, per_sample_hessp = self.loss_fn.gradient_hessian_product(self.y, _f64(raw),
                                                                        **self._state_kw(state))
            sw = self.sw64[:, None]

            def raw_hessp(r):
                out = per_sample_hessp(r)
                out *= sw
                return out

        grad = self._grad_from_raw_grad(coef, self._weight_rows(G)) if gradient else None

        def hessp(v):
            # H v = X^T D X v (+ intercept terms) + l2 * v_W: the penalty term
            # is the ``l2 * W`` that _grad_from_raw_grad adds for W = v_W.
            # A dense float32 X sums in float32 here: CG needs no more.
            exact = None if getattr(self.design, "is_sparse", True) else False
            return self._grad_from_raw_grad(v, raw_hessp(self.linear_predictor(v)), exact=exact)

        return grad, hessp

    def hessian_diagonal(self, coef, raw=None, state=None):
        """Diagonal of the Hessian (flat, float64), or ``None`` if the loss has no per-sample diagonal.

        One pass over ``X * X``: the Jacobi preconditioner of Newton-CG.
        ``state``: see :meth:`loss_state`.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        if self.n_outputs == 1:
            d = self.loss_fn.gradient_hessian(self.y, _f64(raw))[1] * self.sw64
        elif hasattr(self.loss_fn, "hessian_diagonal"):
            d = self.loss_fn.hessian_diagonal(self.y, _f64(raw), **self._state_kw(state)) * self.sw64[:, None]
        else:
            return None
        diag = np.empty((self.n_outputs, self.n_dof))
        diag[:, : self.n_features] = self.design.squared_rmatmul(d).reshape(self.n_features, -1).T
        diag[:, : self.n_features] += self.l2_strength
        if self.fit_intercept:
            diag[:, -1] = d.reshape(len(d), -1).sum(axis=0)
        return diag.ravel()

    def lipschitz(self):
        """An upper bound of the Lipschitz constant of the smooth gradient.

        Uses the loss's bound on the Hessian of one sample (1/4 for the
        binomial, 1/2 for the multinomial) times ``max_i s_i / S * ||[X, 1]||^2``.
        """
        bound = getattr(self.loss_fn, "hessian_bound", 0.25 if self.n_outputs == 1 else 0.5)
        xnorm = self.design.squared_norm_bound() + (self.design.n_samples if self.fit_intercept else 0)
        return bound * float(self.sw64.max()) * xnorm + self.l2_strength

    # ----------------------------------------------------------- reporting
    def objective(self, coef, raw=None):
        """Full scaled objective ``f`` (smooth part plus L1)."""
        return self.loss(coef, raw) + self.l1_value(coef)

    def user_objective(self, coef, raw=None):
        """The objective in scikit-learn's scaling, ``F = C * S * f`` (``S * f`` if ``C = inf``)."""
        f = self.objective(coef, raw)
        return f * self.weight_sum * (1.0 if np.isinf(self.C) else self.C)

    def projected_gradient_max(self, coef, grad):
        """Max-norm of the minimum-norm subgradient (the gradient when there is no L1)."""
        if self.l1_strength == 0:
            return float(np.max(np.abs(grad))) if grad.size else 0.0
        g = grad.copy()
        mask = self.penalised_mask()
        lam = self.l1_strength
        w = coef[mask]
        gm = g[mask]
        sub = np.where(w > 0, gm + lam, np.where(w < 0, gm - lam, np.sign(gm) * np.maximum(np.abs(gm) - lam, 0)))
        g[mask] = sub
        return float(np.max(np.abs(g))) if g.size else 0.0
