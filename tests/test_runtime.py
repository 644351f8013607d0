"""The process runtime: no process-wide side effect by default, bounded and released scratch
memory, and compiled loops that load in the background while the NumPy forms serve."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from convolab import _jit, train
from convolab._jit import conv1d
from convolab.runtime import memory, workspace


def _python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter with ``env`` added; its stdout, stripped."""
    full = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


# ------------------------------------------------------------------------- the allocator


def test_fit_leaves_the_allocator_alone_unless_opted_in(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1) or True)
    data = (np.random.default_rng(0).random((16, 1, 32)), np.arange(16) % 2)
    from convolab import models

    for value, expected in (("0", []), ("1", [1])):
        monkeypatch.setenv("CONVOLAB_KEEP_MEMORY", value)
        calls.clear()
        train.fit(models.detector1d(length=32, seed=0), data, epochs=1, batch_size=8,
                  progress=False)  # fmt: skip
        assert calls == expected
    monkeypatch.setenv("CONVOLAB_KEEP_MEMORY", "yes")
    with pytest.raises(ValueError, match="CONVOLAB_KEEP_MEMORY='yes': expected 0 or 1"):
        memory.opted_in()


def test_importing_and_computing_sets_no_allocator_option():
    code = (
        "import numpy as np, convolab\n"
        "from convolab.runtime import memory\n"
        "convolab.correlate(np.ones(100_000), np.ones(3))\n"
        "print(memory._KEPT)"
    )
    assert _python(code) == "None"


# -------------------------------------------------------------------------- scratch memory


def test_scratch_is_reused_bounded_and_released(monkeypatch):
    monkeypatch.setenv("CONVOLAB_WORKSPACE_MB", "4")
    workspace.release()
    a = workspace.scratch((1000,), np.float64, "t1")
    b = workspace.scratch((500,), np.float64, "t1")
    assert np.shares_memory(a, b)  # the same buffer, reused
    assert workspace.held_bytes() == 1 << 20
    big = workspace.scratch((1 << 20,), np.float64, "t2")  # 8 MiB: past the bound
    assert big.shape == (1 << 20,) and workspace.held_bytes() == 1 << 20
    three = workspace.scratch((3 << 17,), np.float64, "t3")  # 3 MiB: fits beside t1
    assert workspace.held_bytes() == 4 << 20 and not np.shares_memory(three, a)
    assert workspace.scratch((10,), np.float32, "t4").shape == (10,)  # over: a fresh array
    assert workspace.held_bytes() == 4 << 20
    assert workspace.release() == 4 << 20 and workspace.held_bytes() == 0
    b[:] = 1.0  # a view handed out stays valid after the release
    assert b.sum() == 500.0
    np.testing.assert_array_equal(workspace.zeros((4,), np.float32, "t1"), np.zeros(4))


def test_a_threads_scratch_goes_with_the_thread():
    workspace.release()
    t = threading.Thread(target=lambda: workspace.scratch((10,), np.float64, "t"))
    t.start()
    t.join()
    del t
    assert workspace.held_bytes() == 0


def test_a_dead_arrays_memory_is_reused_only_when_every_view_is_gone():
    workspace.release()
    shape = (300, 1000)  # 1.2 MB of float32: recycled
    a = workspace.recycled(shape, np.float32)
    a[:] = 1.0
    address = a.ctypes.data
    view = a[10:20]
    del a
    b = workspace.recycled(shape, np.float32)  # the view keeps a's memory in use
    assert not np.shares_memory(b, view) and workspace.recycled_bytes() == 0
    np.testing.assert_array_equal(view, np.ones((10, 1000), np.float32))
    del b, view
    assert workspace.recycled_bytes() >= 2 * 300 * 1000 * 4
    c = workspace.recycled((1000, 300), np.float32)  # the same size, another shape
    d = workspace.recycled(shape, np.float32)
    assert address in (c.ctypes.data, d.ctypes.data) and c.flags.writeable
    assert workspace.recycled_bytes() == 0
    c[:] = 2.0
    d[:] = 3.0  # the two live arrays do not share memory
    assert (c == 2.0).all() and (d == 3.0).all()
    small = workspace.recycled((10,), np.float64)
    assert small.shape == (10,) and small.base is None  # small arrays: plain np.empty
    objects = workspace.recycled((1 << 16,), np.dtype(object))  # no object array from bytes
    assert objects.shape == (1 << 16,) and objects.base is None


