"""Solvers for the L1 / elastic-net penalty.

* :class:`ProxNewtonSolver`: proximal Newton (the newGLMNET scheme). Each
  outer step minimises the quadratic model of the smooth part plus the exact
  L1 term by cyclic coordinate descent on the explicit Hessian, finished by a
  Cholesky solve on the model's support once the signs settle, then runs a
  line search on the full objective. Few passes over X. With many
  coefficients the model is restricted to a working set (the non-zeros and
  the worst violators of the optimality condition), whose Hessian is a few
  columns of the full one.
* :class:`FistaSolver`: accelerated proximal gradient with backtracking and
  adaptive restart. Only gradients: for many coefficients (sparse text data).

Both stop when the minimum-norm subgradient has max-norm at most ``tol``.
"""

import contextlib

import numpy as np
import scipy.linalg.blas

from ..utils._threads import single_threaded_blas
from ._base import Result, Solver, armijo_backtracking
from .curvature import SampledCurvature, cholesky_solve, sample_rows, tall_hessian_rows

__all__ = ["FistaSolver", "ProxNewtonSolver", "soft_threshold"]


def soft_threshold(x, threshold):
    """Proximal operator of ``threshold * ||.||_1``: ``sign(x) * max(|x| - threshold, 0)``.

    Parameters
    ----------
    x : ndarray
        Input vector.
    threshold : float or ndarray
        Non-negative threshold (per entry if an array).

    Returns
    -------
    ndarray
        The shrunk vector.

    Examples
    --------
    >>> import numpy as np
    >>> from sklogloss.solvers import soft_threshold
    >>> soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0)
    array([-1.,  0.,  2.])
    """
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


