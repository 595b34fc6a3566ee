"""Pictures of convolution (matplotlib, imported on first call).

* :func:`plot_convolution` -- flip, slide, multiply, add: how one output
  sample of ``y = x * h`` is made; :func:`animate_convolution` -- the same
  for every output sample, as a GIF.
* :func:`plot_pmf` -- a probability mass function as bars.
* :func:`plot_spectrum` -- the magnitude spectrum of a signal.
* :func:`compare_images` -- two images side by side.

Each function returns the :class:`~matplotlib.figure.Figure` or
:class:`~matplotlib.axes.Axes` it drew on, so a caller (or a test) can
adjust or inspect it. Importing this module does not import matplotlib.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from ._validate import as_array, check_positive_int

__all__ = [
    "plot_convolution",
    "animate_convolution",
    "plot_pmf",
    "plot_spectrum",
    "compare_images",
]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _signal(value, name: str) -> np.ndarray:
    arr = as_array(value, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real to be drawn, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_index(n, length: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (numbers.Integral, np.integer)):
        raise TypeError(f"n must be an integer, got n={n!r}")
    n = int(n)
    if not 0 <= n < length:
        raise ValueError(f"n must index the full convolution, 0 <= n < {length}, got n={n!r}")
    return n


def _limits(values: np.ndarray) -> tuple[float, float]:
    """y-limits holding 0 and ``values`` with a margin (fixed across frames)."""
    lo, hi = min(0.0, float(np.min(values))), max(0.0, float(np.max(values)))
    pad = 0.12 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def _draw_step(axes, x: np.ndarray, h: np.ndarray, y: np.ndarray, n: int) -> None:
    """Draw the three panels of :func:`plot_convolution` for output sample ``n``."""
    k = np.arange(-(h.size - 1), x.size + h.size - 1)  # every position the kernel visits
    xk = np.where((k >= 0) & (k < x.size), x[np.clip(k, 0, x.size - 1)], 0.0)
    j = n - k  # h[n - k]: flipped and shifted by n
    hk = np.where((j >= 0) & (j < h.size), h[np.clip(j, 0, h.size - 1)], 0.0)
    top, mid, bottom = axes
    for ax in axes:
        ax.clear()
    top.stem(k, xk, linefmt="C0-", markerfmt="C0o", basefmt="k-", label="x[k]")
    top.stem(k, hk, linefmt="C1--", markerfmt="C1s", basefmt="k-", label=f"h[{n} - k]")
    top.set_title(f"flip h and slide it to n = {n}")
    top.legend(loc="upper right", fontsize="small")
    prod = xk * hk
    mid.stem(k, prod, linefmt="C2-", markerfmt="C2o", basefmt="k-", label=f"x[k] h[{n} - k]")
    mid.set_title(f"multiply, then add: y[{n}] = {prod.sum():.4g}")
    mid.legend(loc="upper right", fontsize="small")
    idx = np.arange(y.size)
    bottom.stem(idx, y, linefmt="C7-", markerfmt="C7.", basefmt="k-", label="y = x * h")
    bottom.plot([n], [y[n]], "C3o", markersize=10, label=f"y[{n}]")
    bottom.set_xlim(k[0] - 0.5, k[-1] + 0.5)
    bottom.set_xlabel("k, n")
    top.set_ylim(_limits(np.concatenate([x, h])))
    mid.set_ylim(_limits(np.outer(x, h)))
    bottom.set_ylim(_limits(y))
    bottom.legend(loc="upper right", fontsize="small")


def plot_convolution(x, h, n: int | None = None, *, figsize=(7.0, 6.5)):
    """Draw how output sample ``y[n]`` of ``y = x * h`` is made.

    Top: ``x[k]`` and the kernel flipped and slid to ``n``, ``h[n - k]``.
    Middle: their product, whose sum is ``y[n]``. Bottom: the whole output
    with ``y[n]`` marked.

    Parameters
    ----------
    x, h : array_like
        Real 1-D signal and kernel.
    n : int, optional
        Output index, ``0 <= n < len(x) + len(h) - 1``. Default: the middle.
    figsize : (float, float), optional
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; its three axes are ``fig.axes``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from fftconv.plot import plot_convolution
    >>> fig = plot_convolution([1, 2, 3], [1, 1, 1], n=2)
    >>> fig.axes[1].get_title()
    'multiply, then add: y[2] = 6'
    >>> plt.close(fig)
    """
    from . import convolve

    xs, hs = _signal(x, "x"), _signal(h, "h")
    y = convolve(xs, hs)
    n = y.size // 2 if n is None else _check_index(n, y.size)
    plt = _pyplot()
    fig, axes = plt.subplots(3, 1, figsize=figsize, sharex=True, layout="constrained")
    _draw_step(axes, xs, hs, y, n)
    return fig


def animate_convolution(x, h, path, *, fps: int = 4, figsize=(7.0, 6.5)) -> Path:
    """Write a GIF of :func:`plot_convolution` for every output sample.

    Parameters
    ----------
    x, h : array_like
        Real 1-D signal and kernel; keep them short (one frame per output
        sample, ``len(x) + len(h) - 1`` frames, at most 400).
    path : str or os.PathLike
        Output file, ending in ``.gif`` (written with Pillow).
    fps : int, optional
        Frames per second (default 4).
    figsize : (float, float), optional
        Figure size in inches.

    Returns
    -------
    pathlib.Path
        `path`, now holding the animation. The figure is closed.

    Raises
    ------
    ValueError
        `path` without a ``.gif`` suffix, or more than 400 frames.
    FileNotFoundError
        The folder of `path` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from fftconv.plot import animate_convolution
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "conv.gif"
    >>> animate_convolution([1, 2, 3], [1, 1], out).stat().st_size > 0
    True
    """
    from PIL import Image

    from . import convolve

    xs, hs = _signal(x, "x"), _signal(h, "h")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif, got path={str(path)!r}")
    if not path.parent.is_dir():  # before drawing every frame
        raise FileNotFoundError(f"folder {str(path.parent)!r} does not exist "
                                f"(path={str(path)!r})")
    fps = check_positive_int(fps, "fps")
    y = convolve(xs, hs)
    if y.size > 400:
        raise ValueError(f"animate_convolution draws one frame per output sample; "
                         f"{y.size} frames is too many (at most 400): shorten x or h")
    plt = _pyplot()
    fig, axes = plt.subplots(3, 1, figsize=figsize, sharex=True, layout="constrained")
    frames = []
    try:
        for n in range(y.size):
            _draw_step(axes, xs, hs, y, n)
            fig.canvas.draw()
            if n == 0:  # lay out once: the limits are fixed, so the layout is too
                fig.set_layout_engine("none")
            frames.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB"))
    finally:
        plt.close(fig)
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(round(1000 / fps)), loop=0)
    return path


def _pmf_parts(pmf) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(pmf, "probs") and hasattr(pmf, "offset"):
        probs = np.asarray(pmf.probs, dtype=np.float64)
        support = getattr(pmf, "support", None)
        if support is None:
            support = np.arange(probs.size) + int(pmf.offset)
        return np.asarray(support), probs
    probs = as_array(pmf, "pmf")
    if probs.ndim != 1 or probs.size == 0:
        raise ValueError(f"pmf must be a PMF or a non-empty 1-D array of probabilities, "
                         f"got shape {probs.shape}")
    if probs.dtype.kind == "c":
        raise TypeError("pmf probabilities must be real")
    return np.arange(probs.size), probs.astype(np.float64)


def plot_pmf(pmf, ax=None, **kw):
    """Draw a probability mass function as bars.

    Parameters
    ----------
    pmf : PMF or array_like
        A :class:`fftconv.distributions.PMF` (its ``support`` and ``probs``),
        or a 1-D array of probabilities of the values ``0, 1, 2, ...``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    **kw
        Passed to :meth:`~matplotlib.axes.Axes.bar` (``color``, ``label``, ...).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from fftconv.plot import plot_pmf
    >>> ax = plot_pmf(np.full(6, 1 / 6))
    >>> len(ax.patches)
    6
    >>> plt.close(ax.figure)
    """
    support, probs = _pmf_parts(pmf)
    if ax is None:
        _, ax = _pyplot().subplots(layout="constrained")
    kw.setdefault("width", 0.8)
    ax.bar(support, probs, **kw)
    ax.set_xlabel("value")
    ax.set_ylabel("probability")
    return ax


def plot_spectrum(x, fs: float = 1.0, ax=None, *, db: bool = True, **kw):
    """Draw the magnitude spectrum of a 1-D signal.

    Parameters
    ----------
    x : array_like
        1-D signal (real: frequencies ``0 .. fs/2``; complex: ``-fs/2 .. fs/2``).
    fs : float, optional
        Sampling rate (default 1: cycles per sample).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    db : bool, optional
        Magnitude in decibels relative to the peak (default) or linear.
    **kw
        Passed to :meth:`~matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    fftconv.theorem.spectrum : the numbers drawn.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from fftconv.plot import plot_spectrum
    >>> t = np.arange(1000) / 1000
    >>> ax = plot_spectrum(np.sin(2 * np.pi * 50 * t), fs=1000)
    >>> ax.get_xlabel()
    'frequency (Hz)'
    >>> plt.close(ax.figure)
    """
    from .theorem import spectrum

    s = spectrum(x, fs=fs)
    mag = s.magnitude
    if db:
        peak = mag.max() if mag.max() > 0 else 1.0
        mag = 20 * np.log10(np.maximum(mag / peak, 1e-12))
    if ax is None:
        _, ax = _pyplot().subplots(layout="constrained")
    ax.plot(s.freqs, mag, **kw)
    ax.set_xlabel("frequency (Hz)" if fs != 1.0 else "frequency (cycles/sample)")
    ax.set_ylabel("magnitude (dB re peak)" if db else "|X(f)|")
    return ax


def _image(value, name: str) -> np.ndarray:
    arr = as_array(value, name)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ValueError(f"{name} must be (H, W) grey or (H, W, 3|4) colour, "
                         f"got shape {arr.shape}")
    if arr.dtype.kind in "cO":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _colour_units(img: np.ndarray) -> np.ndarray:
    """A colour image in display units: integers over their dtype's maximum, floats as is."""
    if img.dtype == np.uint8:
        return img  # imshow's own convention: 0..255
    if img.dtype.kind in "ui":
        return img.astype(np.float64) / np.iinfo(img.dtype).max  # signed: -1..1
    return img if img.dtype in (np.float32, np.float64) else img.astype(np.float64)


def _display_colour(images: list[np.ndarray]) -> list[np.ndarray]:
    """Colour images ready for imshow: see :func:`compare_images`'s Notes."""
    units = [_colour_units(img) for img in images]
    floats = [u[..., :3] for u in units if u.dtype != np.uint8]
    finite = [u[np.isfinite(u)] for u in floats]
    finite = [f for f in finite if f.size]
    if not finite:
        return units
    lo = min(float(f.min()) for f in finite)
    hi = max(float(f.max()) for f in finite)
    if lo >= 0.0 and hi <= 1.0:
        return units
    span = hi - lo or 1.0
    shown = []
    for u in units:  # uint8 panels too, so both panels share one scale
        v = u.astype(np.float64) / 255 if u.dtype == np.uint8 else u.astype(np.float64)
        v[..., :3] = (v[..., :3] - lo) / span
        shown.append(np.clip(v, 0.0, 1.0))  # alpha (and +-inf) clipped
    return shown


def compare_images(before, after, *, titles=("before", "after"), cmap: str = "gray",
                   figsize=(9.0, 4.5)):
    """Show two images side by side (e.g. before and after smoothing).

    Parameters
    ----------
    before, after : array_like
        Grey ``(H, W)`` or colour ``(H, W, 3|4)`` images of real numbers.
        Two grey images share one colour scale; colour images are shown as
        described in the Notes.
    titles : (str, str), optional
        Axes titles.
    cmap : str, optional
        Colour map for grey images (default ``'gray'``).
    figsize : (float, float), optional
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Its two axes are ``fig.axes``.

    Raises
    ------
    ValueError
        An image of another shape, or `titles` not two strings.
    TypeError
        A complex image.

    Notes
    -----
    Colour images are shown faithfully rather than clipped by matplotlib:

    * integers are divided by their dtype's maximum (uint8 is passed on as
      is, 0..255; uint16 ``/ 65535``; signed types ``/ iinfo.max``, so
      ``int16`` spans -1..1);
    * floats are taken as they are;
    * when the colour values of both panels (in those units) lie in
      ``[0, 1]`` they are shown as they are; otherwise the red, green and
      blue values of both panels are rescaled with one common minimum and
      maximum (over their finite values) to ``[0, 1]``, so the comparison
      stays fair; an alpha channel is clipped to ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from fftconv.image import box, smooth
    >>> from fftconv.plot import compare_images
    >>> rng = np.random.default_rng(0)
    >>> img = rng.random((32, 32))
    >>> fig = compare_images(img, smooth(img, box(3)))
    >>> [ax.get_title() for ax in fig.axes]
    ['before', 'after']
    >>> plt.close(fig)
    """
    a, b = _image(before, "before"), _image(after, "after")
    if len(titles) != 2:
        raise ValueError(f"titles must be two strings, got titles={titles!r}")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    grey = a.ndim == 2 and b.ndim == 2
    scale = {}
    if grey:
        lo = float(min(np.min(a), np.min(b)))
        hi = float(max(np.max(a), np.max(b)))
        scale = {"vmin": lo, "vmax": hi, "cmap": cmap}
    colour = iter(_display_colour([img for img in (a, b) if img.ndim == 3]))
    a, b = (next(colour) if img.ndim == 3 else img for img in (a, b))
    for ax, img, title in zip(axes, (a, b), titles):
        ax.imshow(img, **(scale if img.ndim == 2 else {}))
        ax.set_title(str(title))
        ax.set_axis_off()
    return fig
