"""npconv.nn.functional: batch, instance, group and layer normalisation, as torch. Shapes are kept.

All four compute ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` and differ only in which
elements share statistics:

    batch_norm:     per channel, over (N, *S)         input (N, C, *S), weight/bias (C,)
    instance_norm:  per sample and channel, over S     input (N, C, *S), weight/bias (C,)
    group_norm:     per sample and group, over (C/G, *S)  weight/bias (C,)
    layer_norm:     per sample, over the trailing normalized_shape dims; weight/bias normalized_shape

so one autograd op (``_Normalize``) serves them all, given how to view the input for the statistics.
Variance is biased (divide by n) for normalising; running variances store the unbiased one (n - 1).
"""
import math
import numbers

import numpy as np

from ..._graph_backward import double_backward, operand
from ..._tensor import Tensor
from ...autograd import Function, is_grad_enabled, named_variant
from ...kernels import batch_norm as batch_norm_kernels
from ...kernels.threads import get_num_threads
from ..._ops.parsing import check_arguments

__all__ = ["batch_norm", "instance_norm", "group_norm", "layer_norm", "local_response_norm"]


def _accumulating(array):
    """torch computes a half-precision normalisation (forward and backward) in float32."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def _dense(array):
    """Contiguous in torch's sense for batch norm's kernels: row-major or channels-last."""
    if array.flags.c_contiguous:
        return True
    return array.ndim in (4, 5) and np.moveaxis(array, 1, -1).flags.c_contiguous


def _double_statistics(x, weight, bias, stats_shape, eps):
    """torch's CPU batch norm accumulates a float32 input that is not dense (a view: transposed, strided,
    expanded) in double, where a square that overflows float32 (a value near 1e30) still gives a finite
    variance; a dense one in float32 (inf there too). Redone so only when float32 overflowed. The mean and
    variance stay double: torch updates the running statistics from them (momentum 0 keeps a running
    variance that 0 * inf would make NaN)."""
    as_double = [None if a is None else a.reshape(-1).astype(np.float64) for a in (weight, bias)]
    y, mean, var, invstd = batch_norm_kernels.train_forward(x.reshape(stats_shape).astype(np.float64), *as_double,
                                                            eps)
    return y.astype(np.float32), mean, var, invstd.astype(np.float32)


def _statistics(view, axes, eps):
    """(mean, centered, biased var, 1 / std) of ``view`` over ``axes``, in its dtype."""
    mean = view.mean(axis=axes, keepdims=True)
    centered = view - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return mean, centered, var, 1 / np.sqrt(var + view.dtype.type(eps))


def _short_row_moments(view, mean, var, inv_std):
    """torch's rowwise moments (layer and group norm) on a row shorter than one AVX2 vector: the row's
    Welford sums are merged with the empty vector lanes, which adds mean^2 * 0 -- NaN where mean^2
    overflows (|mean| > 1.8e19 in float32), so var and 1/std are NaN there (a longer row gives inf)."""
    if view.shape[-1] >= 32 // view.itemsize:   # the rows are the last axis
        return var, inv_std
    with np.errstate(over="ignore"):
        overflow = np.isinf(mean * mean)
    if not overflow.any():
        return var, inv_std
    return np.where(overflow, view.dtype.type(np.nan), var), np.where(overflow, view.dtype.type(np.nan), inv_std)


def _as_dtype_of(gradient, parameter):
    """A parameter's gradient in the parameter's dtype (a half input may come with float parameters)."""
    if gradient is None or parameter is None:
        return gradient
    return gradient.astype(parameter.dtype, copy=False)


class _Normalize(Function):
    """Normalise with statistics over ``axes`` of ``x.reshape(stats_shape)``; weight and bias broadcast
    through ``param_shape``. Returns (y, mean, biased var) with the statistics as plain arrays."""

    backward_name = "NativeBatchNormBackward0"
    graph_inputs = 3   # input, weight, bias: running statistics have no gradient

    @staticmethod
    def forward(ctx, x, weight, bias, stats_shape, axes, param_shape, eps, node="NativeBatchNormBackward0"):
        ctx.shapes = (stats_shape, axes, param_shape, None if bias is None else bias.shape)
        ctx.eps = eps
        if _per_channel(x, weight, bias, stats_shape, axes, param_shape):
            y, mean, var, invstd = batch_norm_kernels.train_forward(x.reshape(stats_shape), _flat(weight),
                                                                    _flat(bias), eps)
            if x.dtype == np.float32 and not np.isfinite(var).all() and not _dense(x):
                y, mean, var, invstd = _double_statistics(x, weight, bias, stats_shape, eps)
            ctx.save_for_backward(x, weight)
            ctx.statistics = (mean.astype(x.dtype, copy=False), invstd)
            return y.reshape(x.shape), mean.reshape(1, -1, 1), var.reshape(1, -1, 1)
        view = x.reshape(stats_shape)
        if view.dtype == np.float16:  # torch accumulates half inputs in float
            view = view.astype(np.float32)
        mean, centered, var, inv_std = _statistics(view, axes, eps)
        if node == "NativeBatchNormBackward0" and view.dtype == np.float32 and not np.isfinite(var).all() and (
                not _dense(x)):
            # as _double_statistics (here with parameters of another dtype)
            mean, centered, var, inv_std = (a.astype(np.float32) for a in _statistics(view.astype(np.float64),
                                                                                     axes, eps))
        if node in ("NativeLayerNormBackward0", "NativeGroupNormBackward0"):
            var, inv_std = _short_row_moments(view, mean, var, inv_std)
        if node == "NativeBatchNormBackward0" and x.dtype == np.float16 and all(
                p is None or p.dtype == np.float16 for p in (weight, bias)):
            # torch saves a half batch norm's mean and 1/std in the parameters' dtype (half): the output and
            # the gradients are computed in float from those rounded values
            mean, inv_std = (a.astype(np.float16).astype(np.float32) for a in (mean, inv_std))
            centered = view - mean
        xhat = (centered * inv_std).reshape(x.shape)
        y = xhat if weight is None else xhat * weight.reshape(param_shape)
        if bias is not None:
            y = y + bias.reshape(param_shape)
        if node == "NativeLayerNormBackward0":   # torch's own formula (its non-finite values follow it)
            ctx.save_for_backward(view, mean, inv_std, weight)
            ctx.layer_norm = True
            return y.astype(x.dtype, copy=False), mean, var
        ctx.save_for_backward(xhat, inv_std, weight)
        # torch's group norm takes the weight gradient as (sum(g x) - sum(g) mean) / std: NaN for empty groups
        ctx.nan_weight_grad = node == "NativeGroupNormBackward0" and x.size == 0 and x.shape[0] > 0
        return y.astype(x.dtype, copy=False), mean, var   # a half input with float parameters stays half

    @staticmethod
    def backward(ctx, grad):
        if "statistics" in ctx.__dict__:
            return _per_channel_backward(ctx, grad)
        if "layer_norm" in ctx.__dict__:
            return _layer_norm_backward(ctx, grad)
        xhat, inv_std, weight = ctx.saved_tensors
        stats_shape, axes, param_shape, bias_shape = ctx.shapes
        needs = ctx.needs_input_grad
        grad_dtype = grad.dtype
        grad = _accumulating(grad)
        summed = tuple(i for i, size in enumerate(param_shape) if size == 1)
        grad_w = grad_b = grad_x = None
        if weight is not None and needs[1]:
            grad_w = (grad * xhat).sum(axis=summed).reshape(weight.shape)
            if ctx.nan_weight_grad:
                grad_w = np.full_like(grad_w, np.nan)
        if bias_shape is not None and needs[2]:
            grad_b = grad.sum(axis=summed).reshape(bias_shape)
        if needs[0]:
            g = (grad if weight is None else grad * weight.reshape(param_shape)).reshape(stats_shape)
            xh = xhat.reshape(stats_shape)
            grad_x = inv_std * (g - g.mean(axis=axes, keepdims=True) - xh * (g * xh).mean(axis=axes, keepdims=True))
            grad_x = grad_x.reshape(xhat.shape).astype(grad_dtype, copy=False)
        return grad_x, _as_dtype_of(grad_w, weight), _as_dtype_of(grad_b, weight), None, None, None, None, None

    @staticmethod
    def meta(x, *args):
        """Shape-only mode: y alone (the statistics have no values); see :func:`_normalize`."""
        return x.shape, x.dtype



def _parameter_gradients(node, g, xhat, param_shape, bias_shape):
    """create_graph: the weight and bias gradients of a normalisation, as Tensor ops."""
    weight = node._inputs[1]
    summed = tuple(i for i, size in enumerate(param_shape) if size == 1)
    grad_w = (g * xhat).sum(summed).reshape(weight.shape) if weight is not None else None
    grad_b = g.sum(summed).reshape(bias_shape) if node._inputs[2] is not None else None
    return grad_w, grad_b


def _scaled(node, g, param_shape):
    """g times the weight (a Tensor operand; a constant when it needs no grad) where there is one."""
    weight = node.saved_tensors[-1]   # every form of the node saves the weight last
    if node._inputs[1] is not None:
        return g * node._inputs[1].reshape(param_shape)
    return g if weight is None else g * Tensor._make(weight).reshape(param_shape)


@double_backward(_Normalize)
def _normalize_gradients(node, g):
    """create_graph: batch/layer/group/instance norm's gradients as Tensor ops on the input, its statistics
    recomputed (so their dependence on the input is differentiated too)."""
    stats_shape, axes, param_shape, bias_shape = node.shapes
    x = operand(node, 0)
    view = x.reshape(stats_shape)
    centered = view - view.mean(axes, keepdim=True)
    inv_std = ((centered * centered).mean(axes, keepdim=True) + node.eps).rsqrt()
    xhat_view = centered * inv_std
    xhat = xhat_view.reshape(x.shape)
    grad_w, grad_b = _parameter_gradients(node, g, xhat, param_shape, bias_shape)
    grad_x = None
    if node._inputs[0] is not None:
        gh = _scaled(node, g, param_shape).reshape(stats_shape)
        grad_x = inv_std * (gh - gh.mean(axes, keepdim=True) - xhat_view * (gh * xhat_view).mean(axes, keepdim=True))
        grad_x = grad_x.reshape(x.shape)
    return (grad_x, grad_w, grad_b) + (None,) * (len(node._inputs) - 3)

def _per_channel(x, weight, bias, stats_shape, axes, param_shape):
    """Whether a _Normalize is a batch norm (statistics of each channel of (N, C, S) over N and S, the
    parameters per channel) in float32 or float64: then kernels/batch_norm computes it."""
    return (axes == (0, 2) and len(stats_shape) == 3 and x.dtype in _KERNEL_DTYPES and x.size > 0
            and len(param_shape) >= 2 and param_shape[1] == stats_shape[1] == math.prod(param_shape)
            and all(p is None or p.dtype == x.dtype for p in (weight, bias)))


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _flat(parameter):
    return None if parameter is None else parameter.reshape(-1)


def _per_channel_backward(ctx, grad):
    x, weight = ctx.saved_tensors
    mean, invstd = ctx.statistics
    stats_shape, _, _, bias_shape = ctx.shapes
    needs = ctx.needs_input_grad
    grad_x, grad_w, grad_b = batch_norm_kernels.train_backward(
        grad.reshape(stats_shape), x.reshape(stats_shape), mean, invstd, _flat(weight), need_input=needs[0])
    return (None if grad_x is None else grad_x.reshape(x.shape),
            grad_w.reshape(weight.shape) if weight is not None and needs[1] else None,
            grad_b.reshape(bias_shape) if bias_shape is not None and needs[2] else None,
            None, None, None, None, None)


def _layer_norm_backward(ctx, grad):
    """torch's CPU layer norm backward, row by row of the (M, N) view, in its accumulation dtype:
    dx = rstd * dy * w + b * x + c with b = (sum(dy w) mean - sum(dy w x)) rstd^3 / N and
    c = -b mean - sum(dy w) rstd / N; the weight gradient sums dy * (rstd x - rstd mean) over rows."""
    x, mean, rstd, weight = ctx.saved_tensors
    _, _, param_shape, bias_shape = ctx.shapes
    needs = ctx.needs_input_grad
    grad_dtype = grad.dtype
    dy = _accumulating(grad).reshape(x.shape)
    w = None if weight is None else weight.reshape(1, -1).astype(dy.dtype, copy=False)
    grad_x = grad_w = grad_b = None
    with np.errstate(invalid="ignore", over="ignore"):
        if needs[0]:
            dy_w = dy if w is None else dy * w
            scale = x.dtype.type(1.0 / x.shape[1])
            ds = (dy_w * x).sum(axis=1, keepdims=True)
            db = dy_w.sum(axis=1, keepdims=True)
            b = (db * mean - ds) * rstd * rstd * rstd * scale
            c = -b * mean - db * rstd * scale
            grad_x = (rstd * dy_w + b * x + c).reshape(grad.shape).astype(grad_dtype, copy=False)
        if weight is not None and needs[1]:
            grad_w = _rowwise_sum(dy * (rstd * x + -rstd * mean), grad_dtype).reshape(weight.shape)
        if bias_shape is not None and needs[2]:
            grad_b = _rowwise_sum(dy, grad_dtype).reshape(bias_shape)
    return grad_x, _as_dtype_of(grad_w, weight), _as_dtype_of(grad_b, weight), None, None, None, None, None


def _rowwise_sum(terms, dtype):
    """The sum over rows as torch's layer norm takes it: each thread adds its share of rows into a buffer of
    the input's dtype (for a half input, rounded to half after every row), then the buffers are added."""
    if dtype != np.float16 or terms.shape[0] == 0:
        return terms.sum(axis=0)
    rows = terms.shape[0]
    threads = max(1, min(get_num_threads(), rows))
    share = -(-rows // threads)
    total = np.zeros(terms.shape[1], np.float32)
    for start in range(0, rows, share):
        buffer = np.zeros(terms.shape[1], np.float16)
        for row in terms[start:start + share]:
            buffer = (buffer.astype(np.float32) + row).astype(np.float16)
        total += buffer
    return total


def _normalize(input, weight, bias, stats_shape, axes, param_shape, eps, node="NativeBatchNormBackward0"):
    """(y, mean, biased var) of :class:`_Normalize`; the statistics are None in shape-only mode."""
    arguments = (input, weight, bias, stats_shape, axes, param_shape, eps, node)
    if any(t is not None and t.is_meta for t in (input, weight, bias)):
        return named_variant(_Normalize, node).apply(*arguments), None, None
    return named_variant(_Normalize, node).apply(*arguments)


class _NormalizeWithGivenStats(Function):
    """Evaluation-mode batch norm: (x - running_mean) / sqrt(running_var + eps) * weight + bias."""

    backward_name = "NativeBatchNormBackward0"
    graph_inputs = 3   # input, weight, bias: running statistics have no gradient

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, param_shape, eps):
        out_dtype, x = x.dtype, _accumulating(x)
        ctx.given = (mean, var, eps)
        inv_std = (1 / np.sqrt(var + var.dtype.type(eps))).astype(x.dtype, copy=False).reshape(param_shape)
        if x.dtype in _KERNEL_DTYPES and x.size and all(a is None or a.dtype == x.dtype for a in (weight, bias, mean)):
            # x * alpha + beta as torch's CPU kernel (two passes); the normalised input only if backward needs it
            y = batch_norm_kernels.affine(x.reshape(x.shape[0], x.shape[1], -1), mean.reshape(-1),
                                          inv_std.reshape(-1), _flat(weight), _flat(bias)).reshape(x.shape)
            ctx.save_for_backward(x, mean, inv_std, weight)
            ctx.shapes = (param_shape, None if bias is None else bias.shape)
            return y.astype(out_dtype, copy=False)
        xhat = (x - mean.astype(x.dtype, copy=False).reshape(param_shape)) * inv_std
        y = xhat if weight is None else xhat * weight.reshape(param_shape)
        if bias is not None:
            y = y + bias.reshape(param_shape)
        ctx.save_for_backward(xhat, None, inv_std, weight)
        ctx.shapes = (param_shape, None if bias is None else bias.shape)
        return y.astype(out_dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        xhat, mean, inv_std, weight = ctx.saved_tensors
        param_shape, bias_shape = ctx.shapes
        if mean is not None and weight is not None and ctx.needs_input_grad[1]:   # the input was saved
            xhat = (xhat - mean.reshape(param_shape)) * inv_std
        summed = tuple(i for i, size in enumerate(param_shape) if size == 1)
        grad_dtype, grad = grad.dtype, _accumulating(grad)
        grad_x = grad * inv_std if weight is None else grad * (weight.reshape(param_shape) * inv_std)
        grad_w = (grad * xhat).sum(axis=summed).reshape(weight.shape) if weight is not None else None
        grad_b = grad.sum(axis=summed).reshape(bias_shape) if bias_shape is not None else None
        return (grad_x.astype(grad_dtype, copy=False), _as_dtype_of(grad_w, weight), _as_dtype_of(grad_b, weight),
                None, None, None, None)

    @staticmethod
    def meta(x, *args):
        return x.shape, x.dtype



@double_backward(_NormalizeWithGivenStats)
def _given_stats_gradients(node, g):
    """create_graph: evaluation-mode batch norm is affine in the input (its statistics are constants)."""
    param_shape, bias_shape = node.shapes
    mean, var, eps = node.given
    inv_std = Tensor._make((1 / np.sqrt(var + var.dtype.type(eps))).astype(var.dtype).reshape(param_shape))
    x = operand(node, 0)
    xhat = (x - Tensor._make(mean).reshape(param_shape)) * inv_std
    grad_w, grad_b = _parameter_gradients(node, g, xhat, param_shape, bias_shape)
    grad_x = _scaled(node, g, param_shape) * inv_std if node._inputs[0] is not None else None
    return (grad_x, grad_w, grad_b) + (None,) * (len(node._inputs) - 3)

def _check_dtypes(kernel, input, params, float_input_first):
    """torch's CPU dtype rules for a normalisation: a float input (half may take float parameters), and
    parameters of the input's type. ``float_input_first``: batch/instance norm refuse a non-float input
    before they look at the parameters, group/layer norm after."""
    if float_input_first and not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')
    if not _check_mixed_dtypes(input, params):
        _check_kernel_dtypes(kernel, input, params)


def _check_mixed_dtypes(input, params):
    """torch's "mixed type" rule, checked before anything else: parameters of another dtype than the input
    are allowed only as float ones for a half input. Returns whether they are mixed so."""
    params = [p for p in params if p is not None]
    if not params or params[0].dtype == input.dtype:
        return False
    if any(p.dtype.name != "float32" for p in params):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if input.dtype.name != "float16":
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return True


def _check_kernel_dtypes(kernel, input, params):
    """The kernel's own dtype checks (parameters not mixed): a float input, every parameter of its dtype."""
    kind = input.dtype
    if not kind.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{kind.scalar_name}\'')
    for p in [p for p in params if p is not None][1:]:
        if p.dtype != kind:
            raise RuntimeError(f"expected scalar type {kind.scalar_name} but found {p.dtype.scalar_name}")


