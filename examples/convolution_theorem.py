"""
The convolution theorem, and why FFT convolution pads
=====================================================

Convolving in time is multiplying in frequency: for ``n``-point DFTs,
``F{x (*) h} = F{x} . F{h}``, where ``(*)`` is *circular* convolution of
length ``n``. FFT convolution uses this to turn ``O(N M)`` work into
``O(L log L)``. But the circular convolution equals the linear one only when
``n >= N + M - 1``: with less padding the tail of the result wraps around
onto its start. :func:`fftconv.theorem.check` computes both sides and shows
the error.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from fftconv.plot import plot_convolution
from fftconv.theorem import check, linear_length

OUT = Path(os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="fftconv-"))

rng = np.random.default_rng(0)
x = np.r_[np.zeros(8), np.ones(24)] + 0.1 * rng.standard_normal(32)  # a step, still on at the end
h = np.exp(-np.arange(12) / 3.0)  # a decaying echo
L = linear_length(x.size, h.size)

# %%
# Enough padding, and too little
# ------------------------------
good = check(x, h)  # n = N + M - 1 = 43
bad = check(x, h, n=x.size)  # n = N = 32: the last 11 samples wrap around
print(good)
print(bad)

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.plot(np.arange(L), good.linear, "k-", lw=2, label=f"linear, {L} samples")
ax.plot(np.arange(x.size), bad.circular, "C3o--", label=f"circular, n = {x.size}")
ax.axvspan(0, L - x.size - 1, color="C3", alpha=0.15, label="wrap-around")
ax.set_xlabel("n")
ax.legend()
fig.savefig(OUT / "wraparound.png", dpi=80)

# %%
# One output sample, by hand
# --------------------------
# Flip ``h``, slide it to ``n``, multiply, add.
fig = plot_convolution(x[:12], h[:5], n=6)
fig.savefig(OUT / "sliding.png", dpi=80)
print(f"figures written to {OUT}")
