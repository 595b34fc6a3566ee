"""Statistics methods of :class:`fftconv.distributions.PMF` (bound in its class body).

Float PMFs answer in float64 (scalars for scalar input, arrays for arrays);
exact PMFs answer ``pmf``/``cdf``/``sf``/``mean``/``var`` with
:class:`~fractions.Fraction`\\ s. ``cdf`` is summed from the left and ``sf``
from the right, so both keep a small relative error deep in their tails;
``logpmf``/``logcdf``/``logsf`` reach below the float range.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def _index(self, k):
    """(relative int index array, mask of integer-valued k, scalar flag)."""
    arr = np.asarray(k)
    if arr.dtype.kind not in "iuf" and arr.dtype != object:
        raise TypeError(f"k must be numbers, got {k!r:.60}")
    arr = arr.astype(np.float64)
    if np.isnan(arr).any():
        raise ValueError(f"k must not be NaN, got k={k!r:.60}")
    return arr - self._offset, np.ndim(k) == 0


def _lookup(table, rel, *, below, above, whole):
    """Values of ``table`` at ``rel`` (floored unless ``whole``), ``below``/``above`` outside."""
    idx = rel if whole else np.floor(rel)
    ok = (idx >= 0) & (idx < len(table)) & (idx == np.floor(idx))
    i = np.where(ok, idx, 0).astype(np.int64)
    if isinstance(below, Fraction):
        out = np.empty(rel.shape, dtype=object)
        flat = out.reshape(-1)
        for n, (j, o, r) in enumerate(zip(i.ravel(), ok.ravel(), idx.ravel())):
            flat[n] = table[j] if o else (below if r < 0 else above)
        return out
    t = np.asarray(table)
    return np.where(ok, t[i], np.where(idx < 0, below, above))


def _finish(out, scalar):
    if scalar:
        v = out.reshape(()).item() if isinstance(out, np.ndarray) else out
        return v
    return out


def pmf(self, k):
    """P(X = k); 0 off the support and for non-integer k."""
    rel, scalar = _index(self, k)
    if self.exact:
        table = [Fraction(c, self._den) for c in self._counts]
        z = Fraction(0)
        out = _lookup(table, rel, below=z, above=z, whole=True)
    else:
        out = _lookup(self.probs, rel, below=0.0, above=0.0, whole=True)
    return _finish(out, scalar)


def logpmf(self, k):
    """log P(X = k), accurate also where P(X = k) underflows (-inf off the support)."""
    rel, scalar = _index(self, k)
    return _finish(_lookup(self._logp, rel, below=-np.inf, above=-np.inf, whole=True), scalar)


def _cum(self, right):
    key = "sf" if right else "cdf"

    def build():
        if self.exact:
            c = list(self._counts)
            acc, out = 0, []
            for v in (c[::-1] if right else c):
                acc += v
                out.append(acc)
            out = out[::-1] if right else out
            if right:  # P(X > k) = sum strictly to the right
                out = out[1:] + [0]
            return [Fraction(v, self._den) for v in out]
        p = self.probs
        if right:
            s = np.cumsum(p[::-1])[::-1]
            return np.concatenate((s[1:], [0.0]))
        return np.minimum(np.cumsum(p), 1.0)

    return self._cached(key, build)


def _logcum(self, right):
    def build():
        lp = self._logp
        if right:
            s = np.logaddexp.accumulate(lp[::-1])[::-1]
            return np.concatenate((s[1:], [-np.inf]))
        return np.minimum(np.logaddexp.accumulate(lp), 0.0)

    return self._cached("logsf" if right else "logcdf", build)


def cdf(self, k):
    """P(X <= k), summed from the left."""
    rel, scalar = _index(self, k)
    one, zero = (Fraction(1), Fraction(0)) if self.exact else (1.0, 0.0)
    return _finish(_lookup(_cum(self, False), rel, below=zero, above=one, whole=False), scalar)


def sf(self, k):
    """P(X > k), summed from the right (not ``1 - cdf``)."""
    rel, scalar = _index(self, k)
    one, zero = (Fraction(1), Fraction(0)) if self.exact else (1.0, 0.0)
    return _finish(_lookup(_cum(self, True), rel, below=one, above=zero, whole=False), scalar)


def logcdf(self, k):
    """log P(X <= k), accurate below the float range."""
    rel, scalar = _index(self, k)
    return _finish(_lookup(_logcum(self, False), rel, below=-np.inf, above=0.0, whole=False),
                   scalar)


def logsf(self, k):
    """log P(X > k), accurate below the float range."""
    rel, scalar = _index(self, k)
    return _finish(_lookup(_logcum(self, True), rel, below=0.0, above=-np.inf, whole=False),
                   scalar)


def ppf(self, q):
    """Smallest k with P(X <= k) >= q (scipy's convention: ``ppf(0)`` is ``min - 1``).

    For ``q > 1/2`` the test is made as ``P(X > k) <= 1 - q`` on the
    right-summed :meth:`sf` (``1 - q`` is exact there), so upper quantiles
    stay accurate.
    """
    qa = np.asarray(q, dtype=np.float64)
    if np.isnan(qa).any() or (qa < 0).any() or (qa > 1).any():
        raise ValueError(f"q must be in [0, 1], got q={q!r:.60}")
    c = np.asarray(_cum(self, False), dtype=np.float64)
    s = np.asarray(_cum(self, True), dtype=np.float64)
    lo_idx = np.searchsorted(c, qa, side="left")
    # sf is non-increasing: first index with s <= 1 - q
    hi_idx = np.searchsorted(-s, -(1.0 - qa), side="left")
    idx = np.where(qa > 0.5, hi_idx, lo_idx)
    idx = np.minimum(idx, c.size - 1)
    out = np.where(qa == 0, self._offset - 1, self._offset + idx)
    return int(out) if out.ndim == 0 else out.astype(np.int64)


def mean(self):
    """E[X] (a Fraction for exact PMFs)."""
    if self.exact:
        return Fraction(sum(i * c for i, c in enumerate(self._counts)), self._den) + self._offset
    p = self.probs
    return float(self._offset + p @ np.arange(p.size))


def var(self):
    """Var[X] (a Fraction for exact PMFs)."""
    if self.exact:
        m = self.mean() - self._offset
        return sum(c * (i - m) ** 2 for i, c in enumerate(self._counts)) / self._den
    p = self.probs
    d = np.arange(p.size) - (self.mean() - self._offset)
    return float(p @ d**2)


def std(self):
    """Standard deviation (float)."""
    return math.sqrt(float(self.var()))


def skew(self):
    """Skewness E[(X - mean)^3] / std^3 (float; 0 for a point mass)."""
    p = self.probs
    d = np.arange(p.size) - (float(self.mean()) - self._offset)
    v = float(p @ d**2)
    return float(p @ d**3) / v**1.5 if v > 0 else 0.0


def sample(self, size=None, *, rng=None):
    """Draw samples (inverse CDF); ``rng`` is a Generator, a seed or None.

    Examples
    --------
    >>> import numpy as np
    >>> from fftconv.distributions import die
    >>> die(6).sample(5, rng=np.random.default_rng(0))
    array([4, 2, 1, 1, 5])
    """
    gen = np.random.default_rng(rng)
    c = np.asarray(_cum(self, False), dtype=np.float64)
    u = gen.random(size) * c[-1]
    idx = np.minimum(np.searchsorted(c, u, side="right"), c.size - 1)
    return self._offset + idx


def to_scipy(self):
    """The distribution as a :class:`scipy.stats.rv_discrete` (float probabilities)."""
    import scipy.stats

    p = self.probs
    return scipy.stats.rv_discrete(name="fftconv_pmf", values=(self.support, p / p.sum()))


def plot(self, ax=None, **kw):
    """Bar plot of the PMF via :func:`fftconv.plot.plot_pmf` (matplotlib, imported lazily)."""
    from .plot import plot_pmf

    return plot_pmf(self, ax=ax, **kw)
