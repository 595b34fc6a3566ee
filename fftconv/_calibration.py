"""Measured FFT costs for the strategy layer's cost model.

:func:`calibrate` times FFTW plans for a ladder of sizes (per transform kind
and thread count) and stores the result as JSON in the user cache directory,
keyed by machine, FFTW version and thread count. :func:`table` returns the
stored ladder, loading it lazily; a corrupt or foreign file is ignored with a
warning (and replaced at the next calibration).
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
import warnings

import numpy as np

from ._cache import atomic_write, cache_dir, persistence_enabled

FORMAT = 1
_lock = threading.Lock()
#: per thread count: ``{"fft_ns": ladder, "oa_lean_ns": table or None,
#: "direct_scale": {dtype name: factor} or None}``, or None
_tables: dict[int, dict | None] = {}


def machine_key() -> str:
    from . import _plans

    fftw = "fftw-" + (getattr(_plans.pyfftw, "__version__", "none") if _plans.HAVE_PYFFTW
                      else "none")
    return f"{platform.machine()}-{platform.processor() or 'cpu'}-{os.cpu_count()}-{fftw}"


def _path(threads: int):
    return cache_dir() / f"calibration-t{threads}.json"


def _load(threads: int) -> dict | None:
    if not persistence_enabled():
        return None
    path = _path(threads)
    try:
        raw = path.read_bytes()  # bad UTF-8 then fails in json.loads, warned below
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.warn(f"ignoring unreadable calibration file {str(path)!r}: {exc}",
                      RuntimeWarning, stacklevel=4)
        return None
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT or data.get("machine") != machine_key():
            raise ValueError("written by another machine or version")
        table = data["fft_ns"]
        from ._strategy import LADDER, OA_BLOCK_NS_LEAN, SHIPPED_FFT_NS

        for kind in SHIPPED_FFT_NS:
            _check_values(table[kind], len(LADDER), kind)
        oa = data.get("oa_lean_ns")  # optional: files of earlier versions lack it
        if oa is not None:
            for kind in OA_BLOCK_NS_LEAN[1]:
                _check_values(oa[kind], len(OA_BLOCK_NS_LEAN[0]), f"oa_lean_ns {kind}")
            if data.get("oa_lean_float32", "r2c") != _oa_float32_engine():
                # its float32 row timed the other float32 engine (files written before
                # float32 blocks ran on half-length transforms, or by another build):
                # the shipped float32/float64 ratios on this machine's float64 row
                shipped = OA_BLOCK_NS_LEAN[1]
                oa = dict(oa, float32=[c * s / d for c, s, d in zip(
                    oa["float64"], shipped["float32"], shipped["float64"])])
        scale = data.get("direct_scale")  # optional, as oa_lean_ns
        if scale is not None:
            for name in ("float64", "float32", "float64_2d", "float32_2d"):
                if name in scale or "_2d" not in name:  # the 2-D loop's keys came later
                    _check_values([scale[name]], 1, f"direct_scale {name}")
        return {"fft_ns": table, "oa_lean_ns": oa, "direct_scale": scale}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        warnings.warn(f"ignoring corrupt or foreign calibration file {str(path)!r} ({exc}); "
                      "run fftconv.calibrate() to rebuild it", RuntimeWarning, stacklevel=4)
        return None


def _oa_float32_engine() -> str:
    """Which float32 block engine a calibrated ``oa_lean_ns`` row times."""
    from . import _halfblocks

    return "half" if _halfblocks.AVAILABLE else "r2c"


def _check_values(vals, count: int, what: str) -> None:
    if not isinstance(vals, list) or len(vals) != count or not all(
        isinstance(v, (int, float)) and 0 < v < 1e12 for v in vals
    ):
        raise ValueError(f"bad values for {what}")


def table(threads: int = 1) -> dict | None:
    """The calibrated FFT ladder for ``threads`` (nanoseconds), or None."""
    with _lock:
        if threads not in _tables:
            _tables[threads] = _load(threads)
        entry = _tables[threads]
    return None if entry is None else entry["fft_ns"]


def oa_table(threads: int = 1) -> dict | None:
    """The calibrated per-block times of lean overlap-save (``OA_BLOCK_NS_LEAN``), or None."""
    table(threads)  # loads the file once
    entry = _tables.get(threads)
    return None if entry is None else entry["oa_lean_ns"]


def direct_scale(dtype, threads: int = 1, dims: int = 1) -> float | None:
    """This machine's time of the compiled direct loop (1-D or 2-D) over the shipped
    constants' prediction (None when not calibrated)."""
    table(threads)
    entry = _tables.get(threads)
    scale = None if entry is None else entry.get("direct_scale")
    name = np.dtype(dtype).name + ("_2d" if dims == 2 else "")
    return None if scale is None or name not in scale else float(scale[name])


