"""FFT convolution of chunked dask arrays, lazily and without rechunking the signal.

:func:`fftconv.convolve` and :func:`fftconv.correlate` come here when either
input is a dask array; :func:`fftconvolve` (batched ``axes``) is here too.
Every function returns a **lazy** :class:`dask.array.Array`: nothing is
computed until you call ``.compute()``, ``.persist()``, ``da.store`` or
``.to_zarr`` on the result.

How the graph is built
----------------------
Call the larger input the *signal* (it keeps its chunks) and the other the
*kernel* (``K`` samples along a convolved axis). Output sample ``n`` (in
full-convolution coordinates) depends on signal samples ``n - K + 1 .. n``,
so an output block ``[o0, o1)`` needs the signal over ``[o0 - K + 1, o1)``:
its own chunk plus a *halo* from the neighbouring chunks. For each output
block one task receives those pieces (the neighbours are first cut down to the
halo by small slicing tasks, so only the halo travels between workers),
concatenates them, pads with zeros beyond the signal's edges, and runs the
in-memory ``mode='valid'`` convolution on it -- whose engine (direct, FFT or
overlap-save) the strategy layer picks for that block.

A kernel longer than a chunk is cut into pieces of at most one chunk
(``P`` = the largest chunk along that axis). The output block is then the sum
of the shifted partial convolutions with each piece, each of which needs at
most ``P - 1`` halo samples: a task never holds more than about two chunks of
the signal, and the signal is never rechunked. Along several chunked axes the
same is done on every axis at once.

Output chunks mirror the signal's chunks: ``'same'`` keeps them;
``'valid'`` drops the ``K - 1`` missing samples from the end (the last chunks
shrink or vanish); ``'full'`` adds the ``K - 1`` extra samples to the last
chunk when it stays within 1.5x the largest chunk, otherwise as extra chunks
of at most the largest chunk's size.

dask and distributed are an extra: ``pip install 'fftconv[dask]'``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math

import numpy as np

try:
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("fftconv.dask needs dask: pip install 'fftconv[dask]'") from exc

from . import _dispatch, _signal
from ._config import resolve_workers
from ._strategy import METHODS
from ._validate import as_array, check_method, check_mode, check_same_ndim

__all__ = ["convolve", "correlate", "fftconvolve"]

#: Partial convolutions (kernel pieces) summed per task in the reduction tree.
SUM_FAN_IN = 8

_NUMERIC_KINDS = "biufcO"


# --------------------------------------------------------------------------- public API


def convolve(in1, in2, mode: str = "full", method: str = "auto", *,
             workers: int | None = None) -> da.Array:
    """Convolve dask (or numpy) arrays into a lazy dask array.

    Called by :func:`fftconv.convolve` when either input is a dask array;
    the same signature and results, block by block.

    Parameters
    ----------
    in1, in2 : dask.array.Array or array_like
        Inputs with the same number of dimensions, chunked along any axes.
        The larger one keeps its chunks; the other (the kernel) may be numpy
        or dask and is sent whole, or in chunk-sized pieces, to each task.
    mode : {'full', 'valid', 'same'}, optional
        See :func:`fftconv.convolve`.
    method : {'auto', 'direct', 'fft', 'oa'}, optional
        Engine for each block; ``'auto'`` lets the strategy layer choose per
        block (see :func:`fftconv.plan`).
    workers : int, optional
        Threads per task, as in :func:`fftconv.convolve` (resolved now, so
        :func:`fftconv.set_workers` around this call applies inside the tasks).

    Returns
    -------
    dask.array.Array
        Lazy result of dtype ``numpy.result_type(in1, in2)``, chunked like
        the larger input (see the module notes for ``'full'``/``'valid'``).

    Raises
    ------
    ValueError, TypeError
        As :func:`fftconv.convolve`; also ``ValueError`` for dask arrays of
        unknown chunk sizes.

    See Also
    --------
    correlate, fftconvolve

    Notes
    -----
    Each output block costs one in-memory convolution of the block plus a
    ``K - 1`` halo (``O(c log K)`` for chunk length ``c``), so the total
    matches the in-memory overlap-save engine. A kernel longer than a chunk
    costs ``ceil(K / c)`` partial convolutions per block. Peak memory per
    task is about two chunks plus the engine's scratch.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fftconv
    >>> rng = np.random.default_rng(0)
    >>> x = da.from_array(rng.standard_normal(1000), chunks=250)
    >>> h = rng.standard_normal(31)
    >>> y = fftconv.convolve(x, h, mode="same")      # lazy: nothing ran yet
    >>> y.chunks
    ((250, 250, 250, 250),)
    >>> ref = fftconv.convolve(x.compute(), h, mode="same")
    >>> bool(np.allclose(y.compute(scheduler="synchronous"), ref))
    True
    """
    return _conv_all_axes(in1, in2, mode, method, workers, correlate=False)


def correlate(in1, in2, mode: str = "full", method: str = "auto", *,
              workers: int | None = None) -> da.Array:
    """Cross-correlate dask (or numpy) arrays into a lazy dask array.

    ``correlate(in1, in2)`` is ``convolve(in1, in2[::-1].conj())``, as in
    :func:`fftconv.correlate`.

    Parameters
    ----------
    in1, in2, mode, method, workers
        See :func:`convolve`.

    Returns
    -------
    dask.array.Array
        Lazy result of dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    ValueError, TypeError
        As :func:`convolve`.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fftconv
    >>> x = da.zeros(100, chunks=30)
    >>> x[40] = 1.0
    >>> c = fftconv.correlate(x, np.ones(1), mode="same")
    >>> int(c.argmax().compute(scheduler="synchronous"))
    40
    """
    return _conv_all_axes(in1, in2, mode, method, workers, correlate=True)


def fftconvolve(in1, in2, mode: str = "full", axes=None, *,
                workers: int | None = None) -> da.Array:
    """FFT convolution along `axes` of dask arrays, batched over the others.

    The dask counterpart of :func:`fftconv.fftconvolve` (and of
    :func:`fftconv.oaconvolve`: each block's engine is chosen among the FFT
    engines by the strategy layer).

    Parameters
    ----------
    in1, in2 : dask.array.Array or array_like
        Inputs of the same dimensionality; on axes not in `axes` their sizes
        must be equal or 1 (broadcasting).
    mode : {'full', 'valid', 'same'}, optional
        See :func:`fftconv.convolve`.
    axes : int or sequence of int, optional
        Axes to convolve over (default: all).
    workers : int, optional
        See :func:`convolve`.

    Returns
    -------
    dask.array.Array
        Lazy floating-point result, as :func:`fftconv.fftconvolve`.

    Raises
    ------
    ValueError, TypeError
        As :func:`fftconv.fftconvolve`.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fftconv.dask
    >>> rng = np.random.default_rng(0)
    >>> x = da.from_array(rng.standard_normal((4, 600)), chunks=(2, 200))
    >>> h = np.ones((1, 5)) / 5
    >>> y = fftconv.dask.fftconvolve(x, h, mode="same", axes=1)
    >>> y.chunks
    ((2, 2), (200, 200, 200))
    >>> ref = fftconv.fftconvolve(x.compute(), h, mode="same", axes=1)
    >>> bool(np.allclose(y.compute(scheduler="synchronous"), ref))
    True
    """
    mode = check_mode(mode)
    w = resolve_workers(workers)
    a1, a2 = _lazy_input(in1, "in1"), _lazy_input(in2, "in2")
    if a1.ndim == a2.ndim == 0:
        return da.asarray(a1) * da.asarray(a2)
    check_same_ndim(a1, a2)
    if a1.size == 0 or a2.size == 0:
        return da.zeros((0,), dtype=np.float64)
    a1, a2, ax = _dispatch._freq_axes(a1, a2, mode, axes)
    work = _dispatch._work_dtype(a1.dtype, a2.dtype)
    if not ax:  # nothing to transform: a broadcasting product, as in the numpy path
        return (da.asarray(a1) * da.asarray(a2)).astype(work)
    windows = _dispatch._windows(mode, a1.shape, a2.shape, ax, a1.ndim)
    fn = functools.partial(_signal.fftconvolve, mode="valid", axes=ax, workers=w)
    return _build(a1, a2, ax, windows, work, fn, name="fftconv-fftconvolve",
                  token=("fftconvolve", mode, tuple(ax), w))


# --------------------------------------------------------------------------- validation


def _is_dask(x: object) -> bool:
    return isinstance(x, da.Array)


def _lazy_input(value, name: str):
    """A dask array as is (checked), anything else through :func:`as_array`."""
    if not _is_dask(value):
        return as_array(value, name)
    if value.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must hold numbers; got a dask array of dtype {value.dtype}")
    if any(math.isnan(c) for cs in value.chunks for c in cs):
        raise ValueError(f"{name} has unknown chunk sizes (chunks={value.chunks!r}); call "
                         f"{name}.compute_chunk_sizes() or give it known chunks first")
    return value


def _conv_all_axes(in1, in2, mode, method, workers, *, correlate: bool) -> da.Array:
    mode = check_mode(mode)
    method = check_method(method, tuple(METHODS))
    w = resolve_workers(workers)
    a1, a2 = _lazy_input(in1, "in1"), _lazy_input(in2, "in2")
    if a1.ndim == a2.ndim == 0:
        return da.asarray(a1) * (np.conj(a2) if correlate and a2.dtype.kind == "c" else a2)
    check_same_ndim(a1, a2)
    if correlate:
        a2 = a2[(slice(None, None, -1),) * a2.ndim]
        if a2.dtype.kind == "c":
            a2 = np.conj(a2)
    dtype = np.result_type(a1.dtype, a2.dtype)
    if a2.size == 0:
        raise ValueError(f"in2 cannot be empty (got shape {a2.shape})")
    if a1.size == 0:
        if mode == "same":
            return da.empty(a1.shape, dtype=dtype)
        raise ValueError(f"in1 cannot be empty in mode {mode!r} (got shape {a1.shape})")
    axes = list(range(a1.ndim))
    if _dispatch._swap_needed(mode, a1.shape, a2.shape, axes):
        a1, a2 = a2, a1
    windows = _dispatch._windows(mode, a1.shape, a2.shape, axes, a1.ndim)
    fn = functools.partial(_signal.convolve, mode="valid", method=method, workers=w)
    kind = "correlate" if correlate else "convolve"
    return _build(a1, a2, axes, windows, dtype, fn, name=f"fftconv-{kind}",
                  token=(kind, mode, method, w))


# --------------------------------------------------------------------------- graph


def _out_chunks(chunks: tuple[int, ...], n: int) -> tuple[int, ...]:
    """The signal's chunks, truncated or extended at the end to total ``n``."""
    total = sum(chunks)
    if n <= total:
        out, acc = [], 0
        for c in chunks:
            if acc >= n:
                break
            out.append(min(c, n - acc))
            acc += out[-1]
        return tuple(out)
    extra, cmax = n - total, max(chunks)
    out = list(chunks)
    if out[-1] + extra <= cmax * 3 // 2:
        out[-1] += extra
    else:
        while extra:
            out.append(min(cmax, extra))
            extra -= out[-1]
    return tuple(out)


