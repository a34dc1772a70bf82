"""Run the real layer on an ``arange`` input: the numbers every explanation is checked against.

``backend`` is the namespace that provides the layer classes; it is npconv itself. The API is torch's,
so the same code runs through torch too (the tests use that to compare npconv with the oracle).
"""
from dataclasses import dataclass

import numpy as np

from .layer import ExplainError

__all__ = ["ForwardResult", "run_forward"]

MAX_INPUT_ELEMENTS = 50_000_000


@dataclass
class ForwardResult:
    input: np.ndarray                 # the arange input (float32)
    output: np.ndarray                # what the layer computed
    weight: object = None             # weights used (ones or the module's), float64 copies
    bias: object = None
    input_weights: object = None      # d output[at] / d input: the weight of every input cell (linear layers)


def run_forward(spec, input_shape, at=None, backend=None):
    """Forward of ``spec``'s layer on ``arange(prod(input_shape))``; with ``at``, also the input weights.

    Errors of the layer itself (a kernel larger than the input, channels that do not match) are raised
    as :class:`ExplainError` with npconv's message on one line.
    """
    if backend is None:
        backend = npconv_backend()
    count = int(np.prod(input_shape))
    if count > MAX_INPUT_ELEMENTS:
        raise ExplainError(f"input {tuple(input_shape)} has {count} elements; explain works on inputs of at "
                           f"most {MAX_INPUT_ELEMENTS} (the arithmetic does not depend on the batch size)")
    input_array = np.arange(count, dtype=np.float32).reshape(input_shape)
    try:
        module = _module(spec, backend)
        weight, bias = _array(getattr(module, "weight", None)), _array(getattr(module, "bias", None))
        wants_grad = at is not None and spec.kind in ("avg_pool", "max_pool", "upsample")
        x = backend.tensor(input_array, requires_grad=wants_grad)
        if spec.padding == "causal":     # F.pad on the left, then the convolution without padding
            x = backend.nn.functional.pad(x, (spec.dilation[0] * (spec.kernel_size[0] - 1), 0))
        if wants_grad:
            y = module(x)
            y[tuple(at)].backward()
            input_weights = _array(x.grad)
        else:
            with backend.no_grad():
                y = module(x)
            input_weights = None
        if isinstance(y, tuple):
            y = y[0]
        return ForwardResult(input_array, _array(y), weight, bias, input_weights)
    except ExplainError:
        raise
    except (ValueError, TypeError, RuntimeError, IndexError, NotImplementedError) as error:
        raise ExplainError(f"{spec.name} on input {tuple(input_shape)}: {_one_line(error)}") from None


def npconv_backend():
    """npconv with its nn and nn.functional packages loaded (``import npconv`` alone may not load them)."""
    import npconv
    import npconv.nn
    import npconv.nn.functional  # noqa: F401
    return npconv


def _module(spec, backend):
    """The layer to run: the user's own npconv module, or one built from the arguments with ones weights."""
    if spec.module is not None and backend.__name__ == "npconv":
        return spec.module
    arguments = dict(spec.arguments)
    if arguments.get("padding") == "causal":
        arguments["padding"] = 0
    module = getattr(backend.nn, spec.name)(**arguments)
    if spec.is_conv:
        weight = spec.weight if spec.weight is not None else np.ones(_shape(module.weight))
        module.weight = backend.nn.Parameter(backend.tensor(np.asarray(weight, dtype=np.float32)))
        if getattr(module, "bias", None) is not None:
            bias = spec.bias if spec.bias is not None else np.zeros(_shape(module.bias))
            module.bias = backend.nn.Parameter(backend.tensor(np.asarray(bias, dtype=np.float32)))
    return module


def _shape(tensor):
    return tuple(int(n) for n in tensor.shape)


def _array(tensor):
    if tensor is None:
        return None
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    return np.array(tensor.numpy(), dtype=np.float64)


def _one_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
