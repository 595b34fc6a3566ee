"""
Fresh buns: continuous convolution
==================================

A bakery makes buns all day at a rate ``f(t)`` (buns per hour), and every
bun goes stale: a fraction ``g(s) = exp(-s / T)`` of those baked ``s`` hours
ago is still fresh. How many fresh buns are there at time ``t``? Add up
everything baked at each earlier time ``tau``, weighted by how much of it
survived the ``t - tau`` hours since:

.. math:: (f * g)(t) = \\int_0^t f(\\tau)\\, g(t - \\tau)\\, d\\tau

That is a convolution. :func:`fftconv.theorem.convolve_functions` evaluates it
at every point of a grid with one discrete convolution, scaled by the grid
step, with trapezoid end weights. We check it against the closed form for a
constant rate and against :func:`scipy.integrate.quad` for a varying one.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import scipy.integrate

from fftconv.theorem import convolve_functions

OUT = Path(os.environ.get("FFTCONV_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="fftconv-"))

T = 8.0  # hours: the freshness time constant


def g(s):
    """Fraction of buns still fresh ``s`` hours after baking."""
    return np.exp(-s / T)


t = np.linspace(0.0, 24.0, 24 * 60 + 1)  # one day, minute by minute

# %%
# Constant rate: a closed form to check against
# ---------------------------------------------
# With ``f = r`` the integral is ``r T (1 - exp(-t / T))``.
r = 10.0
fresh = convolve_functions(lambda s: np.full_like(s, r), g, t)
exact = r * T * (1 - np.exp(-t / T))
print(f"constant rate: fresh buns at 24 h = {fresh[-1]:.6f} "
      f"(closed form {exact[-1]:.6f}, max error over the day {np.abs(fresh - exact).max():.1e})")

# %%
# A busy morning and a busy afternoon
# -----------------------------------
# Now the ovens run hardest at 6:00 and 18:00. No closed form this time, so
# compare the value at 24 h with adaptive quadrature.


def f(tau):
    """Baking rate in buns per hour."""
    return 4.0 + 12.0 * np.sin(np.pi * tau / 12.0) ** 2


fresh_varying = convolve_functions(f, g, t)
ref, _ = scipy.integrate.quad(lambda tau: f(tau) * g(24.0 - tau), 0.0, 24.0)
print(f"varying rate: fresh buns at 24 h = {fresh_varying[-1]:.6f} "
      f"(scipy.integrate.quad {ref:.6f})")

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, layout="constrained")
ax1.plot(t, f(t), label="baking rate f(t), buns/h")
ax1.plot(t, 10 * g(t), "--", label="10 x freshness g(t)")
ax1.legend()
ax2.plot(t, fresh_varying, label="fresh buns (f * g)(t)")
ax2.plot([24.0], [ref], "o", label="quad at 24 h")
ax2.set_xlabel("time (h)")
ax2.legend()
fig.savefig(OUT / "buns_decay.png", dpi=80)
print(f"figure written to {OUT / 'buns_decay.png'}")
