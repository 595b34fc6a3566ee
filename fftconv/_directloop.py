"""Direct convolution on the compiled loops of ``_cdirect.c`` (1-D and 2-D), else numpy.

The compiled loop keeps a tile of consecutive outputs in vector registers and
adds one kernel tap at a time. In 1-D it runs 2-5x faster than
:func:`numpy.convolve` (one dot-product call per output) from about 7 taps,
and as fast for 3; in 2-D it runs a 3x3 kernel on a 1024x1024 image in about
1 ms, 7x faster than :func:`scipy.ndimage.correlate`. It serves real
float32/float64 results; complex inputs, and installs built without a C
compiler, use :func:`numpy.convolve` (1-D) or :mod:`scipy.ndimage` (2-D).
Every output is the plain IEEE sum of its existing products (no product with
zero padding), so NaN and infinity land where the mathematical sum puts
them. This module imports nothing heavy: the lean 1-D paths call it on every
small convolution.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _parallel

try:
    from . import _cdirect
except ImportError:  # built without a C compiler: numpy.convolve serves
    _cdirect = None

#: Whether the compiled loops are available (the cost model depends on it).
COMPILED = _cdirect is not None

#: The compiled kernel this processor runs ("x86-64-v4": AVX-512, "x86-64-v3":
#: AVX2+FMA, "x86-64" or "baseline": the compiler's default), or None.
ISA = getattr(_cdirect, "ISA", None)

#: Time of each kernel against the AVX-512 one the cost model's constants were
#: fitted on (measured 2026-11-25 on the development machine, each clone compiled
#: alone: N = 1e5 and 1e6 with 7, 31 and 64 taps, medians of 11). A calibration
#: (:func:`fftconv.calibrate`) replaces this with the machine's own measurement.
ISA_FACTOR = {"x86-64-v4": 1.0, "x86-64-v3": 1.3, "x86-64": 1.85, "baseline": 1.85}
_CODES = {np.dtype(np.float64): "d", np.dtype(np.float32): "f"}
#: Outputs per tile of the compiled loop (``DEFINE_KERNEL`` in _cdirect.c).
_TILE = {"d": 32, "f": 64}
#: Kernels with fewer taps (kernel elements) than this stay on one thread: the
#: loop then streams memory as fast as the bus goes, and a second thread measured
#: no faster (4e6 samples, 3 taps: 2.27 ms on one, 2.35 on two; 7 taps: 1.5x).
SPLIT_MIN_TAPS = 6
#: Loops of fewer multiply-adds stay on one thread without asking the cost
#: model (2**22 take well under the 2 ms that make a split worth it).
SPLIT_MIN_MACS = 2**22


def uses_compiled(n: int, k: int, dtype) -> bool:
    """Whether :func:`np_convolve` runs the compiled loop for these sizes and result dtype.

    With a kernel of more than a quarter of the signal numpy.convolve's
    per-output dot products (BLAS for long kernels) are as fast; below 8 taps
    on short signals numpy's call is cheaper.
    """
    lo, hi = min(n, k), max(n, k)
    return (COMPILED and np.dtype(dtype) in _CODES and hi >= 4 * lo
            and (lo >= 8 or hi >= 8192))


def uses_compiled_2d(shape1, shape2, dtype) -> bool:
    """Whether :func:`compiled_window_2d` runs for these 2-D shapes and result dtype.

    The kernel (the smaller input) must fit inside the image on both axes.
    """
    big, small = (shape1, shape2) if math.prod(shape1) >= math.prod(shape2) else (shape2, shape1)
    return (COMPILED and np.dtype(dtype) in _CODES and len(big) == 2 == len(small)
            and 1 <= small[0] <= big[0] and 1 <= small[1] <= big[1])


def _ready(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` as the loop reads it: ``dtype`` (native byte order), C-contiguous, aligned."""
    if a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned:
        return a
    return np.array(a, dtype, order="C")


def plain_sum(x: np.ndarray, h: np.ndarray) -> bool:
    """Whether the direct engine forms exactly the sum of the existing products for these
    inputs (1-D: the compiled loop or numpy.convolve; 2-D: the compiled loop), so that
    NaN and infinity already land where the mathematical sum puts them."""
    if x.ndim == 1:
        return True
    return (x.ndim == 2 and x.dtype.kind in "biuf" and h.dtype.kind in "biuf"
            and uses_compiled_2d(x.shape, h.shape, np.result_type(x, h)))


