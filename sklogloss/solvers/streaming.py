"""Streaming: minimise a penalised risk over data that arrive in chunks (incremental Newton).

The data are a sequence of chunks ``c``, each with its own objective (its
:class:`~sklogloss.objective.base.Objective`, e.g. a
:class:`~sklogloss.objective.LinearObjective` on the chunk's rows). The
problem is the objective on all of them::

    F(w) = C * sum_c L_c(w) + penalty(w),      L_c(w) = sum_{i in c} s_i loss_i(w)

of which only one chunk is in memory at a time. A :class:`QuadraticMemory`
keeps, for every chunk seen, the second-order Taylor expansion of ``L_c`` at
the coefficients ``w_c`` where that chunk was last processed::

    Q_c(w) = L_c(w_c) + g_c . (w - w_c) + (w - w_c)' H_c (w - w_c) / 2

summed into one dense matrix ``A = sum_c H_c`` (``size x size``), a vector and
a constant. A step on a chunk ``t`` (:func:`streaming_step`)

1. removes ``t``'s own expansion if it is in the memory (a chunk seen before:
   its expansion at ``w_t`` is recomputed from the chunk and subtracted, so
   that no chunk is ever counted twice);
2. minimises exactly (Newton-Cholesky, or proximal Newton with an L1 term)
   ``C * [L_t(w) + sum_{c != t} Q_c(w)] + penalty(w)``: the new chunk's own
   loss, the others' quadratic models (:class:`AugmentedObjective`);
3. adds ``t``'s expansion at the new minimiser ``w_t``.

This is the incremental Newton method of Rodomanov & Kropotov ("A
superlinearly-convergent proximal Newton-type method for the optimization of
finite sums", ICML 2016) with the current chunk's loss kept exact. Its fixed
point is the minimiser of ``F``: at a point where every chunk was expanded,
the models' gradients are the chunks' gradients. Repeated passes over the
same chunks converge to it, and the first pass already gives each chunk's
loss to second order. Rodomanov & Kropotov prove local superlinear
convergence for their variant (every chunk quadratic); here the error
measured after each pass shrinks by orders of magnitude. A single chunk is
minimised as a whole: the result is the full-batch fit.

Costs per step on a chunk of ``n`` rows and ``size`` coefficients: two
Hessians of the chunk (the expansion removed, the expansion added: about
``n size^2`` flops each, one weighted Gram matrix ``X^T D X`` for a single
output) plus the Newton iterations (one Hessian of the chunk and one
``size x size`` Cholesky factorisation each; few once the coefficients
settle); memory ``size^2`` floats for ``A`` and ``size`` floats per distinct
chunk (its expansion point).
"""

import numpy as np

from ..objective.base import Objective

__all__ = ["MAX_STREAMING_SIZE", "AugmentedObjective", "QuadraticMemory", "streaming_step"]

#: Most coefficients per problem of a streamed model: its memory is a dense
#: ``size x size`` matrix (32 MB at 2000) and each step factorises it.
MAX_STREAMING_SIZE = 2000


def _data_terms(objective, coef):
    """Value, gradient and Hessian of ``L(w) = sum_i s_i loss_i(w)`` at ``coef`` (no penalty, not scaled).

    The objective's smooth part is ``f = L / S + l2 / 2 ||W||^2`` (``S`` its
    ``weight_sum``, ``l2`` its ``l2_strength``); the L2 term is taken off.
    The scores are computed in float64 arithmetic whatever X's dtype: the
    memory's gradients are what its fixed point rests on.
    """
    S, l2 = objective.weight_sum, objective.l2_strength
    mask = objective.penalised_mask()
    raw = objective.linear_predictor(coef, exact=True)
    value, grad = objective.loss_gradient(coef, raw)
    W = np.where(mask, coef, 0.0)
    value = S * (value - 0.5 * l2 * float(W @ W))
    grad = S * (grad - l2 * W)
    H = objective.gradient_hessian(coef, raw, gradient=False)[1]
    penalised = np.flatnonzero(mask)
    H[penalised, penalised] -= l2  # the L2 term's diagonal
    H *= S
    return value, grad, 0.5 * (H + H.T)


