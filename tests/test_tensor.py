"""Tensor ops against torch: forward values, gradients, dtypes, errors and printing (npconv/_tensor.py,
npconv/_ops/, npconv/_tensor_str.py)."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import npconv
from tests.strategies import matmul_shapes, reduction_case
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array

dtypes = st.sampled_from([np.float64, np.float32])
seeds = st.integers(0, 2**16)
shapes = array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


def arrays_for(shape_list, dtype, seed, low=-2.0, high=2.0):
    return [random_array(s, dtype, seed + i, low, high) for i, s in enumerate(shape_list)]


# ------------------------------------------------------------------------------------------ binary ops

BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "add_alpha": lambda m, a, b: m.add(a, b, alpha=0.5),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "pow": lambda m, a, b: a.abs() ** b,
    "where": lambda m, a, b: m.where(a > 0, a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4), dtype=dtypes, seed=seeds)
def test_binary_ops_broadcast_like_torch(name, shapes, dtype, seed):
    a, b = arrays_for(shapes.input_shapes, dtype, seed, 0.5, 2.0)
    b = b * np.where(random_array(b.shape, np.float64, seed + 7) > 0, 1, -1).astype(dtype)  # both signs
    assert_matches_torch(BINARY[name], [a, b])


NUMBER_OPS = {
    "radd": lambda m, a: 2 + a, "rsub": lambda m, a: 1.5 - a, "rmul": lambda m, a: 3 * a,
    "rdiv": lambda m, a: 2 / a, "rpow": lambda m, a: 2 ** a, "pow_number": lambda m, a: a ** 3,
    "pow_half": lambda m, a: a.abs() ** 0.5, "sub_number": lambda m, a: a - 1, "div_number": lambda m, a: a / 3,
    "neg": lambda m, a: -a, "iadd": lambda m, a: _iadd(a), "square": lambda m, a: m.square(a),
}


def _iadd(a):
    b = a * 1
    b += 2
    b *= a
    return b


@pytest.mark.parametrize("name", sorted(NUMBER_OPS))
@given(shape=shapes, dtype=dtypes, seed=seeds)
def test_ops_with_numbers_like_torch(name, shape, dtype, seed):
    (a,) = arrays_for([shape], dtype, seed, 0.5, 2.0)
    assert_matches_torch(NUMBER_OPS[name], [a])


def test_pow_gradient_at_zero_base_matches_torch():
    a = np.array([0.0, 0.0, 1.0, 2.0])
    b = np.array([0.0, 2.0, 0.0, -1.0])
    assert_matches_torch(lambda m, x, y: x ** y, [a, b])
    assert_matches_torch(lambda m, x: x ** 0, [a])


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_comparisons_give_bool_tensors(shapes, seed):
    a, b = [np.round(x) for x in arrays_for(shapes.input_shapes, np.float64, seed)]
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        assert_matches_torch(lambda m, x, y: getattr(x, op)(y), [a, b], check_grad=False)


# ------------------------------------------------------------------------------------------ type promotion

PROMOTION_OPERANDS = {
    "f32": lambda m: m.ones(2, dtype=m.float32), "f64": lambda m: m.ones(2, dtype=m.float64),
    "i64": lambda m: m.ones(2, dtype=m.int64), "i32": lambda m: m.ones(2, dtype=m.int32),
    "bool": lambda m: m.ones(2, dtype=m.bool), "u8": lambda m: m.ones(2, dtype=m.uint8),
    "f64_0d": lambda m: m.tensor(1.0, dtype=m.float64), "i64_0d": lambda m: m.tensor(1),
    "int": lambda m: 3, "float": lambda m: 2.5, "true": lambda m: True,
}


@pytest.mark.parametrize("left", sorted(PROMOTION_OPERANDS))
@pytest.mark.parametrize("right", ["f32", "f64", "i64", "i32", "bool", "u8", "f64_0d", "int", "float"])
def test_type_promotion_matches_torch(left, right):
    if left in ("int", "float", "true") and right in ("int", "float"):
        return  # two numbers: no tensor involved
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x / y):
        expected = op(PROMOTION_OPERANDS[left](torch), PROMOTION_OPERANDS[right](torch))
        got = op(PROMOTION_OPERANDS[left](npconv), PROMOTION_OPERANDS[right](npconv))
        assert repr(got.dtype) == repr(expected.dtype)


# ------------------------------------------------------------------------------------------ unary ops

UNARY = {
    "exp": (lambda m, a: a.exp(), -2, 2), "log": (lambda m, a: m.log(a), 0.1, 3),
    "sqrt": (lambda m, a: a.sqrt(), 0.1, 3), "abs": (lambda m, a: a.abs(), -2, 2),
    "tanh": (lambda m, a: m.tanh(a), -3, 3), "sigmoid": (lambda m, a: a.sigmoid(), -5, 5),
    "sin": (lambda m, a: m.sin(a), -3, 3), "cos": (lambda m, a: a.cos(), -3, 3),
    "relu": (lambda m, a: a.relu(), -2, 2), "clamp": (lambda m, a: a.clamp(-0.5, 0.7), -2, 2),
    "clamp_min": (lambda m, a: m.clamp(a, min=0.1), -2, 2), "clamp_max": (lambda m, a: a.clamp(max=0.1), -2, 2),
    "rsqrt": (lambda m, a: a.rsqrt(), 0.2, 2), "reciprocal": (lambda m, a: a.reciprocal(), 0.2, 2),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes, dtype=dtypes, seed=seeds)
def test_unary_ops_like_torch(name, shape, dtype, seed):
    fn, low, high = UNARY[name]
    (a,) = arrays_for([shape], dtype, seed, low, high)
    assert_matches_torch(fn, [a])


@pytest.mark.parametrize("name", ["exp", "sqrt", "tanh", "sigmoid", "abs"])
def test_unary_ops_on_integers_like_torch(name):
    fn = UNARY[name][0]
    assert_matches_torch(fn, [np.arange(1, 5)], check_grad=False)


# ------------------------------------------------------------------------------------------ reductions


@given(case=reduction_case(), dtype=dtypes, seed=seeds)
def test_sum_and_mean_like_torch(case, dtype, seed):
    shape, dims, keepdim = case
    (a,) = arrays_for([shape], dtype, seed)
    if dims is None:
        assert_matches_torch(lambda m, x: (x.sum(), x.mean()), [a])
    else:
        assert_matches_torch(lambda m, x: (x.sum(dims, keepdim), x.mean(dim=dims, keepdim=keepdim)), [a])


@given(case=reduction_case(), dtype=dtypes, seed=seeds, correction=st.sampled_from([None, 0, 1, 2]),
       unbiased=st.sampled_from([None, True, False]))
def test_var_and_std_like_torch(case, dtype, seed, correction, unbiased):
    shape, dims, keepdim = case
    (a,) = arrays_for([shape], dtype, seed)
    if correction is not None:
        kwargs = {"correction": correction}
    elif unbiased is not None:
        kwargs = {"unbiased": unbiased}
    else:
        kwargs = {}
    assert_matches_torch(lambda m, x: (x.var(dims, keepdim=keepdim, **kwargs), x.std(dims, keepdim=keepdim, **kwargs)),
                         [a], rtol=1e-6 if dtype == np.float64 else 1e-3)


@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), dtype=dtypes, seed=seeds,
       keepdim=st.booleans(), data=st.data())
def test_max_min_argmax_like_torch(shape, dtype, seed, keepdim, data):
    (a,) = arrays_for([shape], dtype, seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert_matches_torch(lambda m, x: (x.max(), x.min(), x.argmax(), x.argmin()), [a])
    assert_matches_torch(lambda m, x: (x.max(dim, keepdim), m.min(x, dim=dim, keepdim=keepdim)), [a])
    assert_matches_torch(lambda m, x: (x.argmax(dim, keepdim), x.argmin(dim=dim), x.amax(dim)), [a])


def test_max_shares_gradient_among_ties_like_torch():
    assert_matches_torch(lambda m, x: x.max(), [np.array([1.0, 3.0, 3.0, 2.0])])
    assert_matches_torch(lambda m, x: x.max(0), [np.array([[1.0, 3.0], [1.0, 2.0]])])


def test_sum_of_integers_and_bools_is_int64():
    assert_matches_torch(lambda m, x: (x.sum(), (x > 2).sum(), x.sum(0)), [np.arange(6).reshape(2, 3)])


def test_max_namedtuple_repr_matches_torch():
    assert repr(npconv.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)) == repr(torch.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1))


# ------------------------------------------------------------------------------------------ matmul


@given(shapes=matmul_shapes(), dtype=dtypes, seed=seeds)
def test_matmul_like_torch(shapes, dtype, seed):
    a, b = arrays_for(shapes, dtype, seed)
    assert_matches_torch(lambda m, x, y: x @ y, [a, b])


def test_mm_bmm_dot_like_torch():
    assert_matches_torch(lambda m, x, y: m.mm(x, y), [random_array((2, 3)), random_array((3, 4), seed=1)])
    assert_matches_torch(lambda m, x, y: m.bmm(x, y), [random_array((2, 2, 3)), random_array((2, 3, 4), seed=1)])
    assert_matches_torch(lambda m, x, y: m.dot(x, y), [random_array((3,)), random_array((3,), seed=1)])


# ------------------------------------------------------------------------------------------ shape ops

@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), seed=seeds, data=st.data())
def test_view_reshape_flatten_like_torch(shape, seed, data):
    (a,) = arrays_for([shape], np.float64, seed)
    n = a.size
    target = data.draw(st.sampled_from([(n,), (-1,), (1, n), (n, -1), (-1, 1)]))
    assert_matches_torch(lambda m, x: (x.view(*target), x.reshape(target), x.flatten()), [a])
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    assert_matches_torch(lambda m, x: m.flatten(x, start, end), [a])


@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3), seed=seeds, data=st.data())
def test_permute_transpose_unsqueeze_squeeze_like_torch(shape, seed, data):
    (a,) = arrays_for([shape], np.float64, seed)
    nd = len(shape)
    perm = data.draw(st.permutations(range(nd)))
    d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    u = data.draw(st.integers(-nd - 1, nd))
    s = data.draw(st.integers(-nd, nd - 1))
    assert_matches_torch(lambda m, x: (x.permute(*perm), x.transpose(d0, d1), x.unsqueeze(u), x.squeeze(),
                                       x.squeeze(s), x.permute(perm).reshape(-1)), [a])


def test_t_and_T_like_torch():
    assert_matches_torch(lambda m, x, v: (x.t(), x.T, v.t(), x.mT), [random_array((2, 3)), random_array((3,))])


@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds, data=st.data())
def test_expand_and_repeat_like_torch(shape, seed, data):
    (a,) = arrays_for([shape], np.float64, seed)
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    target = tuple(lead) + tuple(data.draw(st.sampled_from([n, 3, -1])) if n == 1 else
                                 data.draw(st.sampled_from([n, -1])) for n in shape)
    reps = tuple(data.draw(st.integers(1, 3)) for _ in range(len(shape) + len(lead)))
    assert_matches_torch(lambda m, x: (x.expand(*target), x.repeat(*reps)), [a])


@given(shapes=st.lists(array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=3), min_size=1, max_size=3),
       seed=seeds, dim=st.integers(-2, 1))
def test_cat_like_torch(shapes, seed, dim):
    axis = dim % 2
    fixed = shapes[0][1 - axis]
    shapes = [tuple(fixed if i != axis else s[i] for i in range(2)) for s in shapes]
    arrays = arrays_for(shapes, np.float64, seed)
    assert_matches_torch(lambda m, *xs: m.cat(xs, dim), arrays)


@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), count=st.integers(1, 3), seed=seeds,
       data=st.data())
def test_stack_like_torch(shape, count, seed, data):
    arrays = arrays_for([shape] * count, np.float64, seed)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert_matches_torch(lambda m, *xs: m.stack(xs, dim=dim), arrays)


@given(n=st.integers(1, 7), size=st.integers(1, 4), chunks=st.integers(1, 5), seed=seeds)
def test_split_and_chunk_like_torch(n, size, chunks, seed):
    (a,) = arrays_for([(2, n)], np.float64, seed)
    assert_matches_torch(lambda m, x: x.split(size, dim=1), [a])
    assert_matches_torch(lambda m, x: x.chunk(chunks, 1), [a])
    assert_matches_torch(lambda m, x: m.split(x, [1, n - 1], 1), [a])
    assert_matches_torch(lambda m, x: x.unbind(1), [a])


INDEXES = [
    lambda m, x: x[0], lambda m, x: x[-1, 1:], lambda m, x: x[:, None, ::2], lambda m, x: x[..., 1],
    lambda m, x: x[1:3, -2:], lambda m, x: x[x > 0], lambda m, x: x[m.tensor([0, 2, 2])],
    lambda m, x: x[[1, 0]], lambda m, x: x[:, m.tensor([True, False, True, False])],
    lambda m, x: x[m.tensor([0, 1]), m.tensor([2, 3])], lambda m, x: x[None], lambda m, x: x[...],
    lambda m, x: x[m.tensor(1)], lambda m, x: x[1][2], lambda m, x: x[:, [3, 3, 0]],
]


@pytest.mark.parametrize("index", range(len(INDEXES)))
@given(dtype=dtypes, seed=seeds)
def test_indexing_like_torch(index, dtype, seed):
    (a,) = arrays_for([(3, 4)], dtype, seed)
    assert_matches_torch(INDEXES[index], [a])


def test_setitem_like_torch():
    def fill(m, x):
        y = x.detach().clone()
        y[0] = 1.5
        y[:, 1] = m.tensor([7.0, 8.0, 9.0], dtype=y.dtype)
        y[y > 5] = 0
        y[m.tensor([2])] = -1
        return y

    assert_matches_torch(fill, [random_array((3, 4))], check_grad=False)

    def fill_graph(m, x, v):  # assignment into a non-leaf is differentiable for both the tensor and value
        y = x * 2
        y[1:, 2] = v
        return y

    assert_matches_torch(fill_graph, [random_array((3, 4)), random_array((2,), seed=1)])


def test_setitem_on_a_leaf_that_requires_grad_is_refused_like_torch():
    def assign(m, x):
        x[0] = 1.0
    assert_same_error(assign, [random_array((3,))], requires_grad=True)


def test_inplace_ops_like_torch():
    def inplace(m, x):
        y = x.detach().clone()
        y.add_(1).mul_(2).sub_(0.5).div_(3).clamp_(0, 1).pow_(2)
        z = x * 1
        z.exp_()
        return y, z

    assert_matches_torch(inplace, [random_array((3, 4))])
    assert_same_error(lambda m, x: x.add_(1), [random_array((3,))], requires_grad=True)
    assert_same_error(lambda m, x: x.long().add_(1.5), [random_array((3,))])


# ------------------------------------------------------------------------------------------ errors

ERRORS = {
    "add_shape": (lambda m, x, y: x + y, [(2, 3), (4,)]),
    "matmul_shape": (lambda m, x, y: x @ y, [(2, 3), (2, 3)]),
    "matmul_vector": (lambda m, x, y: x @ y, [(3,), (4,)]),
    "matmul_batched": (lambda m, x, y: x @ y, [(2, 2, 3), (2, 4, 3)]),
    "matmul_0d": (lambda m, x, y: x.sum() @ y, [(2,), (2,)]),
    "matmul_dtype": (lambda m, x, y: x @ y.float(), [(2, 2), (2, 2)]),
    "view_size": (lambda m, x, y: x.view(5), [(2, 3), (1,)]),
    "view_two_minus_one": (lambda m, x, y: x.view(-1, -1), [(2, 3), (1,)]),
    "view_stride": (lambda m, x, y: x.t().view(6), [(2, 3), (1,)]),
    "reshape_size": (lambda m, x, y: x.reshape(4, -1), [(2, 3), (1,)]),
    "float_index": (lambda m, x, y: x[y], [(2, 3), (1,)]),
    "index_out_of_range": (lambda m, x, y: x[5], [(2, 3), (1,)]),
    "too_many_indices": (lambda m, x, y: x[0, 0, 0], [(2, 3), (1,)]),
    "dim_out_of_range": (lambda m, x, y: x.sum(2), [(2, 3), (1,)]),
    "permute_length": (lambda m, x, y: x.permute(0), [(2, 3), (1,)]),
    "expand": (lambda m, x, y: x.expand(4, 4), [(2, 3), (1,)]),
    "cat_sizes": (lambda m, x, y: m.cat([x, y]), [(2, 3), (1, 2)]),
    "cat_empty": (lambda m, x, y: m.cat([]), [(2, 3), (1,)]),
    "stack_sizes": (lambda m, x, y: m.stack([x, y]), [(2, 3), (3, 2)]),
    "t_3d": (lambda m, x, y: x.t(), [(2, 3, 1), (1,)]),
    "mean_int": (lambda m, x, y: x.long().mean(), [(2, 3), (1,)]),
    "item_many": (lambda m, x, y: x.item(), [(2, 3), (1,)]),
    "bool_many": (lambda m, x, y: bool(x), [(2, 3), (1,)]),
    "neg_bool": (lambda m, x, y: -(x > 0), [(2, 3), (1,)]),
    "int_negative_power": (lambda m, x, y: x.long() ** -1, [(2, 3), (1,)]),
    "int_requires_grad": (lambda m, x, y: x.long().requires_grad_(), [(2, 3), (1,)]),
    "split_sizes": (lambda m, x, y: x.split([1, 1], 1), [(2, 3), (1,)]),
    "max_empty": (lambda m, x, y: x[:0].max(), [(2, 3), (1,)]),
    "negative_step": (lambda m, x, y: x[::-1], [(2, 3), (1,)]),
    "float_of_many": (lambda m, x, y: float(x), [(2, 3), (1,)]),
    "int_of_many": (lambda m, x, y: int(x), [(2, 3), (1,)]),
    "bool_of_empty": (lambda m, x, y: bool(x[:0]), [(2, 3), (1,)]),
    "len_0d": (lambda m, x, y: len(x.sum()), [(2, 3), (1,)]),
    "float_as_index": (lambda m, x, y: [1, 2][x.sum()], [(2, 3), (1,)]),
    "zero_step": (lambda m, x, y: x[:, ::0], [(2, 3), (1,)]),
    "ragged_list": (lambda m, x, y: m.tensor([[1, 2], [3]]), [(2, 3), (1,)]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_have_torchs_type(name):
    fn, shape_list = ERRORS[name]
    assert_same_error(fn, [random_array(s, seed=i) for i, s in enumerate(shape_list)])


def test_error_messages_match_torch():
    for fn, shape_list in (ERRORS["float_of_many"], ERRORS["bool_of_empty"], ERRORS["bool_many"], ERRORS["add_shape"], ERRORS["matmul_shape"], ERRORS["view_size"], ERRORS["expand"],
                           ERRORS["cat_sizes"], ERRORS["dim_out_of_range"], ERRORS["index_out_of_range"]):
        mine, theirs = assert_same_error(fn, [random_array(s, seed=i) for i, s in enumerate(shape_list)])
        assert str(mine) == str(theirs)


# ------------------------------------------------------------------------------------------ attributes

def test_attributes_like_torch():
    a = random_array((2, 3, 4))
    t, n = torch.from_numpy(a.copy()), npconv.from_numpy(a.copy())
    assert n.size() == t.size() and n.size(1) == t.size(1) and n.size(-1) == t.size(-1)
    assert repr(n.shape) == repr(t.shape) == "torch.Size([2, 3, 4])"
    assert (n.dim(), n.ndim, n.numel(), n.nelement()) == (t.dim(), t.ndim, t.numel(), t.nelement())
    assert n.tolist() == t.tolist()
    assert n[0, 0, 0].item() == t[0, 0, 0].item()
    assert repr(n.float().dtype) == "torch.float32" and repr(n.long().dtype) == "torch.int64"
    assert repr(n.to(npconv.float16).dtype) == "torch.float16" and n.double() is n
    assert n.is_leaf and n.grad is None and n.grad_fn is None and not n.requires_grad
    assert n.shape.numel() == 24 and len(n) == 2
    assert n.device == npconv.device("cpu") and str(n.device) == "cpu"


def test_detach_clone_and_requires_grad():
    x = npconv.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.numpy(), y.detach().numpy())
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    with pytest.raises(RuntimeError):
        y.requires_grad = False
    with pytest.raises(RuntimeError):
        x.numpy()


def test_dtypes_print_as_torch():
    for name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"):
        assert repr(getattr(npconv, name)) == repr(getattr(torch, name))
    assert npconv.float is npconv.float32 and npconv.long is npconv.int64 and npconv.double is npconv.float64


# ------------------------------------------------------------------------------------------ printing

REPR_CASES = [
    "m.tensor([1., 2., 3.])", "m.tensor([[1.5, -2.25], [3., 4.]])", "m.tensor([1, 2, 3])", "m.tensor(3.5)",
    "m.tensor(2)", "m.tensor([True, False])", "m.tensor([1e-5, 1.0])", "m.tensor([1e10, 1.0])",
    "m.tensor([0.1, 1000.5])", "m.tensor([float('nan'), 1.5, float('inf')])", "m.arange(2000)",
    "m.arange(2000.).reshape(40, 50)", "m.tensor([1., 2.], dtype=m.float64)", "m.tensor([1, 2], dtype=m.int32)",
    "m.zeros(0)", "m.zeros(2, 0)", "m.zeros(0, dtype=m.int64)", "m.tensor([1., 2.], requires_grad=True)",
    "m.arange(100.).reshape(10, 10) / 3", "m.arange(30.).reshape(2, 3, 5) * 1.1", "m.tensor([123456789.0, 1.0])",
    "m.tensor([0.00001234])", "m.tensor([-1.5, 0.0, 2.0])", "m.tensor([-0.0, 1.])", "m.tensor([[-1, 200], [3, 4]])",
    "m.tensor([1.0, 2.0], dtype=m.float16)", "m.tensor([1e-8, 1.])", "m.linspace(0, 1, 30)",
    "m.tensor([1.123456789, -22.5])", "m.empty(2, 3, device='meta')", "m.empty(2, 3, device='meta', dtype=m.int64)",
    "m.nn.Parameter(m.tensor([1., 2.]))", "m.nn.Parameter(m.ones(2, 2))", "m.ones(3, 1000) * 1.5",
    "m.arange(10 ** 4).reshape(10, 10, 100)", "m.tensor([[1.5]], dtype=m.float64, requires_grad=True) * 2",
]

GRAD_FN_CASES = [
    "x * 2", "x + 1", "x - 1", "1 - x", "2 / x", "2 ** x", "x ** 2", "x / 2", "-x", "x.sum()", "x.mean()",
    "x.sum(1)", "x.mean(0)", "x.exp()", "x.log()", "x.sqrt()", "x.tanh()", "x.sigmoid()", "x.abs()", "x.relu()",
    "x.clamp(0, 1)", "x.max()", "x.max(1)", "x.view(-1)", "x.reshape(3, 1)", "x.t()", "x.transpose(0, 1)",
    "x.permute(1, 0)", "x.unsqueeze(0)", "x.squeeze()", "x.squeeze(0)", "x.expand(2, 3)", "x.flatten()",
    "x.double()", "x.clone()", "x[0]", "x[:, 1:]", "x[m.tensor([0])]", "x @ m.ones(3, 2)", "x[0] @ m.ones(3)",
    "m.ones(2, 3) @ x[0]", "m.ones(2, 1, 3) @ m.ones(3, 2, requires_grad=True)", "m.cat([x, x])", "m.stack([x, x])",
    "x.split(1, 1)", "x.var()", "x.std()", "m.maximum(x, m.ones(1))", "m.where(x > 1, x, m.zeros(1))",
]


@pytest.mark.parametrize("case", REPR_CASES)
def test_repr_exactly_as_torch(case):
    assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))


@pytest.mark.parametrize("case", GRAD_FN_CASES)
def test_grad_fn_names_as_torch(case):
    def run(m):
        x = m.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        return repr(eval(case, {"m": m, "x": x}))
    assert run(npconv) == run(torch)


def test_print_options_like_torch():
    for m in (torch, npconv):
        m.set_printoptions(precision=2)
    try:
        assert repr(npconv.tensor([1.12345, 2.5])) == repr(torch.tensor([1.12345, 2.5]))
    finally:
        for m in (torch, npconv):
            m.set_printoptions(profile="default")


# ------------------------------------------------------------------------------------------ extras tutorials use

@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), dtype=dtypes, seed=seeds, data=st.data())
def test_norm_flip_cumsum_like_torch(shape, dtype, seed, data):
    (a,) = arrays_for([shape], dtype, seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert_matches_torch(lambda m, x: (x.norm(), m.norm(x, dim=dim), x.norm(p=1), x.flip(dim), x.cumsum(dim)), [a])


def test_norm_gradient_at_zero_like_torch():
    assert_matches_torch(lambda m, x: x.norm(), [np.zeros(3)])


def test_tensor_new_methods_and_legacy_constructors_like_torch():
    for case in ("m.ones(2, dtype=m.float64).new_zeros(3)", "m.ones(2, dtype=m.int64).new_ones((2, 1))",
                 "m.ones(2).new_full((2,), 4)", "m.ones(2, dtype=m.float64).new_tensor([1, 2])",
                 "m.FloatTensor([1, 2])", "m.LongTensor([1, 2])", "m.FloatTensor(2, 3).shape",
                 "m.nonzero(m.tensor([[0, 1], [1, 1]]))", "m.unique(m.tensor([3, 1, 3, 2]))",
                 "m.finfo(m.float32).eps", "m.finfo(m.float64).max", "m.iinfo(m.int64).max",
                 "m.cuda.is_available()", "m.backends.mps.is_available()", "m.device('cpu')"):
        assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch})), case


def test_generator_object_drives_random_functions():
    a = npconv.randn(4, generator=npconv.Generator().manual_seed(3))
    b = npconv.randn(4, generator=npconv.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=30), seed=seeds,
       kind=st.sampled_from(["normal", "integers", "ints", "special", "bool", "sparse"]),
       exponent=st.integers(-9, 9), dtype=st.sampled_from([np.float32, np.float64, np.float16]),
       grad=st.sampled_from([None, "leaf", "op"]))
def test_repr_of_random_tensors_as_torch(shape, seed, kind, exponent, dtype, grad):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 10.0 ** exponent
    if kind == "integers":
        a = np.round(a)
    elif kind == "ints":
        a = np.round(rng.standard_normal(shape) * 100).astype(np.int64)
    elif kind == "special" and a.size:
        a.reshape(-1)[rng.integers(0, a.size)] = [np.nan, np.inf, -np.inf][rng.integers(0, 3)]
    elif kind == "bool":
        a = rng.random(shape) < 0.5
    elif kind == "sparse":
        a = np.where(rng.random(shape) < 0.5, 0.0, a)
    with np.errstate(all="ignore"):
        a = np.asarray(a).astype(dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a)

    def show(m):
        t = m.from_numpy(a.copy())
        if grad and t.is_floating_point():
            t.requires_grad_()
            if grad == "op":
                t = t * 1
        return repr(t)
    assert show(npconv) == show(torch)


def test_out_argument_like_torch():
    def run(m):
        a = m.ones(2, 2) * 2
        o = m.empty(1)
        r = m.matmul(a, a, out=o)
        s = m.zeros(2, 2, dtype=m.float64)
        m.add(a, 1, out=s)
        return r is o, o.tolist(), s.tolist(), repr(s.dtype)
    assert run(npconv) == run(torch)
    mine, theirs = assert_same_error(lambda m, x: m.mul(x, 2, out=m.zeros(3, dtype=m.float64)), [random_array((3,))],
                                     requires_grad=True)
    assert str(mine) == str(theirs)


def test_comparison_with_none_like_torch():
    for m in (npconv, torch):
        x = m.ones(2)
        assert (x == None) is False and (x != None) is True  # noqa: E711


# ------------------------------------------------------------------------------------------ views

VIEWS = {  # of a (2, 3, 4) tensor, each a view in torch
    "slice": lambda a: a[0:1], "select": lambda a: a[1], "inner slice": lambda a: a[:, 1:, ::2],
    "view": lambda a: a.view(6, 4), "reshape": lambda a: a.reshape(4, 6), "flatten": lambda a: a.flatten(),
    "transpose": lambda a: a.transpose(0, 2), "permute": lambda a: a.permute(2, 0, 1), "mT": lambda a: a.mT,
    "unsqueeze": lambda a: a.unsqueeze(1), "squeeze": lambda a: a[:1].squeeze(0), "none": lambda a: a[None],
    "view of a view": lambda a: a.view(6, 4)[2:].t(), "ellipsis": lambda a: a[..., 1],
}
PARTS = {  # views from ops with several outputs: torch refuses in-place ops on them while recording
    "split": lambda a: a.split(1, dim=1)[2], "split with sizes": lambda a: a.split([1, 2], dim=1)[1],
    "chunk": lambda a: a.chunk(2, dim=2)[1], "unbind": lambda a: a.unbind(2)[3],
}
INPLACE = {
    "mul_": lambda v, m: v.mul_(3), "add_": lambda v, m: v.add_(1.5), "zero_": lambda v, m: v.zero_(),
    "fill_": lambda v, m: v.fill_(2.0), "clamp_": lambda v, m: v.clamp_(-0.2, 0.3),
    "sigmoid_": lambda v, m: v.sigmoid_(), "copy_": lambda v, m: v.copy_(m.ones(v.shape[-1:])),
    "setitem": lambda v, m: v.__setitem__(0, 7.0), "iadd": lambda v, m: v.__iadd__(v * 2),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("op", sorted(INPLACE))
def test_inplace_op_on_a_view_writes_through_to_its_base_like_torch(view, op):
    def call(m, x):
        base = x * 1
        cut = VIEWS[view](base)
        INPLACE[op](cut, m)
        return base * 1, cut * 1  # the base and the view after the write, gradients through both
    assert_matches_torch(call, [random_array((2, 3, 4), seed=7)])


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_views_share_memory_and_versions_like_torch(view):
    def call(m, x):
        base = x * 1
        cut = VIEWS[view](base)
        cut.mul_(2)
        return base, cut._base is base, cut._version, base._version, type(cut.grad_fn).__name__, \
            base.grad_fn.name()
    assert_matches_torch(call, [random_array((2, 3, 4), seed=2)])


@pytest.mark.parametrize("part", sorted(PARTS))
def test_inplace_op_on_a_piece_of_split_is_refused_while_recording_like_torch(part):
    def call(m, x):
        PARTS[part](x * 1).mul_(2)
    mine, theirs = assert_same_error(call, [random_array((2, 3, 4))], requires_grad=True)
    assert str(mine) == str(theirs)


@pytest.mark.parametrize("view", sorted(VIEWS) + sorted(PARTS))
def test_views_without_grad_write_through_like_torch(view):
    def call(m, x):
        cut = {**VIEWS, **PARTS}[view](x)
        cut.add_(10)
        return x, cut._version
    assert_matches_torch(call, [random_array((2, 3, 4))], requires_grad=False)


def test_earlier_views_follow_an_inplace_change_of_their_base_like_torch():
    def call(m, x):
        base = x * 1
        before = base.view(4, 6)
        base.mul_(3)
        return before * 1, type(before.grad_fn).__name__
    assert_matches_torch(call, [random_array((2, 3, 4))])


def test_setitem_records_copyslices_for_basic_and_indexput_for_advanced_indices_like_torch():
    def call(m, x, w):
        basic, advanced = x * 1, x * 1
        basic[0, 1:] = w
        advanced[m.tensor([1, 0])] = w[0]
        return basic, advanced, basic.grad_fn.name(), advanced.grad_fn.name()
    assert_matches_torch(call, [random_array((2, 3)), random_array((2,), seed=4)])


def test_ops_that_copy_in_torch_never_alias_their_input():
    for make in (lambda t: t.flip(0), lambda t: t.clamp(max=10.0), lambda t: t.contiguous() * 1):
        x = npconv.arange(6.0).reshape(2, 3)
        make(x).add_(100)
        assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_numpy_conversion_of_a_tensor_requiring_grad_is_refused_as_torch():
    """np.asarray(t) would silently drop the graph; torch refuses it as it refuses t.numpy()."""
    assert_same_error(lambda m, x: np.asarray(x), [np.ones(2)], requires_grad=True, same_message=True)
