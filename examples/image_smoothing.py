"""
Smoothing a noisy photograph
============================

Each pixel of a smoothed image is a weighted average of its neighbours: a
2-D convolution of the image with a small kernel. We add noise to a real
photograph (Grace Hopper, shipped with matplotlib), smooth it with the 3x3
average (:func:`fftconv.image.box`) and with a Gaussian
(:func:`fftconv.image.gaussian`), and measure how much closer each result is
to the clean picture (PSNR, higher is better). The result is the same as
:func:`scipy.ndimage.convolve`'s, with the same boundary handling.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.cbook as cbook
import matplotlib.image as mpimg
import numpy as np
import scipy.ndimage

from fftconv.image import box, gaussian, smooth, sobel
from fftconv.plot import compare_images

OUT = Path(os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="fftconv-"))

clean = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))  # uint8
rng = np.random.default_rng(0)
noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255).astype(np.uint8)


def psnr(a, b):
    """Peak signal-to-noise ratio of ``a`` against ``b`` (8-bit images), in dB."""
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 10 * np.log10(255**2 / mse)


# %%
# Two smoothing kernels
# ---------------------
# uint8 in, uint8 out (rounded and clipped); colour channels are smoothed
# one by one. Both kernels are separable, so each runs as two 1-D passes.
averaged = smooth(noisy, box(3))
blurred = smooth(noisy, gaussian(1.0))
print(f"PSNR noisy    {psnr(noisy, clean):5.2f} dB")
print(f"PSNR 3x3 box  {psnr(averaged, clean):5.2f} dB")
print(f"PSNR Gaussian {psnr(blurred, clean):5.2f} dB (sigma = 1)")

ref = scipy.ndimage.convolve(noisy.astype(float), box(3)[:, :, None], mode="reflect")
print("largest difference from scipy.ndimage.convolve:",
      int(np.abs(averaged.astype(int) - np.rint(ref)).max()), "grey level")

fig = compare_images(noisy, blurred, titles=("noisy", "Gaussian, sigma = 1"))
fig.savefig(OUT / "image_smoothing.png", dpi=80)

# %%
# Edges of an MRI slice
# ---------------------
# Derivative kernels are convolutions too. :func:`fftconv.image.sobel`
# gives the gradient of a 256x256 MRI slice (also shipped with matplotlib);
# smoothing first keeps the noise from dominating.
with cbook.get_sample_data("s1045.ima.gz") as f:
    mri = np.frombuffer(f.read(), np.uint16).reshape(256, 256).astype(float)
soft = smooth(mri, gaussian(1.0))
edges = np.hypot(smooth(soft, sobel(0)), smooth(soft, sobel(1)))
fig = compare_images(mri, edges, titles=("MRI slice", "gradient magnitude"))
fig.axes[1].images[0].set_clim(0, np.percentile(edges, 99))
fig.savefig(OUT / "mri_edges.png", dpi=80)
print(f"figures written to {OUT}")
