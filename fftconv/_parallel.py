"""Splitting one engine's work over threads (``workers > 1``).

FFTW's own threads split *one* transform, which pays only for transforms of
about a million points and more (:data:`THREADS_MIN_SIZE`).
The block and direct engines instead cut their *output* into contiguous
chunks, one per thread, each computed exactly as a single-threaded call
computes it: overlap-save runs the same blocks through its own one-thread
plans, the compiled direct loop starts each chunk on one of its own tile
boundaries. So the result is bitwise the same whatever ``workers`` is.

The threads are started for the call and joined before it returns: nothing
runs in the background between calls. FFTW plans, NumPy's ufuncs on large
arrays and the compiled loop release the GIL, so the chunks run in parallel.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

#: Transforms smaller than this (elements) always run on one thread: on the
#: 2-core development VM, 2 FFTW threads were 10x slower for overlap-save blocks
#: of a few thousand points and 5x slower for a 131072-point transform.
THREADS_MIN_SIZE = 2**20

#: Cost constants of the parallel split, measured on the 2-core development VM
#: (AMD EPYC, 2026-12-05): starting and joining one thread (``thread_ns``,
#: median of 200), and the throughput of two threads running independent
#: FFTW plans or the compiled loop, as a multiple of one (``speedup_2``:
#: 1.5-1.9 over runs; this VM's two cores do not always run at once). Each
#: thread beyond the second is assumed to add the same fraction of a core.
PARALLEL = {"thread_ns": 75_000.0, "speedup_2": 1.6}

#: Work (seconds, predicted on one thread) below which a call stays on one
#: thread: starting threads would cost more than a tenth of the work.
MIN_PARALLEL_SECONDS = 2e-3


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def useful_threads(threads: int, seconds: float) -> int:
    """How many threads to split ``seconds`` of single-thread work over (at least 1)."""
    if threads <= 1 or seconds < MIN_PARALLEL_SECONDS:
        return 1
    return max(1, min(threads, cores()))


def split_time(seconds: float, threads: int) -> float:
    """Predicted time of ``seconds`` of single-thread work split over ``threads``."""
    t = useful_threads(threads, seconds)
    if t == 1:
        return seconds
    speedup = 1 + (t - 1) * (PARALLEL["speedup_2"] - 1)
    return seconds / speedup + (t - 1) * PARALLEL["thread_ns"] * 1e-9


def chunks(total: int, parts: int, *, align: int = 1, first: int = 0) -> list[tuple[int, int]]:
    """``[0, total)`` cut into at most ``parts`` contiguous ranges of near-equal length.

    Inner boundaries fall on ``first + align * j`` (and inside ``(0, total)``);
    empty ranges are dropped.

    Examples
    --------
    >>> chunks(10, 3)
    [(0, 3), (3, 7), (7, 10)]
    >>> chunks(100, 2, align=32, first=5)
    [(0, 37), (37, 100)]
    """
    cuts = [0]
    for j in range(1, parts):
        c = round(total * j / parts)
        if align > 1:
            c = first + round((c - first) / align) * align
        if cuts[-1] < c < total:
            cuts.append(c)
    cuts.append(total)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def run(tasks: Sequence[Callable[[], object]]) -> None:
    """Run ``tasks`` at once, one per thread (the last on the calling thread; none: no-op).

    Every task is waited for; the first exception raised by any of them is
    raised again here.
    """
    if len(tasks) <= 1:
        for task in tasks:
            task()
        return
    errors: list[BaseException] = []

    def guarded(task):
        try:
            task()
        except BaseException as exc:  # re-raised in the caller below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,), daemon=True) for t in tasks[:-1]]
    for th in threads:
        th.start()
    try:
        guarded(tasks[-1])
    finally:
        for th in threads:
            th.join()
    if errors:
        raise errors[0]
