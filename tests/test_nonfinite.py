"""NaN and infinity: the same footprint on every engine, as the direct sum's.

The reference is the textbook sum written in pure Python over the terms that
exist (``out[i + j] += x[i] * h[j]``), so ``inf * 0`` is NaN, ``inf + -inf``
is NaN and everything a non-finite sample does not touch stays finite. Every
engine ('direct', 'fft', 'oa', 'auto') must put NaN, +inf and -inf exactly
where that sum does, and agree with it on the finite samples to the usual
dtype-derived tolerance.

Complex inputs: Python (and numpy) multiply ``(inf + 0j) * (1 + 0j)`` to
``inf + nanj``, and whether a part comes out inf or NaN depends on the
multiplication formula, so for complex results only the finite/non-finite
pattern and the finite values are compared.

Integers never hold NaN; they are checked to be exact on every engine.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from reference import tolerance

import fftconv

ENGINES = ("direct", "fft", "oa", "auto")
FUNCS = {"convolve": fftconv.convolve, "correlate": fftconv.correlate}


def naive(x: np.ndarray, h: np.ndarray, mode: str, *, correlate: bool) -> np.ndarray:
    """Pure-Python sum over existing terms, then scipy's crop for ``mode``."""
    if correlate:
        h = h[(slice(None, None, -1),) * h.ndim]
        h = np.conj(h) if h.dtype.kind == "c" else h
    cplx = x.dtype.kind == "c" or h.dtype.kind == "c"
    conv = complex if cplx else float
    full_shape = tuple(a + b - 1 for a, b in zip(x.shape, h.shape))
    acc: dict[tuple, object] = {}
    xs = [(i, conv(v)) for i, v in np.ndenumerate(x)]
    hs = [(j, conv(v)) for j, v in np.ndenumerate(h)]
    for (i, xv), (j, hv) in itertools.product(xs, hs):
        k = tuple(a + b for a, b in zip(i, j))
        acc[k] = acc.get(k, conv(0)) + xv * hv
    out = np.zeros(full_shape, np.complex128 if cplx else np.float64)
    for k, v in acc.items():
        out[k] = v
    sl = []
    for n1, n2, full in zip(x.shape, h.shape, full_shape):
        if mode == "full":
            sl.append(slice(None))
        elif mode == "same":
            start = (full - n1) // 2
            sl.append(slice(start, start + n1))
        else:
            sl.append(slice(n2 - 1, n1))
    return out[tuple(sl)]


def assert_same_footprint(got: np.ndarray, want: np.ndarray, tol: float) -> None:
    assert got.shape == want.shape
    bad_got, bad_want = ~np.isfinite(got), ~np.isfinite(want)
    assert np.array_equal(bad_got, bad_want), (
        f"non-finite pattern differs at {np.argwhere(bad_got != bad_want)[:5].tolist()}")
    if got.dtype.kind != "c":
        for test in (np.isnan, np.isposinf, np.isneginf):
            assert np.array_equal(test(got), test(want)), test.__name__
    fin = ~bad_want
    if fin.any():
        err = float(np.max(np.abs(got[fin] - want[fin])))
        assert err <= tol, f"finite samples: error {err:.3e} > {tol:.3e}"


def _with_nonfinite(rng, shape, dtype, count, values=(np.nan, np.inf, -np.inf)):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    a = a.astype(dtype)
    flat = a.reshape(-1)
    for pos, v in zip(rng.choice(flat.size, size=count, replace=False), itertools.cycle(values)):
        flat[pos] = v
    return a


