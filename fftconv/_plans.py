"""FFT plans: a bounded, thread-safe pool of FFTW plans, with a scipy.fft fallback.

A *plan* here is an object with ``input_array``, ``output_array`` and an
``execute()`` method that transforms the one into the other **without
normalisation** (the inverse is scaled by the caller, usually by folding
``1/n`` into the kernel). Plans are checked out of the pool for the exclusive
use of one caller and given back afterwards, so two threads never share the
internal arrays of one plan; a second thread asking for the same key while the
first holds it simply gets a new plan.

The key holds everything that changes a plan: transform kind, array shape,
dtype, axes, thread count and planner effort (arrays are always freshly
allocated, C-contiguous and SIMD-aligned, so strides and alignment follow from
the shape).
"""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import scipy.fft

from ._parallel import THREADS_MIN_SIZE  # transforms smaller than this: one thread

try:  # pragma: no cover - exercised through both branches in tests
    import pyfftw

    HAVE_PYFFTW = True
    _FFTW_TYPES = {np.dtype(np.float32), np.dtype(np.float64),
                   np.dtype(np.complex64), np.dtype(np.complex128)}
except ImportError:  # pragma: no cover
    pyfftw = None
    HAVE_PYFFTW = False
    _FFTW_TYPES = set()

__all__ = ["acquire", "fftw_available", "clear_cache", "cache_info", "MAX_CACHED_BYTES"]

#: Upper bound on the bytes held by idle cached plans (their buffers).
MAX_CACHED_BYTES = 512 * 2**20
#: Upper bound on the number of idle cached plans.
MAX_CACHED_PLANS = 64

_lock = threading.Lock()
_pool: OrderedDict[tuple, list] = OrderedDict()
_pool_bytes = 0
_pool_count = 0
_warned_fallback = False
_stats = {"hits": 0, "misses": 0, "evictions": 0}
# Tests (and users who want to) can force the scipy.fft path.
_force_scipy = False


def fftw_available() -> bool:
    """Return True when pyfftw imported and is used for FFTs."""
    return HAVE_PYFFTW and not _force_scipy


def _warn_fallback() -> None:
    global _warned_fallback
    if not _warned_fallback and not HAVE_PYFFTW:
        _warned_fallback = True
        warnings.warn(
            "pyfftw could not be imported: fftconv falls back to scipy.fft, which is "
            "correct but slower. Install pyfftw for the FFTW engine.",
            RuntimeWarning,
            stacklevel=4,
        )


class _ScipyPlan:
    """The same interface as an FFTW plan, executed by scipy.fft."""

    def __init__(self, kind: str, in_shape, out_shape, in_dtype, out_dtype, axes, threads):
        self.kind = kind
        self.axes = tuple(axes)
        self.threads = threads
        self.input_array = np.empty(in_shape, in_dtype)
        self.output_array = np.empty(out_shape, out_dtype)
        self._s = [out_shape[a] for a in self.axes] if kind == "irfft" else None

    def execute(self) -> None:
        x, w = self.input_array, self.threads
        if self.kind == "rfft":
            r = scipy.fft.rfftn(x, axes=self.axes, workers=w)
        elif self.kind == "irfft":
            r = scipy.fft.irfftn(x, s=self._s, axes=self.axes, norm="forward", workers=w)
        elif self.kind == "fft":
            r = scipy.fft.fftn(x, axes=self.axes, workers=w)
        else:
            r = scipy.fft.ifftn(x, axes=self.axes, norm="forward", workers=w)
        self.output_array[...] = r


