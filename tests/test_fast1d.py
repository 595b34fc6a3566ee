"""The lean 1-D path (fftconv._fast1d): cached FFT / overlap-save jobs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, make_array
from reference import assert_close, failures_in_threads, ref_convolve, ref_correlate, tolerance

import fftconv
from fftconv import _fast1d, _measure, _plans, _strategy

pytestmark = pytest.mark.skipif(not _plans.fftw_available(), reason="needs pyfftw")

SHAPES = [(1, 1), (5, 3), (3, 5), (64, 64), (1000, 31), (31, 1000), (997, 301),
          (4096, 17), (5000, 2000), (2000, 5000), (10_000, 3001)]


def _check(got, x, h, mode, *, correlate=False, n=None):
    want = (ref_correlate if correlate else ref_convolve)(x, h, mode)
    work = np.result_type(x, h)
    n = n or len(x) + len(h)
    assert_close(got, want, tolerance(work, n, x, h), dtype=work)


@pytest.mark.parametrize("method", ["fft", "oa"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", SHAPES)
def test_engines_match_reference(method, mode, shapes, rng):
    x, h = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    got = _fast1d.convolve(x, h, mode, method)
    if got is None:  # only 'same' with a longer kernel falls to numpy's direct sum
        assert method == "oa" or mode == "same"
        got = fftconv.convolve(x, h, mode, method=method)
    _check(got, x, h, mode)


@pytest.mark.parametrize("d1", FLOAT_DTYPES)
@pytest.mark.parametrize("d2", FLOAT_DTYPES)
@pytest.mark.parametrize("method", ["auto", "fft", "oa"])
def test_dtypes_follow_result_type(d1, d2, method, rng):
    x, h = make_array(rng, 3000, d1), make_array(rng, 200, d2)
    got = fftconv.convolve(x, h, "same", method=method)
    _check(got, x, h, "same")


@pytest.mark.parametrize("method", ["auto", "fft", "oa"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_correlate(method, mode, rng):
    x = make_array(rng, 5000, "complex128")
    h = make_array(rng, 700, "complex128")
    _check(fftconv.correlate(x, h, mode, method=method), x, h, mode, correlate=True)
    _check(fftconv.correlate(h, x, mode, method=method), h, x, mode, correlate=True)


@pytest.mark.parametrize("block", [64, 100, 256, 1000, 4096])
def test_forced_blocks_cover_every_edge(block, rng):
    x, h = rng.standard_normal(3001), rng.standard_normal(41)
    for mode in ("full", "same", "valid"):
        _check(_fast1d.convolve(x, h, mode, "oa", block=block), x, h, mode)


def test_block_too_short_for_the_kernel():
    with pytest.raises(ValueError, match="block=16"):
        _fast1d.convolve(np.ones(100), np.ones(20), "full", "oa", block=16)


def test_strided_inputs_are_read_not_modified(rng):
    base = rng.standard_normal(20_000)
    x, h = base[::-2], base[1:1202:3]
    x0, h0 = x.copy(), h.copy()
    for method in ("fft", "oa"):
        _check(_fast1d.convolve(x, h, "full", method), x0, h0, "full")
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(h, h0)


def test_results_are_fresh_arrays(rng):
    # results never share memory with the cached job buffers
    x, h = rng.standard_normal(5000), rng.standard_normal(300)
    for method in ("fft", "oa"):
        a = _fast1d.convolve(x, h, "full", method)
        a_copy = a.copy()
        b = _fast1d.convolve(2 * x, h, "full", method)
        np.testing.assert_array_equal(a, a_copy)
        np.testing.assert_allclose(b, 2 * a, rtol=1e-12, atol=1e-9)
        assert a.base is None or not np.shares_memory(a, b)


@pytest.mark.parametrize("method", ["fft", "oa"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_inputs_hand_back_to_the_general_path(method, bad, rng):
    x, h = rng.standard_normal(4000), rng.standard_normal(301)
    x[1234] = bad
    assert _fast1d.convolve(x, h, "full", method) is None
    assert _fast1d.convolve(h, x, "full", method) is None
    # the public function then gives the direct sum's footprint, and the job is clean
    y = fftconv.convolve(x, h, method=method)
    assert (~np.isfinite(y)).sum() == 301
    assert np.isfinite(y[:1234]).all() and np.isfinite(y[1234 + 301:]).all()
    x[1234] = 0.0
    _check(_fast1d.convolve(x, h, "full", method), x, h, "full")


def test_out_of_scope_inputs_return_none(rng):
    x = rng.standard_normal(100)
    assert _fast1d.convolve(x.astype(np.int64), x, "full") is None
    assert _fast1d.convolve(x.astype(np.float16), x, "full") is None
    assert _fast1d.convolve(x, x, "circular") is None
    assert _fast1d.convolve(x[:0], x, "full") is None


def test_large_problems_take_the_general_path(monkeypatch, rng):
    monkeypatch.setattr(_fast1d, "MAX_SAMPLES", 1000)
    x, h = rng.standard_normal(1001), rng.standard_normal(300)
    assert _fast1d.convolve(x, h, "full", "fft") is None
    _check(fftconv.convolve(x, h, method="fft"), x, h, "full")


def test_measured_winners_take_the_general_path(rng):
    x, h = rng.standard_normal(3000), rng.standard_normal(300)
    try:
        fftconv.choose_conv_method(x, h, measure=True)
        assert _fast1d.convolve(x, h, "full") is None
        _check(fftconv.convolve(x, h), x, h, "full")
    finally:
        _measure.forget()
    assert _fast1d.convolve(x, h, "full") is not None


def test_measure_planner_leaves_clean_buffers(rng):
    # FFTW_MEASURE scribbles on the arrays it plans with: padding must be re-zeroed
    _fast1d.forget()
    x, h = rng.standard_normal(1500), rng.standard_normal(100)
    with fftconv.set_planner("measure"):
        for method in ("fft", "oa"):
            _check(_fast1d.convolve(x, h, "full", method), x, h, "full")


def test_the_job_pool_is_bounded(monkeypatch, rng):
    _fast1d.forget()
    monkeypatch.setattr(_fast1d, "MAX_JOBS", 4)
    h = rng.standard_normal(7)
    for n in range(200, 230):
        _fast1d.convolve(rng.standard_normal(n), h, "full", "fft")
    assert sum(len(v) for v in _fast1d._pool.values()) == _fast1d._pool_count <= 4
    assert _fast1d._pool_bytes == sum(j.nbytes for v in _fast1d._pool.values() for j in v)
    _fast1d.forget()
    assert not _fast1d._pool and _fast1d._pool_bytes == 0


def test_calibration_reset_drops_cached_decisions(rng):
    x, h = rng.standard_normal(2000), rng.standard_normal(100)
    fftconv.convolve(x, h)
    assert _fast1d._decisions
    _strategy._reset()
    assert not _fast1d._decisions


@pytest.mark.parametrize("method", ["fft", "oa"])
def test_concurrent_calls_share_no_buffers(method):
    # each thread checks a job out for itself: no torn results
    rng = np.random.default_rng(1)
    h = rng.standard_normal(257)
    xs = [rng.standard_normal(6000) for _ in range(4)]
    want = [np.convolve(x, h) for x in xs]
    assert not failures_in_threads(lambda i: np.allclose(
        fftconv.convolve(xs[i], h, method=method), want[i], rtol=1e-9, atol=1e-9), 4, 30)


def test_circular_length_pads_only_what_the_window_needs():
    # 'same' and 'valid' need shorter transforms than 'full'
    full = _strategy.lean_fft_len(10_000, 5_001, (0, 15_000), dtype=np.float64)
    same = _strategy.lean_fft_len(10_000, 5_001, (2_500, 12_500), dtype=np.float64)
    valid = _strategy.lean_fft_len(10_000, 5_001, (5_000, 10_000), dtype=np.float64)
    assert valid <= same < full
    assert same >= 12_500 and valid >= 10_000 and full >= 15_000


@pytest.mark.parametrize("shift", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_blocks_read_in_place_or_from_an_aligned_copy(shift, dtype, rng):
    # views starting at any element: read in place when aligned, copied otherwise
    base = make_array(rng, 30_000 + shift, dtype)
    x, h = base[shift:], make_array(rng, 33, dtype)
    for mode in ("full", "same", "valid"):
        _check(_fast1d.convolve(x, h, mode, "oa", block=512), x, h, mode)


def test_clear_cache_frees_jobs_and_plans(rng):
    fftconv.convolve(rng.standard_normal(5000), rng.standard_normal(300))
    fftconv.convolve(rng.standard_normal((300, 300)), rng.standard_normal((9, 9)), "same")
    assert _fast1d._pool
    fftconv.clear_cache()
    assert not _fast1d._pool and _fast1d._pool_bytes == 0
    assert _plans.cache_info()["plans"] == 0


def test_small_direct_shapes_are_remembered(rng):
    x, h = rng.standard_normal(500), rng.standard_normal(5)
    _strategy._reset()
    want = np.convolve(x, h)
    np.testing.assert_array_equal(fftconv.convolve(x, h), want)
    assert (500, 5, "full", "d", "d") in _strategy.DIRECT_1D
    np.testing.assert_array_equal(fftconv.convolve(x, h), want)  # the remembered path
    np.testing.assert_array_equal(fftconv.correlate(x, h), np.correlate(x, h, "full"))
    with pytest.raises(ValueError, match="workers"):
        fftconv.convolve(x, h, workers=0)  # still validated
    _strategy._reset()
    assert not _strategy.DIRECT_1D


def test_read_only_byte_swapped_and_memmapped_inputs(rng, tmp_path):
    x, h = rng.standard_normal(20_000), rng.standard_normal(101)
    ro = x.copy()
    ro.setflags(write=False)
    swapped = x.astype(">f8")
    mm = np.memmap(tmp_path / "x.bin", dtype=np.float64, mode="w+", shape=x.shape)
    mm[:] = x
    mm.flush()
    ro_mm = np.memmap(tmp_path / "x.bin", dtype=np.float64, mode="r", shape=x.shape)
    for arr in (ro, swapped, ro_mm):
        for method in ("auto", "fft", "oa"):
            _check(fftconv.convolve(arr, h, method=method), x, h, "full")
    del mm, ro_mm


def test_views_at_any_byte_offset(rng):
    # aligned for their dtype but not to 16 bytes: copied, never refused by FFTW
    h = rng.standard_normal(101)
    c = rng.standard_normal(2 * 100_000 + 1)[1:].view(np.complex128)  # 8 mod 16
    g = np.zeros(200_001, np.float32)[1:].view(np.float64)  # 4 mod 8
    g[:] = rng.standard_normal(g.size)
    raw = rng.standard_normal(50_000).tobytes()
    wav = np.frombuffer(b"\0" * 44 + raw, dtype=np.float64, offset=44)  # a WAV header
    for x in (c, g, wav):
        for mode in ("full", "same", "valid"):
            _check(fftconv.convolve(x, h, mode), x, h, mode)
            _check(_fast1d.convolve(x, h, mode, "oa", block=512), x, h, mode)


def test_jobs_do_not_keep_inputs_alive(rng):
    import gc
    import weakref

    x, h = rng.standard_normal(2**18), rng.standard_normal(301)
    fftconv.convolve(x, h, "valid", method="oa")
    x.resize(1000, refcheck=True)  # no plan holds a view of it any more
    y = rng.standard_normal(2**18)
    ref = weakref.ref(y)
    fftconv.convolve(y, h, "valid", method="oa")
    del y
    gc.collect()
    assert ref() is None


def test_block_applies_to_overlap_save_only(rng):
    x, h = rng.standard_normal(1000), rng.standard_normal(1000)
    assert _fast1d.convolve(x, h, "full", "fft", block=1200).shape == (1999,)
    _check(_fast1d.convolve(x, h, "same", "fft", block=1200), x, h, "same")


@pytest.mark.parametrize("inplace", [True, False])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fft_job_in_and_out_of_place(inplace, dtype, monkeypatch, rng):
    monkeypatch.setattr(_fast1d, "INPLACE_MIN", 1 if inplace else 2**40)
    monkeypatch.setattr(_fast1d, "INPLACE_MAX_SMALL", 0)
    _fast1d.forget()
    x, h = make_array(rng, 3001, dtype), make_array(rng, 700, dtype)
    job = _fast1d._FFTJob(3001, 700, 4096, (0, 3700), np.dtype(dtype), 1, "estimate")
    assert job.inplace == (inplace and np.dtype(dtype) == np.float64)
    for mode in ("full", "same", "valid"):
        for _ in range(2):  # the second call reuses the job: padding must be clean again
            _check(_fast1d.convolve(x, h, mode, "fft"), x, h, mode)
            _check(_fast1d.convolve(h, x, mode, "fft"), h, x, mode)
    bad = x.copy()
    bad[5] = np.nan
    assert _fast1d.convolve(bad, h, "full", "fft") is None
    _check(_fast1d.convolve(x, h, "full", "fft"), x, h, "full")
    _fast1d.forget()


# ------------------------------------------- fftconvolve / oaconvolve on the lean path


@pytest.mark.parametrize("name", ["fftconvolve", "oaconvolve"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [(123, 134), (11, 7), (7, 11), (5260, 10), (20_000, 301)])
@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_fft_family_1d_takes_the_lean_path(name, mode, shapes, dtype, rng, monkeypatch):
    import scipy.signal as ss

    x, h = make_array(rng, shapes[0], dtype), make_array(rng, shapes[1], dtype)
    seen = []
    real = _fast1d.convolve
    monkeypatch.setattr(_fast1d, "convolve", lambda *a, **k: seen.append(a[3]) or real(*a, **k))
    got = getattr(fftconv, name)(x, h, mode)
    assert seen == ["fftoa"]
    want = getattr(ss, name)(x, h, mode)
    assert got.dtype == want.dtype and got.shape == want.shape
    _check(got, x, h, mode)


def test_fft_family_1d_lean_path_keeps_the_general_rules(rng):
    x, h = rng.standard_normal(300), rng.standard_normal(20)
    x[100] = np.nan  # NaN stays local (the general path's footprint)
    y = fftconv.fftconvolve(x, h)
    assert np.isnan(y).sum() == 20 and np.isnan(y[100:120]).all()
    # one-sample inputs are an exact product, as in scipy
    assert fftconv.fftconvolve(np.array([3.0]), np.array([0.1])).tolist() == [3.0 * 0.1]
    with pytest.raises(ValueError, match="axes exceeds"):
        fftconv.fftconvolve(x, h, axes=1)
    with pytest.raises(ValueError, match="Acceptable mode"):
        fftconv.oaconvolve(x, h, mode="nope")
