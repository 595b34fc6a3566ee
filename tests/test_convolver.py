"""Tests for fftconv.Convolver: results against a direct reference, dtypes, errors, pickling."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import scipy.fft
import scipy.signal

import fftconv
from fftconv import convolver as convolver_mod


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FFTCONV_PERSIST", "0")


def _tol(dtype, n, *arrays) -> float:
    """Absolute tolerance of an FFT convolution: k * eps * log2(n) * ||x|| * ||h||."""
    eps = np.finfo(np.result_type(dtype, np.float32)).eps
    norms = math.prod(float(np.linalg.norm(np.asarray(a, np.complex128))) for a in arrays)
    return 20 * eps * max(math.log2(max(n, 2)), 1.0) * norms + 1e-300


def _data(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-5 if dtype.kind == "i" else 0, 6, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# (signal length, kernel length): primes, 1-element kernel, kernel longer than the
# signal, a kernel near a block boundary, and a long-signal case where 'oa' runs.
SIZES_1D = [(101, 7), (64, 1), (5, 17), (1, 1), (1000, 129), (3001, 1000)]


@pytest.mark.parametrize("method", ["direct", "fft", "oa", "auto"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("n,k", SIZES_1D)
def test_1d_matches_reference(method, mode, dtype, n, k):
    rng = np.random.default_rng(0)
    h, x = _data(rng, k, dtype), _data(rng, n, dtype)
    if method == "oa" and n < k:
        with pytest.raises(ValueError, match="overlap-save"):
            fftconv.Convolver(h, n, mode=mode, method=method)
        return
    cv = fftconv.Convolver(h, n, mode=mode, method=method)
    assert cv.method == (cv.plan.method if method == "auto" else method)
    y = cv.conv(x)
    ref = scipy.signal.convolve(x, h, mode=mode, method="direct")
    assert y.dtype == ref.dtype and y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=0, atol=_tol(dtype, n + k, x, h))


@pytest.mark.parametrize("method", ["fft", "oa"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_nd_axes_and_broadcast(method, mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 40, 200))
    for h, axes in [(rng.standard_normal((1, 5, 9)), (1, 2)),   # kernel 1 on axis 0
                    (rng.standard_normal((3, 1, 9)), 2),        # per-row kernel on axis 0
                    (rng.standard_normal((2, 5, 9)), None)]:    # all axes
        cv = fftconv.Convolver(h, x.shape, mode=mode, axes=axes, method=method)
        ref = scipy.signal.fftconvolve(x, h, mode=mode, axes=axes)
        np.testing.assert_allclose(cv.conv(x), ref, rtol=0, atol=_tol("float64", 4000, x, h))


def test_direct_engine_with_non_convolved_axes():
    rng = np.random.default_rng(0)
    x = rng.integers(-9, 9, (3, 50))
    h = rng.integers(-9, 9, (3, 4))
    cv = fftconv.Convolver(h, x.shape, axes=1, method="direct")
    ref = np.stack([np.convolve(x[i], h[i]) for i in range(3)])
    assert np.array_equal(cv.conv(x), ref)


def test_batches_over_leading_axes():
    rng = np.random.default_rng(0)
    h = rng.standard_normal((4, 5))
    xs = rng.standard_normal((2, 3, 30, 40))
    for method in ("direct", "fft", "oa"):
        cv = fftconv.Convolver(h, (30, 40), mode="same", method=method)
        y = cv.conv(xs)
        assert y.shape == (2, 3, 30, 40)
        for i in np.ndindex(2, 3):
            np.testing.assert_allclose(y[i], cv.conv(xs[i]), rtol=0, atol=1e-12)
            np.testing.assert_allclose(y[i], scipy.signal.convolve(xs[i], h, mode="same"),
                                       rtol=0, atol=_tol("float64", 70 * 45, xs[i], h))


def test_batches_in_chunks_keep_bounded_plans(monkeypatch):
    monkeypatch.setattr(convolver_mod, "CHUNK_BYTES", 4 * 2**10)
    rng = np.random.default_rng(0)
    h, xs = rng.standard_normal(50), rng.standard_normal((13, 200))
    cv = fftconv.Convolver(h, 200, method="fft")
    for b in (13, 1, 2, 5, 7, 9, 11):
        y = cv.conv(xs[:b])
        np.testing.assert_allclose(y, scipy.signal.fftconvolve(xs[:b], h[None], axes=1),
                                   atol=1e-12)
        assert len(cv._batch_plans) <= convolver_mod.MAX_BATCH_PLANS


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("method", ["direct", "fft", "oa"])
def test_correlate(mode, method):
    rng = np.random.default_rng(0)
    x, h = _data(rng, 500, "complex128"), _data(rng, 21, "complex128")
    cv = fftconv.Convolver(h, 500, mode=mode, method=method, correlate=True)
    ref = scipy.signal.correlate(x, h, mode=mode, method="direct")
    np.testing.assert_allclose(cv.conv(x), ref, rtol=0, atol=_tol("float64", 521, x, h))


def test_integers_exact_and_fallback():
    rng = np.random.default_rng(0)
    x, h = rng.integers(-100, 100, 5000), rng.integers(-100, 100, 300)
    cv = fftconv.Convolver(h, 5000, method="fft")
    y = cv.conv(x)
    assert y.dtype == np.int64 and np.array_equal(y, np.convolve(x, h))
    # Too large for an exact FFT: the call takes the direct engine.
    big = np.full(5000, 2**40, dtype=np.int64)
    assert np.array_equal(cv.conv(big), np.convolve(big, h))
    b = fftconv.Convolver(np.array([True, False, True]), 10, method="fft")
    assert b.conv(np.ones(10, bool)).dtype == np.bool_
    i16 = fftconv.Convolver(np.ones(3, np.float32), 10)
    assert i16.conv(np.arange(10, dtype=np.int16)).dtype == np.float32


def test_dtype_rules():
    rng = np.random.default_rng(0)
    h32 = rng.standard_normal(9).astype(np.float32)
    cv = fftconv.Convolver(h32, 100, method="fft")
    assert cv.conv(rng.standard_normal(100).astype(np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="planned for float32"):
        cv.conv(rng.standard_normal(100))
    with pytest.raises(TypeError, match="complex"):
        cv.conv(np.ones(100, np.complex64))
    cc = fftconv.Convolver(h32, 100, dtype=np.complex128, method="oa")
    y = cc.conv(rng.standard_normal(100))
    assert y.dtype == np.float64  # real inputs on a complex plan give real results
    np.testing.assert_allclose(cc.conv(np.ones(100) * 1j), 1j * np.convolve(np.ones(100), h32),
                               atol=1e-5)
    ld = fftconv.Convolver(np.ones(3, np.longdouble), 10)
    assert ld.method == "direct" and ld.conv(np.ones(10)).dtype == np.longdouble


def test_out_argument():
    rng = np.random.default_rng(0)
    h, x = rng.standard_normal(31), rng.standard_normal((2, 400))
    for method in ("direct", "fft", "oa"):
        cv = fftconv.Convolver(h, 400, method=method)
        out = np.empty((2, 430))
        assert cv.conv(x, out=out) is out
        np.testing.assert_allclose(out, cv.conv(x), atol=1e-12)
        strided = np.empty((2, 860))[:, ::2]
        cv.conv(x, out=strided)
        np.testing.assert_allclose(strided, out, atol=1e-12)
    ints = fftconv.Convolver(np.ones(3, int), 10, method="fft")
    o = np.empty(12, int)
    assert ints.conv(np.arange(10), out=o) is o and o.tolist() == np.convolve(
        np.arange(10), np.ones(3, int)).tolist()
    with pytest.raises(ValueError, match=r"out must have shape \(2, 430\) and dtype float64"):
        cv.conv(x, out=np.empty((2, 429)))
    with pytest.raises(ValueError, match="dtype float64"):
        cv.conv(x, out=np.empty((2, 430), np.float32))
    with pytest.raises(TypeError, match="out must be a numpy array"):
        cv.conv(x, out=[0.0] * 430)


def test_wrong_shape_message():
    cv = fftconv.Convolver(np.ones(3), 100)
    with pytest.raises(ValueError, match=r"x has shape \(99,\).*planned for signals of shape "
                                         r"\(100,\)"):
        cv.conv(np.ones(99))
    cv2 = fftconv.Convolver(np.ones((3, 3)), (20, 30))
    with pytest.raises(ValueError, match=r"\(2, 30, 20\)"):
        cv2.conv(np.ones((2, 30, 20)))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"kernel": "abc"}, TypeError, "kernel"),
    ({"kernel": np.ones(0)}, ValueError, "kernel cannot be empty"),
    ({"kernel": np.ones((2, 2))}, ValueError, "kernel has 2 dimension"),
    ({"shape_or_length": 0}, ValueError, "shape_or_length must be >= 1"),
    ({"shape_or_length": 2.5}, TypeError, "shape_or_length"),
    ({"shape_or_length": (10, "a")}, TypeError, "shape_or_length must hold integers"),
    ({"shape_or_length": ()}, ValueError, "at least one dimension"),
    ({"mode": "middle"}, ValueError, "mode='middle'"),
    ({"method": "fast"}, ValueError, "method='fast'"),
    ({"axes": 3}, ValueError, "axes"),
    ({"dtype": "U3"}, TypeError, "dtype must be a numeric dtype"),
    ({"dtype": "nonsense"}, TypeError, "dtype must be a numpy dtype"),
    ({"workers": 0}, ValueError, "workers"),
    ({"workers": 1.5}, TypeError, "workers"),
    ({"planner": "quick"}, ValueError, "planner='quick'"),
    ({"planning_timelimit": -1}, ValueError, "planning_timelimit=-1"),
    ({"planning_timelimit": "1s"}, TypeError, "planning_timelimit"),
    ({"correlate": 1}, TypeError, "correlate=1"),
    ({"dtype": object, "method": "fft"}, ValueError, "method='direct'"),
])
def test_validation(kwargs, exc, match):
    args = {"kernel": np.ones(5), "shape_or_length": 100, **kwargs}
    with pytest.raises(exc, match=match):
        fftconv.Convolver(**args)


def test_kernel_shape_on_non_convolved_axis():
    with pytest.raises(ValueError, match="on axis 0 .*must be 1 or the signal's"):
        fftconv.Convolver(np.ones((2, 5)), (3, 50), axes=1)


def test_valid_mode_needs_one_larger():
    with pytest.raises(ValueError, match="For 'valid' mode"):
        fftconv.Convolver(np.ones((5, 1)), (1, 5), mode="valid")


def test_pickle_replans():
    rng = np.random.default_rng(0)
    h, x = rng.standard_normal(101), rng.standard_normal(5000)
    cv = fftconv.Convolver(h, 5000, mode="same", method="oa", correlate=True)
    cv2 = pickle.loads(pickle.dumps(cv))
    assert cv2._oa_job is not cv._oa_job  # (1-D short blocks: the lean job, replanned)
    assert cv._oa_job is not None or cv2._oa_plans[0] is not cv._oa_plans[0]
    assert (cv2.method, cv2.mode, cv2.correlate, cv2._block) == ("oa", "same", True, cv._block)
    assert np.array_equal(cv2.conv(x), cv.conv(x))


def test_repr_shows_plan():
    cv = fftconv.Convolver(np.ones(10_000), 1_000_000)
    text = repr(cv)
    assert "'oa' (block" in text and "blocks)" in text and "predicted" in text
    assert "'fft' (FFT shape" in repr(fftconv.Convolver(np.ones(1500), 2000, method="fft"))


def test_auto_choices_pinned():
    assert fftconv.Convolver(np.ones(10_000), 1_000_000).method == "oa"
    assert fftconv.Convolver(np.ones(3), 1000).method == "direct"
    assert fftconv.Convolver(np.ones(1500), 2000).method == "fft"
    assert fftconv.Convolver(np.ones((9, 9)), (256, 256)).method in ("fft", "oa")
    # block lengths avoid odd sizes, where FFTW's real transforms are slow
    cv = fftconv.Convolver(np.ones(10_000), 1_000_000)
    assert cv._block % convolver_mod.BLOCK_MULTIPLE == 0


@pytest.mark.parametrize("method", ["fft", "oa"])
def test_no_planning_and_no_kernel_fft_per_call(method, monkeypatch):
    """Prove the fast path: after construction, calls neither plan nor transform the kernel."""
    rng = np.random.default_rng(0)
    h, x = rng.standard_normal(200), rng.standard_normal(20_000)
    cv = fftconv.Convolver(h, 20_000, method=method)
    expected = cv.conv(x)

    def boom(*args, **kwargs):
        raise AssertionError("planned or transformed per call")

    monkeypatch.setattr(convolver_mod, "_new_plan", boom)
    monkeypatch.setattr(scipy.fft, "rfftn", boom)
    monkeypatch.setattr(fftconv._plans, "acquire", boom)
    assert np.array_equal(cv.conv(x), expected)
    assert np.array_equal(cv(x), expected)


def test_measure_planner_runs():
    rng = np.random.default_rng(0)
    h, x = rng.standard_normal(31), rng.standard_normal(512)
    cv = fftconv.Convolver(h, 512, method="fft", planner="measure", planning_timelimit=1.0)
    np.testing.assert_allclose(cv.conv(x), np.convolve(x, h), atol=1e-12)


@pytest.mark.parametrize("method", ["auto", "fft", "oa", "direct"])
def test_nonfinite_samples_stay_local(method):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3000))
    x[0, 1500] = np.nan
    x[1, 10] = np.inf
    h = rng.standard_normal(101)
    cv = fftconv.Convolver(h, 3000, mode="same", method=method)
    got = cv(x)
    for b in range(2):
        want = fftconv.convolve(x[b], h, mode="same")
        np.testing.assert_array_equal(np.isnan(got[b]), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got[b]), np.isinf(want))
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[b][fin], want[fin], atol=1e-10)


def test_nonfinite_kernel_is_refused():
    with pytest.raises(ValueError, match="kernel has NaN"):
        fftconv.Convolver(np.array([1.0, np.inf, 2.0]), 100)


@pytest.mark.parametrize("method", ["fft", "oa"])
def test_out_may_be_the_input(method):
    rng = np.random.default_rng(1)
    h = rng.standard_normal(129)
    cv = fftconv.Convolver(h, 20_000, mode="same", method=method)
    x = rng.standard_normal(20_000)
    want = fftconv.convolve(x, h, mode="same")
    got = cv(x, out=x)
    assert got is x
    np.testing.assert_allclose(x, want, atol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same"])
def test_direct_keeps_nan_where_the_kernel_is_larger_on_one_axis(mode):
    # the signal then plays the weights of scipy.ndimage, which would drop NaN weights
    rng = np.random.default_rng(0)
    k = rng.standard_normal((30, 2))
    x = rng.standard_normal((5, 5))
    x[1, 1] = np.nan
    got = fftconv.Convolver(k, (5, 5), mode=mode, method="direct")(x)
    want = fftconv.convolve(x, k, mode=mode)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_short_blocks_run_on_the_lean_job(make, dtype, mode):
    # 1-D with short blocks: batched through the lean engine's job (fewer Python
    # steps per block), with the kernel spectrum computed once when planned
    x, h = make((5, 100_000), dtype), make(301, dtype)
    cv = fftconv.Convolver(h, 100_000, mode=mode, method="oa")
    assert cv._oa_job is not None
    got = cv(x)
    for b in (0, 4):
        ref = scipy.signal.convolve(x[b], h, mode=mode, method="direct")
        np.testing.assert_allclose(got[b], ref, rtol=0, atol=_tol(dtype, 100_301, x[b], h))
    np.testing.assert_array_equal(cv(x[2]), got[2])  # one signal; the spectrum reused
    out = np.empty_like(got)
    assert cv(x, out=out) is out
    np.testing.assert_array_equal(out, got)
    y = x.copy()
    y[1, 700] = np.nan  # NaN stays local, as on the other paths
    bad = cv(y)
    want = np.convolve(np.isnan(y[1]).astype(float), np.ones(301), mode) > 0
    np.testing.assert_array_equal(np.isnan(bad[1]), want)
    np.testing.assert_array_equal(bad[0], got[0])


def test_overflowing_spectra_are_rescaled():
    # finite inputs whose FFT overflows: inf only where the direct sum overflows
    kk = np.full(301, 1e-3 / 301)
    cv = fftconv.Convolver(kk, 20_000, mode="same", method="oa")
    assert cv._oa_job is not None
    x = np.full((2, 20_000), 1e307)
    x[0] = 1
    got = cv(x)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[1, 5000], 1e304, rtol=1e-9)
    np.testing.assert_allclose(got[0, 5000], 1e-3, rtol=1e-9)
    np.testing.assert_array_equal(cv(x[0]), got[0])  # the kernel's spectrum is back
    x32 = np.full(20_000, 1e37, np.float32)
    cv32 = fftconv.Convolver(kk.astype(np.float32), 20_000, mode="same", method="oa")
    assert np.isfinite(cv32(x32)).all()
