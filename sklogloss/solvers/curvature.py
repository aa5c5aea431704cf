"""Curvature helpers of the Newton solvers: row-sampled Hessians, their start point, flat directions."""

import math

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

__all__ = ["HessianMemory", "SampledCurvature", "SchurJacobi", "cholesky_factor", "cholesky_solve", "deflate",
           "factor_solve", "sample_rows", "start_from_sample", "tall_hessian_rows"]


def tall_hessian_rows(hessian_rows, n_samples, size):
    """Rows a Newton model's Hessian is computed on: all of them unless n is much larger than needed.

    ``hessian_rows="auto"``: ``m = max(20000, 100 * size)`` random rows when
    ``n > 4 m``; an int: that many under the same condition; ``None``: every
    row. The sample's Hessian is then corrected by BFGS updates from the full
    gradients (:class:`SampledCurvature`), at a fraction of the cost of the
    full ``X^T D X`` per step; gradients and line searches stay exact.
    """
    if hessian_rows is None:
        return n_samples
    m = max(20_000, 100 * size) if hessian_rows == "auto" else int(hessian_rows)
    return m if n_samples > 4 * m else n_samples


def sample_rows(objective, n_rows, random_state):
    """The objective on ``n_rows`` random rows (sorted), in float32: a Hessian estimate costs half.

    ``n_rows >= objective.n_samples`` gives every row (still a float32 copy).
    Needs the capability ``"row_subset"``.
    """
    n = objective.n_samples
    m = min(n, int(n_rows))
    rows = np.sort(np.random.default_rng(random_state).choice(n, size=m, replace=False))
    return objective.row_subset(rows, dtype=np.float32)


def cholesky_solve(H, b):
    """``H^{-1} b`` by a Cholesky factorisation, or None if ``H`` is not numerically positive definite.

    LAPACK's ``potrf``/``potrs`` directly: on the small systems of small data
    sets the checks of :func:`scipy.linalg.cho_factor` and ``cho_solve`` cost
    as much as the factorisation. None also when the solution is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.solvers.curvature import cholesky_solve
    >>> cholesky_solve(np.array([[4.0, 2.0], [2.0, 3.0]]), np.array([2.0, 1.0]))
    array([0.5, 0. ])
    >>> cholesky_solve(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2)) is None  # indefinite
    True
    """
    factor = cholesky_factor(H)
    return None if factor is None else factor_solve(factor, b)


def cholesky_factor(H):
    """The upper Cholesky factor of ``H`` (LAPACK ``potrf``), or None if ``H`` is not positive definite.

    Its lower triangle is left as it was (pass it only to :func:`factor_solve`).
    ``H`` must be symmetric: which of its triangles is read depends on its
    memory order (a C-ordered ``H`` is passed to LAPACK as ``H.T``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.solvers.curvature import cholesky_factor, factor_solve
    >>> R = cholesky_factor(np.array([[4.0, 2.0], [2.0, 3.0]]))
    >>> factor_solve(R, np.array([2.0, 1.0]))
    array([0.5, 0. ])
    """
    H = np.asarray(H, dtype=np.float64)
    potrf = scipy.linalg.lapack.dpotrf
    # A C-ordered H is passed as H.T (Fortran-ordered, the same symmetric matrix): no copy.
    factor, info = potrf(H.T if H.flags.c_contiguous and not H.flags.f_contiguous else H, lower=0, clean=0)
    return factor if info == 0 else None


def factor_solve(factor, b):
    """``H^{-1} b`` from the factor of :func:`cholesky_factor`; None if the solution is not finite.

    (Tested through its sum, which is not finite if an entry is not, or if the
    entries are so large that it overflows: a step of no use either.)

    The factor is reused for every right-hand side: Newton-Cholesky solves
    with the same factor while it keeps its Hessian.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.solvers.curvature import cholesky_factor, factor_solve
    >>> R = cholesky_factor(np.array([[2.0, 0.0], [0.0, 4.0]]))
    >>> factor_solve(R, np.array([2.0, 2.0]))
    array([1. , 0.5])
    """
    # (float64 throughout: cholesky_factor's factors are)
    x, info = scipy.linalg.lapack.dpotrs(factor, np.asarray(b, dtype=np.float64), lower=0)
    if info != 0 or not math.isfinite(np.add.reduce(x, axis=None)):
        return None
    return x


