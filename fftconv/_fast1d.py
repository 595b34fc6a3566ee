"""Lean 1-D path: cached jobs (plans and buffers) per problem shape.

Most 1-D calls are small: for a 10,000-sample signal the transforms take tens
of microseconds, and the general path's set-up (validation, a plan look-up
per transform, padded copies, the non-finite scan) would cost as much again.
Here a *job* owns everything one problem shape needs -- FFTW plans wired to
its own aligned buffers, zero padding written once, precomputed slices -- so a
call is a few copies and ``execute()`` calls.

* ``fft``: one transform of the *circular* length that the requested window
  needs, ``max(stop, n + k - 1 - start)``: ``'same'`` and ``'valid'`` pad
  less than ``'full'``. Large float64 jobs transform in place.
* ``oa``: overlap-save whose blocks are read in place -- the forward plan's
  input is a strided view of overlapping rows of the caller's array itself;
  only the first and last batches read a zero-padded copy of their span --
  in batches that stay in cache.

Non-finite inputs are detected almost for free: a NaN or infinity anywhere
in an FFT's input makes *every* output of it non-finite, and overflow of
finite inputs (in the spectral product, or inside an inverse transform,
where it may hit only some outputs) shows in the result, which is summed
once. Such calls return ``None`` and the caller takes the general path,
which gives the direct sum's NaN/inf footprint.

Jobs are checked out for the exclusive use of one call and given back to a
bounded pool (:data:`MAX_JOB_BYTES`), like the plans of :mod:`fftconv._plans`.
"""

from __future__ import annotations

import cmath
import functools
import threading
from collections import OrderedDict

import numpy as np

from . import _halfblocks, _measure, _parallel, _plans, _strategy
from ._config import get_planner, resolve_workers
from ._costs import oa_batches, oa_split_work
from ._directloop import np_convolve
from ._nonfinite import all_finite

#: Result dtype for the input dtype pairs the lean path serves.
_KINDS = {np.dtype(c) for c in "fdFD"}
#: Problems larger than this (samples of the longer input) take the general,
#: memory-lean path: their set-up is negligible next to the transforms.
MAX_SAMPLES = _strategy.LEAN_MAX_SAMPLES
#: Bytes of idle jobs kept for reuse (least recently used dropped first; a job
#: larger than a quarter of this is not kept). ``fftconv.clear_cache()`` frees them.
MAX_JOB_BYTES = 512 * 2**20
MAX_JOBS = 32

_lock = threading.Lock()
_pool: OrderedDict[tuple, list] = OrderedDict()
_pool_bytes = 0
_pool_count = 0


def forget() -> None:
    """Drop every idle job (after a calibration, or to free memory)."""
    global _pool_bytes, _pool_count
    with _lock:
        _pool.clear()
        _pool_bytes = _pool_count = 0


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


#: float64 one-FFT jobs of at least this many points transform in place (two
#: buffers instead of five): measured 1.05-1.3x faster from 2**17 points
#: (memory traffic), and for small jobs called from a cold cache; 1.1-1.2x
#: slower on some 3/5-smooth lengths in between, and for float32.
INPLACE_MIN, INPLACE_MAX_SMALL = 2**17, 4096


