"""Property-based fuzzing (hypothesis) against the naive reference in tests/reference.py.

Shapes (1-D to 3-D, sizes 1..12, kernels longer than signals), dtypes (float,
complex, integer, bool), modes, axes and engines are drawn at random; every
result must match ``ref_convolve`` to the dtype-derived tolerance (exactly for
integers). The example counts come from the hypothesis profile: ``ci`` (the
default, registered in tests/conftest.py) or ``--hypothesis-profile=long``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_array
from hypothesis import assume, given, note
from hypothesis import strategies as st
from reference import fft_dtype, ref_convolve, ref_correlate, tolerance

import fftconv

ENGINES = ("direct", "fft", "oa", "auto")
MODES = ("full", "same", "valid")
DTYPES = ("float32", "float64", "complex64", "complex128", "int8", "int16", "int64", "uint8",
          "bool")


def _array(seed: int, shape, dtype) -> np.ndarray:
    return make_array(np.random.default_rng(seed), shape, dtype)


@st.composite
def problems(draw, *, max_ndim=3, max_size=12, dtypes=DTYPES, same_dtype=False):
    ndim = draw(st.integers(1, max_ndim))
    s1 = tuple(draw(st.integers(1, max_size)) for _ in range(ndim))
    s2 = tuple(draw(st.integers(1, max_size)) for _ in range(ndim))
    d1 = draw(st.sampled_from(dtypes))
    d2 = d1 if same_dtype else draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2**32 - 1))
    return _array(seed, s1, d1), _array(seed + 1, s2, d2)


def _valid_ok(s1, s2, axes) -> bool:
    return all(s1[a] >= s2[a] for a in axes) or all(s2[a] >= s1[a] for a in axes)


def _work(x, h) -> np.dtype:
    """The precision that bounds the error: the result's if floating, else exact."""
    return np.result_type(x, h)


@given(problems(), st.sampled_from(MODES), st.sampled_from(ENGINES), st.booleans())
def test_convolve_and_correlate_match_reference(prob, mode, method, corr):
    x, h = prob
    if mode == "valid":
        assume(_valid_ok(x.shape, h.shape, range(x.ndim)))
        if corr:
            assume(all(a >= b for a, b in zip(x.shape, h.shape)))
    note(f"{x.shape} {x.dtype} * {h.shape} {h.dtype}, {mode}, {method}, correlate={corr}")
    fn = fftconv.correlate if corr else fftconv.convolve
    got = fn(x, h, mode=mode, method=method)
    want = (ref_correlate if corr else ref_convolve)(x, h, mode)
    assert got.dtype == np.result_type(x, h)
    assert got.shape == want.shape
    n = math.prod(a + b - 1 for a, b in zip(x.shape, h.shape))
    tol = tolerance(_work(x, h), n, x, h)
    if tol == 0:
        np.testing.assert_array_equal(got, want)
    else:
        assert float(np.max(np.abs(got - want), initial=0)) <= tol


@st.composite
def batched(draw):
    """Inputs for fftconvolve with an ``axes`` subset; other axes equal or 1 (broadcast)."""
    ndim = draw(st.integers(1, 3))
    axes = sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1)))
    s1, s2 = [], []
    for a in range(ndim):
        if a in axes:
            s1.append(draw(st.integers(1, 14)))
            s2.append(draw(st.integers(1, 14)))
        else:
            n = draw(st.integers(1, 4))
            s1.append(draw(st.sampled_from([n, 1])))
            s2.append(draw(st.sampled_from([n, 1])) if s1[-1] == n else n)
    dt = draw(st.sampled_from(("float32", "float64", "complex128", "int16")))
    seed = draw(st.integers(0, 2**32 - 1))
    return _array(seed, tuple(s1), dt), _array(seed + 1, tuple(s2), dt), axes


