"""Exchange models with PyTorch: :func:`to_torch` and :func:`from_torch`.

Each convolab layer has a PyTorch twin with the same constructor arguments and the
same parameter names, so conversion is "build the twin, copy the ``state_dict``":

========================================  ========================================
convolab.nn                               torch.nn
========================================  ========================================
``Sequential`` (child names kept)         ``Sequential``
``Conv1d``, ``Conv2d``, ``Conv3d``        ``Conv1d``, ``Conv2d``, ``Conv3d``
``ConvTranspose1d/2d/3d``                 ``ConvTranspose1d/2d/3d``
``Linear``                                ``Linear``
``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``  ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``
``LPPool1d/2d``                           ``LPPool1d/2d``
``AdaptiveAvgPool1d/2d``                  ``AdaptiveAvgPool1d/2d``
``BatchNorm1d/2d/3d``                     ``BatchNorm1d/2d/3d``
``Dropout``, ``Identity``, ``Flatten``    ``Dropout``, ``Identity``, ``Flatten``
``Upsample``                              ``Upsample``
``ZeroPad1d`` ... ``CircularPad3d``       ``ZeroPad1d`` ... ``CircularPad3d`` (five families)
``Unflatten``                             ``Unflatten``
``ReLU``, ``LeakyReLU``, ``Sigmoid``,     ``ReLU``, ``LeakyReLU``, ``Sigmoid``,
``Tanh``, ``Softmax``, ``LogSoftmax``     ``Tanh``, ``Softmax``, ``LogSoftmax``
``ELU``, ``SELU``, ``CELU``, ``GELU``,    ``ELU``, ``SELU``, ``CELU``, ``GELU``,
``SiLU``, ``Softplus``, ``Hardtanh``,     ``SiLU``, ``Softplus``, ``Hardtanh``,
``Hardsigmoid``, ``Hardswish``,           ``Hardsigmoid``, ``Hardswish``,
``PReLU``                                 ``PReLU``
========================================  ========================================

Weights keep their dtype, parameters frozen on one side are frozen on the
other, and every layer keeps its training/evaluation mode. Building the twin
does not disturb either library's random number generator.

Needs the optional extra ``convolab[torch]``; PyTorch is imported only when these
functions run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from convolab._optional import optional_import
from convolab.nn import init
from convolab.nn import modules as layers
from convolab.nn.functional.activation import SELU_ALPHA, SELU_SCALE
from convolab.nn.modules import Module, Sequential

__all__ = ["from_torch", "to_torch"]

class _Twin(NamedTuple):
    """How one layer class crosses: ``to(torch, m, path)`` builds the untrained torch twin of
    ``m``; ``back(cls, t, path)`` the untrained convolab ``cls`` twin of the torch module ``t``."""

    to: Callable[[Any, Any, str], Any]
    back: Callable[[Any, Any, str], Module]


# One entry per layer class, keyed by class; the twin classes have the same names in both
# libraries (``torch.nn.<name>``).
_TWINS: dict[type[Module], _Twin] = {}


def _register(twin: _Twin, *classes: type[Module]) -> None:
    for cls in classes:
        if cls in _TWINS:
            raise ValueError(f"{cls.__name__} already has a PyTorch twin")
        _TWINS[cls] = twin


def _import_torch() -> Any:
    return optional_import("torch", "exchanging models with PyTorch", "torch")


def _supported_names() -> str:
    return ", ".join(sorted({c.__name__ for c in _TWINS} | {"Sequential"}))


def _unsupported(module: Any, path: str, direction: str) -> ValueError:
    where = f"layer {path!r}" if path else "the model"
    return ValueError(
        f"cannot convert {where} ({type(module).__name__}) {direction}: no conversion for "
        f"{type(module).__name__}; supported layers: {_supported_names()}"
    )


def _require(condition: bool, module: Any, path: str, what: str) -> None:
    if not condition:
        where = f"layer {path!r}" if path else "the model"
        raise ValueError(
            f"cannot convert {where} ({type(module).__name__}) from PyTorch: {what}"
        )


def _torch_class(torch: Any, m: Any) -> Any:
    return getattr(torch.nn, type(m).__name__)


def _torch_dtype(torch: Any, array: Any) -> Any:
    return getattr(torch, array.dtype.name)


def _dtype_of(tensors: list[Any]) -> str:
    floats = [t for t in tensors if t is not None and t.is_floating_point()]
    return str(floats[0].dtype).removeprefix("torch.") if floats else "float32"


def _unwrap(value: Any) -> Any:
    """PyTorch's AvgPool1d stores ``(3,)`` for 3; keep the int as convolab's layers do."""
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _torch_padding(padding: Any, names_allowed: bool) -> bool:
    """Whether PyTorch's layer takes this padding (one int per axis; 'same'/'valid' for Conv)."""
    if isinstance(padding, str):
        return names_allowed and padding in ("same", "valid")
    return isinstance(padding, int) or all(isinstance(p, int) for p in padding)