class QuadraticMemory:
    """The second-order expansions of the chunks seen, summed: a quadratic in the coefficients.

    ``Q(w) = constant + linear . w + w' A w / 2`` with ``A`` the sum of the
    chunks' Hessians at their expansion points (see the module docstring);
    ``weight_sum`` is the total weight ``S`` of the chunks it holds and
    ``points`` maps each chunk's key to its expansion point and weight.

    Parameters
    ----------
    size : int
        Length of the coefficient vector.

    Examples
    --------
    Two chunks of a logistic regression, each in turn exact while the other
    is held as its expansion: four passes give the fit of both together, and
    the memory holds each chunk once.

    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import NewtonCholeskySolver
    >>> from sklogloss.solvers.streaming import QuadraticMemory, streaming_step
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] + rng.normal(size=200) > 0).astype(float)
    >>> chunks = [LinearObjective(X[i::2], y[i::2], BinomialLoss(), C=1.0) for i in range(2)]
    >>> memory, coef = QuadraticMemory(4), np.zeros(4)
    >>> solve = NewtonCholeskySolver(tol=1e-10).solve
    >>> for _ in range(4):  # four passes over the two chunks
    ...     for key, chunk in enumerate(chunks):
    ...         coef = streaming_step(memory, chunk, coef, key, solve).coef
    >>> full = LinearObjective(X[np.r_[0:200:2, 1:200:2]], y[np.r_[0:200:2, 1:200:2]], BinomialLoss(), C=1.0)
    >>> bool(np.allclose(coef, solve(full, np.zeros(4)).coef, atol=1e-8))
    True
    >>> len(memory.points), memory.weight_sum
    (2, 200.0)
    """

    def __init__(self, size):
        self.size = int(size)
        self.A = np.zeros((self.size, self.size))
        self.linear = np.zeros(self.size)
        self.constant = 0.0
        self.weight_sum = 0.0
        #: key -> (expansion point, weight of the chunk)
        self.points = {}

    def value_gradient(self, coef):
        """``Q(coef)`` and its gradient ``A coef + linear``."""
        Ac = self.A @ coef
        return self.constant + float(self.linear @ coef) + 0.5 * float(coef @ Ac), Ac + self.linear

    def _add(self, objective, point, sign):
        value, grad, H = _data_terms(objective, point)
        Hp = H @ point
        self.A += sign * H
        self.linear += sign * (grad - Hp)
        self.constant += sign * (value - float(grad @ point) + 0.5 * float(point @ Hp))
        self.weight_sum += sign * objective.weight_sum

    def forget(self, objective, key):
        """Remove the expansion of the chunk ``key`` (``objective``: that chunk's); return its point, or None.

        The expansion is recomputed from the chunk at its stored point (one
        Hessian of the chunk) and subtracted.
        """
        if key not in self.points:
            return None
        point, _ = self.points.pop(key)
        self._add(objective, point, -1.0)
        if not self.points:  # exactly empty: no rounding left over
            self.__init__(self.size)
        return point

    def remember(self, objective, point, key):
        """Add the expansion of the chunk ``key`` (``objective``: that chunk's) at ``point``."""
        if key in self.points:
            raise ValueError(f"chunk {key!r} is already in the memory; forget it first.")
        point = np.array(point, dtype=np.float64)
        self._add(objective, point, 1.0)
        self.points[key] = (point, float(objective.weight_sum))

    def augment(self, objective, centre):
        """The chunk's objective plus this memory (:class:`AugmentedObjective`), its quadratic centred at ``centre``."""
        return AugmentedObjective(objective, self, centre)


