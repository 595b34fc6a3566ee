"""``fftconv demo``: the main job, on built-in data only."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _median_time(fn, repeat: int = 5) -> float:
    import numpy as np

    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _buns(results: dict, out: Path | None) -> None:
    import numpy as np

    from .theorem import convolve_functions

    rate, tau = 10.0, 8.0  # buns per hour; freshness time constant in hours
    t = np.linspace(0.0, 24.0, 24 * 60 + 1)
    fresh = convolve_functions(lambda s: np.full_like(s, rate), lambda s: np.exp(-s / tau), t)
    exact = rate * tau * (1 - np.exp(-24.0 / tau))
    results["buns_24h"] = float(fresh[-1])
    results["buns_exact"] = float(exact)
    print(f"\nBuns baked at {rate:g}/h, staling with time constant {tau:g} h:")
    print(f"  fresh after 24 h = {fresh[-1]:.6f} by continuous convolution "
          f"(closed form {exact:.6f}, error {abs(fresh[-1] - exact):.1e})")
    if out is not None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
        ax.plot(t, fresh, label="fresh buns (f * g)(t)")
        ax.plot(t, rate * tau * (1 - np.exp(-t / tau)), "k:", label="closed form")
        ax.set_xlabel("time (h)")
        ax.set_ylabel("buns still fresh")
        ax.set_title(r"$\int_0^t f(\tau)\,g(t-\tau)\,d\tau$: baked at rate $f$, "
                     r"fresh for a time $\sim g$")
        ax.legend()
        _save(fig, out / "buns_decay.png", results)


def _psnr(a, b) -> float:
    import numpy as np

    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def _image(results: dict, out: Path | None) -> None:
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg
    import numpy as np

    from .image import box, gaussian, smooth

    clean = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    rng = np.random.default_rng(0)
    noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255).astype(np.uint8)
    averaged = smooth(noisy, box(3))
    blurred = smooth(noisy, gaussian(1.0))
    results["psnr"] = {"noisy": _psnr(noisy, clean), "box3": _psnr(averaged, clean),
                       "gaussian": _psnr(blurred, clean)}
    print(f"\nPhotograph {clean.shape[1]}x{clean.shape[0]} with noise, PSNR vs the clean one:")
    psnr = results["psnr"]
    print(f"  noisy {psnr['noisy']:.2f} dB -> 3x3 average {psnr['box3']:.2f} dB, "
          f"Gaussian sigma=1 {psnr['gaussian']:.2f} dB")
    if out is not None:
        from .plot import animate_convolution, compare_images

        fig = compare_images(noisy, blurred, titles=("noisy", "Gaussian, sigma = 1"))
        _save(fig, out / "image_smoothing.png", results)
        gif = animate_convolution([1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0], [1 / 3] * 3,
                                  out / "sliding.gif", fps=3)
        results.setdefault("files", []).append(str(gif))


def _audio(results: dict, out: Path | None) -> None:
    import numpy as np
    import scipy.signal

    import fftconv

    fs, seconds, cutoff = 48_000, 3.0, 2_000.0
    t = np.arange(int(fs * seconds)) / fs
    rng = np.random.default_rng(0)
    chirp = 0.5 * scipy.signal.chirp(t, f0=100.0, t1=seconds, f1=1_500.0)
    noisy = chirp + 0.1 * rng.standard_normal(t.size)
    taps = scipy.signal.firwin(401, cutoff, fs=fs)
    filtered = fftconv.convolve(noisy, taps, mode="same")

    def snr(x):
        return float(10 * np.log10(np.sum(chirp**2) / np.sum((x - chirp) ** 2)))

    results["audio_snr"] = {"noisy": snr(noisy), "filtered": snr(filtered)}
    print(f"\nAudio: {seconds:g} s chirp (100 -> 1500 Hz) + white noise at {fs} Hz, "
          f"{taps.size}-tap {cutoff:g} Hz low-pass:")
    print(f"  SNR {results['audio_snr']['noisy']:.1f} dB -> "
          f"{results['audio_snr']['filtered']:.1f} dB")
    if out is not None:
        import soundfile

        for name, x in (("chirp_noisy.wav", noisy), ("chirp_filtered.wav", filtered)):
            soundfile.write(out / name, np.clip(x, -1, 1).astype(np.float32), fs,
                            subtype="PCM_16")
            results.setdefault("files", []).append(str(out / name))


def _save(fig, path: Path, results: dict) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=80)
    plt.close(fig)
    results.setdefault("files", []).append(str(path))


def _timings(results: dict, quick: bool) -> None:
    import numpy as np
    import scipy.signal

    import fftconv

    print("\nfftconv vs scipy.signal.convolve (method='auto'), medians, one thread:")
    rng = np.random.default_rng(0)
    cases = [(100_000, 31), (1_000_000, 301), (4_000_000, 4_000)]
    if quick:
        cases = [(100_000, 31), (200_000, 2_000)]
    print(f"{'N':>10} {'M':>7} {'engine':>7} {'fftconv':>10} {'scipy':>10} {'speed-up':>9}")
    rows = []
    for n, m in cases:
        x, h = rng.standard_normal(n), rng.standard_normal(m)
        tf = _median_time(lambda x=x, h=h: fftconv.convolve(x, h), 3)
        ts = _median_time(lambda x=x, h=h: scipy.signal.convolve(x, h), 3)
        eng = fftconv.choose_conv_method(x, h)
        rows.append((n, m, eng, tf, ts))
        print(f"{n:>10} {m:>7} {eng:>7} {tf * 1e3:>8.2f}ms {ts * 1e3:>8.2f}ms {ts / tf:>8.1f}x")
    results["timings"] = rows


def _prepare_out(out) -> Path:
    """The folder `out`, created if needed; a file or an unwritable place fails here."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out must be a folder, got out={str(out)!r}, which is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise type(exc)(f"cannot create the folder out={str(out)!r}: "
                        f"{exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write into the folder out={str(out)!r}")
    return out