# adversarial placements: first/last sample, corners, kernel taps, zeros next to inf
SHAPES = [((40,), (7,)), ((23,), (23,)), ((6, 9), (3, 4)), ((5, 4, 6), (2, 3, 2))]


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("where", ["in1", "in2", "both"])
@pytest.mark.parametrize("fname", list(FUNCS))
def test_footprint_every_engine(fname, where, shapes, dtype):
    rng = np.random.default_rng([fname, where, str(shapes), dtype].__repr__().__len__() * 7919)
    s1, s2 = shapes
    x = _with_nonfinite(rng, s1, dtype, 3 if where != "in2" else 0)
    h = _with_nonfinite(rng, s2, dtype, 2 if where != "in1" else 0)
    h.reshape(-1)[-1] = 0  # inf * 0 must be NaN on every engine
    fx, fh = np.where(np.isfinite(x), x, 0), np.where(np.isfinite(h), h, 0)
    for mode in ("full", "same", "valid"):
        want = naive(x, h, mode, correlate=fname == "correlate")
        n = math.prod(a + b - 1 for a, b in zip(s1, s2))
        tol = tolerance(dtype, n, fx, fh)
        for method in ENGINES:
            with np.errstate(all="ignore"):
                got = FUNCS[fname](x, h, mode=mode, method=method)
            assert got.dtype == np.result_type(x, h), (method, mode)
            assert_same_footprint(got, want, tol)


@pytest.mark.parametrize("method", ENGINES)
def test_footprint_fftconvolve_family(method):
    """fftconvolve and oaconvolve follow the same rule (also with batched axes)."""
    rng = np.random.default_rng(5)
    x = _with_nonfinite(rng, (3, 50), "float64", 4)
    h = _with_nonfinite(rng, (1, 9), "float64", 1)
    want = np.stack([naive(x[i], h[0], "same", correlate=False) for i in range(3)])
    tol = tolerance("float64", 60, np.nan_to_num(x, posinf=0, neginf=0),
                    np.nan_to_num(h, posinf=0, neginf=0))
    with np.errstate(all="ignore"):
        for fn in (fftconv.fftconvolve, fftconv.oaconvolve):
            assert_same_footprint(fn(x, h, mode="same", axes=1), want, tol)
        assert_same_footprint(fftconv.convolve(x[:1], h, mode="same", method=method),
                              want[:1], tol)


@pytest.mark.parametrize("method", ENGINES)
def test_nan_does_not_poison_the_whole_output(method):
    """The motivating case: one NaN in a long signal spoils only len(h) samples."""
    x = np.ones(20_000)
    x[1000] = np.nan
    h = np.ones(301) / 301
    y = fftconv.convolve(x, h, method=method)
    bad = np.flatnonzero(~np.isfinite(y))
    assert bad.tolist() == list(range(1000, 1301))
    np.testing.assert_allclose(y[2000:19000], 1.0, rtol=1e-12)


@pytest.mark.parametrize("method", ENGINES)
def test_inf_signs_and_inf_times_zero(method):
    x = np.array([0.0, np.inf, 0.0, 0.0, -np.inf, 0.0, 0.0])
    h = np.array([1.0, 0.0, 2.0])
    with np.errstate(all="ignore"):
        y = fftconv.convolve(x, h, method=method)
    want = naive(x, h, "full", correlate=False)
    assert_same_footprint(y, want, 0.0)
    # y[k] = sum_i x[i] h[k - i]: inf*1, inf*0 = NaN, inf*2, -inf*1, -inf*0, -inf*2
    assert np.isposinf(y[1]) and np.isnan(y[2]) and np.isposinf(y[3])
    assert np.isneginf(y[4]) and np.isnan(y[5]) and np.isneginf(y[6])
    assert np.isnan(fftconv.convolve(np.array([np.inf, -np.inf]), np.ones(2),
                                     method=method)[1])


@pytest.mark.parametrize("method", ENGINES)
def test_mostly_nonfinite(method):
    """Half the samples non-finite (the footprint path gives way to the plain sum)."""
    rng = np.random.default_rng(7)
    x = _with_nonfinite(rng, (60,), "float64", 30)
    h = _with_nonfinite(rng, (10,), "float64", 5)
    with np.errstate(all="ignore"):
        got = fftconv.convolve(x, h, method=method)
    assert_same_footprint(got, naive(x, h, "full", correlate=False),
                          tolerance("float64", 69, np.nan_to_num(x, posinf=0, neginf=0),
                                    np.nan_to_num(h, posinf=0, neginf=0)))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(8)
    x = _with_nonfinite(rng, (200,), "float64", 5)
    h = _with_nonfinite(rng, (20,), "float64", 2)
    x0, h0 = x.copy(), h.copy()
    for method in ENGINES:
        with np.errstate(all="ignore"):
            fftconv.convolve(x, h, method=method)
            fftconv.correlate(x, h, method=method)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(h, h0)


