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
bin, and an infinite bin (overflow) makes every output of its batch
non-finite. Such calls return None and the caller takes the general path,
which keeps NaN and infinity where the direct sum puts them.
"""

from __future__ import annotations

import math

import numpy as np

from . import _fast1d, _measure, _plans
from ._config import get_planner
from ._fft import padded_shape

#: dtypes (of both inputs) the lean N-D path serves; the work dtype is their result type.
_KINDS = {np.dtype(c) for c in "fdFD"}
#: Jobs are kept for problems whose padded inputs have at most this many samples:
#: beyond, the general path's set-up is small next to the transforms.
MAX_POINTS = 2**17
#: Remembered shapes (key -> job key and constructor arguments), bounded.
_seen: dict[tuple, tuple] = {}
MAX_SEEN = 4096


class _NDJob:
    """One N-D transform per input over ``fax`` (the trailing axes), a product, one inverse."""

    def __init__(self, shape1, shape2, fax, fshape, windows, dtype, planner):
        s1, s2 = padded_shape(shape1, fax, fshape), padded_shape(shape2, fax, fshape)
        bshape = np.broadcast_shapes(s1, s2)
        real = dtype.kind != "c"
        cdt = np.result_type(dtype, np.complex64)

        def spec(s):  # the spectrum's shape (real transforms keep half the last axis)
            return s[:-1] + (s[-1] // 2 + 1,) if real else s

        self.x, self.h = _fast1d._aligned(s1, dtype), _fast1d._aligned(s2, dtype)
        self.X, self.H = _fast1d._aligned(spec(s1), cdt), _fast1d._aligned(spec(s2), cdt)
        self.Y = self.X if s1 == bshape else _fast1d._aligned(spec(bshape), cdt)
        self.y = _fast1d._aligned(bshape, dtype)
        axes = tuple(fax)
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
            self.x, self.h, self.X, self.H, self.Y, self.y)}.values())

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
        return out if not out.size or np.isfinite(out[self.dc]).all() else None  # overflow


def remember(key: tuple, shape1, shape2, fax, fshape, windows, dtype, threads: int, *,
             swap: bool = False) -> None:
    """Note that the general path ran ``key``'s problem on the one-FFT engine.

    ``shape1``, ``shape2``: the inputs as the engine took them (``swap``: the
    caller's second input first). Kept only where a job serves it:
    float/complex work, one thread, the transformed axes trailing, a small
    padded size and an available FFTW.
    """
    dtype = np.dtype(dtype)
    nd = len(shape1)
    if (threads != 1 or dtype not in _KINDS or not fax or _measure._winners
            or sorted(fax) != list(range(nd - len(fax), nd))
            or not _plans.fftw_available()):
        return
    if max(math.prod(padded_shape(s, fax, fshape)) for s in (shape1, shape2)) > MAX_POINTS:
        return
    planner = get_planner()
    args = (tuple(shape1), tuple(shape2), tuple(fax), tuple(fshape),
            tuple(tuple(w) for w in windows), dtype, planner)
    if len(_seen) >= MAX_SEEN:
        _seen.clear()
    _seen[key] = (("nd",) + args[:5] + (dtype.char, planner), args, swap)


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


def forget() -> None:
    """Forget the remembered shapes (their idle jobs live in :mod:`fftconv._fast1d`'s pool)."""
    _seen.clear()
