"""Direct convolution on the compiled loops of ``_cdirect.c`` (1-D and 2-D), else numpy.

The compiled loop keeps a tile of consecutive outputs in vector registers and
adds one kernel tap at a time. In 1-D it runs 2-5x faster than
:func:`numpy.convolve` (one dot-product call per output) from about 7 taps,
and as fast for 3; in 2-D it runs a 3x3 kernel on a 1024x1024 image in about
1 ms, 7x faster than :func:`scipy.ndimage.correlate`. It runs float32/float64;
in 2-D it also serves complex results (a complex loop on interleaved data,
about 1.8x the real loop's time: 1024x1024 * 3x3 complex128 in 3.4-3.9 ms
against 29 ms for scipy's complex loop, 15x69 * 1x6 in 4 against 21 us) and
integer and bool ones (in float64 where every sum is exact, then cast back
with numpy's wrap-around: 4 ms against 24 ms for scipy's integer loop).
Other inputs, and installs built without a C compiler, use
:func:`numpy.convolve` (1-D), scipy's loops or :mod:`scipy.ndimage` (2-D).
Every output is the plain IEEE sum of its existing products (no product
with zero padding; complex products by the textbook formula), so NaN and
infinity land where the mathematical sum puts them. This module imports
nothing heavy: the lean 1-D paths call it on every small convolution.
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
#: ... times this on AMD Zen 4 (family 25 with AVX-512), which runs 512-bit
#: operations as two 256-bit halves: measured 2026-12-05 on an AMD EPYC VM, 1-D
#: 1.15-1.6x the constants (14 cases 1e4 .. 1e6 samples, 7 .. 63 taps, median
#: 1.47), 2-D 1.2-1.45x (15 cases, 256x256 .. 1024x1024, 5x5 .. 9x9, median 1.3).
ZEN4_FACTOR = {1: 1.45, 2: 1.3}


@functools.cache
def _cpu() -> tuple[str, str]:
    """(vendor_id, cpu family) from /proc/cpuinfo (empty strings elsewhere)."""
    found = {}
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family") and key not in found:
                    found[key] = value.strip()
                if len(found) == 2:
                    break
    except OSError:
        pass
    return found.get("vendor_id", ""), found.get("cpu family", "")


def isa_factor(dims: int = 1) -> float:
    """The shipped constants' factor for the kernel this processor runs
    (:data:`ISA_FACTOR`, and :data:`ZEN4_FACTOR` on AMD Zen 4)."""
    factor = ISA_FACTOR.get(ISA, 1.85)
    if ISA == "x86-64-v4" and _cpu() == ("AuthenticAMD", "25"):
        factor *= ZEN4_FACTOR[2 if dims == 2 else 1]
    return factor
_CODES = {np.dtype(np.float64): "d", np.dtype(np.float32): "f"}
#: The complex 2-D loop's codes (``DEFINE_CKERNEL`` in _cdirect.c).
_CCODES = {np.dtype(np.complex128): "D", np.dtype(np.complex64): "F"}
#: Outputs per tile of the compiled loops (``DEFINE_KERNEL``, ``DEFINE_CKERNEL``).
_TILE = {"d": 32, "f": 64, "D": 16, "F": 32}
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
    on short signals numpy's call is cheaper. Not so for complex results,
    where numpy's loop is 1.5-20x slower than the compiled complex loop at
    every size measured (200 * 5: 5.1 against 0.8 us; 5000 * 200: 345 against
    222 us; 1e5 * 3: 1.9 against 0.1 ms).
    """
    lo, hi = min(n, k), max(n, k)
    dtype = np.dtype(dtype)
    if dtype in _CCODES:
        return COMPILED
    return (COMPILED and dtype in _CODES and hi >= 4 * lo
            and (lo >= 8 or hi >= 8192))


def uses_compiled_2d(shape1, shape2, dtype) -> bool:
    """Whether :func:`compiled_window_2d` runs for these 2-D shapes and result dtype.

    The kernel (the smaller input) must fit inside the image on both axes.
    complex64/complex128 results run the complex loop; integer and bool ones
    in float64 when that is exact, which only the values tell
    (:func:`exact_float64`: otherwise the window comes back None).
    """
    big, small = (shape1, shape2) if math.prod(shape1) >= math.prod(shape2) else (shape2, shape1)
    return (COMPILED and loop_dtype(dtype) is not None and len(big) == 2 == len(small)
            and 1 <= small[0] <= big[0] and 1 <= small[1] <= big[1])


