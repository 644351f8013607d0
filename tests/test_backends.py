"""The backend seam: the engine's entry points and nn.Tensor reach the array library
through the one namespace of convolab.backends."""

from __future__ import annotations

import numpy as np
import pytest

import convolab
from convolab import backends
from convolab.nn import Tensor


class Marked(np.ndarray):
    """Arrays of a stand-in library (a NumPy subclass, so NumPy's methods still run)."""


class SpyNamespace:
    """NumPy's namespace, recording which arrays went through ``asarray``."""

    def __init__(self):
        self.seen = []

    def __getattr__(self, name):
        return getattr(np, name)

    def asarray(self, a, dtype=None):
        self.seen.append(type(a).__name__)
        return np.asarray(a, dtype=dtype)


@pytest.fixture
def spy(monkeypatch):
    xp = SpyNamespace()
    backend = backends.Backend("spy", lambda a: isinstance(a, Marked), xp,
                               methods=("direct", "fft"))  # fmt: skip
    monkeypatch.setattr(backends, "_OTHERS", [])
    backends.register(backend)
    return xp


def test_numpy_is_the_default():
    assert backends.backend_of(np.ones(3), [1, 2], 3.0, None) is backends.NUMPY
    assert backends.array_namespace(np.ones(3)) is np


def test_entry_points_and_tensor_ask_the_namespace(spy):
    x = np.arange(12.0).view(Marked)
    convolab.correlate(x, [1.0, 2.0, 3.0], "same")
    assert spy.seen.count("Marked") == 1
    convolab.conv_nd(x.reshape(1, 1, 12), np.ones((2, 1, 3)).view(Marked))
    assert spy.seen.count("Marked") == 3
    Tensor(x)
    assert spy.seen.count("Marked") == 4
    assert len(spy.seen) == 5  # the kernel list of the first call too
    convolab.correlate(np.arange(12.0), [1.0, 2.0])  # plain arrays: NumPy's namespace
    assert len(spy.seen) == 5


def test_a_backend_restricts_the_methods(spy):
    x = np.random.default_rng(0).random((64, 64)).view(Marked)
    method, reason = convolab.choose_method(x, np.ones((5, 5)), "same")
    assert method in ("direct", "fft")
    assert "gemm" not in reason and "separable" not in reason
    with pytest.raises(ValueError, match="`method` must be one of 'auto', 'direct', 'fft'; "):
        convolab.correlate(x, np.ones((3, 3)), method="gemm")


def test_two_backends_in_one_call_are_refused(spy, monkeypatch):
    class Other(np.ndarray):
        pass

    backends.register(backends.Backend("other", lambda a: isinstance(a, Other), np))
    with pytest.raises(TypeError, match="two backends"):
        convolab.correlate(np.ones(4).view(Marked), np.ones(2).view(Other))