class HessianMemory:
    """The last Hessian of a Newton-Cholesky fit, for the next fit of the same data to start from.

    Along a path of ``C`` (:class:`~sklogloss.LogisticClassifierCV`) each fit
    starts at the previous solution, where the previous fit's last Hessian
    was formed one step earlier: the loss part of it is still accurate, and
    :meth:`~sklogloss.objective.base.Objective.carry_hessian` replaces its L2
    term by the new ``C``'s. The first step of the next fit then costs no
    Hessian. A memory holds one Hessian per problem (``key``: the index of a
    one-vs-rest class); it must only be shared by fits on the same data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import NewtonCholeskySolver
    >>> from sklogloss.solvers.curvature import HessianMemory
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 3))
    >>> y = (X @ [1.0, -1.0, 0.5] + rng.logistic(size=200) > 0).astype(float)
    >>> memory, coef = HessianMemory(), np.zeros(4)
    >>> for C in [0.1, 1.0, 10.0]:
    ...     solver = NewtonCholeskySolver(tol=1e-10, memory=memory)
    ...     coef = solver.solve(LinearObjective(X, y, BinomialLoss(), C=C), coef).coef
    >>> reference = NewtonCholeskySolver(tol=1e-10).solve(LinearObjective(X, y, BinomialLoss(), C=10.0),
    ...                                                    np.zeros(4)).coef
    >>> bool(np.allclose(coef, reference, atol=1e-8)), memory.n_carried
    (True, 2)
    """

    def __init__(self):
        self._store = {}
        #: How many fits started from a carried Hessian.
        self.n_carried = 0

    def store(self, H, objective, key=0):
        """Remember ``H``, the Hessian of ``objective``."""
        self._store[key] = (H, objective)

    def recall(self, objective, key=0):
        """The remembered Hessian carried to ``objective``, or None."""
        if key not in self._store:
            return None
        H, other = self._store[key]
        carried = objective.carry_hessian(H, other)
        if carried is not None:
            self.n_carried += 1
        return carried


def deflate(H, null_basis):
    """``H + c N N^T``: definite along the flat directions ``N`` of the objective, unchanged elsewhere.

    ``H`` vanishes along ``N`` (and the gradient is orthogonal to it, up to
    rounding): the solution of ``(H + c N N^T) step = -g`` has no component
    along ``N`` and solves ``H step = -g`` on the complement. ``c``, the mean
    diagonal of ``H``, keeps the system as well scaled as ``H``. An empty
    basis (``objective.null_space()`` of shape ``(size, 0)``) returns ``H``.
    """
    if null_basis.shape[1] == 0:
        return H
    c = max(float(np.trace(H)) / len(H), np.finfo(float).tiny)
    return H + c * (null_basis @ null_basis.T)


