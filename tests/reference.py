"""A naive, obviously-right reference for N-D convolution, and tolerances.

``ref_convolve`` is the textbook O(N*M) sum ``out[i + j] += x[i] * h[j]``,
written as one vectorised pass per *kernel element* (numpy slicing over the
signal), in higher precision than any engine under test:

* floating point and complex inputs accumulate in ``longdouble`` /
  ``clongdouble`` (80-bit on x86-64: ~2000x the precision of float64);
* integers and bools are summed as Python ints (exact, no overflow) and then
  wrapped into the result dtype the way numpy's integer arithmetic wraps;
* object arrays (``Fraction``, ``Decimal``, Python ints) use their own exact
  arithmetic.

Semantics follow :mod:`scipy.signal`: ``axes`` (default: all) are convolved,
other axes are broadcast (sizes equal or 1); ``'same'`` crops every axis to
``in1``'s size, centred as scipy does (``start = (size - n1) // 2``);
``'valid'`` keeps ``|n1 - n2| + 1`` samples on the convolved axes.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ref_convolve",
    "ref_correlate",
    "tolerance",
    "result_dtype",
    "fft_dtype",
    "assert_close",
    "K_TOL",
]

#: Safety factor of :func:`tolerance`. Rounding-error analysis of an FFT
#: convolution gives ``|error| <~ c * eps * log2(n) * ||x||_2 * ||h||_2`` with a
#: small constant c (forward + inverse transform + product: about 3 - 5, see
#: Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., section
#: 24.1); the direct engine's error is ``<~ M * eps * sum|x||h|`` which for the
#: (small) kernels of these tests stays far below that. 8 leaves headroom for
#: both without hiding real bugs (an indexing mistake is an O(||x|| ||h||) error,
#: ~1e12 times larger in float64).
K_TOL = 8.0


def _exact_kind(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind in "biuO"


def result_dtype(x: np.ndarray, h: np.ndarray) -> np.dtype:
    """dtype of ``convolve``/``correlate`` (numpy.result_type, as scipy)."""
    return np.result_type(x, h)


def fft_dtype(x: np.ndarray, h: np.ndarray) -> np.dtype:
    """dtype of ``fftconvolve``/``oaconvolve``: floating, as scipy.fft computes."""
    kinds = []
    for d in (x.dtype, h.dtype):
        if d.kind in "biuO":
            kinds.append(np.dtype(np.float64))
        elif d == np.float16:
            kinds.append(np.dtype(np.float32))
        else:
            kinds.append(d)
    return np.result_type(*kinds)


def _high(a: np.ndarray) -> np.ndarray:
    """``a`` in the reference's accumulation type."""
    if a.dtype.kind in "biu":
        return a.astype(object)  # Python ints: exact
    if a.dtype.kind == "O":
        return a
    if a.dtype.kind == "c":
        return a.astype(np.clongdouble)
    return a.astype(np.longdouble)


