"""One case per class of mismatch the raw-functional fuzz (functional_calls.py) found and npconv fixed
(issue 17): each must now behave exactly as torch 2.13 (same values, or the same exception type and text),
compared by engine.compare.
"""
import numpy as np
import pytest

from . import engine

NAN, INF = float("nan"), float("inf")


def _leaf(m, values, dtype="float64"):
    return m.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _gradient(m, function, values, dtype="float64"):
    """function(x) and x's gradient after a backward of its sum."""
    x = _leaf(m, values, dtype)
    y = function(m.nn.functional, x)
    y.sum().backward()
    return y, x.grad


def _refusal(call):
    """The exception ``call`` raises (type and text), so that one case can hold several refusals."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the exception is the result compared
        return f"{type(error).__name__}: {error}"
    return "no exception"


# a binary op called with an operand or an argument count it does not take, as a function and as a method
_BINARY_MISCALLS = (
    lambda m, op: getattr(m, op)(m.ones(2), "x"), lambda m, op: getattr(m.ones(2), op)("x"),
    lambda m, op: getattr(m, op)("x", m.ones(2)), lambda m, op: getattr(m.ones(2), op + "_")(None),
    lambda m, op: getattr(m.ones(2), op)(other=[1]), lambda m, op: getattr(m.ones(2), op)(2),
    lambda m, op: getattr(m, op)(m.ones(2), other=None), lambda m, op: getattr(m.ones(2), op)(m.ones(1), 2),
    lambda m, op: getattr(m, op)(m.ones(2), m.ones(2), "floor"))

CASES = {
    # silent values
    "pairwise_distance of a 0-d and a 1-d tensor reduces the broadcast's last dim": lambda m: (
        m.nn.functional.pairwise_distance(m.tensor(1.0), m.ones(2), keepdim=True)),
    "pairwise_distance of 0-d tensors: the norm's gradient at NaN": lambda m: _gradient(
        m, lambda F, x: F.pairwise_distance(x, m.tensor(NAN, dtype=m.float64)), 1.0),
    "a reduction over dim 0 or -1 of a 0-d tensor": lambda m: [
        m.tensor(2.0).sum(-1), m.tensor(2.0).amax(0), m.tensor(2.0).norm(2, -1, keepdim=True),
        m.tensor(2.0).all(0), m.tensor(2.0).mean(0)],
    "cumsum/logcumsumexp of a 0-d tensor stay 0-d": lambda m: [
        _gradient(m, lambda F, x: x.cumsum(0), 2.0), _gradient(m, lambda F, x: x.logcumsumexp(-1), 2.0)],
    "norm of order -inf is the smallest magnitude": lambda m: _gradient(
        m, lambda F, x: x.norm(-INF), [1.0, -0.5, 2.0]),
    "norm of order 0 counts the non-zeros and passes no gradient": lambda m: _gradient(
        m, lambda F, x: x.norm(0), [1.0, 0.0, -2.0]),
    "norm of order p: no gradient from a zero element (p < 1) or a zero norm (p > 1)": lambda m: [
        _gradient(m, lambda F, x: x.norm(0.5), [0.0, 1.0, -1.0]), _gradient(m, lambda F, x: x.norm(-1), [0.0, 1.0]),
        _gradient(m, lambda F, x: x.norm(3, 1), [[0.0, 0.0], [1.0, -2.0]]),
        _gradient(m, lambda F, x: x.norm(1.5), [0.0, -0.0])],
    "normalize of order 3: a zero row's gradient is 1/eps (torch's composition)": lambda m: _gradient(
        m, lambda F, x: F.normalize(x, p=3), [[1.0, -2.0], [0.0, 0.0]]),
    "cross_entropy with class probabilities: the weight's gradient": lambda m: (lambda w: (
        m.nn.functional.cross_entropy(m.ones(2, 3), m.ones(2, 3) / 3, w).backward(), w.grad)[1])(_leaf(m, [1.0] * 3)),
    "binary_cross_entropy computes in the input's dtype, whatever the weight's": lambda m: (
        m.nn.functional.binary_cross_entropy(m.ones(2) / 2, m.ones(2), m.ones(2, dtype=m.long))),
    "bilinear adds its bias out of place (a bias broadcasting the result larger)": lambda m: (
        m.nn.functional.bilinear(m.ones(3), m.ones(3), m.ones(2, 3, 3), m.ones(2, 1, 2))),
    "bilinear contracts in torch's order (where an inf meets both signs: NaN)": lambda m: (lambda x1, x2, w: (
        m.nn.functional.bilinear(x1, x2, w).sum().backward(), x1.grad, x2.grad, w.grad)[1:])(
        _leaf(m, [INF, 1.0, -2.0]), _leaf(m, [0.5, -1.0, 2.0]), _leaf(m, np.linspace(-1, 1, 27).reshape(3, 3, 3))),
    "bilinear: x1's gradient sums A x2 over in2 first (per output)": lambda m: (lambda x1, x2, w: (
        m.nn.functional.bilinear(x1, x2, w).sum().backward(), x1.grad, x2.grad, w.grad)[1:])(
        _leaf(m, [0.5, 1.0, -2.0]), _leaf(m, [-1.5, INF, 2.0]), _leaf(m, np.linspace(-1, 1, 27).reshape(3, 3, 3))),
    "linear: a two-dim bias is added in place after matmul (broadcast, the output's dtype)": lambda m: [
        m.nn.functional.linear(m.ones(2, 2, 2, dtype=m.float64), m.ones(3, 2, dtype=m.float64),
                               m.ones(2, 3, dtype=m.int64)),
        m.nn.functional.linear(m.ones(2, 2, 2), m.ones(3, 2), m.ones(2, 3, dtype=m.float64))],
    "soft_margin_loss computes in the input's dtype and shape": lambda m: [
        m.nn.functional.soft_margin_loss(m.ones(2), -m.ones(2, dtype=m.long), reduction="none"),
        _refusal(lambda: m.nn.functional.soft_margin_loss(m.ones(2), m.ones(2, 2)))],
    "hinge_embedding_loss of integers stays integer (torch fills the margin like the input)": lambda m: [
        m.nn.functional.hinge_embedding_loss(m.ones(1, 1, dtype=m.long), -m.ones(1, 1, dtype=m.long), 2.5,
                                             reduction="none"),
        _refusal(lambda: m.nn.functional.hinge_embedding_loss(m.ones(1, 1, dtype=m.long),
                                                              m.ones(1, 1, dtype=m.long), 2.5))],
    "bool products with nothing to compute run no kernel (torch returns them)": lambda m: [
        m.mm(m.ones(3, 0, dtype=m.bool), m.ones(0, 2, dtype=m.bool)),
        m.nn.functional.linear(m.ones(3, 3, dtype=m.bool), m.ones(0, 3, dtype=m.bool)),
        m.matmul(m.ones(2, 2, 0, dtype=m.bool), m.ones(2, 0, 1, dtype=m.bool))],
    "an empty pixel_shuffle's gradient is summed to the input's shape when it expands to it": lambda m: (
        lambda x: (m.nn.functional.pixel_shuffle(x, 3).sum().backward(), x.grad)[1])(_leaf(m, np.ones((0, 1, 0)))),
    # accepted where torch refuses
    "hinge_embedding_loss's margin must fit the input's dtype": lambda m: [_refusal(call) for call in (
        lambda: m.nn.functional.hinge_embedding_loss(m.ones(4, dtype=m.uint8), -m.ones(4, dtype=m.long), -1.0),
        lambda: m.nn.functional.hinge_embedding_loss(m.ones(4), -m.ones(4), 1e300))],
    "embedding's renorm needs floating rows (the norm's words)": lambda m: m.nn.functional.embedding(
        m.tensor([1]), m.ones(3, 1, dtype=m.long), max_norm=1.0),
    "matmul/linear/prelu refuse bools (and prelu integers) in their kernels' words": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.linear(m.ones(2, 3, dtype=m.bool), m.ones(1, 3, dtype=m.bool)),
            lambda: m.matmul(m.ones(3, dtype=m.bool), m.ones(3, dtype=m.bool)),
            lambda: m.matmul(m.ones(2, 3, dtype=m.bool), m.ones(3, dtype=m.bool)),
            lambda: m.matmul(m.ones(2, 2, 3, dtype=m.bool), m.ones(2, 3, 1, dtype=m.bool)),
            lambda: m.nn.functional.prelu(m.ones(1, 3, dtype=m.long), m.ones(1, dtype=m.long)))],
    "multi_margin_loss: the weight's size, rows that are not empty": lambda m: [_refusal(call) for call in (
        lambda: m.nn.functional.multi_margin_loss(m.ones(2), m.tensor(1), weight=m.ones(3)),
        lambda: m.nn.functional.multi_margin_loss(m.ones(0, 0), m.zeros(0, dtype=m.long)))],
    "nll_loss's spatial kernels read byte targets as int64 ('none' forward, every backward)": lambda m: [
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(0, 2, 1), m.zeros(0, 1, dtype=m.uint8), reduction="none")),
        _refusal(lambda: m.nn.functional.nll_loss(_leaf(m, np.ones((0, 2, 1))), m.zeros(0, 1, dtype=m.uint8))
                 .backward())],
    "soft_margin/multilabel_margin losses of non-floating inputs refused in torch's words": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.soft_margin_loss(m.ones(2, dtype=m.bool), m.ones(2)),
            lambda: m.nn.functional.soft_margin_loss(m.ones(2, dtype=m.int32), m.ones(2, dtype=m.int32)),
            lambda: m.nn.functional.multilabel_margin_loss(m.ones(3, dtype=m.bool), m.zeros(3, dtype=m.long)))],
    "poisson_nll/triplet/cosine_embedding losses: their wrappers' checks and parsers": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.poisson_nll_loss(m.ones(2), m.ones(2), reduction="elementwise_mean"),
            lambda: m.nn.functional.poisson_nll_loss(m.ones(2), m.ones(2), 1.0),
            lambda: m.nn.functional.triplet_margin_loss(m.ones(2, 2), m.ones(2, 2), m.ones(2, 2), margin=0.0),
            lambda: m.nn.functional.cosine_embedding_loss(m.ones(1), m.ones(1), m.ones(1)),
            lambda: m.nn.functional.hinge_embedding_loss(m.ones(2), m.ones(2), (2, None)),
            lambda: m.nn.functional.margin_ranking_loss(m.ones(2), m.ones(2), m.ones(2), [2]))],
    "one_hot of an empty tensor needs a positive class count": lambda m: m.nn.functional.one_hot(
        m.zeros(1, 0, dtype=m.long), 0),
    "nll_loss computes on floating inputs only (its kernel's words)": lambda m: [_refusal(
        lambda: m.nn.functional.nll_loss(m.ones(*shape, dtype=m.int32), m.zeros(*target, dtype=m.long)))
        for shape, target in (((2, 3), (2,)), ((2, 1, 0, 1), (2, 0, 1)))],
    "gelu's approximate is keyword-only; norm's dim is parsed (an int list)": lambda m: [
        _refusal(lambda: m.nn.functional.gelu(m.ones(2), "tanh")),
        _refusal(lambda: m.nn.functional.normalize(m.ones(2, 2), 2, False)),
        _refusal(lambda: m.nn.functional.normalize(m.ones(2, 2), 0.5, 1e-12))],
    "native_channel_shuffle has no derivative": lambda m: (lambda x: m.nn.functional.native_channel_shuffle(
        x, 2).sum().backward())(_leaf(m, np.ones((1, 2, 2)))),
    "dropout2d/3d: channel noise needs two dims (torch's feature dropout)": lambda m: [
        _refusal(lambda: m.nn.functional.dropout2d(m.ones(3), 0.5)),
        _refusal(lambda: m.nn.functional.dropout3d(m.tensor(1.0), 0.5))],
    "linear: a bias of two non-trivial dims is added in place after matmul": lambda m: m.nn.functional.linear(
        m.ones(2, 1, 3), m.ones(2, 3), m.ones(2, 2)),
    "linear with a bias and a 1-d weight goes through addmm": lambda m: m.nn.functional.linear(
        m.ones(2, 3), m.ones(3), m.ones(2)),
    "kl_div refuses integer and bool inputs (before the shapes)": lambda m: [
        _refusal(lambda: m.nn.functional.kl_div(m.ones(2), m.ones(3, dtype=m.long))),
        _refusal(lambda: m.nn.functional.kl_div(m.ones(2), m.ones(2, dtype=m.bool)))],
    "mse/smooth_l1/huber/bce kernels run on floating dtypes only": lambda m: [_refusal(lambda: call(
        m.ones(2, dtype=m.int32), m.ones(2, dtype=m.long))) for call in (
            m.nn.functional.mse_loss, m.nn.functional.smooth_l1_loss, m.nn.functional.huber_loss,
            m.nn.functional.binary_cross_entropy_with_logits)] + [_refusal(
                lambda: m.nn.functional.binary_cross_entropy(m.ones(2, dtype=m.bool), m.ones(2, dtype=m.bool)))],
    "bce weights that broadcast the loss larger are refused (an in-place product)": lambda m: [
        _refusal(lambda: m.nn.functional.binary_cross_entropy(m.ones(2), m.ones(2), weight=m.ones(2, 2))),
        _refusal(lambda: m.nn.functional.binary_cross_entropy_with_logits(m.ones(2), m.ones(2),
                                                                           pos_weight=m.ones(2, 2)))],
    "nll_loss: a 1-d input with a one-element 1-d target (whose backward torch refuses)": lambda m: [
        m.nn.functional.nll_loss(m.ones(4), m.zeros(1, dtype=m.long)), _refusal(lambda: m.nn.functional.nll_loss(
            _leaf(m, np.ones(4)), m.zeros(1, dtype=m.long)).backward())],
    "softshrink refuses a lambd beyond its dtype's largest value": lambda m: [_refusal(
        lambda: m.nn.functional.softshrink(m.ones(*shape, dtype=dtype), lambd)) for shape, dtype, lambd in (
            ((0, 2), m.float32, INF), ((2,), m.float16, 1e5))],
    "nll_loss's kernel reads the weights as the input's type, spatial targets as int64": lambda m: [
        _refusal(lambda: m.nn.functional.cross_entropy(m.ones(2, 3), m.zeros(2, dtype=m.long) + 7,
                                                       m.ones(3, dtype=m.float64))),
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(1, 3, 2, 2), m.zeros(1, 2, 2, dtype=m.uint8) + 7))],
    "a norm of tiny order accumulates as torch's CPU reduction (float32 in double)": lambda m: (
        m.nn.functional.pairwise_distance(m.tensor([0.3]), m.tensor([-1.2]), 1e-6)),
    "linear's fused path gives a two-dim bias its broadcast gradient": lambda m: (lambda b: (
        m.nn.functional.linear(m.ones(2, 1, dtype=m.float64), m.ones(0, 1, dtype=m.float64), b).sum().backward(),
        b.grad)[1])(_leaf(m, np.ones((2, 0)))),
    # crashes
    "nll_loss over no classes when every target is ignored": lambda m: [
        m.nn.functional.nll_loss(m.ones(0), m.tensor(0), ignore_index=0),
        m.nn.functional.nll_loss(m.ones(2, 0), m.zeros(2, dtype=m.long), ignore_index=0, reduction="none"),
        (lambda a: (m.nn.functional.nll_loss(a, m.tensor(0), ignore_index=0).backward(), a.grad)[1])(
            _leaf(m, np.ones(0)))],
    "cross_entropy smoothing over no classes divides as a C double": lambda m: m.nn.functional.cross_entropy(
        m.ones(1, 0, 0), m.zeros(1, 0, dtype=m.long), ignore_index=1, label_smoothing=1),
    "prelu/rrelu/cosine_similarity/pairwise_distance/pdist/channel_shuffle parse their arguments": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.prelu(m.ones(4, 3), -1),
            lambda: m.nn.functional.rrelu(m.ones(3), 0.1, (2, None), True),
            lambda: m.nn.functional.rrelu(m.ones(3) * 1, 0.1, 0.3, 1, True),
            lambda: m.nn.functional.cosine_similarity(m.ones(4), m.ones(4), 0.5),
            lambda: m.nn.functional.pairwise_distance(m.ones(4), m.ones(4), keepdim=1),
            lambda: m.nn.functional.pdist(m.ones(4, 2), "x"),
            lambda: m.nn.functional.channel_shuffle(2, 2),
            lambda: m.nn.functional.native_channel_shuffle(m.ones(1, 2, 2), "x"))],
    "adaptive pooling of an empty batch to a huge output: no window table; torch's stride overflow": lambda m: [
        tuple(m.nn.functional.adaptive_avg_pool2d(m.ones(0, 1, 2, 4), 10**9).shape),
        _refusal(lambda: m.nn.functional.adaptive_max_pool3d(m.ones(0, 1, 2, 1, 4), 10**7, True)),
        _refusal(lambda: m.zeros(0, 10**12, 10**12))],
    "losses: a non-Tensor argument gets torch's words": lambda m: [
        _refusal(lambda: m.nn.functional.binary_cross_entropy_with_logits(m.ones(2), m.ones(2), "mean")),
        _refusal(lambda: m.nn.functional.binary_cross_entropy_with_logits(m.ones(2), m.ones(2), pos_weight=2)),
        _refusal(lambda: m.nn.functional.kl_div(m.ones(2), "x")),
        _refusal(lambda: m.nn.functional.mse_loss(m.ones(2), "x")),
        _refusal(lambda: m.nn.functional.binary_cross_entropy(m.ones(2), m.ones(2), "x")),
        _refusal(lambda: m.nn.functional.huber_loss(m.ones(2), m.ones(2), "sum", "x")),
        _refusal(lambda: m.nn.functional.smooth_l1_loss(m.ones(2), m.ones(2), beta=None))],
    "bce_with_logits: sizes that clash get torch's words": lambda m: [_refusal(
        lambda: m.nn.functional.binary_cross_entropy_with_logits(m.ones(2), m.ones(2), **{key: m.ones(3)}))
        for key in ("weight", "pos_weight")],
    "nll_loss/cross_entropy: torch's parser checks the native op's arguments": lambda m: [
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(2, 3), m.ones(2, dtype=m.long), 2)),
        _refusal(lambda: m.nn.functional.nll_loss(2, m.ones(2, dtype=m.long))),
        _refusal(lambda: m.nn.functional.cross_entropy(m.ones(2, 3), m.ones(2, dtype=m.long), 1.0))],
    "normalize and norm of order 0": lambda m: [m.nn.functional.normalize(m.tensor([1.0, 0.0]), p=0, dim=0),
                                                m.tensor([1.0, -2.0, 0.0]).norm(0)],
    "normalize along a dim the input lacks": lambda m: m.nn.functional.normalize(m.ones(2)),
    "normalize of integers": lambda m: m.nn.functional.normalize(m.ones(2, 3, dtype=m.int64)),
    "norm of a negative or infinite order over an empty dim": lambda m: m.zeros(0, 3).norm(-0.5, (1, 0)),
    "norm of an infinite order over an empty tensor": lambda m: m.zeros(0).norm(INF),
    "linear/bilinear: torch's parser, weight.t(), expand and in-place add refusals": lambda m: [
        _refusal(lambda: m.nn.functional.linear(m.ones(4, 3, 2).transpose(1, 2), m.ones(2, 3), (2, None))),
        _refusal(lambda: m.nn.functional.linear(m.ones(2, 3), m.ones(1, 2, 3))),
        _refusal(lambda: m.nn.functional.linear(m.ones(1, 3), m.ones(2, 3), m.ones(1, 1, 2))),
        _refusal(lambda: m.nn.functional.linear(m.ones(4, 3, 2, dtype=m.long).transpose(1, 2),
                                                m.ones(2, 3, dtype=m.long), m.ones(2))),
        _refusal(lambda: m.nn.functional.bilinear(m.ones(3), m.ones(3), m.ones(2, 3, 3), m.tensor(1.0))),
        _refusal(lambda: m.nn.functional.bilinear(m.ones(3, 0), m.ones(3, 0), m.ones(2, 0, 0)))],
    "in-place dropout's native op is dropout_ (its parser's words)": lambda m: [_refusal(lambda: call(
        m.ones(3, 2, 2), 0.5, 1, True)) for call in (m.nn.functional.dropout, m.nn.functional.dropout2d,
                                                     m.nn.functional.alpha_dropout)],
    "max_unpool1d: the 2-d op's shapes; the last invalid index in C order": lambda m: [
        _refusal(lambda: m.nn.functional.max_unpool1d(m.ones(1, 1, 3), m.zeros(1, 3, dtype=m.long), 1, 3, 1)),
        _refusal(lambda: m.nn.functional.max_unpool2d(m.ones(1, 1, 2, 2), m.tensor([[[[0, 9], [7, 1]]]]), 2))],
    "an expanded tensor whose elements are distinct is writable": lambda m: (lambda b: (
        b.expand(1, 2).mul_(2), b.expand(0, 1, 2).add_(1), b)[2])(m.ones(2)),
    "integer inputs to cosine_similarity/pairwise_distance: the common floating dtype": lambda m: [
        m.nn.functional.cosine_similarity(m.ones(2, 4, dtype=m.long), m.ones(2, 4)),
        _refusal(lambda: m.nn.functional.cosine_similarity(m.ones(2, 4, dtype=m.long), m.ones(2, 4, dtype=m.long))),
        m.nn.functional.pairwise_distance(m.ones(2, 4, dtype=m.int32), m.ones(2, 4, dtype=m.int32))],
    "bce_with_logits of a bool target: torch's 1 - target refusal": lambda m: m.nn.functional.\
        binary_cross_entropy_with_logits(m.ones(2), m.ones(2, dtype=m.bool)),
    "label_smoothing printed as a C++ double": lambda m: m.nn.functional.cross_entropy(
        m.ones(3), m.tensor(1), label_smoothing=10**12),
    "pixel_shuffle parses its factor first (by keyword: no position; a 0-d tensor is an int)": lambda m: [
        _refusal(lambda: m.nn.functional.pixel_shuffle(m.ones(4, 1), "x")),
        _refusal(lambda: m.nn.functional.pixel_unshuffle(m.ones(1, 4, 2, 2), downscale_factor=(1, 2))),
        m.nn.functional.pixel_shuffle(m.ones(1, 4, 1, 1), m.tensor(2))],
    "huber's delta and smooth_l1's beta: NaN refused": lambda m: [
        _refusal(lambda: m.nn.functional.huber_loss(m.ones(2), m.ones(2), delta=NAN)),
        _refusal(lambda: m.nn.functional.smooth_l1_loss(m.ones(2), m.ones(2), beta=NAN))],
    "gaussian_nll_loss checks var's sign first; multilabel_margin's shape check": lambda m: [
        _refusal(lambda: m.nn.functional.gaussian_nll_loss(m.ones(4, 2), m.ones(4, 2), -m.ones(4, 1),
                                                           reduction="bogus")),
        _refusal(lambda: m.nn.functional.multilabel_margin_loss(m.ones(2, 0), m.zeros(2, 0, dtype=m.long))),
        m.nn.functional.multilabel_margin_loss(m.tensor(1.0), m.tensor(0))],
    # the order of checks
    # (multi_margin_loss's mean over an empty batch is torch's uninitialised output, mostly 0: not compared)
    "multilabel_margin_loss reads int64 targets after its range check": lambda m: [
        _refusal(lambda: m.nn.functional.multilabel_margin_loss(m.ones(2), m.zeros(2, dtype=m.int32))),
        _refusal(lambda: m.nn.functional.multilabel_margin_loss(m.ones(2), m.zeros(2, dtype=m.int32) + 5))],
    "lp pooling checks its window as avg pooling does (stride and kernel before the empty dims)": lambda m: [
        _refusal(lambda: m.nn.functional.lp_pool1d(m.ones(3, 0, 1, dtype=m.float16), 2, 1, -1)),
        _refusal(lambda: m.nn.functional.lp_pool3d(m.ones(1, 0, 2, 2, 2), 2, (0, 1, 1), 1)),
        _refusal(lambda: m.nn.functional.multilabel_margin_loss(m.ones(4, dtype=m.float16), m.zeros(4, dtype=m.long))),
        _refusal(lambda: m.nn.functional.lp_pool1d(m.ones(3, 3, 5, dtype=m.float16), 10**12, 3, 3))],
    "F.elu_ parses its alpha as the native op": lambda m: [
        _refusal(lambda: m.nn.functional.elu_(m.ones(2) * 1, ())),
        _refusal(lambda: m.nn.functional.elu_(m.ones(2) * 1, alpha="x"))],
    "avg pooling checks the kernel before the empty dims (local_response_norm of size 0)": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.avg_pool3d(m.ones(1, 1, 0, 1, 1), (0, 1, 1), 1),
            lambda: m.nn.functional.avg_pool2d(m.ones(1, 0, 1, 1), (0, 1), 1),
            lambda: m.nn.functional.local_response_norm(m.ones(3, 1, 4, 1), 0))],
    "multi_margin_loss reads int64 targets; cosine_similarity's eps; embedding_renorm_'s parser": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.multi_margin_loss(m.ones(2, 3), m.zeros(2, dtype=m.int32)),
            lambda: m.nn.functional.cosine_similarity(m.tensor(1.0), m.tensor(1.0), 3, -1e12),
            lambda: m.nn.functional.embedding(m.tensor([1]), m.ones(4), max_norm=(1, 2)))],
    "embedding parses padding_idx and the flags as torch.embedding; multilabel_soft_margin reads reduction last":
        lambda m: [_refusal(call) for call in (
            lambda: m.nn.functional.embedding(m.tensor(1), m.ones(4), 0.5),
            lambda: m.nn.functional.embedding(m.tensor([1]), m.ones(4, 2), None, None, 2.0, 1),
            lambda: m.nn.functional.multilabel_soft_margin_loss(m.ones(2), m.ones(3), reduction="elementwise_mean"))],
    "adaptive max pooling counts output sizes after the rank and empty dims": lambda m: [_refusal(call) for call in (
        lambda: m.nn.functional.adaptive_max_pool3d(m.ones(5, 2, 0, 4, 3), ()),
        lambda: m.nn.functional.adaptive_max_pool2d(m.ones(5, 1, 4, 3), (1, 2, 3)))],
    "pixel_unshuffle's backward is the pixel_shuffle op (its channel check)": lambda m: _refusal(
        lambda: m.nn.functional.pixel_unshuffle(_leaf(m, np.ones((2, 2, 0, 2))), 2).sum().backward()),
    "one_hot parses its arguments (the input named input)": lambda m: [_refusal(call) for call in (
        lambda: m.nn.functional.one_hot(m.zeros(3, dtype=m.uint8), NAN),
        lambda: m.nn.functional.one_hot(m.zeros(3, dtype=m.long), num_classes=True),
        lambda: m.nn.functional.one_hot([1], 2))],
    "embedding: max_norm's renorm checks first; an empty weight's index_select words": lambda m: [
        _refusal(call) for call in (
            lambda: m.nn.functional.embedding(m.tensor([5]), m.ones(2, 3), max_norm=1.0),
            lambda: m.nn.functional.embedding(m.tensor([0.0]), m.ones(2, 3), max_norm=1.0),
            lambda: m.nn.functional.embedding(m.zeros(3, 4), m.ones(1, 0, 1), padding_idx=-1),
            lambda: m.nn.functional.embedding(m.tensor(0), m.ones(0, 0)),
            lambda: m.nn.functional.embedding(m.tensor([3, -1]), m.ones(3, 0)))],
    "l1 and smooth_l1 (beta 0) read the reduction before computing": lambda m: [_refusal(lambda: call(
        m.ones(2), m.ones(2, dtype=m.bool), reduction="bogus")) for call in (
            m.nn.functional.l1_loss, lambda *a, **k: m.nn.functional.smooth_l1_loss(*a, beta=0.0, **k))],
    "avg_pool: a zero divisor refused right after the arguments": lambda m: [_refusal(lambda: call(
        m.ones(*shape), 1, 1, 2, True, False, 0)) for call, shape in (
            (m.nn.functional.avg_pool2d, (2, 1, 5, 1)), (m.nn.functional.avg_pool3d, (2, 1, 5, 1, 1)))],
    "channel_shuffle checks the rank before the groups": lambda m: [_refusal(lambda: call(m.ones(3, 3), 0))
        for call in (m.nn.functional.channel_shuffle, m.nn.functional.native_channel_shuffle)],
    "max pooling checks kernel, stride and dilation before the empty dims": lambda m: [_refusal(call) for call in (
        lambda: m.nn.functional.max_pool2d(m.ones(1, 0, 2, 2), 1, 1, 0, 0),
        lambda: m.nn.functional.max_pool3d(m.ones(1, 0, 2, 2, 2), 0, 1),
        lambda: m.nn.functional.max_pool1d(m.ones(0, 1), 3, 2, 0, 0, True, True))],
    "matmul: each kernel's checks and words (dot, mv, mm, bmm)": lambda m: [_refusal(lambda: m.matmul(
        m.ones(*a, dtype=m.int64 if wrong_dtype else m.float32), m.ones(*b))) for a, b, wrong_dtype in (
            ((3,), (3,), True), ((2, 3), (3,), True), ((2, 3), (4,), False), ((4, 2, 3), (4, 5), False),
            ((3,), (4, 3, 5), True), ((2, 3), (2, 4, 4), False))],
    "matmul runs bmm on an input whose rows are no view (unless the other operand needs a gradient)": lambda m: [
        _refusal(lambda: m.matmul(m.ones(3, 4, 2).transpose(0, 1), m.ones(4))),
        _refusal(lambda: m.matmul(m.ones(3, 4, 2).transpose(0, 1), m.ones(3, 5, requires_grad=True)))],
    "linear: addmm compares self's dtype first": lambda m: m.nn.functional.linear(
        m.ones(1, 3, dtype=m.float64), m.ones(2, 3), m.ones(2, dtype=m.float64)),
    "nll_loss: a weight needing a gradient refused before the kernel's checks": lambda m: [
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(2, 3, 4), m.ones(2, 4, dtype=m.int32),
                                                  weight=m.ones(3, requires_grad=True))),
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(2, 3), m.ones(2, dtype=m.long) * 5,
                                                  weight=m.ones(3, requires_grad=True)))],
    "nll_loss: a 0-d target's batch size reads 0; a 1-d input's 1-d target has one element": lambda m: [
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(2, 3), m.tensor(1))),
        _refusal(lambda: m.nn.functional.nll_loss(m.ones(3), m.ones(2, dtype=m.long)))],
    "nll_loss of an empty 3-d input with a non-empty target: the kernel's 4-d views mismatch": lambda m: (
        m.nn.functional.nll_loss(m.ones(3, 0, 1), m.zeros(3, 1, dtype=m.long))),
    "cross_entropy: same shapes mean class probabilities (float target, ignore_index < 0 only)": lambda m: [
        _refusal(lambda: m.nn.functional.cross_entropy(m.ones(2, 3), m.ones(2, 3, dtype=m.long))),
        m.nn.functional.cross_entropy(m.ones(2, 3), m.ones(2, 3), ignore_index=-1),
        _refusal(lambda: m.nn.functional.cross_entropy(m.tensor(1.0), m.tensor(0.0)))],
    "mse_loss: the broadcast before the reduction's name": lambda m: m.nn.functional.mse_loss(
        m.ones(2), m.ones(3), reduction="x"),
    "cross_entropy: log_softmax's checks come first": lambda m: m.nn.functional.cross_entropy(
        m.ones(2, 3, dtype=m.uint8), m.ones(3, dtype=m.long)),
    "rms_norm: an empty normalized_shape, then the weight, then too few dims (a ValueError)": lambda m: [
        _refusal(lambda: m.nn.functional.rms_norm(m.ones(2, 4), ())),
        _refusal(lambda: m.nn.functional.rms_norm(m.ones(2, 4), (1, 2, 3, 4), m.ones(3))),
        _refusal(lambda: m.nn.RMSNorm((1, 2, 3, 4))(m.ones(2, 4))),
        _refusal(lambda: m.nn.functional.rms_norm(m.tensor(1.0), (1,)))],
    "pow parses its exponent as torch's overloads (method, in-place, function; lp_pool's norm_type)": lambda m: [
        _refusal(call) for call in (
            lambda: m.ones(2).pow("x"), lambda: m.ones(2).pow(exponent=None), lambda: m.ones(2).pow(),
            lambda: m.ones(2, requires_grad=True).pow_(None), lambda: m.pow(m.ones(2), "x"),
            lambda: m.pow("x", m.ones(2)), lambda: m.nn.functional.lp_pool1d(m.ones(4, 2), "x", 1))],
    "multilabel_margin_loss of an empty batch returns before its kernel looks at the dtypes (seed 419)": lambda m: [
        m.nn.functional.multilabel_margin_loss(m.zeros(0, 2, dtype=dtype), m.zeros(0, 2, dtype=m.int32),
                                               reduction="none") for dtype in (m.float64, m.float16, m.int64)],
    "a binary op's operand that is not one it takes: torch's parser words per op family, form and position": lambda m: [
        _refusal(lambda: call(m, name)) for name in ("add", "div", "maximum", "eq", "remainder", "floor_divide",
                                                     "bitwise_and", "atan2", "logical_and")
        for call in _BINARY_MISCALLS],
    "clamp parses its bounds as torch's overloads (method, in-place, function; no tensor and number mixed)":
        lambda m: [
        _refusal(call) for call in (
            lambda: m.ones(2).clamp("x"), lambda: m.ones(2).clamp(min=[1]), lambda: m.ones(2).clamp_(1, "x"),
            lambda: m.clamp(m.ones(2), 1, "x"), lambda: m.clamp(m.ones(2), max=None, other=1),
            lambda: m.ones(2).clamp(m.zeros(1), 2), lambda: m.clamp("x", m.ones(2)), lambda: m.ones(2).clamp(1, 2, 3))],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixed_mismatch_stays_fixed(name):
    outcome = engine.compare(CASES[name])
    assert outcome.kind == "same", f"{outcome.kind}: {outcome.detail}"