class SampledCurvature:
    """A Hessian estimate from a row sample, refreshed lazily or corrected by BFGS.

    The first call computes the Hessian of ``sample`` (a row subset of the
    objective) at ``coef``. Later calls either

    * ``bfgs=True``: apply the BFGS update with the step ``s`` and the change
      ``y`` of the *full* gradient since the previous call, so the estimate
      learns the full problem's curvature along the path at no extra pass
      over X (superlinear convergence in place of the linear rate of a fixed
      sampled Hessian); updates with ``y.s <= 0`` are skipped, which keeps
      the estimate positive definite. Right for a Hessian that *is* the
      Newton system (Newton-Cholesky on tall data);
    * ``bfgs=False``: recompute the sample's Hessian at ``coef`` unless no
      score of the sample moved by more than ``max_score_change`` since the
      last computation. The Hessian depends on the coefficients only through
      the scores, so near the optimum, where the steps are small, the last
      one is kept at no cost. Right for a preconditioner (Newton-CG).

    Parameters
    ----------
    sample : LinearObjective
        The objective on a row sample (see ``LinearObjective.row_subset``).
    bfgs : bool, default=True
        Correct by BFGS (True) or recompute lazily (False).
    max_score_change : float, default=0.1
        With ``bfgs=False``: keep the last Hessian while every sample score is
        within this of the scores it was computed at.

    Attributes
    ----------
    n_computed : int
        How many times the sample's Hessian was computed.
    """

    def __init__(self, sample, bfgs=True, max_score_change=0.1):
        self.sample = sample
        self.bfgs = bfgs
        self.max_score_change = max_score_change
        self.H = None
        self.n_computed = 0

    def seed(self, coef, H):
        """Take ``H``, the sample's Hessian at ``coef`` computed elsewhere, as the current estimate."""
        self.H = H
        self.raw = self.sample.linear_predictor(coef)
        self.coef, self.grad = None, None

    def update(self, coef, grad):
        """Return the current estimate at ``coef`` (full gradient ``grad``)."""
        if self.H is not None and self.bfgs and self.grad is None:
            pass  # seeded at this coef: nothing to correct yet
        elif self.H is None or not self.bfgs:
            raw = self.sample.linear_predictor(coef)
            if self.H is None or np.max(np.abs(raw - self.raw)) > self.max_score_change:
                self.H = self.sample.gradient_hessian(coef, raw=raw, gradient=False)[1]
                self.raw = raw
                self.n_computed += 1
        else:
            step, change = coef - self.coef, grad - self.grad
            sy = float(step @ change)
            Hs = self.H @ step
            sHs = float(step @ Hs)
            if sy > 1e-12 * np.linalg.norm(step) * np.linalg.norm(change) and sHs > 0:
                self.H = self.H + np.outer(change, change / sy) - np.outer(Hs, Hs / sHs)
        self.coef, self.grad = coef.copy(), grad.copy()
        return self.H


def start_from_sample(solver, objective, sample, coef0):
    """Solve the problem restricted to a row ``sample`` first; return the better start.

    The sample's problem is solved by full Newton-Cholesky (its Hessian is
    cheap) until its gradient is 1% of the one at ``coef0``: closer than the
    sampling error of its optimum (the full gradient at the sample's optimum
    is a few percent of the one at zero), so further sample iterations would
    not give a better start. Its solution replaces a cold ``coef0``
    (all weights zero), or a warm one if the full objective is lower there:
    a start within the sampling error of the optimum, for the cost of about
    one full iteration, which saves the full iterations a cold start spends
    far from it.
    """
    g0 = sample.gradient(np.asarray(coef0, dtype=np.float64))
    # (Not below 1e-6: a warm start near the sample's optimum needs no more.)
    tol = max(solver.tol, 1e-6, 1e-2 * float(np.max(np.abs(g0), initial=0.0)))
    from .newton import NewtonCholeskySolver

    presolver = NewtonCholeskySolver(tol=tol, max_iter=solver.max_iter, hessian_rows=None)
    pre = presolver.solve(sample, coef0)
    weights = np.asarray(coef0, dtype=np.float64)[objective.penalised_mask()]
    # A cold start (no weights yet) takes the sample's solution as it is;
    # a warm one keeps whichever is better on the full data.
    if not np.any(weights) or objective.loss(pre.coef) < objective.loss(coef0):
        coef0 = pre.coef
        # The presolver's last Hessian, when it was formed at its solution, is the
        # curvature estimate's first value at no cost; otherwise (formed a step or more
        # before) the estimate is computed there.
        formed_at = getattr(presolver, "hessian_coef", None)
        exact = formed_at is not None and np.array_equal(formed_at, coef0)
        solver.curvature.seed(coef0, presolver.hessian if exact else None)
    if solver.verbose:
        print(f"[{solver.name}] Hessian from {sample.n_samples} of "
              f"{objective.n_samples} rows; start from their solution "
              f"({pre.n_iter} iterations on the sample)")
    return coef0


