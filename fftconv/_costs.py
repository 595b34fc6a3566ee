"""The cost model's data and formulas: predicted seconds per engine and parameter.

* ``F(n)``, the time of one FFT of ``n`` points, is *measured*: a ladder of
  sizes per transform kind, interpolated log-log. :data:`SHIPPED_FFT_NS` holds
  the ladder measured where fftconv was developed; :func:`fftconv.calibrate`
  measures this machine (under a second) and stores the result in the user
  cache directory, keyed by machine, FFTW version, dtype and thread count.
* the other constants (:data:`CONSTANTS`, the per-block tables), each with its
  provenance; the data live in :mod:`fftconv._cost_tables` (re-exported here).
* the formulas for direct sums (any dimensionality, the compiled loops
  included) and overlap-save blocks along one axis (general and lean 1-D),
  and the 1-D FFT lengths they use.

The N-D formulas -- FFT sizes per axis, the single-FFT engine, N-D tiles and
2-D strips -- build on these in :mod:`fftconv._costs_nd`.
:mod:`fftconv._strategy` weighs the predictions and chooses.
"""

from __future__ import annotations

import bisect
import functools
import math
import os

import numpy as np
import scipy.fft

from . import _calibration, _directloop, _halfblocks
from ._cost_tables import (  # noqa: F401  (the model's data, re-exported)
    CONSTANTS,
    HALF_SMOOTH_FAST,
    LADDER,
    LEAN_COMPLEX64_RATIO,
    LEAN_SINGLE_FULL_RATIO,
    NON_POW2_LARGE,
    OA_BLOCK_NS,
    OA_BLOCK_NS_LEAN,
    SHIPPED_FFT_NS,
    SINGLE_POW2_SLOW,
)
from ._parallel import THREADS_MIN_SIZE, split_time

#: 1-D float/complex problems up to this many samples take the lean path
#: (:mod:`fftconv._fast1d`); larger ones the general, memory-lean engines.
LEAN_MAX_SAMPLES = 2**22

#: Largest FFT length along the blocked axis considered for overlap-save.
OA_MAX_BLOCK = 2**18


@functools.lru_cache(maxsize=64)
def _fft_kind(dtype: np.dtype) -> str:
    dtype = np.dtype(dtype)
    single = dtype in (np.dtype(np.float32), np.dtype(np.complex64))
    return ("cfft" if dtype.kind == "c" else "rfft") + ("32" if single else "64")


@functools.lru_cache(maxsize=64)
def _log_table(kind: str, threads: int) -> tuple[tuple[float, ...], tuple[float, ...], bool]:
    """log2 ladder sizes and times for one transform kind (cached; see :func:`_reset`)."""
    cal = _calibration.table(threads)
    ys = (cal or SHIPPED_FFT_NS)[kind]
    return (tuple(math.log2(s) for s in LADDER), tuple(math.log2(y) for y in ys),
            cal is not None)


@functools.lru_cache(maxsize=4096)
def _fft_time_cached(n: int, kind: str, threads: int) -> float:
    if n < THREADS_MIN_SIZE:  # such plans run on one thread (fftconv._plans)
        threads = 1
    lx, ly, calibrated = _log_table(kind, threads)
    ln = math.log2(n)
    if ln <= lx[0]:
        y = ly[0]
    elif ln >= lx[-1]:  # extrapolate as n log n beyond the ladder
        y = ly[-1] + (ln - lx[-1]) + math.log2(ln / lx[-1])
    else:
        i = bisect.bisect_left(lx, ln) - 1
        t = (ln - lx[i]) / (lx[i + 1] - lx[i])
        y = ly[i] + t * (ly[i + 1] - ly[i])
    secs = 2.0**y * 1e-9
    if threads > 1 and not calibrated and n >= 2**15:
        secs /= min(threads, os.cpu_count() or 1) * 0.75
    return secs


def fft_time(n: int, dtype, threads: int = 1) -> float:
    """Predicted seconds for one FFT of ``n`` points (total, any dimensionality).

    The ladder holds powers of two; other FFTW-friendly sizes (factors 3, 5, 7)
    cost :data:`CONSTANTS` ``non_pow2`` times more per ``n log n``.
    """
    if n <= 1:
        return 0.0
    n = int(n)
    t = _fft_time_cached(n, _fft_kind(dtype), int(threads))
    return t if n & (n - 1) == 0 else t * CONSTANTS["non_pow2"]


