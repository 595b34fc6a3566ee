"""float32 overlap-save on half-length complex transforms (fftconv._halfblocks, _chalf.c)."""

from __future__ import annotations

import numpy as np
import pytest
from reference import assert_close, ref_convolve, tolerance

import fftconv
from fftconv import _fast1d, _halfblocks, _plans

pytestmark = pytest.mark.skipif(not (_plans.fftw_available() and _halfblocks.AVAILABLE),
                                reason="needs pyfftw and the compiled _chalf pass")


def _maps(h, L):
    """P, Q of _chalf.c's header, in complex128 (numpy's rfft, no shortcuts)."""
    n = L // 2
    H = np.fft.rfft(h.astype(np.float64), L) / n
    k = np.arange(n)
    w = np.exp(-2j * np.pi * k / L)
    a, b = (1 - 1j * w) / 2, (1 + 1j * w) / 2
    c, d = (1 + 1j * np.conj(w)) / 2, (1 - 1j * np.conj(w)) / 2
    Hm = np.conj(H[n - k])
    return c * a * H[k] + d * b * Hm, c * b * H[k] + d * a * Hm


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 100, 1025])
def test_pair_matches_its_formula(n, rng):
    # n below, at and around the vector width (8 complex numbers), odd and even
    rows = 3
    z = (rng.standard_normal((rows, n)) + 1j * rng.standard_normal((rows, n))).astype(np.complex64)
    p = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    q = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    z0 = z.copy()
    u = np.full_like(z, np.nan)
    _halfblocks._chalf.pair(z, u, p, q, n)
    zc = z.astype(np.complex128)
    want = p * zc + q * np.conj(zc[:, (-np.arange(n)) % n])
    assert np.array_equal(z, z0)
    np.testing.assert_allclose(u, want, rtol=0, atol=8 * np.finfo(np.float32).eps
                               * (np.abs(p) + np.abs(q)).max() * np.abs(z).max())


