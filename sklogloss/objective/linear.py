"""The penalised, weighted empirical risk of a linear model.

Conventions (fixed once, used by every solver and estimator)
------------------------------------------------------------
* ``K`` raw outputs per sample (``K = 1`` for a binary or count model, ``K``
  classes for the multinomial). ``n_dof = n_features + fit_intercept``.
* ``coef`` is a flat float64 vector of length ``K * n_dof``; viewed as a
  ``(K, n_dof)`` matrix (C order), row ``k`` holds the weights of output
  ``k`` followed, if ``fit_intercept``, by its intercept.
* Raw predictions are ``X @ W.T + b``: shape ``(n,)`` when ``K = 1`` (the
  loss's own convention), ``(n, K)`` otherwise. An ``offset`` (a known
  per-sample raw score, e.g. ``log(exposure)`` of a count model) is added
  where the loss is evaluated: the loss sees ``X @ W.T + b + offset``.
  :meth:`LinearObjective.linear_predictor` stays ``X @ W.T + b``, linear in
  ``coef``, because solvers also apply it to search directions (the scores
  along a line are ``raw + t * linear_predictor(step)``);
  :meth:`LinearObjective.loss_scores` adds the offset.
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
* Every quantity is a sum over rows: the products with X come from a
  :class:`~sklogloss.design.Design` (see :mod:`sklogloss.design.base`); the
  ``(n, K)`` targets are stored in the design's ``score_order``.
* Sample weights and class weights belong to the objective. Class weights
  ``w_k`` multiply the loss terms of class ``k``; for a loss that is linear in
  its target (``Loss.linear_in_target``) that is the same loss on reweighted
  targets, which is how they are applied here (:func:`apply_class_weight`).
  A loss that is not (the binary focal loss) is multiplied as a whole by the
  target's mean class weight, ``w1 t + w0 (1 - t)`` for a binary target ``t``
  (``sum_k w_k y_k`` for rows of ``K``), a sample weight: for hard labels the
  weight of the sample's class, as for every loss, and never folded into the
  targets (:func:`class_weight_multiplier`).
"""

import copy
import functools

import numpy as np
import scipy.linalg

from ..design import ArrayDesign, Design
from ..utils._threads import weighted_sum
from ..utils.validation import check_sample_weight
from .base import Objective

__all__ = ["LinearObjective", "apply_class_weight", "class_weight_multiplier"]


