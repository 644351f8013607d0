"""Layers as objects: :class:`Module`, :class:`Parameter` and the usual building blocks.

The conventions are PyTorch's, so that code and weights move between the two:
``parameters()``, ``named_parameters()``, ``state_dict()`` with names like
``0.weight`` and ``1.running_mean``, ``load_state_dict(strict=True)``,
``train()``/``eval()``, ``model(x)`` calling ``forward``, and the same ``repr``.

Every module records the arguments it was constructed with; :meth:`Module.get_config`
returns them as JSON-friendly values and :meth:`Module.from_config` rebuilds the
module from them. That is how :func:`convolab.nn.save` stores an architecture
without pickling code. Only classes in the registry (the built-in layers and
those decorated with :func:`register_module`) can be rebuilt.

>>> import numpy as np
>>> from convolab import nn
>>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
...                       nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
>>> model(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape
(2, 10)
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '4.weight', '4.bias']
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from convolab.nn import functional as F
from convolab.nn import init
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "Dropout",
    "Flatten",
    "Identity",
    "IncompatibleKeys",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Standardize",
    "Tanh",
    "build_module",
    "describe_module",
    "module_registry",
    "register_module",
]


class Parameter(Tensor):
    """A tensor that is a learnable weight of a :class:`Module` (``requires_grad=True``).

    >>> import numpy as np
    >>> p = Parameter(np.zeros(2, dtype=np.float32))
    >>> p.requires_grad
    True
    """

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (with ``strict=False``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, type[Module]] = {}


def register_module(cls: type[Module] | None = None, *, name: str | None = None) -> Any:
    """Class decorator: allow :func:`convolab.nn.load` to rebuild this module class.

    The class is stored under ``name`` (default: the class name). Loading a model
    file only ever instantiates registered classes, with the JSON arguments saved
    from :meth:`Module.get_config`.

    >>> from convolab import nn
    >>> @nn.register_module
    ... class Twice(nn.Module):
    ...     def forward(self, x):
    ...         return x * 2
    >>> "Twice" in nn.module_registry()
    True
    """

    def deco(c: type[Module]) -> type[Module]:
        if not (isinstance(c, type) and issubclass(c, Module)):
            raise TypeError(f"register_module needs a Module subclass; got {c!r}")
        key = name or c.__name__
        if key in _REGISTRY and _REGISTRY[key] is not c:
            old = _REGISTRY[key]
            if (old.__module__, old.__qualname__) != (c.__module__, c.__qualname__):
                raise ValueError(
                    f"a different module class is already registered as {key!r} "
                    f"({old.__module__}.{old.__qualname__}); pass register_module(name=...)"
                )
        _REGISTRY[key] = c
        c._registered_name = key
        return c

    return deco(cls) if cls is not None else deco


def module_registry() -> dict[str, type[Module]]:
    """A copy of the registry: name -> module class."""
    return dict(_REGISTRY)


def describe_module(module: Module) -> dict[str, Any]:
    """``{"class": name, "config": {...}}``: enough JSON to rebuild ``module``."""
    cls = type(module)
    key = getattr(cls, "_registered_name", None)
    if key is None or _REGISTRY.get(key) is not cls:
        raise TypeError(
            f"module class {cls.__qualname__} is not registered, so it could not be rebuilt "
            "when loading; decorate it with @convolab.nn.register_module"
        )
    return {"class": key, "config": module.get_config()}


def build_module(spec: Any) -> Module:
    """Rebuild a module from :func:`describe_module`'s output (registered classes only)."""
    if not isinstance(spec, dict) or set(spec) != {"class", "config"}:
        raise ValueError(
            f"a module description must be {{'class': ..., 'config': ...}}; got {spec!r}"
        )
    name, config = spec["class"], spec["config"]
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"unknown module class {name!r} in the model description; known: "
            f"{', '.join(sorted(_REGISTRY))} (register custom classes with register_module)"
        )
    if not isinstance(config, dict):
        raise ValueError(f"the config of {name} must be a JSON object; got {config!r}")
    try:
        return _REGISTRY[name].from_config(config)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot rebuild {name} from config {config!r}: {exc}") from exc


