"""A design whose rows live on a dask.distributed cluster, in row blocks.

Every product of the design contract (:mod:`sklogloss.design.base`) is a sum
over rows, so it splits into one sum per row block. :class:`DaskDesign` keeps
each block of X, with its targets and weights, on the worker that holds it, as
the objective of that block on an in-memory
:class:`~sklogloss.design.ArrayDesign` (built by the estimator's own objective
factory, on the worker). A solver's request (a value, a gradient, a Hessian)
runs on every block where the block lives and only the per-block sums, of the
size of the coefficients, travel to the client, which adds them
(:class:`~sklogloss.objective.blocks.BlockSumObjective`). X is never gathered.

dask is imported only here, and only when a dask array is fitted.
"""

import contextlib

import numpy as np

from .base import Design

__all__ = ["DaskDesign", "dask_client"]


def dask_client():
    """The dask.distributed client to fit on: the current one.

    Raises
    ------
    ValueError
        If dask.distributed is not installed or no client is running.
    """
    try:
        from distributed import get_client
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ValueError("Fitting a dask array needs dask.distributed: pip install 'dask[distributed]', "
                         "or pass numpy arrays (X.compute()).") from exc
    try:
        return get_client()
    except ValueError as exc:
        raise ValueError(
            "Fitting a dask array runs on a dask.distributed cluster, and no client is running. Start one "
            "first (from distributed import Client, LocalCluster; client = Client(LocalCluster())), or pass "
            "numpy arrays (X.compute()) to fit in memory.") from exc


def _build_block(build, *arrays):
    """Run ``build`` on one row block (on its worker); a block without rows or weight gives None."""
    if arrays[0].shape[0] == 0:
        return None
    return build(*arrays)


def _call(block, fn, args, kwargs):
    return None if block is None else fn(block, *args, **kwargs)


def _call_each(block, fn, args):
    return None if block is None else fn(block, *args)


class _BlockHolder:
    """A dask actor on one worker holding that worker's blocks: a request reaches it without the scheduler."""

    def __init__(self, indices, *blocks):
        self.indices = list(indices)
        self.blocks = blocks

    def map(self, fn, args, kwargs, wanted):
        return [(i, _call(block, fn, args, kwargs)) for i, block in zip(self.indices, self.blocks) if i in wanted]

    def map_each(self, fn, per_block):
        return [(i, _call_each(block, fn, per_block[i])) for i, block in zip(self.indices, self.blocks)
                if i in per_block]


