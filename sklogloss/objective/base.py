"""The objective contract: what a solver may ask of the function it minimises.

Every solver sees only an :class:`Objective`. What an objective can compute
beyond its value and gradient is declared in :attr:`Objective.provides`, a
set of capability names; each solver lists what it needs in ``requires`` and
checks it when it starts (``Solver.check``), and reads optional capabilities
(a row sample for a sampled Hessian, a Hessian diagonal for Jacobi) from the
same set.

Capabilities
------------
``"hessian"``
    :meth:`Objective.gradient_hessian`: the full ``(size, size)`` Hessian.
``"hessp"``
    :meth:`Objective.gradient_hessp`: Hessian-vector products.
``"approximate_hessp"``
    ``gradient_hessp(..., approximate=True)``: Hessian-vector products whose
    products with X may be float32 (the float32 copy of a small float64 X,
    ``ArrayDesign.approximate_X``), for a conjugate-gradient solve that needs
    no more; the gradient stays exact.
``"hessian_diagonal"``
    :meth:`Objective.hessian_diagonal` (the Jacobi preconditioner).
``"block_columns"``
    :meth:`Objective.hessian_block_columns`: a few columns of each output's
    diagonal block of the Hessian (the Schur preconditioner of Newton-CG).
``"row_subset"``
    :meth:`Objective.row_subset`: the same objective on a row sample.
``"lipschitz"``
    :meth:`Objective.lipschitz`: a bound of the gradient's Lipschitz constant.
``"line_derivative"``
    :meth:`Objective.line_derivative`: the derivative along a line from the
    scores, without a pass over X (line searches that extrapolate).
``"bounds"``
    ``bounds()``: box constraints on ``coef`` (a list of ``(lower, upper)``),
    which the solver must honour (the split weights of
    :class:`~sklogloss.objective.adversarial.AdversarialObjective`).

The value, the gradient, the raw scores (``linear_predictor``) and the
layout helpers are always there.
"""

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Objective"]


