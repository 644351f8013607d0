"""The engine's rules, each in one home: boundaries (conv.boundary) and geometry (conv.geometry).

The boundary registry is checked against numpy.pad (its documented meaning) and the
plain-loop oracle; every user of a rule is checked to reach it (an unknown name is an
error everywhere, never a fall-through); a rule added to the registry alone works in
every method; and the sizes the engine, ``output_shape`` and ``explain`` report agree.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convolab
from convolab.conv import boundary as rules
from convolab.conv import geometry
from convolab.conv.methods.direct import fill_slab
from convolab.explain import explain
from oracle import boundary_index, correlate_ref

METHODS = ("direct", "fft", "separable", "gemm")


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(rules.BOUNDARIES),
    n=st.integers(1, 9),
    before=st.integers(0, 25),
    after=st.integers(0, 25),
)
def test_index_map_is_numpy_pad(name, n, before, after):
    got = rules.source_index(n, before, after, name)
    kw = {"constant_values": -1} if name == "constant" else {}
    want = np.pad(np.arange(n), (before, after), mode=rules.REGISTRY[name].numpy_mode, **kw)
    np.testing.assert_array_equal(got, want)
    loops = [boundary_index(j - before, n, name) for j in range(before + n + after)]
    assert got.tolist() == [-1 if i is None else i for i in loops]


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(rules.BOUNDARIES),
    n=st.integers(1, 7),
    before=st.integers(0, 12),
    first=st.integers(0, 30),
    count=st.integers(0, 12),
)
def test_border_index_is_a_window_of_source_index(name, n, before, first, count):
    full = rules.source_index(n, before, first + count, name)
    np.testing.assert_array_equal(
        rules.border_index(n, before, name, first, count), full[first : first + count]
    )


@pytest.mark.parametrize("name", rules.BOUNDARIES)
def test_pad_is_numpy_pad(name):
    x = np.arange(12.0).reshape(3, 4)
    want = np.pad(x, ((2, 5), (7, 1)), **rules.pad_args(name, 9.0))
    np.testing.assert_array_equal(rules.pad(x, [(2, 5), (7, 1)], name, 9.0), want)
    assert rules.pad(x, [(0, 0)], name) is x


def test_unknown_boundary_never_falls_through():
    for call in (
        lambda: rules.check_boundary("bogus"),
        lambda: rules.border_index(4, 2, "bogus", 0, 8),
        lambda: rules.source_index(4, 2, 2, "bogus"),
        lambda: rules.pad(np.ones(3), [(1, 1)], "bogus"),
        lambda: rules.pad_args("bogus"),
        lambda: fill_slab(np.ones((3, 3)), 0, [(1, 1), (1, 1)], "bogus", 0, 5),
        lambda: convolab.correlate(np.ones(5), np.ones(3), "same", boundary="bogus"),
        lambda: explain([1, 2, 3], [1, 1], boundary="bogus"),
    ):
        with pytest.raises(ValueError, match="`boundary` must be one of 'constant', 'edge'"):
            call()


@pytest.mark.parametrize(
    "foreign, ours", [("nearest", "edge"), ("mirror", "reflect"), ("circular", "wrap"),
                      ("BORDER_REFLECT", "symmetric"), ("zeros", "constant")],
)  # fmt: skip
def test_foreign_names_get_a_hint(foreign, ours):
    with pytest.raises(ValueError, match=f"did you mean '{ours}'"):
        rules.check_boundary(foreign)


def test_command_line_and_lab_choices_are_the_registry():
    from convolab.cli import explain as explain_command
    from convolab.cli import options
    from convolab.cli import signal as signal_command
    from convolab.lab import sections

    assert convolab.conv.BOUNDARIES == rules.BOUNDARIES == tuple(rules.REGISTRY)
    assert options.BOUNDARIES is rules.BOUNDARIES
    for command in (explain_command.explain, signal_command.signal):  # the shared --boundary
        choices = [p.type.choices for p in _all_params(command) if p.name == "boundary"]
        assert choices and all(tuple(c) == rules.BOUNDARIES for c in choices), command.name
    assert sections.BOUNDARIES is rules.BOUNDARIES


def _all_params(command):
    """The parameters of a Click command and of its subcommands."""
    yield from command.params
    for sub in getattr(command, "commands", {}).values():
        yield from _all_params(sub)


@pytest.mark.parametrize("method", METHODS)
def test_a_rule_added_to_the_registry_alone_works_in_every_method(monkeypatch, method):
    """Adding a boundary is one registry entry: here NumPy's 'edge' under a new name."""
    edge = rules.REGISTRY["edge"]
    monkeypatch.setitem(
        rules.REGISTRY, "clamp", rules.Boundary("clamp", "edge", edge.index, ("clip",))
    )
    rng = np.random.default_rng(0)
    for x, k in [
        (rng.standard_normal(40), rng.standard_normal(5)),
        (rng.standard_normal((13, 17)), rng.standard_normal((5, 3))),
    ]:
        got = convolab.correlate(x, k, "same", boundary="clamp", method=method)
        want = correlate_ref(x, k, "same", boundary="edge")
        np.testing.assert_allclose(got, want, atol=1e-10)
    with pytest.raises(ValueError, match="did you mean 'clamp'"):
        convolab.correlate(x, k, "same", boundary="clip")


