"""Compiled loops for the cases NumPy and BLAS cannot make fast enough.

Two loops live here, both optional (they need `Numba <https://numba.pydata.org>`_,
``pip install convolab[fast]``; without it the engine keeps its NumPy paths):

* a short kernel over a long 1D signal (:func:`correlate_valid_into`);
* the batched multi-channel correlation of small layers, register-blocked on
  flat rows (:func:`correlate_blocked_into`), where im2col + GEMM spends its
  time copying columns rather than multiplying.

**The 1D loop.**

:func:`numpy.correlate` runs that case in one pass over memory on one core, as
fast as a copy (10**6 float64 samples, 3 taps: 0.55 ms against 0.55 ms for
``x.copy()``). Nothing built from NumPy calls beats it: blocks of in-place
ufuncs take 1.2-2.3 ms, and two threads cannot share it because
``numpy.correlate`` has no ``out=`` (each thread's result must be copied). The
second core adds memory bandwidth (two threads copy the same 8 MB in 0.33 ms),
so the loop writes its share of the output in place from each thread: 0.50-0.54
ms through :func:`convolab.correlate` against 0.59-0.61 ms for
:func:`numpy.correlate` (waking the second thread costs about 0.08 ms). It
needs `Numba <https://numba.pydata.org>`_ (``pip install convolab[fast]``);
without it the engine keeps :func:`numpy.correlate`.

.. math:: y[a] = \\sum_{j=0}^{K-1} k[j]\\, x[a + j], \\qquad a_0 \\le a < a_1

The outputs go in blocks of :data:`_BLOCK`: a block accumulates tap after tap
in a local buffer (which the compiler knows aliases nothing, so each pass over
the block is vectorized), then is stored; three taps, the commonest short
kernel (differences, the articles' shifts), get a single-pass loop. On one
core, 10**6 float64 samples: 0.55 / 0.85 / 1.48 ms for 3 / 5 / 11 taps against
0.55 / 0.93 / 2.02 ms for :func:`numpy.correlate` (blocks of 1024 or 2048 were
10-20% slower). The loops keep IEEE semantics (no fast-math: NaN and inf
propagate as in NumPy). They compile once per dtype (about 0.4 s) and are
cached on disk.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = [
    "available",
    "blocked_available",
    "block_shape",
    "correlate_blocked_into",
    "correlate_dot_into",
    "dot_shape",
    "correlate_valid_into",
]

_KERNEL: Any = None  # the compiled function; False when Numba is missing or disabled
_BLOCK = 256  # outputs per block


def _build() -> Any:
    if os.environ.get("CONVOLAB_NO_NUMBA"):
        return False
    try:
        from numba import njit
    except Exception:  # not installed, or a Numba that does not load with this NumPy
        return False

    @njit(nogil=True, cache=True, error_model="numpy")
    def correlate_valid(x, k, y, a0, a1):  # pragma: no cover - compiled
        if k.shape[0] == 3:  # the commonest short kernel: one pass, taps in registers
            k0, k1, k2 = k[0], k[1], k[2]
            x0, x1, x2, out = x[a0:a1], x[a0 + 1 : a1 + 1], x[a0 + 2 : a1 + 2], y[a0:a1]
            for i in range(a1 - a0):
                out[i] = x0[i] * k0 + x1[i] * k1 + x2[i] * k2
            return
        acc = np.empty(_BLOCK, dtype=y.dtype)
        for b0 in range(a0, a1, _BLOCK):
            m = min(_BLOCK, a1 - b0)
            w = k[0]
            xs = x[b0 : b0 + m]
            for i in range(m):
                acc[i] = xs[i] * w
            for j in range(1, k.shape[0]):
                w = k[j]
                xs = x[b0 + j : b0 + j + m]
                for i in range(m):
                    acc[i] += xs[i] * w
            out = y[b0 : b0 + m]
            for i in range(m):
                out[i] = acc[i]

    return correlate_valid


def available() -> bool:
    """Whether the compiled loop can run (Numba installed, ``CONVOLAB_NO_NUMBA`` unset).

    >>> isinstance(available(), bool)
    True
    """
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build()
    return _KERNEL is not False


def correlate_valid_into(
    x: np.ndarray, k: np.ndarray, y: np.ndarray, a0: int, a1: int
) -> None:
    """Write ``y[a] = sum_j k[j] x[a + j]`` for ``a0 <= a < a1`` (no conjugation).

    ``x``, ``k`` and ``y`` are 1D, C-contiguous, of one real floating dtype, and
    ``x`` holds at least ``a1 + len(k) - 1`` samples. Releases the GIL.

    >>> x = np.arange(6.0)
    >>> y = np.zeros(4)
    >>> if available():
    ...     correlate_valid_into(x, np.array([1.0, 10.0, 100.0]), y, 1, 4)
    ... else:
    ...     y[1:] = np.correlate(x, [1.0, 10.0, 100.0], "valid")[1:]
    >>> y
    array([  0., 321., 432., 543.])
    """
    if not available():
        raise RuntimeError("the compiled 1D loop needs Numba: pip install convolab[fast]")
    _KERNEL(x, k, y, a0, a1)


# ---------------------------------------------------------------------------------------
# The register-blocked multi-channel loop
# ---------------------------------------------------------------------------------------

#: (output channels, flat positions) per register block, by item size: two 256-bit
#: vectors of positions for each of 3, 4 or 6 output channels (6-12 accumulator
#: registers, so it fits the 16 vector registers of AVX2 as well as the 32 of AVX-512;
#: 6 channels run LeNet-5's 6-channel layers 8-12% faster than two blocks of 3).
BLOCK_SHAPES = {4: ((3, 16), (4, 16), (6, 16)), 8: ((3, 8), (4, 8), (6, 8))}
#: (output channels, output positions, lanes) per dot-product block, by item size: 12
#: partial sums of one vector register each.
DOT_SHAPES = {4: ((3, 4, 8), (4, 3, 8)), 8: ((3, 4, 4), (4, 3, 4))}
_BLOCKED: dict[tuple[Any, ...], Any] = {}  # (kind, block shape, dtype) -> compiled function


def blocked_source(ob: int, vb: int) -> str:
    """Python source of the ``ob`` x ``vb`` register block (see :func:`correlate_blocked_into`).

    The block's ``ob * vb`` sums are plain local variables, so the compiler keeps
    them in vector registers for the whole reduction over channels and taps: each
    tap loads ``vb`` consecutive inputs once and broadcasts ``ob`` weights. (Loops
    over a small local array were measured 5-10x slower: that array lives in
    memory, and every multiply-add then loads and stores its sum.)

    >>> print(blocked_source(1, 2).splitlines()[0])
    def blocked_1x2(xf, w, bias, offs, dest, y, groups, j0, j1):  # pragma: no cover
    """
    acc = [[f"a{o}_{v}" for v in range(vb)] for o in range(ob)]
    lines = [
        f"def blocked_{ob}x{vb}(xf, w, bias, offs, dest, y, groups, j0, j1):  # pragma: no cover",
        f'    """Blocks ``j0 <= j < j1`` of {ob} output channels x {vb} flat positions."""',
        "    n_chan = xf.shape[1]",
        "    n_taps = offs.shape[0]",
        "    n_out = y.shape[1]",
        "    n_pos = dest.shape[0]",
        "    n_padded = w.shape[0] // groups",
        f"    n_blocks = n_padded // {ob}",
        f"    buf = np.empty(({ob}, {vb}), y.dtype)",
        *[f"    u{v} = np.uint64({v})" for v in range(vb)],
        "    for j in range(j0, j1):",
        "        m = j // n_blocks",
        f"        o0 = (j - m * n_blocks) * {ob}",
        "        wo = (m % groups) * n_padded + o0",
        f"        for r0 in range(0, n_pos, {vb}):",
    ]
    lines += [f"            z{o} = bias[wo + {o}]" for o in range(ob)]
    for o in range(ob):
        lines += [f"            {' = '.join(acc[o][i : i + 8])} = z{o}" for i in range(0, vb, 8)]
    lines += ["            for c in range(n_chan):", "                xs = xf[m, c]"]
    lines += [f"                w{o} = w[wo + {o}, c]" for o in range(ob)]
    # unsigned indices (offs is uint64): no negative-index check, plain vector loads
    lines += ["                for t in range(n_taps):"]
    lines += ["                    b = np.uint64(r0) + offs[t]"]
    lines += [f"                    x{v} = xs[b + u{v}]" for v in range(vb)]
    for o in range(ob):
        lines.append(f"                    u = w{o}[t]")
        lines += [f"                    {acc[o][v]} += u * x{v}" for v in range(vb)]
    # consecutive stores let the vectorizer find the blocks; then scatter to the outputs
    for o in range(ob):
        lines.append(f"            b = buf[{o}]")
        lines += [f"            b[{v}] = {acc[o][v]}" for v in range(vb)]
    lines += [
        f"            for o in range(min({ob}, n_out - o0)):",
        "                yo = y[m, o0 + o]",
        "                b = buf[o]",
        f"                for v in range({vb}):",
        "                    d = dest[r0 + v]",
        "                    if d >= 0:",
        "                        yo[d] = b[v]",
    ]
    return "\n".join(lines) + "\n"


def dot_source(ob: int, qb: int, lanes: int) -> str:
    """Python source of the ``ob`` x ``qb`` dot-product block (see :func:`correlate_dot_into`).

    For few outputs of a large kernel (a weight gradient): ``ob`` output channels x
    ``qb`` output positions, each summed in ``lanes`` partial sums (one vector
    register) over the kernel's flat positions; the ``ob`` kernel rows and the
    ``qb`` input windows are loaded once per step and meet in ``ob * qb``
    multiply-adds. Channel by channel, every block of positions runs in turn, so
    the channel's kernel rows and input are read from cache, not memory.

    >>> print(dot_source(1, 1, 2).splitlines()[0])
    def dot_1x1x2(xf, wf, qoffs, y, groups, j0, j1):  # pragma: no cover
    """
    acc = [[[f"a{o}_{q}_{v}" for v in range(lanes)] for q in range(qb)] for o in range(ob)]
    lines = [
        f"def dot_{ob}x{qb}x{lanes}(xf, wf, qoffs, y, groups, j0, j1):  # pragma: no cover",
        f'    """Blocks ``j0 <= j < j1`` of {ob} output channels (all positions)."""',
        "    n_chan = xf.shape[1]",
        "    n_r = wf.shape[2]",
        "    n_out = y.shape[1]",
        "    n_q = y.shape[2]",
        "    n_padded = wf.shape[0] // groups",
        f"    n_oblk = n_padded // {ob}",
        f"    n_qblk = (n_q + {qb - 1}) // {qb}",
        f"    sums = np.empty((n_qblk, {ob}, {qb}, {lanes}), y.dtype)",
        *[f"    u{v} = np.uint64({v})" for v in range(lanes)],
        "    for j in range(j0, j1):",
        "        m = j // n_oblk",
        f"        o0 = (j - m * n_oblk) * {ob}",
        "        wo = (m % groups) * n_padded + o0",
        "        sums[:] = 0",
        "        for c in range(n_chan):",
        "            xs = xf[m, c]",
    ]
    lines += [f"            w{o} = wf[wo + {o}, c]" for o in range(ob)]
    lines += ["            for k in range(n_qblk):", f"                q0 = k * {qb}"]
    lines += [f"                s{q} = xs[qoffs[min(q0 + {q}, n_q - 1)] :]" for q in range(qb)]
    # the block's partial sums wait in memory while the other position blocks run:
    # the kernel rows and the input channel stay in cache for all of them
    for o in range(ob):
        for q in range(qb):
            lines.append(f"                b = sums[k, {o}, {q}]")
            lines += [f"                {acc[o][q][v]} = b[{v}]" for v in range(lanes)]
    # unsigned indices: no negative-index check, so the loads are plain vector loads
    lines += [f"                for r0 in range(0, n_r, {lanes}):"]
    lines += ["                    r = np.uint64(r0)"]
    for o in range(ob):
        lines += [f"                    g{o}_{v} = w{o}[r + u{v}]" for v in range(lanes)]
    for q in range(qb):
        lines += [f"                    x{v} = s{q}[r + u{v}]" for v in range(lanes)]
        for o in range(ob):
            fma = "                    {} += g{}_{} * x{}"
            lines += [fma.format(acc[o][q][v], o, v, v) for v in range(lanes)]
    for o in range(ob):
        for q in range(qb):
            lines.append(f"                b = sums[k, {o}, {q}]")
            lines += [f"                b[{v}] = {acc[o][q][v]}" for v in range(lanes)]
    lines += [
        f"        for o in range(min({ob}, n_out - o0)):",
        "            for q in range(n_q):",
        f"                b = sums[q // {qb}, o, q % {qb}]",
        "                total = b[0]",
        f"                for v in range(1, {lanes}):",
        "                    total += b[v]",
        "                y[m, o0 + o, q] = total",
    ]
    return "\n".join(lines) + "\n"


def blocked_module_source() -> str:
    """The text of :mod:`convolab.conv._blocked_kernels` (generated; a test keeps it in sync)."""
    head = (
        '"""Register blocks of the compiled multi-channel loop, one function per block shape.\n\n'
        "Generated by :func:`convolab.conv._compiled.blocked_module_source`: do not edit.\n"
        'These are plain Python; :mod:`convolab.conv._compiled` compiles them.\n"""\n\n'
        "import numpy as np\n"
    )
    shapes = sorted({s for group in BLOCK_SHAPES.values() for s in group})
    dots = sorted({s for group in DOT_SHAPES.values() for s in group})
    return (
        head
        + "".join("\n\n" + blocked_source(ob, vb) for ob, vb in shapes)
        + "".join("\n\n" + dot_source(ob, qb, lanes) for ob, qb, lanes in dots)
    )


