"""Image kernels and smoothing by convolution.

:func:`smooth` convolves a grey ``(H, W)`` or colour ``(H, W, C)`` image
with a 2-D kernel, extending the image past its border like
:func:`scipy.ndimage.convolve` does (same mode names, same result for kernels
up to the image's size, same origin for even-sized kernels; for ``'reflect'``
with kernels wider than the image fftconv keeps mirroring, as numpy's
``'symmetric'`` padding does, where ndimage differs). It pads the image with :func:`numpy.pad`,
then calls :func:`fftconv.convolve` in ``'valid'`` mode, so the strategy
layer picks direct sums or FFTs; separable (rank-1) kernels run as two 1-D
passes.

Kernels: :func:`box`, :func:`gaussian`, :func:`laplacian`, :func:`sobel`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validate import as_array, check_positive_int

__all__ = ["box", "gaussian", "laplacian", "sobel", "smooth", "separate", "BOUNDARIES"]

#: ``smooth`` boundary names (scipy.ndimage's) and the matching :func:`numpy.pad` mode.
BOUNDARIES: dict[str, str] = {
    "reflect": "symmetric",  # d c b a | a b c d | d c b a
    "nearest": "edge",  # a a a a | a b c d | d d d d
    "wrap": "wrap",  # a b c d | a b c d | a b c d
    "constant": "constant",  # k k k k | a b c d | k k k k   (k = cval)
}

#: Relative size of the second singular value below which a kernel counts as separable.
SEPARABLE_RTOL = 1e-10


# --------------------------------------------------------------------------- kernels


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {name}={value!r}")
        return check_positive_int(value[0], name), check_positive_int(value[1], name)
    v = check_positive_int(value, name)
    return v, v


def _positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {name}={value!r}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {name}={value!r}")
    return value


def box(size: int | tuple[int, int]) -> np.ndarray:
    """Box (moving-average) kernel: ``ones((h, w)) / (h * w)``.

    Parameters
    ----------
    size : int or (int, int)
        Side, or ``(h, w)``; each at least 1.

    Returns
    -------
    ndarray of float64
        Shape ``(h, w)``, summing to 1.

    Examples
    --------
    >>> from fftconv.image import box
    >>> box(3) * 9
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    h, w = _pair(size, "size")
    return np.full((h, w), 1.0 / (h * w))


def _gaussian1d(sigma: float, truncate: float) -> np.ndarray:
    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return w / w.sum()


def gaussian(sigma: float | tuple[float, float], truncate: float = 4.0) -> np.ndarray:
    """Normalised Gaussian kernel, as :func:`scipy.ndimage.gaussian_filter` builds it.

    Parameters
    ----------
    sigma : float or (float, float)
        Standard deviation in pixels, or ``(sigma_rows, sigma_cols)``; > 0.
    truncate : float, optional
        Cut the kernel at ``radius = int(truncate * sigma + 0.5)`` pixels
        (default 4.0), so its side is ``2 * radius + 1``.

    Returns
    -------
    ndarray of float64
        The outer product of two 1-D Gaussians, summing to 1 (separable).

    Examples
    --------
    >>> from fftconv.image import gaussian
    >>> k = gaussian(1.0)
    >>> k.shape, round(float(k.sum()), 12)
    ((9, 9), 1.0)
    """
    if isinstance(sigma, (tuple, list)):
        if len(sigma) != 2:
            raise ValueError(f"sigma must be a number or a pair, got sigma={sigma!r}")
        sy, sx = (_positive_float(s, "sigma") for s in sigma)
    else:
        sy = sx = _positive_float(sigma, "sigma")
    truncate = _positive_float(truncate, "truncate")
    return np.outer(_gaussian1d(sy, truncate), _gaussian1d(sx, truncate))


