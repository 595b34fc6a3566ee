"""Order statistics, mixtures, conditioning and scaling of lattice PMFs (float and exact).

Each function takes and returns the raw pieces ``(offset, values)`` where
``values`` is either a float64 array of log-probabilities (float mode) or a
list of integer counts with a denominator (exact mode); the public wrappers in
:mod:`fftconv.distributions` validate arguments and build the objects
(``mixture``, ``extreme``, ``given`` and ``scaled`` are handed the
:class:`~fftconv.distributions.PMF` class and build them themselves).
All sums here are of non-negative terms, so float results keep a small
*relative* error on every entry.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from ._validate import as_array

#: Largest deviation of float weights' total from 1 accepted without ``normalize=True``.
SUM_TOL = 1e-9


def _align_log(parts):
    lo = min(off for off, _ in parts)
    hi = max(off + lp.size for off, lp in parts)
    out = []
    for off, lp in parts:
        a = np.full(hi - lo, -np.inf)
        a[off - lo:off - lo + lp.size] = lp
        out.append(a)
    return lo, out


def _align_counts(parts):
    lo = min(off for off, _ in parts)
    hi = max(off + len(c) for off, c in parts)
    out = []
    for off, c in parts:
        a = [0] * (hi - lo)
        a[off - lo:off - lo + len(c)] = c
        out.append(a)
    return lo, out


def extreme_log(x, y, *, largest):
    """log-PMF of max (``largest``) or min of two independent variables."""
    lo, (a, b) = _align_log([x, y])
    if not largest:
        a, b = a[::-1], b[::-1]
    Fa = np.logaddexp.accumulate(a)
    Fb = np.logaddexp.accumulate(b)
    Fa_prev = np.concatenate(([-np.inf], Fa[:-1]))
    out = np.logaddexp(a + Fb, Fa_prev + b)
    return lo, (out if largest else out[::-1])


def extreme_exact(x, y, *, largest):
    """Counts of max/min of two independent variables (denominators multiply)."""
    lo, (a, b) = _align_counts([x, y])
    if not largest:
        a, b = a[::-1], b[::-1]
    out = []
    Fa = Fb = 0
    for ai, bi in zip(a, b):
        Fa_prev = Fa
        Fa += ai
        Fb += bi
        out.append(ai * Fb + Fa_prev * bi)
    return lo, (out if largest else out[::-1])


def highest(weights, n, k, *, exact):
    """Distribution of the sum of the ``k`` largest of ``n`` draws (relative index).

    ``weights`` are the probabilities (float) or counts (exact) on ``0..m-1``.
    Dynamic programme over values from the highest down: state = (dice
    assigned so far, kept sum). Cost ``O(m n^2 k m)``.
    """
    m = len(weights)
    S = k * (m - 1) + 1
    dtype = object if exact else np.float64
    zero = np.zeros(S, dtype=dtype)
    if exact:
        zero[:] = 0
    dp = [zero.copy() for _ in range(n + 1)]
    dp[0][0] = 1
    for v in range(m - 1, -1, -1):
        w = weights[v]
        if not w:
            continue
        new = [zero.copy() for _ in range(n + 1)]
        for j in range(n + 1):
            row = dp[j]
            if not row.any():
                continue
            wc = 1
            for c in range(0, n - j + 1):
                kept = min(c, max(0, k - j))
                shift = kept * v
                coef = math.comb(n - j, c) * wc
                if shift:
                    new[j + c][shift:] += coef * row[:S - shift]
                else:
                    new[j + c] += coef * row
                wc = wc * w
        dp = new
    return list(dp[n]) if exact else dp[n]


def _is_exact_number(x):
    return isinstance(x, (numbers.Rational, np.integer)) and not isinstance(x, bool)


def mixture(PMF, pmfs, weights, *, normalize):
    """``pmfs[i]`` with probability ``weights[i]``; exact when every input is."""
    w = list(weights)
    if len(w) != len(pmfs):
        raise ValueError(f"weights must have one entry per PMF: {len(w)} != {len(pmfs)}")
    if all(x.exact for x in pmfs) and all(_is_exact_number(v) for v in w):
        fw = [Fraction(v) for v in w]
        if any(v < 0 for v in fw) or sum(fw) == 0:
            raise ValueError(f"weights must be non-negative with a positive sum, got {w!r}")
        if sum(fw) != 1 and not normalize:
            raise ValueError(f"weights must sum to 1, got {sum(fw)!r}; pass normalize=True")
        fw = [v / sum(fw) for v in fw]
        lo, aligned = _align_counts([(x._offset, x._counts) for x in pmfs])
        den = math.lcm(*(v.denominator * x._den for v, x in zip(fw, pmfs)))
        tot = [0] * len(aligned[0])
        for v, x, c in zip(fw, pmfs, aligned):
            f = v.numerator * (den // (v.denominator * x._den))
            tot = [t + f * ci for t, ci in zip(tot, c)]
        return PMF._from_exact(lo, tot, den)
    wf = as_array(w, "weights").astype(np.float64)
    if not np.isfinite(wf).all() or (wf < 0).any() or wf.sum() == 0:
        raise ValueError(f"weights must be finite, non-negative with a positive sum, got {w!r}")
    if abs(wf.sum() - 1) > SUM_TOL and not normalize:
        raise ValueError(f"weights must sum to 1, got {wf.sum()!r}; pass normalize=True")
    lo, aligned = _align_log([(x._offset, x._logp) for x in pmfs])
    with np.errstate(divide="ignore"):
        lw = np.log(wf / wf.sum())
    return PMF._from_log(lo, np.logaddexp.reduce(np.array(aligned) + lw[:, None], axis=0))


def extreme(PMF, pmfs, *, largest):
    """max (``largest``) or min of independent PMFs, pairwise."""
    acc = pmfs[0]
    for y in pmfs[1:]:
        if acc.exact and y.exact:
            lo, c = extreme_exact((acc._offset, acc._counts), (y._offset, y._counts),
                                  largest=largest)
            acc = PMF._from_exact(lo, c, acc._den * y._den)
        else:
            lo, lp = extreme_log((acc._offset, acc._logp), (y._offset, y._logp),
                                 largest=largest)
            acc = PMF._from_log(lo, lp - np.logaddexp.reduce(lp))
    return acc


def given(PMF, x, predicate):
    """``x`` conditioned on ``predicate(value)`` (vectorised, else per value)."""
    s = x.support
    try:
        keep = np.asarray(predicate(s))
        if keep.shape != s.shape:
            raise ValueError
    except Exception:
        keep = np.array([bool(predicate(int(v))) for v in s])
    keep = keep.astype(bool)
    if x.exact:
        c = [ci if kk else 0 for ci, kk in zip(x._counts, keep)]
        if not any(c):
            raise ValueError("predicate has probability 0: nothing to condition on")
        return PMF._from_exact(x._offset, c, sum(c))
    lp = np.where(keep, x._logp, -np.inf)
    if not np.isfinite(lp).any():
        raise ValueError("predicate has probability 0: nothing to condition on")
    return PMF._from_log(x._offset, lp - np.logaddexp.reduce(lp))


def scaled(PMF, x, k: int):
    """``k * x``: the variable times the integer ``k``, spread to ``k``-strided points."""
    if k == 0:
        return PMF._from_exact(0, [1], 1) if x.exact else PMF._from_log(0, np.zeros(1))
    m = x._logp.size
    top = x._offset + m - 1
    off = k * (x._offset if k > 0 else top)
    step = abs(k)
    if x.exact:
        c = [0] * ((m - 1) * step + 1)
        c[::step] = x._counts if k > 0 else x._counts[::-1]
        return PMF._from_exact(off, c, x._den)
    lp = np.full((m - 1) * step + 1, -np.inf)
    lp[::step] = x._logp if k > 0 else x._logp[::-1]
    return PMF._from_log(off, lp)
