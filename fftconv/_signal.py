"""Public convolution functions, drop-in compatible with :mod:`scipy.signal`.

Each function validates its arguments (:mod:`fftconv._validate`) and hands the
problem to :mod:`fftconv._dispatch`, which picks and runs an engine from
:data:`fftconv._strategy.METHODS`. What ``method='auto'`` picks, and why, is
answered by :mod:`fftconv._planning` (``choose_conv_method``, ``plan``).
"""

from __future__ import annotations

import numpy as np

from . import _measure, _strategy
from ._directloop import np_convolve
from ._dispatch import (
    _conv_all_axes,
    _fft_family,
    _is_dask,
    _swap_needed,
)
from ._lean import _fast_1d, _fast_fft_1d, _nd_key, _seen_2d, _seen_nd
from ._validate import (
    as_array,
    check_boundary,
    check_fillvalue,
    check_mode,
)

__all__ = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "convolve2d",
    "correlate2d",
    "correlation_lags",
]

_FFT_ENGINES = ("fft", "oa")


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
        Threads (keyword-only). Default: 1, or the value set with
        :func:`set_workers`; ``-1`` means all cores. The overlap-save and
        compiled direct engines split their output over the threads (an
        engine gives the same result, bit for bit, as on one thread; with
        ``method='auto'`` the threads may make another engine the fastest);
        one large FFT uses FFTW's threads from 2**20 points on. Calls with
        less than about 2 ms of work stay on one thread.

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
    if type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == 1 == in2.ndim:
        if (workers is None and method == "auto" and not _measure._winners
                and (in1.shape[0], in2.shape[0], mode, in1.dtype.char, in2.dtype.char)
                in _strategy.DIRECT_1D):
            return np_convolve(in1, in2, mode)  # a small shape seen before: no set-up
        out = _fast_1d(in1, in2, mode, method, workers)
        if out is not None:
            return out
    else:
        out = _seen_2d(in1, in2, mode, method, workers)
        if out is None and method == "auto":
            out = _seen_nd(_nd_key("convolve", in1, in2, mode, None, workers), in1, in2)
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
    if type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == 1 == in2.ndim \
            and in2.dtype.kind in "fciu":
        rev = in2[::-1].conj() if in2.dtype.kind == "c" else in2[::-1]
        if (workers is None and method == "auto" and not _measure._winners
                and (in1.shape[0], rev.shape[0], mode, in1.dtype.char, rev.dtype.char)
                in _strategy.DIRECT_1D):
            return np_convolve(in1, rev, mode)
        out = _fast_1d(in1, rev, mode, method, workers)
        if out is not None:
            return out
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
    out = _fast_fft_1d(in1, in2, mode, axes, "fftoa", workers)
    if out is not None:
        return out
    key = _nd_key("fftconvolve", in1, in2, mode, axes, workers)
    out = _seen_nd(key, in1, in2)
    if out is not None:
        return out
    if _is_dask(in1) or _is_dask(in2):
        from . import dask as _dask

        return _dask.fftconvolve(in1, in2, mode=mode, axes=axes, workers=workers)
    return _fft_family(in1, in2, mode, axes, workers, engines=_FFT_ENGINES, key=key)


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
    out = _fast_fft_1d(in1, in2, mode, axes, "fftoa", workers)
    if out is not None:
        return out
    key = _nd_key("oaconvolve", in1, in2, mode, axes, workers)
    out = _seen_nd(key, in1, in2)
    if out is not None:
        return out
    if _is_dask(in1) or _is_dask(in2):
        from . import dask as _dask

        return _dask.fftconvolve(in1, in2, mode=mode, axes=axes, workers=workers)
    return _fft_family(in1, in2, mode, axes, workers, engines=("oa", "fft"), key=key)


def _conv2d(in1, in2, mode, boundary, fillvalue, method, workers, *, correlate, name):
    if not correlate and boundary == "fill" and type(fillvalue) is int and fillvalue == 0:
        out = _seen_2d(in1, in2, mode, method, workers)  # zero fill: convolve's result
        if out is not None:
            return out
    mode = check_mode(mode)
    boundary = check_boundary(boundary)
    in1 = as_array(in1, "in1")
    in2 = as_array(in2, "in2")
    if not in1.ndim == in2.ndim == 2:
        raise ValueError(f"{name} inputs must both be 2-D arrays "
                         f"(got in1.ndim={in1.ndim}, in2.ndim={in2.ndim})")
    dt = np.result_type(in1, in2)
    # scipy reads (and checks) fillvalue only for boundary='fill'
    fill = check_fillvalue(fillvalue, dt) if boundary == "fill" else 0
    fn = correlate_fn if correlate else convolve
    # 'valid' ignores the boundary; convolve/correlate handle the swap (correlate2d
    # then agrees with correlate, including for complex inputs). Empty inputs have
    # no boundary to extend: an empty result or convolve's error.
    if _swap_needed(mode, in1.shape, in2.shape, (0, 1)) or in1.size == 0 or in2.size == 0:
        return fn(in1, in2, mode=mode, method=method, workers=workers)
    if mode != "valid" and (boundary != "fill" or fill != 0):
        k0, k1 = in2.shape
        pads = ((k0 - 1, k0 - 1), (k1 - 1, k1 - 1))
        if boundary == "fill":
            padded = np.pad(in1.astype(dt, copy=False), pads, mode="constant",
                            constant_values=fill)
        else:
            padded = np.pad(in1, pads, mode="wrap" if boundary == "wrap" else "symmetric")
        full = fn(padded, in2, mode="valid", method=method, workers=workers)
        if mode == "full":
            return full
        return full[_same2d(in1.shape, in2.shape, correlate=correlate)].copy()
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
        Inputs that are not 2-D; bad `mode` or `boundary`; with
        ``boundary='fill'``, a non-scalar `fillvalue`, a complex one for real
        inputs, a Python number outside an integer output's range, or an
        array that does not cast safely to the output dtype (numpy scalars
        are cast, wrapping, as scipy casts them).

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
