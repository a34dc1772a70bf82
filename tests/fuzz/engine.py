"""The differential fuzz engine: run one case in torch and in npconv, and say how npconv's outcome differs.

A case is a callable ``run(m)`` (m = torch or npconv) that builds everything it needs from that library and
returns what should be compared (tensors, numbers, tuples of them, a module's repr...). ``compare(run)``
returns an ``Outcome``: ``kind`` is one of

- ``same``: both raised the same built-in exception type with the same text, or both returned equal results;
- ``silent``: both returned, but the results differ (shape, dtype, values, NaN/inf positions): the worst;
- ``accepted``: torch raised, npconv returned something;
- ``refused``: torch returned, npconv raised;
- ``type``: both raised, of different built-in exception types;
- ``text``: both raised the same type with different messages;
- ``crash``: npconv raised an error from inside NumPy or Python's machinery that torch would never raise
  (MemoryError, ZeroDivisionError, a UFuncTypeError...), whatever torch did;
- ``hang``: npconv did not answer within the time limit (torch did).

Values compare as the project's tests do: float64 to 1e-6 and float32 to 1e-4 relative to the largest finite
torch value, float16 to 1e-2, NaN and inf at the same positions, integers and bools exactly.
"""
import re
import signal
import traceback
from dataclasses import dataclass

import numpy as np
import torch

import npconv

KINDS = ("same", "silent", "accepted", "refused", "type", "text", "crash", "hang")
# what the project cannot let through at all (tests fail on these); the rest count toward the 2 % budget
INTOLERABLE = ("silent", "crash", "hang")
TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4, np.dtype(np.float16): 1e-2}
TIME_LIMIT_SECONDS = 10
# exceptions torch never raises for a bad argument or input: npconv raising one is an unclear crash
CRASH_TYPES = (MemoryError, ZeroDivisionError, RecursionError, SystemError, OverflowError, AttributeError,
               np.exceptions.AxisError if hasattr(np, "exceptions") else IndexError)


class TimeLimit(BaseException):
    """Raised by the alarm: a BaseException so that no ``except Exception`` in the code under test eats it."""


@dataclass
class Outcome:
    kind: str
    detail: str = ""


def _builtin_type(error):
    return next(c for c in type(error).__mro__ if c.__module__ == "builtins")


def _normalised(text):
    """Messages with what must differ taken out: memory addresses."""
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", text)


def _run(run, seconds):
    def expire(signum, frame):
        raise TimeLimit()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return "ok", run()
    except TimeLimit:
        return "hang", None
    except Exception as error:  # noqa: BLE001 - the exception is the result compared
        return "error", error
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _from_numpy_internals(error):
    """Whether ``error`` was raised inside NumPy (its innermost frame), not by npconv's own checks."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and "/numpy/" in frames[-1].filename and not isinstance(error, (RuntimeError,))


def is_crash(error):
    if isinstance(error, CRASH_TYPES) or type(error).__module__.startswith("numpy"):
        return True
    return _from_numpy_internals(error)


def compare(run, seconds=TIME_LIMIT_SECONDS):
    """Run ``run(torch)`` then ``run(npconv)`` and classify npconv's outcome (see the module docstring)."""
    torch_kind, theirs = _run(lambda: run(torch), seconds)
    if torch_kind == "hang":
        return Outcome("same", "torch hangs too")
    kind, mine = _run(lambda: run(npconv), seconds)
    if kind == "hang":
        return Outcome("hang", "npconv took longer than the limit")
    if kind == "error" and is_crash(mine) and not (
            torch_kind == "error" and _builtin_type(mine) is _builtin_type(theirs)):
        return Outcome("crash", f"{type(mine).__name__}: {mine}"[:300])
    if torch_kind == "error" and kind == "error":
        if _builtin_type(mine) is not _builtin_type(theirs):
            return Outcome("type", f"npconv {type(mine).__name__}: {mine} | torch {type(theirs).__name__}: "
                                   f"{theirs}"[:400])
        if _normalised(str(mine)) != _normalised(str(theirs)):
            return Outcome("text", f"npconv: {mine} | torch: {theirs}"[:400])
        return Outcome("same")
    if torch_kind == "error":
        return Outcome("accepted", f"torch {type(theirs).__name__}: {theirs}"[:300])
    if kind == "error":
        return Outcome("refused", f"npconv {type(mine).__name__}: {mine}"[:300])
    difference = difference_of(mine, theirs)
    return Outcome("silent", difference) if difference else Outcome("same")


def _flatten(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _flatten(item)]
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _flatten((key, value[key]))]
    return [value]


def difference_of(mine, theirs):
    """A sentence saying how two results differ, or "" when they agree."""
    mine, theirs = _flatten(mine), _flatten(theirs)
    if len(mine) != len(theirs):
        return f"{len(mine)} results, torch {len(theirs)}"
    for index, (m, t) in enumerate(zip(mine, theirs)):
        problem = _leaf_difference(m, t)
        if problem:
            return f"result {index}: {problem}"
    return ""


def _leaf_difference(mine, theirs):
    if isinstance(theirs, torch.Tensor):
        if not isinstance(mine, npconv.Tensor):
            return f"{type(mine).__name__}, torch a Tensor"
        if tuple(mine.shape) != tuple(theirs.shape):
            return f"shape {tuple(mine.shape)}, torch {tuple(theirs.shape)}"
        if repr(mine.dtype) != repr(theirs.dtype):
            return f"dtype {mine.dtype!r}, torch {theirs.dtype!r}"
        if mine.requires_grad != theirs.requires_grad:
            return f"requires_grad {mine.requires_grad}, torch {theirs.requires_grad}"
        if theirs.dtype == torch.bfloat16:
            return _values_difference(mine.detach().float().numpy(), theirs.detach().float().numpy())
        return _values_difference(mine.detach().numpy(), theirs.detach().numpy())
    if isinstance(theirs, (bool, int, float, np.number)) and isinstance(mine, (bool, int, float, np.number)):
        if isinstance(theirs, bool) != isinstance(mine, bool):
            return f"{mine!r}, torch {theirs!r}"
        return _values_difference(np.asarray(mine), np.asarray(theirs))
    if type(mine).__name__ != type(theirs).__name__ and not (theirs is None or mine is None):
        return f"{type(mine).__name__}, torch {type(theirs).__name__}"
    if isinstance(theirs, str) or theirs is None or mine is None:
        return "" if mine == theirs else f"{mine!r}, torch {theirs!r}"
    return ""


def _values_difference(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if b.dtype.kind not in "fc":
        return "" if np.array_equal(a, b) else "values differ"
    a = a.astype(b.dtype) if a.dtype != b.dtype else a
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return f"NaN at {int(nan_a.sum())} places, torch {int(nan_b.sum())}"
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    if not np.array_equal(inf_a, inf_b) or not np.array_equal(a[inf_a], b[inf_b]):
        return f"inf at {int(inf_a.sum())} places, torch {int(inf_b.sum())}"
    finite = np.isfinite(b)
    tol = TOLERANCE.get(b.dtype, 1e-4)
    scale = float(np.max(np.abs(b[finite]), initial=1.0))
    with np.errstate(all="ignore"):
        error = np.abs(a[finite].astype(np.float64) - b[finite].astype(np.float64))
    worst = float(np.max(error, initial=0.0))
    return "" if worst <= tol * scale else f"values differ by {worst:.3g} (scale {scale:.3g})"