def _wrap_to(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast an object array of exact Python ints to ``dtype`` like numpy wraps."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.array([v != 0 for v in out.reshape(-1)], dtype=bool).reshape(out.shape)
    if dtype.kind in "iu":
        bits = 8 * dtype.itemsize
        mod = 1 << bits
        half = 1 << (bits - 1)

        def wrap(v):
            v = int(v) % mod
            return v - mod if dtype.kind == "i" and v >= half else v

        return np.array([wrap(v) for v in out.reshape(-1)], dtype=dtype).reshape(out.shape)
    return out.astype(dtype)


def _full(x: np.ndarray, h: np.ndarray, axes: list[int]) -> np.ndarray:
    """Full convolution along ``axes``, broadcasting product along the others."""
    xh, hh = _high(x), _high(h)
    shape = []
    for a in range(x.ndim):
        if a in axes:
            shape.append(x.shape[a] + h.shape[a] - 1)
        else:
            shape.append(np.broadcast_shapes((x.shape[a],), (h.shape[a],))[0])
    acc_dtype = np.result_type(xh, hh)
    out = np.zeros(shape, dtype=acc_dtype)
    if acc_dtype.kind == "O":
        out[...] = 0  # Python int 0: the identity for Fraction/Decimal/int sums
    kshape = [h.shape[a] for a in axes]
    for j in np.ndindex(*kshape):
        # one kernel element (size 1 on the convolved axes, kept for broadcasting)
        hsel = [slice(None)] * h.ndim
        osel = [slice(None)] * x.ndim
        for a, ja in zip(axes, j):
            hsel[a] = slice(ja, ja + 1)
            osel[a] = slice(ja, ja + x.shape[a])
        out[tuple(osel)] = out[tuple(osel)] + xh * hh[tuple(hsel)]
    return out


def _crop(full: np.ndarray, s1, s2, axes: list[int], mode: str) -> np.ndarray:
    sl = []
    for a, size in enumerate(full.shape):
        if mode == "full":
            sl.append(slice(None))
        elif mode == "same":
            start = (size - s1[a]) // 2
            sl.append(slice(start, start + s1[a]))
        elif a in axes:  # valid: samples that see the whole of the shorter input
            n = abs(s1[a] - s2[a]) + 1
            start = min(s1[a], s2[a]) - 1
            sl.append(slice(start, start + n))
        else:
            sl.append(slice(None))
    return full[tuple(sl)]


def ref_convolve(x, h, mode: str = "full", axes=None, *, out_dtype=None) -> np.ndarray:
    """Naive N-D linear convolution (scipy.signal semantics), high precision.

    Parameters
    ----------
    x, h : array_like
        Inputs of the same dimensionality.
    mode : {'full', 'same', 'valid'}
    axes : int or sequence of int, optional
        Convolved axes (default: all); other axes are broadcast.
    out_dtype : dtype, optional
        Cast the result to this dtype (default: the accumulation dtype for
        floats, ``result_type(x, h)`` for integers/bools, object for objects).
        Integer results wrap modulo ``2**bits`` as numpy does.
    """
    x, h = np.asarray(x), np.asarray(h)
    if x.ndim != h.ndim:
        raise ValueError("reference: inputs must have the same ndim")
    if axes is None:
        axes = list(range(x.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = [int(axes) % x.ndim]
    else:
        axes = [int(a) % x.ndim for a in axes]
    out = _crop(_full(x, h, axes), x.shape, h.shape, axes, mode)
    if out_dtype is None:
        if _exact_kind(x.dtype) and _exact_kind(h.dtype) and np.result_type(x, h).kind != "O":
            return _wrap_to(out, np.result_type(x, h))
        return out
    out_dtype = np.dtype(out_dtype)
    if out.dtype == object and out_dtype.kind in "biu":
        return _wrap_to(out, out_dtype)
    return out.astype(out_dtype)


def ref_correlate(x, h, mode: str = "full", *, out_dtype=None) -> np.ndarray:
    """Naive cross-correlation, ``convolve(x, conj(h[::-1, ::-1, ...]))`` (scipy's)."""
    h = np.asarray(h)
    flipped = h[(slice(None, None, -1),) * h.ndim]
    if flipped.dtype.kind == "c":
        flipped = np.conj(flipped)
    return ref_convolve(x, flipped, mode, out_dtype=out_dtype)


def _norm(a: np.ndarray) -> float:
    a = np.asarray(a)
    if a.dtype.kind == "O":
        a = a.astype(np.complex128 if any(isinstance(v, complex) for v in a.flat) else float)
    return float(np.linalg.norm(a.reshape(-1).astype(np.clongdouble)))


def tolerance(dtype, n: int, x, h) -> float:
    """Absolute tolerance for a convolution of ``x`` and ``h`` computed in ``dtype``.

    ``K_TOL * eps(dtype) * max(log2(n), 1) * ||x||_2 * ||h||_2`` where ``n`` is
    the (total) transform length; 0 for exact dtypes (integers, bool, object).
    ``dtype`` is the *work* dtype of the engine (float32 for float32 inputs).
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "biuO":
        return 0.0
    eps = float(np.finfo(dtype).eps)
    return K_TOL * eps * max(math.log2(max(n, 2)), 1.0) * _norm(x) * _norm(h)


def assert_close(got, want, tol: float, *, dtype=None) -> None:
    """Assert shape (and dtype, if given) and ``max|got - want| <= tol``."""
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != reference {want.shape}"
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), f"dtype {got.dtype} != expected {np.dtype(dtype)}"
    if got.size == 0:
        return
    if tol == 0:
        assert np.array_equal(got, want), f"exact result differs:\n{got!r}\nvs\n{want!r}"
        return
    g = got.astype(np.clongdouble) if got.dtype.kind == "c" else got.astype(np.longdouble)
    w = want.astype(np.clongdouble) if want.dtype.kind == "c" else want.astype(np.longdouble)
    err = float(np.max(np.abs(g - w)))
    assert err <= tol, f"max abs error {err:.3e} > tolerance {tol:.3e}"


def failures_in_threads(check, count: int, rounds: int) -> list[int]:
    """Run ``check(i)`` ``rounds`` times on each of ``count`` threads (``i`` the
    thread's index); the indices of the threads whose check came out False, once
    per failing round."""
    import threading

    failures: list[int] = []

    def work(i: int) -> None:
        for _ in range(rounds):
            if not check(i):
                failures.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures
