"""The user cache directory and atomic file writes.

Files are written to a temporary file in the same directory and renamed over
the destination, so a reader (or a concurrent process) sees either the old
file or the new one, never a torn one. Every failure to read or write the
cache is survived with a warning: the cache only ever makes things faster.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

#: Environment variable overriding the cache directory.
CACHE_ENV = "FFTCONV_CACHE_DIR"
#: Environment variable that turns persistence (wisdom, calibration) off when "0"/"off".
PERSIST_ENV = "FFTCONV_PERSIST"


def persistence_enabled() -> bool:
    """False when ``FFTCONV_PERSIST`` is set to 0/off/false/no."""
    return os.environ.get(PERSIST_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def cache_dir() -> Path:
    """Directory for fftconv's calibration and wisdom files (not created here)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("fftconv", appauthor=False))


def atomic_write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; warn and return False on failure."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return True
    except OSError as exc:
        warnings.warn(f"fftconv could not write its cache file {str(path)!r}: {exc}",
                      RuntimeWarning, stacklevel=3)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
