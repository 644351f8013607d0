"""Generate the register-blocked kernels: ``src/convolab/_jit/_generated/blocked_kernels.py``.

One plain-Python function per block shape of :data:`convolab._jit.blocked.BLOCK_SHAPES`
and :data:`convolab._jit.blocked.DOT_SHAPES`, which :mod:`convolab._jit.blocked`
compiles with Numba. Run after changing the shapes or the code below::

    python tools/generate_blocked_kernels.py          # rewrite the file
    python tools/generate_blocked_kernels.py --check  # exit 1 if it is out of date

``tests/test_compiled_loops.py`` checks that the file is what this script writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from convolab._jit.blocked import BLOCK_SHAPES, DOT_SHAPES

TARGET = Path(__file__).resolve().parents[1] / "src/convolab/_jit/_generated/blocked_kernels.py"


def blocked_source(ob: int, vb: int) -> str:
    """Python source of the ``ob`` x ``vb`` register block (see ``correlate_blocked_into``).

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
    """Python source of the ``ob`` x ``qb`` dot-product block (see ``correlate_dot_into``).

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


def module_source() -> str:
    """The text of ``src/convolab/_jit/_generated/blocked_kernels.py``."""
    head = (
        '"""Register blocks of the compiled multi-channel loop, one function per block shape.\n\n'
        "Generated by ``tools/generate_blocked_kernels.py``: do not edit.\n"
        'These are plain Python; :mod:`convolab._jit.blocked` compiles them.\n"""\n\n'
        "import numpy as np\n"
    )
    shapes = sorted({s for group in BLOCK_SHAPES.values() for s in group})
    dots = sorted({s for group in DOT_SHAPES.values() for s in group})
    return (
        head
        + "".join("\n\n" + blocked_source(ob, vb) for ob, vb in shapes)
        + "".join("\n\n" + dot_source(ob, qb, lanes) for ob, qb, lanes in dots)
    )




def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the generated file; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = module_source()
    if args.check:
        same = TARGET.exists() and TARGET.read_text() == text
        print(f"{TARGET.name}: {'up to date' if same else 'out of date'}")
        return 0 if same else 1
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
