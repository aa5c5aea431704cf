"""``partial_fit``: the linear classifiers on data that arrive in chunks.

:class:`PartialFitMixin` validates and encodes each chunk, builds its
objectives with the estimator's one factory (``_build_objectives``, as
``fit`` does: sample weights, class weights, soft targets and label smoothing
mean the same), and hands them to the incremental Newton method of
:mod:`sklogloss.solvers.streaming`, one :class:`~sklogloss.solvers.streaming.QuadraticMemory`
per problem (one per row of ``coef_``; one for a multinomial model). The
algorithm, its costs and the meaning of ``C`` are in the docstring of
:meth:`PartialFitMixin.partial_fit` and in ``docs/streaming.rst``.
"""

import hashlib

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from threadpoolctl import threadpool_limits

from ..solvers.streaming import MAX_STREAMING_SIZE, QuadraticMemory, streaming_step
from ..utils._sklearn import _fit_context
from ..utils.validation import issparse
from ._base import fill_doc, null_model_coef, run_solver
from ._targets import OneVsRestTargets, ProbabilityTargets, class_weight_vector, label_repr

__all__ = ["PartialFitMixin"]

#: Parameters that shape the chunks' loss terms, held fixed along a stream
#: (``C`` and ``l1_ratio`` only scale the penalty and may change between calls).
_STREAM_PARAMETERS = ("fit_intercept", "class_weight", "label_smoothing")


class _ChunkClassWeights:
    """Class weights of a chunk: the estimator's dict, even if the chunk holds one class only.

    ``fit`` refuses data with fewer than two weighted classes; a chunk of a
    stream may hold one (the other classes are in the memory). ``"balanced"``
    is refused by ``partial_fit`` before this is reached.
    """

    def class_weights(self, class_weight, Y, sample_weight):
        if class_weight is None:
            return None
        if self.kind_ == "multilabel":  # refused, with the encoder's message
            return super().class_weights(class_weight, Y, sample_weight)
        return class_weight_vector(class_weight, self.classes_, self.class_mass(Y, sample_weight),
                                   self.index_keys)


class _StreamOneVsRestTargets(_ChunkClassWeights, OneVsRestTargets):
    pass


class _StreamProbabilityTargets(_ChunkClassWeights, ProbabilityTargets):
    pass


_STREAM_TARGETS = {OneVsRestTargets: _StreamOneVsRestTargets, ProbabilityTargets: _StreamProbabilityTargets}


def _stream_targets(targets):
    """``targets`` (an encoder, fitted or not) as its streaming version, with the same state."""
    cls = _STREAM_TARGETS.get(type(targets), type(targets))
    stream = cls.__new__(cls)
    stream.__dict__.update(vars(targets))
    return stream


def chunk_key(X, Y, sample_weight):
    """A fingerprint of a chunk: the SHA-1 digest of its X (dense or CSR), targets and weights.

    Two chunks with the same key hold the same data byte for byte: a chunk
    seen again in a later pass over the data replaces its earlier term in
    the stream's memory instead of being counted twice.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.estimators._streaming import chunk_key
    >>> X = np.arange(6.0).reshape(3, 2); Y = np.array([[0.0], [1.0], [1.0]]); sw = np.ones(3)
    >>> chunk_key(X, Y, sw) == chunk_key(X.copy(), Y, sw), chunk_key(X, Y, 2 * sw) == chunk_key(X, Y, sw)
    (True, False)
    """
    digest = hashlib.sha1(usedforsecurity=False)
    arrays = [X.data, X.indices, X.indptr] if issparse(X) else [X]
    for a in [*arrays, Y, sample_weight]:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(memoryview(a).cast("B"))
    digest.update(f"{X.shape}{issparse(X)}".encode())
    return digest.hexdigest()


class _Stream:
    """The state of a stream: one memory and the current coefficients per problem."""

    def __init__(self, objectives, starts, parameters):
        self.memories = [QuadraticMemory(objective.size) for objective in objectives]
        self.coef = [np.array(start, dtype=np.float64) for start in starts]
        self.parameters = parameters


def _has_model_penalty(estimator):
    """``partial_fit`` exists for an estimator with one given penalty (``C``), not for a C-path search."""
    return "C" in type(estimator)._get_param_names()


