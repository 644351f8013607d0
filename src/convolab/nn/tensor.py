"""A NumPy array with reverse-mode automatic differentiation.

A :class:`Tensor` wraps an ``ndarray`` (``.data``) and, when it takes part in a
computation that needs gradients, remembers the :class:`Function` that produced
it. Every primitive is one small ``Function`` subclass whose ``forward`` and
``backward`` sit side by side, so the derivative of each operation is written
next to the operation itself. :meth:`Tensor.backward` orders the recorded graph
with an iterative topological sort (no recursion, so graphs thousands of
operations deep are fine) and applies the chain rule

.. math:: \\frac{\\partial L}{\\partial x} = \\sum_{y \\in \\text{users}(x)}
          \\left(\\frac{\\partial y}{\\partial x}\\right)^{\\top}
          \\frac{\\partial L}{\\partial y}

from the output back to the leaves. Gradients accumulate into ``.grad`` of the
leaves that have ``requires_grad=True``.

>>> from convolab.nn import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from convolab.backends import array_namespace
from convolab.nn.axes import dim_or_axis, is_basic_index, norm_axes, unbroadcast
from convolab.nn.grad_mode import enable_grad, is_grad_enabled, no_grad

__all__ = [
    "Function",
    "Tensor",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "tensor",
]


# --------------------------------------------------------------------------- Function


class Function:
    """One differentiable primitive: ``forward`` and ``backward`` side by side.

    Subclasses implement ``forward(self, *arrays, **options) -> ndarray`` (saving
    on ``self`` whatever the backward pass needs) and ``backward(self, grad)``
    returning one gradient (or ``None``) per array input. ``self.needs_input_grad``
    tells ``backward`` which inputs want a gradient so that it can skip work.
    Call a Function with :meth:`apply`, which wraps arrays into tensors and
    records the graph when gradients are enabled.

    >>> import numpy as np
    >>> from convolab.nn import Function, Tensor
    >>> class Cube(Function):
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x ** 3
    ...     def backward(self, grad):
    ...         return (3 * self.x ** 2 * grad,)
    >>> t = Tensor([2.0], requires_grad=True)
    >>> Cube.apply(t).backward(np.ones(1))
    >>> t.grad
    array([12.])
    """

    inputs: tuple[Tensor, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()

    def forward(self, *args: np.ndarray, **kwargs: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` on the inputs' data and record the node if needed."""
        tensors = tuple(_as_tensor(t) for t in inputs)
        fn = cls()
        needs = tuple(t.requires_grad for t in tensors)
        record = is_grad_enabled() and any(needs)
        fn.needs_input_grad = needs
        out = fn.forward(*(t.data for t in tensors), **kwargs)
        result = Tensor(out)
        if record:
            fn.inputs = tensors
            result.requires_grad = True
            result._ctx = fn
        return result


# --------------------------------------------------------------------------- Tensor


def _as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """Return ``value`` as a Tensor; Python scalars take ``like``'s floating dtype."""
    if isinstance(value, Tensor):
        return value
    if (
        like is not None
        and isinstance(value, numbers.Number)
        and not isinstance(value, np.generic)
        and np.issubdtype(like.dtype, np.floating)
    ):
        return Tensor(np.asarray(value, dtype=like.dtype))
    return Tensor(value)


