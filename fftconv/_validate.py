"""Argument checking: one checker and one message per public parameter.

Every public function validates here *before* doing any work, so a mistake
gets the same exception type and wording wherever it is made. Messages name
the parameter, show the offending value with ``!r`` and list what is allowed.
Messages for ``mode``/``axes``/dimensionality copy :mod:`scipy.signal`'s text
where scipy has one, so code that matches on them keeps working.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence

import numpy as np

MODES = ("full", "valid", "same")
BOUNDARIES = {"fill": "fill", "pad": "fill", "wrap": "wrap", "circular": "wrap",
              "symm": "symm", "symmetric": "symm"}
PLANNERS = ("estimate", "measure", "patient", "exhaustive")

# Kinds numpy can convolve: bool, signed/unsigned int, float, complex, object.
_NUMERIC_KINDS = "biufcO"


class ArgumentTypeError(TypeError, ValueError):
    """A wrong *type* of argument (non-numeric array, non-integer axes).

    It is a :class:`TypeError`, as the house style asks, and also a
    :class:`ValueError`, because :mod:`scipy.signal` raises ValueError for the
    same calls: code written against scipy (``except ValueError``) keeps working.
    """


def check_mode(mode: object) -> str:
    """Return ``mode`` if it is one of 'full', 'valid', 'same' (scipy's wording)."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(
            f"Acceptable mode flags are 'valid', 'same', or 'full'; got mode={mode!r}"
        )
    return mode


def check_method(method: object, allowed: Iterable[str]) -> str:
    """Return ``method`` if it names an engine in ``allowed`` (plus 'auto')."""
    names = ("auto", *allowed)
    if not isinstance(method, str) or method not in names:
        listed = ", ".join(repr(n) for n in names)
        raise ValueError(f"Acceptable method flags are {listed}; got method={method!r}")
    return method


def check_boundary(boundary: object) -> str:
    """Return the canonical boundary name ('fill', 'wrap' or 'symm')."""
    if not isinstance(boundary, str) or boundary not in BOUNDARIES:
        raise ValueError(
            "Acceptable boundary flags are 'fill', 'circular' (or 'wrap'), and "
            f"'symmetric' (or 'symm'); got boundary={boundary!r}"
        )
    return BOUNDARIES[boundary]


def check_workers(workers: object) -> int:
    """Return ``workers`` as an int; 0 and non-integers are refused."""
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise TypeError(f"workers must be an integer, got workers={workers!r}")
    workers = int(workers)
    if workers == 0:
        raise ValueError("workers must not be 0: use a positive count, or -1 for all CPUs")
    return workers


def check_planner(planner: object) -> str:
    """Return the planner effort name ('estimate', 'measure', ...)."""
    if isinstance(planner, str):
        name = planner.lower().removeprefix("fftw_")
        if name in PLANNERS:
            return name
    listed = ", ".join(repr(p) for p in PLANNERS)
    raise ValueError(f"planner must be one of {listed}; got planner={planner!r}")


def as_array(value: object, name: str) -> np.ndarray:
    """Convert ``value`` to an ndarray of a numeric (or object-of-numbers) dtype.

    Strings, bytes, ragged sequences and non-numeric dtypes raise a
    ``TypeError``/``ValueError`` naming the parameter. The input is never
    modified (no copy is made when it is already an array).
    """
    if isinstance(value, (str, bytes)):
        raise ArgumentTypeError(f"{name} must be array_like of numbers, got "
                                f"{type(value).__name__} {value!r:.60}")
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested sequences (numpy >= 1.24)
        raise ValueError(f"{name} must be a rectangular array_like, not a ragged "
                         f"sequence: {exc}") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise ArgumentTypeError(f"{name} must hold numbers; got dtype {arr.dtype} "
                                f"({arr.dtype.kind!r} kind). Convert it, e.g. with "
                                "np.asarray(x, dtype=float)")
    if arr.dtype.kind == "O":
        flat = arr.reshape(-1)
        for item in flat[: min(flat.size, 1000)]:
            if isinstance(item, (str, bytes)) or not isinstance(item, numbers.Number):
                if isinstance(item, (list, tuple, np.ndarray)):
                    raise ValueError(f"{name} must be a rectangular array_like, not a ragged"
                                     " sequence")
                raise ArgumentTypeError(f"{name} holds a non-number {item!r:.40} "
                                        f"({type(item).__name__})")
    return arr