@fill_doc
class PartialFitMixin:
    """Adds :meth:`partial_fit` (incremental Newton on chunks) to a linear classifier.

    Mixed in before the estimator's base; uses its hooks ``_validate``,
    ``_target_encoder``, ``_build_objectives``, ``_unpack``, ``_objective_coef``
    and ``_n_threads`` (see :class:`~sklogloss.estimators._base.LinearFitMixin`).
    An estimator without a ``C`` parameter (the cross-validated ones, which
    choose it) has no ``partial_fit``.
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the model on all the data; forgets any stream of :meth:`partial_fit` calls.

        {{fit}}
        """
        self.__dict__.pop("_stream", None)
        return super().fit(X, y, sample_weight=sample_weight)

    @available_if(_has_model_penalty)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one chunk of data (incremental Newton).

        Each call minimises exactly (Newton-Cholesky; proximal Newton with
        ``l1_ratio > 0``)::

            C * [L_chunk(w) + sum_c Q_c(w)] + (1 - l1_ratio) / 2 ||w||^2 + l1_ratio ||w||_1

        where ``L_chunk`` is the weighted loss of this chunk, exactly as
        ``fit`` defines it (sample weights, class weights, soft targets,
        label smoothing), and ``Q_c`` is the second-order Taylor expansion of
        the loss of an earlier chunk ``c`` at the coefficients where that
        chunk was last processed. The chunk's own expansion at the new
        coefficients then joins the memory, a dense matrix of
        ``size x size`` floats (``size = n_outputs * (n_features +
        fit_intercept)``) plus ``size`` floats per distinct chunk. See
        :mod:`sklogloss.solvers.streaming` and the user guide's streaming page.

        **C** multiplies the sum of the losses of all the distinct samples
        seen, as in ``fit`` on their union: the penalty weighs less as data
        arrive, and once every chunk has been seen the objective is ``fit``'s
        on all of them (with the other chunks' losses replaced by their
        expansions). ``C`` and ``l1_ratio`` may change between calls (the
        memory holds loss terms only); ``fit_intercept``, ``class_weight``
        and ``label_smoothing`` may not.

        **Passes.** A chunk identical to one seen before (the same X,
        targets and sample weights, byte for byte) is the same data seen
        again: its earlier expansion is replaced, not added to. Passes over
        the same chunks (e.g. the same slices of a ``numpy.memmap``) thus
        converge to the full-batch fit of all of them; three passes reach
        it to many digits. Chunks cut differently in each pass (a shuffle)
        would count each sample in every pass: keep the chunks, or call
        ``fit`` to start over. A single chunk of all the data gives ``fit``'s
        model.

        ``partial_fit`` after ``fit`` continues from ``fit``'s coefficients
        (the start of the first chunk's Newton iterations; ``fit``'s data are
        not in the memory: pass them as chunks to keep them in the model).
        ``fit`` after ``partial_fit`` starts over (a ``warm_start`` fit
        starts from the stream's coefficients). The ``solver`` parameter
        applies to ``fit`` only.

        Not supported (``ValueError``): ``loss="focal"`` (not convex: its
        expansions are no model of it), ``adversarial_epsilon > 0``,
        ``class_weight="balanced"`` (the class masses of the whole stream
        are unknown; pass ``compute_class_weight("balanced", ...)`` of a
        sample of the labels as a dict) and more than 2000 coefficients per
        problem (the memory's matrix: reduce the features).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The chunk's samples (float32 kept, CSR stays sparse).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The chunk's labels or targets, of the kinds ``fit`` takes.
        classes : array-like of shape (n_classes,), default=None
            Every label the stream may hold; required on the first call
            (unless the estimator was fitted), optional later and then equal
            to ``classes_``. For soft targets ``[0, 1]``, for a target matrix
            ``arange(n_columns)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the chunk's samples.

        Returns
        -------
        self : object
            The estimator, usable after every call (``coef_``, ``intercept_``,
            ``classes_``, ``predict_proba``); ``n_iter_`` holds the last
            call's Newton iterations.

        Examples
        --------
        Three passes over ten chunks give the model of ``fit`` on all the data:

        >>> import numpy as np
        >>> from sklearn.datasets import make_classification
        >>> from sklogloss import LogisticClassifier
        >>> X, y = make_classification(n_samples=1000, random_state=0)
        >>> clf = LogisticClassifier(C=0.1)
        >>> for _ in range(3):
        ...     for rows in np.array_split(np.arange(1000), 10):
        ...         clf = clf.partial_fit(X[rows], y[rows], classes=[0, 1])
        >>> full = LogisticClassifier(C=0.1).fit(X, y)
        >>> bool(np.allclose(clf.coef_, full.coef_, atol=1e-6))
        True
        """
        self._check_streamable()
        stream = getattr(self, "_stream", None)
        parameters = {name: getattr(self, name) for name in _STREAM_PARAMETERS}
        if stream is not None and stream.parameters != parameters:
            changed = sorted(name for name in parameters if stream.parameters[name] != parameters[name])
            raise ValueError(f"{', '.join(changed)} changed during the stream of partial_fit calls; they "
                             "define the loss of the chunks already seen. Call fit (or partial_fit on a fresh "
                             "clone) to start a new stream.")
        fitted = hasattr(self, "classes_") and hasattr(self, "coef_")
        X, y, sw = self._validate(X, y, sample_weight, reset=not fitted)
        if fitted:
            self._targets = _stream_targets(self._targets)
            self._check_classes(classes)
            self._check_labels(y)
        else:
            self._targets = self._first_targets(y, classes)
        Y = self._targets.transform(y)
        objectives = self._build_objectives(X, Y, sw)
        size = objectives[0].size
        if size > MAX_STREAMING_SIZE:
            raise ValueError(
                f"partial_fit keeps a dense matrix of size x size floats per problem; this model has "
                f"size = {size} coefficients (n_outputs x (n_features + fit_intercept)), more than "
                f"{MAX_STREAMING_SIZE}. Reduce the number of features (feature selection, PCA on a sample, "
                "fewer hashed features) or fit all the data at once with fit.")
        if stream is None:  # a new stream: from fit's coefficients, else from the null model
            starts = self._objective_coef() if fitted else [
                null_model_coef(objective) if self.fit_intercept else objective.zero_coef()
                for objective in objectives]
            stream = _Stream(objectives, starts, parameters)
        key = chunk_key(X, Y, sw)
        solver = "prox-newton" if self.l1_ratio > 0 else "newton-cholesky"
        results = self._stream_steps(stream, objectives, key, solver)
        stream.coef = [result.coef for result in results]
        self._stream = stream
        self.coef_, self.intercept_ = self._unpack(objectives, results)
        self.n_iter_ = np.array([result.n_iter for result in results], dtype=np.int32)
        self.classes_ = self._targets.classes_
        self.solver_ = solver
        return self

    # ---------------------------------------------------------------- checks
    def _check_streamable(self):
        if self.loss != "log":
            raise ValueError(f"partial_fit supports loss='log' only; got loss={self.loss!r}. The focal loss is "
                             "not convex, and the second-order expansions of its chunks are no model of it: "
                             "use fit.")
        if self.adversarial_epsilon > 0:
            raise ValueError("partial_fit does not support adversarial training (adversarial_epsilon > 0); "
                             "set adversarial_epsilon=0 or use fit.")
        if isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: it needs the class masses of the "
                "whole stream. Pass a dict instead, e.g. dict(zip(classes, compute_class_weight('balanced', "
                "classes=classes, y=y_sample))) with sklearn.utils.class_weight and a large enough sample "
                "y_sample of the labels.")

    def _first_targets(self, y, classes):
        """The target encoder of a new stream: the classes given, or the kind of a target matrix."""
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every label the stream may hold "
                "(e.g. np.unique of all the labels), [0, 1] for soft targets, np.arange(n_columns) for a "
                "matrix of targets.")
        classes = np.unique(np.asarray(classes))
        targets = _stream_targets(self._target_encoder())
        y = np.asarray(y)
        y1 = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
        if y1.ndim == 2 or type_of_target(y1) == "continuous":
            targets.fit(y)  # the kind and the classes come from the targets themselves
            if not np.array_equal(classes, targets.classes_):
                raise ValueError(f"For these targets the classes are {targets.classes_.tolist()}; got "
                                 f"classes={classes.tolist()}. Pass classes={targets.classes_.tolist()}.")
            return targets
        if classes.size < 2:
            raise ValueError(f"classes must hold at least 2 labels; got {classes.tolist()}.")
        targets.fit(classes)
        self._check_labels(y, targets)
        return targets

    def _check_classes(self, classes):
        if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes={np.asarray(classes).tolist()} is not the same as on the first call to "
                             f"partial_fit (or in fit): {self.classes_.tolist()}.")

    def _check_labels(self, y, targets=None):
        """Raise if the labels of ``y`` are not all in the stream's classes."""
        targets = self._targets if targets is None else targets
        y = np.asarray(y)
        y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
        if targets.kind_ not in ("binary", "multiclass", "labels") or y.ndim != 1:
            return  # another kind of targets: the encoder's transform checks it
        unknown = ~np.isin(y, targets.classes_)
        if np.any(unknown) and type_of_target(y) in ("binary", "multiclass"):  # not soft targets
            raise ValueError(
                f"y contains labels not in classes: {', '.join(label_repr(c) for c in np.unique(y[unknown]))} "
                f"(classes = {targets.classes_.tolist()}, fixed by the first call to partial_fit or by fit). "
                "Pass every label of the stream in classes on the first call.")

    # ----------------------------------------------------------------- steps
    def _stream_steps(self, stream, objectives, key, solver):
        """One incremental Newton step per problem, in threads when there are several."""
        classes, n = self._targets.classes_, len(objectives)

        def step(j):
            label = f" (class {label_repr(classes[j])})" if n > 1 else ""
            solve = lambda objective, coef0: run_solver(self, objective, coef0, solver, label)
            return streaming_step(stream.memories[j], objectives[j], stream.coef[j], key, solve)

        n_threads = self._n_threads(n)
        if n_threads == 1:
            return [step(j) for j in range(n)]
        with threadpool_limits(limits=1 if n_threads > 1 else None, user_api="blas"):
            return Parallel(n_jobs=n_threads, prefer="threads")(delayed(step)(j) for j in range(n))
