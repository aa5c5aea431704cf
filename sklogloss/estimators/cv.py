"""Cross-validated choice of ``C`` (and ``l1_ratio``) along a warm-started path.

:class:`LogisticClassifierCV` and :class:`SoftmaxClassifierCV` have the
interface of scikit-learn's :class:`~sklearn.linear_model.LogisticRegressionCV`.
For every fold and every ``l1_ratio`` one estimator is fitted along the grid of
``Cs`` from the most to the least regularised, each fit starting from the
previous solution (``warm_start=True``): the solutions of neighbouring ``C``
are close, so that each fit after the first takes a few Newton steps.

The fitted attributes follow scikit-learn's new layout
(``LogisticRegressionCV(use_legacy_attributes=False)``): ``scores_``,
``n_iter_`` of shape ``(n_folds, n_l1_ratios, n_cs)``, ``coefs_paths_`` of
shape ``(n_folds, n_l1_ratios, n_cs, n_rows, n_features + fit_intercept)``,
floats ``C_`` and ``l1_ratio_``.
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn import config_context
from sklearn.metrics import get_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..solvers.curvature import HessianMemory
from ..utils._sklearn import Interval, _fit_context
from ..utils.validation import check_sample_weight
from ._base import LINEAR_PARAMETER_CONSTRAINTS, fill_doc, validate_X_y
from ._targets import label_repr
from .logistic import LogisticClassifier
from .softmax import SoftmaxClassifier

__all__ = ["LogisticClassifierCV", "SoftmaxClassifierCV", "neg_log_loss"]

#: The parameters of the underlying estimator that a CV estimator passes on.
_BASE_PARAMETERS = ("fit_intercept", "class_weight", "label_smoothing", "solver", "tol", "max_iter", "verbose")


def neg_log_loss(estimator, X, y, sample_weight=None):
    """The default scorer: minus the mean cross-entropy of ``predict_proba`` against the targets.

    For labels this is scikit-learn's ``neg_log_loss`` (the same clipping of
    the probabilities to ``[eps, 1 - eps]``); for soft targets ``t`` it is
    ``-sum_k t_k log p_k`` (binary: ``-(t log p + (1 - t) log(1 - p))``), and
    for multilabel targets the sum over the labels of their binary
    cross-entropies. Greater is better.

    Parameters
    ----------
    estimator : LogisticClassifier, SoftmaxClassifier or their CV estimators
        A fitted estimator of this package (it encodes ``y`` as ``fit`` did).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Samples.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels or targets of the kind seen in ``fit``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the mean.

    Returns
    -------
    float
        Minus the weighted mean cross-entropy.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import log_loss
    >>> from sklogloss import LogisticClassifier
    >>> from sklogloss.estimators.cv import neg_log_loss
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1])
    >>> clf = LogisticClassifier().fit(X, y)
    >>> bool(np.isclose(neg_log_loss(clf, X, y), -log_loss(y, clf.predict_proba(X))))
    True
    >>> t = np.array([0.1, 0.4, 0.6, 0.9])     # soft targets: the same model, scored against them
    >>> round(neg_log_loss(clf, X, t), 4)
    -0.5775
    """
    targets = estimator._targets
    return _neg_cross_entropy(estimator.predict_proba(X), targets.transform(np.asarray(y)),
                              targets.kind_ == "multilabel", sample_weight)


def _neg_cross_entropy(P, T, multilabel, sample_weight):
    """Minus the weighted mean cross-entropy of probabilities ``P`` against encoded targets ``T``."""
    eps = np.finfo(P.dtype).eps
    P = np.clip(P, eps, 1 - eps)
    if multilabel:
        per_sample = -(T * np.log(P) + (1 - T) * np.log1p(-P)).sum(axis=1)
    else:
        if T.shape[1] == 1:
            T = np.column_stack([1 - T[:, 0], T[:, 0]])
        per_sample = -(T * np.log(P)).sum(axis=1)
    return -float(np.average(per_sample, weights=sample_weight))


def _check_grid(values, name, what, valid):
    """``values`` as a non-empty float64 vector whose entries are all ``valid``, else a ValueError."""
    try:
        grid = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        grid = None
    if grid is None or grid.size == 0 or not np.all(valid(grid)):
        raise ValueError(f"{name} must be {what}; got {name}={values!r}.")
    return grid


@fill_doc
class _PathCVMixin:
    """Fit along the C path for each fold and l1_ratio, choose, refit (see the module docstring)."""

    _parameter_constraints = {
        **{name: LINEAR_PARAMETER_CONSTRAINTS[name] for name in _BASE_PARAMETERS},
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like", None],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [None, Integral],
        "refit": ["boolean"],
    }

    #: The estimator fitted along the path (its class).
    _path_class = None

    def __init__(self, Cs=10, l1_ratios=None, fit_intercept=True, cv=None, scoring=None, class_weight=None,
                 label_smoothing=0.0, solver="auto", tol=1e-8, max_iter=None, n_jobs=None, verbose=0,
                 refit=True):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit

    def _path_estimator(self, class_weight, **params):
        """The underlying estimator with this estimator's parameters (class weights as fitted)."""
        base = {name: getattr(self, name) for name in _BASE_PARAMETERS}
        return self._path_class(**{**base, "class_weight": class_weight, **params})

    def _get_scorer(self):
        """The scorer of ``scoring``: ``None`` and ``"neg_log_loss"`` are :func:`neg_log_loss`."""
        if self.scoring is None or self.scoring == "neg_log_loss":
            return neg_log_loss
        if callable(self.scoring):
            return self.scoring
        try:
            return get_scorer(self.scoring)
        except ValueError as exc:
            raise ValueError(
                f"scoring={self.scoring!r} is not a scikit-learn scorer name; use one of "
                "sklearn.metrics.get_scorer_names() (e.g. 'neg_log_loss', 'accuracy', 'roc_auc'), "
                "a callable scorer(estimator, X, y) or None.") from exc

    def _grids(self):
        if isinstance(self.Cs, Integral):
            Cs = np.logspace(-4, 4, self.Cs)
        else:
            Cs = _check_grid(self.Cs, "Cs", "an int >= 1 or a non-empty list of positive floats",
                             lambda c: c > 0)
        l1_ratios = _check_grid([0.0] if self.l1_ratios is None else self.l1_ratios, "l1_ratios",
                                "None or a non-empty list of floats in [0, 1]",
                                lambda r: (r >= 0) & (r <= 1))
        return Cs, l1_ratios

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit along the C path on every fold, choose ``C`` and ``l1_ratio``, refit.

        {{fit}}
        """
        Cs, l1_ratios = self._grids()
        scorer = self._get_scorer()
        X_given, y_given = X, y
        X, y = validate_X_y(self, X, y, reset=True, multi_output=self._accepts_2d_targets)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, X)
        self._targets = self._target_encoder()
        Y = self._targets.fit_transform(y)
        self.classes_ = self._targets.classes_
        class_weight = self.class_weight
        if isinstance(class_weight, str):  # "balanced": from the whole data, the same in every fold
            weights = self._targets.class_weights(class_weight, Y, np.ones(X.shape[0]) if sw is None else sw)
            class_weight = dict(zip(self.classes_.tolist(), weights.tolist()))
        del Y
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y))
        self.Cs_, self.l1_ratios_ = Cs, l1_ratios

        tasks = [(train, test, l1_ratio) for train, test in folds for l1_ratio in l1_ratios]
        n_threads = min(effective_n_jobs(self.n_jobs), len(tasks))
        # Threads share X; each runs single-threaded BLAS (n_jobs fits on n_jobs cores).
        with threadpool_limits(limits=1 if n_threads > 1 else None, user_api="blas"):
            paths = Parallel(n_jobs=n_threads, prefer="threads")(
                delayed(self._fit_path)(X, y, sw, train, test, l1_ratio, task, scorer, class_weight)
                for task, (train, test, l1_ratio) in enumerate(tasks))
        shape = (len(folds), l1_ratios.size, Cs.size)
        self.coefs_paths_ = np.stack([coefs for coefs, _, _ in paths]).reshape(*shape, *paths[0][0].shape[1:])
        self.scores_ = np.array([scores for _, scores, _ in paths]).reshape(shape)
        self.n_iter_ = np.array([n_iter for _, _, n_iter in paths], dtype=np.int32).reshape(shape)

        if self.refit:
            # Mean score over the folds; ties go to the first C, then the first l1_ratio (scikit-learn's order).
            c, r = np.unravel_index(np.argmax(self.scores_.mean(axis=0).T), (Cs.size, l1_ratios.size))
            self.C_, self.l1_ratio_ = float(Cs[c]), float(l1_ratios[r])
            start = self.coefs_paths_[:, r, c].mean(axis=0)
            model = self._path_estimator(class_weight, C=self.C_, l1_ratio=self.l1_ratio_, warm_start=True,
                                         **self._refit_parameters())
            model.coef_, model.intercept_ = self._split(start)
            model.classes_ = self.classes_
            model.fit(X_given, y_given, sample_weight=sample_weight)
            self.best_estimator_ = model.set_params(warm_start=False)
            self.coef_, self.intercept_ = model.coef_.copy(), model.intercept_.copy()
        else:
            # Each fold's best (C, l1_ratio); the coefficients and parameters averaged over the folds.
            best = [np.unravel_index(np.argmax(scores.T), (Cs.size, l1_ratios.size)) for scores in self.scores_]
            self.C_ = float(np.mean([Cs[c] for c, _ in best]))
            self.l1_ratio_ = float(np.mean([l1_ratios[r] for _, r in best]))
            mean = np.mean([self.coefs_paths_[f, r, c] for f, (c, r) in enumerate(best)], axis=0)
            self.coef_, self.intercept_ = self._split(mean)
            if hasattr(self, "best_estimator_"):
                del self.best_estimator_
        return self

    def _fit_path(self, X, y, sw, train, test, l1_ratio, task, scorer, class_weight):
        """Fit the fold of ``task`` along the Cs, from the smallest; its coefficients, scores and iterations."""
        Cs = self.Cs_
        model = self._path_estimator(class_weight, l1_ratio=l1_ratio, warm_start=True)
        # The fits share their data: each Newton-Cholesky fit starts from the previous one's last Hessian.
        model._hessian_memory = HessianMemory()
        X_train, y_train = X[train], y[train]
        X_test, y_test = X[test], y[test]
        fit_kwargs = {} if sw is None else {"sample_weight": sw[train]}
        score_kwargs = {} if sw is None else {"sample_weight": sw[test]}
        coefs, scores, n_iter = [None] * Cs.size, np.empty(Cs.size), np.empty(Cs.size, dtype=np.int32)
        T_test = None  # the default scorer's encoded test targets, encoded once
        for j in np.argsort(Cs, kind="stable"):
            # X and the parameters were validated once by fit: the path's fits skip it.
            with config_context(assume_finite=True, skip_parameter_validation=True):
                model.set_params(C=Cs[j]).fit(X_train, y_train, **fit_kwargs)
            if not np.array_equal(model.classes_, self.classes_):
                missing = ", ".join(label_repr(c) for c in np.setdiff1d(self.classes_, model.classes_))
                raise ValueError(
                    f"The training part of fold {task // self.l1_ratios_.size} has no sample of class(es) "
                    f"{missing}; every fold must see every class. Use fewer folds or a stratified splitter "
                    "(cv=None or an int stratifies labels).")
            M = model.coef_ if not self.fit_intercept else np.column_stack([model.coef_, model.intercept_])
            coefs[j], n_iter[j] = M, int(np.max(model.n_iter_))
            if scorer is neg_log_loss:
                if T_test is None:
                    T_test = model._targets.transform(y_test)
                scores[j] = _neg_cross_entropy(model.predict_proba(X_test), T_test,
                                               model._targets.kind_ == "multilabel", score_kwargs.get("sample_weight"))
            else:
                scores[j] = scorer(model, X_test, y_test, **score_kwargs)
        return np.stack(coefs), scores, n_iter

    def _split(self, M):
        """``coef_, intercept_`` of a block ``[coef_, intercept_]`` of ``coefs_paths_``."""
        if self.fit_intercept:
            return M[:, :-1].copy(), M[:, -1].copy()
        return M.copy(), np.zeros(M.shape[0])

    def _refit_parameters(self):
        return {}

    def score(self, X, y, sample_weight=None):
        """The ``scoring`` of this estimator on ``(X, y)`` (default: :func:`~sklogloss.estimators.cv.neg_log_loss`).

        {{X}}
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels or target probabilities, of the kind seen in ``fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, passed to the scorer.

        Returns
        -------
        float
            The score; greater is better.
        """
        check_is_fitted(self)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self._get_scorer()(self, X, y, **kwargs)


_CV_DOC = """
    The grid is ``Cs`` x ``l1_ratios``. For each fold of ``cv`` and each
    ``l1_ratio``, one {base} is fitted along the ``Cs`` from the smallest
    (most regularised) to the largest, with ``warm_start=True``: each fit starts
    from the previous solution. Each fit is scored on the fold's test part; the
    ``(C, l1_ratio)`` of the best mean score is refitted on all the data,
    starting from the mean of the folds' solutions there.

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        The values of ``C`` (inverse regularisation strength, > 0; ``np.inf``
        is no penalty); an int ``n``: ``np.logspace(-4, 4, n)``, as
        scikit-learn's.
    l1_ratios : array-like of float in [0, 1] or None, default=None
        The shares of the L1 term in the penalty; ``None`` means ``[0.0]``
        (ridge).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    cv : int, cross-validation generator or iterable, default=None
        Splits of the training data, as :func:`sklearn.model_selection.check_cv`
        with ``classifier=True``: ``None`` is 5 folds, an int that many folds,
        stratified (:class:`~sklearn.model_selection.StratifiedKFold`) for labels;
        soft targets cannot be stratified and get
        :class:`~sklearn.model_selection.KFold`. Every training part must hold
        every class.
    scoring : str, callable or None, default=None
        Score of each fit on its test fold (greater is better). ``None`` and
        ``"neg_log_loss"``: minus the mean cross-entropy of ``predict_proba``
        against the targets, which is scikit-learn's ``neg_log_loss`` for
        labels and stays defined for soft targets (see :func:`~sklogloss.estimators.cv.neg_log_loss`).
        Another scikit-learn scorer name or a callable
        ``scorer(estimator, X, y)`` receives the targets as given; with
        ``sample_weight`` it is called with the test part's
        ``sample_weight=``.
    class_weight : dict, "balanced" or None, default=None
        As for {base}; ``"balanced"`` is computed once on all the training data
        (with ``sample_weight``), as scikit-learn does, and used in every fold.
    label_smoothing : float in [0, 1), default=0.0
        As for {base}; the scores use the targets as given, not smoothed.
    solver : str, default="auto"
        As for {base}.
    {{{{tol}}}}
    {{{{max_iter}}}}
    n_jobs : int or None, default=None
        Folds (and l1_ratios) fitted in parallel: joblib threads sharing X,
        each with single-threaded BLAS.{n_jobs}
    {{{{verbose}}}}
    refit : bool, default=True
        ``True``: refit on all the data with the best ``C`` and ``l1_ratio``
        (``best_estimator_``). ``False``: no refit; as scikit-learn,
        ``coef_`` and ``intercept_`` are the means over the folds of each fold's
        best solution, ``C_`` and ``l1_ratio_`` the means of the folds' best
        values.

    Attributes
    ----------
    C_ : float
        The chosen ``C`` (``refit=False``: the mean of the folds' best).
    l1_ratio_ : float
        The chosen ``l1_ratio`` (``refit=False``: the mean of the folds' best).
    Cs_ : ndarray of shape (n_cs,)
        The grid of ``C``, in the order given.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The grid of ``l1_ratio``.
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
        The score of every fit on its test fold.
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_cs, n_rows, n_features + fit_intercept)
        Every fit's ``[coef_, intercept_]`` (``n_rows`` as ``coef_``).
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
        Solver iterations of every fit{n_iter}.
    best_estimator_ : {base}
        The refitted model (``refit=True`` only).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights of the final model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the final model.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.
"""


@fill_doc
class LogisticClassifierCV(_PathCVMixin, LogisticClassifier):
    __doc__ = """Logistic regression with ``C`` (and ``l1_ratio``) chosen by cross-validation.

    The targets are those of :class:`~sklogloss.LogisticClassifier`: binary
    labels, soft targets in ``[0, 1]``, labels of more classes (one-vs-rest)
    or a multilabel matrix.
""" + _CV_DOC.format(
        base=":class:`~sklogloss.LogisticClassifier`",
        n_jobs=" The refit runs the one-vs-rest problems in ``n_jobs`` threads.",
        n_iter="; one-vs-rest and multilabel: the most over the binary problems",
    ) + """
    See Also
    --------
    sklearn.linear_model.LogisticRegressionCV : the reference for the interface.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklogloss.estimators.cv import LogisticClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LogisticClassifierCV(Cs=9)).fit(X, y)
    >>> search = clf[-1]
    >>> search.scores_.shape            # (folds, l1_ratios, Cs)
    (5, 1, 9)
    >>> search.C_
    1.0
    >>> round(float(search.scores_.mean(axis=0).max()), 3)    # the best mean neg log loss
    -0.08

    Soft targets (probabilities of class 1) are split with ``KFold``:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> t = 1 / (1 + np.exp(-X @ [1.0, -2.0, 0.5]))
    >>> LogisticClassifierCV(Cs=[0.01, 1.0, 100.0], cv=4).fit(X, t).C_
    100.0
    """

    _parameter_constraints = _PathCVMixin._parameter_constraints
    _path_class = LogisticClassifier

    def _refit_parameters(self):
        return {"n_jobs": self.n_jobs}


@fill_doc
class SoftmaxClassifierCV(_PathCVMixin, SoftmaxClassifier):
    __doc__ = """Multinomial logistic regression with ``C`` (and ``l1_ratio``) chosen by cross-validation.

    The targets are those of :class:`~sklogloss.SoftmaxClassifier`: class
    labels or an ``(n_samples, n_classes)`` matrix of target probabilities.
""" + _CV_DOC.format(base=":class:`~sklogloss.SoftmaxClassifier`", n_jobs="", n_iter="") + """
    See Also
    --------
    sklearn.linear_model.LogisticRegressionCV : the reference for the interface.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklogloss.estimators.cv import SoftmaxClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifierCV(Cs=[0.1, 1.0, 10.0, 100.0]).fit(X, y)
    >>> clf.C_, clf.coef_.shape
    (100.0, (3, 4))
    >>> clf.best_estimator_.C
    100.0

    A matrix of class probabilities as targets:

    >>> import numpy as np
    >>> from sklogloss.losses import softmax
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> Y = softmax(X @ np.array([[2.0, 0.0, -2.0], [0.0, 1.0, -1.0]]))
    >>> clf = SoftmaxClassifierCV(Cs=[0.01, 1.0, 100.0], cv=3).fit(X, Y)
    >>> clf.classes_, clf.C_
    (array([0, 1, 2]), 100.0)
    """

    _parameter_constraints = _PathCVMixin._parameter_constraints
    _path_class = SoftmaxClassifier
