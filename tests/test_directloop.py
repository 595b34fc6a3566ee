"""The compiled direct 1-D loop (fftconv/_cdirect.c) and its Python wrapper."""

import shutil
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fftconv
from fftconv import _directloop
from fftconv._directloop import compiled_window, np_convolve

needs_compiled = pytest.mark.skipif(not _directloop.COMPILED, reason="built without a C compiler")
MODES = ["full", "same", "valid"]


def _reference(x, h):
    """Full convolution in extended precision, summing only the existing products."""
    x = x.astype(np.longdouble)
    h = h.astype(np.longdouble)
    out = np.zeros(x.size + h.size - 1, np.longdouble)
    for j, c in enumerate(h):
        out[j:j + x.size] += c * x
    return out


def _window(mode, n, k):
    lo, hi = min(n, k), max(n, k)
    if mode == "full":
        return 0, n + k - 1
    if mode == "same":
        return (lo - 1) // 2, (lo - 1) // 2 + hi
    return lo - 1, hi


def _tolerance(x, h, dtype, mode):
    """Error bound of a k-term sum: k * eps * sum |x||h| per output."""
    start, stop = _window(mode, x.size, h.size)
    mags = _reference(abs(x), abs(h))[start:stop].astype(np.float64)
    return 2 * min(x.size, h.size) * np.finfo(dtype).eps * mags + np.finfo(dtype).tiny


def test_compiled_loop_is_built_where_a_compiler_exists():
    if sys.platform != "linux" or shutil.which("cc") is None:
        pytest.skip("no C compiler here")
    assert _directloop.COMPILED, (
        "fftconv/_cdirect.c was not built: install with `pip install -e .` so that the "
        "source tree the tests import carries the compiled module")


@needs_compiled
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n, k", [
    (1, 1), (5, 1), (7, 7), (8, 3), (31, 31), (32, 1), (33, 2), (64, 8), (65, 9),
    (100, 31), (129, 64), (200, 3), (1000, 37), (3, 40), (10, 300), (8192, 5), (9000, 100),
])
def test_matches_reference(n, k, mode, dtype):
    rng = np.random.default_rng(n * 1000 + k)
    x = rng.standard_normal(n).astype(dtype)
    h = rng.standard_normal(k).astype(dtype)
    start, stop = _window(mode, n, k)
    big, small = (x, h) if n >= k else (h, x)
    got = compiled_window(big, small, start, stop)
    assert got.dtype == dtype and got.shape == (stop - start,)
    want = _reference(x, h)[start:stop]
    err = abs(got.astype(np.longdouble) - want).astype(np.float64)
    assert np.all(err <= _tolerance(x, h, dtype, mode)), float(err.max())
    if mode != "same" or n >= k:
        assert np.allclose(np_convolve(x, h, mode), np.convolve(x, h, mode),
                           rtol=0, atol=float(_tolerance(x, h, dtype, mode).max()))


@needs_compiled
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_integer_valued_inputs_are_exact(dtype):
    # sums of small integers are exact in any order: the result is bit-for-bit numpy's
    rng = np.random.default_rng(1)
    x = rng.integers(-50, 50, 5000).astype(dtype)
    h = rng.integers(-50, 50, 45).astype(dtype)
    for mode in MODES:
        np.testing.assert_array_equal(np_convolve(x, h, mode), np.convolve(x, h, mode))


@needs_compiled
def test_nonfinite_footprint_is_numpys():
    # only the existing products are formed: inf in the kernel meets no padding zeros
    x = np.arange(1.0, 201.0)
    x[[0, 57, 58, 199]] = [np.inf, np.nan, -np.inf, np.inf]
    x[100:110] = 0.0
    h = np.ones(20)
    h[[0, 19]] = [np.inf, -np.inf]
    for a, b in ((x, h), (h, x)):
        for mode in MODES:
            if mode == "same" and a.size < b.size:
                continue
            got, want = np_convolve(a, b, mode), np.convolve(a, b, mode)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
            np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    assert fftconv.convolve(np.array([1.0, np.inf] + [1.0] * 30), np.ones(9))[-1] == 1.0


