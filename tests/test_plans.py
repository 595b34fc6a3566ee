"""The FFT plan pool: FFTW really runs, the scipy.fft fallback works, the pool is bounded."""

from __future__ import annotations

import math
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from reference import assert_close, ref_convolve, ref_correlate, tolerance

import fftconv
from fftconv import _plans

pyfftw = pytest.importorskip("pyfftw")


def _all_plans():
    """FFTW plans held by the plan pool and by the lean 1-D jobs (fftconv._fast1d)."""
    from fftconv import _fast1d

    plans = [p for idle in _plans._pool.values() for p in idle]
    for idle in _fast1d._pool.values():
        for job in idle:
            for value in vars(job).values():
                if isinstance(value, pyfftw.FFTW):
                    plans.append(value)
                elif isinstance(value, list):  # an overlap-save job's batches
                    plans += [v for b in value if isinstance(b, tuple)
                              for v in b if isinstance(v, pyfftw.FFTW)]
    return plans


def _calls(x, h):
    """Every public route into the FFT engines."""

    def correlate():
        return fftconv.correlate(x, h, method="fft")

    return [
        lambda: fftconv.convolve(x, h, method="fft"),
        lambda: fftconv.convolve(x, h, method="oa"),
        correlate,
        lambda: fftconv.fftconvolve(x, h),
        lambda: fftconv.oaconvolve(x, h),
    ]


# ------------------------------------------------------------------ which backend ran


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_fftw_path_runs(monkeypatch, fresh_plans, dtype, rng):
    """With the scipy fallback made to raise, results still come back: FFTW did the work."""

    class Boom:
        def __init__(self, *a, **k):
            raise AssertionError("the scipy.fft fallback ran")

    monkeypatch.setattr(_plans, "_ScipyPlan", Boom)
    x = rng.standard_normal(3000).astype(dtype)
    h = rng.standard_normal(300).astype(dtype)
    tol = tolerance(dtype, 3299, x, h)
    ref, cref = ref_convolve(x, h), ref_correlate(x, h)
    for call in _calls(x, h):
        got = call()
        assert got.dtype == np.dtype(dtype)
        assert_close(got, cref if call.__name__ == "correlate" else ref, tol)
    plans = _all_plans()
    assert plans and all(isinstance(p, pyfftw.FFTW) for p in plans)
    # real data uses real transforms; single precision stays single (no float64 detour)
    kinds = {k[0] for k in _plans._pool}
    assert kinds <= ({"rfft", "irfft"} if np.dtype(dtype).kind == "f" else {"fft", "ifft"})
    if np.dtype(dtype).kind == "f":  # real plans take or give a real array
        assert all(np.dtype(dtype) in (p.input_array.dtype, p.output_array.dtype)
                   for p in plans)
    allowed = {np.dtype(dtype), np.result_type(dtype, np.complex64)}
    for p in plans:
        assert {p.input_array.dtype, p.output_array.dtype} <= allowed


def test_fftw_default_flags_estimate(fresh_plans, rng):
    fftconv.fftconvolve(rng.standard_normal(500), rng.standard_normal(50))
    for p in _all_plans():
        assert "FFTW_ESTIMATE" in p.flags


def test_fft_sizes_are_fast(fresh_plans):
    """Transform lengths are >= n + m - 1 and have only small prime factors."""
    n, m = 1009, 1013  # primes: the padded size must not be prime
    fftconv.fftconvolve(np.ones((2, n)), np.ones((1, m)), axes=1)
    from fftconv import _fast1d, _fastnd

    sizes = {k[1][-1] for k in _plans._pool if k[0] in ("rfft", "irfft")}  # the general path
    sizes |= {job.x.shape[-1] for idle in _fast1d._pool.values() for job in idle
              if isinstance(job, _fastnd._NDJob)}  # the lean N-D path's job
    assert sizes
    for s in sizes:
        assert s >= n + m - 1
        r = s
        for p in (2, 3, 5, 7, 11):
            while r % p == 0:
                r //= p
        assert r == 1, f"FFT size {s} has a large prime factor"