# --- geometry ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 12),
    k=st.integers(1, 12),
    d=st.integers(1, 3),
    s=st.integers(1, 3),
    mode=st.sampled_from(geometry.MODES),
)
def test_output_shape_explain_and_engine_agree(n, k, d, s, mode):
    """One geometry: the engine's result, ``output_shape`` and ``explain`` (which
    refuses, as documented, a kernel larger than the signal in ``valid``)."""
    x = np.arange(1.0, n + 1)
    w = np.linspace(-1, 2, k)
    try:
        y = convolab.correlate(x, w, mode, stride=s, dilation=d)
    except ValueError as exc:
        assert "mode='valid'" in str(exc)
        with pytest.raises(ValueError, match="mode='valid'"):
            convolab.output_shape((n,), (k,), mode, stride=s, dilation=d)
        with pytest.raises(ValueError, match="mode 'valid'"):
            explain(x, w, "correlate", mode, stride=s, dilation=d)
        return
    assert convolab.output_shape((n,), (k,), mode, stride=s, dilation=d) == y.shape
    fits = geometry.effective_size(k, d) <= n
    if mode == "valid" and not fits:  # the engine swaps the operands; explain refuses
        assert geometry.valid_swaps((n,), (k,), (d,))
        with pytest.raises(ValueError, match="mode 'valid' has no position where the kernel"):
            explain(x, w, "correlate", mode, stride=s, dilation=d)
        return
    e = explain(x, w, "correlate", mode, stride=s, dilation=d)
    assert e.output.shape == y.shape
    np.testing.assert_allclose(e.output, y, atol=1e-12)


def test_valid_with_a_kernel_larger_in_one_axis_only_is_refused_everywhere():
    x, k = np.ones((3, 6)), np.ones((5, 2))
    for call in (
        lambda: convolab.correlate(x, k, "valid"),
        lambda: convolab.output_shape(x.shape, k.shape, "valid"),
        lambda: explain(x, k, "correlate", "valid"),
    ):
        with pytest.raises(ValueError, match="valid"):
            call()


def test_output_shape_refuses_what_the_engine_refuses_with_dilation():
    # effective size 7 > 5 and the kernel (3) smaller than x: no valid position
    with pytest.raises(ValueError, match="mode='valid'"):
        convolab.correlate(np.ones(5), np.ones(3), "valid", dilation=3)
    with pytest.raises(ValueError, match="mode='valid'"):
        convolab.output_shape((5,), (3,), "valid", dilation=3)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 10), k=st.integers(1, 5), d=st.integers(1, 3), s=st.integers(1, 3),
    b=st.integers(0, 4), a=st.integers(0, 4),
)  # fmt: skip
def test_transposed_geometry_inverts_the_convolution(n, k, d, s, b, a):
    e = geometry.effective_size(k, d)
    for op in range(max(s, d)):
        m = geometry.transposed_length(n, b, a, e, s, op)
        if m < 1:
            continue
        if op < s:  # a larger output_padding (allowed below the dilation) adds outputs
            assert geometry.output_length(m, b, a, e, s) == n
        (front, back), = geometry.transposed_pads((e,), ((b, a),), (op,))
        stuffed = (n - 1) * s + 1
        assert geometry.output_length(stuffed, front, back, e, 1) == m


