"""Non-finite inputs: the same NaN/inf footprint on every engine.

Direct convolution puts a non-finite value in every output sample that sums a
product with a non-finite input (``nan * 0`` and ``inf * 0`` are NaN), and
leaves every other sample finite. An FFT would instead smear one NaN over the
whole output. So the FFT engines convolve the *finite part* of the inputs
(non-finite samples replaced by 0) and this module adds back, exactly, the
products that involve a non-finite sample:

* each non-finite sample ``x[j]`` adds ``h * x[j]`` over the box ``j + [0, K)``;
* each non-finite kernel tap ``h[k]`` adds ``x_finite * h[k]`` shifted by ``k``.

Every entry touched is non-finite (``inf * 0`` is NaN), so adding them to the
finite FFT result gives ``+inf``/``-inf``/``NaN`` exactly where, and as, the
direct sum would. The work is ``m_x * K + m_h * N`` for ``m`` non-finite
samples; the caller falls back to the direct engine when that is not small.

Finite inputs can overflow too: the spectra of samples near the square root of
the largest float multiply past it, and one infinite bin turns a whole
block's output into inf and NaN, where the direct sum overflows (if at all)
only at the samples whose true value is out of range. :func:`overflow_safe`
then runs the engine again on the inputs scaled by powers of two (exact) and
scales the result back, so inf lands only where the true value overflows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np


def all_finite(a: np.ndarray) -> bool:
    """True when every element is finite; one vectorised pass.

    Up to 2**20 elements ``np.isfinite(a).all()`` (no slower than a sum there);
    beyond, a sum (no allocation): a non-finite element makes it non-finite,
    and where it is, a second pass tells a non-finite element from finite
    ones whose sum overflowed (those stay on the caller's fast path).
    """
    if a.dtype.kind not in "fc" or a.size == 0:
        return True
    if a.size <= 2**20:  # as fast as the sum up to here (measured), and exact
        return bool(np.isfinite(a).all())
    # Not np.dot (2x faster): BLAS may wake its thread pool, whose spinning
    # threads then burn the other cores long after the call returns.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(a.sum()):
            return True
    # a non-finite element, or a sum of finite elements that overflowed: look
    return bool(np.isfinite(a).all())


def split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(a with non-finite samples zeroed, boolean mask of them)``; mask None if none."""
    if all_finite(a):
        return a, None
    bad = ~np.isfinite(a)
    if not bad.any():
        return a, None
    return np.where(bad, 0, a), bad


def extra_work(bad1: np.ndarray | None, bad2: np.ndarray | None, size1: int, size2: int) -> int:
    """Multiply-adds :func:`add_nonfinite` would do."""
    n1 = int(bad1.sum()) if bad1 is not None else 0
    n2 = int(bad2.sum()) if bad2 is not None else 0
    return n1 * size2 + n2 * size1


def add_nonfinite(out: np.ndarray, windows: Sequence[tuple[int, int]], a1: np.ndarray,
                  a2: np.ndarray, bad1: np.ndarray | None, bad2: np.ndarray | None,
                  conv_axes: Sequence[int] | None = None) -> None:
    """Add the products involving non-finite samples into ``out`` (in place).

    ``out`` holds the window ``windows`` (full-convolution coordinates; on axes
    not in ``conv_axes`` -- default: none -- plain, broadcast indices) of the
    convolution of the finite parts of ``a1`` and ``a2``.
    """
    conv = set(range(a1.ndim) if conv_axes is None else conv_axes)
    with np.errstate(invalid="ignore", over="ignore"):
        if bad1 is not None:
            _scatter(out, windows, a1, bad1, a2, conv)
        if bad2 is not None:
            # products of two non-finite samples were added above: skip them here
            _scatter(out, windows, a2, bad2, a1, conv, skip=bad1)


def _scatter(out, windows, src, bad, other, conv, skip=None) -> None:
    """For each flagged ``src[j]``, add ``other * src[j]`` on the box at ``j``.

    Entries of ``other`` flagged in ``skip`` contribute nothing (not even
    ``0 * inf``).
    """
    for j in zip(*np.nonzero(bad)):
        region_out, region_other = [], []
        for a, (jj, n, (s0, s1)) in enumerate(zip(j, other.shape, windows)):
            if a in conv:
                lo, hi = max(jj, s0), min(jj + n, s1)  # full-coordinate range, cropped
                o_lo, o_hi = lo - jj, hi - jj
            elif src.shape[a] == 1:  # broadcast: every index of `other`
                lo, hi = max(s0, 0), min(s1, n) if n > 1 else s1
                o_lo, o_hi = (lo, hi) if n > 1 else (0, 1)
            else:  # batch axis: the same index
                lo, hi = max(jj, s0), min(jj + 1, s1)
                o_lo, o_hi = (jj, jj + 1) if n > 1 else (0, 1)
            if hi <= lo:
                break
            region_out.append(slice(lo - s0, hi - s0))
            region_other.append(slice(o_lo, o_hi))
        else:
            prod = other[tuple(region_other)] * src[j]
            if skip is not None:
                prod = np.where(skip[tuple(region_other)], 0, prod)
            out[tuple(region_out)] += prod


#: Largest direct sum :func:`overflow_safe` falls back to (its loop costs about a
#: second per 1e8 products here).
EXACT_MAX_PRODUCTS = 2**24


def overflow_safe(run: Callable[[np.ndarray, np.ndarray], np.ndarray], a1: np.ndarray,
                  a2: np.ndarray, *,
                  exact: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
                  ) -> np.ndarray:
    """``run(a1, a2)`` for finite float inputs, again on scaled inputs if it overflowed.

    The check is one pass over the result (:func:`all_finite`); the rerun
    divides each input by a power of two near its largest magnitude and
    multiplies the result by their product (inf where it is out of range).
    Where the FFT's own error bound, ``eps * sum|a1| * sum|a2|``, is itself
    beyond the float range, scaling back would turn rounding noise into inf:
    then ``exact`` (the direct sum), when given, computes the result instead,
    if it takes at most :data:`EXACT_MAX_PRODUCTS` products (beyond, the
    scaled result stands, within the FFT's error bound).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # the direct sum overflows silently too
        out = run(a1, a2)
        if (out.dtype.kind not in "fc" or a1.dtype.kind not in "fc" or a2.dtype.kind not in "fc"
                or all_finite(out)):
            return out
        e1, e2 = _exponent(a1), _exponent(a2)
        s1, s2 = _ldexp(a1, -e1), _ldexp(a2, -e2)
        if exact is not None and a1.size * a2.size <= EXACT_MAX_PRODUCTS:
            bound = 8 * np.finfo(out.dtype).eps * float(np.abs(s1).sum()) * float(
                np.abs(s2).sum())
            if bound > 0 and math.log2(bound) + e1 + e2 >= np.finfo(out.dtype).maxexp - 1:
                return exact(a1, a2)
        return _ldexp(run(s1, s2), e1 + e2)


def rerun_overflowed(x: np.ndarray, h: np.ndarray, axes: Sequence[int],
                     windows: Sequence[tuple[int, int]], work_dtype) -> np.ndarray:
    """The window of ``x * h`` over ``axes`` for finite inputs whose spectra overflowed
    on a caller's engine (a Convolver's cached spectra): :func:`overflow_safe` on one
    FFT, with the direct sum as its exact fallback where every axis is convolved."""
    from . import _direct, _fft

    def run(a1, a2):
        return _fft.convolve_window(a1, a2, axes, windows, work_dtype=work_dtype, workers=1)

    every_axis = list(axes) == list(range(x.ndim))
    return overflow_safe(run, x, h, exact=(lambda a1, a2: _direct.faithful_window(
        a1, a2, windows)) if every_axis else None)


def _exponent(a: np.ndarray) -> int:
    """``e`` with ``max |a| < 2**e``, over real and imaginary parts (0 if all zero)."""
    parts = (a.real, a.imag) if a.dtype.kind == "c" else (a,)
    peak = max(np.max(np.abs(p)) for p in parts)
    return int(np.frexp(peak)[1])


def _ldexp(a: np.ndarray, e: int) -> np.ndarray:
    """``a * 2**e`` elementwise, exact barring overflow and underflow (complex too)."""
    if a.dtype.kind != "c":
        return np.ldexp(a, e).astype(a.dtype, copy=False)
    out = np.empty_like(a)
    out.real = np.ldexp(a.real, e)
    out.imag = np.ldexp(a.imag, e)
    return out
