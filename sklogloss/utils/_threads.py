"""Threads: how many BLAS may use, and a pool for the library's own parallel loops.

One knob governs both: the number of threads BLAS may use now, as set by
``threadpoolctl.threadpool_limits`` (or ``OMP_NUM_THREADS`` and friends).
Code that parallelises a loop itself (sparse products by row blocks) uses no
more threads than that, so that a caller who limits BLAS to one thread (for
instance ``LogisticClassifier(n_jobs=...)``, which runs one fit per thread)
gets single-threaded fits.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["blas_controller", "blas_threads", "parallel_map", "single_threaded_blas"]

_CONTROLLER = None
_EXECUTOR = None


def blas_controller():
    """A ``threadpoolctl.ThreadpoolController``, created once per process.

    Creating one inspects every loaded shared library (10-15 ms here, with
    scipy and scikit-learn loaded): it is done when :mod:`sklogloss` is
    imported, not in a user's first fit.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def blas_threads():
    """The number of threads BLAS may use now (at least 1)."""
    infos = blas_controller().select(user_api="blas").info()
    return max([info["num_threads"] for info in infos], default=1)


_SINGLE = threading.local()


class single_threaded_blas:
    """Context manager limiting BLAS to one thread.

    For small dense kernels (Cholesky of a few hundred rows, Gram matrices of
    row blocks, triangular solves) OpenBLAS's thread start-up costs more than
    the work (docs/performance.rst has the measurements). The controller is
    created once; entering the context only sets the thread count, and
    entering it again inside itself (a solver's Cholesky within a solver
    context that is already single-threaded) does nothing (a class, not a
    generator: a nested entry costs a fraction of a microsecond, and small
    fits enter it several times per Newton step).

    Examples
    --------
    >>> from sklogloss.utils._threads import blas_threads, single_threaded_blas
    >>> with single_threaded_blas():
    ...     blas_threads()
    1
    """

    __slots__ = ("_limiter",)

    def __enter__(self):
        depth = getattr(_SINGLE, "depth", 0)
        self._limiter = None
        if depth == 0:
            self._limiter = blas_controller().limit(limits=1, user_api="blas")
            self._limiter.__enter__()
        _SINGLE.depth = depth + 1
        return self

    def __exit__(self, *exc):
        _SINGLE.depth -= 1
        if self._limiter is not None:
            limiter, self._limiter = self._limiter, None
            limiter.__exit__(*exc)
        return False


def _forget_executor():
    global _EXECUTOR
    _EXECUTOR = None


blas_controller()  # at import: see blas_controller

if hasattr(os, "register_at_fork"):
    # A forked child has none of the parent's threads: it starts its own pool.
    os.register_at_fork(after_in_child=_forget_executor)


def parallel_map(fn, items):
    """``[fn(item) for item in items]``, the items in threads; the first in the calling thread.

    For functions that release the GIL (numpy, scipy's sparse products). An
    exception in any item is raised here.

    Examples
    --------
    >>> from sklogloss.utils._threads import parallel_map
    >>> parallel_map(lambda x: x * x, [1, 2, 3])
    [1, 4, 9]
    """
    items = list(items)
    if len(items) <= 1:
        return [fn(item) for item in items]
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) - 1),
                                       thread_name_prefix="sklogloss")
    futures = [_EXECUTOR.submit(fn, item) for item in items[1:]]
    first = fn(items[0])
    return [first] + [future.result() for future in futures]