# ------------------------------------------------------------------ integers: exact


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("fname", list(FUNCS))
def test_integers_exact_every_engine(fname, method, dtype):
    rng = np.random.default_rng(9)
    hi = 2 if dtype == "bool" else min(100, np.iinfo(dtype).max)
    lo = 0 if dtype in ("bool", "uint8") else -hi
    x = rng.integers(lo, hi, (30, 25)).astype(dtype)
    h = rng.integers(lo, hi, (4, 6)).astype(dtype)
    want = FUNCS[fname](x.astype(object), h.astype(object), method="direct")
    want = want.astype(np.int64)  # exact Python ints, then wrapped as numpy wraps
    want = want.astype(np.result_type(x, h)) if dtype != "bool" else want != 0
    got = FUNCS[fname](x, h, method=method)
    assert got.dtype == np.result_type(x, h)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("method", ["direct", "auto", "fft", "oa"])
def test_large_integers_exact(method):
    """Beyond one FFT's exact range (2**53): 'auto' sums directly, forced FFT
    engines split the integers into limbs; every engine is exact."""
    rng = np.random.default_rng(10)
    x = rng.integers(-2**30, 2**30, 3000)
    h = rng.integers(-2**20, 2**20, 200)
    want = np.array([int(v) for v in np.convolve(x.astype(object), h.astype(object))])
    np.testing.assert_array_equal(fftconv.convolve(x, h, method=method), want)


# ------------------------------------------------- overflow of finite inputs


@pytest.mark.parametrize(("dtype", "big"), [("float32", 1e20), ("float64", 1e160),
                                            ("complex64", 1e20), ("complex128", 1e160)])