def laplacian() -> np.ndarray:
    """The 3x3 discrete Laplacian ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``.

    Convolving with it gives :func:`scipy.ndimage.laplace`; use a float
    image (negative values).

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> from fftconv.image import laplacian
    >>> laplacian().sum()
    np.float64(0.0)
    """
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sobel(axis: int = 0) -> np.ndarray:
    """3x3 Sobel derivative kernel along ``axis`` (0: rows/down, 1: columns/right).

    Oriented for *convolution*: ``smooth(image, sobel(axis))`` equals
    :func:`scipy.ndimage.sobel` ``(image, axis)`` (positive where the
    image increases along `axis`). Use a float image.

    Parameters
    ----------
    axis : {0, 1}, optional
        Direction of the derivative.

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> from fftconv.image import sobel
    >>> sobel(0)
    array([[ 1.,  2.,  1.],
           [ 0.,  0.,  0.],
           [-1., -2., -1.]])
    """
    if isinstance(axis, bool) or axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 or 1, got axis={axis!r}")
    k = np.outer([1.0, 0.0, -1.0], [1.0, 2.0, 1.0])
    return k if axis in (0, -2) else k.T.copy()


def separate(kernel, *, rtol: float = SEPARABLE_RTOL) -> tuple[np.ndarray, np.ndarray] | None:
    """Split a 2-D kernel into ``(column, row)`` with ``outer(column, row) == kernel``.

    Parameters
    ----------
    kernel : array_like
        2-D kernel.
    rtol : float, optional
        The kernel counts as rank 1 when its second singular value is at
        most ``rtol`` times the first.

    Returns
    -------
    (ndarray, ndarray) or None
        The two 1-D factors, or None when the kernel is not separable.

    Examples
    --------
    >>> from fftconv.image import gaussian, laplacian, separate
    >>> col, row = separate(gaussian(2.0))
    >>> col.shape, row.shape
    ((17,), (17,))
    >>> separate(laplacian()) is None
    True
    """
    k = _check_kernel(kernel)
    if k.shape[1] == 1:
        return k[:, 0].copy(), np.ones(1, k.dtype)
    if k.shape[0] == 1:
        return np.ones(1, k.dtype), k[0].copy()
    u, s, vt = np.linalg.svd(k.astype(np.float64))
    if s[0] == 0 or s[1] > rtol * s[0]:
        return None
    root = np.sqrt(s[0])
    return u[:, 0] * root, vt[0] * root


# --------------------------------------------------------------------------- smoothing


def _check_kernel(kernel) -> np.ndarray:
    k = as_array(kernel, "kernel")
    if k.ndim != 2:
        raise ValueError(f"kernel must be 2-D, got shape {k.shape}")
    if k.size == 0:
        raise ValueError(f"kernel must not be empty, got shape {k.shape}")
    if k.dtype.kind in "bO":
        k = k.astype(np.float64)
    if k.dtype.kind == "c":
        raise TypeError("kernel must be real, got a complex kernel")
    if not np.all(np.isfinite(k)):
        raise ValueError("kernel must be finite (it holds NaN or inf)")
    return k


def _check_image(image) -> np.ndarray:
    img = as_array(image, "image")
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) grey or (H, W, C) colour, got shape {img.shape}")
    if img.dtype.kind not in "uif":
        raise TypeError(f"image must hold integers or floats, got dtype {img.dtype}")
    if img.size == 0:
        raise ValueError(f"image must not be empty, got shape {img.shape}")
    return img


def _check_boundary(boundary: object) -> str:
    if not isinstance(boundary, str) or boundary not in BOUNDARIES:
        listed = ", ".join(repr(b) for b in BOUNDARIES)
        raise ValueError(f"boundary must be one of {listed}; got boundary={boundary!r}")
    return boundary


