"""Tests for fftconv.plot: render with Agg and inspect the artists."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from fftconv import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_import_does_not_import_matplotlib():
    code = ("import sys, fftconv.plot, fftconv.theorem, fftconv.image; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def _stem_data(ax):
    """(x, y) of each stem container's markers."""
    return [c.markerline.get_data() for c in ax.containers]


def test_plot_convolution_panels():
    x, h = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.5, 0.25])
    n = 3
    fig = plot.plot_convolution(x, h, n=n)
    top, mid, bottom = fig.axes
    fig.canvas.draw()
    (kx, xs), (kh, hs) = _stem_data(top)
    np.testing.assert_array_equal(xs[(kx >= 0) & (kx < 4)], x)
    # h flipped and slid to n: h[n - k] at k = n, n-1, n-2
    flipped = {int(k): v for k, v in zip(kh, hs) if v != 0}
    assert flipped == {3: 1.0, 2: 0.5, 1: 0.25}
    (kp, prod), = _stem_data(mid)
    y = np.convolve(x, h)
    np.testing.assert_allclose(prod.sum(), y[n])
    assert mid.get_title() == f"multiply, then add: y[{n}] = {y[n]:.4g}"
    (ky, ys), = _stem_data(bottom)
    np.testing.assert_allclose(ys, y)
    marker = bottom.lines[-1]
    assert marker.get_xdata()[0] == n and marker.get_ydata()[0] == pytest.approx(y[n])


def test_plot_convolution_default_index_and_validation():
    fig = plot.plot_convolution(np.ones(5), np.ones(3))
    assert "y[3]" in fig.axes[1].get_title()
    with pytest.raises(ValueError, match="0 <= n < 7"):
        plot.plot_convolution(np.ones(5), np.ones(3), n=7)
    with pytest.raises(TypeError, match="n must be an integer"):
        plot.plot_convolution(np.ones(5), np.ones(3), n=1.5)
    with pytest.raises(ValueError, match="x must be a non-empty 1-D"):
        plot.plot_convolution(np.ones((2, 2)), np.ones(3))
    with pytest.raises(TypeError, match="h must be real"):
        plot.plot_convolution(np.ones(3), np.ones(2) * 1j)


def test_animate_convolution_writes_gif(tmp_path):
    out = plot.animate_convolution([1, 2, 3, 2, 1], [1, -1], tmp_path / "conv.gif", fps=10)
    assert out == tmp_path / "conv.gif"
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == 6
    assert not plt.get_fignums()  # the figure was closed
    with pytest.raises(ValueError, match=r"\.gif"):
        plot.animate_convolution([1], [1], tmp_path / "conv.mp4")
    with pytest.raises(ValueError, match="too many"):
        plot.animate_convolution(np.ones(300), np.ones(200), tmp_path / "big.gif")


def test_plot_pmf_array_and_pmf_like():
    ax = plot.plot_pmf(np.full(6, 1 / 6), color="C2")
    assert len(ax.patches) == 6
    assert [p.get_x() + p.get_width() / 2 for p in ax.patches] == pytest.approx(range(6))
    assert ax.patches[0].get_height() == pytest.approx(1 / 6)
    two_dice = np.convolve(np.full(6, 1 / 6), np.full(6, 1 / 6))
    pmf = SimpleNamespace(offset=2, probs=two_dice, support=np.arange(2, 13))
    fig, ax2 = plt.subplots()
    assert plot.plot_pmf(pmf, ax=ax2) is ax2
    heights = {round(p.get_x() + p.get_width() / 2): p.get_height() for p in ax2.patches}
    assert heights[4] == pytest.approx(3 / 36) and min(heights) == 2
    with pytest.raises(ValueError, match="pmf must be"):
        plot.plot_pmf(np.ones((2, 2)))


def test_plot_spectrum_peak():
    fs = 1000
    t = np.arange(2000) / fs
    ax = plot.plot_spectrum(np.sin(2 * np.pi * 120 * t), fs)
    line = ax.lines[0]
    f, mag = line.get_xdata(), line.get_ydata()
    assert f[np.argmax(mag)] == pytest.approx(120) and mag.max() == pytest.approx(0)
    assert ax.get_xlabel() == "frequency (Hz)"
    ax2 = plot.plot_spectrum(np.ones(16), db=False)
    assert ax2.lines[0].get_ydata()[0] == pytest.approx(16)