def _check_padding(m: Any, path: str, names_allowed: bool, what: str) -> None:
    if not _torch_padding(m.padding, names_allowed):
        name = type(m).__name__
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} ({name}) to PyTorch: padding="
            f"{m.padding!r} has no torch.nn.{name} twin ({what})"
        )


# --------------------------------------------------------------------------- the twins


def _plain_options(*options: str) -> _Twin:
    """Layers whose constructor arguments are attributes of the same names in both libraries."""
    return _Twin(
        lambda torch, m, path: _torch_class(torch, m)(**{k: getattr(m, k) for k in options}),
        lambda cls, t, path: cls(**{k: getattr(t, k) for k in options}),
    )


for _options, _classes in [
    ((), (layers.Identity, layers.ReLU, layers.Sigmoid, layers.Tanh, layers.SiLU,
          layers.Hardswish)),
    (("alpha",), (layers.ELU, layers.CELU)),
    (("approximate",), (layers.GELU,)),
    (("beta", "threshold"), (layers.Softplus,)),
    (("min_val", "max_val"), (layers.Hardtanh,)),
    (("negative_slope",), (layers.LeakyReLU,)),
    (("start_dim", "end_dim"), (layers.Flatten,)),
]:  # fmt: skip
    _register(_plain_options(*_options), *_classes)


def _fixed_constants(options: tuple[str, ...], defaults: tuple[float, ...], why: str) -> _Twin:
    """SELU and Hardsigmoid: PyTorch's have fixed constants; convolab's default to them."""

    def to(torch: Any, m: Any, path: str) -> Any:
        values = tuple(getattr(m, k) for k in options)
        if values != defaults:
            given = ", ".join(f"{k}={v}" for k, v in zip(options, values))
            raise ValueError(
                f"cannot convert layer {path or 'model'!r} ({type(m).__name__} with {given}) "
                f"to PyTorch: {why}"
            )
        return _torch_class(torch, m)()

    return _Twin(to, lambda cls, t, path: cls())


_register(
    _fixed_constants(("alpha", "scale"), (SELU_ALPHA, SELU_SCALE),
                     "its SELU has the fixed self-normalizing constants"),
    layers.SELU,
)  # fmt: skip
_register(
    _fixed_constants(("alpha", "beta"), (1 / 6, 0.5), "its Hardsigmoid is x / 6 + 1/2 only"),
    layers.Hardsigmoid,
)


def _prelu_to(torch: Any, m: Any, path: str) -> Any:
    if m.shape is not None:
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} (PReLU with shape={m.shape}) to "
            "PyTorch: its PReLU has one slope or one per channel"
        )
    return torch.nn.PReLU(m.num_parameters, m.init, dtype=_torch_dtype(torch, m.weight.data))


_register(
    _Twin(_prelu_to, lambda cls, t, path: cls(t.num_parameters, t.init,
                                              dtype=_dtype_of([t.weight]))),
    layers.PReLU,
)  # fmt: skip


