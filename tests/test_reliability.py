"""The bad-input table: every public entry point, wrong inputs, one clear error each.

Each row builds its inputs, hashes every array among them, makes the call and
checks the exception type and that its message names the parameter (a regex);
the inputs must be unchanged afterwards. The "must work" rows check that
read-only, non-contiguous, big-endian and float16 arrays give the same answer
as a clean native copy, again without being modified.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math

import numpy as np
import pytest

import fftconv
from fftconv import cli
from fftconv import distributions as D


class CLIError(Exception):
    """A CLI call that exited non-zero; the message is its stderr."""


def run_cli(*argv: str) -> int:
    """``fftconv ARGV``; raise CLIError(stderr) on a non-zero exit (argparse's too)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = cli.main([str(a) for a in argv])
        except SystemExit as exc:
            rc = exc.code
    if rc:
        raise CLIError(err.getvalue())
    return rc


def _wav(tmp_path, name="in.wav", frames=2000):
    import soundfile as sf

    p = tmp_path / name
    sf.write(p, np.random.default_rng(0).standard_normal(frames) * 0.1, 8000)
    return p


def fingerprint(obj) -> list:
    """Hashes of every ndarray in ``obj`` (dict/list/tuple, nested), with dtype and shape."""
    out = []
    if isinstance(obj, np.ndarray):
        data = obj.tobytes() if obj.dtype.kind != "O" else repr(obj.tolist()).encode()
        out.append((obj.dtype.str, obj.shape, obj.flags.writeable,
                    hashlib.sha256(data).hexdigest()))
    elif isinstance(obj, dict):
        for v in obj.values():
            out += fingerprint(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            out += fingerprint(v)
    return out


ONES3, ONES10 = np.ones(3), np.ones(10)

# (id, make(tmp_path) -> inputs, call(inputs), exception, regex the message must match)
BAD = [
    # ---- convolve / correlate: types
    ("convolve-str", lambda t: {"x": "abc"}, lambda d: fftconv.convolve(d["x"], ONES3),
     TypeError, "in1"),
    ("convolve-object-str", lambda t: {"h": np.array([1, "a"], dtype=object)},
     lambda d: fftconv.convolve(ONES3, d["h"]), TypeError, "in2"),
    ("convolve-ragged", lambda t: {"x": [[1.0, 2.0], [3.0]]},
     lambda d: fftconv.convolve(d["x"], [[1.0]]), ValueError, "in1.*ragged"),
    ("convolve-object-ragged", lambda t: {"x": np.array([[1, 2], [3]], dtype=object)},
     lambda d: fftconv.convolve(d["x"], ONES3), ValueError, "in1.*ragged"),
    ("convolve-none", lambda t: {}, lambda d: fftconv.convolve(ONES3, None), TypeError, "in2"),
    ("convolve-datetime", lambda t: {"x": np.ones(3, "M8[s]")},
     lambda d: fftconv.convolve(d["x"], ONES3), TypeError, "in1"),
    ("correlate-bytes", lambda t: {}, lambda d: fftconv.correlate(ONES3, b"xyz"),
     TypeError, "in2"),
    # ---- convolve / correlate: values
    ("convolve-mode", lambda t: {}, lambda d: fftconv.convolve(ONES3, ONES3, mode="circular"),
     ValueError, "mode='circular'"),
    ("correlate-mode-none", lambda t: {}, lambda d: fftconv.correlate(ONES3, ONES3, mode=None),
     ValueError, "mode=None"),
    ("convolve-method", lambda t: {}, lambda d: fftconv.convolve(ONES3, ONES3, method="FFT"),
     ValueError, "method='FFT'.*|'oa'"),
    ("convolve-workers-0", lambda t: {}, lambda d: fftconv.convolve(ONES3, ONES3, workers=0),
     ValueError, "workers"),
    ("convolve-workers-negative", lambda t: {},
     lambda d: fftconv.convolve(ONES3, ONES3, workers=-10_000), ValueError, "workers=-10000"),
    ("convolve-workers-str", lambda t: {},
     lambda d: fftconv.convolve(ONES3, ONES3, workers="2"), TypeError, "workers='2'"),
    ("correlate-workers-nan", lambda t: {},
     lambda d: fftconv.correlate(ONES3, ONES3, workers=math.nan), TypeError, "workers=nan"),
    ("convolve-0d-vs-1d", lambda t: {"x": np.array(2.0)},
     lambda d: fftconv.convolve(ONES3, d["x"]), ValueError, "in2.ndim=0"),
    ("convolve-empty-in2", lambda t: {"h": np.ones(0)},
     lambda d: fftconv.convolve(ONES3, d["h"]), ValueError, "in2 cannot be empty"),
    ("correlate-empty-in1", lambda t: {"x": np.ones(0)},
     lambda d: fftconv.correlate(d["x"], ONES3, mode="valid"), ValueError, "in1"),
    ("convolve-valid-shapes", lambda t: {"x": np.ones((3, 5)), "h": np.ones((5, 3))},
     lambda d: fftconv.convolve(d["x"], d["h"], mode="valid"), ValueError, r"\(3, 5\)"),
    # ---- fftconvolve / oaconvolve: axes
    ("fftconvolve-axes-float", lambda t: {},
     lambda d: fftconv.fftconvolve(ONES3, ONES3, axes=[0.5]), TypeError, "axes"),
    ("fftconvolve-axes-range", lambda t: {},
     lambda d: fftconv.fftconvolve(ONES3, ONES3, axes=5), ValueError, "axes=5"),
    ("fftconvolve-axes-repeated", lambda t: {"x": np.ones((4, 4))},
     lambda d: fftconv.fftconvolve(d["x"], d["x"], axes=[0, -2]), ValueError, "axes"),
    ("oaconvolve-axes-empty", lambda t: {}, lambda d: fftconv.oaconvolve(ONES3, ONES3, axes=()),
     ValueError, "axes"),
    ("oaconvolve-axes-str", lambda t: {}, lambda d: fftconv.oaconvolve(ONES3, ONES3, axes="0"),
     TypeError, "axes='0'"),
    ("oaconvolve-batch-shapes", lambda t: {"x": np.ones((3, 8)), "h": np.ones((2, 4))},
     lambda d: fftconv.oaconvolve(d["x"], d["h"], axes=1), ValueError, "shapes"),
    ("fftconvolve-workers-0", lambda t: {},
     lambda d: fftconv.fftconvolve(ONES3, ONES3, workers=0), ValueError, "workers"),
    # ---- convolve2d / correlate2d
    ("convolve2d-1d", lambda t: {}, lambda d: fftconv.convolve2d(ONES3, ONES3),
     ValueError, "in1.ndim=1"),
    ("convolve2d-fillvalue-str", lambda t: {"x": np.ones((3, 3))},
     lambda d: fftconv.convolve2d(d["x"], d["x"], fillvalue="x"), TypeError, "fillvalue='x'"),
    ("convolve2d-fillvalue-array", lambda t: {"x": np.ones((3, 3))},
     lambda d: fftconv.convolve2d(d["x"], d["x"], fillvalue=[1, 2]), ValueError, "fillvalue"),
    ("correlate2d-boundary", lambda t: {"x": np.ones((3, 3))},
     lambda d: fftconv.correlate2d(d["x"], d["x"], boundary="reflect"), ValueError,
     "boundary='reflect'"),
    ("convolve2d-int-nan-fill", lambda t: {"x": np.ones((3, 3), int)},
     lambda d: fftconv.convolve2d(d["x"], d["x"], fillvalue=math.nan), ValueError, "fillvalue"),
    # ---- plan (shapes only: huge declared sizes are fine until memory is needed)
    ("plan-negative", lambda t: {}, lambda d: fftconv.plan(-5, 3), ValueError, "in1_shape"),
    ("plan-mode", lambda t: {}, lambda d: fftconv.plan(10, 3, mode="x"), ValueError, "mode='x'"),
    ("plan-workers", lambda t: {}, lambda d: fftconv.plan(10, 3, workers=0), ValueError,
     "workers"),
    ("plan-huge-output", lambda t: {}, lambda d: fftconv.plan(10**12, 10**12), MemoryError,
     "1000000000000"),
    ("plan-nan-size", lambda t: {}, lambda d: fftconv.plan(math.nan, 3), TypeError,
     "in1_shape"),
    ("plan-bad-dtype", lambda t: {}, lambda d: fftconv.plan(10, 3, dtype="foo"), TypeError,
     "dtype"),
    ("plan-overflow", lambda t: {}, lambda d: fftconv.plan((10**10, 10**10), (2, 2)),
     ValueError, "in1_shape"),
    # ---- Convolver
    ("Convolver-kernel-str", lambda t: {}, lambda d: fftconv.Convolver("abc", 10), TypeError,
     "kernel"),
    ("Convolver-shape-nan", lambda t: {}, lambda d: fftconv.Convolver(ONES3, math.nan),
     TypeError, "shape_or_length"),
    ("Convolver-shape-zero", lambda t: {"k": np.ones((2, 2))},
     lambda d: fftconv.Convolver(d["k"], (10, 0)), ValueError, "shape_or_length"),
    ("Convolver-shape-overflow", lambda t: {}, lambda d: fftconv.Convolver(ONES3, 10**30),
     ValueError, "shape_or_length"),
    ("Convolver-method", lambda t: {}, lambda d: fftconv.Convolver(ONES3, 10, method="oaa"),
     ValueError, "method='oaa'"),
    ("Convolver-planner", lambda t: {}, lambda d: fftconv.Convolver(ONES3, 10, planner="foo"),
     ValueError, "planner='foo'"),
    ("Convolver-workers", lambda t: {}, lambda d: fftconv.Convolver(ONES3, 10, workers=-10_000),
     ValueError, "workers"),
    ("Convolver-dtype", lambda t: {}, lambda d: fftconv.Convolver(ONES3, 10, dtype="S3"),
     TypeError, "dtype='S3'"),
    ("Convolver-timelimit", lambda t: {},
     lambda d: fftconv.Convolver(ONES3, 10, planning_timelimit=-1), ValueError,
     "planning_timelimit"),
    ("Convolver-conv-shape", lambda t: {"x": np.ones(11)},
     lambda d: fftconv.Convolver(ONES3, 10).conv(d["x"]), ValueError, r"x has shape \(11,\)"),
    ("Convolver-conv-str", lambda t: {}, lambda d: fftconv.Convolver(ONES3, 10).conv("abc"),
     TypeError, "x must"),
    # ---- StreamConvolver
    ("Stream-block-nan", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, math.nan),
     TypeError, "block_size=nan"),
    ("Stream-block-zero", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, 0),
     ValueError, "block_size"),
    ("Stream-block-bool", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, True),
     TypeError, "block_size"),
    ("Stream-block-huge", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, 10**12),
     MemoryError, "block_size=1000000000000"),
    ("Stream-ir-complex", lambda t: {"h": np.ones(3) + 1j},
     lambda d: fftconv.StreamConvolver(d["h"], 4), TypeError, "ir must be real"),
    ("Stream-ir-nan", lambda t: {"h": np.array([1.0, math.nan])},
     lambda d: fftconv.StreamConvolver(d["h"], 4), ValueError, "ir must be finite"),
    ("Stream-ir-4d", lambda t: {"h": np.ones((2, 2, 2, 2))},
     lambda d: fftconv.StreamConvolver(d["h"], 4), ValueError, "ir must be"),
    ("Stream-partition", lambda t: {},
     lambda d: fftconv.StreamConvolver(ONES3, 4, partition="foo"), ValueError, "partition='foo'"),
    ("Stream-dtype-float16", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, 4, dtype="f2"),
     ValueError, "dtype='f2'"),
    ("Stream-channels", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, 4, channels=-1),
     ValueError, "channels"),
    ("Stream-workers", lambda t: {}, lambda d: fftconv.StreamConvolver(ONES3, 4, workers=0),
     ValueError, "workers"),
    ("Stream-process-str", lambda t: {"x": np.array(["a", "b"])},
     lambda d: fftconv.StreamConvolver(ONES3, 4).process(d["x"]), TypeError, "block"),
    ("Stream-process-2d", lambda t: {"x": np.ones((2, 2))},
     lambda d: fftconv.StreamConvolver(ONES3, 4).process(d["x"]), ValueError, "block must"),
    # ---- distributions
    ("PMF-str", lambda t: {}, lambda d: D.PMF("abc"), TypeError, "probs"),
    ("PMF-ragged", lambda t: {}, lambda d: D.PMF([[0.5], [0.5, 0.1]]), ValueError, "probs"),
    ("PMF-nan", lambda t: {"p": np.array([0.5, math.nan, 0.5])}, lambda d: D.PMF(d["p"]),
     ValueError, "probs"),
    ("PMF-2d", lambda t: {"p": np.ones((2, 2)) / 4}, lambda d: D.PMF(d["p"]), ValueError,
     "probs"),
    ("PMF-offset-float", lambda t: {}, lambda d: D.PMF([0.5, 0.5], offset=1.5), TypeError,
     "offset=1.5"),
    ("die-nan", lambda t: {}, lambda d: D.die(math.nan), TypeError, "sides=nan"),
    ("die-zero", lambda t: {}, lambda d: D.die(0), ValueError, "sides=0"),
    ("bernoulli-nan", lambda t: {}, lambda d: D.bernoulli(math.nan), ValueError, "p=nan"),
    ("poisson-negative", lambda t: {}, lambda d: D.poisson(-1), ValueError, "mu=-1"),
    ("sum_independent-method", lambda t: {},
     lambda d: D.sum_independent([D.die(6)], method="foo"), ValueError, "method='foo'"),
    ("nfold-float", lambda t: {}, lambda d: 2.5 @ D.die(6), TypeError, "n=2.5"),
    ("mixture-nan-weight", lambda t: {}, lambda d: D.mixture([D.die(6)], [math.nan]),
     ValueError, "weights"),
    # ---- CLI: fftconv filter / fftconv plan (exit code 2, message on stderr)
    ("cli-filter-missing-input", lambda t: {"t": t},
     lambda d: run_cli("filter", d["t"] / "nope.wav", "-o", d["t"] / "o.wav", "--lowpass", 100),
     CLIError, "input file .*nope.wav"),
    ("cli-filter-block-size", lambda t: {"i": _wav(t), "t": t},
     lambda d: run_cli("filter", d["i"], "-o", d["t"] / "o.wav", "--lowpass", 100,
                       "--block-size", 0), CLIError, "block_size"),
    ("cli-filter-numtaps-even", lambda t: {"i": _wav(t), "t": t},
     lambda d: run_cli("filter", d["i"], "-o", d["t"] / "o.wav", "--highpass", 100,
                       "--numtaps", 64), CLIError, "numtaps"),
    ("cli-filter-wet-nan", lambda t: {"i": _wav(t), "t": t},
     lambda d: run_cli("filter", d["i"], "-o", d["t"] / "o.wav", "--lowpass", 100,
                       "--wet", "nan"), CLIError, "wet=nan"),
    ("cli-filter-cutoff", lambda t: {"i": _wav(t), "t": t},
     lambda d: run_cli("filter", d["i"], "-o", d["t"] / "o.wav", "--lowpass", 1e6),
     CLIError, "cut-off"),
    ("cli-filter-exists", lambda t: {"i": _wav(t), "t": t},
     lambda d: run_cli("filter", d["i"], "-o", d["i"], "--lowpass", 100), CLIError, "--force"),
    ("cli-filter-bad-taps-file", lambda t: {"i": _wav(t), "t": t},
     lambda d: (d["t"].joinpath("taps.txt").write_text("1, 2, zz\n"),
                run_cli("filter", d["i"], "-o", d["t"] / "o.wav", "--taps",
                        d["t"] / "taps.txt")), CLIError, "taps"),
    ("cli-filter-not-audio", lambda t: {"t": t},
     lambda d: (d["t"].joinpath("x.wav").write_bytes(b"RIFF\0garbage"),
                run_cli("filter", d["t"] / "x.wav", "-o", d["t"] / "o.wav", "--lowpass", 100)),
     CLIError, "cannot read"),
    ("cli-plan-workers", lambda t: {}, lambda d: run_cli("plan", 10, 3, "--workers", 0),
     CLIError, "workers"),
    ("cli-plan-mode", lambda t: {}, lambda d: run_cli("plan", 10, 3, "--mode", "circular"),
     CLIError, "--mode"),
    ("cli-plan-negative", lambda t: {}, lambda d: run_cli("plan", -5, 3), CLIError, "in1_shape"),
    ("cli-plan-word", lambda t: {}, lambda d: run_cli("plan", "abc", 3), CLIError, "(?i)in1"),
    ("cli-plan-overflow", lambda t: {}, lambda d: run_cli("plan", "1e30", 3), CLIError, "in1"),
]


