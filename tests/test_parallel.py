"""workers > 1: engines split their output over threads (fftconv._parallel).

Each split engine must give *the same bits* as one thread (every block and
every tile of the compiled loop is computed as on one thread) and match the
naive reference. Small inputs reach the split paths here by lowering the
work threshold and claiming four cores, so the tests also run on one core.
"""

from __future__ import annotations

import warnings
from unittest import mock

import numpy as np
import pytest
from conftest import make_array
from hypothesis import assume, given
from hypothesis import strategies as st
from reference import assert_close, ref_convolve, tolerance

import fftconv
from fftconv import _directloop, _fast1d, _parallel, _strategy


@pytest.fixture
def split_everything(monkeypatch):
    """Split any work, over up to four threads; count the tasks of each split."""
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_SECONDS", 0.0)
    monkeypatch.setattr(_directloop, "SPLIT_MIN_MACS", 0)
    monkeypatch.setattr(_parallel, "cores", lambda: 4)
    calls: list[int] = []
    real_run = _parallel.run

    def counting_run(tasks):
        calls.append(len(tasks))
        return real_run(tasks)

    monkeypatch.setattr(_parallel, "run", counting_run)
    _strategy._reset()
    _fast1d.forget()
    yield calls
    _strategy._reset()
    _fast1d.forget()


# --------------------------------------------------------------------- helpers


@pytest.mark.parametrize("total,parts", [(10, 3), (1, 4), (7, 7), (100, 1), (5, 9), (0, 2)])
def test_chunks_cover_the_range_in_order(total, parts):
    cs = _parallel.chunks(total, parts)
    assert [a for a, _ in cs[1:]] == [b for _, b in cs[:-1]]  # contiguous
    assert (cs[0][0], cs[-1][1]) == (0, total) if total else cs == []
    assert all(b > a for a, b in cs) and len(cs) <= parts


@pytest.mark.parametrize("align,first", [(32, 0), (32, 30), (64, 5), (32, 1000)])
def test_chunks_cut_on_the_alignment(align, first):
    cs = _parallel.chunks(997, 3, align=align, first=first)
    assert all((a - first) % align == 0 for a, _ in cs[1:])
    assert (cs[0][0], cs[-1][1]) == (0, 997)


def test_run_runs_every_task_and_reraises():
    done = []

    def fail():
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        _parallel.run([lambda: done.append(1), fail, lambda: done.append(3)])
    assert sorted(done) == [1, 3]  # the others still ran to the end
    _parallel.run([lambda: done.append(4)])
    _parallel.run([])  # an empty output window: nothing to do
    assert done[-1] == 4


def test_small_work_stays_on_one_thread():
    assert _parallel.parts(8, 1e-5) == 1
    assert _parallel.parts(1, 10.0) == 1
    assert _parallel.parts(8, 10.0, units=1) == 1  # one piece: nothing to split
    assert _parallel.split_time(1e-5, 8) == 1e-5
    big = 1.0
    assert _parallel.split_time(big, 2) < big or _parallel.cores() == 1


def test_split_price_is_continuous_and_never_falls_with_work(monkeypatch):
    monkeypatch.setattr(_parallel, "cores", lambda: 4)
    t = _parallel.MIN_PARALLEL_SECONDS
    grid = [t * f for f in (0.5, 0.99, 1.0, 1.01, 1.5, 3.0, 10.0)]
    for threads, units in ((2, None), (4, None), (4, 3), (4, 5)):
        prices = [_parallel.split_time(s, threads, units) for s in grid]
        assert prices == sorted(prices)  # more work never costs less
        assert _parallel.split_time(t * 1.0001, threads, units) == pytest.approx(t, rel=1e-3)
    assert _parallel.parts(4, 1.0, units=3) == 3
    # 5 pieces on 4 threads: the busiest takes 2, so no better than 2.5 threads
    assert _parallel.split_time(1.0, 4, 5) > _parallel.split_time(1.0, 4, 4)


# --------------------------------------------------------------------- engines


def _same_as_one_thread(x, h, mode="full", **kw):
    one = fftconv.convolve(x, h, mode, workers=1, **kw)
    many = fftconv.convolve(x, h, mode, workers=4, **kw)
    assert many.dtype == one.dtype
    np.testing.assert_array_equal(many, one)  # the same bits
    return many


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,k", [(5000, 31), (9001, 7), (3000, 200), (31, 5000)])
def test_compiled_direct_loop_split(split_everything, make, dtype, mode, n, k):
    x, h = make(n, dtype), make(k, dtype)
    got = _same_as_one_thread(x, h, mode, method="direct")
    if got.size >= 256:  # (shorter outputs are cut only on tile boundaries: one chunk)
        assert max(split_everything) > 1
    assert_close(got, ref_convolve(x, h, mode), tolerance(dtype, max(n, k), x, h))


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_lean_overlap_save_split(split_everything, make, dtype, mode):
    x, h = make(100_000, dtype), make(301, dtype)  # several batches of blocks
    got = _same_as_one_thread(x, h, mode, method="oa")
    assert max(split_everything) > 1
    assert_close(got, ref_convolve(x, h, mode), tolerance(dtype, 100_000, x, h))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_general_overlap_save_split(split_everything, make, monkeypatch, mode):
    # batched 1-D along the last axis: the general block engine (not the lean path)
    x, h = make((3, 40_000)), make((1, 101))
    got = _same_as_one_thread(x, h, mode, method="oa")
    assert max(split_everything) > 1
    assert_close(got, ref_convolve(x, h, mode), tolerance("float64", 40_000, x, h))