def check_fillvalue(fillvalue: object, dtype) -> np.ndarray:
    """Return ``fillvalue`` as a 0-d array of ``dtype`` (the 2-D functions' pad value).

    Refused as scipy refuses them: non-scalars, complex values for a real
    output, NaN/inf for an integer output, Python numbers out of an integer
    output's range, arrays that do not cast safely to the output dtype (all
    ValueError; numpy scalars are cast, wrapping, as scipy casts them);
    strings (:class:`ArgumentTypeError`).
    """
    dtype = np.dtype(dtype)
    if isinstance(fillvalue, (str, bytes)):
        raise ArgumentTypeError(f"fillvalue must be a number, got fillvalue={fillvalue!r}")
    if (dtype.kind in "iu" and type(fillvalue) in (int, float)
            and (type(fillvalue) is int or math.isfinite(fillvalue))):
        # Python numbers are range-checked, as scipy does (numpy scalars are cast, as there)
        info = np.iinfo(dtype)
        if not info.min <= math.trunc(fillvalue) <= info.max:
            raise ValueError(f"fillvalue={fillvalue!r} is out of range for the integer output "
                             f"dtype {dtype} ([{info.min}, {info.max}])")
    fill = np.asarray(fillvalue)
    if fill.size != 1:
        raise ValueError(f"fillvalue must be a scalar, got fillvalue={fillvalue!r}")
    fill = fill.reshape(())
    if isinstance(fillvalue, np.ndarray) and not np.can_cast(fill.dtype, dtype, "safe"):
        # scipy casts arrays (unlike Python numbers and numpy scalars) only safely
        raise ValueError(f"fillvalue={fillvalue!r} cannot be cast safely from {fill.dtype} to "
                         f"the output dtype {dtype}; pass a Python number")
    if fill.dtype.kind == "c" and dtype.kind != "c" and (
            isinstance(fillvalue, complex) or fill.imag != 0):
        raise ValueError(f"fillvalue={fillvalue!r} is complex but the output dtype {dtype} is "
                         "real; pass a real fillvalue or complex inputs")
    if dtype.kind in "biu" and fill.dtype.kind in "fc" and not np.isfinite(fill):
        raise ValueError(f"fillvalue={fillvalue!r} cannot be represented in the integer "
                         f"output dtype {dtype}")
    if fill.dtype.kind == "c" and dtype.kind != "c":
        fill = fill.real
    try:
        return fill.astype(dtype)
    except OverflowError:
        raise ValueError(f"fillvalue={fillvalue!r} is out of range for the output dtype "
                         f"{dtype}") from None
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"fillvalue={fillvalue!r} cannot be converted to the output "
                                f"dtype {dtype}") from None


def check_same_ndim(in1: np.ndarray, in2: np.ndarray) -> None:
    """scipy's dimensionality check."""
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality "
                         f"(got in1.ndim={in1.ndim}, in2.ndim={in2.ndim})")


def check_axes(axes: object, ndim: int) -> list[int] | None:
    """Normalise ``axes`` (None, an int or a sequence of ints) to a list.

    Returns ``None`` when ``axes`` is None (meaning every axis).
    """
    if axes is None:
        return None
    given = axes  # for the messages
    if isinstance(axes, np.ndarray) and axes.ndim == 0:
        axes = axes[()]  # a 0-d array: its scalar, checked below like any other
    if isinstance(axes, (numbers.Integral, np.integer)) and not isinstance(axes, bool):
        seq: Sequence[object] = [axes]
    elif isinstance(axes, (str, bytes)) or not isinstance(axes, Iterable):
        raise ArgumentTypeError(f"axes must be an int or a sequence of ints, got axes={given!r}")
    else:
        seq = list(axes)
    out = []
    for a in seq:
        if isinstance(a, bool) or not isinstance(a, (numbers.Integral, np.integer)):
            raise ArgumentTypeError(f"axes must be integers, got axes={given!r}")
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"axes exceeds dimensionality of input: axes={given!r} for "
                             f"{ndim}-d inputs")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"all axes must be unique, got axes={given!r}")
    if not out:
        raise ValueError("when provided, axes cannot be empty")
    return out


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` (NaN, floats and bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            raise TypeError(f"{name} must be an integer, got the float {value!r}")
        raise TypeError(f"{name} must be an integer, got {name}={value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name}={value!r}")
    return value


_INTP_MAX = int(np.iinfo(np.intp).max)


def check_dtype(dtype: object) -> np.dtype:
    """Return ``dtype`` as a numeric numpy dtype (numbers, bool or object of numbers)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy dtype, got dtype={dtype!r}") from None
    if dt.kind not in "biufcO":
        raise TypeError(f"dtype must be a numeric dtype, got dtype={dtype!r}")
    return dt


def check_shape_size(shape: Sequence[int], itemsize: int, name: str = "output") -> int:
    """Return the element count of ``shape``; refuse products beyond ``intp``."""
    total = 1
    for s in shape:
        total *= int(s)
    if total * max(itemsize, 1) > _INTP_MAX:
        raise ValueError(f"{name} shape {tuple(int(s) for s in shape)} is too large: "
                         f"{total} elements of {itemsize} bytes overflow the address space")
    return total
