"""Containers of modules: :class:`Sequential`."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

from convolab.nn.modules.module import Module, build_module, describe_module, register_module

__all__ = [
    "Sequential",
]


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

    kind = "container"

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
