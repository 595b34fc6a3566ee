"""Shared helpers for the benchmark scripts: timing and table printing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def time_call(fn: Callable[[], object], *, repeat: int = 5, budget: float = 2.0) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs (after one warm-up).

    Stops early once ``budget`` seconds have been spent (at least 2 runs).
    """
    fn()
    times: list[float] = []
    spent = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
        if spent > budget and len(times) >= 2:
            break
    return statistics.median(times)


def compare(fns: dict[str, Callable[[], object]], *, repeat: int = 5,
            budget: float = 6.0) -> dict[str, float]:
    """Median seconds of each function, measured in interleaved rounds.

    Running the candidates round-robin (A B C A B C ...) rather than one after
    the other keeps slow drifts of a shared machine (and allocator state) from
    favouring whichever ran first.
    """
    import random

    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    spent = 0.0
    order = list(fns.items())
    shuffle = random.Random(0).shuffle
    for _ in range(repeat):
        shuffle(order)  # no position in the round (allocator state) favours anyone
        for name, fn in order:
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            times[name].append(dt)
            spent += dt
        if spent > budget and len(times[name]) >= 2:
            break
    return {k: statistics.median(v) for k, v in times.items()}


def geomean(values) -> float:
    import math

    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def table(rows: list[list[object]], header: list[str]) -> str:
    """Format rows as a reStructuredText-compatible simple table."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule, "  ".join(c.rjust(w) for c, w in zip(cells[0], widths)), rule]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells[1:]]
    lines.append(rule)
    return "\n".join(lines)
