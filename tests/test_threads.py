"""Worker threads: set_workers / FFTCONV_WORKERS, and thread safety of the shared caches."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import fftconv
from fftconv import _plans
from fftconv import convolver as convolver_mod


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FFTCONV_PERSIST", "0")
    monkeypatch.delenv("FFTCONV_WORKERS", raising=False)


def test_default_is_one():
    assert fftconv.get_workers() == 1


def test_set_workers_restores_and_nests():
    with fftconv.set_workers(2):
        assert fftconv.get_workers() == 2
        with fftconv.set_workers(-1):
            assert fftconv.get_workers() == (os.cpu_count() or 1)
        assert fftconv.get_workers() == 2
    assert fftconv.get_workers() == 1
    with pytest.raises(RuntimeError), fftconv.set_workers(3):
        raise RuntimeError("restored in finally")
    assert fftconv.get_workers() == 1


def test_set_workers_is_per_thread():
    seen = []
    with fftconv.set_workers(4):
        t = threading.Thread(target=lambda: seen.append(fftconv.get_workers()))
        t.start()
        t.join()
        assert fftconv.get_workers() == 4
    assert seen == [1]


def test_env_variable(monkeypatch):
    monkeypatch.setenv("FFTCONV_WORKERS", "3")
    assert fftconv.get_workers() == 3
    with fftconv.set_workers(1):
        assert fftconv.get_workers() == 1
    monkeypatch.setenv("FFTCONV_WORKERS", "-1")
    assert fftconv.get_workers() == (os.cpu_count() or 1)
    monkeypatch.setenv("FFTCONV_WORKERS", "many")
    with pytest.warns(UserWarning, match="FFTCONV_WORKERS='many'"):
        assert fftconv.get_workers() == 1


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (1.5, TypeError), (True, TypeError),
                                      (-10_000, ValueError)])
def test_bad_workers(bad, exc):
    with pytest.raises(exc, match="workers"):
        fftconv.convolve(np.ones(10), np.ones(3), workers=bad)
    with pytest.raises(exc, match="workers"), fftconv.set_workers(bad):
        pass


def test_workers_give_the_same_result():
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(40_000), rng.standard_normal(3_000)
    ref = np.convolve(x, h)
    tol = 1e-10 * np.linalg.norm(x) * np.linalg.norm(h)
    for w in (1, 2):
        np.testing.assert_allclose(fftconv.fftconvolve(x, h, workers=w), ref, atol=tol)
        np.testing.assert_allclose(fftconv.convolve(x, h, method="oa", workers=w), ref, atol=tol)
        cv = fftconv.Convolver(h, x.size, workers=w, method="fft")
        assert cv.workers == w
        np.testing.assert_allclose(cv.conv(x), ref, atol=tol)
    with fftconv.set_workers(2):
        assert fftconv.Convolver(h, x.size).workers == 2


def _tasks():
    """Mixed shapes, dtypes and engines, through the functions and shared Convolvers."""
    rng = np.random.default_rng(0)
    tasks = []
    for n, k in [(300, 20), (1000, 501), (4096, 64), (777, 3), (20_000, 300)]:
        for dt in (np.float32, np.float64, np.complex128):
            x = rng.standard_normal(n).astype(dt)
            h = rng.standard_normal(k).astype(dt)
            if np.dtype(dt).kind == "c":
                x = x + 1j * rng.standard_normal(n)
            tasks.append(lambda x=x, h=h: fftconv.convolve(x, h))
            tasks.append(lambda x=x, h=h: fftconv.fftconvolve(x, h, mode="same"))
            tasks.append(lambda x=x, h=h: fftconv.oaconvolve(x, h, mode="valid"))
    img = rng.standard_normal((3, 64, 48))
    ker = rng.standard_normal((1, 7, 5))
    tasks.append(lambda: fftconv.fftconvolve(img, ker, axes=(1, 2)))
    tasks.append(lambda: fftconv.convolve(img[0].astype(np.float32), ker[0]))
    ints = rng.integers(-50, 50, 2000)
    tasks.append(lambda: fftconv.convolve(ints, ints[:300], method="fft"))
    shared = [
        (fftconv.Convolver(rng.standard_normal(300), 20_000, method="oa"),
         rng.standard_normal((2, 20_000))),
        (fftconv.Convolver(rng.standard_normal((5, 5)), (64, 48), method="fft", mode="same"),
         img),
        (fftconv.Convolver(rng.standard_normal(64).astype(np.float32), 4096, correlate=True),
         rng.standard_normal(4096).astype(np.float32)),
        (fftconv.Convolver(rng.standard_normal(40), 500, method="fft"),
         rng.standard_normal((7, 500))),  # batch size 7: per-batch plans made under threads
    ]
    for cv, x in shared:
        tasks.append(lambda cv=cv, x=x: cv.conv(x))
        tasks.append(lambda cv=cv, x=x: cv.conv(x[..., :][None]))  # another batch size
    return tasks


def test_eight_threads_bit_identical_to_serial():
    tasks = _tasks()
    _plans.clear_cache()
    serial = [t() for t in tasks]
    n_threads, rounds = 8, 3
    results: dict[tuple[int, int, int], np.ndarray] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def worker(tid: int) -> None:
        order = np.random.default_rng(tid).permutation(len(tasks))
        try:
            barrier.wait()
            for r in range(rounds):
                for i in order:
                    results[tid, r, int(i)] = tasks[i]()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == n_threads * rounds * len(tasks)
    for (tid, r, i), y in results.items():
        assert y.dtype == serial[i].dtype and y.shape == serial[i].shape
        assert np.array_equal(y, serial[i]), f"task {i} differs in thread {tid}, round {r}"
    info = _plans.cache_info()
    assert info["bytes"] <= _plans.MAX_CACHED_BYTES
    assert info["plans"] <= _plans.MAX_CACHED_PLANS


def test_one_convolver_many_threads_keeps_bounded_plans():
    rng = np.random.default_rng(0)
    cv = fftconv.Convolver(rng.standard_normal(30), 256, method="fft")
    xs = rng.standard_normal((9, 256))
    refs = [cv.conv(xs[:b]) for b in range(1, 10)]
    bad = []

    def worker(tid):
        for j in range(30):
            b = 1 + (tid * 7 + j) % 9
            if not np.array_equal(cv.conv(xs[:b]), refs[b - 1]):
                bad.append((tid, j))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad
    assert len(cv._batch_plans) <= convolver_mod.MAX_BATCH_PLANS
