"""atheris fuzz harness for the parsers of user files: FIR taps files and FFTW wisdom.

Not part of the pytest run (the file is not named ``test_*`` and imports
atheris only when run). Usage, from the repository root::

    pip install atheris
    python tests/fuzz/fuzz_parsers.py taps   -max_total_time=60
    python tests/fuzz/fuzz_parsers.py wisdom -max_total_time=60

Contracts checked:

* ``fftconv.audio._load_taps(path)`` (``fftconv filter --taps FILE``) either
  returns a ``(n, 1)`` float64 array with ``n >= 1`` or raises ``ValueError``
  naming the file; nothing else escapes.
* ``fftconv.wisdom.load(path)`` returns a bool (a bad file only warns), also
  when the JSON is well-formed and the wisdom strings handed to FFTW's own
  parser are garbage.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings

_DIR = tempfile.mkdtemp(prefix="fftconv-fuzz-")
_NPY_MAGIC = b"\x93NUMPY\x01\x00"


def fuzz_taps(data: bytes) -> None:
    import atheris
    import numpy as np

    from fftconv import audio

    fdp = atheris.FuzzedDataProvider(data)
    kind = fdp.ConsumeIntInRange(0, 2)
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    if kind == 0:
        name, body = "taps.txt", body
    elif kind == 1:
        name, body = "taps.npy", body
    else:  # a valid .npy magic, so the header parser is reached
        name, body = "taps.npy", _NPY_MAGIC + body
    path = os.path.join(_DIR, name)
    with open(path, "wb") as fh:
        fh.write(body)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = audio._load_taps(path)
    except ValueError as exc:
        assert "taps" in str(exc), exc
        return
    assert h.dtype == np.float64 and h.ndim == 2 and h.shape[1] == 1 and h.shape[0] >= 1


def fuzz_wisdom(data: bytes) -> None:
    import atheris

    from fftconv import wisdom

    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        body = fdp.ConsumeBytes(fdp.remaining_bytes())  # raw bytes: the JSON layer
    else:  # well-formed JSON, fuzzed wisdom text: FFTW's parser
        parts = [fdp.ConsumeUnicodeNoSurrogates(200) for _ in range(fdp.ConsumeIntInRange(0, 4))]
        if fdp.ConsumeBool():
            parts = ["(fftw-3.3.5 fftw_wisdom\n" + p + ")" for p in parts]
        body = json.dumps({"format": wisdom.FORMAT, "machine": wisdom._machine(),
                           "wisdom": parts}).encode()
    path = os.path.join(_DIR, "wisdom.json")
    with open(path, "wb") as fh:
        fh.write(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok = wisdom.load(path)
    assert isinstance(ok, bool)


TARGETS = {"taps": fuzz_taps, "wisdom": fuzz_wisdom}


def main(argv: list[str]) -> None:
    import atheris

    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[argv[1]]
    with atheris.instrument_imports():
        import fftconv.audio  # noqa: F401
        import fftconv.wisdom  # noqa: F401
    extra = argv[2:]
    if not any(a.startswith("-artifact_prefix") for a in extra):
        extra.append(f"-artifact_prefix={_DIR}/")  # crash files out of the working tree
    print(f"fuzzing {argv[1]}: crash files go to {_DIR}", file=sys.stderr)
    atheris.Setup([argv[0], *extra], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