def test_scipy_fallback_forced(monkeypatch, fresh_plans, rng):
    monkeypatch.setattr(_plans, "_force_scipy", True)
    assert not _plans.fftw_available()
    x, h = rng.standard_normal((40, 30)), rng.standard_normal((5, 4))
    tol = tolerance(np.float64, 44 * 33, x, h)
    ref = ref_convolve(x, h)
    for method in ("fft", "oa"):
        assert_close(fftconv.convolve(x, h, method=method), ref, tol)
        assert_close(fftconv.correlate(x, h, method=method), ref_correlate(x, h), tol)
    assert_close(fftconv.fftconvolve(x, h), ref, tol)
    assert_close(fftconv.oaconvolve(x, h), ref, tol)
    assert _all_plans() and all(isinstance(p, _plans._ScipyPlan) for p in _all_plans())


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_scipy_fallback_dtypes(monkeypatch, fresh_plans, dtype, rng):
    monkeypatch.setattr(_plans, "_force_scipy", True)
    x, h = rng.standard_normal(200).astype(dtype), rng.standard_normal(17).astype(dtype)
    got = fftconv.fftconvolve(x, h, mode="same")
    assert got.dtype == np.dtype(dtype)
    assert_close(got, ref_convolve(x, h, "same"), tolerance(dtype, 216, x, h))


