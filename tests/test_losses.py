import numpy as np
import pytest
from _stencil import five_point
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sklogloss.losses import BinomialLoss, MultinomialLoss, log1pexp, sigmoid, softmax


def test_binomial_exact_values():
    loss = BinomialLoss()
    z = np.array([0.0, np.log(3.0), -np.log(3.0)])
    y = np.array([1.0, 1.0, 0.5])
    # At z = log 3, p = 3/4.
    expected = np.array([np.log(2), -np.log(0.75), -0.5 * np.log(0.25) - 0.5 * np.log(0.75)])
    np.testing.assert_allclose(loss.loss(y, z), expected, rtol=1e-14)
    grad, hess = loss.gradient_hessian(y, z)
    np.testing.assert_allclose(grad, [-0.5, -0.25, 0.25 - 0.5], rtol=1e-14)
    np.testing.assert_allclose(hess, [0.25, 3 / 16, 3 / 16], rtol=1e-14)


@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_binomial_derivatives_finite_difference(y):
    loss = BinomialLoss()
    z = np.linspace(-6, 6, 13)
    yv = np.full_like(z, y)
    h = 1e-3
    fd_grad = five_point(lambda zz: loss.loss(yv, zz), z, h, direction=np.ones_like(z))
    fd_hess = five_point(lambda zz: loss.gradient(yv, zz), z, h, direction=np.ones_like(z))
    grad, hess = loss.gradient_hessian(yv, z)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-10)
    np.testing.assert_allclose(hess, fd_hess, atol=1e-10)
    l2, g2 = loss.loss_gradient(yv, z)
    np.testing.assert_allclose(l2, loss.loss(yv, z), rtol=1e-14)
    np.testing.assert_allclose(g2, grad, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binomial_extreme_raw_is_finite_and_keeps_dtype(dtype):
    loss = BinomialLoss()
    z = np.array([-1e4, -50, 0, 50, 1e4], dtype=dtype)
    y = np.array([1, 0, 0.5, 1, 0], dtype=dtype)
    out, grad = loss.loss_gradient(y, z)
    g2, hess = loss.gradient_hessian(y, z)
    for a in (out, grad, g2, hess, loss.loss(y, z)):
        assert a.dtype == dtype
        assert np.all(np.isfinite(a))
    np.testing.assert_allclose(out[[0, 4]], [1e4, 1e4], rtol=1e-6)
    # Correct predictions of magnitude 50 cost about exp(-50), not zero-by-cancellation garbage.
    assert out[1] >= 0 and out[3] >= 0
    assert hess.min() >= 0


def test_binomial_float32_agrees_with_float64():
    rng = np.random.default_rng(1)
    z = rng.normal(scale=5, size=1000)
    y = rng.uniform(size=1000)
    loss = BinomialLoss()
    for f in (loss.loss, loss.gradient):
        np.testing.assert_allclose(f(y.astype(np.float32), z.astype(np.float32)), f(y, z),
                                   rtol=2e-5, atol=2e-6)


def test_binomial_loss_bounded_by_entropy():
    rng = np.random.default_rng(2)
    y = rng.uniform(size=200)
    z = rng.normal(size=200)
    loss = BinomialLoss()
    assert np.all(loss.loss(y, z) >= loss.entropy(y) - 1e-12)
    # Equality at the target's own log-odds.
    np.testing.assert_allclose(loss.loss(y, np.log(y / (1 - y))), loss.entropy(y), atol=1e-12)


def test_log1pexp_and_sigmoid_against_naive():
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(log1pexp(z), np.log1p(np.exp(z)), rtol=1e-13)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-13)


