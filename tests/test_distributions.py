"""Tests for fftconv.distributions: exact enumeration, float-vs-exact on every entry,
closed forms for PDFs, properties (hypothesis) and argument checking."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from fftconv import _pmf_float
from fftconv.distributions import (
    PDF,
    PMF,
    bernoulli,
    binomial,
    die,
    maximum,
    minimum,
    mixture,
    poisson,
    sum_independent,
)

REL = 1e-9  # the accuracy contract
EPS = np.finfo(np.float64).eps
TINY = 1e-300


def enumerate_pmf(fn, *ranges):
    """Exact distribution of fn(outcomes) by brute-force enumeration of equally likely tuples."""
    counts = Counter(fn(*t) for t in itertools.product(*ranges))
    total = sum(counts.values())
    return {k: Fraction(v, total) for k, v in counts.items()}


def as_dict(x):
    return {int(k): x.pmf(int(k)) for k in x.support if x.pmf(int(k))}


D6 = range(1, 7)


@pytest.mark.parametrize("expr, brute", [
    (lambda: die(6, exact=True) + die(6, exact=True), lambda: enumerate_pmf(
        lambda a, b: a + b, D6, D6)),
    (lambda: 3 @ die(6, exact=True), lambda: enumerate_pmf(lambda *t: sum(t), D6, D6, D6)),
    (lambda: die(6, exact=True).highest(4, 3), lambda: enumerate_pmf(
        lambda *t: sum(sorted(t)[1:]), D6, D6, D6, D6)),
    (lambda: die(6, exact=True) - die(6, exact=True), lambda: enumerate_pmf(
        lambda a, b: a - b, D6, D6)),
    (lambda: maximum(die(20, exact=True), die(20, exact=True)), lambda: enumerate_pmf(
        max, range(1, 21), range(1, 21))),
    (lambda: minimum(die(8, exact=True), die(6, exact=True)), lambda: enumerate_pmf(
        min, range(1, 9), D6)),
    (lambda: die(6, exact=True).lowest(3, 2), lambda: enumerate_pmf(
        lambda *t: sum(sorted(t)[:2]), D6, D6, D6)),
    (lambda: 2 * die(4, exact=True) + 1, lambda: enumerate_pmf(lambda a: 2 * a + 1,
                                                               range(1, 5))),
])
def test_dice_exact_against_enumeration(expr, brute):
    x = expr()
    assert x.exact
    assert as_dict(x) == brute()
    assert sum(x.pmf(int(k)) for k in x.support) == 1


def test_two_dice_picture():
    two = die(6, exact=True) + die(6, exact=True)
    assert two.pmf(4) == Fraction(3, 36)
    assert (die(6) + die(6)).pmf(4) == pytest.approx(3 / 36, rel=1e-15)


def exact_log(x):
    den = math.log(x.denominator)
    return np.array([math.log(c) - den if c else -np.inf for c in x.counts])


@pytest.mark.parametrize("sides, n", [(6, 100), (6, 1000), (100, 100)])
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
def test_float_meets_contract_on_every_entry(sides, n, method):
    if method == "direct" and n == 1000:
        pytest.skip("covered by auto; keeps the suite fast")
    ex = (n @ die(sides, exact=True))
    x = die(sides).nfold(n, method=method)
    assert x.offset == ex.offset and len(x) == len(ex)
    truth = np.array([c / ex.denominator for c in ex.counts])
    p = x.probs
    assert (p >= 0).all()
    assert abs(math.fsum(p) - 1) <= 1e-13
    big = truth >= TINY
    assert np.max(np.abs(p[big] / truth[big] - 1)) <= REL
    # below the float range: logpmf keeps relative accuracy
    lt = exact_log(ex)
    assert np.max(np.abs(x.logpmf(x.support) - lt)) <= REL
    assert x.logpmf(n) == pytest.approx(-n * math.log(sides), rel=1e-13)


def test_tail_that_naive_fft_gets_wrong():
    x = 100 @ die(6)
    ex = 100 @ die(6, exact=True)
    assert x.cdf(199) == pytest.approx(float(ex.cdf(199)), rel=REL)
    assert x.cdf(199) == pytest.approx(1.3378e-20, rel=1e-4)
    assert x.sf(500) == pytest.approx(float(ex.sf(500)), rel=REL)  # summed from the right


def test_fft_path_really_runs(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("direct engine used")

    monkeypatch.setitem(_pmf_float.ENGINES, "direct", boom)
    x = die(6).nfold(1000, method="fft")
    assert x.mean() == pytest.approx(3500)
    assert _pmf_float.choose_engine([(np.full(6, -math.log(6)), 5000)]) == "fft"
    assert _pmf_float.choose_engine([(np.full(6, -math.log(6)), 3)]) == "direct"
    assert _pmf_float.choose_engine([(np.full(100, -math.log(100)), 100)]) == "direct"


def assert_same_pmf(x, ref_logp, ref_offset):
    """Every entry of ``x`` against reference logs: same zeros, relative error <= REL on
    entries >= 1e-300 and log error <= REL on the smaller ones."""
    k = np.arange(min(x.offset, ref_offset), max(x.offset + len(x), ref_offset + ref_logp.size))
    ref = np.full(k.size, -np.inf)
    ref[ref_offset - k[0]:ref_offset - k[0] + ref_logp.size] = ref_logp
    got = x.logpmf(k)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(ref))
    big = ref >= math.log(TINY)
    assert np.max(np.abs(np.expm1(got[big] - ref[big]))) <= REL
    fin = np.isfinite(ref)
    assert np.max(np.abs(got[fin] - ref[fin])) <= REL * np.maximum(1, np.abs(ref[fin])).max()


def exact_nfold(probs, n):
    ex = PMF([Fraction(p) for p in probs], exact=True, normalize=True).nfold(n)
    return exact_log(ex), ex.offset


# Entries tiny next to both neighbours at every tilt (reached only through a
# 1e-12 entry): the FFT's error bound is never met there, so they must come
# from the fallback engines. The reviewer's repro gave mean 28.7 instead of 900.
DIPS = [0.9, 1e-12, 1e-12, 0.1 - 2e-12]


@pytest.mark.parametrize("method", ["auto", "fft"])
def test_fft_dips_fall_back_n3000(method):
    x = PMF(DIPS).nfold(3000, method=method)
    d = PMF(DIPS).nfold(3000, method="direct")
    mean = 3000 * math.fsum(k * p for k, p in enumerate(DIPS))  # 900 - 9e-9
    assert x.mean() == pytest.approx(mean, rel=1e-12) and d.mean() == pytest.approx(mean)
    assert np.isfinite(x.logpmf(2)) and x.logpmf(2) == pytest.approx(d.logpmf(2), rel=1e-12)
    assert_same_pmf(x, d._logp, d.offset)


@pytest.mark.parametrize("probs, n", [
    (DIPS, 300),
    ([0.5, 0, 0, 0.5 - 1e-10, 1e-10], 300),  # exact gaps and a dip
    ([0.4, 1e-9, 0, 0.3, 0, 1e-9, 0.3 - 2e-9], 200),  # mass near multiples of 3 only
    ([0.25, 1e-30, 0.25, 1e-30, 0.5 - 2e-30], 100),
    ([0.3, 1e-20, 0.7 - 1e-20], 300),
    ([0.5, 1e-300, 0.5], 2),  # 1e-300 in the middle: only the log-space engine sees it
    ([0.5, 1e-300, 0.5], 7),
])
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
def test_float_dips_against_exact(probs, n, method):
    ref, off = exact_nfold(probs, n)
    assert_same_pmf(PMF(probs, normalize=True).nfold(n, method=method), ref, off)


def test_fft_fallback_runs_and_is_not_needed_for_smooth(monkeypatch):
    calls = []
    direct = _pmf_float.ENGINES["direct"]
    monkeypatch.setitem(_pmf_float.ENGINES, "direct",
                        lambda *a: calls.append(1) or direct(*a))
    PMF(DIPS).nfold(300, method="fft")
    assert calls  # the direct engine resolved what the FFT could not
    calls.clear()
    die(6).nfold(1000, method="fft")
    assert not calls


def test_gaps_stay_exact_zeros_and_strides():
    x = PMF.from_dict({0: 0.5, 3: 0.25, 4: 0.25})
    ex = PMF.from_dict({0: Fraction(1, 2), 3: Fraction(1, 4), 4: Fraction(1, 4)}, exact=True)
    y, ey = 7 @ x, 7 @ ex
    truth = np.array([c / ey.denominator for c in ey.counts])
    assert np.array_equal(y.probs == 0, truth == 0)
    nz = truth > 0
    assert np.max(np.abs(y.probs[nz] / truth[nz] - 1)) <= REL
    z = 5 @ (3 * die(6))  # stride 3
    assert set(z.support[z.probs > 0] % 3) == {0}
    assert z.pmf(15) == pytest.approx(6.0**-5, rel=1e-12)


def test_float_ops_match_exact():
    a, b = die(6), die(10)
    ea, eb = die(6, exact=True), die(10, exact=True)
    pairs = [
        (maximum(a, b, a), maximum(ea, eb, ea)),
        (minimum(a, b), minimum(ea, eb)),
        (a.highest(5, 3), ea.highest(5, 3)),
        (mixture([a, b], [0.25, 0.75]), mixture([ea, eb], [Fraction(1, 4), Fraction(3, 4)])),
        (a.given(lambda v: v % 2 == 1), ea.given(lambda v: v % 2 == 1)),
        ((a - 3 * b) + 2, (ea - 3 * eb) + 2),
        (binomial(20, 0.25), binomial(20, Fraction(1, 4), exact=True)),
        (sum_independent([a, b], counts=[30, 20], method="fft"),
         sum_independent([ea, eb], counts=[30, 20])),
    ]
    for x, ex in pairs:
        assert x.offset == ex.offset
        truth = np.array([c / ex.denominator for c in ex.counts])
        np.testing.assert_allclose(x.probs, truth, rtol=1e-12, atol=0)


def test_statistics_against_scipy():
    x = binomial(30, 0.3)
    ref = scipy.stats.binom(30, 0.3)
    k = np.arange(-2, 33)
    np.testing.assert_allclose(x.pmf(k), ref.pmf(k), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(x.cdf(k), ref.cdf(k), rtol=1e-12)
    np.testing.assert_allclose(x.sf(k), ref.sf(k), rtol=1e-10)
    np.testing.assert_allclose(x.logsf(k[:-3]), ref.logsf(k[:-3]), rtol=1e-10)
    q = np.array([0, 1e-9, 0.1, 0.5, 0.7, 1 - 1e-9, 1])
    np.testing.assert_array_equal(x.ppf(q), ref.ppf(q))
    assert x.mean() == pytest.approx(ref.mean(), rel=1e-13)
    assert x.var() == pytest.approx(ref.var(), rel=1e-12)
    assert x.std() == pytest.approx(ref.std(), rel=1e-12)
    assert x.skew() == pytest.approx(float(ref.stats(moments="s")), rel=1e-10)
    assert x.pmf(2.5) == 0.0 and x.cdf(2.5) == x.cdf(2)
    rv = x.to_scipy()
    assert rv.mean() == pytest.approx(9.0)
    p = poisson(4.0)
    assert p.pmf(3) == pytest.approx(scipy.stats.poisson(4.0).pmf(3), rel=1e-12)
    nb = PMF.from_scipy(scipy.stats.nbinom(5, 0.4), tail=1e-12)
    assert nb.mean() == pytest.approx(scipy.stats.nbinom(5, 0.4).mean(), rel=1e-9)


def test_exact_statistics_are_fractions():
    x = 2 @ die(6, exact=True)
    assert x.mean() == 7 and x.var() == Fraction(35, 6)
    assert x.cdf(3) == Fraction(3, 36) and x.sf(10) == Fraction(3, 36)
    assert x.ppf(0.5) == 7
    assert isinstance(x.pmf(np.array([2, 3]))[0], Fraction)


def test_sample_is_seeded_and_distributed():
    x = 3 @ die(6)
    s1 = x.sample(20000, rng=np.random.default_rng(0))
    s2 = x.sample(20000, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(s1, s2)
    assert s1.min() >= 3 and s1.max() <= 18
    assert abs(s1.mean() - 10.5) < 5 * x.std() / math.sqrt(s1.size)


def test_probs_read_only_and_inputs_untouched():
    arr = np.array([0.2, 0.3, 0.5])
    before = arr.copy()
    x = PMF(arr, offset=-1)
    _ = (x + x, 3 @ x, 2 * x, x.given(lambda v: v > -1))
    np.testing.assert_array_equal(arr, before)
    with pytest.raises(ValueError):
        x.probs[0] = 1
    np.testing.assert_array_equal(x.support, [-1, 0, 1])


@pytest.mark.parametrize("call, exc, match", [
    (lambda: PMF([0.5, -0.1, 0.6]), ValueError, r"probs\[1\]"),
    (lambda: PMF([0.5, np.nan]), ValueError, "finite"),
    (lambda: PMF([0.5, 0.4]), ValueError, "normalize=True"),
    (lambda: PMF([[0.5, 0.5]]), ValueError, "1-D"),
    (lambda: PMF(["a"]), TypeError, "probs"),
    (lambda: PMF([0.5, 0.5], offset=1.5), TypeError, "offset"),
    (lambda: PMF([1, 2], exact=True), ValueError, "normalize=True"),
    (lambda: die(0), ValueError, "sides"),
    (lambda: die(6.0), TypeError, "sides"),
    (lambda: -1 @ die(6), ValueError, "n"),
    (lambda: 2.0 @ die(6), TypeError, "n"),
    (lambda: 1.5 * die(6), TypeError, "integer k"),
    (lambda: die(6) * die(6), TypeError, "product"),
    (lambda: bernoulli(1.5), ValueError, "p"),
    (lambda: die(6).nfold(3, method="magic"), ValueError, "method"),
    (lambda: die(6).nfold(3, method="exact"), ValueError, "exact=True"),
    (lambda: die(6).highest(3, 4), ValueError, "k"),
    (lambda: die(6).given(lambda v: v > 6), ValueError, "probability 0"),
    (lambda: die(6).ppf(1.5), ValueError, "q"),
    (lambda: mixture([die(6)], [0.5]), ValueError, "weights"),
    (lambda: poisson(-1.0), ValueError, "mu"),
])
def test_bad_input_is_refused(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_normalize_and_degenerate_cases():
    x = PMF([1, 1, 2], normalize=True)
    np.testing.assert_allclose(x.probs, [0.25, 0.25, 0.5])
    assert (0 @ die(6)).pmf(0) == 1
    assert (0 * die(6)).support.tolist() == [0]
    assert (5 @ PMF([1.0], offset=3)).support.tolist() == [15]
    assert PMF([0, 0, 1.0, 0]).offset == 2


@pytest.mark.parametrize("probs, expect", [
    ([1e308, 1e308], [0.5, 0.5]),  # the plain sum overflows
    ([5e-324, 1.5e-323], [0.25, 0.75]),  # subnormal: 1 and 3 units of the last place
    ([3.0, 1.0], [0.75, 0.25]),
])
def test_normalize_extreme_magnitudes(probs, expect):
    np.testing.assert_allclose(PMF(probs, normalize=True).probs, expect, rtol=4 * EPS, atol=0)


pmf_strategy = st.lists(st.floats(0, 1), min_size=1, max_size=8).filter(
    lambda v: sum(v) > 1e-3).map(lambda v: PMF(v, normalize=True))


@settings(max_examples=25, deadline=None)
@given(pmf_strategy, pmf_strategy, st.integers(1, 40))
def test_properties(x, y, n):
    s = x + y
    assert (s.probs >= 0).all() and abs(math.fsum(s.probs) - 1) <= 1e-13
    assert s.mean() == pytest.approx(x.mean() + y.mean(), rel=1e-12, abs=1e-12)
    assert s.var() == pytest.approx(x.var() + y.var(), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose((y + x).probs, s.probs, rtol=1e-12, atol=0)
    p = n @ x
    assert (p.probs >= 0).all() and abs(math.fsum(p.probs) - 1) <= 1e-13
    assert p.mean() == pytest.approx(n * x.mean(), rel=1e-11, abs=1e-11)
    assert p.var() == pytest.approx(n * x.var(), rel=1e-8, abs=1e-11)


def test_plot_if_available(tmp_path):
    pytest.importorskip("fftconv.plot")
    import matplotlib

    matplotlib.use("Agg")
    ax = (3 @ die(6)).plot()
    ax.figure.savefig(tmp_path / "pmf.png")


# -- continuous ---------------------------------------------------------------

def test_uniform_sum_is_triangle():
    u = PDF.from_scipy(scipy.stats.uniform(), dx=1 / 512)
    t = u + u
    x = np.linspace(0, 2, 41)
    np.testing.assert_allclose(t.cdf(x), np.where(x < 1, x**2 / 2, 1 - (2 - x) ** 2 / 2),
                               atol=1e-5)
    assert t.pdf(0.5) == pytest.approx(0.5, abs=5e-3)
    assert t.ppf(0.5) == pytest.approx(1.0, abs=1e-6)


def test_irwin_hall_and_gamma_and_normal():
    u = PDF.from_scipy(scipy.stats.uniform(), dx=1 / 256)
    ih = 10 @ u
    x = np.linspace(1, 9, 17)
    ref = scipy.stats.irwinhall(10) if hasattr(scipy.stats, "irwinhall") else None
    if ref is not None:
        np.testing.assert_allclose(ih.cdf(x), ref.cdf(x), atol=1e-5)
    assert ih.mean() == pytest.approx(5, abs=1e-9)
    assert ih.var() == pytest.approx(10 / 12, abs=1e-4)
    e = PDF.from_scipy(scipy.stats.expon(), dx=1 / 128)
    erl = 5 @ e
    x = np.linspace(0.5, 15, 30)
    est = erl.error_estimate()
    err = np.max(np.abs(erl.cdf(x) - scipy.stats.gamma(5).cdf(x)))
    assert err < 1e-4 and est < 1e-3
    n1 = PDF.from_scipy(scipy.stats.norm(1, 2), dx=1 / 64)
    n2 = PDF.from_scipy(scipy.stats.norm(-3, 1), dx=1 / 128)  # refined to the finer dx
    s = n1 + n2
    ref = scipy.stats.norm(-2, math.sqrt(5))
    x = np.linspace(-8, 4, 25)
    np.testing.assert_allclose(s.cdf(x), ref.cdf(x), atol=1e-5)
    assert s.std() == pytest.approx(math.sqrt(5), rel=1e-4)


def test_exp1_plus_exp2_closed_form():
    a = PDF.from_scipy(scipy.stats.expon(scale=1), dx=1 / 256)
    b = PDF.from_function(lambda t: 2 * np.exp(-2 * t), (0, 40), dx=1 / 256)
    s = a + b
    x = np.linspace(0.25, 6, 24)
    np.testing.assert_allclose(s.pdf(x), 2 * (np.exp(-x) - np.exp(-2 * x)), atol=2e-3)
    cdf = 1 - 2 * np.exp(-x) + np.exp(-2 * x)
    err = np.max(np.abs(s.cdf(x) - cdf))
    assert err < 1e-4
    assert err <= 2 * s.error_estimate() + 1e-9


def test_from_function_constant_density_is_broadcast():
    u = PDF.from_function(lambda x: 1.0, (0, 1), dx=1 / 64)  # scalar return
    v = PDF.from_function(lambda x: np.ones_like(x), (0, 1), dx=1 / 64)
    np.testing.assert_array_equal(u.masses, v.masses)
    assert float(u.cdf(0.25)) == pytest.approx(0.25, rel=1e-14)
    with pytest.raises(ValueError, match=r"f must return one value per point"):
        PDF.from_function(lambda x: np.ones(5), (0, 1), dx=1 / 64)


N16 = scipy.stats.norm()


@pytest.mark.parametrize("build, ref", [
    (lambda: PDF.from_scipy(N16, dx=1 / 16), N16),
    (lambda: PDF.from_scipy(scipy.stats.expon(), dx=1 / 128), scipy.stats.expon()),
    (lambda: PDF.from_scipy(N16, dx=1 / 16) + PDF.from_scipy(N16, dx=1 / 16),
     scipy.stats.norm(0, math.sqrt(2))),
    (lambda: 5 @ PDF.from_scipy(scipy.stats.expon(), dx=1 / 32), scipy.stats.gamma(5)),
    (lambda: PDF.from_scipy(scipy.stats.expon(), dx=1 / 32) + PDF.from_scipy(N16, dx=1 / 32),
     scipy.stats.exponnorm(1)),
])
def test_error_estimate_is_honest(build, ref):
    # the largest cdf error is inside cells (linear interpolation), not at their edges
    x = build()
    t = np.linspace(-8, 20, 280001)
    actual = np.max(np.abs(x.cdf(t) - ref.cdf(t)))
    est = x.error_estimate()
    assert actual / 3 <= est <= 10 * actual, (est, actual)


def test_pdf_bad_input():
    with pytest.raises(ValueError, match="dx"):
        PDF.from_scipy(scipy.stats.norm(), dx=-1)
    with pytest.raises(ValueError, match="normalize"):
        PDF.from_function(lambda t: 0 * t + 2.0, (0, 1))
    a = PDF.from_scipy(scipy.stats.norm(), dx=0.1)
    b = PDF.from_scipy(scipy.stats.norm(), dx=0.03)
    with pytest.raises(ValueError, match="ratio"):
        a + b
    with pytest.raises(TypeError, match="n @ X"):
        2.5 @ a
