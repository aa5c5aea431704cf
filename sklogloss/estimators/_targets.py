"""Target encoders: what an estimator's ``y`` means, as a float64 target matrix.

An encoder is fitted on the training targets (``fit`` learns ``classes_`` and
``kind_``), kept on the fitted estimator (``estimator._targets``) and turns
later targets of the same kind into the same matrix (``transform``: for a
``partial_fit``, or to rebuild the objective after ``fit``). It also knows the
sample-weighted mass of each class, from which :func:`class_weight_vector`,
the one place class weights are computed, derives them.

A target matrix ``Y`` has one row per sample, float64 entries in ``[0, 1]``:

* :class:`OneVsRestTargets` (LogisticClassifier): one column per binary
  problem, the probability of its positive class;
* :class:`LabelTargets` (NoiseCorrectedClassifier) and
  :class:`ProbabilityTargets` (SoftmaxClassifier): one column per class, rows
  on the simplex (one-hot for labels).
"""

import warnings

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import column_or_1d

from ..utils._threads import weighted_sum
from ..utils.validation import type_of_target

__all__ = [
    "LabelTargets",
    "OneVsRestTargets",
    "ProbabilityTargets",
    "check_counts",
    "class_weight_vector",
    "label_repr",
    "smooth_labels",
]

#: Rows of a probability-matrix target must sum to one within this (they are then renormalised).
ROW_SUM_TOL = 1e-6


def label_repr(label):
    """``repr`` of a class label without numpy's scalar wrapper (``1``, not ``np.int64(1)``)."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def smooth_labels(Y, eps, n_classes):
    """PyTorch's label smoothing: ``(1 - eps) * Y + eps / n_classes``."""
    if eps == 0:
        return Y
    return (1.0 - eps) * Y + eps / n_classes


def class_weight_vector(class_weight, classes, mass, index_keys=None):
    """Weights of the classes, the one place they are computed.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        The estimator's parameter.
    classes : ndarray of shape (n_classes,)
        The classes, in the order of the columns of the class masses.
    mass : ndarray of shape (n_classes,)
        Sample-weighted mass of each class, ``S_k = sum_i s_i Y_ik`` (the
        weighted counts for labels, the soft masses for probabilities).
    index_keys : str or None, default=None
        ``None``: the keys of a dict are class labels (scikit-learn's rule and
        error message). A string: the keys are the column indices
        ``0 .. n_classes - 1``, and an unknown key raises ``ValueError`` with
        this message, formatted with ``keys``, the sorted unknown keys.

    Returns
    -------
    ndarray of shape (n_classes,) or None
        ``None`` for ``class_weight=None``. ``"balanced"`` is scikit-learn's
        ``S / (n_classes * S_k)`` with ``S = sum_k S_k``; a class of zero mass
        gets the weight 0 (it multiplies nothing). Classes missing from a dict
        get the weight 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._targets import class_weight_vector
    >>> class_weight_vector("balanced", np.array(["a", "b"]), np.array([3.0, 1.0]))
    array([0.66666667, 2.        ])
    >>> class_weight_vector({1: 4.0}, np.arange(3), np.ones(3), index_keys="{keys}")
    array([1., 4., 1.])
    """
    if class_weight is None:
        return None
    n_classes = mass.shape[0]
    if isinstance(class_weight, str):  # "balanced"
        with np.errstate(divide="ignore"):
            return np.where(mass > 0, mass.sum() / (n_classes * mass), 0.0)
    if index_keys is None:
        return compute_class_weight(class_weight, classes=classes, y=classes)
    unknown = [key for key in class_weight if key not in range(n_classes)]
    if unknown:
        raise ValueError(index_keys.format(keys=sorted(unknown, key=str)))
    return np.array([float(class_weight.get(k, 1.0)) for k in range(n_classes)])


