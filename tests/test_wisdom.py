"""Tests for fftconv.wisdom: save/load/forget, atomic files, corrupt files, persistence switch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import fftconv
from fftconv import _plans, wisdom

pytestmark = pytest.mark.skipif(not _plans.HAVE_PYFFTW, reason="wisdom needs pyfftw")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A private cache directory, persistence on, and wisdom state restored afterwards."""
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("FFTCONV_PERSIST", "1")
    monkeypatch.setattr(wisdom, "_loaded", False)
    monkeypatch.setattr(wisdom, "_dirty", False)
    yield tmp_path
    wisdom.forget()


def _measure_plan(n: int):
    return _plans._new_plan("rfft", (n,), np.float64, (0,), 1, "measure", None)


def _wisdom_only_plan(n: int):
    """A plan FFTW may only make from wisdom (RuntimeError when there is none)."""
    import pyfftw

    a = pyfftw.empty_aligned(n, dtype=np.float64)
    b = pyfftw.empty_aligned(n // 2 + 1, dtype=np.complex128)
    return pyfftw.FFTW(a, b, flags=("FFTW_MEASURE", "FFTW_DESTROY_INPUT", "FFTW_WISDOM_ONLY"))


def test_path_keyed_by_versions(cache):
    p = wisdom.path()
    assert p.parent == cache
    assert p.name.startswith("wisdom-fftw3.") and "-pyfftw" in p.name


def test_save_forget_load_round_trip(cache):
    wisdom.forget()
    _measure_plan(96)
    assert wisdom.save()
    data = json.loads(wisdom.path().read_text())
    assert data["format"] == wisdom.FORMAT and len(data["wisdom"]) == 3
    assert data["precisions"] == ["double", "single", "long double"]
    wisdom.forget()
    with pytest.raises(RuntimeError):
        _wisdom_only_plan(96)
    assert wisdom.load()
    _wisdom_only_plan(96)  # planned from the loaded wisdom, no measuring


def test_save_merges_wisdom_already_in_file(cache):
    wisdom.forget()
    _measure_plan(80)
    wisdom.save()
    wisdom.forget()  # memory empty, file holds 80
    _measure_plan(112)
    wisdom.save()  # must keep 80 from the file
    wisdom.forget()
    wisdom.load()
    _wisdom_only_plan(80)
    _wisdom_only_plan(112)


def test_forget_delete_file(cache):
    assert wisdom.save()
    assert wisdom.path().exists()
    wisdom.forget(delete_file=True)
    assert not wisdom.path().exists()


@pytest.mark.parametrize("content", [
    b"",                                   # empty (e.g. a writer killed mid-way)
    b'{"format": 2, "machine": "x", "wis',  # truncated JSON
    b"\x00\xff garbage",
    b'{"format": 99}',
    b"[1, 2, 3]",
])
def test_corrupt_file_ignored_with_warning(cache, content):
    wisdom.path().parent.mkdir(parents=True, exist_ok=True)
    wisdom.path().write_bytes(content)
    with pytest.warns(RuntimeWarning, match="ignoring corrupt or foreign FFTW wisdom"):
        assert wisdom.load() is False


def test_foreign_machine_ignored(cache):
    wisdom.save()
    data = json.loads(wisdom.path().read_text())
    data["machine"] = "another-box"
    wisdom.path().write_text(json.dumps(data))
    with pytest.warns(RuntimeWarning, match="another machine"):
        assert wisdom.load() is False


def test_auto_load_on_first_plan_survives_corrupt_file(cache):
    wisdom.path().parent.mkdir(parents=True, exist_ok=True)
    wisdom.path().write_bytes(b"{torn")
    with pytest.warns(RuntimeWarning, match="corrupt"):
        y = fftconv.Convolver(np.ones(3), 50, method="fft").conv(np.ones(50))
    assert np.allclose(y, np.convolve(np.ones(50), np.ones(3)))
    assert wisdom._loaded


def test_auto_load_is_lazy_and_once(cache, monkeypatch):
    calls = []
    monkeypatch.setattr(wisdom, "load", lambda *a, **k: calls.append(1) or False)
    wisdom._ensure_loaded()
    wisdom._ensure_loaded()
    assert calls == [1]


def test_persistence_off(cache, monkeypatch):
    monkeypatch.setenv("FFTCONV_PERSIST", "0")
    monkeypatch.setattr(wisdom, "load", lambda *a, **k: pytest.fail("auto-loaded"))
    wisdom._ensure_loaded()
    fftconv.Convolver(np.ones(20), 300, method="fft", planner="measure")
    assert not wisdom.path().exists()


def test_measure_convolver_saves_wisdom(cache):
    wisdom.forget()
    fftconv.Convolver(np.ones(20), 300, method="fft", planner="measure")
    assert wisdom.path().exists()
    assert not wisdom._dirty


def test_unwritable_cache_warns(cache, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("FFTCONV_CACHE_DIR", str(blocker / "sub"))
    with pytest.warns(RuntimeWarning, match="could not write"):
        assert wisdom.save() is False


def test_concurrent_savers_never_tear_the_file(cache):
    """Processes saving in a loop while this one keeps loading: never a torn file."""
    _measure_plan(120)
    wisdom.save()
    script = textwrap.dedent("""
        import numpy as np
        from fftconv import _plans, wisdom
        _plans._new_plan("rfft", (72,), np.float32, (0,), 1, "measure", None)
        for _ in range(25):
            assert wisdom.save()
    """)
    env = dict(os.environ, FFTCONV_CACHE_DIR=str(cache), FFTCONV_PERSIST="1")
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env) for _ in range(2)]
    loads = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn file would warn
        while any(p.poll() is None for p in procs) or loads < 20:
            assert wisdom.load()
            loads += 1
    assert all(p.wait(timeout=60) == 0 for p in procs)
    assert not [f for f in os.listdir(cache) if f.endswith(".tmp")]
    wisdom.forget()
    wisdom.load()
    _wisdom_only_plan(120)


def test_second_process_reuses_plan(cache):
    """A plan measured and saved here is made from wisdom in a fresh process."""
    n = fftconv.Convolver(np.ones(33), 1000, method="fft", planner="measure")._fshape[0]
    script = textwrap.dedent(f"""
        import numpy as np, pyfftw, fftconv
        fftconv.Convolver(np.ones(33), 1000, method="fft")  # estimate: auto-loads wisdom
        a = pyfftw.empty_aligned((1, {n})); b = pyfftw.empty_aligned((1, {n // 2 + 1}), complex)
        flags = ("FFTW_MEASURE", "FFTW_DESTROY_INPUT", "FFTW_WISDOM_ONLY")
        pyfftw.FFTW(a, b, axes=(1,), flags=flags)
        print("ok")
    """)
    env = dict(os.environ, FFTCONV_CACHE_DIR=str(cache), FFTCONV_PERSIST="1")
    res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
