"""The strategy layer: pinned decisions, calibration cache, measure=True, plans, fast paths."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.fft
import scipy.signal

import fftconv
from fftconv import (
    _calibration,
    _costs,
    _directloop,
    _dispatch,
    _halfblocks,
    _measure,
    _separable,
    _strategy,
)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path))
    _calibration.forget()
    _measure.forget()
    yield
    _calibration.forget()
    _measure.forget()


# ------------------------------------------------------------------ pinned decisions
# A regression in the cost model shows up here. Shapes are chosen far from the
# crossovers, so the decisions hold on any machine the shipped ladder describes.
@pytest.mark.parametrize(
    ("s1", "s2", "mode", "method"),
    [
        ((1000,), (3,), "full", "direct"),  # tiny kernel
        ((100_000,), (5,), "same", "direct"),
        ((4_000_000,), (4_000,), "full", "oa"),  # long signal x mid kernel
        ((1_000_000,), (301,), "same", "oa"),
        ((200_000,), (200_000,), "full", "fft"),  # equal long sizes
        ((1_000_000,), (500_000,), "full", "fft"),
        ((32, 32), (3, 3), "same", "direct"),  # small image, small kernel
        # the compiled 2-D loop (~1 ms); strips beat ndimage where it is not built
        ((1024, 1024), (3, 3), "same", "direct" if _directloop.COMPILED else "oa"),
        ((1024, 1024), (15, 15), "same", "oa"),  # strips
        ((1024, 1024), (31, 31), "same", "oa"),  # strips / tiles / blocks
        ((300, 300), (300, 300), "full", "fft"),
    ],
)
def test_pinned_decisions(s1, s2, mode, method):
    assert fftconv.plan(s1, s2, mode=mode).method == method


@pytest.mark.parametrize("k", [15, 31, 101])
def test_images_run_in_strips(k):
    p = fftconv.plan((1024, 1024), (k, k), mode="same")
    assert p.method == "oa" and "strips" in p.params
    T0, P1 = p.params["strips"]
    assert T0 >= 2 * k and 1024 + (k - 1) // 2 <= P1 < 1024 + k + 256


def test_choose_conv_method_matches_plan_and_scipy_names():
    x, h = np.ones(100_000), np.ones(10_000)
    assert fftconv.choose_conv_method(x, h) == fftconv.plan(x.shape, h.shape).method
    assert fftconv.choose_conv_method(np.ones(10), np.ones(3)) in ("direct", "fft", "oa")


def test_integers_beyond_the_exact_bound_go_direct():
    big = np.full(50_000, 2**40, dtype=np.int64)
    assert fftconv.choose_conv_method(big, big[:5000]) == "direct"
    small = np.ones(50_000, dtype=np.int64)
    assert fftconv.choose_conv_method(small, small[:5000]) in ("fft", "oa")


def test_object_and_longdouble_are_direct():
    from fractions import Fraction

    x = np.array([Fraction(1, 3)] * 3000, dtype=object)
    assert fftconv.choose_conv_method(x, x) == "direct"
    p = fftconv.plan(50_000, 5_000, dtype=np.longdouble)
    if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps:
        assert p.method == "direct"
        assert "long double" in p.reason


def test_tiny_1d_problems_are_direct():
    # short kernels and tiny problems: numpy.convolve beats any FFT set-up
    for n in (1, 7, 100, 1000, 5000, 10**6):
        for k in (1, 2, 3, 8):
            if k <= n:
                assert fftconv.plan(n, k).method == "direct", (n, k)
    for n, k in ((200, 200), (100, 400), (50, 50)):
        assert fftconv.plan(n, k).method == "direct", (n, k)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_small_1d_follows_the_model(mode):
    # the direct fallback answers exactly where the model says 'direct'
    rng = np.random.default_rng(0)
    for n, k in ((1000, 3), (1000, 301), (30, 2000), (400, 400)):
        x, h = rng.standard_normal(n), rng.standard_normal(k)
        out = _dispatch._small_1d(x, h, mode, "auto")
        if mode == "same" and n < k:
            assert out is None
            continue
        s1, s2 = ((k,), (n,)) if mode == "valid" and n < k else ((n,), (k,))
        w = _dispatch._windows(mode, s1, s2, (0,), 1)
        direct = _strategy.choose(s1, s2, [0], w, dtype=np.float64).method == "direct"
        assert (out is not None) == direct, (n, k)
        if out is not None:  # the compiled loop sums in another order than numpy
            bound = np.convolve(abs(x), abs(h), mode) * min(n, k) * np.finfo(float).eps
            np.testing.assert_array_less(abs(out - np.convolve(x, h, mode)), bound + 1e-300)


def test_fast_path_results_match_scipy():
    rng = np.random.default_rng(0)
    for n, k in ((10, 3), (3, 10), (50, 50), (1, 1)):
        x, h = rng.standard_normal(n), rng.standard_normal(k)
        for mode in ("full", "same", "valid"):
            want = scipy.signal.convolve(x, h, mode=mode)
            got = fftconv.convolve(x, h, mode=mode)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
            assert got.dtype == want.dtype


# ------------------------------------------------------------------ plan / explain
def test_plan_reports_every_candidate_and_a_reason():
    p = fftconv.plan(4_000_000, 4_000)
    assert set(p.predicted) == {"direct", "fft", "oa"}
    assert p.method == min(p.predicted, key=p.predicted.get)
    assert p.params["block"] >= 2 * 4000
    text = repr(p)
    assert "oa" in text and "why:" in text and "ms" in text
    assert "faster" in p.reason


def test_plan_validates():
    with pytest.raises(ValueError, match="in1_shape"):
        fftconv.plan((0,), (3,))
    with pytest.raises(ValueError, match="mode"):
        fftconv.plan(10, 3, mode="sideways")
    with pytest.raises(ValueError, match="dimensionality"):
        fftconv.plan((10, 10), (3,))


def test_plan_with_axes_uses_fft_engines():
    p = fftconv.plan((8, 100_000), (1, 1000), axes=1)
    assert p.method in ("fft", "oa")
    assert "direct" not in p.predicted


def test_cli_plan_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "fftconv.cli", "plan", "4000000", "4000"],
                         capture_output=True, text=True, check=True)
    assert "ConvPlan" in out.stdout and "'oa'" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "fftconv.cli", "plan", "abc", "4"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "error" in bad.stderr


# ------------------------------------------------------------------ block sizes
def test_oa_block_size_is_fftw_friendly_and_beats_neighbours():
    for k in (3, 31, 301, 3001):
        L = _strategy.oa_block_size(k, 4_000_000, dtype=np.float64)
        assert L >= 2 * k
        assert L % 16 == 0 or L < 64
        c = _strategy.oa_cost(k, L, 4_000_000, np.float64)
        for other in (L // 2, 2 * L):
            if other > k:
                assert c <= _strategy.oa_cost(k, other, 4_000_000, np.float64) + 1e-12


def test_single_precision_prefers_powers_of_two_below_2_19():
    # measured: FFTW_ESTIMATE's float32 powers of two are the fast plans up to
    # 2**18 points, the slow ones from 2**20 (as float64's are from 8192) --
    # for full-length transforms (complex64 blocks; float32 on half-length ones below)
    for lean in (False, True):
        L64 = _strategy.oa_block_size(3001, 4_000_000, dtype=np.complex64, lean=lean)
        assert L64 & (L64 - 1) == 0, L64
    assert _strategy.good_size(31_000, real=True, dtype=np.float32) == 2**15
    assert _strategy.good_size(31_000, real=True, dtype=np.float64) < 2**15
    big = _strategy.good_size(2_000_000, real=True, dtype=np.float32)
    assert big & (big - 1) != 0, big


@pytest.mark.skipif(not _halfblocks.AVAILABLE, reason="needs the compiled _chalf pass")
def test_half_length_float32_blocks_take_smooth_lengths_in_their_range():
    # half-length complex transforms (fftconv._halfblocks): smooth lengths of
    # 2**14 .. 2**17 measured 0.79-1.10x the power-of-two rate (4e6 x 30001:
    # 120000 and 144000 0.54x and 0.48x of float64, 131072 0.62x)
    lo, hi = _costs.HALF_SMOOTH_FAST
    for k in (3001, 10001, 30001):
        for lean in (False, True):  # the general engine's 1-D float32 blocks too
            L = _strategy.oa_block_size(k, 4_000_000, dtype=np.float32, lean=lean)
            assert L % 2 == 0 and (L & (L - 1) != 0) == (lo < L <= hi), (k, L, lean)
    assert _strategy.oa_block_size(30001, 4_000_000, dtype=np.float32, lean=True) != 2**17


def test_good_size_is_smooth_and_large_enough():
    for n in (17, 1000, 1023, 1025, 78_000, 999_999):
        g = _strategy.good_size(n, real=True)
        assert g >= n
        m = g
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        assert m == 1


# ------------------------------------------------------------------ calibration
def test_calibrate_stores_and_is_used(tmp_path):
    table = fftconv.calibrate(save=True, budget=0.1)
    assert sorted(table) == ["cfft32", "cfft64", "rfft32", "rfft64"]
    assert all(len(v) == len(_strategy.LADDER) for v in table.values())
    files = list(tmp_path.glob("calibration-t1.json"))
    assert files, "calibration file not written"
    data = json.loads(files[0].read_text())
    assert data["machine"] == _calibration.machine_key()
    _calibration.forget()
    assert _calibration.table(1) == data["fft_ns"]
    # the model now reads the calibrated ladder
    assert _strategy.fft_time(2**14, np.float64) == pytest.approx(
        data["fft_ns"]["rfft64"][_strategy.LADDER.index(2**14)] * 1e-9)


@pytest.mark.parametrize("content", [
    "{ not json",
    json.dumps({"format": 1, "machine": "someone-else", "fft_ns": {}}),
    json.dumps({"format": 1, "machine": "X", "fft_ns": {"rfft64": [1, 2]}}),
    "",
])
def test_corrupt_or_foreign_calibration_is_ignored_with_a_warning(tmp_path, content):
    if '"X"' in content:
        content = content.replace('"X"', json.dumps(_calibration.machine_key()))
    (tmp_path / "calibration-t1.json").write_text(content)
    with pytest.warns(RuntimeWarning, match="calibration"):
        assert _calibration.table(1) is None
    # shipped defaults still serve
    assert fftconv.plan(4_000_000, 4_000).method == "oa"
    # and a new calibration replaces the bad file
    fftconv.calibrate(budget=0.05)
    _calibration.forget()
    assert _calibration.table(1) is not None


def test_persistence_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_PERSIST", "0")
    fftconv.calibrate(budget=0.05)
    assert not list(tmp_path.iterdir())


def test_unwritable_cache_dir_warns_but_calibrates(tmp_path, monkeypatch):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(target / "sub"))
    with pytest.warns(RuntimeWarning, match="could not write"):
        table = fftconv.calibrate(budget=0.05)
    assert table


# ------------------------------------------------------------------ measure=True
def test_measure_times_every_engine_and_remembers_the_winner(monkeypatch):
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(20_000), rng.standard_normal(200)
    best, times = fftconv.choose_conv_method(x, h, measure=True)
    assert best == min(times, key=times.get)
    assert set(times) >= {"direct", "fft"}
    assert _measure.remembered(x.shape, h.shape, x.dtype, "full") == best
    # auto now runs the measured winner: make the others raise to prove it
    calls = []
    real = _dispatch._run

    def spy(method, *a, **k):
        calls.append(method)
        return real(method, *a, **k)

    monkeypatch.setattr(_dispatch, "_run", spy)
    y = fftconv.convolve(x, h)
    assert calls == [best]
    np.testing.assert_allclose(y, np.convolve(x, h), atol=1e-10)


# ------------------------------------------------------------------ separable, N-D
def _gauss2d(k):
    r = np.arange(k) - (k - 1) / 2
    g = np.exp(-0.5 * (r / (k / 6)) ** 2)
    return np.outer(g / g.sum(), g / g.sum())


def test_rank1_detection():
    assert _separable.rank1_factors(_gauss2d(9)) is not None
    assert _separable.rank1_factors(np.ones((3, 5))) is not None
    rng = np.random.default_rng(0)
    assert _separable.rank1_factors(rng.standard_normal((5, 5))) is None
    assert _separable.rank1_factors(np.zeros((3, 3))) is None
    assert _separable.rank1_factors(np.ones((1, 5))) is None  # already 1-D


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("k", [9, 31])
def test_separable_path_matches_scipy(mode, k, monkeypatch):
    rng = np.random.default_rng(0)
    img = rng.standard_normal((300, 280))
    g = _gauss2d(k)
    used = []
    real = _separable._separable

    def spy(*a, **kw):
        r = real(*a, **kw)
        if r is not None:
            used.append(True)
        return r

    monkeypatch.setattr(_separable, "_separable", spy)
    # the two passes must win wherever the kernel is rank 1 (here the model may
    # prefer strips: the path, not the choice, is under test)
    monkeypatch.setattr(_separable, "_separable_cost", lambda *a: 0.0)
    _dispatch._SMALL_ND.clear()
    got = fftconv.convolve(img, g, mode=mode)
    assert used, "rank-1 kernel not detected"
    np.testing.assert_allclose(got, scipy.signal.fftconvolve(img, g, mode=mode),
                               atol=1e-12)


def test_separable_chosen_where_it_wins():
    # 1024x1024 'same' with a 9x9 Gaussian: two 1-D passes predicted (and measured)
    # faster than the 2-D loop; its values are checked only then
    img = np.zeros((1024, 1024))
    g = _gauss2d(9)
    decision, auto = _dispatch._decide(img, g, "same", "auto", 1, np.dtype("f8"), None)
    cost, sep_cost = decision[5], decision[6]
    assert auto and sep_cost * _strategy.MARGIN < cost
    assert _separable.rank1_factors(np.random.default_rng(0).standard_normal((9, 9))) is None


@pytest.mark.parametrize("tiles", [{0: 32, 1: 16}, {0: 64, 1: 64}])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_tiled_overlap_save(tiles, mode):
    from fftconv import _overlap

    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((101, 97)), rng.standard_normal((9, 7))
    w = _dispatch._windows(mode, x.shape, h.shape, [0, 1], 2)
    got = _overlap.convolve_window(x, h, [0, 1], w, work_dtype=np.dtype(np.float64),
                                   workers=1, tiles=tiles)
    np.testing.assert_allclose(got, scipy.signal.convolve(x, h, mode=mode, method="direct"),
                               atol=1e-12)


@pytest.mark.parametrize("axes", [[0], [0, 1], [1, 0], [0, 2]])
@pytest.mark.parametrize("func", [fftconv.fftconvolve, fftconv.oaconvolve])
def test_non_last_axes_are_transposed_correctly(axes, func):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((60, 12, 7))
    h = rng.standard_normal(tuple(min(9, x.shape[a]) if a in axes else 1 for a in range(3)))
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(func(x, h, mode=mode, axes=axes),
                                   scipy.signal.fftconvolve(x, h, mode=mode, axes=axes),
                                   atol=1e-11)


# ------------------------------------------------------------------ memory
def test_auto_avoids_an_engine_that_does_not_fit(monkeypatch):
    monkeypatch.setattr(_strategy, "available_memory", lambda: 300 * 2**20)
    p = fftconv.plan(4_000_000, 3_000_000)
    assert p.method != "fft"
    assert "MiB available" in p.reason
    monkeypatch.setattr(_strategy, "available_memory", lambda: 64 * 2**30)
    assert fftconv.plan(4_000_000, 3_000_000).method == "fft"


def test_memory_error_before_allocating_when_the_output_cannot_fit(monkeypatch):
    monkeypatch.setattr(_strategy, "available_memory", lambda: 100 * 2**20)
    x = np.broadcast_to(np.float64(1), (20_000_000,))  # no memory behind it
    with pytest.raises(MemoryError, match=r"\(20000000,\).*MiB available"):
        fftconv.convolve(x, np.ones(3), method="fft")
    with pytest.raises(MemoryError, match="MiB"):
        fftconv.fftconvolve(x, np.ones(3))
    with pytest.raises(MemoryError):
        fftconv.plan(20_000_000, 3)


def test_memory_limit_environment_variable(monkeypatch):
    monkeypatch.setenv("FFTCONV_MEMORY_LIMIT", "12345678")
    assert _strategy.available_memory() == 12345678


def test_overflowing_shapes_raise_value_error():
    x = np.broadcast_to(np.zeros((), np.int8), (2**21, 2**21, 2**20))  # no memory behind
    with pytest.raises(ValueError, match="too large"):
        fftconv.convolve(x, x)


@pytest.mark.parametrize("func", [fftconv.fftconvolve, fftconv.oaconvolve])
def test_nonfinite_stays_local_with_batched_axes(func):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 400))
    x[1, 100] = np.nan
    x[2, 300] = np.inf
    h = rng.standard_normal((1, 21))
    y = func(x, h, axes=1)
    assert np.isfinite(y[0]).all()
    assert np.isnan(y[1, 100:121]).all() and np.isfinite(np.delete(y[1], range(100, 121))).all()
    assert not np.isfinite(y[2, 300:321]).all()
    assert np.isfinite(np.delete(y[2], range(300, 321))).all()
    fin = np.isfinite(y)
    clean = scipy.signal.fftconvolve(np.nan_to_num(x, posinf=0), h, axes=1)
    np.testing.assert_allclose(y[fin], clean[fin], atol=1e-10)


@pytest.mark.parametrize("tiles", [{0: 16, 2: 16}, {1: 16, 2: 8}, {0: 16, 1: 16, 2: 16}])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_tiled_overlap_save_3d(tiles, mode, dtype):
    from fftconv import _overlap

    rng = np.random.default_rng(4)
    x = rng.standard_normal((23, 19, 21)).astype(dtype)
    h = rng.standard_normal((5, 3, 4)).astype(dtype)
    w = _dispatch._windows(mode, x.shape, h.shape, [0, 1, 2], 3)
    got = _overlap.convolve_window(x, h, [0, 1, 2], w, work_dtype=np.dtype(dtype), workers=1,
                                   tiles=tiles)
    np.testing.assert_allclose(got, scipy.signal.convolve(x, h, mode=mode, method="direct"),
                               atol=1e-11)


# ------------------------------------------- plan() names the engine convolve runs


@pytest.mark.parametrize(("s1", "s2", "mode"), [
    ((835, 1), (25, 19), "full"), ((405, 6), (1, 16), "full"), ((32, 15, 45), (1, 9, 8), "valid"),
    ((300, 1), (40, 1), "same"), ((1, 500), (7, 1), "full"),
])
def test_plan_and_choose_name_the_engine_convolve_runs(s1, s2, mode):
    """Axes where one input has length 1 need no transform: plan() prices them as convolve does."""
    from unittest import mock

    import fftconv._dispatch as dispatch
    import fftconv._fastnd as fastnd

    rng = np.random.default_rng(0)
    x, h = rng.standard_normal(s1), rng.standard_normal(s2)
    with (mock.patch.object(dispatch, "_run", wraps=dispatch._run) as run,
          mock.patch.object(_separable, "_separable", return_value=None),
          mock.patch.object(fastnd, "MAX_POINTS", 0),  # one FFT: not on a cached job
          mock.patch.object(fastnd, "MAX_POINTS_STRIDED", 0)):
        fftconv.convolve(x, h, mode)
    used = run.call_args_list[0].args[0]
    assert fftconv.plan(s1, s2, mode=mode).method == used
    assert fftconv.choose_conv_method(x, h, mode) == used


def test_plan_with_axes_checks_shapes_like_fftconvolve():
    with pytest.raises(ValueError, match="incompatible shapes"):
        fftconv.fftconvolve(np.ones((10, 10)), np.ones((3, 3)), axes=[1])
    with pytest.raises(ValueError, match="incompatible shapes"):
        fftconv.plan((10, 10), (3, 3), axes=[1])
    p = fftconv.plan((3, 40), (1, 7), axes=1)
    assert p.method in ("fft", "oa")


def test_nd_fft_sizes_minimise_the_whole_transform():
    """Per-axis sizes are chosen together: 136 is not rounded up to 256 on every axis."""
    from fftconv._strategy import fft_sizes

    assert fft_sizes((128, 128, 16), (9, 9, 3), [0, 1, 2], real=True, dtype=np.float32) == [
        144, 144, 18]
    assert fft_sizes((1000,), (1000,), [0], real=True) == [fftconv._strategy.good_size(
        1999, real=True)]
    for fs in (fft_sizes((40, 50, 60), (7, 9, 11), [0, 1, 2], real=False, dtype=np.complex64),
               fft_sizes((300, 300), (300, 300), [0, 1], real=True)):
        assert all(scipy.fft.next_fast_len(s) == s for s in fs)


def test_tiles_prefer_lengths_that_are_multiples_of_16():
    """Short 3-smooth tile axes (36, 54) run 1.5-3x the ladder's rate in N-D transforms."""
    p = fftconv.plan((300, 400, 20), (11, 11, 5), mode="same")
    assert p.method == "oa" and "tiles" in p.params
    assert all(L % 16 == 0 for L in p.params["tiles"].values())