def _complex_of(dtype: np.dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _real_of(dtype: np.dtype) -> np.dtype:
    return np.empty(0, dtype).real.dtype


_EFFORT = {
    "estimate": "FFTW_ESTIMATE",
    "measure": "FFTW_MEASURE",
    "patient": "FFTW_PATIENT",
    "exhaustive": "FFTW_EXHAUSTIVE",
}


#: Extra elements per row of a transform buffer whose rows would be a multiple of
#: 1 KiB long (see :func:`empty_aligned`).
ROW_PAD = 4


def empty_aligned(shape, dtype, axes, *, halved_last: bool = False) -> np.ndarray:
    """An aligned FFTW buffer; rows padded where FFTW_ESTIMATE would thrash the cache.

    A transform along a strided axis (any but the last) steps through memory
    a row at a time; when a row is a multiple of 1 KiB (from 2 KiB) those
    steps alias in the cache, and FFTW_ESTIMATE's plans run 4-10x slower
    (measured 2026-12-05: 512x512 complex 2-D 12 ms, with rows of 516
    elements 1.3 ms; 1024x1024 float64 along axis 0 16.5 against 4.2 ms). The
    buffer is then a view of rows :data:`ROW_PAD` elements longer. Not for
    the real side of a real transform that halves the last axis (its columns
    run on the complex side; padding measured no faster there).
    """
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    nd = len(shape)
    row = shape[-1] * dtype.itemsize if nd else 0
    strided = any(a % nd != nd - 1 for a in axes) if nd else False
    if (strided and not (halved_last and axes[-1] % nd == nd - 1)
            and row >= 2048 and row % 1024 == 0):
        return pyfftw.empty_aligned(shape[:-1] + (shape[-1] + ROW_PAD,), dtype)[..., :shape[-1]]
    return pyfftw.empty_aligned(shape, dtype)


def _new_plan(kind, shape, dtype, axes, threads, planner, timelimit):
    """Create a plan. ``shape`` is the *real-space* (padded) shape."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    if threads > 1 and math.prod(shape) < THREADS_MIN_SIZE:
        threads = 1  # see THREADS_MIN_SIZE
    if kind in ("rfft", "irfft"):
        rdtype, cdtype = dtype, _complex_of(dtype)
        cshape = list(shape)
        cshape[axes[-1]] = shape[axes[-1]] // 2 + 1
        cshape = tuple(cshape)
        in_shape, in_dtype, out_shape, out_dtype = (
            (shape, rdtype, cshape, cdtype) if kind == "rfft" else (cshape, cdtype, shape, rdtype)
        )
    else:
        in_shape = out_shape = shape
        in_dtype = out_dtype = dtype
    if fftw_available() and np.dtype(in_dtype) in _FFTW_TYPES:
        from . import wisdom

        wisdom._ensure_loaded()
        real = kind in ("rfft", "irfft")
        inp = empty_aligned(in_shape, in_dtype, axes, halved_last=real and kind == "rfft")
        out = empty_aligned(out_shape, out_dtype, axes, halved_last=real and kind == "irfft")
        direction = "FFTW_BACKWARD" if kind in ("irfft", "ifft") else "FFTW_FORWARD"
        flags = [_EFFORT[planner], "FFTW_DESTROY_INPUT"]
        # MEASURE-class planners overwrite the arrays while planning: fine, they
        # are ours and empty. pyfftw serialises planning, but not wisdom
        # import/export against planning: wisdom.lock does that.
        with wisdom.lock:
            plan = pyfftw.FFTW(
                inp, out, axes=tuple(axes), direction=direction, flags=flags,
                threads=threads, planning_timelimit=timelimit,
            )
        if planner != "estimate":
            wisdom._note_new_wisdom()
        return plan
    _warn_fallback()
    return _ScipyPlan(kind, in_shape, out_shape, in_dtype, out_dtype, axes, threads)


def _nbytes(plan) -> int:
    return plan.input_array.nbytes + plan.output_array.nbytes


class acquire:  # noqa: N801  (used as a function: ``with acquire(...) as plan``)
    """Check a plan out of the pool for exclusive use, returning it afterwards.

    Parameters
    ----------
    kind : {'rfft', 'irfft', 'fft', 'ifft'}
        Transform. For ``'rfft'``/``'irfft'`` ``dtype`` is the real dtype and
        ``shape`` the real-space shape; the complex side has
        ``shape[axes[-1]] // 2 + 1`` along the last axis.
    shape, dtype, axes
        Padded array shape, dtype and transformed axes.
    threads, planner, timelimit
        FFTW thread count, planner effort and planning time limit (seconds).

    A class rather than a generator-based context manager: small convolutions
    check out three plans per call, and this costs a third as much.
    """

    __slots__ = ("_key", "_args", "_plan")

    def __init__(self, kind: str, shape: Sequence[int], dtype, axes: Sequence[int], *,
                 threads: int = 1, planner: str = "estimate",
                 timelimit: float | None = None) -> None:
        shape = tuple(int(s) for s in shape)
        if threads > 1 and math.prod(shape) < THREADS_MIN_SIZE:
            threads = 1  # thread start-up costs more than it saves on small transforms
        self._key = (kind, shape, np.dtype(dtype).str, tuple(axes), int(threads), planner,
                     fftw_available())
        self._args = (kind, shape, dtype, axes, threads, planner, timelimit)
        self._plan = None

    def __enter__(self):
        global _pool_bytes, _pool_count
        key, plan = self._key, None
        with _lock:
            idle = _pool.get(key)
            if idle:
                plan = idle.pop()
                _pool_bytes -= _nbytes(plan)
                _pool_count -= 1
                if idle:
                    _pool.move_to_end(key)
                else:
                    del _pool[key]
                _stats["hits"] += 1
            else:
                _stats["misses"] += 1
        if plan is None:
            plan = _new_plan(*self._args)
        self._plan = plan
        return plan

    def __exit__(self, *exc) -> None:
        global _pool_bytes, _pool_count
        plan, self._plan = self._plan, None
        nbytes = _nbytes(plan)
        if nbytes <= MAX_CACHED_BYTES // 4:
            with _lock:
                idle = _pool.get(self._key)
                if idle is None:
                    _pool[self._key] = [plan]
                else:
                    idle.append(plan)
                    _pool.move_to_end(self._key)
                _pool_bytes += nbytes
                _pool_count += 1
                if _pool_bytes > MAX_CACHED_BYTES or _pool_count > MAX_CACHED_PLANS:
                    _evict_locked()


def _evict_locked() -> None:
    global _pool_bytes, _pool_count
    while _pool and (_pool_bytes > MAX_CACHED_BYTES or _pool_count > MAX_CACHED_PLANS):
        key, idle = next(iter(_pool.items()))
        if not idle:
            del _pool[key]
            continue
        victim = idle.pop(0)
        _pool_bytes -= _nbytes(victim)
        _pool_count -= 1
        _stats["evictions"] += 1
        if not idle:
            del _pool[key]


def clear_cache() -> None:
    """Drop every cached plan (their buffers are freed)."""
    global _pool_bytes, _pool_count
    with _lock:
        _pool.clear()
        _pool_bytes = _pool_count = 0


def cache_info() -> dict:
    """Return counters of the plan cache: hits, misses, evictions, plans, bytes."""
    with _lock:
        return dict(_stats, plans=sum(len(v) for v in _pool.values()), bytes=_pool_bytes)


def copy_padded(dst: np.ndarray, src: np.ndarray, *, scale: float | None = None) -> None:
    """Write ``src`` into the leading corner of ``dst`` and zero the rest.

    ``src`` may have size-1 axes where ``dst`` is larger only on transformed
    axes (the caller guarantees shapes otherwise match). Only the padding
    region is zeroed, not the whole buffer.
    """
    region = tuple(slice(0, n) for n in src.shape)
    if scale is None:
        dst[region] = src
    else:
        np.multiply(src, scale, out=dst[region], casting="unsafe")
    for ax in range(dst.ndim):
        if src.shape[ax] < dst.shape[ax]:
            idx = [slice(0, n) for n in src.shape[:ax]] + [slice(src.shape[ax], None)]
            dst[tuple(idx)] = 0
