"""Planning and explaining: what ``method='auto'`` picks, and why.

:func:`choose_conv_method` (scipy's signature) names the engine
:func:`fftconv.convolve` would run on given inputs; :func:`plan` explains the
choice for given shapes without any data, as a :class:`~fftconv.ConvPlan`.
Both ask :mod:`fftconv._dispatch` exactly as the convolution functions of
:mod:`fftconv._signal` do, so the answer is the engine that runs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import _strategy
from ._config import resolve_workers
from ._dispatch import (
    _choose,
    _freq_axes,
    _swap_needed,
    _transform_axes,
    _windows,
    _work_dtype,
)
from ._validate import (
    as_array,
    check_axes,
    check_dtype,
    check_mode,
    check_same_ndim,
    check_shape_size,
)

__all__ = ["choose_conv_method", "plan"]


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
    >>> fftconv.choose_conv_method(np.ones(1_000_000), np.ones(301))
    'oa'
    >>> fftconv.choose_conv_method(np.ones(100_000), np.ones(100_000))
    'fft'
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
    fax = _transform_axes(in1.shape, in2.shape, axes, windows)
    return _choose(in1, in2, fax, windows, np.result_type(in1, in2), resolve_workers(None)).method


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
    dt = check_dtype(dtype)
    check_shape_size(s1, dt.itemsize, "in1_shape")
    check_shape_size(s2, dt.itemsize, "in2_shape")
    check_shape_size([a + b - 1 for a, b in zip(s1, s2)], dt.itemsize)
    workers = resolve_workers(workers)
    a1 = np.lib.stride_tricks.as_strided(np.zeros(1, dt), s1, (0,) * len(s1))
    a2 = np.lib.stride_tricks.as_strided(np.ones(1, dt), s2, (0,) * len(s2))
    if axes is None:  # what convolve(method='auto') runs
        ax = list(range(len(s1)))
        if _swap_needed(mode, s1, s2, ax):
            a1, a2 = a2, a1
        windows = _windows(mode, a1.shape, a2.shape, ax, len(s1))
        p = _choose(a1, a2, _transform_axes(a1.shape, a2.shape, ax, windows), windows, dt,
                    workers)
    else:  # what fftconvolve(axes=...) runs: its shape checks, then an FFT engine
        given = check_axes(axes, len(s1))
        a1, a2, ax = _freq_axes(a1, a2, mode, given)
        if not ax:  # a plain (broadcast) product: priced as the FFT over the given axes
            ax = given
        windows = _windows(mode, a1.shape, a2.shape, ax, len(s1))
        p = _strategy.choose(a1.shape, a2.shape, ax, windows, dtype=_work_dtype(dt),
                             direct_ok=False, threads=workers)
    return dataclasses.replace(p, params=dict(p.params), predicted=dict(p.predicted), mode=mode)
