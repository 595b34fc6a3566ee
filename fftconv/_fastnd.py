"""Lean path for small N-D one-FFT convolutions: a cached job per problem shape.

A 2-D or 3-D convolution of a few thousand samples transforms in tens of
microseconds, and the general path's set-up (validation, the model, three
plan check-outs, padded copies, the non-finite scan, the overflow check)
costs as much again: scipy's ``fftconvolve`` was faster on such calls. Once
the general path has run a shape on the one-FFT engine (:func:`remember`),
the next call of that shape (same shapes, mode, axes and dtypes) takes a
*job* -- three FFTW plans wired to its own aligned buffers, the zero padding
written once -- and is a few copies and ``execute()`` calls.

Non-finite inputs are detected for free, as in :mod:`fftconv._fast1d`: a NaN
or infinity anywhere in one batch's input reaches that batch's zero-frequency
bin. Overflow (in the spectral product, or inside the inverse transform,
where it may hit only some outputs) shows in the result, which is scanned
once. Such calls return None and the caller takes the general path, which
keeps NaN and infinity where the direct sum puts them.
"""

from __future__ import annotations

import math

import numpy as np

from . import _fast1d, _measure, _plans
from ._config import get_planner
from ._fft import padded_shape
from ._nonfinite import all_finite

#: dtypes (of both inputs) the lean N-D path serves; the work dtype is their result type.
_KINDS = {np.dtype(c) for c in "fdFD"}
#: Jobs are kept for problems whose padded inputs have at most this many samples:
#: beyond, the general path's set-up is small next to the transforms (measured
#: 0.86-0.95x of the general path's time at 2e5-8e5 points).
MAX_POINTS = 2**20
#: ... and where the transformed axes are not the trailing ones: the job
#: transforms them in place, strided, which beats the general path's transposed
#: copies on small arrays (8x41x14 * 1x8x1: 33 against 109 us; 308x688 * 24x1
#: complex: 2.3 against 3.8 ms) but not on larger ones (2000x300 * 200x1: 8.5
#: against 7.1 ms).
MAX_POINTS_STRIDED = 2**18
#: Remembered shapes (key -> job key and constructor arguments), bounded.
_seen: dict[tuple, tuple] = {}
MAX_SEEN = 4096


