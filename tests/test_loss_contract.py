"""The loss contract (sklogloss.losses.base): every loss against the same checks.

A new loss is one entry of ``LOSSES``: its factory, a generator of valid targets,
an independent reference formula of the per-sample loss (numpy / scipy, not the
library's code), a few closed-form values and, if the defaults do not suit it,
the range of ordinary raw scores and the extreme scores it must survive. The
checks read the loss's declared capabilities and test what they promise.
"""

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from _stencil import five_point
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import log_expit
from scipy.special import log_softmax as sp_log_softmax
from scipy.special import softmax as sp_softmax

from sklogloss.losses import BinaryFocalLoss, BinomialLoss, MultinomialFocalLoss, MultinomialLoss
from sklogloss.losses.counts import (
    ZeroTruncatedGeometricLoss,
    ZeroTruncatedNegativeBinomialLoss,
    ZeroTruncatedPoissonLoss,
)
from sklogloss.losses.noise import BackwardCorrectedLoss, ForwardCorrectedLoss

K = 3
#: A random row-stochastic, well-conditioned transition matrix (all entries positive).
T = 0.6 * np.eye(K) + 0.4 * np.random.default_rng(42).dirichlet(np.ones(K), size=K)
THETA = 2.0


# ------------------------------------------------------------------- targets
def soft_binary(rng, n):
    """Probabilities in [0, 1], a quarter of them hard labels."""
    y = rng.uniform(size=n)
    y[: n // 4] = rng.integers(0, 2, size=n // 4)
    return y


def simplex_rows(rng, n):
    """Rows on the simplex, half of them one-hot."""
    y = rng.dirichlet(np.ones(K), size=n)
    y[: n // 2] = np.eye(K)[rng.integers(0, K, size=n // 2)]
    return y


def positive_counts(rng, n):
    return rng.geometric(0.3, size=n).astype(np.float64)


# ------------------------------------------------------- reference formulas
def ref_binomial(y, z):
    return -(y * log_expit(z) + (1 - y) * log_expit(-z))


def ref_multinomial(y, z):
    return -(y * sp_log_softmax(z, axis=1)).sum(axis=1)


def ref_forward(y, z):
    return -(y * np.log(sp_softmax(z, axis=1) @ T)).sum(axis=1)


def ref_backward(y, z):
    return ((y @ np.linalg.inv(T)) * -sp_log_softmax(z, axis=1)).sum(axis=1)


def ref_binary_focal(gamma, alpha):
    """torchvision's sigmoid_focal_loss, with 1 - p_t and the cross-entropy from log_expit."""
    def ref(y, z):
        ce = -(y * log_expit(z) + (1 - y) * log_expit(-z))
        one_minus_pt = y * np.exp(log_expit(-z)) + (1 - y) * np.exp(log_expit(z))
        a = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
        return a * one_minus_pt ** gamma * ce
    return ref


FOCAL_ALPHA = np.array([0.5, 1.0, 2.0])


def ref_multinomial_focal(y, z, gamma=2.0):
    log_p = sp_log_softmax(z, axis=1)
    return -(FOCAL_ALPHA * y * (-np.expm1(log_p)) ** gamma * log_p).sum(axis=1)


def _truncated(dist, y):
    return -(dist.logpmf(y) - np.log1p(-dist.pmf(0)))


def ref_poisson(y, raw):
    return _truncated(stats.poisson(np.exp(raw)), y)


def ref_negbin(y, raw):
    return _truncated(stats.nbinom(THETA, THETA / (THETA + np.exp(raw))), y)


def ref_geometric(y, raw):
    return _truncated(stats.geom(1 / (1 + np.exp(raw)), loc=-1), y)  # support {0, 1, ...}


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable
    targets: Callable  # (rng, n) -> valid targets
    reference: Callable  # (y, raw) -> per-sample loss, float64
    known: tuple = ()  # (y, raw, expected per-sample loss), closed forms
    scores: tuple = (-6.0, 6.0)  # range of ordinary raw scores
    extremes: tuple = (-1e4, -50.0, 0.0, 50.0, 1e4)  # raw scores that must stay finite


E1 = [[1.0, 0, 0], [0, 1.0, 0], [0.2, 0.3, 0.5]]
COUNTS = dict(scores=(-3.0, 2.5), extremes=(-1e4, -745.0, -40.0, 0.0, 20.0, 50.0))
LOSSES = [
    Case("binomial", BinomialLoss, soft_binary, ref_binomial,
         known=(([1.0, 0.0, 0.3], [0.0, 0.0, 0.0], [np.log(2)] * 3),
                ([1.0, 0.5], [np.log(3), np.log(3)], [-np.log(0.75), -0.5 * np.log(3 / 16)]))),
    Case("multinomial", MultinomialLoss, simplex_rows, ref_multinomial,
         known=((E1, np.zeros((3, K)), [np.log(K)] * 3),
                ([[0.0, 1.0, 0.0]], [[np.log(2), 0.0, np.log(5)]], [np.log(8)]))),
    # Focal: at z = 0, 1 - p_t = 1/2 (binary) and 1 - p_k = 2/3 (K = 3) whatever the target.
    Case("focal-binary", lambda: BinaryFocalLoss(2.0, alpha=0.25), soft_binary, ref_binary_focal(2.0, 0.25),
         known=(([1.0, 0.0, 0.3], [0.0, 0.0, 0.0], np.array([0.25, 0.75, 0.6]) * 0.25 * np.log(2)),)),
    Case("focal-binary-gamma0.5", lambda: BinaryFocalLoss(0.5), soft_binary, ref_binary_focal(0.5, None),
         known=(([1.0, 0.0], [0.0, 0.0], [np.sqrt(0.5) * np.log(2)] * 2),)),
    Case("focal-multinomial", lambda: MultinomialFocalLoss(2.0, alpha=FOCAL_ALPHA), simplex_rows,
         ref_multinomial_focal, known=((E1, np.zeros((3, K)), 4 / 9 * np.log(3) * (np.array(E1) @ FOCAL_ALPHA)),)),
    Case("forward", lambda: ForwardCorrectedLoss(T), simplex_rows, ref_forward,
         known=((E1[:2], np.zeros((2, K)), -np.log(T.mean(axis=0)[:2])),)),
    Case("backward", lambda: BackwardCorrectedLoss(T), simplex_rows, ref_backward,
         known=((E1, np.zeros((3, K)), [np.log(K)] * 3),)),
    Case("zt-poisson", ZeroTruncatedPoissonLoss, positive_counts, ref_poisson,
         known=(([1.0], [0.0], [np.log(np.e - 1)]),), **COUNTS),
    Case("zt-negbin", lambda: ZeroTruncatedNegativeBinomialLoss(theta=THETA), positive_counts,
         ref_negbin, known=(([1.0], [0.0], [np.log(15 / 8)]),), **COUNTS),  # f(1) / (1 - f(0)) = 8/15
    Case("zt-geometric", ZeroTruncatedGeometricLoss, positive_counts, ref_geometric,
         known=(([1.0], [0.0], [np.log(2)]),), **COUNTS),
]
DTYPES = [np.float32, np.float64]
cases = pytest.mark.parametrize("case", LOSSES, ids=[c.id for c in LOSSES])
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def cases_declaring(capability):
    """Parametrise over the losses whose ``capability`` attribute is set (true / not None)."""
    chosen = [c for c in LOSSES if getattr(c.make(), capability) not in (False, None)]
    return pytest.mark.parametrize("case", chosen, ids=[c.id for c in chosen])


# ------------------------------------------------------------------- helpers
def _problem(case, n=40, seed=0, dtype=np.float64, mass=False):
    """A loss, targets and raw scores of the shape the loss declares."""
    rng = np.random.default_rng(seed)
    loss = case.make()
    y = case.targets(rng, n)
    if mass and y.ndim == 2:  # rows of other total mass than one
        y = y * rng.uniform(0.5, 3.0, size=(n, 1))
    shape = (n,) if loss.n_outputs == 1 else y.shape
    raw = rng.uniform(*case.scores, size=shape)
    return loss, y.astype(dtype), raw.astype(dtype)


def _hessian(loss, y, raw):
    return loss.gradient_hessian(y, raw)[1]


def _matvec(hess, r):
    return hess * r if hess.ndim == 1 else np.einsum("ikl,il->ik", hess, r)


def _mass(y):
    return np.ones(len(y)) if y.ndim == 1 else y.sum(axis=1)


def _close(a, b, rtol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert_allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max(initial=0)))


# -------------------------------------------------------------------- checks
@cases
def test_value_at_known_points(case):
    loss = case.make()
    for y, raw, expected in case.known:
        y, raw = np.asarray(y, dtype=np.float64), np.asarray(raw, dtype=np.float64)
        assert_allclose(loss.loss(y, raw), expected, rtol=1e-13)
        assert_allclose(case.reference(y, raw), expected, rtol=1e-13)  # the reference itself
    _, y, raw = _problem(case)
    assert_allclose(loss.loss(y, raw), case.reference(y, raw), rtol=1e-11, atol=1e-12)


@cases
@dtypes
def test_entry_points_agree(case, dtype):
    loss, y, raw = _problem(case, dtype=dtype, mass=True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    value, grad = loss.loss(y, raw), loss.gradient(y, raw)
    v2, g2 = loss.loss_gradient(y, raw)
    _close(v2, value, tol)
    _close(g2, grad, tol)
    g3, hess = loss.gradient_hessian(y, raw)
    _close(g3, grad, tol)
    v4, state = loss.loss_state(y, raw)
    _close(v4, value, tol)
    if not loss.has_state:
        assert state is None
    kept = None if state is None else np.array(state, copy=True)
    r = np.random.default_rng(1).normal(size=raw.shape).astype(dtype)
    for st in (None, state):
        _close(loss.gradient(y, raw, state=st), grad, tol)
        g5, hessp = loss.gradient_hessian_product(y, raw, state=st)
        _close(g5, grad, tol)
        _close(hessp(r), _matvec(hess, r), tol)
        # overwrite=True: the same product; the argument may be overwritten (a copy is passed).
        g7, hessp_in_place = loss.gradient_hessian_product(y, raw, state=st, overwrite=True)
        _close(g7, grad, tol)
        for _ in range(2):  # a second product with the same function is unaffected by the first
            _close(hessp_in_place(r.copy()), _matvec(hess, r), tol)
        # dtype=float32 on float32 arguments: the same product to float32 accuracy (every loss
        # takes the flag; a loss that computes in float32 returns float32, the gradient is unchanged).
        g8, hessp32 = loss.gradient_hessian_product(y, raw, state=st, overwrite=True, dtype=np.float32)
        _close(g8, grad, tol)
        out32 = hessp32(r.astype(np.float32))
        assert out32.shape == raw.shape and out32.dtype in (np.float32, np.float64)
        _close(out32, _matvec(hess, r.astype(np.float32)), 1e-5)
        diag = hess if hess.ndim == 1 else np.einsum("ikk->ik", hess)
        _close(loss.hessian_diagonal(y, raw, state=st), diag, tol)
        if loss.has_hessian_factors:
            g6, d, v = loss.gradient_hessian_factors(y, raw, state=st)
            _close(g6, grad, tol)
            blocks = np.einsum("ik,kl->ikl", d, np.eye(d.shape[1])) - v[:, :, None] * v[:, None, :]
            _close(blocks, hess, tol)
    if state is not None:
        assert_array_equal(state, kept)  # read-only
    if not loss.has_hessian_factors:
        with pytest.raises(NotImplementedError):
            loss.gradient_hessian_factors(y, raw)


@cases
def test_shapes_match_n_outputs(case):
    loss, y, raw = _problem(case, n=11)
    n = len(y)
    assert loss.n_outputs in (1, None)
    assert raw.shape == ((n,) if loss.n_outputs == 1 else (n, K))
    grad, hess = loss.gradient_hessian(y, raw)
    assert loss.loss(y, raw).shape == (n,)
    assert loss.gradient(y, raw).shape == grad.shape == raw.shape
    assert loss.hessian_diagonal(y, raw).shape == raw.shape
    assert loss.gradient_hessian_product(y, raw)[1](np.ones_like(raw)).shape == raw.shape
    assert hess.shape == ((n,) if loss.n_outputs == 1 else (n, K, K))


@cases
def test_derivatives_against_five_point(case):
    loss, y, raw = _problem(case, mass=True)
    grad, hess = loss.gradient_hessian(y, raw)
    scale = 1 + np.abs(grad).max()
    if raw.ndim == 1:
        directions = [np.ones_like(raw)]
    else:
        directions = [np.broadcast_to(np.eye(K)[k], raw.shape) for k in range(K)]
    for k, e in enumerate(directions):
        fd_grad = five_point(lambda r: loss.loss(y, r), raw, direction=e)
        fd_hess = five_point(lambda r: loss.gradient(y, r), raw, direction=e)
        assert_allclose(grad if raw.ndim == 1 else grad[:, k], fd_grad, atol=1e-8 * scale)
        assert_allclose(hess if raw.ndim == 1 else hess[:, :, k], fd_hess,
                        atol=1e-8 * (1 + np.abs(hess).max()))
    if hess.ndim == 3:
        assert_allclose(hess, hess.transpose(0, 2, 1), atol=1e-15)


@cases_declaring("hessian_is_fisher")
def test_hessian_is_fisher(case):
    loss, y1, raw = _problem(case, n=200)
    y2 = case.targets(np.random.default_rng(7), len(y1))
    h1, h2 = _hessian(loss, y1, raw), _hessian(loss, y2, raw)
    _close(h1, h2, 1e-14)
    low = h1 if h1.ndim == 1 else np.linalg.eigvalsh(h1)
    assert low.min() >= -1e-15


@cases_declaring("shift_invariant")
def test_shift_invariant(case):
    loss, y, raw = _problem(case, mass=True)
    shifted = raw + np.random.default_rng(3).uniform(-20, 20, size=(len(raw), 1))
    _close(loss.loss(y, shifted), loss.loss(y, raw), 1e-12)
    _close(loss.gradient(y, shifted), loss.gradient(y, raw), 1e-12)


@cases_declaring("hessian_bound")
def test_hessian_bound(case):
    loss, y, _ = _problem(case, n=500, mass=True)
    rng = np.random.default_rng(5)
    for scale in (0.5, 3.0, 30.0):
        raw = rng.normal(scale=scale, size=(len(y),) if loss.n_outputs == 1 else y.shape)
        hess = _hessian(loss, y, raw)
        eig = np.abs(hess) if hess.ndim == 1 else np.abs(np.linalg.eigvalsh(hess)).max(axis=1)
        assert np.all(eig <= loss.hessian_bound * _mass(y) * (1 + 1e-12))


@cases_declaring("linear_in_target")
def test_linear_in_target(case):
    loss, y1, raw = _problem(case, mass=True)
    y2 = case.targets(np.random.default_rng(9), len(y1))
    if y2.ndim == 2:
        y2 = y2 * _mass(y1)[:, None]  # same total mass as y1, row by row
    a = 0.3
    mixed = loss.loss(a * y1 + (1 - a) * y2, raw)
    _close(mixed, a * loss.loss(y1, raw) + (1 - a) * loss.loss(y2, raw), 1e-12)


@cases
def test_float32_in_float32_out_close_to_float64(case):
    loss, y32, raw32 = _problem(case, n=200, dtype=np.float32, mass=True)
    y64, raw64 = y32.astype(np.float64), raw32.astype(np.float64)
    r = np.random.default_rng(2).normal(size=raw32.shape)
    outs = {}
    for key, y, raw in (("32", y32, raw32), ("64", y64, raw64)):
        value, grad = loss.loss_gradient(y, raw)
        g2, hess = loss.gradient_hessian(y, raw)
        outs[key] = {"loss": loss.loss(y, raw), "gradient": loss.gradient(y, raw),
                     "loss_gradient[0]": value, "loss_gradient[1]": grad,
                     "gradient_hessian[0]": g2, "gradient_hessian[1]": hess,
                     "hessian_diagonal": loss.hessian_diagonal(y, raw),
                     "gradient_hessian_product[0]": loss.gradient_hessian_product(y, raw)[0],
                     "hessp": loss.gradient_hessian_product(y, raw)[1](r.astype(raw.dtype))}
    for name, a in outs["32"].items():
        assert a.dtype == np.float32, f"{name} is {a.dtype}"
        _close(a, outs["64"][name], 1e-4)


def _extreme_problem(case, dtype):
    loss = case.make()
    if loss.n_outputs == 1:
        raw = np.repeat(case.extremes, 3)
    else:
        raw = np.array(list(itertools.product(case.extremes, repeat=K)))
    y = case.targets(np.random.default_rng(4), len(raw))
    if case.targets is positive_counts:
        y = np.tile([1.0, 2.0, 50.0], len(raw) // 3)
    return loss, y.astype(dtype), raw.astype(dtype)


@cases
@dtypes
def test_extreme_raw_scores_stay_finite(case, dtype):
    loss, y, raw = _extreme_problem(case, dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        grad, hess = loss.gradient_hessian(y, raw)
        outputs = [loss.loss(y, raw), *loss.loss_gradient(y, raw), loss.gradient(y, raw), grad, hess,
                   loss.hessian_diagonal(y, raw), loss.gradient_hessian_product(y, raw)[1](raw / 1e4),
                   loss.loss_state(y, raw)[0]]
        if loss.has_hessian_factors:
            outputs += list(loss.gradient_hessian_factors(y, raw))
    for out in outputs:
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize("case", LOSSES, ids=[c.id for c in LOSSES])
def test_convex_is_declared_truthfully(case):
    # A loss declaring convex = True has positive semi-definite per-sample Hessians everywhere
    # (here: at many random scores); one declaring False has an indefinite one somewhere.
    loss, y, _ = _problem(case, n=2000, mass=True)
    rng = np.random.default_rng(11)
    lowest = np.inf
    for scale in (0.5, 3.0, 10.0):
        raw = rng.normal(scale=scale, size=(len(y),) if loss.n_outputs == 1 else y.shape)
        hess = _hessian(loss, y, raw)
        low = hess if hess.ndim == 1 else np.linalg.eigvalsh(hess)
        lowest = min(lowest, float((low / (1 + np.abs(low).max())).min()))
    if loss.convex:
        assert lowest >= -1e-12
    else:
        assert lowest < -1e-6