# --- the method registry ------------------------------------------------------------------


def test_a_method_added_to_the_registry_alone_is_accepted_and_ranked(monkeypatch):
    """Adding a method is one module defining METHOD: here a plain-loop one, registered
    the way a new file in conv/methods/ is found, and estimated cheapest by its own cost."""
    from convolab.conv import methods, planner

    def run(x, k, p):
        out = np.empty((x.shape[0], *p.out), dtype=np.result_type(x, k))
        for b in range(x.shape[0]):
            xp = rules.pad(x[b], p.pads, p.boundary, p.fill_value)
            out[b] = correlate_ref(xp, k[0 if k.shape[0] == 1 else b], "valid",
                                   stride=p.stride, dilation=p.dilation)
        return out

    loop = methods.Method("loop", run, lambda p, k: (0.0, "loop: the definition"))
    monkeypatch.setattr(methods, "_NAMES", methods.names())  # restored after the test
    monkeypatch.setattr(methods, "_LOADED", dict(methods._LOADED))
    methods.register(loop)
    assert methods.names()[-1] == "loop" and methods.get("loop") is loop
    monkeypatch.setattr(planner, "_CACHE", {})
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((9, 11)), rng.standard_normal((3, 4))
    want = correlate_ref(x, k, "same", boundary="wrap", stride=2)
    np.testing.assert_allclose(
        convolab.correlate(x, k, "same", boundary="wrap", stride=2, method="loop"), want,
        atol=1e-12,
    )  # fmt: skip
    assert convolab.choose_method(x, k, "same")[0] == "loop"
    np.testing.assert_allclose(convolab.correlate(x, k, "same", boundary="wrap", stride=2), want,
                               atol=1e-12)  # fmt: skip


def test_an_unloaded_method_loads_once_the_time_it_would_have_saved_passes_its_cost(
    monkeypatch,
):
    """The planner's rule for optional compiled loops: a call never waits for a loop that
    the time forgone so far does not pay for; the call after that time passes the load
    cost loads it, and from then on the loaded method serves. Planning alone
    (``choose_method``) loads nothing."""
    import time

    from convolab.conv import methods, planner, profile

    direct, loaded, ran = methods.get("direct").run, [], []

    def run_fast(x, k, p):
        ran.append("fast")
        return direct(x, k, p)

    def run_slow(x, k, p):
        ran.append("slow")
        time.sleep(0.002)  # against the fast method's 1 us: 2 ms forgone a call
        return direct(x, k, p)

    def load():
        loaded.append(True)
        return True

    fast = methods.Method("fast", run_fast, lambda p, k: (1e3, "fast") if loaded else None,
                          lambda p, k: None if loaded else 1e3, load)  # fmt: skip
    slow = methods.Method("slow", run_slow, lambda p, k: (1e6, "slow: always there"))
    monkeypatch.setattr(methods, "_NAMES", ("slow", "fast"))
    monkeypatch.setattr(methods, "_LOADED", {"slow": slow, "fast": fast})
    monkeypatch.setattr(planner, "_CACHE", {})
    monkeypatch.setattr(planner, "_FORGONE", {})
    monkeypatch.setattr(planner, "generation", lambda: len(loaded))  # a load is a new plan
    monkeypatch.setattr(profile, "LOOP_LOAD_S", 0.011)
    x, k = np.arange(20.0), np.array([1.0, 2.0])
    for _ in range(12):
        assert convolab.choose_method(x, k)[0] == ("fast" if loaded else "slow")
        np.testing.assert_allclose(convolab.correlate(x, k), np.correlate(x, k, "full"))
    # at least 2 ms forgone a call against 11 ms: never the first call, the seventh at the latest
    assert loaded == [True]
    assert 1 <= ran.index("fast") <= 6 and set(ran[ran.index("fast") :]) == {"fast"}, ran


def test_unknown_method_lists_the_registry():
    from convolab.conv import methods

    with pytest.raises(ValueError, match="no method 'winograd'; the methods are direct, fft"):
        methods.get("winograd")
    expected = "`method` must be one of 'auto', 'direct', 'fft', 'separable', 'gemm', 'stencil'"
    with pytest.raises(ValueError, match=f"{expected}; got 'winograd'"):
        convolab.correlate(np.ones(4), np.ones(2), method="winograd")