def test_fallback_warns_once(monkeypatch, fresh_plans, rng):
    """Without pyfftw: one RuntimeWarning for the whole session, correct results."""
    monkeypatch.setattr(_plans, "HAVE_PYFFTW", False)
    monkeypatch.setattr(_plans, "_warned_fallback", False)
    x, h = rng.standard_normal(100), rng.standard_normal(9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            for call in _calls(x, h):
                call()
            _plans.clear_cache()
    msgs = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(msgs) == 1 and "pyfftw could not be imported" in str(msgs[0].message)
    assert_close(fftconv.fftconvolve(x, h), ref_convolve(x, h), tolerance(np.float64, 108, x, h))


# ------------------------------------------------------------------ plan semantics


@pytest.mark.parametrize("kind", ["rfft", "fft"])
def test_execute_is_unnormalised(fresh_plans, kind, rng):
    """forward then inverse gives n * x: the caller scales (see _plans docstring)."""
    n = 24
    real = kind == "rfft"
    dtype = np.float64 if real else np.complex128
    x = rng.standard_normal(n) if real else rng.standard_normal(n) + 1j * rng.standard_normal(n)
    inv = "irfft" if real else "ifft"
    with (
        _plans.acquire(kind, (n,), dtype, (0,)) as fwd,
        _plans.acquire(inv, (n,), dtype, (0,)) as bwd,
    ):
        fwd.input_array[...] = x
        fwd.execute()
        np.testing.assert_allclose(
            fwd.output_array, np.fft.rfft(x) if real else np.fft.fft(x), atol=1e-12
        )
        bwd.input_array[...] = fwd.output_array
        bwd.execute()
        np.testing.assert_allclose(bwd.output_array, n * x, atol=1e-11)


@pytest.mark.parametrize("kind, shape, axes, padded", [
    ("fft", (64, 256), (0, 1), True),      # complex rows of 4 KiB, columns strided
    ("fft", (64, 250), (0, 1), False),     # rows of 4000 bytes: no aliasing
    ("fft", (8, 128), (1,), False),        # only the contiguous axis is transformed
    ("rfft", (64, 256), (0, 1), False),    # the real side of a real 2-D transform
    ("rfft", (256, 512), (0,), True),      # a real transform along axis 0
    ("irfft", (40, 256), (0,), True),
    ("fft", (4, 8, 128), (0, 1, 2), True),
])
def test_rows_are_padded_where_strided_transforms_would_alias(fresh_plans, kind, shape,
                                                              axes, padded, rng):
    """FFTW_ESTIMATE runs 4-10x slower when strided steps are multiples of 1 KiB:
    such buffers get rows of ROW_PAD more elements, and the transform is unchanged."""
    real = kind in ("rfft", "irfft")
    dtype = np.float64 if real else np.complex128
    with _plans.acquire(kind, shape, dtype, axes) as plan:
        side = plan.input_array if kind != "irfft" else plan.output_array
        assert (not side.flags.c_contiguous) == padded
        if padded:
            assert side.strides[-2] == (shape[-1] + _plans.ROW_PAD) * side.itemsize
        x = rng.standard_normal(plan.input_array.shape)
        if plan.input_array.dtype.kind == "c":
            x = x + 1j * rng.standard_normal(x.shape)
        if kind == "irfft":  # a Hermitian input: the spectrum of a real array
            x = np.fft.rfftn(rng.standard_normal(shape), axes=axes)
        plan.input_array[...] = x
        plan.execute()
        want = {"fft": lambda: np.fft.fftn(x, axes=axes),
                "rfft": lambda: np.fft.rfftn(x, axes=axes),
                "irfft": lambda: np.fft.irfftn(x, s=[shape[a] for a in axes], axes=axes)
                * math.prod(shape[a] for a in axes)}[kind]()
        np.testing.assert_allclose(plan.output_array, want, atol=1e-9)


def test_copy_padded():
    dst = np.full((4, 5), 7.0)
    _plans.copy_padded(dst, np.ones((2, 3)), scale=0.5)
    expect = np.zeros((4, 5))
    expect[:2, :3] = 0.5
    np.testing.assert_array_equal(dst, expect)


# ------------------------------------------------------------------ the pool


def test_hits_misses_and_clear(fresh_plans):
    info0 = _plans.cache_info()
    with _plans.acquire("rfft", (64,), np.float64, (0,)) as p1:
        pass
    with _plans.acquire("rfft", (64,), np.float64, (0,)) as p2:
        pass
    info = _plans.cache_info()
    assert p1 is p2
    assert info["misses"] - info0["misses"] == 1 and info["hits"] - info0["hits"] == 1
    assert info["plans"] == 1 and info["bytes"] == p1.input_array.nbytes + p1.output_array.nbytes
    _plans.clear_cache()
    assert _plans.cache_info()["plans"] == 0 and _plans.cache_info()["bytes"] == 0
    with _plans.acquire("rfft", (64,), np.float64, (0,)) as p3:
        assert p3 is not p1


# big enough for threads to matter (smaller transforms always run on one thread)
_N = max(64, getattr(_plans, "THREADS_MIN_SIZE", 0))


@pytest.mark.parametrize(
    "change",
    [
        {"shape": (_N + 1,)},
        {"dtype": np.float32},
        {"threads": 2},
        {"axes": (1,), "shape": (2, _N)},
        {"kind": "irfft"},
        {"planner": "measure"},
    ],
)
def test_key_holds_everything_that_changes_a_plan(fresh_plans, change):
    base = {
        "kind": "rfft",
        "shape": (_N,),
        "dtype": np.float64,
        "axes": (0,),
        "threads": 1,
        "planner": "estimate",
    }
    other = dict(base, **change)
    with _plans.acquire(
        base.pop("kind"), base.pop("shape"), base.pop("dtype"), base.pop("axes"), **base
    ) as p1:
        pass
    with _plans.acquire(
        other.pop("kind"), other.pop("shape"), other.pop("dtype"), other.pop("axes"), **other
    ) as p2:
        pass
    assert p1 is not p2
    assert _plans.cache_info()["plans"] == 2


def test_held_plans_are_exclusive(fresh_plans):
    """A second request for a key while the first holds it gets its own plan."""
    with _plans.acquire("fft", (32,), np.complex128, (0,)) as a:
        with _plans.acquire("fft", (32,), np.complex128, (0,)) as b:
            assert a is not b
            assert a.input_array is not b.input_array
    assert _plans.cache_info()["plans"] == 2  # both go back to the pool


def test_pool_bounded_by_count(monkeypatch, fresh_plans):
    monkeypatch.setattr(_plans, "MAX_CACHED_PLANS", 3)
    before = _plans.cache_info()["evictions"]
    for n in range(16, 26):
        with _plans.acquire("rfft", (n,), np.float64, (0,)):
            pass
    info = _plans.cache_info()
    assert info["plans"] == 3 and info["evictions"] - before == 7
    # least recently used went first: the last three sizes remain
    assert sorted(k[1][0] for k in _plans._pool) == [23, 24, 25]


def test_pool_bounded_by_bytes(monkeypatch, fresh_plans):
    monkeypatch.setattr(_plans, "MAX_CACHED_BYTES", 64 * 1024)
    for n in (1000, 1200, 1400, 1600, 1800):  # ~24 KiB each (input + output)
        with _plans.acquire("rfft", (n,), np.float64, (0,)):
            pass
        assert _plans.cache_info()["bytes"] <= 64 * 1024
    with _plans.acquire("rfft", (4096,), np.float64, (0,)):  # > a quarter of the bound
        pass
    assert all(k[1] != (4096,) for k in _plans._pool)  # too big to keep


def test_threads_share_pool_safely(fresh_plans, rng):
    """Concurrent convolutions of the same shapes: right answers, no shared buffers."""
    xs = [rng.standard_normal(2000) for _ in range(8)]
    h = rng.standard_normal(64)
    refs = [np.convolve(x, h) for x in xs]
    barrier = threading.Barrier(4)

    def work(i):
        barrier.wait(timeout=10) if i < 4 else None
        out = []
        for method in ("fft", "oa", "fft"):
            out.append(fftconv.convolve(xs[i], h, method=method))
        return out

    with ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(work, range(8)))
    for ref, outs in zip(refs, results):
        for got in outs:
            assert_close(got, ref, 1e-10)
    assert _plans.cache_info()["plans"] <= _plans.MAX_CACHED_PLANS


