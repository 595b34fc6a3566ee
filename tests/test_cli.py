"""Tests for the ``fftconv`` command's own subcommands (plan, calibrate) and ``demo``'s errors.

Bad numbers and unusable paths print one ``fftconv CMD: error: ...`` line and exit
with code 2, like ``fftconv filter`` (tests/test_audio.py) and argparse itself.
"""

from __future__ import annotations

import pytest

from fftconv import _demo
from fftconv.cli import main


def _error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(f"fftconv {command}: error: ") and "Traceback" not in err
    assert err.count("\n") == 1
    return err


@pytest.mark.parametrize("workers, match", [("0", "workers must not be 0"),
                                            ("-1000", "workers=-1000")])
def test_calibrate_bad_workers_exit_2(workers, match, capsys):
    assert main(["calibrate", "--workers", workers, "--no-save"]) == 2
    assert match in _error_line(capsys, "calibrate")


def test_calibrate_interrupted_exit_130(monkeypatch, capsys):
    import fftconv

    def interrupt(**kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(fftconv, "calibrate", interrupt)
    try:
        rc = main(["calibrate", "--no-save"])
    except KeyboardInterrupt:  # must not escape (it would stop pytest itself)
        pytest.fail("KeyboardInterrupt escaped fftconv calibrate")
    assert rc == 130
    assert "interrupted" in capsys.readouterr().err


def test_plan_bad_workers_exit_2(capsys):
    assert main(["plan", "100", "3", "--workers", "0"]) == 2
    assert "workers" in _error_line(capsys, "plan")


@pytest.fixture
def no_work(monkeypatch):
    """Make ``demo`` fail if it gets past its argument checks."""
    def fail(*args, **kw):
        raise AssertionError("the demo ran before checking --out")

    monkeypatch.setattr(_demo, "_buns", fail)


def test_demo_out_is_a_file_exit_2(tmp_path, capsys, no_work):
    existing = tmp_path / "afile"
    existing.write_text("keep me")
    assert main(["demo", "--out", str(existing), "--quick"]) == 2
    err = _error_line(capsys, "demo")
    assert "out must be a folder" in err and "afile" in err
    assert existing.read_text() == "keep me"
    # a file where a parent folder should be
    assert main(["demo", "--out", str(existing / "sub"), "--quick"]) == 2
    assert "afile" in _error_line(capsys, "demo")
    with pytest.raises(NotADirectoryError, match="out must be a folder"):
        _demo.run(existing, quick=True)


def test_demo_unwritable_out_exit_2(tmp_path, capsys, no_work, monkeypatch):
    import os

    # root may write anywhere: pretend the folder is read-only
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert main(["demo", "--out", str(tmp_path), "--quick"]) == 2
    assert "cannot write into the folder" in _error_line(capsys, "demo")