def _cholesky_or_none(M):
    """scipy's ``cho_factor`` of ``M``, or None where it is not numerically positive definite."""
    try:
        return scipy.linalg.cho_factor(M, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return None


def _f64(raw):
    return raw.astype(np.float64, copy=False)


def apply_class_weight(y, sample_weight, class_weight):
    """Targets and sample weights of the same loss with class weights applied.

    For a loss linear in its target, weighting the terms of class ``k`` by
    ``w_k`` is the same loss on new targets and sample weights:

    * ``(n, K)`` targets: ``y * w`` (each column scaled; the rows' mass changes);
    * ``(n,)`` targets ``t`` of a binary loss, ``w = (w0, w1)``:
      ``w1 t l1 + w0 (1 - t) l0 = (a + b) * l(a / (a + b))`` with ``a = w1 t``,
      ``b = w0 (1 - t)``: target ``a / (a + b)``, sample weight times ``a + b``.

    Parameters
    ----------
    y : ndarray of shape (n,) or (n, K)
        Targets.
    sample_weight : ndarray of shape (n,)
        Sample weights.
    class_weight : array-like of shape (2,) or (K,)
        Weights of the classes (binary: of class 0, then class 1).

    Returns
    -------
    y, sample_weight : ndarray
        The reweighted targets and sample weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.objective import apply_class_weight
    >>> apply_class_weight(np.array([1.0, 0.0, 0.5]), np.ones(3), [1.0, 3.0])
    (array([1.  , 0.  , 0.75]), array([3., 1., 2.]))
    """
    w = np.asarray(class_weight, dtype=np.float64)
    if y.ndim == 2:
        if w.shape != (y.shape[1],):
            raise ValueError(f"class_weight must have one weight per column of the targets "
                             f"({y.shape[1]}); got shape {w.shape}.")
        return y * w, sample_weight
    if w.shape != (2,):
        raise ValueError(f"class_weight of a binary loss must be (w0, w1); got shape {w.shape}.")
    a = w[1] * y
    b = w[0] * (1.0 - y)
    mass = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        target = np.where(mass > 0, a / np.where(mass > 0, mass, 1.0), y)
    return target, sample_weight * mass


def class_weight_multiplier(y, class_weight):
    """Per-sample factor of class weights for a loss that is not linear in its target.

    ``w1 t + w0 (1 - t)`` for ``(n,)`` binary targets ``t`` and ``w = (w0, w1)``
    (torchvision's form of the focal loss's ``alpha_t``), ``y @ w`` for ``(n, K)``
    rows: for a hard label, the weight of its class. The loss of sample ``i``
    is multiplied by it (a sample weight); the targets are left as they are.

    Parameters
    ----------
    y : ndarray of shape (n,) or (n, K)
        Targets.
    class_weight : array-like of shape (2,) or (K,)
        Weights of the classes (binary: of class 0, then class 1).

    Returns
    -------
    ndarray of shape (n,)
        The factors.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.objective import class_weight_multiplier
    >>> class_weight_multiplier(np.array([1.0, 0.0, 0.5]), [1.0, 3.0])
    array([3., 1., 2.])
    """
    w = np.asarray(class_weight, dtype=np.float64)
    if y.ndim == 2:
        if w.shape != (y.shape[1],):
            raise ValueError(f"class_weight must have one weight per column of the targets "
                             f"({y.shape[1]}); got shape {w.shape}.")
        return y @ w
    if w.shape != (2,):
        raise ValueError(f"class_weight of a binary loss must be (w0, w1); got shape {w.shape}.")
    return w[1] * y + w[0] * (1.0 - y)


class LinearObjective(Objective):
    """Penalised, weighted empirical risk of a linear model with a given loss.

    Parameters
    ----------
    design : Design or ndarray or sparse matrix
        The design (an array is wrapped in :class:`~sklogloss.design.ArrayDesign`).
    y : ndarray
        Targets in the loss's format: ``(n,)`` for a single output, ``(n, K)``
        for a multi-output loss such as the multinomial.
    loss : Loss
        A loss from :mod:`sklogloss.losses` (see :class:`~sklogloss.losses.base.Loss`).
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
    class_weight : array-like of shape (2,) or (K,), default=None
        Weights of the loss terms of each class (binary: ``(w0, w1)``); see
        :func:`apply_class_weight` for a loss linear in its target and
        :func:`class_weight_multiplier` for one that is not.
    offset : ndarray of shape (n,) or (n, K), default=None
        Known raw scores added to ``X @ W.T + b`` before the loss (an ``(n,)``
        offset of a ``K``-output loss is added to every output); ``None``
        means zeros. Raw scores ``raw`` passed to and returned by the methods
        exclude it (see the module's conventions).

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

    An offset shifts the scores the loss sees, not ``linear_predictor``:

    >>> shifted = LinearObjective(X, y, BinomialLoss(), C=np.inf, offset=np.full(4, 0.5))
    >>> shifted.linear_predictor(coef), shifted.loss_scores(coef)
    (array([0., 0., 0., 0.]), array([0.5, 0.5, 0.5, 0.5]))
    >>> bool(np.isclose(shifted.loss(coef), obj.loss(np.array([0.0, 0.5]))))
    True
    """

    def __init__(self, design, y, loss, sample_weight=None, fit_intercept=True, C=1.0,
                 l1_ratio=0.0, n_outputs=None, class_weight=None, offset=None):
        self.design = design if isinstance(design, Design) else ArrayDesign(design)
        # Per-sample quantities (targets, losses, gradients) are float64 whatever
        # X's dtype: they cost O(n), a pass over X costs O(n p), and float64 sums
        # keep line searches and stopping tests meaningful for float32 data.
        # ``(n, K)`` targets are laid out as the scores (column-major for a dense
        # X): elementwise work on mixed layouts runs at a quarter of the speed.
        self.loss_fn = loss
        n = self.n_samples = self.design.n_samples
        sw = check_sample_weight(sample_weight, n)
        if class_weight is not None:
            y = np.asarray(y, dtype=np.float64)
            if loss.linear_in_target:
                y, sw = apply_class_weight(y, sw, class_weight)
            else:
                sw = sw * class_weight_multiplier(y, class_weight)
        self.y = np.asarray(y, dtype=np.float64, order=self.design.score_order)
        if n_outputs is None:
            n_outputs = loss.n_outputs if loss.n_outputs is not None else y.shape[1]
        self.n_outputs = int(n_outputs)
        self.offset = self._check_offset(offset, n)
        self.fit_intercept = bool(fit_intercept)
        self.n_features = self.design.n_features
        self.n_dof = self.n_features + self.fit_intercept
        self.size = self.n_outputs * self.n_dof
        self.weight_sum = float(sw.sum())
        if not self.weight_sum > 0:  # class weights of zero can leave no weight
            raise ValueError("The sample weights times the class weights sum to zero; at least one "
                             "sample must have a positive weight.")
        #: The sample weights (times the class weights), as given; ``sw``: normalised, s_i / S
        #: (a row subset renormalises ``sw`` and keeps ``weight_sum``, see :meth:`row_subset`).
        self.sample_weight = sw
        self.sw = sw / self.weight_sum
        self.C = float(C)
        self.l1_ratio = float(l1_ratio)
        self.alpha = 0.0 if np.isinf(self.C) else 1.0 / (self.C * self.weight_sum)
        self.l2_strength = self.alpha * (1.0 - self.l1_ratio)
        self.l1_strength = self.alpha * self.l1_ratio
        self.checks_scores = self.design.dtype != np.float64  # see Objective.checks_scores
        self.convex = bool(loss.convex)
        self.provides = self._capabilities()

    def _capabilities(self):
        """``provides`` for this loss, penalty and design (a row subset's own design may offer less)."""
        return frozenset({"hessian", "hessp", "approximate_hessp", "hessian_diagonal", "row_subset",
                          "block_columns", "line_derivative"}
                         | ({"lipschitz"} if self.loss_fn.hessian_bound is not None else set())
                         | ({"row_newton"} if self.n_outputs == 1 and self.l2_strength > 0
                            and self.design.offers_row_gram else set()))

    def _check_offset(self, offset, n):
        if offset is None:
            return None
        offset = np.asarray(offset, dtype=np.float64)
        shapes = [(n,)] + ([(n, self.n_outputs)] if self.n_outputs > 1 else [])
        if offset.shape not in shapes:
            raise ValueError(f"offset must have shape {' or '.join(map(str, shapes))} (one raw score per "
                             f"sample{' or per sample and output' if self.n_outputs > 1 else ''}); got shape "
                             f"{offset.shape}.")
        if not np.all(np.isfinite(offset)):
            raise ValueError("offset must be finite (for an exposure t, pass offset=log(t) with t > 0).")
        if offset.ndim == 1 and self.n_outputs > 1:
            offset = offset[:, None]
        return np.asarray(offset, order=self.design.score_order)

    def _scores(self, raw):
        """``raw`` in float64 plus the offset: what the loss sees."""
        raw = _f64(raw)
        return raw if self.offset is None else raw + self.offset

    # ------------------------------------------------------------------ layout
    def solver_context(self):
        """The design's solver context (see :meth:`Design.solver_context`)."""
        return self.design.solver_context()

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

    def carry_hessian(self, H, other):
        """``H`` with the L2 term of ``other`` replaced by this objective's (see :meth:`Objective.carry_hessian`).

        The smooth loss's Hessian does not depend on ``C`` (the weights are
        normalised to sum to one), only the L2 term ``l2_strength`` on the
        penalised diagonal does. ``other`` must be an objective of the same
        class on the same X (the same array: checked), targets and weights
        (not checked: the caller's contract, as along a path of ``C``), with
        the same loss and layout; None otherwise.
        """
        X = getattr(self.design, "X", None)
        if type(other) is not type(self) or X is None or getattr(other.design, "X", None) is not X \
                or other.size != self.size or other.n_samples != self.n_samples \
                or type(other.loss_fn) is not type(self.loss_fn) or H.shape != (self.size, self.size):
            return None
        H = H.copy()
        diag = np.flatnonzero(self.penalised_mask())
        H[diag, diag] += self.l2_strength - other.l2_strength
        return H

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
        if K < 2 or not self.loss_fn.shift_invariant:
            return np.zeros((self.size, 0))
        free = np.arange(m) if self.l2_strength == 0 else np.flatnonzero(~self.penalised_mask()[:m])
        basis = np.zeros((K, m, free.size))
        basis[:, free, np.arange(free.size)] = 1.0 / np.sqrt(K)
        return basis.reshape(K * m, free.size)

    def shift_curvature(self):
        """The Hessian's exact eigenvalues along the output shifts: ``(n_dof,)``, or None.

        For a loss with ``shift_invariant = True`` and ``K > 1`` outputs, moving
        coefficient ``j`` of every output by the same amount (the unit vector
        ``v_j``, ``1 / sqrt(K)`` in each output's ``j``) changes only the L2
        term, so ``H v_j = c_j v_j`` exactly at every point: ``c_j`` is
        ``l2_strength`` for a weight and 0 for an intercept (the directions of
        :meth:`null_space`). With a weak penalty these are the Hessian's
        smallest eigenvalues by far (``1 / (C S)``): a Newton solver takes the
        step along them in closed form and iterates on the rest (see
        ``NewtonCGSolver.inner_solve``). None for any other loss.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.losses import MultinomialLoss
        >>> from sklogloss.objective import LinearObjective
        >>> X = np.array([[0.0], [1.0], [2.0]])
        >>> LinearObjective(X, np.eye(3), MultinomialLoss(), C=1.0).shift_curvature()
        array([0.33333333, 0.        ])
        """
        if self.n_outputs < 2 or not self.loss_fn.shift_invariant:
            return None
        curvature = np.zeros(self.n_dof)
        curvature[: self.n_features] = self.l2_strength
        return curvature

    def row_subset(self, rows, dtype=None):
        """The same objective on a subset of rows, for approximating curvature.

        The subset's weights are renormalised to the same total, and the
        penalty strengths are those of the full objective, so that the
        subset's Hessian estimates the full one (sub-sampled Newton).
        ``dtype`` casts the subset's rows (e.g. float32: a Hessian that is an
        estimate anyway costs half as much). ``rows`` may be an index array or a
        ``slice`` (every ``k``-th row: a view of a dense X, without ``dtype``).
        """
        sub = copy.copy(self)
        sub.design = self.design.take_rows(rows, dtype)
        sub.n_samples = sub.design.n_samples
        sub.checks_scores = False  # its solution is a start point, not a result
        sub.provides = sub._capabilities()  # (a float32 sample offers no X X^T)
        sub.y = np.asarray(self.y[rows], order=sub.design.score_order)
        if self.offset is not None:
            sub.offset = np.asarray(self.offset[rows], order=sub.design.score_order)
        w = self.sw[rows]
        sub.sw = w / w.sum()
        sub.sample_weight = self.sample_weight[rows]
        return sub

    # ------------------------------------------------------------- targets
    def target_mass(self):
        """``sample_weight @ y``: the weighted mass of each output's target, float or ``(K,)``.

        With the weight sum, the null model's intercepts (the log-odds or the
        log masses of the mean target). In the calling thread, without BLAS
        (see :func:`~sklogloss.utils._threads.weighted_sum`): it runs just before a solver.
        """
        return weighted_sum(self.sample_weight, self.y)

    def separates(self, coef):
        """Whether ``coef`` classifies every weighted sample of a 0/1 (one-hot) target correctly.

        Binary: the sign of the score is the target's; ``K`` outputs: the
        largest score is the target's class (rows without a target, of a class
        of weight 0, do not count). For the log loss this means the
        unpenalised minimum is at infinity (perfect separation).
        """
        raw = self.linear_predictor(coef)
        used = self.sw > 0
        if raw.ndim == 1:
            return bool(np.all((raw[used] > 0) == (self.y[used] > 0.5)))
        used &= self.y.sum(axis=1) > 0  # rows whose class has weight 0 carry no target
        return bool(np.all(raw[used].argmax(axis=1) == self.y[used].argmax(axis=1)))

    # ------------------------------------------------------------ raw scores
    def linear_predictor(self, coef, exact=False, approximate=False):
        """Raw predictions ``X @ W.T + b`` in float64: ``(n,)`` if ``K = 1`` else ``(n, K)``.

        The product is computed in X's dtype (``exact=True``: in float64
        arithmetic, see ``Design.matmul64``; ``approximate=True``: in float32
        where the design allows it, for Hessian-vector products), the
        intercept added in float64.
        """
        W, b = self.unpack(coef)
        if exact:
            matmul = self.design.matmul64
        elif approximate:
            matmul = functools.partial(self.design.matmul, approximate=True)
        else:
            matmul = self.design.matmul
        if self.n_outputs == 1:
            raw = _f64(np.asarray(matmul(W[0])))
            if self.fit_intercept:
                raw += b[0]
        else:
            raw = _f64(np.asarray(matmul(W.T)))
            if self.fit_intercept:
                raw += b
        return raw

    def loss_scores(self, coef, raw=None, exact=False):
        """The scores the loss sees at ``coef``: ``linear_predictor(coef) + offset`` (float64).

        ``raw`` (the linear predictor at ``coef``) is reused if given.
        """
        if raw is None:
            raw = self.linear_predictor(coef, exact=exact)
        return self._scores(raw)

    def round_coef(self, coef):
        """``coef`` with its weights rounded to X's dtype (a copy; float64 X: ``coef`` itself).

        ``X @ W`` is computed in X's dtype, so only weights that dtype holds
        are seen exactly. Newton solvers round their steps: the scores they
        carry from step to step (``raw + t * X @ step``, in float64) then are
        those of the float64 coefficients they report, to the rounding of
        each product, and the coefficients keep float64 resolution (the
        float32 optimum rounded to float32 weights can have a gradient above
        the default tolerance; see docs/performance.rst).
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
        return float(np.dot(self.sw, per_sample.astype(np.float64, copy=False)))

    def loss(self, coef, raw=None):
        """Smooth part of the scaled objective at ``coef`` (raw scores reused if given)."""
        if raw is None:
            raw = self.linear_predictor(coef)
        return self._weighted_sum(self.loss_fn.loss(self.y, self._scores(raw))) + self._penalty(coef)

    def loss_state(self, coef, raw=None):
        """Smooth objective value and what the loss can reuse at the same scores.

        Returns ``(value, state)``: ``state`` is the loss's (read-only; e.g.
        the multinomial's probabilities, see ``Loss.has_state``), else
        ``None``. Passed back as ``state`` to :meth:`gradient`,
        :meth:`gradient_hessp`, :meth:`hessian_diagonal` or
        :meth:`gradient_hessian` at the same ``coef`` and ``raw``, it saves
        them their own exponentials: a line search's last value then pays for
        the next gradient's probabilities.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        if not self.loss_fn.has_state:
            return self.loss(coef, raw), None
        per_sample, state = self.loss_fn.loss_state(self.y, self._scores(raw))
        state.flags.writeable = False  # shared by every consumer at this point
        return self._weighted_sum(per_sample) + self._penalty(coef), state

    def _row_sums(self, G, exact=None, approximate=False):
        """``[X^T G, sum G]`` (intercept last) for per-sample values ``G``, float64, no penalty.

        ``G`` of shape ``(n,)`` gives ``(n_dof,)``; ``(n, K)`` gives ``(K, n_dof)``.
        ``exact`` and ``approximate`` are passed to ``rmatmul`` (``approximate``
        for Hessian-vector products).
        """
        XtG = self.design.rmatmul(G, exact=exact, approximate=approximate).T
        if not self.fit_intercept:
            return np.ascontiguousarray(XtG, dtype=np.float64)
        out = np.empty(G.shape[1:][::-1] + (self.n_dof,))
        out[..., : self.n_features] = XtG
        if G.ndim == 1:
            out[-1] = np.add.reduce(G, dtype=np.float64)  # (the ufunc: no wrapper call)
        else:
            # (a product with ones: numpy's sum over the rows of a C-ordered (n, K) array is 8x slower;
            # a float32 G of approximate products sums in float32, as its product with X does)
            if approximate and G.dtype == np.float32:
                out[:, -1] = np.ones(len(G), dtype=np.float32) @ G
            else:
                out[:, -1] = np.ones(len(G)) @ G.astype(np.float64, copy=False)
        return out

    def _grad_from_raw_grad(self, coef, G, exact=None, scale=None, approximate=False):
        """The flat gradient from the per-sample gradient ``G`` (already weighted): row sums plus the L2 term.

        ``scale``: a factor of every row of ``G`` not applied yet (the common
        weight of :meth:`_uniform_weight`), applied to the row sums instead.
        ``approximate``: see :meth:`_row_sums`.
        """
        grad = self._row_sums(G, exact, approximate).reshape(self.n_outputs, self.n_dof)
        if scale is not None:
            grad *= scale
        W, _ = self.unpack(coef)
        grad[:, : self.n_features] += self.l2_strength * W
        return grad.ravel()

    def _uniform_weight(self):
        """``s_i / S`` when every sample has the same weight, else None.

        Then per-sample arrays need not be weighted row by row: the common
        factor scales their row sums (a ``(K, n_dof)`` array) instead of an
        ``(n, K)`` one. Cached for the current ``sw`` (a row subset has its own).
        """
        sw = self.sw
        cached = self.__dict__.get("_uniform_cache")
        if cached is None or cached[0] is not sw:
            value = float(sw[0]) if sw.size and np.all(sw == sw[0]) else None
            cached = self._uniform_cache = (sw, value)
        return cached[1]

    def _weight_rows(self, G):
        return G * (self.sw if G.ndim == 1 else self.sw[:, None])

    def _grad_from_unweighted(self, coef, G, exact=None):
        """The flat gradient from the unweighted per-sample gradient ``G``."""
        uniform = self._uniform_weight()
        if uniform is not None:
            return self._grad_from_raw_grad(coef, G, exact, scale=uniform)
        return self._grad_from_raw_grad(coef, self._weight_rows(G), exact)

    def loss_gradient(self, coef, raw=None):
        """Smooth objective value and its gradient (flat, float64)."""
        if raw is None:
            raw = self.linear_predictor(coef)
        per_sample, G = self.loss_fn.loss_gradient(self.y, self._scores(raw))
        value = self._weighted_sum(per_sample) + self._penalty(coef)
        return value, self._grad_from_unweighted(coef, G)

    def gradient(self, coef, raw=None, state=None):
        """Gradient of the smooth objective (``state``: see :meth:`loss_state`)."""
        if raw is None:
            raw = self.linear_predictor(coef)
        G = self.loss_fn.gradient(self.y, self._scores(raw), state=state)
        return self._grad_from_unweighted(coef, G)

    def line_derivative(self, coef, step, raw, raw_step, state=None):
        """``d/dt f(coef + t step)`` at ``t = 0`` from the scores (see :meth:`Objective.line_derivative`).

        The weighted per-sample gradient's inner product with ``raw_step``
        plus the L2 term's ``l2 W . W_step``: the directional derivative
        ``grad . step``, at the cost of a loss evaluation.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.losses import BinomialLoss
        >>> from sklogloss.objective import LinearObjective
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(40, 3))
        >>> obj = LinearObjective(X, (X[:, 0] > 0).astype(float), BinomialLoss())
        >>> coef, step = rng.normal(size=4), rng.normal(size=4)
        >>> slope = obj.line_derivative(coef, step, obj.linear_predictor(coef), obj.linear_predictor(step))
        >>> bool(np.isclose(slope, obj.gradient(coef) @ step))
        True
        """
        G = self.loss_fn.gradient(self.y, self._scores(raw), state=state)
        raw_step = _f64(np.asarray(raw_step))
        per_sample = G * raw_step if G.ndim == 1 else np.einsum("ij,ij->i", G, raw_step)
        W, _ = self.unpack(coef)
        S, _ = self.unpack(step)
        return self._weighted_sum(per_sample) + self.l2_strength * float(np.vdot(W, S))

    # ------------------------------------------------------------- Hessians
    def _gram_block(self, d, nonneg):
        """``[[X^T D X, X^T d], [d^T X, sum d]]`` (intercept last), float64."""
        H = np.empty((self.n_dof, self.n_dof))
        p = self.n_features
        H[:p, :p] = self.design.weighted_gram(d, nonneg=nonneg)
        if self.fit_intercept:
            col = self._row_sums(d)
            H[:, p] = col
            H[p, :p] = col[:p]
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
        if self.n_outputs > 1 and self.loss_fn.has_hessian_factors:
            G, *factors = self.loss_fn.gradient_hessian_factors(self.y, self._scores(raw), state=state)
        elif self.n_outputs == 1 and not gradient:
            # One output: the per-sample Hessian is its diagonal, from the state where the loss keeps one.
            G, hess = None, self.loss_fn.hessian_diagonal(self.y, self._scores(raw), state=state)
        else:
            G, hess = self.loss_fn.gradient_hessian(self.y, self._scores(raw))
        grad = self._grad_from_unweighted(coef, G) if gradient else None
        K, m = self.n_outputs, self.n_dof
        fisher = bool(self.loss_fn.hessian_is_fisher)
        if K == 1:
            H = self._gram_block(hess * self.sw, nonneg=fisher)
        elif factors is not None:
            # Per-sample blocks diag(d_i) - v_i v_i^T: K Gram matrices on the
            # diagonal minus one Kronecker Gram, in one pass (Design.block_gram).
            d, V = factors
            H = self.design.block_gram(d * self.sw[:, None], V * np.sqrt(self.sw)[:, None], self.fit_intercept)
        else:
            H = np.empty((K * m, K * m))
            for k in range(K):
                for j in range(k, K):
                    block = self._gram_block(hess[:, k, j] * self.sw, nonneg=(k == j and fisher))
                    H[k * m:(k + 1) * m, j * m:(j + 1) * m] = block
                    if j != k:
                        H[j * m:(j + 1) * m, k * m:(k + 1) * m] = block.T
        if K == 1:
            H.ravel()[: self.n_features * (m + 1) : m + 1] += self.l2_strength  # the weights' diagonal (a view)
        else:
            diag = np.arange(K * m).reshape(K, m)[:, : self.n_features].ravel()
            H[diag, diag] += self.l2_strength
        return grad, H

    def newton_step_rows(self, coef, grad, raw=None):
        """The Newton step ``-H^{-1} grad`` through an ``n x n`` system (capability ``"row_newton"``), or None.

        For a single output with an L2 term and a design that offers ``X X^T``
        (:meth:`~sklogloss.design.Design.row_gram`, a dense float64 X), the
        weights' block ``A = l2 I + X^T D X`` is inverted by the Woodbury
        identity, ``A^{-1} v = (v - X^T D^{1/2} M^{-1} D^{1/2} X v) / l2`` with
        ``M = l2 I + D^{1/2} X X^T D^{1/2}``, and the intercept by its Schur
        complement, computed as ``l2 sd^T M^{-1} sd`` (``sd = diag(D)^{1/2}``)
        without cancellation however weak the penalty. A step costs ``n^3 / 3``
        multiply-adds for the factor of ``M`` and two passes over X, where the
        ``(p, p)`` Hessian would cost ``n p^2 + p^3 / 3``: on a wide X with few
        rows it is the cheaper exact step. With an L2 term below ``1e-10``
        times ``M``'s largest diagonal entry (where ``M``'s factor would be
        rounding), the step of that larger L2 term on the weights
        (Levenberg-Marquardt). None where the objective does not provide it,
        or the loss's curvature is negative.

        Examples
        --------
        Twenty rows, fifty columns: a 20 x 20 system gives the step of the
        51 x 51 Hessian.

        >>> import numpy as np
        >>> from sklogloss.losses import BinomialLoss
        >>> from sklogloss.objective import LinearObjective
        >>> X = np.random.default_rng(0).normal(size=(20, 50))
        >>> obj = LinearObjective(X, (X[:, 0] > 0).astype(float), BinomialLoss(), C=1.0)
        >>> "row_newton" in obj.provides
        True
        >>> coef = np.full(51, 0.01)
        >>> grad, H = obj.gradient_hessian(coef)
        >>> bool(np.allclose(obj.newton_step_rows(coef, grad), -np.linalg.solve(H, grad)))
        True
        """
        if "row_newton" not in self.provides:
            return None
        if raw is None:
            raw = self.linear_predictor(coef)
        lam, p = self.l2_strength, self.n_features
        d = self.loss_fn.gradient_hessian(self.y, self._scores(raw))[1] * self.sw
        if not np.all(d >= 0):  # (a loss whose curvature is negative somewhere: the Hessian's step)
            return None
        sd = np.sqrt(d)
        gram = self.design.row_gram()
        M = gram * sd[:, None]
        M *= sd
        # An L2 term below 1e-10 of M's largest diagonal entry (C of 1e10 and more) leaves M's
        # factor to rounding: the step of that larger L2 term on the weights instead, a
        # Levenberg-Marquardt step (a descent direction; a fit from zero weights stays in the
        # row space of X, where every curvature is above it).
        lam = max(lam, 1e-10 * float(M.diagonal().max(initial=0.0)))
        M.flat[:: len(M) + 1] += lam
        factor = _cholesky_or_none(M)
        if factor is None:
            return None
        # With Z = D^{1/2} X: w = -(g_w + Z^T q) / lam for an n-vector q. Without an intercept
        # q = -M^{-1} Z g_w. With one, q = -V_0 + lam b V_1 with M [V_0, V_1] = [Z g_w, sd],
        # and the intercept's equation gives b; its Schur complement is lam sd^T V_1, computed
        # as that product (its textbook form, sum d - c^T A^{-1} c, is a difference of two
        # numbers of size sum d that loses every digit as lam gets small).
        g_w = grad[:p]
        z_g = sd * _f64(np.asarray(self.design.matmul(g_w)))
        step = np.empty(self.n_dof)
        if self.fit_intercept:
            V = scipy.linalg.cho_solve(factor, np.column_stack([z_g, sd]), check_finite=False)
            schur = lam * float(sd @ V[:, 1])
            if not schur > 0:
                return None
            step[p] = b = (float(sd @ V[:, 0]) - grad[p]) / schur
            q = lam * b * V[:, 1] - V[:, 0]
        else:
            q = -scipy.linalg.cho_solve(factor, z_g, check_finite=False)
        step[:p] = -(g_w + self.design.rmatmul(sd * q)) / lam
        return step if np.all(np.isfinite(step)) else None

    def approximates(self):
        """Whether approximate Hessian-vector products are float32 (:meth:`Design.approximates
        <sklogloss.design.Design.approximates>`)."""
        return "approximate_hessp" in self.provides and self.design.approximates()

    def gradient_hessp(self, coef, raw=None, gradient=True, state=None, approximate=False):
        """Gradient and a function ``v -> H v`` (two passes over X per product, or one).

        For one output a product is one :meth:`Design.hessian_product
        <sklogloss.design.Design.hessian_product>`, which reads a large dense
        X once; for several, :meth:`~sklogloss.design.Design.matmul` and
        :meth:`~sklogloss.design.Design.rmatmul`.

        ``gradient=False`` skips the gradient's pass over X and returns ``None``
        for it. ``state``: see :meth:`loss_state`. ``approximate=True``
        (capability ``"approximate_hessp"``): the products with X may be
        float32 whatever X's dtype (``Design.matmul(..., approximate=True)``;
        relative errors about 1e-7, for conjugate gradients); the gradient is
        exact either way.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.losses import BinomialLoss
        >>> from sklogloss.objective import LinearObjective
        >>> X = np.random.default_rng(0).normal(size=(200, 5))
        >>> obj = LinearObjective(X, (X[:, 0] > 0).astype(float), BinomialLoss())
        >>> coef, v = np.full(6, 0.1), np.ones(6)
        >>> H = obj.gradient_hessian(coef)[1]
        >>> bool(np.allclose(obj.gradient_hessp(coef)[1](v), H @ v, rtol=1e-13))
        True
        >>> bool(np.allclose(obj.gradient_hessp(coef, approximate=True)[1](v), H @ v, rtol=1e-5))
        True
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        if self.n_outputs == 1:
            G, hess = self.loss_fn.gradient_hessian(self.y, self._scores(raw))
            d = hess * self.sw
            grad = self._grad_from_unweighted(coef, G) if gradient else None
            p, l2, intercept = self.n_features, self.l2_strength, self.fit_intercept

            def hessp(v):
                # X^T D (X w + b), 1^T D (X w + b) and l2 * w: one call to the design, which
                # reads a large dense X once per product (Design.hessian_product).
                W, b = self.unpack(v)
                Xtu, total = self.design.hessian_product(d, W[0], float(b[0]) if intercept else 0.0,
                                                         approximate=approximate)
                out = np.empty(self.n_dof)
                out[:p] = Xtu
                out[:p] += l2 * W[0]
                if intercept:
                    out[p] = total
                return out

            return grad, hessp

        # Approximate products on the design's float32 copy of X: the scores X v stay float32
        # from that product to X^T's, and the loss may apply its curvature in float32 (one
        # pass of float32 arithmetic instead of two conversions and float64 passes).
        single = approximate and self.design.approximates()
        G, per_sample_hessp = self.loss_fn.gradient_hessian_product(
            self.y, self._scores(raw), state=state, overwrite=True, dtype=np.float32 if single else None)
        # Equal weights scale the row sums, not the (n, K) products (see _uniform_weight).
        scale = self._uniform_weight()
        sw = None if scale is not None else self.sw[:, None].astype(np.float32 if single else np.float64)

        def raw_hessp(r):
            # r is this product's own scores array: the loss may overwrite it (overwrite=True).
            out = per_sample_hessp(r)
            if sw is not None:
                out *= sw
            return out

        grad = self._grad_from_unweighted(coef, G) if gradient else None

        def hessp(v):
            # H v = X^T D X v (+ intercept terms) + l2 * v_W: the penalty term
            # is the ``l2 * W`` that _grad_from_raw_grad adds for W = v_W.
            # A float32 X may sum in float32 here, and with `approximate` the products may
            # be float32 on a float64 X (Design.approximate_X): CG needs no more, and the
            # gradient and the values that decide the steps and convergence stay exact.
            if single:
                W, b = self.unpack(v)
                r = self.design.matmul(W.T, approximate=True)
                if self.fit_intercept:
                    r += b.astype(np.float32)
            else:
                r = self.linear_predictor(v, approximate=approximate)
            return self._grad_from_raw_grad(v, raw_hessp(r), exact=False, scale=scale, approximate=approximate)

        return grad, hessp

    def hessian_diagonal(self, coef, raw=None, state=None):
        """Diagonal of the Hessian (flat, float64).

        One pass over ``X * X``: the Jacobi preconditioner of Newton-CG.
        ``state``: see :meth:`loss_state`.
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        d = self.loss_fn.hessian_diagonal(self.y, self._scores(raw), state=state)
        d = d * (self.sw if d.ndim == 1 else self.sw[:, None])
        diag = np.empty((self.n_outputs, self.n_dof))
        diag[:, : self.n_features] = self.design.squared_rmatmul(d).reshape(self.n_features, -1).T
        diag[:, : self.n_features] += self.l2_strength
        if self.fit_intercept:
            diag[:, -1] = d.reshape(len(d), -1).sum(axis=0)
        return diag.ravel()

    def column_nnz(self):
        """Non-zeros per column of X (the design's ``column_nnz``): what products with columns cost."""
        return self.design.column_nnz()

    def hessian_block_columns(self, coef, columns, raw=None, state=None, square=False):
        """Columns of each output's diagonal block of the Hessian, ``(K, n_dof, len(columns))``.

        ``square=True`` returns only the rows ``columns`` of them, ``(K, len(columns),
        len(columns))``: the principal block (a working set's Hessian), at the cost
        and memory of that block only.

        Block ``k`` is ``[X, 1]^T diag(s_i H_i[k, k]) [X, 1]`` plus the L2 term
        on its penalised diagonal (for ``K = 1``, the Hessian itself);
        ``columns`` index its rows ``0..n_dof - 1`` (``n_features`` is the
        intercept). One weighted cross-Gram product
        (:meth:`~sklogloss.design.Design.weighted_cross_gram`): the couplings
        of a few coefficients with all the others, without the whole Hessian.
        ``state``: see :meth:`loss_state`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklogloss.losses import BinomialLoss
        >>> from sklogloss.objective import LinearObjective
        >>> X = np.random.default_rng(0).normal(size=(50, 3))
        >>> obj = LinearObjective(X, (X[:, 0] > 0).astype(float), BinomialLoss())
        >>> coef = np.array([0.5, -0.2, 0.1, 0.3])
        >>> H = obj.gradient_hessian(coef)[1]
        >>> bool(np.allclose(obj.hessian_block_columns(coef, [3, 1])[0], H[:, [3, 1]]))
        True
        >>> bool(np.allclose(obj.hessian_block_columns(coef, [3, 1], square=True)[0], H[np.ix_([3, 1], [3, 1])]))
        True
        """
        if raw is None:
            raw = self.linear_predictor(coef)
        d = self.loss_fn.hessian_diagonal(self.y, self._scores(raw), state=state)
        D = d.reshape(len(d), -1) * self.sw[:, None]
        columns = np.asarray(columns, dtype=np.intp)
        rows = columns if square else np.arange(self.n_dof)
        p = self.n_features
        col_w, row_w = columns < p, rows < p  # weights (the intercept is index p)
        out = np.zeros((self.n_outputs, rows.size, columns.size))
        if np.any(col_w) and np.any(row_w):
            select = rows[row_w] if square else None
            d2 = d.reshape(D.shape)
            if D.shape[1] > 1 and np.all(np.abs(d2 - d2[0]) <= 1e-13 * np.abs(d2[0])):
                # Every sample has the same curvature (the null model's, where a fit starts;
                # to the last bits, which a vectorised exp can round differently row by row):
                # the K blocks are one weighted Gram product scaled per output.
                block = self.design.weighted_cross_gram(self.sw, columns[col_w], rows=select)
                block = d2[0][:, None, None] * block
            else:
                block = self.design.weighted_cross_gram(D, columns[col_w], rows=select)
            n_row, n_col = int(row_w.sum()), int(col_w.sum())
            if row_w[:n_row].all() and col_w[:n_col].all():
                # The weights first (the intercept, if asked for, last): a slice, not a fancy index.
                out[:, :n_row, :n_col] = block
            else:
                out[np.ix_(np.arange(self.n_outputs), row_w, col_w)] = block
        # The L2 term on the penalised diagonal: where a row is the same weight as a column
        # (row index columns[c] when rows are every coefficient, c itself for the principal block).
        c = np.flatnonzero(col_w)
        out[:, c if square else columns[c], c] += self.l2_strength
        if self.fit_intercept and not (np.all(row_w) and np.all(col_w)):
            sums = self._row_sums(D)  # (K, n_dof): [X^T D, sum D], the intercept's row and column
            out[:, ~row_w, :] = sums[:, None, columns]
            out[:, :, ~col_w] = sums[:, rows, None]
        return out

    def lipschitz(self):
        """An upper bound of the Lipschitz constant of the smooth gradient.

        Uses the loss's bound on the Hessian of one sample (``Loss.hessian_bound``:
        1/4 for the binomial, 1/2 for the multinomial) times
        ``max_i s_i / S * ||[X, 1]||^2``. Only for a loss with a bound
        (capability ``"lipschitz"``).
        """
        bound = self.loss_fn.hessian_bound
        if bound is None:
            raise ValueError(f"{type(self.loss_fn).__name__} has no Hessian bound: no Lipschitz "
                             "constant (use a second-order solver or L-BFGS).")
        xnorm = self.design.squared_norm_bound() + (self.design.n_samples if self.fit_intercept else 0)
        return bound * float(self.sw.max()) * xnorm + self.l2_strength

    # ----------------------------------------------------------- reporting
    def user_objective(self, coef, raw=None):
        """The objective in scikit-learn's scaling, ``F = C * S * f`` (``S * f`` if ``C = inf``)."""
        f = self.objective(coef, raw)
        return f * self.weight_sum * (1.0 if np.isinf(self.C) else self.C)