def check_counts(y, name="y"):
    """Float64 counts: finite, non-negative integers (an error message names the problem)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold non-negative integer counts; got dtype {y.dtype}.")
    y = y.astype(np.float64)
    if y.size and y.min() < 0:
        raise ValueError(f"{name} must hold non-negative integer counts; got a negative value "
                         f"({y.min():g}).")
    frac = y != np.floor(y)
    if np.any(frac):
        raise ValueError(f"{name} must hold non-negative integer counts; got non-integer values "
                         f"such as {y[frac][0]:g}.")
    return y


def _label_indices(y):
    """``np.unique(y, return_inverse=True)``; by counting for integer labels of a small range.

    Integer labels between 0 and ``2 * len(y)`` (the usual ``0 .. K - 1``)
    are counted (``np.bincount``), not sorted: two passes over ``y``
    instead of a sort of it. The classes keep ``y``'s dtype either way.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._targets import _label_indices
    >>> _label_indices(np.array([3, 0, 3, 7]))
    (array([0, 3, 7]), array([1, 0, 1, 2]))
    """
    y = np.asarray(y)
    if y.ndim == 1 and y.size and y.dtype.kind in "iu":
        lo, hi = int(y.min()), int(y.max())
        if lo >= 0 and hi <= 2 * y.size:
            present = np.bincount(y, minlength=hi + 1) > 0
            classes = np.flatnonzero(present)
            index = np.cumsum(present) - 1  # the position of each present label among the classes
            return classes.astype(y.dtype), index[y]
    classes, y_idx = np.unique(y, return_inverse=True)
    return classes, y_idx.reshape(-1)


def _one_hot(y_idx, n_classes):
    Y = np.zeros((y_idx.size, n_classes))
    Y[np.arange(y_idx.size), y_idx] = 1.0
    return Y


def _unit_interval(Y, message, advice=""):
    if Y.min() < 0 or Y.max() > 1:
        raise ValueError(f"{message}; got values in [{Y.min():g}, {Y.max():g}].{advice}")
    return Y


class LabelTargets:
    """Class labels as one-hot rows (NoiseCorrectedClassifier).

    ``fit`` learns the sorted labels ``classes_`` (at least two); ``kind_`` is
    ``"labels"``. Subclasses take further kinds of targets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._targets import LabelTargets
    >>> targets = LabelTargets()
    >>> targets.fit_transform(np.array(["b", "a", "b"]))
    array([[0., 1.],
           [1., 0.],
           [0., 1.]])
    >>> targets.classes_, targets.transform(np.array(["a"]))
    (array(['a', 'b'], dtype='<U1'), array([[1., 0.]]))
    """

    #: Who needs two classes, in the error message for one class.
    needs_classes = "This solver"
    #: The estimator, in the error message for one weighted class.
    estimator_name = "the estimator"
    #: Error message of a dict ``class_weight`` with unknown keys (None: scikit-learn's).
    index_keys = None

    def fit(self, y):
        """Learn ``classes_`` and ``kind_`` from the training targets; return self."""
        self.fit_transform(y)
        return self

    def fit_transform(self, y):
        """Learn ``classes_`` and ``kind_``; return the target matrix of ``y``."""
        self.kind_, self.classes_, Y = self._encode(y, None)
        return Y

    def transform(self, y):
        """The target matrix of ``y``, for the classes and kind learnt in ``fit``."""
        kind, _, Y = self._encode(y, self.classes_)
        if kind != self.kind_ and {kind, self.kind_} != {"binary", "soft"}:
            raise ValueError(f"y holds {kind} targets; the estimator was fitted on {self.kind_} "
                             "targets.")
        if Y.shape[1] != (1 if self.kind_ in ("binary", "soft") else self.classes_.size):
            raise ValueError(f"y has {Y.shape[1]} columns; the estimator was fitted on "
                             f"{self.classes_.size} classes.")
        return Y

    def _encode(self, y, classes):
        target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass", "multiclass-multioutput", "multilabel-indicator",
                               "multilabel-sequences"):
            # scikit-learn's check_classification_targets, on the type computed once.
            raise ValueError(f"Unknown label type: {target_type}. Maybe you are trying to fit a classifier, "
                             "which expects discrete classes on a regression target with continuous values.")
        n = len(y)
        found, Y = self._labels(y, classes)
        if "multiclass" in target_type and n > 20 and (
                found.size if classes is None else np.unique(y).shape[0]) > round(0.5 * n):
            warnings.warn("The number of unique classes is greater than 50% of the number of samples. `y` "
                          "could represent a regression problem, not a classification problem.", UserWarning,
                          stacklevel=4)
        return "labels", found, Y

    def _labels(self, y, classes, one_hot=True):
        """``(classes, one-hot Y)``: new classes (at least two) if ``classes`` is None.

        ``one_hot=False``: ``(classes, y_idx)``, each label's index among the classes.
        """
        if classes is None:
            classes, y_idx = _label_indices(y)
            if classes.size < 2:
                raise ValueError(
                    f"{self.needs_classes} needs samples of at least 2 classes in the data, but "
                    f"the data contain only one class: {label_repr(classes[0])}.")
        else:
            y_idx = np.clip(np.searchsorted(classes, y), 0, classes.size - 1)
            unseen = classes[y_idx] != y
            if np.any(unseen):
                raise ValueError("y contains labels not seen in fit: "
                                 f"{', '.join(label_repr(c) for c in np.unique(y[unseen]))}.")
        return classes, (_one_hot(y_idx, classes.size) if one_hot else y_idx)

    def transform_block(self, y):
        """The target matrix of one row block of ``y``, for the kind and classes learnt in ``fit``.

        Unlike :meth:`transform`, the kind of targets is not inferred again: a
        block of a multiclass ``y`` may hold two labels only, or one (a row
        block of a dask array, see :mod:`sklogloss.estimators._distributed`).
        Labels not seen in ``fit`` raise ``ValueError``; values are checked
        as in ``fit``.
        """
        kind, y = self.kind_, np.asarray(y)
        if kind in ("labels", "binary", "multiclass"):
            if y.ndim != 1:
                raise ValueError(f"y holds a 2-D block; the estimator was fitted on 1-D {kind} targets.")
            Y = self._labels(y, self.classes_)[1]
            return Y[:, 1:] if kind == "binary" else Y
        if kind == "soft":
            if y.ndim != 1:
                raise ValueError("y holds a 2-D block; the estimator was fitted on soft (1-D) targets.")
            return _unit_interval(y.astype(np.float64), "Soft targets, the probability of class 1, must "
                                  "lie in [0, 1]")[:, None]
        if y.ndim != 2 or y.shape[1] != self.classes_.size:
            raise ValueError(f"y holds a block of shape {y.shape}; the estimator was fitted on "
                             f"{self.classes_.size} target columns.")
        return self._encode(y, self.classes_)[2]

    # ---------------------------------------------------------------- classes
    #: The class masses of the whole data, when the targets at hand are one
    #: row block of it: :meth:`class_weights` then weighs every block's classes
    #: as the whole data's (a distributed fit sets it, see ``transform_block``).
    global_mass_ = None

    def class_mass(self, Y, sample_weight):
        """Sample-weighted mass of each class, ``sample_weight @ Y``, shape (n_classes,).

        Without BLAS (:func:`~sklogloss.utils._threads.weighted_sum`): it runs just before a fit.
        """
        return weighted_sum(sample_weight, Y)

    def class_weights(self, class_weight, Y, sample_weight):
        """Raise unless two classes carry weight; the class weights (see :func:`class_weight_vector`).

        Parameters
        ----------
        class_weight : dict, "balanced" or None
            The estimator's parameter.
        Y : ndarray of shape (n_samples, n_columns)
            The target matrix from :meth:`transform`.
        sample_weight : ndarray of shape (n_samples,)
            Validated sample weights.

        Returns
        -------
        ndarray of shape (n_classes,) or None
            The weight of each class.
        """
        mass = self.class_mass(Y, sample_weight) if self.global_mass_ is None else self.global_mass_
        if np.count_nonzero(mass > 0) < 2:
            raise ValueError(
                f"Only one class has samples of positive weight; {self.estimator_name} needs at "
                "least 2 classes. Check sample_weight (or the columns of the target matrix).")
        return class_weight_vector(class_weight, self.classes_, mass, self.index_keys)

    def score_targets(self, y):
        """``y`` as :meth:`predict` reports it, for accuracy: labels unchanged."""
        return y


class ProbabilityTargets(LabelTargets):
    """Class labels or an ``(n_samples, n_classes)`` probability matrix (SoftmaxClassifier).

    ``kind_`` is ``"labels"`` (one-hot rows, ``classes_`` the sorted labels) or
    ``"proba"`` (rows renormalised to sum to one, ``classes_ = arange(n_classes)``).
    """

    needs_classes = estimator_name = "SoftmaxClassifier"

    def _encode(self, y, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            return "proba", np.arange(y.shape[1]), self._probabilities(y)
        target_type = type_of_target(y, input_name="y")
        if target_type == "continuous":
            raise ValueError(
                "Unknown label type: continuous. SoftmaxClassifier takes class labels (ints or "
                "strings) or an (n_samples, n_classes) matrix of class probabilities; for the "
                "probability of one class use LogisticClassifier.")
        if target_type not in ("binary", "multiclass"):
            # check_classification_targets' test, without a second type_of_target pass.
            raise ValueError(f"Unknown label type: {target_type}. Pass class labels (integers or strings) or "
                             "an (n_samples, n_classes) matrix of class probabilities.")
        return ("labels", *self._labels(y, classes))

    @staticmethod
    def _probabilities(y):
        what = "A 2-D target must be an (n_samples, n_classes) matrix of class probabilities"
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{what}; got dtype {y.dtype}. Pass class labels as a 1-D array.")
        Y = _unit_interval(y.astype(np.float64), f"{what} in [0, 1]")
        row_sums = Y.sum(axis=1)
        worst = np.argmax(np.abs(row_sums - 1))
        if abs(row_sums[worst] - 1) > ROW_SUM_TOL:
            raise ValueError(
                f"{what} whose rows sum to 1; a row sums to {row_sums[worst]:g}. Normalise the "
                "rows, or use LogisticClassifier for multilabel targets (several labels per "
                "sample).")
        return Y / row_sums[:, None]

    @property
    def index_keys(self):
        """Probability columns are named by their index in a dict ``class_weight``."""
        if self.kind_ == "labels":
            return None
        K = self.classes_.size
        return (f"With an (n_samples, {K}) matrix of probabilities the classes are 0..{K - 1}; "
                "class_weight has the keys {keys}. Use the column indices as keys.")

    def score_targets(self, y):
        """Labels unchanged; a probability matrix as its most probable class."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            return self.classes_[y.argmax(axis=1)]
        return y


