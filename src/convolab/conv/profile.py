"""The engine's cost profile: every tuning constant, with the measurement behind it.

The methods (``conv/methods/``) decide their inner strategies, and the planner
ranks them, from the numbers below and from nothing else. They were measured on
the reference machine (2-core x86-64 with AVX-512, 2 MiB of L2 per core; see
``benchmarks/RESULTS.md``); a machine of another shape is tuned by editing this
one file. Times are nanoseconds, sizes bytes or elements as named. Dictionaries
keyed by an item size hold float32 (4), float64 or complex64 (8) and
complex128 (16).

Two BLAS rates appear because a matrix product's speed depends on its shape:
:data:`BLAS_THIN_NS` is a product with few (about 64) columns — the Toeplitz
blocks of the direct and separable methods and the engine's own ``gemm``
method, whose products have one output channel — and :data:`BLAS_LAYER_NS` is
the wide product of a network layer's im2col columns (at least
:data:`BLAS_FULL_ROWS` output channels), which runs near the machine's peak.
"""

from __future__ import annotations

# --- passes over memory and calls ------------------------------------------------------------
#: One ufunc pass over an in-cache tile, per element, by item size.
PASS_NS = {4: 0.15, 8: 0.35, 16: 0.7}
#: Extra cost, in contiguous passes, of each step of stride along a row for a pass that reads
#: every ``s``-th element (:func:`strided_pass`). Measured 2026-12-03, 2048^2 float32
#: 'same', actual / estimated time without it at strides 2 and 3: direct 3x5 3.5 / 6.6,
#: 2x2 3.5 / 6.0, 4x4 2.9 / 5.3; gemm (im2col copies) 3x5 4.5 / 3.8.
STRIDED_READ = 2.2
#: Input bytes from which :data:`STRIDED_READ` applies (the 512 KiB L2 of a core, twice): in
#: cache a strided pass costs about a contiguous one.
STRIDED_MIN_BYTES = 1 << 20
#: Python and call overhead per tile of the tiled methods.
TILE_NS = 15_000.0
#: Speed-up of tile-parallel work on the reference machine's two cores.
PARALLEL = 1.7

# --- BLAS -------------------------------------------------------------------------------------
#: Multiply-add in a thin BLAS product (about 64 columns), float32 / float64 / complex128:
#: about 110 and 65 GFLOP/s (Toeplitz blocks of 1D signals and image rows, 2 cores).
BLAS_THIN_NS = {4: 0.018, 8: 0.031, 16: 0.12}
#: Multiply-add in a layer's im2col product, float32: 130 GMAC/s on two cores (fitted on
#: 22 layer shapes together with the other ``LAYER_*`` constants below).
BLAS_LAYER_NS = 0.0075
#: ... when it has at least this many output channels; with fewer, the skinny product runs
#: at memory speed and costs ``BLAS_FULL_ROWS / channels`` times more per multiply-add.
BLAS_FULL_ROWS = 16

# --- direct: 1D strategies -------------------------------------------------------------------
#: numpy.correlate per output: ``a + b K`` (its unrolled loop for short kernels).
NPCORR_NS = {4: (0.45, 0.14), 8: (0.3, 0.15), 16: (1.0, 0.6)}
#: Kernels up to this many taps use :func:`numpy.correlate` in 1D (its unrolled small loop).
NP_CORRELATE_MAX_TAPS = 11
#: Kernels up to this many taps use the Toeplitz product in 1D (beyond: the FFT wins).
TOEPLITZ_MAX_TAPS = 256
#: Outputs per block of the Toeplitz products (at least ``K - 1``, a power of two).
TOEPLITZ_BLOCK = 64
#: A 2D kernel of one row with this many taps or more runs as a Toeplitz product over the
#: rows: the measured crossover on 2048-wide float32 rows is 8-9 taps.
ROW_TOEPLITZ_MIN_TAPS = 9
#: Multiply-adds from which the 1D numpy.correlate path splits the signal between cores. A
#: short kernel is one pass over memory: on 10**6 samples and 3 taps, two threads with one
#: chunk queue took 0.75-0.9 ms against 0.65 ms for one call (numpy's own: 0.56 ms).
NP_PARALLEL_MIN_WORK = 1 << 24
#: Multiply-adds from which 1D short kernels run on the compiled loop when Numba is
#: installed (the call costs a few microseconds more than numpy.correlate's).
COMPILED_MIN_WORK = 1 << 16
#: ... and from which that loop splits the signal between idle cores.
COMPILED_PARALLEL_MIN_WORK = 1 << 19
#: Chunks per core of the parallel 1D numpy.correlate path (short chunks keep temporaries
#: in L2).
NP_PARTS = 8
#: Samples per tile of the 1D paths.
TILE_1D = 1 << 16