def _compile_vectorized(fn: Any, signature: str) -> Any:
    """``fn`` compiled for ``signature`` with LLVM's SLP vectorizer on.

    Numba leaves the SLP (straight-line) vectorizer off by default because of
    miscompilations reported in integer code (numba#8705); without it the block's
    independent sums stay scalar (5-8x slower). It is switched on for this one
    compilation, under Numba's compiler lock so that no other compilation sees it.
    The compiled code is cached on disk like the 1D loop.
    """
    from numba import njit
    from numba.core import config
    from numba.core.compiler_lock import global_compiler_lock

    disp = njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})(fn)
    with global_compiler_lock:
        before = config.SLP_VECTORIZE
        config.SLP_VECTORIZE = 1
        try:
            disp.compile(signature)
        finally:
            config.SLP_VECTORIZE = before
    disp.disable_compile()  # other argument types fail loudly instead of compiling unvectorized
    return disp


def blocked_available() -> bool:
    """Whether the register-blocked loops can run: Numba installed (and not switched
    off, see :func:`available`), with the setting that turns on its SLP vectorizer.

    >>> isinstance(blocked_available(), bool)
    True
    """
    if not available():
        return False
    try:
        from numba.core import config
    except Exception:  # pragma: no cover - a Numba without numba.core
        return False
    return hasattr(config, "SLP_VECTORIZE")