class _FFTJob:
    """One transform of length ``P`` per input, a product, one inverse.

    Out of place, the zero padding of each input buffer is written once; in
    place (large or small ``P``, see :data:`INPLACE_MIN`), each input shares
    its buffer with its spectrum, the inverse writes over the signal's
    spectrum, and the padding is re-zeroed on every call.
    """

    def __init__(self, n, k, P, window, dtype, threads, planner):
        self.n, self.k, self.P = n, k, P
        self.w0, self.w1 = window
        m, cdt = _spectrum(dtype, P)
        self.inplace = dtype == np.float64 and (P >= INPLACE_MIN or P <= INPLACE_MAX_SMALL)
        if self.inplace:
            per = 2 * m if dtype.kind != "c" else P  # r2c in place: room for the spectrum
            bx, bh = _aligned(per, dtype), _aligned(per, dtype)
            self.x, self.h = bx[:P], bh[:P]
            self.X, self.H = bx.view(cdt)[:m], bh.view(cdt)[:m]
            self.y = self.x
            self.nbytes = bx.nbytes + bh.nbytes
        else:
            self.x, self.h, self.y = (_aligned(P, dtype) for _ in range(3))
            self.X, self.H = _aligned(m, cdt), _aligned(m, cdt)
            self.nbytes = 3 * self.x.nbytes + 2 * self.X.nbytes
        self.fx = _fftw(self.x, self.X, (0,), False, threads, planner)
        self.fh = _fftw(self.h, self.H, (0,), False, threads, planner)
        self.fi = _fftw(self.X, self.y, (0,), True, threads, planner)
        self.x[:] = 0  # measuring planners scribble on the buffers
        self.h[:] = 0
        rtype = np.empty(0, dtype).real.dtype.type
        self.scale = rtype(1) / rtype(P)

    def run(self, a, b):
        x, h, n, k = self.x, self.h, self.n, self.k
        x[:n] = a
        if self.inplace:
            x[n:] = 0
        self.fx.execute()
        np.multiply(b, self.scale, out=h[:k])
        if self.inplace:
            h[k:] = 0
        self.fh.execute()
        # a NaN or infinity anywhere in an input reaches every bin, the first included
        if not (cmath.isfinite(self.X[0]) and cmath.isfinite(self.H[0])):
            return None
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked below
            np.multiply(self.X, self.H, out=self.X)
        self.fi.execute()
        out = self.y[self.w0:self.w1].copy()
        # overflow, in the product or inside the inverse transform, where it may hit
        # only some outputs: one pass over the result (0.2 ns per sample)
        return out if all_finite(out) else None


