"""Shared fixtures: a seeded rng, random arrays of any dtype, hypothesis profile."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

try:
    import tempfile

    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir

    # hypothesis keeps caches in .hypothesis/ under the current directory: keep them
    # in a temporary folder instead, so a test run writes nothing into the checkout
    set_hypothesis_home_dir(tempfile.mkdtemp(prefix="fftconv-hypothesis-"))

    # "ci" (default): fixed examples, fast. "long": pytest --hypothesis-profile=long
    # explores afresh each run (the hypothesis plugin loads it after this file).
    # database=None: tests write nothing outside pytest's tmp_path (no .hypothesis/)
    settings.register_profile("fftconv", deadline=None, max_examples=40, derandomize=True,
                              database=None)
    settings.register_profile("ci", parent=settings.get_profile("fftconv"))
    settings.register_profile("long", deadline=None, max_examples=2000, derandomize=False,
                              print_blob=True, database=None)
    settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass

#: The atheris harness in tests/fuzz/ is run by hand, never collected.
collect_ignore = ["fuzz"]

#: dtypes every engine is checked on ("O" holds Fractions: the direct engine only).
FLOAT_DTYPES = ("float32", "float64", "complex64", "complex128")
ALL_DTYPES = (*FLOAT_DTYPES, "longdouble", "int8", "int16", "int32", "int64", "uint8", "bool")


def make_array(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Random array of ``shape`` and ``dtype``.

    Integers are small (0..4, or -3..3 for signed types) so that their
    convolutions stay exact through an FFT and do not overflow int8 for the
    kernels used here; ``dtype="O"`` gives an object array of ``Fraction``.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind == "u":
        return rng.integers(0, 5, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-3, 4, shape).astype(dtype)
    if dtype.kind == "O":
        num = rng.integers(-5, 6, shape)
        den = rng.integers(1, 7, shape)
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(*out.shape):
            out[idx] = Fraction(int(num[idx]), int(den[idx]))
        return out
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Keep calibration/wisdom files of the test session out of the user's cache dir.

    (Tests that check the cache location set ``FFTCONV_CACHE_DIR`` themselves
    with ``monkeypatch``.)
    """
    import os

    from fftconv._cache import CACHE_ENV

    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("fftconv-cache"))
    yield
    if old is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = old


@pytest.fixture(autouse=True)
def _forget_measured_winners():
    """``measure=True`` winners are process-wide: one test's must not steer the next."""
    yield
    from fftconv import _measure

    _measure.forget()


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed for every test."""
    return np.random.default_rng(20251125)


@pytest.fixture
def make(rng):
    """``make(shape, dtype)``: a random array from the test's seeded rng."""
    return lambda shape, dtype="float64": make_array(rng, shape, dtype)


@pytest.fixture
def fresh_plans():
    """Empty the FFT plan pool (and the lean 1-D jobs' plans) before and after a test."""
    from fftconv import _fast1d, _plans

    _plans.clear_cache()
    _fast1d.forget()
    yield _plans
    _plans.clear_cache()
    _fast1d.forget()
