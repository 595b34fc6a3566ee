"""
Sums of dice by convolution
===========================

The distribution of a sum of independent variables is the convolution of
their distributions. Two dice give ``P(sum = 4) = 3/36``; a thousand dice
give a bell curve whose far tail -- far below what a plain FFT can resolve --
``fftconv.distributions`` still computes to nine significant digits.
"""

import math
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

from fftconv.distributions import die  # noqa: E402

out_dir = os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp()
os.makedirs(out_dir, exist_ok=True)

# %%
# Two dice, exactly
two = die(6, exact=True) + die(6, exact=True)
print("P(2d6 = 4) =", two.pmf(4))
print("4d6 keep the 3 highest: P(18) =", die(6, exact=True).highest(4, 3).pmf(18))

# %%
# A thousand dice, in floats, against the exact counts
x = 1000 @ die(6)
ex = 1000 @ die(6, exact=True)
truth = np.array([c / ex.denominator for c in ex.counts])
L = x.probs.size
naive = scipy.fft.irfft(scipy.fft.rfft(np.full(6, 1 / 6), 8192) ** 1000, 8192)[:L]
ok = truth >= 1e-300
print("max relative error, fftconv:", np.max(np.abs(x.probs[ok] / truth[ok] - 1)))
print("negative entries in a naive FFT power:", int((naive < 0).sum()))
print("log P(1000d6 = 1000) =", x.logpmf(1000), "; -1000 ln 6 =", -1000 * math.log(6))

fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogy(x.support, x.probs, label="fftconv (tilted FFT)")
ax.semilogy(x.support, np.abs(naive), lw=0.7, alpha=0.7, label="|naive FFT power|")
ax.set_xlabel("sum of 1000 dice")
ax.set_ylabel("probability")
ax.set_ylim(1e-320, 1)
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(out_dir, "dice_sum.png"))
print("figure written to", out_dir)