def loop_dtype(dtype) -> np.dtype | None:
    """The dtype the compiled loops run a result ``dtype`` in, or None.

    float32/float64 as they are; complex in its parts' precision (the complex
    loop's arithmetic); integers and bool in float64 (exact where
    :func:`exact_float64` says so).
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    loop = np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype
    return loop if loop in _CODES else None


#: Integer sums no larger than this are exact in float64 (53-bit significand).
EXACT_FLOAT64 = 2.0**53


def exact_float64(x: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``x`` and ``h`` (integers or bools) as float64, if every sum of products is exact.

    Every partial sum of an output is bounded by ``max|x| * sum|h|``; below
    2**53 each one is an integer that float64 holds exactly, whatever the
    order of the additions, so rounding never happens. None otherwise (the
    caller then sums in integer arithmetic).
    """
    f64 = np.dtype(np.float64)
    xf, hf = _ready(x, f64), _ready(h, f64)
    big, small = (xf, hf) if xf.size >= hf.size else (hf, xf)
    if big.size and small.size and \
            float(np.abs(big).max()) * float(np.abs(small).sum()) >= EXACT_FLOAT64:
        return None
    return xf, hf


def _ready(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` as the loop reads it: ``dtype`` (native byte order), C-contiguous, aligned."""
    if a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned:
        return a
    return np.array(a, dtype, order="C")


def plain_sum(x: np.ndarray, h: np.ndarray, windows=None) -> bool:
    """Whether the direct engine forms exactly the sum of the existing products for these
    inputs (1-D: the compiled loop or numpy.convolve; 2-D, and N-D problems that are
    batches of 2-D ones: the compiled loops, real and complex), so that NaN and
    infinity already land where the mathematical sum puts them."""
    if x.ndim == 1:
        return True
    if x.dtype.kind not in "biufc" or h.dtype.kind not in "biufc":
        return False
    if x.ndim == 2:
        return uses_compiled_2d(x.shape, h.shape, np.result_type(x, h))
    if x.size < h.size:
        x, h = h, x
    if windows is None:
        windows = [(0, n + k - 1) for n, k in zip(x.shape, h.shape)]
    sq = squeeze_2d(x.shape, h.shape, windows)
    return sq is not None and uses_compiled_2d(sq[1], sq[2], np.result_type(x, h))


def compiled_window_2d(x: np.ndarray, h: np.ndarray, windows, *,
                       threads: int = 1) -> np.ndarray | None:
    """The 2-D window ``[(start0, stop0), (start1, stop1)]`` of the full convolution, or None.

    None where the loop does not apply (see :func:`uses_compiled_2d`; the
    larger input is the image): no compiled module, a kernel that does not
    fit, long double, or integers whose
    sums float64 would not hold exactly (:func:`exact_float64`; they are
    summed in float64 and cast back, wrapping as numpy's integers do). The
    result has dtype ``result_type(x, h)``; complex results run the complex
    loop (a real input is cast to complex first). ``threads`` > 1 splits the
    rows over threads where the work
    is worth it (:mod:`fftconv._parallel`): each row is computed alone, so the
    result is the same bits.
    """
    if x.size < h.size:
        x, h = h, x
    dtype = np.result_type(x, h)
    if _cdirect is None or not uses_compiled_2d(x.shape, h.shape, dtype):
        return None
    (s0, e0), (s1, e1) = windows
    shape = (e0 - s0, e1 - s1)
    if not shape[0] or not shape[1]:
        return np.empty(shape, dtype)
    if dtype not in _CODES and dtype not in _CCODES:  # integers, bool: exact in float64
        # (or None)
        pair = exact_float64(x, h)
        if pair is None:
            return None
        y = compiled_window_2d(*pair, windows, threads=threads)
        return y != 0 if dtype.kind == "b" else y.astype(np.int64).astype(dtype)
    x, h = _ready(x, dtype), _ready(h, dtype)
    y = np.empty(shape, dtype)
    code, n1, k1, m1 = _CODES.get(dtype) or _CCODES[dtype], x.shape[1], h.shape[1], shape[1]
    if threads <= 1:
        _cdirect.convolve2d(code, x, h, y, n1, k1, m1, s0, s1)
        return y
    parts = split_parts(threads, y.size, h.size, lambda: _costs().direct_loop_time_2d(
        x.shape, h.shape, windows, dtype), shape[0])
    _parallel.run([functools.partial(_cdirect.convolve2d, code, x, h, y[a:b], n1, k1, m1,
                                     s0 + a, s1)
                   for a, b in _parallel.chunks(shape[0], parts)])
    return y


def squeeze_2d(shape_x, shape_h, windows) -> tuple | None:
    """An N-D problem (N >= 3) as ``lead`` 2-D ones, where the kernel allows, else None.

    Axes where the kernel has length 1 (and the whole extent is kept) are
    batch axes. One convolved axis becomes the rows of 2-D problems whose
    columns are the batch axes after it (kernel ``(k, 1)``), or, if it is the
    last axis, the columns of one problem whose rows are all the others
    (kernel ``(1, k)``); the last two axes convolved become one 2-D problem
    per index of the axes before them. Returns ``(lead, x shape, h shape,
    windows)`` of the 2-D problems, or None (other layouts: ndimage serves).
    """
    nd = len(shape_x)
    if nd < 3 or len(shape_h) != nd:
        return None
    conv = [a for a in range(nd) if shape_h[a] != 1 or tuple(windows[a]) != (0, shape_x[a])]
    if len(conv) == 1 and conv[0] == nd - 1:
        rows = math.prod(shape_x[:-1])
        return 1, (rows, shape_x[-1]), (1, shape_h[-1]), [(0, rows), tuple(windows[-1])]
    if len(conv) == 1:
        a = conv[0]
        cols, lead = math.prod(shape_x[a + 1:]), math.prod(shape_x[:a])
        w2 = [tuple(windows[a]), (0, cols)]
        macs = (w2[0][1] - w2[0][0]) * cols * shape_h[a]
        if lead > SQUEEZE_MAX_SMALL and macs < SQUEEZE_MIN_MACS:
            return None  # (see below)
        return lead, (shape_x[a], cols), (shape_h[a], 1), w2
    if conv == [nd - 2, nd - 1]:
        lead, w2 = math.prod(shape_x[:-2]), [tuple(w) for w in windows[-2:]]
        # one Python call per 2-D problem (about 3.5 us): many small ones stay on
        # ndimage (4000x4x4 * 1x3x3: 13 ms in slices against 0.6 ms)
        if lead > SQUEEZE_MAX_SMALL and math.prod(e - s for s, e in w2) * math.prod(
                shape_h[-2:]) < SQUEEZE_MIN_MACS:
            return None
        return lead, tuple(shape_x[-2:]), tuple(shape_h[-2:]), w2
    return None


#: :func:`squeeze_2d` makes at most this many 2-D problems of fewer than
#: :data:`SQUEEZE_MIN_MACS` multiply-adds each (the call, about 3.5 us, then
#: costs more than ndimage's whole slice: the crossover measured near 800
#: outputs of a 3x3 kernel).
SQUEEZE_MAX_SMALL = 8
SQUEEZE_MIN_MACS = 8000


def compiled_window_nd(x: np.ndarray, h: np.ndarray, windows, *,
                       threads: int = 1) -> np.ndarray | None:
    """An N-D window (N >= 3) on the compiled 2-D loop (:func:`squeeze_2d`), or None.

    Smoothing a video along time, ``(T, H, W) * (k, 1, 1)``, is one 2-D
    problem of ``T`` rows and ``H * W`` columns: 200x64x64 * 9x1x1 float32
    ran in 6.6 ms through :mod:`scipy.ndimage` (scipy 4.2 ms), here in
    well under 1 ms. None where the layout or the loop does not apply.
    """
    if x.size < h.size:
        x, h = h, x
    sq = squeeze_2d(x.shape, h.shape, windows)
    if sq is None or not uses_compiled_2d(sq[1], sq[2], np.result_type(x, h)):
        return None
    lead, xs, hs, w2 = sq
    x3 = np.ascontiguousarray(x).reshape((lead, *xs))
    h2 = h.reshape(hs)
    shape = tuple(e - s for s, e in windows)
    out = None
    for i in range(lead):
        y = compiled_window_2d(x3[i], h2, w2, threads=threads)
        if y is None:  # integers too large for float64
            return None
        if lead == 1:
            return y.reshape(shape)
        if out is None:
            out = np.empty((lead, *y.shape), y.dtype)
        out[i] = y
    return out.reshape(shape)


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
    dtype = np.dtype(dtype)
    return max(1, outputs // _TILE.get(_CODES.get(dtype) or _CCODES.get(dtype, "d"), 32))


def compiled_window(x: np.ndarray, h: np.ndarray, start: int, stop: int, *,
                    threads: int = 1) -> np.ndarray | None:
    """``[start, stop)`` of the full 1-D convolution by the compiled loop, or None.

    None where the loop does not apply (no compiled module, a result dtype
    other than float32/float64/complex64/complex128); other inputs are cast to
    the result dtype, as numpy.convolve does. ``len(x) >= len(h) >= 1`` and
    ``0 <= start <= stop <= len(x) + len(h) - 1`` are the caller's.
    ``threads`` > 1 splits the output over threads where the work is worth
    it; the chunks start on the loop's own tile boundaries, so the result is
    the same bits.
    """
    if _cdirect is None or x.dtype.kind not in "biufc" or h.dtype.kind not in "biufc":
        return None
    dtype = np.result_type(x, h)
    code = _CODES.get(dtype) or _CCODES.get(dtype)
    if code is None:
        return None
    y = np.empty(stop - start, dtype)
    x, h = _ready(x, dtype), _ready(h, dtype)
    if threads <= 1:  # (the split's bookkeeping cost 3 us of a 16 us call)
        _cdirect.convolve(code, x, h, y, start)
        return y
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
