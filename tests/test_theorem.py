"""Tests for fftconv.theorem: circular convolution, padding, spectra, the theorem, integrals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
from hypothesis import given, settings
from hypothesis import strategies as st

from fftconv import theorem


def _tol(x, h, dtype=np.float64, k=20):
    n = np.size(x) + np.size(h)
    return (k * np.finfo(dtype).eps * max(math.log2(n), 1.0)
            * np.linalg.norm(np.ravel(x), 1) * np.linalg.norm(np.ravel(h), 1))


def _circular_reference(x, h, n):
    """Naive O(n^2) circular convolution of the inputs folded onto n samples."""
    xw = np.zeros(n, np.result_type(x, h, float))
    hw = np.zeros(n, xw.dtype)
    for i, v in enumerate(x):
        xw[i % n] += v
    for i, v in enumerate(h):
        hw[i % n] += v
    return np.array([sum(xw[j] * hw[(k - j) % n] for j in range(n)) for k in range(n)])


# --------------------------------------------------------------------------- lengths


def test_linear_length_and_padding():
    assert theorem.linear_length(6, 6) == 11
    assert theorem.linear_length(1, 1) == 1
    assert theorem.padded_length(1000, 37, fast=False) == 1036
    fast = theorem.padded_length(1000, 37)
    assert fast >= 1036 and max(p for p in (2, 3, 5, 7, 11) if fast % p == 0) <= 11


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-3, ValueError), (2.0, TypeError),
                                      (True, TypeError), ("5", TypeError)])
def test_linear_length_refuses(bad, exc):
    with pytest.raises(exc, match="n"):
        theorem.linear_length(bad, 3)


def test_zero_pad():
    np.testing.assert_array_equal(theorem.zero_pad([1, 2, 3], 5), [1, 2, 3, 0, 0])
    out = theorem.zero_pad(np.ones((2, 3)), 4, axis=0)
    assert out.shape == (4, 3) and out[2:].sum() == 0
    with pytest.raises(ValueError, match="length must be at least"):
        theorem.zero_pad([1, 2, 3], 2)


@pytest.mark.parametrize("size, n", [(7, 3), (3, 7), (1, 1), (12, 4), (13, 1)])
def test_wrap_sums_modulo_n(size, n):
    x = np.arange(size) + 1
    expected = np.zeros(n, int)
    for i, v in enumerate(x):
        expected[i % n] += v
    np.testing.assert_array_equal(theorem.wrap(x, n), expected)


# --------------------------------------------------------------------------- circular convolution


# adversarial: n below, at and above the linear length; 1-element inputs; prime sizes
@pytest.mark.parametrize("nx, nh, n", [(8, 3, None), (8, 3, 10), (8, 3, 5), (1, 1, 1),
                                        (13, 17, 29), (13, 17, 7), (5, 1, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_circular_convolve_matches_reference(nx, nh, n, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(nx).astype(dtype)
    h = rng.standard_normal(nh).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(nx)
        h = h + 1j * rng.standard_normal(nh)
    got = theorem.circular_convolve(x, h, n)
    ref = _circular_reference(x.astype(np.complex128), h.astype(np.complex128),
                              n or max(nx, nh))
    assert got.dtype == (np.float32 if dtype == np.float32 else dtype)
    eps_dtype = np.float32 if dtype == np.float32 else np.float64
    np.testing.assert_allclose(got, ref if got.dtype.kind == "c" else ref.real,
                               atol=_tol(x, h, eps_dtype), rtol=0)


def test_circular_is_wrapped_linear():
    import fftconv

    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(40), rng.standard_normal(9)
    for n in (9, 20, 47, 48, 64):
        np.testing.assert_allclose(theorem.circular_convolve(x, h, n),
                                   theorem.wrap(fftconv.convolve(x, h), n),
                                   atol=_tol(x, h), rtol=0)


def test_circular_convolve_axes_and_2d():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 16))
    h = rng.standard_normal((1, 4))
    got = theorem.circular_convolve(x, h, 16, axes=1)
    for row in range(3):
        np.testing.assert_allclose(got[row], _circular_reference(x[row], h[0], 16).real,
                                   atol=_tol(x, h), rtol=0)
    img, k = rng.standard_normal((6, 5)), rng.standard_normal((2, 3))
    got2 = theorem.circular_convolve(img, k, (7, 7))
    import fftconv

    np.testing.assert_allclose(got2, fftconv.convolve(img, k), atol=_tol(img, k), rtol=0)


def test_circular_convolve_refuses():
    with pytest.raises(ValueError, match="dimensionality"):
        theorem.circular_convolve(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="one length per convolved axis"):
        theorem.circular_convolve(np.ones((2, 2)), np.ones((2, 2)), n=(2, 2, 2))
    with pytest.raises(ValueError, match="n must be >= 1"):
        theorem.circular_convolve([1.0], [1.0], n=0)


# --------------------------------------------------------------------------- spectrum


def test_spectrum_peak_and_sides():
    fs = 200.0
    t = np.arange(400) / fs
    s = theorem.spectrum(np.cos(2 * np.pi * 25 * t), fs=fs)
    assert s.freqs[0] == 0 and s.freqs[-1] == fs / 2
    assert s.freqs[np.argmax(s.magnitude)] == 25
    z = np.exp(2j * np.pi * -30 * t)
    sz = theorem.spectrum(z, fs=fs)
    assert np.all(np.diff(sz.freqs) > 0) and sz.freqs[np.argmax(sz.magnitude)] == -30
    np.testing.assert_allclose(sz.phase[np.argmax(sz.magnitude)], 0, atol=1e-9)
    assert theorem.spectrum(np.ones(10), n=32).values.size == 17


@pytest.mark.parametrize("kw, match", [({"fs": 0}, "fs must be"), ({"fs": np.nan}, "fs must be"),
                                       ({"n": 0}, "n must be")])
def test_spectrum_refuses(kw, match):
    with pytest.raises(ValueError, match=match):
        theorem.spectrum(np.ones(8), **kw)


def test_spectrum_refuses_2d_and_onesided_complex():
    with pytest.raises(ValueError, match="1-D"):
        theorem.spectrum(np.ones((2, 2)))
    with pytest.raises(ValueError, match="onesided"):
        theorem.spectrum(np.ones(4, complex), onesided=True)


# --------------------------------------------------------------------------- the theorem


def test_check_holds_and_shows_wraparound():
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(50), rng.standard_normal(11)
    full = theorem.check(x, h)
    assert full.n == (60,) and full.linear_length == (60,)
    assert full.holds and full.linear_ok
    np.testing.assert_allclose(full.circular, full.linear, atol=full.tolerance, rtol=0)
    for n in (59, 50, 30, 11):  # too short: the theorem holds, linear convolution does not
        short = theorem.check(x, h, n)
        assert short.holds and not short.linear_ok
        assert short.wraparound_error > 1e3 * short.tolerance
        np.testing.assert_allclose(short.circular, theorem.wrap(full.linear, n),
                                   atol=short.tolerance, rtol=0)
    longer = theorem.check(x, h, 64)  # longer than needed: still exact
    assert longer.linear_ok
    text = str(theorem.check(x, h, 50))
    assert "wrap-around" in text and "holds" in text


def test_check_complex_and_2d():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    r = theorem.check(x, [1, 2j, 3])
    assert r.holds and r.linear_ok and r.circular.dtype.kind == "c"
    r2 = theorem.check(rng.standard_normal((4, 5)), rng.standard_normal((3, 2)))
    assert r2.n == (6, 6) and r2.holds and r2.linear_ok
    assert not theorem.check(np.ones((4, 5)), np.ones((3, 2)), n=(6, 5)).linear_ok


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 90), st.integers(0, 2**32 - 1))
def test_check_theorem_always_holds(nx, nh, n, seed):
    rng = np.random.default_rng(seed)
    r = theorem.check(rng.standard_normal(nx), rng.standard_normal(nh), n)
    assert r.holds
    assert r.linear_ok == (n >= nx + nh - 1) or r.wraparound_error <= r.tolerance


def test_check_refuses_empty_and_mismatched():
    with pytest.raises(ValueError, match="empty"):
        theorem.check([], [1.0])
    with pytest.raises(ValueError, match="dimensionality"):
        theorem.check(np.ones((2, 2)), np.ones(3))


# --------------------------------------------------------------------------- continuous


RATE, K = 10.0, 0.1  # buns per hour; decay constant per hour


def test_buns_closed_form_and_quad():
    t = np.linspace(0, 24, 241)
    got = theorem.convolve_functions(lambda s: np.full_like(s, RATE),
                                     lambda s: np.exp(-K * s), t)
    exact = RATE / K * (1 - np.exp(-K * t))
    np.testing.assert_allclose(got, exact, rtol=1e-4, atol=1e-12)
    assert got[0] == 0
    # a varying production rate, against scipy.integrate.quad at t = 24
    f = lambda s: 5 + 4 * np.sin(np.pi * s / 12) ** 2  # noqa: E731
    g = lambda s: np.exp(-K * s)  # noqa: E731
    t = np.linspace(0, 24, 481)
    got = theorem.convolve_functions(f, g, t)
    for tk in (6.0, 12.05, 24.0):
        ref, _ = scipy.integrate.quad(lambda tau, tk=tk: f(tau) * g(tk - tau), 0, tk)
        k = int(round(tk / (t[1] - t[0])))
        np.testing.assert_allclose(got[k], ref, rtol=1e-4)


def test_convolve_functions_second_order():
    f = lambda s: np.sin(s) + 1.5  # noqa: E731
    g = lambda s: np.exp(-s) * np.cos(2 * s)  # noqa: E731
    errors = []
    for n in (101, 201, 401):
        t = np.linspace(0, 5, n)
        ref, _ = scipy.integrate.quad(lambda tau: f(tau) * g(5 - tau), 0, 5, epsabs=1e-13)
        errors.append(abs(theorem.convolve_functions(f, g, t)[-1] - ref))
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(3.5 < r < 4.5 for r in ratios), ratios


def test_convolve_functions_samples_and_offset_grid():
    t = np.linspace(2.0, 6.0, 401)  # functions that start at t[0] = 2
    f = lambda s: np.exp(-(s - 2.0))  # noqa: E731
    g = lambda s: np.ones_like(s)  # noqa: E731  g of the lag t - t[0]
    by_callable = theorem.convolve_functions(f, g, t)
    by_samples = theorem.convolve_functions(f(t), np.ones_like(t), t)
    np.testing.assert_array_equal(by_callable, by_samples)
    np.testing.assert_allclose(by_callable, 1 - np.exp(-(t - 2.0)), atol=2e-5)
    scalar = theorem.convolve_functions(lambda s: 1.0, lambda s: 2.0, t)  # scalars broadcast
    np.testing.assert_allclose(scalar, 2.0 * (t - 2.0), atol=1e-12)


@pytest.mark.parametrize("t, match", [
    (np.array([0.0]), "at least 2 points"),
    (np.ones((2, 2)), "1-D grid"),
    (np.array([0.0, 1.0, 3.0]), "uniformly spaced"),
    (np.array([3.0, 2.0, 1.0]), "increasing"),
    (np.array([0.0, np.inf]), "finite"),
])
def test_convolve_functions_refuses_bad_grids(t, match):
    with pytest.raises(ValueError, match=match):
        theorem.convolve_functions(np.ones(np.size(t)), np.ones(np.size(t)), t)


def test_convolve_functions_refuses_bad_samples():
    t = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="f must be a callable or samples on t"):
        theorem.convolve_functions(np.ones(4), np.ones(5), t)
    with pytest.raises(ValueError, match="g must return one value per grid point"):
        theorem.convolve_functions(np.ones(5), lambda s: np.ones(3), t)
    with pytest.raises(ValueError, match="non-finite"):
        theorem.convolve_functions(np.full(5, np.nan), np.ones(5), t)
    with pytest.raises(TypeError, match="t must be array_like"):
        theorem.convolve_functions(np.ones(5), np.ones(5), "grid")
