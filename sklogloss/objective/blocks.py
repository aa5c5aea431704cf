"""The objective of data held in row blocks: the weighted sum of the blocks' objectives.

A :class:`~sklogloss.objective.LinearObjective` is normalised by its weight
sum: ``f(w) = sum_i (s_i / S) loss_i(w) + (alpha / 2) ||W||^2 (+ L1)`` with
``alpha = 1 / (C S)``. Split the rows into blocks ``b`` of weight ``S_b``, and
let ``f_b`` be the unpenalised objective of block ``b``; then::

    f(w) = sum_b (S_b / S) f_b(w) + (alpha / 2) ||W||^2 (+ L1),

and the same holds for the gradient and the Hessian. Each block's term is
computed where the block lives (:class:`~sklogloss.design.dask.DaskDesign`);
the client adds the terms and the penalty. The layout (coefficients,
intercepts, penalised entries, null space) is that of the blocks' objectives,
so every solver that needs only values, gradients and Hessians runs unchanged.

Raw scores stay on the workers: :meth:`BlockSumObjective.linear_predictor`
returns :class:`BlockScores`, which holds the coefficients the scores belong
to (scores are linear in them), and every evaluation recomputes the block's
scores next to its data, in the same task. A solver's line search then costs
one round trip per trial point and moves no score across the network.
"""

import numpy as np

from .linear import LinearObjective

__all__ = ["BlockScores", "BlockSumObjective"]


class BlockScores:
    """The raw scores ``X @ coef`` of a distributed design, represented by ``coef``.

    Supports what a solver does with scores: scaling by a number, adding
    scores of the same design. No array of ``n_samples`` is formed on the
    client.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.objective.blocks import BlockScores
    >>> r = BlockScores(np.array([1.0, 2.0])) * 0.5
    >>> r += BlockScores(np.array([1.0, 1.0]))
    >>> r.coef
    array([1.5, 2. ])
    """

    __slots__ = ("coef",)
    __array_ufunc__ = None  # numpy scalars defer to __rmul__
    dtype = np.dtype(np.float64)

    def __init__(self, coef):
        self.coef = np.asarray(coef, dtype=np.float64)

    def __mul__(self, t):
        return BlockScores(self.coef * float(t))

    __rmul__ = __mul__

    def __add__(self, other):
        if not isinstance(other, BlockScores):
            return NotImplemented
        return BlockScores(self.coef + other.coef)

    def __sub__(self, other):
        if not isinstance(other, BlockScores):
            return NotImplemented
        return BlockScores(self.coef - other.coef)


def _block_rows(objectives, index, local_rows):
    """``(X, y, sample_weight)`` of one block's objective at ``local_rows`` (run on its worker)."""
    objective = objectives[index]
    X = objective.design.X[local_rows]
    return np.asarray(X), objective.y[local_rows], objective.sample_weight[local_rows]


def _block_call(objectives, index, method, coef, kwargs):
    """``objectives[index].method(coef, **kwargs)`` on one block (run on its worker).

    Values and gradients of a block below float64 (float32 X) take their
    scores in float64 arithmetic (``linear_predictor(coef, exact=True)``):
    no score is carried from one request to the next, so that the gradient
    has the floor of float64 sums, not of float32 products, at the cost of
    converting the block a few rows at a time.
    """
    objective = objectives[index]
    if objective.checks_scores and method in ("loss_gradient", "gradient_hessian"):
        kwargs = {**kwargs, "raw": objective.linear_predictor(coef, exact=True)}
    return getattr(objective, method)(coef, **kwargs)


