"""The :class:`Module` base class, :class:`Parameter` and the registry of layer classes."""

from __future__ import annotations

import functools
import inspect
import numbers
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, NamedTuple

import numpy as np

from convolab.nn.modules.kind import Window
from convolab.nn.tensor import Tensor

__all__ = [
    "IncompatibleKeys",
    "Module",
    "Parameter",
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
    #: What the layer is, one of :data:`convolab.nn.modules.kind.KINDS`; a class declares it.
    kind: ClassVar[str] = "other"

    def window(self) -> Window | None:
        """Where the layer's sliding window lies (convolutions, poolings), else None."""
        return None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original = cls.__dict__.get("__init__")
        if original is None:
            return
        signature = inspect.signature(original)

        @functools.wraps(original)
        def __init__(self: Module, *args: Any, **kw: Any) -> None:  # noqa: N807
            if "_init_args" not in self.__dict__:  # the most derived constructor records
                try:
                    bound = signature.bind(self, *args, **kw)
                except TypeError as exc:  # as Python words it, with the class's name
                    raise TypeError(f"{type(self).__name__}(): {exc}") from None
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
