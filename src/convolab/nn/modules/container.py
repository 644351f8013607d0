"""Containers of modules: :class:`Sequential` (applied in turn) and :class:`ModuleList`."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator
from typing import Any

from convolab.nn.modules.module import Module, build_module, describe_module, register_module

__all__ = [
    "ModuleList",
    "Sequential",
]


# --------------------------------------------------------------------------- containers


class _Ordered(Module):
    """Children in order, named ``"0"``, ``"1"``, ...: indexing, slicing, length, iteration,
    ``append``/``extend``, and a config that lists the children."""

    kind = "container"

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)().extend(items[index])
        if not isinstance(index, numbers.Integral):
            raise TypeError(f"{type(self).__name__} indices must be ints or slices; got {index!r}")
        if not -len(items) <= index < len(items):
            raise IndexError(
                f"index {index} is out of range for {type(self).__name__} of length {len(items)}"
            )
        return items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> Any:
        """Add ``module`` at the end."""
        return self.extend([module])

    def extend(self, modules: Iterable[Module]) -> Any:
        """Add each of ``modules`` at the end, in order."""
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"{type(self).__name__} takes Modules; argument {i} is {type(m).__name__}"
                )
            self.add_module(str(len(self)), m)
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
                f"{cls.__name__} config must be {{'layers': [...]}} with optional unique "
                f"'names'; got {config!r}"
            )
        container = cls()
        for i, spec in enumerate(layers):
            container.add_module(names[i] if names else str(i), build_module(spec))
        return container


@register_module
class Sequential(_Ordered):
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
        self.extend(modules)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x


@register_module
class ModuleList(_Ordered):
    """A list of modules whose parameters belong to the module that holds it, as PyTorch's.

    It has no ``forward``: the holder decides how its layers are applied.

    >>> import numpy as np
    >>> from convolab import nn
    >>> class Tower(nn.Module):
    ...     def __init__(self, depth):
    ...         super().__init__()
    ...         self.blocks = nn.ModuleList(nn.Linear(4, 4) for _ in range(depth))
    ...     def forward(self, x):
    ...         for block in self.blocks:
    ...             x = x + nn.functional.relu(block(x))
    ...         return x
    >>> tower = Tower(3)
    >>> len(tower.blocks), list(tower.state_dict())[:2]
    (3, ['blocks.0.weight', 'blocks.0.bias'])
    >>> tower(np.zeros((2, 4), dtype=np.float32)).shape
    (2, 4)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self.extend(modules or ())
