"""Higher-order gradients: the graph walk of ``backward(create_graph=True)`` / ``autograd.grad(...,
create_graph=True)`` carries its gradients as Tensors and computes each node's input gradients with
Tensor ops under grad mode, so the gradients record a graph of their own and can be differentiated again.

``RULES`` maps a Function class to ``rule(node, grad) -> one Tensor (or None) per forward argument``. A
rule differentiates the node's inputs as Tensors (``operand``: the input itself when it requires grad,
else the saved array as a constant) and saved outputs as Tensors whose grad_fn is the node (``output``),
as torch's saved variables do. Gradients that are linear in ``grad`` with coefficients that do not depend
on the inputs' values (views, reductions, indexing, masks such as relu's) reuse the node's own NumPy
backward through ``LinearInGrad``, whose gradient is the map's adjoint.

A node without a rule still gets its first-order gradient (from its NumPy backward), wrapped so that
differentiating through it raises NotImplementedError naming the op: never a silently missing term.
User-defined Functions run their backward under grad mode on Tensors, as in torch.
"""
import copy
import math

import numpy as np

from .autograd import Function, _call_backward, _sum_to_shape, enable_grad
from ._tensor import Tensor

RULES = {}


def double_backward(*functions):
    """Decorator: the rule below gives the differentiable gradients of ``functions``' nodes."""
    def register(rule):
        for function in functions:
            RULES[function] = rule
        return rule
    return register


# --------------------------------------------------------------------------------------------------
# The walk's arithmetic (see autograd._ArrayGradients, whose names these are)


class TensorGradients:
    mode = enable_grad

    @staticmethod
    def node_gradients(node, g):
        node.saved_tensors   # torch's errors (freed graph, in-place change) first, as without create_graph
        function = node._function
        if function._user_defined:
            grads = function.backward(node, g)
            return grads if type(grads) is tuple else (grads,)
        rule = _rule_of(function)
        if rule is None:
            return _first_order_only(node, g)
        return rule(node, g)

    @staticmethod
    def reduce(ig, t):
        """As autograd._ArrayGradients.reduce, with Tensor ops (so the reduction is differentiable)."""
        if not isinstance(ig, Tensor):   # a user's Function may return arrays or numbers
            ig = Tensor._make(np.asarray(ig))
        shape = t._data.shape
        if ig._data.shape != shape:
            lead, stretched = _broadcast_axes(ig._data.shape, shape)
            if lead:
                ig = ig.sum(lead)
            if stretched:
                ig = ig.sum(stretched, keepdim=True)
            if ig._data.shape != shape:   # a backward that dropped leading size-1 dims gets them back
                ig = ig.reshape(shape)
        return ig if ig._data.dtype == t._data.dtype else ig.to(t.dtype)

    @staticmethod
    def accumulate(leaf, g):
        # torch's AccumulateGrad under grad mode: a clone the first time, then out of place (both recorded)
        leaf.grad = g.clone() if leaf.grad is None else leaf.grad + g

    @staticmethod
    def wrap(g):
        return g if isinstance(g, Tensor) else Tensor._make(g, False)

    @staticmethod
    def unwrap(t):
        return t

    @staticmethod
    def result(g, t):
        return g if g._data.dtype == t._data.dtype else g.to(t.dtype)


def _broadcast_axes(grad_shape, shape):
    """The leading axes broadcasting added and the axes it stretched from size 1: what a gradient of
    ``grad_shape`` sums over to come back to ``shape`` (refused as autograd._sum_to_shape refuses)."""
    _sum_to_shape(np.broadcast_to(np.zeros((), np.int8), grad_shape), shape)
    extra = len(grad_shape) - len(shape)
    kept = (1,) * -extra + grad_shape if extra < 0 else grad_shape[extra:]
    return tuple(range(max(extra, 0))), tuple(i for i, n in enumerate(shape) if n == 1 and kept[i] != 1)


def _rule_of(function):
    """The registered rule of ``function`` or of the class it inherits its backward from (a subclass that
    writes its own backward needs a rule of its own)."""
    for cls in function.__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            return rule if _function_of(cls.backward) is _function_of(function.backward) else None
    return None


def _function_of(method):
    """A static or class method's function (a classmethod is bound anew at each access)."""
    return getattr(method, "__func__", method)


