"""What the linear estimators share: parameters, the fit skeleton, predictions, warnings.

:class:`LinearFitMixin` holds the one fit skeleton; each estimator supplies
its hooks (see the mixin's docstring). :class:`MultinomialFitMixin` adds the
layout of a model with one ``K``-output objective.
"""

import os
import re
import sys
import textwrap
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..exceptions import PerfectSeparationWarning
from ..losses import log1pexp, log_softmax, sigmoid, softmax
from ..objective.adversarial import AdversarialObjective
from ..objective.blocks import BlockSumObjective
from ..solvers import SOLVERS, NewtonCholeskySolver, Result, select_solver
from ..utils._sklearn import CachedParamNames, Interval, StrOptions, _fit_context, validate_data
from ..utils.validation import check_sample_weight, issparse
from ._distributed import distributed_objectives, distributed_solver, is_dask, predict_blocks
from ._separation import separating_direction_exists
from ._targets import label_repr

#: Parameters every linear estimator of the package takes, declared once.
LINEAR_PARAMETER_CONSTRAINTS = {
    "C": [Interval(Real, 0, None, closed="right")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "fit_intercept": ["boolean"],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    "solver": [StrOptions({"auto", *SOLVERS})],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 0, None, closed="left"), None],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
}

#: numpydoc blocks shared by the estimators' docstrings; see :func:`fill_doc`.
DOC_BLOCKS = {
    "X": """\
Parameters
----------
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Samples.""",
    "fit": """\
Parameters
----------
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Training data; float32 is kept as float32, CSR stays sparse.
y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Labels or target probabilities, as the class docstring describes.
sample_weight : array-like of shape (n_samples,), default=None
    Non-negative weights; an integer weight equals repeating the row.

Returns
-------
self : object
    The fitted estimator.""",
    "C": """\
C : float, default=1.0
    Inverse regularisation strength; ``np.inf`` means no penalty.""",
    "l1_ratio": """\
l1_ratio : float, default=0.0
    Share of the L1 term in the penalty (0: ridge, 1: lasso).""",
    "tol": """\
tol : float, default=1e-8
    Stop when the max-norm of the (sub)gradient of the objective divided by
    ``C * sum(sample_weight)`` is at most ``tol``.""",
    "max_iter": """\
max_iter : int or None, default=None
    Maximum number of iterations; ``None`` uses the solver's default
    (100 for the Newton solvers, 1000 for L-BFGS, 10000 for gd and FISTA).""",
    "verbose": """\
verbose : int, default=0
    Print solver progress if positive.""",
    "offset": """\
offset, exposure : array-like of shape (n_samples,), default=None
    The count part's offset, or its exposure (``offset = log(exposure)``); not both.""",
    "fitted": """\
solver_ : str
    The solver used.
n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Feature names, when X has string column names.""",
}
DOC_BLOCKS["X_returns"] = DOC_BLOCKS["X"] + "\n\nReturns\n-------"


def fill_doc(obj):
    """Replace each line ``{{name}}`` of docstrings by ``DOC_BLOCKS[name]``, indented as that line.

    A decorator of functions and classes; for a class, of its docstring and
    those of the methods it defines.
    """
    def block(match):
        return textwrap.indent(DOC_BLOCKS[match.group(2)], match.group(1))

    for item in [obj, *(vars(obj).values() if isinstance(obj, type) else ())]:
        if callable(item) and item.__doc__:
            item.__doc__ = re.sub(r"^( *)\{\{(\w+)\}\}$", block, item.__doc__, flags=re.M)
    return obj


_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (sys.modules["sklogloss"], sys.modules["sklearn"], sys.modules["joblib"])
)