class _NDJob:
    """One N-D transform per input over the axes ``fax``, a product, one inverse."""

    def __init__(self, shape1, shape2, fax, fshape, windows, dtype, planner):
        s1, s2 = padded_shape(shape1, fax, fshape), padded_shape(shape2, fax, fshape)
        bshape = np.broadcast_shapes(s1, s2)
        real = dtype.kind != "c"
        cdt = np.result_type(dtype, np.complex64)

        last = max(fax)

        def spec(s):  # the spectrum's shape (real transforms keep half the last axis)
            return s[:last] + (s[last] // 2 + 1,) + s[last + 1:] if real else s

        axes = tuple(sorted(fax))

        def buf(shape, dt):
            out = _plans.empty_aligned(shape, dt, axes, halved_last=real and dt == dtype)
            out[...] = 0
            return out

        self.x, self.h = buf(s1, dtype), buf(s2, dtype)
        self.X, self.H = buf(spec(s1), cdt), buf(spec(s2), cdt)
        self.Y = self.X if s1 == bshape else buf(spec(bshape), cdt)
        self.y = buf(bshape, dtype)
        self.fx = _fast1d._fftw(self.x, self.X, axes, False, 1, planner)
        self.fh = _fast1d._fftw(self.h, self.H, axes, False, 1, planner)
        self.fi = _fast1d._fftw(self.Y, self.y, axes, True, 1, planner)
        self.x[...] = 0  # measuring planners scribble on the buffers
        self.h[...] = 0
        self.r1 = tuple(slice(0, n) for n in shape1)
        self.r2 = tuple(slice(0, n) for n in shape2)
        self.crop = tuple(slice(s, e) for s, e in windows)
        # the zero-frequency bin of every batch, and one output of every batch
        nd = len(s1)
        self.dc = tuple(0 if a in fax else slice(None) for a in range(nd))
        rtype = np.empty(0, dtype).real.dtype.type
        self.scale = rtype(1) / rtype(math.prod(fshape))
        self.nbytes = sum(a.nbytes for a in {id(b): b for b in (
            self.x, self.h, self.X, self.H, self.Y, self.y)}.values())  # (less row padding)

    def run(self, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        self.x[self.r1] = a
        self.fx.execute()
        np.multiply(b, self.scale, out=self.h[self.r2], casting="unsafe")
        self.fh.execute()
        # a NaN or infinity anywhere in a batch's input reaches its first bin
        if not (np.isfinite(self.X[self.dc]).all() and np.isfinite(self.H[self.dc]).all()):
            return None
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked below
            np.multiply(self.X, self.H, out=self.Y)
        self.fi.execute()
        out = self.y[self.crop].copy()
        # overflow, in the product or inside the inverse transform (then only some
        # outputs are hit): the general path reruns on scaled inputs, as it would
        return out if all_finite(out) else None


def remember(key: tuple, shape1, shape2, fax, fshape, windows, dtype, threads: int, *,
             swap: bool = False) -> None:
    """Note that the general path ran ``key``'s problem on the one-FFT engine.

    ``shape1``, ``shape2``: the inputs as the engine took them (``swap``: the
    caller's second input first). Kept only where a job serves it:
    float/complex work, one thread, a padded size up to :data:`MAX_POINTS`
    (:data:`MAX_POINTS_STRIDED` where the transformed axes are not the
    trailing ones) and an available FFTW.
    """
    dtype = np.dtype(dtype)
    nd = len(shape1)
    if (threads != 1 or dtype not in _KINDS or not fax or _measure._winners
            or not _plans.fftw_available()):
        return
    trailing = sorted(fax) == list(range(nd - len(fax), nd))
    if max(math.prod(padded_shape(s, fax, fshape)) for s in (shape1, shape2)) > (
            MAX_POINTS if trailing else MAX_POINTS_STRIDED):
        return
    if not trailing and any(_aliased(padded_shape(s, fax, fshape), fax, dtype)
                            for s in (shape1, shape2)):
        return
    planner = get_planner()
    args = (tuple(shape1), tuple(shape2), tuple(fax), tuple(fshape),
            tuple(tuple(w) for w in windows), dtype, planner)
    if len(_seen) >= MAX_SEEN:
        _seen.clear()
    _seen[key] = (("nd",) + args[:5] + (dtype.char, planner), args, swap)


def _aliased(shape, fax, dtype) -> bool:
    """Whether a strided transform axis steps by a multiple of 1 KiB (from 2 KiB) beyond
    what the buffers' row padding fixes: FFTW_ESTIMATE then thrashes the cache
    (500x64x64 along axis 0: 127 ms strided, 31 ms on the general path's transposed
    copy), so such problems stay on the general path."""
    nd = len(shape)
    for a in fax:
        if a == nd - 1:
            continue
        step = math.prod(shape[a + 1:]) * np.dtype(dtype).itemsize
        row = shape[-1] * np.dtype(dtype).itemsize
        if a < nd - 2 and step >= 2048 and step % 1024 == 0 and not (
                row >= 2048 and row % 1024 == 0):  # (rows padded: steps no longer align)
            return True
    return False


def run(key: tuple, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The remembered problem ``key`` on its job, or None (not seen, or non-finite).

    ``key`` must pin everything the result depends on besides the values
    (shapes, mode, axes, dtypes, the function).
    """
    hit = _seen.get(key)
    if hit is None or _measure._winners:
        return None
    jkey, args, swap = hit
    if args[-1] != get_planner():
        return None
    if swap:
        a, b = b, a
    job = _fast1d._job(jkey)
    if job is None:
        job = _NDJob(*args)
    try:
        return job.run(a, b)
    finally:
        _fast1d._give_back(jkey, job)


def first_call(key: tuple, a1: np.ndarray, a2: np.ndarray, fax, fshape, windows, dtype,
               threads: int, *, swap: bool = False) -> np.ndarray | None:
    """The general path's one-FFT call of ``key``: remember it and run it on its job
    (so this call and the next ones give the same bits), or None. ``a1``, ``a2``:
    the inputs in the engine's order (``swap``: the caller's second one first)."""
    remember(key, a1.shape, a2.shape, fax, fshape, windows, dtype, threads, swap=swap)
    return run(key, *((a2, a1) if swap else (a1, a2)))


def forget() -> None:
    """Forget the remembered shapes (their idle jobs live in :mod:`fftconv._fast1d`'s pool)."""
    _seen.clear()