def _densest(weight, candidates, k):
    """Indices of the at most ``k`` largest ``weight`` among ``candidates`` (a mask), largest first.

    Ties are taken in index order, as a stable sort of ``-weight`` would; the
    selection is a partition, not a sort of every weight (a sort of 20,000
    weights costs more than the rest of a Schur update on a small X).

    >>> import numpy as np
    >>> _densest(np.array([1.0, 5.0, 3.0, 5.0, 0.5]), np.array([True, True, True, True, False]), 3)
    array([1, 3, 2])
    >>> _densest(np.array([1.0, 5.0]), np.array([True, True]), 0).size  # (schur_columns=0: the intercept alone)
    0
    """
    index = np.flatnonzero(candidates)
    if k <= 0:
        return index[:0]
    if index.size > k:
        w = weight[index]
        kth = np.partition(w, index.size - k)[index.size - k]  # the k-th largest
        above = index[w > kth]
        index = np.sort(np.concatenate([above, index[w == kth][: k - above.size]]))
    return index[np.argsort(-weight[index], kind="stable")]


def _inverse_cholesky_factors(A):
    """``C_k^{-1}`` for the lower Cholesky factors ``C_k`` of the stacked symmetric ``A`` (``(K, s, s)``).

    LAPACK ``potrf`` and ``trtri`` called directly, a few microseconds each
    (scipy's checked wrappers and numpy's batched inverse cost more than the
    work at a hundred columns). A block that is singular to working precision
    (an unpenalised duplicate column: a pivot below ``1e-10`` of its
    diagonal entry, or no factor at all) is factored with a jitter on its
    diagonal, relative to each diagonal entry (so a badly scaled column keeps
    its own scale), doubling from ``1e-10``. Without it the factor of a
    duplicate column would hold a pivot of rounding size, and ``M^{-1}``
    entries of ``1e16``.
    """
    potrf, trtri = scipy.linalg.lapack.get_lapack_funcs(("potrf", "trtri"), (A,))
    out = np.empty_like(A)
    for k, block in enumerate(A):
        d = np.diag(block)
        scale = np.where(d > 0, d, max(float(d.max(initial=0.0)), 1.0))
        jitter = 0.0
        while True:
            chol, info = potrf(block + np.diag(jitter * scale) if jitter else block, lower=1, clean=1)
            if info == 0 and np.all(np.square(np.diag(chol)) > 1e-10 * scale):
                break
            jitter = 2 * jitter if jitter else 1e-10
        out[k] = trtri(chol, lower=1)[0]
    return out


