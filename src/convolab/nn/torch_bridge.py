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
``BatchNorm1d/2d``                        ``BatchNorm1d/2d``
``Dropout``, ``Identity``, ``Flatten``    ``Dropout``, ``Identity``, ``Flatten``
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

from typing import Any

import numpy as np

from convolab._optional import optional_import
from convolab.nn import init
from convolab.nn.modules import (
    CELU,
    ELU,
    GELU,
    SELU,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Dropout,
    Flatten,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    LPPool1d,
    LPPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    Module,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    Unflatten,
)

__all__ = ["from_torch", "to_torch"]

_SIMPLE = (Identity, ReLU, Sigmoid, Tanh)
_CONVS = (Conv1d, Conv2d, Conv3d)
_CONV_TRANSPOSES = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
_MAXPOOLS = (MaxPool1d, MaxPool2d, MaxPool3d)
_AVGPOOLS = (AvgPool1d, AvgPool2d, AvgPool3d)
_LPPOOLS = (LPPool1d, LPPool2d)
_ADAPTIVE = (AdaptiveAvgPool1d, AdaptiveAvgPool2d)
_BATCHNORMS = (BatchNorm1d, BatchNorm2d)
_OTHERS = (Linear, Dropout, Flatten, Unflatten, LeakyReLU, Softmax, LogSoftmax)
#: Activations whose constructor arguments are attributes of the same names in both libraries.
_OPTIONS: dict[type[Module], tuple[str, ...]] = {
    ELU: ("alpha",),
    SELU: (),
    CELU: ("alpha",),
    GELU: ("approximate",),
    SiLU: (),
    Softplus: ("beta", "threshold"),
    Hardtanh: ("min_val", "max_val"),
    Hardsigmoid: (),
    Hardswish: (),
}
#: The layer classes that convert in both directions (by name, the same in both libraries).
_SUPPORTED: tuple[type[Module], ...] = (
    _SIMPLE + _CONVS + _CONV_TRANSPOSES + _MAXPOOLS + _AVGPOOLS + _ADAPTIVE + _BATCHNORMS + _OTHERS
    + tuple(_OPTIONS) + (PReLU,) + _LPPOOLS
)


def _import_torch() -> Any:
    return optional_import("torch", "exchanging models with PyTorch", "torch")


def _supported_names() -> str:
    return ", ".join(sorted({c.__name__ for c in _SUPPORTED} | {"Sequential"}))


def _unsupported(module: Any, path: str, direction: str) -> ValueError:
    where = f"layer {path!r}" if path else "the model"
    return ValueError(
        f"cannot convert {where} ({type(module).__name__}) {direction}: no conversion for "
        f"{type(module).__name__}; supported layers: {_supported_names()}"
    )


# --------------------------------------------------------------------------- to torch


