"""Persistent FFTW wisdom: plans found by ``'measure'``-class planners, kept across runs.

Wisdom is loaded lazily, the first time a plan is made, from the user cache
directory (see :func:`path`), and saved with :func:`save` (atomically: a
temporary file renamed over the old one, so concurrent processes never see a
torn file). Files are keyed by FFTW version; a corrupt file is ignored with a
warning. Set ``FFTCONV_PERSIST=0`` to turn loading and saving off.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

from ._cache import atomic_write, cache_dir, persistence_enabled

__all__ = ["load", "save", "forget", "path"]

_lock = threading.Lock()
_loaded = False
_dirty = False


def _fftw():
    from . import _plans

    return _plans.pyfftw if _plans.HAVE_PYFFTW else None


def path() -> Path:
    """The wisdom file for this FFTW version."""
    fftw = _fftw()
    version = getattr(fftw, "__version__", "none") if fftw else "none"
    return cache_dir() / f"wisdom-pyfftw{version}.json"


def load(file: str | Path | None = None) -> bool:
    """Import wisdom from ``file`` (default :func:`path`); return True if any was loaded.

    A missing file returns False; a corrupt one warns and returns False.
    """
    global _loaded
    fftw = _fftw()
    with _lock:
        _loaded = True
    if fftw is None:
        return False
    p = Path(file) if file is not None else path()
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        warnings.warn(f"ignoring unreadable FFTW wisdom {str(p)!r}: {exc}", RuntimeWarning,
                      stacklevel=2)
        return False
    try:
        data = json.loads(raw)
        if data.get("format") != 1:
            raise ValueError("unknown format")
        parts = tuple(s.encode("ascii") for s in data["wisdom"])
        if len(parts) != 3:
            raise ValueError("expected 3 precisions")
        ok = fftw.import_wisdom(parts)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError) as exc:
        warnings.warn(f"ignoring corrupt FFTW wisdom {str(p)!r} ({exc})", RuntimeWarning,
                      stacklevel=2)
        return False
    return any(ok)


def save(file: str | Path | None = None) -> bool:
    """Export the current wisdom to ``file`` (default :func:`path`), atomically."""
    global _dirty
    fftw = _fftw()
    if fftw is None:
        return False
    p = Path(file) if file is not None else path()
    parts = [w.decode("ascii") for w in fftw.export_wisdom()]
    ok = atomic_write(p, json.dumps({"format": 1, "wisdom": parts}).encode())
    if ok:
        _dirty = False
    return ok


def forget(*, delete_file: bool = False) -> None:
    """Forget all wisdom in memory (and delete the saved file if asked)."""
    global _loaded
    fftw = _fftw()
    if fftw is not None:
        fftw.forget_wisdom()
    with _lock:
        _loaded = True  # do not reload what the user just dropped
    if delete_file:
        try:
            path().unlink()
        except OSError:
            pass


def _ensure_loaded() -> None:
    if _loaded or not persistence_enabled():
        return
    load()


def _note_new_wisdom() -> None:
    global _dirty
    _dirty = True
