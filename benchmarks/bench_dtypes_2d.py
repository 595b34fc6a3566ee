"""2-D convolution of complex and integer images: fftconv against scipy.signal, side by side.

scipy.signal.convolve2d runs a scalar loop for every dtype; fftconv's compiled
loop serves complex results as real passes over the parts and integer ones
in float64 where that is exact (``fftconv/_directloop.py``), and its cost
model may pick an FFT engine instead. Both are called as
``convolve2d(x, h, 'same')`` on random images, timed in interleaved rounds
(medians, one thread; ratios only within this run). float64 is shown for
reference. Prints a reStructuredText table (copied into
``docs/performance.rst``).

Usage: python benchmarks/bench_dtypes_2d.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.signal as ss  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _util import compare, geomean, table  # noqa: E402

import fftconv  # noqa: E402


def _array(rng: np.random.Generator, shape, dtype: str) -> np.ndarray:
    if dtype.startswith("c"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype in ("i4", "u1"):
        return rng.integers(0, 100 if dtype == "u1" else 1000, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one image size, fewer rounds")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    sizes = [256] if args.quick else [256, 1024]
    print(f"fftconv {fftconv.__version__}, numpy {np.__version__}, one thread; "
          "convolve2d(x, h, 'same'), times in ms")
    rows, ratios = [], []
    for n in sizes:
        for k in (3, 9):
            for dtype in ("f8", "c16", "c8", "i4", "u1"):
                x, h = _array(rng, (n, n), dtype), _array(rng, (k, k), dtype)
                t = compare({"fftconv": lambda x=x, h=h: fftconv.convolve2d(x, h, "same"),
                             "scipy": lambda x=x, h=h: ss.convolve2d(x, h, "same")},
                            repeat=3 if args.quick else 7)
                engine = fftconv.plan(x.shape, h.shape, dtype=x.dtype, mode="same").method
                ratio = t["scipy"] / t["fftconv"]
                if dtype != "f8":
                    ratios.append(ratio)
                rows.append([f"{n}x{n}", f"{k}x{k}", dtype, engine, f"{t['fftconv'] * 1e3:.2f}",
                             f"{t['scipy'] * 1e3:.2f}", f"{ratio:.2f}"])
    print(table(rows, ["image", "kernel", "dtype", "engine", "fftconv", "scipy", "speed-up"]))
    print(f"geometric-mean speed-up over the complex and integer rows: {geomean(ratios):.2f}x")


if __name__ == "__main__":
    main()
