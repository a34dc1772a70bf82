"""Inverse size solvers: which (kernel, stride, padding, dilation[, output_padding]) turn one size into another.

"How do I go from 128 to 255 with a transposed conv?" -> ``solve_conv_transpose(128, 255)``;
"which padding keeps 64x64 with a 5x5 kernel?" -> ``solve_conv((64, 64), (64, 64), kernel_size=5)``.

Each solver enumerates a bounded search space (the ``max_*`` arguments), keeps every combination whose
output size, computed by :mod:`npconv.arithmetic.sizes`, is the wanted one, and sorts them simplest first:
no dilation before dilation, kernels that cover every input pixel (``kernel_size >= stride``) before those
that skip some, no output_padding before output_padding, then smaller stride, kernel and padding
(for pooling: stride equal to the kernel first, then smaller kernel and padding).
Padding is bounded by the dilated kernel's reach, ``dilation * (kernel_size - 1)`` (a larger padding only
adds windows that see nothing but zeros); pooling padding by torch's own limit ``kernel_size // 2``.
"""
import itertools
from typing import NamedTuple

from .sizes import conv_output_size, conv_transpose_output_size, dilated_extent, pool_output_size

__all__ = ["ConvSettings", "ConvTransposeSettings", "PoolSettings", "solve_conv", "solve_conv_transpose",
           "solve_pool", "solve_padding"]


def _describe(settings):
    return ", ".join(f"{name}={value}" for name, value in settings._asdict().items())


class ConvSettings(NamedTuple):
    kernel_size: object
    stride: object
    padding: object
    dilation: object
    __str__ = _describe


class ConvTransposeSettings(NamedTuple):
    kernel_size: object
    stride: object
    padding: object
    output_padding: object
    dilation: object
    __str__ = _describe


class PoolSettings(NamedTuple):
    kernel_size: object
    stride: object
    padding: object
    dilation: object
    ceil_mode: bool
    __str__ = _describe


def _choices(fixed, low, high):
    """The values a free parameter may take: the fixed value alone, or low..high."""
    return [fixed] if fixed is not None else range(low, high + 1)


def _simplicity(s):
    output_padding = getattr(s, "output_padding", 0)
    if isinstance(s, PoolSettings):  # the usual pooling has stride == kernel_size
        return (s.dilation != 1, s.kernel_size < s.stride, s.ceil_mode, s.stride != s.kernel_size,
                s.kernel_size, s.padding, s.stride, s.dilation)
    return (s.dilation != 1, s.kernel_size < s.stride, output_padding, s.stride, s.kernel_size,
            s.padding, s.dilation, output_padding)


def _solve_1d_conv(size, wanted, kernel_size, stride, padding, dilation, max_kernel, max_stride, max_dilation,
                   max_padding):
    found = []
    for k, s, d in itertools.product(_choices(kernel_size, 1, max_kernel), _choices(stride, 1, max_stride),
                                     _choices(dilation, 1, max_dilation)):
        reach = dilated_extent(k, d) - 1 if max_padding is None else max_padding
        for p in _choices(padding, 0, reach):
            if conv_output_size(size, k, s, p, d) == wanted:
                found.append(ConvSettings(k, s, p, d))
    return found


def _solve_1d_conv_transpose(size, wanted, kernel_size, stride, padding, output_padding, dilation, max_kernel,
                             max_stride, max_dilation, max_padding):
    found = []
    for k, s, d in itertools.product(_choices(kernel_size, 1, max_kernel), _choices(stride, 1, max_stride),
                                     _choices(dilation, 1, max_dilation)):
        reach = dilated_extent(k, d) - 1 if max_padding is None else max_padding
        # torch requires output_padding < max(stride, dilation)
        for p, op in itertools.product(_choices(padding, 0, reach), _choices(output_padding, 0, max(s, d) - 1)):
            if op < max(s, d) and conv_transpose_output_size(size, k, s, p, op, d) == wanted:
                found.append(ConvTransposeSettings(k, s, p, op, d))
    return found


