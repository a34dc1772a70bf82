"""The autograd graph of losses and pooling, as the blitz tutorial walks it (``loss.grad_fn.next_functions
[0][0]...``): node names and their order must be torch's, down to the leaves' AccumulateGrad."""
import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import random_array


def walk(node, depth=0):
    """The graph below ``node`` as indented names (None inputs skipped), at most 5 levels deep."""
    if node is None or depth > 5:
        return []
    lines = ["  " * depth + node.name()]
    for child, _ in node.next_functions:
        lines += walk(child, depth + 1)
    return lines


def tensors(m):
    x = m.tensor(random_array((4, 3), np.float64, seed=1), requires_grad=True)
    p = m.tensor(random_array((4, 3), np.float64, seed=2, low=0.05, high=0.95), requires_grad=True)
    t = m.tensor(random_array((4, 3), np.float64, seed=3, low=0.0, high=1.0))
    classes = m.tensor(np.array([0, 2, 1, 2]))
    return x, p, t, classes


def image(m, *shape):
    return m.tensor(random_array(shape, np.float64, seed=4), requires_grad=True)


CASES = {
    "mse": lambda m, F, x, p, t, c: F.mse_loss(x, t),
    "mse_sum": lambda m, F, x, p, t, c: F.mse_loss(x, t, reduction="sum"),
    "mse_none": lambda m, F, x, p, t, c: F.mse_loss(x, p, reduction="none"),
    "MSELoss": lambda m, F, x, p, t, c: m.nn.MSELoss()(x, t),
    "l1": lambda m, F, x, p, t, c: F.l1_loss(x, t),
    "l1_none": lambda m, F, x, p, t, c: F.l1_loss(x, t, reduction="none"),
    "bce": lambda m, F, x, p, t, c: F.binary_cross_entropy(p, t),
    "BCELoss_weighted": lambda m, F, x, p, t, c: m.nn.BCELoss(weight=m.ones(3))(p, t),
    "bce_logits": lambda m, F, x, p, t, c: F.binary_cross_entropy_with_logits(x, t),
    "bce_logits_pos_weight": lambda m, F, x, p, t, c: F.binary_cross_entropy_with_logits(x, t, pos_weight=m.ones(3)),
    "nll": lambda m, F, x, p, t, c: F.nll_loss(x, c),
    "nll_2d": lambda m, F, x, p, t, c: F.nll_loss(image(m, 2, 3, 4, 4), m.zeros(2, 4, 4, dtype=m.int64)),
    "cross_entropy": lambda m, F, x, p, t, c: F.cross_entropy(x, c),
    "CrossEntropyLoss": lambda m, F, x, p, t, c: m.nn.CrossEntropyLoss()(x, c),
    "cross_entropy_2d": lambda m, F, x, p, t, c: F.cross_entropy(image(m, 2, 3, 4, 4), m.zeros(2, 4, 4, dtype=m.int64)),
    "cross_entropy_probabilities": lambda m, F, x, p, t, c: F.cross_entropy(x, t),
    "cross_entropy_probabilities_sum": lambda m, F, x, p, t, c: F.cross_entropy(x, t, reduction="sum"),
    "cross_entropy_probabilities_none": lambda m, F, x, p, t, c: F.cross_entropy(x, t, reduction="none"),
    "cross_entropy_label_smoothing": lambda m, F, x, p, t, c: F.cross_entropy(x, c, label_smoothing=0.1),
    "smooth_l1": lambda m, F, x, p, t, c: F.smooth_l1_loss(x, t),
    "huber": lambda m, F, x, p, t, c: F.huber_loss(x, t),
    "kl_div_batchmean": lambda m, F, x, p, t, c: F.kl_div(x, p, reduction="batchmean"),
    "kl_div_sum_log_target": lambda m, F, x, p, t, c: F.kl_div(x, p, reduction="sum", log_target=True),
    "max_pool2d": lambda m, F, x, p, t, c: F.max_pool2d(image(m, 1, 1, 4, 4), 2),
    "MaxPool2d_unbatched": lambda m, F, x, p, t, c: m.nn.MaxPool2d(2)(image(m, 1, 4, 4)),
    "max_pool2d_indices": lambda m, F, x, p, t, c: F.max_pool2d(image(m, 1, 1, 4, 4), 2, return_indices=True)[0],
    "max_pool1d": lambda m, F, x, p, t, c: F.max_pool1d(image(m, 1, 1, 4), 2),
    "max_pool3d": lambda m, F, x, p, t, c: F.max_pool3d(image(m, 1, 1, 4, 4, 4), 2),
    "avg_pool1d": lambda m, F, x, p, t, c: F.avg_pool1d(image(m, 1, 1, 4), 2),
    "avg_pool2d": lambda m, F, x, p, t, c: F.avg_pool2d(image(m, 1, 1, 4, 4), 2),
    "avg_pool3d": lambda m, F, x, p, t, c: F.avg_pool3d(image(m, 1, 1, 4, 4, 4), 2),
    "adaptive_avg_pool1d": lambda m, F, x, p, t, c: F.adaptive_avg_pool1d(image(m, 1, 1, 4), 2),
    "adaptive_avg_pool2d": lambda m, F, x, p, t, c: F.adaptive_avg_pool2d(image(m, 1, 1, 4, 4), 2),
    "adaptive_avg_pool2d_to_1": lambda m, F, x, p, t, c: F.adaptive_avg_pool2d(image(m, 1, 1, 4, 4), 1),
    "adaptive_avg_pool3d": lambda m, F, x, p, t, c: F.adaptive_avg_pool3d(image(m, 1, 1, 4, 4, 4), 2),
    "adaptive_max_pool1d": lambda m, F, x, p, t, c: F.adaptive_max_pool1d(image(m, 1, 1, 4), 2),
    "adaptive_max_pool2d": lambda m, F, x, p, t, c: F.adaptive_max_pool2d(image(m, 1, 1, 4, 4), 2),
    "InstanceNorm2d_affine": lambda m, F, x, p, t, c: m.nn.InstanceNorm2d(3, affine=True).double()(image(m, 2, 3, 4, 4)),
    "InstanceNorm1d_unbatched": lambda m, F, x, p, t, c: m.nn.InstanceNorm1d(3)(image(m, 3, 5)),
    "instance_norm_running_stats": lambda m, F, x, p, t, c: F.instance_norm(image(m, 2, 3, 4), m.zeros(3, dtype=m.float64),
                                                                          m.ones(3, dtype=m.float64),
                                                                          use_input_stats=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_names_as_torch(name):
    graphs = []
    for m in (npconv, torch):
        x, p, t, c = tensors(m)
        graphs.append(walk(CASES[name](m, m.nn.functional, x, p, t, c).grad_fn))
    assert graphs[0] == graphs[1]


def test_blitz_walk_of_a_conv_net_loss():
    """The blitz tutorial prints loss.grad_fn, then .next_functions[0][0] twice."""
    names = []
    for m in (npconv, torch):
        m.manual_seed(0)
        net = m.nn.Sequential(m.nn.Conv2d(1, 2, 3), m.nn.ReLU(), m.nn.MaxPool2d(2), m.nn.Flatten(),
                              m.nn.Linear(18, 4))
        loss = m.nn.MSELoss()(net(m.ones(1, 1, 8, 8)), m.zeros(1, 4))
        first = loss.grad_fn
        names.append([first.name(), first.next_functions[0][0].name(),
                      first.next_functions[0][0].next_functions[0][0].name(),
                      type(first.next_functions[0][0].next_functions[0][0]).__name__])
    assert names[0] == names[1]


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
def test_kl_div_values_and_gradients_for_input_and_target(log_target, reduction):
    from tests.torch_compare import assert_matches_torch
    target = random_array((3, 4), np.float64, seed=5, low=0.1 if not log_target else -2.0, high=1.0)
    assert_matches_torch(lambda m, x, y: m.nn.functional.kl_div(x, y, reduction=reduction, log_target=log_target),
                         [random_array((3, 4), np.float64, seed=6), target])


def test_kl_div_mean_warns_as_torch():
    for m in (npconv, torch):
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            m.nn.functional.kl_div(m.zeros(2, 2), m.ones(2, 2))
