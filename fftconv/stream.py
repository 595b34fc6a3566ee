"""Partitioned streaming convolution with zero latency (:class:`StreamConvolver`).

The impulse response is cut into partitions. Partitions of one size form a
*stage*: a uniformly partitioned overlap-save convolver (UPOLS) whose
frequency-domain delay line (FDL) holds the spectra of the last input blocks
of that size. The first stage (partition size ``block_size``) answers every
call at once: the first partition is applied sample-exact to whatever part of
a block has arrived (a direct sum for short pieces, one FFT for longer ones,
as in Gardner's zero-latency scheme), the later partitions of the stage need
only complete past blocks. Later stages use larger partitions, placed at
offsets no smaller than their size, so their contribution to an output block
depends only on input that has already arrived; it is computed when their
input block completes and kept in an output accumulator until it is due.

All plans (FFTW via :func:`fftconv._plans.acquire`) and buffers are made in
the constructor; a call of :meth:`StreamConvolver.process` with a whole,
aligned block runs one forward and one inverse FFT per stage that is due, a
few ufunc calls with ``out=`` and allocates only the array it returns (not
even that when given ``out=``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ._config import get_planner, resolve_workers
from ._partition import (
    COST_NS,
    PARTITIONS,
    _check_memory,
    _groups_for,
    _plan_partition,
    partition_cost,
)
from ._plans import acquire
from ._validate import as_array, check_positive_int

__all__ = ["StreamConvolver", "PARTITIONS", "COST_NS", "partition_cost"]

# Pieces up to this many multiply-adds per output channel (piece length times
# block_size) take the direct sum for the first partition; longer ones an FFT.
_DIRECT_MAX = 2**14


def _iadd(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst += src`` row by row: 2-D in-place ufuncs allocate an overlap buffer."""
    for d, s in zip(dst, src):
        np.add(d, s, out=d)


class _Stage:
    """One UPOLS stage: ``count`` partitions of ``size`` samples starting at ``offset``."""

    def __init__(self, stack, h, size, offset, count, *, mix, cin, cout, dtype, kw):
        self.size, self.count, self.delay = size, count, offset // size
        nfft = 2 * size
        self.fwd = stack.enter_context(acquire("rfft", (cin, nfft), dtype, (-1,), **kw))
        self.inv = stack.enter_context(acquire("irfft", (cout, nfft), dtype, (-1,), **kw))
        seg = np.zeros(h.shape[:-1] + (count * size,))
        piece = h[..., offset:offset + count * size]
        seg[..., :piece.shape[-1]] = piece
        seg = np.moveaxis(seg.reshape(h.shape[:-1] + (count, size)), -2, 0)
        spec = scipy.fft.rfft(seg, n=nfft, axis=-1) / nfft
        cdtype = np.result_type(dtype, np.complex64)
        # Spectra in newest-last order, broadcast to full shape: ufuncs on
        # broadcast (stride-0) operands allocate iterator buffers.
        full = (count, cin, cout, size + 1) if mix else (count, cin, size + 1)
        self.H = np.ascontiguousarray(np.broadcast_to(spec[::-1], full), dtype=cdtype)
        self.ring = count + max(self.delay - 1, 0)
        self.fdl = np.zeros((2 * self.ring, *full[1:]), cdtype)
        self.pos = self.ring - 1
        self.mix = mix
        self.raxes = (0, 1) if mix else 0
        self.tmp = np.empty(full, cdtype)

    def push(self) -> None:
        """Store the forward plan's output as the newest spectrum."""
        self.pos = (self.pos + 1) % self.ring
        X = self.fwd.output_array[:, None, :] if self.mix else self.fwd.output_array
        self.fdl[self.pos] = X
        self.fdl[self.pos + self.ring] = X

    def accumulate(self, lo: int, first: int, k: int, out: np.ndarray) -> None:
        """``out = sum_i H[first + i] * fdl[lo + i]`` for i < k (over input channels too)."""
        tmp = self.tmp[:k]
        np.multiply(self.H[first:first + k], self.fdl[lo:lo + k], out=tmp)
        np.add.reduce(tmp, axis=self.raxes, out=out)

    def reset(self) -> None:
        self.fdl[...] = 0
        self.pos = self.ring - 1