# --------------------------------------------------------------------------------------------------
# What rules differentiate


def operand(node, index, saved=None):
    """Forward argument ``index`` of ``node`` as a rule uses it: the input Tensor when it requires grad (so
    second derivatives flow through it), else ``saved`` (its array) as a constant."""
    t = node._inputs[index]
    if t is None:
        return Tensor._make(np.asarray(saved))
    fn = node._input_fns[index]
    if t.grad_fn is fn and (saved is None or t._data is saved):
        return t
    # the tensor has moved on (an in-place op since): its value and node as the forward saw them
    alias = Tensor._make(t._data if saved is None else saved)
    alias._requires_grad, alias.grad_fn, alias._versions = True, fn, t._versions
    return alias


def output(node, saved):
    """The node's saved output as a Tensor made by the node itself (torch's saved output)."""
    out = Tensor._make(saved)
    out._requires_grad, out.grad_fn = True, node
    return out


def _needs(node, index):
    return node._inputs[index] is not None


class LinearInGrad(Function):
    """``apply(grad)`` for a gradient linear in ``grad`` (computed in NumPy); its gradient is
    ``adjoint(grad)``, and the adjoint's gradient is ``apply`` again, to any order. ``zero_for`` are
    Tensors the map's coefficients come from piecewise-constantly (relu's output): they get a zero
    gradient, as torch sends them."""

    backward_name = "LinearInGradBackward0"

    @staticmethod
    def forward(ctx, grad, apply, adjoint, *zero_for):
        ctx.apply, ctx.adjoint = apply, adjoint
        ctx.zero_for = [z.shape for z in zero_for]
        return np.asarray(apply(grad))

    @staticmethod
    def backward(ctx, grad):
        zeros = tuple(np.zeros(shape, grad.dtype) for shape in ctx.zero_for)
        return (np.asarray(ctx.adjoint(grad)), None, None) + zeros


@double_backward(LinearInGrad)
def _linear_in_grad(node, g):
    return (LinearInGrad.apply(g, node.adjoint, node.apply), None, None) + (None,) * len(node.zero_for)


def own_backward(node, index):
    """Output ``index`` of the node's NumPy backward, as a function of the gradient (the node is copied:
    its saved arrays stay reachable if the graph is freed later, as torch's double-backward nodes keep
    their own)."""
    frozen = copy.copy(node)

    def apply(grad):
        grads = _call_backward(frozen, grad)
        return grads[index] if type(grads) is tuple else grads
    return apply


def linear_rule(adjoints, zero_for=lambda node: ()):
    """The rule of a node whose gradient for argument i is linear in grad: ``adjoints[i](node)`` gives the
    adjoint of that map (None: the argument has no gradient; "self" for an element-wise mask, its own
    adjoint). ``zero_for(node)``: the Tensors torch sends a zero second-order gradient (see LinearInGrad)."""
    def rule(node, g):
        sources = zero_for(node)
        grads = []
        for index, adjoint_of in enumerate(adjoints):
            if adjoint_of is None or not _needs(node, index):
                grads.append(None)
                continue
            apply = own_backward(node, index)
            adjoint = apply if adjoint_of == "self" else adjoint_of(node)
            grads.append(LinearInGrad.apply(g, apply, adjoint, *sources))
        return tuple(grads) + (None,) * (len(node._inputs) - len(grads))
    return rule


def linear_in_grad(node, g, adjoint, zero_for=()):
    """The node's first gradient (its NumPy backward) as a LinearInGrad Tensor with the given adjoint."""
    return LinearInGrad.apply(g, own_backward(node, 0), adjoint, *zero_for)


class KnownLinear(Function):
    """A value a node saved (mse_loss's difference), re-attached to the Tensors it is a linear combination
    of: ``value = sum(coefficient * tensor)``, so a rule can differentiate it without recomputing it."""

    backward_name = "KnownLinearBackward0"

    @staticmethod
    def forward(ctx, value, *tensors, coefficients):
        ctx.coefficients = coefficients
        return value

    @staticmethod
    def backward(ctx, grad):
        return (None,) + tuple(grad * grad.dtype.type(c) for c in ctx.coefficients)


@double_backward(KnownLinear)
def _known_linear(node, g):
    return (None,) + tuple(g * c for c in node.coefficients)


