"""The strip engine for images (fftconv._strips): correctness on every window."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, make_array
from reference import assert_close, ref_convolve, tolerance

import fftconv
from fftconv import _plans, _strips
from fftconv._dispatch import _windows

pytestmark = pytest.mark.skipif(not _plans.fftw_available(), reason="needs pyfftw")


def _run(x, h, mode, T0, P1=None, dtype=np.float64):
    w = _windows(mode, x.shape, h.shape, [0, 1], 2)
    if P1 is None:
        P1 = _strips.circular_len(max(x.shape[1], h.shape[1]), min(x.shape[1], h.shape[1]),
                                  w[1])
    return _strips.convolve_window(x, h, [0, 1], w, work_dtype=np.dtype(dtype), workers=1,
                                   strips=(T0, P1))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize(("xs", "hs", "T0"), [
    ((40, 50), (3, 3), 8), ((40, 50), (5, 9), 16), ((37, 23), (7, 4), 7),
    ((64, 64), (31, 31), 64), ((20, 30), (20, 30), 32), ((100, 7), (9, 7), 16),
    ((9, 60), (4, 20), 5),
])
def test_matches_reference_on_every_window(mode, xs, hs, T0, rng):
    x, h = rng.standard_normal(xs), rng.standard_normal(hs)
    got = _run(x, h, mode, T0)
    assert_close(got, ref_convolve(x, h, mode), tolerance(np.float64, T0 * 2 * xs[1], x, h),
                 dtype=np.float64)


@pytest.mark.parametrize("extra", [0, 1, 7, 64])
def test_any_row_length_at_least_the_bound(extra, rng):
    x, h = rng.standard_normal((30, 41)), rng.standard_normal((5, 11))
    w = _windows("same", x.shape, h.shape, [0, 1], 2)
    P1 = _strips.circular_len(41, 11, w[1]) + extra
    got = _run(x, h, "same", 16, P1)
    assert_close(got, ref_convolve(x, h, "same"), tolerance(np.float64, 16 * P1, x, h))


def test_bound_is_tight(rng):
    # one sample shorter than the bound and wrap-around reaches the window
    x, h = rng.standard_normal((20, 41)), rng.standard_normal((3, 11))
    w = _windows("same", x.shape, h.shape, [0, 1], 2)
    P1 = _strips.circular_len(41, 11, w[1])
    with pytest.raises(ValueError, match="too short"):
        _run(x, h, "same", 8, P1 - 1)


def test_strip_shorter_than_kernel_is_refused(rng):
    with pytest.raises(ValueError, match="strip height 4"):
        _run(rng.standard_normal((30, 30)), rng.standard_normal((5, 5)), "full", 4)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_dtypes(dtype, rng):
    x, h = make_array(rng, (50, 70), dtype), make_array(rng, (7, 5), dtype)
    got = fftconv.convolve(x, h, "same", method="oa")
    assert_close(got, ref_convolve(x, h, "same"), tolerance(dtype, 64 * 128, x, h), dtype=dtype)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_pixels_stay_local(bad, rng):
    # the engine spots them for free and hands back to the path that keeps them local
    img, ker = rng.standard_normal((300, 300)), rng.standard_normal((9, 9))
    assert "strips" in fftconv.plan(img.shape, ker.shape, mode="same").params
    img[100, 200] = bad
    y = fftconv.convolve(img, ker, "same")
    assert (~np.isfinite(y)).sum() == 81
    assert np.isfinite(y[:96]).all() and np.isfinite(y[105:]).all()
    w = _windows("same", img.shape, ker.shape, [0, 1], 2)
    plan = fftconv.plan(img.shape, ker.shape, mode="same").params["strips"]
    assert _strips.convolve_window(img, ker, [0, 1], w, work_dtype=np.dtype(np.float64),
                                   workers=1, strips=plan, detect_nonfinite=True) is None


def test_nonfinite_kernel_detected(rng):
    img, ker = rng.standard_normal((300, 300)), rng.standard_normal((9, 9))
    ker[4, 4] = np.nan
    assert np.isnan(fftconv.convolve(img, ker, "same")).all()


def test_inputs_not_modified_and_results_fresh(rng):
    img, ker = rng.standard_normal((200, 200)), rng.standard_normal((15, 15))
    i0, k0 = img.copy(), ker.copy()
    a = fftconv.convolve(img, ker, "same")
    b = fftconv.convolve(img, 2 * ker, "same")
    np.testing.assert_array_equal(img, i0)
    np.testing.assert_array_equal(ker, k0)
    np.testing.assert_allclose(b, 2 * a, rtol=1e-12, atol=1e-12)


def test_non_2d_is_refused(rng):
    x = rng.standard_normal((4, 4, 4))
    with pytest.raises(ValueError, match="2-D"):
        _strips.convolve_window(x, x, [0, 1, 2], [(0, 7)] * 3, work_dtype=np.dtype("f8"),
                                workers=1, strips=(8, 8))


def test_public_functions_use_strips_and_match_scipy(rng):
    import scipy.signal

    img, ker = rng.standard_normal((256, 300)), rng.standard_normal((21, 13))
    for mode in ("full", "same", "valid"):
        want = scipy.signal.convolve(img, ker, mode)
        np.testing.assert_allclose(fftconv.convolve(img, ker, mode), want, atol=1e-10)
        np.testing.assert_allclose(fftconv.convolve2d(img, ker, mode), want, atol=1e-10)
        np.testing.assert_allclose(fftconv.correlate(img, ker, mode),
                                   scipy.signal.correlate(img, ker, mode), atol=1e-10)
