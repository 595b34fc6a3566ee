"""Exact integer convolution through float64 FFTs.

An FFT of integer inputs rounds back to the exact integers while its
rounding-error bound stays below 0.5 (:func:`_int_fft_safe`, :func:`_int_bound`).
Past that bound :func:`_exact_int_fft` cuts both inputs into limbs narrow
enough that each limb-by-limb FFT convolution is exact after rounding, and
recombines them in 64-bit integers (:func:`_limbs`). :mod:`fftconv._dispatch`
asks the bound when it plans an integer problem and runs the limbs where one
FFT would not be exact; :class:`fftconv.Convolver` asks the bound per call.
"""

from __future__ import annotations

import math

import numpy as np


def _int_fft_safe(a1: np.ndarray, a2: np.ndarray, nfft: int) -> bool:
    """True when FFT rounding error is provably below 0.5 for integer inputs.

    Bound: ``5 * eps * log2(n) * ||x||_2 * ||h||_2`` (float64 FFT); see the
    numerical-behaviour docs.
    """
    bound = _int_bound(a1, a2, nfft)
    return math.isfinite(bound) and bound < 0.5


def _int_bound(a1: np.ndarray, a2: np.ndarray, nfft: int) -> float:
    n1 = float(np.linalg.norm(a1.reshape(-1).astype(np.float64)))
    n2 = float(np.linalg.norm(a2.reshape(-1).astype(np.float64)))
    return 5 * np.finfo(np.float64).eps * max(math.log2(max(nfft, 2)), 1.0) * n1 * n2


def _limbs(a: np.ndarray, bits: int, count: int) -> list[np.ndarray]:
    """``a == sum(limb[i] << (bits * i))``: low limbs in [0, 2**bits), the top one signed."""
    wide = a.astype(np.uint64 if a.dtype == np.uint64 else np.int64)
    out = []
    for _ in range(count - 1):
        out.append((wide & ((1 << bits) - 1)).astype(np.float64))
        wide = wide >> bits
    out.append(wide.astype(np.float64))
    return out


def _exact_int_fft(method, params, a1, a2, axes, windows, result_dtype, workers):
    """FFT convolution of integers, exact even where one FFT's rounding is not.

    Both inputs are cut into limbs of ``bits`` bits, few enough that every
    limb-by-limb convolution is provably exact after rounding; the pieces are
    recombined in 64-bit integer arithmetic, which wraps exactly as numpy's
    direct integer sums do.
    """
    from ._dispatch import _run  # at call time: _dispatch imports this module

    nfft = math.prod(a1.shape[a] + a2.shape[a] - 1 for a in axes)
    wide = np.uint64 if result_dtype == np.uint64 else np.int64
    for bits in (24, 16, 12, 8, 6, 4, 2, 1):
        count = -(-64 // bits)
        # bound for limbs of at most 2**bits in magnitude
        lim = 2.0**bits
        bound = 5 * np.finfo(np.float64).eps * max(math.log2(max(nfft, 2)), 1.0) \
            * lim * math.sqrt(a1.size) * lim * math.sqrt(a2.size)
        if bound < 0.5:
            break
    else:
        return None
    # only as many limbs as the largest magnitude needs
    def used(a):
        m = int(np.abs(a.astype(np.float64)).max()) if a.size else 0
        return max(1, -(-(m.bit_length() + 1) // bits))
    l1, l2 = _limbs(a1, bits, min(count, used(a1))), _limbs(a2, bits, min(count, used(a2)))
    total = None
    with np.errstate(over="ignore"):
        for i, x in enumerate(l1):
            for j, h in enumerate(l2):
                part = np.rint(_run(method, x, h, axes, windows, work=np.dtype(np.float64),
                                    workers=workers, params=params)).astype(wide)
                shift = bits * (i + j)
                if shift >= 64:
                    continue
                part = part << wide(shift)
                total = part if total is None else total + part
    return total.astype(result_dtype)
