"""Smoke tests: every examples/*.py script runs headless, and so does ``fftconv demo``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: Tested elsewhere (tests/test_dask.py): needs a dask cluster and more time.
SKIP = {"dask_large_signal.py"}
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if p.name not in SKIP)


def test_examples_found():
    names = {p.name for p in SCRIPTS}
    assert {"buns_decay.py", "image_smoothing.py", "signal_filtering.py",
            "convolution_theorem.py"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "FFTCONV_EXAMPLES_OUT": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"
    assert not [p for p in tmp_path.iterdir() if p.is_file() and p.suffix == ".py"]


def test_example_docstrings_are_gallery_ready():
    for script in SCRIPTS:
        text = script.read_text()
        assert text.startswith('"""'), script.name
        lines = text.split('"""')[1].strip().splitlines()
        assert len(lines) >= 2 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), \
            f"{script.name}: the docstring must start with an RST title underlined with '='"
    readme = (EXAMPLES / "README.txt").read_text().splitlines()
    assert readme[0] == "Gallery" and set(readme[1]) == {"="}


def test_demo_quick_writes_files(tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    from fftconv import _demo

    res = _demo.run(tmp_path / "demo", quick=True)
    out = capsys.readouterr().out
    assert "P(sum = 4) = 0.083333" in out and "speed-up" in out
    assert abs(res["p_sum_4"] - 3 / 36) < 1e-12
    assert abs(res["buns_24h"] - res["buns_exact"]) < 1e-3 * res["buns_exact"]
    assert res["psnr"]["gaussian"] > res["psnr"]["noisy"] + 3
    assert res["audio_snr"]["filtered"] > res["audio_snr"]["noisy"] + 6
    names = {Path(f).name for f in res["files"]}
    assert names == {"buns_decay.png", "image_smoothing.png", "sliding.gif",
                     "chirp_noisy.wav", "chirp_filtered.wav"}
    for f in res["files"]:
        assert Path(f).parent == tmp_path / "demo" and Path(f).stat().st_size > 0


def test_demo_cli_without_out_writes_nothing(tmp_path, monkeypatch, capsys):
    from fftconv import _demo

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_demo, "_timings", lambda results, quick: None)  # keep it fast
    from fftconv.cli import main

    assert main(["demo", "--quick"]) == 0
    assert "--out DIR" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