def _ids(rows):
    return [r.values[0] if hasattr(r, "values") else r[0] for r in rows]


def test_table_is_large_and_covers_every_entry_point():
    ids = _ids(BAD)
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    for prefix in ("convolve", "correlate", "fftconvolve", "oaconvolve", "convolve2d", "plan",
                   "Convolver", "Stream", "PMF", "cli-filter", "cli-plan"):
        assert any(i.startswith(prefix) for i in ids), prefix


@pytest.mark.parametrize("name, make, call, exc, match", BAD, ids=_ids(BAD))
def test_bad_input(name, make, call, exc, match, tmp_path):
    inputs = make(tmp_path)
    before = fingerprint(inputs)
    with pytest.raises(exc, match=match):
        call(inputs)
    assert fingerprint(inputs) == before, f"{name}: an input was modified"


# --------------------------------------------------------------------- must work


def _variants(a: np.ndarray) -> dict[str, np.ndarray]:
    """Read-only, non-contiguous (strided and transposed-back), big-endian copies of ``a``."""
    ro = a.copy()
    ro.flags.writeable = False
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    fortran = np.asfortranarray(a)
    return {"readonly": ro, "strided": wide[..., ::2], "fortran": fortran,
            "bigendian": a.astype(a.dtype.newbyteorder(">")),
            "reversed-view": a[..., ::-1].copy()[..., ::-1]}


