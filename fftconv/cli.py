"""The ``fftconv`` command: ``demo``, ``plan``, ``calibrate`` and the subcommands of other modules.

Subcommands living in other modules register through :data:`SUBCOMMANDS`:
each module exposes ``add_cli(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code.
Those modules are imported only when the command line is built.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that add subcommands (``add_cli(subparsers)``), imported lazily.
SUBCOMMANDS = ("fftconv._demo", "fftconv.audio")


def _cmd_plan(args: argparse.Namespace) -> int:
    from . import plan

    def shape(text: str, name: str) -> tuple[int, ...]:
        try:
            values = [float(v) for v in text.lower().replace("x", ",").split(",")]
            if not all(v.is_integer() for v in values):
                raise ValueError
            return tuple(int(v) for v in values)
        except (ValueError, OverflowError):
            raise ValueError(f"{name} must be a shape like 4000000 or 1024x1024, got "
                             f"{text!r}") from None

    try:
        p = plan(shape(args.in1, "IN1"), shape(args.in2, "IN2"), dtype=args.dtype,
                 mode=args.mode, workers=args.workers)
    except (TypeError, ValueError, OverflowError, MemoryError) as exc:
        print(f"fftconv plan: error: {exc}", file=sys.stderr)
        return 2
    print(p)
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from . import calibrate
    from ._strategy import LADDER

    try:
        table = calibrate(workers=args.workers, save=not args.no_save)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        print(f"fftconv calibrate: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fftconv calibrate: interrupted; nothing saved", file=sys.stderr)
        return 130
    print(f"{'size':>9} " + " ".join(f"{k:>10}" for k in table))
    for i, n in enumerate(LADDER):
        print(f"{n:>9} " + " ".join(f"{table[k][i] / 1e3:>8.1f}us" for k in table))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fftconv", description="Fast convolution on FFTW plans: demo, plans and audio."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("plan", help="explain which engine convolve() picks for two shapes")
    p.add_argument("in1", help="shape of the first input, e.g. 4000000 or 1024x1024")
    p.add_argument("in2", help="shape of the second input, e.g. 4000 or 9x9")
    p.add_argument("--mode", default="full", choices=["full", "same", "valid"])
    p.add_argument("--dtype", default="float64")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=_cmd_plan)
    c = sub.add_parser("calibrate", help="measure this machine's FFT speed for the cost model")
    c.add_argument("--workers", type=int, default=None)
    c.add_argument("--no-save", action="store_true", help="do not write the cache file")
    c.set_defaults(func=_cmd_calibrate)
    for modname in SUBCOMMANDS:
        try:
            mod = importlib.import_module(modname)
        except ImportError:  # a module still being written or an optional one
            continue
        mod.add_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fftconv`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