class AugmentedObjective(Objective):
    """A chunk's objective plus a :class:`QuadraticMemory` of other chunks, in the solvers' scaling.

    With ``S_t`` the chunk's weight and ``S = S_t + memory.weight_sum``, the
    user's objective ``C * (L_t + Q) + penalty`` divided by ``C * S`` is::

        f(w) = (S_t / S) * f_t(w) + Q(w) / S

    where ``f_t`` is the chunk's own scaled objective (``L_t / S_t`` plus its
    penalty at ``alpha_t = 1 / (C S_t)``; ``(S_t / S) alpha_t = 1 / (C S)``, so
    the penalty is the one of all the data). ``Q`` is evaluated around
    ``centre`` (``Q(centre) + g . d + d' A d / 2``, ``d = w - centre``), so that
    values near the start of a solve carry no cancellation. The scores, the
    layout and the null space are the chunk's: a memory of chunks of the same
    model is flat along the same directions.

    Parameters
    ----------
    base : Objective
        The chunk's objective.
    memory : QuadraticMemory
        The other chunks.
    centre : ndarray of shape (size,)
        Where the quadratic is expanded (the start of the solve).
    """

    def __init__(self, base, memory, centre):
        if memory.size != base.size:
            raise ValueError(f"the memory holds {memory.size} coefficients, the objective {base.size}.")
        self.base = base
        self.memory = memory
        self.centre = np.array(centre, dtype=np.float64)
        self.q0, self.g0 = memory.value_gradient(self.centre)
        self.weight_sum = base.weight_sum + memory.weight_sum
        self.ratio = base.weight_sum / self.weight_sum
        for name in ("size", "n_outputs", "n_samples", "n_features", "n_dof", "fit_intercept", "C", "l1_ratio",
                     "convex", "checks_scores"):
            if hasattr(base, name):
                setattr(self, name, getattr(base, name))
        self.l2_strength = self.ratio * base.l2_strength
        self.l1_strength = self.ratio * base.l1_strength
        self.provides = base.provides & frozenset({"hessian", "hessp", "hessian_diagonal"})

    # ---------------------------------------------------------------- layout
    def solver_context(self):
        return self.base.solver_context()

    def unpack(self, coef):
        return self.base.unpack(coef)

    def penalised_mask(self):
        return self.base.penalised_mask()

    def null_space(self):
        return self.base.null_space()

    def round_coef(self, coef):
        return self.base.round_coef(coef)

    def linear_predictor(self, coef, exact=False):
        return self.base.linear_predictor(coef, exact=exact)

    # -------------------------------------------------------- the quadratic
    def _q(self, coef):
        d = coef - self.centre
        Ad = self.memory.A @ d
        value = (self.q0 + float(self.g0 @ d) + 0.5 * float(d @ Ad)) / self.weight_sum
        return value, (self.g0 + Ad) / self.weight_sum

    def _q_value(self, coef):
        return self._q(coef)[0]

    def _q_grad(self, coef):
        return self._q(coef)[1]

    # ---------------------------------------------------------------- values
    def loss(self, coef, raw=None):
        return self.ratio * self.base.loss(coef, raw) + self._q_value(coef)

    def loss_state(self, coef, raw=None):
        value, state = self.base.loss_state(coef, raw)
        return self.ratio * value + self._q_value(coef), state

    def loss_gradient(self, coef, raw=None):
        value, grad = self.base.loss_gradient(coef, raw)
        q, gq = self._q(coef)
        return self.ratio * value + q, self.ratio * grad + gq

    def gradient(self, coef, raw=None, state=None):
        return self.ratio * self.base.gradient(coef, raw, state=state) + self._q_grad(coef)

    def gradient_hessian(self, coef, raw=None, gradient=True, state=None):
        grad, H = self.base.gradient_hessian(coef, raw, gradient=gradient, state=state)
        H *= self.ratio
        H += self.memory.A / self.weight_sum
        if grad is not None:
            grad = self.ratio * grad + self._q_grad(coef)
        return grad, H

    def gradient_hessp(self, coef, raw=None, gradient=True, state=None):
        grad, base_hessp = self.base.gradient_hessp(coef, raw, gradient=gradient, state=state)
        if grad is not None:
            grad = self.ratio * grad + self._q_grad(coef)
        A, S, r = self.memory.A, self.weight_sum, self.ratio
        return grad, lambda v: r * base_hessp(v) + (A @ v) / S

    def hessian_diagonal(self, coef, raw=None, state=None):
        diagonal = self.ratio * self.base.hessian_diagonal(coef, raw, state=state)
        return diagonal + np.diag(self.memory.A) / self.weight_sum

    def l1_value(self, coef):
        return self.ratio * self.base.l1_value(coef)

    def user_objective(self, coef, raw=None):
        """The objective in the user's scaling, ``C * S * f`` (``S * f`` if ``C = inf``)."""
        return self.objective(coef, raw) * self.weight_sum * (1.0 if np.isinf(self.C) else self.C)


def streaming_step(memory, objective, coef0, key, solve):
    """One step of the incremental Newton method on a chunk (see the module docstring).

    Parameters
    ----------
    memory : QuadraticMemory
        The expansions of the chunks seen; updated in place (the chunk ``key``'s
        expansion is replaced by the one at the new coefficients).
    objective : Objective
        The chunk's objective, penalised as the model is (same ``C`` and
        ``l1_ratio``): its penalty is rescaled to all the data.
    coef0 : ndarray of shape (size,)
        The current coefficients: the start of the solve.
    key : hashable
        Identifies the chunk: a chunk with a key already in ``memory`` is the
        same data seen again and replaces its earlier expansion.
    solve : callable
        ``(objective, coef0) -> Result``, e.g. a solver's ``solve``.

    Returns
    -------
    Result
        The solver's result on the chunk plus the memory; its ``coef`` is the
        new expansion point.
    """
    previous = memory.forget(objective, key)
    try:
        result = solve(memory.augment(objective, coef0), np.asarray(coef0, dtype=np.float64))
    except BaseException:
        if previous is not None:  # the memory as it was
            memory.remember(objective, previous, key)
        raise
    memory.remember(objective, result.coef, key)
    return result
