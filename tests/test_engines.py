"""Every engine x mode x dtype x shape against the naive reference.

The engines are reached through ``convolve``/``correlate(method=...)`` and,
for the overlap-save block edge cases, through
``fftconv._overlap.convolve_window(..., block=L)`` directly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from conftest import ALL_DTYPES, make_array
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import assert_close, ref_convolve, ref_correlate, tolerance

import fftconv
from fftconv import _direct, _fft, _overlap
from fftconv._dispatch import _windows

ENGINES = ("direct", "fft", "oa")


def _oa(x, h, mode, *, block, axes=None, axis=None):
    """Overlap-save engine called directly, with an explicit block (FFT) length."""
    axes = list(range(x.ndim)) if axes is None else axes
    w = _windows(mode, x.shape, h.shape, axes, x.ndim)
    work = np.result_type(x.dtype, h.dtype, np.float32)
    return _overlap.convolve_window(
        x, h, axes, w, work_dtype=work, workers=1, block=block, axis=axis
    )


MODES = ("full", "same", "valid")

# (in1 shape, in2 shape), each commented with why it is there.
SHAPES = [
    ((7,), (3,)),  # plain 1-D
    ((13,), (5,)),  # primes: no fast FFT length
    ((1,), (1,)),  # one sample each
    ((1,), (4,)),  # length-1 signal
    ((4,), (9,)),  # kernel longer than signal (valid/same swap rules)
    ((31,), (31,)),  # equal lengths, prime
    ((64,), (2,)),  # power of two + tiny kernel
    ((6, 5), (3, 2)),  # 2-D
    ((2, 3), (5, 4)),  # 2-D, kernel larger on every axis
    ((5, 1), (1, 4)),  # 2-D, neither larger: 'valid' must refuse
    ((11, 7), (1, 1)),  # 1x1 kernel
    ((4, 5, 3), (2, 3, 2)),  # 3-D
]


def _valid_ok(s1, s2) -> bool:
    return all(a >= b for a, b in zip(s1, s2)) or all(b >= a for a, b in zip(s1, s2))


def _nfft(s1, s2) -> int:
    return math.prod(a + b - 1 for a, b in zip(s1, s2))


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("op", ["convolve", "correlate"])
def test_engine_matches_reference(op, method, mode, dtype, shapes, rng):
    s1, s2 = shapes
    x, h = make_array(rng, s1, dtype), make_array(rng, s2, dtype)
    fn = getattr(fftconv, op)
    if mode == "valid" and not _valid_ok(s1, s2):
        with pytest.raises(ValueError, match="at least as large"):
            fn(x, h, mode=mode, method=method)
        return
    got = fn(x, h, mode=mode, method=method)
    ref = (ref_convolve if op == "convolve" else ref_correlate)(x, h, mode)
    work = np.dtype(dtype)
    if method == "oa" and work == np.longdouble:
        work = np.dtype(np.float64)  # known bug, pinned by test_longdouble_fft_engines_precision
    tol = tolerance(work, _nfft(s1, s2), x, h)
    assert_close(got, ref, tol, dtype=np.result_type(x, h))


@pytest.mark.parametrize("shapes", [((9,), (4,)), ((3, 5), (2, 2)), ((4,), (6,))])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", ["convolve", "correlate"])
def test_object_fractions_exact(op, mode, shapes, rng):
    """Object arrays of Fractions are summed exactly (direct engine, as scipy)."""
    x, h = make_array(rng, shapes[0], "O"), make_array(rng, shapes[1], "O")
    ref = (ref_convolve if op == "convolve" else ref_correlate)(x, h, mode)
    for method in ("auto", "direct"):
        got = getattr(fftconv, op)(x, h, mode=mode, method=method)
        assert got.dtype == object
        assert got.tolist() == ref.tolist()
    assert fftconv.choose_conv_method(x, h, mode) == "direct"


@pytest.mark.parametrize("method", ENGINES)
def test_integer_overflow_wraps_like_numpy(method):
    """int8 sums wrap modulo 256 on every engine, as numpy.convolve does."""
    x = np.array([100, 100, 27, -128], dtype=np.int8)
    got = fftconv.convolve(x, x, method=method)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, np.convolve(x, x))
    np.testing.assert_array_equal(got, ref_convolve(x, x))


@pytest.mark.parametrize("method", ENGINES)
def test_uint64_large_values_exact(method):
    """Large uint64 values: an FFT would round, so 'auto' must stay exact."""
    x = np.array([2**39, 3, 2**40], dtype=np.uint64)  # results up to ~2**60: no overflow
    h = np.array([3, 2**20], dtype=np.uint64)
    ref = ref_convolve(x, h)
    auto = fftconv.convolve(x, h)
    np.testing.assert_array_equal(auto, ref)
    assert fftconv.choose_conv_method(x, h) == "direct"
    got = fftconv.convolve(x, h, method=method)
    assert got.dtype == np.uint64
    if method == "direct":
        np.testing.assert_array_equal(got, ref)


def test_longdouble_keeps_precision_on_auto(rng):
    """longdouble: 'auto' uses the direct engine, accurate to longdouble eps."""
    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps:
        pytest.skip("longdouble is float64 on this platform")
    x = rng.standard_normal(50).astype(np.longdouble) / 3
    h = rng.standard_normal(7).astype(np.longdouble) / 7
    got = fftconv.convolve(x, h)
    assert got.dtype == np.longdouble
    tol = tolerance(np.longdouble, 56, x, h)
    assert_close(got, ref_convolve(x, h), tol)
    assert tol < 1e-15  # much tighter than float64 could achieve


@pytest.mark.parametrize("method", ["fft", "oa"])
def test_longdouble_fft_engines_precision(method, rng):
    """Forced FFT engines on longdouble data compute in longdouble (scipy.fft fallback)."""
    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps:
        pytest.skip("longdouble is float64 on this platform")
    x = rng.standard_normal(2000).astype(np.longdouble) / 3
    h = rng.standard_normal(7).astype(np.longdouble) / 7
    if method == "oa":  # a block length whose 1/L is inexact in binary
        got = _oa(x, h, "full", block=45)
    else:
        got = fftconv.convolve(x, h, method=method)
    assert got.dtype == np.longdouble
    ref = ref_convolve(x, h)
    # 50 longdouble ulps of the largest output: float64 accuracy would be ~1200 of them
    tol = 50 * float(np.finfo(np.longdouble).eps) * float(np.max(np.abs(ref)))
    assert_close(got, ref, tol)


# --------------------------------------------------------------- overlap-save blocks


OA_CASES = []
for _k in (1, 2, 5, 16):
    for _L in (_k, _k + 1, _k + 2, 2 * _k + 3):  # block == kernel (step 1), kernel + 1, ...
        _step = _L - _k + 1
        for _blocks in (1, 3):
            for _d in (-1, 0, 1):  # output length a multiple of the step, +- 1
                _out = _blocks * _step + _d
                _n = _out - _k + 1  # full-mode output length n + k - 1
                if _n >= 1:
                    OA_CASES.append((_n, _k, _L))


@pytest.mark.parametrize(("n", "k", "block"), sorted(set(OA_CASES)))
@pytest.mark.parametrize("mode", MODES)
def test_overlap_block_edges(n, k, block, mode, rng):
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    if mode == "valid" and n < k:
        x, h = h, x  # the public functions swap; the engine expects in1 >= in2 here
        if block < h.shape[0]:
            return
    got = _oa(x, h, mode, block=block)
    ref = ref_convolve(x, h, mode)
    assert_close(got, ref, tolerance(np.float64, block, x, h))


@pytest.mark.parametrize("dtype", ["float32", "complex64", "complex128"])
@pytest.mark.parametrize("block", [5, 6, 8, 17])
def test_overlap_block_dtypes(dtype, block, rng):
    x, h = make_array(rng, 40, dtype), make_array(rng, 5, dtype)
    got = _oa(x, h, "full", block=block)
    assert got.dtype == np.dtype(dtype)
    assert_close(got, ref_convolve(x, h), tolerance(dtype, 64, x, h))


def test_overlap_block_shorter_than_kernel():
    with pytest.raises(ValueError, match="block"):
        _oa(np.ones(20), np.ones(5), "full", block=4)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("block", [4, 7, 12])
def test_overlap_2d_blocked_axis(axis, mode, block, rng):
    """Blocks along either axis of a 2-D problem (the other is transformed whole)."""
    x, h = rng.standard_normal((23, 19)), rng.standard_normal((4, 3))
    got = _oa(x, h, mode, block=block, axis=axis)
    assert_close(got, ref_convolve(x, h, mode), tolerance(np.float64, 26 * 21, x, h))


@pytest.mark.parametrize("mode", MODES)
def test_overlap_batched_broadcast(mode, rng):
    """Blocked axis 2, batch axis 0 broadcast (3 vs 1), axis 1 convolved whole."""
    x, h = rng.standard_normal((3, 5, 40)), rng.standard_normal((1, 2, 6))
    axes = [1, 2]
    w = _windows(mode, x.shape, h.shape, axes, 3)
    got = _overlap.convolve_window(
        x, h, axes, w, work_dtype=np.float64, workers=1, block=11, axis=2
    )
    assert_close(got, ref_convolve(x, h, mode, axes=axes), tolerance(np.float64, 6 * 45, x, h))


# --------------------------------------------------------------- single-FFT engine


@pytest.mark.parametrize("extra", [0, 1, 3, 17])
def test_fft_explicit_sizes(extra, rng):
    """Any FFT size >= n + k - 1 gives the same result (0: the exact, slow size)."""
    x, h = rng.standard_normal(23), rng.standard_normal(8)
    w = _windows("full", x.shape, h.shape, [0], 1)
    got = _fft.convolve_window(x, h, [0], w, work_dtype=np.float64, workers=1, fshape=[30 + extra])
    assert_close(got, ref_convolve(x, h), tolerance(np.float64, 64, x, h))


@pytest.mark.parametrize("mode", MODES)
def test_direct_engine_windows_nd(mode, rng):
    """The direct engine computes only the window, on its vectorised N-D path."""
    x, h = rng.standard_normal((9, 8, 3)), rng.standard_normal((3, 2, 2))
    w = _windows(mode, x.shape, h.shape, [0, 1, 2], 3)
    got = _direct.convolve_window(x, h, w)
    assert_close(got, ref_convolve(x, h, mode), tolerance(np.float64, 11 * 9 * 4, x, h))


# --------------------------------------------------------------- hypothesis properties

_len = st.integers(min_value=1, max_value=40)
_seed = st.integers(min_value=0, max_value=2**32 - 1)


def _pair(seed, n, m, dtype=np.float64):
    r = np.random.default_rng(seed)
    return make_array(r, n, dtype), make_array(r, m, dtype)


@settings(max_examples=40, deadline=None)
@given(seed=_seed, n=_len, m=_len, method=st.sampled_from(ENGINES))
def test_prop_commutative(seed, n, m, method):
    x, h = _pair(seed, n, m)
    a = fftconv.convolve(x, h, method=method)
    b = fftconv.convolve(h, x, method=method)
    assert_close(a, b, tolerance(np.float64, n + m, x, h))


@settings(max_examples=40, deadline=None)
@given(
    seed=_seed,
    n=_len,
    m=_len,
    method=st.sampled_from(ENGINES),
    alpha=st.floats(-4, 4, allow_nan=False),
    mode=st.sampled_from(MODES),
)
def test_prop_linear(seed, n, m, method, alpha, mode):
    r = np.random.default_rng(seed)
    x, y, h = r.standard_normal(n), r.standard_normal(n), r.standard_normal(m)
    lhs = fftconv.convolve(alpha * x + y, h, mode=mode, method=method)
    rhs = alpha * fftconv.convolve(x, h, mode=mode, method=method) + fftconv.convolve(
        y, h, mode=mode, method=method
    )
    tol = 3 * tolerance(np.float64, n + m, np.abs(alpha) * np.abs(x) + np.abs(y), h)
    assert_close(lhs, rhs, tol)


@settings(max_examples=40, deadline=None)
@given(
    seed=_seed,
    n=_len,
    m=_len,
    mode=st.sampled_from(MODES),
    dtype=st.sampled_from(["float32", "float64", "complex128", "int16"]),
)
def test_prop_engines_agree(seed, n, m, mode, dtype):
    x, h = _pair(seed, n, m, dtype)
    results = [fftconv.convolve(x, h, mode=mode, method=e) for e in ENGINES]
    tol = 2 * tolerance(np.dtype(dtype), n + m, x, h)
    for other in results[1:]:
        assert_close(other, results[0], tol, dtype=results[0].dtype)


@settings(max_examples=30, deadline=None)
@given(seed=_seed, n=_len, m=_len, method=st.sampled_from(ENGINES))
def test_prop_convolution_theorem(seed, n, m, method):
    """DFT of the full convolution = product of the zero-padded DFTs (numpy.fft)."""
    x, h = _pair(seed, n, m, np.complex128)
    y = fftconv.convolve(x, h, method=method)
    L = n + m - 1
    lhs = np.fft.fft(y)
    rhs = np.fft.fft(x, L) * np.fft.fft(h, L)
    tol = tolerance(np.float64, L, x, h) * math.sqrt(L)  # ||DFT(e)||_inf <= sqrt(L)||e||_2
    assert_close(lhs, rhs, tol)


@settings(max_examples=30, deadline=None)
@given(
    seed=_seed,
    shape1=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    shape2=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    mode=st.sampled_from(MODES),
)
def test_prop_2d_engines_match_reference(seed, shape1, shape2, mode):
    r = np.random.default_rng(seed)
    x, h = r.standard_normal(shape1), r.standard_normal(shape2)
    if mode == "valid" and not _valid_ok(shape1, shape2):
        return
    ref = ref_convolve(x, h, mode)
    tol = tolerance(np.float64, _nfft(shape1, shape2), x, h)
    for method in ENGINES:
        assert_close(fftconv.convolve(x, h, mode=mode, method=method), ref, tol)


# ------------------------------------------- small N-D calls: remembered decisions


def test_small_nd_decisions_are_remembered_and_stay_correct(rng):
    from fftconv import _dispatch

    _dispatch._SMALL_ND.clear()
    x, h = rng.standard_normal((15, 32)), rng.standard_normal((4, 2))
    first = fftconv.convolve(x, h, "valid")
    assert len(_dispatch._SMALL_ND) == 1
    np.testing.assert_array_equal(fftconv.convolve(x, h, "valid"), first)
    # a remembered shape with other values: NaN keeps the direct sum's footprint
    x2 = x.copy()
    x2[5, 5] = np.nan
    y = fftconv.convolve(x2, h, "valid")
    assert np.isnan(y).sum() == 4 * 2 and np.isnan(y[2:6, 4:6]).all()
    # integers are not remembered (their engine depends on their values)
    fftconv.convolve(x.astype(np.int64), h.astype(np.int64), "valid")
    assert len(_dispatch._SMALL_ND) == 1
    fftconv._strategy._reset()  # what calibrate() calls: a new cost model forgets them
    assert not _dispatch._SMALL_ND


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_small_2d_calls_seen_before_go_straight_to_the_loop(rng, mode):
    from fftconv import _directloop, _strategy

    if not _directloop.COMPILED:
        pytest.skip("built without a C compiler")
    _strategy._reset()
    x, h = rng.standard_normal((15, 32)), rng.standard_normal((4, 3))
    key = ((15, 32), (4, 3), mode, "d", "d")
    first = fftconv.convolve(x, h, mode)
    assert key in _strategy.DIRECT_2D
    want = ref_convolve(x, h, mode)
    assert_close(first, want, tolerance(np.float64, 1, x, h))
    for again in (fftconv.convolve(x, h, mode), fftconv.convolve2d(x, h, mode),
                  fftconv.convolve(x, h, mode, method="direct")):
        np.testing.assert_array_equal(again, first)
    # NaN keeps the direct sum's footprint on the lean path too; the inputs are not touched
    x2 = x.copy()
    x2[5, 5] = np.nan
    kept = x2.copy()
    y = fftconv.convolve(x2, h, mode)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(fftconv.convolve(x2, h, mode,
                                                                         method="direct")))
    np.testing.assert_array_equal(x2, kept)
    # complex results on the complex loop are remembered too (the same bits again)
    xc = x + 1j * rng.standard_normal(x.shape)
    firstc = fftconv.convolve(xc, h, mode)
    assert ((15, 32), (4, 3), mode, "D", "d") in _strategy.DIRECT_2D
    assert_close(firstc, ref_convolve(xc, h, mode), tolerance(np.complex128, 1, xc, h))
    np.testing.assert_array_equal(fftconv.convolve(xc, h, mode), firstc)
    # not remembered: correlate, other boundaries of convolve2d
    fftconv.correlate(x, h, mode)
    assert len(_strategy.DIRECT_2D) == 2
    symm = scipy.signal.convolve2d(x, h, mode, "symm")
    assert_close(fftconv.convolve2d(x, h, mode, boundary="symm"), symm,
                 tolerance(np.float64, 1, x, h))
    _strategy._reset()
    assert not _strategy.DIRECT_2D


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [((15, 69), (1, 6)), ((40, 23), (34, 2)), ((9, 7), (12, 10)),
                                    ((33, 7), (3, 3))], ids=str)
@pytest.mark.parametrize("dtype", ["complex64", "complex128", "float64"])
def test_2d_direct_windows_match_reference(dtype, shapes, mode, rng):
    """The 2-D direct paths (scipy's loop for complex and for heavily cropped windows)."""
    x, h = make_array(rng, shapes[0], dtype), make_array(rng, shapes[1], dtype)
    for fn, ref in ((fftconv.convolve, ref_convolve), (fftconv.correlate, ref_correlate)):
        if mode == "valid" and not all(a >= b for a, b in zip(*shapes)) \
                and not all(a <= b for a, b in zip(*shapes)):
            continue
        got = fn(x, h, mode, method="direct")
        assert got.dtype == np.dtype(dtype)
        assert_close(got, ref(x, h, mode), tolerance(dtype, x.size + h.size, x, h))