def known_linear(value, terms):
    """``value`` (an array) as a Tensor in the graph of ``terms`` = [(Tensor, coefficient)] it is the sum of."""
    terms = [(t, c) for t, c in terms if t is not None]
    return KnownLinear.apply(value, *(t for t, _ in terms), coefficients=tuple(c for _, c in terms))


# --------------------------------------------------------------------------------------------------
# Nodes without a rule


class FirstOrderOnly(Function):
    """A gradient computed without a graph: differentiating through it is refused by name."""

    backward_name = "NotImplemented"

    @staticmethod
    def forward(ctx, *tensors, value, node, torch_refusal):
        ctx.op, ctx.torch_refusal = node, torch_refusal
        return value

    @staticmethod
    def backward(ctx, grad):
        node = ctx.op
        if ctx.torch_refusal:   # torch has no such derivative either: its error
            raise RuntimeError(f"derivative for aten::{ctx.torch_refusal} is not implemented")
        raise NotImplementedError(f"npconv: the gradient of {node.name()} is not differentiable (double backward "
                                  f"of {node._function.__name__} is not implemented)")


def _first_order_only(node, g, torch_refusal=None):
    grads = _call_backward(node, g._data)
    if type(grads) is not tuple:
        grads = (grads,)
    sources = [g] + [t for t in node._inputs if t is not None]
    return tuple(None if ig is None else FirstOrderOnly.apply(*sources, value=np.asarray(ig), node=node,
                                                              torch_refusal=torch_refusal)
                 for ig in grads)


def refused_by_torch(aten_name):
    """The rule of an op whose gradient torch does not differentiate (``aten_name``: its backward's name):
    the first-order gradient, and torch's error when differentiated through."""
    return lambda node, g: _first_order_only(node, g, aten_name)


# --------------------------------------------------------------------------------------------------
# The rules


def _zeros(g):
    return Tensor._make(np.zeros_like(g._data))