def warn_user(message, category):
    """Warn with the location set to the first caller outside sklogloss, scikit-learn and joblib.

    Estimators are called through scikit-learn's wrappers, pipelines and
    threads; a fixed ``stacklevel`` would point into one of them.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)


#: Largest linear program (constraint non-zeros) a fit with C=inf solves to test for
#: quasi-complete separation (about 0.5 s; inference.summary tests larger ones).
_QUASI_SEPARATION_ENTRIES = 500_000


def warn_separated(what="", quasi=False):
    """Raise the :class:`~sklogloss.exceptions.PerfectSeparationWarning` (``what``: e.g. " for class 2").

    ``quasi``: the classes are separated but for samples on a hyperplane
    (or some pair of classes is), which the fitted weights do not show.
    """
    if quasi:
        warn_user(
            f"The training data are quasi-completely separated{what} and C=inf: a direction of the "
            "weights separates some classes (or all but samples on a hyperplane) without misclassifying "
            "any sample, so the maximum-likelihood estimate does not exist. The returned weights grow "
            "along it with a smaller tol; use a finite C or label_smoothing > 0 for a unique solution.",
            PerfectSeparationWarning)
        return
    warn_user(
        f"The training data are linearly separable{what} and C=inf: the maximum-likelihood "
        "estimate does not exist. The returned weights separate the data and their size is set "
        "by tol; use a finite C or label_smoothing > 0 for a unique solution.",
        PerfectSeparationWarning)


def is_separated(objective, coef):
    """Whether ``coef`` classifies every weighted sample of a hard-target objective correctly."""
    return objective.separates(coef)


def validate_X(estimator, X, reset):
    """Validate X as every estimator here does: finite, float32/float64, dense or CSR."""
    return validate_data(estimator, X, reset=reset, accept_sparse="csr",
                         dtype=[np.float64, np.float32])


def validate_X_y(estimator, X, y, reset=True, multi_output=True):
    """Validate X (see :func:`validate_X`) and y (1-D, or 2-D with ``multi_output``) together."""
    X, y = validate_data(estimator, X, y, reset=reset, accept_sparse="csr",
                         dtype=[np.float64, np.float32], multi_output=multi_output, y_numeric=False)
    if issparse(y):
        y = y.toarray()
    return X, np.asarray(y)


def run_solver(estimator, objective, coef0, solver, label="", key=0):
    """Run ``solver`` on ``objective`` (in its ``solver_context``) and warn if it did not converge.

    An estimator with a ``_hessian_memory``
    (:class:`~sklogloss.solvers.curvature.HessianMemory`, set only by the C
    path of the CV estimators, whose fits share their data) gives it to
    Newton-Cholesky, for problem ``key``.
    """
    instance = SOLVERS[solver](tol=estimator.tol, max_iter=estimator.max_iter, verbose=estimator.verbose)
    memory = getattr(estimator, "_hessian_memory", None)
    if memory is not None and isinstance(instance, NewtonCholeskySolver):
        instance.memory, instance.memory_key = memory, key
    max_iter = instance.max_iter
    with objective.solver_context():
        result = instance.solve(objective, coef0)
        if not result.converged and not objective.convex and solver in ("newton-cholesky", "newton-cg") \
                and 0 < result.n_iter < max_iter:
            # Non-convex (focal): a Newton method can stall where the curvature is
            # indefinite; L-BFGS goes on from where it stopped (not after max_iter: the user's limit).
            rest = SOLVERS["lbfgs"](tol=estimator.tol, verbose=estimator.verbose).solve(objective, result.coef)
            result = Result(rest.coef, result.n_iter + rest.n_iter, rest.converged, rest.objective,
                            rest.grad_max, rest.message + f" (L-BFGS after {solver})")
    if not np.all(np.isfinite(result.coef)):  # pragma: no cover - guarded by the line searches
        raise FloatingPointError(f"solver={solver!r} produced non-finite coefficients{label}.")
    if not result.converged and max_iter > 0:
        warn_user(
            f"solver={solver!r} did not reach tol={estimator.tol:g}{label} in {result.n_iter} "
            f"iterations (max|gradient| = {result.grad_max:.3g}; {result.message}). Increase "
            "max_iter, scale the features (e.g. StandardScaler) or loosen tol."
            + (" With float32 X, lbfgs and the proximal solvers see the coefficients rounded to "
               "float32 (a gradient floor of about 1e-7, 1e-6 for lbfgs, which compares objective "
               "values) and a CSR X sums in float32: use float64 X for a tighter tol."
               if objective.checks_scores else ""),
            ConvergenceWarning)
    return result


def null_model_coef(objective):
    """Zero weights and the intercepts of the null model: the log-odds (log masses) of the mean target."""
    coef = objective.zero_coef()
    mass = objective.target_mass()
    if objective.n_outputs == 1:
        m = np.clip(float(mass) / objective.weight_sum, 1e-10, 1 - 1e-10)
        coef[-1] = np.log(m / (1 - m))
    else:
        b = np.log(np.maximum(mass, 1e-10 * mass.sum()))
        coef.reshape(objective.n_outputs, -1)[:, -1] = b - b.mean()
    return coef


def _binary_proba(z):
    return sigmoid(np.column_stack([-z, z]))


def _binary_log_proba(z):
    # log(1 - p) = -log1pexp(z), log p = -log1pexp(-z): no log(0) for large |z|.
    return -log1pexp(np.column_stack([z, -z]))


class SparseInputMixin(CachedParamNames):
    """Declares that the estimator accepts a CSR X (and reads its parameter names once, see ``CachedParamNames``)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@fill_doc
