"""Public convolution functions, drop-in compatible with :mod:`scipy.signal`.

Each function validates its arguments (:mod:`fftconv._validate`), reduces the
call to a *problem* -- two arrays, the convolved axes and the output window in
full-convolution coordinates -- and hands it to an engine from
:data:`fftconv._strategy.METHODS`.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Sequence

import numpy as np

from . import _measure, _nonfinite, _strategy
from ._config import get_planner, resolve_workers
from ._validate import (
    as_array,
    check_axes,
    check_boundary,
    check_fillvalue,
    check_method,
    check_mode,
    check_same_ndim,
    check_shape_size,
)

__all__ = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "convolve2d",
    "correlate2d",
    "choose_conv_method",
    "correlation_lags",
    "plan",
]

_ENGINES = tuple(_strategy.METHODS)
_FFT_ENGINES = ("fft", "oa")


# --------------------------------------------------------------------------- helpers


def _is_dask(x: object) -> bool:
    return type(x).__module__.split(".")[0] == "dask"


def _work_dtype(*dtypes: np.dtype) -> np.dtype:
    """Floating dtype the FFT engines compute in (as scipy.fft would)."""
    out = []
    for d in dtypes:
        d = np.dtype(d)
        if d.kind in "biuO":
            out.append(np.dtype(np.float64))
        elif d == np.float16:
            out.append(np.dtype(np.float32))
        else:
            out.append(d)
    return np.result_type(*out)


def _object_to_numeric(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind != "O":
        return a
    if any(isinstance(v, complex) for v in a.reshape(-1)):
        return a.astype(np.complex128)
    return a.astype(np.float64)


def _swap_needed(mode: str, s1: Sequence[int], s2: Sequence[int], axes) -> bool:
    """scipy's ``_inputs_swap_needed`` (same message)."""
    if mode != "valid" or not len(s1):
        return False
    ok1 = all(s1[i] >= s2[i] for i in axes)
    ok2 = all(s2[i] >= s1[i] for i in axes)
    if not (ok1 or ok2):
        raise ValueError("For 'valid' mode, one must be at least as large as the other "
                         f"in every dimension (got shapes {tuple(s1)} and {tuple(s2)})")
    return not ok1


def _windows(mode: str, s1, s2, axes, ndim) -> list[tuple[int, int]]:
    """Output range per axis in full-convolution coordinates (scipy's centring)."""
    out = []
    for a in range(ndim):
        if a not in axes:
            # Batched (broadcast) axis. scipy crops 'same' to in1's size on every
            # axis; that is also right for the size-1 axes dropped from `axes`
            # (convolving with one sample is a product).
            size = max(s1[a], s2[a])
            start = (size - s1[a]) // 2 if mode == "same" else 0
            out.append((start, start + s1[a]) if mode == "same" else (0, size))
            continue
        full = s1[a] + s2[a] - 1
        if mode == "full":
            out.append((0, full))
        elif mode == "same":
            start = (full - s1[a]) // 2
            out.append((start, start + s1[a]))
        else:
            n = s1[a] - s2[a] + 1
            start = (full - n) // 2
            out.append((start, start + n))
    return out


def _int_fft_safe(a1: np.ndarray, a2: np.ndarray, nfft: int) -> bool:
    """True when FFT rounding error is provably below 0.5 for integer inputs.

    Bound: ``5 * eps * log2(n) * ||x||_2 * ||h||_2`` (float64 FFT); see the
    numerical-behaviour docs.
    """
    bound = _int_bound(a1, a2, nfft)
    return math.isfinite(bound) and bound < 0.5


def _int_bound(a1: np.ndarray, a2: np.ndarray, nfft: int) -> float:
    n1 = float(np.linalg.norm(a1.reshape(-1).astype(np.float64)))
    n2 = float(np.linalg.norm(a2.reshape(-1).astype(np.float64)))
    return 5 * np.finfo(np.float64).eps * max(math.log2(max(nfft, 2)), 1.0) * n1 * n2


def _limbs(a: np.ndarray, bits: int, count: int) -> list[np.ndarray]:
    """``a == sum(limb[i] << (bits * i))``: low limbs in [0, 2**bits), the top one signed."""
    wide = a.astype(np.uint64 if a.dtype == np.uint64 else np.int64)
    out = []
    for _ in range(count - 1):
        out.append((wide & ((1 << bits) - 1)).astype(np.float64))
        wide = wide >> bits
    out.append(wide.astype(np.float64))
    return out


