"""Drop-in checks: the same calls to scipy.signal and fftconv give the same results,
dtypes and exception types.

Deliberate differences (fftconv does better; each is pinned by a test below):

* N-D ``convolve``/``correlate`` of bool, float16 and object arrays with
  ``method='direct'`` (or 'auto'): scipy raises ``ValueError('Unsupported
  type')``; fftconv computes them (objects exactly).
* bool inputs with ``method='fft'``: scipy casts the unrounded float result to
  bool, so rounding noise (1e-17) becomes True; fftconv rounds first.
* empty inputs with ``method='fft'``: scipy raises IndexError; fftconv the same
  ValueError as its other methods. ``convolve2d`` of an empty array: scipy
  returns zeros of a meaningless shape; fftconv raises ValueError.
* ``correlate2d(..., mode='valid')`` of complex inputs when in2 is the larger:
  scipy returns the *conjugate* of the correlation (it swaps the inputs without
  undoing the conjugation); fftconv agrees with ``correlate``.
* ``fftconvolve``/``oaconvolve`` where every convolved axis has size 1 in one
  input (a plain product): scipy returns the input dtype (e.g. int16), fftconv
  the floating dtype its FFT functions always return.
* Non-numeric inputs / non-integer axes raise ``fftconv._validate.ArgumentTypeError``,
  a subclass of both TypeError and ValueError (scipy: ValueError).
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest
import scipy.signal as ss
from conftest import make_array
from reference import assert_close, ref_correlate, tolerance

import fftconv

FUNCS = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "convolve2d",
    "correlate2d",
    "choose_conv_method",
    "correlation_lags",
]
MODES = ("full", "same", "valid")


def _outcome(fn, *args, **kw):
    """``(result, None)`` or ``(None, exception)``; warnings (scipy's ComplexWarning) ignored."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw), None
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome
        return None, exc


def _same_outcome(theirs, ours, tol):
    (r1, e1), (r2, e2) = theirs, ours
    if e1 is not None or e2 is not None:
        assert e1 is not None and e2 is not None, f"scipy: {e1!r}, fftconv: {e2!r}"
        assert isinstance(e2, type(e1)), f"scipy raised {e1!r}, fftconv {e2!r}"
        return
    r1, r2 = np.asarray(r1), np.asarray(r2)
    assert r2.dtype == r1.dtype, f"dtype {r2.dtype} != scipy's {r1.dtype}"
    assert r2.shape == r1.shape, f"shape {r2.shape} != scipy's {r1.shape}"
    assert_close(r2, r1, tol)


# ------------------------------------------------------------------ signatures


@pytest.mark.parametrize("name", FUNCS)
def test_signature_extends_scipy(name):
    """scipy's parameters, in order, with scipy's defaults; additions are keyword-only."""
    theirs = list(inspect.signature(getattr(ss, name)).parameters.values())
    ours = list(inspect.signature(getattr(fftconv, name)).parameters.values())
    assert [p.name for p in ours[: len(theirs)]] == [p.name for p in theirs]
    for a, b in zip(theirs, ours):
        assert a.default == b.default and a.kind == b.kind, name
    assert all(p.kind is p.KEYWORD_ONLY for p in ours[len(theirs) :])


# ------------------------------------------------------------------ results and dtypes

SHAPES = [
    ((17,), (5,)),
    ((5,), (17,)),
    ((8,), (8,)),
    ((1,), (3,)),
    ((6, 7), (3, 2)),
    ((3, 2), (6, 7)),
    ((4, 5), (5, 4)),
    ((3, 4, 5), (2, 2, 3)),
]
DTYPES = [
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int32",
    "uint8",
    "float16",
    "longdouble",
]


def _tol(dtype, x, h, work=None):
    n = math.prod(a + b - 1 for a, b in zip(x.shape, h.shape))
    d = np.dtype(work or dtype)
    if d.kind in "biu":
        return 0.0
    if d == np.float16:
        d = np.dtype(np.float32)  # both compute in float32, then round to float16
        return max(
            tolerance(d, n, x, h),
            float(np.finfo(np.float16).eps)
            * 4
            * float(np.max(np.abs(np.convolve(np.abs(x).ravel(), np.abs(h).ravel())))),
        )
    return 2 * tolerance(d, n, x, h)  # two independent roundings: scipy's and ours


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_convolve_correlate_like_scipy(name, method, mode, dtype, shapes, rng):
    x, h = make_array(rng, shapes[0], dtype), make_array(rng, shapes[1], dtype)
    theirs = _outcome(getattr(ss, name), x, h, mode, method)
    ours = _outcome(getattr(fftconv, name), x, h, mode, method)
    if "Unsupported type" in str(theirs[1]) and ours[1] is None:
        # deliberate: scipy's N-D direct code has no float16 loop (np.convolve, which
        # scipy uses for some 1-D shapes, has); fftconv computes it
        assert dtype == "float16" and ours[0].dtype == np.float16
        return
    _same_outcome(theirs, ours, _tol(dtype, x, h))


@pytest.mark.parametrize("shapes", [((17,), (5,)), ((6, 7), (3, 2)), ((3, 2), (6, 7))], ids=str)
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("mode", MODES)
def test_bool_deliberate_difference(mode, method, shapes, rng):
    """bool: fftconv is exact (logical 'any') on every engine; scipy is not always."""
    x, h = make_array(rng, shapes[0], "bool"), make_array(rng, shapes[1], "bool")
    ours = _outcome(fftconv.convolve, x, h, mode, method)
    theirs = _outcome(ss.convolve, x, h, mode, method)
    if mode == "valid" and ours[1] is not None:
        assert isinstance(ours[1], type(theirs[1]))
        return
    want = ref_correlate(x, h[(slice(None, None, -1),) * h.ndim], mode)
    assert ours[0].dtype == bool
    np.testing.assert_array_equal(ours[0], want)
    if x.ndim > 1 and method != "fft":
        assert "Unsupported type" in str(theirs[1])
    elif method != "fft":
        np.testing.assert_array_equal(theirs[0], want)


def test_object_nd_deliberate_difference(rng):
    x, h = make_array(rng, (4, 3), "O"), make_array(rng, (2, 2), "O")
    with pytest.raises(ValueError, match="Unsupported type"):
        ss.convolve(x, h, method="direct")
    out = fftconv.convolve(x, h, method="direct")
    assert out.dtype == object and out.tolist() == ref_correlate(x, h[::-1, ::-1]).tolist()


def test_object_1d_like_scipy(rng):
    x, h = make_array(rng, 9, "O"), make_array(rng, 4, "O")
    for mode in MODES:
        assert fftconv.convolve(x, h, mode).tolist() == ss.convolve(x, h, mode).tolist()
        assert fftconv.correlate(x, h, mode).tolist() == ss.correlate(x, h, mode).tolist()


FFT_CASES = [
    ((3, 40), (1, 7), 1),
    ((4, 10, 6), (1, 3, 2), [1, 2]),
    ((5, 1, 17), (1, 6, 3), [2]),
    ((5, 1, 17), (1, 6, 3), [0, 2]),
    ((1, 6), (4, 1), None),
    ((2, 30), (2, 31), 1),
    ((1,), (6,), None),
    ((3, 4), (2, 2), 1),
    ((300,), (1200,), None),
]


@pytest.mark.parametrize(("s1", "s2", "axes"), FFT_CASES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "int16", "bool", "float16"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["fftconvolve", "oaconvolve"])
def test_fft_family_like_scipy(name, mode, dtype, s1, s2, axes, rng):
    x, h = make_array(rng, s1, dtype), make_array(rng, s2, dtype)
    theirs = _outcome(getattr(ss, name), x, h, mode, axes)
    ours = _outcome(getattr(fftconv, name), x, h, mode, axes)
    work = np.result_type(
        *(
            np.float64 if d.kind in "biu" else np.float32 if d == np.float16 else d
            for d in (x.dtype, h.dtype)
        )
    )
    n = math.prod(a + b - 1 for a, b in zip(s1, s2))
    ax = range(len(s1)) if axes is None else np.atleast_1d(axes)
    if all(s1[a] == 1 or s2[a] == 1 for a in ax) and theirs[0] is not None:
        # deliberate: with nothing to transform scipy returns ``in1 * in2`` in the
        # input dtype (int16, bool, float16); fftconv keeps the floating dtype of
        # every other fftconvolve result. Same values.
        assert ours[0].dtype == work
        r = np.asarray(theirs[0])
        if r.dtype == np.float16:  # scipy's product was rounded to float16
            tol16 = float(np.finfo(np.float16).eps) * float(np.max(np.abs(r), initial=0))
            theirs = (r.astype(work), None)
            _same_outcome(theirs, ours, tol16)
            return
        theirs = (r.astype(work), None)
    _same_outcome(theirs, ours, 2 * tolerance(work, n, x, h))


@pytest.mark.parametrize(
    "shapes",
    [((6, 7), (3, 2)), ((5, 5), (4, 4)), ((3, 4), (5, 6)), ((7, 3), (2, 5)), ((4, 4), (1, 1))],
    ids=str,
)
@pytest.mark.parametrize("dtype", ["float64", "complex128", "int32", "float32"])
@pytest.mark.parametrize(
    ("boundary", "fillvalue"),
    [("fill", 0), ("fill", 2), ("wrap", 0), ("symm", 0), ("circular", 0), ("symmetric", 0)],
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_2d_like_scipy(name, mode, boundary, fillvalue, dtype, shapes, rng):
    a, k = make_array(rng, shapes[0], dtype), make_array(rng, shapes[1], dtype)
    theirs = _outcome(getattr(ss, name), a, k, mode, boundary, fillvalue)
    ours = _outcome(getattr(fftconv, name), a, k, mode, boundary, fillvalue)
    swapped = mode == "valid" and ours[1] is None and a.shape[0] < k.shape[0]
    if name == "correlate2d" and dtype == "complex128" and swapped:
        # deliberate: scipy returns the conjugate here (see module docstring)
        theirs = (np.conj(theirs[0]), None)
    n = (a.shape[0] + 2 * k.shape[0]) * (a.shape[1] + 2 * k.shape[1])
    big = np.full(n, np.max(np.abs(a)) + fillvalue)
    _same_outcome(theirs, ours, 2 * tolerance(dtype, n, big, k))


@pytest.mark.parametrize("n1", [1, 2, 5, 8])
@pytest.mark.parametrize("n2", [1, 3, 4, 9])
@pytest.mark.parametrize("mode", MODES)
def test_correlation_lags_like_scipy(n1, n2, mode):
    np.testing.assert_array_equal(
        fftconv.correlation_lags(n1, n2, mode), ss.correlation_lags(n1, n2, mode)
    )


@pytest.mark.parametrize(
    ("s1", "s2", "dtype"),
    [
        ((1000,), (3,), "float64"),
        ((100,), (100,), "int64"),
        ((5,), (5,), "bool"),
        ((3, 3), (2, 2), "float64"),
        ((10_000,), (10_000,), "float64"),
    ],
)
def test_choose_conv_method_returns_a_method(s1, s2, dtype):
    """Not the same *choice* (our cost model also weighs 'oa'), but the same kind of answer."""
    x, h = np.ones(s1, dtype), np.ones(s2, dtype)
    ours = fftconv.choose_conv_method(x, h)
    assert ours in ("direct", "fft", "oa")
    if ss.choose_conv_method(x, h) == "direct" and math.prod(s2) <= 4:
        assert ours == "direct"  # tiny kernels: both say direct


# ------------------------------------------------------------------ exceptions

X, H = np.arange(6.0), np.array([1.0, 2.0])
BAD_CALLS = [
    ("convolve", (X, H), {"mode": "foo"}),
    ("convolve", (X, H), {"method": "bar"}),
    ("convolve", (X, np.ones((2, 2))), {}),
    ("convolve", (np.ones((3, 5)), np.ones((5, 3))), {"mode": "valid"}),
    ("convolve", (np.array(["a", "b"]), H), {}),
    ("convolve", ([[1, 2], [3]], [[1]]), {}),
    ("correlate", (X, H), {"mode": None}),
    ("correlate", (X, np.ones((1, 2))), {}),
    ("fftconvolve", (X, H), {"mode": "bogus"}),
    ("fftconvolve", (np.ones((3, 4)), np.ones((2, 2))), {"axes": 2}),
    ("fftconvolve", (np.ones((3, 4)), np.ones((2, 2))), {"axes": [0, 0]}),
    ("fftconvolve", (np.ones((3, 4)), np.ones((2, 2))), {"axes": []}),
    ("fftconvolve", (np.ones((3, 4)), np.ones((2, 2))), {"axes": 1.0}),
    ("fftconvolve", (np.ones((3, 4)), np.ones((2, 2))), {"axes": 1}),
    ("fftconvolve", (np.ones((3, 5)), np.ones((5, 3))), {"mode": "valid"}),
    ("oaconvolve", (X, np.ones((2, 2))), {}),
    ("oaconvolve", (np.ones((3, 4)), np.ones((2, 2))), {"axes": [-3]}),
    ("convolve2d", (X, H), {}),
    ("convolve2d", (np.ones((3, 3)), np.ones((2, 2))), {"boundary": "reflect"}),
    ("convolve2d", (np.ones((3, 3)), np.ones((2, 2))), {"fillvalue": [1, 2]}),
    ("convolve2d", (np.ones((3, 3)), np.ones((2, 2))), {"fillvalue": 1j}),
    ("correlate2d", (np.ones((3, 3)), np.ones((2, 2))), {"mode": "x"}),
    ("correlate2d", (np.ones((3, 5)), np.ones((5, 3))), {"mode": "valid"}),
    ("correlation_lags", (3, 2), {"mode": "x"}),
    ("choose_conv_method", (X, H), {"mode": "x"}),
]


@pytest.mark.parametrize(
    ("name", "args", "kw"), BAD_CALLS, ids=[f"{n}-{sorted(k)}" for n, _, k in BAD_CALLS]
)
def test_same_exception_type(name, args, kw):
    theirs = _outcome(getattr(ss, name), *args, **kw)
    ours = _outcome(getattr(fftconv, name), *args, **kw)
    assert theirs[1] is not None and ours[1] is not None
    assert isinstance(ours[1], type(theirs[1])), (theirs[1], ours[1])


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_messages_keep_scipys_words(name):
    """Code that matches scipy's messages keeps matching."""
    for kw, words in [
        ({"mode": "foo"}, "Acceptable mode flags are 'valid', 'same', or 'full'"),
        ({"method": "bar"}, "Acceptable method flags are 'auto', 'direct'"),
    ]:
        with pytest.raises(ValueError, match=words):
            getattr(fftconv, name)(X, H, **kw)
    with pytest.raises(ValueError, match="should have the same dimensionality"):
        getattr(fftconv, name)(X, np.ones((2, 2)))


@pytest.mark.parametrize("method", ["fft", "auto"])
def test_empty_deliberate_difference(method):
    """scipy: IndexError from method='fft' on an empty input; fftconv: a ValueError."""
    with pytest.raises(IndexError):
        ss.convolve(np.ones(0), np.ones(3), method="fft")
    with pytest.raises(ValueError, match="in1 cannot be empty"):
        fftconv.convolve(np.ones(0), np.ones(3), method=method)
    # where scipy has an answer, it is the same
    out, ref = (
        fftconv.convolve(np.ones(0), np.ones(3), "same"),
        ss.convolve(np.ones(0), np.ones(3), "same"),
    )
    assert out.shape == ref.shape and out.dtype == ref.dtype
    assert (
        fftconv.fftconvolve(np.ones(0), np.ones(3)).shape
        == ss.fftconvolve(np.ones(0), np.ones(3)).shape
    )


def test_zero_dim_like_scipy():
    for name in ("convolve", "correlate", "fftconvolve", "oaconvolve"):
        a, b = np.array(2.0 + 1j), np.array(3.0 - 2j)
        ours, theirs = getattr(fftconv, name)(a, b), getattr(ss, name)(a, b)
        assert ours == theirs and np.asarray(ours).dtype == np.asarray(theirs).dtype


# ------------------------------------------------------- found in review, 2026-11-25


def test_object_nd_python_ints_stay_exact():
    """N-D object arrays of Python ints: exact sums (no int64 zeros from the padding)."""
    a = np.array([[498896825204351407, 2856577710066510566, 557792204636026086,
                   -1951469854406865646]], dtype=object)
    b = np.array([[1, 0, -1, 0], [3, 3, 1, 2]], dtype=object)
    want = ref_correlate(a, b[::-1, ::-1])
    for out in (fftconv.convolve(a, b), fftconv.convolve(a, b, method="direct")):
        assert out.tolist() == want.tolist()
        assert {type(v) for v in out.ravel()} == {int}
    assert fftconv.convolve2d(a, b).tolist() == want.tolist()
    big = fftconv.convolve(np.array([[2**70, 1]], dtype=object), np.array([[2**65, 1]], object))
    assert big.tolist() == [[2**135, 2**70 + 2**65, 1]]


@pytest.mark.parametrize(("dtype", "fillvalue"), [
    ("uint8", -1), ("uint8", 300), ("uint8", 256.0), ("int32", 2**31), ("int32", 1e20),
    ("int16", -40000), ("int64", 2**64), ("int64", -2**63 - 1),
])
@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_out_of_range_fillvalue_is_refused_like_scipy(name, dtype, fillvalue):
    a = np.ones((2, 2), dtype)
    assert isinstance(_outcome(getattr(ss, name), a, a, fillvalue=fillvalue)[1], ValueError)
    with pytest.raises(ValueError, match="out of range"):
        getattr(fftconv, name)(a, a, fillvalue=fillvalue)


@pytest.mark.parametrize(("dtype", "fillvalue"), [("uint8", 255), ("uint8", 1.5),
                                                  ("int32", -2**31), ("int32", 2.5),
                                                  ("uint8", np.int64(-1)), ("uint8", np.int64(300)),
                                                  ("int32", np.float32(3e9))])
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")  # scipy warns too
def test_in_range_fillvalue_like_scipy(dtype, fillvalue):
    a = np.arange(4, dtype=dtype).reshape(2, 2)
    for name in ("convolve2d", "correlate2d"):
        ours = getattr(fftconv, name)(a, a, fillvalue=fillvalue)
        theirs = _outcome(getattr(ss, name), a, a, fillvalue=fillvalue)[0]
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("fillvalue", [1j, [1, 2], np.nan, "x", None])
@pytest.mark.parametrize("boundary", ["wrap", "symm"])
def test_fillvalue_ignored_unless_fill_like_scipy(boundary, fillvalue):
    a, k = np.arange(9).reshape(3, 3), np.ones((2, 2), int)
    for name in ("convolve2d", "correlate2d"):
        ours = getattr(fftconv, name)(a, k, boundary=boundary, fillvalue=fillvalue)
        np.testing.assert_array_equal(ours, getattr(ss, name)(a, k, boundary=boundary))


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_empty_same_like_scipy(name, boundary):
    ours = getattr(fftconv, name)(np.ones((0, 5)), np.ones((2, 3)), "same", boundary=boundary)
    theirs = getattr(ss, name)(np.ones((0, 5)), np.ones((2, 3)), "same", boundary=boundary)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    # 'full' has no meaningful answer (scipy crashes with SIGFPE for wrap/symm): a clear error
    with pytest.raises(ValueError, match="in1 cannot be empty in mode 'full'"):
        getattr(fftconv, name)(np.ones((0, 5)), np.ones((2, 3)), boundary=boundary)


@pytest.mark.parametrize("name", ["fftconvolve", "oaconvolve"])
def test_zero_dim_array_axes(name):
    a, k = np.arange(8.0).reshape(2, 4), np.ones((2, 2))
    np.testing.assert_allclose(getattr(fftconv, name)(a, k, axes=np.array(1)),
                               ss.fftconvolve(a, k, axes=1))
    with pytest.raises(ValueError, match=r"axes must be .*got axes=array\(1\.\)"):
        getattr(fftconv, name)(a, k, axes=np.array(1.0))


@pytest.mark.parametrize(("dtype", "fillvalue"), [
    ("int8", np.array(300)), ("int8", np.array(3)), ("float32", np.array(3)),
    ("int32", np.array(1.5)), ("float32", np.array(2.0)),
])
def test_array_fillvalues_cast_only_safely_like_scipy(dtype, fillvalue):
    a, k = np.ones((4, 5), dtype), np.ones((2, 3), dtype)
    assert isinstance(_outcome(ss.convolve2d, a, k, "same", "fill", fillvalue)[1], ValueError)
    with pytest.raises(ValueError, match="cannot be cast safely"):
        fftconv.convolve2d(a, k, "same", "fill", fillvalue)
    ok = np.array(3, dtype)  # the output's own dtype casts
    np.testing.assert_array_equal(fftconv.convolve2d(a, k, "same", "fill", ok),
                                  ss.convolve2d(a, k, "same", "fill", ok))
