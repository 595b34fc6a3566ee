"""Floating-point convolution of lattice PMFs with relative accuracy in the tails.

The one entry point, :func:`convolve_powers`, returns the log-probabilities of
``X_1^{*n_1} * X_2^{*n_2} * ...`` (sums of independent copies) on an integer
lattice. A plain FFT has an *absolute* error of about ``eps * max(p)``, so any
entry below ~1e-16 of the peak is noise. We therefore compute the result
several times under **exponential tilting** (Wilson & Keich, CSDA 2016;
Peres, Lee & Keich 2020): each factor ``p_k`` becomes
``q_k = p_k exp(theta k) / M(theta)``, which moves the peak of the sum to
``K'(theta)`` (``K`` is the cumulant generating function of the sum). Every
entry is computed under a tilt that puts it near its own peak and is then
untilted in log space, ``log p_k = log q_k - theta k + K(theta)``, so values
far below the float range stay available as logs.

Each tilt's result carries an error bound per entry; an entry is kept from
the tilt with the smallest bound, and tilts are added until every reachable
entry has a bound below ``TOL``. An entry tiny next to both neighbours is
below every tilt's reach (a tilt changes neighbour ratios only by
``exp(theta)``); entries left above ``TOL`` are redone by the direct engine
and then by :func:`_log_direct` (log space, no floor), so no estimate is
returned on a bound that was not met (see :func:`convolve_powers` for the one
exception, entries proven below 1e-300 in very long sums). Engines per tilt:

``direct``  repeated squaring with :func:`numpy.convolve`; a sum of
            non-negative products has relative error ``O(n eps)`` on every
            entry that does not underflow, so one tilt covers ~280 decades.
``fft``     the product of the factors' spectra raised to their powers;
            absolute error ``~ eps (n + log2 N) max(q)``, so one tilt covers
            the entries within ~4 decades of its peak. Long results use a
            short cyclic transform around the tilt's peak whose length is set
            by Chernoff bounds so the mass that wraps around is below 1e-22.

True zeros (values that no combination reaches) are found exactly by a
boolean convolution power and stay exactly zero (``-inf`` in log space).

:func:`log_probs` turns the probabilities a float PMF is built from into the
log-probabilities it holds, summing them scaled by a power of two so that
huge or tiny entries neither overflow nor underflow.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from ._pmf_exact import by_squaring

EPS = float(np.finfo(np.float64).eps)
#: Per-entry relative error every kept value must be bounded by (the public
#: contract is 1e-9; the margin covers the bound's constant).
TOL = 1e-10
#: Constant in the FFT error bound ``FFT_C * eps * (n + log2 N) * max / q_k``
#: (measured against exact Fractions for 100d6, 1000d6, 100d100 and 1e4 d6:
#: the observed error is about 1/5 of the bound).
FFT_C = 1.0
#: Tilted values below this are not trusted by the direct engine (subnormal).
DIRECT_FLOOR = 1e-280
#: Longest result transformed whole; longer ones use windowed cyclic FFTs.
FULL_FFT_MAX = 16384
#: -log of the tail mass allowed to wrap around a windowed cyclic FFT.
WRAP_LOG = 50.0
MAX_TILTS = 400
#: log(1e-300): entries above it carry the relative-error contract.
LOG_TINY = math.log(1e-300)
#: Seconds (by the :data:`COST` model) one direct tilt may take for the fallback to
#: also resolve entries provably below 1e-300; above it only contract entries are redone.
FALLBACK_CHEAP_S = 0.1


class _Factors:
    """The factors of a product of powers, with their cumulant generating function."""

    def __init__(self, factors):
        self.logps = [lp for lp, _ in factors]
        self.ns = [n for _, n in factors]
        self.ks = [np.arange(lp.size, dtype=np.float64) for lp in self.logps]
        self.length = sum(n * (lp.size - 1) for lp, n in factors) + 1
        self.ntot = sum(self.ns)

    def tilted(self, theta):
        """Return ``[(q, logM, mean, var)]`` for each factor at ``theta``."""
        out = []
        for lp, k in zip(self.logps, self.ks):
            a = lp + theta * k
            amax = a.max()
            w = np.exp(a - amax)
            s = w.sum()
            q = w / s
            mean = float(q @ k)
            var = float(q @ (k - mean) ** 2)
            out.append((q, amax + math.log(s), mean, var))
        return out

    def K(self, theta):
        """``(K(theta), K'(theta), K''(theta))`` of the sum."""
        K = dK = d2K = 0.0
        for (_, logM, mean, var), n in zip(self.tilted(theta), self.ns):
            K += n * logM
            dK += n * mean
            d2K += n * var
        return K, dK, d2K

    def theta_for_mean(self, target, theta=0.0):
        """The tilt whose sum has mean ``target`` (safeguarded Newton on the monotone K')."""
        lo, hi = -np.inf, np.inf
        for _ in range(100):
            _, dK, d2K = self.K(theta)
            gap = min(target, self.length - 1 - target)
            if abs(dK - target) < min(0.5 + 0.1 * math.sqrt(d2K), 0.2 * gap):
                break
            if dK < target:
                lo = theta
            else:
                hi = theta
            step = (target - dK) / d2K if d2K > 0 else math.copysign(1.0, target - dK)
            nxt = theta + max(-8.0, min(8.0, step))
            if not lo < nxt < hi:
                nxt = 0.5 * (lo + hi) if math.isfinite(lo + hi) else theta + 8 * math.copysign(
                    1.0, target - dK)
            theta = nxt
        return theta

    def chernoff_edge(self, theta, K0, sign):
        """Index beyond which the tilted sum has mass < exp(-WRAP_LOG) (one side)."""
        edge = self.length - 1 if sign > 0 else 0

        def rate(s):
            K, dK, _ = self.K(theta + sign * s)
            return sign * s * dK - (K - K0), dK

        s_hi = 1.0
        r, x = rate(s_hi)
        while r < WRAP_LOG:
            if s_hi > 1e4:
                return edge
            s_hi *= 2
            r, x = rate(s_hi)
        s_lo = 0.0
        for _ in range(40):
            mid = 0.5 * (s_lo + s_hi)
            r, x = rate(mid)
            if r < WRAP_LOG:
                s_lo = mid
            else:
                s_hi = mid
        x = rate(s_hi)[1]
        return int(min(self.length - 1, math.ceil(x))) if sign > 0 else int(max(0, math.floor(x)))


def _power_direct(q, n):
    """``q`` convolved with itself ``n`` times by repeated squaring (numpy.convolve)."""
    result = None
    base = q
    while n:
        if n & 1:
            result = base if result is None else np.convolve(result, base)
        n >>= 1
        if n:
            base = np.convolve(base, base)
    return result


def _tilt_direct(fac, theta):
    """Direct engine: (log p estimate, relative error bound) for every entry."""
    parts = fac.tilted(theta)
    r = None
    for (q, _, _, _), n in zip(parts, fac.ns):
        p = _power_direct(q, n)
        r = p if r is None else np.convolve(r, p)
    K = sum(n * logM for (_, logM, _, _), n in zip(parts, fac.ns))
    with np.errstate(divide="ignore"):
        lr = np.log(r)
    bound = np.where(r > DIRECT_FLOOR, 8 * EPS * (fac.ntot + 8), np.inf)
    return 0, lr - theta * np.arange(fac.length) + K, bound


def _tilt_fft(fac, theta):
    parts = fac.tilted(theta)
    K = sum(n * logM for (_, logM, _, _), n in zip(parts, fac.ns))
    L = fac.length
    if L <= FULL_FFT_MAX:
        lo, N = 0, scipy.fft.next_fast_len(L, True)
    else:
        lo = fac.chernoff_edge(theta, K, -1)
        hi = fac.chernoff_edge(theta, K, +1)
        N = scipy.fft.next_fast_len(hi - lo + 1, True)
        if N >= L:
            lo, N = 0, scipy.fft.next_fast_len(L, True)
    logmag = None
    phase = None
    for (q, _, _, _), n in zip(parts, fac.ns):
        if q.size > N:  # fold: cyclic convolution only sees indices mod N
            q = np.bincount(np.arange(q.size) % N, weights=q, minlength=N)
        f = scipy.fft.rfft(q, N)
        # z**n as exp(n log z), skipping frequencies where |z|**n underflows
        with np.errstate(divide="ignore"):
            lm = n * np.log(np.abs(f))
        ph = n * np.angle(f)
        logmag = lm if logmag is None else logmag + lm
        phase = ph if phase is None else phase + ph
    live = np.flatnonzero(logmag > -745.0)
    spec = np.zeros(N // 2 + 1, dtype=np.complex128)
    spec[live] = np.exp(logmag[live] + 1j * phase[live])
    cyc = scipy.fft.irfft(spec, N)
    stop = min(L, lo + N)
    r = cyc[np.arange(lo, stop) % N] if lo or stop > N else cyc[:stop]
    rmax = r.max()
    pos = r > 0
    with np.errstate(divide="ignore"):
        b = np.where(pos, (FFT_C * EPS * (fac.ntot + math.log2(N)) * rmax) / np.where(pos, r, 1),
                     np.inf)
        lr = np.log(np.where(pos, r, 0.0))
    return lo, lr - theta * np.arange(lo, stop) + K, b


ENGINES = {"direct": _tilt_direct, "fft": _tilt_fft}


def reachable(factors, length):
    """Boolean mask of the lattice points a sum of the factors can reach."""
    from ._signal import fftconvolve

    def conv(a, b):
        if a.size * b.size <= 1 << 16:
            c = np.convolve(a, b)
        else:
            c = fftconvolve(a, b)
        return (c > 0.5).astype(np.float64)

    total = None
    for lp, n in factors:
        res = by_squaring(np.isfinite(lp).astype(np.float64), n, conv)
        total = res if total is None else conv(total, res)
    assert total.size == length
    return total > 0.5


#: Cost model for ``method='auto'`` (2-core x86 VM, numpy 2.4 / scipy 1.17 pocketfft,
#: Nov 2026; fitted on d6 x {10..5000}, d20 x 300, d100 x {10, 100}; within ~2x).
#: Tilts needed: direct ~ 1 + R / 650, fft ~ 1 + 0.5 R / sqrt(n), where R is the
#: log-range of the result (sum of n ln(len) plus each factor's own log-range).
COST = {
    "direct_s_per_mac": 0.28e-9,  # numpy.convolve
    "fft_s_per_tilt": 8e-5,  # Python/numpy overhead of one tilt
    "fft_s_per_nlogn": 4e-9,  # rfft + irfft + bookkeeping per N log2 N
    "direct_decades": 650.0,  # natural-log range one direct tilt covers
    "fft_tilt_factor": 0.5,
}


def _direct_macs(factors):
    """Multiply-adds of one direct-engine tilt (repeated squaring, then the products)."""
    length = sum(n * (lp.size - 1) for lp, n in factors) + 1
    macs = 0.0
    for lp, n in factors:
        m = lp.size
        while n > 1:  # squarings of a vector growing from m to n*m
            macs += m * m
            m = 2 * m - 1
            n //= 2
    return macs + length * max(lp.size for lp, _ in factors)


def choose_engine(factors) -> str:
    """'direct' or 'fft', whichever the :data:`COST` model predicts is faster."""
    length = sum(n * (lp.size - 1) for lp, n in factors) + 1
    ntot = sum(n for _, n in factors)
    macs = _direct_macs(factors)
    R = 0.0
    for lp, n in factors:
        fin = lp[np.isfinite(lp)]
        R += n * (math.log(lp.size) + float(fin.max() - fin.min()))
    direct = (1 + R / COST["direct_decades"]) * COST["direct_s_per_mac"] * macs
    N = min(length, FULL_FFT_MAX)
    fft = (1 + COST["fft_tilt_factor"] * R / math.sqrt(ntot)) * (
        COST["fft_s_per_tilt"] + COST["fft_s_per_nlogn"] * N * math.log2(max(N, 2)))
    return "direct" if direct <= fft else "fft"


def _logconv(a, b):
    """Linear convolution of two log-probability vectors, computed in log space.

    ``c_k = M_k + log sum_i exp(a_i + b_{k-i} - M_k)`` with ``M_k`` the largest
    term: every term is a non-negative number in ``(0, 1]`` after the shift, so
    each entry has relative error ``O(len * eps)`` whatever its size -- there is
    no floor, unlike the float engines. ``O(len(a) len(b))`` exp calls.
    """
    if a.size > b.size:
        a, b = b, a
    fin = np.flatnonzero(np.isfinite(a))
    m = np.full(a.size + b.size - 1, -np.inf)
    for i in fin:
        seg = m[i:i + b.size]
        np.maximum(seg, a[i] + b, out=seg)
    shift = np.where(np.isfinite(m), m, 0.0)
    s = np.zeros(m.size)
    with np.errstate(invalid="ignore"):
        for i in fin:
            seg = s[i:i + b.size]
            seg += np.exp(a[i] + b - shift[i:i + b.size])
    with np.errstate(divide="ignore"):
        return m + np.log(s)


def _log_direct(fac):
    """The whole result by repeated squaring in log space (the engine of last resort)."""
    r = None
    for lp, n in zip(fac.logps, fac.ns):
        p = by_squaring(lp, n, _logconv)
        r = p if r is None else _logconv(r, p)
    return r


def _chernoff(fac, thetas, k):
    """Upper bounds ``min over theta of K(theta) - theta k`` on ``log p_k`` (any theta is valid)."""
    out = np.full(k.size, np.inf)
    for theta in set(thetas):
        np.minimum(out, fac.K(theta)[0] - theta * k, out=out)
    return out


def _cover(fac, engine, mask, best_lp, best_b, thetas):
    """Run ``engine`` under tilts until every entry of ``mask`` it *can* resolve is resolved.

    Updates ``best_lp`` / ``best_b`` in place and appends each tilt's ``theta``
    to ``thetas``. An entry that a tilt leaves
    unresolved although it resolves entries on both sides of it is a dip (tiny
    next to its neighbours at every tilt, since a tilt changes neighbour
    ratios only by ``exp(theta)``): it is given up here and left to the caller.
    """
    L = fac.length
    given_up = np.zeros(L, dtype=bool)

    def run(theta):
        thetas.append(theta)
        lo, lp, b = engine(fac, theta)
        sl = slice(lo, lo + b.size)
        upd = b < best_b[sl]
        best_b[sl][upd] = b[upd]
        best_lp[sl][upd] = lp[upd]
        ok = np.flatnonzero((b <= TOL) & mask[sl])
        if not ok.size:
            return None
        a, z = lo + ok[0], lo + ok[-1]
        given_up[a:z] |= best_b[a:z] > TOL
        return a, z

    mu0 = fac.K(0.0)[1]
    win0 = run(0.0)
    tilts = 1
    for sign in (+1, -1):
        hw = 0.4 * (win0[1] - win0[0]) if win0 else 0.5
        theta = 0.0
        while tilts < MAX_TILTS:
            todo = np.flatnonzero(mask & (best_b > TOL) & ~given_up)
            todo = todo[todo > mu0] if sign > 0 else todo[todo < mu0]
            if todo.size == 0:
                break
            t = int(todo[0] if sign > 0 else todo[-1])
            edge = L - 1 if sign > 0 else 0
            target = t + sign * max(hw, 0.5)
            if (target - edge) * sign > -0.5 * abs(edge - t):  # close to the end: go halfway
                target = 0.5 * (t + edge) if t != edge else edge - sign * 1e-3
            target = min(max(target, 1e-3), L - 1 - 1e-3)
            theta = fac.theta_for_mean(target, theta)
            new = run(theta)
            tilts += 1
            if new is not None and new[0] <= t <= new[1]:
                hw = 0.4 * (new[1] - new[0])
            else:
                hw *= 0.5
                if hw < 0.25:  # aimed right at t and still unresolved
                    given_up[t] = True


def convolve_powers(factors, *, method="auto"):
    """Log-probabilities of the sum of independent copies.

    Entries the chosen engine cannot resolve to a relative error bound of
    ``TOL`` (with ``'fft'``: entries tiny next to their neighbours at every
    tilt, such as the values reachable only through a 1e-12 entry between
    large ones) are recomputed by the direct engine under tilts aimed at them,
    and whatever that leaves (values below ~1e-280 of every tilt's peak) by
    :func:`_log_direct`, which has no floor. So every method meets the
    contract; only the time depends on the input. Entries that a Chernoff
    bound proves to be below 1e-300 are redone only when one direct tilt is
    cheap (:data:`FALLBACK_CHEAP_S`); otherwise (the far tails of very long
    sums such as 100000d6, beyond :data:`MAX_TILTS`) they keep the best tilt's
    estimate.

    Parameters
    ----------
    factors : list of (logp, n)
        ``logp`` a 1-D float64 array of log-probabilities on ``0..len-1``
        whose first and last entries are finite (``-inf`` marks zeros), and
        ``n >= 1`` the number of copies. Each ``logp`` sums to 1 in linear
        space.
    method : {'auto', 'direct', 'fft'}

    Returns
    -------
    logp : ndarray
        Length ``sum(n * (len - 1)) + 1``, normalised to total mass 1.
    """
    fac = _Factors(factors)
    L = fac.length
    if L == 1:
        return np.zeros(1)
    if method == "auto":
        method = choose_engine(factors)
    has_gaps = any(not np.isfinite(lp).all() for lp, _ in factors)
    mask = reachable(factors, L) if has_gaps else np.ones(L, dtype=bool)
    best_b = np.full(L, np.inf)
    best_lp = np.full(L, -np.inf)
    thetas = []
    _cover(fac, ENGINES[method], mask, best_lp, best_b, thetas)
    bad = mask & (best_b > TOL)
    if bad.any():
        if COST["direct_s_per_mac"] * _direct_macs(factors) > FALLBACK_CHEAP_S:
            bad[bad] = _chernoff(fac, thetas, np.flatnonzero(bad)) >= LOG_TINY  # contract only
        if method != "direct" and bad.any():
            _cover(fac, ENGINES["direct"], bad, best_lp, best_b, thetas)
            bad &= best_b > TOL
        if bad.any():
            best_lp[bad] = _log_direct(fac)[bad]
    out = np.where(mask, best_lp, -np.inf)
    m = out.max()
    total = float(np.sum(np.exp(out - m)))
    return out - (m + math.log(total))


def log_probs(arr: np.ndarray, *, normalize: bool, tol: float) -> np.ndarray:
    """The log-probabilities a float PMF holds for the probabilities ``arr``.

    ``arr`` must be finite and non-negative with a positive total within
    ``tol`` of 1, or any positive total with ``normalize`` (then divided by
    it); ValueError, naming ``probs``, otherwise.
    """
    p = arr.astype(np.float64)
    if not np.isfinite(p).all():
        i = int(np.flatnonzero(~np.isfinite(p))[0])
        raise ValueError(f"probs must be finite, got probs[{i}]={p[i]!r}")
    if (p < 0).any():
        i = int(np.flatnonzero(p < 0)[0])
        raise ValueError(f"probs must be non-negative, got probs[{i}]={p[i]!r}")
    pmax = float(p.max())
    if pmax == 0:
        raise ValueError("probs must have a positive total, got all zeros")
    # sum p / 2**e (exact scaling by a power of two) so that huge or tiny
    # entries neither overflow nor underflow the sum: log total = log s + e log 2
    e = math.frexp(pmax)[1]
    scaled = np.ldexp(p, -e)
    s = math.fsum(scaled)
    with np.errstate(over="ignore"):
        total = float(np.ldexp(s, e))
    if abs(total - 1) > tol and not normalize:
        raise ValueError(f"probs must sum to 1 (within {tol:g}), got {total!r}; "
                         "pass normalize=True to rescale")
    with np.errstate(divide="ignore"):
        # log of the scaled value (its rounding is relative to log(p / 2**e), not to
        # the huge log(p)); entries the scaling underflows keep log p - log total
        return np.where(scaled > 0, np.log(scaled) - math.log(s),
                        np.log(p) - (math.log(s) + e * math.log(2)))
