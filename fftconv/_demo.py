"""``fftconv demo``: the main job, on built-in data only."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _median_time(fn, repeat: int = 5) -> float:
    import numpy as np

    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def run(out: Path | None = None, *, quick: bool = False) -> dict:
    """Run the tour; return the key numbers (also printed)."""
    import numpy as np
    import scipy.signal

    import fftconv

    results: dict = {}
    print("fftconv demo\n============")
    die = np.full(6, 1 / 6)
    two = fftconv.convolve(die, die)
    p4 = two[4 - 2]
    results["p_sum_4"] = float(p4)
    print(f"Two dice, by convolution: P(sum = 4) = {p4:.6f} (3/36 = {3 / 36:.6f})")

    print("\nfftconv vs scipy.signal.convolve (method='auto'), medians, one thread:")
    rng = np.random.default_rng(0)
    cases = [(100_000, 31), (1_000_000, 301), (4_000_000, 4_000)]
    if quick:
        cases = [(100_000, 31), (200_000, 2_000)]
    print(f"{'N':>10} {'M':>7} {'engine':>7} {'fftconv':>10} {'scipy':>10} {'speed-up':>9}")
    rows = []
    for n, m in cases:
        x, h = rng.standard_normal(n), rng.standard_normal(m)
        tf = _median_time(lambda x=x, h=h: fftconv.convolve(x, h), 3)
        ts = _median_time(lambda x=x, h=h: scipy.signal.convolve(x, h), 3)
        eng = fftconv.choose_conv_method(x, h)
        rows.append((n, m, eng, tf, ts))
        print(f"{n:>10} {m:>7} {eng:>7} {tf * 1e3:>8.2f}ms {ts * 1e3:>8.2f}ms {ts / tf:>8.1f}x")
    results["timings"] = rows
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        results["out"] = str(out)
    return results


def _cmd(args: argparse.Namespace) -> int:
    run(Path(args.out) if args.out else None, quick=args.quick)
    return 0


def add_cli(sub) -> None:
    p = sub.add_parser("demo", help="run the tour on built-in data (dice, buns, images, audio)")
    p.add_argument("--out", default=None, help="folder for figures and audio")
    p.add_argument("--quick", action="store_true", help="smaller timings (for tests)")
    p.set_defaults(func=_cmd)