@needs_compiled
def test_awkward_inputs_are_handled_and_not_modified():
    rng = np.random.default_rng(2)
    base = rng.standard_normal(20001)
    h = rng.standard_normal(25)
    want = np.convolve(base[::2], h)
    tol = float(_tolerance(base[::2], h, np.float64, "full").max())
    raw = np.zeros(base[::2].size * 8 + 1, np.uint8)
    unaligned = raw[1:].view(np.float64)
    unaligned[:] = base[::2]
    swapped = base[::2].astype(">f8")
    readonly = base[::2].copy()
    readonly.flags.writeable = False
    for x in (base[::2], unaligned, swapped, readonly):
        before = x.copy()
        np.testing.assert_allclose(np_convolve(x, h, "full"), want, rtol=0, atol=tol)
        np.testing.assert_array_equal(x, before)
    mixed = np_convolve(base[::2].astype(np.float32), h, "full")
    assert mixed.dtype == np.float64
    assert np_convolve(base[::2].astype(np.float32), h.astype(np.float32), "full").dtype \
        == np.float32


@needs_compiled
def test_bad_calls_into_the_module_raise():
    from fftconv import _cdirect

    x, h, y = np.ones(10), np.ones(3), np.empty(12)
    with pytest.raises(ValueError, match="'d', 'f', 'D' or 'F'"):
        _cdirect.convolve("q", x, h, y, 0)
    with pytest.raises(ValueError, match="len"):
        _cdirect.convolve("d", h, x, y, 0)  # kernel longer than the signal
    with pytest.raises(ValueError, match="start"):
        _cdirect.convolve("d", x, h, y, 1)  # window past the end
    with pytest.raises(ValueError, match="whole numbers"):
        _cdirect.convolve("d", x, h, np.empty(3, np.float32), 0)
    with pytest.raises((BufferError, TypeError, ValueError)):
        _cdirect.convolve("d", np.ones(20)[::2], h, y, 0)  # not contiguous
    with pytest.raises(ValueError, match="start"):  # start + len(y) must not wrap around
        _cdirect.convolve("d", x, h, np.empty(40), sys.maxsize)
    with pytest.raises(ValueError, match="start"):
        _cdirect.convolve("d", x, h, np.empty(13), 0)  # longer than the full convolution
    readonly = np.empty(12)
    readonly.flags.writeable = False
    with pytest.raises((BufferError, TypeError)):
        _cdirect.convolve("d", x, h, readonly, 0)


@needs_compiled
def test_threads_run_concurrently_with_correct_results():
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal(200_000) for _ in range(4)]
    h = rng.standard_normal(31)
    results = [None] * 4

    def work(i):
        results[i] = np_convolve(xs[i], h, "same")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for x, got in zip(xs, results):
        np.testing.assert_allclose(got, np.convolve(x, h, "same"), rtol=0, atol=1e-11)


def test_without_the_compiled_module_numpy_serves(monkeypatch):
    monkeypatch.setattr(_directloop, "_cdirect", None)
    monkeypatch.setattr(_directloop, "COMPILED", False)
    x, h = np.arange(20000.0), np.arange(31.0)
    np.testing.assert_array_equal(np_convolve(x, h, "valid"), np.convolve(x, h, "valid"))
    assert compiled_window(x, h, 0, 10) is None
    assert not _directloop.uses_compiled(20000, 31, np.float64)


def test_compiled_loop_is_used_where_the_model_says():
    # complex: the compiled complex loop at every size (numpy's is 1.5-20x slower)
    assert _directloop.uses_compiled(10**6, 31, np.complex128) == _directloop.COMPILED
    assert _directloop.uses_compiled(200, 5, np.complex64) == _directloop.COMPILED
    assert not _directloop.uses_compiled(10**6, 31, np.clongdouble)
    assert not _directloop.uses_compiled(100, 3, np.float64)  # numpy's call is cheaper
    if _directloop.COMPILED:
        assert _directloop.uses_compiled(10**6, 31, np.float64)
        assert _directloop.uses_compiled(1000, 31, np.float32)
        assert fftconv.plan(10**6, 31).method == "direct"


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), k=st.integers(1, 300), mode=st.sampled_from(MODES),
       single=st.booleans(), seed=st.integers(0, 2**16), which=st.sampled_from("xhb"))