def _register_rules():
    """Rules of the core ops (imported here, when create_graph is first used: _ops imports autograd)."""
    from ._ops import activation, elementwise as ew, indexing, inplace, linalg, promotion, reduction, shape, views
    from ._ops import binary, order, pointwise as pointwise_ops, products
    from ._ops.elementwise import where

    double_backward(ew.Add)(lambda node, g: (g, g))
    double_backward(ew.Sub)(lambda node, g: (g, -g if _needs(node, 1) else None))
    double_backward(ew.Rsub)(lambda node, g: (-g, g))
    double_backward(ew.Neg)(lambda node, g: (-g,))
    double_backward(shape.Clone)(lambda node, g: (g,))
    double_backward(shape.Expand)(lambda node, g: (g, None))   # the engine sums over the broadcast dims
    double_backward(inplace.Copy)(lambda node, g: (_zeros(g), g))
    double_backward(inplace._Fill)(lambda node, g: (_zeros(g), None))

    @double_backward(ew.Mul)
    def _mul(node, g):
        a, b = node.saved_tensors
        return (g * operand(node, 1, b) if _needs(node, 0) else None,
                g * operand(node, 0, a) if _needs(node, 1) else None)

    @double_backward(ew.Div)
    def _div(node, g):
        a, b = node.saved_tensors
        b = operand(node, 1, b)
        return (g / b if _needs(node, 0) else None,
                -g * operand(node, 0, a) / (b * b) if _needs(node, 1) else None)

    @double_backward(ew.PowScalar)
    def _pow_scalar(node, g):
        (a,) = node.saved_tensors
        exponent = node.exponent
        if exponent == 0:
            return _zeros(g), None
        return g * (exponent * operand(node, 0, a).pow(exponent - 1)), None

    @double_backward(ew.Pow)
    def _pow(node, g):
        a, b, out = node.saved_tensors
        base, exponent = operand(node, 0, a), operand(node, 1, b)
        ga = gb = None
        if _needs(node, 0):   # zero where the exponent is 0 (even at base 0), as torch
            ga = where(Tensor._make(b == 0), 0.0, g * exponent * base.pow(exponent - 1))
        if _needs(node, 1):   # zero where base == 0 and exponent >= 0, as torch
            gb = where(Tensor._make((a == 0) & (b >= 0)), 0.0, g * output(node, out) * base.log())
        return ga, gb

    def pointwise(function, gradient, saves="input"):
        """A rule ``gradient(g, x)`` for a one-input op, x its input (or its output with saves="output")."""
        def rule(node, g):
            (saved,) = node.saved_tensors
            x = output(node, saved) if saves == "output" else operand(node, 0, saved)
            return (gradient(g, x),)
        double_backward(function)(rule)

    pointwise(ew.Exp, lambda g, y: g * y, "output")
    pointwise(ew.Log, lambda g, x: g / x)
    pointwise(ew.Sqrt, lambda g, y: g / (2 * y), "output")
    pointwise(ew.Reciprocal, lambda g, y: -g * y * y, "output")
    pointwise(ew.Sin, lambda g, x: g * x.cos())
    pointwise(ew.Cos, lambda g, x: g * -x.sin())
    pointwise(activation.Sigmoid, lambda g, y: g * (1 - y) * y, "output")
    pointwise(activation.Tanh, lambda g, y: g * (1 - y * y), "output")

    # gradients that are the incoming gradient times a piecewise-constant mask (an element-wise map is its
    # own adjoint); their second derivative is zero almost everywhere. torch sends relu's output and abs's
    # input a zero gradient (its formulas use them), clamp's and max/min's nothing (they compare only).
    double_backward(activation.Relu)(linear_rule(("self",), lambda node: (output(node, *node.saved_tensors),)))
    double_backward(ew.Abs)(linear_rule(("self",), lambda node: (operand(node, 0, *node.saved_tensors),)))
    for function, arguments in ((ew.Clamp, 1), (ew.Maximum, 2), (ew.Minimum, 2)):
        double_backward(function)(linear_rule(("self",) * arguments))
    double_backward(ew.Where)(linear_rule((None, "self", "self")))

    # views and reductions: linear maps whose adjoint is the forward itself
    double_backward(shape.View)(lambda node, g: (g.reshape(node.shape), None))
    double_backward(shape.Permute)(lambda node, g: (g.permute(*np.argsort(node.dims).tolist()), None))

    @double_backward(reduction.Sum, reduction.Mean)
    def _reduction(node, g):
        if issubclass(node._function, reduction.Mean):
            g = g / node.count
        return (unreduced(g, node.shape, node.axes, node.keepdim, expand=True),) + (None,) * (len(node._inputs) - 1)

    @double_backward(linalg.VectorNorm)
    def _vector_norm(node, g):
        a, out = node.saved_tensors
        norm = output(node, out)
        scale = where(Tensor._make(out == 0), 0.0, g / norm)   # torch: 0 at the origin
        return unreduced(scale, a.shape, node.axes, node.keepdim) * operand(node, 0, a), None, None

    @double_backward(reduction.VarStd)
    def _var_std(node, g):
        centered, out = node.saved_tensors
        if node.take_sqrt:   # torch: 0 where std is 0
            g = where(Tensor._make(out == 0), 0.0, g / (2 * output(node, out)))
        x = operand(node, 0)
        mean = x.mean() if node.axes is None else x.mean(node.axes, keepdim=True)
        g = unreduced(g, centered.shape, node.axes, node.keepdim)
        return (g * (2 / centered.dtype.type(node.denominator)) * (x - mean),) + (None,) * 4

    @double_backward(order.Logsumexp)
    def _logsumexp(node, g):
        a, out = node.saved_tensors
        result = output(node, out if node.keepdim else np.squeeze(out, node.axes))
        reduced = lambda t: unreduced(t, a.shape, node.axes, node.keepdim)   # noqa: E731
        return reduced(g) * (operand(node, 0, a) - reduced(result)).exp(), None, None

    double_backward(indexing.Index)(linear_rule((lambda node: lambda grad: grad[node.index],)))
    double_backward(views.AsStrided)(linear_rule((
        lambda node: lambda grad: node.replay(np.asarray(grad).reshape(node.shape)),)))
    double_backward(views.CopySlices)(linear_rule((
        "self", lambda node: own_backward(_as_strided_like(node, views), 0))))

    @double_backward(activation.Softmax)
    def _softmax(node, g):
        y = output(node, *node.saved_tensors)
        return y * (g - (g * y).sum(node.dim, keepdim=True)), None

    @double_backward(activation.LogSoftmax)
    def _log_softmax(node, g):
        y = output(node, *node.saved_tensors)
        return g - y.exp() * g.sum(node.dim, keepdim=True), None

    double_backward(promotion.ToCopy)(lambda node, g: (g, None))   # the engine casts back
    pointwise(activation.Erf, lambda g, x: g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp())
    for name, gradient in _POINTWISE_TABLE.items():
        _register_pointwise_row(pointwise_ops.CLASSES[name], gradient)

    # selections and masks: linear in grad, the adjoint gathers what the backward scattered
    double_backward(indexing.MaskedFill)(linear_rule(("self",)))
    double_backward(indexing.MaskedFillTensor)(linear_rule((
        "self", None, lambda node: lambda v: np.where(node.mask, np.asarray(v), 0))))
    double_backward(reduction.Cumsum)(linear_rule((lambda node: lambda v: np.cumsum(v, axis=node.axis),)))
    double_backward(reduction.MaxDim, order._Picked)(linear_rule((_gather_along,)))
    double_backward(reduction.MaxAll, order._EvenAmongTies)(linear_rule((_mean_over_ties,)))
    double_backward(reduction.Amax)(linear_rule((_share_among_hits,)))
    double_backward(indexing.Gather)(linear_rule((
        lambda node: lambda v: np.take_along_axis(np.asarray(v), node.idx, node.axis),)))

    double_backward(shape.Flip)(lambda node, g: (g.flip(node.axes), None))
    double_backward(shape.Stack)(lambda node, g: tuple(g.select(node.axis, i) for i in range(len(node._inputs))))

    @double_backward(shape.Cat)
    def _cat(node, g):
        bounds = [0] + list(node.bounds) + [g.shape[node.axis]]
        lead = (slice(None),) * node.axis
        return tuple(g[lead + (slice(int(start), int(stop)),)] for start, stop in zip(bounds, bounds[1:]))

    double_backward(shape.Repeat)(linear_rule((lambda node: lambda grad: np.tile(grad, node.reps),)))

    @double_backward(binary.AddcMul, binary.AddcDiv)
    def _addc(node, g):
        t1, t2 = node.saved_tensors
        t1, t2 = operand(node, 1, t1), operand(node, 2, t2)
        scaled = g * node.value
        if issubclass(node._function, binary.AddcMul):
            g1, g2 = scaled * t2, scaled * t1
        else:
            g1, g2 = scaled / t2, -scaled * t1 / (t2 * t2)
        return g, (g1 if _needs(node, 1) else None), (g2 if _needs(node, 2) else None), None

    @double_backward(products._Fused)
    def _fused(node, g):
        a, b = node.saved_tensors
        a, b = operand(node, 1, a), operand(node, 2, b)
        scaled = g if node.alpha == 1 else g * node.alpha
        if node.kind == "summed bmm":
            scaled = scaled.expand(a.shape[0], *scaled.shape)
        if node.kind == "outer":
            ga, gb = scaled.matmul(b), scaled.t().matmul(a)
        elif node.kind == "mv":
            ga, gb = scaled.unsqueeze(1) * b.unsqueeze(0), a.t().matmul(scaled)
        else:
            ga, gb = scaled.matmul(b.transpose(-1, -2)), a.transpose(-1, -2).matmul(scaled)
        gc = g * node.beta if node.beta != 1 else g
        return (gc if _needs(node, 0) else None, ga if _needs(node, 1) else None,
                gb if _needs(node, 2) else None, None, None, None)

    @double_backward(linalg.MatMul)
    def _matmul(node, g):
        a, b = node.saved_tensors
        return matmul_gradients(node, g, operand(node, 0, a) if _needs(node, 1) else Tensor._make(a),
                                operand(node, 1, b) if _needs(node, 0) else Tensor._make(b))


