"""The differentiable tensor ops, a module per kind: each op a ``Function`` with its backward right below
its forward, plus the torch-level function (``npconv.add``, ``npconv.cat``...) that checks arguments,
applies torch's type promotion and calls it.

    arguments    argument checks and torch's wording for them (dims, shapes, broadcasting)
    promotion    operands and type promotion; the one binary-op entry and the dtype cast in the graph
    elementwise  arithmetic, comparisons, rounding, bitwise, unary maths
    activation   relu, sigmoid, tanh, softmax, log_softmax, erf (also behind npconv.nn.functional)
    reduction    sum, mean, var/std, max/min, arg-max/min, prod, cumsum, all/any, topk/sort
    linalg       matmul, mm, bmm, dot, outer, einsum, norm
    shape        view/reshape, permute/transpose, squeeze, expand, repeat, clone, cat/stack, flip
    indexing     x[index], gather, split/chunk/unbind, masked_fill, nonzero, unique
    inplace      x.add_(y), x[index] = v, fill_/copy_, random fills, ``out=``
    methods      the Tensor method table (imported last: it attaches everything to Tensor)
"""
import inspect

from .._tensor import Tensor
from .._torch_api import torch_names

from .activation import erf, log_softmax, relu, sigmoid, softmax, tanh
from .aliases import add_aliases
from .arguments import accepting_numpy_names
from .elementwise import (abs, add, allclose, bitwise_and, bitwise_or, bitwise_xor, clamp, cos, div, eq, equal,
                          exp, floor_divide, ge, gt, isclose, isfinite, isnan, le, log, logical_not, lt, maximum,
                          minimum, mul, ne, neg, pow, reciprocal, rsqrt, sin, sqrt, square, sub, where)
from . import binary, composite, grids, matrices, order, pointwise, placement, products, rearrange, sampling
from .products import *  # noqa: F401,F403
from .composite import *  # noqa: F401,F403
from .matrices import *  # noqa: F401,F403
from .order import *  # noqa: F401,F403
from .placement import *  # noqa: F401,F403
from .rearrange import *  # noqa: F401,F403
from .binary import *  # noqa: F401,F403
from .grids import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .indexing import chunk, gather, masked_fill, nonzero, split, unbind, unique
from .inplace import _with_out
from .linalg import bmm, dot, einsum, matmul, mm, norm, outer
from .promotion import broadcast_shapes, result_type, to_dtype
from .reduction import (all, amax, amin, any, argmax, argmin, argsort, count_nonzero, cumsum, max, mean, min,
                        prod, sort, std, sum, topk, var)
from .shape import (broadcast_to, cat, clone, flatten, flip, hstack, permute, reshape, squeeze, stack, t,
                    transpose, unflatten, unsqueeze, vstack)
from . import methods  # noqa: F401  (attaches the ops to Tensor)

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "matmul", "mm", "bmm", "dot", "exp", "log", "sqrt", "rsqrt",
           "abs", "clamp", "tanh", "sigmoid", "sin", "cos", "relu", "square", "reciprocal", "sum", "mean", "max",
           "min", "amax", "amin", "argmax", "argmin", "var", "std", "reshape", "flatten", "permute", "transpose",
           "t", "unsqueeze", "squeeze", "cat", "stack", "split", "chunk", "unbind",
           "clone", "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge", "equal",
           "allclose", "isclose", "isnan", "isfinite", "all", "any",
           "result_type", "prod", "cumsum", "outer", "einsum", "logical_not",
           "floor_divide", "erf", "broadcast_to", "broadcast_shapes",
           "count_nonzero", "masked_fill", "gather", "topk", "sort", "argsort", "unflatten",
           "hstack", "vstack", "bitwise_and", "bitwise_or", "bitwise_xor", "flip",
           "norm", "nonzero", "unique", "softmax", "log_softmax"]
for _module in (grids, sampling, pointwise, binary, rearrange, placement, order, products, composite, matrices):
    __all__ += _module.__all__
__all__ += add_aliases(globals())



def _install_inplace_functions():
    """torch.relu_(x), torch.exp_(x), torch.zero_(x)...: torch's in-place functions are its Tensor's in-place
    methods, called with the tensor first."""
    namespace = globals()
    for name in sorted(torch_names("torch")):
        if name.endswith("_") and not name.startswith("_") and name not in namespace \
                and callable(vars(Tensor).get(name)):
            namespace[name] = vars(Tensor)[name]
            __all__.append(name)


_install_inplace_functions()


def _install_argument_forms():
    """The torch-level functions that take ``out=`` get the wrapper that fills it (Tensor methods do not),
    and every one takes NumPy's argument names where torch's parser does (``axis=``, ``keepdims=``...)."""
    namespace = globals()
    for name in __all__:
        fn = namespace[name]
        if "out" in inspect.signature(fn).parameters:
            fn = _with_out(fn)
        namespace[name] = accepting_numpy_names(fn, name)


_install_argument_forms()
