"""Tests for fftconv.image: kernels and smooth() against scipy.ndimage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import fftconv
from fftconv import _directloop, image

MODES = ["reflect", "nearest", "wrap", "constant"]


def _tol(img, kernel, dtype, k=50):
    """Absolute tolerance: k * eps(dtype) * log2(size) * max|image| * sum|kernel|."""
    size = max(img.size, 2)
    return (k * np.finfo(dtype).eps * np.log2(size) * float(np.max(np.abs(img)))
            * float(np.abs(kernel).sum()))


def _reference(img, kernel, mode, cval=0.0):
    """scipy.ndimage.convolve in float64, per channel for colour images."""
    data = np.asarray(img, np.float64)
    k = np.asarray(kernel, np.float64)
    if data.ndim == 3:
        k = k[:, :, None]
    return ndi.convolve(data, k, mode=mode, cval=cval)


# kernel shapes: odd, even (scipy's origin), 1 x n, n x 1, 1 x 1, larger than the image
SHAPES = [(3, 3), (4, 4), (2, 5), (1, 4), (5, 1), (1, 1), (14, 9)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kshape", SHAPES)
@pytest.mark.parametrize("separable", [False, True])
def test_smooth_matches_ndimage_grey_float64(mode, kshape, separable):
    rng = np.random.default_rng(0)
    img = rng.standard_normal((11, 13))
    if separable:
        k = np.outer(rng.standard_normal(kshape[0]), rng.standard_normal(kshape[1]))
    else:
        k = rng.standard_normal(kshape)
    got = image.smooth(img, k, mode, cval=0.7)
    assert got.dtype == np.float64 and got.shape == img.shape
    np.testing.assert_allclose(got, _reference(img, k, mode, 0.7),
                               atol=_tol(img, k, np.float64), rtol=0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kernel", [image.box(3), image.box((2, 4)), image.gaussian(1.2),
                                    image.laplacian()], ids=["box3", "box2x4", "gauss", "lap"])
def test_smooth_colour_float32(mode, kernel):
    rng = np.random.default_rng(0)
    img = rng.random((20, 17, 3)).astype(np.float32)
    got = image.smooth(img, kernel, boundary=mode)
    assert got.dtype == np.float32 and got.shape == img.shape
    np.testing.assert_allclose(got, _reference(img, kernel, mode),
                               atol=_tol(img, kernel, np.float32), rtol=0)
    # each channel is smoothed on its own (a single channel may take another engine:
    # equal up to float32 rounding)
    np.testing.assert_allclose(got[..., 1], image.smooth(img[..., 1], kernel, mode),
                               atol=_tol(img, kernel, np.float32), rtol=0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(24, 31), (24, 31, 3)])
@pytest.mark.parametrize("kernel", [image.box(3), image.box(2), image.gaussian(2.0)],
                         ids=["box3", "box2", "gauss2"])
def test_smooth_uint8_rounds_and_clips(mode, shape, kernel):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=shape, dtype=np.uint8)
    got = image.smooth(img, kernel, mode, cval=255)
    assert got.dtype == np.uint8 and got.shape == img.shape
    ref = _reference(img, kernel, mode, 255)
    expected = np.clip(np.rint(ref), 0, 255)
    # exact except where the reference sits on a .5 tie (rounding noise may tip it)
    tie = np.abs(ref - np.floor(ref) - 0.5) < 1e-9
    assert np.all(got[~tie] == expected[~tie])
    assert np.all(np.abs(got.astype(int) - expected)[tie] <= 1)


def test_smooth_uint8_clips_negative_and_large():
    img = np.full((5, 5), 200, np.uint8)
    assert np.all(image.smooth(img, 2 * image.box(3)) == 255)
    assert np.all(image.smooth(img, -image.box(3)) == 0)
    img16 = np.full((4, 4), 1000, np.uint16)
    assert image.smooth(img16, image.box(3)).dtype == np.uint16


def test_gaussian_matches_ndimage():
    rng = np.random.default_rng(0)
    img = rng.standard_normal((40, 33))
    for sigma in (0.5, 1.0, 2.5):
        for truncate in (4.0, 2.0):
            k = image.gaussian(sigma, truncate=truncate)
            radius = int(truncate * sigma + 0.5)
            assert k.shape == (2 * radius + 1,) * 2
            np.testing.assert_allclose(k.sum(), 1.0, rtol=1e-14)
            np.testing.assert_allclose(
                image.smooth(img, k), ndi.gaussian_filter(img, sigma, truncate=truncate),
                atol=_tol(img, k, np.float64), rtol=0)
    k = image.gaussian((1.0, 3.0))
    assert k.shape == (9, 25)


def test_sobel_and_laplacian_match_ndimage():
    rng = np.random.default_rng(0)
    img = rng.standard_normal((16, 19))
    for axis in (0, 1):
        np.testing.assert_allclose(image.smooth(img, image.sobel(axis)), ndi.sobel(img, axis),
                                   atol=1e-12, rtol=0)
    np.testing.assert_allclose(image.smooth(img, image.laplacian()), ndi.laplace(img),
                               atol=1e-12, rtol=0)
    ramp = np.add.outer(np.arange(8.0), np.zeros(8))  # increases down the rows
    assert np.all(image.smooth(ramp, image.sobel(0), "nearest")[1:-1] > 0)


def test_box():
    assert image.box(1).tolist() == [[1.0]]
    np.testing.assert_allclose(image.box((2, 5)), np.full((2, 5), 0.1))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: image.box(0), ValueError, "size must be >= 1"),
    (lambda: image.box(2.5), TypeError, "size must be an integer"),
    (lambda: image.box((1, 2, 3)), ValueError, "pair"),
    (lambda: image.gaussian(0), ValueError, "sigma must be positive"),
    (lambda: image.gaussian(np.inf), ValueError, "sigma must be positive"),
    (lambda: image.gaussian("1"), TypeError, "sigma must be a real number"),
    (lambda: image.gaussian(1.0, truncate=-1), ValueError, "truncate must be positive"),
    (lambda: image.sobel(2), ValueError, "axis must be 0 or 1"),
])
def test_kernel_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("args, kw, exc, match", [
    ((np.ones(5), image.box(3)), {}, ValueError, "image must be"),
    ((np.ones((2, 2, 2, 2)), image.box(3)), {}, ValueError, "image must be"),
    ((np.ones((4, 4), complex), image.box(3)), {}, TypeError, "image must hold"),
    ((np.ones((4, 4), bool), image.box(3)), {}, TypeError, "image must hold"),
    ((np.ones((4, 4)), np.ones(3)), {}, ValueError, "kernel must be 2-D"),
    ((np.ones((4, 4)), np.ones((0, 3))), {}, ValueError, "kernel must not be empty"),
    ((np.ones((4, 4)), np.full((3, 3), np.nan)), {}, ValueError, "kernel must be finite"),
    ((np.ones((4, 4)), image.box(3)), {"boundary": "mirror"}, ValueError, "boundary must be"),
    ((np.ones((4, 4)), image.box(3)), {"cval": np.nan}, ValueError, "cval must be"),
])
def test_smooth_validation(args, kw, exc, match):
    with pytest.raises(exc, match=match):
        image.smooth(*args, **kw)


def test_separate():
    col, row = image.separate(image.gaussian(1.5))
    np.testing.assert_allclose(np.outer(col, row), image.gaussian(1.5), atol=1e-16)
    assert image.separate(image.laplacian()) is None
    assert image.separate(np.zeros((3, 3))) is None
    col, row = image.separate(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(np.outer(col, row), [[1, 2, 3]])


def test_separable_kernel_runs_as_two_1d_passes(monkeypatch):
    calls = []
    real = fftconv.convolve

    def spy(a, b, *args, **kw):
        calls.append(np.shape(b))
        return real(a, b, *args, **kw)

    monkeypatch.setattr(fftconv, "convolve", spy)
    img = np.random.default_rng(0).random((300, 300, 3))
    image.smooth(img, image.gaussian(2.0))  # 17x17: two 1-D passes, channel by channel
    assert calls == [(17, 1), (1, 17)] * 3
    calls.clear()
    image.smooth(img[..., 0], image.laplacian())  # not separable
    assert calls == [(3, 3)]
    calls.clear()
    image.smooth(img[..., 0], image.box(3))  # separable, but faster whole (direct loop)
    if _directloop.COMPILED:
        assert calls == [(3, 3)]
    calls.clear()
    # float32 images: the kernel's factors are found before it is rounded to float32
    image.smooth(img[..., 0].astype(np.float32), image.gaussian(2.0))
    assert calls == [(17, 1), (1, 17)]
    calls.clear()
    # many channels of a small image: one 3-D problem
    small = np.random.default_rng(1).random((32, 32, 40))
    got = image.smooth(small, image.gaussian(1.0))
    assert len(calls) == 2 and all(len(c) == 3 for c in calls)
    np.testing.assert_allclose(got, _reference(small, image.gaussian(1.0), "reflect"),
                               atol=_tol(small, image.gaussian(1.0), np.float64), rtol=0)


def test_input_not_modified():
    img = np.random.default_rng(0).random((8, 8))
    before = img.copy()
    image.smooth(img, image.box(3), "constant", cval=3.0)
    np.testing.assert_array_equal(img, before)


INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kernel", [image.box(3), image.gaussian(1.0), image.box((1, 7))],
                         ids=["box3", "gauss1", "box1x7"])
def test_smooth_constant_integer_image_unchanged_at_limits(dtype, kernel):
    # float(iinfo(int64).max) rounds up to 2**63: a float clip let it overflow the cast
    # (int64 max came back as int64 min, uint64 max as 0)
    info = np.iinfo(dtype)
    for value in (info.min, info.max, info.max // 3):
        img = np.full((12, 10, 3), value, dtype)
        for boundary in ("reflect", "wrap", "constant"):
            got = image.smooth(img, kernel, boundary, cval=float(value))
            assert got.dtype == img.dtype
            np.testing.assert_array_equal(got, img, err_msg=f"{value=} {boundary=}")
    # a kernel summing to 2 saturates at the limits instead of wrapping around
    np.testing.assert_array_equal(image.smooth(np.full((6, 6), info.max, dtype), 2 * image.box(3)),
                                  np.full((6, 6), info.max, dtype))
    if info.min < 0:
        np.testing.assert_array_equal(
            image.smooth(np.full((6, 6), info.min, dtype), 2 * image.box(3)),
            np.full((6, 6), info.min, dtype))


def _exact_reference(img, kernel):
    """Round-to-nearest of the exact (Python int / Fraction) 'reflect' convolution."""
    from fractions import Fraction

    kh, kw = kernel.shape
    padded = np.pad(img.astype(object), image._pad_widths(kernel.shape), mode="symmetric")
    kf = [[Fraction(float(v)) for v in row] for row in kernel[::-1, ::-1]]
    out = np.empty(img.shape, object)
    for i in range(img.shape[0]):
        for j in range(img.shape[1]):
            out[i, j] = round(sum(kf[a][b] * int(padded[i + a, j + b])
                                  for a in range(kh) for b in range(kw)))
    return out


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_smooth_random_integer_images_match_rounded_clipped_reference(dtype):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    kernel = image.gaussian(1.0)
    full = rng.integers(info.min, info.max, size=(11, 9), dtype=dtype, endpoint=True)
    got = image.smooth(full, kernel)
    ref = _exact_reference(full, kernel)
    err = np.abs(got.astype(object) - ref).max()
    # float64 is exact below 2**53; above, the error is float64 rounding of the range
    tol = 1 if info.bits < 64 else _tol(full.astype(np.float64), kernel, np.float64)
    assert err <= tol
    # near the top, with a gain of 1.5: precision follows the range of the values, and
    # whatever passes the dtype's maximum saturates there (a binomial kernel: its sum is
    # exactly 1 in binary, so the exact reference is the intended one)
    kernel = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
    top = rng.integers(max(info.min, info.max - 999), info.max, size=(11, 9), dtype=dtype,
                       endpoint=True)
    for gain in (1.0, 1.5):
        got = image.smooth(top, gain * kernel)
        want = np.minimum(_exact_reference(top, gain * kernel), info.max)
        assert np.abs(got.astype(object) - want).max() <= 1  # a .5 tie may round either way
        assert int(got.min()) >= int(top.min()) - 1
