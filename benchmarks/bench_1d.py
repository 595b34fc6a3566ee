"""1-D convolution: fftconv against scipy.signal and numpy, side by side in one run.

For each signal length N and kernel length M (M <= N) the script times, on the
same float64 data and in the same process:

* ``fftconv.convolve`` (method='auto')   vs ``scipy.signal.convolve`` (method='auto')
* ``fftconv.fftconvolve``                vs ``scipy.signal.fftconvolve``
* ``fftconv.oaconvolve``                 vs ``scipy.signal.oaconvolve``
* ``numpy.convolve`` (direct; skipped where N*M is too large to wait for)

and prints medians (milliseconds) and ratios ``scipy / fftconv`` (> 1: fftconv
is faster). Only ratios from the same run are meaningful: the machines are
noisy, absolute times are not comparable between runs.

Usage::

    python benchmarks/bench_1d.py            # full grid (a few minutes on 2 cores)
    python benchmarks/bench_1d.py --quick    # small grid (seconds)
    python benchmarks/bench_1d.py --repeat 9 --workers 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import scipy.signal

import fftconv

FULL_N = [1_000, 10_000, 100_000, 1_000_000, 4_000_000]
FULL_M = [3, 30, 300, 3_000, 30_000]
QUICK_N = [1_000, 10_000, 100_000]
QUICK_M = [3, 300]
#: numpy.convolve is skipped above this many multiply-adds (it would take seconds).
NUMPY_MAX_MACS = 3e8


def time_call(fn: Callable[[], object], repeat: int = 5, *, min_time: float = 2e-3) -> float:
    """Median seconds per call of ``fn()`` over ``repeat`` samples.

    ``fn`` is called once first (warm-up: plan creation, caches). Each sample
    runs ``fn`` enough times in a row to last at least ``min_time`` seconds,
    so sub-millisecond calls are not dominated by timer resolution.
    """
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    loops = max(1, int(min_time / first)) if first > 0 else 1000
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - t0) / loops)
    return statistics.median(samples)


def pairs(quick: bool) -> list[tuple[int, int]]:
    ns, ms = (QUICK_N, QUICK_M) if quick else (FULL_N, FULL_M)
    return [(n, m) for n in ns for m in ms if m <= n]


def bench_pair(n: int, m: int, *, repeat: int, workers: int, rng) -> dict[str, float]:
    """Median seconds of every contender for one (N, M)."""
    x, h = rng.standard_normal(n), rng.standard_normal(m)
    kw = {"workers": workers}
    contenders: dict[str, Callable[[], object]] = {
        "fc.convolve": lambda: fftconv.convolve(x, h, **kw),
        "sp.convolve": lambda: scipy.signal.convolve(x, h),
        "fc.fftconv": lambda: fftconv.fftconvolve(x, h, **kw),
        "sp.fftconv": lambda: scipy.signal.fftconvolve(x, h),
        "fc.oaconv": lambda: fftconv.oaconvolve(x, h, **kw),
        "sp.oaconv": lambda: scipy.signal.oaconvolve(x, h),
    }
    if n * m <= NUMPY_MAX_MACS:
        contenders["np.convolve"] = lambda: np.convolve(x, h)
    # long calls need fewer samples to give a stable median
    reps = repeat if n * max(np.log2(m), 1) < 5e7 else max(3, repeat // 2)
    return {name: time_call(fn, reps) for name, fn in contenders.items()}


def _ms(t: float | None) -> str:
    return "-" if t is None else f"{t * 1e3:10.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:6.2f}x"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small grid, a few seconds")
    ap.add_argument("--repeat", type=int, default=7, help="samples per median (default 7)")
    ap.add_argument("--workers", type=int, default=1, help="FFTW threads for fftconv")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    print(
        f"fftconv {fftconv.__version__}, scipy {scipy.__version__}, numpy {np.__version__}; "
        f"workers={args.workers}; medians of {args.repeat}; times in ms; "
        "ratio = scipy / fftconv (> 1: fftconv faster)"
    )
    head = (
        f"{'N':>9} {'M':>6} {'method':>7} | {'fc.conv':>10} {'sp.conv':>10} {'ratio':>7} | "
        f"{'fc.fft':>10} {'sp.fft':>10} {'ratio':>7} | {'fc.oa':>10} {'sp.oa':>10} "
        f"{'ratio':>7} | {'np.conv':>10} {'np/fc':>7}"
    )
    print(head)
    print("-" * len(head))
    for n, m in pairs(args.quick):
        t = bench_pair(n, m, repeat=args.repeat, workers=args.workers, rng=rng)
        method = fftconv.choose_conv_method(np.empty(n), np.empty(m))
        npt = t.get("np.convolve")
        print(
            f"{n:>9} {m:>6} {method:>7} | {_ms(t['fc.convolve'])} {_ms(t['sp.convolve'])} "
            f"{_ratio(t['sp.convolve'], t['fc.convolve']):>7} | {_ms(t['fc.fftconv'])} "
            f"{_ms(t['sp.fftconv'])} {_ratio(t['sp.fftconv'], t['fc.fftconv']):>7} | "
            f"{_ms(t['fc.oaconv'])} {_ms(t['sp.oaconv'])} "
            f"{_ratio(t['sp.oaconv'], t['fc.oaconv']):>7} | {_ms(npt):>10} "
            f"{_ratio(npt, t['fc.convolve']):>7}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
