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

import numpy as np

__all__ = ["blas_controller", "blas_threads", "last_level_cache_bytes", "other_blas_single_threaded",
           "parallel_map", "single_threaded_blas", "weighted_sum"]

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


def _set_single(libraries):
    """Set each of ``libraries`` (threadpoolctl's ``LibController``) to one thread; return what to restore.

    Only the libraries not at one thread already are set (and restored): two
    calls into each library, where ``ThreadpoolController.limit`` also reads
    and re-selects every library's information (a third of the time; see
    docs/performance.rst, *Small fits, the grid search and the Schur coupling*).
    """
    changed = []
    for library in libraries:
        threads = library.get_num_threads()
        if threads is not None and threads != 1:  # (None: a count the library does not report)
            library.set_num_threads(1)
            changed.append((library, threads))
    return changed


def _restore(changed):
    for library, threads in changed:
        library.set_num_threads(threads)


_BLAS_LIBRARIES = None


def _blas_libraries():
    """threadpoolctl's controllers of every BLAS library loaded (found once, see :func:`blas_controller`)."""
    global _BLAS_LIBRARIES
    if _BLAS_LIBRARIES is None:
        _BLAS_LIBRARIES = tuple(blas_controller().select(user_api="blas").lib_controllers)
    return _BLAS_LIBRARIES


class single_threaded_blas:
    """Context manager limiting BLAS to one thread.

    For small dense kernels (Cholesky of a few hundred rows, Gram matrices of
    row blocks, triangular solves) OpenBLAS's thread start-up costs more than
    the work (docs/performance.rst has the measurements). The controller is
    created once; entering the context only sets the thread count of the
    libraries not at one thread already (and leaving restores them), and
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

    __slots__ = ("_changed",)

    def __enter__(self):
        depth = getattr(_SINGLE, "depth", 0)
        self._changed = _set_single(_blas_libraries()) if depth == 0 else None
        _SINGLE.depth = depth + 1
        return self

    def __exit__(self, *exc):
        _SINGLE.depth -= 1
        if self._changed:
            changed, self._changed = self._changed, None
            _restore(changed)
        return False


_OTHER_BLAS = None


def _other_blas():
    """The BLAS libraries loaded beside numpy's own (threadpoolctl's controllers), or None when there are none.

    numpy's and scipy's wheels each bundle an OpenBLAS; installs that link both
    to one library (conda, distributions) have a single BLAS, and nothing here.
    Without numpy's own among the libraries, which one numpy uses is unknown:
    None too.
    """
    global _OTHER_BLAS
    if _OTHER_BLAS is None:
        import numpy

        home = os.path.dirname(os.path.abspath(numpy.__file__))
        blas = blas_controller().select(user_api="blas").info()
        ours = [info["filepath"] for info in blas if info["filepath"].startswith(home)]
        other = [info["filepath"] for info in blas if not info["filepath"].startswith(home)]
        _OTHER_BLAS = (tuple(blas_controller().select(filepath=other).lib_controllers) if ours and other
                       else False)
    return _OTHER_BLAS or None


class other_blas_single_threaded:
    """Context manager limiting the BLAS libraries other than numpy's to one thread.

    scipy's wheels bring their own OpenBLAS (LAPACK in ``scipy.linalg``,
    L-BFGS-B's vector operations). Two OpenBLAS thread pools that take turns
    (numpy's products, then scipy's factorisation or L-BFGS-B's update) each
    leave their threads spinning after a call, on the cores the other pool
    needs: on two cores, L-BFGS on a dense 1,000 x 500 X took 3.3 s with both
    at two threads, 134 ms with scipy's at one (177 ms with both at one), and
    Newton-CG 127 ms against 69 ms. numpy's products keep their threads. Inside
    :class:`single_threaded_blas` it does nothing; with a single BLAS library
    (conda, distributions) it does nothing.

    Examples
    --------
    >>> from sklogloss.utils._threads import blas_threads, other_blas_single_threaded
    >>> with other_blas_single_threaded():
    ...     blas_threads() >= 1
    True
    """

    __slots__ = ("_changed",)

    def __enter__(self):
        self._changed = None
        other = _other_blas()
        if other is not None and getattr(_SINGLE, "depth", 0) == 0:
            self._changed = _set_single(other)
        return self

    def __exit__(self, *exc):
        if self._changed:
            changed, self._changed = self._changed, None
            _restore(changed)
        return False


def weighted_sum(weights, values):
    """``weights @ values`` (over the samples: ``values`` of shape ``(n,)`` or ``(n, K)``), without BLAS.

    A product of long vectors goes to BLAS, which wakes its threads; after
    the call OpenBLAS's threads spin for a while on the core that a sparse
    product's second thread (:meth:`~sklogloss.design.ArrayDesign.sparse_blocks`)
    needs. What runs just before a solver (the null model's intercepts, the
    class masses) sums with this function instead: numpy's ``einsum``, in the
    calling thread (docs/performance.rst, *BLAS threads woken before a fit*,
    has what the products cost a fit on a CSR X).

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.utils._threads import weighted_sum
    >>> w = np.array([0.5, 1.0, 2.0])
    >>> float(weighted_sum(w, np.array([1.0, 0.0, 1.0]))), weighted_sum(w, np.eye(3)).tolist()
    (2.5, [0.5, 1.0, 2.0])
    """
    weights, values = np.asarray(weights), np.asarray(values)
    return np.einsum("i,i->", weights, values) if values.ndim == 1 else np.einsum("i,ij->j", weights, values)


_CACHE_BYTES = []  # [the last-level cache's bytes or None], read once


def _cache_size(text):
    """Bytes of a sysfs cache size such as ``"32768K"``, ``"2M"`` or ``"512"``; None if unreadable."""
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in "KMG" else text
    return int(digits) * scale if digits.isdigit() else None


def last_level_cache_bytes():
    """The size of the CPU's largest data (or unified) cache in bytes, or None where it is not known.

    Read once from Linux's ``/sys/devices/system/cpu/cpu0/cache`` (the
    highest level's ``size``); None on other systems or if it cannot be
    read. Designs use it to decide whether X stays in cache between two
    products (:attr:`~sklogloss.design.ArrayDesign.fused_sparse_bytes`).

    Examples
    --------
    >>> from sklogloss.utils._threads import last_level_cache_bytes
    >>> size = last_level_cache_bytes()
    >>> size is None or size > 0
    True
    """
    if not _CACHE_BYTES:
        best = (0, None)
        root = "/sys/devices/system/cpu/cpu0/cache"
        try:
            entries = os.listdir(root)
        except OSError:
            entries = []
        for entry in entries:
            if not entry.startswith("index"):
                continue
            try:
                with open(os.path.join(root, entry, "level")) as f:
                    level = int(f.read().strip())
                with open(os.path.join(root, entry, "type")) as f:
                    kind = f.read().strip()
                with open(os.path.join(root, entry, "size")) as f:
                    size = _cache_size(f.read())
            except (OSError, ValueError):
                continue
            if kind != "Instruction" and size and level > best[0]:
                best = (level, size)
        _CACHE_BYTES.append(best[1])
    return _CACHE_BYTES[0]


def _forget_executor():
    global _EXECUTOR
    _EXECUTOR = None


import scipy.linalg  # noqa: E402,F401  (loads scipy's own BLAS, if it has one, before the controller looks)

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