def test_property_complex_against_numpy(n, k, mode, single, seed, which):
    """The complex 1-D loop (tiles of 16/32 outputs, edges, either input real)."""
    dtype = np.complex64 if single else np.complex128
    part = np.float32 if single else np.float64
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(part)
    h = rng.standard_normal(k).astype(part)
    if which in "xb":
        x = x + 1j * rng.standard_normal(n).astype(part)
    if which in "hb":
        h = h + 1j * rng.standard_normal(k).astype(part)
    x0, h0 = x.copy(), h.copy()
    want = np.convolve(x.astype(np.complex128), h.astype(np.complex128), mode)
    if mode == "same" and n < k:
        return  # numpy centres differently; the callers never ask
    got = np_convolve(x, h, mode)
    assert got.dtype == np.result_type(x, h) == np.dtype(dtype)
    tol = 4 * min(n, k) * np.finfo(part).eps * np.convolve(abs(x), abs(h), mode) \
        + np.finfo(part).tiny
    assert np.all(np.abs(got - want) <= tol)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(h, h0)


@needs_compiled
@pytest.mark.parametrize("threads", [2, 3])
def test_complex_1d_split_gives_the_same_bits(threads, monkeypatch):
    # cut on the complex loop's tiles (16/32 outputs), as many pieces as threads
    monkeypatch.setattr(_directloop, "split_parts", lambda t, *a: t)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300_001) + 1j * rng.standard_normal(300_001)
    h = rng.standard_normal(31) + 1j * rng.standard_normal(31)
    one = compiled_window(x, h, 5, 300_020, threads=1)
    np.testing.assert_array_equal(compiled_window(x, h, 5, 300_020, threads=threads), one)
    want = np.convolve(x, h)[5:300_020]
    assert np.abs(one - want).max() <= 1e-12 * np.abs(want).max()


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), k=st.integers(1, 300), mode=st.sampled_from(MODES),
       single=st.booleans(), seed=st.integers(0, 2**16))
def test_property_against_numpy(n, k, mode, single, seed):
    dtype = np.float32 if single else np.float64
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    h = rng.standard_normal(k).astype(dtype)
    start, stop = _window(mode, n, k)
    big, small = (x, h) if n >= k else (h, x)
    got = compiled_window(big, small, start, stop)
    err = abs(got.astype(np.longdouble) - _reference(x, h)[start:stop]).astype(np.float64)
    assert np.all(err <= _tolerance(x, h, dtype, mode))


def test_the_model_scales_with_the_kernel_the_processor_runs(monkeypatch):
    from fftconv import _calibration, _costs

    if _directloop.COMPILED:
        assert _directloop.ISA in _directloop.ISA_FACTOR
    monkeypatch.setattr(_calibration, "direct_scale", lambda dtype, threads=1, dims=1: None)
    base = _costs.direct_loop_time(10**6, 31, np.float64, scale=1.0) - 2e-6
    for cpu in (("GenuineIntel", "6"), ("AuthenticAMD", "25")):
        monkeypatch.setattr(_directloop, "_cpu", lambda cpu=cpu: cpu)
        zen4 = _directloop.ZEN4_FACTOR[1] if cpu[0] == "AuthenticAMD" else 1.0
        for isa, factor in (("x86-64-v4", zen4), ("x86-64-v3", 1.3), ("baseline", 1.85)):
            monkeypatch.setattr(_directloop, "ISA", isa)
            assert _costs.direct_loop_time(10**6, 31, np.float64) - 2e-6 == pytest.approx(
                base * factor)
    monkeypatch.setattr(_directloop, "ISA", "x86-64-v4")  # (the AMD cpu still patched in)
    assert _directloop.isa_factor(2) == _directloop.ZEN4_FACTOR[2]