def compiled_window_2d(x: np.ndarray, h: np.ndarray, windows, *,
                       threads: int = 1) -> np.ndarray | None:
    """The 2-D window ``[(start0, stop0), (start1, stop1)]`` of the full convolution, or None.

    None where the loop does not apply (see :func:`uses_compiled_2d`; the
    larger input is the image). Integer and bool inputs are cast to the
    result dtype. ``threads`` > 1 splits the rows over threads where the work
    is worth it (:mod:`fftconv._parallel`): each row is computed alone, so the
    result is the same bits.
    """
    if x.size < h.size:
        x, h = h, x
    if (_cdirect is None or x.dtype.kind not in "biuf" or h.dtype.kind not in "biuf"
            or not uses_compiled_2d(x.shape, h.shape, np.result_type(x, h))):
        return None
    dtype = np.result_type(x, h)
    x, h = _ready(x, dtype), _ready(h, dtype)
    (s0, e0), (s1, e1) = windows
    y = np.empty((e0 - s0, e1 - s1), dtype)
    if not y.size:
        return y
    code, n1, k1, m1 = _CODES[dtype], x.shape[1], h.shape[1], e1 - s1
    parts = split_parts(threads, y.size, h.size, lambda: _costs().direct_loop_time_2d(
        x.shape, h.shape, windows, dtype), e0 - s0)
    _parallel.run([functools.partial(_cdirect.convolve2d, code, x, h, y[a:b], n1, k1, m1,
                                     s0 + a, s1)
                   for a, b in _parallel.chunks(e0 - s0, parts)])
    return y


def _costs():
    from . import _costs  # the cost model imports this module

    return _costs


def split_parts(threads: int, outputs: int, taps: int, seconds, units: int) -> int:
    """Threads to split a loop of ``outputs`` x ``taps`` over (the engines and the
    cost model both ask). ``seconds`` (predicted on one thread; a callable is
    called only when the loop may be long enough, :data:`SPLIT_MIN_MACS`);
    ``units``: the pieces it can be cut into (1-D: tiles, 2-D: rows)."""
    if threads <= 1 or taps < SPLIT_MIN_TAPS or outputs * taps < SPLIT_MIN_MACS:
        return 1
    return _parallel.parts(threads, seconds() if callable(seconds) else seconds, units)


def split_units_1d(outputs: int, dtype) -> int:
    """Pieces a 1-D loop of ``outputs`` can be cut into: its tiles."""
    return max(1, outputs // _TILE.get(_CODES.get(np.dtype(dtype), "d"), 32))


def compiled_window(x: np.ndarray, h: np.ndarray, start: int, stop: int, *,
                    threads: int = 1) -> np.ndarray | None:
    """``[start, stop)`` of the full 1-D convolution by the compiled loop, or None.

    None where the loop does not apply (no compiled module, a result dtype
    other than float32/float64); integer and bool inputs are cast to the
    result dtype, as numpy.convolve does. ``len(x) >= len(h) >= 1`` and
    ``0 <= start <= stop <= len(x) + len(h) - 1`` are the caller's.
    ``threads`` > 1 splits the output over threads where the work is worth
    it; the chunks start on the loop's own tile boundaries, so the result is
    the same bits.
    """
    if _cdirect is None or x.dtype.kind not in "biuf" or h.dtype.kind not in "biuf":
        return None
    dtype = np.result_type(x, h)
    code = _CODES.get(dtype)
    if code is None:
        return None
    y = np.empty(stop - start, dtype)
    x, h = _ready(x, dtype), _ready(h, dtype)
    parts = split_parts(threads, stop - start, h.size,
                        lambda: _costs().direct_loop_time(stop - start, h.size, dtype),
                        split_units_1d(stop - start, dtype))
    # the loop runs tiles of _TILE outputs from max(start, k - 1) on: cut there
    first = max(start, h.size - 1) - start
    _parallel.run([functools.partial(_cdirect.convolve, code, x, h, y[a:b], start + a)
                   for a, b in _parallel.chunks(stop - start, parts, align=_TILE[code],
                                                first=first)])
    return y


def np_convolve(in1: np.ndarray, in2: np.ndarray, mode: str, *, threads: int = 1) -> np.ndarray:
    """``numpy.convolve(in1, in2, mode)`` for 1-D ndarrays, on the compiled loop where it applies.

    Mode ``'same'`` needs ``len(in1) >= len(in2)`` (numpy and scipy centre
    differently otherwise); both inputs must be non-empty. ``threads``: see
    :func:`compiled_window`.

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv._directloop import np_convolve
    >>> np_convolve(np.array([1., 2, 3, 4]), np.array([1., 1]), "same")
    array([1., 3., 5., 7.])
    """
    n, k = in1.shape[0], in2.shape[0]
    x, h = (in1, in2) if n >= k else (in2, in1)
    lo, hi = min(n, k), max(n, k)
    if mode == "full":
        start, stop = 0, n + k - 1
    elif mode == "same":
        start = (lo - 1) // 2
        stop = start + hi
    else:
        start, stop = lo - 1, hi
    out = None
    if uses_compiled(n, k, np.result_type(in1.dtype, in2.dtype)):
        out = compiled_window(x, h, start, stop, threads=threads)
    return np.convolve(in1, in2, mode) if out is None else out