class BlockSumObjective(LinearObjective):
    """The penalised objective of data in row blocks, from the blocks' unpenalised objectives.

    Parameters
    ----------
    design : DaskDesign
        Each block holds a list of unpenalised ``LinearObjective`` (``C =
        inf``), one per objective of the estimator (one-vs-rest: one per
        class).
    index : int
        Which objective of each block's list this one sums.
    template : LinearObjective
        The objective of one block (without its data): the layout, the loss
        and the outputs.
    weight_sums : ndarray of shape (n_blocks,)
        ``S_b``, each block's weight sum (class weights included).
    target_mass : float or ndarray of shape (K,)
        ``sum_i s_i y_i`` over all blocks.
    C, l1_ratio : float
        The penalty, as for :class:`~sklogloss.objective.LinearObjective`.

    Notes
    -----
    Capabilities: ``"hessian"`` (Newton-Cholesky, proximal Newton) and
    ``"row_subset"`` (a row sample gathered to the client: on tall data the
    Newton solvers take their Hessian from it, corrected by the full
    gradients, and each iteration is one round trip for a value and
    gradient). Values and gradients serve L-BFGS. Hessian-vector products are
    not offered: each product would be a round trip to the workers, and a
    Newton step on the full Hessian (one pass over each block, ``(size,
    size)`` numbers back) costs fewer.
    """

    provides = frozenset({"hessian", "row_subset"})
    checks_scores = False

    def __init__(self, design, index, template, weight_sums, target_mass, C, l1_ratio):
        self.design = design
        self.index = int(index)
        self.loss_fn = template.loss_fn
        self.n_outputs = template.n_outputs
        self.fit_intercept = template.fit_intercept
        self.n_features = template.n_features
        self.n_dof = template.n_dof
        self.size = template.size
        self.convex = template.convex
        self.n_samples = design.n_samples
        self.block_weights = np.asarray(weight_sums, dtype=np.float64)
        self.weight_sum = float(self.block_weights.sum())
        self.block_weights = self.block_weights / self.weight_sum
        self._target_mass = target_mass
        self.C = float(C)
        self.l1_ratio = float(l1_ratio)
        self.alpha = 0.0 if np.isinf(self.C) else 1.0 / (self.C * self.weight_sum)
        self.l2_strength = self.alpha * (1.0 - self.l1_ratio)
        self.l1_strength = self.alpha * self.l1_ratio
        self._cache = None  # (coef bytes, value, gradient) of the last evaluation

    # ------------------------------------------------------------------ blocks
    def _blocks(self, method, coef, **kwargs):
        """The blocks' results of ``method`` at ``coef``, one per block."""
        return self.design.map(_block_call, self.index, method, np.asarray(coef, dtype=np.float64), kwargs)

    def _weighted(self, parts):
        total = self.block_weights[0] * np.asarray(parts[0], dtype=np.float64)
        for w, part in zip(self.block_weights[1:], parts[1:]):
            total = total + w * np.asarray(part, dtype=np.float64)
        return total

    def _add_l2(self, coef, grad):
        W, _ = self.unpack(coef)
        grad = grad.reshape(self.n_outputs, self.n_dof)
        grad[:, : self.n_features] += self.l2_strength * W
        return grad.ravel()

    def _cached(self, coef):
        if self._cache is not None and self._cache[0] == coef.tobytes():
            return self._cache[1:]
        return None

    # ------------------------------------------------------------------ values
    def solver_context(self):
        """The design's (no context on the client)."""
        return self.design.solver_context()

    def target_mass(self):
        """``sum_i s_i y_i`` over every block (the null model's intercepts)."""
        return self._target_mass

    def separates(self, coef):
        """Whether ``coef`` separates the 0/1 targets of every block (see ``LinearObjective.separates``)."""
        return all(self._blocks("separates", coef))

    def linear_predictor(self, coef, exact=False):
        """The scores at ``coef``, left on the workers (:class:`BlockScores`)."""
        return BlockScores(coef)

    def round_coef(self, coef):
        """``coef`` itself: each block computes its products from the float64 coefficients."""
        return coef

    def loss_gradient(self, coef, raw=None):
        """Value and gradient: one round trip (remembered for the gradient at the same point)."""
        coef = np.asarray(coef, dtype=np.float64)
        cached = self._cached(coef)
        if cached is None:
            parts = self._blocks("loss_gradient", coef)
            value = float(self._weighted([v for v, _ in parts]))
            grad = self._weighted([g for _, g in parts])
            self._cache = (coef.tobytes(), value, grad)
        else:
            value, grad = cached
        return value + self._penalty(coef), self._add_l2(coef, grad.copy())

    def loss(self, coef, raw=None):
        """Smooth part of the objective (computed with its gradient: a line search asks for it next)."""
        return self.loss_gradient(coef)[0]

    def loss_state(self, coef, raw=None):
        """``(loss, None)``: the blocks keep no state between round trips."""
        return self.loss(coef), None

    def gradient(self, coef, raw=None, state=None):
        """Gradient of the smooth part."""
        return self.loss_gradient(coef)[1]

    def gradient_hessian(self, coef, raw=None, gradient=True, state=None):
        """Gradient and Hessian: the blocks' Gram matrices summed, plus the L2 term."""
        coef = np.asarray(coef, dtype=np.float64)
        parts = self._blocks("gradient_hessian", coef, gradient=gradient)
        H = self._weighted([h for _, h in parts])
        diag = np.arange(self.size).reshape(self.n_outputs, self.n_dof)[:, : self.n_features].ravel()
        H[diag, diag] += self.l2_strength
        grad = self._add_l2(coef, self._weighted([g for g, _ in parts])) if gradient else None
        return grad, H

    def gradient_hessp(self, coef, raw=None, gradient=True, state=None):  # noqa: D102
        raise NotImplementedError("BlockSumObjective does not provide 'hessp' (see its Notes).")

    def hessian_diagonal(self, coef, raw=None, state=None):  # noqa: D102
        raise NotImplementedError("BlockSumObjective does not provide 'hessian_diagonal'.")

    def row_subset(self, rows, dtype=None):
        """The objective on a row sample, gathered to the client (capability ``"row_subset"``).

        Each block sends its rows of the sample (X's rows, the targets and
        weights as its objective holds them, class weights applied); the
        sample is an in-memory :class:`~sklogloss.objective.LinearObjective`
        with the penalty strengths of the whole objective and its weights
        renormalised to the same total, as ``LinearObjective.row_subset``
        makes it. Newton's sampled Hessian (``hessian_rows``) then costs no
        round trip: a Newton iteration on tall data is one value and gradient
        of the blocks.
        """
        parts = self.design.map_each(_block_rows, [(self.index, local) for local in self.design.split_rows(rows)])
        parts = [part for part in parts if part is not None and part[0].shape[0]]
        X = np.concatenate([part[0] for part in parts]).astype(dtype or self.design.dtype, copy=False)
        y = np.concatenate([part[1] for part in parts])
        sw = np.concatenate([part[2] for part in parts])
        sub = LinearObjective(X, y, self.loss_fn, sample_weight=sw, fit_intercept=self.fit_intercept, C=np.inf,
                              n_outputs=self.n_outputs)
        sub.weight_sum, sub.C, sub.l1_ratio = self.weight_sum, self.C, self.l1_ratio
        sub.alpha, sub.l2_strength, sub.l1_strength = self.alpha, self.l2_strength, self.l1_strength
        sub.checks_scores = False  # its solution is a start point, not a result
        return sub
