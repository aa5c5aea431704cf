"""SoftmaxClassifier: multinomial logistic regression with probability-matrix targets."""

import numpy as np

from ..losses import MultinomialFocalLoss, MultinomialLoss
from ..objective import LinearObjective
from ._base import LinearClassifierBase, MultinomialFitMixin, fill_doc
from ._streaming import PartialFitMixin
from ._targets import ProbabilityTargets, smooth_labels

__all__ = ["SoftmaxClassifier"]


@fill_doc
class SoftmaxClassifier(PartialFitMixin, MultinomialFitMixin, LinearClassifierBase):
    """Multinomial logistic regression (softmax, categorical cross-entropy) with soft targets.

    Minimises scikit-learn's objective::

        C * sum_i s_i * loss_i + (1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1

    over the weights ``W`` (``n_classes x n_features``) and the unpenalised
    intercepts ``b``, where ``s_i`` is the sample weight and
    ``loss_i = -sum_k w_k t_ik log p_ik`` is the cross-entropy between the
    (smoothed) target row ``t_i`` and ``p_i = softmax(W x_i + b)``, with class
    weights ``w_k`` (all 1 by default). The same ``C`` gives the same model as
    scikit-learn's multinomial :class:`~sklearn.linear_model.LogisticRegression`.
    With ``loss="focal"``, ``loss_i = -sum_k w_k alpha_k t_ik (1 - p_ik)**gamma
    log p_ik`` (see :class:`~sklogloss.losses.MultinomialFocalLoss`).

    The target ``y`` may be

    * class labels of any type (``classes_`` are the sorted unique labels);
    * an ``(n_samples, n_classes)`` matrix of target probabilities: entries in
      ``[0, 1]``, rows summing to one (within ``1e-6``; they are renormalised);
      ``classes_ = arange(n_classes)``. A one-hot matrix is the hard-label case.

    Parameters
    ----------
    {{C}}
    {{l1_ratio}}
    fit_intercept : bool, default=True
        Whether to fit one (unpenalised) intercept per class.
    class_weight : dict, "balanced" or None, default=None
        Weights ``w_k`` of the classes in the cross-entropy
        ``-sum_k w_k t_k log p_k``. For labels without smoothing this is
        scikit-learn's rule (sample ``i`` weighted by ``w_{y_i}``), and
        ``"balanced"`` is its formula ``S / (n_classes * S_k)``, ``S_k`` the
        sample-weighted count of class ``k``. For probability targets the keys
        are the column indices and ``"balanced"`` uses the soft class masses
        ``S_k = sum_i s_i y_ik``. With ``label_smoothing`` the weights apply to the
        smoothed targets, as in PyTorch's ``CrossEntropyLoss(weight, label_smoothing)``.
    label_smoothing : float in [0, 1), default=0.0
        Targets become ``(1 - eps) * y + eps / n_classes`` (PyTorch's convention).
    loss : {"log", "focal"}, default="log"
        ``"log"``: the cross-entropy. ``"focal"``: the focal loss
        ``-alpha_t (1 - p_t)**gamma log p_t`` of the true class (Lin et al.
        2017), for probability targets ``-sum_k alpha_k t_k (1 - p_k)**gamma
        log p_k``; it down-weights well-classified samples and is not convex
        for ``focal_gamma > 0`` (``solver="auto"`` then picks Newton-Cholesky
        with a curvature-modified step when the full Hessian is cheap, else
        L-BFGS; FISTA with an L1 term). Its probabilities are not calibrated.
        Class weights multiply the terms of their class, as for the log loss.
    focal_gamma : float >= 0, default=2.0
        The focal loss's focusing parameter ``gamma`` (``0``: the cross-entropy,
        times ``alpha``). Only with ``loss="focal"``.
    focal_alpha : array-like of shape (n_classes,) or None, default=None
        Non-negative weight ``alpha_k`` of each class (in the order of
        ``classes_``); ``None``: all ones. Only with ``loss="focal"``.
    adversarial_epsilon : float >= 0, default=0.0
        Robust training against inputs moved within ``adversarial_epsilon``:
        the cross-entropy at the scores ``z_k + epsilon (||w_k||_* +
        ||w_y||_*)`` for the classes ``k`` other than the label ``y`` (``z_y``
        kept), an upper bound of the worst case, since ``(w_k - w_y) . delta
        <= epsilon ||w_k - w_y||_* <= epsilon (||w_k||_* + ||w_y||_*)``. Convex;
        for two classes it is exact (the shift of the score vectors that the
        penalty picks makes the triangle inequality an equality: the model of
        ``LogisticClassifier(C=2 C, adversarial_epsilon=...)``). Needs hard
        labels and ``loss="log"``; solved by L-BFGS(-B). ``0``: ordinary training.
        See :mod:`sklogloss.objective.adversarial`.
    adversarial_norm : {"inf", "l2"}, default="inf"
        The ball's norm: ``"inf"`` (dual norm ``||.||_1``) or ``"l2"`` (beyond two
        classes with the norms smoothed to ``sqrt(||w_k||^2 + 1e-6)``, still a
        bound; see :doc:`/adversarial`).
    solver : {"auto", "newton-cholesky", "newton-cg", "lbfgs", "gd", "prox-newton", \
"fista"}, default="auto"
        ``"auto"`` picks Newton-Cholesky when the full Hessian is cheap
        (``n_samples * n_coef^2 <= 5e7``), else Newton-CG, preconditioned by
        the Hessian of a row sample when it has at most 1500 rows
        (``n_coef = n_classes * (n_features + 1)``) and the sample is smaller
        than the data, by the Schur preconditioner otherwise; with an L1
        term, proximal Newton up to 1500 rows, FISTA beyond.
        ``"newton-cholesky"`` forms the full Hessian on every row.
    {{tol}}
    {{max_iter}}
    warm_start : bool, default=False
        Start from the previous fit's coefficients when the classes and the
        number of features are the same.
    {{verbose}}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``arange(n_classes)`` for probability targets).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights, one row per class; one row for two classes (see Notes).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts, centred: they sum to zero (zeros if ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1,)
        Solver iterations.
    {{fitted}}

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the reference for the objective.
    LogisticClassifier : binary, one-vs-rest and multilabel logistic regression.

    Notes
    -----
    **Gauge.** Adding the same number to all ``K`` intercepts changes no
    probability, so the intercepts are reported centred (``intercept_.sum() ==
    0``). With an L2 term the columns of ``coef_`` sum to zero at the optimum;
    with ``C=np.inf`` they are only defined up to a common shift and are
    centred too. With a pure L1 penalty (``l1_ratio=1``) ``coef_`` is left in
    the gauge the penalty selects.

    **Two classes.** The model still has two score vectors ``W[0], W[1]``
    (centred, ``W[1] = -W[0]``); ``coef_`` reports their difference, one row
    ``W[1] - W[0]`` of shape ``(1, n_features)``, and ``intercept_ = [b[1] -
    b[0]]``: the log-odds weights of ``classes_[1]``, scikit-learn's binary
    shapes. Since ``||W||^2 = ||W[1] - W[0]||^2 / 2`` there, the model with
    ``C`` equals scikit-learn's binary logistic regression with ``2 * C``.
    ``decision_function`` returns those log-odds, shape ``(n_samples,)``;
    :meth:`predict_proba` has two columns.

    **Streaming.** :meth:`partial_fit` fits data given in chunks with the
    same objective and ``C`` (``C`` multiplies the losses of all the
    distinct samples seen): each call minimises its chunk's loss plus the
    second-order expansions of the chunks seen before (incremental Newton),
    and passes over the same chunks converge to the model of ``fit``. Its
    memory is a dense ``n_coef x n_coef`` matrix, ``n_coef = n_classes *
    (n_features + 1)``, at most 2000. See :doc:`/streaming`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklogloss.estimators.softmax import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(C=1.0, tol=1e-10).fit(X, y)
    >>> clf.coef_.shape, clf.intercept_.shape
    ((3, 4), (3,))
    >>> ref = LogisticRegression(C=1.0, tol=1e-12, solver="newton-cholesky").fit(X, y)
    >>> bool(np.abs(clf.predict_proba(X) - ref.predict_proba(X)).max() < 1e-6)
    True

    Targets may be probabilities, one row per sample:

    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> Y = np.array([[0.8, 0.1, 0.1], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6]])
    >>> clf = SoftmaxClassifier(C=np.inf).fit(X, Y)
    >>> clf.classes_
    array([0, 1, 2])
    >>> clf.predict(X)
    array([0, 0, 1, 2])

    Chunks of the iris data, three passes, give the model of ``fit``; the
    first call names every class (the first chunk holds only class 0: the
    rows of iris are sorted by class):

    >>> X, y = load_iris(return_X_y=True)
    >>> stream = SoftmaxClassifier(C=1.0)
    >>> for _ in range(3):
    ...     for rows in np.array_split(np.arange(150), 5):
    ...         stream = stream.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    >>> full = SoftmaxClassifier(C=1.0).fit(X, y)
    >>> bool(np.abs(stream.predict_proba(X) - full.predict_proba(X)).max() < 1e-4)
    True
    """

    _parameter_constraints = {**LinearClassifierBase._parameter_constraints, "focal_alpha": [None, "array-like"]}

    # ------------------------------------------------------------ fit hooks
    def _target_encoder(self):
        return ProbabilityTargets()

    def _loss_function(self, n_classes):
        """The per-sample loss (:mod:`sklogloss.losses`) for ``n_classes`` columns of targets."""
        if self.loss != "focal":
            return MultinomialLoss()
        loss = MultinomialFocalLoss(gamma=self.focal_gamma, alpha=self.focal_alpha)
        if loss.alpha is not None and loss.alpha.size != n_classes:
            raise ValueError(f"focal_alpha has {loss.alpha.size} entries for {n_classes} classes; give one "
                             "non-negative weight per class, in the order of classes_.")
        return loss

    def _build_objectives(self, X, Y, sw):
        """The multinomial objective of the smoothed targets, class weights on their columns."""
        class_weight = self._targets.class_weights(self.class_weight, Y, sw)
        Y = smooth_labels(Y, self.label_smoothing, Y.shape[1])
        return self._robust([LinearObjective(X, Y, self._loss_function(Y.shape[1]), sample_weight=sw,
                                             fit_intercept=self.fit_intercept, C=self.C, l1_ratio=self.l1_ratio,
                                             class_weight=class_weight)])

    def _centres_weights(self):
        """Without a penalty the weights are defined up to a shift: centred (see Notes)."""
        return bool(np.isinf(self.C))
