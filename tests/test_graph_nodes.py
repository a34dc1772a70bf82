"""The graph npconv records, as torch's: for each common op the node's name and its next_functions (one
entry per tensor argument of torch's op, None for one that needs no gradient), as the blitz tutorial and
users' graph walks print them."""
import pytest
import torch

import npconv

OPS = {
    "conv": lambda m, x: m.nn.Conv2d(2, 2, 3)(x),
    "conv without bias": lambda m, x: m.nn.Conv2d(2, 2, 3, bias=False)(x),
    "transposed conv": lambda m, x: m.nn.ConvTranspose2d(2, 2, 3)(x),
    "max_pool2d": lambda m, x: m.nn.functional.max_pool2d(x, 2),
    "avg_pool2d": lambda m, x: m.nn.functional.avg_pool2d(x, 2),
    "adaptive_avg_pool2d": lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 2),
    "adaptive_max_pool2d": lambda m, x: m.nn.functional.adaptive_max_pool2d(x, 2),
    "max_unpool2d": lambda m, x: m.nn.functional.max_unpool2d(*m.nn.functional.max_pool2d(x, 2, return_indices=True), 2),
    "batch norm": lambda m, x: m.nn.BatchNorm2d(2)(x),
    "batch norm eval": lambda m, x: m.nn.BatchNorm2d(2).eval()(x),
    "group norm": lambda m, x: m.nn.GroupNorm(1, 2)(x),
    "layer norm": lambda m, x: m.nn.LayerNorm(6)(x),
    "interpolate": lambda m, x: m.nn.functional.interpolate(x, scale_factor=2),
    "bilinear": lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
    "constant pad": lambda m, x: m.nn.functional.pad(x, (1, 1)),
    "reflection pad": lambda m, x: m.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect"),
    "linear": lambda m, x: m.nn.Linear(6, 3)(x),
    "softmax": lambda m, x: m.nn.functional.softmax(x, 1),
    "log_softmax": lambda m, x: m.nn.functional.log_softmax(x, 1),
    "dropout": lambda m, x: m.nn.functional.dropout(x, 0.5),
    "flatten": lambda m, x: x.flatten(1),
    "mse_loss": lambda m, x: m.nn.functional.mse_loss(x, m.zeros(1, 2, 6, 6)),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(x.flatten(1)[:, :4], m.tensor([1])),
    "binary_cross_entropy": lambda m, x: m.nn.functional.binary_cross_entropy(x.sigmoid(), m.ones(1, 2, 6, 6)),
    "pixel_shuffle": lambda m, x: m.nn.functional.pixel_shuffle(x.repeat(1, 2, 1, 1), 2),
    "unfold": lambda m, x: m.nn.functional.unfold(x, 2),
    "grid_sample": lambda m, x: m.nn.functional.grid_sample(x, m.zeros(1, 2, 2, 2), align_corners=False),
    "x + 1": lambda m, x: x + 1, "2 * x": lambda m, x: 2 * x, "2 + x": lambda m, x: 2 + x, "1 - x": lambda m, x: 1 - x, "x * 2": lambda m, x: x * 2,
    "x / 2": lambda m, x: x / 2, "x ** 2": lambda m, x: x ** 2, "x ** x": lambda m, x: x ** x,
    "maximum": lambda m, x: m.maximum(x, x), "where": lambda m, x: m.where(x > 0, x, 0.0),
    "clamp": lambda m, x: x.clamp(0, 1), "sum": lambda m, x: x.sum(), "sum(dim)": lambda m, x: x.sum(0),
    "mean": lambda m, x: x.mean(), "mean(dim)": lambda m, x: x.mean(dim=1), "var": lambda m, x: x.var(),
    "max": lambda m, x: x.max(), "max(dim)": lambda m, x: x.max(0)[0], "cumsum": lambda m, x: x.cumsum(0),
    "view": lambda m, x: x.view(-1), "cat": lambda m, x: m.cat([x, x], 1), "index": lambda m, x: x[0, :, 1:3],
    "relu": lambda m, x: m.relu(x), "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x),
}


def _graph(lib, op):
    x = lib.ones(1, 2, 6, 6, requires_grad=True)
    node = OPS[op](lib, x).grad_fn
    return node.name(), [None if fn is None else fn.name() for fn, _ in node.next_functions]


@pytest.mark.parametrize("op", sorted(OPS))
def test_node_and_next_functions_match_torch(op):
    assert _graph(npconv, op) == _graph(torch, op)
