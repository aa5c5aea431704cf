"""The design contract: the only place the design matrix X is multiplied.

A design owns X (in memory, in chunks, or on a cluster) and offers the
products and per-row-block sums that the objective assembles into values,
gradients and Hessians. Every product sums over rows, so a distributed design
computes each block's part where the block lives and adds the parts.

The objective uses nothing else of X; solvers never see the design at all
(they ask the objective).
"""

import contextlib

import numpy as np

__all__ = ["Design"]


class Design:
    """Base class of the designs: the products a linear objective needs.

    Every design sets the attributes below. Methods are listed below;
    :meth:`solver_context` has a default (no context). A new design subclasses
    this class and implements every method that raises
    ``NotImplementedError``; ``tests/test_design_contract.py`` checks each
    product against plain numpy.

    Attributes
    ----------
    n_samples, n_features : int
        The shape of X.
    dtype : numpy dtype
        X's floating dtype (float32 or float64): the dtype of :meth:`matmul`.
    score_order : {"C", "F"}
        Memory layout of the ``(n, K)`` scores :meth:`matmul` returns; the
        objective stores ``(n, K)`` targets in the same layout.
    offers_row_gram : bool
        Whether :meth:`row_gram` returns ``X X^T`` (default False: None).
    float64_sums : bool
        Whether :meth:`rmatmul` sums in float64 (always true for float64 X).
        A design without it has its sums rounded to its dtype: a row sample
        serving estimates, or a float32 CSR matrix.
    """

    n_samples = None
    n_features = None
    dtype = None
    score_order = "C"
    float64_sums = True
    offers_row_gram = False

    def row_blocks(self, width=1, dtype=None):
        """Yield ``(rows, X[rows])`` over consecutive row blocks that cover X once.

        Each block holds about a fixed number of entries: ``width`` is what is
        formed per entry of a block (``K`` for a Kronecker block), so that
        temporaries stay in cache. ``dtype``: the block converted to it (a
        reused buffer: consume each block before asking for the next).
        """
        raise NotImplementedError

    def matmul(self, W, approximate=False):
        """``X @ W`` for ``W`` of shape ``(p,)`` or ``(p, K)``, in X's dtype, in ``score_order``.

        ``approximate=True``: a product for a Hessian-vector product, which may
        be computed in float32 (and returned so) whatever X's dtype.
        """
        raise NotImplementedError

    def approximates(self):
        """Whether ``approximate=True`` products are float32 on a float64 X (default False: they are exact).

        A solver that treats approximate products differently (Newton-CG redoes a
        CG solve that their rounding may have stalled) asks this first.
        """
        return False

    def matmul64(self, W):
        """``X @ W`` in float64 arithmetic whatever X's dtype (the exact scores of float64 weights)."""
        raise NotImplementedError

    def rmatmul(self, G, exact=None, approximate=False):
        """``X.T @ G`` for ``G`` of shape ``(n,)`` or ``(n, K)``, float64.

        ``exact=False`` allows sums in X's dtype (Hessian-vector products);
        ``None`` means ``float64_sums``. ``approximate=True`` allows float32
        arithmetic whatever X's dtype (Hessian-vector products; implies
        ``exact=False``).
        """
        raise NotImplementedError

    def hessian_product(self, d, v, shift=0.0, approximate=False):
        """``(X^T u, sum(u))`` with ``u = d * (X @ v + shift)``: the passes of a Hessian-vector product.

        For one output: ``d`` of shape ``(n,)`` (the weighted per-sample
        curvature), ``v`` of shape ``(p,)``, ``shift`` the intercept's part
        of the direction. ``X^T u`` is float64 (its sums may be in X's dtype,
        as ``rmatmul(..., exact=False)``), ``sum(u)`` a float64 number.
        ``approximate``: as for :meth:`matmul`. The default is those two
        products (:meth:`matmul`, then :meth:`rmatmul`); a design may read X
        once for both.
        """
        u = np.asarray(self.matmul(v, approximate=approximate)).astype(np.float64, copy=False)
        if shift:
            u = u + shift
        u = d * u
        return self.rmatmul(u, exact=False, approximate=approximate), float(u.sum(dtype=np.float64))

    def squared_rmatmul(self, D):
        """``(X * X).T @ D`` for ``D`` of shape ``(n,)`` or ``(n, K)``, float64 (Hessian diagonals)."""
        raise NotImplementedError

    def weighted_gram(self, d, nonneg=True):
        """``X.T @ diag(d) @ X``, dense float64 ``(p, p)``; ``nonneg`` promises ``d >= 0``."""
        raise NotImplementedError

    def weighted_cross_gram(self, D, columns, rows=None):
        """``X[:, rows].T @ diag(D[:, k]) @ X[:, columns]`` for each column ``k`` of ``D``, dense float64.

        ``rows=None`` means every column of X. ``D`` of shape ``(n,)`` gives
        ``(len(rows), len(columns))``; ``(n, K)`` gives ``(K, len(rows),
        len(columns))``. A few columns of a weighted Gram matrix (the
        couplings of the densest columns with all others), or a principal
        block of it (``rows=columns``), without the whole of it.
        """
        raise NotImplementedError

    def column_nnz(self):
        """Non-zeros per column, ``(p,)`` int (``n_samples`` each for a dense X): the cost of products with columns."""
        raise NotImplementedError

    def row_gram(self):
        """``X X^T`` as a dense float64 ``(n, n)`` array, or None where the design does not offer it.

        Optional (the default is None): the Newton step through the ``n x n``
        system of a design with fewer rows than columns
        (:meth:`~sklogloss.objective.LinearObjective.newton_step_rows`).
        """
        return None

    def block_gram(self, D, V, intercept=False):
        """``sum_i (diag(D_i) - V_i V_i^T) (x) x_i x_i^T`` with ``x_i = [x_i, 1]`` (the 1 only with ``intercept``).

        ``D >= 0`` and ``V`` of shape ``(n, K)``: the Hessian of a loss whose
        per-sample blocks are diagonal minus rank one (the multinomial), as
        one ``(K m, K m)`` float64 matrix laid out as the objective's
        coefficients (output-major: block ``(k, l)`` couples output ``k``
        with output ``l``).
        """
        raise NotImplementedError

    def take_rows(self, rows, dtype=None):
        """A design of the same kind on a subset of rows (an estimate: ``float64_sums=False``)."""
        raise NotImplementedError

    def squared_norm_bound(self):
        """An upper bound of ``||X||_2^2``, the largest squared singular value (step sizes)."""
        raise NotImplementedError

    def solver_context(self):
        """The context manager a solver runs in on this design (threads, BLAS limits)."""
        return contextlib.nullcontext()