@pytest.mark.parametrize("L", [16, 18, 64, 1000, 4096])
def test_coefficients_and_one_block(L, rng):
    h = rng.standard_normal(L // 3 + 1)
    spectral = _halfblocks.Spectral(L)
    H = (np.fft.rfft(h, L) * spectral.kernel_scale).astype(np.complex64)
    spectral.set_spectrum(H)
    P, Q = _maps(h, L)
    scale = np.abs(H).max() * 4 * np.finfo(np.float32).eps
    np.testing.assert_allclose(spectral.P, P, rtol=0, atol=scale)
    np.testing.assert_allclose(spectral.Q, Q, rtol=0, atol=scale)
    # one block through the transforms: its circular convolution with h
    x = rng.standard_normal((2, L)).astype(np.float32)
    blocks = _halfblocks.Blocks(2, L, [1, 2], _fast1d._fftw, "estimate")
    got = blocks.run(x, spectral)
    want = np.fft.irfft(np.fft.rfft(x.astype(np.float64)) * np.fft.rfft(h, L), L)
    tol = tolerance(np.float32, L, x[0], h)
    assert_close(got[0], want[0], tol)
    assert_close(got[1], want[1], tol)
    assert_close(blocks.run(x[1:], spectral), want[1:], tol)


def test_pair_rejects_bad_buffers():
    z = np.zeros((2, 8), np.complex64)
    p = np.zeros(8, np.complex64)
    with pytest.raises(ValueError, match="must not overlap"):
        _halfblocks._chalf.pair(z, z, p, p, 8)
    u = np.zeros((2, 8), np.complex64)
    with pytest.raises(ValueError, match="must not overlap"):
        _halfblocks._chalf.pair(z, u, u[0], p, 8)
    with pytest.raises(ValueError, match="must not overlap"):
        _halfblocks._chalf.pair(z, u, p, u[1], 8)
    with pytest.raises(ValueError, match="u must hold"):
        _halfblocks._chalf.pair(z, np.zeros((1, 8), np.complex64), p, p, 8)
    with pytest.raises(ValueError, match="p must hold"):
        _halfblocks._chalf.pair(z, z.copy(), p[:4], p, 8)
    with pytest.raises(ValueError, match="positive"):
        _halfblocks._chalf.pair(z, z.copy(), p, p, 0)
    with pytest.raises(ValueError, match="h must hold"):
        _halfblocks._chalf.coefficients(p, np.zeros(8, np.complex128), p, p)
    h = np.zeros(9, np.complex64)
    with pytest.raises(ValueError, match="must not overlap"):
        _halfblocks._chalf.coefficients(h, np.zeros(8, np.complex128), h[:8], p)


def _no_real_blocks(*args, **kwargs):
    raise AssertionError("float32 blocks took the r2c plans")


@pytest.mark.parametrize("shapes", [(100, 7), (3001, 41), (41, 3001), (10_000, 301),
                                    (65_537, 3001), (150_000, 9_000)])
def test_float32_overlap_save_matches_reference(shapes, rng, monkeypatch):
    monkeypatch.setattr(_fast1d._OAJob, "_real_blocks", _no_real_blocks)
    _fast1d.forget()
    x = rng.standard_normal(shapes[0]).astype(np.float32)
    h = rng.standard_normal(shapes[1]).astype(np.float32)
    x0, h0 = x.copy(), h.copy()
    # the direct sum in float64 (numpy's compiled loop: the long cases in a second)
    full = np.convolve(x.astype(np.float64), h.astype(np.float64))
    n, k = shapes
    lo = (k - 1) // 2  # 'same': centred on in1, as scipy
    want = {"full": full, "same": full[lo:lo + n],
            "valid": full[min(n, k) - 1:max(n, k)]}
    for mode in ("full", "same", "valid"):
        got = fftconv.convolve(x, h, mode, method="oa")
        assert_close(got, want[mode], tolerance(np.float32, n + k, x, h), dtype=np.float32)
    assert np.array_equal(x, x0) and np.array_equal(h, h0)


@pytest.mark.parametrize("block", [16, 18, 64, 100, 256, 1000])
def test_forced_blocks(block, rng):
    # even lengths only (odd ones keep the r2c plans), down to the smallest
    x, h = rng.standard_normal(3001).astype(np.float32), rng.standard_normal(9).astype(np.float32)
    for mode in ("full", "same", "valid"):
        got = _fast1d.convolve(x, h, mode, "oa", block=block)
        assert_close(got, ref_convolve(x, h, mode), tolerance(np.float32, 3010, x, h),
                     dtype=np.float32)


def test_unaligned_and_strided_inputs(rng, monkeypatch):
    monkeypatch.setattr(_fast1d._OAJob, "_real_blocks", _no_real_blocks)
    base = rng.standard_normal(20_003).astype(np.float32)
    h = rng.standard_normal(513).astype(np.float32)
    for x in (base[1:], base[3:-1], base[::2]):  # 4 bytes off, 12 bytes off, a stride
        got = fftconv.convolve(x, h, method="oa")
        assert_close(got, ref_convolve(x, h), tolerance(np.float32, x.size + 513, x, h))


def test_same_bits_as_the_r2c_plans_within_rounding(rng, monkeypatch):
    # the compiled pass missing (a build without a C compiler): the r2c plans serve
    x = rng.standard_normal(50_000).astype(np.float32)
    h = rng.standard_normal(1001).astype(np.float32)
    half = fftconv.convolve(x, h, method="oa")
    monkeypatch.setattr(_halfblocks, "AVAILABLE", False)
    _fast1d.forget()
    fftconv.clear_cache()
    r2c = fftconv.convolve(x, h, method="oa")
    assert r2c.dtype == half.dtype == np.float32
    tol = tolerance(np.float32, 51_001, x, h)
    assert_close(half, r2c, 2 * tol)
    assert_close(r2c, ref_convolve(x, h), tol)


def test_non_finite_inputs_take_the_careful_path(rng):
    x = rng.standard_normal(20_000).astype(np.float32)
    h = rng.standard_normal(301).astype(np.float32)
    x[5000] = np.nan
    got = fftconv.convolve(x, h, method="oa")
    want = ref_convolve(x, h)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    fin = np.isfinite(want)
    assert_close(got[fin], want[fin], tolerance(np.float32, 20_301, np.nan_to_num(x), h))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("shape", [(20_011,), (1, 20_011)])
@pytest.mark.parametrize("k", [5, 301, 2999])
def test_general_block_engine(shape, k, workers, rng, monkeypatch):
    # the general (memory-lean) engine takes the same blocks for 1-D float32
    from fftconv import _overlap

    calls = []
    real = _halfblocks.transform
    monkeypatch.setattr(_halfblocks, "transform", lambda *a: calls.append(1) or real(*a))
    x = rng.standard_normal(shape).astype(np.float32)
    h = rng.standard_normal(shape[:-1] + (k,)).astype(np.float32)
    n = shape[-1]
    full = np.convolve(x.reshape(-1).astype(np.float64), h.reshape(-1).astype(np.float64))
    lead = [(0, 1)] * (len(shape) - 1)
    for w in [(0, n + k - 1), ((k - 1) // 2, (k - 1) // 2 + n), (k - 1, n)]:
        got = _overlap.convolve_window(x, h, [len(shape) - 1], lead + [w], workers=workers,
                                       work_dtype=np.dtype(np.float32))
        assert got.shape == shape[:-1] + (w[1] - w[0],) and got.dtype == np.float32
        assert_close(got.reshape(-1), full[w[0]:w[1]], tolerance(np.float32, n + k, x, h))
    assert calls


def test_general_engine_keeps_r2c_plans_for_batches_of_signals(rng, monkeypatch):
    from fftconv import _overlap

    monkeypatch.setattr(_halfblocks, "transform", _no_real_blocks)
    x = rng.standard_normal((2, 5000)).astype(np.float32)
    h = rng.standard_normal((1, 301)).astype(np.float32)
    got = _overlap.convolve_window(x, h, [1], [(0, 2), (0, 5300)], workers=1,
                                   work_dtype=np.dtype(np.float32))
    assert_close(got, ref_convolve(x, h, axes=[1]), tolerance(np.float32, 5301, x, h))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolver_long_float32_blocks(mode, rng, monkeypatch):
    # a Convolver's float32 blocks of any length run on the lean job's half-length
    # transforms (as priced), not one r2c block at a time
    monkeypatch.setattr(_fast1d._OAJob, "_real_blocks", _no_real_blocks)
    h = rng.standard_normal(10_001).astype(np.float32)
    c = fftconv.Convolver(h, 100_000, mode=mode, method="oa")
    assert c._oa_job is not None and c._oa_job.half is not None
    x = rng.standard_normal((2, 100_000)).astype(np.float32)
    got = c(x)
    lo = {"full": 0, "same": 5000, "valid": 10_000}[mode]
    for i in range(2):
        full = np.convolve(x[i].astype(np.float64), h.astype(np.float64))  # the direct sum
        want = full[lo:lo + got.shape[1]]
        assert got.shape[1] == {"full": 110_000, "same": 100_000, "valid": 90_000}[mode]
        assert_close(got[i], want, tolerance(np.float32, 110_001, x[i], h), dtype=np.float32)
