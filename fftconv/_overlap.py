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

import math
from collections.abc import Sequence

import numpy as np
import scipy.fft

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
    """
    from ._strategy import oa_block_size

    work_dtype = np.dtype(work_dtype)
    real = work_dtype.kind != "c"
    axes = list(axes)
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
    oshape = {a: scipy.fft.next_fast_len(sig.shape[a] + ker.shape[a] - 1, real) for a in others}
    if block is None:
        inner = math.prod(oshape.values()) * math.prod(
            max(sig.shape[a], ker.shape[a]) for a in range(sig.ndim) if a not in axes
        )
        block = oa_block_size(k, stop - start, dtype=work_dtype, inner=inner)
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
    out_shape = tuple(e - s for s, e in windows)
    out = np.empty(out_shape, dtype=work_dtype)
    fwd, inv = ("rfft", "irfft") if real else ("fft", "ifft")
    scale = 1.0 / (L * math.prod(oshape.values()))
    kw = {"threads": workers, "planner": planner}
    # Crop on the non-blocked axes (window) and on the blocked axis (valid part).
    crop_other = [slice(s, e) for s, e in windows]
    with (
        acquire(fwd, ker_shape, work_dtype, axes, **kw) as pk,
        acquire(fwd, sig_shape, work_dtype, axes, **kw) as ps,
        acquire(inv, bshape, work_dtype, axes, **kw) as pi,
    ):
        copy_padded(pk.input_array, ker, scale=scale)
        pk.execute()
        H = pk.output_array
        buf = ps.input_array
        for o in range(start, stop, step):
            nb = min(step, stop - o)
            lo = o - k + 1  # first input sample this block needs
            src_lo, src_hi = max(lo, 0), min(o + step, n)
            # Zero the block, then copy the available part of the signal.
            head = src_lo - lo
            if src_hi > src_lo:
                view = _take(buf, axis, head, head + src_hi - src_lo)
                copy_padded(view, _take(sig, axis, src_lo, src_hi))
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
            crop_other[axis] = slice(k - 1, k - 1 + nb)
            _take(out, axis, o - start, o - start + nb)[...] = pi.output_array[tuple(crop_other)]
    return out


def _take(arr: np.ndarray, axis: int, lo: int, hi: int) -> np.ndarray:
    idx = [slice(None)] * arr.ndim
    idx[axis] = slice(lo, hi)
    return arr[tuple(idx)]