def test_short_kernels_stay_on_one_thread(split_everything, make):
    # memory-bound: a second thread streams no faster
    x, h = make(9001), make(3)
    _same_as_one_thread(x, h, method="direct")
    assert max(split_everything, default=1) == 1


def test_compiled_2d_loop_split(split_everything, make):
    img, ker = make((90, 70), "float32"), make((5, 7), "float32")
    for mode in ("full", "same", "valid"):
        got = _same_as_one_thread(img, ker, mode, method="direct")
        assert_close(got, ref_convolve(img, ker, mode), tolerance("float32", 90, img, ker))
    assert max(split_everything) > 1


def test_split_keeps_the_nonfinite_footprint_without_warnings(split_everything, make):
    x, h = make(100_000), make(301)
    x[7000] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a worker thread
        got = fftconv.convolve(x, h, method="oa", workers=4)
    assert np.isnan(got[7000:7301]).all()
    assert np.isfinite(got[:7000]).all() and np.isfinite(got[7301:]).all()


def test_threads_change_the_plan_only_where_splitting_pays():
    # a second thread speeds the blocks up, never a one-thread FFT of 2**17 points
    p1 = fftconv.plan(100_000, 3001)
    p2 = fftconv.plan(100_000, 3001, workers=2)
    assert p1.method == "oa"
    assert p2.method == "oa" or _parallel.cores() == 1
    assert p2.predicted["oa"] <= p1.predicted["oa"]
    assert p2.predicted["fft"] == pytest.approx(p1.predicted["fft"])  # below THREADS_MIN_SIZE


@pytest.mark.parametrize("windows", [[(0, 87), (0, 79)], [(3, 83), (4, 74)], [(7, 80), (9, 70)]])
def test_strip_engine_split(split_everything, make, windows):
    from fftconv import _strips

    img, ker = make((80, 70)), make((8, 10))
    kw = {"work_dtype": np.float64, "strips": (16, 96)}
    one = _strips.convolve_window(img, ker, [0, 1], windows, workers=1, **kw)
    for _ in range(2):  # a second call reuses the job's buffers
        many = _strips.convolve_window(img, ker, [0, 1], windows, workers=4, **kw)
        np.testing.assert_array_equal(many, one)
    assert max(split_everything) > 1
    (r0, r1), (c0, c1) = windows
    want = ref_convolve(img, ker)[r0:r1, c0:c1]
    assert_close(many, want, tolerance("float64", 96, img, ker))
    bad = img.copy()
    bad[40, 5] = np.inf
    assert _strips.convolve_window(bad, ker, [0, 1], windows, workers=4,
                                   detect_nonfinite=True, **kw) is None
    np.testing.assert_array_equal(  # and the next call is clean again
        _strips.convolve_window(img, ker, [0, 1], windows, workers=4, **kw), one)


def test_strips_stay_the_choice_with_threads():
    # the strip engine splits too, so a second thread no longer drives 2-D 'same' off it
    p1 = fftconv.plan((1024, 1024), (101, 101), mode="same")
    p2 = fftconv.plan((1024, 1024), (101, 101), mode="same", workers=2)
    assert "strips" in p1.params
    assert "strips" in p2.params and p2.params["strips"] == p1.params["strips"]


