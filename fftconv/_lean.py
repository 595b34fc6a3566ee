"""Entry points of the lean paths: calls whose shapes were seen before skip the set-up.

:func:`fftconv.convolve` and friends try these first: small 1-D problems
(:mod:`fftconv._fast1d`, or the direct loop at once), small 2-D float and complex problems
the model gave to the compiled loop (:data:`fftconv._strategy.DIRECT_2D`) and
small N-D one-FFT problems (:mod:`fftconv._fastnd`). Each returns None where
it does not apply, and the caller takes the general path.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

from . import _measure, _strategy
from ._directloop import compiled_window_2d
from ._dispatch import _small_1d


def _seen_2d(in1, in2, mode, method, workers) -> np.ndarray | None:
    """A small 2-D float or complex convolution whose shapes the model gave to the compiled loop
    before (:data:`fftconv._strategy.DIRECT_2D`): the loop at once, else None."""
    if (type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == 2 == in2.ndim
            and workers is None and method == "auto" and not _measure._winners):
        window = _strategy.DIRECT_2D.get((in1.shape, in2.shape, mode, in1.dtype.char,
                                          in2.dtype.char))
        if window is not None:
            return compiled_window_2d(in1, in2, window)
    return None


def _nd_key(name: str, in1, in2, mode, axes, workers) -> tuple | None:
    """The key under which a small N-D one-FFT problem is remembered
    (:mod:`fftconv._fastnd`), or None where the lean path does not apply."""
    if not (type(in1) is np.ndarray and type(in2) is np.ndarray and workers is None
            and in1.ndim == in2.ndim and in1.ndim >= 2 and type(mode) is str
            and in1.dtype.kind in "biufc" and in2.dtype.kind in "biufc"):
        return None
    if axes is not None and type(axes) is not int:
        if type(axes) not in (list, tuple) or any(type(a) is not int for a in axes):
            return None
        axes = tuple(axes)
    return (name, in1.shape, in2.shape, mode, axes, in1.dtype.char, in2.dtype.char)


def _seen_nd(key, in1, in2) -> np.ndarray | None:
    """A remembered small N-D one-FFT problem on its cached job, else None."""
    if key is None:
        return None
    fast = sys.modules.get("fftconv._fastnd")  # imported once the general path ran one
    return None if fast is None else fast.run(key, in1, in2)


_lazy: dict = {}


def _fast_1d(in1: np.ndarray, in2: np.ndarray, mode, method, workers) -> np.ndarray | None:
    """The lean paths for 1-D ndarrays (cached jobs, the direct loop), or None."""
    out = None
    if method in ("auto", "fft", "oa", "fftoa"):
        fast = _lazy.get("fast1d")
        if fast is None:  # imported on first use: pyfftw is slow to import
            fast = _lazy["fast1d"] = importlib.import_module("fftconv._fast1d")
        out = fast.convolve(in1, in2, mode, method, workers)
    if out is None and method in ("auto", "direct"):
        out = _small_1d(in1, in2, mode, method, workers)
    return out


def _fast_fft_1d(in1, in2, mode, axes, method, workers) -> np.ndarray | None:
    """fftconvolve/oaconvolve of two 1-D float ndarrays on the lean path, or None.

    Inputs of one sample take the general path: scipy multiplies them
    exactly, with no transform.
    """
    if not (type(in1) is np.ndarray and type(in2) is np.ndarray
            and in1.ndim == 1 == in2.ndim and in1.shape[0] > 1 and in2.shape[0] > 1
            and (axes is None or (type(axes) is int and axes in (0, -1)))):
        return None
    return _fast_1d(in1, in2, mode, method, workers)
