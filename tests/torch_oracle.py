"""PyTorch as the oracle: compare a convolab op with its torch twin, values and gradients."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from convolab.nn import Tensor


def assert_matches_torch(
    torch,
    ours: Callable,
    theirs: Callable,
    arrays: Sequence[np.ndarray],
    *,
    seed: int = 0,
    atol: float = 1e-10,
    rtol: float = 1e-9,
    wrt: Sequence[int] | None = None,
) -> None:
    """``ours(*Tensors)`` equals ``theirs(*torch tensors)`` in value and in every gradient.

    The gradients are those of ``sum(f(...) * G)`` for one random ``G`` (float64).
    ``wrt`` lists the arrays to differentiate (default: all).
    """
    wrt = range(len(arrays)) if wrt is None else wrt
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    t_out = theirs(*t_in)
    cot = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(cot))
    c_in = [Tensor(a.copy(), requires_grad=i in wrt) for i, a in enumerate(arrays)]
    c_out = ours(*c_in)
    assert c_out.shape == tuple(t_out.shape), (c_out.shape, tuple(t_out.shape))
    np.testing.assert_allclose(c_out.data, t_out.detach().numpy(), atol=atol, rtol=rtol)
    c_out.backward(cot)
    for i in wrt:
        np.testing.assert_allclose(
            c_in[i].grad, t_in[i].grad.numpy(), atol=atol, rtol=rtol, err_msg=f"gradient {i}"
        )
