"""Real float32 overlap-save blocks on half-length complex transforms.

FFTW's real-to-complex float32 transforms barely use SIMD in the pyFFTW
wheel's FFTW 3.3.5 build: on the development machine a length-``L``
r2c + c2r pair costs 0.55-0.9x of float64's, so float32 overlap-save ran at
0.76x of the float64 time. Its complex float32 transforms are fast: a
length-``L/2`` c2c pair costs 0.25-0.45x of the float64 r2c pair. So a real
block of ``L`` samples is read as ``L/2`` complex numbers (``x[2n] + i
x[2n+1]``), transformed, mapped to the spectrum of its convolution with the
real kernel read the same way (one compiled pass, ``_chalf.pair``: unpacking,
the spectral product and the packing for the inverse, folded into
``U = P Z + Q conj(Z[-k])``), and transformed back: the result, read as
``L`` reals, is the block's circular convolution. See ``_chalf.c`` for the
algebra.

Measured 2026-12-05 (development VM, one thread, 4e6 samples * 3001 taps):
the float32 call went from 0.72-0.80x to 0.51x of the float64 call's time.
Each block is copied into a contiguous buffer first: the forward transform
reading the signal in place (strided rows) measured 1.5x slower.

Rounding: the extra pass adds a few float32 operations per bin, as FFTW's
own r2c post-processing does; errors stay within the dtype's FFT bound
(tests/test_halfblocks.py compares with the float64 direct sum).

Without a C compiler (``_chalf`` not built) float32 keeps the r2c plans.
"""

from __future__ import annotations

import functools

import numpy as np

try:
    from . import _chalf
except ImportError:  # pragma: no cover - built without a C compiler
    _chalf = None

#: Whether the compiled pass is available (float32 overlap-save uses it).
AVAILABLE = _chalf is not None
_F32 = np.dtype(np.float32)


def usable(dtype, L: int) -> bool:
    """Whether float32 blocks of length ``L`` take this path (real float32, even
    ``L``, FFTW plans)."""
    if not (AVAILABLE and np.dtype(dtype) == _F32 and L % 2 == 0 and L >= 16):
        return False
    from ._plans import fftw_available

    return fftw_available()


@functools.lru_cache(maxsize=64)
def _twiddles(L: int) -> np.ndarray:
    w = np.exp(-2j * np.pi * np.arange(L // 2) / L)
    w.flags.writeable = False
    return w


class Spectral:
    """The maps ``P``, ``Q`` of one real kernel for blocks of length ``L``."""

    def __init__(self, L: int) -> None:
        self.L, self.n = L, L // 2
        self.P = np.zeros(self.n, np.complex64)
        self.Q = np.zeros(self.n, np.complex64)
        #: the kernel's scale before its r2c transform (the c2c inverse is unnormalised)
        self.kernel_scale = np.float32(1) / np.float32(self.n)

    def set_spectrum(self, H: np.ndarray) -> None:
        """Set the maps from the (scaled) kernel's half spectrum ``H`` (``L/2 + 1`` bins)."""
        _chalf.coefficients(H, _twiddles(self.L), self.P, self.Q)


class Blocks:
    """Two aligned ``batch x L/2`` complex64 buffers and, per batch height in
    ``heights``, a pair of plans between them (forward ``C -> S``, inverse
    ``C -> S``) for :func:`transform`."""

    def __init__(self, batch: int, L: int, heights, fftw, planner: str) -> None:
        n = L // 2
        C, S = _aligned((batch, n)), _aligned((batch, n))
        self.plans = {nb: (fftw(C[:nb], S[:nb], (1,), False, 1, planner),
                           fftw(C[:nb], S[:nb], (1,), True, 1, planner))
                      for nb in heights}
        self.nbytes = C.nbytes + S.nbytes

    def run(self, rows: np.ndarray, spectral: Spectral) -> np.ndarray:
        """:func:`transform` of ``rows`` on the plans of their height."""
        return transform(*self.plans[rows.shape[0]], rows, spectral)


def transform(fwd, inv, rows: np.ndarray, spectral: Spectral) -> np.ndarray:
    """The circular convolutions of ``rows`` (``nb x L`` float32) with the
    kernel of ``spectral``, as ``nb x L`` float32 (a view of ``inv``'s output).

    ``fwd`` and ``inv`` are forward and (unnormalised) inverse complex64 plans
    of ``m >= nb`` rows of ``L/2``; ``fwd``'s output must not overlap ``inv``'s
    input. The rows are copied into ``fwd``'s input (spare rows zeroed),
    transformed, mapped into ``inv``'s input, and transformed back.
    """
    nb = rows.shape[0]
    inp = fwd.input_array
    inp.view(_F32)[:nb] = rows
    if nb < inp.shape[0]:  # spare rows: zeros (uninitialised memory may hold NaN/denormals)
        inp[nb:] = 0
    fwd.execute()
    _chalf.pair(fwd.output_array, inv.input_array, spectral.P, spectral.Q, spectral.n)
    inv.execute()
    return inv.output_array.view(_F32)[:nb]


def _aligned(shape) -> np.ndarray:
    from ._plans import pyfftw

    return pyfftw.zeros_aligned(shape, dtype=np.complex64)