def _conv_to(torch: Any, m: Any, path: str) -> Any:
    transposed = m.kind == "conv_transpose"
    _check_padding(m, path, not transposed, "per-side or ONNX 'same_*' padding")
    extra = {"output_padding": m.output_padding} if transposed else {}
    return _torch_class(torch, m)(
        m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
        dilation=m.dilation, groups=m.groups, bias=m.bias is not None,
        padding_mode=m.padding_mode, dtype=_torch_dtype(torch, m.weight.data), **extra,
    )  # fmt: skip


def _conv_back(cls: Any, t: Any, path: str) -> Module:
    transposed = cls.kind == "conv_transpose"
    extra = {"output_padding": tuple(t.output_padding)} if transposed else {}
    return cls(
        t.in_channels, t.out_channels, tuple(t.kernel_size), stride=tuple(t.stride),
        padding=t.padding if isinstance(t.padding, str) else tuple(t.padding),
        dilation=tuple(t.dilation), groups=t.groups, bias=t.bias is not None,
        padding_mode=t.padding_mode, dtype=_dtype_of([t.weight]), **extra,
    )  # fmt: skip


_register(
    _Twin(_conv_to, _conv_back),
    layers.Conv1d, layers.Conv2d, layers.Conv3d,
    layers.ConvTranspose1d, layers.ConvTranspose2d, layers.ConvTranspose3d,
)  # fmt: skip

_register(
    _Twin(
        lambda torch, m, path: torch.nn.Linear(m.in_features, m.out_features,
                                               bias=m.bias is not None,
                                               dtype=_torch_dtype(torch, m.weight.data)),
        lambda cls, t, path: cls(t.in_features, t.out_features, bias=t.bias is not None,
                                 dtype=_dtype_of([t.weight])),
    ),
    layers.Linear,
)  # fmt: skip


def _max_pool_to(torch: Any, m: Any, path: str) -> Any:
    _check_padding(m, path, False, "per-side or named padding")
    return _torch_class(torch, m)(
        m.kernel_size, m.stride, m.padding, m.dilation, return_indices=m.return_indices,
        ceil_mode=m.ceil_mode,
    )  # fmt: skip


_register(
    _Twin(_max_pool_to, lambda cls, t, path: cls(t.kernel_size, t.stride, t.padding, t.dilation,
                                                 t.return_indices, t.ceil_mode)),
    layers.MaxPool1d, layers.MaxPool2d, layers.MaxPool3d,
)  # fmt: skip


def _avg_pool_to(torch: Any, m: Any, path: str) -> Any:
    _check_padding(m, path, False, "per-side or named padding")
    name = type(m).__name__
    if m.dilation not in (1, (1,) * len(m.window().dilation)):
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} ({name}) to PyTorch: "
            f"dilation={m.dilation!r}; PyTorch's average pooling has none"
        )
    extra = {} if m.divisor_override is None else {"divisor_override": m.divisor_override}
    return _torch_class(torch, m)(
        m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode,
        count_include_pad=m.count_include_pad, **extra,
    )  # fmt: skip


def _avg_pool_back(cls: Any, t: Any, path: str) -> Module:
    k, s, p = (_unwrap(v) for v in (t.kernel_size, t.stride, t.padding))
    override = getattr(t, "divisor_override", None)
    extra = {} if override is None else {"divisor_override": override}
    return cls(k, s, p, t.ceil_mode, t.count_include_pad, **extra)


_register(
    _Twin(_avg_pool_to, _avg_pool_back), layers.AvgPool1d, layers.AvgPool2d, layers.AvgPool3d
)


def _lp_pool_to(torch: Any, m: Any, path: str) -> Any:
    if m.padding not in (0, (0,) * len(m.window().kernel_size)):
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} ({type(m).__name__}) to PyTorch: "
            f"padding={m.padding!r}; PyTorch's LPPool has none"
        )
    return _torch_class(torch, m)(m.norm_type, m.kernel_size, m.stride, m.ceil_mode)


