"""fftconv: fast, exact-when-asked convolution for scientific Python.

The public functions are drop-in replacements for their namesakes in
:mod:`scipy.signal` (same signatures, results, dtypes and errors), running on
three engines -- direct sums, one FFT on FFTW plans, and streaming
overlap-save blocks -- chosen by a measured cost model (:func:`plan`).

Submodules (imported on first use): :mod:`fftconv.distributions`,
:mod:`fftconv.theorem`, :mod:`fftconv.image`, :mod:`fftconv.plot`,
:mod:`fftconv.stream`, :mod:`fftconv.audio`, :mod:`fftconv.dask`,
:mod:`fftconv.wisdom`.
"""

from __future__ import annotations

import importlib

from ._calibration import calibrate
from ._config import clear_cache, get_planner, get_workers, set_planner, set_workers
from ._planning import choose_conv_method, plan
from ._signal import (
    convolve,
    convolve2d,
    correlate,
    correlate2d,
    correlation_lags,
    fftconvolve,
    oaconvolve,
)
from ._strategy import METHODS, ConvPlan

__version__ = "0.1.0"

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
    "ConvPlan",
    "METHODS",
    "calibrate",
    "set_workers",
    "get_workers",
    "set_planner",
    "get_planner",
    "clear_cache",
]

_SUBMODULES = {"distributions", "theorem", "image", "plot", "stream", "audio", "dask",
               "wisdom", "convolver", "cli"}
_LAZY_ATTRS = {"Convolver": "convolver", "StreamConvolver": "stream"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_ATTRS[name]}"), name)
    raise AttributeError(f"module 'fftconv' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_LAZY_ATTRS))
