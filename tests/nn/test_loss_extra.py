"""The less common losses against torch: values, gradients of every differentiable input, reductions,
node names, module reprs and errors."""
import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array

REDUCTIONS = ["mean", "sum", "none"]


def signs(shape, seed):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


CASES = {
    # name: (call(F, *tensors, reduction), arrays, requires_grad)
    "soft_margin": (lambda F, x, y, r: F.soft_margin_loss(x, y, reduction=r),
                    lambda: [random_array((4, 3)), signs((4, 3), 1)]),
    "multi_margin": (lambda F, x, t, r: F.multi_margin_loss(x, t, reduction=r),
                     lambda: [random_array((5, 4)), np.array([0, 3, 1, 1, 2])]),
    "multi_margin_p2_weighted": (lambda F, x, t, w, r: F.multi_margin_loss(x, t, p=2, margin=0.7, weight=w,
                                                                           reduction=r),
                                 lambda: [random_array((5, 4)), np.array([0, 3, 1, 1, 2]),
                                          random_array((4,), seed=3, low=0.5, high=2)]),
    "multi_margin_1d": (lambda F, x, t, r: F.multi_margin_loss(x, t, reduction=r),
                        lambda: [random_array((4,)), np.array(2)]),
    "multilabel_soft_margin": (lambda F, x, y, r: F.multilabel_soft_margin_loss(x, y, reduction=r),
                               lambda: [random_array((4, 3)), (signs((4, 3), 2) + 1) / 2]),
    "multilabel_soft_margin_weighted": (lambda F, x, y, w, r: F.multilabel_soft_margin_loss(x, y, weight=w,
                                                                                           reduction=r),
                                        lambda: [random_array((4, 3)), (signs((4, 3), 2) + 1) / 2,
                                                 random_array((3,), seed=4)]),
    "hinge_embedding": (lambda F, x, y, r: F.hinge_embedding_loss(x, y, margin=0.5, reduction=r),
                        lambda: [random_array((4, 3), low=-1, high=1.5), signs((4, 3), 3)]),
    "margin_ranking": (lambda F, a, b, y, r: F.margin_ranking_loss(a, b, y, margin=0.1, reduction=r),
                       lambda: [random_array((6,)), random_array((6,), seed=1), signs((6,), 4)]),
    "cosine_embedding": (lambda F, a, b, y, r: F.cosine_embedding_loss(a, b, y, margin=0.1, reduction=r),
                         lambda: [random_array((5, 3)), random_array((5, 3), seed=1), signs((5,), 5)]),
    "poisson_nll": (lambda F, x, y, r: F.poisson_nll_loss(x, y, reduction=r),
                    lambda: [random_array((4, 3)), random_array((4, 3), seed=1, low=0, high=3)]),
    "poisson_nll_full_rate": (lambda F, x, y, r: F.poisson_nll_loss(x, y, log_input=False, full=True, reduction=r),
                              lambda: [random_array((4, 3), low=0.1, high=2), random_array((4, 3), seed=1, low=0,
                                                                                         high=4)]),
    "gaussian_nll": (lambda F, x, y, v, r: F.gaussian_nll_loss(x, y, v, reduction=r),
                     lambda: [random_array((4, 3)), random_array((4, 3), seed=1),
                              random_array((4, 3), seed=2, low=0, high=2)]),
    "gaussian_nll_full_shared_var": (lambda F, x, y, v, r: F.gaussian_nll_loss(x, y, v, full=True, eps=0.3,
                                                                               reduction=r),
                                     lambda: [random_array((4, 3)), random_array((4, 3), seed=1),
                                              random_array((4, 1), seed=2, low=0, high=1)]),
    "triplet_margin": (lambda F, a, p, n, r: F.triplet_margin_loss(a, p, n, reduction=r),
                       lambda: [random_array((5, 3)), random_array((5, 3), seed=1), random_array((5, 3), seed=2)]),
    "triplet_margin_swap_p1": (lambda F, a, p, n, r: F.triplet_margin_loss(a, p, n, p=1, swap=True, margin=2.0,
                                                                           reduction=r),
                               lambda: [random_array((5, 3)), random_array((5, 3), seed=1),
                                        random_array((5, 3), seed=2)]),
}