_register(
    _Twin(_lp_pool_to, lambda cls, t, path: cls(t.norm_type, t.kernel_size, t.stride,
                                                t.ceil_mode)),
    layers.LPPool1d, layers.LPPool2d,
)  # fmt: skip

_register(
    _Twin(
        lambda torch, m, path: _torch_class(torch, m)(m.output_size),
        lambda cls, t, path: cls(
            tuple(t.output_size) if isinstance(t.output_size, list | tuple) else t.output_size
        ),
    ),
    layers.AdaptiveAvgPool1d, layers.AdaptiveAvgPool2d,
)  # fmt: skip


def _batch_norm_to(torch: Any, m: Any, path: str) -> Any:
    state = [v for _, v in m.named_parameters()] + [v for _, v in m.named_buffers()]
    dtype = _torch_dtype(torch, state[0]) if state else torch.float32
    return _torch_class(torch, m)(
        m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
        track_running_stats=m.track_running_stats, dtype=dtype,
    )  # fmt: skip


def _batch_norm_back(cls: Any, t: Any, path: str) -> Module:
    return cls(
        t.num_features, eps=t.eps, momentum=t.momentum, affine=t.affine,
        track_running_stats=t.track_running_stats,
        dtype=_dtype_of([t.weight, t.bias, t.running_mean, t.running_var]),
    )  # fmt: skip


_register(
    _Twin(_batch_norm_to, _batch_norm_back),
    layers.BatchNorm1d, layers.BatchNorm2d, layers.BatchNorm3d,
)  # fmt: skip


_PADS = tuple(getattr(layers, f"{family}Pad{d}d") for family in (
    "Zero", "Reflection", "Replication", "Circular") for d in (1, 2, 3))  # fmt: skip
_CONSTANT_PADS = (layers.ConstantPad1d, layers.ConstantPad2d, layers.ConstantPad3d)
_register(
    _Twin(lambda torch, m, path: _torch_class(torch, m)(m.padding),
          lambda cls, t, path: cls(tuple(t.padding))),
    *_PADS,
)  # fmt: skip
_register(
    _Twin(lambda torch, m, path: _torch_class(torch, m)(m.padding, m.value),
          lambda cls, t, path: cls(tuple(t.padding), float(t.value))),
    *_CONSTANT_PADS,
)  # fmt: skip


def _upsample_options(m: Any) -> dict[str, Any]:
    return {"size": m.size, "scale_factor": m.scale_factor, "mode": m.mode,
            "align_corners": m.align_corners, "recompute_scale_factor": m.recompute_scale_factor}


_register(
    _Twin(lambda torch, m, path: torch.nn.Upsample(**_upsample_options(m)),
          lambda cls, t, path: cls(**_upsample_options(t))),
    layers.Upsample,
)  # fmt: skip


def _dropout_back(cls: Any, t: Any, path: str) -> Module:
    _require(not t.inplace, t, path, "inplace=True is not supported")
    return cls(t.p)


_register(_Twin(lambda torch, m, path: torch.nn.Dropout(m.p), _dropout_back), layers.Dropout)
_register(
    _Twin(
        lambda torch, m, path: torch.nn.Unflatten(m.dim, m.unflattened_size),
        lambda cls, t, path: cls(t.dim, tuple(t.unflattened_size)),
    ),
    layers.Unflatten,
)


def _softmax_back(cls: Any, t: Any, path: str) -> Module:
    _require(t.dim is not None, t, path, "dim=None (PyTorch's implicit axis) is ambiguous; "
             "give the axis explicitly, e.g. dim=1")  # fmt: skip
    return cls(dim=t.dim)


_register(
    _Twin(lambda torch, m, path: _torch_class(torch, m)(dim=m.dim), _softmax_back),
    layers.Softmax, layers.LogSoftmax,
)


# --------------------------------------------------------------------------- to torch


