"""Probability by convolution: distributions of sums of independent variables.

The distribution of ``X + Y`` for independent ``X`` and ``Y`` is the
convolution of their distributions (two dice: ``P(sum = 4) = 3/36``).
:class:`PMF` holds a discrete distribution on an integer lattice and
:class:`PDF` a continuous one on a uniform grid; ``+`` and ``n @ X`` (and ``-`` for PMFs)
convolve them.

Accuracy contract (float mode, every method): no negative probabilities,
total mass 1 within 1e-13, and every entry whose true value is >= 1e-300 has
a relative error <= 1e-9 -- also far in the tails, where a plain FFT returns
noise; entries no tilted FFT resolves are recomputed by the direct engine
(and a log-space one), for ``method='fft'`` as well. Values below the float
range are available through :meth:`PMF.logpmf`. Inputs built with ``exact=True`` stay exact: integer
counts over a common denominator, returned as :class:`fractions.Fraction`.

Examples
--------
>>> from fftconv.distributions import die
>>> two = die(6, exact=True) + die(6, exact=True)
>>> two.pmf(4)
Fraction(1, 12)
>>> float((1000 @ die(6)).logpmf(1000))  # log(6**-1000)
-1791.759469228...
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from . import _pmf_exact, _pmf_float, _pmf_ops
from ._pdf import PDF
from ._validate import as_array, check_method, check_positive_int

__all__ = ["PMF", "PDF", "die", "bernoulli", "binomial", "poisson", "mixture", "maximum",
           "minimum", "sum_independent"]

METHODS = ("direct", "fft", "exact")
#: Largest deviation of a float PMF's total from 1 accepted without ``normalize=True``.
SUM_TOL = 1e-9


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {name}={value!r}")
    return int(value)


def _check_prob(p, name):
    if isinstance(p, bool) or not isinstance(p, (numbers.Real, np.floating)):
        raise TypeError(f"{name} must be a real number in [0, 1], got {name}={p!r}")
    if not 0 <= p <= 1:  # also refuses NaN
        raise ValueError(f"{name} must be in [0, 1], got {name}={p!r}")
    return p


class PMF:
    """A probability mass function on the integers ``offset, offset+1, ...``.

    Parameters
    ----------
    probs : array_like, 1-D
        Probabilities of ``offset, offset + 1, ...``: finite, non-negative,
        summing to 1 within 1e-9 (exactly 1 with ``exact=True``). Never modified.
    offset : int, optional
        The value whose probability is ``probs[0]``.
    normalize : bool, optional
        Divide by the total instead of refusing a total other than 1.
    exact : bool, optional
        Keep integer counts over a common denominator (entries may be ints,
        :class:`~fractions.Fraction` or floats, which convert exactly);
        arithmetic between exact PMFs is then exact and probabilities come
        back as Fractions.

    Notes
    -----
    Operators: ``X + Y`` and ``X - Y`` (independent sums/differences),
    ``n @ X`` (sum of ``n`` independent copies, by repeated squaring or tilted
    spectral powers), ``X + k`` (shift), ``k * X`` (the variable times an integer
    ``k``: values are spread to ``k``-strided lattice points, so
    ``2 * die(6)`` is 2, 4, ..., 12 -- *not* ``die(6) + die(6)``), ``-X``.

    Examples
    --------
    >>> from fftconv.distributions import PMF
    >>> coin = PMF([0.5, 0.5])
    >>> (3 @ coin).probs
    array([0.125, 0.375, 0.375, 0.125])
    """

    __slots__ = ("_offset", "_logp", "_counts", "_den", "_cache")

    def __init__(self, probs, offset=0, *, normalize=False, exact=False):
        offset = _check_int(offset, "offset")
        arr = as_array(probs, "probs")
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"probs must be a non-empty 1-D array, got shape {arr.shape}")
        if exact:
            counts, total = _pmf_exact.counts_from(arr.tolist(), normalize=normalize)
            self._set_exact(offset, counts, total)
            return
        self._set_log(offset, _pmf_float.log_probs(arr, normalize=normalize, tol=SUM_TOL))

    # -- internal constructors ---------------------------------------------
    def _set_log(self, offset, logp):
        finite = np.flatnonzero(np.isfinite(logp))
        lo, hi = int(finite[0]), int(finite[-1]) + 1
        self._offset = offset + lo
        self._logp = np.array(logp[lo:hi], dtype=np.float64)
        self._logp.flags.writeable = False
        self._counts = self._den = None
        self._cache = {}

    def _set_exact(self, offset, counts, den):
        nz = [i for i, c in enumerate(counts) if c]
        counts, den = _pmf_exact.reduce(counts[nz[0]:nz[-1] + 1], den)
        logden = math.log(den)
        self._set_log(offset + nz[0], np.array(
            [math.log(c) - logden if c else -np.inf for c in counts]))
        self._counts, self._den = tuple(counts), den

    @classmethod
    def _from_log(cls, offset, logp):
        new = cls.__new__(cls)
        new._set_log(offset, logp)
        return new

    @classmethod
    def _from_exact(cls, offset, counts, den):
        new = cls.__new__(cls)
        new._set_exact(offset, list(counts), den)
        return new

    @classmethod
    def from_dict(cls, mapping, *, normalize=False, exact=False):
        """Build from ``{value: probability}`` (values are integers).

        Examples
        --------
        >>> PMF.from_dict({0: 0.25, 2: 0.75}).probs
        array([0.25, 0.  , 0.75])
        """
        if not isinstance(mapping, dict) or not mapping:
            raise TypeError(f"mapping must be a non-empty dict, got {mapping!r:.60}")
        keys = [_check_int(k, "mapping key") for k in mapping]
        lo = min(keys)
        vals = [0] * (max(keys) - lo + 1)
        for k, v in zip(keys, mapping.values()):
            vals[k - lo] = v
        if not exact:
            vals = np.array(vals, dtype=np.float64)
        return cls(np.array(vals, dtype=object) if exact else vals, lo, normalize=normalize,
                   exact=exact)

    @classmethod
    def from_scipy(cls, dist, *, tail=1e-14):
        """Tabulate a frozen :mod:`scipy.stats` discrete distribution.

        The support is cut where at most ``tail`` mass lies outside it (half on
        each side) and the kept part is renormalised.
        """
        if not hasattr(dist, "pmf") or not hasattr(dist, "ppf"):
            raise TypeError(f"dist must be a frozen scipy.stats discrete distribution, got "
                            f"{dist!r:.60}")
        if not 0 < tail < 1:
            raise ValueError(f"tail must be in (0, 1), got tail={tail!r}")
        a, b = dist.support()
        half = math.log(tail / 2)
        width = max(1.0, math.ceil(float(dist.std())))
        lo, hi = (float(dist.ppf(max(tail / 2, 1e-12))), float(dist.isf(max(tail / 2, 1e-12))))
        while lo > a and dist.logcdf(lo - 1) > half:
            lo -= width
        while hi < b and dist.logsf(hi) > half:
            hi += width
        lo, hi = int(max(lo, a)), int(min(hi, b))
        k = np.arange(lo, hi + 1)
        lp = np.asarray(dist.logpmf(k), dtype=np.float64)
        return cls._from_log(lo, lp - np.logaddexp.reduce(lp))

    # -- representation ----------------------------------------------------
    @property
    def offset(self) -> int:
        """Smallest value with nonzero probability."""
        return self._offset

    @property
    def exact(self) -> bool:
        """True when the PMF holds exact integer counts."""
        return self._counts is not None

    @property
    def counts(self):
        """Exact integer counts (tuple) over :attr:`denominator`; None in float mode."""
        return self._counts

    @property
    def denominator(self):
        """Common denominator of :attr:`counts`; None in float mode."""
        return self._den

    def _cached(self, key, fn):
        if key not in self._cache:
            val = fn()
            if isinstance(val, np.ndarray):
                val.flags.writeable = False
            self._cache[key] = val
        return self._cache[key]

    @property
    def probs(self) -> np.ndarray:
        """Probabilities of :attr:`support` (read-only float64; tiny ones underflow to 0)."""
        if self._counts is not None:
            return self._cached("p", lambda: np.array([c / self._den for c in self._counts]))
        return self._cached("p", lambda: np.exp(self._logp))

    @property
    def support(self) -> np.ndarray:
        """The integers ``offset .. offset + len(probs) - 1``."""
        return np.arange(self._offset, self._offset + self._logp.size)

    def __len__(self):
        return self._logp.size

    def __repr__(self):
        hi = self._offset + self._logp.size - 1
        kind = "exact" if self.exact else "float"
        return f"PMF(support={self._offset}..{hi}, mean={float(self.mean()):.6g}, {kind})"

    # -- arithmetic --------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, PMF):
            return sum_independent([self, other])
        if isinstance(other, (numbers.Integral, np.integer)) and not isinstance(other, bool):
            return self._shifted(int(other))
        return NotImplemented

    __radd__ = __add__

    def __neg__(self):
        return self._scaled(-1)

    def __sub__(self, other):
        if isinstance(other, PMF):
            return sum_independent([self, -other])
        if isinstance(other, (numbers.Integral, np.integer)) and not isinstance(other, bool):
            return self._shifted(-int(other))
        return NotImplemented

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __rmatmul__(self, n):
        if isinstance(n, PMF):
            return NotImplemented
        return self.nfold(n)

    def __mul__(self, k):
        if isinstance(k, PMF):
            raise TypeError("the product of two random variables is not supported; k * X "
                            "scales X by an integer k and X + Y adds independent variables")
        if isinstance(k, bool) or not isinstance(k, (numbers.Integral, np.integer)):
            raise TypeError(f"k * X needs an integer k (the lattice stays integer), got "
                            f"k={k!r}; only integer scalings keep values on the integer lattice")
        return self._scaled(int(k))

    __rmul__ = __mul__

    def _shifted(self, k):
        if self.exact:
            return PMF._from_exact(self._offset + k, self._counts, self._den)
        return PMF._from_log(self._offset + k, self._logp)

    def _scaled(self, k):
        return _pmf_ops.scaled(PMF, self, k)

    def nfold(self, n, *, method="auto"):
        """Distribution of the sum of ``n`` independent copies (same as ``n @ X``).

        Parameters
        ----------
        n : int
            Number of copies, >= 0 (``0 @ X`` is the point mass at 0).
        method : {'auto', 'direct', 'fft', 'exact'}
            See :func:`sum_independent`.

        Examples
        --------
        >>> from fftconv.distributions import die
        >>> float((100 @ die(6)).cdf(199))  # a plain FFT says 2.9e-15
        1.3378...e-20
        """
        if isinstance(n, bool) or not isinstance(n, (numbers.Integral, np.integer)):
            raise TypeError(f"n in n @ X must be an integer, got n={n!r}")
        n = check_positive_int(n, "n", minimum=0)
        return sum_independent([self], counts=[n], method=method)

    def highest(self, n, k):
        """Sum of the ``k`` highest of ``n`` independent draws (4d6 keep 3: ``highest(4, 3)``).

        Examples
        --------
        >>> from fftconv.distributions import die
        >>> die(6, exact=True).highest(4, 3).pmf(18)
        Fraction(7, 432)
        """
        n = check_positive_int(n, "n")
        k = check_positive_int(k, "k")
        if k > n:
            raise ValueError(f"k must be <= n, got k={k!r} with n={n!r}")
        w = list(self._counts) if self.exact else self.probs
        res = _pmf_ops.highest(w, n, k, exact=self.exact)
        if self.exact:
            return PMF._from_exact(k * self._offset, res, self._den**n)
        with np.errstate(divide="ignore"):
            return PMF._from_log(k * self._offset, np.log(res) - math.log(res.sum()))

    def lowest(self, n, k):
        """Sum of the ``k`` lowest of ``n`` independent draws."""
        return -((-self).highest(n, k))

    def given(self, predicate):
        """Condition on ``predicate(value)`` being true (renormalised).

        ``predicate`` is called with the support array (vectorised) or, if
        that fails, with each value.

        Examples
        --------
        >>> from fftconv.distributions import die
        >>> die(6, exact=True).given(lambda v: v % 2 == 0).pmf(2)
        Fraction(1, 3)
        """
        if not callable(predicate):
            raise TypeError(f"predicate must be callable, got {predicate!r:.60}")
        return _pmf_ops.given(type(self), self, predicate)

    # -- statistics (methods live in _pmf_stats to keep this module short) --
    from ._pmf_stats import (  # noqa: E402
        cdf,
        logcdf,
        logpmf,
        logsf,
        mean,
        plot,
        pmf,
        ppf,
        sample,
        sf,
        skew,
        std,
        to_scipy,
        var,
    )


def die(sides, *, exact=False):
    """A fair die with faces 1 to ``sides``.

    Examples
    --------
    >>> die(6, exact=True).pmf(3)
    Fraction(1, 6)
    """
    sides = check_positive_int(sides, "sides")
    if exact:
        return PMF._from_exact(1, [1] * sides, sides)
    return PMF._from_log(1, np.full(sides, -math.log(sides)))


def bernoulli(p, *, exact=False):
    """0/1 variable with ``P(1) = p`` (``p`` an int/Fraction for exact results)."""
    p = _check_prob(p, "p")
    if exact:
        p = Fraction(p)
        return PMF._from_exact(0, [p.denominator - p.numerator, p.numerator], p.denominator)
    return PMF([1 - p, p])


def binomial(n, p, *, exact=False):
    """Binomial(n, p): the sum of ``n`` independent Bernoulli(p)."""
    n = check_positive_int(n, "n", minimum=0)
    return bernoulli(p, exact=exact).nfold(n)


def poisson(mu, *, tail=1e-14):
    """Poisson(mu), truncated where at most ``tail`` mass lies outside."""
    if isinstance(mu, bool) or not isinstance(mu, (numbers.Real, np.floating)):
        raise TypeError(f"mu must be a real number, got mu={mu!r}")
    if not mu > 0 or not math.isfinite(mu):
        raise ValueError(f"mu must be positive and finite, got mu={mu!r}")
    import scipy.stats

    return PMF.from_scipy(scipy.stats.poisson(mu), tail=tail)


def _check_pmfs(pmfs, name):
    pmfs = list(pmfs) if not isinstance(pmfs, PMF) else [pmfs]
    if not pmfs:
        raise ValueError(f"{name} must hold at least one PMF")
    for i, x in enumerate(pmfs):
        if not isinstance(x, PMF):
            raise TypeError(f"{name}[{i}] must be a PMF, got {x!r:.60}")
    return pmfs


def sum_independent(pmfs, *, counts=None, method="auto"):
    """Distribution of ``counts[0] copies of pmfs[0] + counts[1] copies of pmfs[1] + ...``.

    Parameters
    ----------
    pmfs : sequence of PMF
    counts : sequence of int, optional
        Copies of each (default 1 each).
    method : {'auto', 'direct', 'fft', 'exact'}
        ``'exact'`` needs exact inputs (``exact=True``) and returns an exact
        PMF; ``'auto'`` is exact when every input is, else picks 'direct'
        (repeated squaring with numpy.convolve) or 'fft' (tilted spectral
        powers) by a cost estimate. Float methods meet the accuracy contract
        in the module docstring: entries the chosen engine cannot resolve
        (with 'fft': values tiny next to both neighbours, such as those
        reachable only through a 1e-12 probability) are recomputed by the
        direct engine, so the method changes the time, never the answer.

    Examples
    --------
    >>> from fftconv.distributions import die, sum_independent
    >>> float(sum_independent([die(6), die(4)], counts=[2, 1]).mean())
    9.5
    """
    pmfs = _check_pmfs(pmfs, "pmfs")
    counts = [1] * len(pmfs) if counts is None else list(counts)
    if len(counts) != len(pmfs):
        raise ValueError(f"counts must have one entry per PMF: {len(counts)} != {len(pmfs)}")
    counts = [check_positive_int(c, "counts", minimum=0) for c in counts]
    method = check_method(method, METHODS)
    all_exact = all(x.exact for x in pmfs)
    if method == "exact" and not all_exact:
        raise ValueError("method='exact' needs exact inputs: build them with exact=True, "
                         "e.g. die(6, exact=True)")
    terms = [(x, n) for x, n in zip(pmfs, counts) if n > 0]
    offset = sum(x._offset * n for x, n in terms)
    if not terms:
        return PMF._from_exact(0, [1], 1) if all_exact else PMF._from_log(0, np.zeros(1))
    if all_exact and method in ("auto", "exact"):
        res, den = [1], 1
        for x, n in terms:
            res = _pmf_exact.multiply(res, _pmf_exact.power(list(x._counts), n))
            den *= x._den**n
        return PMF._from_exact(offset, res, den)
    strides = [int(np.gcd.reduce(np.flatnonzero(np.isfinite(x._logp)))) for x, _ in terms]
    g = math.gcd(*strides)
    if g == 0:  # every term is a point mass
        return PMF._from_log(offset, np.zeros(1))
    factors = [(x._logp[::g], n) for x, n in terms]
    res = _pmf_float.convolve_powers(factors, method=method)
    if g > 1:
        spread = np.full((res.size - 1) * g + 1, -np.inf)
        spread[::g] = res
        res = spread
    return PMF._from_log(offset, res)


def mixture(pmfs, weights, *, normalize=False):
    """``pmfs[i]`` with probability ``weights[i]`` (exact when all inputs are).

    Examples
    --------
    >>> from fftconv.distributions import die, mixture
    >>> mixture([die(4, exact=True), die(6, exact=True)], [Fraction(1, 2)] * 2).pmf(1)
    Fraction(5, 24)
    """
    return _pmf_ops.mixture(PMF, _check_pmfs(pmfs, "pmfs"), weights, normalize=normalize)


def maximum(*pmfs):
    """Distribution of the largest of independent variables.

    Examples
    --------
    >>> from fftconv.distributions import die, maximum
    >>> maximum(die(20, exact=True), die(20, exact=True)).pmf(20)
    Fraction(39, 400)
    """
    return _pmf_ops.extreme(PMF, _check_pmfs(pmfs, "pmfs"), largest=True)


def minimum(*pmfs):
    """Distribution of the smallest of independent variables."""
    return _pmf_ops.extreme(PMF, _check_pmfs(pmfs, "pmfs"), largest=False)