class _OAJob:
    """Overlap-save with FFT length ``L``; blocks are read in place from the signal.

    Block ``j`` reads ``sig[off + j*step : off + j*step + L]``. A batch of
    blocks inside the signal is a strided view of the caller's array itself
    (no copy); batches that reach past its ends read a small zero-padded copy
    of the span they need. The forward plan is made on a 16-byte aligned
    template, so it accepts any view whose first block starts 16-byte
    aligned (``step`` keeps the others aligned); other inputs (views at odd
    offsets, other dtypes, strides) are first copied into an aligned
    *shadow*. After each call the plan points back at the template: the job
    never keeps the caller's array alive.

    Real float32 blocks are copied into a contiguous buffer and transformed as
    half-length complex ones instead (:mod:`fftconv._halfblocks`: FFTW's
    float32 r2c transforms are slow in the pyFFTW wheel).

    ``parts`` > 1 splits the batches into that many contiguous groups, each
    with its own buffers and one-thread plans, run on threads of their own
    (:mod:`fftconv._parallel`): every block is transformed as on one thread.
    """

    def __init__(self, n, k, L, window, dtype, parts, planner):
        # the longer input streams, the shorter is the kernel (convolution commutes)
        self.swap = k > n
        n, k = (k, n) if self.swap else (n, k)
        w0, w1 = window
        item = dtype.itemsize
        step = (L - k + 1) // 8 * 8  # every block start stays aligned
        if step <= 0:
            raise ValueError(f"block={L} leaves no aligned outputs for a {k}-tap kernel")
        self.n, self.k, self.L, self.step, self.nout = n, k, L, step, w1 - w0
        self.off = off = w0 - (k - 1)
        self.unit = max(16 // item, 1)  # alignment of a block start, in samples
        self.dtype = dtype
        nblk = -(-self.nout // step)
        batch, _ = oa_batches(nblk, L, lean=True)  # a batch stays in cache
        m, cdt = _spectrum(dtype, L)
        self.kbuf, self.H = _aligned(L, dtype), _aligned(m, cdt)
        self.fk = _fftw(self.kbuf, self.H, (0,), False, 1, planner)
        # real float32: blocks on half-length complex transforms (fftconv._halfblocks)
        self.half = _halfblocks.Spectral(L) if _halfblocks.usable(dtype, L) else None
        starts = range(0, nblk, batch)
        self.groups = []  # per thread: its batches, and the plans to re-point after a call
        nbytes = 0
        for g0, g1 in _parallel.chunks(len(starts), max(1, parts)):
            heights = sorted({min(batch, nblk - j0) for j0 in starts[g0:g1]})
            if self.half is not None:
                blocks = _halfblocks.Blocks(batch, L, heights, _fftw, planner)
                spectral = {nb: functools.partial(blocks.run, spectral=self.half)
                            for nb in heights}
                release, nbytes = [], nbytes + blocks.nbytes
            else:
                spectral, release, size = self._real_blocks(batch, heights, planner)
                nbytes += size
            batches = []
            for j0 in starts[g0:g1]:
                nb = min(batch, nblk - j0)
                lo = off + j0 * step
                hi = lo + (nb - 1) * step + L
                edge = None
                if lo < 0 or hi > n:  # a zero-padded copy of the span: sig[lo:hi]
                    ebuf = _aligned((nb - 1) * step + L + self.unit, dtype)[self.unit:]
                    d0, d1 = max(0, -lo), max(min(hi, n) - lo, max(0, -lo))
                    edge = (ebuf, self._rows(ebuf, 0, nb), d0, d1, d0 + lo, d1 + lo)
                    ebuf[:] = 0  # measuring planners scribble on the buffers
                    nbytes += ebuf.nbytes
                batches.append((lo, edge, spectral[nb], j0, nb))
            self.groups.append((batches, release))
        self.kbuf[:] = 0
        rtype = np.empty(0, dtype).real.dtype.type
        self.scale = self.half.kernel_scale if self.half else rtype(1) / rtype(L)
        self.shadow = None  # an aligned copy, for signals that cannot be read in place
        self.nbytes = nbytes + 2 * self.kbuf.nbytes

    def _real_blocks(self, batch, heights, planner):
        """Per batch height, a function transforming its rows (r2c, product, c2r)
        with a forward plan that reads them in place; what to re-point after a
        call; and the buffers' bytes."""
        L, dtype = self.L, self.dtype
        m, cdt = _spectrum(dtype, L)
        S, R = _aligned((batch, m), cdt), _aligned((batch, L), dtype)
        # a template 16 (not 32 or 64) bytes aligned: the plans then take any 16-byte view
        tmpl = _aligned(batch * L + 64, dtype)[self.unit:]
        spectral, release = {}, []
        for nb in heights:
            rows = self._rows(tmpl, 0, nb)
            fwd = _fftw(rows, S[:nb], (1,), False, 1, planner)
            inv = _fftw(S[:nb], R[:nb], (1,), True, 1, planner)
            release.append((fwd, rows, S[:nb]))
            spectral[nb] = functools.partial(self._real_batch, fwd, inv, S[:nb], R[:nb])
        return spectral, release, S.nbytes + R.nbytes

    def _real_batch(self, fwd, inv, S, R, rows):
        fwd.update_arrays(rows, S)  # one plan reads every batch in place
        fwd.execute()
        np.multiply(S, self.H, out=S)
        inv.execute()
        return R

    def _rows(self, arr, start, nb):
        item = arr.itemsize
        return np.ndarray((nb, self.L), arr.dtype, buffer=arr, offset=start * item,
                          strides=(self.step * item, item))

    def _readable(self, a):
        """``a``, or an aligned copy of it where blocks cannot be read from it in place."""
        if (a.dtype == self.dtype and a.flags.c_contiguous
                and (self.half is not None  # (its blocks are copied anyway)
                     or (a.__array_interface__["data"][0] + self.off * a.itemsize) % 16 == 0)):
            return a
        if self.shadow is None:
            pad = (-self.off) % self.unit  # block starts then fall on aligned samples
            self.shadow = _aligned(self.n + self.unit, self.dtype)[pad:pad + self.n]
            self.nbytes += self.shadow.nbytes
        self.shadow[...] = a
        return self.shadow

    def run(self, a, b, out=None):
        """``a`` convolved with ``b`` on the job's window (into ``out`` if given: a
        contiguous array of the window's length and the job's dtype), or None for
        non-finite results. ``b=None`` reuses the kernel spectrum of the last call
        or of :meth:`set_kernel` (for an owner that keeps one kernel)."""
        try:
            with np.errstate(all="ignore"):  # non-finite inputs are detected at the end
                return self._run(a, b, out)
        finally:
            # the plans must not keep the caller's array alive (or block its resize)
            for _, release in self.groups:
                for fwd, rows, S in release:
                    fwd.update_arrays(rows, S)

    def set_kernel(self, b) -> None:
        """Transform the kernel ``b`` once, for calls of :meth:`run` with ``b=None``."""
        if self.swap:
            raise ValueError("set_kernel needs the kernel to be the shorter input")
        self._transform_kernel(b)

    def _transform_kernel(self, b) -> None:
        np.multiply(b, self.scale, out=self.kbuf[:self.k])
        self.fk.execute()
        if self.half is not None:
            self.half.set_spectrum(self.H)

    def _run(self, a, b, out):
        if self.swap:
            a, b = b, a
        a = self._readable(a)
        if b is not None:
            self._transform_kernel(b)
        if out is None:
            out = np.empty(self.nout, self.dtype)
        _parallel.run([functools.partial(self._run_group, batches, a, out)
                       for batches, _ in self.groups])
        # a non-finite input spoils every output of its block; overflow inside an
        # inverse transform only some of them: one pass over the whole result
        # (0.8 ms for 4M samples, 3 % of that overlap-save)
        return out if all_finite(out) else None

    def _run_group(self, batches, a, out):
        step, k, nout = self.step, self.k, self.nout
        with np.errstate(all="ignore"):  # (per thread) non-finite inputs: see _run
            for lo, edge, spectral, j0, nb in batches:
                if edge is None:
                    rows = self._rows(a, lo, nb)
                else:
                    ebuf, rows, d0, d1, s0, s1 = edge
                    ebuf[d0:d1] = a[s0:s1]
                R = spectral(rows)
                o0 = j0 * step
                full = min(nb, (nout - o0) // step)
                if full:
                    out[o0:o0 + full * step].reshape(full, step)[...] = \
                        R[:full, k - 1:k - 1 + step]
                if full < nb:  # the short last block
                    rest = nout - o0 - full * step
                    out[o0 + full * step:] = R[full, k - 1:k - 1 + rest]


def _job(key):
    """Check an idle job for ``key`` out of the pool (None if there is none)."""
    global _pool_bytes, _pool_count
    with _lock:
        idle = _pool.get(key)
        if idle:
            job = idle.pop()
            _pool_bytes -= job.nbytes
            _pool_count -= 1
            if not idle:
                del _pool[key]
            return job
    return None


def _give_back(key, job) -> None:
    """Return a job to the pool, dropping the least recently used beyond the bounds."""
    global _pool_bytes, _pool_count
    if job.nbytes > MAX_JOB_BYTES // 4:
        return
    with _lock:
        idle = _pool.get(key)
        if idle is None:
            idle = _pool[key] = []
        else:
            _pool.move_to_end(key)
        idle.append(job)
        _pool_bytes += job.nbytes
        _pool_count += 1
        while _pool_bytes > MAX_JOB_BYTES or _pool_count > MAX_JOBS:
            old, idle = next(iter(_pool.items()))
            _pool_bytes -= idle.pop(0).nbytes
            _pool_count -= 1
            if not idle:
                del _pool[old]


def _decide(n, k, mode, dtype, threads, planner, method, block):
    """The cached decision for one call signature (see :data:`_decisions`)."""
    from ._dispatch import _windows

    if mode == "valid" and n < k:
        window = _windows(mode, (k,), (n,), (0,), 1)[0]
    else:
        window = _windows(mode, (n,), (k,), (0,), 1)[0]
    # 'fftoa' (fftconvolve): the model's choice between the FFT engines only, as
    # plan(axes=...) reports it
    p = _strategy.choose((n,), (k,), (0,), [window], dtype=dtype, threads=threads,
                         direct_ok=method != "fftoa")
    engine = p.method if method in ("auto", "fftoa") else method
    if engine == "fft":
        size = (p.candidates.get("fft") or {}).get("fshape", [None])[0] or \
            _strategy.lean_fft_len(n, k, window, dtype=dtype, threads=threads)
        cls = _FFTJob
        if threads > 1 and size < _plans.THREADS_MIN_SIZE:
            threads = 1  # thread start-up costs more than it saves on small transforms
    elif engine == "oa":
        size = (p.candidates.get("oa") or {}).get("block") or _strategy.oa_block_size(
            min(n, k), window[1] - window[0], dtype=dtype, lean=True)
        if block is not None:
            size = int(block)
        cls = _OAJob
        # threads run groups of blocks, each transforming on one (fftconv._parallel)
        threads = _parallel.parts(threads, *oa_split_work(
            min(n, k), size, window[1] - window[0], dtype, lean=True))
    else:
        return None
    args = (n, k, size, window, dtype, threads, planner)
    return cls, (engine, *args[:4], dtype.char, threads, planner), args


def convolve(in1: np.ndarray, in2: np.ndarray, mode: str, method: str = "auto",
             workers=None, *, block: int | None = None) -> np.ndarray | None:
    """The 1-D convolution of two float/complex ndarrays, or None (take the general path).

    ``method`` is ``'auto'``, ``'fft'``, ``'oa'`` or ``'fftoa'`` (the faster of
    the two FFT engines, for :func:`fftconv.fftconvolve`); ``block`` forces the
    overlap-save FFT length (benchmarks; ignored by the one-FFT engine).
    ``None`` is returned for anything outside the lean path's scope: other
    dtypes or modes, very large inputs, inputs with NaN or infinity, a
    missing pyfftw, or remembered
    ``measure=True`` winners.
    """
    d1, d2 = in1.dtype, in2.dtype
    if d1 not in _KINDS or d2 not in _KINDS or mode not in ("full", "same", "valid"):
        return None
    n, k = in1.shape[0], in2.shape[0]
    if (not n or not k or max(n, k) > MAX_SAMPLES or _measure._winners
            or not _plans.fftw_available()):
        return None
    threads = resolve_workers(workers)
    key = (n, k, mode, d1.char, d2.char, threads, get_planner(), method, block)
    dec = _decisions.get(key, _MISS)
    if dec is _MISS:
        if len(_decisions) > 4096:
            _decisions.clear()
        dec = _decisions[key] = _decide(n, k, mode, np.result_type(d1, d2), threads,
                                        key[6], method, block)
    if dec is None:  # the direct engine (compiled loop or numpy.convolve)
        if mode == "same" and n < k:
            return None
        if method == "auto" and workers is None and threads == 1 and max(n, k) < 2**15:
            if len(_strategy.DIRECT_1D) > 4096:
                _strategy.DIRECT_1D.clear()
            _strategy.DIRECT_1D.add((n, k, mode, d1.char, d2.char))
        return np_convolve(in1, in2, mode, threads=threads)
    cls, jkey, args = dec
    job = _job(jkey)
    if job is None:
        job = cls(*args)
    try:
        return job.run(in1, in2)
    finally:
        _give_back(jkey, job)


#: Cached decisions per call signature (cleared with the cost model's caches):
#: None for the direct engine, else ``(job class, job key, constructor arguments)``.
_decisions: dict[tuple, tuple | None] = {}
_MISS = object()
