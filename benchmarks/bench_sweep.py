"""A random sweep of calls against scipy.signal, side by side: where is fftconv slower?

160 seeded random problems (1-D, 2-D, 3-D; float64, float32, complex128,
int32, uint8; every mode; ``convolve``, ``correlate``, ``fftconvolve`` and
``convolve2d``), each timed against the same scipy.signal function in
interleaved rounds (medians; one thread). Calls where scipy takes more than 2 s
are skipped. Prints the geometric-mean speed-up, how many calls are slower
than scipy, and those calls (the figures in ``docs/performance.rst``).

Usage: python benchmarks/bench_sweep.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.signal as ss  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _util import compare, geomean, table  # noqa: E402

import fftconv  # noqa: E402


def cases(n: int, rng: np.random.Generator) -> list[tuple]:
    """``n`` random ``(shape1, shape2, dtype, mode, function)`` problems."""
    out = []
    for _ in range(n):
        nd = int(rng.choice([1, 2, 3], p=[0.4, 0.45, 0.15]))
        if nd == 1:
            s1 = (int(10 ** rng.uniform(1, 5.5)),)
            s2 = (int(10 ** rng.uniform(0, np.log10(s1[0]) + 0.3)),)
        elif nd == 2:
            s1 = tuple(int(v) for v in 10 ** rng.uniform(0.7, 3, 2))
            s2 = tuple(max(1, int(v)) for v in 10 ** rng.uniform(0, 1.6, 2))
        else:
            s1 = tuple(int(v) for v in 10 ** rng.uniform(0.5, 2, 3))
            s2 = tuple(max(1, int(v)) for v in 10 ** rng.uniform(0, 1, 3))
        dtype = str(rng.choice(["f8", "f4", "c16", "i4", "u1"], p=[0.4, 0.25, 0.15, 0.1, 0.1]))
        mode = str(rng.choice(["full", "same", "valid"]))
        names = ["convolve", "correlate", "fftconvolve"] + (["convolve2d"] if nd == 2 else [])
        out.append((s1, s2, dtype, mode, str(rng.choice(names))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="40 calls, fewer rounds")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(1)
    rows, ratios = [], []
    for s1, s2, dtype, mode, name in cases(40 if args.quick else 160, rng):
        x = (rng.standard_normal(s1) * 10).astype(dtype)
        h = (rng.standard_normal(s2) * 10).astype(dtype)
        if dtype == "c16":
            x = x + 1j * rng.standard_normal(s1)
            h = h + 1j * rng.standard_normal(s2)
        if name == "fftconvolve" and dtype in ("i4", "u1"):
            continue

        def ours(x=x, h=h, mode=mode, name=name):
            return getattr(fftconv, name)(x, h, mode)

        def theirs(x=x, h=h, mode=mode, name=name):
            return getattr(ss, name)(x, h, mode)

        try:
            t = compare({"scipy": theirs}, repeat=1, budget=0.0)["scipy"]
        except Exception:  # noqa: BLE001 - shapes scipy refuses are not compared
            continue
        if t > 2.0:
            continue
        rounds = 3 if args.quick else (7 if t < 0.05 else 3)
        times = compare({"fftconv": ours, "scipy": theirs}, repeat=rounds, budget=4.0)
        ratio = times["scipy"] / times["fftconv"]
        ratios.append(ratio)
        if ratio < 1.0:
            rows.append([name, f"{s1} * {s2}", dtype, mode, f"{times['fftconv'] * 1e3:.3f}",
                         f"{times['scipy'] * 1e3:.3f}", f"{ratio:.2f}"])
    print(f"{len(ratios)} calls: geometric-mean speed-up over scipy {geomean(ratios):.2f}x, "
          f"{len(rows)} slower than scipy")
    rows.sort(key=lambda r: float(r[-1]))
    print(table(rows, ["function", "shapes", "dtype", "mode", "fftconv ms", "scipy ms",
                       "speed-up"]))
    print(f"fftconv {fftconv.__version__}, numpy {np.__version__}, one thread")


if __name__ == "__main__":
    main()
