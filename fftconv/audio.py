"""Filter audio files in blocks: :func:`filter_file` and the ``fftconv filter`` command.

Files are read and written with :mod:`soundfile` (WAV, FLAC, OGG and the other
libsndfile formats) one block at a time through a :class:`fftconv.StreamConvolver`,
so a file larger than memory streams through. The output goes to a temporary
file next to ``OUT`` that is renamed over it only when complete: an
interrupted or failed run leaves no partial file behind. soundfile, tqdm and
scipy.signal are imported only when a function here runs.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import numbers
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from ._validate import check_positive_int

__all__ = ["filter_file", "design_fir", "add_cli", "IR_NORMS", "SUBTYPES"]

#: Choices of ``ir_norm``: leave the impulse response alone, scale its peak or energy to 1.
IR_NORMS = ("none", "peak", "energy")
#: Output sample formats offered by ``--subtype`` (any soundfile subtype works in Python).
SUBTYPES = ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")
#: Files longer than this (seconds) get a progress bar by default when stderr is a terminal.
PROGRESS_MIN_SECONDS = 30.0


def design_fir(kind: str, cutoff, samplerate: float, *, numtaps: int = 257,
               window="hamming") -> np.ndarray:
    """Design a linear-phase FIR filter with :func:`scipy.signal.firwin`.

    Parameters
    ----------
    kind : {'lowpass', 'highpass', 'bandpass'}
        Filter type.
    cutoff : float or (float, float)
        Cut-off frequency in Hz, or the band edges ``(lo, hi)`` for a band-pass.
    samplerate : float
        Sample rate in Hz; cut-offs must lie strictly between 0 and half of it.
    numtaps : int, optional
        Filter length (odd for high-pass and band-pass filters).
    window : str or tuple, optional
        Window of :func:`scipy.signal.get_window`; ``"kaiser,8.6"`` is read as
        ``("kaiser", 8.6)``.

    Returns
    -------
    ndarray
        The ``numtaps`` filter taps (float64).

    Examples
    --------
    >>> from fftconv.audio import design_fir
    >>> h = design_fir("lowpass", 1000, 48000, numtaps=101)
    >>> h.shape, round(float(h.sum()), 6)
    ((101,), 1.0)
    """
    import scipy.signal

    numtaps = check_positive_int(numtaps, "numtaps")
    edges = list(cutoff) if kind == "bandpass" else [cutoff]
    nyq = samplerate / 2
    for f in edges:
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 < f < nyq:
            raise ValueError(f"{kind} cut-off must be a frequency between 0 and {nyq:g} Hz "
                             f"(half the sample rate {samplerate:g} Hz), got {f!r}")
    if kind == "bandpass" and not edges[0] < edges[1]:
        raise ValueError(f"bandpass needs LO < HI, got {tuple(edges)!r}")
    if kind != "lowpass" and numtaps % 2 == 0:
        raise ValueError(f"numtaps must be odd for a {kind} filter, got numtaps={numtaps}")
    if isinstance(window, str) and "," in window:
        name, *params = window.split(",")
        try:
            window = (name, *(float(p) for p in params))
        except ValueError:
            raise ValueError(f"window parameters must be numbers, got window={window!r} "
                             "(e.g. 'kaiser,8.6')") from None
    try:
        return scipy.signal.firwin(numtaps, edges if kind == "bandpass" else edges[0],
                                   window=window, pass_zero=kind, fs=samplerate)
    except ValueError as exc:
        raise ValueError(f"cannot design the {kind} filter with window={window!r}: "
                         f"{exc}") from None


def _open_input(path, what: str = "input file"):
    import soundfile as sf

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist")
    try:
        return sf.SoundFile(str(p))
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        raise ValueError(f"cannot read {str(p)!r} as audio: {exc}") from None


def _load_ir(ir, rate: int, resample_ir: bool) -> np.ndarray:
    """The impulse response as (frames, channels) float64 at ``rate``."""
    if isinstance(ir, (str, os.PathLike)):
        with _open_input(ir, "ir file") as f:
            h = f.read(dtype="float64", always_2d=True)
            ir_rate = f.samplerate
        if ir_rate != rate:
            if not resample_ir:
                raise ValueError(f"the impulse response is sampled at {ir_rate} Hz but the "
                                 f"input at {rate} Hz; pass resample_ir=True (--resample-ir)")
            import scipy.signal

            g = math.gcd(rate, ir_rate)
            h = scipy.signal.resample_poly(h, rate // g, ir_rate // g, axis=0)
    else:
        h = np.asarray(ir, dtype=np.float64)
        h = h[:, None] if h.ndim == 1 else h
    if h.ndim != 2 or h.shape[0] == 0:
        raise ValueError(f"the impulse response must be (frames[, channels]) with at least one "
                         f"frame, got shape {h.shape}")
    return h


def _load_taps(taps) -> np.ndarray:
    if isinstance(taps, (str, os.PathLike)):
        p = Path(taps)
        if not p.exists():
            raise FileNotFoundError(f"taps file {str(p)!r} does not exist")
        try:
            if p.suffix == ".npy":
                h = np.load(p)
            else:
                text = p.read_text()
                h = np.loadtxt(p, delimiter="," if "," in text else None, ndmin=1)
        except Exception as exc:  # corrupt .npy: EOFError, tokenize.TokenError, SyntaxError...
            raise ValueError(f"cannot read taps from {str(p)!r}: {exc}") from None
    else:
        h = np.asarray(taps, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64).reshape(-1)
    if h.size == 0:
        raise ValueError("taps must hold at least one coefficient")
    return h[:, None]


def _mixing(h: np.ndarray, channels: int, ir_name: str) -> np.ndarray:
    """Map IR channels onto the input: mono, channel to channel, or true stereo (4 -> 2x2)."""
    hc = h.shape[1]
    if hc == 1:
        return h[:, 0]
    if hc == channels:
        return h
    if hc == 4 and channels == 2:  # LL, LR, RL, RR: (time, in, out)
        return h.reshape(-1, 2, 2)
    raise ValueError(f"channel mismatch: the input has {channels} channel(s) but {ir_name} has "
                     f"{hc} (allowed: 1, {channels}" + (", or 4 for true stereo" if channels == 2
                                                        else "") + ")")


def _check_level(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {name}={value!r}")
    return float(value)


def filter_file(in_path, out_path, *, ir=None, lowpass=None, highpass=None, bandpass=None,
                taps=None, numtaps: int = 257, window="hamming", wet: float = 1.0,
                dry: float = 0.0, ir_norm: str = "none", tail: bool = False,
                guard: bool = False, subtype: str | None = None, block_size: int = 4096,
                resample_ir: bool = False, force: bool = False,
                progress: bool | None = None) -> dict:
    """Convolve an audio file with an impulse response or a designed FIR filter.

    Parameters
    ----------
    in_path, out_path : path-like
        Input and output files; the output format follows the extension of
        `out_path` (``.wav``, ``.flac``, ``.ogg``, ...).
    ir : path-like or array_like, optional
        Impulse response: an audio file (resampled to the input's rate when
        `resample_ir`, else its rate must match) or an array ``(frames[,
        channels])`` at the input's rate. One channel applies to every input
        channel, as many channels as the input map channel to channel, and
        4 channels on a stereo input are a "true stereo" set (L->L, L->R,
        R->L, R->R).
    lowpass, highpass : float, optional
        Cut-off in Hz of a :func:`design_fir` filter.
    bandpass : (float, float), optional
        Band edges in Hz.
    taps : path-like or array_like, optional
        FIR taps: a ``.npy`` file, a text file of numbers, or an array.
    numtaps, window : see `design_fir`
    wet, dry : float, optional
        Output = ``wet * filtered + dry * input`` (defaults 1 and 0).
    ir_norm : {'none', 'peak', 'energy'}, optional
        Scale the impulse response so its largest magnitude (``'peak'``) or
        its energy (``'energy'``) is 1. Default ``'none'``: used as given.
    tail : bool, optional
        Keep the full convolution (``len(ir) - 1`` more frames) instead of
        the input's length.
    guard : bool, optional
        Scan the output's peak in a first pass and scale it down so nothing
        clips (never up). Without it, PCM output is clipped to [-1, 1] and
        the count of clipped samples is returned.
    subtype : str, optional
        Sample format (``'PCM_16'``, ``'PCM_24'``, ``'FLOAT'``, ...); default
        the input's, or the output format's default if it cannot hold it.
    block_size : int, optional
        Frames read and convolved at a time.
    resample_ir : bool, optional
        Resample an `ir` file of another rate (:func:`scipy.signal.resample_poly`).
    force : bool, optional
        Overwrite an existing `out_path`.
    progress : bool, optional
        Show a tqdm progress bar on stderr; default: when stderr is a terminal
        and the input is longer than :data:`PROGRESS_MIN_SECONDS`.

    Returns
    -------
    dict
        ``frames_in``, ``frames_out``, ``samplerate``, ``channels``,
        ``taps`` (impulse response length), ``subtype``, ``gain`` (applied by
        `guard`), ``peak`` (before clipping), ``clipped`` (samples) and ``out``.

    Raises
    ------
    FileNotFoundError
        If `in_path` (or an `ir`/`taps` file) does not exist, or the folder
        of `out_path` does not.
    FileExistsError
        If `out_path` exists and not `force`.
    IsADirectoryError
        If `out_path` is a folder.
    ValueError
        For an unreadable input, a bad option, or a sample-rate or channel
        mismatch between the impulse response and the input.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> from fftconv.audio import filter_file
    >>> d = tempfile.mkdtemp()
    >>> x = np.random.default_rng(0).standard_normal(8000) * 0.1
    >>> sf.write(os.path.join(d, "in.wav"), x, 8000)
    >>> info = filter_file(os.path.join(d, "in.wav"), os.path.join(d, "out.wav"),
    ...                    lowpass=1000, numtaps=63)
    >>> info["frames_out"], info["subtype"]
    (8000, 'PCM_16')
    >>> import shutil; shutil.rmtree(d)
    """
    import soundfile as sf

    from .stream import StreamConvolver

    chosen = {k: v for k, v in dict(ir=ir, lowpass=lowpass, highpass=highpass,
                                    bandpass=bandpass, taps=taps).items() if v is not None}
    if len(chosen) != 1:
        raise ValueError("give exactly one of ir, lowpass, highpass, bandpass or taps, got "
                         + (", ".join(chosen) or "none"))
    (kind, spec), = chosen.items()
    wet, dry = _check_level(wet, "wet"), _check_level(dry, "dry")
    if ir_norm not in IR_NORMS:
        raise ValueError(f"ir_norm must be one of {', '.join(map(repr, IR_NORMS))}, "
                         f"got ir_norm={ir_norm!r}")
    block_size = check_positive_int(block_size, "block_size")
    out = Path(out_path)
    fmt = out.suffix[1:].upper()
    if fmt not in sf.available_formats():
        raise ValueError(f"cannot tell the output format from {str(out)!r}: use an extension "
                         "such as .wav, .flac or .ogg")
    if out.is_dir():
        raise IsADirectoryError(f"out_path must be a file name, got the folder {str(out)!r}")
    if out.exists() and not force:
        raise FileExistsError(f"{str(out)!r} exists; pass force=True (--force) to overwrite it")
    if not out.parent.is_dir():  # before any work; mkstemp would name its hidden file
        raise FileNotFoundError(f"output folder {str(out.parent)!r} does not exist "
                                f"(out_path={str(out)!r})")
    with _open_input(in_path) as src:
        rate, channels, frames = src.samplerate, src.channels, src.frames
        if kind == "ir":
            h = _load_ir(spec, rate, resample_ir)
        elif kind == "taps":
            h = _load_taps(spec)
        else:
            h = design_fir(kind, spec, rate, numtaps=numtaps, window=window)[:, None]
        if not np.all(np.isfinite(h)):
            raise ValueError(f"the {kind} impulse response holds NaN or infinity")
        if ir_norm != "none":
            scale = np.max(np.abs(h)) if ir_norm == "peak" else np.sqrt(np.sum(h * h))
            if scale == 0:
                raise ValueError(f"cannot normalise an all-zero impulse response ({ir_norm})")
            h = h / scale
        h = _mixing(h, channels, kind)
        if subtype is None:
            subtype = src.subtype if sf.check_format(fmt, src.subtype) else \
                sf.default_subtype(fmt)
        elif not isinstance(subtype, str) or not sf.check_format(fmt, subtype.upper()):
            raise ValueError(f"subtype {subtype!r} cannot be written to a {fmt} file; choose "
                             f"from {sorted(sf.available_subtypes(fmt))}")
        subtype = subtype.upper()
        n_out = frames + (h.shape[0] - 1 if tail else 0)
        if progress is None:
            progress = sys.stderr.isatty() and frames > PROGRESS_MIN_SECONDS * rate
        conv = StreamConvolver(h, block_size, channels=channels, axis=0)
        with conv:
            def blocks():
                src.seek(0)
                for x in src.blocks(blocksize=block_size, dtype="float64", always_2d=True):
                    y = conv.process(x)
                    y *= wet
                    if dry:
                        y += dry * x
                    yield y
                if tail:
                    yield conv.flush() * wet
                conv.reset()

            gain = 1.0
            if guard:
                peak = max((float(np.max(np.abs(y), initial=0.0))
                            for y in _bar(blocks(), n_out, progress, "scan")), default=0.0)
                gain = 1.0 / peak if peak > 1.0 else 1.0
            result = _write(out, blocks(), rate=rate, channels=channels, subtype=subtype,
                            fmt=fmt, gain=gain, n_out=n_out, progress=progress)
    result.update(frames_in=frames, samplerate=rate, channels=channels, taps=h.shape[0],
                  subtype=subtype, gain=gain, out=str(out))
    return result


def _bar(it, total: int, show: bool, desc: str):
    if not show:
        yield from it
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="frame", unit_scale=True, desc=desc, file=sys.stderr) as bar:
        for y in it:
            bar.update(len(y))
            yield y


def _write(out: Path, blocks, *, rate, channels, subtype, fmt, gain, n_out, progress) -> dict:
    """Write blocks to a temporary file beside ``out``, then rename it over ``out``."""
    import soundfile as sf

    pcm = subtype.startswith("PCM") or subtype in ("ULAW", "ALAW")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    except OSError as exc:  # name the folder, not the hidden temporary file
        raise type(exc)(f"cannot write into the folder {str(out.parent)!r} of "
                        f"{str(out)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    peak, clipped, written = 0.0, 0, 0
    try:
        with sf.SoundFile(tmp, "w", samplerate=rate, channels=channels, subtype=subtype,
                          format=fmt) as dst:
            for y in _bar(blocks, n_out, progress, "filter"):
                if gain != 1.0:
                    y *= gain
                if len(y):
                    peak = max(peak, float(np.max(np.abs(y))))
                if pcm:
                    over = np.abs(y) > 1.0
                    clipped += int(np.count_nonzero(over))
                    np.clip(y, -1.0, 1.0, out=y)
                dst.write(y)
                written += len(y)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return {"frames_out": written, "peak": peak, "clipped": clipped}


# --------------------------------------------------------------------------- CLI


def _cmd_filter(args: argparse.Namespace) -> int:
    kw = dict(ir=args.ir, lowpass=args.lowpass, highpass=args.highpass,
              bandpass=tuple(args.bandpass) if args.bandpass else None, taps=args.taps,
              numtaps=args.numtaps, window=args.window, wet=args.wet, dry=args.dry,
              ir_norm=args.ir_norm, tail=args.tail, guard=args.guard, subtype=args.subtype,
              block_size=args.block_size, resample_ir=args.resample_ir, force=args.force,
              progress=False if args.quiet else None)
    # SIGTERM (e.g. from a job scheduler) unwinds like Ctrl-C, so the temporary
    # file is removed; only SIGKILL can leave a hidden ``.OUT.*.part`` behind.
    previous = None
    if threading.current_thread() is threading.main_thread():
        def _terminate(signum, frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        info = filter_file(args.input, args.output, **kw)
    except (ValueError, TypeError, OSError) as exc:
        print(f"fftconv filter: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fftconv filter: interrupted; no output written", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if info["clipped"]:
        print(f"fftconv filter: warning: {info['clipped']} samples clipped (use --guard)",
              file=sys.stderr)
    if not args.quiet:
        print(f"wrote {info['out']}: {info['frames_out']} frames, {info['channels']} channel(s), "
              f"{info['samplerate']} Hz, {info['subtype']}, {info['taps']} taps, "
              f"gain {info['gain']:.4g}")
    return 0


def add_cli(sub) -> None:
    """Add the ``filter`` subcommand to the ``fftconv`` command's subparsers."""
    p = sub.add_parser(
        "filter", help="convolve an audio file with an impulse response or an FIR filter",
        description="Convolve IN with an impulse response or a designed FIR filter, streaming "
        "in blocks, and write OUT (format from its extension). OUT is written to a temporary "
        "file and renamed when complete. Errors exit with code 2.")
    p.add_argument("input", metavar="IN", help="input audio file (WAV, FLAC, OGG, ...)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output audio file")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--ir", metavar="IR_FILE", help="impulse response audio file")
    g.add_argument("--lowpass", type=float, metavar="HZ", help="FIR low-pass cut-off")
    g.add_argument("--highpass", type=float, metavar="HZ", help="FIR high-pass cut-off")
    g.add_argument("--bandpass", type=float, nargs=2, metavar=("LO", "HI"), help="FIR band")
    g.add_argument("--taps", metavar="FILE", help="FIR taps (.npy or text)")
    p.add_argument("--numtaps", type=int, default=257, help="FIR length (default 257)")
    p.add_argument("--window", default="hamming",
                   help="FIR window, e.g. hann or kaiser,8.6 (default hamming)")
    p.add_argument("--wet", type=float, default=1.0, help="filtered level (default 1)")
    p.add_argument("--dry", type=float, default=0.0, help="input level (default 0)")
    p.add_argument("--ir-norm", choices=IR_NORMS, default="none",
                   help="scale the impulse response to unit peak or energy (default none)")
    p.add_argument("--tail", action="store_true", help="keep the full convolution tail")
    p.add_argument("--guard", action="store_true", help="two passes: scale down so nothing clips")
    p.add_argument("--subtype", type=str.upper, choices=SUBTYPES,
                   help="sample format (default: the input's)")
    p.add_argument("--block-size", type=int, default=4096, help="frames per block (default 4096)")
    p.add_argument("--resample-ir", action="store_true",
                   help="resample an impulse response of another sample rate")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=_cmd_filter)
