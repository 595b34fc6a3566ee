"""The convolution theorem, made checkable.

Convolution in time (or space) is multiplication in frequency::

    F{x (*) h} = F{x} . F{h}

where ``(*)`` is *circular* convolution of length ``n`` and ``F`` the
``n``-point DFT. Linear convolution -- what :func:`fftconv.convolve`
computes -- equals circular convolution only when ``n >= len(x) + len(h) - 1``
(:func:`linear_length`); with a shorter ``n`` the tail of the result wraps
around onto its start (:func:`wrap`). :func:`check` computes both sides and
shows that error.

:func:`convolve_functions` is the continuous counterpart, on a grid: the
integral ``(f * g)(t) = integral from t[0] to t of f(tau) g(t - tau) dtau``
by the trapezoid rule, with the ``dx`` scaling and end-point weights done
right.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.fft

from ._continuous import convolve_functions
from ._validate import as_array, check_axes, check_positive_int, check_same_ndim

__all__ = [
    "linear_length",
    "padded_length",
    "zero_pad",
    "wrap",
    "circular_convolve",
    "spectrum",
    "Spectrum",
    "check",
    "TheoremCheck",
    "convolve_functions",
]


# --------------------------------------------------------------------------- lengths, padding


def _check_axis(axis, ndim: int) -> list[int]:
    """``check_axes`` for a single ``axis`` parameter, with messages naming ``axis``."""
    try:
        return check_axes(axis, ndim)
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc).replace("axes", "axis")) from None


def linear_length(n: int, m: int) -> int:
    """Length of the linear convolution of ``n`` and ``m`` samples: ``n + m - 1``.

    An FFT of this length (or longer) computes the linear convolution
    exactly; a shorter one wraps the tail around (see :func:`wrap`).

    Parameters
    ----------
    n, m : int
        Lengths of the two inputs (>= 1).

    Returns
    -------
    int

    Examples
    --------
    >>> from fftconv.theorem import linear_length
    >>> linear_length(6, 6)   # two dice: sums 2..12
    11
    """
    n = check_positive_int(n, "n")
    m = check_positive_int(m, "m")
    return n + m - 1


def padded_length(n: int, m: int, *, fast: bool = True) -> int:
    """FFT length for the linear convolution of ``n`` and ``m`` samples.

    Parameters
    ----------
    n, m : int
        Lengths of the two inputs (>= 1).
    fast : bool, optional
        If True (default) round ``n + m - 1`` up to the next length with
        only small prime factors (:func:`scipy.fft.next_fast_len`), which
        FFTs handle fastest; the extra zeros do not change the result.

    Returns
    -------
    int

    Examples
    --------
    >>> from fftconv.theorem import padded_length
    >>> padded_length(1000, 37), padded_length(1000, 37, fast=False)
    (1080, 1036)
    """
    length = linear_length(n, m)
    return scipy.fft.next_fast_len(length, real=True) if fast else length


def zero_pad(x, length: int, *, axis: int = -1) -> np.ndarray:
    """Append zeros to ``x`` along ``axis`` up to ``length`` samples.

    Parameters
    ----------
    x : array_like
        Input array.
    length : int
        New length along `axis`; at least the current one.
    axis : int, optional
        Axis to pad (default: the last).

    Returns
    -------
    ndarray
        A new array, `x` followed by zeros.

    Raises
    ------
    ValueError
        `length` shorter than ``x.shape[axis]``.

    Examples
    --------
    >>> from fftconv.theorem import zero_pad
    >>> zero_pad([1, 2, 3], 5)
    array([1, 2, 3, 0, 0])
    """
    x = as_array(x, "x")
    (ax,) = _check_axis(axis, max(x.ndim, 1))
    x = np.atleast_1d(x)
    length = check_positive_int(length, "length")
    if length < x.shape[ax]:
        raise ValueError(f"length must be at least x.shape[{ax}] = {x.shape[ax]}, "
                         f"got length={length!r}")
    pad = [(0, 0)] * x.ndim
    pad[ax] = (0, length - x.shape[ax])
    return np.pad(x, pad)


def wrap(x, n: int, *, axis: int = -1) -> np.ndarray:
    """Fold ``x`` onto ``n`` samples: ``y[k] = sum_j x[k + j n]`` (time aliasing).

    This is what an ``n``-point DFT sees of a longer sequence: the DFT of
    ``wrap(x, n)`` equals the DTFT of ``x`` sampled at ``n`` frequencies. A
    shorter `x` is padded with zeros.

    Parameters
    ----------
    x : array_like
        Input array.
    n : int
        Period (>= 1).
    axis : int, optional
        Axis to fold (default: the last).

    Returns
    -------
    ndarray
        ``x`` folded to length `n` along `axis`, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv.theorem import wrap
    >>> wrap(np.arange(7), 3)      # [0+3+6, 1+4, 2+5]
    array([9, 5, 7])
    """
    x = np.atleast_1d(as_array(x, "x"))
    (ax,) = _check_axis(axis, x.ndim)
    n = check_positive_int(n, "n")
    periods = -(-x.shape[ax] // n)
    x = np.moveaxis(x, ax, -1)
    padded = np.zeros((*x.shape[:-1], periods * n), dtype=x.dtype)
    padded[..., : x.shape[-1]] = x
    folded = padded.reshape(*x.shape[:-1], periods, n).sum(axis=-2, dtype=x.dtype)
    return np.moveaxis(folded, -1, ax)


# --------------------------------------------------------------------------- circular convolution


def _lengths(n, shape1, shape2, axes, name="n") -> list[int]:
    """Per-axis transform lengths: ``n`` (int or sequence) or the longer input."""
    if n is None:
        return [max(shape1[a], shape2[a]) for a in axes]
    if isinstance(n, (numbers.Integral, np.integer)) and not isinstance(n, bool):
        return [check_positive_int(n, name)] * len(axes)
    if isinstance(n, Sequence) and not isinstance(n, (str, bytes)):
        if len(n) != len(axes):
            raise ValueError(f"{name} must give one length per convolved axis "
                             f"({len(axes)}), got {name}={n!r}")
        return [check_positive_int(v, name) for v in n]
    raise TypeError(f"{name} must be an int or a sequence of ints, got {name}={n!r}")


def _wrap_axes(a: np.ndarray, lengths, axes) -> np.ndarray:
    for length, ax in zip(lengths, axes):
        a = wrap(a, length, axis=ax)
    return a


def _float_dtype(*dtypes) -> np.dtype:
    out = np.result_type(*[np.float64 if np.dtype(d).kind in "biuO" else d for d in dtypes])
    return np.dtype(np.float32) if out == np.float16 else out


def circular_convolve(x, h, n=None, axes=None) -> np.ndarray:
    """Circular convolution of length ``n``: ``y[k] = sum_j x[j] h[(k - j) mod n]``.

    Inputs longer than ``n`` are first folded onto ``n`` samples
    (:func:`wrap`), so the result is always the linear convolution folded
    onto ``n`` samples: ``circular_convolve(x, h, n) ==
    wrap(convolve(x, h), n)``. With ``n >= len(x) + len(h) - 1`` it *is*
    the linear convolution, followed by zeros.

    Parameters
    ----------
    x, h : array_like
        Inputs with the same number of dimensions.
    n : int or sequence of int, optional
        Period per convolved axis. Default: the longer input's length.
    axes : int or sequence of int, optional
        Axes to convolve (default: all). On the others the inputs broadcast.

    Returns
    -------
    ndarray
        Real (float64, or float32 for float32 inputs) for real inputs,
        complex otherwise; length `n` along each convolved axis.

    Raises
    ------
    ValueError
        Inputs of different dimensionality, a non-positive `n`, a bad `axes`.

    See Also
    --------
    check : both sides of the convolution theorem, with the wrap-around error.

    Notes
    -----
    Computed as ``ifft(fft(x) * fft(h))`` with ``O(n log n)`` work; the
    absolute error is about ``eps * log2(n) * ||x|| * ||h||``.

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv.theorem import circular_convolve
    >>> x, h = [1., 2., 3., 4.], [1., 1.]
    >>> np.round(circular_convolve(x, h), 12)          # 4 + 1 wraps onto y[0]
    array([5., 3., 5., 7.])
    >>> np.round(circular_convolve(x, h, n=5), 12)     # long enough: linear
    array([1., 3., 5., 7., 4.])
    """
    x = np.atleast_1d(as_array(x, "x"))
    h = np.atleast_1d(as_array(h, "h"))
    check_same_ndim(x, h)
    ax = check_axes(axes, x.ndim) or list(range(x.ndim))
    lengths = _lengths(n, x.shape, h.shape, ax)
    work = _float_dtype(x.dtype, h.dtype)
    xw = _wrap_axes(x.astype(work, copy=False), lengths, ax)
    hw = _wrap_axes(h.astype(work, copy=False), lengths, ax)
    if work.kind == "c":
        return scipy.fft.ifftn(scipy.fft.fftn(xw, lengths, axes=ax)
                               * scipy.fft.fftn(hw, lengths, axes=ax), lengths, axes=ax)
    prod = scipy.fft.rfftn(xw, lengths, axes=ax) * scipy.fft.rfftn(hw, lengths, axes=ax)
    return scipy.fft.irfftn(prod, lengths, axes=ax).astype(work, copy=False)


# --------------------------------------------------------------------------- spectra


class Spectrum(NamedTuple):
    """A spectrum: frequencies (ascending) and the DFT values at them."""

    freqs: np.ndarray
    values: np.ndarray

    @property
    def magnitude(self) -> np.ndarray:
        """``abs(values)``."""
        return np.abs(self.values)

    @property
    def phase(self) -> np.ndarray:
        """``angle(values)`` in radians."""
        return np.angle(self.values)


def spectrum(x, *, fs: float = 1.0, n: int | None = None, onesided: bool | None = None
             ) -> Spectrum:
    """DFT of a 1-D signal with its frequency axis.

    Parameters
    ----------
    x : array_like
        1-D signal.
    fs : float, optional
        Sampling rate (default 1: frequencies in cycles per sample).
    n : int, optional
        DFT length: `x` is zero-padded (or truncated) to `n` samples.
    onesided : bool, optional
        Return only frequencies ``0 .. fs/2`` (``rfft``). Default: True for
        real `x`, False for complex `x` (then frequencies run from ``-fs/2``
        upward, ``fftshift`` order).

    Returns
    -------
    Spectrum
        ``(freqs, values)``; ``values`` is the unnormalised DFT.

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv.theorem import spectrum
    >>> t = np.arange(100) / 100                      # 1 s at 100 Hz
    >>> s = spectrum(np.sin(2 * np.pi * 10 * t), fs=100)
    >>> float(s.freqs[np.argmax(s.magnitude)])
    10.0
    """
    x = as_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    if isinstance(fs, bool) or not isinstance(fs, numbers.Real) or not (
            math.isfinite(fs) and fs > 0):
        raise ValueError(f"fs must be a positive finite number, got fs={fs!r}")
    n = x.size if n is None else check_positive_int(n, "n")
    if onesided is None:
        onesided = x.dtype.kind != "c"
    if onesided:
        if x.dtype.kind == "c":
            raise ValueError("onesided=True needs a real x (a complex signal's negative "
                             "frequencies differ from its positive ones)")
        return Spectrum(scipy.fft.rfftfreq(n, 1 / fs), scipy.fft.rfft(x, n))
    values = scipy.fft.fftshift(scipy.fft.fft(x, n))
    return Spectrum(scipy.fft.fftshift(scipy.fft.fftfreq(n, 1 / fs)), values)


# --------------------------------------------------------------------------- the theorem


@dataclass(frozen=True)
class TheoremCheck:
    """Both sides of the convolution theorem for one pair, from :func:`check`.

    The theorem says ``F{x (*) h} = F{x} . F{h}``.

    Attributes
    ----------
    n : tuple of int
        DFT length per axis.
    linear_length : tuple of int
        ``len(x) + len(h) - 1`` per axis: the ``n`` needed for linear convolution.
    lhs, rhs : ndarray
        ``F{x (*) h}`` (the circular convolution computed by direct sums, then
        transformed) and ``F{x} . F{h}``.
    theorem_error : float
        ``max |lhs - rhs|``: rounding only, the theorem always holds.
    circular : ndarray
        ``F^-1{F{x} . F{h}}``: what FFT convolution of length `n` returns.
    linear : ndarray
        The linear convolution, by direct sums.
    wraparound_error : float
        ``max |circular - linear|`` (`linear` cut or zero-padded to `n`): the
        error of using ``n`` points, zero up to rounding iff ``n >= linear_length``.
    tolerance : float
        Rounding allowance, ``10 eps log2(n) ||x||_1 ||h||_1``.
    """

    n: tuple[int, ...]
    linear_length: tuple[int, ...]
    lhs: np.ndarray
    rhs: np.ndarray
    theorem_error: float
    circular: np.ndarray
    linear: np.ndarray
    wraparound_error: float
    tolerance: float

    @property
    def holds(self) -> bool:
        """True when both sides agree to rounding (always, barring bugs)."""
        return self.theorem_error <= self.tolerance

    @property
    def linear_ok(self) -> bool:
        """True when FFT convolution of length `n` gives the linear convolution."""
        return self.wraparound_error <= self.tolerance

    def __str__(self) -> str:
        lines = [
            f"convolution theorem, n = {self.n} (linear convolution needs "
            f"{self.linear_length})",
            f"  max |F{{x (*) h}} - F{{x}}.F{{h}}| = {self.theorem_error:.3g}"
            f"  ({'holds' if self.holds else 'FAILS'}, tolerance {self.tolerance:.3g})",
            f"  max |circular - linear|        = {self.wraparound_error:.3g}"
            + ("" if self.linear_ok else "  <- wrap-around: n is too short"),
        ]
        return "\n".join(lines)


def _fit(a: np.ndarray, lengths, axes) -> np.ndarray:
    """Cut or zero-pad ``a`` to ``lengths`` along ``axes``."""
    index = [slice(None)] * a.ndim
    pad = [(0, 0)] * a.ndim
    for length, ax in zip(lengths, axes):
        index[ax] = slice(0, length)
        pad[ax] = (0, max(0, length - a.shape[ax]))
    return np.pad(a[tuple(index)], pad)


def check(x, h, n=None) -> TheoremCheck:
    """Compute both sides of the convolution theorem and the wrap-around error.

    The left side transforms the circular convolution computed *by direct
    sums* (the linear convolution folded onto `n` samples); the right side
    multiplies the two DFTs. They agree for every `n`. Inverting the right
    side gives the linear convolution only when ``n >= len(x) + len(h) - 1``;
    otherwise the report shows the wrap-around error.

    Parameters
    ----------
    x, h : array_like
        Inputs with the same number of dimensions (all axes are convolved).
    n : int or sequence of int, optional
        DFT length per axis. Default: :func:`linear_length` (no wrap-around).

    Returns
    -------
    TheoremCheck
        Both sides, their difference, and the wrap-around error; ``print`` it
        for a short report.

    Raises
    ------
    ValueError
        Inputs of different dimensionality or a non-positive `n`.

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv.theorem import check
    >>> rng = np.random.default_rng(0)
    >>> x, h = rng.standard_normal(50), rng.standard_normal(11)
    >>> r = check(x, h)
    >>> r.n, r.holds, r.linear_ok
    ((60,), True, True)
    >>> short = check(x, h, n=50)          # 10 samples too short
    >>> short.holds, short.linear_ok
    (True, False)
    """
    from . import convolve

    x = np.atleast_1d(as_array(x, "x"))
    h = np.atleast_1d(as_array(h, "h"))
    check_same_ndim(x, h)
    if x.size == 0 or h.size == 0:
        raise ValueError(f"x and h must not be empty (got shapes {x.shape} and {h.shape})")
    axes = list(range(x.ndim))
    full = [x.shape[a] + h.shape[a] - 1 for a in axes]
    lengths = full if n is None else _lengths(n, x.shape, h.shape, axes)
    work = np.complex128 if np.result_type(x, h).kind == "c" else np.float64
    xw, hw = x.astype(work), h.astype(work)
    linear = convolve(xw, hw, method="direct")
    lhs = scipy.fft.fftn(_wrap_axes(linear, lengths, axes), lengths)
    rhs = (scipy.fft.fftn(_wrap_axes(xw, lengths, axes), lengths)
           * scipy.fft.fftn(_wrap_axes(hw, lengths, axes), lengths))
    circular = scipy.fft.ifftn(rhs, lengths)
    if work == np.float64:
        circular = circular.real
    total = math.prod(lengths)
    tol = (10 * np.finfo(np.float64).eps * max(math.log2(max(total, 2)), 1.0)
           * float(np.abs(xw).sum()) * float(np.abs(hw).sum()))
    return TheoremCheck(
        n=tuple(lengths),
        linear_length=tuple(full),
        lhs=lhs,
        rhs=rhs,
        theorem_error=float(np.max(np.abs(lhs - rhs))),
        circular=circular,
        linear=linear,
        wraparound_error=float(np.max(np.abs(circular - _fit(linear, lengths, axes)))),
        tolerance=float(tol),
    )