class Tensor:
    """An ``ndarray`` that records the operations applied to it.

    Parameters
    ----------
    data : array_like
        The values; kept without copying when it already is an ``ndarray`` of
        the requested dtype. NumPy's dtype inference applies (a list of Python
        floats becomes float64; the layers in :mod:`convolab.nn` create float32
        parameters).
    requires_grad : bool, default False
        Whether gradients with respect to this tensor are wanted. Only floating
        point tensors can require gradients.
    dtype : numpy dtype, optional
        Convert the data to this dtype.

    Attributes
    ----------
    data : ndarray
        The values.
    grad : ndarray or None
        The accumulated gradient ``dL/dself`` after :meth:`backward` (leaves only).
    requires_grad : bool

    Notes
    -----
    Arithmetic follows NumPy broadcasting; the gradient of a broadcast operand
    is summed over the broadcast axes. A Python scalar combined with a tensor
    takes the tensor's floating dtype, so float32 stays float32.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab.nn import Tensor
    >>> a = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    >>> loss = (a @ a).sum()
    >>> loss.item()
    54.0
    >>> loss.backward()
    >>> a.grad
    array([[ 7., 11.],
           [ 9., 13.]])
    """

    __array_ufunc__ = None  # make ``ndarray + Tensor`` defer to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = array_namespace(data).asarray(data, dtype=dtype)
        if arr.dtype == object:
            raise TypeError(f"`data` must be numeric; got an array of dtype object from {data!r}")
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self._ctx: Function | None = None
        self._retain = False
        self.requires_grad = requires_grad

    # -- attributes -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not np.issubdtype(self.data.dtype, np.inexact):
            raise TypeError(
                f"`requires_grad=True` needs a floating point tensor; got dtype {self.data.dtype}"
            )
        self._requires_grad = bool(value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        return self._ctx is None

    @property
    def T(self) -> Tensor:  # noqa: N802
        """The tensor with its axes reversed."""
        return self.permute(*reversed(range(self.ndim)))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float64 and self.data.dtype != np.int64:
            extra = f", dtype={self.data.dtype}" + extra
        return f"Tensor({body}{extra})"

    def numpy(self) -> np.ndarray:
        """The underlying array (no copy)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def argmax(
        self, dim: int | None = None, keepdim: bool = False, *, axis: Any = None
    ) -> np.ndarray:
        """Indices of the maxima along ``dim`` (an integer ndarray; not differentiable)."""
        d = dim_or_axis(dim, axis)
        if d is None:
            return np.asarray(self.data.argmax())
        return self.data.argmax(axis=norm_axes(d, self.ndim)[0], keepdims=keepdim)

    def item(self) -> Any:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; got shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor during :meth:`backward`."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    # -- backward ---------------------------------------------------------------------
    def backward(self, gradient: Any = None) -> None:
        """Accumulate ``d self / d leaf`` (times ``gradient``) into every leaf's ``.grad``.

        Parameters
        ----------
        gradient : array_like, optional
            ``dL/dself``, of this tensor's shape. May be omitted only for a
            tensor with a single element (a scalar loss), where it is 1.

        Raises
        ------
        ValueError
            If this tensor does not require gradients, or if ``gradient`` is
            omitted for a tensor with more than one element, or has the wrong shape.
        """
        if not self.requires_grad:
            raise ValueError(
                "backward() needs a tensor that requires grad; this one was computed from "
                "tensors with requires_grad=False (or inside no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise ValueError(
                    "backward() without `gradient` is only defined for a tensor with one "
                    f"element (a scalar loss); got shape {self.shape}. Pass gradient=dL/dy "
                    "of that shape, or reduce with .sum() / .mean() first"
                )
            gradient = np.ones_like(self.data)
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if gradient.shape != self.shape:
                raise ValueError(
                    f"`gradient` must have the tensor's shape {self.shape}; got {gradient.shape}"
                )
            gradient = gradient.astype(self.dtype, copy=False)

        grads: dict[int, np.ndarray] = {id(self): gradient}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            ctx = node._ctx
            if ctx is None or node._retain:
                node.grad = g.copy() if node.grad is None else node.grad + g
            if ctx is None:
                continue
            input_grads = ctx.backward(g)
            for inp, ig in zip(ctx.inputs, input_grads, strict=True):
                if ig is None or not inp.requires_grad:
                    continue
                if ig.shape != inp.shape:
                    raise RuntimeError(
                        f"{type(ctx).__name__}.backward returned a gradient of shape "
                        f"{ig.shape} for an input of shape {inp.shape}"
                    )
                ig = ig.astype(inp.dtype, copy=False)
                key = id(inp)
                grads[key] = ig if key not in grads else grads[key] + ig

    def _topological_order(self) -> list[Tensor]:
        """Nodes reachable from ``self``, each after all the nodes it depends on."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if node._ctx is not None:
                for inp in node._ctx.inputs:
                    if inp.requires_grad and id(inp) not in seen:
                        stack.append((inp, False))
        return order

    # -- arithmetic -------------------------------------------------------------------
    # ``+ - * / @`` and their reflected forms are set from ``_BINARY_OPERATORS`` (after the
    # primitives, at the end of this module): one rule, ``Function.apply`` on both operands.

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, Tensor):
            return PowScalar.apply(self, exponent=float(exponent))
        return Pow.apply(self, _as_tensor(exponent, self))

    def __rpow__(self, base: Any) -> Tensor:
        return Pow.apply(_as_tensor(base, self), self)

    def __getitem__(self, index: Any) -> Tensor:
        return GetItem.apply(self, index=_index_data(index))

    # -- elementwise functions --------------------------------------------------------
    def exp(self) -> Tensor:
        """``e ** self``."""
        return Exp.apply(self)

    def log(self) -> Tensor:
        """Natural logarithm."""
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        """Square root."""
        return PowScalar.apply(self, exponent=0.5)

    def abs(self) -> Tensor:
        """Absolute value (gradient ``sign(x)``, 0 at 0)."""
        return Abs.apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Values limited to ``[min, max]``; the gradient is 0 where clipped."""
        return Clip.apply(self, lo=min, hi=max)

    clamp = clip

    def astype(self, dtype: Any) -> Tensor:
        """A converted copy; the gradient is converted back to this tensor's dtype."""
        return AsType.apply(self, dtype=np.dtype(dtype))

    # -- reductions -------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """Sum over ``dim`` (all axes when None)."""
        return Sum.apply(self, axis=norm_axes(dim_or_axis(dim, axis), self.ndim), keepdims=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """Mean over ``dim`` (all axes when None)."""
        axes = norm_axes(dim_or_axis(dim, axis), self.ndim)
        count = int(np.prod([self.shape[a] for a in axes])) if axes else 1
        return Sum.apply(self, axis=axes, keepdims=keepdim) * (1.0 / max(count, 1))

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        """Largest value over ``dim`` (values only; ties share the gradient equally)."""
        return Max.apply(self, axis=norm_axes(dim_or_axis(dim, axis), self.ndim), keepdims=keepdim)

    # -- shape ------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape (``-1`` infers one axis)."""
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return Reshape.apply(self, shape=tuple(int(s) for s in shape))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start = norm_axes(start_dim, self.ndim)[0]
        end = norm_axes(end_dim, self.ndim)[0]
        if start > end:
            raise ValueError(f"`start_dim` ({start_dim}) must not come after `end_dim` ({end_dim})")
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        if self.size == 0:
            shape = self.shape[:start] + (int(np.prod(self.shape[start : end + 1])),)
            shape += self.shape[end + 1 :]
        return self.reshape(shape)

    def permute(self, *dims: Any) -> Tensor:
        """Axes reordered as ``dims``."""
        if len(dims) == 1 and isinstance(dims[0], tuple | list):
            dims = tuple(dims[0])
        axes = norm_axes(tuple(dims), self.ndim)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"`dims` must be a permutation of 0..{self.ndim - 1}; got {dims}")
        return Permute.apply(self, axes=axes)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Axes ``dim0`` and ``dim1`` swapped."""
        axes = list(range(self.ndim))
        a, b = norm_axes((dim0, dim1), self.ndim)
        axes[a], axes[b] = axes[b], axes[a]
        return Permute.apply(self, axes=tuple(axes))

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of length 1 at ``dim``."""
        dim = norm_axes(dim, self.ndim + 1)[0]
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Axes of length 1 removed (only ``dim`` when given)."""
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        d = norm_axes(dim, self.ndim)[0]
        if self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1 :])

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Build a :class:`Tensor` (a copy of ``data``).

    >>> from convolab.nn import tensor
    >>> tensor([1, 2, 3], dtype="float32")
    Tensor([1., 2., 3.], dtype=float32)
    """
    arr = np.array(data.data if isinstance(data, Tensor) else data, dtype=dtype, copy=True)
    return Tensor(arr, requires_grad=requires_grad)