# torch refuses a gradient for these inputs (tested below with its error)
NOT_DIFFERENTIABLE = {"soft_margin": (1,), "multi_margin_p2_weighted": (2,)}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_matches_torch(name, reduction, dtype):
    call, arrays = CASES[name]
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays()]
    assert_matches_torch(lambda m, *ts: call(m.nn.functional, *ts, reduction), arrays,
                         requires_grad=[i not in NOT_DIFFERENTIABLE.get(name, ()) for i in range(len(arrays))])



@pytest.mark.parametrize("name", ["soft_margin", "multi_margin"])
def test_single_node_losses_name_it_as_torch(name):
    call, arrays = CASES[name]
    names = []
    for m in (npconv, torch):
        tensors = [m.tensor(a, requires_grad=a.dtype.kind == "f" and i == 0) for i, a in enumerate(arrays())]
        names.append(call(m.nn.functional, *tensors, "mean").grad_fn.name())
    assert names[0] == names[1]


@pytest.mark.parametrize("make", [
    lambda m: m.nn.SoftMarginLoss(), lambda m: m.nn.MultiMarginLoss(p=2, margin=0.5),
    lambda m: m.nn.MultiLabelSoftMarginLoss(reduction="sum"), lambda m: m.nn.HingeEmbeddingLoss(2.0),
    lambda m: m.nn.MarginRankingLoss(0.3), lambda m: m.nn.CosineEmbeddingLoss(), lambda m: m.nn.PoissonNLLLoss(),
    lambda m: m.nn.GaussianNLLLoss(full=True), lambda m: m.nn.TripletMarginLoss(swap=True),
])
def test_layers_repr_and_settings_as_torch(make):
    mine, theirs = make(npconv), make(torch)
    assert repr(mine) == repr(theirs)
    assert mine.reduction == theirs.reduction


def test_layers_compute_as_torch():
    x, y = random_array((4, 3)), signs((4, 3), 1)
    assert_matches_torch(lambda m, x, y: m.nn.SoftMarginLoss()(x, y), [x, y], requires_grad=[True, False])
    assert_matches_torch(lambda m, a, b, c: m.nn.TripletMarginLoss(margin=0.5)(a, b, c),
                         [x, random_array((4, 3), seed=1), random_array((4, 3), seed=2)])
    assert_matches_torch(lambda m, a, b, v: m.nn.GaussianNLLLoss()(a, b, v),
                         [x, y, random_array((4, 3), seed=3, low=0.1, high=1)])


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.multi_margin_loss(x, m.tensor([0, 2, 1, 2]), p=3),
    lambda m, x: m.nn.functional.multi_margin_loss(x, m.tensor([0, 3, 1, 2])),
    lambda m, x: m.nn.functional.multi_margin_loss(x, m.tensor([0, 2, 1])),
    lambda m, x: m.nn.functional.gaussian_nll_loss(x, x, -m.ones(4, 3)),
    lambda m, x: m.nn.functional.gaussian_nll_loss(x, x, m.ones(4, 2)),
    lambda m, x: m.nn.functional.gaussian_nll_loss(x, x, m.ones(4, 3), reduction="foo"),
    lambda m, x: m.nn.functional.poisson_nll_loss(x, x, reduction="foo"),
    lambda m, x: m.nn.functional.soft_margin_loss(x, m.ones(4, 2)),
    lambda m, x: m.nn.TripletMarginLoss(margin=0),
    lambda m, x: m.nn.MultiMarginLoss(weight=m.ones(2, 2)),
])
def test_errors_as_torch(call):
    assert_same_error(call, [random_array((4, 3), np.float32)], same_message=True)


@pytest.mark.parametrize("call", [
    lambda m, x, y: m.nn.functional.soft_margin_loss(x, y),
    lambda m, x, y: m.nn.functional.multi_margin_loss(x, m.tensor([0, 2, 1, 2]), weight=y[0]),
])
def test_gradient_refused_where_torch_refuses(call):
    assert_same_error(call, [random_array((4, 3)), random_array((4, 3))], requires_grad=True, same_message=True)