def _exact_int_fft(method, params, a1, a2, axes, windows, result_dtype, workers):
    """FFT convolution of integers, exact even where one FFT's rounding is not.

    Both inputs are cut into limbs of ``bits`` bits, few enough that every
    limb-by-limb convolution is provably exact after rounding; the pieces are
    recombined in 64-bit integer arithmetic, which wraps exactly as numpy's
    direct integer sums do.
    """
    nfft = math.prod(a1.shape[a] + a2.shape[a] - 1 for a in axes)
    wide = np.uint64 if result_dtype == np.uint64 else np.int64
    for bits in (24, 16, 12, 8, 6, 4, 2, 1):
        count = -(-64 // bits)
        # bound for limbs of at most 2**bits in magnitude
        lim = 2.0**bits
        bound = 5 * np.finfo(np.float64).eps * max(math.log2(max(nfft, 2)), 1.0) \
            * lim * math.sqrt(a1.size) * lim * math.sqrt(a2.size)
        if bound < 0.5:
            break
    else:
        return None
    # only as many limbs as the largest magnitude needs
    def used(a):
        m = int(np.abs(a.astype(np.float64)).max()) if a.size else 0
        return max(1, -(-(m.bit_length() + 1) // bits))
    l1, l2 = _limbs(a1, bits, min(count, used(a1))), _limbs(a2, bits, min(count, used(a2)))
    total = None
    with np.errstate(over="ignore"):
        for i, x in enumerate(l1):
            for j, h in enumerate(l2):
                part = np.rint(_run(method, x, h, axes, windows, work=np.dtype(np.float64),
                                    workers=workers, params=params)).astype(wide)
                shift = bits * (i + j)
                if shift >= 64:
                    continue
                part = part << wide(shift)
                total = part if total is None else total + part
    return total.astype(result_dtype)


_modules: dict = {}


def _run(method: str, a1, a2, axes, windows, *, work, workers, params=None):
    mod = _modules.get(method)
    if mod is None:
        mod = _modules[method] = importlib.import_module(f"fftconv.{_strategy.METHODS[method]}")
    params = dict(params or {})
    if method == "direct":
        return mod.convolve_window(a1, a2, windows)
    if method == "oa":
        params.pop("fshape", None)
    nd, axes = a1.ndim, list(axes)
    last = list(range(nd - len(axes), nd))
    if sorted(axes) != last:
        # FFTW is several times slower on strided (non-last) axes: transform a
        # transposed copy with the convolved axes last, and transpose back.
        order = [a for a in range(nd) if a not in axes] + sorted(axes)
        pos = {a: i for i, a in enumerate(order)}
        if "axis" in params:
            params["axis"] = pos[params["axis"]]
        if "tiles" in params:
            params["tiles"] = {pos[a]: L for a, L in params["tiles"].items()}
        if "fshape" in params:
            params["fshape"] = [params["fshape"][axes.index(a)] for a in sorted(axes)]
        out = mod.convolve_window(a1.transpose(order), a2.transpose(order), last,
                                  [windows[a] for a in order], work_dtype=work,
                                  workers=workers, planner=get_planner(), **params)
        return np.ascontiguousarray(out.transpose(np.argsort(order)))
    return mod.convolve_window(a1, a2, axes, windows, work_dtype=work, workers=workers,
                               planner=get_planner(), **params)


def _finish(out: np.ndarray, result_dtype: np.dtype) -> np.ndarray:
    """Cast an engine result to the public result dtype (rounding for integers)."""
    result_dtype = np.dtype(result_dtype)
    if out.dtype == result_dtype:
        return out
    if result_dtype.kind in "biu" and out.dtype.kind in "fc":
        r = np.rint(out.real)
        if result_dtype.kind == "b":
            return r != 0
        mid = np.uint64 if result_dtype == np.uint64 else np.int64
        # via int64 so that overflow wraps exactly like numpy's integer arithmetic
        return r.astype(mid).astype(result_dtype)
    return out.astype(result_dtype)


#: 1-D problems this small (or with a kernel this short) always go to the direct
#: engine: the cost model agrees everywhere on the calibrated ladder (pinned in
#: tests/test_strategy.py), and skipping it keeps tiny calls as cheap as scipy's.
#: ``SMALL_MACS`` is for kernels under 64 taps; longer ones (numpy.convolve is
#: 4x faster per multiply-add there) go up to ``4 * SMALL_MACS``.
SMALL_MACS = 40_000
SHORT_KERNEL = 8
_strategy_modes = ("full", "same", "valid")


def _small_1d(in1: np.ndarray, in2: np.ndarray, mode, method) -> np.ndarray | None:
    """numpy.convolve for small 1-D float/complex problems, else None (general path)."""
    n, k = in1.shape[0], in2.shape[0]
    if (
        (method != "auto" and method != "direct")
        or in1.dtype.kind not in "fc" or in2.dtype.kind not in "fc"
        or n == 0 or k == 0
        or in1.dtype.itemsize > 16 or in2.dtype.itemsize > 16
    ):
        return None
    if (method == "auto" and min(n, k) > SHORT_KERNEL
            and n * k > SMALL_MACS * (4 if min(n, k) >= 64 else 1)):
        if n * k > 100 * SMALL_MACS or mode not in _strategy_modes:
            return None
        # mid-sized: ask the (cached) cost model without the general path's set-up
        windows = _windows(mode, (n,), (k,), (0,), 1) if mode != "valid" or n >= k else None
        if windows is None or _strategy.choose(
                (n,), (k,), [0], windows, dtype=np.result_type(in1.dtype, in2.dtype),
                threads=resolve_workers(None)).method != "direct":
            return None
    if mode == "full" or mode == "valid":
        return np.convolve(in1, in2, mode)
    if mode == "same" and n >= k:
        return np.convolve(in1, in2, "same")
    return None


def _conv_all_axes(in1, in2, mode, method, workers, *, correlate: bool) -> np.ndarray:
    """convolve/correlate: every axis convolved, result dtype = result_type(in1, in2)."""
    mode = check_mode(mode)
    method = check_method(method, _ENGINES)
    workers = resolve_workers(workers)
    in1 = as_array(in1, "in1")
    in2 = as_array(in2, "in2")
    if in1.ndim == in2.ndim == 0:
        return in1 * (np.conj(in2) if correlate and in2.dtype.kind == "c" else in2)
    check_same_ndim(in1, in2)
    if correlate:
        in2 = in2[(slice(None, None, -1),) * in2.ndim]
        if in2.dtype.kind == "c":
            in2 = np.conj(in2)
    result_dtype = np.result_type(in1, in2)
    if in2.size == 0:
        raise ValueError(f"in2 cannot be empty (got shape {in2.shape})")
    if in1.size == 0:
        if mode == "same":
            return np.empty(in1.shape, result_dtype)
        raise ValueError(f"in1 cannot be empty in mode {mode!r} (got shape {in1.shape})")
    axes = list(range(in1.ndim))
    if _swap_needed(mode, in1.shape, in2.shape, axes):
        in1, in2 = in2, in1
    windows = _windows(mode, in1.shape, in2.shape, axes, in1.ndim)
    check_shape_size([e - s for s, e in windows], result_dtype.itemsize)
    _strategy.check_output_memory(in1.shape, in2.shape, windows, result_dtype)
    # Axes where one input has length 1 and the whole extent is kept need no
    # transform: the FFT engines broadcast over them (as scipy's fftconvolve does).
    fax = [a for a in axes if not (min(in1.shape[a], in2.shape[a]) == 1
                                   and windows[a] == (0, max(in1.shape[a], in2.shape[a])))]
    params = None
    if method == "auto":
        p = _choose(in1, in2, fax, windows, result_dtype, workers)
        method, params = p.method, p.params
        measured = _measure.remembered(in1.shape, in2.shape, result_dtype, mode)
        if measured is not None:
            method, params = measured, p.params if measured == p.method else None
        else:
            sep = _separable(in1, in2, windows, result_dtype, workers)
            if sep is not None and sep[0] * _strategy.MARGIN < p.predicted[method]:
                method = "separable"
    bad1 = bad2 = None
    # numpy.convolve (the 1-D direct engine) is already a plain IEEE sum of products
    if result_dtype.kind in "fc" and not (method == "direct" and in1.ndim == 1):
        # NaN/inf: every engine convolves the finite part and then adds the
        # products with non-finite samples, so the footprint is the direct sum's.
        f1, bad1 = _nonfinite.split(in1)
        f2, bad2 = _nonfinite.split(in2)
        if bad1 is not None or bad2 is not None:
            if _nonfinite.extra_work(bad1, bad2, in1.size, in2.size) > in1.size * in2.size // 4:
                # mostly non-finite: the plain IEEE sum of products is as cheap
                out = _direct_mod().faithful_window(in1, in2, windows)
                return out.astype(result_dtype, copy=False)
            in1, in2, orig = f1, f2, (in1, in2)
    out = _execute(method, params, in1, in2, axes, fax, windows, result_dtype, workers)
    if bad1 is not None or bad2 is not None:
        _nonfinite.add_nonfinite(out, windows, *orig, bad1, bad2, conv_axes=axes)
    return _finish(out, result_dtype)


def _direct_mod():
    return importlib.import_module("fftconv._direct")


def _execute(method, params, in1, in2, axes, fax, windows, result_dtype, workers) -> np.ndarray:
    """Run one engine; returns the window in the work dtype."""
    if method == "separable":
        sep = _separable(in1, in2, windows, result_dtype, workers)
        if sep is not None:
            return sep[1]()
        method, params = "fft", None  # the finite part is no longer rank 1
    if method == "direct":
        return _run("direct", in1, in2, axes, windows, work=result_dtype, workers=workers)
    if not fax:  # nothing to transform: an elementwise (broadcast) product
        return in1 * in2
    if result_dtype.kind in "iu":
        nfft = math.prod(in1.shape[a] + in2.shape[a] - 1 for a in fax)
        if _int_bound(in1, in2, nfft) >= 0.5:  # one FFT would not round exactly
            out = _exact_int_fft(method, params, in1, in2, fax, windows, result_dtype, workers)
            if out is not None:
                return out
            return _run("direct", in1, in2, axes, windows, work=result_dtype, workers=workers)
    a1, a2 = _object_to_numeric(in1), _object_to_numeric(in2)
    work = _work_dtype(a1.dtype, a2.dtype)
    return _run(method, a1, a2, fax, windows, work=work, workers=workers, params=params)


def rank1_factors(h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(col, row)`` with ``h == outer(col, row)`` to rounding, or None.

    A cheap O(size) test instead of an SVD: take the largest entry ``h[i, j]``;
    a rank-1 matrix equals ``outer(h[:, j], h[i, :] / h[i, j])``. The residual
    must be within ``8 * eps * max(shape) * max|h|`` (Gaussian and box kernels
    built as outer products pass; random kernels fail at once).
    """
    if h.ndim != 2 or min(h.shape) < 2 or h.dtype.kind != "f" or h.size < 9:
        return None
    i, j = np.unravel_index(np.argmax(np.abs(h)), h.shape)
    peak = h[i, j]
    if peak == 0 or not np.isfinite(peak):
        return None
    col, row = h[:, j], h[i, :] / peak
    eps = np.finfo(h.dtype).eps
    resid = np.abs(h - np.outer(col, row)).max()
    if not resid <= 8 * eps * max(h.shape) * abs(peak):
        return None
    return col.reshape(-1, 1), row.reshape(1, -1)


def _separable(in1, in2, windows, result_dtype, workers):
    """``(predicted seconds, thunk)`` for two 1-D passes with a rank-1 ``in2``, or None."""
    if result_dtype.kind != "f" or in1.ndim != 2 or in2.size > in1.size:
        return None
    factors = rank1_factors(in2)
    if factors is None:
        return None
    col, row = factors
    w0, w1 = windows
    mid = (w0[1] - w0[0], in1.shape[1])
    p1 = _choose(in1, col, [0], [w0, (0, in1.shape[1])], result_dtype, workers)
    p2 = _choose(np.broadcast_to(np.zeros((), in1.dtype), mid), row, [1],
                 [(0, mid[0]), w1], result_dtype, workers)

    def run() -> np.ndarray:
        work = _work_dtype(in1.dtype, in2.dtype)
        c, r = col.astype(work), row.astype(work)
        y = _run(p1.method, in1, c, [0], [w0, (0, in1.shape[1])], work=work,
                 workers=workers, params=p1.params)
        return _run(p2.method, y, r, [1], [(0, mid[0]), w1], work=work, workers=workers,
                    params=p2.params)

    # + transposing pass 1 in and out (its axis is not the last one)
    transpose = 4 * in1.size * _strategy.CONSTANTS["copy_elem"] * 1e-9
    return p1.predicted[p1.method] + p2.predicted[p2.method] + transpose, run


def _choose(in1, in2, axes, windows, result_dtype, workers) -> _strategy.ConvPlan:
    fft_ok, why = True, ""
    if result_dtype.kind == "O":
        fft_ok, why = False, "object arrays are summed exactly by the direct engine"
    elif result_dtype.kind in "biu":
        nfft = math.prod(in1.shape[a] + in2.shape[a] - 1 for a in axes)
        if not _int_fft_safe(in1, in2, nfft):
            fft_ok, why = False, ("integer inputs: the FFT rounding-error bound exceeds 0.5, "
                                  "so only the direct engine is exact")
    elif np.dtype(result_dtype).itemsize > 16 or result_dtype == np.longdouble and \
            np.finfo(np.longdouble).eps < np.finfo(np.float64).eps:
        fft_ok, why = False, "long double inputs keep their precision on the direct engine"
    work = _work_dtype(in1.dtype, in2.dtype) if fft_ok else result_dtype
    return _strategy.choose(in1.shape, in2.shape, axes, windows, dtype=work, fft_ok=fft_ok,
                            threads=workers, why_fft_not_ok=why)


def _freq_axes(in1, in2, mode, axes):
    """scipy's ``_init_freq_conv_axes``: returns in1, in2, axes (swapped if needed)."""
    s1, s2 = in1.shape, in2.shape
    noaxes = axes is None
    ax = check_axes(axes, in1.ndim)
    if noaxes:
        ax = list(range(in1.ndim))
    ax = [a for a in ax if s1[a] != 1 and s2[a] != 1]
    if not all(s1[a] == s2[a] or s1[a] == 1 or s2[a] == 1
               for a in range(in1.ndim) if a not in ax):
        raise ValueError(f"incompatible shapes for in1 and in2: {s1} and {s2}")
    if _swap_needed(mode, s1, s2, ax):
        in1, in2 = in2, in1
    return in1, in2, ax


def _fft_family(in1, in2, mode, axes, workers, *, engines) -> np.ndarray:
    mode = check_mode(mode)
    workers = resolve_workers(workers)
    in1 = as_array(in1, "in1")
    in2 = as_array(in2, "in2")
    if in1.ndim == in2.ndim == 0:
        return in1 * in2
    check_same_ndim(in1, in2)
    if in1.size == 0 or in2.size == 0:
        return np.array([])
    in1, in2, ax = _freq_axes(in1, in2, mode, axes)
    in1, in2 = _object_to_numeric(in1), _object_to_numeric(in2)
    work = _work_dtype(in1.dtype, in2.dtype)
    windows = _windows(mode, in1.shape, in2.shape, ax, in1.ndim)
    if not ax:  # nothing to transform: a broadcasting product, cropped like scipy
        crop = tuple(slice(s, e) for s, e in windows)
        return np.multiply(in1, in2, dtype=work)[crop].copy()
    check_shape_size([e - s for s, e in windows], work.itemsize)
    _strategy.check_output_memory(in1.shape, in2.shape, windows, work)
    p = _strategy.choose(in1.shape, in2.shape, ax, windows, dtype=work, direct_ok=False,
                         threads=workers)
    method, params = p.method, p.params
    if method not in engines:
        method, params = engines[0], None
    # NaN/inf stay local, as in the direct sum (see fftconv._nonfinite)
    f1, bad1 = _nonfinite.split(in1)
    f2, bad2 = _nonfinite.split(in2)
    out = _run(method, f1, f2, ax, windows, work=work, workers=workers, params=params)
    if bad1 is not None or bad2 is not None:
        _nonfinite.add_nonfinite(out, windows, in1, in2, bad1, bad2, conv_axes=ax)
    return out


# --------------------------------------------------------------------------- public API


def convolve(in1, in2, mode: str = "full", method: str = "auto", *,
             workers: int | None = None) -> np.ndarray:
    """Convolve two N-dimensional arrays (drop-in for :func:`scipy.signal.convolve`).

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with the same number of dimensions as `in1`.
    mode : {'full', 'valid', 'same'}, optional
        ``'full'`` (default): the full discrete linear convolution.
        ``'valid'``: only elements that do not rely on zero-padding (one
        input must be at least as large as the other in every dimension).
        ``'same'``: the size of `in1`, centred on the ``'full'`` output.
    method : {'auto', 'direct', 'fft', 'oa'}, optional
        ``'direct'``: sums of products (exact for integers and objects).
        ``'fft'``: one FFT of the padded size. ``'oa'``: overlap-save blocks
        along the long axis (low memory). ``'auto'`` (default): the engine
        the cost model predicts fastest (see :func:`plan`).
    workers : int, optional
        Threads for FFTW (keyword-only). Default: 1, or the value set with
        :func:`set_workers`; ``-1`` means all cores.

    Returns
    -------
    ndarray
        The convolution, of dtype ``numpy.result_type(in1, in2)``; integer
        and boolean inputs give exact integer results on every engine.

    Raises
    ------
    ValueError
        Unknown `mode` or `method`; inputs of different dimensionality;
        ``'valid'`` mode where neither input is at least as large as the
        other; an empty `in2`.
    TypeError
        Inputs that are not arrays of numbers (strings, bytes, ...).

    See Also
    --------
    correlate : cross-correlation, same parameters.
    fftconvolve, oaconvolve : the FFT engines, with an `axes` argument.
    plan : what ``method='auto'`` picks for given shapes, and why.

    Notes
    -----
    Direct convolution costs ``O(N M)``; FFT convolution ``O(L log L)`` with
    ``L = N + M - 1``; overlap-save ``O(N log M)``. FFT results carry an
    absolute error of about ``eps * log2(L) * ||in1|| * ||in2||``; integer
    inputs go through an FFT only when that bound is below 0.5, so that
    rounding recovers the exact result.

    Examples
    --------
    Two dice: the distribution of the sum is the convolution of the two
    distributions.

    >>> import numpy as np
    >>> import fftconv
    >>> die = np.full(6, 1 / 6)
    >>> two = fftconv.convolve(die, die)   # sums 2..12
    >>> print(round(two[4 - 2] * 36, 6))    # P(sum = 4) = 3/36
    3.0

    Integer inputs stay exact:

    >>> fftconv.convolve([1, 2, 3], [0, 1, 0.5]).tolist()
    [0.0, 1.0, 2.5, 4.0, 1.5]
    >>> fftconv.convolve([1, 2, 3], [1, 1], mode="same")
    array([1, 3, 5])
    """
    if (type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == 1 == in2.ndim
            and workers is None):
        out = _small_1d(in1, in2, mode, method)
        if out is not None:
            return out
    if _is_dask(in1) or _is_dask(in2):
        from . import dask as _dask

        return _dask.convolve(in1, in2, mode=mode, method=method, workers=workers)
    return _conv_all_axes(in1, in2, mode, method, workers, correlate=False)


def correlate(in1, in2, mode: str = "full", method: str = "auto", *,
              workers: int | None = None) -> np.ndarray:
    """Cross-correlate two N-dimensional arrays (drop-in for :func:`scipy.signal.correlate`).

    ``z[k] = sum_l in1[l] * conj(in2[l - k + N - 1])`` in the notation of
    scipy; equivalently ``convolve(in1, in2[::-1].conj())``.

    Parameters
    ----------
    in1, in2, mode, method, workers
        See :func:`convolve`.

    Returns
    -------
    ndarray
        The cross-correlation, of dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    ValueError, TypeError
        As :func:`convolve`.

    See Also
    --------
    correlation_lags : the lag of each output sample.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> x = np.array([0., 1., 2., 3.])
    >>> c = fftconv.correlate(x, x)
    >>> lags = fftconv.correlation_lags(x.size, x.size)
    >>> int(lags[np.argmax(c)])
    0
    """
    if _is_dask(in1) or _is_dask(in2):
        from . import dask as _dask

        return _dask.correlate(in1, in2, mode=mode, method=method, workers=workers)
    return _conv_all_axes(in1, in2, mode, method, workers, correlate=True)


def fftconvolve(in1, in2, mode: str = "full", axes=None, *,
                workers: int | None = None) -> np.ndarray:
    """Convolve two N-dimensional arrays with FFTs (drop-in for :func:`scipy.signal.fftconvolve`).

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of the same dimensionality; on axes not in `axes` their sizes
        must be equal or 1 (broadcasting).
    mode : {'full', 'valid', 'same'}, optional
        See :func:`convolve`.
    axes : int or sequence of int, optional
        Axes to convolve over (default: all). Other axes are batched.
    workers : int, optional
        See :func:`convolve`.

    Returns
    -------
    ndarray
        Floating-point result (integers are computed in float64; float32
        stays float32), as in scipy.

    Raises
    ------
    ValueError
        Bad `mode`; `axes` out of range, repeated or empty; incompatible
        shapes on the non-convolved axes.
    TypeError
        Non-integer `axes`; non-numeric inputs.

    See Also
    --------
    oaconvolve : always overlap-save.
    convolve : picks between direct and FFT engines.

    Notes
    -----
    Runs on FFTW plans from a bounded cache. For a long signal and a much
    shorter kernel the FFT work is done in overlap-save blocks (the same
    result to rounding, faster and with less memory); see :func:`plan`.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((3, 1000))        # three signals
    >>> h = np.ones((1, 5)) / 5                   # one moving average
    >>> fftconv.fftconvolve(x, h, mode="same", axes=1).shape
    (3, 1000)
    """
    if _is_dask(in1) or _is_dask(in2):
        from . import dask as _dask

        return _dask.fftconvolve(in1, in2, mode=mode, axes=axes, workers=workers)
    return _fft_family(in1, in2, mode, axes, workers, engines=_FFT_ENGINES)


def oaconvolve(in1, in2, mode: str = "full", axes=None, *,
               workers: int | None = None) -> np.ndarray:
    """Convolve with overlap-save blocks (drop-in for :func:`scipy.signal.oaconvolve`).

    Parameters
    ----------
    in1, in2, mode, axes, workers
        See :func:`fftconvolve`.

    Returns
    -------
    ndarray
        As :func:`fftconvolve`.

    Raises
    ------
    ValueError, TypeError
        As :func:`fftconvolve`.

    Notes
    -----
    Unlike scipy's, this streams over the signal: peak memory is the output
    plus one block, not every block's spectrum at once. The block length
    minimises the cost model's time per output sample. When one block
    would cover the whole signal, a single FFT is used (as in scipy).

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> rng = np.random.default_rng(0)
    >>> x, h = rng.standard_normal(100_000), rng.standard_normal(301)
    >>> y = fftconv.oaconvolve(x, h)
    >>> bool(np.allclose(y, np.convolve(x, h)))
    True
    """
    if _is_dask(in1) or _is_dask(in2):
        from . import dask as _dask

        return _dask.fftconvolve(in1, in2, mode=mode, axes=axes, workers=workers)
    return _fft_family(in1, in2, mode, axes, workers, engines=("oa", "fft"))


def _conv2d(in1, in2, mode, boundary, fillvalue, method, workers, *, correlate, name):
    mode = check_mode(mode)
    boundary = check_boundary(boundary)
    in1 = as_array(in1, "in1")
    in2 = as_array(in2, "in2")
    if not in1.ndim == in2.ndim == 2:
        raise ValueError(f"{name} inputs must both be 2-D arrays "
                         f"(got in1.ndim={in1.ndim}, in2.ndim={in2.ndim})")
    dt = np.result_type(in1, in2)
    fill = check_fillvalue(fillvalue, dt)
    if _swap_needed(mode, in1.shape, in2.shape, (0, 1)):
        # 'valid' ignores the boundary; convolve/correlate handle the swap
        # (correlate2d then agrees with correlate, including for complex inputs).
        return (correlate_fn if correlate else convolve)(in1, in2, mode=mode, method=method,
                                                         workers=workers)
    if mode != "valid" and (boundary != "fill" or fill != 0):
        k0, k1 = in2.shape
        pads = ((k0 - 1, k0 - 1), (k1 - 1, k1 - 1))
        if boundary == "fill":
            padded = np.pad(in1.astype(dt, copy=False), pads, mode="constant",
                            constant_values=fill)
        else:
            padded = np.pad(in1, pads, mode="wrap" if boundary == "wrap" else "symmetric")
        fn = correlate_fn if correlate else convolve
        full = fn(padded, in2, mode="valid", method=method, workers=workers)
        if mode == "full":
            return full
        return full[_same2d(in1.shape, in2.shape, correlate=correlate)].copy()
    fn = correlate_fn if correlate else convolve
    if correlate and mode == "same":
        full = fn(in1, in2, mode="full", method=method, workers=workers)
        return full[_same2d(in1.shape, in2.shape, correlate=True)].copy()
    return fn(in1, in2, mode=mode, method=method, workers=workers)


def _same2d(s1, s2, *, correlate: bool) -> tuple[slice, slice]:
    """'same' crop of a full 2-D result, as scipy's convolve2d/correlate2d centre it.

    convolve2d starts at ``(k - 1) // 2`` (like convolve); correlate2d at ``k // 2``
    (unlike correlate: the two differ by one for even kernel sizes).
    """
    starts = [k // 2 if correlate else (k - 1) // 2 for k in s2]
    return tuple(slice(st, st + n) for st, n in zip(starts, s1))


def convolve2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0, *,
               method: str = "auto", workers: int | None = None) -> np.ndarray:
    """Convolve two 2-D arrays with boundary conditions (drop-in for scipy.signal.convolve2d).

    Parameters
    ----------
    in1, in2 : array_like
        2-D inputs.
    mode : {'full', 'valid', 'same'}, optional
        See :func:`convolve`.
    boundary : {'fill', 'wrap', 'symm'}, optional
        How `in1` is extended beyond its edges: ``'fill'`` pads with
        `fillvalue`, ``'wrap'`` (or ``'circular'``) repeats it periodically,
        ``'symm'`` (or ``'symmetric'``) mirrors it (edge sample repeated).
    fillvalue : scalar, optional
        Value for ``boundary='fill'`` (default 0).
    method, workers
        New, keyword-only: see :func:`convolve`. scipy always sums directly;
        fftconvolve picks the fastest engine.

    Returns
    -------
    ndarray
        Of dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    ValueError
        Inputs that are not 2-D; bad `mode` or `boundary`; non-scalar
        `fillvalue`.

    Examples
    --------
    A 3x3 average of an image:

    >>> import numpy as np, fftconv
    >>> img = np.arange(16.0).reshape(4, 4)
    >>> out = fftconv.convolve2d(img, np.ones((3, 3)), mode="same", boundary="symm")
    >>> float(out[0, 0])  # 0+0+1 + 0+0+1 + 4+4+5: the corner's mirrored neighbourhood
    15.0
    """
    return _conv2d(in1, in2, mode, boundary, fillvalue, method, workers,
                   correlate=False, name="convolve2d")


def correlate2d(in1, in2, mode: str = "full", boundary: str = "fill", fillvalue=0, *,
                method: str = "auto", workers: int | None = None) -> np.ndarray:
    """Cross-correlate two 2-D arrays (drop-in for :func:`scipy.signal.correlate2d`).

    Parameters
    ----------
    in1, in2, mode, boundary, fillvalue, method, workers
        See :func:`convolve2d`.

    Returns
    -------
    ndarray
        Of dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    ValueError
        As :func:`convolve2d`.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> img = np.zeros((5, 5)); img[2, 3] = 1
    >>> tpl = np.ones((1, 1))
    >>> c = fftconv.correlate2d(img, tpl, mode="same")
    >>> tuple(int(i) for i in np.unravel_index(np.argmax(c), c.shape))
    (2, 3)
    """
    return _conv2d(in1, in2, mode, boundary, fillvalue, method, workers,
                   correlate=True, name="correlate2d")


correlate_fn = correlate


def choose_conv_method(in1, in2, mode: str = "full", measure: bool = False):
    """Return the engine ``convolve``/``correlate`` would use (scipy's signature).

    Parameters
    ----------
    in1, in2 : array_like
        Inputs as passed to :func:`convolve`.
    mode : {'full', 'valid', 'same'}, optional
        See :func:`convolve`.
    measure : bool, optional
        If True, time every engine on these inputs and return the fastest
        together with the times, as scipy does: ``(method, times)``. The
        winner is remembered for this shape signature in this process.

    Returns
    -------
    method : str
        ``'direct'``, ``'fft'`` or ``'oa'``.
    times : dict
        Only with ``measure=True``: seconds per engine.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> fftconv.choose_conv_method(np.ones(1000), np.ones(3))
    'direct'
    >>> fftconv.choose_conv_method(np.ones(100_000), np.ones(10_000))
    'oa'
    """
    mode = check_mode(mode)
    in1 = as_array(in1, "in1")
    in2 = as_array(in2, "in2")
    if in1.ndim == in2.ndim == 0 or in1.size == 0 or in2.size == 0:
        return ("direct", {}) if measure else "direct"
    check_same_ndim(in1, in2)
    axes = list(range(in1.ndim))
    if _swap_needed(mode, in1.shape, in2.shape, axes):
        in1, in2 = in2, in1
    if measure:
        from ._measure import measure_methods

        return measure_methods(in1, in2, mode)
    windows = _windows(mode, in1.shape, in2.shape, axes, in1.ndim)
    return _choose(in1, in2, axes, windows, np.result_type(in1, in2), resolve_workers(None)).method


def correlation_lags(in1_len: int, in2_len: int, mode: str = "full") -> np.ndarray:
    """Lag indices for 1-D cross-correlation (same as :func:`scipy.signal.correlation_lags`).

    Parameters
    ----------
    in1_len, in2_len : int
        Lengths of the first and second input.
    mode : {'full', 'valid', 'same'}, optional
        See :func:`correlate`.

    Returns
    -------
    ndarray
        The lag of each output sample of ``correlate(in1, in2, mode)``.

    Examples
    --------
    >>> import fftconv
    >>> fftconv.correlation_lags(3, 2)
    array([-1,  0,  1,  2])
    """
    mode = check_mode(mode)
    if mode == "full":
        return np.arange(-in2_len + 1, in1_len)
    if mode == "same":
        lags = np.arange(-in2_len + 1, in1_len)
        mid = lags.size // 2
        lag_bound = in1_len // 2
        lags = lags[mid - lag_bound:mid + lag_bound + (in1_len % 2)]
        return lags
    lag_bound = in1_len - in2_len
    return np.arange(lag_bound + 1) if lag_bound >= 0 else np.arange(lag_bound, 1)


def plan(in1_shape, in2_shape, *, dtype="float64", mode: str = "full", axes=None,
         workers: int | None = None) -> _strategy.ConvPlan:
    """Explain what ``method='auto'`` would do for inputs of these shapes.

    Parameters
    ----------
    in1_shape, in2_shape : int or tuple of int
        Shapes of the two inputs.
    dtype : dtype, optional
        Input dtype (default float64).
    mode : {'full', 'valid', 'same'}, optional
        See :func:`convolve`.
    axes : int or sequence of int, optional
        Convolved axes (default: all), as in :func:`fftconvolve`.
    workers : int, optional
        Thread count the prediction assumes.

    Returns
    -------
    ConvPlan
        ``.method``, ``.params`` (FFT / block sizes), ``.predicted`` (seconds
        per engine) and ``.reason``; its ``repr`` is a small table.

    Examples
    --------
    >>> import fftconv
    >>> p = fftconv.plan(4_000_000, 4_000)
    >>> p.method
    'oa'
    >>> fftconv.plan(1000, 3).method
    'direct'
    """
    mode = check_mode(mode)

    def shape(value, name):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = (value,)
        try:
            value = tuple(value)
        except TypeError:
            raise TypeError(f"{name} must be an int or a tuple of ints, got "
                            f"{name}={value!r}") from None
        if not value or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                and v >= 1 for v in value):
            raise ValueError(f"{name} must hold positive integers, got {name}={value!r}")
        return tuple(int(v) for v in value)

    s1, s2 = shape(in1_shape, "in1_shape"), shape(in2_shape, "in2_shape")
    if len(s1) != len(s2):
        raise ValueError("in1 and in2 should have the same dimensionality "
                         f"(got {len(s1)} and {len(s2)} dimensions)")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy dtype, got dtype={dtype!r}") from None
    if dt.kind not in "biufcO":
        raise TypeError(f"dtype must be numeric, got dtype={dtype!r}")
    check_shape_size(s1, dt.itemsize, "in1_shape")
    check_shape_size(s2, dt.itemsize, "in2_shape")
    check_shape_size([a + b - 1 for a, b in zip(s1, s2)], dt.itemsize)
    workers = resolve_workers(workers)
    ax = check_axes(axes, len(s1))
    ax = list(range(len(s1))) if ax is None else ax
    if _swap_needed(mode, s1, s2, ax):
        s1, s2 = s2, s1
    windows = _windows(mode, s1, s2, ax, len(s1))
    a1 = np.lib.stride_tricks.as_strided(np.zeros(1, dt), s1, (0,) * len(s1))
    a2 = np.lib.stride_tricks.as_strided(np.ones(1, dt), s2, (0,) * len(s2))
    p = _choose(a1, a2, ax, windows, dt, workers) if ax == list(range(len(s1))) else \
        _strategy.choose(s1, s2, ax, windows, dtype=_work_dtype(dt), direct_ok=False,
                         threads=workers)
    return dataclasses.replace(p, params=dict(p.params), predicted=dict(p.predicted), mode=mode)