def test_multinomial_exact_and_reduces_to_binomial():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 2))
    t = rng.uniform(size=50)
    Y = np.column_stack([1 - t, t])
    multi, bino = MultinomialLoss(), BinomialLoss()
    np.testing.assert_allclose(multi.loss(Y, z), bino.loss(t, z[:, 1] - z[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(multi.gradient(Y, z)[:, 1], bino.gradient(t, z[:, 1] - z[:, 0]),
                               rtol=1e-12, atol=1e-15)


def test_multinomial_derivatives_finite_difference():
    rng = np.random.default_rng(4)
    n, K = 7, 4
    z = rng.normal(size=(n, K))
    Y = rng.dirichlet(np.ones(K), size=n)
    loss = MultinomialLoss()
    grad, hess = loss.gradient_hessian(Y, z)
    g2, hessp = loss.gradient_hessian_product(Y, z)
    np.testing.assert_allclose(g2, grad, rtol=1e-14)
    h = 1e-3
    for k in range(K):
        e = np.zeros((n, K))
        e[:, k] = 1.0
        fd = five_point(lambda zz: loss.loss(Y, zz), z, h, direction=e)
        np.testing.assert_allclose(grad[:, k], fd, atol=1e-10)
        fdg = five_point(lambda zz: loss.gradient(Y, zz), z, h, direction=e)
        np.testing.assert_allclose(hess[:, :, k], fdg, atol=1e-10)
    v = rng.normal(size=(n, K))
    np.testing.assert_allclose(hessp(v), np.einsum("ikl,il->ik", hess, v), atol=1e-14)


@pytest.mark.parametrize("target_sum", [1.0, 2.5])
def test_multinomial_probabilities_from_the_loss_serve_the_derivatives(target_sum):
    # The probabilities the loss returns with its value, passed back as
    # ``state``, give the same derivatives as their own softmax, and are not modified.
    rng = np.random.default_rng(5)
    n, K = 9, 4
    z = np.asfortranarray(rng.normal(scale=3, size=(n, K)))
    Y = target_sum * rng.dirichlet(np.ones(K), size=n)
    loss = MultinomialLoss()
    value, proba = loss.loss_state(Y, z)
    np.testing.assert_allclose(value, loss.loss(Y, z), rtol=1e-15)
    np.testing.assert_allclose(proba, softmax(z), rtol=1e-15)
    kept = proba.copy()
    np.testing.assert_allclose(loss.gradient(Y, z, state=proba), loss.gradient(Y, z), rtol=1e-14, atol=1e-15)
    for a, b in zip(loss.gradient_hessian_factors(Y, z, state=proba), loss.gradient_hessian_factors(Y, z)):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    g1, hp1 = loss.gradient_hessian_product(Y, z, state=proba)
    g2, hp2 = loss.gradient_hessian_product(Y, z)
    v = rng.normal(size=(n, K))
    np.testing.assert_allclose(g1, g2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hp1(v), hp2(v), rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(proba, kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multinomial_extreme_raw_finite(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    Y = np.array([[0.0, 1.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], dtype=dtype)
    loss = MultinomialLoss()
    out, grad = loss.loss_gradient(Y, z)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))
    assert out.dtype == dtype
    np.testing.assert_allclose(out, [2e4, np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0, rtol=1e-6)


_raw = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
_target = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(z=_raw, y=_target)
@example(z=1e-12, y=0.0)  # the Hessian rounds to 0.25000000000000006 there
def test_binomial_properties_anywhere(z, y):
    """Finite, at least the target's entropy, gradient in [-1, 1], Hessian in [0, 1/4]."""
    loss = BinomialLoss()
    zv, yv = np.array([z]), np.array([y])
    value, grad = loss.loss_gradient(yv, zv)
    g2, hess = loss.gradient_hessian(yv, zv)
    assert np.isfinite(value).all() and np.isfinite(grad).all() and np.isfinite(hess).all()
    assert value[0] >= loss.entropy(yv)[0] - 1e-9 * max(1.0, abs(z))
    # p (1 - p) <= 1/4 exactly; e / (1 + e)^2 may round a few ulps above it near z = 0.
    assert -1 <= grad[0] <= 1 and 0 <= hess[0] <= 0.25 * (1 + 4 * np.finfo(np.float64).eps)
    np.testing.assert_allclose(g2, grad, rtol=1e-15, atol=1e-300)


@settings(max_examples=100, deadline=None)
@given(z=st.lists(_raw, min_size=2, max_size=6), data=st.data())
def test_multinomial_properties_anywhere(z, data):
    """Finite for any scores; gradient rows sum to zero for a probability target."""
    K = len(z)
    w = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=K, max_size=K)))
    y = np.full(K, 1.0 / K) if w.sum() == 0 else w / w.sum()
    loss = MultinomialLoss()
    value, grad = loss.loss_gradient(y[None, :], np.array([z]))
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    assert value[0] >= loss.entropy(y[None, :])[0] - 1e-9 * max(1.0, np.abs(z).max())
    np.testing.assert_allclose(grad.sum(), 0.0, atol=1e-12)