def _channel_param_shape(input):
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


def _check_per_channel(name, tensor, channels):
    if tensor is not None and tensor.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {tensor.numel()}")


def _update_running(running, observed, momentum):
    """running <- (1 - momentum) * running + momentum * observed, in place (buffers carry no gradient)."""
    if running is None or running.is_meta:  # a meta buffer has no values to update
        return
    array = running.numpy()
    array[...] = ((1 - momentum) * array + momentum * observed.reshape(array.shape)).astype(array.dtype)


def _batch_mean(statistics):
    """The mean over the batch of per-sample statistics: NaN for an empty batch, as torch, without
    NumPy's 'mean of empty slice' warning."""
    with np.errstate(invalid="ignore"):
        return statistics.sum(axis=0) / statistics.shape[0]


def _empty_batch_norm(input, weight, bias):
    """An empty batch normalises to an empty result, leaving running statistics alone; torch builds it as
    ``input.clone() * weight[0] + bias[0]`` so that the graph still reaches the parameters."""
    output = input.clone()
    for parameter in (weight, bias):
        if parameter is not None and parameter.numel() == 0:  # torch's select(0, 0)
            raise IndexError(f"select(): index 0 out of range for tensor of size {list(parameter.shape)} at "
                               "dimension 0")
    if weight is not None:
        output = output * weight[0]
    if bias is not None:
        output = output + bias[0]
    return output