@pytest.mark.parametrize("name", ["fftconvolve", "oaconvolve", "convolve2d-auto", "convolve-fft"])
def test_overflowing_spectra_give_the_direct_footprint(name, dtype, big):
    """Finite inputs whose products overflow: inf only where the true value is out of range."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 700)).astype(dtype)
    h = rng.standard_normal((2, 61)).astype(dtype)
    x[1, 300] = big
    h[1, 30] = big
    if name == "convolve2d-auto":
        out = fftconv.convolve2d(x, h)
    elif name == "convolve-fft":
        out = fftconv.convolve(x, h, method="fft")
    else:
        out = getattr(fftconv, name)(x, h)
    wide = np.clongdouble if np.dtype(dtype).kind == "c" else np.longdouble
    ref = fftconv.convolve(x.astype(wide), h.astype(wide), method="direct")
    over = ~(np.abs(ref) < np.finfo(dtype).max)
    assert over.sum() == 1
    np.testing.assert_array_equal(~np.isfinite(out), over)
    # elsewhere the usual FFT error bound, relative to the inputs' size
    bound = 40 * np.finfo(dtype).eps * np.abs(x).astype(np.longdouble).sum() * np.abs(
        h).astype(np.longdouble).sum()
    assert np.max(np.abs(out[~over] - ref[~over])) <= bound


def test_overflow_beyond_the_fft_bound_takes_the_direct_sum():
    """1e200 * 1e200: the FFT's own error bound is beyond the float range (scaling back
    would make rounding noise infinite), so the plain sum of products answers."""
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(300), rng.standard_normal(31)
    x[7], h[3] = 1e200, 1e200
    ref = np.convolve(x, h)
    fin = np.isfinite(ref)
    assert (~fin).sum() == 1
    for out in (fftconv.fftconvolve(x, h), fftconv.convolve(x, h, method="fft"),
                fftconv.oaconvolve(x, h), fftconv.convolve(x[None], h[None], method="fft")[0],
                fftconv.fftconvolve(x[None], h[None], axes=1)[0]):
        np.testing.assert_array_equal(~np.isfinite(out), ~fin)
        np.testing.assert_allclose(out[fin], ref[fin], rtol=1e-12)


@pytest.mark.parametrize("method", ["fft", "oa"])
def test_overflowing_object_inputs_do_not_crash(method):
    a = np.array([1e200, 1.0, 2.0], dtype=object)
    b = np.array([1e200, 3.0], dtype=object)
    out = fftconv.convolve(a, b, method=method)
    assert out.dtype == object  # as scipy.signal.convolve gives: [inf nan nan nan]
    out = out.astype(float)
    assert np.isinf(out[0]) and np.isnan(out[1:]).all()


def test_overflow_exact_fallback_is_bounded_in_cost(monkeypatch):
    """Beyond EXACT_MAX_PRODUCTS the scaled FFT result stands (no quadratic direct sum)."""
    from fftconv import _direct, _nonfinite

    calls = []
    real = _direct.faithful_window
    monkeypatch.setattr(_direct, "faithful_window",
                        lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(300) * 1e200, rng.standard_normal(31) * 1e200
    fftconv.fftconvolve(x, h)
    assert calls  # small: the direct sum answers
    calls.clear()
    monkeypatch.setattr(_nonfinite, "EXACT_MAX_PRODUCTS", 100)
    out = fftconv.fftconvolve(x, h)
    assert not calls and out.shape == (330,)


@pytest.mark.parametrize(("dtype", "big"), [("float32", 1e20), ("float64", 1e160),
                                            ("complex64", 1e20), ("complex128", 1e160)])
@pytest.mark.parametrize("n, k", [(700, 61), (5000, 400), (60000, 3000)])
def test_overflow_inside_the_inverse_keeps_the_direct_footprint_1d(dtype, big, n, k):
    """Overflow inside an inverse transform hits only some outputs (not the first
    of a block): the lean jobs and the Convolver scan the whole result."""
    rng = np.random.default_rng(n + k)
    x = rng.standard_normal(n).astype(dtype)
    h = rng.standard_normal(k).astype(dtype)
    x[rng.integers(n)] = big
    h[rng.integers(k)] = big
    wide = np.clongdouble if np.dtype(dtype).kind == "c" else np.longdouble
    ref = fftconv.convolve(x.astype(wide), h.astype(wide), method="direct")
    over = ~(np.abs(ref) < np.finfo(dtype).max)
    assert over.sum() == 1
    calls = [lambda: fftconv.fftconvolve(x, h), lambda: fftconv.oaconvolve(x, h),
             lambda: fftconv.convolve(x, h), lambda: fftconv.convolve(x, h, method="fft"),
             lambda: fftconv.convolve(x, h, method="oa")]
    calls += [lambda m=m: fftconv.Convolver(h, n, method=m).conv(x) for m in ("fft", "oa")]
    calls += [lambda m=m: fftconv.Convolver(h[None], (2, n), method=m).conv(
        np.stack([x, x]))[1] for m in ("fft", "oa")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no overflow warning leaks out
        for i, call in enumerate(calls):
            np.testing.assert_array_equal(~np.isfinite(call()), over, err_msg=str(i))


def test_nan_in_the_smaller_input_of_a_3d_same_call_is_kept():
    """The direct engine's NaN handling is decided on the call's own windows."""
    from fftconv._direct import faithful_window
    from fftconv._dispatch import _windows

    a = np.zeros((1, 3, 3))
    a[0, 1, 1] = np.nan
    b = np.ones((4, 6, 6))
    for method in ("direct", "auto"):
        got = fftconv.convolve(a, b, "same", method=method)
        want = faithful_window(a, b, _windows("same", a.shape, b.shape, [0, 1, 2], 3))
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        assert np.isnan(got).all()
        assert np.isnan(fftconv.correlate(a, b, "same", method=method)).all()


def test_large_finite_results_raise_no_warning():
    """A finite result whose sum overflows is not an overflow (and warns nothing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (fftconv.fftconvolve, fftconv.oaconvolve,
                   lambda a, b: fftconv.convolve(a, b, method="fft")):
            y = fn(np.full(100, 1e306), np.ones(5))
            assert np.isfinite(y).all()
            np.testing.assert_allclose(y[4:100], 5e306, rtol=1e-12)
        rng = np.random.default_rng(0)
        x = (rng.standard_normal((64, 64)) + 1j * rng.standard_normal((64, 64))) * 1e307
        h = rng.standard_normal((5, 5)) + 1j * rng.standard_normal((5, 5))
        fftconv.convolve(x, h, method="direct")  # overflows silently, as the direct sum does
