"""Reusable plans: fftconv.Convolver against one-shot calls, wisdom, and worker threads.

Three measurements, each side by side in one run (ratios only from the same run):

1. Filtering many 1e6-sample signals with one 1e4-tap kernel: per-call time of
   scipy.signal.oaconvolve, one-shot fftconv.convolve and a Convolver (calls
   interleaved signal by signal; medians, and the median of per-signal ratios).
2. Time to first result with planner='measure': a first process (empty cache:
   measures and saves wisdom) and a second process (loads the wisdom).
3. workers=2 vs workers=1 on a 4e6 x 4e6 full FFT convolution.

Usage: python benchmarks/bench_convolver.py [--signals 100] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import scipy.signal

import fftconv
from fftconv import Convolver  # imports pyfftw now, so planning times exclude it


def _table(rows: list[tuple], head: tuple) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    return "\n".join([*lines, *(fmt.format(*map(str, r)) for r in rows)])


def bench_many_signals(n_signals: int, n: int, k: int) -> None:
    rng = np.random.default_rng(0)
    h = rng.standard_normal(k)
    pool = [rng.standard_normal(n) for _ in range(4)]  # signals cycle through 4 arrays
    t0 = time.perf_counter()
    cv = Convolver(h, n)
    t_plan = time.perf_counter() - t0
    out = np.empty(cv.out_shape)
    cases = {
        "scipy.signal.oaconvolve": lambda x: scipy.signal.oaconvolve(x, h),
        "fftconv.convolve (one-shot)": lambda x: fftconv.convolve(x, h),
        "Convolver.conv(x)": lambda x: cv.conv(x),
        "Convolver.conv(x, out=out)": lambda x: cv.conv(x, out=out),
    }
    ref = scipy.signal.oaconvolve(pool[0], h)
    for name, f in cases.items():  # warm up, and check every case agrees
        assert np.allclose(f(pool[0]), ref, atol=1e-8), name
    times = {name: [] for name in cases}
    names = list(cases)
    for i in range(n_signals):
        x = pool[i % len(pool)]
        for name in names[i % len(names):] + names[:i % len(names)]:  # rotate the order
            t = time.perf_counter()
            cases[name](x)
            times[name].append(time.perf_counter() - t)
    base = np.array(times["Convolver.conv(x)"])
    rows = []
    for name in names:
        t = np.array(times[name])
        rows.append((name, f"{np.median(t) * 1e3:.2f}", f"{np.median(t / base):.2f}"))
    print(f"\n1) {n_signals} signals of {n:g} samples, one {k:g}-tap kernel "
          f"({cv.method!r}, block {getattr(cv, '_block', '-')}, planned in "
          f"{t_plan * 1e3:.1f} ms)")
    print(_table(rows, ("per call", "median ms", "x Convolver")))


_CHILD = textwrap.dedent("""
    import json, time, numpy as np
    import fftconv
    from fftconv import Convolver  # imports pyfftw: not part of planning
    rng = np.random.default_rng(0)
    h, x = rng.standard_normal({k}), rng.standard_normal({n})
    t1 = time.perf_counter()
    cv = Convolver(h, {n}, planner={planner!r})
    t2 = time.perf_counter()
    y = cv.conv(x)
    t3 = time.perf_counter()
    calls = []
    for _ in range(5):
        t = time.perf_counter(); cv.conv(x); calls.append(time.perf_counter() - t)
    print(json.dumps({{"plan": t2 - t1, "first": t3 - t1, "call": sorted(calls)[2]}}))
""")


def bench_wisdom(n: int, k: int) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FFTCONV_CACHE_DIR=cache, FFTCONV_PERSIST="1")
        for label, planner in [("estimate (no wisdom needed)", "estimate"),
                               ("measure, 1st process (empty cache)", "measure"),
                               ("measure, 2nd process (wisdom saved)", "measure")]:
            code = _CHILD.format(n=n, k=k, planner=planner)
            res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                 text=True, check=True)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            rows.append((label, f"{r['plan'] * 1e3:.0f}", f"{r['first'] * 1e3:.0f}",
                         f"{r['call'] * 1e3:.2f}"))
    print(f"\n2) time to first result, {n:g} x {k:g}, separate processes")
    print(_table(rows, ("planner", "plan ms", "first result ms", "later call ms")))


def bench_workers(n: int, repeat: int) -> None:
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(n), rng.standard_normal(n)
    cases = {}
    for w in (1, 2):
        cases[f"fftconv.fftconvolve(workers={w})"] = (
            lambda w=w: fftconv.fftconvolve(x, h, workers=w))
        cv = Convolver(h, n, method="fft", workers=w)
        out = np.empty(cv.out_shape)
        cases[f"Convolver(workers={w}).conv"] = lambda cv=cv, out=out: cv.conv(x, out=out)
    for f in cases.values():
        f()
    times = {name: [] for name in cases}
    for _ in range(repeat):
        for name, f in cases.items():
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    med = {name: float(np.median(t)) for name, t in times.items()}
    print(f"\n3) full FFT convolution {n:g} x {n:g}, {os.cpu_count()} CPUs, median of {repeat}")
    rows = []
    for kind in ("fftconv.fftconvolve(workers={})", "Convolver(workers={}).conv"):
        t1, t2 = med[kind.format(1)], med[kind.format(2)]
        rows.append((kind.format("1 vs 2"), f"{t1 * 1e3:.0f}", f"{t2 * 1e3:.0f}",
                     f"{t1 / t2:.2f}"))
    print(_table(rows, ("", "workers=1 ms", "workers=2 ms", "speed-up")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=100, help="signals filtered (default 100)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: 1,2,3")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    n, k, big = (10**6, 10**4, 4 * 10**6) if not args.quick else (10**5, 10**3, 10**5)
    print(f"fftconv {fftconv.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, {os.cpu_count()} CPUs")
    if "1" not in skip:
        bench_many_signals(args.signals if not args.quick else 8, n, k)
    if "2" not in skip:
        bench_wisdom(n, k)
    if "3" not in skip:
        bench_workers(big, 5 if not args.quick else 2)


if __name__ == "__main__":
    main()
