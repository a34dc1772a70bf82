"""``torch.autograd.gradcheck`` / ``gradgradcheck``: a function's analytical Jacobian (from backward) against
central finite differences, as the 'extending PyTorch' tutorials check their own Functions."""
import warnings

import numpy as np

from ._tensor import Tensor
from .autograd import grad as autograd_grad
from .autograd import enable_grad, no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians differ (torch.autograd.gradcheck.GradcheckError)."""


def _outputs(func, inputs):
    out = func(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def _numerical(func, inputs, index, output_index, eps):
    """d output / d input by central differences, one input element at a time: (input numel, output numel)."""
    x = inputs[index]
    flat = x._data.reshape(-1)   # a view: perturbing it perturbs the input
    rows = []
    with no_grad():
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = _outputs(func, inputs)[output_index]._data.astype(np.float64).reshape(-1)
            flat[k] = original - eps
            minus = _outputs(func, inputs)[output_index]._data.astype(np.float64).reshape(-1)
            flat[k] = original
            rows.append((plus - minus) / (2 * eps))
    return np.array(rows).reshape(flat.size, -1)


def _analytical(func, inputs, index, output_index):
    """The same Jacobian from backward, one output element at a time."""
    output = _outputs(func, inputs)[output_index]
    columns = []
    for k in range(output.numel()):
        seed = np.zeros(output.shape, dtype=output._data.dtype)
        seed.reshape(-1)[k] = 1
        (g,) = autograd_grad(output, inputs[index], Tensor._make(seed), retain_graph=True, allow_unused=True)
        columns.append(np.zeros(inputs[index].numel()) if g is None else g._data.astype(np.float64).reshape(-1))
    return np.array(columns).T.reshape(inputs[index].numel(), -1)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **ignored):
    """True when backward agrees with finite differences for every output and input that requires grad;
    else GradcheckError (or False with ``raise_exception=False``)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for index, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.numpy_dtype != np.float64:
            warnings.warn(f"Input #{index} requires gradient and is not a double precision floating point or "
                          "complex. This check will likely fail if all the inputs are not of double precision "
                          "floating point or complex. ", UserWarning, stacklevel=2)
    for output_index in range(len(_outputs(func, inputs))):
        for index, x in enumerate(inputs):
            if not (isinstance(x, Tensor) and x.requires_grad):
                continue
            numerical = _numerical(func, inputs, index, output_index, eps)
            analytical = _analytical(func, inputs, index, output_index)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {output_index} with respect to input {index},\n"
                                     f"numerical:{Tensor._make(numerical.astype(x._data.dtype))!r}\n"
                                     f"analytical:{Tensor._make(analytical.astype(x._data.dtype))!r}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **ignored):
    """gradcheck of the gradients: the first derivatives of ``func`` (for ``grad_outputs``, random when
    None, as torch) taken with create_graph=True, checked against finite differences of themselves."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rng.standard_normal(o.shape).astype(o._data.dtype)).requires_grad_()
                        for o in outputs]
    grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
    count = len(inputs)

    def first_derivatives(*values):
        with enable_grad():   # the finite differences run under no_grad; the gradients need their graph
            differentiable = [x for x in values[:count] if isinstance(x, Tensor) and x.requires_grad]
            results = [o for o in _outputs(func, values[:count]) if o.requires_grad]
            grads = autograd_grad(results, differentiable, values[count:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)
    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
