"""Lean 1-D path: cached jobs (plans and buffers) per problem shape.

Most 1-D calls are small: for a 10,000-sample signal the transforms take tens
of microseconds, and the general path's set-up (validation, a plan look-up
per transform, padded copies, the non-finite scan) would cost as much again.
Here a *job* owns everything one problem shape needs -- FFTW plans wired to
its own aligned buffers, zero padding written once, precomputed slices -- so a
call is a few copies and ``execute()`` calls.

* ``fft``: one transform of the *circular* length that the requested window
  needs, ``max(stop, n + k - 1 - start)``: ``'same'`` and ``'valid'`` pad
  less than ``'full'``.
* ``oa``: overlap-save whose blocks are read in place -- the forward plan's
  input is a strided view of overlapping rows of one padded copy of the
  signal -- in batches that stay in cache.

Non-finite inputs are detected for free: a NaN or infinity anywhere in an
FFT's input makes *every* output of it non-finite, so one sample per block
tells. Such calls (and genuine overflow) return ``None`` and the caller takes
the general path, which gives the direct sum's NaN/inf footprint.

Jobs are checked out for the exclusive use of one call and given back to a
bounded pool (:data:`MAX_JOB_BYTES`), like the plans of :mod:`fftconv._plans`.
"""

from __future__ import annotations

import cmath
import threading
from collections import OrderedDict

import numpy as np

from . import _measure, _plans, _strategy
from ._config import get_planner, resolve_workers

#: Result dtype for the input dtype pairs the lean path serves.
_KINDS = {np.dtype(c) for c in "fdFD"}
#: Problems larger than this (samples of the longer input) take the general,
#: memory-lean path: their set-up is negligible next to the transforms.
MAX_SAMPLES = _strategy.LEAN_MAX_SAMPLES
#: Bytes of idle jobs kept for reuse (least recently used dropped first).
MAX_JOB_BYTES = 256 * 2**20
MAX_JOBS = 32
#: Forward transforms per overlap-save batch: this many elements stay in cache.
BATCH_ELEMENTS = 2**15

_lock = threading.Lock()
_pool: OrderedDict[tuple, list] = OrderedDict()
_pool_bytes = 0


def forget() -> None:
    """Drop every idle job (after a calibration, or to free memory)."""
    global _pool_bytes
    with _lock:
        _pool.clear()
        _pool_bytes = 0


def _aligned(shape, dtype) -> np.ndarray:
    return _plans.pyfftw.zeros_aligned(shape, dtype=dtype)


def _fftw(inp, out, axes, inverse, threads, planner, *, destroy=None):
    """An FFTW plan on these arrays; forward plans keep their input (its zero padding)."""
    from . import wisdom

    wisdom._ensure_loaded()
    flags = [_plans._EFFORT[planner]]
    if inverse if destroy is None else destroy:
        flags.append("FFTW_DESTROY_INPUT")
    with wisdom.lock:
        plan = _plans.pyfftw.FFTW(inp, out, axes=axes, flags=flags, threads=threads,
                                  direction="FFTW_BACKWARD" if inverse else "FFTW_FORWARD")
    if planner != "estimate":
        wisdom._note_new_wisdom()
    return plan


def _spectrum(dtype: np.dtype, n: int) -> tuple[int, np.dtype]:
    if dtype.kind == "c":
        return n, dtype
    return n // 2 + 1, np.result_type(dtype, np.complex64)


class _FFTJob:
    """One transform of length ``P`` per input, a product, one inverse."""

    def __init__(self, n, k, P, window, dtype, threads, planner):
        self.n, self.k, self.P = n, k, P
        self.w0, self.w1 = window
        m, cdt = _spectrum(dtype, P)
        self.x, self.h, self.y = (_aligned(P, dtype) for _ in range(3))
        self.X, self.H = _aligned(m, cdt), _aligned(m, cdt)
        self.fx = _fftw(self.x, self.X, (0,), False, threads, planner)
        self.fh = _fftw(self.h, self.H, (0,), False, threads, planner)
        self.fi = _fftw(self.X, self.y, (0,), True, threads, planner)
        self.x[:] = 0  # measuring planners scribble on the buffers
        self.h[:] = 0
        rtype = np.empty(0, dtype).real.dtype.type
        self.scale = rtype(1) / rtype(P)
        self.nbytes = 3 * self.x.nbytes + 2 * self.X.nbytes

    def run(self, a, b):
        self.x[:self.n] = a
        self.fx.execute()
        np.multiply(b, self.scale, out=self.h[:self.k])
        self.fh.execute()
        # a NaN or infinity anywhere in an input reaches every bin, the first included
        if not (cmath.isfinite(self.X[0]) and cmath.isfinite(self.H[0])):
            return None
        np.multiply(self.X, self.H, out=self.X)
        self.fi.execute()
        out = self.y[self.w0:self.w1].copy()
        return out if cmath.isfinite(out[0]) else None  # overflow