def test_recycled_memory_is_bounded_and_released(monkeypatch):
    """Freed blocks are kept up to the bound, plus the last one freed that did not fit
    (one block at a time, so a result of one large size comes back without fresh pages);
    a bound of 0 keeps nothing, and release() frees all."""
    workspace.release()
    monkeypatch.setenv("CONVOLAB_WORKSPACE_MB", "1")
    arrays = [workspace.recycled((1 << 16,), np.float64) for _ in range(4)]  # 512 KiB each
    del arrays
    assert workspace.recycled_bytes() == 3 << 19  # two under the bound, one above it
    large = workspace.recycled((3 << 18,), np.float64)  # 6 MiB: above the bound alone
    address = large.__array_interface__["data"][0]
    del large
    assert workspace.recycled_bytes() == (1 << 20) + (6 << 20)  # it replaced the 512 KiB one
    same = workspace.recycled((3 << 19,), np.float32)  # another shape and dtype, same bytes
    assert same.__array_interface__["data"][0] == address  # its memory: no fresh pages
    assert workspace.recycled_bytes() == 1 << 20
    del same
    assert workspace.release() == (1 << 20) + (6 << 20) and workspace.recycled_bytes() == 0
    monkeypatch.setenv("CONVOLAB_WORKSPACE_MB", "0")
    arrays = [workspace.recycled((1 << 16,), np.float64) for _ in range(2)]
    del arrays
    assert workspace.recycled_bytes() == 0


def test_recycled_arrays_die_in_any_thread():
    workspace.release()
    box = [workspace.recycled((1 << 16,), np.float64)]
    t = threading.Thread(target=box.clear)
    t.start()
    t.join()
    assert workspace.recycled_bytes() == 1 << 19
    workspace.release()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts page faults (Linux)")
@pytest.mark.skipif(not conv1d.available(), reason="the NumPy forms of the layers allocate more")
def test_a_training_step_makes_no_fresh_pages_once_warm():
    """A LeNet-5 step made ~3,000 page faults (glibc gave its heap's top back every step)."""
    import resource

    from convolab import models, nn
    from convolab.nn import functional as F

    rng = np.random.default_rng(0)
    x, y = rng.random((128, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 128)
    model = models.lenet5("modern", seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(nn.Tensor(x)), y).backward()
        opt.step()

    for _ in range(3):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        step()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3
    assert faults < 200, faults  # 2.4 MB maps are 600 pages each


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts page faults (Linux)")
@pytest.mark.parametrize("method", ["auto", "direct", "fft", "separable"])
def test_filtering_image_after_image_makes_no_fresh_pages(method, monkeypatch):
    """The second to fourth calls made 500-900 page faults each on a 2048² image: the helper
    thread held the previous result until the next call, and each result took fresh pages."""
    import resource

    import convolab

    monkeypatch.setenv("CONVOLAB_NUM_THREADS", "2")
    workspace.release()
    img = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    k = np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0]).astype(np.float32)
    convolab.correlate(img, k, mode="same", method=method)  # warm-up: plans, threads
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        convolab.correlate(img, k, mode="same", method=method)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 3 * 100, faults  # a result is 4 MiB: 1,024 pages


def test_bad_workspace_bound_names_the_variable(monkeypatch):
    monkeypatch.setenv("CONVOLAB_WORKSPACE_MB", "lots")
    with pytest.raises(ValueError, match="CONVOLAB_WORKSPACE_MB='lots'"):
        workspace.scratch((10,), np.float64, "t")


# ------------------------------------------------------------------------- compiled loops


needs_numba = pytest.mark.skipif(not conv1d.available(), reason="needs Numba")


@needs_numba
def test_a_first_correlate_does_not_wait_for_numba_unless_eager():
    code = (
        "import numpy as np, convolab, sys\n"
        "from convolab._jit import conv1d\n"
        "x = np.random.default_rng(0).standard_normal(300_000); k = np.array([1.0, -2.0, 0.5])\n"
        "first = convolab.correlate(x, k, 'same')\n"
        "numba_then = 'numba' in sys.modules\n"
        "conv1d.LOOPS.load()\n"
        "second = convolab.correlate(x, k, 'same')\n"
        "print(numba_then, conv1d.ready(), np.allclose(first, second, rtol=0, atol=1e-12),\n"
        "      np.allclose(first, np.correlate(x, k, 'same'), rtol=0, atol=1e-12))"
    )
    assert _python(code, CONVOLAB_JIT="lazy") == "False True True True"
    assert _python(code, CONVOLAB_JIT="eager") == "True True True True"
    off = _python(code.replace("conv1d.LOOPS.load()", "pass"), CONVOLAB_JIT="off")
    assert off == "False False True True"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "CONVOLAB_JIT": "later"})  # fmt: skip
    assert "CONVOLAB_JIT='later': expected one of lazy, eager, off" in out.stderr


@needs_numba
def test_layers_load_their_loops_on_first_need():
    """A layer loads its own loops, and not the 1D signal loop (3-5 s of compilation in a
    fresh install, for nothing a layer runs)."""
    code = (
        "import numpy as np, convolab\n"
        "from convolab._jit import blocked, conv1d\n"
        "x, w = np.ones((2, 3, 8, 8), np.float32), np.ones((6, 3, 3, 3), np.float32)\n"
        "convolab.conv_nd(x, w)\n"
        "print(blocked.LOOPS._value is True, conv1d.LOOPS._value is None)"
    )
    assert _python(code, CONVOLAB_JIT="lazy") == "True True"


