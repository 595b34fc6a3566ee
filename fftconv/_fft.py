"""Single-FFT engine: pad to a fast length, transform, multiply, invert, crop.

Real inputs use real-to-complex transforms (half the work); complex inputs
use complex transforms. float32/complex64 run in single precision. FFT
lengths come from :func:`scipy.fft.next_fast_len` (FFTW is fast on sizes
with factors 2, 3, 5, 7). The ``1/n`` normalisation is folded into the copy
of the kernel, so the inverse transform needs no extra pass.

Cost: three transforms of the padded size plus one pointwise product.
Error: ``O(eps * log2(n) * ||x|| * ||h||)`` absolute, spread evenly over the
output (small entries of the result have large *relative* errors).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._plans import acquire, copy_padded


def padded_shape(shape, axes, sizes) -> tuple[int, ...]:
    out = list(shape)
    for a, n in zip(axes, sizes):
        out[a] = n
    return tuple(out)


def convolve_window(
    a1: np.ndarray,
    a2: np.ndarray,
    axes: Sequence[int],
    windows: Sequence[tuple[int, int]],
    *,
    work_dtype: np.dtype,
    workers: int,
    planner: str = "estimate",
    fshape: Sequence[int] | None = None,
) -> np.ndarray:
    """Full-FFT convolution of ``a1`` and ``a2`` along ``axes``, cropped to ``windows``.

    ``windows`` gives a ``(start, stop)`` range for *every* axis of the
    broadcast output (non-convolved axes use ``(0, size)``). Returns a new
    array of ``work_dtype`` (real or complex).
    """
    work_dtype = np.dtype(work_dtype)
    real = work_dtype.kind != "c"
    axes = list(axes)
    if fshape is None:
        from ._strategy import fft_sizes

        fshape = fft_sizes(a1.shape, a2.shape, axes, real=real, dtype=work_dtype,
                           threads=workers)
    shape1 = padded_shape(a1.shape, axes, fshape)
    shape2 = padded_shape(a2.shape, axes, fshape)
    bshape = np.broadcast_shapes(shape1, shape2)
    fwd, inv = ("rfft", "irfft") if real else ("fft", "ifft")
    # 1/n in the work precision (a float64 1/n would cap longdouble at float64 accuracy)
    rtype = np.empty(0, work_dtype).real.dtype.type
    scale = rtype(1) / rtype(math.prod(fshape))
    crop = tuple(slice(s, e) for s, e in windows)
    kw = {"threads": workers, "planner": planner}
    with (
        acquire(fwd, shape1, work_dtype, axes, **kw) as p1,
        acquire(fwd, shape2, work_dtype, axes, **kw) as p2,
        acquire(inv, bshape, work_dtype, axes, **kw) as p3,
    ):
        copy_padded(p1.input_array, a1)
        p1.execute()
        copy_padded(p2.input_array, a2, scale=scale)
        p2.execute()
        np.multiply(p1.output_array, p2.output_array, out=p3.input_array)
        p3.execute()
        return p3.output_array[crop].copy()
