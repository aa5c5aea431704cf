"""Fitting and predicting on dask arrays, on a dask.distributed cluster, without gathering X.

The estimators' fit skeleton (:class:`~sklogloss.estimators._base.LinearFitMixin`)
calls :func:`distributed_objectives` instead of its in-memory steps when X is a
dask array. The steps are the same, run per row block on the workers:

1. the targets' kind and classes from a small summary of each block of y
   (its distinct labels; for soft targets their range), the encoder fitted
   on the client on the union of the summaries;
2. each block's class masses and weight, summed on the client: class weights
   (``"balanced"`` too) are those of the whole data, every block weighs its
   classes by them (``LabelTargets.global_mass_``);
3. each block's objectives, built by the estimator's own factory
   (``_build_objectives``) with ``C = inf``, kept on the worker;
4. a :class:`~sklogloss.objective.blocks.BlockSumObjective` per objective on
   the client, which adds the blocks' values, gradients and Hessians and the
   penalty of the estimator's ``C``.

The solvers then run unchanged on the client; each of their evaluations is one
round trip to the workers. dask is imported only when dask input arrives.
"""

import copy

import numpy as np

from ..design import ArrayDesign
from ..design.dask import DaskDesign, dask_client
from ..objective.adversarial import AdversarialObjective
from ..objective.blocks import BlockSumObjective
from ..solvers import MAX_DENSE_HESSIAN

__all__ = ["distributed_objectives", "distributed_solver", "is_dask", "predict_blocks"]


def is_dask(x):
    """Whether ``x`` is a dask collection (without importing dask)."""
    return hasattr(type(x), "__dask_graph__")


# ----------------------------------------------------------------- validation
def _dask_array(a, name):
    import dask.array as da

    if not isinstance(a, da.Array):
        raise ValueError(f"{name} is a {type(a).__name__}; a dask fit takes dask arrays. Convert a dask "
                         f"DataFrame with {name}.to_dask_array(lengths=True).")
    return a


def _known_rows(a, name):
    if any(np.isnan(c) for c in a.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes (a dask array from a DataFrame or a boolean "
                         f"index); call {name}.compute_chunk_sizes() (or to_dask_array(lengths=True)) "
                         "before fitting.")


def check_dask_inputs(X, y, sample_weight):
    """Validate dask X (and y, sample_weight: dask or in-memory) and align them on X's row chunks.

    Returns
    -------
    X, y, sample_weight : dask.array.Array (``sample_weight`` may be None)
    """
    import dask.array as da

    X = _dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got a dask array of {X.ndim} dimensions.")
    _known_rows(X, "X")
    if X.numblocks[1] != 1:
        raise ValueError(f"X is chunked along its columns ({X.numblocks[1]} column chunks); a dask fit "
                         "needs whole rows in each block: X = X.rechunk({1: -1}).")
    if type(getattr(X, "_meta", None)) is not np.ndarray:
        raise ValueError(f"X's blocks are {type(getattr(X, '_meta', None)).__name__} arrays; a dask fit takes "
                         "dense numpy blocks (X.map_blocks(lambda b: b.toarray()) for sparse blocks).")
    if X.dtype.kind in "biu":
        X = X.astype(np.float64)
    elif X.dtype not in (np.float32, np.float64):
        raise ValueError(f"X must hold numbers (float32 or float64); got dtype {X.dtype}.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"Found array with shape {X.shape}; a fit needs at least one sample and one feature.")

    def aligned(a, name):
        if a is None:
            return None
        if is_dask(a):
            a = _dask_array(a, name)
            _known_rows(a, name)
        else:
            a = np.asarray(a)
        if a.ndim not in (1, 2) or a.shape[0] != X.shape[0]:
            raise ValueError(f"{name} has shape {a.shape}; it needs one entry per row of X ({X.shape[0]} "
                             "rows).")
        chunks = (X.chunks[0],) + ((a.shape[1],) if a.ndim == 2 else ())
        if isinstance(a, da.Array):
            return a.rechunk(chunks) if a.chunks != chunks else a
        return da.from_array(a, chunks=chunks)

    y = aligned(y, "y")
    sample_weight = aligned(sample_weight, "sample_weight")
    if sample_weight is not None and sample_weight.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D; got shape {sample_weight.shape}.")
    return X, y, sample_weight


# ------------------------------------------------------------ per-block steps
def _block_weights(sw, n):
    if sw is None:
        return np.ones(n)
    sw = np.asarray(sw, dtype=np.float64)
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    return sw


def _target_summary(y, *_):
    """A few targets with the kind and the classes of the block's: its labels, or its range."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y[:1]
    if y.dtype.kind == "f" and y.size and not np.all(y == np.round(y)):
        fractional = y[y != np.round(y)]
        return np.array([np.nanmin(y), np.nanmax(y), fractional[0]])
    return np.unique(y)


def _block_mass(estimator, y, sw):
    """``(class masses, weight sum, whether the block allows separation)`` of one block."""
    Y = estimator._targets.transform_block(y)
    sw = _block_weights(sw, Y.shape[0])
    return estimator._targets.class_mass(Y, sw), float(sw.sum()), bool(estimator._may_separate(Y))


def _block_objectives(estimator, X, y, sw):
    """The block's unpenalised objectives (the estimator's factory), or None for a block of no weight."""
    if not np.all(np.isfinite(X)):
        raise ValueError("Input X contains NaN or infinity.")
    Y = estimator._targets.transform_block(y)
    sw = _block_weights(sw, X.shape[0])
    if not sw.sum() > 0:
        return None
    objectives = estimator._build_objectives(X, Y, sw)
    for objective in objectives:
        # No float32 copy of a small block for approximate products (ArrayDesign's
        # approximate_entries): a worker's memory holds its blocks of X and nothing of their size.
        while objective is not None and not hasattr(objective, "design"):
            objective = getattr(objective, "base", None)
        if isinstance(getattr(objective, "design", None), ArrayDesign):
            objective.design.approximate_entries = 0
    return objectives


def _block_info(objectives):
    """Per objective of a block: ``(weight sum, target mass, the objective without its data)``."""
    info = []
    for objective in objectives:
        template = copy.copy(objective)
        template.design = template.y = template.sw = template.sample_weight = None
        info.append((objective.weight_sum, objective.target_mass(), template))
    return info


def _gather(client, fn, *arrays):
    """``fn`` of each row block of ``arrays``, computed on the workers, gathered (small results)."""
    design = DaskDesign.from_arrays(client, fn, *arrays)
    try:
        return [r for r in client.gather(design.blocks) if r is not None]
    finally:
        design.release()


# ------------------------------------------------------------------ the fit
def distributed_objectives(estimator, X, y, sample_weight):
    """The estimator's objectives on dask arrays, as :class:`BlockSumObjective` (see the module docstring).

    Sets ``estimator._targets`` (fitted), ``n_features_in_``; returns
    ``(objectives, check_separation)``.
    """
    if getattr(estimator, "adversarial_epsilon", 0) > 0:
        raise ValueError("Adversarial training (adversarial_epsilon > 0) is not available for dask arrays: "
                         "fit in memory (X.compute()).")
    client = dask_client()
    X, y, sample_weight = check_dask_inputs(X, y, sample_weight)
    arrays = client.persist([a for a in (X, y, sample_weight) if a is not None])
    X, y = arrays[:2]
    sw = arrays[2] if sample_weight is not None else None
    weights = () if sw is None else (sw,)

    estimator.n_features_in_ = int(X.shape[1])
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    targets = estimator._targets = estimator._target_encoder()
    summaries = _gather(client, _target_summary, y)
    targets.fit(np.vstack(summaries) if summaries[0].ndim == 2 else np.concatenate(summaries))

    masses = _gather(client, lambda yb, *swb: _block_mass(estimator, yb, swb[0] if swb else None), y, *weights)
    if not sum(m[1] for m in masses) > 0:
        raise ValueError("The sample weights sum to zero; at least one sample must have a non-zero (positive) "
                         "weight.")
    targets.global_mass_ = np.sum([m[0] for m in masses], axis=0)
    targets.class_weights(getattr(estimator, "class_weight", None), None, None)  # raises for one weighted class
    check_separation = all(m[2] for m in masses)
    estimator._learn_distributed_state(weighted=sample_weight is not None)

    worker = copy.copy(estimator)  # the blocks' factory: unpenalised, whole-data class weights
    worker.C, worker.l1_ratio = np.inf, 0.0
    design = DaskDesign.from_arrays(
        client, lambda Xb, yb, *swb: _block_objectives(worker, Xb, yb, swb[0] if swb else None), X, y, *weights)
    infos = design.map(_block_info)
    design = design.drop([info is not None for info in infos])
    infos = [info for info in infos if info is not None]
    objectives = []
    for j in range(len(infos[0])):
        weight_sums = np.array([info[j][0] for info in infos])
        mass = np.sum([info[j][1] for info in infos], axis=0)
        objectives.append(BlockSumObjective(design, j, infos[0][j][2], weight_sums, mass,
                                            estimator.C, getattr(estimator, "l1_ratio", 0.0)))
    targets.global_mass_ = None
    return objectives, check_separation


def distributed_solver(estimator, objective):
    """The estimator's solver for a block-sum objective: its own choice where that needs no ``hessp``.

    ``solver="auto"`` that would pick Newton-CG (which needs Hessian-vector
    products, a round trip each) picks Newton-Cholesky up to
    ``MAX_DENSE_HESSIAN`` coefficients, L-BFGS beyond.
    """
    if isinstance(objective, AdversarialObjective):  # pragma: no cover - refused before
        raise ValueError("Adversarial training is not available for dask arrays.")
    solver = estimator._select_solver(objective)
    if solver != "newton-cg":
        return solver
    if estimator.solver == "auto":
        return "newton-cholesky" if objective.size <= MAX_DENSE_HESSIAN and objective.convex else "lbfgs"
    raise ValueError("solver='newton-cg' needs Hessian-vector products, which a dask fit does not offer (each "
                     "would be a round trip to the workers); use solver='auto', 'newton-cholesky' or 'lbfgs'.")


# -------------------------------------------------------------- predictions
def predict_blocks(estimator, method, X):
    """``estimator.method`` on each row block of the dask array ``X``, lazily (a dask array)."""
    X = _dask_array(X, "X")
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has shape {X.shape}, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    fn = getattr(estimator, method)
    meta = fn(np.zeros((1, X.shape[1]), dtype=X.dtype if X.dtype.kind == "f" else np.float64))
    if meta.ndim == 1:
        return X.map_blocks(fn, drop_axis=1, dtype=meta.dtype, meta=meta[:0])
    return X.map_blocks(fn, chunks=(X.chunks[0], (meta.shape[1],)), dtype=meta.dtype, meta=meta[:0])