# --------------------------------------------------------------------------- helpers


def _index_data(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# --------------------------------------------------------------------------- primitives


class Add(Function):
    """``a + b``; gradient ``g`` to both (summed over broadcast axes)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class Sub(Function):
    """``a - b``; gradients ``g`` and ``-g``."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        gb = unbroadcast(-grad, self.shapes[1]) if self.needs_input_grad[1] else None
        return unbroadcast(grad, self.shapes[0]), gb


class Mul(Function):
    """``a * b``; gradients ``g b`` and ``g a``."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ga = unbroadcast(grad * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(grad * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """``a / b``; gradients ``g / b`` and ``-g a / b**2``."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a / b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ga = unbroadcast(grad / self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = unbroadcast(-grad * self.a / (self.b * self.b), self.b.shape)
        return ga, gb


class Neg(Function):
    """``-a``."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (-grad,)


class PowScalar(Function):
    """``a ** p`` for a constant ``p``; gradient ``p a**(p-1) g``."""

    def forward(self, a: np.ndarray, exponent: float) -> np.ndarray:
        self.a, self.p = a, exponent
        return a ** np.asarray(exponent, dtype=a.dtype if a.dtype.kind == "f" else None)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        p = self.p
        if p == 0:
            return (np.zeros_like(grad),)
        a = self.a
        return (grad * (p * a ** np.asarray(p - 1, dtype=a.dtype)),)


class Pow(Function):
    """``a ** b`` for tensors; gradients ``b a**(b-1) g`` and ``a**b log(a) g``."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(grad * b * a ** (b - 1), a.shape)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                loga = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
            gb = unbroadcast(grad * self.out * loga, b.shape)
        return ga, gb


class Exp(Function):
    """``exp(a)``; gradient ``exp(a) g``."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.out,)


class Log(Function):
    """``log(a)``; gradient ``g / a``."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad / self.a,)


class Abs(Function):
    """``|a|``; gradient ``sign(a) g``."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * np.sign(self.a),)


class Clip(Function):
    """``min(max(a, lo), hi)``; gradient ``g`` inside ``[lo, hi]``, 0 outside."""

    def forward(self, a: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
        self.mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            self.mask &= a >= lo
        if hi is not None:
            self.mask &= a <= hi
        return np.clip(a, lo, hi)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.mask,)


class AsType(Function):
    """Dtype conversion; the gradient is converted back."""

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        self.src = a.dtype
        return a.astype(dtype)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad.astype(self.src),)


class MatMul(Function):
    """``a @ b`` (NumPy rules, batched); gradients ``g b^T`` and ``a^T g``."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs operands with at least one dimension; got a scalar")
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g = grad.reshape(1, 1)
        elif a.ndim == 1:
            g = np.expand_dims(grad, -2)
        elif b.ndim == 1:
            g = np.expand_dims(grad, -1)
        else:
            g = grad
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return ga, gb