class LinearFitMixin(SparseInputMixin):
    """The fit skeleton and the predictions of a linear classifier.

    :meth:`fit` runs these hooks in order (defaults in brackets):

    1. ``_validate(X, y, sample_weight, reset)`` -> ``X, y, sw`` [finite
       float32/float64 X, dense or CSR; ``sw`` float64];
    2. ``_target_encoder()`` -> an unfitted encoder of :mod:`._targets`, kept
       as ``self._targets``; ``Y = self._targets.fit_transform(y)``;
    3. ``_learn_state(X, Y, sw, weighted)``: what the objective depends on
       beyond the targets (the noise model's transition matrix) [nothing];
    4. ``_build_objectives(X, Y, sw)`` -> list of objectives, the one factory
       (also behind :meth:`_make_objective`);
    5. ``_select_solver(objective)`` -> solver name [``select_solver``];
    6. ``_start(objectives)`` -> one flat start per objective [warm start
       (:meth:`_warm_start_coef`), else :func:`null_model_coef`];
    7. solve: :func:`run_solver` on each objective, in ``n_jobs`` threads
       when there are several;
    8. ``_unpack(objectives, results)`` -> ``coef_, intercept_`` [one row of
       ``coef_`` per objective]; the skeleton sets ``n_iter_``, ``classes_``
       and ``solver_``;
    9. ``_may_separate(Y)``: whether to test the solution for perfect
       separation [``C = inf``, no label smoothing, 0/1 targets].

    Predictions: :meth:`decision_function` is ``X @ coef_.T + intercept_``
    (raveled for one row, the log-odds of a binary model); scores of
    ``n_samples x n_columns`` go through ``_proba``, ``_log_proba`` and
    ``_labels``, which the estimator (or :class:`MultinomialFitMixin`) supplies.
    """

    #: Whether ``y`` may be 2-D (a matrix of targets).
    _accepts_2d_targets = True

    # ----------------------------------------------------------- fit skeleton
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        {{fit}}
        """
        distributed = is_dask(X) or is_dask(y) or is_dask(sample_weight)
        if distributed:
            # The same steps per row block on the workers (see estimators._distributed).
            objectives, check_separation = distributed_objectives(self, X, y, sample_weight)
            solver = distributed_solver(self, objectives[0])
        else:
            X, y, sw = self._validate(X, y, sample_weight, reset=True)
            self._targets = self._target_encoder()
            Y = self._targets.fit_transform(y)
            self._learn_state(X, Y, sw, weighted=sample_weight is not None)
            objectives = self._build_objectives(X, Y, sw)
            check_separation = self._may_separate(Y)
            del Y  # the objectives hold the targets in their own layout
            solver = self._select_solver(objectives[0])
        try:
            results = self._solve(objectives, self._start(objectives), solver)
            self.coef_, self.intercept_ = self._unpack(objectives, results)
            self.n_iter_ = np.array([result.n_iter for result in results], dtype=np.int32)
            self.classes_ = self._targets.classes_
            self.solver_ = solver
            if check_separation:
                self._warn_if_separated(objectives, results, None if distributed else X)
        finally:
            if distributed:  # the blocks' data and objectives leave the workers' memory
                objectives[0].design.release()
        return self

    def _validate(self, X, y, sample_weight, reset):
        X, y = validate_X_y(self, X, y, reset=reset, multi_output=self._accepts_2d_targets)
        return X, y, check_sample_weight(sample_weight, X)

    def _learn_state(self, X, Y, sw, weighted):
        """Learn what the objective needs beyond the targets (``weighted``: sample_weight was given)."""

    def _learn_distributed_state(self, weighted):
        """``_learn_state`` for a fit on dask arrays, where X and Y stay on the workers [nothing]."""

    def _make_objective(self, X, y, sample_weight=None):
        """The objectives of this estimator at its fitted state, on the data ``(X, y)``.

        Validates ``X, y, sample_weight`` as ``fit`` does (without resetting
        ``n_features_in_``), encodes ``y`` with the fitted ``self._targets`` and
        calls ``_build_objectives``, the factory ``fit`` uses. On the training
        data these are the objectives ``fit`` minimised, class weights
        included; :meth:`_objective_coef` gives the fitted coefficients in
        their layout (e.g. for standard errors from the Hessian at ``coef_``).

        Parameters
        ----------
        X, y, sample_weight
            As for ``fit``; ``y`` of the kind seen in ``fit``.

        Returns
        -------
        list of Objective
            One per row of ``coef_`` (one-vs-rest, multilabel), or one
            ``K``-output objective (the multinomial models).
        """
        check_is_fitted(self)
        X, y, sw = self._validate(X, y, sample_weight, reset=False)
        return self._build_objectives(X, self._targets.transform(y), sw)

    def _select_solver(self, objective):
        return select_solver(self.solver, self.l1_ratio, objective.size, n_outputs=objective.n_outputs,
                             n_samples=objective.n_samples, convex=objective.convex,
                             row_newton="row_newton" in objective.provides)

    def _start(self, objectives):
        """Warm start when it fits, else zero weights and the null model's intercepts."""
        warm = self._warm_start_coef(self._coef_shape(objectives), self._targets.classes_)
        if warm is not None:
            return warm
        if self.fit_intercept:
            return [null_model_coef(objective) for objective in objectives]
        return [objective.zero_coef() for objective in objectives]

    def _n_threads(self, n_problems):
        """Threads for ``n_problems`` problems: one, or up to ``n_jobs`` for several."""
        return 1 if n_problems == 1 else min(effective_n_jobs(self.n_jobs), n_problems)

    def _solve(self, objectives, starts, solver):
        classes, n = self._targets.classes_, len(objectives)

        def solve_one(j):
            label = f" (class {label_repr(classes[j])})" if n > 1 else ""
            return run_solver(self, objectives[j], starts[j], solver, label, key=j)

        if n == 1 or isinstance(objectives[0], BlockSumObjective):  # a cluster fits one problem at a time
            return [solve_one(j) for j in range(n)]
        # Threads share X; each runs single-threaded BLAS so that n_jobs
        # threads do not each start a BLAS pool on the same cores.
        n_threads = self._n_threads(n)
        with threadpool_limits(limits=1 if n_threads > 1 else None, user_api="blas"):
            return Parallel(n_jobs=n_threads, prefer="threads")(
                delayed(solve_one)(j) for j in range(n))

    def _may_separate(self, Y):
        return np.isinf(self.C) and self.label_smoothing == 0 and bool(np.all((Y == 0) | (Y == 1)))

    def _warn_if_separated(self, objectives, results, X=None):
        """Warn on complete separation (the solution separates), else on quasi-complete separation.

        The second needs X in memory and a linear program of at most
        ``_QUASI_SEPARATION_ENTRIES`` constraint non-zeros
        (:func:`~sklogloss.estimators._separation.separating_direction_exists`);
        larger fits are not tested for it.
        """
        classes = self._targets.classes_
        for j, (objective, result) in enumerate(zip(objectives, results)):
            what = f" for class {label_repr(classes[j])}" if len(objectives) > 1 else ""
            if is_separated(objective, result.coef):
                warn_separated(what)
                return
            if X is not None and separating_direction_exists(
                    X, objective.y, objective.sample_weight, objective.fit_intercept,
                    max_entries=_QUASI_SEPARATION_ENTRIES):
                warn_separated(what, quasi=True)
                return

    # ----------------------------------------------------------------- layout
    def _coef_shape(self, objectives):
        """Shape of ``coef_``: one row per objective."""
        return len(objectives), objectives[0].n_features

    def _unpack(self, objectives, results):
        rows = [objective.unpack(result.coef) for objective, result in zip(objectives, results)]
        return np.vstack([W for W, _ in rows]), np.concatenate([b for _, b in rows])

    def _split_coef(self, M):
        """The rows ``[coef_, intercept_]`` of ``M`` as the flat starts of the objectives."""
        return [row.copy() for row in M]

    def _objective_coef(self):
        """The fitted ``coef_`` and ``intercept_`` as flat float64 vectors, one per objective."""
        check_is_fitted(self)
        M = np.column_stack([self.coef_, self.intercept_]) if self.fit_intercept else self.coef_
        return self._split_coef(np.array(M, dtype=np.float64))

    def _warm_start_coef(self, shape, classes):
        """:meth:`_objective_coef` if ``warm_start`` and the fitted ``coef_`` has ``shape`` and ``classes``."""
        if not self.warm_start or getattr(self, "coef_", None) is None:
            return None
        if self.coef_.shape != shape or not np.array_equal(self.classes_, classes):
            return None
        return self._objective_coef()

    # ------------------------------------------------------------ predictions
    def decision_function(self, X):
        """Raw scores ``X @ coef_.T + intercept_``.

        {{X_returns}}
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per row of ``coef_``; raveled for a binary model, where
            it is the log-odds of ``classes_[1]``.
        """
        check_is_fitted(self)
        if is_dask(X):
            return predict_blocks(self, "decision_function", X)
        X = validate_X(self, X, reset=False)
        scores = np.asarray(X @ self.coef_.T.astype(X.dtype, copy=False)) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities (see the class docstring for one-vs-rest and multilabel models).

        {{X_returns}}
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``; binary: ``[1 - p, p]``.
        """
        return self._from_scores(X, _binary_proba, self._proba, "predict_proba")

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed in log space (finite for finite scores).

        {{X_returns}}
        ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        return self._from_scores(X, _binary_log_proba, self._log_proba, "predict_log_proba")

    def predict(self, X):
        """Predicted labels (for multilabel targets, a 0/1 indicator matrix).

        {{X_returns}}
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``: the most probable class.
        """
        return self._from_scores(X, lambda z: self.classes_[(z > 0).astype(int)], self._labels, "predict")

    def _from_scores(self, X, binary, multi, method):
        """``binary(scores)`` for the log-odds of a binary model, else ``multi(scores)``; lazy for dask X."""
        if is_dask(X):
            check_is_fitted(self)
            return predict_blocks(self, method, X)
        scores = self.decision_function(X)
        return binary(scores) if scores.ndim == 1 else multi(scores)

    def _labels(self, scores):
        return self.classes_[scores.argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` (subset accuracy for multilabel targets).

        Soft targets are scored against their rounding ``y > 1/2``, a matrix
        of class probabilities against its most probable class.

        {{X}}
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels or targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            Weighted accuracy.
        """
        check_is_fitted(self)
        return super().score(X, self._targets.score_targets(y), sample_weight=sample_weight)


