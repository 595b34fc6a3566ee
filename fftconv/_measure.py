"""``measure=True``: time the engines on the actual inputs and remember the winner."""

from __future__ import annotations

import threading
import time

import numpy as np

_lock = threading.Lock()
#: winner per shape signature: (shape1, shape2, dtype, mode) -> method
_winners: dict[tuple, str] = {}


def _time(fn, budget: float = 0.05, repeat: int = 3) -> float:
    fn()  # plans, caches
    best = float("inf")
    total = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        total += dt
        if total > budget:
            break
    return best


def measure_methods(in1: np.ndarray, in2: np.ndarray, mode: str):
    """Time every applicable engine; return ``(fastest, {engine: seconds})``."""
    from ._dispatch import _choose, _windows
    from ._signal import convolve

    axes = list(range(in1.ndim))
    windows = _windows(mode, in1.shape, in2.shape, axes, in1.ndim)
    p = _choose(in1, in2, axes, windows, np.result_type(in1, in2), 1)
    times = {}
    for m in p.predicted:
        times[m] = _time(lambda m=m: convolve(in1, in2, mode=mode, method=m))
    best = min(times, key=times.get)
    with _lock:
        _winners[signature(in1.shape, in2.shape, np.result_type(in1, in2), mode)] = best
    return best, times


def signature(shape1, shape2, dtype, mode) -> tuple:
    return (tuple(shape1), tuple(shape2), np.dtype(dtype).str, mode)


def remembered(shape1, shape2, dtype, mode) -> str | None:
    """The measured winner for this shape signature, if any."""
    if not _winners:  # the common case, without the lock
        return None
    with _lock:
        return _winners.get(signature(shape1, shape2, dtype, mode))


def forget() -> None:
    """Drop every remembered winner."""
    with _lock:
        _winners.clear()