KINDS = ("readonly", "strided", "fortran", "bigendian", "reversed-view")
CALLS = {
    "convolve-direct": lambda x, h: fftconv.convolve(x, h, method="direct"),
    "convolve-fft": lambda x, h: fftconv.convolve(x, h, method="fft"),
    "convolve-oa": lambda x, h: fftconv.convolve(x, h, method="oa"),
    "correlate-auto": lambda x, h: fftconv.correlate(x, h, mode="same"),
    "fftconvolve": lambda x, h: fftconv.fftconvolve(x, h, mode="valid"),
    "oaconvolve": lambda x, h: fftconv.oaconvolve(x, h),
    "convolve2d": lambda x, h: fftconv.convolve2d(x, h, boundary="symm", mode="same"),
    "Convolver": lambda x, h: fftconv.Convolver(h, x.shape, mode="same").conv(x),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fn", list(CALLS))
def test_unusual_layouts_work(fn, kind):
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((40, 300)), rng.standard_normal((5, 31))
    want = CALLS[fn](x, h)
    vx, vh = _variants(x)[kind], _variants(h)[kind]
    before = fingerprint([vx, vh])
    got = CALLS[fn](vx, vh)
    assert fingerprint([vx, vh]) == before
    assert got.shape == want.shape and got.dtype.kind == want.dtype.kind
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("kind", KINDS)
def test_unusual_layouts_stream_and_pmf(kind):
    rng = np.random.default_rng(2)
    x, h = rng.standard_normal((700, 2)), rng.standard_normal((90, 2))
    want = fftconv.convolve(x, h[:, :1])[:700]
    vx, vh = _variants(x.T)[kind].T, _variants(h.T)[kind].T  # layouts along the time axis
    before = fingerprint([vx, vh])
    with fftconv.StreamConvolver(vh[:, :1], 64, channels=2) as sc:
        got = np.concatenate([sc.process(vx[:300]), sc.process(vx[300:])])
    assert fingerprint([vx, vh]) == before
    np.testing.assert_allclose(got, want, atol=1e-10)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    vp = _variants(p)[kind]
    np.testing.assert_allclose((D.PMF(vp) + D.PMF(vp)).probs, np.convolve(p, p), atol=1e-15)


def test_float16_policy():
    """float16: computed in float32; convolve gives float16 and fftconvolve float32, as scipy."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(500).astype(np.float16)
    h = rng.standard_normal(40).astype(np.float16)
    want = np.convolve(x.astype(np.float64), h.astype(np.float64))
    tol = 4 * np.finfo(np.float16).eps * np.abs(want).max()  # float16 output rounding
    for m in ("direct", "fft", "oa", "auto"):
        for fn in (fftconv.convolve, fftconv.correlate):
            y = fn(x, h, method=m)
            assert y.dtype == np.float16
        y = fftconv.convolve(x, h, method=m)
        np.testing.assert_allclose(y.astype(np.float64), want, atol=tol)
    for fn in (fftconv.fftconvolve, fftconv.oaconvolve):
        y = fn(x, h)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, want, atol=1e-5 * np.abs(want).max())
    assert fftconv.Convolver(h, 500).conv(x).dtype == np.float16
    assert fftconv.StreamConvolver(h, 64).process(x).dtype == np.float64


def test_float32_stays_float32():
    x = np.ones(1000, np.float32)
    for m in ("direct", "fft", "oa"):
        assert fftconv.convolve(x, x[:50], method=m).dtype == np.float32
    assert fftconv.fftconvolve(x, x[:50]).dtype == np.float32
    assert fftconv.Convolver(x[:50], 1000).conv(x).dtype == np.float32


def test_zero_d_inputs():
    assert fftconv.convolve(np.array(3.0), np.array(2.0)) == 6.0
    assert fftconv.correlate(np.array(3.0), np.array(2.0 + 1j)) == 6.0 - 3j
    assert fftconv.fftconvolve(np.array(3.0), np.array(2.0)) == 6.0