class DaskDesign(Design):
    """Row blocks of dask arrays on a dask.distributed cluster, each held as an in-memory object.

    Parameters
    ----------
    client : distributed.Client
        The client of the cluster.
    blocks : list of distributed.Future
        One future per row block: what ``build`` made of the block (usually
        the block's objectives), on the worker that holds the block.
    n_samples, n_features : int
        Shape of X.
    dtype : numpy dtype
        X's dtype.

    Notes
    -----
    Each call of :meth:`map` is one round trip to the workers: one request
    per worker, to a dask actor holding the worker's blocks (the requests do
    not go through the scheduler), the results sent back to the client. The
    solvers' per-iteration cost is then the blocks' work, in parallel over
    the workers, plus a few milliseconds.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from sklogloss.design.dask import DaskDesign
    >>> with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \\
    ...         Client(cluster) as client:
    ...     X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(3, 2))
    ...     design = DaskDesign.from_arrays(client, lambda block: block, X)
    ...     sums = design.map(lambda block: block.sum(axis=0))
    >>> np.sum(sums, axis=0)
    array([30., 36.])
    """

    float64_sums = True

    def __init__(self, client, blocks, n_samples, n_features, dtype, block_rows=None):
        self.client = client
        self.blocks = list(blocks)
        self.n_samples = int(n_samples)
        self.n_features = int(n_features)
        self.dtype = np.dtype(dtype)
        #: Rows of each block, and the first row of each in X (blocks in row order).
        self.block_rows = None if block_rows is None else np.asarray(block_rows, dtype=np.int64)
        self.block_starts = None if block_rows is None else np.concatenate(
            [[0], np.cumsum(self.block_rows)[:-1]]).astype(np.int64)
        self._actors = None
        #: Each block's index among the blocks the actors were built on (``drop`` keeps the actors).
        self._holder_index = list(range(len(self.blocks)))

    @classmethod
    def from_arrays(cls, client, build, X, *others):
        """Build ``build(X_block, *other_blocks)`` on each row block, where the block lives.

        Parameters
        ----------
        client : distributed.Client
            The client.
        build : callable
            Called on the worker with the numpy blocks of ``X`` and of each of
            ``others`` (same row chunks); what it returns stays there.
        X : dask.array.Array of shape (n_samples, n_features) or (n_samples,)
            One chunk along the columns, known row chunks.
        *others : dask.array.Array
            Arrays of ``n_samples`` rows in X's row chunks (targets, weights).

        Returns
        -------
        DaskDesign
        """
        import dask

        columns = [_row_blocks(a) for a in (X, *others)]
        tasks = [dask.delayed(_build_block)(build, *parts) for parts in zip(*columns)]
        n_features = X.shape[1] if X.ndim == 2 else 1
        return cls(client, client.compute(tasks), X.shape[0], n_features, X.dtype, block_rows=X.chunks[0])

    def _holders(self):
        """One actor per worker, holding the blocks that live there (created at the first request)."""
        if self._actors is None:
            from distributed import wait

            wait(self.blocks)
            for block in self.blocks:
                if block.status == "error":
                    block.result()  # raises the block's exception (a ValueError of bad input) here
            who_has = self.client.who_has(self.blocks)
            self._holder_index = list(range(len(self.blocks)))  # actors built on these blocks
            on_worker = {}
            for i, block in enumerate(self.blocks):
                on_worker.setdefault(who_has[block.key][0], []).append(i)
            self._actors = [
                self.client.submit(_BlockHolder, indices, *[self.blocks[i] for i in indices], actor=True,
                                   workers=[worker], allow_other_workers=False, pure=False).result()
                for worker, indices in on_worker.items()]
        return self._actors

    def map(self, fn, *args, **kwargs):
        """``[fn(block, *args, **kwargs) for each block]``, run on the workers; None for an empty block.

        One request per worker, to an actor that holds the worker's blocks
        (no scheduler between the client and the blocks: a round trip costs a
        few milliseconds besides the blocks' work). The arguments are sent
        once per worker (keep them small: coefficients, not data).
        """
        wanted = set(self._holder_index)
        calls = [actor.map(fn, args, kwargs, wanted) for actor in self._holders()]
        return self._in_order(calls)

    def map_each(self, fn, per_block):
        """``[fn(block, *args) for block, args in zip(blocks, per_block)]``: other arguments per block."""
        per_block = dict(zip(self._holder_index, per_block))
        return self._in_order([actor.map_each(fn, per_block) for actor in self._holders()])

    def _in_order(self, calls):
        position = {h: i for i, h in enumerate(self._holder_index)}
        out = [None] * len(self.blocks)
        for call in calls:
            for h, result in call.result():
                out[position[h]] = result
        return out

    def drop(self, keep):
        """A design on the blocks where ``keep`` is true (blocks without rows of positive weight dropped).

        It shares this design's actors, if they exist: the dropped blocks are no longer asked.
        """
        keep = np.asarray(keep, dtype=bool)
        design = DaskDesign(self.client, [block for block, k in zip(self.blocks, keep) if k], self.n_samples,
                            self.n_features, self.dtype)
        design._actors = self._actors
        design._holder_index = [h for h, k in zip(self._holder_index, keep) if k]
        if self.block_rows is not None:
            design.block_rows, design.block_starts = self.block_rows[keep], self.block_starts[keep]
        return design

    def split_rows(self, rows):
        """The sorted global row indices ``rows`` as local indices of each block (rows of dropped blocks left out)."""
        rows = np.asarray(rows, dtype=np.int64)
        lo = np.searchsorted(rows, self.block_starts)
        hi = np.searchsorted(rows, self.block_starts + self.block_rows)
        return [rows[a:b] - start for a, b, start in zip(lo, hi, self.block_starts)]

    def solver_context(self):
        """No context on the client: each worker runs its own BLAS."""
        return contextlib.nullcontext()

    def release(self):
        """Release the blocks (and the actors holding them) on the workers."""
        self._actors = None
        for block in self.blocks:
            block.release()
        self.blocks = []


def _row_blocks(a):
    """The delayed row blocks of a 1-D or 2-D dask array (2-D: one chunk along the columns)."""
    blocks = a.to_delayed()
    return blocks.ravel() if blocks.ndim == 1 else blocks[:, 0]
