"""fftconv on dask arrays vs in-memory fftconv.convolve, side by side in one run.

A float64 signal (default 1e8 samples, 800 MB) is convolved with a random
kernel (default 1e4 taps) in mode 'full':

* in memory: ``fftconv.convolve(x, h)`` on a numpy array (1 FFTW thread, and
  2 threads for reference), its peak allocation measured with tracemalloc;
* on dask: a ``distributed.LocalCluster`` of 2 worker processes x 1 thread,
  the signal generated lazily per chunk on the workers (the same numbers as
  the numpy array), ``fftconv.convolve(x_dask, h)`` reduced to its sum so
  that no 800 MB result travels back. The dask time is reported with and
  without the cost of generating the signal (measured alone on the same
  cluster), and each worker's peak RSS is sampled every 5 ms.

Usage::

    python benchmarks/bench_dask.py              # 1e8 samples, kernel 1e4
    python benchmarks/bench_dask.py --n 1e7      # smaller
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import tracemalloc

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import fftconv


def noise_chunk(block_info=None):
    info = block_info[None]
    ((lo, hi),) = info["array-location"]
    return np.random.default_rng([0, info["chunk-location"][0]]).standard_normal(hi - lo)


def _start_sampler(dask_worker=None):
    """Runs inside a worker: sample this process's RSS every 5 ms."""
    import psutil

    proc = psutil.Process()
    state = {"peak": proc.memory_info().rss, "base": proc.memory_info().rss, "stop": False}

    def loop():
        while not state["stop"]:
            state["peak"] = max(state["peak"], proc.memory_info().rss)
            time.sleep(0.005)

    threading.Thread(target=loop, daemon=True).start()
    dask_worker._fftconv_rss = state


def _stop_sampler(dask_worker=None):
    state = dask_worker._fftconv_rss
    state["stop"] = True
    return state["base"], state["peak"]


def _time_chunk_conv(chunk: int, k: int, repeat: int = 3) -> float:
    """Median seconds of one in-memory chunk convolution (run alone or on every worker)."""
    rng = np.random.default_rng(2)
    x, h = rng.standard_normal(chunk + k - 1), rng.standard_normal(k)
    return median_time(lambda: fftconv.convolve(x, h, mode="valid"), repeat)[0]


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=float, default=1e8, help="signal length (default 1e8)")
    p.add_argument("--k", type=float, default=1e4, help="kernel length (default 1e4)")
    p.add_argument("--chunks", type=int, default=20, help="number of chunks (default 20)")
    p.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    args = p.parse_args(argv)
    n, k, nchunks = int(args.n), int(args.k), args.chunks
    chunk = -(-n // nchunks)
    h = np.random.default_rng(1).standard_normal(k)
    x_lazy = da.map_blocks(noise_chunk, chunks=da.core.normalize_chunks(chunk, (n,)),
                           dtype=np.float64, meta=np.empty(0))

    # ---- in memory (the same samples as the dask signal)
    x = np.concatenate([np.random.default_rng([0, i]).standard_normal(c)
                        for i, c in enumerate(x_lazy.chunks[0])])
    t_mem1, y = median_time(lambda: fftconv.convolve(x, h), args.repeat)
    ref_sum = float(y.sum())
    del y
    t_mem2, _ = median_time(lambda: fftconv.convolve(x, h, workers=2).sum(), args.repeat)
    tracemalloc.start()
    y = fftconv.convolve(x, h)
    mem_peak = tracemalloc.get_traced_memory()[1] + x.nbytes
    tracemalloc.stop()
    del y
    x = None  # free 1.6 GB before the cluster starts
    t_alone = _time_chunk_conv(chunk, k)

    # ---- dask on a LocalCluster: 2 worker processes x 1 thread, then 1 x 1 (same CPU
    # budget as the in-memory call: the dask overhead alone)
    res = {}
    for nw in (2, 1):
        with (
            LocalCluster(n_workers=nw, threads_per_worker=1, processes=True,
                         memory_limit="8GiB", dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            client.run(lambda: fftconv.convolve(np.ones(10), np.ones(3)))  # warm imports
            t_gen, _ = median_time(lambda: x_lazy.sum().compute(), args.repeat)
            t_build, y_lazy = median_time(lambda: fftconv.convolve(x_lazy, h), 1)
            t_pair = statistics.mean(client.run(_time_chunk_conv, chunk, k).values())
            client.run(_start_sampler)
            t_dask, got_sum = median_time(lambda y=y_lazy: float(y.sum().compute()), args.repeat)
            res[nw] = (t_gen, t_build, t_pair, t_dask, got_sum, client.run(_stop_sampler))
    t_gen, t_build, t_pair, t_dask, got_sum, rss = res[2]
    t_gen1, _, _, t_dask1, _, _ = res[1]
    rel = abs(got_sum - ref_sum) / max(abs(ref_sum), 1e-300)

    mb = 1e6
    print(f"fftconv {fftconv.__version__}: N={n:.0e} float64 ({n * 8 / 1e9:.1f} GB), "
          f"K={k:.0e}, {len(x_lazy.chunks[0])} chunks of {chunk:,} ({chunk * 8 / mb:.0f} MB); "
          f"medians of {args.repeat}; relative difference of sums {rel:.1e}")
    print(f"{'run':<52}{'time':>10}{'vs in-memory':>14}")
    rows = [
        ("in-memory fftconv.convolve, 1 thread", t_mem1),
        ("in-memory fftconv.convolve, 2 threads", t_mem2),
        ("dask LocalCluster 2x1: generate + convolve + sum", t_dask),
        ("dask: generate + sum only (signal cost)", t_gen),
        ("dask: convolution share (difference)", t_dask - t_gen),
        ("dask: building the graph", t_build),
        ("dask LocalCluster 1x1: generate + convolve + sum", t_dask1),
        ("dask 1x1: convolution share (difference)", t_dask1 - t_gen1),
    ]
    for name, t in rows:
        print(f"{name:<52}{t:>9.2f}s{t / t_mem1:>13.2f}x")
    print(f"\nparallel efficiency of this machine: one chunk's convolution takes {t_alone:.3f} s "
          f"alone, {t_pair:.3f} s on each of the 2 workers at once "
          f"({t_alone / t_pair * 100:.0f}% efficiency)")
    print(f"peak memory, in-memory path (x + tracemalloc peak): {mem_peak / mb:,.0f} MB "
          f"= {mem_peak / (chunk * 8):.1f} chunks")
    for addr, (base, peak) in sorted(rss.items()):
        print(f"peak RSS worker {addr}: {peak / mb:,.0f} MB (at start {base / mb:,.0f} MB; "
              f"growth {(peak - base) / mb:,.0f} MB = {(peak - base) / (chunk * 8):.1f} chunks)")


if __name__ == "__main__":
    main()