MULTILABEL_TARGETS = np.array([[0, 1, -1, 2], [3, -1, 0, 0], [1, 0, 2, 3], [-1, 1, 2, 0], [2, 2, -1, 1]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    x = random_array((5, 4), dtype, low=-1.5, high=1.5)
    assert_matches_torch(lambda m, x, t: m.nn.functional.multilabel_margin_loss(x, t, reduction=reduction),
                         [x, MULTILABEL_TARGETS])
    assert_matches_torch(lambda m, x, t: m.nn.MultiLabelMarginLoss(reduction=reduction)(x, t),
                         [x[0], MULTILABEL_TARGETS[0]])
    names = [m.nn.functional.multilabel_margin_loss(m.tensor(x, requires_grad=True),
                                                    m.tensor(MULTILABEL_TARGETS)).grad_fn.name() for m in (npconv, torch)]
    assert names[0] == names[1]


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_with_distance_loss_matches_torch(swap, reduction):
    arrays = [random_array((5, 3), seed=i) for i in range(3)]
    assert_matches_torch(lambda m, a, p, n: m.nn.TripletMarginWithDistanceLoss(swap=swap, margin=1.5,
                                                                              reduction=reduction)(a, p, n), arrays)
    assert_matches_torch(lambda m, a, p, n: m.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1.0 - m.nn.functional.cosine_similarity(x, y), swap=swap,
        reduction=reduction), arrays)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.TripletMarginWithDistanceLoss(), lambda m: m.nn.MultiLabelMarginLoss(),
    lambda m: m.nn.TripletMarginWithDistanceLoss(distance_function=m.nn.PairwiseDistance(p=1), swap=True),
])
def test_more_layer_reprs_as_torch(make):
    assert repr(make(npconv)) == repr(make(torch))


def test_nll_loss_2d_is_nll_loss_with_torch_deprecation():
    for m in (npconv, torch):
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated. Please use `NLLLoss`"):
            layer = m.nn.NLLLoss2d(ignore_index=1)
        assert isinstance(layer, m.nn.NLLLoss) and repr(layer) == "NLLLoss2d()" and layer.ignore_index == 1


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.multilabel_margin_loss(x, m.tensor([[0, 5, -1], [2, -1, 0], [1, 0, 2], [-1, 1, 2]])),
    lambda m, x: m.nn.functional.multilabel_margin_loss(x, m.zeros(4, 2, dtype=m.int64)),
    lambda m, x: m.nn.functional.triplet_margin_with_distance_loss(x, x, x, margin=0),
    lambda m, x: m.nn.functional.triplet_margin_with_distance_loss(x, x, x[0]),
    lambda m, x: m.nn.TripletMarginWithDistanceLoss(margin=-1.0),
])
def test_more_errors_as_torch(call):
    assert_same_error(call, [random_array((4, 3), np.float32)], same_message=True)


NON_FINITE_SCORES = np.array([[np.nan, 0.5, -1.0], [np.inf, 0.0, 2.0], [-np.inf, 1e308, -0.2], [0.3, 0.1, 0.9]])


@pytest.mark.parametrize("call,target", [
    (lambda F, x, y: F.soft_margin_loss(x, y, reduction="none"), np.array([[1.0, -1, 1], [-1, 1, 1], [1, 1, -1],
                                                                          [-1, -1, 1]])),
    (lambda F, x, t: F.multi_margin_loss(x, t, reduction="none"), np.array([0, 2, 1, 2])),
    (lambda F, x, t: F.multi_margin_loss(x, t, p=2, reduction="sum"), np.array([0, 2, 1, 2])),
    (lambda F, x, t: F.multilabel_margin_loss(x, t, reduction="none"), np.array([[0, -1, 1], [2, 1, -1], [1, 0, 2],
                                                                                [-1, 0, 0]])),
])
def test_single_node_losses_at_non_finite_scores_as_torch(call, target):
    """A NaN margin is not counted (as torch's kernels skip it), infinities saturate, +0 stays +0, and NumPy
    says nothing."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches_torch(lambda m, x, t: call(m.nn.functional, x, t), [NON_FINITE_SCORES, target],
                             requires_grad=[True, False])
    signs = []  # a negative zero prints as -0. in both libraries: it must sit where torch's does
    for m in (npconv, torch):
        x = m.tensor(NON_FINITE_SCORES, requires_grad=True)
        call(m.nn.functional, x, m.tensor(target)).sum().backward()
        signs.append(np.signbit(x.grad.numpy()).tolist())
    assert signs[0] == signs[1]