def test_complex_nd_direct_is_priced_per_real_pass():
    """ndimage runs complex N-D inputs as four real passes, output work included; the
    compiled complex loop (batches of 2-D problems) costs 1.8x the real loop."""
    from fftconv import _costs

    p = fftconv.plan((12, 36, 42), (2, 1, 5), dtype=np.complex128)  # ndimage's layout
    assert p.method == "fft"  # measured: fft 0.27 ms, direct 0.55-0.68 ms
    assert fftconv.plan((33, 7), (3, 3), dtype=np.complex128).method == "direct"
    w = [(0, 12), (0, 36), (0, 46)]
    complex_t = _costs.direct_time((12, 36, 42), (1, 1, 5), w, np.complex128)
    real_t = _costs.direct_time((12, 36, 42), (1, 1, 5), w, np.float64)
    assert 1.5 * real_t < complex_t < 2.5 * real_t


def test_plan_with_axes_names_what_fftconvolve_runs():
    from fftconv import _fast1d

    assert fftconv.plan((5, 1), (5, 1), axes=1).method == "fft"  # a product, priced as an FFT
    for n, k in [(5000, 512), (5000, 1000), (100_000, 301)]:
        fftconv.fftconvolve(np.ones(n), np.ones(k))
        job = _fast1d._decisions[(n, k, "full", "d", "d", 1, fftconv.get_planner(), "fftoa",
                                  None)][0]
        want = {"_FFTJob": "fft", "_OAJob": "oa"}[job.__name__]
        assert fftconv.plan((n,), (k,), axes=0).method == want


@pytest.mark.parametrize("axes", [1, np.int64(1), np.array(1), [1], (np.int32(1),)])
def test_plan_of_a_broadcast_product_takes_any_axes_spelling(axes):
    assert fftconv.plan((3, 5), (3, 1), axes=axes).method == "fft"


def test_complex_1d_decisions():
    # measured 2026-12-05: 2e5 * 96 complex64 direct 2.1 ms, overlap-save 0.76 ms (the
    # model priced complex64 blocks 1.3-2x too high before); 2e5 * 8 direct 0.22 ms
    # against 0.79; complex128 2e5 * 192 direct 6.4 ms against 1.4
    same = lambda n, k: [((k - 1) // 2, (k - 1) // 2 + n)]  # noqa: E731
    pick = lambda n, k, dt: _strategy.choose(  # noqa: E731
        (n,), (k,), [0], same(n, k), dtype=np.dtype(dt), threads=1).method
    assert pick(200_000, 96, np.complex64) == "oa"
    assert pick(200_000, 192, np.complex128) == "oa"
    if _directloop.COMPILED:
        assert pick(200_000, 8, np.complex64) == "direct"
        assert pick(200_000, 8, np.complex128) == "direct"