class MultinomialFitMixin(LinearFitMixin):
    """The layout of a model with one ``K``-output (softmax) objective.

    ``coef_`` has one row per class, the intercepts centred (they sum to zero)
    and the weights too when ``_centres_weights()``; for two classes one row,
    ``W[1] - W[0]``, the log-odds weights of ``classes_[1]`` (scikit-learn's
    binary shape), and ``intercept_ = [b[1] - b[0]]``.
    """

    def _centres_weights(self):
        return True

    def _coef_shape(self, objectives):
        K = objectives[0].n_outputs
        return 1 if K == 2 else K, objectives[0].n_features

    def _unpack(self, objectives, results):
        W, b = objectives[0].unpack(results[0].coef)
        b = b - b.mean()
        W = W - W.mean(axis=0) if self._centres_weights() else W.copy()
        if W.shape[0] == 2:
            return (W[1] - W[0])[None, :], np.array([b[1] - b[0]])
        return np.ascontiguousarray(W), np.asarray(b, dtype=np.float64)

    def _split_coef(self, M):
        """``[coef_, intercept_]`` as the flat start; two classes: the centred ``[-M / 2, M / 2]``."""
        if M.shape[0] == 1:
            M = np.vstack([-M, M]) / 2
        return [M.ravel()]

    def _proba(self, scores):
        return softmax(scores)

    def _log_proba(self, scores):
        return log_softmax(scores)