class _OAJob:
    """Overlap-save with FFT length ``L``, blocks read in place from a padded copy."""

    def __init__(self, n, k, L, window, dtype, threads, planner):
        # the longer input streams, the shorter is the kernel (convolution commutes)
        self.swap = k > n
        n, k = (k, n) if self.swap else (n, k)
        w0, w1 = window
        item = dtype.itemsize
        align = max(_plans.pyfftw.simd_alignment // item, 1)
        step = (L - k + 1) // align * align  # every block starts SIMD-aligned
        if step <= 0:
            raise ValueError(f"block={L} leaves no aligned outputs for a {k}-tap kernel")
        self.k, self.L, self.step, self.nout = k, L, step, w1 - w0
        nblk = -(-self.nout // step)
        batch = max(1, min(nblk, BATCH_ELEMENTS // L))
        m, cdt = _spectrum(dtype, L)
        # buf[i] holds sig[i + w0 - (k - 1)]: block j reads buf[j*step : j*step + L]
        self.buf = _aligned(nblk * step + L - step, dtype)
        off = w0 - (k - 1)
        self.dst = (max(0, -off), min(self.buf.size, n - off))
        self.src = (self.dst[0] + off, self.dst[1] + off)
        self.kbuf, self.H = _aligned(L, dtype), _aligned(m, cdt)
        self.fk = _fftw(self.kbuf, self.H, (0,), False, threads, planner)
        self.batches = []  # (rows view, forward plan, inverse plan, output block range)
        S, R = _aligned((batch, m), cdt), _aligned((batch, L), dtype)
        plans = {}
        for j0 in range(0, nblk, batch):
            nb = min(batch, nblk - j0)
            rows = np.lib.stride_tricks.as_strided(
                self.buf[j0 * step:], shape=(nb, L), strides=(step * item, item),
                writeable=False)
            if nb not in plans:
                plans[nb] = (_fftw(rows, S[:nb], (1,), False, threads, planner),
                             _fftw(S[:nb], R[:nb], (1,), True, threads, planner))
            self.batches.append((rows, S[:nb], R[:nb], *plans[nb], j0, nb))
        self.buf[:] = 0  # measuring planners scribble on the buffers
        self.kbuf[:] = 0
        rtype = np.empty(0, dtype).real.dtype.type
        self.scale = rtype(1) / rtype(L)
        self.dtype = dtype
        self.nbytes = self.buf.nbytes + S.nbytes + R.nbytes + 2 * self.kbuf.nbytes

    def run(self, a, b):
        with np.errstate(all="ignore"):  # non-finite inputs are detected at the end
            return self._run(a, b)

    def _run(self, a, b):
        if self.swap:
            a, b = b, a
        d0, d1 = self.dst
        if d1 > d0:
            self.buf[d0:d1] = a[self.src[0]:self.src[1]]
        np.multiply(b, self.scale, out=self.kbuf[:self.k])
        self.fk.execute()
        H, step, k, nout = self.H, self.step, self.k, self.nout
        out = np.empty(nout, self.dtype)
        for rows, S, R, fwd, inv, j0, nb in self.batches:
            fwd.update_arrays(rows, S)  # one plan reads every batch's rows in place
            fwd.execute()
            np.multiply(S, H, out=S)
            inv.execute()
            o0 = j0 * step
            full = min(nb, (nout - o0) // step)
            if full:
                out[o0:o0 + full * step].reshape(full, step)[...] = R[:full, k - 1:k - 1 + step]
            if full < nb:  # the short last block
                rest = nout - o0 - full * step
                out[o0 + full * step:] = R[full, k - 1:k - 1 + rest]
        check = np.add.reduce(out[::step])
        return out if cmath.isfinite(check) else None


def _job(key, make):
    global _pool_bytes
    with _lock:
        idle = _pool.get(key)
        if idle:
            job = idle.pop()
            _pool_bytes -= job.nbytes
            if not idle:
                del _pool[key]
            return job
    return make()


def _give_back(key, job) -> None:
    global _pool_bytes
    if job.nbytes > MAX_JOB_BYTES // 4:
        return
    with _lock:
        _pool.setdefault(key, []).append(job)
        _pool.move_to_end(key)
        _pool_bytes += job.nbytes
        count = sum(len(v) for v in _pool.values())
        while _pool and (_pool_bytes > MAX_JOB_BYTES or count > MAX_JOBS):
            old, idle = next(iter(_pool.items()))
            _pool_bytes -= idle.pop(0).nbytes
            count -= 1
            if not idle:
                del _pool[old]


def _decide(n, k, mode, dtype, threads, method):
    """``(engine, parameter)`` for this shape: from the cost model unless forced."""
    from ._dispatch import _windows

    if mode == "valid" and n < k:
        window = _windows(mode, (k,), (n,), (0,), 1)[0]
    else:
        window = _windows(mode, (n,), (k,), (0,), 1)[0]
    p = _strategy.choose((n,), (k,), (0,), [window], dtype=dtype, threads=threads)
    engine = p.method if method == "auto" else method
    if engine == "fft":
        P = p.params["fshape"][0] if p.method == "fft" else _strategy.lean_fft_len(
            n, k, window, dtype=dtype, threads=threads)
        return "fft", P, window
    if engine == "oa":
        L = p.params.get("block") if p.method == "oa" else None
        if L is None:
            L = _strategy.oa_block_size(min(n, k), window[1] - window[0], dtype=dtype,
                                        threads=threads, lean=True)
        return "oa", L, window
    return "direct", None, window


def convolve(in1: np.ndarray, in2: np.ndarray, mode: str, method: str = "auto",
             workers=None, *, block: int | None = None) -> np.ndarray | None:
    """The 1-D convolution of two float/complex ndarrays, or None (take the general path).

    ``method`` is ``'auto'``, ``'fft'`` or ``'oa'``; ``block`` forces the
    overlap-save FFT length (benchmarks). ``None`` is returned for anything
    outside the lean path's scope: other dtypes or modes, very large inputs,
    inputs with NaN or infinity, a missing pyfftw, or remembered
    ``measure=True`` winners.
    """
    d1, d2 = in1.dtype, in2.dtype
    if d1 not in _KINDS or d2 not in _KINDS or mode not in ("full", "same", "valid"):
        return None
    n, k = in1.shape[0], in2.shape[0]
    if (not n or not k or max(n, k) > MAX_SAMPLES or _measure._winners
            or not _plans.fftw_available()):
        return None
    dtype = d1 if d1 == d2 else np.result_type(d1, d2)
    threads = resolve_workers(workers)
    planner = get_planner()
    key = (n, k, mode, dtype.char, threads, planner, method, block)
    dec = _decisions.get(key)
    if dec is None:
        if len(_decisions) > 4096:
            _decisions.clear()
        dec = _decisions[key] = _decide(n, k, mode, dtype, threads, method)
    engine, size, window = dec
    if engine == "direct":
        if mode != "same" or n >= k:
            return np.convolve(in1, in2, mode)
        return None
    if block is not None:
        size = int(block)
    if threads > 1 and size < _plans.THREADS_MIN_SIZE:
        threads = 1
    cls = _FFTJob if engine == "fft" else _OAJob
    jkey = (engine, n, k, size, window, dtype.char, threads, planner)
    job = _job(jkey, lambda: cls(n, k, size, window, dtype, threads, planner))
    try:
        return job.run(in1, in2)
    finally:
        _give_back(jkey, job)


#: Cached decisions per call signature (cleared with the cost model's caches).
_decisions: dict[tuple, tuple] = {}
