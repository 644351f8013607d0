"""Autograd Tensor: every primitive's gradient against central finite differences (float64).

``numerical_grads`` and ``check_gradients`` are shared with the other ``test_nn_*``
files: they evaluate the *forward* function only, so they are independent of the
backward code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from convolab.nn import Tensor, enable_grad, is_grad_enabled, no_grad, tensor


def numerical_grads(f, arrays, eps=1e-6):
    """Central differences of the scalar ``f(*arrays)`` with respect to each array."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        it = np.nditer(a, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = a[i]
            a[i] = old + eps
            hi = f(*arrays)
            a[i] = old - eps
            lo = f(*arrays)
            a[i] = old
            g[i] = (hi - lo) / (2 * eps)
        grads.append(g)
    return grads


def check_gradients(fn, *arrays, seed=0, atol=1e-6, rtol=1e-5, wrt=None):
    """Compare autograd with finite differences for ``L = sum(fn(*tensors) * G)``, G random.

    ``wrt`` lists the indices of the arrays to differentiate (default: all).
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    tensors = [Tensor(a.copy(), requires_grad=i in wrt) for i, a in enumerate(arrays)]
    out = fn(*tensors)
    cot = np.random.default_rng(seed).standard_normal(out.shape)
    (out * cot).sum().backward()

    def scalar(*arrs):
        with no_grad():
            return float((fn(*(Tensor(a) for a in arrs)).data * cot).sum())

    numeric = numerical_grads(scalar, arrays)
    for i in wrt:
        assert tensors[i].grad is not None, f"no gradient for input {i}"
        np.testing.assert_allclose(
            tensors[i].grad, numeric[i], atol=atol, rtol=rtol, err_msg=f"gradient of input {i}"
        )
    return out


rng = np.random.default_rng(42)


def r(*shape):
    return rng.standard_normal(shape)


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("op", "sa", "sb"),
    [
        (lambda a, b: a + b, (3, 4), (4,)),
        (lambda a, b: a - b, (2, 1, 3), (4, 1)),
        (lambda a, b: a * b, (3, 4), (3, 1)),
        (lambda a, b: a / b, (2, 3), (2, 3)),
        (lambda a, b: b - a * 2.0 + 1.0, (5,), (1,)),
    ],
)
def test_binary_ops_broadcast_gradients(op, sa, sb):
    a, b = r(*sa), r(*sb)
    if op(1.0, 2.0) == 0.5:  # division: keep the denominator away from zero
        b = np.abs(b) + 1.0
    check_gradients(op, a, b)


def test_reflected_scalars_and_arrays():
    check_gradients(lambda a: 2.0 - a, r(3))
    check_gradients(lambda a: 3.0 / a, np.abs(r(3)) + 0.5)
    check_gradients(lambda a: 1.5 * a + 0.5, r(3))
    check_gradients(lambda a: -a, r(2, 2))
    out = np.ones(3) + Tensor(np.arange(3.0))  # ndarray on the left defers to the Tensor
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0])


def test_pow_scalar_and_tensor_exponent():
    x = np.abs(r(3, 2)) + 0.5
    check_gradients(lambda a: a**3, x)
    check_gradients(lambda a: a**-1.5, x)
    check_gradients(lambda a: a.sqrt(), x)
    check_gradients(lambda a, b: a**b, x, r(3, 2))
    check_gradients(lambda b: 2.0**b, r(4))


@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((3, 4), (4, 2)),
        ((2, 3, 4), (4, 5)),
        ((4,), (4, 3)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 1, 3, 4), (5, 4, 2)),
    ],
)
def test_matmul_gradients(sa, sb):
    out = check_gradients(lambda a, b: a @ b, r(*sa), r(*sb))
    assert out.shape == np.matmul(np.zeros(sa), np.zeros(sb)).shape


def test_elementwise_functions():
    x = r(3, 3)
    check_gradients(lambda a: a.exp(), x)
    check_gradients(lambda a: a.log(), np.abs(x) + 0.1)
    check_gradients(lambda a: a.abs(), x + np.sign(x) * 0.1)
    check_gradients(lambda a: a.clip(-0.5, 0.5), np.array([-1.0, -0.2, 0.3, 0.9]))
    t = Tensor(x, requires_grad=True)
    y = t.astype(np.float32) * np.float32(2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert t.grad.dtype == np.float64
    np.testing.assert_array_equal(t.grad, np.full_like(x, 2.0))


# --------------------------------------------------------------------------- shapes


def test_shape_ops():
    x = r(2, 3, 4)
    check_gradients(lambda a: a.reshape(4, 6) * np.arange(24.0).reshape(4, 6), x)
    check_gradients(lambda a: a.transpose(0, 2), x)
    check_gradients(lambda a: a.permute(2, 0, 1), x)
    check_gradients(lambda a: a.T, x)
    check_gradients(lambda a: a.flatten(1), x)
    check_gradients(lambda a: a.unsqueeze(1).squeeze(1), x)
    assert Tensor(x).permute(2, 0, 1).shape == (4, 2, 3)
    assert Tensor(x).flatten(0, 1).shape == (6, 4)


def test_indexing_basic_and_advanced_with_repeats():
    x = r(4, 5)
    check_gradients(lambda a: a[1:3, ::2], x)
    check_gradients(lambda a: a[..., 0], x)
    idx = np.array([0, 2, 2, 3, 0])
    check_gradients(lambda a: a[idx], x)  # repeated rows: gradients must add up
    check_gradients(lambda a: a[np.arange(4), np.array([1, 1, 4, 0])], x)
    t = Tensor(x, requires_grad=True)
    t[np.array([1, 1, 1])].sum().backward()
    expected = np.zeros_like(x)
    expected[1] = 3.0
    np.testing.assert_array_equal(t.grad, expected)


# --------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_gradients(dim, keepdim):
    x = r(2, 3, 4)
    out = check_gradients(lambda a: a.sum(dim, keepdim), x)
    np.testing.assert_allclose(out.data, x.sum(axis=dim, keepdims=keepdim))
    out = check_gradients(lambda a: a.mean(dim, keepdim), x)
    np.testing.assert_allclose(out.data, x.mean(axis=dim, keepdims=keepdim))


def test_axis_alias_and_conflict():
    x = Tensor(r(2, 3))
    np.testing.assert_allclose(x.sum(axis=1).data, x.data.sum(axis=1))
    with pytest.raises(TypeError, match="`dim` or its alias `axis`"):
        x.sum(dim=0, axis=1)
    with pytest.raises(ValueError, match="out of range"):
        x.sum(dim=2)


@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_max_gradient_distinct_values(dim):
    x = rng.permutation(12).reshape(3, 4).astype(float)  # distinct: differentiable
    out = check_gradients(lambda a: a.max(dim), x)
    np.testing.assert_array_equal(out.data, x.max(axis=dim))


def test_max_ties_share_gradient_equally():
    t = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), requires_grad=True)
    t.max(dim=1).sum().backward()
    np.testing.assert_array_equal(t.grad, [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])


# --------------------------------------------------------------------------- graph mechanics


def test_gradients_accumulate_across_backward_calls_and_reuse():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    (x * x).sum().backward()  # x used twice in one op
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])
    (3.0 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, -1.0])
    x.zero_grad()
    assert x.grad is None


def test_diamond_graph():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    a = x.exp()
    b = a * x
    c = a + b  # a reaches c twice: once directly, once through b
    c.sum().backward()
    e = np.exp(x.data)
    np.testing.assert_allclose(x.grad, e + e * x.data + e)


def test_deep_graph_does_not_recurse():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(20000):
        y = y + 1.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_backward_errors():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="scalar loss"):
        (x * 2).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(np.ones(2))
    with pytest.raises(ValueError, match="requires grad"):
        Tensor(np.ones(1)).backward()
    with pytest.raises(TypeError, match="floating point"):
        Tensor(np.arange(3), requires_grad=True)


def test_backward_with_explicit_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])


def test_no_grad_context_and_decorator():
    w = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = w * 2
        with enable_grad():
            z = w * 2
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad

    @no_grad()
    def f(t):
        return t * 3

    assert not f(w).requires_grad


def test_detach_and_retain_grad():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = (x * 3).retain_grad()
    d = y.detach()
    assert not d.requires_grad and np.shares_memory(d.data, y.data)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad, [12.0])
    np.testing.assert_array_equal(x.grad, [36.0])


def test_float32_is_kept():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = ((x * 2.5 + 1) / 3.0 - 0.5) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_with_float64_gradient_contribution_is_cast_back():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    (x * np.array([1.0, 2.0])).sum().backward()  # float64 product
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_tensor_factory_copies_and_repr():
    a = np.zeros(2)
    t = tensor(a)
    a[0] = 5
    assert t.data[0] == 0
    assert "requires_grad=True" in repr(Tensor(np.zeros(1), requires_grad=True))
    with pytest.raises(ValueError, match="one element"):
        Tensor(np.zeros(2)).item()


def test_argmax_and_array_protocol():
    t = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    np.testing.assert_array_equal(t.argmax(1), [1, 0])
    np.testing.assert_array_equal(t.argmax(axis=0, keepdim=True), [[1, 0, 1]])
    assert int(t.argmax()) == 3
    np.testing.assert_array_equal(np.asarray(t), t.data)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
