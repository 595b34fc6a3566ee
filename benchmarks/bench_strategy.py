"""Strategy-layer benchmark (issue 3): fftconv ``auto`` against scipy, side by side.

Run ``python benchmarks/bench_strategy.py [--quick] [--part 1d,2d,regret,float32,memory,threads]``.
Prints reStructuredText tables (copied into ``docs/performance.rst``):

* 1-D grid, float64, mode ``full``: fftconv auto vs ``scipy.signal.convolve`` (auto),
  ``fftconvolve``, ``oaconvolve`` and ``numpy.convolve``; speed-up = scipy auto / fftconv.
* 2-D, 1024x1024 float64, mode ``same``: random and Gaussian kernels; OpenCV's
  ``filter2D`` beside it when ``opencv-python-headless`` is installed.
* regret: auto / the fastest of fftconv's own engines at their best parameters.
* float32 vs float64 at large N.
* memory: peak RSS (``/usr/bin/time -v``) for N = 5e7, M = 1e4, fftconv vs scipy's fftconvolve.
* threads: ``workers=1`` against all cores, for fftconv and for scipy (under
  ``scipy.fft.set_workers(-1)``).

All timings are medians of repeated runs, one thread (but in the threads part),
taken in the same process (ratios only: the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys

# one BLAS thread: an idle OpenBLAS pool would spin on the second core
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.ndimage  # noqa: E402
import scipy.signal  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _util import compare, geomean, table  # noqa: E402

import fftconv  # noqa: E402
from fftconv import _fast1d, _overlap, _strategy  # noqa: E402

RNG = np.random.default_rng(0)


def grid_1d(quick: bool):
    ns = [1_000, 10_000, 100_000, 1_000_000, 4_000_000]
    ms = [3, 31, 301, 3_001, 30_001]
    cases = [(n, m) for n in ns for m in ms if m <= n] + [(1_000_000, 500_000),
                                                          (200_000, 200_000)]
    if quick:
        cases = [(n, m) for n, m in cases if n * m <= 1e9 and n <= 1_000_000]
    return cases


def bench_1d(quick: bool):
    rows, speedups, results = [], [], []
    for n, m in grid_1d(quick):
        x, h = RNG.standard_normal(n), RNG.standard_normal(m)
        rep = 15  # (the budget cuts the large cases short: their rounds take ~1 s)
        fns = {"ours": lambda: fftconv.convolve(x, h),
               "ours_all": lambda: fftconv.convolve(x, h, workers=-1),
               "auto": lambda: scipy.signal.convolve(x, h),
               "fft": lambda: scipy.signal.fftconvolve(x, h),
               "oa": lambda: scipy.signal.oaconvolve(x, h)}
        if n * m <= 4e9:
            fns["np"] = lambda: np.convolve(x, h)
        t = compare(fns, repeat=rep, budget=10.0)
        t_ours, t_auto, t_fft, t_oa = t["ours"], t["auto"], t["fft"], t["oa"]
        t_np = t.get("np", math.nan)
        p = fftconv.plan(n, m)
        s = t_auto / t_ours
        speedups.append(s)
        results.append((n, m, t_ours))
        rows.append([n, m, p.method, f"{t_ours * 1e3:.3f}", f"{t_auto * 1e3:.3f}",
                     f"{t_fft * 1e3:.3f}", f"{t_oa * 1e3:.3f}",
                     "-" if math.isnan(t_np) else f"{t_np * 1e3:.3f}", f"{s:.2f}",
                     f"{t['ours_all'] * 1e3:.3f}", f"{t_auto / t['ours_all']:.2f}"])
        print(rows[-1], flush=True)
    print("\n1-D, float64, mode 'full' (ms, medians; speed-up = scipy auto / fftconv auto)")
    print(table(rows, ["N", "M", "engine", "fftconv", "scipy auto", "fftconvolve",
                       "oaconvolve", "numpy", "speed-up", "fftconv all cores",
                       "speed-up all cores"]))
    print(f"geometric-mean speed-up {geomean(speedups):.2f}x, worst {min(speedups):.2f}x "
          f"(one thread); all cores: {geomean(float(r[-1]) for r in rows):.2f}x")
    return [(n, m, s) for (n, m, _), s in zip(results, speedups)]


def plot_1d(rows, path: str) -> None:
    """Speed-up over scipy auto per (N, M), one line per kernel length."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
    for m in sorted({m for _, m, _ in rows if m <= 30_001}):
        pts = sorted((n, s) for n, mm, s in rows if mm == m and n >= m and n != m)
        if pts:
            ax.plot(*zip(*pts), "o-", label=f"M = {m}")
    ax.axhline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    ax.yaxis.set_major_formatter(FormatStrFormatter("%gx"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([0.5, 1, 2, 3, 5, 8])
    ax.set_xlabel("signal length N")
    ax.set_ylabel("speed-up over scipy.signal.convolve")
    ax.set_title("fftconv auto vs scipy auto, float64, mode 'full', 1 thread")
    ax.legend(fontsize=8, ncol=2)
    fig.savefig(path, dpi=110)
    print(f"plot written to {path}")


def gaussian_kernel(size: int) -> np.ndarray:
    sigma = size / 6
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-0.5 * (r / sigma) ** 2)
    g /= g.sum()
    return np.outer(g, g)


def bench_2d(quick: bool):
    img = RNG.standard_normal((1024, 1024))
    kernels = [(f"random {k}", RNG.standard_normal((k, k))) for k in (3, 9, 31, 101)]
    kernels += [(f"gaussian {k}", gaussian_kernel(k)) for k in (9, 31, 101)]
    try:
        import cv2
    except ImportError:
        cv2 = None
    rows, speedups = [], []
    for name, k in kernels:
        rep = 3 if quick else 5
        fns = {"ours": lambda: fftconv.convolve(img, k, mode="same"),
               "auto": lambda: scipy.signal.convolve(img, k, mode="same")}
        if cv2 is not None:
            kf = np.ascontiguousarray(k[::-1, ::-1])
            fns["cv"] = lambda: cv2.filter2D(img, -1, kf, borderType=cv2.BORDER_CONSTANT)
        t = compare(fns, repeat=rep)
        t_ours, t_auto, t_cv = t["ours"], t["auto"], t.get("cv", math.nan)
        p = fftconv.plan(img.shape, k.shape, mode="same")
        s = t_auto / t_ours
        speedups.append(s)
        rows.append([name, f"{p.method}{'/sep' if p.params.get('separable') else ''}",
                     f"{t_ours * 1e3:.2f}", f"{t_auto * 1e3:.2f}",
                     "-" if math.isnan(t_cv) else f"{t_cv * 1e3:.2f}", f"{s:.2f}"])
        print(rows[-1], flush=True)
    print("\n2-D, 1024x1024 float64, mode 'same' (ms, medians)")
    print(table(rows, ["kernel", "engine", "fftconv", "scipy auto", "OpenCV filter2D",
                       "speed-up"]))
    print(f"geometric-mean speed-up {geomean(speedups):.2f}x, worst {min(speedups):.2f}x")


def bench_regret(quick: bool):
    """auto against each engine at its best parameters, all timed in interleaved rounds."""
    regrets, rows = [], []
    for n, m in grid_1d(quick):
        x, h = RNG.standard_normal(n), RNG.standard_normal(m)
        fns = {"auto": lambda: fftconv.convolve(x, h)}
        if n * m <= 4e9:
            fns["direct"] = lambda: fftconv.convolve(x, h, method="direct")
        fns["fft"] = lambda: fftconv.convolve(x, h, method="fft")
        # overlap-save at its best block: the model's choice and its neighbours,
        # on the engine auto runs (the lean 1-D path up to its size limit)
        p = fftconv.plan(n, m)
        L0 = (p.candidates.get("oa") or {}).get("block")
        lean = max(n, m) <= _strategy.LEAN_MAX_SAMPLES
        if L0 is None:
            L0 = _strategy.oa_block_size(m, n + m - 1, dtype=np.float64, lean=lean)
        win = [(0, n + m - 1)]
        for L in {L0, max(2 * m, L0 // 2), 2 * L0}:
            if L >= m + 8 and L <= 4 * (n + m):
                if lean:
                    fns[f"oa L={L}"] = (lambda L=L: _fast1d.convolve(x, h, "full", "oa",
                                                                     block=L))
                else:
                    fns[f"oa L={L}"] = (lambda L=L: _overlap.convolve_window(
                        x, h, [0], win, work_dtype=np.dtype(np.float64), workers=1, block=L))
        if n * m > 4e9:  # numpy.convolve would take minutes
            fns.pop("direct", None)
        # sub-millisecond calls vary by 30 % from round to round here: many rounds
        rep = 7 if n >= 1_000_000 else (21 if n >= 100_000 else 61)
        t = compare(fns, repeat=rep, budget=8.0)
        best = {k: v for k, v in t.items() if k != "auto"}
        fastest = min(best, key=best.get)
        r = t["auto"] / best[fastest]
        regrets.append(r)
        rows.append([n, m, p.method, fastest, f"{t['auto'] * 1e3:.3f}",
                     f"{best[fastest] * 1e3:.3f}", f"{r:.2f}"])
        print(rows[-1], flush=True)
    print("\nRegret: fftconv auto / fastest fftconv engine at its best parameters")
    print(table(rows, ["N", "M", "auto picks", "fastest", "auto ms", "fastest ms", "regret"]))
    q = np.percentile(regrets, 90)
    print(f"regret 90th percentile {q:.2f}, worst {max(regrets):.2f}")


def bench_float32(quick: bool):
    rows = []
    for n, m in [(4_000_000, 31), (4_000_000, 3_001), (4_000_000, 30_001),
                 (1_000_000, 1_000_000)]:
        if quick and n * m > 4e10:
            continue
        x, h = RNG.standard_normal(n), RNG.standard_normal(m)
        x32, h32 = x.astype(np.float32), h.astype(np.float32)
        t = compare({"f64": lambda: fftconv.convolve(x, h),
                     "f32": lambda: fftconv.convolve(x32, h32)}, repeat=15, budget=20.0)
        t64, t32 = t["f64"], t["f32"]
        rows.append([n, m, f"{t64 * 1e3:.2f}", f"{t32 * 1e3:.2f}", f"{t32 / t64:.2f}"])
        print(rows[-1], flush=True)
    print("\nfloat32 vs float64 at large N (ms)")
    print(table(rows, ["N", "M", "float64", "float32", "float32/float64"]))


def bench_threads(quick: bool):
    """workers=1 against all cores, fftconv and scipy (``scipy.fft.set_workers``) alike."""
    import scipy.fft

    cases = [((100_000,), (3001,), "full"), ((1_000_000,), (301,), "full"),
             ((1_000_000,), (3001,), "full"), ((4_000_000,), (31,), "full"),
             ((4_000_000,), (3001,), "full"), ((4_000_000,), (30001,), "full"),
             ((16_000_000,), (3001,), "full"), ((1_000_000,), (500_000,), "full"),
             ((1024, 1024), (9, 9), "same"), ((1024, 1024), (101, 101), "same")]
    if quick:
        cases = cases[:3]
    rows = []
    for s1, s2, mode in cases:
        x, h = RNG.standard_normal(s1), RNG.standard_normal(s2)

        def scipy_all(x=x, h=h, mode=mode):
            with scipy.fft.set_workers(-1):
                return scipy.signal.convolve(x, h, mode)

        t = compare({"f1": lambda: fftconv.convolve(x, h, mode),
                     "fall": lambda: fftconv.convolve(x, h, mode, workers=-1),
                     "s1": lambda: scipy.signal.convolve(x, h, mode),
                     "sall": scipy_all}, repeat=9, budget=12.0)
        p1 = fftconv.plan(s1, s2, mode=mode)
        pall = fftconv.plan(s1, s2, mode=mode, workers=-1)
        dims = "x".join(map(str, s1)) + " * " + "x".join(map(str, s2))
        rows.append([dims, p1.method, pall.method, f"{t['f1'] * 1e3:.2f}",
                     f"{t['fall'] * 1e3:.2f}", f"{t['f1'] / t['fall']:.2f}",
                     f"{t['s1'] * 1e3:.2f}", f"{t['sall'] * 1e3:.2f}",
                     f"{t['sall'] / t['fall']:.2f}"])
        print(rows[-1], flush=True)
    print(f"\nThreads: workers=1 against all {os.cpu_count()} cores (ms, medians)")
    print(table(rows, ["problem", "engine (1)", "engine (all)", "fftconv 1", "fftconv all",
                       "all / 1 speed-up", "scipy 1", "scipy all",
                       "speed-up over scipy, all cores"]))


_MEM_SCRIPT = """
import numpy as np, sys
n, m = int(5e7), int(1e4)
x = np.random.default_rng(0).standard_normal(n)
h = np.random.default_rng(1).standard_normal(m)
if sys.argv[1] == "fftconv":
    import fftconv
    y = fftconv.convolve(x, h)
elif sys.argv[1] == "scipy-fftconvolve":
    import scipy.signal
    y = scipy.signal.fftconvolve(x, h)
elif sys.argv[1] == "scipy-oaconvolve":
    import scipy.signal
    y = scipy.signal.oaconvolve(x, h)
else:
    import fftconv
print(y.shape if sys.argv[1] != "baseline" else "")
"""


def peak_rss_mb(which: str) -> float:
    out = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", _MEM_SCRIPT, which],
                         capture_output=True, text=True, check=True)
    for line in out.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split()[-1]) / 1024
    raise RuntimeError(out.stderr)


def bench_memory(quick: bool):
    input_mb = 5e7 * 8 / 2**20
    rows = []
    for which in ("fftconv", "scipy-fftconvolve", "scipy-oaconvolve"):
        mb = peak_rss_mb(which)
        rows.append([which, f"{mb:.0f}", f"{mb / input_mb:.2f}"])
        print(rows[-1], flush=True)
    print(f"\nPeak memory, N=5e7 float64 ({input_mb:.0f} MiB input), M=1e4, mode 'full'")
    print(table(rows, ["implementation", "peak RSS MiB", "x input size"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller grid")
    ap.add_argument("--part", default="1d,2d,regret,float32,memory,threads")
    ap.add_argument("--plot", default=None, help="write the 1-D speed-up plot (PNG) here")
    args = ap.parse_args()
    parts = args.part.split(",")
    if len(parts) > 1:
        # Each part in a fresh process: the allocator state a previous part leaves
        # behind (hundreds of MiB freed) shifts later timings by up to 20%, for
        # scipy and fftconv alike but not equally (see docs/performance.rst).
        for part in parts:
            cmd = [sys.executable, __file__, "--part", part]
            cmd += ["--quick"] if args.quick else []
            cmd += ["--plot", args.plot] if args.plot and part == "1d" else []
            subprocess.run(cmd, check=True)
        return
    print(f"fftconv {fftconv.__version__}, numpy {np.__version__}, scipy "
          f"{scipy.__version__}, {os.cpu_count()} CPUs, workers=1")
    if "1d" in parts:
        rows = bench_1d(args.quick)
        if args.plot:
            plot_1d(rows, args.plot)
    if "2d" in parts:
        bench_2d(args.quick)
    if "regret" in parts:
        bench_regret(args.quick)
    if "float32" in parts:
        bench_float32(args.quick)
    if "memory" in parts:
        bench_memory(args.quick)
    if "threads" in parts:
        bench_threads(args.quick)


if __name__ == "__main__":
    main()