class Objective(ABC):
    """Base class of the objectives the solvers minimise.

    Attributes every objective sets: ``size`` (length of the flat float64
    ``coef``), ``n_outputs``, ``n_samples``, ``l1_strength`` (0 for a smooth
    objective), ``l2_strength``, ``weight_sum`` and ``C``; and the class
    attribute ``provides`` (see :mod:`sklogloss.objective.base`).

    Raw scores ``raw`` are what :meth:`linear_predictor` returns; every method
    that takes ``raw=None`` computes them if they are not given, and every
    method that takes ``state`` accepts what :meth:`loss_state` returned at the
    same point.
    """

    provides = frozenset()
    l1_strength = 0.0
    #: Whether the smooth part is convex: a non-convex one (a focal loss) may have an
    #: indefinite Hessian, which the Newton solvers modify and proximal Newton refuses.
    convex = True

    # ---------------------------------------------------------------- layout
    def zero_coef(self):
        """A zero coefficient vector of the right size (float64)."""
        return np.zeros(self.size, dtype=np.float64)

    def penalised_mask(self):
        """Boolean mask of the weights in ``coef``: the entries a penalty acts on (not intercepts)."""
        return np.zeros(self.size, dtype=bool)

    def null_space(self):
        """Orthonormal basis ``(size, m)`` of directions along which the objective is flat (``m = 0``)."""
        return np.zeros((self.size, 0))

    def shift_curvature(self):
        """Curvature along the output shifts, ``(n_dof,)``, or None (see ``LinearObjective.shift_curvature``)."""
        return None

    def approximates(self):
        """Whether ``gradient_hessp(..., approximate=True)`` products are float32 approximations.

        The default: whenever the capability ``"approximate_hessp"`` is there
        (they may be). ``LinearObjective`` asks its design, which makes them
        float32 only on the float32 copy of a small float64 X.
        """
        return "approximate_hessp" in self.provides

    def carry_hessian(self, H, other):
        """This objective's Hessian from ``H``, the Hessian of ``other`` at the same coefficients; or None.

        For a Newton solver that starts from the last Hessian of a previous
        fit (see ``NewtonCholeskySolver(memory=...)``): ``other`` is the
        objective of that fit. None (the default) when the Hessian cannot be
        carried over; ``LinearObjective`` carries it between objectives of the
        same data that differ in ``C`` only.
        """
        return None

    #: Whether scores carried along a solver's path may drift from
    #: ``linear_predictor(coef, exact=True)`` and must be checked before a
    #: Newton solver reports (float32 data; not a row sample, whose solution
    #: is only a start point).
    checks_scores = False

    @abstractmethod
    def solver_context(self):
        """The context manager a solver runs in (the design's)."""

    def round_coef(self, coef):
        """``coef`` as the products see it (weights rounded to X's dtype); ``coef`` itself by default."""
        return coef

    # ---------------------------------------------------------------- values
    @abstractmethod
    def linear_predictor(self, coef, exact=False):
        """Raw scores at ``coef`` (float64); ``exact``: in float64 arithmetic whatever X's dtype."""

    @abstractmethod
    def loss(self, coef, raw=None):
        """Smooth part of the objective at ``coef``."""

    def loss_state(self, coef, raw=None):
        """``(loss(coef), state)``: the state the loss can reuse at the same scores, or None."""
        return self.loss(coef, raw), None

    @abstractmethod
    def loss_gradient(self, coef, raw=None):
        """Smooth part and its gradient."""

    def gradient(self, coef, raw=None, state=None):
        """Gradient of the smooth part."""
        return self.loss_gradient(coef, raw)[1]

    def line_derivative(self, coef, step, raw, raw_step, state=None):
        """``d/dt f(coef + t step)`` at ``t = 0``, from the scores: capability ``"line_derivative"``.

        ``raw`` is ``linear_predictor(coef)`` and ``raw_step`` is
        ``linear_predictor(step)``, the change of the scores per unit ``t``
        (the scores at ``coef + t step`` are ``raw + t raw_step``); ``state``
        as for :meth:`gradient`. No pass over X.
        """
        raise NotImplementedError(f"{type(self).__name__} does not provide 'line_derivative'.")

    def hessian_block_columns(self, coef, columns, raw=None, state=None, square=False):
        """Columns ``columns`` (indices in ``0..n_dof - 1``) of each output's diagonal Hessian block.

        Returns ``(n_outputs, n_dof, len(columns))``; for a single output, the
        Hessian's own columns. Capability ``"block_columns"``, which also
        promises ``n_dof``, ``fit_intercept`` and :meth:`column_nnz`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not provide 'block_columns'.")

    def column_nnz(self):
        """Non-zeros per weight column of X (capability ``"block_columns"``)."""
        raise NotImplementedError(f"{type(self).__name__} does not provide 'block_columns'.")

    def l1_value(self, coef):
        """The L1 part of the objective (0 for a smooth objective)."""
        return 0.0

    def objective(self, coef, raw=None):
        """The whole objective: smooth part plus L1 part."""
        return self.loss(coef, raw) + self.l1_value(coef)

    def minimum_norm_subgradient(self, coef, grad):
        """The subgradient of smallest norm of the whole objective at ``coef`` (``grad``: the smooth part's).

        It is ``grad`` without an L1 term; with one, ``grad + lam sign(w)`` at a
        non-zero weight and ``sign(g) max(|g| - lam, 0)`` at a zero one.
        """
        if self.l1_strength == 0:
            return grad
        g = grad.copy()
        mask = self.penalised_mask()
        lam = self.l1_strength
        w = coef[mask]
        gm = g[mask]
        g[mask] = np.where(w > 0, gm + lam, np.where(w < 0, gm - lam, np.sign(gm) * np.maximum(np.abs(gm) - lam, 0)))
        return g

    def projected_gradient_max(self, coef, grad):
        """Max-norm of the minimum-norm subgradient (the gradient when there is no L1 term)."""
        g = self.minimum_norm_subgradient(coef, grad)
        return float(np.max(np.abs(g))) if g.size else 0.0