def _torch_twin(torch: Any, m: Module, path: str) -> Any:
    """An untrained torch module with ``m``'s architecture (not its weights)."""
    tnn = torch.nn
    kind = type(m)
    name = kind.__name__
    if kind is Sequential:
        seq = tnn.Sequential()
        for child_name, child in m.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            seq.add_module(child_name, _torch_twin(torch, child, child_path))
        return seq
    if kind not in _SUPPORTED:
        raise _unsupported(m, path, "to PyTorch")
    if kind in _SIMPLE:
        return getattr(tnn, name)()
    if kind is SELU and m.extra_repr():
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} (SELU with {m.extra_repr()}) to "
            "PyTorch: its SELU has the fixed self-normalizing constants"
        )
    if kind is Hardsigmoid and (m.alpha, m.beta) != (1 / 6, 0.5):
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} (Hardsigmoid with alpha={m.alpha}, "
            f"beta={m.beta}) to PyTorch: its Hardsigmoid is x / 6 + 1/2 only"
        )
    if kind in _OPTIONS:
        return getattr(tnn, name)(**{k: getattr(m, k) for k in _OPTIONS[kind]})
    m_: Any = m
    if kind is PReLU:
        if m_.shape is not None:
            raise ValueError(
                f"cannot convert layer {path or 'model'!r} (PReLU with shape={m_.shape}) to "
                "PyTorch: its PReLU has one slope or one per channel"
            )
        dtype = getattr(torch, m_.weight.data.dtype.name)
        return tnn.PReLU(m_.num_parameters, m_.init, dtype=dtype)
    if kind in _CONVS + _CONV_TRANSPOSES and not _torch_padding(m_.padding, kind in _CONVS):
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} ({name}) to PyTorch: padding="
            f"{m_.padding!r} has no torch.nn.{name} twin (per-side or ONNX 'same_*' padding)"
        )
    if kind in _CONV_TRANSPOSES:
        dtype = getattr(torch, m_.weight.data.dtype.name)
        return getattr(tnn, name)(
            m_.in_channels, m_.out_channels, m_.kernel_size, stride=m_.stride,
            padding=m_.padding, output_padding=m_.output_padding, groups=m_.groups,
            bias=m_.bias is not None, dilation=m_.dilation, dtype=dtype,
        )
    if kind in _CONVS:
        dtype = getattr(torch, m_.weight.data.dtype.name)
        return getattr(tnn, name)(
            m_.in_channels, m_.out_channels, m_.kernel_size, stride=m_.stride,
            padding=m_.padding, dilation=m_.dilation, groups=m_.groups,
            bias=m_.bias is not None, dtype=dtype,
        )
    if kind is Linear:
        dtype = getattr(torch, m_.weight.data.dtype.name)
        return tnn.Linear(m_.in_features, m_.out_features, bias=m_.bias is not None, dtype=dtype)
    if kind in _MAXPOOLS + _AVGPOOLS + _LPPOOLS and not _torch_padding(m_.padding, False):
        raise ValueError(
            f"cannot convert layer {path or 'model'!r} ({name}) to PyTorch: padding="
            f"{m_.padding!r} has no torch.nn.{name} twin (per-side or named padding)"
        )
    if kind in _MAXPOOLS:
        return getattr(tnn, name)(
            m_.kernel_size, m_.stride, m_.padding, m_.dilation, return_indices=m_.return_indices,
            ceil_mode=m_.ceil_mode,
        )
    if kind in _AVGPOOLS:
        if m_.dilation not in (1, (1,) * m_._dims):
            raise ValueError(
                f"cannot convert layer {path or 'model'!r} ({name}) to PyTorch: "
                f"dilation={m_.dilation!r}; PyTorch's average pooling has none"
            )
        extra = {} if kind is AvgPool1d else {"divisor_override": m_.divisor_override}
        return getattr(tnn, name)(
            m_.kernel_size, m_.stride, m_.padding, ceil_mode=m_.ceil_mode,
            count_include_pad=m_.count_include_pad, **extra,
        )
    if kind in _LPPOOLS:
        if m_.padding not in (0, (0,) * m_._dims):
            raise ValueError(
                f"cannot convert layer {path or 'model'!r} ({name}) to PyTorch: padding="
                f"{m_.padding!r}; PyTorch's LPPool has none"
            )
        return getattr(tnn, name)(m_.norm_type, m_.kernel_size, m_.stride, m_.ceil_mode)
    if kind in _ADAPTIVE:
        return getattr(tnn, name)(m_.output_size)
    if kind in _BATCHNORMS:
        state = [v for _, v in m.named_parameters()] + [v for _, v in m.named_buffers()]
        dtype = getattr(torch, state[0].dtype.name) if state else torch.float32
        return getattr(tnn, name)(
            m_.num_features, eps=m_.eps, momentum=m_.momentum, affine=m_.affine,
            track_running_stats=m_.track_running_stats, dtype=dtype,
        )
    if kind is Dropout:
        return tnn.Dropout(m_.p)
    if kind is Flatten:
        return tnn.Flatten(m_.start_dim, m_.end_dim)
    if kind is Unflatten:
        return tnn.Unflatten(m_.dim, m_.unflattened_size)
    if kind is LeakyReLU:
        return tnn.LeakyReLU(m_.negative_slope)
    return getattr(tnn, name)(dim=m_.dim)  # Softmax, LogSoftmax


def _torch_padding(padding: Any, names_allowed: bool) -> bool:
    """Whether PyTorch's layer takes this padding (one int per axis; 'same'/'valid' for Conv)."""
    if isinstance(padding, str):
        return names_allowed and padding in ("same", "valid")
    return isinstance(padding, int) or all(isinstance(p, int) for p in padding)


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


def _require(condition: bool, module: Any, path: str, what: str) -> None:
    if not condition:
        where = f"layer {path!r}" if path else "the model"
        raise ValueError(
            f"cannot convert {where} ({type(module).__name__}) from PyTorch: {what}"
        )