def _solve_1d_pool(size, wanted, kernel_size, stride, padding, dilation, ceil_mode, max_kernel, max_stride,
                   max_dilation):
    found = []
    ceil_modes = [ceil_mode] if ceil_mode is not None else [False, True]
    for k, s, d, c in itertools.product(_choices(kernel_size, 1, max_kernel), _choices(stride, 1, max_stride),
                                        _choices(dilation, 1, max_dilation), ceil_modes):
        for p in _choices(padding, 0, k // 2):
            if p <= k // 2 and pool_output_size(size, k, s, p, d, c) == wanted:
                found.append(PoolSettings(k, s, p, d, c))
    return found


def _per_dimension(size, wanted, fixed):
    """Split tuple arguments into one argument set per spatial dimension."""
    tuples = [v for v in (size, wanted, *fixed.values()) if isinstance(v, (tuple, list))]
    if not tuples:
        return None
    ndim = len(tuples[0])
    if any(len(t) != ndim for t in tuples):
        raise ValueError("size arguments disagree on the number of spatial dimensions")

    def pick(value, d):
        return value[d] if isinstance(value, (tuple, list)) else value
    return [(pick(size, d), pick(wanted, d), {name: pick(v, d) for name, v in fixed.items()})
            for d in range(ndim)]


def _combo_rank(combo):
    """A combination is as simple as its least simple dimension, then its next one, and so on."""
    return sorted((_simplicity(s) for s in combo), reverse=True)


def _best_combinations(per_dim_solutions, limit):
    """The per-dimension choices joined, simplest first, at most ``limit`` of them."""
    if any(not solutions for solutions in per_dim_solutions):
        return []
    if limit is not None:
        # making one dimension's choice simpler never ranks a combination lower, so the best `limit`
        # combinations use only each dimension's best `limit` choices
        per_dim_solutions = [solutions[:limit] for solutions in per_dim_solutions]
    ranked = sorted(itertools.product(*per_dim_solutions), key=_combo_rank)
    return ranked if limit is None else ranked[:limit]


def _combine(per_dim_solutions, settings_type, limit):
    """Join per-dimension solutions into tuple-valued settings, simplest first."""
    if settings_type is PoolSettings:  # one ceil_mode for the whole layer: join each mode on its own
        combos = []
        for ceil_mode in (False, True):
            combos += _best_combinations([[s for s in solutions if s.ceil_mode == ceil_mode]
                                          for solutions in per_dim_solutions], limit)
        combos.sort(key=_combo_rank)
        combos = combos if limit is None else combos[:limit]
    else:
        combos = _best_combinations(per_dim_solutions, limit)
    joined = []
    for combo in combos:
        fields = {name: tuple(getattr(s, name) for s in combo) for name in settings_type._fields}
        if settings_type is PoolSettings:
            fields["ceil_mode"] = fields["ceil_mode"][0]
        joined.append(settings_type(**fields))
    return joined


def _run(solve_1d, settings_type, size, wanted, fixed, limit, bounds):
    split = _per_dimension(size, wanted, fixed)
    if split is None:
        found = sorted(solve_1d(size, wanted, **fixed, **bounds), key=_simplicity)
        return found if limit is None else found[:limit]
    per_dim = [sorted(solve_1d(s, w, **f, **bounds), key=_simplicity) for s, w, f in split]
    return _combine(per_dim, settings_type, limit)


def solve_conv(input_size, output_size, kernel_size=None, stride=None, padding=None, dilation=None, *,
               max_kernel=11, max_stride=4, max_dilation=4, max_padding=None, limit=None):
    """Every convolution setting that maps ``input_size`` to ``output_size``, simplest first.

    Fix any of ``kernel_size``, ``stride``, ``padding``, ``dilation``; the others are searched in
    ``1..max_kernel``, ``1..max_stride``, ``1..max_dilation`` and ``0..dilation*(kernel_size-1)`` (or
    ``0..max_padding``). Sizes given as tuples are solved per dimension and joined into tuple settings
    (at most ``limit`` of them when ``limit`` is set). Each result satisfies
    ``conv_output_size(input_size, *result) == output_size``.
    """
    fixed = dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    bounds = dict(max_kernel=max_kernel, max_stride=max_stride, max_dilation=max_dilation, max_padding=max_padding)
    return _run(_solve_1d_conv, ConvSettings, input_size, output_size, fixed, limit, bounds)


def solve_conv_transpose(input_size, output_size, kernel_size=None, stride=None, padding=None, output_padding=None,
                         dilation=None, *, max_kernel=11, max_stride=4, max_dilation=4, max_padding=None, limit=None):
    """Every transposed-convolution setting that maps ``input_size`` to ``output_size``, simplest first.

    As :func:`solve_conv`, plus ``output_padding`` searched in ``0..max(stride, dilation)-1`` (torch's
    limit). Each result satisfies ``conv_transpose_output_size(input_size, *result) == output_size``.
    """
    fixed = dict(kernel_size=kernel_size, stride=stride, padding=padding, output_padding=output_padding,
                 dilation=dilation)
    bounds = dict(max_kernel=max_kernel, max_stride=max_stride, max_dilation=max_dilation, max_padding=max_padding)
    return _run(_solve_1d_conv_transpose, ConvTransposeSettings, input_size, output_size, fixed, limit, bounds)


def solve_pool(input_size, output_size, kernel_size=None, stride=None, padding=None, dilation=None,
               ceil_mode=None, *, max_kernel=8, max_stride=8, max_dilation=1, limit=None):
    """Every pooling setting that maps ``input_size`` to ``output_size``, simplest first.

    Padding is searched in ``0..kernel_size//2`` (torch refuses more); ``ceil_mode`` in both values unless
    fixed; ``dilation`` is 1 unless ``max_dilation`` is raised (only max pooling accepts a dilation).
    Each result satisfies ``pool_output_size(input_size, *result) == output_size``.
    """
    fixed = dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    bounds = dict(max_kernel=max_kernel, max_stride=max_stride, max_dilation=max_dilation)

    def solve_1d(size, wanted, kernel_size, stride, padding, dilation, **bounds):
        return _solve_1d_pool(size, wanted, kernel_size, stride, padding, dilation, ceil_mode, **bounds)
    return _run(solve_1d, PoolSettings, input_size, output_size, fixed, limit, bounds)


def solve_padding(input_size, output_size, kernel_size, stride=1, dilation=1):
    """The symmetric paddings (per dimension) that give ``output_size``, smallest first; ``[]`` if none.

    >>> solve_padding((64, 64), (64, 64), 5)
    [(2, 2)]
    """
    solutions = solve_conv(input_size, output_size, kernel_size, stride, None, dilation,
                           max_padding=_padding_bound(input_size, output_size, kernel_size, stride, dilation))
    return [s.padding for s in solutions]


def _padding_bound(input_size, output_size, kernel_size, stride, dilation):
    """A padding beyond which the output is always larger than wanted: from
    ``(size + 2p - span) // stride + 1 == out`` follows ``2p < out * stride + span - size``."""
    def dims(value):
        return value if isinstance(value, (tuple, list)) else None
    ndim = next((len(v) for v in (input_size, output_size, kernel_size, stride, dilation) if dims(v)), 1)

    def pick(value, d):
        return value[d] if dims(value) else value
    bounds = []
    for d in range(ndim):
        span = pick(dilation, d) * (pick(kernel_size, d) - 1) + 1
        bounds.append((pick(output_size, d) * pick(stride, d) + span - pick(input_size, d)) // 2 + 1)
    return max(0, *bounds)
