"""What a :class:`fftconv.Convolver` decides and precomputes once: engine, sizes, spectrum.

:func:`_choose` picks the engine from the Convolver's fixed values: it prices
the direct, FFT and overlap-save engines *per call* (the kernel's spectrum is
computed once, so no kernel transform is counted), with FFT lengths from
:func:`_fast_len`, the blocked axis from :func:`_oa_axis` and the block length
from :func:`_block_size`. :func:`_spectrum` computes that kernel spectrum,
scaled by ``1/n``. The FFTW plans and buffers are made, and calls are run,
by the Convolver itself (:mod:`fftconv.convolver`).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from . import _strategy
from ._costs import OA_BATCH_ELEMENTS

#: Overlap-save block lengths are multiples of this: FFTW's real transforms of
#: odd or barely-even lengths (78125 = 5**7) run several times slower than the
#: cost model's log-log ladder predicts (measured 3x at 78125 vs 81920, 2026-11-25).
BLOCK_MULTIPLE = 16


def _fast_len(n: int, *, real: bool, multiple: int = 1) -> int:
    m = scipy.fft.next_fast_len(n, real)
    while m % multiple:
        m = scipy.fft.next_fast_len(m + 1, real)
    return m


def _oa_axis(shape: tuple[int, ...], kshape: tuple[int, ...], axes: list[int],
             windows: list[tuple[int, int]]) -> int | None:
    """The blocked axis: longest output relative to the kernel, signal >= kernel."""
    ok = [a for a in axes if shape[a] >= kshape[a]]
    if not ok:
        return None
    return max(ok, key=lambda a: (windows[a][1] - windows[a][0]) / kshape[a])


def lean_blocks(shape, work: np.dtype | None, block: int, *, timelimit) -> bool:
    """Whether a Convolver runs overlap-save with FFT length ``block`` on the lean
    engine's job (:class:`fftconv._fast1d._OAJob`): 1-D float/complex signals,
    pyfftw, no planning time limit (the job's plans take none), and blocks short
    enough to batch, where the Python around each transform would dominate --
    or float32 blocks of any length, which the job runs on half-length complex
    transforms (:mod:`fftconv._halfblocks`)."""
    from . import _halfblocks
    from ._plans import fftw_available

    return (len(shape) == 1 and work is not None and work.char in "fdFD"
            and fftw_available() and timelimit is None
            and (2 * block <= OA_BATCH_ELEMENTS[True] or _halfblocks.usable(work, block)))


def _choose(shape: tuple[int, ...], kernel: np.ndarray, windows: list[tuple[int, int]],
            axes: list[int], *, dtype: np.dtype, work: np.dtype | None, fft_ok: bool,
            workers: int, method: str, mode: str,
            timelimit: float | None = None) -> _strategy.ConvPlan:
    """The engine one Convolver runs, and why (``method``: 'auto' or a checked name).

    The arguments are the Convolver's attributes of the same names (``shape``
    its signal shape, ``kernel`` its prepared kernel, ``work`` None where
    ``fft_ok`` is False, ``timelimit`` its planning time limit).
    """
    s, ks, w, real = shape, kernel.shape, windows, True
    pred: dict[str, float] = {}
    params: dict[str, dict] = {}
    # the direct engine's result is then copied into the call's output
    pred["direct"] = (_strategy.direct_time(s, ks, w, np.result_type(kernel, dtype), workers)
                      + math.prod(e - b for b, e in w) * _strategy._ns("copy_elem"))
    if fft_ok:
        real = work.kind != "c"
        ns = _strategy._ns
        fs = [_fast_len(s[a] + ks[a] - 1, real=real, multiple=2 if real and a ==
                        axes[-1] else 1) for a in axes]
        batch = math.prod(s[a] for a in range(len(s)) if a not in axes)
        n = math.prod(fs)
        spec = n // 2 + 1 if real else n
        pred["fft"] = batch * (2 * _strategy.fft_time(n, work, workers)
                               + spec * ns("cmul_elem") + 2 * n * ns("copy_elem"))
        params["fft"] = {"fshape": fs}
        axis = _oa_axis(s, ks, axes, w)
        if axis is not None:
            k = ks[axis]
            out_len = w[axis][1] - w[axis][0]
            inner = batch * math.prod(f for a, f in zip(axes, fs) if a != axis)
            L = _strategy.oa_block_size(k, out_len, dtype=work, lean=True)
            lean = lean_blocks(s, work, L, timelimit=timelimit)
            if not lean:
                L = _block_size(k, out_len, inner, real, work=work)
            if method == "oa" or out_len + k - 1 > 2 * k:
                if lean:  # batched blocks, split over threads (Convolver._run_oa)
                    pred["oa"] = (_strategy.oa_cost(k, L, out_len, work, 1, workers, lean=True)
                                  - _strategy.fft_time_1d(L, work))
                else:  # the blocks run one after another
                    pred["oa"] = (_strategy.oa_cost(k, L, out_len, work, inner, workers,
                                                    split=False)
                                  - _strategy.fft_time(L * inner, work, workers)
                                  - ns("call_overhead"))
                params["oa"] = {"axis": axis, "block": L}
    if method == "auto":
        best = "direct"
        for m in ("fft", "oa"):
            if m in pred and pred[m] * _strategy.MARGIN < pred[best]:
                best = m
        reason = _strategy.explain(best, pred, " per call") + \
            " (kernel spectrum precomputed)"
    else:
        best = method
        if best not in pred:
            raise ValueError(f"method={best!r} is not possible here: overlap-save needs "
                             "a convolved axis where the signal is at least as long as "
                             f"the kernel (signal {s}, kernel {ks})")
        reason = f"method={best!r} was asked for"
    return _strategy.ConvPlan(method=best, params=params.get(best, {}), predicted=pred,
                              reason=reason, shape1=s, shape2=ks, dtype=str(dtype),
                              mode=mode)


def _block_size(k: int, out_len: int, inner: int, real: bool, *, work: np.dtype) -> int:
    """Block length minimising the per-call overlap-save cost (no kernel FFT), for one
    thread: with more, the blocks are split over them, each transformed on one."""
    hi = max(_fast_len(out_len + k - 1, real=real, multiple=BLOCK_MULTIPLE),
             _fast_len(2 * k, real=real, multiple=BLOCK_MULTIPLE))
    hi = min(hi, max(_strategy.OA_MAX_BLOCK, _fast_len(2 * k, real=real,
                                                       multiple=BLOCK_MULTIPLE)))
    m = max(k + max(k // 4, 8), 16)
    best, best_cost = None, math.inf
    while True:
        L = _fast_len(m, real=real, multiple=BLOCK_MULTIPLE)
        cost = _strategy.oa_cost(k, L, out_len, work, inner) - _strategy.fft_time(L * inner, work)
        if cost < best_cost:
            best, best_cost = L, cost
        if L >= hi:
            return best
        m = max(int(L * 1.25), L + 1)


def _spectrum(kernel: np.ndarray, axes: list[int], sizes: dict[int, int], *,
              work: np.dtype, workers: int) -> np.ndarray:
    """Kernel spectrum with the convolved axes padded to ``sizes``, scaled by 1/n."""
    ax = axes
    s = [sizes[a] for a in ax]
    kern = kernel.astype(work, copy=False)
    if work.kind == "c":
        H = scipy.fft.fftn(kern, s=s, axes=ax, workers=workers)
    else:
        H = scipy.fft.rfftn(kern, s=s, axes=ax, workers=workers)
    H *= 1.0 / math.prod(s)
    return np.ascontiguousarray(H)
