"""
Low-pass filtering a chirp
==========================

A logarithmic chirp from 50 Hz to 10 kHz with a little noise is written to a
WAV file and filtered by ``fftconv filter --lowpass 1500`` (here called as
the library function :func:`fftconv.audio.filter_file`): a 255-tap
linear-phase FIR filter designed by :func:`scipy.signal.firwin` and applied
in blocks by a :class:`fftconv.StreamConvolver`. The spectrogram shows the
sweep vanishing once it passes the cut-off; the filter's frequency response
is drawn beside it. Outputs go to ``FFTCONV_EXAMPLES_OUT``.
"""

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.signal  # noqa: E402
import soundfile as sf  # noqa: E402

from fftconv.audio import design_fir, filter_file  # noqa: E402

OUT = Path(os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="fftconv-"))
OUT.mkdir(parents=True, exist_ok=True)
fs = 22_050
rng = np.random.default_rng(0)

t = np.arange(int(3.0 * fs)) / fs
x = 0.5 * scipy.signal.chirp(t, 50, t[-1], 10_000, method="logarithmic")
x += 0.02 * rng.standard_normal(len(t))
sf.write(OUT / "chirp.wav", x, fs, subtype="PCM_16")

# %%
# Filter the file
# ---------------
info = filter_file(OUT / "chirp.wav", OUT / "chirp_lowpass.wav", lowpass=1500, numtaps=255,
                   window="hann", force=True)
y = sf.read(OUT / "chirp_lowpass.wav")[0]
print(f"{info['frames_out']} frames, {info['taps']} taps, subtype {info['subtype']}")

# %%
# What the filter did
# -------------------
taps = design_fir("lowpass", 1500, fs, numtaps=255, window="hann")
w, resp = scipy.signal.freqz(taps, worN=2048, fs=fs)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.5), gridspec_kw={"width_ratios": [3, 3, 2]})
for ax, sig, title in [(axes[0], x, "chirp"), (axes[1], y, "after --lowpass 1500")]:
    f, tt, s = scipy.signal.spectrogram(sig, fs, nperseg=512, noverlap=384)
    ax.pcolormesh(tt, f, 10 * np.log10(s + 1e-12), shading="auto", vmin=-120, vmax=-20)
    ax.set_title(title)
    ax.set_xlabel("time (s)")
axes[0].set_ylabel("Hz")
axes[2].plot(w, 20 * np.log10(np.abs(resp) + 1e-12))
axes[2].set_ylim(-100, 5)
axes[2].set_title("FIR response (dB)")
axes[2].set_xlabel("Hz")
fig.tight_layout()
fig.savefig(OUT / "audio_lowpass.png", dpi=80)
print(f"outputs in {OUT}")
