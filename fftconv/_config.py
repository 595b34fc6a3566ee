"""Scoped configuration: worker threads and FFTW planner effort.

Both settings live in :mod:`contextvars` so that a ``with`` block in one
thread (or asyncio task) never leaks into another, and both context managers
restore the previous value in ``finally``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import Iterator

from ._validate import check_planner, check_workers

__all__ = ["get_workers", "set_workers", "get_planner", "set_planner", "resolve_workers",
           "clear_cache"]

#: Environment variable giving the default number of worker threads.
WORKERS_ENV = "FFTCONV_WORKERS"


def _default_workers() -> int:
    raw = os.environ.get(WORKERS_ENV)
    if raw is None or raw.strip() == "":
        return 1
    try:
        value = int(raw)
        return resolve_workers(value)
    except (TypeError, ValueError):
        import warnings

        warnings.warn(
            f"ignoring {WORKERS_ENV}={raw!r}: expected a non-zero integer", stacklevel=2
        )
        return 1


_workers: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "fftconv_workers", default=None
)
_planner: contextvars.ContextVar[str] = contextvars.ContextVar(
    "fftconv_planner", default="estimate"
)


@functools.cache
def _cpu_count() -> int:
    """``os.cpu_count()``, read once (it costs microseconds per call on some VMs)."""
    return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """Turn a user ``workers`` value into a positive thread count.

    ``None`` means the current default (see :func:`set_workers`); negative
    values count back from the number of CPUs, as in :mod:`scipy.fft`
    (``-1`` is all cores).
    """
    if workers is None:
        current = _workers.get()
        return current if current is not None else _default_workers()
    workers = check_workers(workers)
    if workers < 0:
        ncpu = _cpu_count()
        resolved = ncpu + 1 + workers
        if resolved <= 0:
            raise ValueError(
                f"workers={workers!r} asks for {-workers - 1} fewer threads than the "
                f"{ncpu} CPUs available; use a value in [-{ncpu}, -1] or a positive count"
            )
        return resolved
    return workers


def get_workers() -> int:
    """Return the number of worker threads used when ``workers=None``.

    Examples
    --------
    >>> import fftconv
    >>> with fftconv.set_workers(2):
    ...     fftconv.get_workers()
    2
    """
    return resolve_workers(None)


@contextlib.contextmanager
def set_workers(workers: int) -> Iterator[None]:
    """Context manager setting the default number of threads (``workers``).

    Parameters
    ----------
    workers : int
        Positive thread count, or negative to count back from the number of
        CPUs (``-1`` means all cores). The default outside any ``with`` block
        is 1 (or the ``FFTCONV_WORKERS`` environment variable).

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> x = np.ones(8)
    >>> with fftconv.set_workers(-1):
    ...     y = fftconv.convolve(x, x, method="fft")
    >>> fftconv.get_workers()
    1
    """
    token = _workers.set(resolve_workers(workers))
    try:
        yield
    finally:
        _workers.reset(token)


def get_planner() -> str:
    """Return the current FFTW planner effort (``'estimate'`` by default)."""
    return _planner.get()


@contextlib.contextmanager
def set_planner(planner: str) -> Iterator[None]:
    """Context manager setting the FFTW planner effort.

    Parameters
    ----------
    planner : {'estimate', 'measure', 'patient', 'exhaustive'}
        How hard FFTW searches for a fast plan. ``'estimate'`` (the default)
        plans in microseconds; ``'measure'`` can take seconds for large sizes
        but may run faster, and its result is kept in the wisdom
        (:mod:`fftconv.wisdom`).

    Examples
    --------
    >>> import fftconv
    >>> with fftconv.set_planner("measure"):
    ...     fftconv.get_planner()
    'measure'
    """
    token = _planner.set(check_planner(planner))
    try:
        yield
    finally:
        _planner.reset(token)


def clear_cache() -> None:
    """Free the FFTW plans and work buffers fftconv keeps for shapes it has seen.

    Repeated calls with the same shapes reuse plans and buffers (bounded:
    up to 512 MiB of idle plans and 512 MiB of idle 1-D / image jobs, least
    recently used dropped first). Call this to give that memory back, for
    example after a batch of large convolutions. Wisdom
    (:mod:`fftconv.wisdom`) and calibration are kept.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> y = fftconv.convolve(np.ones(50_000), np.ones(500))
    >>> fftconv.clear_cache()
    """
    import sys

    plans = sys.modules.get("fftconv._plans")
    if plans is not None:
        plans.clear_cache()
    jobs = sys.modules.get("fftconv._fast1d")
    if jobs is not None:
        jobs.forget()