class Sum(Function):
    """Sum over axes; the gradient is ``g`` broadcast back."""

    def forward(self, a: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return np.asarray(a.sum(axis=axis, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if not self.keepdims:
            grad = np.expand_dims(grad, self.axis)
        return (np.broadcast_to(grad, self.shape),)


class Max(Function):
    """Maximum over axes; the gradient is shared equally among tied maxima."""

    def forward(self, a: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        if a.size == 0:
            raise ValueError("max() of an empty tensor is undefined")
        self.a, self.axis, self.keepdims = a, axis, keepdims
        self.out = np.asarray(a.max(axis=axis, keepdims=True))
        return self.out if keepdims else np.squeeze(self.out, axis=axis)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if not self.keepdims:
            grad = np.expand_dims(grad, self.axis)
        mask = self.a == self.out
        count = mask.sum(axis=self.axis, keepdims=True)
        return (mask * (grad / count),)


class Reshape(Function):
    """New shape; the gradient is reshaped back."""

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) to {shape}"
            ) from None

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad.reshape(self.shape),)


class Permute(Function):
    """Axes permuted; the gradient is permuted back with the inverse permutation."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        self.inverse = tuple(np.argsort(axes))
        return a.transpose(axes)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad.transpose(self.inverse),)


class GetItem(Function):
    """Indexing (basic or advanced); the gradient is scattered back (summing repeats)."""

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return np.asarray(a[index])

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        out = np.zeros(self.shape, dtype=np.result_type(self.dtype, grad.dtype))
        if is_basic_index(self.index):
            out[self.index] = grad
        else:
            np.add.at(out, self.index, grad)
        return (out,)


# --------------------------------------------------------------------------- operators


def _binary_operator(function: type[Function], reflected: bool) -> Callable[[Tensor, Any], Tensor]:
    """``Tensor.__<op>__`` (``self op other``) or, reflected, ``__r<op>__`` (``other op self``)."""
    if reflected:

        def operator(self: Tensor, other: Any) -> Tensor:
            return function.apply(_as_tensor(other, self), self)

    else:

        def operator(self: Tensor, other: Any) -> Tensor:
            return function.apply(self, _as_tensor(other, self))

    return operator


_BINARY_OPERATORS = {"add": Add, "sub": Sub, "mul": Mul, "truediv": Div, "matmul": MatMul}
for _name, _function in _BINARY_OPERATORS.items():
    for _reflected, _dunder in ((False, f"__{_name}__"), (True, f"__r{_name}__")):
        _method = _binary_operator(_function, _reflected)
        _method.__name__, _method.__qualname__ = _dunder, f"Tensor.{_dunder}"
        setattr(Tensor, _dunder, _method)
del _name, _function, _reflected, _dunder, _method