@pytest.mark.parametrize("mode", ["full", "same"])
def test_tile_engine_split(split_everything, make, mode):
    from fftconv import _overlap

    x, h = make((60, 50, 4)), make((7, 9, 3))
    s1, s2 = x.shape, h.shape
    ref = ref_convolve(x, h, mode)
    if mode == "full":
        windows = [(0, a + b - 1) for a, b in zip(s1, s2)]
    else:
        windows = [((b - 1) // 2, (b - 1) // 2 + a) for a, b in zip(s1, s2)]
    kw = {"work_dtype": np.float64, "tiles": {0: 32, 1: 32}}
    one = _overlap.convolve_window(x, h, [0, 1, 2], windows, workers=1, **kw)
    many = _overlap.convolve_window(x, h, [0, 1, 2], windows, workers=4, **kw)
    np.testing.assert_array_equal(many, one)
    assert max(split_everything) > 1
    assert_close(many, ref, tolerance("float64", 64, x, h))


def test_tiles_chosen_for_one_thread():
    s1, s2, w = (300, 400, 20), (11, 11, 5), [(5, 305), (5, 405), (2, 22)]
    t1 = _strategy.tile_plan(s1, s2, [0, 1, 2], w, dtype=np.float64)
    t2 = _strategy.tile_plan(s1, s2, [0, 1, 2], w, dtype=np.float64, threads=2)
    assert t1[0] == t2[0] and t2[1] <= t1[1]


def test_split_without_pyfftw(split_everything, make, monkeypatch):
    # the scipy.fft fallback plans: one per thread as well
    from fftconv import _plans

    monkeypatch.setattr(_plans, "HAVE_PYFFTW", False)
    monkeypatch.setattr(_plans, "_warned_fallback", True)
    _plans.clear_cache()
    x, h = make((3, 40_000)), make((1, 101))
    got = _same_as_one_thread(x, h, method="oa")
    assert max(split_everything) > 1
    assert_close(got, ref_convolve(x, h), tolerance("float64", 40_000, x, h))
    img, ker = make((300, 280)), make((31, 31))
    got = _same_as_one_thread(img, ker, "same", method="oa")
    assert_close(got, ref_convolve(img, ker, "same"), tolerance("float64", 330, img, ker))
    _plans.clear_cache()


def test_plan_says_what_threads_do():
    if _parallel.cores() < 2:
        pytest.skip("one core: no split to explain")
    assert "split over 2 threads" in fftconv.plan(4_000_000, 4000, workers=2).reason
    assert "would not speed it up" in fftconv.plan(1000, 31, workers=2).reason
    assert "threads" not in fftconv.plan(4_000_000, 4000).reason


@pytest.mark.parametrize("method", ["direct"])
def test_convolver_split(split_everything, make, method):
    # (its overlap-save runs one block per transform, on one thread: measured faster)
    x, h = make((3, 50_000)), make(31)
    one = fftconv.Convolver(h, 50_000, method=method, mode="same", workers=1)
    many = fftconv.Convolver(h, 50_000, method=method, mode="same", workers=4)
    got = many(x)
    np.testing.assert_array_equal(got, one(x))  # the same bits
    np.testing.assert_array_equal(many(x[0]), got[0])  # one signal, and again
    assert max(split_everything) > 1
    assert_close(got[1], ref_convolve(x[1], h, "same"), tolerance("float64", 50_000, x[1], h))


@st.composite
def _split_problems(draw):
    ndim = draw(st.integers(1, 2))
    if ndim == 1:
        s1 = (draw(st.integers(1, 6000)),)
        s2 = (draw(st.integers(1, 400)),)
    else:
        s1 = tuple(draw(st.integers(1, 120)) for _ in range(2))
        s2 = tuple(draw(st.integers(1, 24)) for _ in range(2))
    if draw(st.booleans()):
        s1, s2 = s2, s1  # the kernel longer than the signal
    dtype = draw(st.sampled_from(["float32", "float64", "complex128"]))
    return (s1, s2, dtype, draw(st.sampled_from(["full", "same", "valid"])),
            draw(st.sampled_from(["auto", "direct", "fft", "oa"])),
            draw(st.integers(2, 4)), draw(st.integers(0, 2**32 - 1)))


@given(_split_problems())
def test_any_split_gives_the_same_bits(problem):
    s1, s2, dtype, mode, method, workers, seed = problem
    if mode == "valid":  # (scipy's rule: one input at least as large on every axis)
        assume(all(a >= b for a, b in zip(s1, s2)) or all(a <= b for a, b in zip(s1, s2)))
    rng = np.random.default_rng(seed)
    x, h = make_array(rng, s1, dtype), make_array(rng, s2, dtype)
    with (mock.patch.object(_parallel, "MIN_PARALLEL_SECONDS", 0.0),
          mock.patch.object(_directloop, "SPLIT_MIN_MACS", 0),
          mock.patch.object(_parallel, "cores", lambda: 4)):
        _strategy._reset()
        _fast1d.forget()
        try:
            one = fftconv.convolve(x, h, mode, method=method, workers=1)
            many = fftconv.convolve(x, h, mode, method=method, workers=workers)
            # 'auto' may pick another engine where threads change the costs (a split
            # direct loop beating an FFT): then only the reference binds
            same_engine = method != "auto" or (
                fftconv.plan(s1, s2, dtype=dtype, mode=mode).method
                == fftconv.plan(s1, s2, dtype=dtype, mode=mode, workers=workers).method)
        finally:
            _strategy._reset()
            _fast1d.forget()
    assert many.dtype == one.dtype
    if same_engine:  # (FFTW's own threads start at 2**20 points: not reached here)
        np.testing.assert_array_equal(many, one)
    assert_close(many, ref_convolve(x, h, mode), tolerance(dtype, max(x.size, h.size), x, h))


def test_split_keeps_the_callers_errstate(split_everything, make):
    # worker threads start with numpy's default error state: the caller's must apply
    x, h = make((4, 20_000)) * 1e-300, make((1, 101)) * 1e-20
    for workers in (1, 3):
        with np.errstate(under="raise"), pytest.raises(FloatingPointError):
            fftconv.convolve(x, h, method="oa", workers=workers)
        with np.errstate(all="ignore"):
            fftconv.convolve(x, h, method="oa", workers=workers)
    assert max(split_everything) > 1