class ProxNewtonSolver(Solver):
    """Proximal Newton with coordinate descent on the quadratic model.

    Parameters
    ----------
    tol, max_iter, verbose
        As for every :class:`~sklogloss.solvers.Solver` (``max_iter`` counts
        outer Newton steps; ``None``: 100).
    max_sweeps : int, default=200
        Coordinate-descent sweeps per outer step at most.
    hessian_rows : int, "auto" or None, default="auto"
        Rows the model's Hessian comes from, as for
        :class:`~sklogloss.solvers.NewtonCholeskySolver`: ``"auto"`` uses
        ``m = max(20000, 100 * size)`` random rows when ``n > 4 m``, the
        sample's Hessian at the start corrected by BFGS updates from the exact
        gradients (see :class:`~sklogloss.solvers.curvature.SampledCurvature`);
        ``None`` forms the full Hessian at every step. The gradient, the line
        search and the stopping test are always the full problem's.
    random_state : int, default=0
        Seed of the row sample.
    reuse_ratio : float in [0, 1), default=0.1
        On a working set, keep the model's Hessian for the next step while
        the step on it was a unit step that reduced the minimum-norm
        subgradient at least ``1 / reuse_ratio``-fold, and at most a tenth of
        the next working set is new (their columns are formed, the rest is a
        sub-block of the kept one); 0 forms a new one at every step. As for
        :class:`~sklogloss.solvers.NewtonCholeskySolver`: near the optimum
        the curvature barely moves, and the block costs a sparse product
        over the co-occurring non-zeros of the set's columns (on text data,
        most of a fit), where a step on the kept one costs a gradient. The
        line search and the stopping test are the same either way.

    Examples
    --------
    With ``l1_ratio=1`` (the lasso penalty) the coordinate descent sets
    coefficients to exact zeros: of six features, only the two the labels
    depend on keep a weight.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 6))
    >>> y = (X[:, 0] - 2 * X[:, 3] + rng.normal(size=200) > 0).astype(float)
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import ProxNewtonSolver
    >>> lasso = LinearObjective(X, y, BinomialLoss(), C=0.05, l1_ratio=1.0)
    >>> res = ProxNewtonSolver(tol=1e-8).solve(lasso, np.zeros(7))
    >>> res.converged
    True
    >>> np.flatnonzero(res.coef[:-1])       # the last entry is the intercept
    array([0, 3])
    """

    name = "prox-newton"
    requires = frozenset()  # the Hessian, or its block columns for a working set (checked in solve)
    handles_l1 = True
    #: Above this many coefficients, each model is restricted to a working set.
    max_full = 1500
    #: Fewest and most coordinates of a working set.
    min_working_set = 100
    max_working_set = 4000

    def __init__(self, tol=1e-6, max_iter=None, verbose=0, max_sweeps=200, hessian_rows="auto", random_state=0,
                 reuse_ratio=0.1):
        super().__init__(tol=tol, max_iter=max_iter, verbose=verbose)
        self.max_sweeps = max_sweeps
        self.hessian_rows = hessian_rows
        self.random_state = random_state
        if not 0 <= reuse_ratio < 1:
            raise ValueError(f"reuse_ratio must be in [0, 1); got {reuse_ratio!r}.")
        self.reuse_ratio = float(reuse_ratio)
        #: Working-set Hessians formed by the last solve.
        self.n_hessians = 0

    def _quadratic_cd(self, H, g, coef, lam, mask, inner_tol):
        """Approximately minimise ``g.d + d'Hd/2 + sum_j lam_j |coef_j + d_j|`` (``lam_j = 0`` off ``mask``).

        Cyclic coordinate descent on ``u = coef + d``, with support steps
        (:func:`_support_step`): once a sweep leaves the signs of ``u`` as the
        sweep before left them, the model restricted to that orthant is
        minimised by one Cholesky solve on the non-zeros. A sweep visits
        every coordinate, then only the non-zeros and the unpenalised ones
        until none moves by more than ``inner_tol`` (in the metric
        ``sqrt(H_jj)``), then every coordinate once more to confirm.
        """
        n = g.size
        diag_H = np.diag(H)
        diag = np.maximum(diag_H, 1e-12 * max(diag_H.max(initial=0.0), 1e-300))
        lam_vec = np.where(mask, lam, 0.0)
        # The model's gradient in u is b0 + H u, with b0 = g - H coef; Hu is kept up to date.
        b0 = g - H @ coef
        u = np.array(coef, dtype=np.float64)
        Hu = H @ u
        inv, thr, scale = (1.0 / diag).tolist(), (lam_vec / diag).tolist(), np.sqrt(diag).tolist()
        b0_list = b0.tolist()
        rows = list(H)  # H is symmetric: its contiguous rows serve as its columns
        (axpy,) = scipy.linalg.blas.get_blas_funcs(("axpy",), (H, Hu))

        def sweep(coordinates):
            u_list = u.tolist()
            max_change = 0.0
            for j in coordinates:
                uj = u_list[j]
                z = uj - (b0_list[j] + Hu.item(j)) * inv[j]
                t = thr[j]
                new = z - t if z > t else (z + t if z < -t else 0.0)
                delta = new - uj
                if delta != 0.0:
                    u_list[j] = new
                    axpy(rows[j], Hu, a=delta)
                    change = abs(delta) * scale[j]
                    if change > max_change:
                        max_change = change
            u[:] = u_list
            return max_change

        everything = range(n)
        active, full_sweep = everything, True
        signs = None
        for _ in range(self.max_sweeps):
            if sweep(active) <= inner_tol:
                if full_sweep:
                    break
                active, full_sweep = everything, True  # converged on the active set: confirm on all
                continue
            if full_sweep:
                active, full_sweep = np.flatnonzero((u != 0) | ~mask).tolist(), False
            new_signs = np.sign(u)
            if signs is not None and np.array_equal(new_signs, signs):
                if _support_step(H, b0, u, Hu, lam_vec, mask, diag, inner_tol):
                    break
                new_signs = None  # the next support step waits for two sweeps that agree again
            signs = new_signs
        return u - coef

    def _working_set(self, obj, coef, grad, mask):
        """The coordinates of the next quadratic model: all of them, or a working set.

        With more than ``max_full`` coefficients (and a single output), the model
        is restricted to the non-zero weights, the unpenalised coefficients and
        the weights that violate the optimality condition most (``|g_j| > lam``
        at ``w_j = 0``): at least ``min_working_set`` (100), twice the
        non-zeros, at most ``max_working_set`` (4000; once more weights than
        that are non-zero, the solver goes on with FISTA from there).
        The model's Hessian is the principal block of those coordinates
        (``Objective.hessian_block_columns(..., square=True)``). A weight
        outside the set keeps its value in that step; the stopping test is
        always on every coefficient.
        """
        if obj.size <= self.max_full or obj.n_outputs > 1 or "block_columns" not in obj.provides:
            return None
        nonzero = (coef != 0) | ~mask
        violation = np.abs(obj.minimum_norm_subgradient(coef, grad))  # how far from optimal, per coordinate
        size = min(self.max_working_set, max(self.min_working_set, 2 * int(nonzero.sum())))
        if nonzero.sum() < size:  # every non-zero, and the worst violators among the zeros
            zeros = np.flatnonzero(~nonzero & (violation > 0))
            extra = size - int(nonzero.sum())
            if zeros.size > extra:
                zeros = zeros[np.argpartition(-violation[zeros], extra)[:extra]]
            return np.union1d(np.flatnonzero(nonzero), zeros)
        # More non-zeros than a model may hold: the worst violators among all coordinates.
        return np.sort(np.argpartition(-violation, size - 1)[:size])

    def solve(self, objective, coef0):
        """Minimise the smooth objective plus its L1 term from ``coef0``."""
        self.check(objective)
        obj = objective
        if not ({"hessian"} & obj.provides or {"block_columns"} & obj.provides):
            raise ValueError(f"solver 'prox-newton' needs the objective's Hessian or its block columns; "
                             f"{type(obj).__name__} provides {sorted(obj.provides)}.")
        coef = np.array(coef0, dtype=np.float64)
        mask = obj.penalised_mask()
        lam = obj.l1_strength
        raw = obj.linear_predictor(coef)
        smooth = obj.loss(coef, raw)
        l1 = lam * np.abs(coef[mask]).sum()
        converged, message, it = False, "maximum number of iterations reached", 0
        grad_max = np.inf
        n = obj.n_samples
        m = tall_hessian_rows(self.hessian_rows, n, obj.size)
        curvature = None
        if m < n and "row_subset" in obj.provides and "hessian" in obj.provides and obj.size <= self.max_full:
            curvature = SampledCurvature(sample_rows(obj, m, self.random_state))
        # The last working set and its model Hessian; t: the last step's length (1: a unit step).
        kept_ws, kept_H, t = None, None, 0.0
        self.n_hessians = 0
        for it in range(self.max_iter + 1):
            grad = obj.gradient(coef, raw)
            previous_max, grad_max = grad_max, obj.projected_gradient_max(coef, grad)
            if grad_max <= self.tol:
                converged, message = True, "subgradient below tol"
                break
            if it == self.max_iter:
                break
            ws = self._working_set(obj, coef, grad, mask)
            if ws is not None and np.count_nonzero(coef[mask]) > self.max_working_set:
                # The support outgrew what a model may hold: FISTA from here (only gradients).
                rest = FistaSolver(tol=self.tol, max_iter=FistaSolver.default_max_iter,
                                   verbose=self.verbose).solve(obj, coef)
                return Result(rest.coef, it + rest.n_iter, rest.converged, rest.objective, rest.grad_max,
                              rest.message + " (FISTA after the support outgrew the working sets)")
            if ws is not None:
                H = None
                if kept_H is not None and t == 1 and grad_max <= self.reuse_ratio * previous_max:
                    H = _kept_block(obj, coef, raw, kept_ws, kept_H, ws)
                if H is None:
                    H = obj.hessian_block_columns(coef, ws, raw=raw, square=True)[0]
                    self.n_hessians += 1
                kept_ws, kept_H = ws, H
                d = np.zeros_like(coef)
                d[ws] = self._quadratic_cd(H, grad[ws], coef[ws], lam, mask[ws], inner_tol=0.1 * grad_max)
            else:
                H = obj.gradient_hessian(coef, raw, gradient=False)[1] if curvature is None else \
                    curvature.update(coef, grad)
                d = self._quadratic_cd(H, grad, coef, lam, mask, inner_tol=0.1 * grad_max)
            # Decrease predicted by the model's linear part plus the exact L1 change.
            delta = float(grad @ d) + lam * (np.abs(coef[mask] + d[mask]).sum() - np.abs(coef[mask]).sum())
            if not delta < 0:
                message = "no descent direction (objective at machine precision)"
                break
            raw_d = obj.linear_predictor(d)

            def value_at(t, coef=coef, d=d, raw=raw, raw_d=raw_d):
                c = coef + t * d
                r = raw + raw.dtype.type(t) * raw_d
                s_new = obj.loss(c, r)
                l1_new = lam * np.abs(c[mask]).sum()
                return s_new + l1_new, (c, r, s_new, l1_new)

            t, _, state = armijo_backtracking(value_at, smooth + l1, delta)
            if t is None:
                message = "line search found no decrease (objective at machine precision)"
                break
            coef, raw, smooth, l1 = state
            if self.verbose:
                print(f"[prox-newton] iter {it + 1:3d}  objective {smooth + l1:.12g}  "
                      f"max|subgrad| {grad_max:.3e}  step {t:.3g}  nnz {np.count_nonzero(coef[mask])}"
                      + (f"  working set {ws.size}" if ws is not None else ""))
        return Result(coef, it, converged, smooth + l1, grad_max, message)


