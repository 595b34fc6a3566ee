"""Problem set-up and dispatch: from two arrays and a mode to an engine's result.

A call is reduced to a *problem* -- two arrays, the convolved axes and the
output window in full-convolution coordinates -- that the engines of
:data:`fftconv._strategy.METHODS` compute. Here live the pieces every public
function shares: scipy's swap and centring rules, dtype rules, the NaN/inf
footprint, the fast path for small 1-D calls and the choice between the
engines, the exact-integer path (:mod:`fftconv._exact_int`) and the rank-1
shortcut for separable kernels (:mod:`fftconv._separable`).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence

import numpy as np

from . import _measure, _nonfinite, _separable, _strategy
from ._config import get_planner, resolve_workers
from ._directloop import SPLIT_MIN_MACS, np_convolve, plain_sum
from ._exact_int import _exact_int_fft, _int_bound, _int_fft_safe
from ._validate import (
    as_array,
    check_axes,
    check_method,
    check_mode,
    check_same_ndim,
    check_shape_size,
)

_ENGINES = tuple(_strategy.METHODS)


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


_modules: dict = {}


def _run(method: str, a1, a2, axes, windows, *, work, workers, params=None):
    mod = _modules.get(method)
    if mod is None:
        mod = _modules[method] = importlib.import_module(f"fftconv.{_strategy.METHODS[method]}")
    params = dict(params or {})
    if method == "direct":
        return mod.convolve_window(a1, a2, windows, threads=resolve_workers(workers))
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


_strategy_modes = ("full", "same", "valid")


#: Integer 1-D problems up to this many products take numpy's direct sum at once.
SMALL_INT_MACS = 2**17


def _small_1d(in1: np.ndarray, in2: np.ndarray, mode, method,
              workers=None) -> np.ndarray | None:
    """The 1-D direct engine for float/complex problems, else None (general path).

    ``method='direct'`` always; ``'auto'`` where the (cached) cost model picks
    the direct engine. Usually the lean path (:mod:`fftconv._fast1d`) has
    answered first; this serves what it hands back (non-finite inputs,
    remembered ``measure=True`` winners, no pyfftw). Small integer problems
    (at most :data:`SMALL_INT_MACS` products) are summed here too, exactly and
    wrapping as numpy's integers do: no FFT would be cheaper.
    """
    threads = resolve_workers(workers)  # validated even where unused
    n, k = in1.shape[0], in2.shape[0]
    if (in1.dtype.kind in "iu" and in2.dtype.kind in "iu" and method in ("auto", "direct")
            and np.result_type(in1.dtype, in2.dtype).kind in "iu"
            and 0 < n * k <= SMALL_INT_MACS and mode in _strategy_modes
            and not (mode == "same" and n < k) and not _measure._winners):
        return np_convolve(in1, in2, mode)
    if (
        (method != "auto" and method != "direct")
        or in1.dtype.kind not in "fc" or in2.dtype.kind not in "fc"
        or n == 0 or k == 0
        or in1.dtype.itemsize > 16 or in2.dtype.itemsize > 16
        or mode not in _strategy_modes or (mode == "same" and n < k)
    ):
        return None
    if method == "auto":
        s1, s2 = ((k,), (n,)) if mode == "valid" and n < k else ((n,), (k,))
        windows = _windows(mode, s1, s2, (0,), 1)
        if _strategy.choose(s1, s2, [0], windows, dtype=np.result_type(in1.dtype, in2.dtype),
                            threads=threads).method != "direct":
            return None
    return np_convolve(in1, in2, mode, threads=threads)


#: Decisions for small float problems ``method='auto'`` has seen (output size up to
#: :data:`SMALL_ND_OUTPUT`), keyed by shapes, mode, dtypes and threads; cleared with
#: the cost model's caches.
_SMALL_ND: dict[tuple, tuple] = {}
SMALL_ND_OUTPUT = 2**16


def _decide(in1, in2, mode, method, workers, result_dtype, key):
    """``((swap, windows, fax, method, params, cost, separable cost), auto)`` for one call.

    ``auto``: the model's own choice (no remembered ``measure=True`` winner),
    which the rank-1 shortcut may still beat. Small float decisions are
    remembered under ``key`` (:data:`_SMALL_ND`).
    """
    axes = list(range(in1.ndim))
    swap = _swap_needed(mode, in1.shape, in2.shape, axes)
    if swap:
        in1, in2 = in2, in1
    windows = _windows(mode, in1.shape, in2.shape, axes, in1.ndim)
    out_size = check_shape_size([e - s for s, e in windows], result_dtype.itemsize)
    _strategy.check_output_memory(in1.shape, in2.shape, windows, result_dtype)
    fax = _transform_axes(in1.shape, in2.shape, axes, windows)
    params, cost, auto = None, math.inf, False
    if method == "oa":  # the model's overlap-save set-up (blocks, tiles or strips)
        params = _choose(in1, in2, fax, windows, result_dtype, workers).candidates.get("oa")
    elif method == "auto":
        p = _choose(in1, in2, fax, windows, result_dtype, workers)
        method, params, cost = p.method, p.params, p.predicted[p.method]
        measured = _measure.remembered(in1.shape, in2.shape, result_dtype, mode)
        if measured is not None:
            method, params = measured, p.params if measured == p.method else None
        else:
            auto = True
    sep_cost = (_separable._separable_cost(in1, in2, windows, result_dtype, workers)
                if auto else math.inf)
    decision = (swap, windows, fax, method, params, cost, sep_cost)
    if (auto and result_dtype.kind in "fc" and result_dtype.itemsize <= 16
            and out_size <= SMALL_ND_OUTPUT):
        if len(_SMALL_ND) >= 4096:
            _SMALL_ND.clear()
        _SMALL_ND[key] = decision
    return decision, auto


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
    # Small float problems seen before skip the shape checks and the model: their
    # decision depends on the shapes and dtypes only (for integers, on values too).
    key = (in1.shape, in2.shape, mode, in1.dtype, in2.dtype, workers)
    seen = _SMALL_ND.get(key) if method == "auto" and not _measure._winners else None
    decision, auto = (seen, True) if seen is not None else _decide(
        in1, in2, mode, method, workers, result_dtype, key)
    swap, windows, fax, method, params, cost, sep_cost = decision
    if swap:
        in1, in2 = in2, in1
    elif (seen is None and auto and method == "direct" and not correlate and workers == 1
          and in1.ndim == 2 and result_dtype.char in "fdFD"
          and sep_cost * _strategy.MARGIN >= cost and plain_sum(in1, in2, windows)
          and math.prod(e - s for s, e in windows) <= SMALL_ND_OUTPUT
          and in1.size * in2.size < SPLIT_MIN_MACS):
        # the next call of these shapes goes straight to the loop (fftconv.convolve)
        if len(_strategy.DIRECT_2D) >= 4096:
            _strategy.DIRECT_2D.clear()
        _strategy.DIRECT_2D[(in1.shape, in2.shape, mode, in1.dtype.char,
                             in2.dtype.char)] = windows
    if (auto and method == "fft" and params and not correlate and in1.ndim >= 2
            and sep_cost * _strategy.MARGIN >= cost):
        # small shapes run on a cached job, this call and the next ones alike (the
        # same bits every time); non-finite inputs go on below
        a, b = (in2, in1) if swap else (in1, in2)
        key = ("convolve", a.shape, b.shape, mode, None, a.dtype.char, b.dtype.char)
        out = _fastnd().first_call(key, in1, in2, fax, params["fshape"], windows,
                                   result_dtype, workers, swap=swap)
        if out is not None:
            return out
    # the rank-1 shortcut: its cost depends on the shapes only (remembered with the
    # decision), the kernel's values are checked only where it would win
    if auto and sep_cost * _strategy.MARGIN < cost and _separable.rank1_factors(in2) is not None:
        method = "separable"
    bad1 = bad2 = None
    if method == "oa" and params and "strips" in params and result_dtype.kind in "fc":
        # the strip engine spots NaN/inf for free (see _strips): no scan first
        out = _execute(method, dict(params, detect_nonfinite=True), in1, in2, axes, fax,
                       windows, result_dtype, workers)
        if out is not None:
            return _finish(out, result_dtype)
    # the 1-D direct engine (and the compiled 2-D loop) already form the plain IEEE sum
    # of the existing products
    if result_dtype.kind in "fc" and not (method == "direct" and plain_sum(in1, in2, windows)):
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
    def run(a1, a2):
        return _execute(method, params, a1, a2, axes, fax, windows, result_dtype, workers)

    def exact(a1, a2):  # every axis is convolved: the plain sum of the existing products
        return _direct_mod().faithful_window(a1, a2, windows)

    out = run(in1, in2) if method == "direct" else _nonfinite.overflow_safe(run, in1, in2,
                                                                           exact=exact)
    if bad1 is not None or bad2 is not None:
        _nonfinite.add_nonfinite(out, windows, *orig, bad1, bad2, conv_axes=axes)
    return _finish(out, result_dtype)


def _transform_axes(s1, s2, axes, windows) -> list[int]:
    """The convolved axes that need a transform (the model prices only these).

    Axes where one input has length 1 and the whole extent is kept need none:
    the FFT engines broadcast over them (as scipy's fftconvolve does).
    """
    return [a for a in axes
            if not (min(s1[a], s2[a]) == 1 and windows[a] == (0, max(s1[a], s2[a])))]


def _fastnd():
    return importlib.import_module("fftconv._fastnd")


def _direct_mod():
    return importlib.import_module("fftconv._direct")


def _execute(method, params, in1, in2, axes, fax, windows, result_dtype, workers) -> np.ndarray:
    """Run one engine; returns the window in the work dtype."""
    if method == "separable":
        sep = _separable._separable(in1, in2, windows, result_dtype, workers)
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


def _fft_family(in1, in2, mode, axes, workers, *, engines, key=None) -> np.ndarray:
    mode = check_mode(mode)
    workers = resolve_workers(workers)
    in1 = as_array(in1, "in1")
    in2 = as_array(in2, "in2")
    if in1.ndim == in2.ndim == 0:
        return in1 * in2
    check_same_ndim(in1, in2)
    if in1.size == 0 or in2.size == 0:
        return np.array([])
    first = in1
    in1, in2, ax = _freq_axes(in1, in2, mode, axes)
    swapped = in1 is not first
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
    if key is not None and method == "fft" and params:
        # small shapes run on a cached job, this call and the next ones alike (the
        # same bits every time); non-finite inputs go on below
        out = _fastnd().first_call(key, in1, in2, ax, params["fshape"], windows, work,
                                   workers, swap=swapped)
        if out is not None:
            return out
    # NaN/inf stay local, as in the direct sum (see fftconv._nonfinite)
    f1, bad1 = _nonfinite.split(in1)
    f2, bad2 = _nonfinite.split(in2)
    # the plain sum over every axis is this product where each batch axis broadcasts
    broadcast = all(min(in1.shape[a], in2.shape[a]) == 1 for a in range(in1.ndim) if a not in ax)
    out = _nonfinite.overflow_safe(
        lambda a1, a2: _run(method, a1, a2, ax, windows, work=work, workers=workers,
                            params=params), f1, f2,
        exact=(lambda a1, a2: _direct_mod().faithful_window(a1, a2, windows).astype(
            work, copy=False)) if broadcast else None)
    if bad1 is not None or bad2 is not None:
        _nonfinite.add_nonfinite(out, windows, in1, in2, bad1, bad2, conv_axes=ax)
    return out
