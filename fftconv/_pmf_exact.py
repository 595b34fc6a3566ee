"""Exact integer-count convolution for :mod:`fftconv.distributions` (``exact=True``).

A PMF with rational probabilities is held as integer counts ``c_k`` over one
common denominator ``D`` (``P(X = offset + k) = c_k / D``). Sums of
independent variables multiply the count polynomials and the denominators:

* ``power(c, n)`` -- ``c(x)**n`` by J.C.P. Miller's recurrence
  ``a_k = sum_j ((n+1) j - k) c_j a_{k-j} / (k c_0)`` (exact integer division),
  ``O(len(result) * nnz(c))`` small-by-big multiplications: 1000d6 in ~10 ms;
  for dense factors it squares by Kronecker substitution instead.
* ``multiply(a, b)`` -- schoolbook for short inputs, otherwise **Kronecker
  substitution**: pack each polynomial into one Python int with enough bits
  per coefficient, multiply the two ints (gmpy2's GMP multiply when installed,
  never required), unpack.

``counts_from(values)`` gives the counts and denominator of a PMF built with
``exact=True`` from its probabilities.
"""

from __future__ import annotations

import math
from fractions import Fraction

try:  # optional accelerator, never required
    import gmpy2 as _gmpy2
except ImportError:  # pragma: no cover - depends on the environment
    _gmpy2 = None

#: Miller's recurrence is used for powers of factors with at most this many
#: nonzero counts; denser factors square by Kronecker substitution.
MILLER_MAX_NNZ = 128
SCHOOLBOOK_MAX = 4096  # len(a) * len(b) below which the double loop wins


def _pack(coeffs, nbytes):
    return int.from_bytes(b"".join(c.to_bytes(nbytes, "little") for c in coeffs), "little")


def _unpack(value, nbytes, length):
    raw = value.to_bytes(length * nbytes, "little")
    return [int.from_bytes(raw[i * nbytes:(i + 1) * nbytes], "little") for i in range(length)]


def multiply(a, b):
    """Product of two count polynomials (lists of non-negative ints)."""
    length = len(a) + len(b) - 1
    if len(a) * len(b) <= SCHOOLBOOK_MAX:
        out = [0] * length
        for i, x in enumerate(a):
            if x:
                for j, y in enumerate(b):
                    out[i + j] += x * y
        return out
    bits = max(a).bit_length() + max(b).bit_length() + min(len(a), len(b)).bit_length() + 1
    nbytes = (bits + 7) // 8
    A = _pack(a, nbytes)
    B = A if a is b else _pack(b, nbytes)
    if _gmpy2 is not None:
        C = int(_gmpy2.mpz(A) * _gmpy2.mpz(B))
    else:
        C = A * B
    return _unpack(C, nbytes, length)


def _power_miller(c, n):
    m = len(c) - 1
    c0 = c[0]
    nz = [(j, c[j]) for j in range(1, m + 1) if c[j]]
    length = n * m + 1
    a = [0] * length
    a[0] = c0**n
    n1 = n + 1
    for k in range(1, length):
        s = 0
        for j, cj in nz:
            if j > k:
                break
            s += (n1 * j - k) * cj * a[k - j]
        a[k] = s // (k * c0)
    return a


def power(c, n):
    """``c(x)**n`` for a count list whose first and last entries are nonzero."""
    if n == 0:
        return [1]
    if n == 1 or len(c) == 1:
        return [x**n for x in c] if len(c) == 1 else list(c)
    if sum(1 for x in c if x) <= MILLER_MAX_NNZ:
        return _power_miller(c, n)
    return by_squaring(list(c), n, multiply)


def by_squaring(base, n: int, mul):
    """``base`` multiplied by itself ``n >= 1`` times with ``mul``: O(log n) products."""
    result = None
    while n:
        if n & 1:
            result = base if result is None else mul(result, base)
        n >>= 1
        if n:
            base = mul(base, base)
    return result


def reduce(counts, den):
    """Divide counts and denominator by their common factor."""
    g = math.gcd(den, *counts)
    if g > 1:
        return [c // g for c in counts], den // g
    return list(counts), den


def counts_from(values: list, *, normalize: bool) -> tuple[list[int], int]:
    """Integer counts over a common denominator for exact probabilities, and their total.

    ``values`` (ints, Fractions, floats: converted exactly) must be finite and
    non-negative with a positive total, which must be 1 unless ``normalize``;
    the counts are returned over their total (ValueError, naming ``probs``,
    otherwise).
    """
    try:
        fr = [Fraction(x) for x in values]
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"probs must be finite rational numbers for exact=True: "
                         f"{exc}") from None
    bad = [i for i, f in enumerate(fr) if f < 0]
    if bad:
        raise ValueError(f"probs must be non-negative, got probs[{bad[0]}]="
                         f"{fr[bad[0]]!r}")
    den = math.lcm(*(f.denominator for f in fr))
    counts = [f.numerator * (den // f.denominator) for f in fr]
    total = sum(counts)
    if total == 0:
        raise ValueError("probs must have a positive total, got all zeros")
    if total != den and not normalize:
        raise ValueError(f"probs must sum to 1 for exact=True, got "
                         f"{Fraction(total, den)!r}; pass normalize=True to rescale")
    return counts, total
