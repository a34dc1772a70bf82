"""torch's process-wide switches that scripts set at the top (``torch.use_deterministic_algorithms(True)``,
``torch.set_float32_matmul_precision('high')``...): accepted with torch's argument checks, remembered, and
reported back as torch reports them.

What they change in npconv: nothing needs to. Every npconv algorithm is deterministic (threads split the
output, never a sum), float32 matmuls always run in full float32 ("highest"), and warnings follow
Python's own filters. Two settings npconv cannot honour say so instead of pretending: flushing denormals
(``set_flush_denormal`` answers False, as torch does where it is unsupported) and a default device other
than the CPU.
"""
from ._tensor import device as _device

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "set_warn_always", "is_warn_always_enabled", "set_flush_denormal", "set_default_device",
           "get_default_device"]

_DEBUG_MODES = ("default", "warn", "error")
_PRECISIONS = ("highest", "high", "medium")
_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest", "warn_always": False}


def _require_bool(value, message):
    if not isinstance(value, bool):
        raise TypeError(message)


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms only (npconv has no other kind)."""
    _require_bool(mode, "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    _require_bool(warn_only, "_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                             f"{type(warn_only).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """0/'default': off, 1/'warn': warn_only, 2/'error': on, as ``use_deterministic_algorithms``."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision):
    """Accepted and reported; npconv's float32 products always keep full float32 precision."""
    import warnings

    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def set_warn_always(b):
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _state["warn_always"] = b


def is_warn_always_enabled():
    return _state["warn_always"]


def set_flush_denormal(mode):
    """False: NumPy gives no control of the processor's denormal flags (torch answers False too where it
    cannot flush)."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {type(mode).__name__}")
    return False


def set_default_device(device):
    """Only the CPU (or None) can be the default: npconv creates meta tensors when asked by name."""
    if device is None:
        return
    chosen = _device(device)
    if chosen.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if chosen.type != "cpu":
        raise NotImplementedError(f"npconv: set_default_device({str(chosen)!r}) is not supported: the default "
                                  "device is the CPU (pass device='meta' to each creation function instead)")


def get_default_device():
    return _device("cpu")