def _kept_block(obj, coef, raw, kept_ws, kept_H, ws):
    """The model Hessian on ``ws`` from the kept one on ``kept_ws`` (both sorted), or None.

    Coordinates of ``ws`` within ``kept_ws`` take their block of ``kept_H``;
    the few that are new (at most a tenth of ``ws``) get their columns of
    the current Hessian (one cross-Gram product over those columns only; its
    full-height result, ``n_dof x new``, at most the size of the block).
    """
    if kept_ws.size == 0 or ws.size == 0:
        return None
    pos = np.minimum(np.searchsorted(kept_ws, ws), kept_ws.size - 1)
    old = kept_ws[pos] == ws
    new = np.flatnonzero(~old)
    if new.size > 0.1 * ws.size or new.size * obj.n_dof > ws.size ** 2:
        return None
    H = kept_H[np.ix_(pos, pos)]  # (the new coordinates' rows and columns are overwritten)
    if new.size:
        columns = obj.hessian_block_columns(coef, ws[new], raw=raw)[0][ws]  # (|ws|, |new|)
        H[:, new] = columns
        H[new, :] = columns.T
    return H


def _support_step(H, b0, u, Hu, lam_vec, mask, diag, inner_tol):
    """Move ``u`` (and ``Hu``) towards the minimiser of ``b0.u + u'Hu/2 + sum_j lam_j |u_j|`` on ``u``'s orthant.

    On the orthant of ``u`` (its signs, zeros held at zero, unpenalised
    coordinates free) the model is a quadratic in the free coordinates ``F``,
    minimised by ``v_F = -H_FF^{-1} (b0_F + lam_F sign(u_F))``. If ``v`` keeps
    those signs and every zero ``j`` satisfies ``|b0_j + (Hv)_j| - lam_j <=
    inner_tol * sqrt(H_jj)`` (the coordinate-descent criterion), ``v`` is the
    model's minimiser: ``u = v`` and the result is True. Otherwise ``u`` moves
    from ``u`` towards ``v`` up to the first sign change (that coordinate set
    to zero): on the closed orthant the model is that convex quadratic, so the
    move never increases it. Coordinate descent alone converges linearly on a
    fixed support, slowly when the columns are correlated (text data); one
    solve replaces those sweeps.
    """
    free = np.flatnonzero((u != 0) | ~mask)
    if free.size == 0:
        return False
    s = np.sign(u[free])
    rhs = -(b0[free] + lam_vec[free] * s)
    with single_threaded_blas() if free.size < 200 else contextlib.nullcontext():
        # (the factorisation copies H_FF: no fancy-index copy first when every coordinate is free)
        v = cholesky_solve(H if free.size == len(H) else H[np.ix_(free, free)], rhs)
    if v is None:
        return False

    def H_times(values_on_free):  # H[:, free] @ values, without copying those columns
        full = np.zeros(len(H))
        full[free] = values_on_free
        return H @ full

    penalised = mask[free]
    crossing = penalised & (np.sign(v) != s)
    if not crossing.any():
        Hv = H_times(v)
        violation = np.abs(b0 + Hv) - lam_vec
        violation[free] = 0.0
        u[:] = 0.0
        u[free] = v
        Hu[:] = Hv
        return bool(np.all(violation <= inner_tol * np.sqrt(diag)))
    # The first sign change along u -> v: u_j + tau (v_j - u_j) = 0.
    taus = u[free][crossing] / (u[free][crossing] - v[crossing])
    first = np.argmin(taus)
    tau = float(taus[first])
    w = u[free] + tau * (v - u[free])
    w[np.flatnonzero(crossing)[first]] = 0.0
    u[free] = w
    Hu[:] = H_times(w)
    return False


