"""LogisticClassifier: binary logistic regression, soft targets, one-vs-rest, multilabel."""

from numbers import Integral, Real

import numpy as np

from ..design import ArrayDesign
from ..losses import BinaryFocalLoss, BinomialLoss, log1pexp, log_softmax, sigmoid
from ..objective import LinearObjective
from ..utils._sklearn import Interval
from ._base import LinearClassifierBase, fill_doc
from ._streaming import PartialFitMixin
from ._targets import OneVsRestTargets, smooth_labels

__all__ = ["LogisticClassifier"]


@fill_doc
class LogisticClassifier(PartialFitMixin, LinearClassifierBase):
    """Logistic regression on the binary cross-entropy, with soft targets.

    Minimises scikit-learn's objective::

        C * sum_i s_i * loss_i + (1 - l1_ratio) / 2 * ||w||^2 + l1_ratio * ||w||_1

    where ``loss_i`` is the binary cross-entropy of the (smoothed) target and
    ``s_i`` the sample weight times the class weight. The same ``C`` gives the
    same model as :class:`sklearn.linear_model.LogisticRegression`. With
    ``loss="focal"``, ``loss_i`` is the focal loss of the (smoothed) target
    (torchvision's ``sigmoid_focal_loss``, see
    :class:`~sklogloss.losses.BinaryFocalLoss`).

    The target ``y`` may be

    * binary labels of any type (``classes_`` are the two labels, sorted);
    * labels of more than two classes: one-vs-rest, one independent binary
      problem per class (in parallel with ``n_jobs``); ``predict_proba``
      normalises the per-class sigmoids to sum to one;
    * a multilabel indicator matrix ``(n_samples, n_labels)`` of 0/1, or of
      probabilities: one sigmoid per column, ``classes_ = arange(n_labels)``;
      ``predict_proba`` gives each label's own probability (rows need not sum
      to one) and ``predict`` a 0/1 matrix (probability > 1/2);
    * soft targets: floats in ``[0, 1]``, not all 0 or 1, meaning
      ``P(y = 1)``; ``classes_ = [0, 1]``.

    Data that do not fit in memory can be given in chunks to
    :meth:`partial_fit` (incremental Newton: each call minimises the loss of
    its chunk plus the second-order expansions of the chunks seen before,
    with the same ``C``; passes over the same chunks converge to the model
    of ``fit`` on all of them). See :doc:`/streaming`.

    Parameters
    ----------
    {{C}}
    {{l1_ratio}}
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    class_weight : dict, "balanced" or None, default=None
        Weight of each class. ``"balanced"`` uses ``S / (n_classes * S_c)``
        with ``S_c`` the (sample-weighted) mass of class ``c``. For binary and
        soft targets the weights ``w0, w1`` multiply the two terms of the
        cross-entropy of the (smoothed) target,
        ``-(w1 t log p + w0 (1 - t) log(1 - p))``, as PyTorch's weighted,
        label-smoothed cross-entropy; for 0/1 targets this is a sample weight
        ``w_{y_i}``. One-vs-rest: every sample is weighted by its own class's
        weight in each binary problem (scikit-learn's one-vs-rest), a sample
        weight. Not supported for multilabel targets (use ``sample_weight``).
    label_smoothing : float in [0, 1), default=0.0
        Targets become ``(1 - eps) * y + eps / 2``.
    loss : {"log", "focal"}, default="log"
        ``"log"``: the binary cross-entropy. ``"focal"``: the focal loss
        ``alpha_t (1 - p_t)**gamma * BCE`` with ``p_t = p t + (1 - p) (1 - t)``
        for the target ``t`` (Lin et al. 2017, torchvision's convention),
        which down-weights well-classified samples; not convex for
        ``focal_gamma > 0`` (``solver="auto"`` then picks Newton-Cholesky
        with a curvature-modified step up to 1500 coefficients, else L-BFGS;
        FISTA with an L1 term). Its probabilities are not calibrated:
        :class:`sklearn.calibration.CalibratedClassifierCV` repairs them.
        With ``class_weight`` each sample's focal loss is multiplied by
        ``w1 t + w0 (1 - t)`` (the weight of its class for hard labels).
    focal_gamma : float >= 0, default=2.0
        The focal loss's focusing parameter ``gamma`` (``0``: the cross-entropy,
        times ``alpha_t``). Only with ``loss="focal"``.
    focal_alpha : float in [0, 1] or None, default=None
        The positive class's weight ``alpha`` (``1 - alpha`` for the negative
        class; in one-vs-rest and multilabel problems, of each problem's
        positive class); ``None``: no alpha weighting. Only with
        ``loss="focal"``.
    adversarial_epsilon : float >= 0, default=0.0
        Robust training: each sample's loss is its worst case over inputs
        within ``adversarial_epsilon`` of it, in closed form for a linear
        model, ``log(1 + exp(-(s (w . x + b) - epsilon ||w||_*)))`` with
        ``s = +-1`` the label's sign and ``||.||_*`` the dual norm of the ball
        (see :mod:`sklogloss.objective.adversarial`). Convex and exact; needs
        hard labels (no soft targets, no label smoothing) and ``loss="log"``,
        and is solved by L-BFGS(-B). ``0``: ordinary training.
    adversarial_norm : {"inf", "l2"}, default="inf"
        The ball's norm: ``"inf"`` (every feature moves by at most epsilon;
        the dual norm is ``||w||_1``) or ``"l2"`` (``||w||_2``).
    solver : {"auto", "newton-cholesky", "newton-cg", "lbfgs", "gd", "prox-newton", "fista"}, \
default="auto"
        ``"auto"`` picks Newton-Cholesky when the Hessian has at most 1500
        rows, Newton-CG (Schur-preconditioned) otherwise; with an L1 term,
        proximal Newton (on working sets above 1500 coefficients).
    {{tol}}
    {{max_iter}}
    warm_start : bool, default=False
        Start from the previous fit's coefficients when their shape fits.
    n_jobs : int or None, default=None
        Threads for the one-vs-rest and multilabel problems.
    {{verbose}}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``[0, 1]`` for soft targets, ``arange(n_labels)`` for multilabel).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for a binary problem.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    n_iter_ : ndarray of shape (1,) or (n_classes,)
        Solver iterations per binary problem.
    {{fitted}}

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the reference for the objective.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklogloss import LogisticClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LogisticClassifier(C=0.5)).fit(X, y)
    >>> round(clf.score(X, y), 3)
    0.988

    Soft targets are probabilities of the positive class:

    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = LogisticClassifier(C=np.inf).fit(X, [0.1, 0.3, 0.6, 0.9])
    >>> clf.classes_
    array([0, 1])
    >>> p = clf.predict_proba(X)[:, 1]
    >>> p.round(2)
    array([0.09, 0.3 , 0.63, 0.88])
    >>> float(round(p.sum(), 6))  # the intercept's score equation: sum(p) = sum(targets)
    1.9

    The same model from chunks (three passes over four chunks of the breast
    cancer data, as if read from disk one at a time):

    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> stream = LogisticClassifier(C=0.5)
    >>> for _ in range(3):
    ...     for rows in np.array_split(np.arange(len(y)), 4):
    ...         stream = stream.partial_fit(X[rows], y[rows], classes=[0, 1])
    >>> full = LogisticClassifier(C=0.5).fit(X, y)
    >>> bool(np.abs(stream.predict_proba(X) - full.predict_proba(X)).max() < 1e-5)
    True
    """

    _parameter_constraints = {
        **LinearClassifierBase._parameter_constraints,
        "focal_alpha": [Interval(Real, 0, 1, closed="both"), None],
        "n_jobs": [None, Integral],
    }

    def __init__(self, C=1.0, l1_ratio=0.0, fit_intercept=True, class_weight=None,
                 label_smoothing=0.0, loss="log", focal_gamma=2.0, focal_alpha=None, adversarial_epsilon=0.0,
                 adversarial_norm="inf", solver="auto", tol=1e-8, max_iter=None, warm_start=False, n_jobs=None,
                 verbose=0):
        super().__init__(C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept, class_weight=class_weight,
                         label_smoothing=label_smoothing, loss=loss, focal_gamma=focal_gamma, focal_alpha=focal_alpha,
                         adversarial_epsilon=adversarial_epsilon, adversarial_norm=adversarial_norm, solver=solver,
                         tol=tol, max_iter=max_iter, warm_start=warm_start, verbose=verbose)
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------ fit hooks
    def _target_encoder(self):
        return OneVsRestTargets()

    def _build_objectives(self, X, Y, sw):
        """One binomial objective per column of ``Y`` (one per binary problem).

        The class weights go to each objective (``class_weight=(w0, w1)``),
        except for one-vs-rest, where each sample is weighted by its own
        class's weight in every problem: a sample weight.
        """
        class_weight = self._targets.class_weights(self.class_weight, Y, sw)
        if class_weight is not None and Y.shape[1] > 1:
            sw, class_weight = sw * class_weight[Y.argmax(axis=1)], None
        smoothed = smooth_labels(Y, self.label_smoothing, 2)
        # n_jobs threads fit one problem each: each then multiplies X in one thread.
        design = ArrayDesign(X, n_threads=1 if self._n_threads(smoothed.shape[1]) > 1 else None)
        objectives = [LinearObjective(design, smoothed[:, j], self._loss_function(), sample_weight=sw,
                                      fit_intercept=self.fit_intercept, C=self.C, l1_ratio=self.l1_ratio,
                                      class_weight=class_weight)
                      for j in range(smoothed.shape[1])]
        return self._robust(objectives)

    def _loss_function(self):
        """The per-sample loss of each binary problem (:mod:`sklogloss.losses`)."""
        if self.loss == "focal":
            return BinaryFocalLoss(gamma=self.focal_gamma, alpha=self.focal_alpha)
        return BinomialLoss()

    # ---------------------------------------------------------- predictions
    def _log_proba(self, scores):
        """Multilabel: each label's log-sigmoid; one-vs-rest: the sigmoids normalised, in log space."""
        log_sigmoid = -log1pexp(-scores)
        if self._targets.kind_ == "multilabel":
            return log_sigmoid
        return log_softmax(log_sigmoid)  # finite when every sigmoid underflows

    def _proba(self, scores):
        if self._targets.kind_ == "multilabel":
            return sigmoid(scores)
        return np.exp(self._log_proba(scores))

    def _labels(self, scores):
        if self._targets.kind_ == "multilabel":
            return (scores > 0).astype(int)
        return super()._labels(scores)
