"""Public functions of fftconv._signal: semantics checked against the reference.

(Comparison with scipy.signal itself lives in test_scipy_compat.py; bad
arguments in test_validate.py.)
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from conftest import make_array
from reference import assert_close, fft_dtype, ref_convolve, ref_correlate, tolerance

import fftconv

MODES = ("full", "same", "valid")

# ------------------------------------------------------------ fftconvolve / oaconvolve

# (in1 shape, in2 shape, axes), commented.
AXES_CASES = [
    ((3, 40), (1, 7), 1),  # three signals, one kernel (broadcast on axis 0)
    ((3, 40), (3, 7), [1]),  # one kernel per signal
    ((3, 40), (1, 7), -1),  # negative axis
    ((40, 3), (7, 1), 0),  # batch on the last axis
    ((4, 10, 6), (4, 3, 2), [1, 2]),  # 2-D convolution of a batch of 4
    ((4, 10, 6), (1, 3, 2), (2, 1)),  # axes in any order
    ((5, 1, 17), (1, 6, 3), [2]),  # both inputs broadcast on different axes
    ((5, 1, 17), (1, 6, 3), [0, 2]),  # a convolved axis of size 1 in in2
    ((1, 6), (4, 1), None),  # every axis has a size-1 side: a pure product
    ((13,), (29,), 0),  # kernel longer than signal, primes
    ((2, 30), (2, 31), 1),  # 'valid' swaps the inputs
    ((6, 5), (6, 5), 0),  # equal shapes, batched
]


@pytest.mark.parametrize(("s1", "s2", "axes"), AXES_CASES, ids=str)
@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "complex64", "complex128", "int16", "bool"]
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", ["fftconvolve", "oaconvolve"])
def test_fft_family_axes(fn, mode, dtype, s1, s2, axes, rng):
    x, h = make_array(rng, s1, dtype), make_array(rng, s2, dtype)
    got = getattr(fftconv, fn)(x, h, mode=mode, axes=axes)
    work = fft_dtype(x, h)  # float32 stays float32; ints and bools give float64 (counts)
    ref = ref_convolve(
        x, h, mode, axes=axes, out_dtype=np.clongdouble if work.kind == "c" else np.longdouble
    )
    ax = range(len(s1)) if axes is None else np.atleast_1d(axes)
    n = math.prod(s1[a] + s2[a] - 1 for a in ax)
    assert_close(got, ref, tolerance(work, n, x, h), dtype=work)


@pytest.mark.parametrize("fn", ["fftconvolve", "oaconvolve"])
def test_fft_family_long_signal_blocks(fn, rng):
    """A long signal with a short kernel: the overlap-save engine (many blocks)."""
    x, h = rng.standard_normal((2, 20_000)), rng.standard_normal((1, 129))
    for mode in MODES:
        got = getattr(fftconv, fn)(x, h, mode=mode, axes=1)
        want = np.stack([np.convolve(r, h[0], mode=mode) for r in x])
        assert_close(got, want, tolerance(np.float64, 20_128, x, h))


def test_fft_family_single_precision(rng):
    """float32 in, float32 out, with single-precision accuracy (not a float64 detour)."""
    x, h = rng.standard_normal(3000).astype(np.float32), rng.standard_normal(200).astype(np.float32)
    for fn in (fftconv.fftconvolve, fftconv.oaconvolve):
        got = fn(x, h)
        assert got.dtype == np.float32
        assert_close(got, ref_convolve(x, h), tolerance(np.float32, 3199, x, h))


# ------------------------------------------------------------ 0-d and empty inputs


@pytest.mark.parametrize("method", ["auto", "direct", "fft", "oa"])
def test_zero_dim_is_product(method):
    assert fftconv.convolve(np.float64(2), np.float64(3), method=method) == 6
    c = fftconv.correlate(np.array(2 + 1j), np.array(3 - 2j), method=method)
    assert c == (2 + 1j) * (3 + 2j)  # correlate conjugates in2


@pytest.mark.parametrize("fn", ["fftconvolve", "oaconvolve"])
def test_zero_dim_fft_family(fn):
    assert getattr(fftconv, fn)(np.array(2.0), np.array(4.0)) == 8.0


@pytest.mark.parametrize("fn", ["fftconvolve", "oaconvolve"])
@pytest.mark.parametrize("shapes", [((0,), (3,)), ((3,), (0,)), ((0, 2), (2, 2))])
def test_empty_fft_family_returns_empty(fn, shapes):
    out = getattr(fftconv, fn)(np.ones(shapes[0]), np.ones(shapes[1]))
    assert out.shape == (0,) and out.dtype == np.float64  # scipy: np.array([])


@pytest.mark.parametrize("method", ["auto", "direct", "fft", "oa"])
@pytest.mark.parametrize("op", ["convolve", "correlate"])
def test_empty_convolve(op, method):
    fn = getattr(fftconv, op)
    with pytest.raises(ValueError, match="in2 cannot be empty"):
        fn(np.ones(3), np.ones(0), method=method)
    for mode in ("full", "valid"):
        with pytest.raises(ValueError, match="in1 cannot be empty"):
            fn(np.ones(0), np.ones(3), mode=mode, method=method)
    out = fn(np.ones((0, 4), np.float32), np.ones((2, 2), np.int8), mode="same", method=method)
    assert out.shape == (0, 4) and out.dtype == np.float32


# ------------------------------------------------------------ convolve2d / correlate2d


def ref_2d(a, k, mode, boundary, fillvalue, *, correlate):
    """Pad ``a`` per the boundary rule, take the valid part, crop like scipy."""
    ref = ref_correlate if correlate else ref_convolve
    if mode == "valid":
        return ref(a, k, "valid")
    k0, k1 = k.shape
    pads = ((k0 - 1, k0 - 1), (k1 - 1, k1 - 1))
    if boundary == "fill":
        padded = np.pad(a.astype(np.result_type(a, k)), pads, constant_values=fillvalue)
    else:
        padded = np.pad(a, pads, mode="wrap" if boundary == "wrap" else "symmetric")
    full = ref(padded, k, "valid")
    if mode == "full":
        return full
    # scipy centres 'same' at (k-1)//2 for convolve2d, at k//2 for correlate2d
    s = [(n // 2 if correlate else (n - 1) // 2) for n in k.shape]
    return full[s[0] : s[0] + a.shape[0], s[1] : s[1] + a.shape[1]]


@pytest.mark.parametrize(
    "shapes", [((6, 7), (3, 2)), ((5, 5), (4, 4)), ((3, 4), (5, 6)), ((8, 3), (1, 1))], ids=str
)
@pytest.mark.parametrize(
    ("boundary", "fillvalue"), [("fill", 0), ("fill", 2.5), ("wrap", 0), ("symm", 0)]
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", ["convolve2d", "correlate2d"])
@pytest.mark.parametrize("dtype", ["float64", "complex128", "int32"])
def test_2d_boundaries(op, mode, boundary, fillvalue, shapes, dtype, rng):
    a, k = make_array(rng, shapes[0], dtype), make_array(rng, shapes[1], dtype)
    if dtype == "int32" and fillvalue != 0:
        fillvalue = 2  # an integer fill keeps integer results exact
    got = getattr(fftconv, op)(a, k, mode=mode, boundary=boundary, fillvalue=fillvalue)
    want = ref_2d(a, k, mode, boundary, fillvalue, correlate=op == "correlate2d")
    n = (shapes[0][0] + 2 * shapes[1][0]) * (shapes[0][1] + 2 * shapes[1][1])
    big = np.full(n, abs(fillvalue) + 1) * np.max(np.abs(a)) if a.size else a
    assert_close(got, want, tolerance(dtype, n, big, k), dtype=np.result_type(a, k))


def test_2d_aliases_and_methods(rng):
    a, k = rng.standard_normal((9, 8)), rng.standard_normal((3, 3))
    base = fftconv.convolve2d(a, k, "same", "wrap")
    assert_close(fftconv.convolve2d(a, k, "same", "circular"), base, 0)
    for method in ("direct", "fft", "oa"):
        got = fftconv.convolve2d(a, k, "same", "symmetric", method=method)
        assert_close(got, fftconv.convolve2d(a, k, "same", "symm"), 1e-12)


# ------------------------------------------------------------ correlation_lags


def _scipy_same_quirk(n1: int, n2: int, mode: str) -> bool:
    """scipy's correlation_lags('same') is one lag off correlate('same') for odd n1, even n2.

    fftconv copies scipy's lags (drop-in); see test_correlation_lags_same_quirk.
    """
    return mode == "same" and n1 % 2 == 1 and n2 % 2 == 0


@pytest.mark.parametrize("n1", [1, 4, 5, 9])
@pytest.mark.parametrize("n2", [1, 2, 5, 12])
@pytest.mark.parametrize("mode", MODES)
def test_correlation_lags_locate_a_shift(n1, n2, mode, rng):
    """Each output of correlate(x, y) is sum_l x[l + lag] * y[l] at the reported lag."""
    x, y = rng.standard_normal(n1), rng.standard_normal(n2)
    c = fftconv.correlate(x, y, mode=mode)
    lags = fftconv.correlation_lags(n1, n2, mode)
    assert lags.shape == c.shape
    if _scipy_same_quirk(n1, n2, mode):
        lags = lags - 1
    for lag, value in zip(lags, c):
        expect = sum(x[l + lag] * y[l] for l in range(n2) if 0 <= l + lag < n1)
        assert abs(value - expect) < 1e-12


def test_correlation_lags_same_quirk():
    """Pinned: same lags as scipy.signal.correlation_lags, quirk included."""
    x = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    c = fftconv.correlate(x, np.array([1.0, 0.0]), mode="same")
    lags = fftconv.correlation_lags(5, 2, "same")
    np.testing.assert_array_equal(lags, [0, 1, 2, 3, 4])
    assert int(lags[np.argmax(c)]) == 3  # the true lag of the peak is 2 ('full' mode says so)
    full = fftconv.correlation_lags(5, 2, "full")
    assert int(full[np.argmax(fftconv.correlate(x, np.array([1.0, 0.0])))]) == 2


# ------------------------------------------------------------ choose_conv_method / plan


@pytest.mark.parametrize(
    ("s1", "s2", "dtype", "expected"),
    [
        ((1000,), (3,), "float64", "direct"),  # short kernel: direct
        ((1_000_000,), (10_000,), "float64", "oa"),  # long signal, long kernel: blocks
        ((20_000,), (20_000,), "float64", "fft"),  # equal long inputs: one FFT
        ((10_000,), (5_000,), "O", "direct"),  # objects: exact sums only
    ],
)
def test_choose_conv_method_pins(s1, s2, dtype, expected):
    if dtype == "O":
        x, h = np.ones(s1, dtype=object), np.ones(s2, dtype=object)
    else:
        x, h = np.ones(s1, dtype), np.ones(s2, dtype)
    assert fftconv.choose_conv_method(x, h) == expected


def test_choose_conv_method_large_ints_direct():
    """Integers whose FFT error bound exceeds 0.5 are never sent to an FFT."""
    x = np.full(10_000, 2**40, dtype=np.int64)
    assert fftconv.choose_conv_method(x, x) == "direct"
    small = np.ones(10_000, dtype=np.int64)
    assert fftconv.choose_conv_method(small, small) in ("fft", "oa")


def test_choose_conv_method_measure(rng):
    x, h = rng.standard_normal(300), rng.standard_normal(20)
    method, times = fftconv.choose_conv_method(x, h, measure=True)
    assert method in ("direct", "fft", "oa")
    assert set(times) >= {"direct", "fft"} and all(t >= 0 for t in times.values())


def test_plan_explains():
    p = fftconv.plan(4_000_000, 4_000)
    assert isinstance(p, fftconv.ConvPlan)
    assert p.method == "oa" and {"direct", "fft", "oa"} <= set(p.predicted)
    assert "oa" in repr(p) and p.reason


# ------------------------------------------------------------ inputs are never modified


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() + str(a.dtype)


CALLS = [
    ("convolve", {"method": "direct"}),
    ("convolve", {"method": "fft"}),
    ("convolve", {"method": "oa"}),
    ("correlate", {"method": "auto"}),
    ("correlate", {"method": "fft"}),
    ("fftconvolve", {}),
    ("oaconvolve", {}),
]


@pytest.mark.parametrize(("fn", "kw"), CALLS, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float64", "complex128", "int32"])
def test_inputs_not_modified(fn, kw, dtype, rng):
    x, h = make_array(rng, (50, 3), dtype), make_array(rng, (7, 2), dtype)
    before = (_digest(x), _digest(h))
    for mode in MODES:
        getattr(fftconv, fn)(x, h, mode=mode, **kw)
    assert (_digest(x), _digest(h)) == before


@pytest.mark.parametrize(("fn", "kw"), CALLS, ids=lambda v: str(v))
@pytest.mark.parametrize("layout", ["readonly", "bigendian", "strided", "transposed"])
def test_unusual_layouts(fn, kw, layout, rng):
    x0, h0 = rng.standard_normal((40, 6)), rng.standard_normal((5, 3))
    if layout == "readonly":
        x, h = x0.copy(), h0.copy()
        x.flags.writeable = h.flags.writeable = False
    elif layout == "bigendian":
        x, h = x0.astype(">f8"), h0.astype(">f8")
    elif layout == "strided":
        x, h = np.repeat(x0, 2, axis=0)[::2], np.repeat(h0, 2, axis=1)[:, ::2]
    else:
        x, h = np.asfortranarray(x0.T).T, np.ascontiguousarray(h0.T).T
        assert not x.flags.c_contiguous or not h.flags.c_contiguous
    before = (_digest(x), _digest(h))
    for mode in MODES:
        got = getattr(fftconv, fn)(x, h, mode=mode, **kw)
        ref = (ref_correlate if fn == "correlate" else ref_convolve)(x0, h0, mode)
        assert_close(got, ref, tolerance(np.float64, 44 * 8, x0, h0))
        assert got.dtype.isnative
    assert (_digest(x), _digest(h)) == before


def test_result_is_fresh_array(rng):
    """Results never alias a cached plan buffer: a second call does not change the first."""
    x, h = rng.standard_normal(100), rng.standard_normal(9)
    for method in ("fft", "oa"):
        y1 = fftconv.convolve(x, h, method=method)
        keep = y1.copy()
        fftconv.convolve(2 * x, h, method=method)
        np.testing.assert_array_equal(y1, keep)


# ------------------------------------------------------------ workers


@pytest.mark.parametrize("workers", [1, 2, -1])
def test_workers_same_result(workers, rng):
    x, h = rng.standard_normal((30, 50)), rng.standard_normal((4, 6))
    ref = fftconv.fftconvolve(x, h, workers=1)
    assert_close(fftconv.fftconvolve(x, h, workers=workers), ref, 1e-12)
    assert_close(fftconv.convolve(x, h, method="oa", workers=workers), ref, 1e-12)
    with fftconv.set_workers(workers):
        assert_close(fftconv.oaconvolve(x, h), ref, 1e-12)


# ------------------------------------------- small integer 1-D calls: numpy's exact sum


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize(("d1", "d2"), [("int8", "int8"), ("uint8", "int16"), ("int64", "int64"),
                                        ("uint64", "uint32"), ("int32", "uint8")])
@pytest.mark.parametrize("shapes", [(167, 28), (28, 167), (194, 282), (1, 5)], ids=str)
def test_small_integer_1d_is_exact_and_wraps_like_scipy(shapes, d1, d2, mode, rng):
    import scipy.signal as ss

    def draw(d, n):
        info = np.iinfo(d)
        return rng.integers(info.min, info.max, n, dtype=d, endpoint=True)

    x, h = draw(d1, shapes[0]), draw(d2, shapes[1])
    for name in ("convolve", "correlate"):
        want = getattr(ss, name)(x, h, mode, method="direct")
        got = getattr(fftconv, name)(x, h, mode)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
