"""Image smoothing: fftconv.image.smooth against scipy.ndimage (and OpenCV), side by side.

A 1000x1000 float64 image (grey, and colour with 3 channels), ``'reflect'``
boundary; kernels: box 3x3, Gaussians of 9x9, 25x25 and 81x81, a random
15x15. Every implementation is timed in the same interleaved rounds
(medians; ratios only within this run). Prints a reStructuredText table
(copied into ``docs/images.rst``).

Usage: python benchmarks/bench_image.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.ndimage  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _util import compare, table  # noqa: E402

import fftconv  # noqa: E402
from fftconv import image  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller image, fewer kernels")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = 300 if args.quick else 1000
    grey = rng.random((n, n))
    colour = rng.random((n, n, 3))
    kernels = [("box", image.box(3), None),
               ("Gaussian", image.gaussian(1.0), 1.0),  # radius 4 sigma: 9x9
               ("Gaussian", image.gaussian(3.0), 3.0),
               ("random", rng.standard_normal((15, 15)), None)]
    if not args.quick:
        kernels.insert(3, ("Gaussian", image.gaussian(10.0), 10.0))
    kernels = [(f"{name} {k.shape[0]}x{k.shape[1]}", k, s) for name, k, s in kernels]
    try:
        import cv2
    except ImportError:
        cv2 = None
    print(f"fftconv {fftconv.__version__}, numpy {np.__version__}, one thread; "
          f"{n}x{n} float64, 'reflect'")
    rows = []
    for name, k, sigma in kernels:
        for label, img in (("grey", grey), ("colour", colour)):
            kk = k if img.ndim == 2 else k[..., None]
            fns = {"smooth": lambda img=img: image.smooth(img, k),
                   "convolve": lambda img=img, kk=kk: scipy.ndimage.convolve(
                       img, kk, mode="reflect")}
            if sigma is not None:
                s = (sigma, sigma) if img.ndim == 2 else (sigma, sigma, 0)
                fns["gaussian_filter"] = lambda img=img, s=s: scipy.ndimage.gaussian_filter(
                    img, s, mode="reflect", truncate=4.0)
            if cv2 is not None and img.ndim == 2:
                kf = np.ascontiguousarray(k[::-1, ::-1])
                fns["cv2"] = lambda img=img, kf=kf: cv2.filter2D(
                    img, -1, kf, borderType=cv2.BORDER_REFLECT)
            slow = k.size >= 81 * 81
            t = compare(fns, repeat=1 if slow else 5, budget=60.0)
            rows.append([name, label, f"{t['smooth'] * 1e3:.1f}", f"{t['convolve'] * 1e3:.1f}",
                         f"{t['gaussian_filter'] * 1e3:.1f}" if "gaussian_filter" in t else "--",
                         f"{t['cv2'] * 1e3:.1f}" if "cv2" in t else "--",
                         f"{t['convolve'] / t['smooth']:.1f}x"])
            print(rows[-1], flush=True)
    print("\nms, medians of interleaved rounds (one round for 81x81)")
    print(table(rows, ["kernel", "image", "smooth", "ndimage.convolve", "gaussian_filter",
                       "OpenCV filter2D", "speed-up vs convolve"]))


if __name__ == "__main__":
    main()
