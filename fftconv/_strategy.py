"""Strategy layer: the engine registry and the choice of engine.

Every engine in :data:`METHODS` gets a predicted run time for a given problem
from the cost model (:mod:`fftconv._costs`: measured data with provenance,
and the 1-D formulas; :mod:`fftconv._costs_nd`: the N-D formulas);
``method='auto'`` takes the cheapest, keeping the simpler engine unless
another is predicted faster by a real margin (:data:`MARGIN`), and never one
that does not fit in memory when another would.

:func:`plan` returns a :class:`ConvPlan` that explains the choice.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._costs import (  # noqa: F401  (re-exported: the model's public face)
    CONSTANTS,
    LADDER,
    LEAN_MAX_SAMPLES,
    NON_POW2_LARGE,
    OA_BLOCK_NS,
    OA_BLOCK_NS_LEAN,
    OA_MAX_BLOCK,
    SHIPPED_FFT_NS,
    _elem_ns,
    _fft_kind,
    _fft_time_cached,
    _log_table,
    _ns,
    _oa_block_size,
    _oa_block_time,
    direct_time,
    fast_len16,
    fft_time,
    fft_time_1d,
    good_size,
    lean_fft_len,
    oa_block_size,
    oa_cost,
)
from ._costs_nd import (  # noqa: F401  (re-exported, as above)
    _fft_time_nd,
    _joint_sizes,
    fft_sizes,
    fft_time_total,
    strip_plan,
    tile_plan,
)
from ._parallel import cores as _cores

#: An engine is preferred over the default order only if predicted faster by this factor.
MARGIN = 1.10

#: Engines by name. Values are the module implementing ``convolve_window``.
METHODS: dict[str, str] = {"direct": "_direct", "fft": "_fft", "oa": "_overlap"}


#: Small 1-D problems the model gives to the direct engine, by
#: ``(n, k, mode, dtype char, dtype char)``: repeated calls skip every other
#: step (filled by :mod:`fftconv._fast1d` from one-thread decisions, for
#: shapes under 2**15 samples: transforms that small always run on one thread).
DIRECT_1D: set[tuple] = set()
#: The same for small 2-D float and complex problems on the compiled loop, by
#: ``(shape1, shape2, mode, dtype char, dtype char)``, mapping to the window
#: (filled by :mod:`fftconv._dispatch` from one-thread decisions whose loop is
#: too short to split, where the rank-1 shortcut could never win).
DIRECT_2D: dict[tuple, list] = {}


def _reset() -> None:
    """Forget cached predictions (after a calibration)."""
    from . import _dispatch, _fast1d

    _fast1d._decisions.clear()
    _dispatch._SMALL_ND.clear()
    DIRECT_1D.clear()
    DIRECT_2D.clear()
    fastnd = sys.modules.get("fftconv._fastnd")
    if fastnd is not None:
        fastnd.forget()
    _log_table.cache_clear()
    _fft_time_cached.cache_clear()
    _choose_cached.cache_clear()
    _oa_block_size.cache_clear()
    _joint_sizes.cache_clear()
    _oa_block_time.cache_clear()


#: Problems whose largest engine needs less than this are never memory-checked
#: (reading the available memory costs more than small convolutions).
MEMORY_CHECK_BYTES = 64 * 2**20


def available_memory() -> int | None:
    """Bytes of memory available to this process now (Linux ``MemAvailable``), or None.

    ``FFTCONV_MEMORY_LIMIT`` (bytes) overrides it, e.g. to stay within a job's share.
    """
    env = os.environ.get("FFTCONV_MEMORY_LIMIT")
    if env:
        try:
            return int(float(env))
        except ValueError:
            pass
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_bytes(method: str, params: dict, shape1, shape2, axes, windows, dtype) -> int:
    """Estimated peak bytes an engine allocates (output included, inputs excluded)."""
    dtype = np.dtype(dtype)
    item = dtype.itemsize
    out = math.prod(e - s for s, e in windows) * item
    if method == "direct":
        padded = math.prod(e - s + min(a, b) - 1 for (s, e), a, b in zip(windows, shape1, shape2))
        return out + (padded * item if len(shape1) > 1 else 0)
    sizes = dict(zip(axes, params.get("fshape", []))) if method == "fft" else {}

    def total(shape):
        return math.prod(sizes.get(a, n) for a, n in enumerate(shape))

    if method == "fft":
        if not sizes:
            sizes = dict(zip(axes, fft_sizes(shape1, shape2, axes, real=dtype.kind != "c",
                                              dtype=dtype)))
        b = math.prod(max(sizes.get(a, m), sizes.get(a, n))
                      for a, (m, n) in enumerate(zip(shape1, shape2)))
        # each plan holds a real (or complex) array and its spectrum: ~2x its size
        return out + 2 * item * (total(shape1) + total(shape2) + b)
    # overlap-save: the output, the kernel spectrum and a few blocks
    if "tiles" in params:
        block = math.prod(params["tiles"].values())
    elif "strips" in params:  # a strip's buffers (image rows, two spectra, output rows)
        block = params["strips"][0] * params["strips"][1] * 3
    else:
        axis = params.get("axis", max(axes, key=lambda a: windows[a][1] - windows[a][0]))
        k = min(shape1[axis], shape2[axis])
        L = params.get("block") or oa_block_size(k, windows[axis][1] - windows[axis][0],
                                                 dtype=dtype)
        block = L * math.prod(max(m, n) for a, (m, n) in enumerate(zip(shape1, shape2))
                              if a != axis)
    return out + 2 * item * 4 * block + 8 * item * 2**14


def check_output_memory(shape1, shape2, windows, dtype) -> None:
    """MemoryError (before any allocation) when the output alone cannot fit."""
    n = math.prod(e - s for s, e in windows)
    out_bytes = n * np.dtype(dtype).itemsize
    if out_bytes < MEMORY_CHECK_BYTES:
        return
    avail = available_memory()
    if avail is not None and out_bytes > avail:
        raise MemoryError(
            f"the output of convolving shapes {tuple(shape1)} and {tuple(shape2)} has "
            f"{n} elements ({out_bytes / 2**20:.0f} MiB of {np.dtype(dtype)}), more than "
            f"the {avail / 2**20:.0f} MiB available")


def fit_memory(plan: ConvPlan, shape1, shape2, axes, windows, dtype) -> ConvPlan:
    """Return ``plan``, or the fastest engine that fits in memory; MemoryError if none does.

    Checked only for problems large enough to matter (:data:`MEMORY_CHECK_BYTES`).
    """
    full = math.prod(a + b - 1 for a, b in zip(shape1, shape2))
    if 16 * full * np.dtype(dtype).itemsize < MEMORY_CHECK_BYTES:  # cheap bound first
        return plan
    need = {m: memory_bytes(m, plan.candidates.get(m, {}), shape1, shape2,
                            axes, windows, dtype) for m in plan.predicted}
    if max(need.values()) < MEMORY_CHECK_BYTES:
        return plan
    avail = available_memory()
    if avail is None or need[plan.method] <= avail:
        return plan
    check_output_memory(shape1, shape2, windows, dtype)
    fits = [m for m in plan.predicted if need[m] <= avail and math.isfinite(plan.predicted[m])]
    if not fits:
        raise MemoryError(
            f"no engine fits in the {avail / 2**20:.0f} MiB available for shapes "
            f"{tuple(shape1)} and {tuple(shape2)}: needs "
            + ", ".join(f"{m} {need[m] / 2**20:.0f} MiB" for m in need))
    best = min(fits, key=lambda m: plan.predicted[m])
    params = {} if best != "oa" else {
        "axis": max(axes, key=lambda a: windows[a][1] - windows[a][0])}
    return ConvPlan(method=best, params=params, predicted=dict(plan.predicted),
                    reason=(f"{plan.method!r} would need {need[plan.method] / 2**20:.0f} MiB, "
                            f"more than the {avail / 2**20:.0f} MiB available; {best!r} "
                            f"needs {need[best] / 2**20:.0f} MiB"),
                    shape1=plan.shape1, shape2=plan.shape2, dtype=plan.dtype, mode=plan.mode)


@dataclass
class ConvPlan:
    """What ``method='auto'`` would do for a convolution, and why.

    Attributes
    ----------
    method : str
        The chosen engine: ``'direct'``, ``'fft'`` or ``'oa'``.
    params : dict
        Engine parameters (``fshape`` for fft; ``axis`` and ``block``,
        ``tiles`` or ``strips`` for oa).
    candidates : dict
        The parameters of every candidate engine (``params`` is one of them).
    predicted : dict
        Predicted seconds for every candidate engine.
    reason : str
        One sentence saying why.
    """

    method: str
    params: dict = field(default_factory=dict)
    predicted: dict = field(default_factory=dict)
    reason: str = ""
    candidates: dict = field(default_factory=dict, repr=False)
    shape1: tuple = ()
    shape2: tuple = ()
    dtype: str = "float64"
    mode: str = "full"

    def __repr__(self) -> str:
        lines = [f"ConvPlan: {self.shape1} * {self.shape2}, dtype={self.dtype}, "
                 f"mode={self.mode!r} -> {self.method!r} {self.params}"]
        lines.append(f"  {'engine':<8}{'predicted':>14}")
        for name, t in sorted(self.predicted.items(), key=lambda kv: kv[1]):
            mark = " <-" if name == self.method else ""
            ts = "n/a" if math.isinf(t) else f"{t * 1e3:.3f} ms"
            lines.append(f"  {name:<8}{ts:>14}{mark}")
        lines.append(f"  why: {self.reason}")
        return "\n".join(lines)


def explain(best: str, pred: dict[str, float], per_call: str = "") -> str:
    """One sentence on why ``best`` was chosen among the predicted times ``pred``.

    ``per_call`` (e.g. ``" per call"``) qualifies the comparison.
    """
    others = {m: t for m, t in pred.items() if m != best}
    if not others:
        return f"{best!r} is the only engine for this input"
    runner = min(others, key=others.get)
    ratio = others[runner] / pred[best] if pred[best] > 0 else math.inf
    if ratio < 1:
        return (f"{runner!r} is predicted only {1 / ratio:.2f}x faster{per_call}, within the "
                f"{MARGIN:.2f}x margin: {best!r} is kept as the simpler engine")
    return f"{best!r} is predicted {ratio:.1f}x faster{per_call} than the next best, {runner!r}"


def choose(
    shape1: Sequence[int],
    shape2: Sequence[int],
    axes: Sequence[int],
    windows: Sequence[tuple[int, int]],
    *,
    dtype,
    fft_ok: bool = True,
    direct_ok: bool = True,
    threads: int = 1,
    why_fft_not_ok: str = "",
) -> ConvPlan:
    """Weigh every engine for a problem and return the plan.

    ``windows`` is the output range per axis (full-convolution coordinates);
    ``axes`` the convolved axes. Decisions are cached per problem signature.
    """
    p = _choose_cached(tuple(shape1), tuple(shape2), tuple(axes), tuple(map(tuple, windows)),
                       np.dtype(dtype), fft_ok, direct_ok, int(threads), why_fft_not_ok)
    # memory depends on the moment, not the shapes: checked outside the cache
    return fit_memory(p, shape1, shape2, axes, windows, dtype)


@functools.lru_cache(maxsize=1024)
def _choose_cached(shape1, shape2, axes, windows, dtype, fft_ok, direct_ok, threads,
                   why_fft_not_ok) -> ConvPlan:
    """:func:`choose` without the memory check, on hashable arguments (cached)."""
    pred: dict[str, float] = {}
    params: dict[str, dict] = {}
    if direct_ok:
        pred["direct"] = direct_time(shape1, shape2, windows, dtype, threads)
    lean = (len(shape1) == 1 and dtype.kind in "fc" and dtype.itemsize <= 16
            and max(shape1[0], shape2[0]) <= LEAN_MAX_SAMPLES)
    if fft_ok and axes and lean:
        n, k = shape1[0], shape2[0]
        P = lean_fft_len(n, k, windows[0], dtype=dtype, threads=threads)
        spec = P // 2 + 1 if dtype.kind != "c" else P
        pred["fft"] = (3 * fft_time_1d(P, dtype, threads) + spec * _ns("cmul_elem")
                       + (n + k + windows[0][1] - windows[0][0]) * _ns("copy_elem")
                       + _ns("lean_overhead"))
        params["fft"] = {"fshape": [P]}
        out_len = windows[0][1] - windows[0][0]
        if out_len + min(n, k) - 1 > 2 * min(n, k):
            L = oa_block_size(min(n, k), out_len, dtype=dtype, lean=True)
            pred["oa"] = oa_cost(min(n, k), L, out_len, dtype, 1, threads, lean=True)
            params["oa"] = {"axis": 0, "block": L}
    elif fft_ok and axes:
        t, fs = fft_time_total(shape1, shape2, axes, dtype, threads)
        pred["fft"], params["fft"] = t, {"fshape": fs}
        # overlap-save along the axis with the longest output relative to the kernel
        axis = max(axes, key=lambda a: (windows[a][1] - windows[a][0])
                   / max(min(shape1[a], shape2[a]), 1))
        k = min(shape1[axis], shape2[axis])
        out_len = windows[axis][1] - windows[axis][0]
        real = dtype.kind != "c"
        others = [a for a in axes if a != axis]
        inner = math.prod(good_size(shape1[a] + shape2[a] - 1, real=real, dtype=dtype)
                          for a in others)
        inner *= math.prod(max(shape1[a], shape2[a]) for a in range(len(shape1))
                           if a not in axes)
        # overlap-save's set-up (blocks on one axis, N-D tiles or image strips) is
        # chosen on one thread's costs, so that a split over threads computes the
        # same blocks, and the same bits; the threads then price the one chosen
        options = []  # (seconds on one thread, seconds on `threads`, params)
        if out_len + k - 1 > 2 * k:
            L = oa_block_size(k, out_len, dtype=dtype, inner=inner)
            options.append((oa_cost(k, L, out_len, dtype, inner),
                            oa_cost(k, L, out_len, dtype, inner, threads),
                            {"axis": axis, "block": L}))
        tp = tile_plan(shape1, shape2, axes, windows, dtype=dtype)
        if tp is not None:
            options.append((tp[1], tile_plan(shape1, shape2, axes, windows, dtype=dtype,
                                             threads=threads)[1], {"tiles": tp[0]}))
        if (len(shape1) == 2 and tuple(axes) == (0, 1) and dtype.kind in "fc"
                and dtype.itemsize <= 16):
            sp = strip_plan(shape1, shape2, windows, dtype=dtype)
            options.append((sp[1], strip_plan(shape1, shape2, windows, dtype=dtype,
                                              threads=threads)[1], {"strips": sp[0]}))
        if options:
            _, pred["oa"], params["oa"] = min(options, key=lambda o: o[0])
    if not pred:
        pred["direct"] = math.inf
    # Preference order on ties: direct (exact), then fft, then oa.
    order = [m for m in ("direct", "fft", "oa") if m in pred]
    best = order[0]
    for m in order[1:]:
        if pred[m] * MARGIN < pred[best]:
            best = m
    if best == "direct" and len(pred) == 1 and why_fft_not_ok:
        reason = why_fft_not_ok
    else:
        reason = explain(best, pred)
    if threads > 1:  # say whether the threads help the chosen engine
        one = _choose_cached(shape1, shape2, axes, windows, dtype, fft_ok, direct_ok, 1,
                             why_fft_not_ok).predicted.get(best)
        if one and pred[best] < one:  # (a split is priced below one thread exactly when it runs)
            used = min(threads, _cores())
            how = "FFTW's threads" if best == "fft" else f"its work split over {used} threads"
            reason += f"; {how}: predicted {one / pred[best]:.1f}x faster than on one"
        else:
            reason += f"; {threads} threads would not speed it up: it runs on one"
    return ConvPlan(method=best, params=params.get(best, {}), predicted=pred, reason=reason,
                    candidates=params, shape1=tuple(shape1), shape2=tuple(shape2),
                    dtype=str(dtype))
