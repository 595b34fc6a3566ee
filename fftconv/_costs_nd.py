"""The cost model's N-D formulas: FFT sizes, the one-FFT engine, tiles and strips.

* :func:`fft_sizes` -- the FFT length per convolved axis, chosen jointly over
  the axes by the predicted N-D transform time (:func:`_fft_time_nd`).
* :func:`fft_time_total` -- predicted seconds of the single-FFT engine
  (batched, any dimensionality).
* :func:`tile_plan` -- the best N-D overlap-save tiling over the two longest
  axes; :func:`strip_plan` -- the best 2-D strip set-up (``fftconv._strips``).

They build on the 1-D transform times and the constants, with their
provenance, in :mod:`fftconv._costs`; :mod:`fftconv._strategy` weighs the
predictions and chooses.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import scipy.fft

from ._costs import CONSTANTS, _elem_ns, _ns, fast_len16, fft_time, good_size
from ._parallel import split_time


def _len16(n: int) -> int:
    """Smallest multiple of 16 at least ``n`` whose quotient is 2,3,5,7-smooth."""
    return 16 * scipy.fft.next_fast_len(-(-n // 16), True)


def fft_sizes(shape1, shape2, axes, *, real: bool, dtype=np.float64, threads=1) -> list[int]:
    """FFT size per convolved axis for a full linear convolution.

    One axis: :func:`good_size`. Several: each axis may take its 3/5/7-smooth
    size or the next power of two, and the combination with the least
    predicted N-D time wins. Choosing per axis would round 136 up to 256 on
    every axis of a 136x136x18 transform (the ladder's small sizes are
    dominated by per-call overhead), 3x the points: measured 5.6x slower.
    """
    need = tuple(int(shape1[a] + shape2[a] - 1) for a in axes)
    if len(need) == 1:
        return [good_size(need[0], real=real, dtype=dtype, threads=threads)]
    return list(_joint_sizes(need, bool(real), np.dtype(dtype), int(threads)))


@functools.lru_cache(maxsize=1024)
def _joint_sizes(need: tuple, real: bool, dtype, threads: int) -> tuple:
    """:func:`fft_sizes` for several axes (cached: it prices up to 64 combinations)."""
    options = []
    for i, n in enumerate(need):
        last_real = real and i == len(need) - 1
        options.append(sorted({fast_len16(n, last_real), 1 << max(n - 1, 0).bit_length()}))
    if math.prod(len(o) for o in options) > 64:  # many axes: the smooth sizes
        return tuple(o[0] for o in options)
    return min(itertools.product(*options),
               key=lambda fs: (_fft_time_nd(fs, dtype, threads), math.prod(fs)))


def fft_time_total(shape1, shape2, axes, dtype, threads=1) -> tuple[float, list[int]]:
    """Predicted seconds of the single-FFT engine and the FFT sizes it uses."""
    dtype = np.dtype(dtype)
    real = dtype.kind != "c"
    fs = fft_sizes(shape1, shape2, axes, real=real, dtype=dtype, threads=threads)
    batch1 = math.prod(s for a, s in enumerate(shape1) if a not in axes)
    batch2 = math.prod(s for a, s in enumerate(shape2) if a not in axes)
    batch = max(batch1, batch2)
    n = math.prod(fs)
    spec = n // 2 + 1 if real else n
    t = _fft_time_nd(fs, dtype, threads) * (batch1 + batch2 + batch)
    if batch > 1 and batch * n * dtype.itemsize > 2**21:
        # batched transforms whose data leave the cache: measured ~2x the ladder
        # (1024 rows of 1152-point FFTs, the passes of a separable 101-tap kernel)
        t *= CONSTANTS["batch_out_of_cache"]
    t += batch * spec * _ns("cmul_elem") + (batch1 + batch2 + 2 * batch) * n * _ns("copy_elem")
    return t + _ns("call_overhead"), fs


def _fft_time_nd(shape, dtype, threads: int = 1) -> float:
    """Predicted seconds of one N-D FFT of ``shape``.

    The cheaper of the ladder at the total size and a row-column estimate
    (one pass of 1-D transforms per axis, doubled beyond 2 MiB where the
    column passes leave the cache): 2-D transforms of 512x512 were measured
    at 0.6x the 1-D ladder time of 2**18 points.
    """
    shape = [int(s) for s in shape if s > 1]
    n = math.prod(shape)
    t = fft_time(n, dtype, threads)
    if len(shape) < 2:
        return t
    dtype = np.dtype(dtype)
    cdtype = np.result_type(dtype, np.complex64)
    rc, rest = 0.0, n
    for i in range(len(shape) - 1, -1, -1):  # last axis real (if real), others complex
        m = shape[i]
        rest //= m
        kind = dtype if i == len(shape) - 1 else cdtype
        rc += rest * fft_time(m, kind, threads)
        rest *= (m // 2 + 1) if (i == len(shape) - 1 and dtype.kind != "c") else m
    if n * dtype.itemsize > 2**21:
        rc *= 2.0
    return min(t, rc)


def _strip_work(T0: int, P1: int, k0: int, rows: int, dtype: np.dtype) -> tuple[float, int]:
    """``(seconds, strips)``: the strips' one-thread time (what a split divides)."""
    real = dtype.kind != "c"
    H = P1 // 2 + 1 if real else P1
    cdt = np.result_type(dtype, np.complex64)
    step = T0 - k0 + 1
    per = ((T0 + step) * fft_time(P1, dtype) + 2 * H * fft_time(T0, cdt)
           + T0 * H * (_ns("cmul_elem") + 2 * _ns("copy_elem")))
    # a strip's buffers (image rows, spectrum, kernel spectrum, output rows)
    # leaving the cache: measured ~ (bytes / 1 MiB) ** 0.45
    ws = T0 * P1 * 5 * dtype.itemsize
    strips = -(-rows // step)
    return (strips * (per * (ws / 2**20) ** CONSTANTS["strip_cache_exp"] + _ns("strip_overhead"))
            * CONSTANTS["strip_factor"], strips)


def _strip_shapes(shape1, shape2, windows):
    """``(k0, k1, n1, rows)``: the image is the input with more rows (as ``_strips``)."""
    img, ker = (shape1, shape2) if shape1[0] >= shape2[0] else (shape2, shape1)
    return ker[0], ker[1], img[1], windows[0][1] - windows[0][0]


def strip_split_work(shape1, shape2, windows, *, dtype, strips) -> tuple[float, int]:
    """``(seconds, strips)`` of the strip engine with ``strips = (T0, P1)``, as
    :func:`strip_plan` prices it: the engine splits by it (:mod:`fftconv._parallel`)."""
    k0, _, _, rows = _strip_shapes(shape1, shape2, windows)
    return _strip_work(int(strips[0]), int(strips[1]), k0, rows, np.dtype(dtype))


def strip_plan(shape1, shape2, windows, *, dtype, threads: int = 1):
    """Best strip engine set-up ``((T0, P1), seconds)`` for a 2-D problem (see ``_strips``).

    ``P1`` is the FFT-friendly circular row length the column window needs;
    ``T0`` the power-of-two strip height (at least ``2 K0``) with the least
    predicted time: per strip, ``T0`` forward and ``T0 - K0 + 1`` inverse row
    transforms, two column passes of ``T0``-point complex transforms, the
    product and the copies, scaled by :data:`CONSTANTS` ``strip_factor``.
    Both are chosen for one thread; ``threads`` splits the strips.
    """
    dtype = np.dtype(dtype)
    real = dtype.kind != "c"
    k0, k1, n1, rows = _strip_shapes(shape1, shape2, windows)
    c0, c1 = windows[1]
    P1 = good_size(max(c1, n1 + k1 - 1 - c0, n1, k1), real=real, dtype=dtype)
    best = None
    T0 = 16
    while T0 < 2 * k0:
        T0 *= 2
    while True:
        work, units = _strip_work(T0, P1, k0, rows, dtype)
        if best is None or work < best[1]:
            best = (T0, work, units)
        if T0 >= rows + k0 - 1 or T0 >= 2**14:
            break
        T0 *= 2
    T0, work, units = best
    H = P1 // 2 + 1 if real else P1
    kernel = k0 * fft_time(P1, dtype) + H * fft_time(T0, np.result_type(dtype, np.complex64))
    # threads > 1: groups of strips on threads of their own (fftconv._strips)
    return (T0, P1), split_time(work, threads, units) + kernel + _ns("call_overhead")


def _tile_inner(shape1, shape2, axes, tiled, real: bool, dtype) -> int:
    """Elements per tile point: the whole-transformed axes' FFT sizes times the batch axes."""
    others = [a for a in axes if a not in tiled]
    inner = math.prod(good_size(shape1[a] + shape2[a] - 1, real=real, dtype=dtype)
                      for a in others)
    return inner * math.prod(max(shape1[a], shape2[a]) for a in range(len(shape1))
                             if a not in axes)


def _tile_cost(L0: int, L1: int, inner: int, dtype: np.dtype) -> tuple[float, float]:
    """``(one transform, one tile)`` seconds for tiles of ``L0 x L1`` (times ``inner``)."""
    n = L0 * L1 * inner
    f = min(fft_time(n, dtype), _fft_time_nd((L0, L1), dtype) * inner)
    # short tile axes that are not multiples of 16 (54, 36, 30: factors of 3)
    # measured 1.5-3x the ladder's rate in N-D transforms
    f *= CONSTANTS["tile_odd_axis"] ** ((L0 % 16 != 0) + (L1 % 16 != 0))
    per = (2 * f + n * _elem_ns(n * dtype.itemsize) * 1e-9 * CONSTANTS["tile_passes"]
           * (1.0 if dtype.kind != "c" else 2.0) + _ns("tile_overhead"))
    return f, per


def tile_split_work(shape1, shape2, axes, windows, *, dtype, tiles) -> tuple[float, int]:
    """``(seconds, tiles)`` of the tile engine with ``tiles = {axis: L}``, as
    :func:`tile_plan` prices it: the engine splits by it (:mod:`fftconv._parallel`)."""
    dtype = np.dtype(dtype)
    (a0, L0), (a1, L1) = sorted(tiles.items())
    count = 1
    for a, L in ((a0, L0), (a1, L1)):
        k = min(shape1[a], shape2[a])
        count *= math.ceil((windows[a][1] - windows[a][0]) / (L - k + 1))
    inner = _tile_inner(shape1, shape2, axes, (a0, a1), dtype.kind != "c", dtype)
    return count * _tile_cost(L0, L1, inner, dtype)[1], count


def tile_plan(shape1, shape2, axes, windows, *, dtype, threads: int = 1):
    """Best N-D tiling ``({axis: L}, seconds)`` over the two longest axes, or None.

    Tiles apply when one input is at least as large as the other on both tiled
    axes; tile lengths are FFTW-friendly sizes from about ``2 K`` to 1024,
    chosen for one thread: ``threads`` > 1 splits the tiles over threads, each
    transforming on one (``fftconv._overlap``).
    """
    dtype = np.dtype(dtype)
    real = dtype.kind != "c"
    big = [a for a in axes if shape1[a] >= shape2[a]]
    small = [a for a in axes if shape2[a] >= shape1[a]]
    usable = big if len(big) >= len(small) else small
    if len(usable) < 2:
        return None
    ker = shape2 if usable is big else shape1
    cand_axes = sorted(usable, key=lambda a: -(windows[a][1] - windows[a][0]) / ker[a])[:2]
    inner = _tile_inner(shape1, shape2, axes, cand_axes, real, dtype)
    options = []
    for a in cand_axes:
        k = ker[a]
        out_len = windows[a][1] - windows[a][0]
        hi = min(1024, good_size(out_len + k - 1, real=real, dtype=dtype))
        sizes = sorted({L for m in (2 * k, 3 * k, 4 * k, 6 * k, 8 * k, 64, 128, 256, 512, 1024)
                        for L in (fast_len16(m, real), _len16(m))
                        if 2 * k <= L <= max(hi, 2 * k)} | {hi})
        options.append([(L, math.ceil(out_len / (L - k + 1))) for L in sizes if L > k])
    if not all(options):
        return None
    best = None
    for (L0, n0), (L1, n1) in itertools.product(*options):
        f, per = _tile_cost(L0, L1, inner, dtype)
        t = n0 * n1 * per + f + _ns("call_overhead")
        if best is None or t < best[1]:
            best = ({cand_axes[0]: L0, cand_axes[1]: L1}, t, n0 * n1 * per, n0 * n1)
    if best is None:
        return None
    tiles, t, work, units = best
    return tiles, t - work + split_time(work, threads, units)