@given(batched(), st.sampled_from(MODES), st.booleans())
def test_fft_family_with_axes_matches_reference(prob, mode, oa):
    x, h, axes = prob
    if mode == "valid":
        assume(_valid_ok(x.shape, h.shape, axes))
    note(f"{x.shape} * {h.shape} {x.dtype}, axes={axes}, {mode}, oa={oa}")
    fn = fftconv.oaconvolve if oa else fftconv.fftconvolve
    got = fn(x, h, mode=mode, axes=axes)
    want = ref_convolve(x, h, mode, axes)
    assert got.dtype == fft_dtype(x, h)
    assert got.shape == want.shape
    n = math.prod(x.shape[a] + h.shape[a] - 1 for a in axes)
    assert float(np.max(np.abs(got - want), initial=0)) <= tolerance(fft_dtype(x, h), n, x, h)


@given(problems(max_ndim=2, max_size=40, dtypes=DTYPES[:4], same_dtype=True),
       st.sampled_from(MODES), st.sampled_from(ENGINES), st.integers(1, 3))
def test_convolver_matches_reference(prob, mode, method, batch):
    x, h = prob
    if mode == "valid":
        assume(_valid_ok(x.shape, h.shape, range(x.ndim)))
    try:
        cv = fftconv.Convolver(h, x.shape, mode=mode, method=method, dtype=np.result_type(x, h))
    except ValueError as exc:  # 'oa' needs an axis where the signal covers the kernel
        assume("not possible" not in str(exc))
        raise
    xs = np.stack([x] * batch)
    got = cv.conv(xs)
    want = ref_convolve(x, h, mode)
    n = math.prod(a + b - 1 for a, b in zip(x.shape, h.shape))
    tol = tolerance(fft_dtype(x, h), n, x, h)
    for y in got:
        assert y.shape == want.shape
        assert float(np.max(np.abs(y - want), initial=0)) <= tol


@given(st.integers(1, 300), st.integers(1, 700), st.sampled_from([1, 16, 64]),
       st.lists(st.integers(0, 700), max_size=6), st.integers(0, 2**32 - 1))
def test_stream_matches_reference(m, n, block, cuts, seed):
    rng = np.random.default_rng(seed)
    h, x = rng.standard_normal(m), rng.standard_normal(n)
    cuts = sorted(c for c in cuts if c <= n)
    with fftconv.StreamConvolver(h, block) as sc:
        got = np.concatenate([sc.process(p) for p in np.split(x, cuts)] + [sc.flush()])
    want = ref_convolve(x, h)
    assert got.shape[0] >= want.shape[0]
    tol = tolerance("float64", n + m, x, h)
    assert float(np.max(np.abs(got[:want.shape[0]] - want))) <= tol


@given(problems(max_ndim=2, dtypes=("float32", "float64")), st.sampled_from(MODES),
       st.sampled_from(ENGINES),
       st.lists(st.sampled_from([np.nan, np.inf, -np.inf]), min_size=1, max_size=4),
       st.integers(0, 2**32 - 1))
def test_nonfinite_footprint_matches_reference(prob, mode, method, values, seed):
    x, h = prob
    if mode == "valid":
        assume(_valid_ok(x.shape, h.shape, range(x.ndim)))
    rng = np.random.default_rng(seed)
    x, h = x.copy(), h.copy()
    for v in values:
        target = x if rng.integers(2) else h
        target.reshape(-1)[rng.integers(target.size)] = v
    with np.errstate(all="ignore"):
        got = fftconv.convolve(x, h, mode=mode, method=method)
        want = ref_convolve(x, h, mode)
    for test in (np.isnan, np.isposinf, np.isneginf):
        assert np.array_equal(test(got), test(want)), test.__name__
    fin = np.isfinite(want)
    clean = [np.where(np.isfinite(a), a, 0) for a in (x, h)]
    tol = tolerance(fft_dtype(x, h), x.size + h.size, *clean)
    assert float(np.max(np.abs(got[fin] - want[fin]), initial=0)) <= tol


def test_profiles_registered():
    from hypothesis import settings

    assert settings.get_profile("ci").max_examples >= 40
    assert settings.get_profile("long").max_examples > settings.get_profile("ci").max_examples
    pytest.importorskip("hypothesis")
