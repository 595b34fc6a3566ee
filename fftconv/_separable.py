"""The rank-1 shortcut: a 2-D kernel that is an outer product runs as two 1-D passes.

:func:`rank1_factors` tests a kernel in O(size); :func:`_separable_cost`
prices the two passes for given shapes (the cost model picks each pass's
engine, :func:`_separable_plans`) and :func:`_separable` runs them.
:mod:`fftconv._dispatch` weighs that cost against the model's own choice and
checks the kernel's values only where the shortcut would win. The passes are
planned and run by :mod:`fftconv._dispatch` (imported at call time, as it
imports this module).
"""

from __future__ import annotations

import math

import numpy as np

from . import _strategy


def rank1_factors(h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(col, row)`` with ``h == outer(col, row)`` to rounding, or None.

    A cheap O(size) test instead of an SVD: take the largest entry ``h[i, j]``;
    a rank-1 matrix equals ``outer(h[:, j], h[i, :] / h[i, j])``. The residual
    must be within ``8 * eps * max(shape) * max|h|`` (Gaussian and box kernels
    built as outer products pass; random kernels fail at once).
    """
    if h.ndim != 2 or min(h.shape) < 2 or h.dtype.kind != "f" or h.size < 9:
        return None
    i, j = np.unravel_index(np.argmax(np.abs(h)), h.shape)
    peak = h[i, j]
    if peak == 0 or not np.isfinite(peak):
        return None
    col, row = h[:, j], h[i, :] / peak
    eps = np.finfo(h.dtype).eps
    resid = np.abs(h - np.outer(col, row)).max()
    if not resid <= 8 * eps * max(h.shape) * abs(peak):
        return None
    return col.reshape(-1, 1), row.reshape(1, -1)


def _separable_plans(in1, in2, windows, result_dtype, workers):
    """``(seconds, pass 1 plan, pass 2 plan)`` of two 1-D passes with a rank-1 ``in2``
    of this shape, or None where they do not apply (shapes and dtypes only)."""
    from ._dispatch import _choose

    if (result_dtype.kind != "f" or in1.ndim != 2 or in2.ndim != 2 or in2.size > in1.size
            or in2.dtype.kind != "f" or min(in2.shape) < 2 or in2.size < 9):
        return None  # (rank1_factors' own conditions, and a kernel no larger than the image)
    w0, w1 = windows
    mid = (w0[1] - w0[0], in1.shape[1])
    col = np.broadcast_to(np.zeros((), in2.dtype), (in2.shape[0], 1))
    row = np.broadcast_to(np.zeros((), in2.dtype), (1, in2.shape[1]))
    p1 = _choose(in1, col, [0], [w0, (0, in1.shape[1])], result_dtype, workers)
    p2 = _choose(np.broadcast_to(np.zeros((), in1.dtype), mid), row, [1],
                 [(0, mid[0]), w1], result_dtype, workers)
    # + transposing pass 1 in and out (its axis is not the last one)
    transpose = 4 * in1.size * _strategy.CONSTANTS["copy_elem"] * 1e-9
    return p1.predicted[p1.method] + p2.predicted[p2.method] + transpose, p1, p2


def _separable_cost(in1, in2, windows, result_dtype, workers) -> float:
    """Predicted seconds of the rank-1 shortcut for these shapes (inf where it cannot run)."""
    sp = _separable_plans(in1, in2, windows, result_dtype, workers)
    return math.inf if sp is None else sp[0]


def _separable(in1, in2, windows, result_dtype, workers):
    """``(predicted seconds, thunk)`` for two 1-D passes with a rank-1 ``in2``, or None."""
    sp = _separable_plans(in1, in2, windows, result_dtype, workers)
    factors = rank1_factors(in2) if sp is not None else None
    if factors is None:
        return None
    cost, p1, p2 = sp
    col, row = factors
    w0, w1 = windows
    mid = (w0[1] - w0[0], in1.shape[1])

    def run() -> np.ndarray:
        from ._dispatch import _run, _work_dtype

        work = _work_dtype(in1.dtype, in2.dtype)
        c, r = col.astype(work), row.astype(work)
        y = _run(p1.method, in1, c, [0], [w0, (0, in1.shape[1])], work=work,
                 workers=workers, params=p1.params)
        return _run(p2.method, y, r, [1], [(0, mid[0]), w1], work=work, workers=workers,
                    params=p2.params)

    return cost, run