# the rows of _ops/pointwise.py's table: grad * dy/dx as Tensor ops of (g, x, y)
_POINTWISE_TABLE = {
    "sinh": lambda g, x, y: g * x.cosh(),
    "cosh": lambda g, x, y: g * x.sinh(),
    "tan": lambda g, x, y: g * (1 + y * y),
    "asin": lambda g, x, y: g / (1 - x * x).sqrt(),
    "acos": lambda g, x, y: -g / (1 - x * x).sqrt(),
    "atan": lambda g, x, y: g / (1 + x * x),
    "asinh": lambda g, x, y: g / (x * x + 1).sqrt(),
    "acosh": lambda g, x, y: g / (x * x - 1).sqrt(),
    "atanh": lambda g, x, y: g / (1 - x * x),
    "expm1": lambda g, x, y: g * (y + 1),
    "log1p": lambda g, x, y: g / (x + 1),
    "log2": lambda g, x, y: g / (x * math.log(2.0)),
    "log10": lambda g, x, y: g / (x * math.log(10.0)),
    "exp2": lambda g, x, y: g * y * math.log(2.0),
    "deg2rad": lambda g, x, y: g * (math.pi / 180),
    "rad2deg": lambda g, x, y: g * (180 / math.pi),
    "frac": lambda g, x, y: g,
    **{name: lambda g, x, y: _zeros(g) for name in ("trunc", "floor", "ceil", "round", "sign", "sgn")},
}


