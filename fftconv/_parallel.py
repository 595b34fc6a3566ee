"""Splitting one engine's work over threads (``workers > 1``).

FFTW's own threads split *one* transform, which pays only for transforms of
about a million points and more (:data:`THREADS_MIN_SIZE`).
The block and direct engines instead cut their *output* into contiguous
chunks, one per thread, each computed exactly as a single-threaded call
computes it: overlap-save runs the same blocks through its own one-thread
plans, the compiled direct loop starts each chunk on one of its own tile
boundaries. So an engine gives the same bits whatever ``workers`` is (its
blocks, strips and tiles are chosen for one thread; ``method='auto'`` may
still pick another engine when threads change the costs).

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

#: Throughput of two threads running independent FFTW plans or the compiled
#: loop, as a multiple of one, measured on the 2-core development VM (AMD EPYC,
#: 2026-12-05): 1.5-1.9 over runs (this VM's two cores do not always run at
#: once). Each thread beyond the second is assumed to add the same fraction of
#: a core.
PARALLEL = {"speedup_2": 1.6}

#: Work (seconds, predicted on one thread) below which a call stays on one
#: thread. Starting and joining a thread takes about 75 us here (median of
#: 200), but its start varies and the split's gain is uneven, so the split
#: is priced as ``T + (seconds - T) / speedup`` with ``T`` this threshold: it
#: pays from ``T`` on, continuously (a problem predicted just above ``T`` is
#: never priced below one just under it).
MIN_PARALLEL_SECONDS = 2e-3


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parts(threads: int, seconds: float, units: int | None = None) -> int:
    """How many threads to split ``seconds`` of one-thread work over (at least 1).

    ``units``: the pieces the work comes in (batches of blocks, strips, tiles,
    rows); no more threads than pieces. The engines and the cost model both
    ask this, with the same arguments, so that :func:`fftconv.plan` says what
    runs.
    """
    if threads <= 1 or seconds <= MIN_PARALLEL_SECONDS or (units is not None and units < 2):
        return 1
    t = min(threads, cores())
    return max(1, t if units is None else min(t, units))


def split_time(seconds: float, threads: int, units: int | None = None) -> float:
    """Predicted time of ``seconds`` of one-thread work split as :func:`parts` splits it."""
    t = parts(threads, seconds, units)
    if t == 1:
        return seconds
    busiest = t if units is None else units / -(-units // t)  # pieces are not shared
    speedup = 1 + (busiest - 1) * (PARALLEL["speedup_2"] - 1)
    return MIN_PARALLEL_SECONDS + (seconds - MIN_PARALLEL_SECONDS) / speedup


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
