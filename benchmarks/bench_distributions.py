"""Time to the full distribution of sums of dice: fftconv vs icepool / lea / a naive FFT.

Run:  python benchmarks/bench_distributions.py [--repeat 9] [--no-peers]

Prints medians (ms) side by side from ONE run, the ratio to fftconv, and the
tail accuracy of a naive FFT power for contrast. icepool and lea are
benchmark-only dependencies (the ``bench`` extra); missing ones are skipped.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import numpy as np
import scipy.fft

from fftconv.distributions import die


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def naive_fft_power(sides, n):
    L = n * (sides - 1) + 1
    N = scipy.fft.next_fast_len(L, True)
    return scipy.fft.irfft(scipy.fft.rfft(np.full(sides, 1 / sides), N) ** n, N)[:L]


def peers():
    out = {}
    try:
        import icepool

        def run_icepool(sides, n):
            d = icepool.d(sides)
            res = n @ d
            return res.probabilities()

        out["icepool"] = run_icepool
    except ImportError:
        pass
    try:
        import lea

        def run_lea(sides, n):
            return lea.interval(1, sides).times(n).pmf_tuple()

        out["lea"] = run_lea
    except ImportError:
        pass
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--recursion-limit", type=int, default=100_000,
                    help="icepool recurses once per die: 1000d6 needs more than Python's "
                         "default 1000 (pass 1000 to see the RecursionError)")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(args.recursion_limit)
    cases = [("1000d6", 6, 1000), ("100d100", 100, 100), ("100000d6", 6, 100_000)]
    others = {} if args.no_peers else peers()
    rows = []
    for name, sides, n in cases:
        d = die(sides)
        t_f = median_time(lambda: n @ d, args.repeat)  # noqa: B023
        t_n = median_time(lambda: naive_fft_power(sides, n), args.repeat)  # noqa: B023
        row = {"case": name, "fftconv float": t_f, "naive FFT": t_n}
        if n <= 1000:
            de = die(sides, exact=True)
            row["fftconv exact"] = median_time(lambda: n @ de, max(1, args.repeat // 2))  # noqa: B023
            for peer, fn in others.items():
                try:
                    row[peer] = median_time(lambda: fn(sides, n), 1)  # noqa: B023
                except RecursionError:
                    row[peer] = "RecursionError"
        rows.append(row)
    cols = ["fftconv float", "fftconv exact", "naive FFT", *others]
    print(f"{'case':10s}" + "".join(f"{c:>21s}" for c in cols) + "   (median ms; x fftconv float)")
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            if v is None:
                cells.append(f"{'-':>21s}")
            elif isinstance(v, str):
                cells.append(f"{v:>21s}")
            else:
                cells.append(f"{v * 1e3:.3g} ({v / r['fftconv float']:.3g}x)".rjust(21))
        print(f"{r['case']:10s}" + "".join(cells))

    print("\nTail accuracy (truth from fftconv exact mode):")
    ex = 100 @ die(6, exact=True)
    truth = float(ex.cdf(199))
    naive = naive_fft_power(6, 100)
    print(f"  P(100d6 <= 199): truth {truth:.4e}, fftconv {(100 @ die(6)).cdf(199):.4e}, "
          f"naive FFT {naive[:100].sum():.4e}")
    naive1000 = naive_fft_power(6, 1000)
    x = 1000 @ die(6)
    ex = 1000 @ die(6, exact=True)
    t = np.array([c / ex.denominator for c in ex.counts])
    big = t >= 1e-300
    rel_f = np.max(np.abs(x.probs[big] / t[big] - 1))
    rel_n = np.max(np.abs(naive1000[big] / t[big] - 1))
    print(f"  1000d6: negative entries: naive FFT {int((naive1000 < 0).sum())}, fftconv "
          f"{int((x.probs < 0).sum())}; max relative error over entries >= 1e-300: "
          f"fftconv {rel_f:.1e}, naive {rel_n:.1e}")
    print(f"  log P(1000d6 = 1000): fftconv {x.logpmf(1000):.12f}, "
          f"exact -1000 ln 6 = {-1000 * math.log(6):.12f}")


if __name__ == "__main__":
    main()