class SchurJacobi:
    """Preconditioner exact on the densest coefficients, Jacobi on the Schur complement of the rest.

    Per output ``k``, the coefficients are split into ``S`` (the intercept and
    the dense weights: at most ``n_columns`` of largest Hessian diagonal, each
    at least ``dense_share`` (0.5%) of the intercept's; the frequent levels of
    one-hot data, the frequent words of text) and the rest ``L``. ``|S|`` is
    also at most ``apply_cost`` times the mean non-zeros per column of X, so
    that applying ``M`` (``2 |S|`` dense multiply-adds per coefficient) costs
    no more than a Hessian-vector product (2 per non-zero of X): on a sparse
    X with many more columns than rows, the intercept and a few columns. With the
    diagonal block ``H = [[A_SS, A_SL], [A_LS, A_LL]]``, the preconditioner is
    the block LDL^T factorisation of ``H`` with its Schur complement
    ``A_LL - A_LS A_SS^{-1} A_SL`` replaced by that complement's diagonal::

        M = [[I, 0], [A_LS A_SS^{-1}, I]] [[A_SS, 0], [0, diag(.)]] [[I, A_SS^{-1} A_SL], [0, I]]

    It is positive definite (the diagonal of a positive semi-definite
    complement plus the L2 term, floored), exact on ``S`` and on every
    coupling of ``S`` with ``L``. Jacobi cannot see that the columns of each
    one-hot group sum to the intercept column, or that the levels of a nested
    factor sum to their parent's column: ``M`` can, since the intercept and
    the frequent levels are in ``S``. With ``S`` the intercept alone it is
    Jacobi on the implicitly centred design. Outputs are not coupled (the
    block-diagonal part of a multinomial Hessian).

    Costs: one :meth:`~sklogloss.objective.LinearObjective.hessian_block_columns`
    (the couplings of ``S`` with everything, a sparse product over the
    co-occurring non-zeros; when every column is dense, on ``max(5000, 10 m)``
    random rows, which estimate dense couplings well) and ``O(K p |S|^2)``
    dense work per update;
    ``O(K p |S|)`` per application. :meth:`update` recomputes it only when the
    Hessian's diagonal moved by more than ``max_change`` (relative, L1).

    Parameters
    ----------
    objective : Objective
        Provides ``"block_columns"`` and ``"hessian_diagonal"``.
    n_columns : int or "auto", default="auto"
        Most weights in ``S``; ``"auto"``: ``min(128, n_features)``,
        fewer when ``K p |S|^2`` would exceed ``2e9``. Either way at most
        ``apply_cost`` times the mean non-zeros per column of X.
    max_change : float, default=0.1
        Keep the factorisation while the Hessian's diagonal is within this
        relative L1 distance of the one it was computed with.

    Attributes
    ----------
    n_computed : int
        How many times it was computed.
    S, L : ndarray
        The coefficients (indices within an output's block) of the exact part and the rest.

    Examples
    --------
    One-hot data: two categorical columns of 3 and 40 levels, every level kept
    (each group's columns sum to the intercept column). With room for ten
    columns, ``S`` holds the intercept and the frequent levels, and ``M`` is
    exact on them: ``M^{-1} H v = v`` for every ``v`` that lives on ``S``.

    >>> import numpy as np, scipy.sparse as sp
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers.curvature import SchurJacobi
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.integers(0, 3, 500), rng.zipf(1.5, 500) % 40
    >>> X = sp.hstack([sp.csr_matrix(np.eye(3)[a]), sp.csr_matrix(np.eye(40)[b])]).tocsr()
    >>> obj = LinearObjective(X, (a == 1).astype(float), BinomialLoss(), C=1.0)
    >>> coef = obj.zero_coef()
    >>> pre = SchurJacobi(obj, n_columns=10)
    >>> pre.update(coef, obj.linear_predictor(coef))
    >>> int(obj.n_dof - 1 in pre.S), len(pre.S) <= 11
    (1, True)
    >>> v = np.zeros(obj.size); v[pre.S] = rng.normal(size=len(pre.S))
    >>> H = obj.gradient_hessian(coef)[1]
    >>> bool(np.allclose(pre(H @ v), v))
    True
    """

    #: A weight joins S when its Hessian diagonal is at least this share of the intercept's.
    dense_share = 0.005
    #: ... and while the product that couples S with every column costs at most this many passes
    #: over X (unless every weight is dense and at most n_columns: then S holds them all, and M is
    #: each output's exact diagonal block: digits, K = 50 classes of 100 features).
    cost_passes = 6.0
    #: An application of M costs at most this many Hessian-vector products' multiply-adds
    #: (caps ``|S|`` at this times the mean non-zeros per column of X).
    apply_cost = 1.0
    #: A multiply-add of the sparse product ``X_S^T D X`` costs about this many of a
    #: Hessian-vector product's (scipy's two-phase sparse product with its index copies
    #: against a matrix-vector product; 3 to 6 measured on text and one-hot data).
    sparse_product_cost = 5.0
    #: The dense work of an update (``A_SS^{-1} A_SL``) runs this many times faster per
    #: multiply-add than a product (BLAS-3 against memory-bound products).
    dense_speedup = 5.0
    #: A recomputed M saves at most this share of a step's products: it is recomputed only
    #: when this share of the last step's products would pay for it.
    saving_share = 0.5
    #: A coupling ``W`` of at least this many entries is kept and applied in float32.
    float32_coupling_entries = 1 << 16
    #: On a dense X of at least four times this many rows (and no row sample), the change test
    #: runs on every ``k``-th row (a view of X), about this many of them.
    test_rows = 5_000

    def __init__(self, objective, n_columns="auto", max_change=0.1):
        self.obj = objective
        m = objective.n_dof
        p = m - objective.fit_intercept
        if n_columns == "auto":
            n_columns = min(128, p, int(np.sqrt(2e9 / max(objective.n_outputs * m, 1))))
        self.n_columns = int(min(n_columns, p))
        self.max_change = max_change
        self.diag = None
        self.sample = None
        self.view = None  # every k-th row of a dense X (see update)
        # The change test's objective when it is not the full one (the sample M came from, or the
        # view) with the rows of the scores it reads (None: its own), and its diagonal at M.
        self.tester, self.test_diag = None, None
        self.n_computed = 0
        self.block_inverse = None  # A_SS^{-1} when S is uncoupled from L (see update)
        self.cost_products, self.products_at = 0.0, 0

    def update(self, coef, raw, state=None, products=None, last_products=None, steps_left=1):
        """Recompute at ``coef`` unless the Hessian's diagonal moved by less than ``max_change``.

        The test is the relative L1 change ``sum |diag - diag_0| / sum diag_0``
        since the last computation (one pass over ``X * X``). When ``M`` came
        from a row sample (every weight dense), the test runs on the sample's
        diagonal, which ``M`` was made of (a tenth of the pass or less); on
        another dense X of at least ``4 * test_rows`` rows, on every ``k``-th
        row (a view of X; a recomputation still takes the full diagonal).

        ``products``: the caller's count of Hessian-vector products so far.
        With it, ``M`` is kept without a test until the products made on it
        cost as much as computing it did (``cost_products``, estimated from
        the multiply-adds of its blocks against those of a product): a better
        ``M`` can save at most the products a step makes, so it is bought
        only once the current one has been paid for in products (the rule of
        ski rental). Where a recomputation costs a few products (sparse X,
        row samples) this changes nothing; on small dense multinomial data it
        costs 15 (digits: 10 blocks of 62 columns on 1437 rows).

        ``last_products``: the products of the last step's CG solve. With it,
        ``M`` is also kept while ``saving_share`` of them, over the
        ``steps_left`` steps the solver expects (this one included), would not
        pay for a recomputation: late in a fit the steps that remain are few,
        and a recomputation whose cost they cannot recover is not made (on the
        one-hot Zipf problem, 20 products' time for a last step of 11
        products); earlier, a stale ``M`` costs every remaining step (digits:
        steps of 11, 18, 28 and 40 products on the first ``M``, against 4, 6
        and 8 on a recomputed one).
        """
        obj = self.obj
        K, m = obj.n_outputs, obj.n_dof
        p = m - obj.fit_intercept
        if self.diag is not None and (
                (products is not None and products - self.products_at < self.cost_products)
                or (last_products is not None
                    and self.saving_share * last_products * max(steps_left, 1) < self.cost_products)):
            return

        def moved(new, old):
            return float(np.abs(new - old).sum()) > self.max_change * max(float(old.sum()), np.finfo(float).tiny)

        def test_diagonal(tester):
            tester_obj, tester_rows = tester
            scores = None if tester_rows is None or raw is None else raw[tester_rows]
            return tester_obj.hessian_diagonal(coef, scores).reshape(K, m)

        tested = self.tester if self.diag is not None else None
        test_diag = None
        if tested is not None:
            test_diag = test_diagonal(tested)
            if not moved(test_diag, self.test_diag):
                return
        diag = obj.hessian_diagonal(coef, raw, state=state).reshape(K, m)
        if self.diag is not None and tested is None and not moved(diag, self.diag):
            return
        self.diag = diag
        # The densest weights: those whose diagonal is at least `dense_share` of the
        # intercept's (the weight of every row), at most n_columns of them.
        column_weight = diag[:, :p].sum(axis=0)
        total = float(diag[:, p].sum()) if obj.fit_intercept else float(column_weight.max(initial=0.0))
        # A weight whose diagonal is the L2 term alone has a column that is zero wherever the
        # loss has curvature (a pixel that is blank in every image): it is coupled with no
        # other, its diagonal is its exact block, and it goes to L.
        live = column_weight > K * obj.l2_strength * (1 + 1e-9)
        n_live = int(live.sum())
        nnz = obj.column_nnz()
        total_nnz = max(float(nnz.sum()), 1.0)
        # An application's dense work (2 |S| multiply-adds per coefficient) within
        # `apply_cost` Hessian-vector products' (2 per non-zero of X): |S| at most the mean
        # non-zeros per column (a sparse X with p >> n: 2,000 x 20,000, ten per column).
        n_columns = min(self.n_columns, max(1, int(self.apply_cost * total_nnz / max(m, 1))))
        weights = _densest(column_weight, live & (column_weight >= self.dense_share * total), n_columns)
        source, kwargs = obj, {"raw": raw, "state": state}
        rows = max(5_000, 10 * m)
        dense = np.all((column_weight >= self.dense_share * total) | ~live) and "row_subset" in obj.provides
        sampled = dense and obj.n_samples > 2 * rows
        every = weights.size == n_live  # every weight is dense and fits: the exact per-output blocks
        if sampled or (dense and every):
            # Every column is dense (a dense X): a row sample estimates every coupling well,
            # at a fraction of K Gram products over all rows. When S holds every weight (M is
            # each output's exact diagonal block) on fewer rows than twice the sample, all
            # the rows, in float32 too (a copy of at most 2 * rows rows): M needs no float64
            # products, and float32 ones cost half (digits: 10 blocks of 65 columns).
            if self.sample is None:
                self.sample = sample_rows(obj, rows if sampled else obj.n_samples, 0)
            source, kwargs = self.sample, {}
            self.tester = (self.sample, None)
        elif dense and obj.n_samples >= 4 * self.test_rows:
            # A dense X's pass over X * X costs several passes (numpy squares each block in
            # one thread): the change test reads every k-th row of X instead (a view).
            step = slice(None, None, obj.n_samples // self.test_rows)
            if self.view is None:
                self.view = obj.row_subset(step)
            self.tester = (self.view, step)
        else:
            self.tester = None
        # The tester's diagonal at this M (the change test's, when it ran on the same tester).
        same = tested is not None and self.tester is not None and self.tester[0] is tested[0]
        self.test_diag = None if self.tester is None else test_diag if same else test_diagonal(self.tester)
        # The product X_S^T D X costs about nnz(column s) * (non-zeros per row) for each s in S:
        # keep the densest weights while that stays within cost_passes passes over X.
        rows_share = rows / obj.n_samples if sampled else 1.0
        cost = np.cumsum(nnz[weights] * (total_nnz / max(obj.n_samples, 1)) * rows_share)
        S = np.sort(weights if every else weights[cost <= self.cost_passes * total_nnz])
        if obj.fit_intercept:
            S = np.append(S, p)
        in_L = np.ones(m, dtype=bool)
        in_L[S] = False
        L = np.flatnonzero(in_L)
        # What this computation costs, in Hessian-vector products (two passes over X each):
        # the multiply-adds of its blocks (a symmetric product on the source's rows when S
        # holds every weight; a sparse product's cost more), of its dense part (W below,
        # at BLAS-3's speed) and of its diagonal pass, per output, over those of a pass.
        n_weights = S.size - obj.fit_intercept
        if every:
            work = source.n_samples * n_weights ** 2 / 2
        else:
            work = float(cost[n_weights - 1]) if n_weights else 0.0
            if total_nnz < obj.n_samples * p:  # a sparse X
                work = self.sparse_product_cost * work + K * m * S.size ** 2 / self.dense_speedup
        self.cost_products = (work / total_nnz + 1.0) / 2.0
        self.products_at = products if products is not None else 0
        if every and S.size < m:
            # Every column, then S's: the product on all of them is one symmetric rank-k
            # update, half the multiply-adds of a general product on fewer (blank columns out).
            cols = source.hessian_block_columns(coef, np.arange(m), **kwargs)[:, :, S]
        else:
            cols = source.hessian_block_columns(coef, S, **kwargs)  # (K, m, |S|)
        floor = max(obj.l2_strength, np.finfo(float).tiny)
        A_SS = cols[:, S, :]
        A_SS = 0.5 * (A_SS + A_SS.transpose(0, 2, 1))
        # W = chol^{-1} A_SL: the Schur complement's diagonal is diag(A_LL) - colsum(W * W).
        # Stacked over the outputs, (K, |S|, |S|), (K, |S|, |L|), (K, |L|): one batched
        # product per application instead of 2 K triangular solves (each a LAPACK call
        # whose checks cost more than the solve at a hundred columns).
        inverse = _inverse_cholesky_factors(A_SS)
        W = np.matmul(inverse, cols[:, L, :].transpose(0, 2, 1))
        schur = diag[:, L] - np.einsum("kij,kij->kj", W, W)
        # A large coupling is applied in float32 (half the memory each application reads; the
        # operator, built with the same W in both of its products, stays symmetric positive definite).
        self.inverse = inverse
        self.coupling = W.astype(np.float32) if W.size >= self.float32_coupling_entries else W
        # S uncoupled from L (L empty or only blank columns: digits): M is A_SS on S and the
        # diagonal on L, and A_SS^{-1} = C^{-T} C^{-1} formed once makes each application one
        # batched product instead of two triangular ones (13 against 67 microseconds on digits).
        self.block_inverse = None if np.any(W) else np.matmul(inverse.transpose(0, 2, 1), inverse)
        self.schur = np.maximum(schur, np.maximum(floor, 1e-12 * diag[:, L]))
        self.S, self.L = S, L
        self.n_computed += 1

    def __call__(self, r):
        """``M^{-1} r`` for a flat ``r`` of the objective's size.

        With ``A_SS = C C^T`` and ``W = C^{-1} A_SL``: ``u = C^{-1} r_S``,
        ``z_L = (r_L - W^T u) / schur``, ``z_S = C^{-T} (u - W z_L)`` (``C^{-1}``
        formed at :meth:`update`), for every output at once.
        """
        K, m = self.obj.n_outputs, self.obj.n_dof
        R = r.reshape(K, m)
        Z = np.empty((K, m))
        if self.block_inverse is not None:  # S uncoupled from L (see update)
            Z[:, self.S] = np.matmul(self.block_inverse, R[:, self.S, None])[:, :, 0]
            Z[:, self.L] = R[:, self.L] / self.schur
            return Z.ravel()
        u = np.matmul(self.inverse, R[:, self.S, None])  # (K, |S|, 1)
        if self.L.size:
            W = self.coupling
            zL = (R[:, self.L] - np.matmul(W.transpose(0, 2, 1), u.astype(W.dtype, copy=False))[:, :, 0]) / self.schur
            Z[:, self.L] = zL
            u = u - np.matmul(W, zL.astype(W.dtype, copy=False)[:, :, None])
        Z[:, self.S] = np.matmul(self.inverse.transpose(0, 2, 1), u)[:, :, 0]
        return Z.ravel()