def _jsonable(value: Any, where: str) -> Any:
    """``value`` as JSON data (tuples -> lists, dtypes -> names), or a TypeError."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, tuple | list):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v, where) for k, v in value.items()}
    raise TypeError(
        f"{where} = {value!r} ({type(value).__name__}) cannot be stored as JSON; override "
        "get_config() and from_config() for this module"
    )


# --------------------------------------------------------------------------- Module


class Module:
    """Base class of layers and models.

    Assigning a :class:`Parameter` or a ``Module`` to an attribute registers it;
    :meth:`register_buffer` registers non-learnable state (such as batch norm's
    running statistics) that belongs in the ``state_dict``. Subclasses implement
    :meth:`forward`; calling the module calls ``forward``.

    Constructor arguments are recorded automatically (for :meth:`get_config`);
    a subclass whose arguments are not JSON data overrides ``get_config`` and
    ``from_config``.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self, n):
    ...         super().__init__()
    ...         self.scale = nn.Parameter(np.ones(n, dtype=np.float32))
    ...     def forward(self, x):
    ...         return x * self.scale
    >>> m = Affine(3)
    >>> list(m.state_dict())
    ['scale']
    >>> m.get_config()
    {'n': 3}
    """

    training: bool
    _registered_name: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original = cls.__dict__.get("__init__")
        if original is None:
            return
        signature = inspect.signature(original)

        @functools.wraps(original)
        def __init__(self: Module, *args: Any, **kw: Any) -> None:  # noqa: N807
            if "_init_args" not in self.__dict__:  # the most derived constructor records
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                recorded = dict(bound.arguments)
                recorded.pop(next(iter(signature.parameters)))
                object.__setattr__(self, "_init_args", recorded)
            original(self, *args, **kw)

        cls.__init__ = __init__  # type: ignore[method-assign]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        if "_init_args" not in self.__dict__:
            object.__setattr__(self, "_init_args", {})

    # -- attribute registration -------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"call super().__init__() in {type(self).__name__}.__init__ before assigning "
                f"attribute {name!r}"
            )
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter {name!r} "
                    "(a Parameter or None is expected)"
                )
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, np.ndarray):
                raise TypeError(f"buffer {name!r} must be an ndarray or None; got {value!r}")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if any(name in s for s in (self._parameters, self._buffers, self._modules)):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_buffer(self, name: str, array: np.ndarray | None) -> None:
        """Register non-learnable state saved in the ``state_dict`` (e.g. running statistics)."""
        if array is not None and not isinstance(array, np.ndarray):
            raise TypeError(f"buffer {name!r} must be an ndarray or None; got {array!r}")
        self._forget(name)
        self._buffers[name] = array

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register a parameter (``None`` records an absent one, e.g. ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"parameter {name!r} must be a Parameter or None; got {param!r}")
        self._forget(name)
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"child {name!r} must be a Module; got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # -- calling ----------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- traversal --------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, with dotted names (``''`` for this one)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            children = [
                (f"{name}.{n}" if name else n, m) for n, m in mod._modules.items() if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and all below it."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct children."""
        for n, m in self._modules.items():
            if m is not None:
                yield n, m

    def children(self) -> Iterator[Module]:
        """The direct children."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = self.named_modules() if recurse else iter([("", self)])
        for prefix, mod in mods:
            for n, v in getattr(mod, store).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{prefix}.{n}" if prefix else n), v

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, each parameter once, in registration order."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The learnable parameters, each once."""
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` pairs of the registered buffers."""
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        """The registered buffers."""
        for _, b in self.named_buffers(recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every module below and including this one; return self."""
        for m in self.modules():
            fn(m)
        return self

    # -- state ------------------------------------------------------------------------
    def _state_items(self) -> Iterator[tuple[str, Module, str, str]]:
        """(full name, owner, kind, local name) for each state entry, PyTorch's order."""
        for prefix, mod in self.named_modules():
            for kind in ("_parameters", "_buffers"):
                for n, v in getattr(mod, kind).items():
                    if v is not None:
                        yield (f"{prefix}.{n}" if prefix else n), mod, kind, n

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of all parameters and buffers by dotted name (``0.weight``, ...).

        >>> from convolab import nn
        >>> list(nn.BatchNorm1d(2).state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
        """
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for full, mod, kind, n in self._state_items():
            v = getattr(mod, kind)[n]
            out[full] = np.array(v.data if isinstance(v, Tensor) else v, copy=True)
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers.

        Values are converted to each parameter's dtype. Shapes must match exactly.

        Parameters
        ----------
        state_dict : mapping of name -> array
        strict : bool, default True
            Require the keys to match exactly.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)`` (both empty when ``strict``).

        Raises
        ------
        ValueError
            Listing missing keys and unexpected keys (when ``strict``) and any
            shape mismatch (always).
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"`state_dict` must be a mapping; got {type(state_dict).__name__}")
        own = {full: (mod, kind, n) for full, mod, kind, n in self._state_items()}
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        values = {}
        for key, (mod, kind, n) in own.items():
            if key not in state_dict:
                continue
            current = getattr(mod, kind)[n]
            target = current.data if isinstance(current, Tensor) else current
            v = state_dict[key]
            arr = np.asarray(v.data if isinstance(v, Tensor) else v)
            if arr.shape != target.shape:
                problems.append(
                    f"{key!r} has shape {arr.shape} in the state dict but {target.shape} "
                    "in the model"
                )
                continue
            if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
                problems.append(f"{key!r} holds non-numeric data of dtype {arr.dtype}")
                continue
            values[key] = np.array(arr, dtype=target.dtype, copy=True)
        if problems:
            raise ValueError(
                f"cannot load state dict into {type(self).__name__}: " + "; ".join(problems)
            )
        for key, arr in values.items():
            mod, kind, n = own[key]
            if kind == "_parameters":
                mod._parameters[n].data = arr
            else:
                mod._buffers[n] = arr
        return IncompatibleKeys(missing, unexpected)

    def train(self, mode: bool = True) -> Module:
        """Set training mode (batch statistics, active dropout) here and below."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode (running statistics, no dropout); same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (``False``) or unfreeze all parameters."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # -- config -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as JSON data (what :meth:`from_config` takes)."""
        name = type(self).__name__
        return {k: _jsonable(v, f"{name} argument {k!r}") for k, v in self._init_args.items()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """Build the module from :meth:`get_config`'s output."""
        return cls(**config)

    # -- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for n, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({n}): {child}")
        main = type(self).__name__ + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def _repr_html_(self) -> str:  # notebooks: the summary table (and a conv layer's kernels)
        from convolab._html import module_html

        return module_html(self)


# --------------------------------------------------------------------------- containers


@register_module
class Sequential(Module):
    """Modules applied one after another; indexable, iterable, printable.

    >>> from convolab import nn
    >>> seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> seq
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
    )
    >>> seq[1]
    ReLU()
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules; argument {i} is {type(m).__name__}")
            self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*items[index])
        if not isinstance(index, numbers.Integral):
            raise TypeError(f"Sequential indices must be ints or slices; got {index!r}")
        if not -len(items) <= index < len(items):
            raise IndexError(f"index {index} is out of range for Sequential of length {len(items)}")
        return items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"layers": [describe_module(m) for m in self._modules.values()]}
        names = list(self._modules)
        if names != [str(i) for i in range(len(names))]:
            config["names"] = names  # children named like a torch OrderedDict Sequential
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        layers = config.get("layers")
        names = config.get("names")
        if (
            not set(config) <= {"layers", "names"}
            or not isinstance(layers, list)
            or not (
                names is None
                or (
                    isinstance(names, list)
                    and len(names) == len(layers)
                    and len(set(names)) == len(names)
                    and all(isinstance(n, str) and n and "." not in n for n in names)
                )
            )
        ):
            raise ValueError(
                "Sequential config must be {'layers': [...]} with optional unique 'names'; "
                f"got {config!r}"
            )
        seq = cls()
        for i, spec in enumerate(layers):
            seq.add_module(names[i] if names else str(i), build_module(spec))
        return seq


# --------------------------------------------------------------------------- layers


def _check_positive_int(value: Any, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"`{name}` must be a positive int; got {value!r}")
    return int(value)


def _tuple_if_list(value: Any) -> Any:
    """JSON gives lists back where tuples went in; keep the tuple spelling."""
    return tuple(value) if isinstance(value, list) else value


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"`dtype` must be a floating dtype such as 'float32'; got {dtype!r}"
        ) from None
    if dt.kind != "f":
        raise TypeError(f"`dtype` must be a floating dtype such as 'float32'; got {dtype!r}")
    return dt


class _ConvNd(Module):
    _dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        m = self._dims
        self.in_channels = _check_positive_int(in_channels, "in_channels")
        self.out_channels = _check_positive_int(out_channels, "out_channels")
        self.groups = _check_positive_int(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"`groups`={groups} must divide in_channels ({in_channels}) and out_channels "
                f"({out_channels})"
            )
        self.kernel_size = F._ntuple(kernel_size, m, "kernel_size")
        self.stride = F._ntuple(stride, m, "stride")
        self.dilation = F._ntuple(dilation, m, "dilation")
        if isinstance(padding, str):
            F._conv_pads(padding, m, self.kernel_size, self.dilation, self.stride)
            self.padding: Any = padding
        else:
            self.padding = F._ntuple(padding, m, "padding", minimum=0)
        if padding_mode != "zeros":
            raise ValueError(f"`padding_mode` must be 'zeros'; got {padding_mode!r}")
        self.padding_mode = padding_mode
        dt = _float_dtype(dtype)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: He uniform with ``a = sqrt(5)``; bias ``U(+-1/sqrt(fan_in))``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(init._fans(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        fn = (F.conv1d, F.conv2d, F.conv3d)[self._dims - 1]
        return fn(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


@register_module
class Conv1d(_ConvNd):
    """1D convolution layer (a cross-correlation); see :class:`Conv2d`.

    Shape: ``(N, C_in, L) -> (N, C_out, floor((L + 2p - d (k - 1) - 1) / s) + 1)``.

    >>> from convolab import nn
    >>> nn.Conv1d(1, 8, 5, padding=2)
    Conv1d(1, 8, kernel_size=(5,), stride=(1,), padding=(2,))
    """

    _dims = 1


@register_module
class Conv2d(_ConvNd):
    r"""2D convolution layer. It computes a cross-correlation (the kernel is not flipped).

    .. math:: y[n, o] = b[o] + \sum_{c} w[o, c] \star x[n, c]

    with ``star`` the 2D cross-correlation of :func:`convolab.nn.functional.conv2d`
    (stride, padding, dilation, groups), run forward and backward on
    :func:`convolab.conv_nd`.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or pair
    stride, dilation : int or pair, default 1
    padding : int, pair, 'valid' or 'same', default 0
    groups : int, default 1
    bias : bool, default True
    padding_mode : 'zeros'
    dtype : floating dtype, default float32

    Notes
    -----
    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with
    ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``.
    Weights start as in PyTorch (He uniform with ``a = sqrt(5)``), drawn from
    :func:`convolab.nn.init.default_generator`.

    Examples
    --------
    >>> from convolab import nn
    >>> nn.Conv2d(1, 6, 5, padding=2)
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """

    _dims = 2

    @classmethod
    def from_kernel(
        cls,
        kernel: Any,
        *,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        trainable: bool = False,
        dtype: Any = None,
    ) -> Conv2d:
        """A fixed layer whose weight is a classic image kernel (no bias).

        ``kernel`` of shape ``(kH, kW)`` gives one input and one output channel;
        ``(C_out, kH, kW)`` stacks several kernels applied to one input channel;
        a 4D array is used as the weight itself. The layer correlates, so it
        equals :func:`convolab.correlate` with the same kernel (for a true
        convolution flip the kernel first). The weight is frozen unless
        ``trainable``. ``dtype`` defaults to the kernel's floating dtype.

        >>> import numpy as np
        >>> from convolab import nn
        >>> layer = nn.Conv2d.from_kernel(np.array([[-1.0, 0.0, 1.0]]))
        >>> layer(np.array([[[[1.0, 2.0, 4.0, 8.0]]]])).data
        array([[[[3., 6.]]]])
        """
        k = np.asarray(kernel)
        if k.ndim == 2:
            k = k[None, None]
        elif k.ndim == 3:
            k = k[:, None]
        elif k.ndim != 4:
            raise ValueError(
                f"`kernel` must have shape (kH, kW), (C_out, kH, kW) or (C_out, C_in, kH, kW); "
                f"got {k.shape}"
            )
        if dtype is None:
            dtype = k.dtype if k.dtype.kind == "f" else np.float64
        layer = cls(
            k.shape[1],
            k.shape[0],
            k.shape[2:],
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=False,
            dtype=dtype,
        )
        layer.weight.data = np.array(k, dtype=layer.weight.dtype, copy=True)
        layer.weight.requires_grad = bool(trainable)
        return layer


@register_module
class Conv3d(_ConvNd):
    """3D convolution layer (a cross-correlation); see :class:`Conv2d`.

    >>> from convolab import nn
    >>> nn.Conv3d(2, 4, 3)
    Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))
    """

    _dims = 3


@register_module
class Linear(Module):
    r"""Fully connected layer ``y = x W^T + b``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    dtype : floating dtype, default float32

    Notes
    -----
    Shape: ``(*, in_features) -> (*, out_features)``. Initialization as in
    PyTorch: ``U(+-1/sqrt(in_features))`` for weight and bias.

    Examples
    --------
    >>> from convolab import nn
    >>> nn.Linear(120, 84)
    Linear(in_features=120, out_features=84, bias=True)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = "float32"
    ) -> None:
        super().__init__()
        self.in_features = _check_positive_int(in_features, "in_features")
        self.out_features = _check_positive_int(out_features, "out_features")
        dt = _float_dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``U(-1/sqrt(in), 1/sqrt(in))`` for weight and bias (PyTorch's default)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class _MaxPoolNd(Module):
    _dims = 2

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
    ) -> None:
        super().__init__()
        m = self._dims
        F._ntuple(kernel_size, m, "kernel_size")
        F._ntuple(padding, m, "padding", minimum=0)
        F._ntuple(dilation, m, "dilation")
        if stride is not None:
            F._ntuple(stride, m, "stride")
        self.kernel_size = _tuple_if_list(kernel_size)
        self.stride = self.kernel_size if stride is None else _tuple_if_list(stride)
        self.padding, self.dilation = _tuple_if_list(padding), _tuple_if_list(dilation)

    def forward(self, x: Any) -> Tensor:
        fn = F.max_pool1d if self._dims == 1 else F.max_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode=False"
        )


@register_module
class MaxPool1d(_MaxPoolNd):
    """1D max pooling; see :func:`convolab.nn.functional.max_pool1d`.

    >>> from convolab import nn
    >>> nn.MaxPool1d(2)
    MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _dims = 1


@register_module
class MaxPool2d(_MaxPoolNd):
    """2D max pooling; see :func:`convolab.nn.functional.max_pool2d`.

    Shape: ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``, same for W.

    >>> from convolab import nn
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _dims = 2


class _AvgPoolNd(Module):
    _dims = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        m = self._dims
        F._ntuple(kernel_size, m, "kernel_size")
        F._ntuple(padding, m, "padding", minimum=0)
        if stride is not None:
            F._ntuple(stride, m, "stride")
        self.kernel_size = _tuple_if_list(kernel_size)
        self.stride = self.kernel_size if stride is None else _tuple_if_list(stride)
        self.padding, self.count_include_pad = _tuple_if_list(padding), bool(count_include_pad)

    def forward(self, x: Any) -> Tensor:
        fn = F.avg_pool1d if self._dims == 1 else F.avg_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding, False, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@register_module
class AvgPool1d(_AvgPoolNd):
    """1D average pooling; see :func:`convolab.nn.functional.avg_pool1d`.

    >>> from convolab import nn
    >>> nn.AvgPool1d(3, stride=1)
    AvgPool1d(kernel_size=3, stride=1, padding=0)
    """

    _dims = 1


@register_module
class AvgPool2d(_AvgPoolNd):
    """2D average pooling; see :func:`convolab.nn.functional.avg_pool2d`.

    >>> from convolab import nn
    >>> nn.AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    _dims = 2


@register_module
class AdaptiveAvgPool1d(Module):
    """Average over ``output_size`` bins (see :func:`convolab.nn.functional.adaptive_avg_pool1d`).

    >>> from convolab import nn
    >>> nn.AdaptiveAvgPool1d(1)
    AdaptiveAvgPool1d(output_size=1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _tuple_if_list(output_size)

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


@register_module
class AdaptiveAvgPool2d(Module):
    """Average over ``output_size`` bins per axis; ``AdaptiveAvgPool2d(1)`` is global pooling.

    >>> from convolab import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))
    AdaptiveAvgPool2d(output_size=(1, 1))
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _tuple_if_list(output_size)

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _BatchNorm(Module):
    _ndims: tuple[int, ...] = (4,)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        self.num_features = _check_positive_int(num_features, "num_features")
        if not isinstance(eps, numbers.Real) or eps <= 0:
            raise ValueError(f"`eps` must be a positive number; got {eps!r}")
        if momentum is not None and (
            not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1
        ):
            raise ValueError(f"`momentum` must be in [0, 1] or None; got {momentum!r}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dt = _float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dt))
            self.bias = Parameter(np.zeros(num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dt))
            self.register_buffer("running_var", np.ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expects input with "
                f"{' or '.join(map(str, self._ndims))} dimensions and {self.num_features} "
                f"channels on axis 1; got shape {x.shape}"
            )
        use_batch = self.training or self.running_mean is None
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        rm = self.running_mean if (self.training or not use_batch) else None
        rv = self.running_var if (self.training or not use_batch) else None
        return F.batch_norm(x, rm, rv, self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


@register_module
class BatchNorm1d(_BatchNorm):
    r"""Batch normalization of ``(N, C)`` or ``(N, C, L)`` inputs per channel.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with batch statistics in
    training (updating ``running_mean``/``running_var`` with ``momentum``) and the
    running statistics in eval; see :func:`convolab.nn.functional.batch_norm`.

    >>> from convolab import nn
    >>> nn.BatchNorm1d(84)
    BatchNorm1d(84, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    _ndims = (2, 3)


@register_module
class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` inputs per channel; see :class:`BatchNorm1d`.

    >>> from convolab import nn
    >>> nn.BatchNorm2d(6)
    BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    _ndims = (4,)