def test_without_pyfftw_strips_fall_back(monkeypatch, fresh_plans, rng):
    """pyfftw missing: a 2-D job the model gives to the strip engine still runs (scipy.fft)."""
    monkeypatch.setattr(_plans, "HAVE_PYFFTW", False)
    monkeypatch.setattr(_plans, "pyfftw", None)
    monkeypatch.setattr(_plans, "_warned_fallback", True)
    x, h = rng.standard_normal((300, 280)), rng.standard_normal((31, 31))
    assert "strips" in fftconv.plan(x.shape, h.shape, mode="same").params
    ref = ref_convolve(x, h, "same")
    assert_close(fftconv.convolve(x, h, "same"), ref, tolerance(np.float64, 330 * 310, x, h))
    x[100, 100] = np.nan  # the NaN footprint stays the direct sum's
    y = fftconv.convolve(x, h, "same")
    assert np.isnan(y).sum() == 31 * 31 and np.isnan(y[85:116, 85:116]).all()


def test_without_pyfftw_strip_jobs_keep_the_overflow_check(monkeypatch, fresh_plans, rng):
    monkeypatch.setattr(_plans, "HAVE_PYFFTW", False)
    monkeypatch.setattr(_plans, "pyfftw", None)
    monkeypatch.setattr(_plans, "_warned_fallback", True)
    x, h = rng.standard_normal((256, 256)), rng.standard_normal((9, 9))
    x[:4, :4] = 1e154
    h[0, :3] = 1e154
    ref = fftconv.convolve(x, h, method="direct")
    for method in ("auto", "oa"):
        out = fftconv.convolve(x, h, method=method)
        assert not (~np.isfinite(out) & np.isfinite(ref)).any()