def _torch_twin(torch: Any, m: Module, path: str) -> Any:
    """An untrained torch module with ``m``'s architecture (not its weights)."""
    if type(m) is Sequential:
        seq = torch.nn.Sequential()
        for child_name, child in m.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            seq.add_module(child_name, _torch_twin(torch, child, child_path))
        return seq
    twin = _TWINS.get(type(m))
    if twin is None:
        raise _unsupported(m, path, "to PyTorch")
    return twin.to(torch, m, path)


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Module`` with ``model``'s weights copied.

    Parameters
    ----------
    model : Module
        A layer of :mod:`convolab.nn` or a ``Sequential`` of them (nested
        ``Sequential`` included; child names are kept, so the state-dict keys are
        the same in both libraries).

    Returns
    -------
    torch.nn.Module
        In the same training/evaluation mode as ``model``, layer by layer;
        parameters that are frozen in ``model`` have ``requires_grad=False``.

    Raises
    ------
    ValueError
        If a layer has no PyTorch twin (the message names the layer and the supported ones).
    TypeError
        If ``model`` is not a convolab Module.
    ImportError
        If PyTorch is not installed (extra ``convolab[torch]``).

    Examples
    --------
    >>> from convolab import nn
    >>> from convolab.nn.torch_bridge import to_torch
    >>> net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU())
    >>> to_torch(net)  # doctest: +SKIP
    Sequential(
      (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
      (1): ReLU()
    )
    """
    if not isinstance(model, Module):
        raise TypeError(f"`model` must be a convolab.nn.Module; got {type(model).__name__}")
    torch = _import_torch()
    with torch.random.fork_rng(devices=[]):
        twin = _torch_twin(torch, model, "")
    state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in model.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    for n, p in twin.named_parameters():
        p.requires_grad_(n not in frozen)
    modes = dict(model.named_modules())
    for n, tm in twin.named_modules():
        tm.training = modes[n].training
    return twin


# --------------------------------------------------------------------------- from torch


def _twin_of_torch(torch: Any, t: Any, path: str) -> Module:
    """An untrained convolab module with the torch module ``t``'s architecture."""
    if type(t) is torch.nn.Sequential:
        seq = Sequential()
        for child_name, child in t.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            seq.add_module(child_name, _twin_of_torch(torch, child, child_path))
        return seq
    ours = {getattr(torch.nn, c.__name__, None): c for c in _TWINS}.get(type(t))
    if ours is None:
        raise _unsupported(t, path, "from PyTorch")
    return _TWINS[ours].back(ours, t, path)


def from_torch(module: Any) -> Module:
    """A convolab model equivalent to the ``torch.nn.Module`` ``module``, weights copied.

    Parameters
    ----------
    module : torch.nn.Module
        One of the supported layers (see the module documentation) or a
        ``torch.nn.Sequential`` of them; child names are kept, so
        ``state_dict()`` has the same keys and values in both libraries.

    Returns
    -------
    Module
        In the same training/evaluation mode as ``module``, layer by layer;
        frozen parameters stay frozen.

    Raises
    ------
    ValueError
        If a layer has no convolab twin, or uses an option convolab lacks
        (a ``Softmax`` without ``dim``, ...): the message names the layer.
    TypeError
        If ``module`` is not a ``torch.nn.Module``.
    ImportError
        If PyTorch is not installed (extra ``convolab[torch]``).

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> from convolab.nn.torch_bridge import from_torch
    >>> from_torch(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Tanh()))  # doctest: +SKIP
    Sequential(
      (0): Linear(in_features=4, out_features=2, bias=True)
      (1): Tanh()
    )
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"`module` must be a torch.nn.Module; got {type(module).__name__}")
    generator = init.default_generator()
    saved = generator.bit_generator.state
    try:
        model = _twin_of_torch(torch, module, "")
    finally:
        generator.bit_generator.state = saved
    state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    model.load_state_dict(state, strict=True)
    frozen = {n for n, p in module.named_parameters() if not p.requires_grad}
    for n, p in model.named_parameters():
        p.requires_grad = n not in frozen
    modes = dict(module.named_modules())
    for n, m in model.named_modules():
        object.__setattr__(m, "training", bool(modes[n].training))
    return model