@register_module
class Dropout(Module):
    """Zero elements with probability ``p`` in training, scaling the rest by ``1/(1-p)``.

    Masks come from :func:`convolab.nn.init.default_generator` (seed it with
    :func:`convolab.nn.init.manual_seed`). In eval mode this is the identity.

    >>> from convolab import nn
    >>> nn.Dropout(0.25)
    Dropout(p=0.25, inplace=False)
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"`p` must be a probability in [0, 1]; got {p!r}")
        self.p = float(p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, generator=init.default_generator())

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


@register_module
class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (default: all but the batch axis).

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.Flatten()(np.zeros((2, 16, 5, 5))).shape
    (2, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


@register_module
class Standardize(Module):
    r"""``(x - mean[c]) / std[c]`` per channel (axis 1): the inputs' normalization, inside
    the model, so that a saved model takes raw inputs (images in [0, 1]).

    ``mean`` and ``std`` are constants (a number for every channel, or one per
    channel), usually the training data's; they are saved with the model and are
    not trained. LeCun et al. (1998) normalized LeNet-5's inputs to mean 0 and
    variance about 1 the same way.

    >>> import numpy as np
    >>> from convolab import nn
    >>> layer = nn.Standardize(0.5, 0.25)
    >>> layer(np.array([[[0.0, 0.5, 1.0]]], np.float32)).data
    array([[[-2.,  0.,  2.]]], dtype=float32)
    >>> nn.Standardize([0.1, 0.2], [1.0, 2.0])
    Standardize(mean=[0.1, 0.2], std=[1.0, 2.0])
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        super().__init__()
        m = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        sd = np.atleast_1d(np.asarray(std, dtype=np.float64))
        got = f"got mean={mean!r}, std={std!r}"
        if m.ndim != 1 or sd.ndim != 1 or not m.size or not sd.size:
            raise ValueError(f"`mean` and `std` must be numbers or 1D sequences; {got}")
        if not (np.isfinite(m).all() and np.isfinite(sd).all() and (sd > 0).all()):
            raise ValueError(f"`mean` must be finite and `std` finite and > 0; {got}")
        if m.size != sd.size and 1 not in (m.size, sd.size):
            raise ValueError(f"`mean` and `std` must have one value per channel; {got}")
        self.mean, self.std = [float(v) for v in m], [float(v) for v in sd]

    def forward(self, x: Any) -> Tensor:
        t = x if isinstance(x, Tensor) else Tensor(x)
        channels = max(len(self.mean), len(self.std))
        if t.ndim < 2 or (channels > 1 and t.shape[1] != channels):
            raise ValueError(
                f"Standardize with {channels} channel(s) expects (N, C, ...) input with "
                f"C = {channels}; got shape {t.shape}"
            )
        dtype = t.dtype if np.issubdtype(t.dtype, np.floating) else np.float32
        shape = (1, -1) + (1,) * (t.ndim - 2)
        m = np.asarray(self.mean, dtype).reshape(shape)
        inv = (1.0 / np.asarray(self.std, np.float64)).astype(dtype).reshape(shape)
        return (t - Tensor(m)) * Tensor(inv)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