def test_cpu_identification_never_fails():
    vendor, family = _directloop._cpu()
    assert isinstance(vendor, str) and isinstance(family, str)
    assert _directloop.isa_factor(1) >= 1.0 and _directloop.isa_factor(2) >= 1.0


@needs_compiled
def test_the_loop_runs_exactly_where_the_model_says(monkeypatch):
    from fftconv import _cdirect, _direct

    calls = []
    real = _cdirect.convolve
    monkeypatch.setattr(_cdirect, "convolve", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(4)
    types = [np.float64, np.float32, np.int16, np.int64, np.bool_, np.complex128]
    for t1 in types:
        for t2 in types:
            for n, k in ((20000, 48), (3000, 5), (10000, 3), (2048, 512), (500, 40)):
                x = (rng.standard_normal(n) * 3).astype(t1)
                h = (rng.standard_normal(k) * 3).astype(t2)
                dtype = np.result_type(x, h)
                want = _directloop.uses_compiled(n, k, dtype)
                for run, args in ((np_convolve, (x, h, "full")),
                                  (_direct.convolve_window, (x, h, [(0, n + k - 1)]))):
                    calls.clear()
                    out = run(*args)
                    assert bool(calls) == want, (t1, t2, n, k)
                    assert out.dtype == np.convolve(x[:4], h[:2]).dtype
                    ref = np.convolve(x, h)
                    tol = 0 if dtype.kind in "iub" else 64 * k * np.finfo(dtype).eps * (
                        np.convolve(abs(x).astype(float), abs(h).astype(float)).max())
                    assert np.allclose(out, ref, rtol=0, atol=tol)


@needs_compiled
def test_long_kernels_stay_on_numpy_and_edges_are_exact():
    # kernels longer than a quarter of the signal: numpy's dot products are as fast
    assert not _directloop.uses_compiled(8192, 8192, np.float64)
    assert not _directloop.uses_compiled(2048, 512 + 1, np.float64)
    # the loop's edges (tap by tap) on windows that start and stop inside them
    rng = np.random.default_rng(5)
    x = rng.integers(-9, 9, 700).astype(np.float64)
    h = rng.integers(-9, 9, 300).astype(np.float64)
    full = np.convolve(x, h)
    for start, stop in ((0, 999), (0, 5), (3, 298), (250, 450), (299, 401), (690, 999),
                        (998, 999), (400, 400)):
        np.testing.assert_array_equal(compiled_window(x, h, start, stop), full[start:stop])


# ------------------------------------------------------------------ the 2-D loop
def _reference_2d(x, h):
    x = x.astype(np.longdouble)
    out = np.zeros((x.shape[0] + h.shape[0] - 1, x.shape[1] + h.shape[1] - 1), np.longdouble)
    for (a, b), c in np.ndenumerate(h.astype(np.longdouble)):
        out[a:a + x.shape[0], b:b + x.shape[1]] += c * x
    return out


@needs_compiled
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kshape", [
    ((1, 1), (1, 1)), ((5, 7), (2, 3)), ((1, 100), (1, 9)), ((40, 70), (3, 3)),
    ((33, 130), (9, 9)), ((12, 12), (12, 12)), ((64, 65), (1, 1)), ((50, 40), (7, 40)),
    ((70, 20), (31, 4)),
])
def test_2d_matches_reference_on_every_window(shape, kshape, dtype):
    from fftconv._directloop import compiled_window_2d

    rng = np.random.default_rng(sum(shape) * 100 + sum(kshape))
    x = rng.standard_normal(shape).astype(dtype)
    h = rng.standard_normal(kshape).astype(dtype)
    full = _reference_2d(x, h)
    mags = _reference_2d(abs(x), abs(h)).astype(np.float64)
    tol = 2 * h.size * np.finfo(dtype).eps * mags + np.finfo(dtype).tiny
    F0, F1 = full.shape
    windows = [((0, F0), (0, F1)),
               (((kshape[0] - 1) // 2, (kshape[0] - 1) // 2 + shape[0]),
                ((kshape[1] - 1) // 2, (kshape[1] - 1) // 2 + shape[1])),
               ((kshape[0] - 1, shape[0]), (kshape[1] - 1, shape[1])),
               ((F0 - 1, F0), (0, 1)), ((0, 2), (F1 - 3, F1)), ((1, F0 - 1), (2, F1 - 1))]
    for w in windows:
        if any(e <= s or s < 0 or e > f for (s, e), f in zip(w, (F0, F1))):
            continue
        got = compiled_window_2d(x, h, w)
        sl = tuple(slice(s, e) for s, e in w)
        assert got.dtype == dtype and got.shape == full[sl].shape
        err = abs(got.astype(np.longdouble) - full[sl]).astype(np.float64)
        assert np.all(err <= tol[sl]), (w, float(err.max()))


@needs_compiled
def test_2d_integer_valued_exact_and_nonfinite_footprint():
    import scipy.signal

    from fftconv._direct import faithful_window
    from fftconv._directloop import compiled_window_2d

    rng = np.random.default_rng(6)
    x = rng.integers(-20, 20, (60, 90)).astype(np.float64)
    h = rng.integers(-5, 5, (5, 7)).astype(np.float64)
    w = [(0, 64), (0, 96)]
    np.testing.assert_array_equal(compiled_window_2d(x, h, w), scipy.signal.convolve2d(x, h))
    x[[0, 30, 59], [0, 45, 89]] = [np.inf, np.nan, -np.inf]
    x[10:20, 10:20] = 0.0
    h[0, 0], h[4, 6] = np.inf, -np.inf
    for win in (w, [(2, 62), (3, 93)], [(4, 60), (6, 90)]):
        got, want = compiled_window_2d(x, h, win), faithful_window(x, h, win)
        for test in (np.isnan, np.isposinf, np.isneginf):
            np.testing.assert_array_equal(test(got), test(want))


def _windows_2d(shape, kshape):
    F0, F1 = shape[0] + kshape[0] - 1, shape[1] + kshape[1] - 1
    return [((0, F0), (0, F1)),
            (((kshape[0] - 1) // 2, (kshape[0] - 1) // 2 + shape[0]),
             ((kshape[1] - 1) // 2, (kshape[1] - 1) // 2 + shape[1])),
            ((kshape[0] - 1, shape[0]), (kshape[1] - 1, shape[1])),
            ((F0 - 3, F0), (1, F1 - 2)), ((1, F0 - 1), (2, F1 - 1))]


@needs_compiled
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("which", ["both", "x", "h"])
@pytest.mark.parametrize("shape, kshape", [((60, 90), (3, 3)), ((23, 90), (7, 5)),
                                           ((200, 200), (1, 1)), ((9, 300), (9, 2)),
                                           ((15, 69), (1, 6)), ((5, 7), (3, 7)),
                                           ((40, 23), (34, 2)), ((3, 3), (3, 3)),
                                           ((11, 17), (11, 17)), ((64, 100), (4, 33))])
def test_2d_complex_loop_matches_reference(shape, kshape, dtype, which):
    """Complex windows on the complex loop (tiles of 16/32 outputs, edges, rows
    narrower than a tile), a real input cast to complex, on 1 and 2 threads."""
    from fftconv._directloop import compiled_window_2d

    rng = np.random.default_rng(sum(shape) + 10 * sum(kshape))
    part = np.dtype(dtype).char.lower()
    x = rng.standard_normal(shape).astype(part)
    h = rng.standard_normal(kshape).astype(part)
    if which in ("both", "x"):
        x = x + 1j * rng.standard_normal(shape).astype(part)
    if which in ("both", "h"):
        h = h + 1j * rng.standard_normal(kshape).astype(part)
    x0, h0 = x.copy(), h.copy()
    xr, xi, hr, hi = x.real, np.imag(x), h.real, np.imag(h)
    full_re = _reference_2d(xr, hr) - _reference_2d(xi, hi)
    full_im = _reference_2d(xr, hi) + _reference_2d(xi, hr)
    mags = _reference_2d(abs(x), abs(h)).astype(np.float64)
    tol = 4 * h.size * np.finfo(dtype).eps * mags + np.finfo(part).tiny
    for w in _windows_2d(shape, kshape):
        if any(e <= s for s, e in w):
            continue
        sl = tuple(slice(s, e) for s, e in w)
        for threads in (1, 2):
            got = compiled_window_2d(x, h, w, threads=threads)
            assert got.dtype == np.result_type(x, h) and got.shape == full_re[sl].shape
            err = np.hypot((got.real - full_re[sl]).astype(np.float64),
                           (got.imag - full_im[sl]).astype(np.float64))
            assert np.all(err <= 2 * tol[sl]), (w, float(err.max()))
    for a, b in ((x, h), (h, x)):  # either order, the larger input is the image
        got = compiled_window_2d(a, b, _windows_2d(shape, kshape)[0])
        assert np.all(np.hypot(got.real - full_re, got.imag - full_im) <= 2 * tol)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(h, h0)


@needs_compiled
def test_2d_complex_loop_nonfinite_lands_where_the_sum_puts_it():
    from fftconv._direct import faithful_window
    from fftconv._directloop import compiled_window_2d

    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 70)) + 1j * rng.standard_normal((40, 70))
    h = rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))
    x[3, 50], x[20, 10], x[39, 69] = np.nan, complex(np.inf, 0), complex(0, -np.inf)
    h[2, 3] = complex(np.nan, 1)
    x[10:20, 30:40] = 0
    for win in _windows_2d(x.shape, h.shape):
        got, want = compiled_window_2d(x, h, win), faithful_window(x, h, win)
        np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))


