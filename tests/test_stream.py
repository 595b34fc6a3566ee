"""Tests for fftconv.StreamConvolver: any block sequence equals offline convolution."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import assert_close, tolerance

import fftconv
from fftconv import stream as stream_mod
from fftconv.stream import StreamConvolver


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FFTCONV_PERSIST", "0")


def _run(sc: StreamConvolver, x: np.ndarray, lengths, axis: int = 0) -> np.ndarray:
    """Feed ``x`` in pieces of the given lengths (cycled), then flush; concatenate."""
    n, pieces, i, k = x.shape[axis], [], 0, 0
    while i < n:
        step = lengths[k % len(lengths)]
        pieces.append(sc.process(np.take(x, range(i, min(i + step, n)), axis=axis)))
        i, k = i + step, k + 1
    pieces.append(sc.flush())
    return np.concatenate(pieces, axis=axis)


def _offline(x, ir, axis=0):
    """Channel-wise offline convolution (fftconv.convolve, mode full) in float64."""
    if x.ndim == 1:
        return fftconv.convolve(x.astype(np.float64), ir.astype(np.float64))
    xt = np.moveaxis(x, axis, -1).astype(np.float64)
    h = np.asarray(ir, np.float64)
    if h.ndim == 1:
        h = h[None]
    else:
        h = np.moveaxis(h, axis, -1)
    if h.ndim == 3:  # mixing matrix (in, out, time)
        y = np.stack([sum(fftconv.convolve(xt[i], h[i, o]) for i in range(h.shape[0]))
                      for o in range(h.shape[1])])
    else:
        y = np.stack([fftconv.convolve(xt[c], h[c % h.shape[0]]) for c in range(xt.shape[0])])
    return np.moveaxis(y, -1, axis)


def _tol(dtype, x, ir):
    return tolerance(dtype, 2 * len(np.ravel(ir)) + 2, x, ir)


# Adversarial sizes: 1-tap IR, IR shorter / equal / one longer than a block,
# a prime block size, pieces of 1 sample, block_size +- 1 and much longer ones.
@pytest.mark.parametrize("partition", ["uniform", "nonuniform", "auto"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m, b", [(1, 8), (7, 16), (16, 16), (17, 16), (500, 13), (3000, 32)])
def test_matches_offline(partition, dtype, m, b, rng):
    ir = rng.standard_normal(m)
    x = rng.standard_normal(1500)
    sc = StreamConvolver(ir.astype(dtype), b, partition=partition)
    y = _run(sc, x, [1, b - 1 or 1, b, b + 1, 5 * b + 3, b])
    assert sc.latency == 0 and y.dtype == np.dtype(dtype)
    assert_close(y, _offline(x, ir), _tol(dtype, x, ir))


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 700),
    b=st.sampled_from([1, 4, 16, 31, 64]),
    lengths=st.lists(st.integers(1, 300), min_size=1, max_size=12),
    partition=st.sampled_from(["uniform", "nonuniform", "auto"]),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_any_block_sequence(m, b, lengths, partition, dtype, seed):
    """Property: process() pieces + flush() == fftconv.convolve(x, ir) (latency 0)."""
    rng = np.random.default_rng(seed)
    ir, x = rng.standard_normal(m), rng.standard_normal(sum(lengths) + 3)
    sc = StreamConvolver(ir, b, partition=partition, dtype=dtype)
    y = _run(sc, x, lengths)
    assert_close(y, _offline(x, ir), _tol(dtype, x, ir), dtype=dtype)


def test_custom_partition_and_repr(rng):
    ir, x = rng.standard_normal(1000), rng.standard_normal(3000)
    sc = StreamConvolver(ir, 16, partition=[16, 16, 32, 32, 32, 128])
    assert sc.partition[:6] == (16, 16, 32, 32, 32, 128) and sum(sc.partition) >= 1000
    assert "16x2" in repr(sc)
    assert_close(_run(sc, x, [7, 100, 16]), _offline(x, ir), _tol("float64", x, ir))


def test_nonuniform_is_chosen_for_long_ir_and_is_cheaper():
    sc = StreamConvolver(np.ones(96_000), 256, partition="auto")
    assert len(set(sc.partition)) > 2 and sc.partition[0] == 256
    g_uni = [(256, 0, 375)]
    g_auto = stream_mod._groups_for(sc.partition)
    assert stream_mod.partition_cost(g_auto) < stream_mod.partition_cost(g_uni) / 4
    assert set(StreamConvolver(np.ones(96_000), 256, partition="uniform").partition) == {256}


@pytest.mark.parametrize("axis", [0, -1])
def test_multichannel_layouts(axis, rng):
    x = rng.standard_normal((900, 3) if axis == 0 else (3, 900))
    for ir in (rng.standard_normal(70),  # mono IR applied to every channel
               rng.standard_normal((70, 3) if axis == 0 else (3, 70)),  # channel to channel
               rng.standard_normal((70, 1) if axis == 0 else (1, 70))):  # 1-channel IR
        sc = StreamConvolver(ir, 16, channels=3, axis=axis)
        y = _run(sc, x, [10, 16, 40], axis=axis)
        assert_close(y, _offline(x, ir, axis), _tol("float64", x, ir))


@pytest.mark.parametrize("axis", [0, -1])
def test_true_stereo_mixing(axis, rng):
    h = rng.standard_normal((120, 2, 2))  # (time, in, out)
    ir = h if axis == 0 else np.moveaxis(h, 0, -1)
    x = rng.standard_normal((700, 2))
    xa = x if axis == 0 else x.T
    sc = StreamConvolver(ir, 32, axis=axis, partition="nonuniform")
    assert sc.channels == 2 and sc.out_channels == 2
    y = _run(sc, xa, [5, 32, 64, 100], axis=axis)
    want = _offline(x, h, 0)
    assert_close(y if axis == 0 else y.T, want, _tol("float64", x, h))
    # mono in, stereo out: a (time, 1, 2) matrix
    sc = StreamConvolver(h[:, :1, :], 32)
    y = _run(sc, x[:, :1], [50])
    assert_close(y, _offline(x[:, :1], h[:, :1, :], 0), _tol("float64", x, h))


def test_state_round_trip(rng):
    ir, x = rng.standard_normal(2000), rng.standard_normal(5000)
    a = StreamConvolver(ir, 64, partition="nonuniform")
    a.process(x[:1234])
    saved = a.state
    rest_a = np.concatenate([a.process(x[1234:]), a.flush()])
    b = StreamConvolver(ir, 64, partition="nonuniform")
    b.state = saved
    rest_b = np.concatenate([b.process(x[1234:]), b.flush()])
    np.testing.assert_array_equal(rest_a, rest_b)
    # state is a copy: streaming on does not change what was read
    assert int(saved["t"]) == 1234
    c = StreamConvolver(ir, 32)
    with pytest.raises(ValueError, match="state"):
        c.load_state(saved)
    with pytest.raises(ValueError, match="state must be a dict"):
        b.load_state({"t": 1})


def test_reset_and_flush_restart(rng):
    ir, x = rng.standard_normal(300), rng.standard_normal(1000)
    sc = StreamConvolver(ir, 32)
    first = _run(sc, x, [100])
    second = _run(sc, x, [77])  # flush() reset the convolver
    np.testing.assert_allclose(first, second, atol=1e-12)
    sc.process(x[:10])
    sc.reset()
    np.testing.assert_allclose(_run(sc, x, [33]), first, atol=1e-12)
    assert sc.flush().shape == (299,)  # the tail of an empty stream: zeros
    assert StreamConvolver([2.0], 4).flush().shape == (0,)


def test_out_argument_and_no_allocation(rng):
    sc = StreamConvolver(rng.standard_normal(5000), 256, channels=2)
    block = rng.standard_normal((256, 2))
    out = np.empty((256, 2))
    for _ in range(40):  # warm up every stage
        assert sc.process(block, out=out) is out
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        for _ in range(100):
            sc.process(block, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < block.nbytes, f"hot path allocated {peak} bytes"
    with pytest.raises(ValueError, match="out must be an ndarray of shape"):
        sc.process(block, out=np.empty((256, 2), np.float32))


def test_fast_path_uses_fft_not_direct(rng, monkeypatch):
    """Whole aligned blocks never take the direct first-partition sum."""
    ir, x = rng.standard_normal(600), rng.standard_normal(640)
    sc = StreamConvolver(ir, 64)

    def boom(*args, **kwargs):
        raise AssertionError("the direct sum ran on the fast path")

    monkeypatch.setattr(stream_mod, "sliding_window_view", boom)
    y = np.concatenate([sc.process(x[i:i + 64]) for i in range(0, 640, 64)])
    assert_close(y, _offline(x, ir)[:640], _tol("float64", x, ir))
    with pytest.raises(AssertionError, match="direct sum"):
        sc.process(x[:3])  # a short piece does take it


def test_context_manager_closes(rng):
    with StreamConvolver(rng.standard_normal(10), 4) as sc:
        sc.process(np.ones(4))
    with pytest.raises(ValueError, match="closed"):
        sc.process(np.ones(4))


@pytest.mark.parametrize("bad, exc, match", [
    ([], ValueError, "ir must hold at least one sample"),
    ([1.0, np.nan], ValueError, "ir must be finite"),
    ([1.0, np.inf], ValueError, "ir must be finite"),
    ([1j, 1.0], TypeError, "ir must be real"),
    ("abc", TypeError, "ir must be array_like"),
    (np.ones((2, 2, 2, 2)), ValueError, "ir must be 1-D, 2-D or 3-D"),
])
def test_bad_ir(bad, exc, match):
    with pytest.raises(exc, match=match):
        StreamConvolver(bad, 16)


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-4, ValueError), (16.0, TypeError),
                                      (float("nan"), TypeError), ("16", TypeError),
                                      (True, TypeError), (None, TypeError)])
def test_bad_block_size(bad, exc):
    with pytest.raises(exc, match="block_size"):
        StreamConvolver(np.ones(4), bad)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"partition": "fast"}, ValueError, "partition must be one of 'auto'"),
    ({"partition": []}, ValueError, "partition must be one of"),
    ({"partition": [16, 24]}, ValueError, "power of two"),
    ({"partition": [32]}, ValueError, "first partition must have block_size=16"),
    ({"partition": [16, 32]}, ValueError, "must start at a multiple of 32"),
    ({"partition": [16, 16, 32, 16]}, ValueError, "must not decrease"),
    ({"partition": [16, 2.5]}, TypeError, "partition sizes must be integers"),
    ({"dtype": np.int16}, ValueError, "dtype must be float32 or float64"),
    ({"dtype": "complex128"}, ValueError, "dtype must be float32 or float64"),
    ({"axis": 2}, ValueError, "axis must be 0"),
    ({"channels": 0}, ValueError, "channels"),
    ({"channels": 2.0}, TypeError, "channels"),
])
def test_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        StreamConvolver(np.ones(100), 16, **kwargs)


def test_channel_mismatches_list_shapes():
    with pytest.raises(ValueError, match=r"channels=3 does not match ir of shape \(10, 2\)"):
        StreamConvolver(np.ones((10, 2)), 4, channels=3)
    with pytest.raises(ValueError, match=r"channels=1 does not match ir of shape \(10, 2, 2\)"):
        StreamConvolver(np.ones((10, 2, 2)), 4, channels=1)
    sc = StreamConvolver(np.ones((10, 2)), 4)
    with pytest.raises(ValueError, match=r"block must have shape \(frames, 2\).*\(5, 3\)"):
        sc.process(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"block must have shape"):
        sc.process(np.ones(5))
    mono = StreamConvolver(np.ones(10), 4)
    with pytest.raises(ValueError, match=r"block must be 1-D.*\(5, 2\).*channels="):
        mono.process(np.ones((5, 2)))
    with pytest.raises(TypeError, match="block must hold real numbers"):
        mono.process(np.ones(5, complex))


def test_integer_blocks_and_lists_are_accepted():
    sc = StreamConvolver([1.0, 0.5], 4)
    np.testing.assert_allclose(sc.process([1, 2, 3]), [1.0, 2.5, 4.0])
    np.testing.assert_allclose(sc.process(np.array([4], np.int16)), [5.5])