def test_compare_images():
    rng = np.random.default_rng(0)
    a, b = rng.random((10, 12)), rng.random((10, 12)) * 2
    fig = plot.compare_images(a, b, titles=("noisy", "smoothed"))
    assert [ax.get_title() for ax in fig.axes] == ["noisy", "smoothed"]
    ims = [ax.images[0] for ax in fig.axes]
    np.testing.assert_array_equal(ims[0].get_array(), a)
    assert ims[0].get_clim() == ims[1].get_clim() == (a.min(), b.max())  # one grey scale
    colour = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    fig2 = plot.compare_images(colour, colour)
    assert fig2.axes[0].images[0].get_array().shape == (10, 12, 3)
    with pytest.raises(ValueError, match="before must be"):
        plot.compare_images(np.ones(3), a)


def _shown(fig, i):
    """The RGB(A) values of panel i as drawn, 0..255, by the Agg renderer."""
    fig.canvas.draw()
    return fig.axes[i].images[0].make_image(fig.canvas.get_renderer(), unsampled=True)[0]


def test_compare_images_colour_integers_scaled_by_dtype():
    ramp = np.linspace(0, 1, 64)[None, :, None] * np.ones((8, 1, 3))
    want = np.round(ramp * 255)
    for dtype in (np.uint16, np.uint32, np.int16):
        img = (ramp * np.iinfo(dtype).max).astype(dtype)
        fig = plot.compare_images(img, img)
        for i in (0, 1):  # a 16-bit ramp used to be drawn white (clipped at 1)
            np.testing.assert_allclose(_shown(fig, i)[..., :3], want, atol=1)
        plt.close(fig)
    u8 = (ramp * 255).astype(np.uint8)
    fig = plot.compare_images(u8, u8)
    assert fig.axes[0].images[0].get_array().dtype == np.uint8  # as is
    np.testing.assert_allclose(_shown(fig, 0)[..., :3], u8, atol=1)
    # a uint8 panel beside a uint16 one: the same picture
    fig = plot.compare_images(u8, (ramp * 65535).astype(np.uint16))
    np.testing.assert_allclose(_shown(fig, 1)[..., :3], _shown(fig, 0)[..., :3], atol=1)


def test_compare_images_colour_floats():
    rng = np.random.default_rng(0)
    inside = rng.random((6, 7, 3))
    fig = plot.compare_images(inside, inside * 0.5)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), inside)  # as is
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), inside * 0.5)
    # out of [0, 1]: both panels rescaled with one common min and max
    before = rng.standard_normal((6, 7, 3)) * 3
    after = before * 0.25 + 0.5
    fig = plot.compare_images(before, after)
    lo, hi = min(before.min(), after.min()), max(before.max(), after.max())
    for ax, img in zip(fig.axes, (before, after)):
        np.testing.assert_allclose(ax.images[0].get_array(), (img - lo) / (hi - lo))
    # RGBA: colour rescaled, alpha kept (clipped to [0, 1]); non-finite values do not
    # spoil the scale
    rgba = np.dstack([before, np.full((6, 7), 0.5)])
    rgba[0, 0, 0] = np.nan
    rgba[0, 1, 1] = np.inf
    got = plot.compare_images(rgba, rgba).axes[0].images[0].get_array()
    finite = rgba[..., :3][np.isfinite(rgba[..., :3])]
    lo, hi = finite.min(), finite.max()
    np.testing.assert_allclose(got[2:, :, :3], (before[2:] - lo) / (hi - lo))
    assert got[0, 1, 1] == 1.0 and np.all(got[..., 3] == 0.5)
    with pytest.raises(TypeError, match="before must hold real numbers"):
        plot.compare_images(inside + 0j, inside)


def test_animate_convolution_missing_folder_fails_before_drawing(tmp_path, monkeypatch):
    def draw(*args):
        raise AssertionError("drew frames for a GIF that cannot be written")

    monkeypatch.setattr(plot, "_draw_step", draw)
    with pytest.raises(FileNotFoundError, match=r"folder .*nodir' does not exist"):
        plot.animate_convolution([1, 2], [1], tmp_path / "nodir" / "conv.gif")
