"""The five-point central difference shared by the tests (``from _stencil import five_point``)."""

import numpy as np

__all__ = ["five_point"]


def five_point(f, x, h=1e-3, direction=None):
    """Five-point central difference of ``f`` at ``x``: error ``O(h**4)``.

    ``(-f(x + 2 h v) + 8 f(x + h v) - 8 f(x - h v) + f(x - 2 h v)) / (12 h)``.

    Parameters
    ----------
    f : callable
        A function of an array shaped like ``x``, returning a scalar or an array.
    x : float or array-like
        The point; converted to float64.
    h : float, default=1e-3
        The step.
    direction : array-like of x's shape, default=None
        The direction ``v``: the result is the directional derivative
        ``d/dt f(x + t v)`` at ``t = 0``, shaped like ``f(x)``. ``None``: for a
        scalar ``x`` the derivative along ``x`` itself; for an array ``x`` the
        Jacobian, one derivative per coordinate of ``x`` stacked on a last axis
        (shape ``f(x).shape + (x.size,)``). For a function acting elementwise
        (a per-sample loss), ``direction=np.ones_like(x)`` gives every
        sample's derivative at once; along the ``k``-th output of ``(n, K)``
        scores, ``direction`` is one in column ``k`` and zero elsewhere.

    Returns
    -------
    ndarray
        The difference quotient.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(five_point(np.sin, 0.0)), 12)
    1.0
    >>> five_point(lambda x: x**3, np.array([1.0, 2.0]), direction=np.ones(2))
    array([ 3., 12.])
    >>> five_point(lambda x: x[0] * x[1], np.array([2.0, 5.0]))
    array([5., 2.])
    """
    x = np.asarray(x, dtype=np.float64)
    if direction is None and x.ndim > 0:
        cols = []
        for j in range(x.size):
            e = np.zeros_like(x)
            e.flat[j] = 1.0
            cols.append(five_point(f, x, h, direction=e))
        return np.stack(cols, axis=-1)
    v = np.ones_like(x) if direction is None else np.asarray(direction, dtype=np.float64)
    step = h * v
    return (-np.asarray(f(x + 2 * step)) + 8 * np.asarray(f(x + step)) - 8 * np.asarray(f(x - step))
            + np.asarray(f(x - 2 * step))) / (12 * h)
