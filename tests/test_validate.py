"""Bad input: a clear TypeError/ValueError naming the parameter, never a crash."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import fftconv
from fftconv import _validate
from fftconv._validate import ArgumentTypeError

X, H = np.arange(6.0), np.array([1.0, -1.0])
X2, H2 = np.ones((4, 5)), np.ones((2, 2))

# name -> call(in1, in2, **kw) for every public function taking two arrays
ALL = {
    "convolve": fftconv.convolve,
    "correlate": fftconv.correlate,
    "fftconvolve": fftconv.fftconvolve,
    "oaconvolve": fftconv.oaconvolve,
    "convolve2d": fftconv.convolve2d,
    "correlate2d": fftconv.correlate2d,
}
ND = ["convolve", "correlate", "fftconvolve", "oaconvolve"]


def _args(name):
    return (X2, H2) if name.endswith("2d") else (X, H)


# ------------------------------------------------------------------ mode / method / boundary


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("mode", ["foo", "FULL", None, 1, ""])
def test_bad_mode(name, mode):
    with pytest.raises(ValueError, match=r"Acceptable mode flags.*mode=") as info:
        ALL[name](*_args(name), mode=mode)
    assert repr(mode) in str(info.value)


@pytest.mark.parametrize(
    "fn", [fftconv.choose_conv_method, lambda a, b, mode: fftconv.correlation_lags(3, 2, mode)]
)
def test_bad_mode_other_functions(fn):
    with pytest.raises(ValueError, match="mode='nope'"):
        fn(X, H, mode="nope")


@pytest.mark.parametrize("name", ["convolve", "correlate", "convolve2d", "correlate2d"])
@pytest.mark.parametrize("method", ["bar", "FFT", None, "overlap"])
def test_bad_method_lists_the_allowed(name, method):
    with pytest.raises(ValueError, match=r"'auto', 'direct', 'fft', 'oa'; got method=") as info:
        ALL[name](*_args(name), method=method)
    assert repr(method) in str(info.value)


@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
@pytest.mark.parametrize("boundary", ["reflect", None, "FILL"])
def test_bad_boundary(name, boundary):
    with pytest.raises(ValueError, match=r"boundary flags.*boundary="):
        ALL[name](X2, H2, boundary=boundary)


@pytest.mark.parametrize("alias", ["fill", "pad", "wrap", "circular", "symm", "symmetric"])
def test_boundary_aliases_accepted(alias):
    assert fftconv.convolve2d(X2, H2, boundary=alias).shape == (5, 6)


# ------------------------------------------------------------------ array arguments

BAD_TYPES = [
    ("abc", "str"),
    (b"abc", "bytes"),
    (np.array(["a", "b"]), "dtype <U1"),
    (np.array([b"a"]), "dtype |S1"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
    (np.array([1, "a"], dtype=object), "non-number 'a'"),
    (None, "non-number None"),
    ({}, "non-number {}"),
]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(("value", "words"), BAD_TYPES, ids=[w for _, w in BAD_TYPES])
@pytest.mark.parametrize("which", ["in1", "in2"])
def test_non_numeric_inputs(name, value, words, which):
    a, b = _args(name)
    args = (value, b) if which == "in1" else (a, value)
    with pytest.raises(TypeError) as info:
        ALL[name](*args)
    assert which in str(info.value) and words in str(info.value)
    # scipy raises ValueError for these: both spellings of `except` work
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ArgumentTypeError)


@pytest.mark.parametrize("name", ALL)
def test_ragged_inputs(name):
    ragged = [[1.0, 2.0], [3.0]]
    with pytest.raises(ValueError, match="in1 must be a rectangular array_like"):
        ALL[name](ragged, [[1.0]])
    with pytest.raises(ValueError, match="in2 must be a rectangular"):
        ALL[name]([[1.0]], ragged)


@pytest.mark.parametrize("name", ND)
def test_dimension_mismatch(name):
    with pytest.raises(ValueError, match="should have the same dimensionality"):
        ALL[name](X, H2)


@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_2d_functions_need_2d(name):
    with pytest.raises(ValueError, match=f"{name} inputs must both be 2-D arrays"):
        ALL[name](X, H)


@pytest.mark.parametrize("name", ALL)
def test_valid_incompatible_shapes(name):
    with pytest.raises(ValueError, match="at least as large as the other in every dimension"):
        ALL[name](np.ones((3, 5)), np.ones((5, 3)), mode="valid")


def test_fft_family_incompatible_batch_shapes():
    with pytest.raises(ValueError, match="incompatible shapes for in1 and in2"):
        fftconv.fftconvolve(np.ones((3, 4)), np.ones((2, 2)), axes=1)


# ------------------------------------------------------------------ axes


@pytest.mark.parametrize("fn", [fftconv.fftconvolve, fftconv.oaconvolve])
@pytest.mark.parametrize(
    ("axes", "match"),
    [
        (2, "axes exceeds dimensionality"),
        (-3, "axes exceeds dimensionality"),
        ([0, 2], "axes exceeds dimensionality"),
        ([0, 0], "all axes must be unique"),
        ([1, -1], "all axes must be unique"),
        ([], "axes cannot be empty"),
        ((), "axes cannot be empty"),
    ],
)
def test_bad_axes_values(fn, axes, match):
    with pytest.raises(ValueError, match=match):
        fn(X2, H2, axes=axes)


@pytest.mark.parametrize("fn", [fftconv.fftconvolve, fftconv.oaconvolve])
@pytest.mark.parametrize("axes", [1.0, "0", [0.0], [0, "1"], True, [False], b"0", 1 + 0j])
def test_non_integer_axes(fn, axes):
    with pytest.raises(TypeError, match="axes must be") as info:
        fn(X2, H2, axes=axes)
    assert isinstance(info.value, ValueError)  # scipy raises ValueError here


@pytest.mark.parametrize("axes", [np.int64(1), [np.int32(0), 1], np.array([0, 1]), (1,), -1])
def test_integer_like_axes_accepted(axes):
    x2, h2 = np.ones((4, 5)), np.ones((4, 2))
    assert fftconv.fftconvolve(x2, h2, axes=axes).ndim == 2


# ------------------------------------------------------------------ workers


@pytest.mark.parametrize("name", ALL)
def test_workers_zero(name):
    with pytest.raises(ValueError, match="workers must not be 0"):
        ALL[name](*_args(name), workers=0)


@pytest.mark.parametrize("name", ALL)
def test_workers_too_negative(name):
    with pytest.raises(ValueError, match=r"workers=-1000 asks for"):
        ALL[name](*_args(name), workers=-1000)


@pytest.mark.parametrize("workers", [1.5, 2.0, "2", True, None])
def test_workers_not_an_integer(workers):
    if workers is None:  # None means "the default": accepted
        fftconv.convolve(X, H, workers=None)
        return
    with pytest.raises(TypeError, match="workers must be an integer"):
        fftconv.convolve(X, H, workers=workers)
    with pytest.raises(TypeError, match="workers must be an integer"):
        with fftconv.set_workers(workers):
            pass


def test_workers_is_keyword_only():
    with pytest.raises(TypeError):
        fftconv.fftconvolve(X, H, "full", None, 2)  # type: ignore[misc]


# ------------------------------------------------------------------ fillvalue


@pytest.mark.parametrize(
    ("fillvalue", "dtype", "exc", "match"),
    [
        ([1, 2], float, ValueError, "fillvalue must be a scalar"),
        (1j, float, ValueError, "is complex but the output dtype"),
        (1 + 0j, int, ValueError, "is complex but the output dtype"),
        (np.nan, int, ValueError, "cannot be represented in the integer"),
        ("a", float, TypeError, "fillvalue must be a number"),
        (None, int, TypeError, "cannot be converted"),
    ],
)
def test_bad_fillvalue(fillvalue, dtype, exc, match):
    with pytest.raises(exc, match=match) as info:
        fftconv.convolve2d(np.ones((3, 3), dtype), np.ones((2, 2), dtype), fillvalue=fillvalue)
    assert isinstance(info.value, ValueError)  # as scipy


@pytest.mark.parametrize("fillvalue", [2.5, 1j, np.complex64(3), np.float32(1)])
def test_fillvalue_accepted_for_complex(fillvalue):
    out = fftconv.convolve2d(np.ones((3, 3), complex), np.ones((2, 2)), fillvalue=fillvalue)
    assert out[0, 0] == 1 + 3 * complex(fillvalue)


# ------------------------------------------------------------------ objects of numbers


@pytest.mark.parametrize("method", ["auto", "direct"])
def test_fraction_and_decimal_exact(method):
    f = np.array([Fraction(1, 3), Fraction(2, 7), Fraction(-1, 2)], dtype=object)
    g = np.array([Fraction(3, 5), Fraction(1, 9)], dtype=object)
    out = fftconv.convolve(f, g, method=method)
    assert out.dtype == object
    assert out.tolist() == [
        Fraction(1, 5),
        Fraction(1, 27) + Fraction(6, 35),
        Fraction(2, 63) - Fraction(3, 10),
        Fraction(-1, 18),
    ]
    d = np.array([Decimal("0.1"), Decimal("0.2")], dtype=object)
    e = np.array([Decimal("3"), Decimal("0.7")], dtype=object)
    out = fftconv.correlate(d, e, method=method)
    assert out.tolist() == [Decimal("0.07"), Decimal("0.44"), Decimal("0.6")]


def test_object_python_ints_exact_beyond_int64():
    big = np.array([2**70, 3], dtype=object)
    out = fftconv.convolve(big, np.array([1, 2**10], dtype=object))
    assert out.tolist() == [2**70, 2**80 + 3, 3 * 2**10]


# ------------------------------------------------------------------ the checkers themselves


def test_check_positive_int():
    assert _validate.check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n must be an integer, got the float 3.0"):
        _validate.check_positive_int(3.0, "n")
    with pytest.raises(TypeError, match="n must be an integer"):
        _validate.check_positive_int(True, "n")
    with pytest.raises(ValueError, match="n must be >= 1, got n=0"):
        _validate.check_positive_int(0, "n")
    assert _validate.check_positive_int(0, "n", minimum=0) == 0


def test_check_shape_size_overflow():
    assert _validate.check_shape_size((3, 4), 8) == 12
    with pytest.raises(ValueError, match="too large"):
        _validate.check_shape_size((2**40, 2**40), 8)


def test_check_planner():
    assert _validate.check_planner("FFTW_MEASURE") == "measure"
    with pytest.raises(ValueError, match="planner must be one of"):
        _validate.check_planner("fast")


def test_check_axes_normalises():
    assert _validate.check_axes(None, 3) is None
    assert _validate.check_axes(-1, 3) == [2]
    assert _validate.check_axes((2, -3), 3) == [2, 0]


def test_plan_bad_shapes():
    with pytest.raises(ValueError, match="in1_shape must hold positive integers"):
        fftconv.plan((0,), (3,))
    with pytest.raises(ValueError, match="same dimensionality"):
        fftconv.plan((5, 5), (3,))