def run(out: Path | None = None, *, quick: bool = False) -> dict:
    """Run the tour; print the key numbers and return them.

    Parameters
    ----------
    out : path-like, optional
        Folder for the figures (PNG, GIF) and audio (WAV); created if needed.
        Without it nothing is written.
    quick : bool, optional
        Smaller timing cases (a few seconds in all; used by the tests).

    Returns
    -------
    dict
        ``p_sum_4``, ``buns_24h``/``buns_exact``, ``psnr``, ``audio_snr``,
        ``timings`` rows ``(N, M, engine, fftconv_s, scipy_s)``, and
        ``files`` (the paths written) when `out` is given.

    Raises
    ------
    NotADirectoryError
        If `out` is an existing file.
    OSError
        If the `out` folder cannot be created or written to (checked before
        any work is done).
    """
    import numpy as np

    import fftconv

    results: dict = {}
    if out is not None:
        out = _prepare_out(out)
        results["out"] = str(out)
    print("fftconv demo\n============")
    die = np.full(6, 1 / 6)
    two = fftconv.convolve(die, die)
    p4 = two[4 - 2]
    results["p_sum_4"] = float(p4)
    print(f"Two dice, by convolution: P(sum = 4) = {p4:.6f} (3/36 = {3 / 36:.6f})")
    _buns(results, out)
    _image(results, out)
    _audio(results, out)
    _timings(results, quick)
    if out is None:
        print("\n(run `fftconv demo --out DIR` to write the figures, the GIF and the audio)")
    else:
        print(f"\n{len(results.get('files', []))} files written to {out}")
    return results


def _cmd(args: argparse.Namespace) -> int:
    try:
        run(Path(args.out) if args.out else None, quick=args.quick)
    except OSError as exc:  # --out: a file, an unwritable folder, a full disk
        print(f"fftconv demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


def add_cli(sub) -> None:
    p = sub.add_parser("demo", help="run the tour on built-in data (dice, buns, images, audio)")
    p.add_argument("--out", default=None, help="folder for figures and audio")
    p.add_argument("--quick", action="store_true", help="smaller timings (for tests)")
    p.set_defaults(func=_cmd)
