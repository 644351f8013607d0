"""Losses as modules, as PyTorch's ``nn.CrossEntropyLoss`` and the others.

Each calls its :mod:`convolab.nn.functional` loss with the options it was built
with: ``criterion = nn.CrossEntropyLoss(); loss = criterion(model(x), y)``. A
class ``weight`` is a buffer (in the ``state_dict``), as in PyTorch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from convolab.nn import functional as F
from convolab.nn.functional._checks import _check_reduction
from convolab.nn.modules.module import Module, register_module
from convolab.nn.tensor import Tensor

__all__ = [
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]


#: Options held as buffers (arrays that belong in the ``state_dict``), as in PyTorch.
_BUFFERS = ("weight", "pos_weight")


class _Loss(Module):
    """``criterion(input, target)`` is ``_function(input, target, **options)``.

    A subclass names its function and nothing else: its constructor takes the
    function's options (everything after ``input`` and ``target``, with the same
    defaults and kinds), so the two cannot drift apart.
    """

    kind = "loss"
    _function: Any = None
    _options: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.__dict__.get("_function") is not None and "__init__" not in cls.__dict__:
            cls.__init__ = _constructor(cls._function)  # type: ignore[method-assign]
            cls._options = tuple(inspect.signature(cls.__init__).parameters)[1:]
        super().__init_subclass__(**kwargs)  # records the constructor's arguments

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        options = {name: getattr(self, name) for name in self._options}
        return type(self)._function(input, target, **options)


def _constructor(function: Callable[..., Tensor]) -> Callable[..., None]:
    """``__init__(self, **options of function)``: stores each option, arrays as buffers."""
    options = list(inspect.signature(function).parameters.values())[2:]
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    signature = inspect.Signature([self_param, *options])

    def __init__(self: _Loss, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        Module.__init__(self)
        _check_reduction(bound.arguments.get("reduction", "mean"))
        for name, value in list(bound.arguments.items())[1:]:
            if name in _BUFFERS:
                self.register_buffer(name, None if value is None else np.asarray(value))
            else:
                setattr(self, name, value)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__doc__ = f"The options of :func:`{function.__module__}.{function.__name__}`."
    return __init__


@register_module
class L1Loss(_Loss):
    """Mean absolute error; see :func:`convolab.nn.functional.l1_loss`.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.L1Loss()(np.array([1.0, 3.0]), np.array([0.0, 1.0])).item()
    1.5
    """

    _function = F.l1_loss


@register_module
class MSELoss(_Loss):
    """Mean squared error; see :func:`convolab.nn.functional.mse_loss`.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.MSELoss(reduction="sum")(np.array([1.0, 3.0]), np.array([0.0, 1.0])).item()
    5.0
    """

    _function = F.mse_loss


@register_module
class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear beyond; see :func:`convolab.nn.functional.huber_loss`.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.HuberLoss(delta=2.0)(np.array([3.0]), np.array([0.0])).item()
    4.0
    """

    _function = F.huber_loss


@register_module
class SmoothL1Loss(_Loss):
    """Huber divided by ``beta``; see :func:`convolab.nn.functional.smooth_l1_loss`.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.SmoothL1Loss(beta=2.0)(np.array([3.0]), np.array([0.0])).item()
    2.0
    """

    _function = F.smooth_l1_loss


@register_module
class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities; see :func:`convolab.nn.functional.nll_loss`.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.NLLLoss()(np.log([[0.5, 0.5]]), np.array([1])).item()
    0.6931471805599453
    """

    _function = F.nll_loss


@register_module
class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits; see :func:`convolab.nn.functional.cross_entropy`.

    Class-index or probability targets, per-class ``weight``, ``ignore_index`` and
    ``label_smoothing`` as in PyTorch.

    >>> import numpy as np
    >>> from convolab import nn
    >>> criterion = nn.CrossEntropyLoss()
    >>> criterion
    CrossEntropyLoss()
    >>> round(criterion(np.array([[2.0, 0.0, 0.0]]), np.array([0])).item(), 6)
    0.239545
    """

    _function = F.cross_entropy


@register_module
class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits; see
    :func:`convolab.nn.functional.binary_cross_entropy_with_logits`.

    >>> import numpy as np
    >>> from convolab import nn
    >>> round(nn.BCEWithLogitsLoss()(np.array([0.0]), np.array([1.0])).item(), 6)
    0.693147
    """

    _function = F.binary_cross_entropy_with_logits
