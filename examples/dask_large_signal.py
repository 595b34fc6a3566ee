"""
Filtering a signal larger than memory with dask
===============================================

A signal of 200 million samples (1.6 GB of float64) is generated lazily, in
chunks, on the workers of a :class:`distributed.LocalCluster`; it is low-pass
filtered with a 4001-tap FIR kernel by :func:`fftconv.convolve`, which returns
a lazy dask array built from per-chunk overlap-save convolutions; and the
result is streamed into a chunked store (zarr, or one ``.npy`` file per chunk
when zarr is not installed). No process ever holds the whole signal: each
worker holds a few 80 MB chunks at a time.

Watch it run on the dashboard (its address is printed) or in the text
progress bar. Set ``FFTCONV_EXAMPLE_SMALL=1`` for a 2-million-sample run
(used by the test suite); outputs go to ``$FFTCONV_EXAMPLES_OUT``.
"""

import os
import tempfile
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, progress

import fftconv

SMALL = os.environ.get("FFTCONV_EXAMPLE_SMALL", "") not in ("", "0")
N = 2_000_000 if SMALL else 200_000_000
CHUNK = N // 20  # 10 million samples (80 MB) per chunk at full size
K = 4001
OUT = os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp()


def noise_chunk(block_info=None):
    """One chunk of white noise, seeded by its position: reproducible anywhere."""
    info = block_info[None]
    ((lo, hi),) = info["array-location"]
    rng = np.random.default_rng([0, info["chunk-location"][0]])
    return rng.standard_normal(hi - lo)


def lowpass(taps: int, cutoff: float) -> np.ndarray:
    """Windowed-sinc low-pass FIR kernel (cutoff in cycles per sample)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    return h / h.sum()


class NpyChunks:
    """A ``da.store`` target writing each chunk to ``<start>-<stop>.npy`` (zarr fallback)."""

    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def __setitem__(self, region, block):
        (sl,) = region
        np.save(os.path.join(self.folder, f"{sl.start:012d}-{sl.stop:012d}.npy"), block)


def main() -> None:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=not SMALL,
                     memory_limit="4GiB", dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        print(f"dashboard: {client.dashboard_link}")
        x = da.map_blocks(noise_chunk, chunks=((CHUNK,) * (N // CHUNK),), dtype=np.float64,
                          meta=np.empty(0))
        h = lowpass(K, 0.05)
        y = fftconv.convolve(x, h, mode="same")  # lazy: only a graph so far
        print(f"signal {x.shape[0]:,} samples in {x.numblocks[0]} chunks; "
              f"kernel {K} taps; result {y.nbytes / 1e9:.2f} GB in {y.npartitions} chunks")
        try:
            import zarr  # noqa: F401

            target = os.path.join(OUT, "filtered.zarr")
            stored = y.to_zarr(target, overwrite=True, compute=False)
        except ImportError:
            target = os.path.join(OUT, "filtered_npy")
            stored = da.store(y, NpyChunks(target), lock=False, compute=False)
        t0 = time.perf_counter()
        future = client.compute(stored)
        progress(future)  # a text progress bar here; the dashboard shows the task stream
        future.result()
        del future, stored  # release the store's tasks before the next computation
        print(f"\nwrote {target} in {time.perf_counter() - t0:.1f} s")

        # Check a window across a chunk boundary against the in-memory path.
        half = (K - 1) // 2
        a, b = CHUNK - 1000, CHUNK + 1000
        ref = fftconv.convolve(x[a - half:b + half].compute(), h, mode="valid")
        got = y[a:b].compute()
        print(f"max |error| vs in-memory fftconv.convolve: {np.abs(got - ref).max():.2e}")


if __name__ == "__main__":
    main()
