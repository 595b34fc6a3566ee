"""Partition planning for :class:`fftconv.stream.StreamConvolver`.

Which partition sizes an impulse response is cut into (uniform, or growing
by 2 or 4 for long responses at low latency), checked user-given sizes, a
cost model that ranks candidate partitions, and the memory check done before
any buffer is allocated.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

#: Accepted names for ``partition`` (a sequence of sizes is accepted too).
PARTITIONS = ("auto", "uniform", "nonuniform")

#: Cost constants of the partition planner, in nanoseconds. Measured with
#: ``benchmarks/bench_stream.py --calibrate`` on the 2-core development VM
#: (pyfftw 0.15 / FFTW 3.3, numpy 2.4, float64, one thread), 2026: ``fft`` per
#: ``N log2 N`` of one real FFT of length N, ``mac`` per complex
#: multiply-accumulate in the delay line, ``stage`` the fixed Python cost of
#: one stage block (copies, two plan executions, a dozen ufunc calls). They
#: rank partitions, they do not predict times: about +-30 %.
COST_NS = {"fft": 0.13, "mac": 2.0, "stage": 15_000.0}


def _groups_for(sizes: Sequence[int]) -> list[tuple[int, int, int]]:
    """(size, offset, count) for runs of equal partition sizes."""
    groups: list[tuple[int, int, int]] = []
    off = 0
    for s in sizes:
        if groups and groups[-1][0] == s:
            p, o, c = groups[-1]
            groups[-1] = (p, o, c + 1)
        else:
            groups.append((s, off, 1))
        off += s
    return groups


def _geometric(m: int, b: int, grow: int, reps: int, pmax: int) -> list[tuple[int, int, int]]:
    """Partitions growing by ``grow`` after at least ``reps`` of each size, up to ``pmax``."""
    groups, off, p = [], 0, b
    while off < m:
        left = -(-(m - off) // p)
        nxt = p * grow
        if nxt > pmax:
            count = left
        else:
            count = reps
            while (off + count * p) % nxt or off + count * p < nxt:
                count += 1
            count = min(count, left)
        groups.append((p, off, count))
        off += count * p
        p = nxt
    return groups


def partition_cost(groups: Sequence[tuple[int, int, int]], *, cin: int = 1, cout: int = 1,
                   macs: int | None = None) -> float:
    """Predicted nanoseconds per sample of a partition, from :data:`COST_NS`.

    Parameters
    ----------
    groups : sequence of (size, offset, count)
        The stages: partition size, offset of the first partition in the
        impulse response, and how many partitions of that size follow.
    cin, cout : int
        Input and output channels.
    macs : int, optional
        Complex multiply-adds per bin and partition (default ``max(cin, cout)``;
        ``cin * cout`` for a mixing matrix).

    Examples
    --------
    >>> from fftconv.stream import partition_cost
    >>> uniform = [(256, 0, 375)]
    >>> grown = [(256, 0, 4), (1024, 1024, 3), (4096, 4096, 3), (16384, 16384, 5)]
    >>> partition_cost(grown) < partition_cost(uniform)
    True
    """
    macs = max(cin, cout) if macs is None else macs
    total = 0.0
    for p, _, count in groups:
        n = 2 * p
        fft = COST_NS["fft"] * n * math.log2(n) * (cin + cout)
        total += (COST_NS["stage"] + fft + COST_NS["mac"] * count * (p + 1) * macs) / p
    return total


def _check_sizes(sizes: object, b: int, m: int) -> list[tuple[int, int, int]]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"partition must be one of {', '.join(map(repr, PARTITIONS))} or a "
                        f"sequence of partition sizes, got partition={sizes!r}")
    if not sizes:
        raise ValueError(f"partition must be one of {', '.join(map(repr, PARTITIONS))} or a "
                         f"non-empty sequence of partition sizes, got partition={sizes!r}")
    out = []
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, (numbers.Integral, np.integer)):
            raise TypeError(f"partition sizes must be integers, got partition[{i}]={s!r}")
        s = int(s)
        ratio = s // b
        if s % b or ratio < 1 or ratio & (ratio - 1):
            raise ValueError(f"partition sizes must be block_size={b} times a power of two, "
                             f"got partition[{i}]={s!r}")
        if out and s < out[-1]:
            raise ValueError(f"partition sizes must not decrease, got partition={sizes!r}")
        out.append(s)
    if out[0] != b:
        raise ValueError(f"the first partition must have block_size={b} samples, got "
                         f"partition[0]={out[0]!r}")
    while sum(out) < m:  # the last size repeats until the impulse response is covered
        out.append(out[-1])
    off, kept = 0, []
    for i, s in enumerate(out):
        if off >= m:
            break
        if s > b and (off % s or off < s):
            raise ValueError(f"a partition of {s} samples must start at a multiple of {s} "
                             f"samples, not before sample {s}; partition[{i}] starts at {off}")
        kept.append(s)
        off += s
    return _groups_for(kept)


def _plan_partition(partition: object, m: int, b: int, cin: int, cout: int,
                    macs: int) -> list[tuple[int, int, int]]:
    uniform = [(b, 0, -(-m // b))]
    if isinstance(partition, str) and partition in PARTITIONS:
        if partition == "uniform":
            return uniform
        best, best_cost = uniform, math.inf
        if partition == "auto":
            best_cost = partition_cost(uniform, cin=cin, cout=cout, macs=macs)
        pmaxes = [b * 2**k for k in range(1, 20) if b * 2**k < 2 * m and b * 2**k <= 2**17]
        for grow in (2, 4):
            for reps in (1, 2, 3, 4, 6, 8, 12, 16):
                for pmax in pmaxes:
                    cand = _geometric(m, b, grow, reps, pmax)
                    c = partition_cost(cand, cin=cin, cout=cout, macs=macs)
                    if c < best_cost:
                        best, best_cost = cand, c
        return best
    if isinstance(partition, str):
        raise ValueError(f"partition must be one of {', '.join(map(repr, PARTITIONS))} or a "
                         f"sequence of partition sizes, got partition={partition!r}")
    return _check_sizes(partition, b, m)


def _check_memory(groups, b: int, cin: int, cout: int, itemsize: int) -> None:
    """MemoryError naming ``block_size`` (before allocating) when the buffers cannot fit."""
    from ._strategy import available_memory

    pmax = max(p for p, _, _ in groups)
    # delay lines and accumulators, plus per stage: two FFT plans, spectra, ring, scratch
    need = (3 * cin + 2 * cout) * pmax * itemsize
    for p, _, c in groups:
        need += (2 * (cin + cout) * 2 * p + 4 * c * cin * cout * (p + 1)) * 2 * itemsize
    avail = available_memory()
    if avail is not None and need > avail:
        raise MemoryError(f"StreamConvolver with block_size={b} and partitions up to {pmax} "
                          f"samples needs about {need / 2**20:.0f} MiB, more than the "
                          f"{avail / 2**20:.0f} MiB available")
