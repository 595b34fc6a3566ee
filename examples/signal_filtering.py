"""
Low-pass filtering a recorded EEG
=================================

A finite impulse response (FIR) filter is a convolution of the signal with
the filter's taps. We take four channels of a real EEG recording (shipped
with matplotlib; 800 samples per channel at 80 Hz), design a 10 Hz low-pass
filter with :func:`scipy.signal.firwin`, and apply it to all channels at once
with :func:`fftconv.fftconvolve` along the time axis. The spectra before
and after show what was removed.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.cbook as cbook
import matplotlib.pyplot as plt
import numpy as np
import scipy.signal

import fftconv
from fftconv.plot import plot_spectrum

OUT = Path(os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="fftconv-"))

fs = 80.0  # Hz, as in matplotlib's own EEG example
eeg = np.fromfile(cbook.get_sample_data("eeg.dat", asfileobj=False), dtype=float)
eeg = eeg.reshape(800, 4)  # samples x channels
t = np.arange(eeg.shape[0]) / fs

# %%
# Design and apply the filter
# ---------------------------
# ``mode='same'`` keeps the signal's length and, for a symmetric (linear
# phase) filter, its timing.
taps = scipy.signal.firwin(61, cutoff=10.0, fs=fs)
smooth = fftconv.fftconvolve(eeg, taps[:, None], mode="same", axes=0)
ref = np.stack([np.convolve(eeg[:, c], taps, mode="same") for c in range(4)], axis=1)
print(f"max difference from numpy.convolve: {np.abs(smooth - ref).max():.1e}")


def band_power(x, lo, hi):
    f, p = scipy.signal.periodogram(x, fs=fs, axis=0)
    return p[(f >= lo) & (f < hi)].sum(axis=0)


kept = band_power(smooth, 0, 8) / band_power(eeg, 0, 8)
removed = band_power(smooth, 15, 40) / band_power(eeg, 15, 40)
print("power kept below 8 Hz (per channel):  ", np.round(kept, 3))
print("power kept above 15 Hz (per channel): ", np.round(removed, 5))

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), layout="constrained")
ax1.plot(t, eeg[:, 0], lw=0.8, label="recorded")
ax1.plot(t, smooth[:, 0], lw=1.5, label="low-pass 10 Hz")
ax1.set_xlabel("time (s)")
ax1.legend()
plot_spectrum(eeg[:, 0], fs, ax=ax2, label="recorded")
plot_spectrum(smooth[:, 0], fs, ax=ax2, label="low-pass 10 Hz")
ax2.axvline(10.0, color="k", ls=":")
ax2.legend()
fig.savefig(OUT / "signal_filtering.png", dpi=80)
print(f"figure written to {OUT / 'signal_filtering.png'}")