def _measure_direct(reps: int) -> dict[str, float] | None:
    """Measured / shipped-predicted time of the compiled direct loops (1-D: 2**18 samples
    x 31 taps; 2-D: 512x512 x 5x5, 'same')."""
    from . import _directloop
    from ._costs import direct_loop_time, direct_loop_time_2d

    if not _directloop.COMPILED:
        return None
    rng = np.random.default_rng(0)
    out = {}
    for name in ("float64", "float32"):
        x = rng.standard_normal(2**18).astype(name)
        h = rng.standard_normal(31).astype(name)
        _directloop.np_convolve(x, h, "full")
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            _directloop.np_convolve(x, h, "full")
            ts.append(time.perf_counter() - t0)
        predicted = direct_loop_time(x.size + h.size - 1, h.size, np.dtype(name), scale=1.0)
        out[name] = float(min(max(np.median(ts) / predicted, 0.05), 20.0))
        img = rng.standard_normal((512, 512)).astype(name)
        ker = rng.standard_normal((5, 5)).astype(name)
        win = [(2, 514), (2, 514)]
        _directloop.compiled_window_2d(img, ker, win)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            _directloop.compiled_window_2d(img, ker, win)
            ts.append(time.perf_counter() - t0)
        predicted = direct_loop_time_2d(img.shape, ker.shape, win, np.dtype(name), scale=1.0)
        out[name + "_2d"] = float(min(max(np.median(ts) / predicted, 0.05), 20.0))
    return out


#: Block lengths at which calibrate() times lean overlap-save; the shipped
#: table is rescaled by the measured ratios (interpolated log-log) in between.
OA_PROBES = (2**8, 2**11, 2**14, 2**17)


