"""Weight initialization: He (Kaiming) and Glorot (Xavier), uniform and normal.

Every function fills a tensor's data in place and returns the tensor. The
random numbers come from ``generator`` (a ``numpy.random.Generator`` or an int
seed) or, when it is omitted, from the module's default generator, which
:func:`manual_seed` resets, so a model built after ``manual_seed(0)`` is
reproducible.

Fans of a weight of shape ``(out, in, *k)``: ``fan_in = in * prod(k)``,
``fan_out = out * prod(k)``.

>>> import numpy as np
>>> from convolab.nn import Tensor, init
>>> w = Tensor(np.empty((64, 32, 3, 3), dtype=np.float32))
>>> _ = init.kaiming_normal_(w, nonlinearity="relu", generator=0)
>>> round(float(w.data.std() * np.sqrt(32 * 9 / 2)), 1)
1.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from convolab.nn.tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "default_generator",
    "kaiming_normal_",
    "kaiming_uniform_",
    "manual_seed",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_DEFAULT = {"rng": np.random.default_rng()}


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator used when no ``generator`` is given.

    >>> from convolab.nn import init
    >>> a = init.manual_seed(1).random()
    >>> b = init.manual_seed(1).random()
    >>> a == b
    True
    """
    _DEFAULT["rng"] = np.random.default_rng(seed)
    return _DEFAULT["rng"]


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator`` is given (see :func:`manual_seed`)."""
    return _DEFAULT["rng"]


def _rng(generator: Any) -> np.random.Generator:
    if generator is None:
        return _DEFAULT["rng"]
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"`generator` must be a numpy.random.Generator, an int seed or None; got {generator!r}"
    )


def _fans(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions; got shape {t.shape}"
        )
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"`tensor` must be a convolab.nn.Tensor; got {type(t).__name__}")
    t.data[...] = values.astype(t.dtype, copy=False)
    return t


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``.

    ``linear``/``conv``/``sigmoid``: 1; ``tanh``: 5/3; ``relu``: sqrt(2);
    ``leaky_relu``: sqrt(2 / (1 + a**2)) with ``a = param`` (default 0.01).

    >>> round(calculate_gain("relu"), 4)
    1.4142
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + a * a))
    raise ValueError(
        "`nonlinearity` must be one of 'linear', 'conv1d', 'conv2d', 'conv3d', 'sigmoid', "
        f"'tanh', 'relu', 'leaky_relu'; got {nonlinearity!r}"
    )


def _fan(t: Tensor, mode: str) -> int:
    fan_in, fan_out = _fans(t)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"`mode` must be 'fan_in' or 'fan_out'; got {mode!r}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with ``U(a, b)``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> t = init.uniform_(Tensor(np.empty(1000)), -2.0, 2.0, generator=0)
    >>> bool(t.data.min() >= -2.0 and t.data.max() < 2.0)
    True
    """
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with ``N(mean, std**2)``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> t = init.normal_(Tensor(np.empty(10000)), 1.0, 0.5, generator=0)
    >>> round(float(t.data.mean()), 1), round(float(t.data.std()), 1)
    (1.0, 0.5)
    """
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> init.constant_(Tensor(np.empty(2, dtype=np.float32)), 0.5).data
    array([0.5, 0.5], dtype=float32)
    """
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def _kaiming(
    fill: Callable[[Tensor, float, int, Any], Tensor], name: str, doc: str
) -> Callable[..., Tensor]:
    """He (Kaiming) initialization filled by ``fill(tensor, gain, fan, generator)``.

    ``kaiming_uniform_`` and ``kaiming_normal_`` share the signature and the rule
    for ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` (per ``mode``); only
    the distribution differs. Each has its own name and docstring ``doc``.
    """

    def kaiming(
        tensor: Tensor,
        a: float = 0.0,
        mode: str = "fan_in",
        nonlinearity: str = "leaky_relu",
        generator: Any = None,
    ) -> Tensor:
        return fill(tensor, calculate_gain(nonlinearity, a), _fan(tensor, mode), generator)

    kaiming.__name__ = kaiming.__qualname__ = name
    kaiming.__doc__ = doc
    return kaiming


def _he_uniform(tensor: Tensor, gain: float, fan: int, generator: Any) -> Tensor:
    bound = gain * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def _he_normal(tensor: Tensor, gain: float, fan: int, generator: Any) -> Tensor:
    return normal_(tensor, 0.0, gain / math.sqrt(fan), generator)


kaiming_uniform_ = _kaiming(
    _he_uniform,
    "kaiming_uniform_",
    """He uniform: ``U(-bound, bound)``, ``bound = gain * sqrt(3 / fan)``.

    ``gain = calculate_gain(nonlinearity, a)``. With ``a = sqrt(5)`` (PyTorch's
    layer default) the bound is ``1 / sqrt(fan_in)``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> w = init.kaiming_uniform_(Tensor(np.empty((16, 8))), a=np.sqrt(5), generator=0)
    >>> bool(np.abs(w.data).max() <= 1 / np.sqrt(8))
    True
    """,
)


kaiming_normal_ = _kaiming(
    _he_normal,
    "kaiming_normal_",
    """He normal: ``N(0, std**2)``, ``std = gain / sqrt(fan)``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> w = init.kaiming_normal_(Tensor(np.empty((500, 50))), nonlinearity="relu", generator=0)
    >>> round(float(w.data.std() * np.sqrt(50 / 2)), 1)
    1.0
    """,
)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot uniform: ``U(-bound, bound)``, ``bound = gain * sqrt(6 / (fan_in + fan_out))``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> w = init.xavier_uniform_(Tensor(np.empty((30, 20))), generator=0)
    >>> bool(np.abs(w.data).max() <= np.sqrt(6 / 50))
    True
    """
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot normal: ``N(0, std**2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    >>> import numpy as np
    >>> from convolab.nn import Tensor, init
    >>> w = init.xavier_normal_(Tensor(np.empty((300, 200))), generator=0)
    >>> round(float(w.data.std() / np.sqrt(2 / 500)), 1)
    1.0
    """
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