def test_2d_complex_uses_the_loop():
    # the complex loop beats scipy's on every size measured (5x7 * 3x7: 1.9 against
    # 7 us; 15x69 * 1x6: 4 against 21; 1024x1024 * 3x3: 3.4-3.9 against 29 ms)
    for shapes in [((9, 16), (7, 4)), ((40, 23), (34, 2)), ((64, 64), (3, 3)), ((5, 7), (3, 7))]:
        assert _directloop.uses_compiled_2d(*shapes, np.complex128) == _directloop.COMPILED
    assert _directloop.uses_compiled_2d((512, 512), (9, 9), np.complex64) == _directloop.COMPILED
    assert not _directloop.uses_compiled_2d((512, 512), (9, 9), np.clongdouble)


@needs_compiled
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.uint64, np.bool_])
def test_2d_integers_run_exactly_in_float64_and_wrap_like_numpy(dtype):
    import scipy.signal

    from fftconv._direct import faithful_window
    from fftconv._directloop import compiled_window_2d

    rng = np.random.default_rng(np.dtype(dtype).num)
    info = np.iinfo(dtype) if np.dtype(dtype).kind != "b" else None
    lo, hi = (0, 2) if info is None else (max(info.min, -2**31), min(info.max, 2**31 - 1))
    x = rng.integers(lo, hi, (30, 50), endpoint=True).astype(dtype)
    h = rng.integers(0 if info is None else max(info.min, -3), 2 if info is None else 4,
                     (5, 4), endpoint=True).astype(dtype)
    for w in _windows_2d(x.shape, h.shape):
        got = compiled_window_2d(x, h, w)
        want = faithful_window(x, h, w)  # numpy's own integer arithmetic, wrapping
        assert got.dtype == want.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)
    if dtype in (np.int32, np.int64):
        np.testing.assert_array_equal(compiled_window_2d(x, h, _windows_2d(x.shape, h.shape)[0]),
                                      scipy.signal.convolve2d(x, h))