# --- direct: tiles of shift-and-add ----------------------------------------------------------
#: Bytes of padded input per tile: slab, output and scratch runs stay in L2 (2 MiB/core);
#: measured: 256 KiB 1.7x faster than 512 KiB on 4096-wide float32 rows, equal on 2048.
TILE_BYTES = 1 << 18
#: Multiply-adds below which threads cost more than they save.
PARALLEL_MIN_WORK = 1 << 18
#: Whether tiles of shift-and-add run on the thread pool. Measured on the reference machine
#: (2048^2 float32, ms, one thread / two): Laplacian 4.6 / 6.2, with reflect border 6.9 / 13.2,
#: separable 5x5 (taps horizontally) 12.9 / 15.3, while the GEMM and FFT paths gain:
#: separable 15x15 15.3 / 11.1, FFT 15x15 29.8 / 18.7, FFT 63x63 37.8 / 21.2. Streams of
#: ufunc passes do not scale on its two cores (per-tile CPU time grows 70% with two threads).
TAPS_IN_PARALLEL = False

# --- separable -------------------------------------------------------------------------------
#: Output rows per band of the fused 2D passes (times the input row length in bytes: in L2).
BAND_BYTES = 1 << 18
#: Output rows per band assumed by the planner's estimate of the vertical product.
BAND_ROWS = 32
#: The separable method's 2D estimate (the banded vertical product and the horizontal taps)
#: times this: measured against it on 2026-12-03 (Gaussian kernels of 9, 21 and 65 taps a
#: side, 'same' reflect), actual / estimated: 512^2 float32 2.7 / 3.0 / 4.6, 1024^2 float64
#: 1.8 / 1.9 / 3.0, 2048^2 float32 2.6 / 2.7 / 2.3, 4096^2 float32 1.8 / 2.1 / 2.6.
SEPARABLE_2D_SCALE = 2.5
#: Kernels larger than this per side are not decomposed by SVD when planning.
SVD_MAX = 256

# --- fft ---------------------------------------------------------------------------------------
#: Real FFT per ``n log2 n``: large multi-dimensional transforms, float32 / float64.
FFT_ND_NS = {4: 0.20, 8: 0.6}
#: ... batched 1D blocks.
FFT_1D_NS = {4: 0.10, 8: 0.2}
#: ... in-cache N-d blocks (overlap-save), one thread each, transformed in place in per-thread
#: buffers, with the copies in and out: measured on 2048 x 2048 float32 (ms of CPU for all the
#: blocks, one thread, load 5-9 on the 2-core machine, whose CPU times run ~10-20% over quiet
#: ones). 63 x 63 kernel: 512^2 41, 576^2 36.5, 768^2 38, 480^2 40, 384^2 46, 320^2 51,
#: 750^2 42, 640^2 43, 600^2 48, 720^2 68, 1024^2 73 (OpenCV's filter2D: 39-43); 15 x 15:
#: 256^2 31, 288^2 32, 384^2 34, 432^2 34, 576^2 36, 512^2 39 (OpenCV: 52). That is 0.17-0.2
#: ns per n log2 n per transform, a few percent more per factor 3 of the lengths.
FFT_BLOCK_NS = {4: 0.16, 8: 0.3}
#: ... times ``1 + FFT_BLOCK_RADIX3 * b`` for lengths ``2**a 3**b`` (576^2 against 512^2, 288^2
#: against 256^2); factors of 5 cost more (600, 720, 750 above): block lengths avoid them.
FFT_BLOCK_RADIX3 = 0.05
#: Per block: the calls and the Python around them (the copies and the product with the
#: kernel's spectrum scale with the points, inside the rate above).
FFT_BLOCK_CALL_NS = 50_000.0
#: Points of a block at most: 1024 x 1024 float32 blocks ran 25% slower per n log2 n than the
#: 576 x 576 and 768 x 768 ones, whose buffers are nearer the core's cache.
FFT_BLOCK_MAX_POINTS = 800_000
#: 1D overlap-save block: the power of two nearest this many times the kernel, at least
#: ``OLS_MIN_BLOCK``. Measured on 10**6 float64 samples (ms, by block length): 101 taps
#: 7.7 / 7.2 / 8.0 (512 / 1024 / 2048), 257 taps 8.0 / 8.6 / 8.5 (1024 / 2048 / 4096),
#: 1001 taps 10.2 / 9.9 / 9.7 (4096 / 8192 / 16384), 3001 taps 12.7 / 10.7 / 11.4
#: (8192 / 16384 / 32768): flat within 10% near the choice.
OLS_TAPS_FACTOR = 8
OLS_MIN_BLOCK = 1024
#: Overlap-save is used when the single transform would be this many times its block.
OLS_MIN_RATIO = 8
#: Samples per task of the 1D overlap-save (a group of blocks transformed together).
OLS_GROUP = 1 << 16

