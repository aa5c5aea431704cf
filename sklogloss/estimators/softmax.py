"""SoftmaxClassifier: multinomial logistic regression with probability-matrix targets."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..losses import MultinomialLoss, log_softmax, softmax
from ..objective import LinearObjective
from ..solvers import select_solver
from ..utils._sklearn import _fit_context
from ._base import (
    LINEAR_PARAMETER_CONSTRAINTS,
    check_sample_weight,
    check_two_weighted_classes,
    hard_class_weights,
    label_repr,
    run_solver,
    smooth_labels,
    validate_X,
    validate_X_y,
    warn_separated,
)

__all__ = ["SoftmaxClassifier"]

#: Rows of a probability-matrix target must sum to one within this (they are then renormalised).
ROW_SUM_TOL = 1e-6


def _probability_class_weights(class_weight, T, sw):
    """Class weights ``(K,)`` for a probability-matrix target ``T`` (columns are classes 0..K-1).

    ``"balanced"`` is scikit-learn's ``S / (K * m_k)`` with the soft class masses
    ``m_k = sum_i s_i T_ik`` (the counts when ``T`` is one-hot); a class without
    mass gets weight 0, which multiplies only zero targets.
    """
    K = T.shape[1]
    if class_weight == "balanced":
        mass = sw @ T
        with np.errstate(divide="ignore"):
            weights = np.where(mass > 0, sw.sum() / (K * mass), 0.0)
        return weights
    unknown = [key for key in class_weight if not (isinstance(key, (int, np.integer))
                                                   and 0 <= key < K)]
    if unknown:
        raise ValueError(
            f"With an (n_samples, {K}) matrix of probabilities the classes are 0..{K - 1}; "
            f"class_weight has the keys {unknown}. Use the column indices as keys.")
    return np.array([float(class_weight.get(k, 1.0)) for k in range(K)])


class SoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression (softmax, categorical cross-entropy) with soft targets.

    Minimises scikit-learn's objective::

        C * sum_i s_i * loss_i + (1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1

    over the weights ``W`` (``n_classes x n_features``) and the unpenalised
    intercepts ``b``, where ``s_i`` is the sample weight and
    ``loss_i = -sum_k w_k t_ik log p_ik`` is the cross-entropy between the
    (smoothed) target row ``t_i`` and ``p_i = softmax(W x_i + b)``, with class
    weights ``w_k`` (all 1 by default). The same ``C`` gives the same model as
    scikit-learn's multinomial :class:`~sklearn.linear_model.LogisticRegression`.

    The target ``y`` may be

    * class labels of any type (``classes_`` are the sorted unique labels);
    * an ``(n_samples, n_classes)`` matrix of target probabilities: entries in
      ``[0, 1]``, rows summing to one (within ``1e-6``; they are renormalised);
      ``classes_ = arange(n_classes)``. A one-hot matrix is the hard-label case.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Share of the L1 term in the penalty (0: ridge, 1: lasso).
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
    solver : {"auto", "newton-cholesky", "newton-cg", "lbfgs", "gd", "prox-newton", \
"fista"}, default="auto"
        ``"auto"`` picks Newton-CG, preconditioned by the Hessian of a row
        sample when it has at most 1500 rows (``n_classes * (n_features + 1)``)
        and by the Hessian's diagonal otherwise; with an L1 term, proximal
        Newton up to 1500 rows, FISTA beyond. ``"newton-cholesky"`` forms the
        full Hessian on every row and is about as fast on small problems.
    tol : float, default=1e-8
        Stop when the max-norm of the (sub)gradient of the objective divided by
        ``C * sum(sample_weight)`` is at most ``tol``.
    max_iter : int or None, default=None
        Maximum number of iterations; ``None`` uses the solver's default
        (100 for the Newton solvers, 1000 for L-BFGS, 10000 for gd and FISTA).
    warm_start : bool, default=False
        Start from the previous fit's coefficients when the classes and the
        number of features are the same.
    verbose : int, default=0
        Print solver progress if positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``arange(n_classes)`` for probability targets).
    coef_ : ndarray of shape (n_classes, n_features)
        Weights, one row per class, also for two classes (see Notes).
    intercept_ : ndarray of shape (n_classes,)
        Intercepts, centred: they sum to zero (zeros if ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1,)
        Solver iterations.
    solver_ : str
        The solver used.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

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

    **Two classes.** ``coef_`` has two rows, ``coef_[1] = -coef_[0]``, and the
    log-odds of ``classes_[1]`` are ``(coef_[1] - coef_[0]) @ x + ...``. Since
    ``||W||^2 = ||coef_[1] - coef_[0]||^2 / 2`` there, the model with ``C``
    equals scikit-learn's binary logistic regression with ``2 * C``.
    ``decision_function`` follows scikit-learn's binary convention and returns
    those log-odds, shape ``(n_samples,)``; :meth:`predict_proba` has two columns.

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
    """

    _parameter_constraints = dict(LINEAR_PARAMETER_CONSTRAINTS)

    def __init__(self, C=1.0, l1_ratio=0.0, fit_intercept=True, class_weight=None,
                 label_smoothing=0.0, solver="auto", tol=1e-8, max_iter=None, warm_start=False,
                 verbose=0):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ----------------------------------------------------------- targets
    @staticmethod
    def _encode_targets(y):
        """Return ``(kind, classes, T)``: ``T`` is ``(n, K)`` float64 with rows on the simplex."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            if y.dtype.kind not in "biuf":
                raise ValueError(
                    "A 2-D target must be an (n_samples, n_classes) matrix of class "
                    f"probabilities; got dtype {y.dtype}. Pass class labels as a 1-D array.")
            T = y.astype(np.float64)
            if T.min() < 0 or T.max() > 1:
                raise ValueError(
                    "A 2-D target must be an (n_samples, n_classes) matrix of class "
                    f"probabilities in [0, 1]; got values in [{T.min():g}, {T.max():g}].")
            row_sums = T.sum(axis=1)
            worst = float(np.max(np.abs(row_sums - 1)))
            if worst > ROW_SUM_TOL:
                raise ValueError(
                    "A 2-D target must be an (n_samples, n_classes) matrix of class "
                    f"probabilities whose rows sum to 1; a row sums to "
                    f"{row_sums[np.argmax(np.abs(row_sums - 1))]:g}. Normalise the rows, or use "
                    "LogisticClassifier for multilabel targets (several labels per sample).")
            return "proba", np.arange(T.shape[1]), T / row_sums[:, None]
        if type_of_target(y, input_name="y") == "continuous":
            raise ValueError(
                "Unknown label type: continuous. SoftmaxClassifier takes class labels (ints or "
                "strings) or an (n_samples, n_classes) matrix of class probabilities; for the "
                "probability of one class use LogisticClassifier.")
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "SoftmaxClassifier needs samples of at least 2 classes in the data, but the data "
                f"contain only one class: {label_repr(classes[0])}.")
        T = np.zeros((y_idx.size, classes.size))
        T[np.arange(y_idx.size), y_idx] = 1.0
        return "labels", classes, T

    def _loss_targets(self, kind, classes, T, sw):
        """Targets of the loss: smoothed, then multiplied by the class weights (columns)."""
        check_two_weighted_classes(T, sw, "SoftmaxClassifier")
        Y = smooth_labels(T, self.label_smoothing, classes.size)
        cw = self.class_weight
        if cw is None:
            return Y
        if kind == "proba":
            weights = _probability_class_weights(cw, T, sw)
        else:
            weights = hard_class_weights(cw, classes, T.argmax(axis=1), sw)
        return Y * weights

    def _start(self, objective, classes, Y, sw):
        """Warm start, or zero weights and the log class masses as intercepts."""
        n_features = objective.n_features
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and self.coef_.shape == (classes.size, n_features) \
                and np.array_equal(self.classes_, classes):
            M = np.column_stack([self.coef_, self.intercept_]) if self.fit_intercept else self.coef_
            return np.array(M, dtype=np.float64).ravel()
        coef = objective.zero_coef()
        if self.fit_intercept:
            mass = sw @ Y
            b = np.log(np.maximum(mass, 1e-10 * mass.sum()))
            coef.reshape(classes.size, -1)[:, -1] = b - b.mean()
        return coef

    # --------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept as float32, CSR stays sparse.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or a matrix of class probabilities (see the class docstring).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight equals repeating the row.

        Returns
        -------
        self : SoftmaxClassifier
            The fitted estimator.
        """
        X, y = validate_X_y(self, X, y)
        sw = check_sample_weight(sample_weight, X)
        kind, classes, T = self._encode_targets(y)
        Y = self._loss_targets(kind, classes, T, sw)
        K, n_features = classes.size, X.shape[1]
        solver = select_solver(self.solver, self.l1_ratio, K * (n_features + self.fit_intercept),
                               n_outputs=K)
        # Checked after the fit, only without a penalty; one-hot probability rows are labels too.
        check_separation = np.isinf(self.C) and self.label_smoothing == 0 \
            and (kind == "labels" or bool(np.all((T == 0) | (T == 1))))
        obj = LinearObjective(X, Y, MultinomialLoss(), sample_weight=sw,
                              fit_intercept=self.fit_intercept, C=self.C, l1_ratio=self.l1_ratio)
        # The objective holds the targets in its own layout (possibly a copy):
        # the fit keeps no other (n, K) copy.
        Y = obj.y
        del T
        result = run_solver(self, obj, self._start(obj, classes, Y, sw), solver)

        W, b = obj.unpack(result.coef)
        W, b = W.copy(), b - b.mean()
        if np.isinf(self.C):
            W -= W.mean(axis=0)
        self.coef_, self.intercept_ = W, b
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.classes_ = classes
        self.solver_ = solver
        if check_separation:
            # One-hot rows: Y is T times the positive class weights (zero rows unused).
            raw = obj.linear_predictor(result.coef)
            used = (sw > 0) & (Y.sum(axis=1) > 0)
            if np.all(raw[used].argmax(axis=1) == Y[used].argmax(axis=1)):
                warn_separated()
        return self

    # ----------------------------------------------------------- predict
    def _raw_scores(self, X):
        check_is_fitted(self)
        X = validate_X(self, X, reset=False)
        return np.asarray(X @ self.coef_.T.astype(X.dtype, copy=False)) + self.intercept_

    def decision_function(self, X):
        """Raw class scores ``X @ coef_.T + intercept_`` (log-odds for two classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes) or (n_samples,)
            Scores, centred over the classes like ``intercept_``. For two classes,
            scikit-learn's binary convention: the log-odds of ``classes_[1]``.
        """
        scores = self._raw_scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict_proba(self, X):
        """Class probabilities, the softmax of the class scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        return softmax(self._raw_scores(X))

    def predict_log_proba(self, X):
        """Log class probabilities, ``scores - logsumexp(scores)`` (finite where probabilities underflow).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        return log_softmax(self._raw_scores(X))

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self._raw_scores(X)
        return self.classes_[scores.argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict`.

        A matrix of probabilities is scored against its most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            True labels or class probabilities.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            Weighted accuracy.
        """
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            y = self.classes_[y.argmax(axis=1)]
        return super().score(X, y, sample_weight=sample_weight)
