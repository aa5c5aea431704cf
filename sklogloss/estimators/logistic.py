"""LogisticClassifier: binary logistic regression, soft targets, one-vs-rest, multilabel."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d
from threadpoolctl import threadpool_limits

from ..losses import BinomialLoss, log1pexp, sigmoid
from ..design import ArrayDesign
from ..objective import LinearObjective
from ..solvers import select_solver
from ..utils._sklearn import _fit_context
from ._base import (
    LINEAR_PARAMETER_CONSTRAINTS,
    check_sample_weight,
    check_two_weighted_classes,
    hard_class_weights,
    label_repr,
    linear_scores,
    run_solver,
    smooth_labels,
    validate_X_y,
    warn_separated,
)

__all__ = ["LogisticClassifier"]


def _soft_class_weights(T, sw, class_weight):
    """Weights ``(w0, w1)`` of the negative and positive class of a soft-target problem.

    ``"balanced"`` gives ``S / (2 * m_c)`` with ``m_1 = sum s_i t_i`` and
    ``m_0 = sum s_i (1 - t_i)``, scikit-learn's formula when ``t`` is 0/1.
    """
    if class_weight == "balanced":
        mass1 = float(sw @ T)
        mass0 = float(sw.sum()) - mass1
        return float(sw.sum()) / (2 * mass0), float(sw.sum()) / (2 * mass1)
    unknown = set(class_weight) - {0, 1}
    if unknown:
        raise ValueError(f"With soft targets the classes are 0 and 1; class_weight has keys "
                         f"{sorted(unknown, key=str)}.")
    return float(class_weight.get(0, 1.0)), float(class_weight.get(1, 1.0))


def _reweight(T, sw, w0, w1):
    """Fold class weights into targets and sample weights.

    ``-(w1 t log p + w0 (1 - t) log(1 - p)) = (a + b) * BCE(p, a / (a + b))`` with
    ``a = w1 t`` and ``b = w0 (1 - t)``: the class-weighted cross-entropy of a soft
    target is an ordinary one with a new target and a new sample weight.
    """
    a = w1 * T
    b = w0 * (1.0 - T)
    mass = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        target = np.where(mass > 0, a / np.where(mass > 0, mass, 1.0), T)
    return target, sw * mass


class LogisticClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on the binary cross-entropy, with soft targets.

    Minimises scikit-learn's objective::

        C * sum_i s_i * loss_i + (1 - l1_ratio) / 2 * ||w||^2 + l1_ratio * ||w||_1

    where ``loss_i`` is the binary cross-entropy of the (smoothed) target and
    ``s_i`` the sample weight times the class weight. The same ``C`` gives the
    same model as :class:`sklearn.linear_model.LogisticRegression`.

    The target ``y`` may be

    * binary labels of any type (``classes_`` are the two labels, sorted);
    * labels of more than two classes: one-vs-rest, one independent binary
      problem per class (in parallel with ``n_jobs``); ``predict_proba``
      normalises the per-class sigmoids to sum to one;
    * a multilabel indicator matrix ``(n_samples, n_labels)`` of 0/1, or of
      probabilities: one sigmoid per column, ``classes_ = arange(n_labels)``;
    * soft targets: floats in ``[0, 1]``, not all 0 or 1, meaning
      ``P(y = 1)``; ``classes_ = [0, 1]``.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Share of the L1 term in the penalty (0: ridge, 1: lasso).
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
        weight in each binary problem (scikit-learn's one-vs-rest). Not
        supported for multilabel targets (use ``sample_weight``).
    label_smoothing : float in [0, 1), default=0.0
        Targets become ``(1 - eps) * y + eps / 2``.
    solver : {"auto", "newton-cholesky", "newton-cg", "lbfgs", "gd", "prox-newton", "fista"}, \
default="auto"
        ``"auto"`` picks Newton-Cholesky (proximal Newton with an L1 term) when
        the Hessian has at most 1500 rows, Newton-CG (FISTA) otherwise.
    tol : float, default=1e-8
        Stop when the max-norm of the (sub)gradient of the objective divided by
        ``C * sum(sample_weight)`` is at most ``tol``.
    max_iter : int or None, default=None
        Maximum number of iterations; ``None`` uses the solver's default
        (100 for the Newton solvers, 1000 for L-BFGS, 10000 for gd and FISTA).
    warm_start : bool, default=False
        Start from the previous fit's coefficients when their shape fits.
    n_jobs : int or None, default=None
        Threads for the one-vs-rest and multilabel problems.
    verbose : int, default=0
        Print solver progress if positive.

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
    solver_ : str
        The solver used.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

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
    """

    _parameter_constraints = {
        **LINEAR_PARAMETER_CONSTRAINTS,
        "n_jobs": [None, Integral],
    }

    def __init__(self, C=1.0, l1_ratio=0.0, fit_intercept=True, class_weight=None,
                 label_smoothing=0.0, solver="auto", tol=1e-8, max_iter=None, warm_start=False,
                 n_jobs=None, verbose=0):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    # ----------------------------------------------------------- targets
    def _encode_targets(self, y):
        """Return ``(kind, classes, T)``: T is ``(n, n_problems)`` float64 targets in [0, 1]."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            if y.dtype.kind not in "biuf":
                raise ValueError(
                    f"A 2-D target must be a multilabel indicator matrix (0/1) or a matrix of "
                    f"probabilities in [0, 1]; got dtype {y.dtype}.")
            T = y.astype(np.float64)
            if T.min() < 0 or T.max() > 1:
                raise ValueError(
                    "A 2-D target must be a multilabel indicator matrix (0/1) or a matrix of "
                    f"probabilities in [0, 1]; got values in [{T.min():g}, {T.max():g}].")
            return "multilabel", np.arange(T.shape[1]), T
        target_type = type_of_target(y, input_name="y")
        if target_type == "continuous":
            T = y.astype(np.float64)
            if T.min() < 0 or T.max() > 1:
                raise ValueError(
                    "Unknown label type: continuous targets are read as soft labels, the "
                    f"probability of class 1, and must lie in [0, 1]; got values in "
                    f"[{T.min():g}, {T.max():g}]. Pass class labels as integers or strings.")
            return "soft", np.array([0, 1]), T[:, None]
        if target_type not in ("binary", "multiclass"):
            # check_classification_targets' test, without a second type_of_target pass.
            raise ValueError(f"Unknown label type: {target_type}. Pass class labels (integers or "
                             "strings) or probabilities of class 1 in [0, 1].")
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"This solver needs samples of at least 2 classes in the data, but the data "
                f"contain only one class: {label_repr(classes[0])}.")
        if classes.size == 2:
            return "binary", classes, (y_idx == 1).astype(np.float64)[:, None]
        T = np.zeros((y_idx.size, classes.size))
        T[np.arange(y_idx.size), y_idx] = 1.0
        return "multiclass", classes, T

    def _problems(self, kind, classes, T, sw):
        """Per-problem ``(targets, sample_weights)``: smoothed targets, then class weights.

        Binary and soft targets: the class weights multiply the two terms of the
        cross-entropy of the smoothed target, ``-(w1 t log p + w0 (1 - t) log(1 - p))``
        (PyTorch's convention; for 0/1 targets without smoothing it is the sample
        weight ``w_{y_i}``). One-vs-rest: each sample is weighted by its own class's
        weight in every problem, as scikit-learn's one-vs-rest does.
        """
        if kind != "multilabel":
            both = T if kind == "multiclass" else np.column_stack([1 - T[:, 0], T[:, 0]])
            check_two_weighted_classes(both, sw, "LogisticClassifier")
        S = smooth_labels(T, self.label_smoothing, 2)
        cw = self.class_weight
        if cw is None:
            return [(S[:, j], sw) for j in range(S.shape[1])]
        if kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets; pass "
                             "sample_weight instead.")
        if kind == "multiclass":
            y_idx = T.argmax(axis=1)
            sw = sw * hard_class_weights(cw, classes, y_idx, sw)[y_idx]
            return [(S[:, j], sw) for j in range(S.shape[1])]
        if kind == "soft":
            w0, w1 = _soft_class_weights(T[:, 0], sw, cw)
        else:
            w0, w1 = hard_class_weights(cw, classes, T[:, 0].astype(int), sw)
        return [_reweight(S[:, 0], sw, w0, w1)]

    # --------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept as float32, CSR stays sparse.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, soft targets in [0, 1], or a multilabel matrix (see the class docstring).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight equals repeating the row.

        Returns
        -------
        self : LogisticClassifier
            The fitted estimator.
        """
        X, y = validate_X_y(self, X, y)
        sw = check_sample_weight(sample_weight, X)
        kind, classes, T = self._encode_targets(y)
        problems = self._problems(kind, classes, T, sw)
        hard = kind != "soft" and (kind != "multilabel" or np.all((T == 0) | (T == 1)))
        n_problems = 1 if kind == "binary" or kind == "soft" else T.shape[1]
        n_features = X.shape[1]
        solver = select_solver(self.solver, self.l1_ratio, n_features + self.fit_intercept)

        coef0 = None
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (n_problems, n_features) \
                and np.array_equal(getattr(self, "classes_", None), classes):
            coef0 = np.hstack([self.coef_, self.intercept_[:, None]]) if self.fit_intercept else self.coef_

        # n_jobs threads fit one problem each: each then multiplies X in one thread.
        n_threads = 1 if n_problems == 1 else min(effective_n_jobs(self.n_jobs), n_problems)
        design = ArrayDesign(X, n_threads=1 if n_threads > 1 else None)

        def fit_one(j, target, weight):
            obj = LinearObjective(design, target, BinomialLoss(), sample_weight=weight,
                                  fit_intercept=self.fit_intercept, C=self.C, l1_ratio=self.l1_ratio)
            if coef0 is not None:
                start = np.array(coef0[j], dtype=np.float64)
            else:
                start = obj.zero_coef()
                if self.fit_intercept:
                    m = np.clip(float(weight @ target) / float(weight.sum()), 1e-10, 1 - 1e-10)
                    start[-1] = np.log(m / (1 - m))
            label = f" (class {label_repr(classes[j])})" if n_problems > 1 else ""
            return run_solver(self, obj, start, solver, label), obj

        if n_problems == 1:
            results = [fit_one(0, *problems[0])]
        else:
            # Threads share X; each runs single-threaded BLAS so that n_jobs
            # threads do not each start a BLAS pool on the same cores.
            with threadpool_limits(limits=1 if n_threads > 1 else None, user_api="blas"):
                results = Parallel(n_jobs=n_threads, prefer="threads")(
                    delayed(fit_one)(j, *problems[j]) for j in range(n_problems))

        coef = np.vstack([r.coef for r, _ in results])
        self.coef_ = coef[:, :n_features].copy()
        self.intercept_ = coef[:, n_features].copy() if self.fit_intercept else np.zeros(n_problems)
        self.n_iter_ = np.array([r.n_iter for r, _ in results], dtype=np.int32)
        self.classes_ = classes
        self.solver_ = solver
        self._target_kind = kind
        if np.isinf(self.C) and hard and self.label_smoothing == 0:
            self._warn_if_separated(results, problems)
        return self

    def _warn_if_separated(self, results, problems):
        for j, ((res, obj), (target, weight)) in enumerate(zip(results, problems)):
            raw = obj.linear_predictor(res.coef)
            used = weight > 0
            if np.all((raw[used] > 0) == (target[used] > 0.5)):
                warn_separated(f" for class {label_repr(self.classes_[j])}" if len(problems) > 1 else "")
                return

    # ----------------------------------------------------------- predict
    def decision_function(self, X):
        """Log-odds of the positive class (binary) or of each class (one-vs-rest).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per binary problem; raveled for a binary problem.
        """
        return linear_scores(self, X)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Binary: ``[1 - p, p]``. One-vs-rest: the sigmoids normalised to sum to
            one. Multilabel: each label's own probability (rows need not sum to one).
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = sigmoid(scores)
            return np.column_stack([1 - p, p])
        if self._target_kind == "multiclass":
            return np.exp(self._ovr_log_proba(scores))
        return sigmoid(scores)

    @staticmethod
    def _ovr_log_proba(scores):
        """``log(sigmoid(z_k) / sum_j sigmoid(z_j))``, in log space: finite when every sigmoid underflows."""
        log_sig = -log1pexp(-scores)
        return log_sig - logsumexp(log_sig, axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed in log space (finite for finite scores).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            # log(1 - p) = -log1pexp(z), log p = -log1pexp(-z): no log(0) for large |z|.
            return -log1pexp(np.column_stack([scores, -scores]))
        if self._target_kind == "multiclass":
            return self._ovr_log_proba(scores)
        return -log1pexp(-scores)

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` (subset accuracy for multilabel targets).

        Soft targets (and multilabel probability matrices) are scored against
        their rounding, ``y > 1/2``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels or soft targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            Weighted accuracy.
        """
        y = np.asarray(y)
        if y.dtype.kind == "f" and type_of_target(y).startswith("continuous"):
            y = (y > 0.5).astype(int)
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``; for multilabel, 0/1 per label (probability > 1/2).
        """
        scores = self.decision_function(X)
        if self._target_kind == "multilabel":
            return (scores > 0).astype(int)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]
