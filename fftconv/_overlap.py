"""Block engine: overlap-save along one long axis, streaming over the input.

The signal is cut into overlapping segments of FFT length ``L`` along the
blocked axis; each segment is transformed, multiplied by the kernel's
spectrum (computed once), inverse transformed, and its last ``L - K + 1``
samples -- the ones untouched by circular wrap-around -- are written straight
into the output. Only the blocks that touch the requested output window are
computed, so ``same`` and ``valid`` modes do less work than ``full``.

Blocks go through one pair of batched plans,
:data:`~fftconv._costs.OA_BATCH_ELEMENTS` at a time (edge blocks too: their
inputs come from a small zero-padded copy of just the span they need), so a
call acquires three plans whatever its size.
Memory is the output plus the kernel spectrum plus one batch of blocks
(input, spectrum, output): unlike :func:`scipy.signal.oaconvolve`, which transforms
every block at once, peak memory does not grow with the signal beyond the
output itself.

Block size: the FFT length ``L`` minimises the predicted time per output
sample, ``(2 F(L) + c L) / (L - K + 1)``, over FFTW-friendly sizes between
about ``2 K`` and a cache-sized cap (see :func:`fftconv._strategy.oa_block_size`).
Other convolved axes are transformed whole inside each block. N-D tiles
(:func:`_convolve_tiles`) block two or more axes at once, one tile per
transform (batched 2-D transforms measured slower under FFTW_ESTIMATE).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np

from . import _halfblocks, _parallel
from ._costs import oa_batches, oa_split_work
from ._nonfinite import all_finite
from ._plans import acquire, copy_padded, fftw_available


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
    strips: tuple[int, int] | None = None,
    detect_nonfinite: bool = False,
) -> np.ndarray | None:
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
    strips : (int, int), optional
        2-D only: ``(strip height, circular row length)`` for the strip engine
        (:mod:`fftconv._strips`; without FFTW, blocks along one axis instead).
    detect_nonfinite : bool
        Return None if an input holds NaN or infinity (the strips spot it for
        free; elsewhere it costs a pass over each input).
    """
    from ._strategy import good_size, oa_block_size

    work_dtype = np.dtype(work_dtype)
    real = work_dtype.kind != "c"
    axes = list(axes)
    if strips is not None and fftw_available():  # strips wire FFTW plans to their buffers
        from ._strips import convolve_window as strip_window

        return strip_window(a1, a2, axes, windows, work_dtype=work_dtype, workers=workers,
                            planner=planner, strips=strips, detect_nonfinite=detect_nonfinite)
    if detect_nonfinite and not (all_finite(a1) and all_finite(a2)):
        return None  # the caller's non-finite path takes over, as after the strips' check
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
    # (sizes chosen for one thread, as the blocks: the same bits whatever `workers` is)
    oshape = {a: good_size(sig.shape[a] + ker.shape[a] - 1, real=real, dtype=work_dtype)
              for a in others}
    if block is None:
        inner = math.prod(oshape.values()) * math.prod(
            max(sig.shape[a], ker.shape[a]) for a in range(sig.ndim) if a not in axes
        )
        block = oa_block_size(k, stop - start, dtype=work_dtype, inner=inner)
    L = int(block)
    if L < k:
        raise ValueError(f"block={L} is shorter than the kernel ({k} samples along axis {axis})")
    step = L - k + 1

    sig_shape, ker_shape, bshape, out, (fwd, inv), scale = _setup(
        sig, ker, {axis: L, **oshape}, windows, work_dtype)
    crop = [slice(s, e) for s, e in windows]
    crop[axis] = slice(k - 1, L)
    bcrop = (slice(None), *crop)
    # Every block, edges included, goes through one pair of batched plans:
    # ``batch`` blocks per transform (a batch stays in cache). The batch's input
    # rows are overlapping windows of the signal, `step` apart: a strided view,
    # no copy -- or, where a batch reaches past the signal's ends, of a small
    # zero-padded copy of just the span it needs.
    starts = range(start, stop, step)
    nblk = len(starts)
    per_block = math.prod(bshape)
    batch, nbatch = oa_batches(nblk, per_block, lean=False)
    baxes = [a + 1 for a in axes]
    # workers > 1: contiguous runs of batches on threads of their own, each with
    # its own one-thread plans (fftconv._parallel); every block as on one thread
    parts = 1
    if workers > 1:
        parts = _parallel.parts(workers, *oa_split_work(k, L, stop - start, work_dtype,
                                                        per_block // L))
    kw = {"threads": 1 if parts > 1 else workers, "planner": planner}
    err = np.geterr()
    # real float32 along one axis (every other axis of length 1): blocks on
    # half-length complex transforms, as the lean path's (fftconv._halfblocks)
    half = (_halfblocks.Spectral(L) if _halfblocks.usable(work_dtype, L) and fftw_available()
            and sig.size == n and ker.size == k and per_block == L else None)

    def run_batches(b_lo: int, b_hi: int) -> None:
        if half is not None:  # complex64 plans of L/2 points
            plans = (("fft", (batch, L // 2), np.complex64, (1,)),
                     ("ifft", (batch, L // 2), np.complex64, (1,)))
        else:
            plans = ((fwd, (batch, *sig_shape), work_dtype, baxes),
                     (inv, (batch, *bshape), work_dtype, baxes))
        with (
            acquire(*plans[0], **kw) as ps,
            acquire(*plans[1], **kw) as pi,
            np.errstate(**err),  # the caller's, in every thread (a new one has numpy's default)
        ):
            for b0 in range(b_lo * batch, min(b_hi * batch, nblk), batch):
                _batch(b0, ps, pi)

    def _batch(b0, ps, pi) -> None:
        o0 = starts[b0]
        nb = min(batch, nblk - b0)
        lo = o0 - k + 1  # first input sample of the batch
        hi = lo + (nb - 1) * step + L  # one past its last
        if lo >= 0 and hi <= n:
            base, base_strides = _take(sig, axis, lo, lo + 1), sig.strides
        else:  # the span, zero-padded where it lies outside the signal
            span = list(sig.shape)
            span[axis] = hi - lo
            base = np.zeros(span, dtype=work_dtype)
            s_lo, s_hi = max(lo, 0), min(hi, n)
            if s_hi > s_lo:
                _take(base, axis, s_lo - lo, s_hi - lo)[...] = _take(sig, axis, s_lo, s_hi)
            base_strides = base.strides
        shape = (nb, *sig.shape[:axis], L, *sig.shape[axis + 1:])
        strides = (step * base_strides[axis], *base_strides)
        src = np.lib.stride_tricks.as_strided(base, shape=shape, strides=strides,
                                              writeable=False)
        if half is not None:
            res = _halfblocks.transform(ps, pi, src.reshape(nb, L), half)[:, k - 1:]
            _place(res.reshape(nb, *bshape[:axis], step, *bshape[axis + 1:]), o0, nb)
            return
        copy_padded(ps.input_array[:nb], src)
        if nb < batch:  # spare rows: zeros (uninitialised memory may hold NaN/denormals)
            ps.input_array[nb:] = 0
        ps.execute()
        np.multiply(ps.output_array, H, out=pi.input_array)
        pi.execute()
        _place(pi.output_array[bcrop], o0, nb)

    def _place(res, o0, nb) -> None:
        """Write a batch's valid outputs (``res``: one row of ``step`` per block) into ``out``."""
        a = o0 - start
        whole = min(nb, (stop - o0) // step)  # blocks whose `step` outputs all count
        if whole:
            slab = _take(out, axis, a, a + whole * step)
            split = slab.reshape(*slab.shape[:axis], whole, step, *slab.shape[axis + 1:])
            np.moveaxis(split, axis, 0)[...] = res[:whole]
        if whole < nb:  # the short last block
            rest = stop - o0 - whole * step
            _take(out, axis, a + whole * step, stop - start)[...] = _take(
                res[whole], axis, 0, rest)

    with acquire(fwd, ker_shape, work_dtype, axes, **kw) as pk:
        copy_padded(pk.input_array, ker, scale=scale)
        pk.execute()
        H = pk.output_array  # held until the end: no copy of the spectrum needed
        if half is not None:  # (its inverse is unnormalised: 1/(L/2), not 1/L)
            half.set_spectrum((H.reshape(-1) * np.float32(2)).astype(np.complex64))
        _parallel.run([functools.partial(run_batches, lo, hi)
                       for lo, hi in _parallel.chunks(nbatch, parts)])
    if detect_nonfinite and not all_finite(out):
        return None  # overflow: the caller's careful path, as after the strips' own check
    return out



def _setup(sig, ker, sizes: dict[int, int], windows, work_dtype):
    """Shapes, output array, transform kinds and ``1/n`` shared by both block paths.

    ``sizes`` maps every transformed axis to its FFT length.
    """
    def padded(arr):
        s = list(arr.shape)
        for a, n in sizes.items():
            s[a] = n
        return tuple(s)

    sig_shape, ker_shape = padded(sig), padded(ker)
    bshape = np.broadcast_shapes(sig_shape, ker_shape)
    out = np.empty(tuple(e - s for s, e in windows), dtype=work_dtype)
    kinds = ("rfft", "irfft") if work_dtype.kind != "c" else ("fft", "ifft")
    rtype = np.empty(0, work_dtype).real.dtype.type  # 1/n in the working precision
    scale = rtype(1) / rtype(math.prod(sizes.values()))
    return sig_shape, ker_shape, bshape, out, kinds, scale


def serial_blocks(xb: np.ndarray, dest: np.ndarray, plans, H: np.ndarray, *, axis: int,
                  block: int, k: int, windows) -> None:
    """Overlap-save one block per transform, with a kernel spectrum computed once
    (:class:`fftconv.Convolver` with long blocks or N-D signals).

    ``xb``: signals (signal, ...); ``dest``: their outputs on ``windows`` (one
    ``(start, stop)`` per signal axis); ``plans``: a forward/inverse pair on
    the block shape (``block`` along ``axis`` of a signal, FFT sizes on the
    other convolved axes); ``H``: the kernel's spectrum on it, scaled by 1/n;
    ``k``: the kernel's length along ``axis``.
    """
    ps, pi = plans
    n, L = xb.shape[axis + 1], block
    step = L - k + 1
    start, stop = windows[axis]
    buf = ps.input_array
    crop = [slice(s, e) for s, e in windows]
    for b in range(xb.shape[0]):
        sig, out = xb[b], dest[b]
        for o in range(start, stop, step):
            nb = min(step, stop - o)
            lo = o - k + 1  # first input sample this block needs
            src_lo, src_hi = max(lo, 0), min(o + step, n)
            head = src_lo - lo
            if src_hi > src_lo:
                copy_padded(_take(buf, axis, head, head + src_hi - src_lo),
                            _take(sig, axis, src_lo, src_hi))
                if head:
                    _take(buf, axis, 0, head)[...] = 0
                if head + src_hi - src_lo < L:
                    _take(buf, axis, head + src_hi - src_lo, L)[...] = 0
            else:
                buf[...] = 0
            ps.execute()
            with np.errstate(over="ignore", invalid="ignore"):  # overflow: the caller's
                np.multiply(ps.output_array, H, out=pi.input_array)
            pi.execute()
            crop[axis] = slice(k - 1, k - 1 + nb)
            _take(out, axis, o - start, o - start + nb)[...] = pi.output_array[tuple(crop)]


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
        size[a] = good_size(sig.shape[a] + ker.shape[a] - 1, real=real, dtype=work_dtype)
    for a in tiled:
        if size[a] < ker.shape[a]:
            raise ValueError(f"tile length {size[a]} is shorter than the kernel "
                             f"({ker.shape[a]} samples along axis {a})")

    sig_shape, ker_shape, bshape, out, (fwd, inv), scale = _setup(
        sig, ker, {a: size[a] for a in axes}, windows, work_dtype)
    # Per tiled axis, every tile origin's slices: input read, buffer written,
    # buffer margins to zero, result read and output written (computed once).
    plans = []
    for a in tiled:
        k, st, n = ker.shape[a], size[a] - ker.shape[a] + 1, sig.shape[a]
        w0, w1 = windows[a]
        row = []
        for o in range(w0, w1, st):
            lo = o - k + 1
            s_lo, s_hi = max(lo, 0), max(min(lo + size[a], n), max(lo, 0))
            d_lo, d_hi = s_lo - lo, s_hi - lo
            nb = min(st, w1 - o)
            zero = [z for z in (slice(0, d_lo), slice(d_hi, size[a])) if z.stop > z.start]
            row.append((slice(s_lo, s_hi), slice(d_lo, d_hi), zero,
                        slice(k - 1, k - 1 + nb), slice(o - w0, o - w0 + nb)))
        plans.append(row)
    # padding of the whole-transformed axes (written once, re-zeroed per tile:
    # FFTW may use its input as scratch)
    pad = [(a, slice(sig.shape[a], size[a])) for a in others if sig.shape[a] < size[a]]
    nd = sig.ndim
    combos = list(itertools.product(*plans))
    # workers > 1: contiguous runs of tiles on threads of their own, each with
    # its own one-thread plans and buffers (fftconv._parallel)
    parts = 1
    if workers > 1:  # as the model prices it
        from ._costs_nd import tile_split_work

        parts = _parallel.parts(workers, *tile_split_work(
            a1.shape, a2.shape, axes, windows, dtype=work_dtype, tiles=tiles))
    kw = {"threads": 1 if parts > 1 else workers, "planner": planner}
    err = np.geterr()

    def run_tiles(t_lo: int, t_hi: int) -> None:
        with (
            acquire(fwd, sig_shape, work_dtype, axes, **kw) as ps,
            acquire(inv, bshape, work_dtype, axes, **kw) as pi,
            np.errstate(**err),  # the caller's, in every thread (a new one has numpy's default)
        ):
            buf, fout = ps.input_array, ps.output_array
            iin, iout = pi.input_array, pi.output_array
            src = [slice(None)] * nd
            dst = [slice(0, sig.shape[a]) for a in range(nd)]
            res = [slice(s, e) for s, e in windows]
            put = [slice(None)] * nd
            full = [slice(None)] * nd
            for combo in combos[t_lo:t_hi]:
                zeros = []
                for a, (s_, d_, z_, r_, p_) in zip(tiled, combo):
                    src[a], dst[a], res[a], put[a] = s_, d_, r_, p_
                    for z in z_:
                        zeros.append((a, z))
                for a, z in (*zeros, *pad):
                    full[a] = z
                    buf[tuple(full)] = 0
                    full[a] = slice(None)
                buf[tuple(dst)] = sig[tuple(src)]
                ps.execute()
                np.multiply(fout, H, out=iin)
                pi.execute()
                out[tuple(put)] = iout[tuple(res)]

    with acquire(fwd, ker_shape, work_dtype, axes, **kw) as pk:
        copy_padded(pk.input_array, ker, scale=scale)
        pk.execute()
        H = pk.output_array  # held until the end: no copy of the spectrum needed
        _parallel.run([functools.partial(run_tiles, lo, hi)
                       for lo, hi in _parallel.chunks(len(combos), parts)])
    return out