@needs_compiled
def test_2d_integers_too_large_for_float64_fall_back_exactly():
    from fftconv._directloop import compiled_window_2d

    x = np.full((10, 10), 2**40 + 1, np.int64)
    h = np.full((3, 3), 2**20 + 1, np.int64)
    assert compiled_window_2d(x, h, [(0, 12), (0, 12)]) is None  # max|x| sum|h| > 2**53
    want = np.zeros((12, 12), np.int64)
    for (a, b), c in np.ndenumerate(h):
        want[a:a + 10, b:b + 10] += c * x
    np.testing.assert_array_equal(fftconv.convolve(x, h, method="direct"), want)
    np.testing.assert_array_equal(fftconv.convolve(x, h), want)


@needs_compiled
def test_2d_bad_calls_into_the_module_raise():
    from fftconv import _cdirect

    x, h, y = np.ones((10, 8)), np.ones((3, 3)), np.empty((12, 10))
    _cdirect.convolve2d("d", x, h, y, 8, 3, 10, 0, 0)  # the valid call
    with pytest.raises(ValueError, match="row lengths"):
        _cdirect.convolve2d("d", x, h, y, 7, 3, 10, 0, 0)
    with pytest.raises(ValueError, match="row lengths"):
        _cdirect.convolve2d("d", x, h, y, 8, 0, 10, 0, 0)
    with pytest.raises(ValueError, match="kernel no larger"):
        _cdirect.convolve2d("d", h, x, y, 3, 8, 10, 0, 0)
    with pytest.raises(ValueError, match="windows inside"):
        _cdirect.convolve2d("d", x, h, y, 8, 3, 10, 1, 0)
    with pytest.raises(ValueError, match="windows inside"):
        _cdirect.convolve2d("d", x, h, np.empty((1, 10)), 8, 3, 10, sys.maxsize, 0)
    with pytest.raises(ValueError, match="'d', 'f', 'D' or 'F'"):
        _cdirect.convolve2d("x", x, h, y, 8, 3, 10, 0, 0)


