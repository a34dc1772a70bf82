"""Losses (npconv/nn/functional/loss.py, npconv/nn/modules/loss.py) against torch: values, gradients with
respect to input (and target / weights where torch has them), every reduction, errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.strategies import loss_classification_cases, loss_regression_pairs
from tests.torch_compare import ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _weights(weight, lib):
    return None if weight is None else lib.tensor(weight)


@given(case=loss_classification_cases(), reduction=REDUCTIONS, smoothing=st.sampled_from([0.0, 0.1, 0.5]))
def test_cross_entropy_with_class_indices_matches_torch(case, reduction, smoothing):
    logits, target, ignore_index, weight, _ = case
    assert_matches_torch((lambda x, t: F.cross_entropy(x, t, _weights(weight, npconv), ignore_index=ignore_index,
                                                       reduction=reduction, label_smoothing=smoothing),
                          lambda x, t: TF.cross_entropy(x, t, _weights(weight, torch), ignore_index=ignore_index,
                                                        reduction=reduction, label_smoothing=smoothing)),
                         [logits, target], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(case=loss_classification_cases(), reduction=REDUCTIONS, smoothing=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_with_probabilities_matches_torch(case, reduction, smoothing):
    logits, _, _, weight, rng = case
    probabilities = rng.dirichlet(np.ones(logits.shape[1 if logits.ndim > 1 else 0]),
                                  size=logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else None)
    probabilities = np.moveaxis(probabilities, -1, 1 if logits.ndim > 1 else 0).astype(logits.dtype)
    assert_matches_torch((lambda x, p: F.cross_entropy(x, p, _weights(weight, npconv), reduction=reduction,
                                                       label_smoothing=smoothing),
                          lambda x, p: TF.cross_entropy(x, p, _weights(weight, torch), reduction=reduction,
                                                        label_smoothing=smoothing)),
                         [logits, probabilities], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(case=loss_classification_cases(), reduction=REDUCTIONS)
def test_nll_loss_matches_torch(case, reduction):
    logits, target, ignore_index, weight, _ = case
    assert_matches_torch((lambda x, t: F.nll_loss(x, t, _weights(weight, npconv), ignore_index=ignore_index,
                                                  reduction=reduction),
                          lambda x, t: TF.nll_loss(x, t, _weights(weight, torch), ignore_index=ignore_index,
                                                   reduction=reduction)),
                         [logits, target], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@given(case=loss_regression_pairs(), reduction=REDUCTIONS)
def test_regression_losses_match_torch(name, case, reduction):
    x, y, _ = case
    if y.size:
        y.flat[0] = x.flat[0]  # a zero difference: the kink of |x - y|
    assert_matches_torch((lambda a, b: getattr(F, name)(a, b, reduction=reduction),
                          lambda a, b: getattr(TF, name)(a, b, reduction=reduction)),
                         [x, y], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(case=loss_regression_pairs(), reduction=REDUCTIONS, weighted=st.booleans())
def test_binary_cross_entropy_matches_torch(case, reduction, weighted):
    x, y, rng = case
    probabilities = np.asarray(1 / (1 + np.exp(-x)))
    targets = np.asarray(1 / (1 + np.exp(-y))).astype(x.dtype)
    weight = rng.uniform(0.5, 2, x.shape[-1:]).astype(x.dtype) if weighted and x.ndim else None
    assert_matches_torch((lambda p, t: F.binary_cross_entropy(p, t, _weights(weight, npconv), reduction=reduction),
                          lambda p, t: TF.binary_cross_entropy(p, t, _weights(weight, torch), reduction=reduction)),
                         [probabilities.astype(x.dtype), targets], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(case=loss_regression_pairs(), reduction=REDUCTIONS, weighted=st.booleans(), positive=st.booleans())
def test_binary_cross_entropy_with_logits_matches_torch(case, reduction, weighted, positive):
    x, y, rng = case
    targets = np.asarray((y > 0) if positive else 1 / (1 + np.exp(-y))).astype(x.dtype)
    last = x.shape[-1:] if x.ndim else ()
    weight = rng.uniform(0.5, 2, last).astype(x.dtype) if weighted else None
    pos_weight = rng.uniform(0.5, 3, last).astype(x.dtype) if positive else None
    assert_matches_torch((lambda a, t: F.binary_cross_entropy_with_logits(a, t, _weights(weight, npconv),
                                                                          reduction=reduction,
                                                                          pos_weight=_weights(pos_weight, npconv)),
                          lambda a, t: TF.binary_cross_entropy_with_logits(a, t, _weights(weight, torch),
                                                                           reduction=reduction,
                                                                           pos_weight=_weights(pos_weight, torch))),
                         [np.asarray(x * 10), targets], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_losses_are_stable_at_the_extremes():
    x = np.array([0.0, 1.0, 1e-30, 1 - 1e-7], dtype=np.float32)
    t = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    assert_matches_torch((lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
                          lambda a, b: TF.binary_cross_entropy(a, b, reduction="none")),
                         [x, t], check_grad=False, atol=ABSOLUTE_TOLERANCE)
    logits = np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32)
    assert_matches_torch((lambda a, b: F.cross_entropy(a, b), lambda a, b: TF.cross_entropy(a, b)),
                         [logits, np.array([1])], atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((lambda a, b: F.binary_cross_entropy_with_logits(a, b),
                          lambda a, b: TF.binary_cross_entropy_with_logits(a, b)),
                         [logits, np.array([[0.0, 1.0, 0.5]], dtype=np.float32)], atol=ABSOLUTE_TOLERANCE)


def test_cross_entropy_worked_example():
    logits = npconv.tensor([[2.0, 0.0, 0.0]])
    loss = F.cross_entropy(logits, npconv.tensor([0]))
    assert abs(loss.item() - (-2.0 + np.log(np.exp(2) + 2))) < 1e-6


@pytest.mark.parametrize("call", [
    lambda F, lib: F.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 5])),            # target out of range
    lambda F, lib: F.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0])),               # batch mismatch
    lambda F, lib: F.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 4], dtype=lib.int32)),
    lambda F, lib: F.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 4]), label_smoothing=1.5),
    lambda F, lib: F.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 4]), reduction="avg"),
    lambda F, lib: F.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 4]), weight=lib.ones(4)),
    lambda F, lib: F.cross_entropy(lib.zeros(2, 5, 3), lib.zeros(2, 4, dtype=lib.int64)),
    lambda F, lib: F.nll_loss(lib.tensor(1.0), lib.tensor(0)),
    lambda F, lib: F.mse_loss(lib.zeros(3), lib.zeros(2)),
    lambda F, lib: F.binary_cross_entropy(lib.tensor([0.5, 1.5]), lib.tensor([0.0, 1.0])),
    lambda F, lib: F.binary_cross_entropy(lib.tensor([0.5, 0.5]), lib.tensor([0.0, 1.0, 1.0])),
    lambda F, lib: F.binary_cross_entropy_with_logits(lib.tensor([0.5, 0.5]), lib.tensor([0.0, 1.0, 1.0])),
    lambda F, lib: F.binary_cross_entropy(lib.tensor([0.5, 0.5]), lib.tensor([0.0, 1.0], dtype=lib.float64)),
    lambda F, lib: F.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1.0]), weight=lib.ones(1, requires_grad=True)),
    lambda F, lib: F.binary_cross_entropy_with_logits(lib.tensor([0.5]), lib.tensor([1.0]),
                                                      pos_weight=lib.ones(1, requires_grad=True)),
    lambda F, lib: F.binary_cross_entropy_with_logits(lib.tensor([0.5]), lib.tensor([1.0]),
                                                      weight=lib.ones(1, requires_grad=True)),
    lambda F, lib: F.nll_loss(lib.zeros(2, 3), lib.tensor([0, 1]), weight=lib.ones(3, requires_grad=True)),
    lambda F, lib: F.mse_loss(lib.zeros(2, 3), lib.zeros(2, 3), weight=lib.ones(3)),
    lambda F, lib: F.l1_loss(lib.zeros(2, 3), lib.zeros(2, 3), weight=lib.ones(2, 1)),
    lambda F, lib: F.huber_loss(lib.zeros(2, 3), lib.zeros(2, 3), weight=lib.ones(3)),
    lambda F, lib: F.mse_loss(lib.zeros(2, 3), lib.zeros(2, 3), weight=lib.ones(2, 3), reduction="avg"),
    lambda F, lib: F.huber_loss(lib.zeros(2, 3), lib.zeros(2, 3), delta=0.0),
    lambda F, lib: F.smooth_l1_loss(lib.zeros(2, 3), lib.zeros(2, 3), beta=-1.0),
])
def test_invalid_arguments_raise_like_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda m: call(m.nn.functional, m), same_message=True)


def test_broadcasting_target_warns_like_torch():
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(npconv.zeros(3), npconv.zeros(2, 3))


@pytest.mark.parametrize("build", [
    lambda nn, lib: nn.CrossEntropyLoss(), lambda nn, lib: nn.CrossEntropyLoss(weight=lib.ones(3), label_smoothing=0.1),
    lambda nn, lib: nn.NLLLoss(ignore_index=2), lambda nn, lib: nn.MSELoss(reduction="sum"),
    lambda nn, lib: nn.L1Loss(reduction="none"), lambda nn, lib: nn.BCELoss(weight=lib.ones(2)),
    lambda nn, lib: nn.BCEWithLogitsLoss(pos_weight=lib.ones(2)), lambda nn, lib: nn.SmoothL1Loss(beta=0.5),
    lambda nn, lib: nn.HuberLoss(delta=2.0),
])
def test_modules_match_torch_in_repr_and_state_dict(build):
    ours, theirs = build(npconv.nn, npconv), build(torch.nn, torch)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_loss_modules_compute_as_functions():
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    assert_matches_torch((npconv.nn.CrossEntropyLoss(label_smoothing=0.2),
                          torch.nn.CrossEntropyLoss(label_smoothing=0.2)), [logits, target], atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((npconv.nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum")),
                         [logits, target], atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((npconv.nn.MSELoss(), torch.nn.MSELoss()), [logits, logits * 0.5], atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((npconv.nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()),
                         [logits, (logits > 0).astype(float)], atol=ABSOLUTE_TOLERANCE)


def test_legacy_size_average_maps_to_reduction():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        module = npconv.nn.MSELoss(size_average=False)
    assert module.reduction == "sum"


# ----------------------------------------------------------------------------------------------
# One graph node per loss, named as torch names it (the blitz tutorial walks loss.grad_fn.next_functions)

NAMED_LOSSES = {
    "mse_loss": lambda F, x, y, r: F.mse_loss(x, y, reduction=r),
    "l1_loss": lambda F, x, y, r: F.l1_loss(x, y, reduction=r),
    "smooth_l1_loss": lambda F, x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.5),
    "smooth_l1_loss_beta_0": lambda F, x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
    "huber_loss": lambda F, x, y, r: F.huber_loss(x, y, reduction=r, delta=0.7),
    "binary_cross_entropy": lambda F, x, y, r: F.binary_cross_entropy(x.sigmoid(), y, reduction=r),
    "binary_cross_entropy_weighted": lambda F, x, y, r: F.binary_cross_entropy(x.sigmoid(), y, y[0] + 1,
                                                                                reduction=r),
    "binary_cross_entropy_with_logits": lambda F, x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
    "cross_entropy": lambda F, x, y, r: F.cross_entropy(x, (y[:, 0] * 3).long(), reduction=r),
    "nll_loss": lambda F, x, y, r: F.nll_loss(x, (y[:, 0] * 3).long(), reduction=r),
}


def _node_name(node):
    """What a print of the node shows: '<ExpandBackward0', '<AccumulateGrad' (None for no node)."""
    return None if node is None else repr(node).split(" object at ")[0]


def _node_names(node, depth):
    """The first ``depth`` nodes along next_functions[0][0], as the blitz tutorial prints them."""
    names = []
    while node is not None and len(names) < depth:
        names.append(node.name())
        node = node.next_functions[0][0] if getattr(node, "next_functions", ()) else None
    return names


@pytest.mark.parametrize("name", sorted(NAMED_LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_graph_nodes_are_named_as_torch(name, reduction):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (4, 3)), rng.uniform(0, 0.99, (4, 3))
    results = []
    for lib in (npconv, torch):
        hidden = lib.tensor(x, requires_grad=True) * 2  # a node before the loss, as a network output
        results.append(NAMED_LOSSES[name](lib.nn.functional, hidden, lib.tensor(y), reduction))
    ours, theirs = results
    assert _node_names(ours.grad_fn, 3) == _node_names(theirs.grad_fn, 3)
    assert repr(ours).split("grad_fn=")[1] == repr(theirs).split("grad_fn=")[1]


def test_blitz_tutorial_grad_fn_walk_prints_torch_nodes():
    outputs = []
    for lib in (npconv, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.ReLU(), lib.nn.Linear(4, 3))
        loss = lib.nn.MSELoss()(net(lib.randn(1, 5)), lib.randn(3).view(1, -1))
        node = loss.grad_fn
        printed = [node, node.next_functions[0][0], node.next_functions[0][0].next_functions[0][0]]
        outputs.append([repr(p).split(" object at ")[0] for p in printed])
    assert outputs[0] == outputs[1] == ["<MseLossBackward0", "<AddmmBackward0", "<AccumulateGrad"]


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@given(case=loss_regression_pairs(), reduction=REDUCTIONS)
def test_weighted_regression_losses_match_torch(name, case, reduction):
    x, y, rng = case
    weight = rng.uniform(0, 2, x.shape).astype(x.dtype)
    assert_matches_torch(lambda m, a, b, w: getattr(m.nn.functional, name)(a, b, reduction=reduction, weight=w),
                         [x, y, weight], atol=ABSOLUTE_TOLERANCE)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@given(case=loss_regression_pairs(), reduction=REDUCTIONS, target_first=st.booleans())
def test_broadcast_regression_losses_match_torch(name, case, reduction, target_first):
    """A target of fewer dims is expanded to the input's shape (and the other way round), as torch."""
    x, y, _ = case
    y = y.reshape(-1)[:1].reshape(()) if y.ndim == 0 else y[(0,) * (y.ndim - 1)]
    arrays = [y, x] if target_first else [x, y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = assert_matches_torch(lambda m, a, b: getattr(m.nn.functional, name)(a, b, reduction=reduction),
                                      arrays, atol=ABSOLUTE_TOLERANCE)
    ours, theirs = result
    if name == "l1_loss":
        return  # torch's l1 is mean(abs(x - y)): no loss node of its own
    assert [_node_name(n) for n, _ in ours.grad_fn.next_functions[:2]] == \
        [_node_name(n) for n, _ in theirs.grad_fn.next_functions[:2]]


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("target_dtype", [np.float64, np.int64])
def test_losses_promote_mixed_dtypes_as_torch(name, target_dtype):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
    y = rng.integers(0, 2, (3, 4)).astype(target_dtype)
    for first, second in ((x, y), (x.astype(np.float64), y.astype(np.float32))):
        # torch's huber backward itself fails on a target of another dtype ("Found dtype Double but
        # expected Float"): its forward values are compared, npconv's gradients exist
        assert_matches_torch(lambda m, a, b: getattr(m.nn.functional, name)(a, b), [first, second],
                             atol=ABSOLUTE_TOLERANCE, expect_errors=True, check_grad=name != "huber_loss")


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_mean_of_an_empty_loss_is_nan_as_torch(name):
    assert_matches_torch(lambda m, a, b: getattr(m.nn.functional, name)(a, b), [np.zeros((0, 3)), np.zeros((0, 3))])


def test_mse_loss_worked_example():
    loss = F.mse_loss(npconv.tensor([1.0, 2.0, 4.0], requires_grad=True), npconv.tensor([1.0, 0.0, 1.0]))
    assert loss.item() == pytest.approx((0 + 4 + 9) / 3)
    loss.backward()
    assert loss.grad_fn.name() == "MseLossBackward0"


@pytest.mark.parametrize("x,y", [([0.5, 0.5], [2.0, 0.5]), ([0.5, 0.5], [-1.0, 0.5]), ([0.5, 0.5], [np.nan, 0.5]),
                                 ([0.5, 0.5], [np.inf, 0.5]), ([np.nan, 0.5], [0.5, 0.5]), ([2.0, 0.5], [2.0, 0.5]),
                                 ([1.5, 0.5], [0.5, -3.0])])
def test_binary_cross_entropy_refuses_values_outside_zero_one(x, y):
    """Input checked before target; nan and inf are outside [0, 1]."""
    assert_same_error(lambda m, a, b: m.nn.functional.binary_cross_entropy(a, b), [np.array(x), np.array(y)],
                      same_message=True)
    assert_same_error(lambda m, a, b: m.nn.BCELoss(reduction="none")(a, b), [np.array(x), np.array(y)],
                      same_message=True)


def test_binary_cross_entropy_weight_shape_checked_before_values():
    assert_same_error(lambda m, a, b, w: m.nn.functional.binary_cross_entropy(a, b, weight=w),
                      [np.array([0.5, 1.5, 0.2]), np.full(3, 0.5), np.ones(2)], same_message=True)
