"""Real-time factor of StreamConvolver against per-block scipy and pedalboard.

10 s of stereo 48 kHz noise is convolved with a 2 s synthetic room impulse
response in 256-sample blocks, as an audio callback would. Each method runs in
this one process; the real-time factor is seconds of audio per second of CPU
(``time.process_time``, one FFT thread), the median of ``--repeat`` runs.
The slow per-block baselines run on a prefix of the audio (printed) and their
factor is scaled accordingly. Latency is measured (the lag of an impulse
through the block path); the error is against offline ``fftconv.convolve``.

Run: ``python benchmarks/bench_stream.py`` (``--quick`` for a shorter run).
pedalboard is a benchmark-only dependency (``pip install pedalboard``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# CPU time must count only the convolver's work: an idle BLAS thread pool (woken
# by numpy's dot products in the error checks) spins on the other core and would
# be billed to this process. One BLAS thread, set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.signal  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import table  # noqa: E402

import fftconv  # noqa: E402
from fftconv.stream import StreamConvolver, _groups_for  # noqa: E402

FS, BLOCK = 48_000, 256


def room_ir(seconds: float, rng) -> np.ndarray:
    """Exponentially decaying stereo noise (RT60 ~ ``seconds``) with a direct path."""
    n = int(seconds * FS)
    t = np.arange(n) / FS
    h = rng.standard_normal((n, 2)) * np.exp(-6.9 * t / seconds)[:, None] * 0.05
    h[0] = 1.0
    return h


def run_blocks(step, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Feed ``x`` (frames, 2) to ``step(block) -> out`` in BLOCK pieces; CPU seconds."""
    outs = []
    t0 = time.process_time()
    for i in range(0, len(x) - BLOCK + 1, BLOCK):
        outs.append(step(x[i:i + BLOCK]))
    return np.concatenate(outs), time.process_time() - t0


def stream_method(ir, dtype, partition):
    def make():
        sc = StreamConvolver(ir.astype(dtype), BLOCK, partition=partition, dtype=dtype)
        out = np.empty((BLOCK, 2), dtype)
        return lambda b: sc.process(b, out=out).copy(), sc
    return make


def oaconvolve_method(ir):
    def make():
        m = len(ir)
        buf = np.zeros((BLOCK + m - 1, 2))

        def step(b):
            buf[: BLOCK + m - 1] += scipy.signal.oaconvolve(b, ir, axes=0)
            out = buf[:BLOCK].copy()
            buf[:-BLOCK] = buf[BLOCK:].copy()
            buf[-BLOCK:] = 0
            return out
        return step, None
    return make


def lfilter_method(ir):
    def make():
        zi = [np.zeros(len(ir) - 1), np.zeros(len(ir) - 1)]

        def step(b):
            out = np.empty_like(b)
            for c in range(2):
                out[:, c], zi[c] = scipy.signal.lfilter(ir[:, c], [1.0], b[:, c], zi=zi[c])
            return out
        return step, None
    return make


def pedalboard_method(ir):
    import pedalboard

    def make():
        conv = pedalboard.Convolution(np.ascontiguousarray(ir.T, np.float32), sample_rate=FS)
        return (lambda b: conv.process(np.ascontiguousarray(b.T, np.float32), FS,
                                       reset=False).T), None
    return make


def measured_latency(make, m: int) -> int:
    """Lag of a unit impulse (both channels) through the block path."""
    step, _ = make()
    x = np.zeros((16 * BLOCK, 2), np.float32)
    x[0] = 1.0
    y, _ = run_blocks(step, x)
    return int(np.argmax(np.abs(y[:, 0]) > 0.5))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--ir-seconds", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2 s of audio, 1 repeat")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.repeat = 2.0, 1
    rng = np.random.default_rng(0)
    ir = room_ir(args.ir_seconds, rng)
    x = (rng.standard_normal((int(args.seconds * FS), 2)) * 0.1).astype(np.float32)
    ref = np.stack([fftconv.convolve(x[:, c].astype(np.float64), ir[:, c]) for c in range(2)], 1)
    scale = np.max(np.abs(ref))
    methods = [
        ("StreamConvolver non-uniform f32", stream_method(ir, np.float32, "nonuniform"), 1.0),
        ("StreamConvolver non-uniform f64", stream_method(ir, np.float64, "nonuniform"), 1.0),
        ("StreamConvolver uniform f32", stream_method(ir, np.float32, "uniform"), 1.0),
        ("StreamConvolver uniform f64", stream_method(ir, np.float64, "uniform"), 0.5),
        ("scipy oaconvolve per block", oaconvolve_method(ir), 0.1),
        ("scipy lfilter with zi", lfilter_method(ir), 0.05),
    ]
    try:
        import pedalboard  # noqa: F401

        methods.append(("pedalboard Convolution", pedalboard_method(ir), 1.0))
    except ImportError:
        print("pedalboard not installed: skipped (pip install pedalboard)")
    rows, baseline = [], None
    for name, make, frac in methods:
        n = max(BLOCK, int(len(x) * frac) // BLOCK * BLOCK)
        rtfs = []
        for _ in range(args.repeat if frac == 1.0 else 1):
            step, sc = make()
            y, cpu = run_blocks(step, x[:n])
            rtfs.append(n / FS / cpu)
            err = float(np.max(np.abs(y - ref[:n]))) / scale
            g = float(np.vdot(y, ref[:n]) / np.vdot(y, y))  # best gain: does it rescale?
            gerr = float(np.max(np.abs(g * y - ref[:n]))) / scale
        rtf = statistics.median(rtfs)
        baseline = baseline or rtf
        lat = measured_latency(make, len(ir))
        extra = ""
        if sc is not None:
            extra = " ".join(f"{p}x{c}" for p, _, c in _groups_for(sc.partition))
            assert sc.latency == lat, (sc.latency, lat)
        rows.append([name, f"{n / FS:.2f}", f"{rtf:,.1f}x", f"{baseline / rtf:,.0f}",
                     lat, f"{err:.1e}", f"{gerr:.1e} (x{g:.3g})", extra])
    print(f"{args.seconds:g} s stereo {FS} Hz, {args.ir_seconds:g} s IR "
          f"({len(ir)} taps), {BLOCK}-sample blocks, median of {args.repeat}\n")
    print(table(rows, ["method", "audio s", "real-time factor", "slower by", "latency",
                       "rel. error", "after best gain", "partitions"]))


if __name__ == "__main__":
    main()