# --- gemm: the layouts of a layer --------------------------------------------------------------
#: im2col columns per batch chunk: about 8 MiB. Chunks run on one thread: BLAS already uses
#: the cores for the products, and two threads for the chunks (BLAS held to one each)
#: measured no faster on LeNet-5's layers: the copies are bound by memory bandwidth.
CHUNK_BYTES = 1 << 23
#: GEMM-then-shift-and-add replaces im2col when it moves this many times fewer values:
#: measured 2.7x faster on LeNet-5's C3 input gradient (5.2x fewer), 1.2x slower on a
#: 3x3 64->32 input gradient (2x fewer), where its skinny per-sample products lose.
SCATTER_GAIN = 3
#: Flat layouts compute up to this many times the useful columns ...
FLAT_WASTE = 2
#: ... and serve rows shorter than this (1.3-1.6x faster on LeNet-5's 28- and 10-wide
#: maps, a little slower from about 32 columns on).
SHORT_ROW = 32
#: The compiled blocked loop shares its blocks between threads from this many multiply-adds.
BLOCKED_PARALLEL = 1 << 20
# The cost model that picks a compiled loop (fitted on 22 layer shapes, 2-core Xeon, float32):
#: the blocked loop runs at 80 GMAC/s on two cores ...
LAYER_BLOCKED_MAC_NS = 0.0125
#: ... plus about 0.3 ns per flat output;
LAYER_BLOCKED_STORE_NS = 0.3
#: the dot loop at 57 GMAC/s ...
LAYER_DOT_MAC_NS = 0.0175
#: ... plus 0.84 ns per kernel value laid out;
LAYER_DOT_LAYOUT_NS = 0.84
#: each compiled call costs about 50 us.
LAYER_COMPILED_CALL_NS = 50e3
#: im2col layouts cost 0.46 ns per column value copied ...
LAYER_COPY_NS = 0.46
#: ... 0.7 for the kernel-sized windows of ``positions``;
LAYER_COPY_WINDOWS_NS = 0.7
#: shift-and-add layouts 1.1 ns per value added.
LAYER_SHIFT_ADD_NS = 1.1
#: A compiled loop is taken only when it is expected 20% faster than the NumPy layout.
LAYER_COMPILED_MARGIN = 0.8

