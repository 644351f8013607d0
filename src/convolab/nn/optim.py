"""Optimizers (SGD, Adam, AdamW), learning-rate schedules and gradient clipping.

The update rules and hyper-parameter names are PyTorch's. Parameters are
updated in place, in their own dtype (float32 stays float32). Parameters may be
given as an iterable of tensors or as a list of groups
``[{"params": [...], "lr": ...}, ...]`` with per-group settings.

>>> import numpy as np
>>> from convolab.nn import Parameter, optim
>>> w = Parameter(np.array([1.0, -2.0]))
>>> opt = optim.SGD([w], lr=0.5)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.data
array([0., 0.])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from convolab._jit import optim as _optim_compiled
from convolab.nn.tensor import Tensor

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LRScheduler",
    "Optimizer",
    "StepLR",
    "clip_grad_norm",
    "clip_grad_norm_",
]


def _check_number(value: Any, name: str, low: float = 0.0, high: float | None = None) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise TypeError(f"`{name}` must be a finite number; got {value!r}")
    if value < low or (high is not None and value >= high):
        rng = f"[{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"`{name}` must be {rng}; got {value!r}")
    return float(value)


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("`params` must be an iterable of tensors (e.g. model.parameters())")
        items = list(params)
        if not items:
            raise ValueError("`params` is empty: the optimizer has nothing to update")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        seen: set[int] = set()
        for g in groups:
            if not isinstance(g, dict) or "params" not in g:
                raise TypeError(f"a parameter group must be a dict with 'params'; got {g!r}")
            unknown = set(g) - set(defaults) - {"params"}
            if unknown:
                raise ValueError(f"unknown options {sorted(unknown)} in a parameter group")
            group = {**self.defaults, **g}
            ps = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
            for p in ps:
                if not isinstance(p, Tensor):
                    raise TypeError(f"parameters must be Tensors; got {type(p).__name__}")
                if id(p) in seen:
                    raise ValueError("a parameter appears more than once in `params`")
                seen.add(id(p))
            group["params"] = ps
            self._validate(group)
            self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        _check_number(group["lr"], "lr")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (or zero them in place when ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.data)

    def step(self) -> None:  # pragma: no cover - abstract
        """Update the parameters from their ``.grad``."""
        raise NotImplementedError

    def _params_with_grad(self, group: dict[str, Any]) -> Iterable[tuple[Tensor, np.ndarray]]:
        for p in group["params"]:
            if p.grad is not None:
                yield p, p.grad.astype(p.dtype, copy=False)

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and per-parameter state (arrays), parameters by position."""
        index = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index[id(p)] = len(index)
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {
            index[k]: {n: np.array(v, copy=True) for n, v in s.items()}
            for k, s in self.state.items()
            if k in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (same parameters, same order)."""
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError("`state_dict` does not match this optimizer's parameter groups")
        params = [p for g in self.param_groups for p in g["params"]]
        for g, saved in zip(self.param_groups, groups, strict=True):
            if len(saved.get("params", ())) != len(g["params"]):
                raise ValueError("`state_dict` has a different number of parameters in a group")
            g.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict.get("state", {}).items():
            p = params[int(i)]
            # scalars (step counts) stay Python numbers so float32 updates stay float32
            self.state[id(p)] = {
                n: np.array(v, copy=True) if np.ndim(v) else np.asarray(v).item()
                for n, v in s.items()
            }


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

    .. math::
        g &\leftarrow \nabla_p L + \lambda p \\
        b &\leftarrow \mu b + (1 - \tau) g \quad (b = g \text{ at the first step}) \\
        p &\leftarrow p - \eta\,(g + \mu b \text{ if Nesterov else } b)

    Parameters
    ----------
    params : iterable of Tensor or of parameter groups
    lr : float
    momentum : float, default 0
    dampening : float, default 0
    weight_decay : float, default 0
    nesterov : bool, default False
        Needs ``momentum > 0`` and ``dampening = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab.nn import Parameter, optim
    >>> w = Parameter(np.array([1.0]))
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = np.array([1.0])
    ...     opt.step()
    >>> w.data  # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    array([0.71])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _check_number(group["momentum"], "momentum")
        _check_number(group["dampening"], "dampening")
        _check_number(group["weight_decay"], "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("`nesterov=True` needs momentum > 0 and dampening = 0")

    def step(self) -> None:
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            for p, g in self._params_with_grad(group):
                if wd:
                    g = g + wd * p.data
                if mu:
                    state = self.state.setdefault(id(p), {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.array(g, copy=True)
                    else:
                        buf *= mu
                        buf += (1 - group["dampening"]) * g
                    g = g + mu * buf if group["nesterov"] else buf
                p.data -= lr * g


class Adam(Optimizer):
    r"""Adam (Kingma & Ba): per-parameter steps from running moments of the gradient.

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1) g,\qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        p &\leftarrow p - \eta\, \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    with ``g = grad + weight_decay * p`` (L2 penalty; see :class:`AdamW` for
    decoupled decay) and, with ``amsgrad``, ``v`` replaced by its running maximum.

    Parameters
    ----------
    params : iterable of Tensor or of parameter groups
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    amsgrad : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from convolab.nn import Parameter, optim
    >>> w = Parameter(np.array([1.0, -1.0]))
    >>> opt = optim.Adam([w], lr=0.1)
    >>> w.grad = np.array([3.0, -0.5])
    >>> opt.step()
    >>> np.round(w.data, 6)  # the first step moves each weight by lr
    array([ 0.9, -0.9])
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        betas = group["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"`betas` must be a pair of numbers; got {betas!r}")
        for i, b in enumerate(betas):
            _check_number(b, f"betas[{i}]", 0.0, 1.0)
        _check_number(group["eps"], "eps")
        _check_number(group["weight_decay"], "weight_decay")

    def step(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in self._params_with_grad(group):
                if wd and self._decoupled:
                    p.data *= 1 - lr * wd
                elif wd:
                    g = g + wd * p.data
                state = self.state.setdefault(id(p), {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                step_size, c2 = lr / (1 - b1**t), math.sqrt(1 - b2**t)
                if not group["amsgrad"] and _optim_compiled.available(p.data, g, m, v):
                    _optim_compiled.adam_update(p.data, g, m, v, (b1, b2), step_size, c2, eps)
                    continue
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * (g * g)
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                denom = np.sqrt(v) / c2
                denom += eps
                p.data -= step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter): ``p <- p (1 - lr wd)``
    before the Adam step, instead of adding ``wd p`` to the gradient.

    Same parameters as :class:`Adam`, with ``weight_decay`` defaulting to 0.01.

    >>> import numpy as np
    >>> from convolab.nn import Parameter, optim
    >>> w = Parameter(np.array([1.0]))
    >>> w.grad = np.array([0.0])
    >>> optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> w.data
    array([0.95])
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


# --------------------------------------------------------------------------- schedules


class LRScheduler:
    """Base class: sets each group's ``lr`` from its initial value and the epoch count."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"`optimizer` must be an Optimizer; got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = 0

    def get_lr(self) -> list[float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and update the learning rates."""
        self.last_epoch += 1
        for g, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            g["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rates now in use."""
        return [g["lr"] for g in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** floor(epoch / step_size)``.

    >>> import numpy as np
    >>> from convolab.nn import Parameter, optim
    >>> opt = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step()
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"`step_size` must be a positive int; got {step_size!r}")
        self.step_size, self.gamma = int(step_size), _check_number(gamma, "gamma")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""``lr = eta_min + (initial_lr - eta_min) (1 + cos(pi t / T_max)) / 2``.

    >>> import numpy as np
    >>> from convolab.nn import Parameter, optim
    >>> opt = optim.SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> sched = optim.CosineAnnealingLR(opt, T_max=2)
    >>> sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if not isinstance(T_max, numbers.Integral) or T_max < 1:
            raise ValueError(f"`T_max` must be a positive int; got {T_max!r}")
        self.T_max, self.eta_min = int(T_max), _check_number(eta_min, "eta_min")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]


# --------------------------------------------------------------------------- clipping


def clip_grad_norm(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0
) -> float:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    The norm is ``(sum_p ||grad_p||_q^q)^(1/q)`` over all parameters
    (``q = inf``: the largest absolute value). Gradients are multiplied by
    ``max_norm / (norm + 1e-6)`` when that is below 1. Returns the norm before
    clipping.

    >>> import numpy as np
    >>> from convolab.nn import Parameter, optim
    >>> p = Parameter(np.zeros(2))
    >>> p.grad = np.array([3.0, 4.0])
    >>> optim.clip_grad_norm([p], 1.0)
    5.0
    >>> np.round(p.grad, 4)
    array([0.6, 0.8])
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    max_norm = _check_number(max_norm, "max_norm")
    if not isinstance(norm_type, numbers.Real) or norm_type <= 0:
        raise ValueError(f"`norm_type` must be a positive number or inf; got {norm_type!r}")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = float(
            sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)
        ) ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            if p.grad is not None:
                p.grad = (p.grad * coef).astype(p.grad.dtype, copy=False)
    return total


clip_grad_norm_ = clip_grad_norm
