"""Continuous convolution of functions on a uniform grid (:func:`convolve_functions`).

Re-exported by :mod:`fftconv.theorem`, where it is documented with the
discrete convolution theorem it is the continuous counterpart of.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import as_array

__all__ = ["convolve_functions"]


def _samples(fn, points: np.ndarray, name: str) -> np.ndarray:
    if callable(fn):
        values = fn(points)
        arr = as_array(values, f"{name}(t)")
        if arr.ndim == 0:
            arr = np.full(points.shape, arr[()])
        if arr.shape != points.shape:
            raise ValueError(f"{name} must return one value per grid point: got shape "
                             f"{arr.shape} for t of shape {points.shape}")
    else:
        arr = as_array(fn, name)
        if arr.shape != points.shape:
            raise ValueError(f"{name} must be a callable or samples on t (shape "
                             f"{points.shape}), got shape {arr.shape}")
    if arr.dtype.kind in "biuO":
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite values on the grid")
    return arr


def convolve_functions(f: Callable | np.ndarray, g: Callable | np.ndarray, t) -> np.ndarray:
    """Continuous convolution ``(f * g)(t) = integral_{t[0]}^{t} f(tau) g(t - tau) dtau``.

    Both functions start at ``t[0]``: `f` is a function of time on the
    grid, `g` a function of the lag ``t - tau``, so it is sampled at the
    lags ``t - t[0] = 0, dt, 2 dt, ...``. The integral is evaluated at
    every grid point by the trapezoid rule::

        (f * g)(t_k) ~ dt * (sum_{j=0}^{k} f_j g_{k-j} - (f_0 g_k + f_k g_0) / 2)

    i.e. one discrete convolution (:func:`fftconv.convolve`) scaled by
    ``dt`` with half weights at the two ends of each integral.

    Parameters
    ----------
    f : callable or array_like
        ``f(t)`` as a vectorised callable, or its samples on `t`.
    g : callable or array_like
        ``g(s)`` as a vectorised callable (called with ``s = t - t[0]``), or
        its samples at those lags (for ``t[0] = 0``: its samples on `t`).
    t : array_like
        Uniform, increasing 1-D grid of at least 2 points.

    Returns
    -------
    ndarray
        ``(f * g)(t)``, same length as `t`; ``0`` at ``t[0]``.

    Raises
    ------
    ValueError
        A grid that is not 1-D, increasing and uniform (relative spread of
        the steps above 1e-6); samples of the wrong shape; non-finite values.

    Notes
    -----
    The error is ``O(dt**2)`` for twice-differentiable ``f`` and ``g``
    (halving ``dt`` divides it by about 4); jumps at ``t[0]``, such as a
    rate switched on at the start, are handled exactly by the end weights.
    Cost: one convolution of ``len(t)`` samples, ``O(n log n)``.

    Examples
    --------
    Buns baked at 10 per hour for 24 hours, each going stale at a rate of
    10 % per hour: how many fresh ones are left at the end?

    >>> import numpy as np
    >>> from fftconv.theorem import convolve_functions
    >>> t = np.linspace(0, 24, 2401)
    >>> fresh = convolve_functions(lambda s: np.full_like(s, 10.0),
    ...                            lambda s: np.exp(-0.1 * s), t)
    >>> exact = 10 / 0.1 * (1 - np.exp(-0.1 * 24))
    >>> round(float(fresh[-1]), 4), round(float(exact), 4)
    (90.9282, 90.9282)
    """
    from . import convolve

    grid = as_array(t, "t")
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(f"t must be a 1-D grid of at least 2 points, got shape {grid.shape}")
    grid = grid.astype(np.float64)
    if not np.all(np.isfinite(grid)):
        raise ValueError("t must be finite")
    steps = np.diff(grid)
    dt = (grid[-1] - grid[0]) / (grid.size - 1)
    if not dt > 0:
        raise ValueError(f"t must be increasing, got t[0]={grid[0]!r}, t[-1]={grid[-1]!r}")
    if np.max(np.abs(steps - dt)) > 1e-6 * dt:
        raise ValueError("t must be uniformly spaced (steps differ by up to "
                         f"{np.max(np.abs(steps - dt)) / dt:.2g} of the mean step {dt!r})")
    fv = _samples(f, grid, "f")
    gv = _samples(g, grid - grid[0], "g")
    total = convolve(fv, gv)[: grid.size]
    return dt * (total - 0.5 * (fv[0] * gv + fv * gv[0]))