def _pieces(k: int, p: int) -> tuple[int, ...]:
    return (p,) * (k // p) + ((k % p,) if k % p else ())


def _starts(chunks) -> list[int]:
    return [0, *itertools.accumulate(chunks)]


def _conv_axis_plan(sig_chunks, k, window, out_chunks):
    """Per output block: a list of ``(piece, [(chunk, lo, hi, whole)], (pad_lo, pad_hi))``.

    Everything in full-convolution coordinates along one convolved axis.
    """
    n = sum(sig_chunks)
    bounds = _starts(sig_chunks)
    pieces = _pieces(k, min(k, max(sig_chunks)))
    pbounds = _starts(pieces)
    plan = []
    for ob0, ob1 in itertools.pairwise(_starts(out_chunks)):
        o0, o1 = window[0] + ob0, window[0] + ob1
        contribs = []
        for j, (p0, p1) in enumerate(itertools.pairwise(pbounds)):
            lo, hi = o0 - p1 + 1, o1 - p0  # signal range this piece needs
            clo, chi = max(lo, 0), min(hi, n)
            if clo >= chi or o1 <= o0:
                continue
            parts = []
            t = bisect.bisect_right(bounds, clo) - 1  # the chunk holding sample clo
            while t < len(sig_chunks) and bounds[t] < chi:
                b0, b1 = bounds[t], bounds[t + 1]
                if b1 > b0:  # skip empty chunks
                    s0, s1 = max(clo, b0) - b0, min(chi, b1) - b0
                    parts.append((t, s0, s1, s0 == 0 and s1 == b1 - b0))
                t += 1
            contribs.append((j, parts, (clo - lo, hi - chi)))
        plan.append(contribs)
    return pieces, plan


def _build(a1, a2, conv_axes, windows, dtype, fn, *, name: str, token) -> da.Array:
    """Graph of per-block halo convolutions; see the module docstring."""
    ndim = a1.ndim
    conv_axes = sorted(conv_axes)

    def conv_size(a):
        return math.prod(a.shape[i] for i in conv_axes)

    sig, ker = (a2, a1) if conv_size(a2) > conv_size(a1) else (a1, a2)
    sig = sig if _is_dask(sig) else da.asarray(sig)
    out_shape = [e - s for s, e in windows]
    out_chunks, ker_chunks, plans = [], [], []
    for a in range(ndim):
        if a in conv_axes:
            oc = _out_chunks(sig.chunks[a], out_shape[a])
            pieces, plan = _conv_axis_plan(sig.chunks[a], ker.shape[a], windows[a], oc)
        else:  # batched axis: sizes equal, or one of them 1 (broadcast)
            if sig.shape[a] == out_shape[a]:
                oc = sig.chunks[a]
            else:
                oc = ker.chunks[a] if _is_dask(ker) else (ker.shape[a],)
            pieces = oc if ker.shape[a] == out_shape[a] else (ker.shape[a],)
            whole = sig.shape[a] == out_shape[a]
            plan = [[(i if ker.shape[a] > 1 else 0,
                      [(i if whole else 0, 0, c, True)], (0, 0))] for i, c in enumerate(oc)]
        out_chunks.append(tuple(oc))
        ker_chunks.append(tuple(pieces))
        plans.append(plan)
    kd = ker.rechunk(tuple(ker_chunks)) if _is_dask(ker) else da.from_array(
        ker, chunks=tuple(ker_chunks))
    name = f"{name}-{tokenize(sig.name, kd.name, windows, conv_axes, str(dtype), token)}"
    dsk: dict = {}
    halos: dict = {}

    def sig_piece(idx, sl, whole):
        if all(whole):
            return (sig.name, *idx)
        hk = halos.get((idx, sl))
        if hk is None:
            hk = halos[(idx, sl)] = (f"{name}-halo", len(halos))
            dsk[hk] = (_take, (sig.name, *idx), tuple(slice(s0, s1) for s0, s1 in sl))
        return hk

    def nested(parts_per_axis, axis, idx, sl, whole):
        if axis == ndim:
            return sig_piece(tuple(idx), tuple(sl), whole)
        return [nested(parts_per_axis, axis + 1, [*idx, t], [*sl, (s0, s1)], [*whole, w])
                for t, s0, s1, w in parts_per_axis[axis]]

    for bidx in itertools.product(*(range(len(c)) for c in out_chunks)):
        bshape = tuple(out_chunks[a][i] for a, i in enumerate(bidx))
        key = (name, *bidx)
        combos = list(itertools.product(*(plans[a][i] for a, i in enumerate(bidx))))
        if not combos or 0 in bshape:
            dsk[key] = (functools.partial(np.zeros, bshape, dtype=dtype),)
            continue
        part_keys = []
        for n, combo in enumerate(combos):
            kkey = (kd.name, *(c[0] for c in combo))
            pads = tuple(c[2] for c in combo)
            task = (functools.partial(_block, fn=fn, pads=pads),
                    nested([c[1] for c in combo], 0, [], [], []), kkey)
            pk = key if len(combos) == 1 else (f"{name}-part", *bidx, n)
            dsk[pk] = task
            part_keys.append(pk)
        level = 0
        while len(part_keys) > 1:
            groups = [part_keys[i:i + SUM_FAN_IN] for i in range(0, len(part_keys), SUM_FAN_IN)]
            part_keys = []
            for g, grp in enumerate(groups):
                sk = key if len(groups) == 1 else (f"{name}-sum", *bidx, level, g)
                dsk[sk] = (_add, grp)
                part_keys.append(sk)
            level += 1
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[sig, kd])
    return da.Array(graph, name, chunks=tuple(out_chunks), dtype=dtype)


# --------------------------------------------------------------------------- tasks


def _take(block: np.ndarray, index: tuple) -> np.ndarray:
    """A halo: a copy, so that the neighbouring chunk can be freed."""
    return np.array(block[index], copy=True)


def _assemble(parts, axis: int = 0) -> np.ndarray:
    if not isinstance(parts, list):
        return parts
    arrays = [_assemble(p, axis + 1) for p in parts]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=axis)


def _block(parts, kernel: np.ndarray, *, fn, pads) -> np.ndarray:
    """One output block (or one kernel piece's share of it): 'valid' on the halo."""
    seg = _assemble(parts)
    if any(p != (0, 0) for p in pads):
        seg = np.pad(seg, pads)
    return fn(seg, kernel)


def _add(parts: list[np.ndarray]) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    out = parts[0] + parts[1]
    for p in parts[2:]:
        out += p
    return out