def _check_statistics_need_no_grad(running_mean, running_var):
    if not is_grad_enabled():
        return
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var)):
        if tensor is not None and tensor.requires_grad:
            raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with respect to argument "
                               f"'{name}'. This input cannot have requires_grad True.")


def _verify_batch_size(size):
    count = size[0]
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


# the arguments of the native batch_norm/instance_norm after the input, with their positions
_STATISTICS_KINDS = (("weight", "Tensor?", 2), ("bias", "Tensor?", 3), ("running_mean", "Tensor?", 4),
                     ("running_var", "Tensor?", 5))
_MOMENTUM_EPS_KINDS = (("momentum", "float", 7), ("eps", "float", 8))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalise each channel of (N, C, *S) over (N, *S): with batch statistics when ``training`` (and then
    update the running statistics with ``momentum``), else with ``running_mean`` / ``running_var``."""
    if training:
        _verify_batch_size(input.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    # then the native op's parser (F passes everything on by position)
    check_arguments("batch_norm", _STATISTICS_KINDS + (("training", "bool", 6),) + _MOMENTUM_EPS_KINDS,
                    dict(weight=weight, bias=bias, running_mean=running_mean, running_var=running_var,
                         training=training, momentum=momentum, eps=eps), 8)
    momentum, eps = (value.item() if isinstance(value, Tensor) else value for value in (momentum, eps))
    return _native_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _native_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """torch's native batch norm: its checks (not the Python wrapper's: instance_norm comes here directly,
    with any eps) and the computation."""
    channels = input.shape[1] if input.dim() > 1 else 0   # torch's num_features
    empty = input.numel() == 0 and not input.is_meta
    if not empty:   # torch returns an empty result before it looks at the statistics
        for name, tensor in (("running_mean", running_mean), ("running_var", running_var)):
            if tensor is None and not training:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
            _check_per_channel(name, tensor, channels)
        _check_per_channel("weight", weight, channels)
        _check_per_channel("bias", bias, channels)
    if input.dim() == 1 and not empty:   # torch's kernels read the channel dim: these are their words
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if input.dim() == 0:
        raise RuntimeError("SmallVector unable to grow. Requested capacity (18446744073709551615) is larger than "
                           "maximum value for size type (4294967295)")
    if empty:  # torch returns before it calls the native op (whose autograd refuses statistics needing grad)
        return _empty_batch_norm(input, weight, bias)
    _check_statistics_need_no_grad(running_mean, running_var)
    _check_dtypes("batch_norm", input, (weight, bias, running_mean, running_var), float_input_first=True)
    param_shape = _channel_param_shape(input)
    if not training:
        return _NormalizeWithGivenStats.apply(input, weight, bias, running_mean, running_var, param_shape, eps)
    stats_shape = (input.shape[0], channels, math.prod(input.shape[2:]))
    y, mean, var = _normalize(input, weight, bias, stats_shape, (0, 2), param_shape, eps)
    if mean is not None:
        count = input.numel() // channels
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, var * (count / (count - 1)), momentum)  # count > 1: checked above
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) plane of (N, C, *S) over S; running statistics, when given, follow
    the batch average of the per-sample statistics."""
    if use_input_stats:
        count = 1
        for s in input.shape[2:]:
            count *= s
        if count == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    check_arguments("instance_norm", _STATISTICS_KINDS + (("use_input_stats", "bool", 6),) + _MOMENTUM_EPS_KINDS,
                    dict(weight=weight, bias=bias, running_mean=running_mean, running_var=running_var,
                         use_input_stats=use_input_stats, momentum=momentum, eps=eps), 8)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    channels = input.shape[1]
    for name, tensor in (("weight", weight), ("bias", bias)):
        _check_per_channel(name, tensor, channels)
    # as torch: one batch norm of the (1, N * C, *S) view (each plane a channel of its own), with the
    # per-channel weights and statistics repeated N times; so the graph is torch's (View, NativeBatchNorm,
    # View, Repeat) and the running statistics the batch average of the per-plane ones
    batch = input.shape[0]
    planes = input.contiguous().view(1, batch * channels, *input.shape[2:])
    # (torch's instance norm takes running statistics of another float dtype: they are averaged apart; the
    # native op checks the input's and the weights' dtypes after the sizes)
    repeated = [None if t is None else t.repeat(batch).to(input.dtype) for t in (running_mean, running_var)]
    out = _native_batch_norm(planes, repeated[0], repeated[1], None if weight is None else weight.repeat(batch),
                             None if bias is None else bias.repeat(batch), use_input_stats, momentum, eps)
    for running, plane_stats in zip((running_mean, running_var), repeated):
        if running is not None and use_input_stats and not running.is_meta:
            per_sample = plane_stats.view(batch, channels).numpy()   # torch's view: its error for a wrong size
            running.numpy()[...] = _batch_mean(per_sample)
    return out.reshape(*input.shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise (N, C, *S) per sample over groups of C / num_groups channels (and S)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    shape = list(input.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + shape[2:])
    check_arguments("group_norm", (("num_groups", "int", 2), ("weight", "Tensor?", 3), ("bias", "Tensor?", 4),
                                   ("eps", "float", 5)), dict(num_groups=num_groups, weight=weight, bias=bias,
                                                              eps=eps), 5)
    channels = shape[1]
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {shape} and num_groups={num_groups}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and (tensor.dim() != 1 or tensor.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(tensor.shape)} and input of shape {shape}")
    _check_dtypes("GroupNormKernelImpl", input, (weight, bias), float_input_first=False)
    y, _, _ = _normalize(input, weight, bias, (shape[0], num_groups, channels // num_groups * math.prod(shape[2:])),
                         (2,), _channel_param_shape(input), eps, node="NativeGroupNormBackward0")
    return y


def check_normalized_shape(normalized_shape, **parameters):
    """layer_norm's and rms_norm's first checks: a non-empty shape, then each parameter's shape."""
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, tensor in parameters.items():
        if tensor is not None and tuple(tensor.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(tensor.shape)} and normalized_shape = {list(normalized_shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims of (*, *normalized_shape)."""
    check_arguments("layer_norm", (("normalized_shape", "int_list", 2), ("weight", "Tensor?", 3), ("bias", "Tensor?", 4),
                                   ("eps", "float", 5)), dict(normalized_shape=normalized_shape, weight=weight,
                                                              bias=bias, eps=eps), 5)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    shape = list(input.shape)
    mixed = _check_mixed_dtypes(input, (weight, bias))  # torch's order: mixed dtypes, the shapes, the kernel's
    check_normalized_shape(normalized_shape, weight=weight, bias=bias)
    if tuple(shape[len(shape) - k:]) != normalized_shape or len(shape) < k:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{shape}")
    if not mixed:
        _check_kernel_dtypes("LayerNormKernelImpl", input, (weight, bias))
    lead = shape[:len(shape) - k]
    rows = int(np.prod(lead, dtype=np.int64))
    param_shape = (1,) * len(lead) + normalized_shape
    y, _, _ = _normalize(input, weight, bias, (rows, -1) if rows else (0, max(1, int(np.prod(normalized_shape)))),
                         (1,), param_shape, eps, node="NativeLayerNormBackward0")
    return y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Not provided by npconv (rare in CNN tutorials); raises NotImplementedError."""
    raise NotImplementedError("npconv does not implement local_response_norm")