class OneVsRestTargets(LabelTargets):
    """LogisticClassifier's targets: one column per binary problem, ``P(positive)`` in ``[0, 1]``.

    ``kind_`` is ``"binary"`` (two labels, one column), ``"soft"``
    (probabilities of class 1, one column, ``classes_ = [0, 1]``),
    ``"multiclass"`` (one-vs-rest: a one-hot column per label) or
    ``"multilabel"`` (a 0/1 or probability matrix, a column per label,
    ``classes_ = arange(n_labels)``).
    """

    estimator_name = "LogisticClassifier"

    @property
    def index_keys(self):
        """Soft targets name their two classes 0 and 1 in a dict ``class_weight``."""
        if self.kind_ != "soft":
            return None
        return "With soft targets the classes are 0 and 1; class_weight has keys {keys}."

    def _encode(self, y, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            what = ("A 2-D target must be a multilabel indicator matrix (0/1) or a matrix of "
                    "probabilities")
            if y.dtype.kind not in "biuf":
                raise ValueError(f"{what} in [0, 1]; got dtype {y.dtype}.")
            Y = _unit_interval(y.astype(np.float64), f"{what} in [0, 1]")
            return "multilabel", np.arange(Y.shape[1]), Y
        target_type = type_of_target(y, input_name="y")
        if target_type == "continuous":
            Y = _unit_interval(y.astype(np.float64), (
                "Unknown label type: continuous targets are read as soft labels, the probability "
                "of class 1, and must lie in [0, 1]"), " Pass class labels as integers or strings.")
            return "soft", np.array([0, 1]), Y[:, None]
        if target_type not in ("binary", "multiclass"):
            # check_classification_targets' test, without a second type_of_target pass.
            raise ValueError(f"Unknown label type: {target_type}. Pass class labels (integers or "
                             "strings) or probabilities of class 1 in [0, 1].")
        classes, y_idx = self._labels(y, classes, one_hot=False)
        if classes.size == 2:
            return "binary", classes, (y_idx == 1).astype(np.float64)[:, None]
        return "multiclass", classes, _one_hot(y_idx, classes.size)

    def class_mass(self, Y, sample_weight):
        """Masses of the classes: both classes of one binary column, else each column's."""
        if Y.shape[1] == 1 and self.kind_ != "multilabel":
            positive = float(weighted_sum(sample_weight, Y[:, 0]))
            return np.array([float(weighted_sum(sample_weight, 1.0 - Y[:, 0])), positive])
        return weighted_sum(sample_weight, Y)

    def class_weights(self, class_weight, Y, sample_weight):
        """Class weights (see :meth:`LabelTargets.class_weights`); none for multilabel targets."""
        if self.kind_ != "multilabel":
            return super().class_weights(class_weight, Y, sample_weight)
        if class_weight is not None:
            raise ValueError("class_weight is not supported for multilabel targets; pass "
                             "sample_weight instead.")
        return None

    def score_targets(self, y):
        """Soft targets and probability matrices are scored against their rounding, ``y > 1/2``."""
        y = np.asarray(y)
        if y.dtype.kind == "f" and type_of_target(y).startswith("continuous"):
            return (y > 0.5).astype(int)
        return y