def test_a_failing_build_leaves_the_numpy_forms():
    def broken():
        raise RuntimeError("no compiler here")

    loops = _jit.LazyLoops(broken)
    assert loops.get() is None and loops.load() is None
    assert isinstance(loops.error, RuntimeError) and not loops.possible()


@needs_numba
def test_compiling_the_blocked_loops_leaves_numbas_settings_as_they_were():
    from numba.core import config

    from convolab._jit import blocked

    before = config.SLP_VECTORIZE
    x, w = np.ones((2, 3, 8, 8), np.float32), np.ones((6, 3, 3, 3), np.float32)
    from convolab.conv.methods.gemm import conv_gemm

    conv_gemm(x, w, ((0, 0),) * 2, (1, 1), (1, 1), strategy="blocked")
    assert blocked._BLOCKED and config.SLP_VECTORIZE == before


# ----------------------------------------------------------------------------- cold start


def test_fast_length_is_scipys_next_fast_len():
    import scipy.fft

    from convolab.conv.methods.fft import fast_length

    for real in (True, False):
        for n in [*range(1, 3000), 10**6 + 1, 2**20 + 3, 123_456_789]:
            assert fast_length(n, real) == scipy.fft.next_fast_len(n, real=real), (n, real)


def test_import_and_a_first_call_load_neither_scipy_fft_nor_numba():
    code = (
        "import sys, numpy as np, convolab\n"
        "x = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)\n"
        "convolab.correlate(x, np.ones((3, 3), np.float32), 'same')\n"
        "convolab.correlate(x[0].astype(float), np.ones(3), 'same')\n"
        "print(sorted(m for m in ('scipy.fft', 'numba', 'json', 'zipfile', 'numpy.typing')\n"
        "             if m in sys.modules))"
    )
    assert _python(code, CONVOLAB_JIT="lazy") == "[]"


@needs_numba
def test_training_leaves_the_image_filters_loop_unloaded():
    """``fit`` loads what its layers run, not the stencil method's loop, whose first call
    would compile for 10-20 s in a fresh install."""
    code = (
        "import numpy as np\n"
        "from convolab import data, models, train\n"
        "from convolab._jit import stencil\n"
        "ds = data.shapes1d(64, seed=0)\n"
        "model = models.detector1d(length=ds.x.shape[-1], seed=0)\n"
        "train.fit(model, ds, epochs=1, batch_size=32, progress=False)\n"
        "print(stencil.LOOPS._value is None)"
    )
    assert _python(code, CONVOLAB_JIT="lazy") == "True"


def test_compile_in_background_runs_the_code_in_a_second_process(tmp_path):
    from convolab.runtime import compile_in_background

    marker = tmp_path / "ran"
    proc = compile_in_background(f"open({str(marker)!r}, 'w').write('yes')")
    if proc is None:
        pytest.skip("needs Numba")
    assert proc.wait(timeout=60) == 0 and marker.read_text() == "yes"


def test_compile_in_background_does_nothing_with_the_loops_off(monkeypatch):
    from convolab.runtime import compile_in_background

    monkeypatch.setenv("CONVOLAB_JIT", "off")
    assert compile_in_background("pass") is None


def test_the_warm_up_code_of_the_lab_runs():
    """It runs silently in a second process: an error there would go unseen (the demo's is
    checked in tests/test_demo.py)."""
    from convolab.cli import lab

    out = subprocess.run([sys.executable, "-c", lab._WARM_UP], capture_output=True, text=True,
                         env={**os.environ, "CONVOLAB_JIT": "off"}, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr


def test_a_result_above_the_bound_comes_back_for_the_next_call(monkeypatch):
    """A filter applied image after image: the result's memory, larger than the bound
    here, serves the next call's result (no fresh pages), and the values are the next
    call's own."""
    import convolab

    workspace.release()
    monkeypatch.setenv("CONVOLAB_WORKSPACE_MB", "1")
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 1024, 1024)).astype(np.float32)  # 4 MiB results
    k = np.ones((3, 3), np.float32)
    y = convolab.correlate(x1, k, "same", boundary="wrap")
    address = y.__array_interface__["data"][0]
    del y
    assert workspace.recycled_bytes() >= 4 << 20  # kept, though above the bound
    y2 = convolab.correlate(x2, k, "same", boundary="wrap")
    assert workspace.recycled_bytes() < 4 << 20  # taken back
    assert y2.__array_interface__["data"][0] == address
    want = sum(np.roll(x2, (-i, -j), axis=(0, 1)) for i in (-1, 0, 1) for j in (-1, 0, 1))
    np.testing.assert_allclose(y2, want, rtol=1e-5, atol=1e-5)
    workspace.release()
