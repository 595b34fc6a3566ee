"""Block engine: overlap-save along one long axis, streaming over the input.

The signal is cut into overlapping segments of FFT length ``L`` along the
blocked axis; each segment is transformed, multiplied by the kernel's
spectrum (computed once), inverse transformed, and its last ``L - K + 1``
samples -- the ones untouched by circular wrap-around -- are written straight
into the output. Only the blocks that touch the requested output window are
computed, so ``same`` and ``valid`` modes do less work than ``full``.

Memory is the output plus the kernel spectrum plus one block (input,
spectrum, output): unlike :func:`scipy.signal.oaconvolve`, which transforms
every block at once, peak memory does not grow with the signal beyond the
output itself.

Block size: the FFT length ``L`` minimises the predicted time per output
sample, ``(2 F(L) + c L) / (L - K + 1)``, over FFTW-friendly sizes between
about ``2 K`` and a cache-sized cap (see :func:`fftconv._strategy.oa_block_size`).
Other convolved axes are transformed whole inside each block.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ._plans import acquire, copy_padded


def convolve_window(
    a1: np.ndarray,
    a2: np.ndarray,
    axes: Sequence[int],
    windows: Sequence[tuple[int, int]],
    *,
    work_dtype: np.dtype,
    workers: int,
    planner: str = "estimate",
    axis: int | None = None,
    block: int | None = None,
    tiles: dict[int, int] | None = None,
) -> np.ndarray:
    """Overlap-save convolution along ``axis`` (full FFT along the other ``axes``).

    Parameters
    ----------
    a1, a2 : ndarray
        Inputs (broadcastable on non-convolved axes).
    axes : sequence of int
        Convolved axes.
    windows : sequence of (start, stop)
        Output range per axis of the broadcast result, in full-convolution
        coordinates.
    axis : int, optional
        The blocked axis (default: the convolved axis with the longest
        output window relative to the kernel).
    block : int, optional
        FFT length along ``axis`` (default: from the cost model).
    tiles : dict, optional
        ``{axis: FFT length}`` for two or more axes: overlap-save on N-D tiles
        (each tile small enough to stay in cache), instead of one blocked axis.
    """
    from ._strategy import good_size, oa_block_size

    work_dtype = np.dtype(work_dtype)
    real = work_dtype.kind != "c"
    axes = list(axes)
    if tiles is not None and len(tiles) > 1:
        return _convolve_tiles(a1, a2, axes, windows, tiles, work_dtype=work_dtype,
                               workers=workers, planner=planner)
    if axis is None:
        axis = max(axes, key=lambda a: (windows[a][1] - windows[a][0])
                   / max(min(a1.shape[a], a2.shape[a]), 1))
    # The longer input along the blocked axis streams; the other is the kernel.
    if a1.shape[axis] >= a2.shape[axis]:
        sig, ker = a1, a2
    else:
        sig, ker = a2, a1
    n, k = sig.shape[axis], ker.shape[axis]
    start, stop = windows[axis]
    others = [a for a in axes if a != axis]
    oshape = {a: good_size(sig.shape[a] + ker.shape[a] - 1, real=real, dtype=work_dtype,
                           threads=workers) for a in others}
    if block is None:
        inner = math.prod(oshape.values()) * math.prod(
            max(sig.shape[a], ker.shape[a]) for a in range(sig.ndim) if a not in axes
        )
        block = oa_block_size(k, stop - start, dtype=work_dtype, inner=inner, threads=workers)
    L = int(block)
    if L < k:
        raise ValueError(f"block={L} is shorter than the kernel ({k} samples along axis {axis})")
    step = L - k + 1

    def fshape(arr):
        s = list(arr.shape)
        s[axis] = L
        for a in others:
            s[a] = oshape[a]
        return tuple(s)

    sig_shape, ker_shape = fshape(sig), fshape(ker)
    bshape = np.broadcast_shapes(sig_shape, ker_shape)
    out = np.empty(tuple(e - s for s, e in windows), dtype=work_dtype)
    fwd, inv = ("rfft", "irfft") if real else ("fft", "ifft")
    rtype = np.empty(0, work_dtype).real.dtype.type  # 1/n in the working precision
    scale = rtype(1) / rtype(L * math.prod(oshape.values()))
    kw = {"threads": workers, "planner": planner}
    crop = [slice(s, e) for s, e in windows]
    crop[axis] = slice(k - 1, L)
    crop = tuple(crop)
    # Blocks whose input lies wholly inside the signal and whose output is whole
    # ("interior") are done BATCH at a time with one batched transform; the few
    # at the edges (zero padding, a short last block) one at a time.
    starts = range(start, stop, step)
    interior = [o for o in starts if o - k + 1 >= 0 and o + step <= min(n, stop)]
    first = interior[0] if interior else stop
    last = interior[-1] + step if interior else stop
    per_block = math.prod(bshape)
    batch = max(1, min(len(interior), BATCH_ELEMENTS // max(per_block, 1)))
    with acquire(fwd, ker_shape, work_dtype, axes, **kw) as pk:
        copy_padded(pk.input_array, ker, scale=scale)
        pk.execute()
        H = pk.output_array.copy()  # pk goes back to the pool: keep our own spectrum
    edge = [o for o in starts if o < first or o >= last]
    if edge:
        with (
            acquire(fwd, sig_shape, work_dtype, axes, **kw) as ps,
            acquire(inv, bshape, work_dtype, axes, **kw) as pi,
        ):
            for o in edge:
                _one_block(sig, axis, o, k, step, stop, start, L, ps, pi, H, out, crop)
    if interior:
        baxes = [a + 1 for a in axes]
        with (
            acquire(fwd, (batch, *sig_shape), work_dtype, baxes, **kw) as ps,
            acquire(inv, (batch, *bshape), work_dtype, baxes, **kw) as pi,
        ):
            bcrop = (slice(None), *crop)
            ax_stride = sig.strides[axis]
            for b0 in range(0, len(interior), batch):
                os_ = interior[b0:b0 + batch]
                nb = len(os_)
                lo = os_[0] - k + 1
                # nb overlapping windows of length L, `step` apart: a strided view, no copy
                shape = (nb, *sig.shape[:axis], L, *sig.shape[axis + 1:])
                strides = (step * ax_stride, *sig.strides)
                src = np.lib.stride_tricks.as_strided(
                    _take(sig, axis, lo, lo + 1), shape=shape, strides=strides, writeable=False)
                copy_padded(ps.input_array[:nb], src)
                ps.execute()
                np.multiply(ps.output_array, H, out=pi.input_array)
                pi.execute()
                a = os_[0] - start
                slab = _take(out, axis, a, a + nb * step)
                split = slab.reshape(*slab.shape[:axis], nb, step, *slab.shape[axis + 1:])
                np.moveaxis(split, axis, 0)[...] = pi.output_array[bcrop][:nb]
    return out


#: Elements per batch of interior overlap-save blocks: 128 KiB of float64 stays in
#: cache (larger batches measured slower on the development machine).
BATCH_ELEMENTS = 2**14


def _one_block(sig, axis, o, k, step, stop, start, L, ps, pi, H, out, crop) -> None:
    """Overlap-save for the single block whose outputs start at ``o``."""
    n = sig.shape[axis]
    nb = min(step, stop - o)
    lo = o - k + 1  # first input sample this block needs
    src_lo, src_hi = max(lo, 0), min(o + step, n)
    buf = ps.input_array
    head = src_lo - lo
    if src_hi > src_lo:
        dst = _take(buf, axis, head, head + src_hi - src_lo)
        copy_padded(dst, _take(sig, axis, src_lo, src_hi))
        if head:
            _take(buf, axis, 0, head)[...] = 0
        tail = head + src_hi - src_lo
        if tail < L:
            _take(buf, axis, tail, L)[...] = 0
    else:
        buf[...] = 0
    ps.execute()
    np.multiply(ps.output_array, H, out=pi.input_array)
    pi.execute()
    res = pi.output_array[crop]
    _take(out, axis, o - start, o - start + nb)[...] = _take(res, axis, 0, nb)


def _take(arr: np.ndarray, axis: int, lo: int, hi: int) -> np.ndarray:
    idx = [slice(None)] * arr.ndim
    idx[axis] = slice(lo, hi)
    return arr[tuple(idx)]


def _convolve_tiles(a1, a2, axes, windows, tiles, *, work_dtype, workers, planner):
    """Overlap-save on N-D tiles: blocks along every axis in ``tiles``.

    The input with the larger extent on the tiled axes streams; the other is
    the kernel (it must be the smaller on every tiled axis).
    """
    from ._strategy import good_size

    real = work_dtype.kind != "c"
    tiled = sorted(tiles)
    sig, ker = (a1, a2) if all(a1.shape[a] >= a2.shape[a] for a in tiled) else (a2, a1)
    if not all(sig.shape[a] >= ker.shape[a] for a in tiled):
        raise ValueError("tiles need one input at least as large as the other on every "
                         f"tiled axis (got shapes {a1.shape} and {a2.shape})")
    others = [a for a in axes if a not in tiles]
    size = {a: int(tiles[a]) for a in tiled}
    for a in others:
        size[a] = good_size(sig.shape[a] + ker.shape[a] - 1, real=real, dtype=work_dtype,
                            threads=workers)
    for a in tiled:
        if size[a] < ker.shape[a]:
            raise ValueError(f"tile length {size[a]} is shorter than the kernel "
                             f"({ker.shape[a]} samples along axis {a})")

    def fshape(arr):
        s = list(arr.shape)
        for a in axes:
            s[a] = size[a]
        return tuple(s)

    sig_shape, ker_shape = fshape(sig), fshape(ker)
    bshape = np.broadcast_shapes(sig_shape, ker_shape)
    out = np.empty(tuple(e - s for s, e in windows), dtype=work_dtype)
    fwd, inv = ("rfft", "irfft") if real else ("fft", "ifft")
    rtype = np.empty(0, work_dtype).real.dtype.type
    scale = rtype(1) / rtype(math.prod(size[a] for a in axes))
    kw = {"threads": workers, "planner": planner}
    step = {a: size[a] - ker.shape[a] + 1 for a in tiled}
    with acquire(fwd, ker_shape, work_dtype, axes, **kw) as pk:
        copy_padded(pk.input_array, ker, scale=scale)
        pk.execute()
        H = pk.output_array.copy()
    ranges = [range(windows[a][0], windows[a][1], step[a]) for a in tiled]
    with (
        acquire(fwd, sig_shape, work_dtype, axes, **kw) as ps,
        acquire(inv, bshape, work_dtype, axes, **kw) as pi,
    ):
        buf = ps.input_array
        for origin in itertools.product(*ranges):
            src = [slice(None)] * sig.ndim
            dst = [slice(0, sig.shape[a]) for a in range(sig.ndim)]
            res = [slice(s, e) for s, e in windows]
            put = [slice(None)] * sig.ndim
            for a, o in zip(tiled, origin):
                k = ker.shape[a]
                lo, hi = o - k + 1, o + step[a]
                s_lo, s_hi = max(lo, 0), min(hi, sig.shape[a])
                src[a] = slice(s_lo, max(s_hi, s_lo))
                dst[a] = slice(s_lo - lo, s_lo - lo + max(s_hi - s_lo, 0))
                nb = min(step[a], windows[a][1] - o)
                res[a] = slice(k - 1, k - 1 + nb)
                put[a] = slice(o - windows[a][0], o - windows[a][0] + nb)
            buf[...] = 0
            buf[tuple(dst)] = sig[tuple(src)]
            ps.execute()
            np.multiply(ps.output_array, H, out=pi.input_array)
            pi.execute()
            out[tuple(put)] = pi.output_array[tuple(res)]
    return out
