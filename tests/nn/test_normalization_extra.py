"""LocalResponseNorm, RMSNorm, ChannelShuffle, CosineSimilarity, PairwiseDistance against torch: values,
gradients, reprs, errors."""
import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import assert_matches_torch, assert_module_matches_torch, assert_same_error, random_array


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 3), (1, 4, 2, 2, 2)])
@pytest.mark.parametrize("size,alpha,beta,k", [(5, 1e-4, 0.75, 1.0), (2, 1e-2, 0.5, 2.0), (3, 0.5, 1.5, 1.0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_local_response_norm_matches_torch(shape, size, alpha, beta, k, dtype):
    def factory(m):
        return m.nn.LocalResponseNorm(size, alpha, beta, k)
    assert repr(factory(npconv)) == repr(factory(torch))
    assert_module_matches_torch(factory, [random_array(shape, dtype, low=-3, high=3)])


@pytest.mark.parametrize("normalized_shape,shape", [(4, (3, 4)), ((2, 3), (2, 2, 3)), ([5], (5,))])
@pytest.mark.parametrize("eps,affine", [(None, True), (1e-5, False), (0.1, True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rms_norm_matches_torch(normalized_shape, shape, eps, affine, dtype):
    def factory(m):
        layer = m.nn.RMSNorm(normalized_shape, eps=eps, elementwise_affine=affine)
        return layer.double() if dtype == np.float64 else layer
    assert repr(factory(npconv)) == repr(factory(torch))
    mine, theirs, _, _ = assert_module_matches_torch(factory, [random_array(shape, dtype)])
    assert [k for k in mine.state_dict()] == [k for k in theirs.state_dict()]


def test_rms_norm_functional_with_weight_gradient():
    assert_matches_torch(lambda m, x, w: m.nn.functional.rms_norm(x, (3,), w), [random_array((2, 3)),
                                                                                 random_array((3,), seed=1)])


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((1, 6, 2, 2), 3), ((2, 4, 1, 1, 2, 1), 4)])
def test_channel_shuffle_matches_torch(shape, groups):
    assert repr(npconv.nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))
    _, _, mine, theirs = assert_module_matches_torch(lambda m: m.nn.ChannelShuffle(groups), [random_array(shape)])
    assert mine.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("shapes,dim", [(((3, 4), (3, 4)), 1), (((2, 3, 4), (1, 3, 4)), 1), (((5,), (5,)), 0),
                                        (((2, 3), (2, 3)), -1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cosine_similarity_matches_torch(shapes, dim, dtype):
    arrays = [random_array(s, dtype, seed=i) for i, s in enumerate(shapes)]
    assert_matches_torch(lambda m, a, b: m.nn.CosineSimilarity(dim)(a, b), arrays)


def test_cosine_similarity_of_a_zero_vector_is_zero_with_zero_gradient():
    assert_matches_torch(lambda m, a, b: m.nn.functional.cosine_similarity(a, b), [random_array((2, 3)),
                                                                                   np.zeros((2, 3))])


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((4,), (4,)), ((2, 3), (1, 3))])
@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (3.0, False)])
def test_pairwise_distance_matches_torch(shapes, p, keepdim):
    arrays = [random_array(s, seed=i) for i, s in enumerate(shapes)]
    assert_matches_torch(lambda m, a, b: m.nn.PairwiseDistance(p, keepdim=keepdim)(a, b), arrays)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.local_response_norm(m.ones(2, 3), 2),
    lambda m: m.nn.functional.channel_shuffle(m.ones(2, 4, 3), 0),
    lambda m: m.nn.functional.channel_shuffle(m.ones(4, 3), 2),
    lambda m: m.nn.functional.channel_shuffle(m.ones(2, 4, 3), 3),
    lambda m: m.nn.RMSNorm(3)(m.ones(2, 4)),
    lambda m: m.nn.functional.rms_norm(m.ones(2, 3), [3], m.ones(2)),
    lambda m: m.nn.functional.cosine_similarity(m.ones(2, 3), m.ones(4, 3)),
])
def test_errors_as_torch(call):
    assert_same_error(call, same_message=True)


def test_reprs_as_torch():
    for make in (lambda m: m.nn.CosineSimilarity(), lambda m: m.nn.PairwiseDistance(), lambda m: m.nn.RMSNorm(4),
                 lambda m: m.nn.LocalResponseNorm(2, 1e-3, 0.5, 2)):
        assert repr(make(npconv)) == repr(make(torch))


# (no empty input: torch's pdist backward crashes the interpreter on 0 rows)
@pytest.mark.parametrize("shape", [(5, 3), (2, 4), (1, 3)])
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, float("inf")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pdist_matches_torch(shape, p, dtype):
    x = random_array(shape, dtype)
    if shape[0] > 2:
        x[2] = x[0]  # a zero distance: torch's gradient there is 0
    assert_matches_torch(lambda m, x: m.nn.functional.pdist(x, p), [x])


def test_pdist_node_and_errors_as_torch():
    names = [m.nn.functional.pdist(m.tensor(random_array((3, 2)), requires_grad=True)).grad_fn.name()
             for m in (npconv, torch)]
    assert names[0] == names[1]
    assert_same_error(lambda m: m.nn.functional.pdist(m.ones(2, 3, 4)), same_message=True)
    assert_same_error(lambda m: m.nn.functional.pdist(m.ones(2, 3), p=-1), same_message=True)
