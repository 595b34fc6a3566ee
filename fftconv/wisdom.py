"""Persistent FFTW wisdom: plans found by ``'measure'``-class planners, kept across runs.

FFTW's ``'measure'``, ``'patient'`` and ``'exhaustive'`` planners time
candidate algorithms, which can take seconds; the result (*wisdom*) lets a
later plan of the same size, in this process or another, be made at once.

* **Loading** is automatic and lazy: the first time fftconv makes a plan it
  imports the wisdom file from the user cache directory (:func:`path`).
* **Saving** happens when a :class:`fftconv.Convolver` is built with a
  ``'measure'``-class planner, or when you call :func:`save`. The file is
  written atomically (a temporary file renamed over the old one), so a
  concurrent process reads either the old file or the new one, never a torn
  one; what is already in the file is merged in first, so processes saving in
  turn keep each other's wisdom.
* **Keys**: the file name carries the FFTW and pyFFTW versions, and the file
  records the machine (architecture, processor, CPU count); a file from another
  version or machine, or a corrupt one, is ignored with a ``RuntimeWarning``.
  One file holds the wisdom of all three FFTW precisions (double, single and
  long double), as FFTW exports them.
* ``FFTCONV_PERSIST=0`` turns automatic loading and saving off (explicit
  :func:`load` and :func:`save` calls still work), and ``FFTCONV_CACHE_DIR``
  moves the cache directory.

Call these functions while no other thread is planning: FFTW's wisdom is
process-global and pyFFTW does not lock wisdom import/export against planning.

Examples
--------
>>> import fftconv
>>> fftconv.wisdom.path().name.startswith("wisdom-fftw")
True
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

from ._cache import atomic_write, cache_dir, persistence_enabled

__all__ = ["load", "save", "forget", "path"]

FORMAT = 2
_PRECISIONS = ("double", "single", "long double")
#: Serialises wisdom import/export/forget and fftconv's own planning with them.
lock = threading.RLock()
_loaded = False
_dirty = False


def _fftw():
    from . import _plans

    return _plans.pyfftw if _plans.HAVE_PYFFTW else None


def _fftw_version() -> str:
    """The FFTW library version, read from the header of its wisdom export."""
    fftw = _fftw()
    if fftw is None:
        return "none"
    header = fftw.export_wisdom()[0].split(b" ", 1)[0]  # b'(fftw-3.3.5'
    return header.lstrip(b"(").decode("ascii", "replace").removeprefix("fftw-")


def _machine() -> str:
    from ._calibration import machine_key

    return machine_key()


def path() -> Path:
    """The wisdom file for this FFTW / pyFFTW version, in the user cache directory.

    Returns
    -------
    pathlib.Path
        ``<cache dir>/wisdom-fftw<version>-pyfftw<version>.json`` (the file
        may not exist yet). The cache directory is the user cache directory,
        or ``FFTCONV_CACHE_DIR`` when set.
    """
    fftw = _fftw()
    pyver = getattr(fftw, "__version__", "none") if fftw else "none"
    return cache_dir() / f"wisdom-fftw{_fftw_version()}-pyfftw{pyver}.json"


def _read(p: Path, *, quiet: bool) -> tuple[bytes, ...] | None:
    """Parse a wisdom file; None if missing, or (with a warning unless quiet) if bad."""
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if not quiet:
            warnings.warn(f"ignoring unreadable FFTW wisdom {str(p)!r}: {exc}",
                          RuntimeWarning, stacklevel=4)
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("unknown format")
        if data.get("machine") != _machine():
            raise ValueError(f"written on another machine ({data.get('machine')!r})")
        parts = tuple(s.encode("ascii") for s in data["wisdom"])
        if len(parts) != len(_PRECISIONS):
            raise ValueError(f"expected {len(_PRECISIONS)} precisions, got {len(parts)}")
        return parts
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError) as exc:
        if not quiet:
            warnings.warn(f"ignoring corrupt or foreign FFTW wisdom {str(p)!r} ({exc})",
                          RuntimeWarning, stacklevel=4)
        return None


def load(file: str | Path | None = None) -> bool:
    """Import wisdom from a file into this process.

    Parameters
    ----------
    file : str or path, optional
        Wisdom file (default :func:`path`).

    Returns
    -------
    bool
        True if wisdom was imported. A missing file gives False; an unreadable,
        corrupt or foreign file gives False and a ``RuntimeWarning``.

    Examples
    --------
    >>> import fftconv
    >>> fftconv.wisdom.load("no-such-file.json")
    False
    """
    global _loaded
    fftw = _fftw()
    with lock:
        try:
            if fftw is None:
                return False
            p = Path(file) if file is not None else path()
            parts = _read(p, quiet=False)
            if parts is None:
                return False
            ok = fftw.import_wisdom(parts)
            if not all(ok):
                warnings.warn(f"ignoring FFTW wisdom {str(p)!r} that FFTW refused "
                              f"(imported: {dict(zip(_PRECISIONS, ok))})", RuntimeWarning,
                              stacklevel=2)
            return any(ok)
        finally:
            # set last: _ensure_loaded's unlocked fast path must not let a
            # thread plan while the import above is still running
            _loaded = True


def save(file: str | Path | None = None) -> bool:
    """Export this process's wisdom to a file, atomically.

    Wisdom already in the file (from other processes) is merged in first.

    Parameters
    ----------
    file : str or path, optional
        Destination (default :func:`path`; its directory is created).

    Returns
    -------
    bool
        True if the file was written (a failure to write warns and gives False).

    Examples
    --------
    >>> import tempfile, pathlib, fftconv
    >>> fftconv.wisdom.save(pathlib.Path(tempfile.mkdtemp()) / "w.json")
    True
    """
    global _dirty
    fftw = _fftw()
    if fftw is None:
        return False
    p = Path(file) if file is not None else path()
    with lock:
        old = _read(p, quiet=True)
        if old is not None:
            fftw.import_wisdom(old)
        parts = [w.decode("ascii") for w in fftw.export_wisdom()]
        data = {"format": FORMAT, "machine": _machine(), "precisions": list(_PRECISIONS),
                "wisdom": parts}
        ok = atomic_write(p, json.dumps(data, indent=0).encode())
        if ok:
            _dirty = False
        return ok


def forget(*, delete_file: bool = False) -> None:
    """Forget all wisdom in memory (and delete the saved file if asked).

    The file is not reloaded automatically afterwards in this process.

    Parameters
    ----------
    delete_file : bool, optional
        Also delete :func:`path` (keyword-only).

    Examples
    --------
    >>> import fftconv
    >>> fftconv.wisdom.forget()
    """
    global _loaded, _dirty
    fftw = _fftw()
    with lock:
        if fftw is not None:
            fftw.forget_wisdom()
        _loaded = True  # do not reload what the user just dropped
        _dirty = False
        if delete_file:
            try:
                path().unlink()
            except OSError:
                pass


def _ensure_loaded() -> None:
    """Load the wisdom file once, before the first plan (called by the planners)."""
    global _loaded
    if _loaded:
        return
    with lock:
        if _loaded:
            return
        if persistence_enabled():
            load()
        _loaded = True


def _note_new_wisdom() -> None:
    global _dirty
    _dirty = True


def _autosave() -> bool:
    """Save if a 'measure'-class planner added wisdom and persistence is on."""
    if _dirty and persistence_enabled() and _fftw() is not None:
        return save()
    return False