def _pad_widths(shape: tuple[int, int]) -> list[tuple[int, int]]:
    # scipy.ndimage's origin: (k - 1) // 2 samples before, k // 2 after.
    return [((k - 1) // 2, k // 2) for k in shape]


def _worth_separating(k: np.ndarray, shape, dtype):
    """The rank-1 factors of ``k`` where two 1-D passes are predicted faster, else None."""
    from . import _strategy

    if min(k.shape) == 1:  # already 1-D
        return None
    factors = separate(k)
    if factors is None:
        return None

    def best(s1, s2):
        w = [(b - 1, a) for a, b in zip(s1, s2)]  # 'valid'
        plan = _strategy.choose(s1, s2, [0, 1], w, dtype=dtype)
        return plan.predicted[plan.method]

    (h, w), (kh, kw) = shape, k.shape
    t_sep = best((h, w), (kh, 1)) + best((h - kh + 1, w), (1, kw))
    return factors if t_sep * _strategy.MARGIN < best((h, w), (kh, kw)) else None


def _smooth_plane(padded: np.ndarray, k: np.ndarray, factors) -> np.ndarray:
    from . import convolve

    if factors is None:
        return convolve(padded, k, mode="valid")
    tail = (1,) * (padded.ndim - 2)
    col, row = (f.astype(k.dtype).ravel() for f in factors)
    out = convolve(padded, col.reshape(-1, 1, *tail), mode="valid")
    return convolve(out, row.reshape(1, -1, *tail), mode="valid")


def smooth(image, kernel, boundary: str = "reflect", cval: float = 0.0) -> np.ndarray:
    """Convolve an image with a 2-D kernel, keeping its shape and dtype.

    Parameters
    ----------
    image : array_like
        Grey ``(H, W)`` or colour ``(H, W, C)`` image (the kernel is applied
        to each channel), of a float or integer dtype.
    kernel : array_like
        Real 2-D kernel, e.g. :func:`box`, :func:`gaussian`, :func:`sobel`.
        Even sizes follow :func:`scipy.ndimage.convolve`'s origin.
    boundary : {'reflect', 'nearest', 'wrap', 'constant'}, optional
        How the image is extended past its border (scipy.ndimage names):
        ``'reflect'`` (default) mirrors it including the edge pixel
        (``d c b a | a b c d | d c b a``), ``'nearest'`` repeats the edge
        pixel, ``'wrap'`` tiles the image, ``'constant'`` uses `cval`.
    cval : float, optional
        Fill value for ``boundary='constant'`` (default 0).

    Returns
    -------
    ndarray
        Same shape and dtype as `image`. Integer images are rounded to the
        nearest integer and clipped to the dtype's range (uint8 in, uint8
        out; values past the limits saturate, they never wrap around);
        float32 stays float32; other floats and integers are computed in
        float64.

    Raises
    ------
    ValueError
        An image that is not 2-D or 3-D, a kernel that is not 2-D or holds
        NaN/inf, an unknown `boundary`, a non-finite `cval`.
    TypeError
        A complex or boolean image, a complex kernel.

    See Also
    --------
    scipy.ndimage.convolve : the same result, computed by direct sums.

    Notes
    -----
    A separable kernel (rank 1, see :func:`separate`) of size ``kh x kw``
    costs ``O(H W (kh + kw))`` as two 1-D passes instead of
    ``O(H W kh kw)``; it is split where the cost model predicts the two
    passes faster (small kernels such as 3x3 run faster whole, on the
    compiled direct loop). Large kernels go through FFTs,
    ``O(H W log(H W))``, whichever :func:`fftconv.convolve` predicts
    fastest. Colour images are smoothed channel by channel (images with
    more than four channels and under 65536 pixels as one 3-D problem).

    Integers up to 32 bits are exact in float64. 64-bit integer images are
    computed relative to the middle of their range, so the float64 rounding
    error scales with the image's range rather than its magnitude, and a
    constant image comes back unchanged under a kernel whose sum rounds to
    1 in float64 (such as :func:`box` and :func:`gaussian`).

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv.image import box, smooth
    >>> rng = np.random.default_rng(0)
    >>> img = rng.integers(0, 256, size=(64, 64), dtype=np.uint8)
    >>> out = smooth(img, box(3))
    >>> out.dtype, out.shape
    (dtype('uint8'), (64, 64))
    >>> float(out.std()) < float(img.std()) / 2     # averaging 9 pixels quietens noise
    True
    """
    img = _check_image(image)
    k = _check_kernel(kernel)
    boundary = _check_boundary(boundary)
    if isinstance(cval, bool) or not isinstance(cval, numbers.Real) or not math.isfinite(cval):
        raise ValueError(f"cval must be a finite real number, got cval={cval!r}")
    work = np.dtype(np.float32) if img.dtype == np.float32 else np.dtype(np.float64)
    offset = 0
    if img.dtype.kind in "ui" and img.dtype.itemsize == 8:
        # float64 holds 53 bits: work relative to the image's mid-value (see _centred)
        data, offset = _centred(img)
        cval = cval - offset
        shift = offset * (math.fsum(k.astype(np.float64).ravel()) - 1.0)
    else:
        data = img.astype(work, copy=False)
    extra = {"constant_values": cval} if boundary == "constant" else {}

    def pad(a: np.ndarray) -> np.ndarray:
        widths = _pad_widths(k.shape) + [(0, 0)] * (a.ndim - 2)
        return np.pad(a, widths, mode=BOUNDARIES[boundary], **extra)

    # factors of the kernel as given: rounded to float32 it may no longer pass as rank 1
    (h, w), (kh, kw) = img.shape[:2], k.shape
    factors = _worth_separating(k, (h + kh - 1, w + kw - 1), work)
    k = k.astype(work)
    if img.ndim == 2:
        out = _smooth_plane(pad(data), k, factors)
    elif img.shape[2] <= 4 or h * w >= 2**16:
        # channel by channel, each padded into a contiguous 2-D problem (the 2-D loop)
        out = np.empty(img.shape, work)
        for c in range(img.shape[2]):
            out[..., c] = _smooth_plane(pad(data[..., c]), k, factors)
    else:  # many channels of a small image: one 3-D problem costs less than the loop
        out = _smooth_plane(pad(data), k[..., None], factors)
    if img.dtype.kind in "ui":
        if offset:
            out += shift
        return _to_integer(out, img.dtype, offset)
    return out.astype(img.dtype, copy=False)


def _centred(img: np.ndarray) -> tuple[np.ndarray, int]:
    """``(img - offset)`` as float64 and the integer ``offset``, for a 64-bit integer image.

    ``offset`` is the middle of the image's range, so the difference fits
    int64 and is computed exactly (in wrapping uint64 arithmetic); float64
    then rounds it relative to the image's range, not to its magnitude, and
    a constant image gives zeros.
    """
    lo, hi = int(img.min()), int(img.max())
    offset = lo + (hi - lo + 1) // 2  # img - offset lies in [-2**63, 2**63 - 1]
    native = img.astype(img.dtype.newbyteorder("="), copy=False)
    diff = native.view(np.uint64) - np.uint64(offset % 2**64)
    return diff.view(np.int64).astype(np.float64), offset


def _to_integer(values: np.ndarray, dtype: np.dtype, offset: int = 0) -> np.ndarray:
    """``offset + rint(values)`` clipped to the range of the integer `dtype`, exactly.

    The limits are compared as Python ints: ``float(iinfo(int64).max)`` rounds
    up to 2**63, which a float clip would let through to overflow the cast.
    """
    info = np.iinfo(dtype)
    if offset == 0 and dtype.itemsize <= 4:  # the limits are exact floats: one clip
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    t = np.rint(values)
    lo, hi = info.min - offset, info.max - offset  # exact limits for t
    lo_f, hi_f = float(lo), float(hi)
    low = t <= lo_f if lo_f <= lo else t < lo_f
    high = t >= hi_f if hi_f >= hi else t > hi_f
    mid = np.where(low | high | np.isnan(t), 0.0, t)  # now offset + mid is in range
    if offset == 0:
        out = mid.astype(dtype)
    else:  # |mid| < 2**64: add in wrapping uint64 arithmetic, exact for in-range results
        mag = np.abs(mid).astype(np.uint64)
        wrapped = np.where(mid < 0, np.uint64(0) - mag, mag) + np.uint64(offset % 2**64)
        out = wrapped.view(np.int64) if info.min < 0 else wrapped
        out = out.astype(dtype, copy=False)
    out[low] = info.min
    out[high] = info.max
    return out
