"""What the linear classifiers share: parameters, validation, solving, warnings."""

import os
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted, validate_data

from ..exceptions import PerfectSeparationWarning
from ..solvers import SOLVERS, select_solver
from ..utils._sklearn import Interval, StrOptions
from ..utils.validation import check_sample_weight  # noqa: F401  (re-exported for the estimators)

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


def warn_separated(what=""):
    """Raise the :class:`~sklogloss.exceptions.PerfectSeparationWarning` (``what``: e.g. " for class 2")."""
    warn_user(
        f"The training data are linearly separable{what} and C=inf: the maximum-likelihood "
        "estimate does not exist. The returned weights separate the data and their size is set "
        "by tol; use a finite C or label_smoothing > 0 for a unique solution.",
        PerfectSeparationWarning)


def validate_X(estimator, X, reset):
    """Validate X as every estimator here does: finite, float32/float64, dense or CSR."""
    return validate_data(estimator, X, reset=reset, accept_sparse="csr",
                         dtype=[np.float64, np.float32])


def validate_X_y(estimator, X, y):
    """Validate X (see :func:`validate_X`) and y (1-D or 2-D, any label type) together."""
    X, y = validate_data(estimator, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                         multi_output=True, y_numeric=False)
    if sp.issparse(y):
        y = y.toarray()
    return X, np.asarray(y)


def linear_scores(estimator, X):
    """``X @ coef_.T + intercept_`` for a fitted linear estimator; raveled for one output."""
    check_is_fitted(estimator)
    X = validate_X(estimator, X, reset=False)
    scores = np.asarray(X @ estimator.coef_.T.astype(X.dtype, copy=False)) + estimator.intercept_
    return scores.ravel() if scores.shape[1] == 1 else scores


def run_solver(estimator, objective, coef0, solver, label=""):
    """Run ``solver`` on ``objective`` (in its ``solver_context``) and warn if it did not converge."""
    instance = SOLVERS[solver](tol=estimator.tol, max_iter=estimator.max_iter, verbose=estimator.verbose)
    max_iter = instance.max_iter
    with objective.solver_context():
        result = instance.solve(objective, coef0)
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


def label_repr(label):
    """``repr`` of a class label without numpy's scalar wrapper (``1``, not ``np.int64(1)``)."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def hard_class_weights(class_weight, classes, y_idx, sample_weight):
    """scikit-learn's ``compute_class_weight`` on encoded labels ``y_idx``.

    ``"balanced"`` gives a class of zero weighted count (all its samples have
    weight 0) the weight 0 instead of infinity: that weight multiplies nothing.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = compute_class_weight(class_weight, classes=classes, y=classes[y_idx],
                                       sample_weight=sample_weight)
    return np.where(np.isfinite(weights), weights, 0.0)


def check_two_weighted_classes(T, sample_weight, estimator_name):
    """Raise unless at least two columns of the target matrix ``T`` carry positive weight."""
    if np.count_nonzero(sample_weight @ T > 0) < 2:
        raise ValueError(
            f"Only one class has samples of positive weight; {estimator_name} needs at least 2 "
            "classes. Check sample_weight (or the columns of the target matrix).")


def smooth_labels(T, eps, n_classes):
    """PyTorch's label smoothing: ``(1 - eps) * T + eps / n_classes``."""
    if eps == 0:
        return T
    return (1.0 - eps) * T + eps / n_classes