class StreamConvolver:
    """Zero-latency partitioned convolution of a stream of blocks with a fixed impulse response.

    Parameters
    ----------
    ir : array_like
        Impulse response, real and finite. 1-D: applied to every channel.
        2-D (time along `axis`, ``N`` channels on the other axis): channel
        ``c`` of the input is convolved with channel ``c`` of `ir` (``N == 1``
        applies to every channel). 3-D (time along `axis`, then input
        channel, output channel): a mixing matrix, output channel ``o`` is
        the sum over ``i`` of input channel ``i`` convolved with
        ``ir[:, i, o]`` (``axis=0``), e.g. a 2x2 "true stereo" set.
    block_size : int
        Size of the smallest partition: calls with whole blocks of this size
        are the fast path. `process` accepts any length.
    partition : {'auto', 'uniform', 'nonuniform'} or sequence of int, optional
        ``'uniform'``: every partition has `block_size` samples (UPOLS).
        ``'nonuniform'``: partitions grow (by 2 or 4, block_size times a power
        of two) along the impulse response, as chosen by :data:`COST_NS`.
        A sequence gives the sizes (the last repeats until `ir` is covered):
        the first is `block_size`, each is `block_size` times a power of two,
        sizes never decrease, and a partition of size ``P`` starts at a
        multiple of ``P`` no smaller than ``P``. ``'auto'`` (default): the
        cheaper of uniform and non-uniform by the cost model.
    dtype : {None, float32, float64}, optional
        Working and output dtype; default float32 for a float32 `ir`, else
        float64.
    channels : int, optional
        Number of input channels. Default: none for a 1-D `ir` (blocks are
        then 1-D), the channel count of a 2-D or 3-D `ir` otherwise.
    axis : {0, -1}, optional
        Time axis of 2-D blocks and of `ir`: 0 for ``(frames, channels)`` (as
        soundfile and sounddevice use), -1 for ``(channels, frames)``.
    workers : int, optional
        FFTW threads (default: :func:`fftconv.get_workers`).

    Attributes
    ----------
    latency : int
        Delay of the output in samples: always 0 (the ``n``-th sample
        returned is sample ``n`` of ``fftconv.convolve(x, ir)``).
    partition : tuple of int
        The partition sizes in use.
    out_channels : int or None
        Channels of the output (None for 1-D blocks).

    Raises
    ------
    ValueError
        If `ir` is empty, non-finite or has more than 3 dimensions, if
        `block_size` is not positive, if `partition`, `dtype` or `axis` is
        unknown, or if `channels` contradicts `ir`.
    TypeError
        If `ir` is complex or non-numeric, or `block_size` or `channels` is
        not an integer.

    See Also
    --------
    fftconv.convolve : the offline convolution the stream reproduces.

    Notes
    -----
    Per output sample a stage of partition size ``P`` holding ``n``
    partitions costs two real FFTs of length ``2P`` per ``P`` samples and
    ``n`` complex multiply-adds; non-uniform partitions keep ``n`` small
    for long impulse responses. The work is uneven across calls: the call
    that completes a block of a large stage runs that stage's FFTs, so the
    slowest call takes longer than the average one (use ``'uniform'`` or a
    smaller largest size when every call must meet a deadline).

    Accuracy: the output equals offline convolution up to rounding, about
    ``eps * log2(len(ir)) * norm(ir) * norm(x)`` (``1e-12`` relative for
    float64, ``1e-5`` for float32). A NaN or infinity in the input stays in
    the delay lines until :meth:`reset`; so does a spectrum that overflows
    (finite samples within a factor ``len(ir)`` of the float range, about
    ``1e19`` in float32 with a unit impulse response), with numpy's overflow
    warning. Offline convolution (:func:`fftconv.convolve`) keeps both local.

    Examples
    --------
    >>> import numpy as np, fftconv
    >>> rng = np.random.default_rng(0)
    >>> ir, x = rng.standard_normal(1000), rng.standard_normal(5000)
    >>> sc = fftconv.StreamConvolver(ir, 256)
    >>> y = np.concatenate([sc.process(x[:100]), sc.process(x[100:4000]),
    ...                     sc.process(x[4000:]), sc.flush()])
    >>> bool(np.allclose(y, fftconv.convolve(x, ir))), sc.latency
    (True, 0)
    """

    def __init__(self, ir, block_size: int, *, partition: str | Sequence[int] = "auto",
                 dtype=None, channels: int | None = None, axis: int = 0,
                 workers: int | None = None) -> None:
        b = check_positive_int(block_size, "block_size")
        h = as_array(ir, "ir")
        if h.dtype.kind == "c":
            raise TypeError(f"ir must be real, got dtype {h.dtype}")
        if h.size == 0:
            raise ValueError(f"ir must hold at least one sample, got shape {h.shape}")
        if not 1 <= h.ndim <= 3:
            raise ValueError(f"ir must be 1-D, 2-D or 3-D, got shape {h.shape}")
        h = h.astype(np.float64) if h.dtype.kind == "O" else h
        if not np.all(np.isfinite(h)):
            raise ValueError(f"ir must be finite, but it holds NaN or infinity (shape {h.shape})")
        if isinstance(axis, bool) or axis not in (0, -1, 1):
            raise ValueError(f"axis must be 0 (frames, channels) or -1 (channels, frames), "
                             f"got axis={axis!r}")
        self.axis = 0 if axis == 0 else -1
        if dtype is None:
            dtype = np.float32 if h.dtype == np.float32 else np.float64
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            self.dtype = None
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got dtype={dtype!r}")
        if channels is not None:
            channels = check_positive_int(channels, "channels")
        h = np.moveaxis(np.asarray(h, np.float64), self.axis, -1) if h.ndim > 1 else \
            np.asarray(h, np.float64)[None]
        self._mix = h.ndim == 3
        if self._mix:
            cin, cout = h.shape[:2]
        else:
            cin = h.shape[0] if channels is None else channels
            cout = cin
        if channels is not None and channels != h.shape[0] and (self._mix or h.shape[0] > 1):
            raise ValueError(f"channels={channels!r} does not match ir of shape {np.shape(ir)} "
                             f"({h.shape[0]} input channel(s), time along axis={axis!r})")
        self._oned = np.ndim(ir) == 1 and channels is None
        self.channels = None if self._oned else cin
        self.out_channels = None if self._oned else cout
        self._cin, self._cout, self.block_size, self.latency = cin, cout, b, 0
        self._m = h.shape[-1]
        self.ir_shape = tuple(np.shape(ir))
        macs = cin * cout if self._mix else cin
        groups = _plan_partition(partition, self._m, b, cin, cout, macs)
        self.partition = tuple(p for p, _, c in groups for _ in range(c))
        threads = resolve_workers(workers)
        kw = {"threads": threads, "planner": get_planner()}
        _check_memory(groups, b, cin, cout, self.dtype.itemsize)
        self._stack = contextlib.ExitStack()
        try:
            self._stages = [_Stage(self._stack, h, p, o, c, mix=self._mix, cin=cin, cout=cout,
                                   dtype=self.dtype, kw=kw) for p, o, c in groups]
        except BaseException:
            self._stack.close()
            raise
        self._closed, self._later = False, self._stages[1:]
        pmax = max(p for p, _, _ in groups)
        self._pmax = pmax
        self._xin = np.zeros((cin, 3 * pmax), self.dtype)
        self._acc = np.zeros((cout, pmax), self.dtype)
        self._head = np.empty((cout, b), self.dtype)
        # Time-reversed first partition for the direct sum: (ch, b, 1) or (cin, cout, b).
        h0 = np.zeros(h.shape[:-1] + (b,))
        h0[..., :min(b, self._m)] = h[..., :b]
        h0 = np.ascontiguousarray(h0[..., ::-1], dtype=self.dtype)
        self._h0 = h0 if self._mix else h0[:, :, None]
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all input: the next sample is the start of a new stream."""
        self._xin[...] = 0
        self._acc[...] = 0
        self._w = 2 * self._pmax
        self._t = 0
        for st in self._stages:
            st.reset()

    @property
    def state(self) -> dict:
        """Copies of everything that changes while streaming (a dict of ndarrays).

        Assigning a dict read from a convolver built the same way restores it
        (see :meth:`load_state`).
        """
        s = {"t": np.array(self._t), "w": np.array(self._w), "xin": self._xin.copy(),
             "acc": self._acc.copy()}
        for i, st in enumerate(self._stages):
            s[f"fdl{i}"] = st.fdl.copy()
            s[f"pos{i}"] = np.array(st.pos)
        return s

    @state.setter
    def state(self, value: Mapping) -> None:
        self.load_state(value)

    def load_state(self, state: Mapping) -> None:
        """Restore a :attr:`state` taken from a convolver with the same settings.

        Raises
        ------
        ValueError
            If keys, shapes or dtypes do not match this convolver's.
        """
        mine = self.state
        if not isinstance(state, Mapping) or set(state) != set(mine):
            got = sorted(state) if isinstance(state, Mapping) else type(state).__name__
            raise ValueError(f"state must be a dict with keys {sorted(mine)}, got {got}")
        for k, v in mine.items():
            new = np.asarray(state[k])
            if new.shape != v.shape or new.dtype.kind != v.dtype.kind:
                raise ValueError(f"state[{k!r}] has shape {new.shape} and dtype {new.dtype}, "
                                 f"expected {v.shape} and {v.dtype}: was it taken from a "
                                 "convolver with other settings?")
        self._t, self._w = int(state["t"]), int(state["w"])
        if not (self._w - 2 * self._pmax == self._t % self._pmax
                or (self._w == 3 * self._pmax and self._t % self._pmax == 0)):
            raise ValueError("state['t'] and state['w'] are inconsistent")
        self._xin[...] = state["xin"]
        self._acc[...] = state["acc"]
        for i, st in enumerate(self._stages):
            st.fdl[...] = state[f"fdl{i}"]
            st.pos = int(state[f"pos{i}"]) % st.ring

    def close(self) -> None:
        """Give the FFT plans back to the pool; the convolver cannot be used afterwards."""
        if not getattr(self, "_closed", True):
            self._closed = True
            self._stack.close()

    def __enter__(self) -> StreamConvolver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        sizes = ", ".join(f"{p}x{c}" for p, _, c in _groups_for(self.partition))
        return (f"StreamConvolver(ir shape {self.ir_shape}, block_size={self.block_size}, "
                f"partitions [{sizes}], dtype={self.dtype}, latency={self.latency})")

    # ------------------------------------------------------------ streaming
    def _frames_shape(self, n: int) -> tuple[int, ...]:
        if self._oned:
            return (n,)
        return (n, self._cout) if self.axis == 0 else (self._cout, n)

    def _time_last(self, a: np.ndarray) -> np.ndarray:
        return a[None] if self._oned else (a.T if self.axis == 0 else a)

    def process(self, block, *, out: np.ndarray | None = None) -> np.ndarray:
        """Convolve the next samples; return exactly as many output samples.

        Parameters
        ----------
        block : array_like
            Real samples, any number of frames: 1-D when the convolver was
            built without channels, else 2-D with `channels` channels and
            time along `axis`.
        out : ndarray, optional
            Array of the output's shape and dtype to write into (no
            allocation at all on the fast path).

        Returns
        -------
        ndarray
            The output frames, in the layout of `block` with
            `out_channels` channels, of the convolver's dtype.
        """
        if self._closed:
            raise ValueError("this StreamConvolver is closed")
        x = np.asarray(block)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"block must hold real numbers, got dtype {x.dtype}")
        if self._oned:
            if x.ndim != 1:
                raise ValueError(f"block must be 1-D (the convolver was built with a 1-D ir and "
                                 f"channels=None), got shape {x.shape}; pass channels=")
            n = x.shape[0]
        else:
            t_ax = 0 if self.axis == 0 else 1
            if x.ndim != 2 or x.shape[1 - t_ax] != self._cin:
                want = ("(frames, %d)" if t_ax == 0 else "(%d, frames)") % self._cin
                raise ValueError(f"block must have shape {want} (channels={self._cin}, "
                                 f"axis={self.axis}), got shape {x.shape}")
            n = x.shape[t_ax]
        shape = self._frames_shape(n)
        if out is None:
            out = np.empty(shape, self.dtype)
        elif not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != self.dtype:
            got = (out.shape, out.dtype) if isinstance(out, np.ndarray) else type(out).__name__
            raise ValueError(f"out must be an ndarray of shape {shape} and dtype {self.dtype}, "
                             f"got {got}")
        xt, yt = self._time_last(x), self._time_last(out)
        b, r = self.block_size, 0
        while r < n:
            fill = self._t % b
            m = min(b - fill, n - r)
            if self._w == self._xin.shape[1]:  # keep the last 2 * pmax samples
                pm = self._pmax  # row by row, in two halves: overlapping copies allocate
                for row in self._xin:
                    row[:pm] = row[pm:2 * pm]
                    row[pm:2 * pm] = row[2 * pm:]
                self._w = 2 * pm
            np.copyto(self._xin[:, self._w:self._w + m], xt[:, r:r + m], casting="unsafe")
            self._w += m
            if m == b:
                self._whole(yt[:, r:r + m])
            else:
                self._piece(fill, m, yt[:, r:r + m])
            self._t += m
            for st in self._later:
                if self._t % st.size:
                    break
                self._delayed(st)
            r += m
        return out

    def _whole(self, y: np.ndarray) -> None:
        """A whole aligned block: all partitions of the first stage by FFT."""
        st, b, w = self._stages[0], self.block_size, self._w
        a = self._t % self._pmax
        st.fwd.input_array[...] = self._xin[:, w - 2 * b:w]
        st.fwd.execute()
        st.push()
        st.accumulate(st.pos + 1, 0, st.count, st.inv.input_array)
        st.inv.execute()
        acc = self._acc[:, a:a + b]
        np.add(st.inv.output_array[:, b:], acc, out=y)
        acc[...] = 0

    def _piece(self, fill: int, m: int, y: np.ndarray) -> None:
        """Part of a block: the first partition directly, the rest of the stage from the past."""
        st, b, w = self._stages[0], self.block_size, self._w
        a = self._t % self._pmax
        if fill == 0 and st.count > 1:  # later partitions of stage 0 for this whole block
            st.accumulate(st.pos + 2, 0, st.count - 1, st.inv.input_array)
            st.inv.execute()
            _iadd(self._acc[:, a:a + b], st.inv.output_array[:, b:])
        head = self._head[:, :m]
        if m * b <= _DIRECT_MAX:
            win = sliding_window_view(self._xin[:, w - m - b + 1:w], b, axis=-1)
            if self._mix:
                np.einsum("irb,iob->or", win, self._h0, out=head)
            else:
                np.matmul(win, self._h0, out=head[:, :, None])
        else:
            lo = w - m - fill - b
            fin = st.fwd.input_array
            fin[:, :b + fill + m] = self._xin[:, lo:w]
            fin[:, b + fill + m:] = 0
            st.fwd.execute()
            X = st.fwd.output_array[:, None, :] if self._mix else st.fwd.output_array
            np.multiply(st.H[st.count - 1], X, out=st.tmp[0])
            np.add.reduce(st.tmp[:1], axis=st.raxes, out=st.inv.input_array)
            st.inv.execute()
            head[...] = st.inv.output_array[:, b + fill:b + fill + m]
        acc = self._acc[:, a:a + m]
        np.add(acc, head, out=y)
        acc[...] = 0
        if fill + m == b:  # the block is complete: its spectrum joins the delay line
            st.fwd.input_array[...] = self._xin[:, w - 2 * b:w]
            st.fwd.execute()
            st.push()

    def _delayed(self, st: _Stage) -> None:
        """A block of a later stage completed: add its share of the next block to the output."""
        p, w = st.size, self._w
        st.fwd.input_array[...] = self._xin[:, w - 2 * p:w]
        st.fwd.execute()
        st.push()
        st.accumulate(st.pos + st.ring - st.delay - st.count + 2, 0, st.count,
                      st.inv.input_array)
        st.inv.execute()
        a = self._t % self._pmax
        _iadd(self._acc[:, a:a + p], st.inv.output_array[:, p:])

    def flush(self) -> np.ndarray:
        """Return the remaining ``len(ir) - 1`` output samples and :meth:`reset`.

        Returns
        -------
        ndarray
            The tail of the convolution, in the layout of the blocks.
        """
        k = self._m - 1
        if self._oned:
            zeros = np.zeros(k, self.dtype)
        else:
            zeros = np.zeros((k, self._cin) if self.axis == 0 else (self._cin, k), self.dtype)
        out = self.process(zeros)
        self.reset()
        return out