def fft_time_1d(n: int, dtype, threads: int = 1) -> float:
    """:func:`fft_time` for one 1-D transform of ``n`` points.

    From :data:`NON_POW2_LARGE` points on, 3/5/7-smooth lengths cost
    ``non_pow2_large`` (< 1) times the power-of-two rate in double precision,
    where FFTW_ESTIMATE's power-of-two plans are the slower ones, and
    ``non_pow2_large_single`` (> 1) in single precision below
    :data:`SINGLE_POW2_SLOW` points (``non_pow2_huge_single`` from there on).
    """
    if n < NON_POW2_LARGE or n & (n - 1) == 0:
        return fft_time(n, dtype, threads)
    return _fft_time_cached(int(n), _fft_kind(dtype), int(threads)) * _non_pow2_large(dtype, n)


def _non_pow2_large(dtype, n: int) -> float:
    """Factor for a 3/5/7-smooth FFT of ``n >= NON_POW2_LARGE`` points against the
    power-of-two rate, per precision."""
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.complex64)):
        return CONSTANTS["non_pow2_large"]
    return CONSTANTS["non_pow2_large_single" if n < SINGLE_POW2_SLOW else "non_pow2_huge_single"]


def fast_len16(n: int, real: bool = True) -> int:
    """Smallest ``16 * m >= n`` with ``m`` 2,3,5,7-smooth (for ``n >= 64``).

    Pure odd sizes such as 78125 = 5**7 are FFTW-friendly in theory but measured
    up to 3x slower per ``n log n`` than nearby multiples of 16.
    """
    if n < 64:
        return scipy.fft.next_fast_len(n, real)
    return 16 * scipy.fft.next_fast_len(-(-n // 16), real)


def good_size(n: int, *, real: bool, dtype=np.float64, threads: int = 1) -> int:
    """The cheaper of :func:`fast_len16` and the next power of two, for one FFT."""
    a = fast_len16(n, real)
    b = 1 << max(int(n) - 1, 0).bit_length()
    if a == b:
        return a
    return a if fft_time_1d(a, dtype, threads) <= fft_time_1d(b, dtype, threads) else b


def lean_fft_len(n: int, k: int, window: tuple[int, int], *, dtype, threads: int = 1) -> int:
    """FFT length for the output ``window`` of a 1-D convolution of lengths ``n`` and ``k``.

    A *circular* convolution of length ``P`` equals the linear one wherever
    the wrapped-around terms vanish: on ``[start, stop)`` when
    ``P >= max(stop, n + k - 1 - start)`` (both inputs must also fit). Modes
    ``'same'`` and ``'valid'`` therefore pad less than ``'full'``.

    >>> lean_fft_len(1000, 1001, (500, 1500), dtype=float) >= 1500  # 'same'
    True
    >>> lean_fft_len(1000, 1001, (0, 2000), dtype=float) >= 2000  # 'full'
    True
    """
    w0, w1 = window
    need = max(w1, n + k - 1 - w0, n, k)
    return good_size(need, real=np.dtype(dtype).kind != "c", dtype=dtype, threads=threads)


def _ns(name: str) -> float:
    return CONSTANTS[name] * 1e-9


def direct_time(shape1, shape2, windows, dtype, threads: int = 1) -> float:
    """Predicted seconds of the direct engine.

    With ``threads`` > 1 the compiled loops split their output over threads
    (:mod:`fftconv._parallel`); the other direct paths run on one.
    """
    out = math.prod(e - s for s, e in windows)
    ksize = min(math.prod(shape1), math.prod(shape2))
    macs = out * ksize
    dtype = np.dtype(dtype)
    cfac = 4.0 if dtype.kind == "c" else 1.0
    if len(shape1) == 1 and _directloop.uses_compiled(shape1[0], shape2[0], dtype):
        t = direct_loop_time(out, ksize, dtype)
        units = _directloop.split_units_1d(out, dtype)
        return split_time(t, _directloop.split_parts(threads, out, ksize, t, units), units)
    if len(shape1) == 2 and _directloop.uses_compiled_2d(shape1, shape2, dtype):
        t = direct_loop_time_2d(shape1, shape2, windows,
                                dtype if dtype.kind == "c" else _directloop.loop_dtype(dtype))
        if dtype.kind in "biu":  # in float64: casts in, exactness check, cast out
            t += out * _ns("cdirect_int_out_2d")
        rows = windows[0][1] - windows[0][0]
        return split_time(t, _directloop.split_parts(threads, out, ksize, t, rows), rows)
    if len(shape1) > 2:  # batches of 2-D problems on the compiled loop, where it applies
        big, small = (shape1, shape2) if math.prod(shape1) >= math.prod(shape2) else (
            shape2, shape1)
        sq = _directloop.squeeze_2d(big, small, windows)
        if sq is not None and _directloop.uses_compiled_2d(sq[1], sq[2], dtype):
            lead, s1, s2, w2 = sq
            # one Python call per 2-D problem (measured about 3.5 us each)
            return lead * (direct_time(s1, s2, w2, dtype, threads) + 3.5e-6)
    if len(shape1) == 1 and dtype.kind != "O":
        per = _ns("np_convolve_mac_short") if ksize < 64 else _ns("np_convolve_mac_long")
        full = (shape1[0] + shape2[0] - 1) * ksize
        return 2e-6 + full * per * cfac
    if dtype.kind in "fc" and dtype.itemsize <= 16:
        # complex N-D: ndimage makes four real passes, each with its per-output cost
        # (measured 12x36x42 * 1x1x5: 549 us, 278 predicted without it); complex
        # 2-D runs scipy's loop (fftconv._direct), one pass
        outs = cfac if len(shape1) != 2 else 1.0
        return 10e-6 + macs * _ns("ndimage_mac") * cfac + out * _ns("ndimage_out") * outs
    return ksize * _ns("loop_tap") + macs * _ns("loop_elem") * cfac


def direct_loop_time_2d(shape1, shape2, windows, dtype, *, scale: float | None = None) -> float:
    """Predicted seconds of the compiled 2-D direct loop on one 2-D window
    (complex: the complex loop, :data:`CONSTANTS` ``cdirect_complex_2d`` times
    the real loop of its parts' precision)."""
    # columns next to the image's sides (and a tile's remainder) run through the
    # loop's slower edge path: per output row about 2 (K1 - 1) + 16 of them
    dtype, cfac = np.dtype(dtype), 1.0
    if dtype.kind == "c":
        dtype, cfac = np.dtype(dtype.char.lower()), CONSTANTS["cdirect_complex_2d"]
    k1 = min(shape1[1], shape2[1])
    ksize = min(math.prod(shape1), math.prod(shape2))
    (r0, r1), (c0, c1) = windows
    edge = (r1 - r0) * min(c1 - c0, 2 * (k1 - 1) + 16) * ksize
    return cfac * direct_loop_time((r1 - r0) * (c1 - c0), ksize, dtype, dims=2,
                                   edge_macs=edge, scale=scale)


def direct_loop_time(out: int, k: int, dtype, *, scale: float | None = None,
                     dims: int = 1, edge_macs: int = 0) -> float:
    """Predicted seconds of the compiled direct loop: ``out`` outputs of ``k`` taps.

    ``dims`` 2 selects the 2-D loop's constants (rows of kernel rows), with
    ``edge_macs`` multiply-adds charged extra for its edge path.

    ``scale`` (default: this machine's, from :func:`fftconv.calibrate`, else
    the shipped factor of the kernel the processor runs, see
    ``_directloop.isa_factor``) multiplies the shipped per-output and per-tap
    constants.
    """
    dtype = np.dtype(dtype)
    cfac = 1.0
    if dtype.kind == "c":  # the complex loop, against the real one of its parts' precision
        cfac = CONSTANTS["cdirect_complex_1d" + ("_single" if dtype.itemsize == 8 else "")]
        dtype = np.dtype(dtype.char.lower())
    if scale is None:
        scale = _calibration.direct_scale(dtype, dims=dims)
        if scale is None:
            scale = _directloop.isa_factor(dims)
    single = dtype.itemsize == 4
    bits = ("f32" if single else "f64") + ("_2d" if dims == 2 else "")
    per = _ns("cdirect_out_" + bits) + k * _ns("cdirect_mac_" + bits)
    edge = edge_macs * _ns("cdirect_edge_mac_2d")
    return 2e-6 + (out * per + edge) * scale * cfac


def _elem_ns(nbytes: int) -> float:
    """Per-element cost of the copies and products around one block, in ns.

    In cache (blocks up to 256 KiB) it is :data:`CONSTANTS` ``block_elem``; it
    grows by that much again per doubling beyond, up to 3x (memory-bound).
    """
    over = max(0.0, math.log2(max(nbytes, 1) / 2**18))
    return CONSTANTS["block_elem"] * min(1.0 + over, 3.0)


#: Elements per batch of overlap-save blocks run through one pair of plans:
#: the lean 1-D jobs (:mod:`fftconv._fast1d`, ``lean``) and the general block
#: engine (:mod:`fftconv._overlap`). A batch stays in cache (larger batches
#: measured slower on the development machine); the engines split their
#: batches over threads, so a batch is the unit of a split.
OA_BATCH_ELEMENTS = {True: 2**15, False: 2**14}


def oa_batches(blocks: int, block_elems: int, *, lean: bool) -> tuple[int, int]:
    """``(blocks per batch, number of batches)`` as the block engines batch them."""
    if blocks <= 0:
        return 1, 0
    batch = max(1, min(blocks, OA_BATCH_ELEMENTS[lean] // max(block_elems, 1)))
    nbatch = -(-blocks // batch)
    if not lean:  # the general engine evens the batches out
        batch = -(-blocks // nbatch)
    return batch, nbatch


def oa_split_work(k: int, L: int, out_len: int, dtype, inner: int = 1, *,
                  lean: bool = False) -> tuple[float, int]:
    """``(seconds, batches)``: the blocks' one-thread time, and the pieces it comes in.

    This is the part of :func:`oa_cost` that a split over threads divides
    (the kernel's transform and the set-up are not); the engines ask
    :func:`fftconv._parallel.parts` with it, as the model does.
    """
    dtype = np.dtype(dtype)
    if lean:
        step = (L - k + 1) // 8 * 8  # blocks start SIMD-aligned
        if step <= 0:
            return math.inf, 1
        blocks = math.ceil(out_len / step)
        # the table streams 2**21 samples from memory; a signal that fits in the
        # cache is faster per block (measured 0.7-0.85x below 1 MiB)
        hot = CONSTANTS["lean_oa_in_cache"] if out_len * dtype.itemsize <= 2**20 else 1.0
        return blocks * _oa_block_time(L, dtype, True) * hot, oa_batches(blocks, L, lean=True)[1]
    step = L - k + 1
    if step <= 0:
        return math.inf, 1
    blocks = math.ceil(out_len / step)
    n = L * inner
    if inner == 1 and OA_BLOCK_NS[0][0] <= L <= OA_BLOCK_NS[0][-1]:
        # 1-D: the whole per-block pipeline, measured (see OA_BLOCK_NS)
        per_block = _oa_block_time(L, dtype, False)
    else:
        per_block = (2 * fft_time(n, dtype) + n * _elem_ns(n * dtype.itemsize) * 1e-9
                     * (2.0 if dtype.kind == "c" else 1.0) + _ns("block_overhead"))
    return blocks * per_block, oa_batches(blocks, n, lean=False)[1]


def oa_cost(k: int, L: int, out_len: int, dtype, inner: int = 1, threads: int = 1, *,
            lean: bool = False, split: bool = True) -> float:
    """Predicted seconds of overlap-save with FFT length ``L`` along the blocked axis.

    ``lean``: the 1-D path of :mod:`fftconv._fast1d` (cached job, blocks read
    in place; :data:`OA_BLOCK_NS_LEAN`). With ``threads`` > 1 the batches of
    blocks are split over threads, each transforming on one
    (:func:`oa_split_work`, :mod:`fftconv._parallel`); ``split=False`` prices
    an engine that runs its blocks one after another (FFTW's threads then
    serve only transforms of
    :data:`~fftconv._parallel.THREADS_MIN_SIZE` points and more).
    """
    if lean:
        work, units = oa_split_work(k, L, out_len, dtype, lean=True)
        return (split_time(work, threads, units) + fft_time_1d(L, dtype)
                + _ns("lean_oa_overhead"))
    dtype = np.dtype(dtype)
    n = L * inner
    if split or threads == 1:
        work, units = oa_split_work(k, L, out_len, dtype, inner)
        blocks_time = split_time(work, threads, units)
        bthreads = 1
    else:  # one block after another, FFTW's threads on each (large blocks only)
        step = L - k + 1
        if step <= 0:
            return math.inf
        blocks_time = math.ceil(out_len / step) * (
            2 * fft_time(n, dtype, threads) + n * _elem_ns(n * dtype.itemsize) * 1e-9
            * (2.0 if dtype.kind == "c" else 1.0) + _ns("block_overhead"))
        bthreads = threads
    return (blocks_time + fft_time(n, dtype, bthreads) + _ns("call_overhead")
            + _ns("oa_extra_overhead"))


@functools.lru_cache(maxsize=1024)
def _oa_block_time(L: int, dtype, lean: bool = False) -> float:
    sizes, table = OA_BLOCK_NS_LEAN if lean else OA_BLOCK_NS
    lean_table = _calibration.oa_table(1) or OA_BLOCK_NS_LEAN[1]  # this machine's, if measured
    if lean:
        table = lean_table
    single = dtype in (np.dtype(np.float32), np.dtype(np.complex64))
    half = _halfblocks.usable(dtype, L)  # float32 on half-length complex transforms
    ys = table["float32" if single else "float64"]
    cfac = 2.2 if dtype.kind == "c" else 1.0
    if half and not lean:  # the general engine's float64 row, at the lean ratio
        ys = [v * s / d for v, s, d in zip(table["float64"], lean_table["float32"],
                                            lean_table["float64"])]
    elif dtype == np.dtype(np.complex64):  # its own measured ratio to float64
        ys, cfac = [v * r for v, r in zip(table["float64"], LEAN_COMPLEX64_RATIO)], 1.0
    elif lean and single and not half:
        # full-length transforms, not the half-length ones of the float32 row
        ys = [v * r for v, r in zip(table["float64"], LEAN_SINGLE_FULL_RATIO)]
    lx = math.log2(L)
    i = min(max(bisect.bisect_left(sizes, L) - 1, 0), len(sizes) - 2)
    x0, x1 = math.log2(sizes[i]), math.log2(sizes[i + 1])
    y = math.log2(ys[i]) + (lx - x0) / (x1 - x0) * (math.log2(ys[i + 1]) - math.log2(ys[i]))
    t = 2.0**y * 1e-9
    if L & (L - 1):
        if L < NON_POW2_LARGE or not (lean or half):
            t *= CONSTANTS["non_pow2"]
        elif half:
            lo, hi = HALF_SMOOTH_FAST
            t *= CONSTANTS["non_pow2_half" if lo < L <= hi else "non_pow2_large_single"]
        else:
            t *= _non_pow2_large(dtype, L)
    return t * cfac


def oa_block_size(k: int, out_len: int, *, dtype, inner: int = 1, lean: bool = False) -> int:
    """FFT length along the blocked axis that minimises :func:`oa_cost` (cached).

    Candidates are FFTW-friendly lengths from about ``2 k`` up to
    :data:`OA_MAX_BLOCK` (or the whole output, if smaller). The thread count
    does not enter: the block engines split their blocks over threads, each
    transformed on one, so the best length is one thread's, and the result
    is the same bits whatever ``workers`` is.
    """
    return _oa_block_size(int(k), int(out_len), np.dtype(dtype), int(inner), bool(lean))


@functools.lru_cache(maxsize=1024)
def _oa_block_size(k: int, out_len: int, dtype, inner: int, lean: bool = False) -> int:
    """FFT length along the blocked axis that minimises :func:`oa_cost`.

    Candidates are FFTW-friendly lengths from about ``2 k`` up to
    :data:`OA_MAX_BLOCK` (or the whole output, if smaller).
    """
    real = np.dtype(dtype).kind != "c"
    hi = max(min(OA_MAX_BLOCK, fast_len16(out_len + k - 1, real)), fast_len16(2 * k, real))
    best, best_cost = None, math.inf
    m = max(fast_len16(k + max(k // 4, 8), real), 16)
    cands = set()
    while True:
        L = fast_len16(m, real)
        cands.add(L)
        cands.add(1 << (L - 1).bit_length())
        if L >= hi:
            break
        m = max(int(L * 1.25), L + 1)
    for L in sorted(cands):
        c = oa_cost(k, L, out_len, dtype, inner, lean=lean)
        if c < best_cost:
            best, best_cost = L, c
    return best