@register_module
class Identity(Module):
    """Returns its input.

    >>> from convolab import nn
    >>> nn.Identity()
    Identity()
    """

    def forward(self, x: Any) -> Any:
        return x


@register_module
class ReLU(Module):
    """``max(x, 0)``.

    >>> from convolab import nn
    >>> nn.ReLU()([-1.0, 2.0]).data
    array([0., 2.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


@register_module
class LeakyReLU(Module):
    """``x`` if ``x > 0`` else ``negative_slope * x``.

    >>> from convolab import nn
    >>> nn.LeakyReLU(0.1)
    LeakyReLU(negative_slope=0.1)
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


@register_module
class Sigmoid(Module):
    """``1 / (1 + exp(-x))``.

    >>> from convolab import nn
    >>> nn.Sigmoid()([0.0]).data
    array([0.5])
    """

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


@register_module
class Tanh(Module):
    """Hyperbolic tangent.

    >>> from convolab import nn
    >>> nn.Tanh()([0.0]).data
    array([0.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


@register_module
class Softmax(Module):
    """Softmax along ``dim`` (default the last axis).

    >>> from convolab import nn
    >>> nn.Softmax(dim=1)
    Softmax(dim=1)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


@register_module
class LogSoftmax(Module):
    """Log-softmax along ``dim`` (default the last axis).

    >>> from convolab import nn
    >>> nn.LogSoftmax(dim=1)
    LogSoftmax(dim=1)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