class LinearClassifierBase(LinearFitMixin, ClassifierMixin, BaseEstimator):
    """The parameters LogisticClassifier and SoftmaxClassifier share (see their docstrings)."""

    _parameter_constraints = {
        **LINEAR_PARAMETER_CONSTRAINTS,
        "loss": [StrOptions({"log", "focal"})],
        "focal_gamma": [Interval(Real, 0, None, closed="left")],
        "adversarial_epsilon": [Interval(Real, 0, None, closed="left")],
        "adversarial_norm": [StrOptions({"inf", "l2"})],
    }

    def __init__(self, C=1.0, l1_ratio=0.0, fit_intercept=True, class_weight=None,
                 label_smoothing=0.0, loss="log", focal_gamma=2.0, focal_alpha=None, adversarial_epsilon=0.0,
                 adversarial_norm="inf", solver="auto", tol=1e-8, max_iter=None, warm_start=False, verbose=0):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.loss = loss
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.adversarial_epsilon = adversarial_epsilon
        self.adversarial_norm = adversarial_norm
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------- robust training
    def _robust(self, objectives):
        """The objectives of robust training (``adversarial_epsilon > 0``), else ``objectives``."""
        if not self.adversarial_epsilon > 0:
            return objectives
        if self.loss != "log":
            raise ValueError("adversarial_epsilon > 0 is implemented for loss='log' (the worst case of the "
                             "cross-entropy); set loss='log' or adversarial_epsilon=0.")
        return [AdversarialObjective(objective, self.adversarial_epsilon, self.adversarial_norm)
                for objective in objectives]

    def _select_solver(self, objective):
        if isinstance(objective, AdversarialObjective):
            if self.solver not in ("auto", "lbfgs"):
                raise ValueError(f"adversarial training is solved by solver='lbfgs' (L-BFGS-B on the split "
                                 f"weights for adversarial_norm='inf'); got solver={self.solver!r}.")
            return "lbfgs"
        return super()._select_solver(objective)

    def _start(self, objectives):
        if not any(isinstance(objective, AdversarialObjective) for objective in objectives):
            return super()._start(objectives)
        # Warm or null-model starts in the clean objectives' layout, lifted to the robust one's.
        starts = super()._start([objective.base for objective in objectives])
        return [objective.lift(start) for objective, start in zip(objectives, starts)]