def _initial_lipschitz(obj, x):
    """FISTA's first estimate of the gradient's Lipschitz constant (the backtracking corrects it).

    A hundredth of the objective's bound when it has one (capability
    ``"lipschitz"``); otherwise (a focal loss) the gradient's change over a
    small step along the gradient, ``||g(x + h) - g(x)|| / ||h||``.
    """
    if "lipschitz" in obj.provides:
        return obj.lipschitz() * 1e-2
    g = obj.gradient(x)
    norm = float(np.linalg.norm(g))
    if norm == 0:
        return 1.0
    h = -1e-4 * max(1.0, float(np.linalg.norm(x))) * g / norm
    return float(np.linalg.norm(obj.gradient(x + h) - g) / np.linalg.norm(h))


class FistaSolver(Solver):
    """Accelerated proximal gradient (FISTA) with backtracking and adaptive restart.

    Parameters
    ----------
    tol, max_iter, verbose
        As for every :class:`~sklogloss.solvers.Solver` (``max_iter=None``:
        10000; progress every ``max_iter // 10`` iterations).

    Examples
    --------
    Only gradients are needed, so the number of coefficients can be large;
    here there are more features than samples: 40 samples, 200 features of
    which the first three decide the label. The L1 solution keeps those
    three, with fewer non-zeros than samples.

    >>> import numpy as np
    >>> from sklogloss.losses import BinomialLoss
    >>> from sklogloss.objective import LinearObjective
    >>> from sklogloss.solvers import FistaSolver
    >>> X_wide = np.random.default_rng(1).normal(size=(40, 200))
    >>> y_wide = (X_wide[:, :3].sum(axis=1) > 0).astype(float)
    >>> wide = LinearObjective(X_wide, y_wide, BinomialLoss(), C=0.5, l1_ratio=1.0)
    >>> res = FistaSolver(tol=1e-6).solve(wide, np.zeros(201))
    >>> res.converged, bool(np.all(res.coef[:3] > 0)), int(np.count_nonzero(res.coef[:-1])) < 40
    (True, True, True)
    """

    name = "fista"
    handles_nonconvex = True
    requires = frozenset()  # the Lipschitz bound, if the objective has one, as the first step's scale
    handles_l1 = True
    default_max_iter = 10000

    def solve(self, objective, coef0):
        """Minimise the smooth objective plus its L1 term from ``coef0``."""
        self.check(objective)
        obj = objective
        mask = obj.penalised_mask()
        lam = obj.l1_strength
        thr_mask = np.where(mask, 1.0, 0.0)
        rounding = 16 * np.finfo(np.float64).eps
        x = np.array(coef0, dtype=np.float64)
        y = x.copy()
        tk = 1.0
        L = max(_initial_lipschitz(obj, x), np.finfo(float).tiny)  # optimistic start, backtracked
        fx = obj.loss(x) + lam * np.abs(x[mask]).sum()
        converged, grad_max, it = False, np.inf, 0
        message = "maximum number of iterations reached"
        every = max(1, self.max_iter // 10)
        for it in range(1, self.max_iter + 1):
            fy, gy = obj.loss_gradient(y)
            while True:
                x_new = soft_threshold(y - gy / L, lam / L * thr_mask)
                diff = x_new - y
                f_new_smooth = obj.loss(x_new)
                if f_new_smooth <= fy + gy @ diff + 0.5 * L * (diff @ diff) + rounding * abs(fy):
                    break
                L *= 2.0
            f_new = f_new_smooth + lam * np.abs(x_new[mask]).sum()
            if f_new > fx + rounding * abs(fx):
                if tk > 1.0:
                    # Adaptive restart (O'Donoghue & Candes): drop the momentum.
                    tk, y = 1.0, x.copy()
                    continue
                # A plain proximal-gradient step that does not decrease f: f is
                # resolved no further at this precision.
                message = "no decrease (objective at machine precision)"
                break
            t_next = 0.5 * (1 + np.sqrt(1 + 4 * tk * tk))
            y = x_new + ((tk - 1) / t_next) * (x_new - x)
            x, fx, tk = x_new, f_new, t_next
            L *= 0.9  # let the step grow again
            if it % 5 == 0 or it == self.max_iter:
                grad_max = obj.projected_gradient_max(x, obj.gradient(x))
                if grad_max <= self.tol:
                    converged = True
                    break
            if self.verbose and it % every == 0:
                print(f"[fista] iter {it:6d}  objective {fx:.12g}  max|subgrad| {grad_max:.3e}")
        if not converged:
            grad_max = obj.projected_gradient_max(x, obj.gradient(x))
            converged = grad_max <= self.tol
        return Result(x, it, converged, fx, grad_max,
                      "subgradient below tol" if converged else message)