@needs_compiled
@pytest.mark.parametrize("mode", MODES)
def test_2d_public_paths_match_scipy_and_keep_inputs(mode, monkeypatch):
    import scipy.signal

    from fftconv import _cdirect

    calls = []
    real = _cdirect.convolve2d
    monkeypatch.setattr(_cdirect, "convolve2d", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(7)
    base = rng.standard_normal((300, 260))
    h = rng.standard_normal((3, 3))
    for x in (base, base[::-1, ::2], base.astype(">f8"), base.astype(np.float32)):
        before = x.copy()
        for method in ("auto", "direct"):
            calls.clear()
            got = fftconv.convolve(x, h, mode=mode, method=method)
            want = scipy.signal.convolve(x.astype(np.float64), h, mode=mode, method="direct")
            assert calls, (x.dtype, method)  # 3x3 runs on the loop
            assert got.dtype == np.result_type(x, h) and got.shape == want.shape
            eps = np.finfo(got.dtype).eps
            np.testing.assert_allclose(got, want, rtol=0, atol=40 * eps * abs(want).max())
        np.testing.assert_array_equal(x, before)
    assert fftconv.plan((1024, 1024), (3, 3), mode="same").method == "direct"


@pytest.mark.parametrize("shape_x, shape_h, want", [
    ((6, 7, 8), (3, 1, 1), (1, (6, 56))),    # axis 0: rows, the rest columns
    ((6, 7, 8), (1, 1, 4), (1, (42, 8))),    # the last axis: columns, the rest rows
    ((6, 7, 8), (1, 3, 4), (6, (7, 8))),     # the last two: one problem per leading index
    ((5, 6, 7, 8), (1, 2, 1, 1), (5, (6, 56))),
    ((6, 7, 8), (2, 3, 1), None),            # two axes then a batch axis: ndimage serves
    ((6, 7, 8), (2, 1, 3), None),
    ((6, 7), (2, 3), None),                  # 2-D is the loop's own
])
def test_squeeze_2d_layouts(shape_x, shape_h, want):
    windows = [(0, n + k - 1) for n, k in zip(shape_x, shape_h)]
    got = _directloop.squeeze_2d(shape_x, shape_h, windows)
    assert (got if got is None else (got[0], got[1])) == want


@needs_compiled
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128", "int32", "uint8"])
@pytest.mark.parametrize("shape_x, shape_h", [
    ((30, 40, 50), (5, 1, 1)), ((20, 30, 70), (1, 1, 9)), ((12, 40, 60), (1, 3, 4)),
    ((4, 5, 60, 70), (1, 1, 3, 3)), ((40, 6, 7), (40, 1, 1)),
])
def test_nd_batches_of_2d_problems_match_the_direct_sum(shape_x, shape_h, dtype):
    from fftconv._direct import faithful_window
    from fftconv._directloop import compiled_window_nd

    rng = np.random.default_rng(sum(shape_x) + sum(shape_h))
    x = (rng.standard_normal(shape_x) * 20).astype(dtype)
    h = (rng.standard_normal(shape_h) * 3).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape_x)
        h = h + 1j * rng.standard_normal(shape_h)
    nd = len(shape_x)
    full = [(0, n + k - 1) for n, k in zip(shape_x, shape_h)]
    same = [((k - 1) // 2, (k - 1) // 2 + n) for n, k in zip(shape_x, shape_h)]
    valid = [(k - 1, n) for n, k in zip(shape_x, shape_h)]
    x0 = x.copy()
    for w in (full, same, valid):
        got = compiled_window_nd(x, h, w, threads=2)
        if np.dtype(dtype).kind == "c" and got is None:  # small complex: scipy's loop
            continue
        want = faithful_window(x, h, w)
        assert got.dtype == want.dtype and got.shape == want.shape
        if np.dtype(dtype).kind in "iu":
            np.testing.assert_array_equal(got, want)  # exact, wrapping like numpy
        else:
            tol = 4 * h.size * np.finfo(dtype).eps * faithful_window(abs(x), abs(h), w)
            assert np.all(abs(got - want) <= tol + np.finfo(dtype).tiny)
    np.testing.assert_array_equal(x, x0)
    assert nd == len(shape_h)


@needs_compiled
def test_nd_time_smoothing_takes_the_loop_and_keeps_nan_local():
    """(T, H, W) * (k, 1, 1): auto picks the direct engine, which forms the plain sum."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((60, 32, 32)).astype(np.float32)
    h = np.full((9, 1, 1), 1 / 9, np.float32)
    assert fftconv.plan(x.shape, h.shape, dtype=x.dtype, mode="same").method == "direct"
    assert _directloop.plain_sum(x, h)
    x[30, 5, 7] = np.nan
    y = fftconv.convolve(x, h, "same")
    assert np.isnan(y[26:35, 5, 7]).all() and np.isnan(y).sum() == 9


@needs_compiled
def test_integers_at_exactly_2_to_53_are_not_rounded():
    """2**53 + 1 rounds to 2**53 in float64: a bound of 2**53 is already too large."""
    x = np.ones((6, 6), np.int64)
    h = np.array([[2**53 + 1]], np.int64)
    for got in (fftconv.convolve(x, h, method="direct"), fftconv.convolve(x, h),
                fftconv.convolve2d(x, h), fftconv.convolve(x[None], h[None], method="direct")):
        assert int(got.ravel()[0]) == 2**53 + 1


def test_many_tiny_slices_stay_on_ndimage():
    """One Python call per 2-D problem: thousands of 4x4 slices are not batched."""
    full = [(0, 4000), (0, 6), (0, 6)]
    assert _directloop.squeeze_2d((4000, 4, 4), (1, 3, 3), full) is None
    assert _directloop.squeeze_2d((20, 40, 40), (1, 3, 3), [(0, 20), (0, 42), (0, 42)])[0] == 20
    assert _directloop.squeeze_2d((6, 40, 40), (1, 3, 3), [(0, 6), (0, 42), (0, 42)])[0] == 6
