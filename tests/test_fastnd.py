"""The lean N-D one-FFT path (fftconv/_fastnd.py): remembered shapes on cached jobs."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import assert_close, failures_in_threads, ref_convolve, tolerance

import fftconv
from fftconv import _plans, _strategy

pytestmark = pytest.mark.skipif(not _plans.fftw_available(), reason="needs pyfftw")


def _fastnd():
    import fftconv._fastnd

    return fftconv._fastnd


def _pair(rng, s1, s2, dtype):
    x, h = rng.standard_normal(s1), rng.standard_normal(s2)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(s1)
        h = h + 1j * rng.standard_normal(s2)
    return x.astype(dtype), h.astype(dtype)


CASES = [((9, 16), (7, 4), "same", None), ((11, 52), (5, 10), "full", None),
         ((6, 5, 10), (1, 4, 2), "same", None), ((5, 13, 20), (2, 3, 3), "valid", None),
         ((3, 5), (30, 50), "valid", None),  # swapped: in2 is the larger
         ((4, 300), (1, 20), "same", 1), ((4, 300), (4, 20), "full", [-1]),
         ((7, 40, 30), (1, 6, 5), "same", (1, 2))]


@pytest.mark.parametrize("name", ["fftconvolve", "oaconvolve"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("s1, s2, mode, axes", CASES, ids=str)
def test_second_call_takes_the_job_and_matches_scipy(name, dtype, s1, s2, mode, axes, rng):
    x, h = _pair(rng, s1, s2, dtype)
    x0, h0 = x.copy(), h.copy()
    fn = getattr(fftconv, name)
    first = fn(x, h, mode, axes=axes)
    ax = axes if axes is None or isinstance(axes, int) else tuple(axes)
    key = (name, s1, s2, mode, ax, x.dtype.char, h.dtype.char)
    assert key in _fastnd()._seen  # every case here runs one FFT
    again = fn(x, h, mode, axes=axes)
    want = getattr(scipy.signal, name)(x, h, mode, axes=axes)
    assert again.dtype == want.dtype and again.shape == want.shape
    np.testing.assert_allclose(again, first, rtol=0, atol=0)  # the same transforms
    scale = np.abs(x).sum() * np.abs(h).max()
    assert np.abs(again - want).max() <= 50 * np.finfo(dtype).eps * scale
    again[...] = 0  # a fresh array each call
    np.testing.assert_array_equal(fn(x, h, mode, axes=axes), first)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(h, h0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_inputs_take_the_general_path(bad, rng):
    x, h = _pair(rng, (12, 30), (3, 4), "float64")
    fftconv.fftconvolve(x, h)  # remembered
    x2 = x.copy()
    x2[6, 10] = bad
    got = fftconv.fftconvolve(x2, h)
    want = scipy.signal.convolve(x2, h, method="direct")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], atol=1e-12)
    # a batch of its own: the other batches' zero-frequency bins are finite
    xb, hb = _pair(rng, (4, 300), (1, 20), "float64")
    fftconv.fftconvolve(xb, hb, axes=1)
    xb[2, 7] = bad
    got = fftconv.fftconvolve(xb, hb, axes=1)
    assert np.isfinite(got[[0, 1, 3]]).all()
    assert not np.isfinite(got[2, 7:27]).any() and np.isfinite(got[2, :7]).all()


def test_overflow_takes_the_general_path():
    x = np.full((8, 8), 1e200)
    h = np.full((2, 2), 1e200)
    fftconv.fftconvolve(np.ones((8, 8)), np.ones((2, 2)))  # remembered shape
    got = fftconv.fftconvolve(x, h)
    assert np.isposinf(got).all()  # every true value overflows: +inf, never NaN


def test_convolve_remembers_its_fft_shapes(rng):
    _strategy._reset()
    x, h = _pair(rng, (40, 60), (9, 11), "float64")
    p = fftconv.plan(x.shape, h.shape, mode="full")
    first = fftconv.convolve(x, h)
    key = ("convolve", x.shape, h.shape, "full", None, "d", "d")
    assert (key in _fastnd()._seen) == (p.method == "fft")
    assert_close(fftconv.convolve(x, h), ref_convolve(x, h, "full"),
                 tolerance(np.float64, 100 * 80, x, h))
    np.testing.assert_array_equal(fftconv.convolve(x, h), first)
    # correlate, explicit methods and workers are not remembered
    _fastnd().forget()
    fftconv.correlate(x, h)
    fftconv.convolve(x, h, method="fft")
    fftconv.convolve(x, h, workers=1)
    assert not any(k[0] == "convolve" for k in _fastnd()._seen)


def test_calibration_reset_forgets_and_clear_cache_frees(rng):
    x, h = _pair(rng, (20, 30), (5, 5), "float32")
    fftconv.fftconvolve(x, h)
    assert _fastnd()._seen
    _strategy._reset()
    assert not _fastnd()._seen
    fftconv.fftconvolve(x, h)
    fftconv.fftconvolve(x, h)
    fftconv.clear_cache()
    np.testing.assert_allclose(fftconv.fftconvolve(x, h), scipy.signal.fftconvolve(x, h),
                               atol=1e-4)


def test_other_planner_or_measured_winners_skip_the_job(rng, monkeypatch):
    from fftconv import _measure

    x, h = _pair(rng, (20, 30), (5, 5), "float64")
    key = ("fftconvolve", (20, 30), (5, 5), "full", None, "d", "d")
    fftconv.fftconvolve(x, h)
    calls = []
    monkeypatch.setattr(_fastnd()._NDJob, "run", lambda self, a, b: calls.append(1))
    with fftconv.set_planner("measure"):  # a job planned under another effort
        assert _fastnd().run(key, x, h) is None and not calls
    monkeypatch.setattr(_measure, "_winners", {"x": 1})
    assert _fastnd().run(key, x, h) is None and not calls
    monkeypatch.setattr(_measure, "_winners", {})
    assert _fastnd().run(key, x, h) is None and calls  # the (patched) job ran


def test_concurrent_calls_share_no_buffers(rng):
    xs = [_pair(rng, (16, 40), (3, 5), "float64") for _ in range(4)]
    wants = [scipy.signal.fftconvolve(x, h) for x, h in xs]
    fftconv.fftconvolve(*xs[0])
    assert not failures_in_threads(
        lambda i: np.allclose(fftconv.fftconvolve(*xs[i]), wants[i], atol=1e-10), 4, 50)


@settings(max_examples=40, deadline=None)
@given(s1=st.lists(st.integers(1, 12), min_size=2, max_size=3),
       s2=st.lists(st.integers(1, 6), min_size=3, max_size=3),
       mode=st.sampled_from(["full", "same", "valid"]),
       dtype=st.sampled_from(["float32", "float64", "complex128"]))
def test_remembered_shapes_agree_with_scipy(s1, s2, mode, dtype):
    s2 = s2[:len(s1)]
    if mode == "valid" and not (all(a >= b for a, b in zip(s1, s2))
                                or all(a <= b for a, b in zip(s1, s2))):
        return
    rng = np.random.default_rng(sum(s1) * 7 + sum(s2))
    x, h = _pair(rng, tuple(s1), tuple(s2), dtype)
    want = scipy.signal.fftconvolve(x, h, mode)
    for _ in range(2):
        got = fftconv.fftconvolve(x, h, mode)
        assert got.shape == want.shape and got.dtype == want.dtype
        scale = np.abs(x).sum() * np.abs(h).max() + 1
        assert np.abs(got - want).max() <= 100 * np.finfo(dtype).eps * scale


def test_keys_only_for_plain_ndarray_calls():
    from fftconv._lean import _nd_key, _seen_nd

    a, b = np.ones((4, 4)), np.ones((2, 2))
    assert _nd_key("fftconvolve", a, b, "full", None, None) is not None
    assert _nd_key("fftconvolve", a, b, "full", [0, 1], None)[4] == (0, 1)
    for args in ((a.tolist(), b), (a[0], b[0]), (np.ma.array(a), b)):
        assert _nd_key("fftconvolve", *args, "full", None, None) is None
    assert _nd_key("fftconvolve", a, b, "full", None, 2) is None  # workers given
    assert _nd_key("fftconvolve", a, b, "full", np.array([0]), None) is None
    assert _seen_nd(None, a, b) is None


def test_object_arrays_are_not_remembered(rng):
    """An object array's working dtype depends on its values: no cached job."""
    x = rng.standard_normal((12, 16)).astype(object)
    h = rng.standard_normal((3, 4)).astype(object)
    fftconv.fftconvolve(x, h)
    fftconv.fftconvolve(x, h)
    got = fftconv.fftconvolve(x * 1j, h)
    assert got.dtype == np.complex128
    want = scipy.signal.fftconvolve((x * 1j).astype(complex), h.astype(float))
    np.testing.assert_allclose(got, want, atol=1e-12)
