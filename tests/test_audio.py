"""Tests for fftconv.audio.filter_file and the ``fftconv filter`` command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

import fftconv
from fftconv import audio
from fftconv.cli import main

RATE = 8000


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FFTCONV_PERSIST", "0")


@pytest.fixture
def wav(tmp_path, rng):
    """A 0.5 s stereo PCM_24 noise file; returns (path, data as float64)."""
    x = rng.uniform(-0.3, 0.3, (RATE // 2, 2))
    path = tmp_path / "in.wav"
    sf.write(path, x, RATE, subtype="PCM_24")
    return path, sf.read(path, always_2d=True)[0]


@pytest.fixture
def ir_file(tmp_path, rng):
    h = rng.standard_normal(300) * np.exp(-np.arange(300) / 60) * 0.1
    path = tmp_path / "ir.wav"
    sf.write(path, h, RATE, subtype="FLOAT")
    return path, sf.read(path)[0]


def _read(path):
    return sf.read(path, always_2d=True)[0]


def _expected(x, h, n=None):
    y = np.stack([fftconv.convolve(x[:, c], h) for c in range(x.shape[1])], axis=1)
    return y if n is None else y[:n]


def _cli(*args) -> int:
    return main(["filter", *map(str, args)])


def test_ir_file_matches_offline_convolution(wav, ir_file, tmp_path):
    (src, x), (irp, h) = wav, ir_file
    out = tmp_path / "out.wav"
    assert _cli(src, "-o", out, "--ir", irp, "--subtype", "float", "--block-size", 100) == 0
    assert sf.info(out).subtype == "FLOAT"
    np.testing.assert_allclose(_read(out), _expected(x, h, len(x)), atol=1e-6)


def test_tail_keeps_full_convolution(wav, ir_file, tmp_path):
    (src, x), (irp, h) = wav, ir_file
    out = tmp_path / "out.flac"
    info = audio.filter_file(src, out, ir=irp, tail=True)
    assert info["frames_out"] == len(x) + len(h) - 1 == sf.info(out).frames
    assert sf.info(out).subtype == "PCM_24"  # kept from the input
    np.testing.assert_allclose(_read(out), _expected(x, h), atol=2e-6)


@pytest.mark.parametrize("opt, kind, cutoff", [
    (["--lowpass", "1000"], "lowpass", 1000.0),
    (["--highpass", "500"], "highpass", 500.0),
    (["--bandpass", "300", "2000"], "bandpass", [300.0, 2000.0]),
])
def test_fir_design_options(opt, kind, cutoff, wav, tmp_path):
    src, x = wav
    out = tmp_path / "out.wav"
    assert _cli(src, "-o", out, *opt, "--numtaps", 101, "--window", "kaiser,8.6",
                "--subtype", "DOUBLE", "--quiet") == 0
    taps = scipy.signal.firwin(101, cutoff, window=("kaiser", 8.6), pass_zero=kind, fs=RATE)
    np.testing.assert_allclose(_read(out), _expected(x, taps, len(x)), atol=1e-12)


@pytest.mark.parametrize("suffix", [".npy", ".txt", ".csv"])
def test_taps_files(suffix, wav, tmp_path):
    src, x = wav
    taps = np.array([0.25, 0.5, 0.25])
    path = tmp_path / f"taps{suffix}"
    if suffix == ".npy":
        np.save(path, taps)
    else:
        path.write_text(("," if suffix == ".csv" else "\n").join(map(str, taps)))
    out = tmp_path / "out.wav"
    assert _cli(src, "-o", out, "--taps", path, "--subtype", "FLOAT") == 0
    np.testing.assert_allclose(_read(out), _expected(x, taps, len(x)), atol=1e-6)


def test_wet_dry_and_ir_norm(wav, ir_file, tmp_path):
    (src, x), (irp, h) = wav, ir_file
    for norm, scale in [("peak", np.max(np.abs(h))), ("energy", np.sqrt(np.sum(h * h)))]:
        out = tmp_path / f"{norm}.wav"
        assert _cli(src, "-o", out, "--ir", irp, "--ir-norm", norm, "--wet", 0.5, "--dry",
                    0.25, "--subtype", "FLOAT") == 0
        want = 0.5 * _expected(x, h / scale, len(x)) + 0.25 * x
        np.testing.assert_allclose(_read(out), want, atol=1e-6)


def test_guard_prevents_clipping_and_plain_run_clips(wav, tmp_path, capsys):
    src, x = wav
    loud = np.array([4.0])  # x 4 exceeds full scale
    info = audio.filter_file(src, tmp_path / "clip.wav", taps=loud)
    assert info["clipped"] > 0 and info["gain"] == 1.0
    assert np.max(np.abs(_read(tmp_path / "clip.wav"))) <= 1.0
    np.save(tmp_path / "t.npy", loud)
    assert _cli(src, "-o", tmp_path / "g.wav", "--taps", tmp_path / "t.npy", "--guard",
                "--subtype", "FLOAT") == 0
    y = _read(tmp_path / "g.wav")
    np.testing.assert_allclose(np.max(np.abs(y)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y, x / np.max(np.abs(x)), atol=1e-6)
    assert f"gain {1 / 4 / np.max(np.abs(x)):.4g}" in capsys.readouterr().out
    assert _cli(src, "-o", tmp_path / "c.wav", "--taps", tmp_path / "t.npy") == 0
    assert "samples clipped (use --guard)" in capsys.readouterr().err


def test_true_stereo_and_channel_mismatch(wav, tmp_path, rng):
    src, x = wav
    h4 = rng.standard_normal((50, 4)) * 0.1
    sf.write(tmp_path / "ts.wav", h4, RATE, subtype="FLOAT")
    h4 = _read(tmp_path / "ts.wav")
    assert _cli(src, "-o", tmp_path / "o.wav", "--ir", tmp_path / "ts.wav", "--subtype",
                "FLOAT") == 0
    m = h4.reshape(-1, 2, 2)
    want = np.stack([sum(fftconv.convolve(x[:, i], m[:, i, o]) for i in range(2))
                     for o in range(2)], axis=1)[:len(x)]
    np.testing.assert_allclose(_read(tmp_path / "o.wav"), want, atol=1e-6)
    sf.write(tmp_path / "three.wav", rng.standard_normal((50, 3)) * 0.1, RATE)
    with pytest.raises(ValueError, match="channel mismatch: the input has 2 channel"):
        audio.filter_file(src, tmp_path / "p.wav", ir=tmp_path / "three.wav")


def test_sample_rate_mismatch_and_resample(wav, tmp_path, rng, capsys):
    src, x = wav
    h = np.zeros(160)
    h[0] = 1.0
    sf.write(tmp_path / "ir16k.wav", h, 2 * RATE, subtype="FLOAT")
    assert _cli(src, "-o", tmp_path / "o.wav", "--ir", tmp_path / "ir16k.wav") == 2
    err = capsys.readouterr().err
    assert err.startswith("fftconv filter: error:") and "16000 Hz" in err and "--resample-ir" in err
    info = audio.filter_file(src, tmp_path / "o.wav", ir=tmp_path / "ir16k.wav",
                             resample_ir=True, subtype="FLOAT")
    assert info["taps"] == 80
    want = scipy.signal.resample_poly(h, 1, 2)
    np.testing.assert_allclose(_read(tmp_path / "o.wav"), _expected(x, want, len(x)),
                               atol=1e-6)


def test_existing_output_needs_force(wav, tmp_path, capsys):
    src, x = wav
    out = tmp_path / "out.wav"
    out.write_bytes(b"keep me")
    assert _cli(src, "-o", out, "--lowpass", 1000) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert _cli(src, "-o", out, "--lowpass", 1000, "--force", "--quiet") == 0
    assert sf.info(out).frames == len(x)
    assert capsys.readouterr().out == ""


def test_interrupted_run_leaves_no_file(wav, tmp_path, monkeypatch, capsys):
    src, _ = wav
    from fftconv.stream import StreamConvolver

    calls = []

    def interrupt(self, block, **kw):
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return orig(self, block, **kw)

    orig = StreamConvolver.process
    monkeypatch.setattr(StreamConvolver, "process", interrupt)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert _cli(src, "-o", tmp_path / "out.wav", "--lowpass", 1000, "--block-size", 512) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00garbage" * 10])
def test_corrupt_or_missing_input_exit_2(content, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    assert _cli(bad, "-o", tmp_path / "o.wav", "--lowpass", 100) == 2
    assert "cannot read" in capsys.readouterr().err
    assert _cli(tmp_path / "missing.wav", "-o", tmp_path / "o.wav", "--lowpass", 100) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()


@pytest.mark.parametrize("args, match", [
    (["--lowpass", "5000"], "between 0 and 4000 Hz"),
    (["--lowpass", "-1"], "between 0"),
    (["--highpass", "100", "--numtaps", "100"], "numtaps must be odd"),
    (["--bandpass", "2000", "300"], "LO < HI"),
    (["--lowpass", "100", "--window", "nosuch"], "window"),
    (["--lowpass", "100", "--numtaps", "0"], "numtaps"),
    (["--lowpass", "100", "--block-size", "0"], "block_size"),
    (["--lowpass", "100", "--wet", "nan"], "wet must be a finite number"),
    (["--taps", "missing.npy"], "taps file 'missing.npy' does not exist"),
    (["--ir", "missing.wav"], "does not exist"),
])
def test_option_errors_exit_2(args, match, wav, tmp_path, capsys, monkeypatch):
    src, _ = wav
    monkeypatch.chdir(tmp_path)
    assert _cli(src, "-o", tmp_path / "o.wav", *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("fftconv filter: error:") and match in err
    assert not (tmp_path / "o.wav").exists()


def test_library_errors(wav, tmp_path):
    src, _ = wav
    with pytest.raises(ValueError, match="exactly one of ir, lowpass"):
        audio.filter_file(src, tmp_path / "o.wav", lowpass=100, highpass=200)
    with pytest.raises(ValueError, match="none"):
        audio.filter_file(src, tmp_path / "o.wav")
    with pytest.raises(ValueError, match="ir_norm must be one of"):
        audio.filter_file(src, tmp_path / "o.wav", lowpass=100, ir_norm="max")
    with pytest.raises(ValueError, match="output format"):
        audio.filter_file(src, tmp_path / "o.xyz", lowpass=100)
    with pytest.raises(ValueError, match="cannot be written to a FLAC"):
        audio.filter_file(src, tmp_path / "o.flac", lowpass=100, subtype="FLOAT")
    with pytest.raises(ValueError, match="all-zero"):
        audio.filter_file(src, tmp_path / "o.wav", taps=[0.0], ir_norm="peak")
    with pytest.raises(ValueError, match="NaN"):
        audio.filter_file(src, tmp_path / "o.wav", taps=[np.nan])


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["filter", "in.wav"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["filter", "in.wav", "-o", "x.wav", "--lowpass", "1", "--highpass", "2"])
    assert e.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_progress_bar_and_ogg_default_subtype(wav, tmp_path, capsys):
    src, x = wav
    info = audio.filter_file(src, tmp_path / "o.ogg", lowpass=1000, progress=True, guard=True)
    assert "scan" in capsys.readouterr().err and info["subtype"] == "VORBIS"
    sf.write(tmp_path / "v.ogg", x, RATE)
    info = audio.filter_file(tmp_path / "v.ogg", tmp_path / "v.wav", lowpass=1000)
    assert info["subtype"] == "PCM_16"  # WAV cannot hold VORBIS: the format's default


def test_import_is_lazy():
    code = ("import sys, fftconv, fftconv.audio, fftconv.stream; "
            "print(sorted(m for m in ('soundfile', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_missing_taps_or_ir_file_is_file_not_found(wav, tmp_path, capsys):
    src, _ = wav
    for kw, match in [({"taps": tmp_path / "nofile.npy"}, "taps file .*nofile.npy"),
                      ({"taps": tmp_path / "nofile.txt"}, "taps file .*nofile.txt"),
                      ({"ir": tmp_path / "nofile.wav"}, "ir file .*nofile.wav")]:
        with pytest.raises(FileNotFoundError, match=match):
            audio.filter_file(src, tmp_path / "o.wav", **kw)
    assert _cli(src, "-o", tmp_path / "o.wav", "--taps", tmp_path / "nofile.npy") == 2
    err = capsys.readouterr().err
    assert err.startswith("fftconv filter: error: taps file") and "does not exist" in err
    assert not (tmp_path / "o.wav").exists()


def test_missing_or_unusable_output_folder_is_named(wav, tmp_path, capsys, monkeypatch):
    src, _ = wav
    out = tmp_path / "nodir" / "x.wav"
    with pytest.raises(FileNotFoundError, match=r"output folder .*nodir' does not exist"):
        audio.filter_file(src, out, lowpass=100)
    assert _cli(src, "-o", out, "--lowpass", 100) == 2
    err = capsys.readouterr().err
    assert err.startswith("fftconv filter: error: output folder") and ".part" not in err
    (tmp_path / "d.wav").mkdir()
    with pytest.raises(IsADirectoryError, match="out_path must be a file name"):
        audio.filter_file(src, tmp_path / "d.wav", lowpass=100, force=True)
    # a folder that cannot take the temporary file: named, not the hidden file
    import tempfile

    def refuse(*args, **kw):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".x.wav.abc.part"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match=r"cannot write into the folder") as exc:
        audio.filter_file(src, tmp_path / "x.wav", lowpass=100)
    assert ".part" not in str(exc.value)