def _dtype_of(tensors: list[Any]) -> str:
    floats = [t for t in tensors if t is not None and t.is_floating_point()]
    return str(floats[0].dtype).removeprefix("torch.") if floats else "float32"


def _unwrap(value: Any) -> Any:
    """PyTorch's AvgPool1d stores ``(3,)`` for 3; keep the int as convolab's layers do."""
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _twin_of_torch(torch: Any, t: Any, path: str) -> Module:
    """An untrained convolab module with the torch module ``t``'s architecture."""
    tnn = torch.nn
    kind = type(t)
    name = kind.__name__
    if kind is tnn.Sequential:
        seq = Sequential()
        for child_name, child in t.named_children():
            child_path = f"{path}.{child_name}" if path else child_name
            seq.add_module(child_name, _twin_of_torch(torch, child, child_path))
        return seq
    ours = {c.__name__: c for c in _SUPPORTED}.get(name)
    if ours is None or kind is not getattr(tnn, name, None):
        raise _unsupported(t, path, "from PyTorch")
    if ours in _SIMPLE:
        return ours()
    if ours in _OPTIONS:
        return ours(**{k: getattr(t, k) for k in _OPTIONS[ours]})
    if ours is PReLU:
        return PReLU(t.num_parameters, t.init, dtype=_dtype_of([t.weight]))
    if ours in _CONVS:
        _require(t.padding_mode == "zeros", t, path, f"padding_mode={t.padding_mode!r}; "
                 "only 'zeros' is supported")
        return ours(
            t.in_channels, t.out_channels, tuple(t.kernel_size), stride=tuple(t.stride),
            padding=t.padding if isinstance(t.padding, str) else tuple(t.padding),
            dilation=tuple(t.dilation), groups=t.groups, bias=t.bias is not None,
            dtype=_dtype_of([t.weight]),
        )
    if ours in _CONV_TRANSPOSES:
        _require(t.padding_mode == "zeros", t, path, f"padding_mode={t.padding_mode!r}; "
                 "only 'zeros' is supported")
        return ours(
            t.in_channels, t.out_channels, tuple(t.kernel_size), stride=tuple(t.stride),
            padding=tuple(t.padding), output_padding=tuple(t.output_padding), groups=t.groups,
            bias=t.bias is not None, dilation=tuple(t.dilation), dtype=_dtype_of([t.weight]),
        )
    if ours is Linear:
        return Linear(t.in_features, t.out_features, bias=t.bias is not None,
                      dtype=_dtype_of([t.weight]))
    if ours in _MAXPOOLS:
        return ours(t.kernel_size, t.stride, t.padding, t.dilation, t.return_indices, t.ceil_mode)
    if ours in _AVGPOOLS:
        k, s, p = (_unwrap(v) for v in (t.kernel_size, t.stride, t.padding))
        extra = {} if ours is AvgPool1d else {"divisor_override": t.divisor_override}
        return ours(k, s, p, t.ceil_mode, t.count_include_pad, **extra)
    if ours in _LPPOOLS:
        return ours(t.norm_type, t.kernel_size, t.stride, t.ceil_mode)
    if ours in _ADAPTIVE:
        size = t.output_size
        return ours(tuple(size) if isinstance(size, list | tuple) else size)
    if ours in _BATCHNORMS:
        tensors = [t.weight, t.bias, t.running_mean, t.running_var]
        return ours(
            t.num_features, eps=t.eps, momentum=t.momentum, affine=t.affine,
            track_running_stats=t.track_running_stats, dtype=_dtype_of(tensors),
        )
    if ours is Dropout:
        _require(not t.inplace, t, path, "inplace=True is not supported")
        return Dropout(t.p)
    if ours is Flatten:
        return Flatten(t.start_dim, t.end_dim)
    if ours is Unflatten:
        return Unflatten(t.dim, tuple(t.unflattened_size))
    if ours is LeakyReLU:
        return LeakyReLU(t.negative_slope)
    _require(t.dim is not None, t, path, "dim=None (PyTorch's implicit axis) is ambiguous; "
             "give the axis explicitly, e.g. dim=1")
    return ours(dim=t.dim)  # Softmax, LogSoftmax


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
        (``ceil_mode``, ``padding_mode='reflect'``, ...): the message names the layer.
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