def _register_pointwise_row(function, gradient):
    def rule(node, g):
        x, y = node.saved_tensors
        return (gradient(g, operand(node, 0, x), output(node, y)),)
    double_backward(function)(rule)


def unreduced(g, shape, axes, keepdim, expand=False):
    """A reduction's gradient given its reduced dims back (size 1, or ``shape`` with ``expand``), as Tensor
    ops; ``axes`` None: every dim was reduced."""
    if not keepdim:
        kept = [1 if axes is None or i in axes else n for i, n in enumerate(shape)]
        g = g.reshape(kept)
    return g.expand(*shape) if expand else g


def _gather_along(node):
    """The adjoint of scattering a gradient to ``node.idx`` along ``node.axis`` (max(dim), median(dim)...)."""
    def gather(v):
        picked = np.take_along_axis(np.asarray(v), node.idx, node.axis)
        return picked if node.keepdim else np.squeeze(picked, node.axis)
    return gather


def _share_among_hits(node):
    """The adjoint of amax/amin's backward (the gradient shared among the elements equal to the result)."""
    from ._ops.reduction import _expand_reduced
    a, out = node.saved_tensors
    hits = a == _expand_reduced(out, a.shape, node.axes, node.keepdim)
    ties = np.sum(hits, axis=node.axes, keepdims=True)
    return lambda v: np.sum(np.where(hits, np.asarray(v) / ties, 0), axis=node.axes,
                            keepdims=node.keepdim).astype(a.dtype)


def _mean_over_ties(node):
    """The adjoint of spreading a gradient evenly over the elements equal to the picked value."""
    a, value = node.saved_tensors
    ties = (a == value) | (np.isnan(a) & np.isnan(value))
    return lambda v: np.asarray((np.asarray(v) * ties).sum() / max(np.count_nonzero(ties), 1), dtype=v.dtype)


def _as_strided_like(node, views):
    """A stand-in AsStrided node cutting CopySlices' view out of the root: its backward scatters a view's
    gradient into the root, the adjoint of CopySlices' gradient for the written values."""
    stand_in = views.AsStrided._node_class()
    stand_in.shape, stand_in.replay = node.shape, node.replay
    stand_in.needs_input_grad = (True, False)
    return stand_in


def matmul_gradients(node, g, a, b):
    """matmul's gradients as Tensor ops (1-d operands as a row on the left, a column on the right)."""
    a2 = a.unsqueeze(0) if a.dim() == 1 else a
    b2 = b.unsqueeze(-1) if b.dim() == 1 else b
    if a.dim() == 1 and b.dim() == 1:
        g2 = g.reshape(1, 1)
    elif a.dim() == 1:
        g2 = g.unsqueeze(-2)
    elif b.dim() == 1:
        g2 = g.unsqueeze(-1)
    else:
        g2 = g
    ga = gb = None
    if _needs(node, 0):
        ga = g2.matmul(b2.transpose(-1, -2))
        ga = ga.select(-2, 0) if a.dim() == 1 else ga
    if _needs(node, 1):
        gb = a2.transpose(-1, -2).matmul(g2)
        gb = gb.select(-1, 0) if b.dim() == 1 else gb
    return ga, gb


_register_rules()
