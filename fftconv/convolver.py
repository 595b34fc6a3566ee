"""Reusable convolution with a fixed kernel: plan once, filter many signals.

A :class:`Convolver` is built for one kernel and one signal shape. At
construction it picks the engine, makes its own FFTW plans (not shared with
the process-wide pool) and computes the kernel's spectrum, already scaled by
``1/n`` so the inverse transform needs no extra pass. Each call then only
copies the signal in, runs the forward transform(s), multiplies in place and
runs the inverse transform(s): no planning and no kernel transform per call.
The engine choice (a per-call cost model) and the kernel's spectrum are
computed by the private ``fftconv._convolver_plan``.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections import OrderedDict

import numpy as np

from . import _direct, _directloop, _fast1d, _nonfinite, _overlap, _parallel, _strategy, wisdom
from ._config import resolve_workers
from ._convolver_plan import BLOCK_MULTIPLE as BLOCK_MULTIPLE  # still importable from here
from ._convolver_plan import _choose, _fast_len, _spectrum, lean_blocks
from ._costs import oa_split_work
from ._dispatch import _finish, _swap_needed, _windows, _work_dtype
from ._exact_int import _int_fft_safe
from ._plans import _new_plan, copy_padded
from ._validate import (
    as_array,
    check_axes,
    check_dtype,
    check_method,
    check_mode,
    check_planner,
    check_positive_int,
    check_shape_size,
)

__all__ = ["Convolver"]

#: Largest buffer (bytes) of one batched FFT; larger batches run in chunks.
CHUNK_BYTES = 32 * 2**20
#: Batch sizes whose plans one Convolver keeps (least recently used dropped first).
MAX_BATCH_PLANS = 4


class Convolver:
    """Convolve many signals of one shape with one kernel, planning once.

    Parameters
    ----------
    kernel : array_like
        The fixed operand (``in2`` of :func:`fftconv.convolve`), with one
        dimension per signal dimension.
    shape_or_length : int or tuple of int
        Shape of one signal (an int for 1-D signals).
    mode : {'full', 'valid', 'same'}, optional
        See :func:`fftconv.convolve` (the signal plays ``in1``).
    axes : int or sequence of int, optional
        Convolved axes of the signal (default: all). On the other axes the
        kernel's size must be 1 or the signal's, as in :func:`fftconv.fftconvolve`.
    dtype : dtype, optional
        Dtype of the signals the plans are made for (default: the kernel's
        dtype if it is floating or complex, else float64). Calls accept any
        signal whose computation fits this precision (integers, bools and
        narrower floats are fine; a complex signal needs a complex plan).
    method : {'auto', 'direct', 'fft', 'oa'}, optional
        Engine; ``'auto'`` takes the one the cost model predicts fastest,
        knowing that the kernel's spectrum is already computed.
    workers : int, optional
        Threads, fixed when the plans are made (default: see
        :func:`fftconv.set_workers`): the direct engine splits its output over
        them, and so does 1-D overlap-save with short blocks (batched, as in
        :func:`fftconv.convolve`); the ``'fft'`` engine's transforms use FFTW's
        threads from 2**20 points on; other overlap-save (one block per
        transform) runs on one: split, it measured slower.
    planner : {'estimate', 'measure', 'patient', 'exhaustive'}, optional
        FFTW planner effort. ``'measure'`` and above take longer to build but
        may run faster; their plans are saved in the wisdom file
        (:mod:`fftconv.wisdom`) so a later process plans at once.
    planning_timelimit : float, optional
        Upper bound in seconds on FFTW's planning time per plan.
    correlate : bool, optional
        Cross-correlate instead (as :func:`fftconv.correlate`): the kernel is
        reversed on the convolved axes and conjugated once, here.

    Attributes
    ----------
    shape, out_shape : tuple of int
        Shape of one signal and of its result.
    method : str
        The engine in use; ``plan`` (a :class:`fftconv.ConvPlan`) says why.

    Raises
    ------
    ValueError, TypeError
        A bad argument (one message per argument, naming it).

    See Also
    --------
    fftconv.convolve : one-shot convolution, same dtype rules.
    fftconv.wisdom : persistent FFTW plans.

    Notes
    -----
    Calls are thread-safe: each Convolver holds one lock around its buffers,
    so concurrent calls on *one* object run one at a time (use one Convolver
    per thread, or ``workers=``, for parallel speed). Inputs may have extra
    leading axes, ``(..., *shape)``: the FFT engine transforms them in
    batches (plans kept for the last :data:`MAX_BATCH_PLANS` batch sizes,
    buffers capped near :data:`CHUNK_BYTES`); the others loop. Integer inputs
    give exact integer results: when the rounding-error bound of the FFT
    exceeds 0.5 for a given signal, that call uses the direct engine. A
    pickled Convolver keeps its kernel and parameters and re-plans on load.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> rng = np.random.default_rng(0)
    >>> h = rng.standard_normal(101)
    >>> cv = fftconv.Convolver(h, 10_000, mode="same")
    >>> x = rng.standard_normal((3, 10_000))          # a batch of 3 signals
    >>> y = cv.conv(x)
    >>> y.shape
    (3, 10000)
    >>> bool(np.allclose(y[1], fftconv.convolve(x[1], h, mode="same")))
    True
    >>> out = np.empty_like(y)
    >>> _ = cv.conv(x, out=out)                        # no allocation
    """

    def __init__(self, kernel, shape_or_length, *, mode: str = "full", axes=None, dtype=None,
                 method: str = "auto", workers: int | None = None, planner: str = "estimate",
                 planning_timelimit: float | None = None, correlate: bool = False) -> None:
        k = as_array(kernel, "kernel")
        if k.dtype.kind in "fc" and not np.isfinite(k).all():
            raise ValueError("kernel has NaN or inf values: a Convolver precomputes the "
                             "kernel's spectrum, where one non-finite tap would spread to "
                             "every output; use fftconv.convolve for such kernels")
        self._args = {"kernel": k, "shape_or_length": shape_or_length, "mode": mode,
                      "axes": axes, "dtype": dtype, "method": method, "workers": workers,
                      "planner": planner, "planning_timelimit": planning_timelimit,
                      "correlate": correlate}
        self.shape = self._check_shape(shape_or_length)
        nd = len(self.shape)
        if k.ndim != nd:
            raise ValueError(f"kernel has {k.ndim} dimension(s) but shape_or_length="
                             f"{shape_or_length!r} has {nd}: give one size per kernel axis")
        if k.size == 0:
            raise ValueError(f"kernel cannot be empty (got shape {k.shape})")
        self.mode = check_mode(mode)
        self.method = check_method(method, tuple(_strategy.METHODS))
        ax = check_axes(axes, nd)
        self.axes = list(range(nd)) if ax is None else sorted(ax)
        for a in range(nd):
            if a not in self.axes and k.shape[a] not in (1, self.shape[a]):
                raise ValueError(f"kernel shape {k.shape} does not fit signals of shape "
                                 f"{self.shape} with axes={axes!r}: on axis {a} (not "
                                 "convolved) the kernel's size must be 1 or the signal's")
        if not isinstance(correlate, bool):
            raise TypeError(f"correlate must be True or False, got correlate={correlate!r}")
        self.correlate = correlate
        if correlate:
            k = k[tuple(slice(None, None, -1) if a in self.axes else slice(None)
                        for a in range(nd))]
            k = np.conj(k) if k.dtype.kind == "c" else k
        self.kernel = np.ascontiguousarray(k)
        self.dtype = self._check_dtype(dtype, k)
        self.workers = self._args["workers"] = resolve_workers(workers)
        self.planner = self._args["planner"] = check_planner(planner)
        self.planning_timelimit = self._check_timelimit(planning_timelimit)
        if _swap_needed(self.mode, self.shape, k.shape, self.axes):
            self.windows = _windows(self.mode, k.shape, self.shape, self.axes, nd)
        else:
            self.windows = _windows(self.mode, self.shape, k.shape, self.axes, nd)
        self.out_shape = tuple(e - s for s, e in self.windows)
        rdt = np.result_type(k.dtype, self.dtype)
        long_double = rdt.kind in "fc" and np.finfo(rdt).eps < np.finfo(np.float64).eps
        self.fft_ok = rdt.kind != "O" and not long_double
        self.work = _work_dtype(rdt) if self.fft_ok else None
        if not self.fft_ok and self.method in ("fft", "oa"):
            raise ValueError(f"method={method!r} needs an FFT, but {rdt} inputs are only "
                             "computed exactly by method='direct'")
        self._lock = threading.Lock()
        self.plan = _choose(self.shape, self.kernel, self.windows, self.axes, dtype=self.dtype,
                            work=self.work, fft_ok=self.fft_ok, workers=self.workers,
                            method=self.method, mode=self.mode,
                            timelimit=self.planning_timelimit)
        self.method = self.plan.method
        self._setup()

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _check_shape(value) -> tuple[int, ...]:
        if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
            value = (check_positive_int(value, "shape_or_length"),)
        try:
            items = tuple(value)
        except TypeError:
            raise TypeError("shape_or_length must be an int or a tuple of ints, got "
                            f"shape_or_length={value!r}") from None
        if not items:
            raise ValueError("shape_or_length must have at least one dimension, got "
                             f"shape_or_length={value!r}")
        for v in items:
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
                raise TypeError(f"shape_or_length must hold integers, got "
                                f"shape_or_length={value!r}")
            if v < 1:
                raise ValueError(f"shape_or_length must hold sizes >= 1, got "
                                 f"shape_or_length={value!r}")
        check_shape_size(items, 16, "shape_or_length")  # ValueError beyond intp
        return tuple(int(v) for v in items)

    @staticmethod
    def _check_dtype(dtype, k: np.ndarray) -> np.dtype:
        if dtype is None:
            return k.dtype if k.dtype.kind in "fc" else np.dtype(np.float64)
        return check_dtype(dtype)

    @staticmethod
    def _check_timelimit(value) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"planning_timelimit must be a number of seconds or None, got "
                            f"planning_timelimit={value!r}")
        if not value > 0:
            raise ValueError(f"planning_timelimit must be > 0 seconds, got "
                             f"planning_timelimit={value!r}")
        return float(value)

    # ------------------------------------------------------------------ planning

    def _new(self, kind: str, shape, axes):
        with wisdom.lock:
            return _new_plan(kind, shape, self.work, list(axes), self.workers, self.planner,
                             self.planning_timelimit)

    def _setup(self) -> None:
        self._batch_plans: OrderedDict[int, tuple] = OrderedDict()
        if self.method == "direct":
            return
        real = self.work.kind != "c"
        self._kinds = ("rfft", "irfft") if real else ("fft", "ifft")
        if self.method == "fft":
            sizes = dict(zip(self.axes, self.plan.params["fshape"]))
        else:
            self._axis, self._block = self.plan.params["axis"], self.plan.params["block"]
            sizes = {a: _fast_len(self.shape[a] + self.kernel.shape[a] - 1, real=real)
                     for a in self.axes}
            sizes[self._axis] = self._block
        self._fshape = tuple(sizes.get(a, n) for a, n in enumerate(self.shape))
        self._oa_job = None
        if self.method == "oa":
            # 1-D with short blocks: the lean engine's job, whose batches of blocks
            # save the Python around each transform (200000 x 301, 16 signals, L=1024:
            # 18.6 against 37.2 ms); long blocks (one per batch) stay on the aligned
            # plans below, 5 % faster there (1e6 x 3001, L=19200: 6.8 against 7.2 ms)
            if lean_blocks(self.shape, self.work, self._block,
                           timelimit=self.planning_timelimit):
                k, window = self.kernel.shape[0], self.windows[0]
                parts = _parallel.parts(self.workers, *oa_split_work(
                    k, self._block, window[1] - window[0], self.work, lean=True))
                self._oa_job = _fast1d._OAJob(self.shape[0], k, self._block, window,
                                              self.work, parts, self.planner)
                self._oa_job.set_kernel(self.kernel)  # once: every call reuses it
            else:  # one block per transform, N-D or long blocks (see _run_oa)
                self._oa_plans = (self._new(self._kinds[0], self._fshape, self.axes),
                                  self._new(self._kinds[1], self._fshape, self.axes))
        else:
            self._plans_for(1)
        self._H = _spectrum(self.kernel, self.axes, sizes, work=self.work, workers=self.workers)
        if self.planner != "estimate":
            wisdom._autosave()

    def _plans_for(self, nb: int) -> tuple:
        plans = self._batch_plans.get(nb)
        if plans is None:
            shape = (nb, *self._fshape)
            axes = [a + 1 for a in self.axes]
            plans = (self._new(self._kinds[0], shape, axes), self._new(self._kinds[1], shape, axes))
            self._batch_plans[nb] = plans
            while len(self._batch_plans) > MAX_BATCH_PLANS:
                self._batch_plans.popitem(last=False)
        self._batch_plans.move_to_end(nb)
        return plans

    # ------------------------------------------------------------------ calls

    def conv(self, x, *, out: np.ndarray | None = None) -> np.ndarray:
        """Convolve ``x`` (shape ``(..., *shape)``) with the kernel.

        Parameters
        ----------
        x : array_like
            One signal of the planned shape, or a batch with extra leading axes.
        out : ndarray, optional
            Where to write the result: shape ``x.shape[:-ndim] + out_shape``
            and the result dtype (keyword-only).

        Returns
        -------
        ndarray
            The result, of dtype ``numpy.result_type(kernel, x)`` (integers
            exact), a fresh array or `out`.

        Raises
        ------
        ValueError
            `x` whose trailing shape is not the planned one; a bad `out`.
        TypeError
            `x` that needs more precision than planned (e.g. complex signals
            on a real plan).
        """
        if type(x).__module__.split(".")[0] == "dask":
            return self._conv_dask(x, out)
        x = as_array(x, "x")
        nd = len(self.shape)
        if x.ndim < nd or x.shape[x.ndim - nd:] != self.shape:
            raise ValueError(f"x has shape {x.shape}, but this Convolver was planned for "
                             f"signals of shape {self.shape} (or batches (..., "
                             f"{', '.join(map(str, self.shape))}))")
        lead = x.shape[:x.ndim - nd]
        res_dtype = np.result_type(self.kernel, x)
        full_shape = lead + self.out_shape
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
            if out.shape != full_shape or out.dtype != res_dtype:
                raise ValueError(f"out must have shape {full_shape} and dtype {res_dtype}, "
                                 f"got shape {out.shape} and dtype {out.dtype}")
        xb = x.reshape((-1, *self.shape))
        if self._exact_path(x, res_dtype):
            y = self._run_direct(xb, res_dtype).reshape(full_shape)
        else:
            need = _work_dtype(np.result_type(self.kernel.dtype, x.dtype))
            if not np.can_cast(need, self.work, "safe"):
                raise TypeError(f"x of dtype {x.dtype} needs {need} transforms, but this "
                                f"Convolver was planned for {self.work} (dtype={self.dtype}); "
                                f"build one with dtype={x.dtype.name!r}")
            # NaN/inf stay local, as in fftconv.convolve (see fftconv._nonfinite)
            xf, bad = _nonfinite.split(xb)
            # out= may be x itself: overlap-save reads input after writing output
            direct_out = (out is not None and out.dtype == self.work
                          and out.flags.c_contiguous and bad is None
                          and not np.shares_memory(out, x))
            dest = (out.reshape((-1, *self.out_shape)) if direct_out
                    else np.empty((xb.shape[0], *self.out_shape), self.work))
            with self._lock:
                (self._run_fft if self.method == "fft" else self._run_oa)(xf, dest)
            for b in range(dest.shape[0]):
                if not _nonfinite.all_finite(dest[b]):
                    dest[b] = _nonfinite.rerun_overflowed(xf[b], self.kernel, self.axes,
                                                          self.windows, self.work)
            if bad is not None:
                for b in range(xb.shape[0]):
                    if bad[b].any():
                        _nonfinite.add_nonfinite(dest[b], self.windows, xb[b], self.kernel,
                                                 bad[b], None, conv_axes=self.axes)
            if direct_out:
                return out
            y = dest.reshape(full_shape)
            if y.dtype.kind == "c" and res_dtype.kind != "c":
                y = y.real
            y = _finish(y, res_dtype)
        if out is None:
            return y
        out[...] = y
        return out

    __call__ = conv

    def _conv_dask(self, x, out):
        """A dask array in, a lazy dask array out (see :mod:`fftconv.dask`).

        The plans of this object serve numpy inputs only: each dask block is
        convolved by :mod:`fftconv.dask` with the same kernel, mode and axes.
        """
        from . import dask as fdask

        if out is not None:
            raise TypeError("out= is not supported for dask arrays: the result is lazy")
        nd = len(self.shape)
        if x.ndim < nd or tuple(x.shape[x.ndim - nd:]) != self.shape:
            raise ValueError(f"x has shape {x.shape}, but this Convolver was planned for "
                             f"signals of shape {self.shape}")
        lead = x.ndim - nd
        if lead == 0 and self.axes == list(range(nd)):
            return fdask.convolve(x, self.kernel, mode=self.mode, method=self.method)
        k = self.kernel.reshape((1,) * lead + self.kernel.shape)
        y = fdask.fftconvolve(x, k, mode=self.mode, axes=[lead + a for a in self.axes])
        res = np.result_type(self.kernel, x.dtype)
        if res.kind in "biu":
            y = y.round()
        return y.astype(res)

    def _exact_path(self, x: np.ndarray, res_dtype: np.dtype) -> bool:
        if self.method == "direct" or res_dtype.kind == "O":
            return True
        if res_dtype.kind in "biu":
            nfft = math.prod(self.shape[a] + self.kernel.shape[a] - 1 for a in self.axes)
            return not _int_fft_safe(x, self.kernel, nfft)
        return False

    def _run_direct(self, xb: np.ndarray, res_dtype: np.dtype) -> np.ndarray:
        nd = len(self.shape)
        eq = [a for a in range(nd) if a not in self.axes and self.kernel.shape[a] > 1]
        wins = [(0, 1) if a in eq else w for a, w in enumerate(self.windows)]

        def run(xs, ks):
            # NaN/inf: the plain sum of the existing products (some direct paths,
            # scipy.ndimage with the signal as weights, would drop them)
            if (res_dtype.kind in "fc" and not _directloop.plain_sum(xs, ks, wins)
                    and not np.isfinite(xs).all()):
                return _direct.faithful_window(xs, ks, wins)
            return _direct.convolve_window(xs, ks, wins, threads=self.workers)

        if xb.shape[0] == 1 and not eq:  # one signal: no copy into a batch array
            y = run(xb[0], self.kernel)
            if y.dtype == res_dtype:
                return y[None]
        res = np.empty((xb.shape[0], *self.out_shape), res_dtype)
        for b in range(xb.shape[0]):
            for idx in np.ndindex(*[self.shape[a] for a in eq]):
                sl = [slice(None)] * nd
                for a, i in zip(eq, idx):
                    sl[a] = slice(i, i + 1)
                sl = tuple(sl)
                res[b][sl] = run(xb[b][sl], self.kernel[sl])
        return res

    def _run_fft(self, xb: np.ndarray, dest: np.ndarray) -> None:
        B = xb.shape[0]
        per = math.prod(self._fshape) * self.work.itemsize * 2
        chunk = max(1, min(B, CHUNK_BYTES // per))
        crop = (slice(None), *(slice(s, e) for s, e in self.windows))
        for b0 in range(0, B, chunk):
            b1 = min(B, b0 + chunk)
            pf, pi = self._plans_for(b1 - b0)
            copy_padded(pf.input_array, xb[b0:b1])
            pf.execute()
            with np.errstate(over="ignore", invalid="ignore"):  # overflow: see conv
                np.multiply(pf.output_array, self._H, out=pi.input_array)
            pi.execute()
            dest[b0:b1] = pi.output_array[crop]

    def _run_oa(self, xb: np.ndarray, dest: np.ndarray) -> None:
        axis, L = self._axis, self._block
        k = self.kernel.shape[axis]
        if self._oa_job is None:
            # one block per transform, on this thread (split over two, the Python
            # between transforms of a few thousand points held the GIL: measured slower)
            _overlap.serial_blocks(xb, dest, self._oa_plans, self._H, axis=axis, block=L,
                                   k=k, windows=self.windows)
            return
        # 1-D: the lean engine's job (batched blocks read in place, split over
        # threads), with the kernel spectrum computed when planned
        job = self._oa_job
        for b in range(xb.shape[0]):
            if job.run(xb[b], None, out=dest[b]) is not None:
                continue

            def run(a1, a2):  # the job on other inputs (overflow_safe's scaled rerun)
                out = np.empty(dest.shape[1:], self.work)
                job.run(a1, a2, out=out)
                return out

            # a spectrum or a block overflowed: rerun on scaled inputs, or the
            # direct sum, as fftconv.convolve does (fftconv._nonfinite)
            try:
                dest[b] = _nonfinite.overflow_safe(
                    run, xb[b], self.kernel,
                    exact=lambda a1, a2: _direct.faithful_window(a1, a2, self.windows))
            finally:
                job.set_kernel(self.kernel)  # the reruns transformed other kernels

    # ------------------------------------------------------------------ protocol

    def __repr__(self) -> str:
        detail = ""
        if self.method == "oa":
            blocks = math.ceil(self.out_shape[self._axis] / (self._block
                                                            - self.kernel.shape[self._axis] + 1))
            detail = f" (block {self._block} along axis {self._axis}, {blocks} blocks)"
        elif self.method == "fft":
            detail = f" (FFT shape {self._fshape})"
        corr = ", correlate=True" if self.correlate else ""
        head = (f"Convolver(kernel {self.kernel.shape} {self.kernel.dtype} * signal "
                f"{self.shape} {self.dtype}, mode={self.mode!r}{corr}) -> {self.out_shape}: "
                f"{self.method!r}{detail}, workers={self.workers}, planner={self.planner!r}")
        return "\n".join([head, *repr(self.plan).splitlines()[1:]])

    def __getstate__(self) -> dict:
        return dict(self._args)

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)
