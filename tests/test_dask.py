"""fftconv.dask: lazy block convolution of dask arrays, against the numpy path.

Most cases run on dask's synchronous scheduler (fast, same graph); one test
runs a batch of them on a 2-worker, 1-thread-each cluster from
``distributed.utils_test`` (worker processes, as in production).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
pytest.importorskip("distributed")

from distributed.utils_test import (  # noqa: E402, F401  (pytest fixtures)
    cleanup,
    client,
    cluster_fixture,
    loop,
    loop_in_thread,
)

import fftconv  # noqa: E402
import fftconv.dask as fdask  # noqa: E402
from fftconv import _signal  # noqa: E402

MODES = ("full", "same", "valid")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _synchronous(request):
    if "client" in request.fixturenames:
        yield
        return
    with dask.config.set(scheduler="synchronous"):
        yield


def _tol(x, h, dtype) -> float:
    """Absolute FFT error bound: k * eps * log2(n) * ||x|| * ||h||."""
    eps = np.finfo(np.result_type(dtype, np.float32)).eps
    n = max(x.size + h.size, 2)
    return 64 * eps * math.log2(n) * np.linalg.norm(x) * np.linalg.norm(h)


def _check(got, want, x, h):
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=0, atol=_tol(x, h, want.dtype))


# (signal length, chunks, kernel length): kernel shorter than, equal to and longer
# than a chunk; uneven chunks with a 2-sample one; a kernel longer than the signal.
CASES_1D = [
    (1000, 250, 31),
    (1000, 100, 100),
    (1000, (90, 333, 2, 400, 175), 57),
    (300, (100, 0, 150, 50), 80),  # an empty chunk
    (1000, 100, 357),  # 4 kernel pieces
    (500, (7, 200, 93, 200), 250),  # pieces longer than some chunks
    (60, 25, 97),  # kernel longer than the signal (valid swaps the roles)
    (1, 1, 1),
]


@pytest.mark.parametrize("fn", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n,chunks,k", CASES_1D)
def test_1d_matches_numpy_path(fn, mode, n, chunks, k):
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    got = getattr(fftconv, fn)(da.from_array(x, chunks=chunks), h, mode)
    assert isinstance(got, da.Array)
    _check(got.compute(), getattr(fftconv, fn)(x, h, mode), x, h)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kshape", [(5, 7), (13, 31), (40, 3)])
def test_2d_image_chunked_in_both_axes(mode, kshape):
    rng = np.random.default_rng(0)
    img, ker = rng.standard_normal((60, 70)), rng.standard_normal(kshape)
    dimg = da.from_array(img, chunks=((15, 30, 15), (20, 20, 25, 5)))
    for fn in ("convolve", "correlate"):
        got = getattr(fftconv, fn)(dimg, ker, mode)
        _check(got.compute(), getattr(fftconv, fn)(img, ker, mode), img, ker)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.int64, np.int16, bool])
def test_dtypes_as_numpy_path(dtype):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "c":
        x = (rng.standard_normal(300) + 1j * rng.standard_normal(300)).astype(dtype)
        h = (rng.standard_normal(45) - 2j * rng.standard_normal(45)).astype(dtype)
    elif np.dtype(dtype).kind in "biu":
        x = rng.integers(0, 2 if dtype is bool else 50, 300).astype(dtype)
        h = rng.integers(0, 2 if dtype is bool else 9, 45).astype(dtype)
    else:
        x, h = rng.standard_normal(300).astype(dtype), rng.standard_normal(45).astype(dtype)
    for mode in MODES:
        for fn in ("convolve", "correlate"):
            got = getattr(fftconv, fn)(da.from_array(x, chunks=(30, 100, 70, 100)), h, mode)
            _check(got.compute(), getattr(fftconv, fn)(x, h, mode), x, h)


def test_dask_kernel_and_numpy_signal():
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(400), rng.standard_normal(150)
    for mode in MODES:
        got = fftconv.convolve(da.from_array(x, chunks=64), da.from_array(h, chunks=40), mode)
        _check(got.compute(), fftconv.convolve(x, h, mode), x, h)
        # the dask array as the *second* argument: in1 (numpy) keeps its role
        got = fftconv.correlate(h, da.from_array(x, chunks=64), mode)
        _check(got.compute(), fftconv.correlate(h, x, mode), x, h)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("hshape,axes", [((1, 31), 1), ((6, 31), -1), ((3, 5), None),
                                         ((6, 1), 0)])
def test_fftconvolve_batched_axes(mode, hshape, axes):
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal((6, 200)), rng.standard_normal(hshape)
    dx = da.from_array(x, chunks=(4, 45))
    got = fdask.fftconvolve(dx, da.from_array(h, chunks=(2, 7)), mode, axes=axes)
    _check(got.compute(), fftconv.fftconvolve(x, h, mode, axes=axes), x, h)


def test_output_chunks_mirror_the_input():
    x = da.zeros(1000, chunks=(300, 300, 400))
    assert fftconv.convolve(x, np.ones(51), "same").chunks == x.chunks
    assert fftconv.convolve(x, np.ones(51), "full").chunks == ((300, 300, 450),)
    assert fftconv.convolve(x, np.ones(501), "full").chunks == ((300, 300, 400, 400, 100),)
    assert fftconv.convolve(x, np.ones(151), "valid").chunks == ((300, 300, 250),)


def test_lazy_never_computes():
    calls = []

    def source(block_info=None):
        calls.append(1)
        raise AssertionError("the library computed its input")

    x = da.map_blocks(source, chunks=((100,) * 5,), dtype=float, meta=np.empty(0))
    h = da.from_delayed(dask.delayed(source)(), shape=(150,), dtype=float)
    for fn in ("convolve", "correlate"):
        for mode in MODES:
            assert isinstance(getattr(fftconv, fn)(x, np.ones(7), mode), da.Array)
            assert isinstance(getattr(fftconv, fn)(x, h, mode), da.Array)
    assert isinstance(fdask.fftconvolve(x, h, axes=0), da.Array)
    assert calls == []


def test_long_kernel_split_into_pieces_not_rechunked(monkeypatch):
    seen = []
    real = _signal.convolve

    def spy(a, b, *args, **kwargs):
        seen.append((a.shape[0], b.shape[0], kwargs["mode"]))
        return real(a, b, *args, **kwargs)

    monkeypatch.setattr(_signal, "convolve", spy)
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(1000), rng.standard_normal(357)
    y = fftconv.convolve(da.from_array(x, chunks=100), h, "same")
    assert not any("rechunk" in name for name in y.dask.layers)
    _check(y.compute(), real(x, h, "same"), x, h)
    assert {m for _, _, m in seen} == {"valid"}
    # every task: one piece of <= 100 taps on at most chunk + piece - 1 samples
    assert max(k for _, k, _ in seen) == 100
    assert max(n for n, _, _ in seen) <= 199


def test_halo_tasks_move_only_the_halo():
    x = da.zeros(10_000, chunks=1000)
    y = fftconv.convolve(x, np.ones(11), "full")
    halo = [k for k in dict(y.dask) if isinstance(k, tuple) and str(k[0]).endswith("-halo")]
    assert len(halo) == 9  # one 10-sample tail per neighbouring chunk


def test_errors_are_the_numpy_path_errors():
    x = da.zeros(10, chunks=5)
    with pytest.raises(ValueError, match="mode='nope'"):
        fftconv.convolve(x, np.ones(3), mode="nope")
    with pytest.raises(ValueError, match="method='fast'"):
        fftconv.correlate(x, np.ones(3), method="fast")
    with pytest.raises(ValueError, match="dimensionality"):
        fftconv.convolve(x, np.ones((3, 3)))
    with pytest.raises(ValueError, match="in2 cannot be empty"):
        fftconv.convolve(x, np.ones(0))
    with pytest.raises(TypeError, match="in2 must"):
        fftconv.convolve(x, "abc")
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        fftconv.convolve(x[x > 0], np.ones(3))
    with pytest.raises(TypeError, match="workers"):
        fftconv.convolve(x, np.ones(3), workers=1.5)


def test_importing_fftconv_does_not_import_dask():
    code = "import sys, fftconv; sys.exit('dask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_on_a_distributed_cluster(client):  # noqa: F811 (pytest fixture)
    """2 worker processes x 1 thread: 1-D and 2-D, every mode, short/long kernels."""
    assert len(client.scheduler_info()["workers"]) == 2
    rng = np.random.default_rng(0)
    jobs, refs = [], []
    for n, chunks, k in [(2000, 500, 101), (2000, (300, 901, 2, 797), 777)]:
        x, h = rng.standard_normal(n), rng.standard_normal(k)
        for mode in MODES:
            for fn in ("convolve", "correlate"):
                ker = da.from_array(h, chunks=200) if fn == "correlate" else h
                jobs.append(getattr(fftconv, fn)(da.from_array(x, chunks=chunks), ker, mode))
                refs.append((getattr(fftconv, fn)(x, h, mode), x, h))
    img = rng.standard_normal((90, 80))
    for kshape in [(7, 9), (41, 33)]:
        ker = rng.standard_normal(kshape)
        for mode in MODES:
            jobs.append(fftconv.convolve(da.from_array(img, chunks=(30, (25, 25, 30))), ker, mode))
            refs.append((fftconv.convolve(img, ker, mode), img, ker))
    got = client.compute(jobs, sync=True)
    for g, (want, x, h) in zip(got, refs, strict=True):
        _check(g, want, x, h)


def test_example_runs_in_small_mode(tmp_path):
    env = dict(os.environ, FFTCONV_EXAMPLE_SMALL="1", FFTCONV_EXAMPLES_OUT=str(tmp_path),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "dask_large_signal.py")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "max |error|" in proc.stdout
    assert any(tmp_path.iterdir())


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolver_accepts_dask_arrays_lazily(mode):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(3000)
    h = rng.standard_normal(101)
    cv = fftconv.Convolver(h, x.shape, mode=mode)
    dx = da.from_array(x, chunks=700)
    y = cv.conv(dx)
    assert isinstance(y, da.Array)
    np.testing.assert_allclose(y.compute(scheduler="synchronous"), cv.conv(x), atol=1e-10)
    batch = rng.standard_normal((4, 3000))
    yb = cv.conv(da.from_array(batch, chunks=(2, 1000)))
    np.testing.assert_allclose(yb.compute(scheduler="synchronous"), cv.conv(batch), atol=1e-10)
    with pytest.raises(ValueError, match="planned"):
        cv.conv(da.zeros(10, chunks=5))