# --- the stencil method: small 2D/3D kernels in one compiled pass ---------------------------
# Measured on the reference machine (2-core AMD EPYC, AVX-512), 2048^2 float32, 'same', as CPU
# time of one thread (the machine was shared: wall times were not reliable): 1x1 2.6 ms, 3x3
# 4.2-4.5 ms, 7x7 10.9-11.1 ms, i.e. 0.7 ns per output and 0.04 ns per tap and output; float64
# twice that. Two threads: divided by PARALLEL.
#: Per output element: reading its input and writing it (ns), by item size.
STENCIL_OUTPUT_NS = {4: 0.7, 8: 1.4}
#: Per tap and output element, vectorized multiply-add from cache (ns), by item size.
STENCIL_TAP_NS = {4: 0.04, 8: 0.08}
#: The same for the unrolled kernels of square kernels (``full_kxk`` up to 7 x 7, rank-1
#: ``rank1_k`` from 4 x 4 to 11 x 11; 2D, stride and dilation 1, no lanes), which read the
#: input rows in place and reuse each value loaded for up to three output rows. Measured
#: 2026-12-03, 2048^2 'same' reflect, CPU time of one thread on the 2-core AMD EPYC under a
#: load average of 6 (ns per output): float32 1x1 0.53, 3x3 0.57, 5x5 1.08, 7x7 1.71,
#: rank-1 5x5 0.68, 9x9 1.12; float64 1x1 1.5, 3x3 1.7, 5x5 2.8, 7x7 4.4, rank-1 5x5 2.0.
STENCIL_UNROLLED_OUTPUT_NS = {4: 0.35, 8: 1.1}
STENCIL_UNROLLED_TAP_NS = {4: 0.03, 8: 0.067}
#: Per output element and per tap and output element of the general loop with a stride other
#: than 1 (one scalar multiply-add per tap: nothing vectorizes along a strided row), one
#: thread (ns). Measured 2026-12-03, 2048^2 'same' float32, wall time on two threads (ns per
#: output): 3x3 7.8 / 10.0 / 10.8 at strides 2 / 3 / 4, 5x5 13.5 / 16.7 / 17.2, 7x7 22.9 /
#: 29.7 / 24.6; float64 3x3 8.3, 7x7 26.5 at stride 2 (times PARALLEL for one thread).
STENCIL_STRIDED_OUTPUT_NS = 12.0
STENCIL_STRIDED_TAP_NS = 0.75
#: Per output row (loop set-up, ring bookkeeping) (ns).
STENCIL_ROW_NS = 150.0
#: Per call: argument checks, task list, waking the threads (ns).
STENCIL_CALL_NS = 30_000.0
#: What loading an optional compiled loop costs (s): in a process where no compiled loop
#: has loaded yet, Numba's import (0.27-0.34 s) and its first function from the disk cache
#: (0.51-0.54 s, most of it Numba's registries); once one has, another loop's cache (0.01-0.1
#: s). Measured 2026-12-03 in fresh processes, the stencil loop for a 2048^2 3x3 Laplacian.
LOOP_LOAD_S = 0.8
LOOP_LOAD_WARM_S = 0.1
#: Largest kernel side the method takes: any kernel, and a rank-1 kernel (two 1D sums; the
#: ring holds ``d (k - 1) + 1`` padded rows). Beyond ~11 x 11 taps FFT overlap-save is faster;
#: a rank-1 kernel costs ``2 k`` multiply-adds an output, and the cost model decides against
#: FFT. Measured 2026-12-03, 4096^2 float32 'same' reflect, Gaussian kernels (ms): k = 33
#: stencil 31 / fft 83 / separable 69; k = 65 50 / 73 / 113; k = 97 75 / 79 / 153.
STENCIL_MAX_SIDE = 11
STENCIL_MAX_SIDE_RANK1 = 127
#: Output elements below which one thread does all the work.
STENCIL_PARALLEL_MIN_OUTPUTS = 1 << 15
#: Bytes of an output row computed at a time. Each pass over a block costs ~40 ns of set-up:
#: on 2048^2 float32 (one thread, CPU ms) blocks of 1, 2, 4 KiB and whole rows took 3x3
#: 10.8 / 9.1 / 7.2 / 4.6, 7x7 33 / 22 / 17 / 11.5; very wide rows are still cut.
STENCIL_BLOCK_BYTES = 16384
#: Row bands per thread (a late helper leaves less imbalance behind).
STENCIL_BANDS_PER_WORKER = 4

# --- the planner's memory ---------------------------------------------------------------------
#: Plans are remembered for this many recent (problem, kernel) pairs, kernels up to
#: ``PLAN_CACHE_MAX_TAPS``: the same filter on many images is planned (and its kernel
#: decomposed) once.
PLAN_CACHE_SIZE = 64
PLAN_CACHE_MAX_TAPS = 1 << 16
#: Kernel spectra the fft method keeps for the next call with the same kernel and transform
#: size (bytes in all; the oldest go first): a 63 x 63 kernel's spectrum at 576 x 576 blocks
#: is 1.3 MB and took 1.6-2.2 ms of a 20 ms 2048^2 call, on one thread before the blocks start.
SPECTRUM_CACHE_BYTES = 32 << 20


def pass_ns(itemsize: int) -> float:
    """:data:`PASS_NS` for an item size (complex128's for anything larger)."""
    return PASS_NS.get(itemsize, PASS_NS[16])


def strided_pass(stride_last: int, nbytes: int) -> float:
    """How many contiguous passes a pass reading every ``stride_last``-th element along rows
    of an input of ``nbytes`` costs: :data:`STRIDED_READ` per step beyond 1 (the cache lines
    it reads for the elements it skips) once the input is out of cache
    (:data:`STRIDED_MIN_BYTES`), else 1.

    >>> strided_pass(1, 1 << 24), strided_pass(3, 1 << 24), strided_pass(3, 1 << 10)
    (1.0, 5.4, 1.0)
    """
    if nbytes < STRIDED_MIN_BYTES:
        return 1.0
    return 1.0 + STRIDED_READ * (max(stride_last, 1) - 1)


def blas_thin_ns(itemsize: int) -> float:
    """:data:`BLAS_THIN_NS` for an item size (complex128's for anything larger)."""
    return BLAS_THIN_NS.get(itemsize, BLAS_THIN_NS[16])