def _measure_oa_lean(reps: int) -> dict[str, list[float]]:
    """Per-block nanoseconds of the lean overlap-save engine on this machine."""
    from . import _fast1d
    from ._strategy import CONSTANTS, OA_BLOCK_NS_LEAN

    sizes, shipped = OA_BLOCK_NS_LEAN
    rng = np.random.default_rng(0)
    out = {}
    for name in shipped:
        logs = []
        for L in OA_PROBES:
            k = L // 16 + 1
            step = (L - k + 1) // 8 * 8
            nblk = max(8, 2**16 // L)  # the call's fixed cost spread thin
            x = rng.standard_normal(nblk * step - k + 1).astype(name)
            h = rng.standard_normal(k).astype(name)
            _fast1d.convolve(x, h, "full", "oa", block=L)  # plans, buffers
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                _fast1d.convolve(x, h, "full", "oa", block=L)
                ts.append(time.perf_counter() - t0)
            fixed = CONSTANTS["lean_oa_overhead"] * 1e-9
            per_block = max(float(np.median(ts)) - fixed, 0.5 * float(np.median(ts))) \
                / nblk * 1e9
            logs.append(np.log(per_block / shipped[name][sizes.index(L)]))
        ratio = np.exp(np.interp(np.log2(sizes), np.log2(OA_PROBES), logs))
        out[name] = [float(v) for v in np.asarray(shipped[name]) * ratio]
    _fast1d.forget()
    return out


def calibrate(*, workers: int | None = None, save: bool = True, budget: float = 0.5) -> dict:
    """Measure this machine's FFT speed for the cost model and remember it.

    Times one pre-planned FFTW transform per ladder size (16 to 4M points) for
    real/complex, single/double precision, within about ``budget`` seconds,
    (for one thread) the lean overlap-save engine at four block lengths,
    which rescale its shipped per-block table, and the compiled direct loops
    (1-D and 2-D), which rescale their per-tap constants; stores the result in the user
    cache directory (unless ``save=False`` or ``FFTCONV_PERSIST=0``).
    ``method='auto'`` uses it from then on, in this and later processes.

    Parameters
    ----------
    workers : int, optional
        Thread count to calibrate (default: the current default, see
        :func:`fftconv.set_workers`).
    save : bool
        Write the result to the cache directory.
    budget : float
        Approximate seconds to spend.

    Returns
    -------
    dict
        ``{kind: [nanoseconds per transform for each ladder size]}``.

    Examples
    --------
    >>> import fftconv
    >>> table = fftconv.calibrate(save=False, budget=0.2)
    >>> sorted(table)
    ['cfft32', 'cfft64', 'rfft32', 'rfft64']
    """
    from . import _plans
    from ._config import resolve_workers
    from ._strategy import LADDER, SHIPPED_FFT_NS

    threads = resolve_workers(workers)
    kinds = {"rfft64": np.float64, "rfft32": np.float32,
             "cfft64": np.complex128, "cfft32": np.complex64}
    per_kind = budget / len(kinds)
    result: dict[str, list[float]] = {}
    for kind, dtype in kinds.items():
        shipped = SHIPPED_FFT_NS[kind]
        total_shipped = sum(shipped) * 1e-9
        vals: list[float] = []
        for n, ship in zip(LADDER, shipped):
            if n > 2**20 and vals:
                # the top rung (4M points, ~0.1 s a kind) is scaled from the one
                # below it by the shipped ratio: it keeps calibrate() under a second
                vals.append(vals[-1] * ship / shipped[LADDER.index(n) - 1])
                continue
            # Enough repetitions for ~per_kind seconds over the whole ladder, at least 1.
            reps = max(1, min(50, int(per_kind / max(total_shipped, 1e-9) / 3)))
            fwd = "fft" if kind.startswith("c") else "rfft"
            with _plans.acquire(fwd, (n,), dtype, (0,), threads=threads) as p:
                p.input_array[...] = 1
                p.execute()
                ts = []
                inner = max(1, 2**14 // n)  # small transforms: time a run of them
                for _ in range(reps):
                    t0 = time.perf_counter()
                    for _ in range(inner):
                        p.execute()
                    ts.append((time.perf_counter() - t0) / inner)
            # Large buffers stay cached otherwise; calibration should not pin memory.
            vals.append(float(np.median(ts)) * 1e9 if ts else float(ship))
        _plans.clear_cache()
        result[kind] = vals
    with _lock:  # in use from here on (the probes below plan with it, not with a file)
        _tables[threads] = {"fft_ns": result, "oa_lean_ns": None, "direct_scale": None}
    oa = _measure_oa_lean(reps=3) if threads == 1 and _plans.fftw_available() else None
    direct = _measure_direct(reps=7)
    with _lock:
        _tables[threads] = {"fft_ns": result, "oa_lean_ns": oa, "direct_scale": direct}
    from . import _strategy

    _strategy._reset()
    if save and persistence_enabled():
        payload = {"format": FORMAT, "machine": machine_key(), "threads": threads,
                   "date": time.strftime("%Y-%m-%d"), "ladder": LADDER, "fft_ns": result}
        if oa is not None:
            payload["oa_lean_ns"] = oa
            payload["oa_lean_float32"] = _oa_float32_engine()
        if direct is not None:
            payload["direct_scale"] = direct
        atomic_write(_path(threads), json.dumps(payload, indent=1).encode())
    return result


def forget() -> None:
    """Drop loaded calibration tables (files are kept); used by tests."""
    with _lock:
        _tables.clear()
    from . import _strategy

    _strategy._reset()
