"""The loss contract: per-sample functions of raw predictions and targets.

A loss never sees the design matrix. It maps raw predictions ``raw`` of shape
``(n,)`` (one output) or ``(n, K)`` and targets ``y`` of the same shape to
per-sample losses, gradients and Hessians *with respect to* ``raw``. What a
loss can do is declared by class attributes (its capabilities); the objective
and the solvers read them, they never probe for methods.

Capabilities
------------
``n_outputs``
    Raw predictions per sample: ``1`` (``raw`` is 1-D) or ``None`` (``(n, K)``,
    ``K`` taken from the targets).
``hessian_is_fisher``
    The per-sample Hessian does not depend on ``y`` and is positive
    semi-definite: it is the Fisher information, Newton's method is Fisher
    scoring, and ``X^T D X`` may be formed as a symmetric rank-k update.
``shift_invariant``
    Adding the same number to the ``K`` scores of a sample changes nothing:
    the Hessian is singular along ``(1, ..., 1)`` (the softmax).
``hessian_bound``
    An upper bound of the spectral norm of one sample's Hessian per unit of
    target mass (``1/4`` for the sigmoid, ``1/2`` for the softmax), or
    ``None`` when there is none (count losses): first-order step sizes.
``has_state``
    :meth:`loss_state` returns, besides the per-sample loss, a read-only
    ``state`` (e.g. the probabilities) that the gradient and Hessian methods
    accept back as ``state=`` at the same scores, saving their own
    exponentials. Without it the state is ``None``.
``linear_in_target``
    The loss is linear in ``y``: ``loss(a y1 + b y2) = a loss(y1) + b
    loss(y2)`` for targets of the same total mass. Class weights can then be
    folded into the targets (see :meth:`~sklogloss.objective.LinearObjective`);
    a loss that is not linear in the target (focal) must apply them itself.
``convex``
    The loss is convex in ``raw`` (its Hessian is positive semi-definite):
    false for the focal losses with ``gamma > 0``, whose objectives the
    solvers minimise with curvature safeguards (see
    :func:`~sklogloss.solvers.select_solver`).
``has_hessian_factors``
    :meth:`gradient_hessian_factors` writes each per-sample Hessian block as
    ``diag(d) - v v^T`` (multinomial), so that the objective can form ``X^T H
    X`` without ``(n, K, K)`` blocks.

The default methods below derive what they can from the abstract ones, so a
new loss needs only :meth:`loss`, :meth:`gradient` and
:meth:`gradient_hessian`.
"""

import numpy as np

__all__ = ["Loss"]


class Loss:
    """Base class of the per-sample losses on raw predictions.

    Subclasses implement :meth:`loss`, :meth:`gradient` and
    :meth:`gradient_hessian` and declare their capabilities (see
    :mod:`sklogloss.losses.base`); every other method has a default.

    Examples
    --------
    A squared loss in a few lines:

    >>> import numpy as np
    >>> from sklogloss.losses.base import Loss
    >>> class Squared(Loss):
    ...     hessian_is_fisher = True
    ...     hessian_bound = 1.0
    ...     linear_in_target = False
    ...     def loss(self, y, raw):
    ...         return 0.5 * (raw - y) ** 2
    ...     def gradient(self, y, raw, state=None):
    ...         return raw - y
    ...     def gradient_hessian(self, y, raw):
    ...         return raw - y, np.ones_like(raw)
    >>> Squared().loss_gradient(np.array([1.0]), np.array([3.0]))
    (array([2.]), array([2.]))
    """

    #: Raw predictions per sample: 1, or None for (n, K) scores with K from the targets.
    n_outputs = 1
    #: The Hessian is independent of y and positive semi-definite (Newton = Fisher scoring).
    hessian_is_fisher = False
    #: Adding a constant to all K scores of a sample changes nothing.
    shift_invariant = False
    #: Bound of one sample's Hessian spectral norm per unit target mass, or None.
    hessian_bound = None
    #: :meth:`loss_state` returns a state the gradient and Hessian methods can reuse.
    has_state = False
    #: The loss is linear in the target (class weights may be folded into it).
    linear_in_target = False
    #: :meth:`gradient_hessian_factors` is available (Hessian blocks ``diag(d) - v v^T``).
    has_hessian_factors = False
    #: The loss is convex in the raw predictions (positive semi-definite Hessian).
    convex = True

    # --------------------------------------------------------------- abstract
    def loss(self, y, raw):
        """Per-sample loss, shape ``(n,)``."""
        raise NotImplementedError

    def gradient(self, y, raw, state=None):
        """Per-sample gradient with respect to ``raw``, the shape of ``raw``.

        ``state``: what :meth:`loss_state` returned at the same ``raw`` (or None).
        """
        raise NotImplementedError

    def gradient_hessian(self, y, raw):
        """Per-sample gradient and Hessian: ``(n,)`` and ``(n,)``, or ``(n, K)`` and ``(n, K, K)``."""
        raise NotImplementedError

    # --------------------------------------------------------------- defaults
    def loss_state(self, y, raw):
        """Per-sample loss and the reusable state at ``raw`` (``None`` unless ``has_state``)."""
        return self.loss(y, raw), None

    def loss_gradient(self, y, raw):
        """Per-sample loss and gradient."""
        value, state = self.loss_state(y, raw)
        return value, self.gradient(y, raw, state=state)

    def gradient_hessian_product(self, y, raw, state=None, overwrite=False, dtype=None):
        """Per-sample gradient and a function ``r -> H_i r_i`` on arrays shaped like ``raw``.

        ``overwrite=True`` allows the function to overwrite its argument and
        return it (the caller passes an array it will not use again: the
        scores ``X v`` of one Hessian-vector product); an ``(n, K)``
        temporary less per product. ``dtype`` (e.g. ``np.float32``) allows
        the function to compute in that dtype when its argument has it (the
        per-sample curvature cast once, here): for approximate
        Hessian-vector products, whose scores are float32 already. The
        gradient is float64 either way. Overriding methods take both flags
        and may ignore them (then a float32 argument gives a float64 result).
        """
        grad, hess = self.gradient_hessian(y, raw)
        if hess.ndim == 1:
            if overwrite:
                return grad, lambda r: np.multiply(hess, r, out=r) if r.dtype == hess.dtype else hess * r
            return grad, lambda r: hess * r
        return grad, lambda r: np.einsum("ikl,il->ik", hess, r)

    def hessian_diagonal(self, y, raw, state=None):
        """Diagonal of the per-sample Hessian, shaped like ``raw``."""
        hess = self.gradient_hessian(y, raw)[1]
        return hess if hess.ndim == 1 else np.einsum("ikk->ik", hess)

    def gradient_hessian_factors(self, y, raw, state=None):
        """Gradient and the Hessian blocks as ``diag(d) - v v^T``: ``(grad, d, v)``, each ``(n, K)``.

        Only for losses with ``has_hessian_factors``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no Hessian factors "
                                  "(has_hessian_factors = False).")