def _fewest_padded(shapes: Any, n_out: int) -> Any:
    """The block shape whose ``shape[0]`` pads ``n_out`` channels least; the larger on a tie."""
    return min(shapes, key=lambda s: (-(-n_out // s[0]) * s[0], -s[0]))


def block_shape(n_out: int, dtype: np.dtype) -> tuple[int, int]:
    """The register block ``(ob, vb)`` for ``n_out`` output channels of ``dtype``.

    The output channels are padded to a multiple of ``ob``; the block shape that pads
    fewest wins, the larger on a tie.

    >>> block_shape(6, np.dtype(np.float32)), block_shape(16, np.dtype(np.float64))
    ((6, 16), (4, 8))
    """
    return _fewest_padded(BLOCK_SHAPES[np.dtype(dtype).itemsize], n_out)


def correlate_blocked_into(
    xf: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray,
    offs: np.ndarray,
    dest: np.ndarray,
    y: np.ndarray,
    groups: int,
    j0: int,
    j1: int,
) -> None:
    r"""Register-blocked multi-channel correlation on flat rows, blocks ``j0 <= j < j1``.

    .. math:: y[m, o, \mathrm{dest}[r]] = b[g(m) O_b + o] + \sum_{c} \sum_{t}
              w[g(m) O_b + o, c, t]\; x_f[m, c, r + \mathrm{off}_t]

    for every flat position ``r`` with ``dest[r] >= 0`` and ``o < O``. ``xf`` is
    ``(M, C, L)`` (``M`` = samples x groups, each channel a flattened padded
    input), ``w`` is ``(groups * O_b, C, T)`` with ``O_b`` the output channels ``O``
    padded with zero filters to a multiple of ``ob`` (``block_shape(O, dtype)``), ``bias``
    (``groups * O_b``) starts each sum, ``offs`` holds the
    ``T`` tap offsets (uint64), ``dest`` (int64, a multiple of the block's ``vb``
    long) maps flat positions to output positions (``-1``: not an output), ``y`` is
    ``(M, O, P)`` and ``g(m) = m % groups``. Block ``j``
    is output channels ``ob * (j % (O_b / ob))`` onwards of ``m = j // (O_b / ob)``;
    ``xf`` must hold ``len(dest) + max(offs)`` values per row. All C-contiguous,
    one real floating dtype. Releases the GIL.

    >>> x = np.arange(20.0).reshape(1, 1, 20)
    >>> w = np.array([[[1.0, 10.0]]] * 3)  # 3 output channels, 2 taps
    >>> dest = np.array([0, 1, 2, -1, -1, -1, -1, -1])
    >>> y = np.zeros((1, 3, 3))
    >>> if blocked_available():
    ...     offs = np.array([0, 1], np.uint64)
    ...     correlate_blocked_into(x, w, np.zeros(3), offs, dest, y, 1, 0, 1)
    ... else:
    ...     y[0, :] = x[0, 0, :3] + 10 * x[0, 0, 1:4]
    >>> y[0, 0]
    array([10., 21., 32.])
    """
    ob, vb = block_shape(y.shape[1], y.dtype)
    arr = f"{y.dtype.name}[:, :, ::1]"
    vec = f"{y.dtype.name}[::1]"
    sig = f"void({arr}, {arr}, {vec}, uint64[::1], int64[::1], {arr}, int64, int64, int64)"
    xf, w = _writeable(xf), _writeable(w)
    _kernel(f"blocked_{ob}x{vb}", y.dtype, sig)(xf, w, bias, offs, dest, y, groups, j0, j1)


def dot_shape(n_out: int, dtype: np.dtype) -> tuple[int, int, int]:
    """The dot-product block ``(ob, qb, lanes)`` for ``n_out`` output channels of ``dtype``.

    >>> dot_shape(6, np.dtype(np.float32)), dot_shape(16, np.dtype(np.float32))
    ((3, 4, 8), (4, 3, 8))
    """
    return _fewest_padded(DOT_SHAPES[np.dtype(dtype).itemsize], n_out)


def correlate_dot_into(
    xf: np.ndarray,
    wf: np.ndarray,
    qoffs: np.ndarray,
    y: np.ndarray,
    groups: int,
    j0: int,
    j1: int,
) -> None:
    r"""Multi-channel correlation as dot products over the kernel, blocks ``j0 <= j < j1``.

    .. math:: y[m, o, q] = \sum_{c} \sum_{r} w_f[g(m) O_b + o, c, r]\;
              x_f[m, c, \mathrm{qoff}_q + r]

    The form for a large kernel and few outputs (a weight gradient): ``wf`` is
    ``(groups * O_b, C, R)``, each kernel laid out on the input's flat rows (zeros
    between its rows) and padded with zeros to a multiple of the block's lanes,
    ``O_b`` the output channels padded with zero kernels to a multiple of ``ob``
    (``dot_shape(O, dtype)``); ``xf`` is ``(M, C, L)`` with ``L >= max(qoffs) +
    R``; ``qoffs`` (int64) is the flat offset of each output position; ``y`` is
    ``(M, O, Q)``; ``g(m) = m % groups``. Block ``j`` is output channels ``ob * (j
    % (O_b / ob))`` onwards of sample ``m = j // (O_b / ob)``, all positions. All
    C-contiguous, one real floating dtype. Releases the GIL.

    >>> x = np.arange(12.0).reshape(1, 1, 12)
    >>> wf = np.zeros((3, 1, 8)); wf[0, 0, :2] = [1.0, 10.0]
    >>> y = np.zeros((1, 3, 2))
    >>> if blocked_available():
    ...     correlate_dot_into(x, wf, np.array([0, 3]), y, 1, 0, 1)
    ... else:
    ...     y[0, 0] = [x[0, 0, 0] + 10 * x[0, 0, 1], x[0, 0, 3] + 10 * x[0, 0, 4]]
    >>> y[0, 0]
    array([10., 43.])
    """
    ob, qb, lanes = dot_shape(y.shape[1], y.dtype)
    arr = f"{y.dtype.name}[:, :, ::1]"
    sig = f"void({arr}, {arr}, int64[::1], {arr}, int64, int64, int64)"
    xf, wf = _writeable(xf), _writeable(wf)
    _kernel(f"dot_{ob}x{qb}x{lanes}", y.dtype, sig)(xf, wf, qoffs, y, groups, j0, j1)


def _writeable(a: np.ndarray) -> np.ndarray:
    """``a``, or a copy where it is read-only: each kernel is compiled for one argument
    type, and Numba types a read-only array apart."""
    return a if a.flags.writeable else a.copy()


def _kernel(name: str, dtype: np.dtype, signature: str) -> Any:
    """The compiled kernel ``name`` of :mod:`convolab.conv._blocked_kernels` for ``dtype``."""
    key = (name, dtype.name)
    fn = _BLOCKED.get(key)
    if fn is None:
        if not blocked_available():
            raise RuntimeError("the compiled loops need Numba: pip install convolab[fast]")
        from convolab.conv import _blocked_kernels

        fn = _BLOCKED[key] = _compile_vectorized(getattr(_blocked_kernels, name), signature)
    return fn
