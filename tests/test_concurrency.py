"""8 threads through the shared plan cache and wisdom: bit-identical to serial, no crash.

tests/test_threads.py covers the float engines and *shared* Convolvers. This
file extends it to the rest of the public surface run at once -- correlate,
convolve2d boundaries, integer and NaN inputs, the FFT family on batched axes,
distributions, a Convolver and a StreamConvolver built *inside* each thread
(so their plans are made under contention) -- while one extra thread keeps
saving and loading FFTW wisdom and emptying the plan pool. Every result must
be bit-identical to the same call made serially beforehand.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fftconv
from fftconv import _plans, wisdom
from fftconv import distributions as D

N_THREADS = 8
ROUNDS = 8  # 8 threads x 8 rounds x 48 tasks: ~3000 calls


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FFTCONV_PERSIST", "0")
    monkeypatch.delenv("FFTCONV_WORKERS", raising=False)


def _stream(h, x, cuts, **kw):
    with fftconv.StreamConvolver(h, 64, **kw) as sc:
        parts = [sc.process(p) for p in np.split(x, cuts)]
        return np.concatenate(parts + [sc.flush()])


def _tasks() -> list:
    rng = np.random.default_rng(42)
    t = []
    for n, k in [(257, 31), (2000, 600), (5000, 40)]:
        for dt in ("float32", "float64", "complex64"):
            x = rng.standard_normal(n).astype(dt)
            h = rng.standard_normal(k).astype(dt)
            for m in ("direct", "fft", "oa", "auto"):
                t.append(lambda x=x, h=h, m=m: fftconv.correlate(x, h, mode="same", method=m))
    # integers (exact paths) and bools
    xi, hi = rng.integers(-100, 100, 3000), rng.integers(-100, 100, 400)
    t += [lambda m=m: fftconv.convolve(xi, hi, method=m) for m in ("fft", "oa", "auto")]
    xb = rng.integers(0, 2, (40, 50)).astype(bool)
    t.append(lambda: fftconv.convolve(xb, xb[:5, :7]))
    # non-finite footprints
    xn = rng.standard_normal(4000)
    xn[[10, 2000, 3999]] = [np.nan, np.inf, -np.inf]
    hn = rng.standard_normal(100)
    t += [lambda m=m: fftconv.convolve(xn, hn, method=m) for m in ("fft", "oa", "auto")]
    # 2-D with boundaries, batched FFT family, 3-D
    img, ker = rng.standard_normal((60, 70)), rng.standard_normal((7, 5))
    for b in ("fill", "wrap", "symm"):
        t.append(lambda b=b: fftconv.convolve2d(img, ker, mode="same", boundary=b))
    t.append(lambda: fftconv.correlate2d(img, ker, mode="valid"))
    batch, bk = rng.standard_normal((4, 3000)), rng.standard_normal((1, 200))
    t.append(lambda: fftconv.oaconvolve(batch, bk, axes=1))
    t.append(lambda: fftconv.fftconvolve(batch.T, bk.T, axes=0, mode="same"))
    vol = rng.standard_normal((12, 14, 16)).astype(np.float32)
    t.append(lambda: fftconv.convolve(vol, vol[:3, :4, :5], method="fft"))
    t.append(lambda: fftconv.fftconvolve(rng_fixed_x, rng_fixed_x[:3000], workers=2))
    # per-thread Convolvers and StreamConvolvers (plans made under contention)
    hc, xc = rng.standard_normal(129), rng.standard_normal((3, 4000))
    for m in ("fft", "oa", "direct"):
        t.append(lambda m=m: fftconv.Convolver(hc, 4000, method=m, mode="same").conv(xc))
    t.append(lambda: fftconv.Convolver(hc.astype(np.float32), 4000, correlate=True).conv(
        xc.astype(np.float32)))
    hs, xs = rng.standard_normal(700), rng.standard_normal(3000)
    t.append(lambda: _stream(hs, xs, [64, 100, 1000, 2048]))
    t.append(lambda: _stream(hs, xs, [500, 501], partition="uniform"))
    hs2, xs2 = rng.standard_normal((300, 2)), rng.standard_normal((1500, 2))
    t.append(lambda: _stream(hs2, xs2, [128, 1000], dtype=np.float32))
    # distributions (float mode: FFT and direct engines)
    t.append(lambda: (40 @ D.die(6)).probs)
    t.append(lambda: D.sum_independent([D.binomial(50, 0.3), D.poisson(4.0)], method="fft").probs)
    return t


rng_fixed_x = np.random.default_rng(7).standard_normal(150_000)


def _wisdom_churn(stop: threading.Event, errors: list, path) -> None:
    """Save, load and empty the pool in a loop while the workers plan."""
    i = 0
    try:
        while not stop.is_set():
            assert wisdom.save(path)
            wisdom.load(path)
            if i % 3 == 0:
                _plans.clear_cache()
            i += 1
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)


def test_mixed_calls_bit_identical_to_serial(tmp_path):
    tasks = _tasks()
    assert len(tasks) >= 40
    _plans.clear_cache()
    serial = [task() for task in tasks]
    results: dict[tuple[int, int, int], np.ndarray] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(N_THREADS + 1)
    stop = threading.Event()

    def worker(tid: int) -> None:
        order = np.random.default_rng(tid).permutation(len(tasks))
        try:
            barrier.wait()
            for r in range(ROUNDS):
                for i in order:
                    results[tid, r, int(i)] = tasks[i]()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def churn() -> None:
        barrier.wait()
        _wisdom_churn(stop, errors, tmp_path / "wisdom.json")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N_THREADS)]
    side = threading.Thread(target=churn)
    for th in [*threads, side]:
        th.start()
    for th in threads:
        th.join(timeout=300)
    stop.set()
    side.join(timeout=60)
    assert not errors, errors
    assert len(results) == N_THREADS * ROUNDS * len(tasks)
    for (tid, r, i), y in results.items():
        want = serial[i]
        assert y.dtype == want.dtype and y.shape == want.shape, i
        assert np.array_equal(y, want, equal_nan=want.dtype.kind in "fc"), (
            f"task {i} differs in thread {tid}, round {r}")
    info = _plans.cache_info()
    assert info["bytes"] <= _plans.MAX_CACHED_BYTES
    assert info["plans"] <= _plans.MAX_CACHED_PLANS


def test_streams_opened_and_closed_concurrently_leave_the_pool_bounded():
    """Many StreamConvolvers checking plans out and in at once (and some never closed)."""
    rng = np.random.default_rng(3)
    h, x = rng.standard_normal(2000), rng.standard_normal(4096)
    want = _stream(h, x, [1000])
    bad: list = []

    def worker(tid: int) -> None:
        for j in range(6):
            sc = fftconv.StreamConvolver(h, 64 * (1 + (tid + j) % 2))
            y = np.concatenate([sc.process(x[:1000]), sc.process(x[1000:]), sc.flush()])
            if not np.allclose(y, want, atol=1e-9):
                bad.append((tid, j))
            if j % 2:
                sc.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N_THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not bad
    info = _plans.cache_info()
    assert info["plans"] <= _plans.MAX_CACHED_PLANS
    assert info["bytes"] <= _plans.MAX_CACHED_BYTES
