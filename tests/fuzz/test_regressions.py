"""One case per class of mismatch the differential fuzz found and npconv fixed (issue 17): each must now
behave exactly as torch 2.13 (same values, or the same exception type and text), compared by engine.compare.
"""
import io
import zipfile

import numpy as np
import pytest

from . import engine


def _leaf(m, values, dtype="float32"):
    return m.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _grad_of(m, function, values, dtype="float64"):
    x = _leaf(m, values, dtype)
    y = function(m, x)
    y.backward(m.ones_like(y))
    return y, x.grad


NAN, INF = float("nan"), float("inf")


def _nan_tap_weight(m, shape, dtype="float32"):
    """A weight of ones with NaN at the last tap of its first filter, and -inf at the first tap of its last."""
    w = np.ones(shape, dtype=dtype)
    w[(0, 0) + (-1,) * (len(shape) - 2)] = NAN
    w[(-1, -1) + (0,) * (len(shape) - 2)] = -INF
    return m.tensor(w)


def _with_flipped_tensor_byte():
    """A torch checkpoint with one byte of its first tensor record flipped (the record's CRC left stale)."""
    import torch
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(6.0)}, buffer)
    data = bytearray(buffer.getvalue())
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    record = next(info for info in archive.infolist() if info.filename.endswith("data/0"))
    offset = record.header_offset   # the local header: 30 bytes, then its own name and extra field
    start = offset + 30 + int.from_bytes(data[offset + 26:offset + 28], "little") + int.from_bytes(
        data[offset + 28:offset + 30], "little")
    data[start + 5] ^= 0x40
    return bytes(data)

def _retained_after_inplace(m, change):
    """x.grad of a non-leaf x that retains its gradient and is then changed in place (seed 419)."""
    x = _leaf(m, [1.0, 2.0]) * 3
    x.retain_grad()
    change(x)
    (x * x).sum().backward()
    return x.grad


CASES = {
    # silent values
    "hardtanh gradient at NaN": lambda m: _grad_of(m, lambda m, x: m.nn.functional.hardtanh(x), [NAN, 0.5, 2.0]),
    "relu6 gradient at NaN (vector blocks)": lambda m: _grad_of(m, lambda m, x: m.nn.functional.relu6(x),
                                                              [NAN] * 9 + [1.0]),
    "threshold keeps NaN": lambda m: m.nn.functional.threshold(m.tensor([NAN, 0.2, 3.0]), 0.5, 2.0),
    "kl_div NaN target": lambda m: m.nn.functional.kl_div(m.tensor([0.5, -1.0]), m.tensor([NAN, 0.3]),
                                                          reduction="none"),
    "kl_div promotes": lambda m: m.nn.functional.kl_div(m.zeros(3), m.full((3,), 0.5, dtype=m.float64),
                                                        reduction="none"),
    "abs gradient at NaN": lambda m: _grad_of(m, lambda m, x: x.abs(), [NAN, -1.0, 0.0]),
    "gelu float32 at +inf": lambda m: m.nn.functional.gelu(m.tensor([INF, -INF, 1.0])),
    "gelu float32 at +inf, not contiguous (scalar loop)": lambda m: [
        m.nn.functional.gelu(t) for t in (m.tensor([INF]).expand(5), m.full((3, 10), INF)[:, :5],
                                          m.full((5, 3), INF).t(), m.full((1,), INF))],
    "celu gradient at NaN of a strided view (scalar loop)": lambda m: (lambda a: (
        m.nn.functional.celu(a[:, ::2]).sum().backward(), a.grad)[1])(_leaf(m, [[NAN] * 80] * 2)),
    "elu gradient at NaN per contiguous row": lambda m: (lambda a: (
        m.nn.functional.elu(a[:, :40]).sum().backward(), a.grad)[1])(_leaf(m, [[NAN] * 80] * 2)),
    "hardtanh gradient at NaN of an expanded input": lambda m: (lambda a: (
        m.nn.functional.hardtanh(a.expand(3, 40)).sum().backward(), a.grad)[1])(_leaf(m, [[NAN] * 40])),
    "elu and celu with an infinite alpha keep +-0 (torch's x < 0 test)": lambda m: [
        _grad_of(m, lambda m, x: getattr(m.nn.functional, name)(x, float("inf")), [-0.0, 0.0, -1.0, 1.0] * 5)
        for name in ("elu", "celu")],
    "hardtanh gradient with a NaN limit: vector blocks and scalar tail": lambda m: [
        _grad_of(m, lambda m, x: m.nn.functional.hardtanh(x, low, high), np.linspace(-2, 2, 20), "float32")
        for low, high in ((NAN, 1.0), (0.0, NAN), (NAN, NAN))],
    "linear interpolation of an unchanged size: weights 1 and 0 on one sample": lambda m: [
        _grad_of(m, lambda m, x: m.nn.functional.interpolate(x, size=size, mode=mode, align_corners=corners),
                 np.where(np.eye(3) > 0, INF, np.linspace(-1, 1, 9).reshape(3, 3)).reshape(shape))
        for size, mode, corners, shape in (((3, 5), "bilinear", False, (1, 1, 3, 3)), (3, "linear", True, (1, 3, 3)),
                                           ((3, 3), "bilinear", True, (1, 1, 3, 3)))],
    "pow by +-0.5 is sqrt and 1/sqrt": lambda m: _grad_of(
        m, lambda m, x: x.pow(0.5) + x.pow(-0.5) + x.pow(1.5), [-INF, INF, -0.0, 0.0, -2.0, 2.0]),
    "lp_pool p=0.5 gradient at -inf outside every window": lambda m: _grad_of(
        m, lambda m, x: m.nn.functional.lp_pool2d(x, 0.5, (3, 1), (1, 2)),
        [[[[0.5, -1.0], [-0.4, -INF], [1.0, -0.2]]]]),
    "lp_pool gradient where the window sum is NaN or 0": lambda m: _grad_of(
        m, lambda m, x: m.nn.functional.lp_pool1d(x, 2.0, 2), [[[NAN, 1.0, 0.0, 0.0, INF, 1.0]]]),
    "layer norm gradient with an infinite weight": lambda m: (lambda x, w: (
        m.nn.functional.layer_norm(x, (3, 3), w).backward(m.ones(1, 3, 3, 3, dtype=m.float64)), x.grad, w.grad)[1:])(
        _leaf(m, np.linspace(-1, 1, 27).reshape(1, 3, 3, 3), "float64"),
        _leaf(m, [[1.0, INF, 0.5], [2.0, 1.0, -1.0], [0.0, 1.0, 3.0]], "float64")),
    "layer norm of half with float parameters (half buffers)": lambda m: (lambda x, layer: (
        layer(x).backward(m.ones(6, 5, dtype=m.float16) * 0.3), x.grad, layer.weight.grad, layer.bias.grad)[1:])(
        _leaf(m, np.linspace(-2, 3, 30).reshape(6, 5) ** 3, "float16"), m.nn.LayerNorm(5)),
    "in-place output version": lambda m: (lambda a: (lambda x: (x.sigmoid_(), x.mul_(2), x.sum().backward()))(
        a * 2))(_leaf(m, [1.0, 2.0])),
    "copy_ sends zeros": lambda m: (lambda a: ((lambda x: (x.copy_(m.ones(2)), x.sum().backward()))(a * 2), a.grad)[1])(
        _leaf(m, [1.0, 2.0])),
    "hooks with backward(inputs=)": lambda m: (lambda a, b: (a.register_hook(lambda g: g * 3),
                                                            (a * b).sum().backward(inputs=[a]), a.grad, b.grad)[2:])(
        _leaf(m, [1.0, 2.0]), _leaf(m, [3.0, 4.0])),
    "a leaf's hook sees its summed gradient once": lambda m: (lambda a, calls: (
        a.register_hook(lambda g: (calls.append(1), g * g)[1]), (a * 3 + a.exp() + a * a).sum().backward(),
        a.grad, len(calls))[2:])(_leaf(m, [1.0, 2.0]), []),
    "a leaf's hook runs after every node feeding it (a version error below comes first)": lambda m: (lambda a, b: (
        a.register_hook(lambda g: g.double()), (lambda x: (x.detach().relu_(), (x * a.sum()).sum().backward()))(
            (a * b).tanh())))(_leaf(m, [1.0, -2.0]), _leaf(m, [3.0, 4.0])),
    "retain_grad moves with an in-place op to the tensor's new node (on it, on a view of it)": lambda m: [
        _retained_after_inplace(m, lambda x: x.mul_(2)), _retained_after_inplace(m, lambda x: x.view(-1)[:1].mul_(2))],
    "autograd.grad of a tensor changed in place through a view: only the edge to its new node (seed 431)":
        lambda m: (lambda a: (lambda x: (x.view(-1)[:1].relu_(), m.autograd.grad(x.relu().sum(), [x, a]))[1])(
            a * 1))(_leaf(m, [[1.0, 2.0], [3.0, -4.0]])),
    "batch norm of a strided float32 input near 1e30, momentum 0: the running variance from double sums (seed 431)":
        lambda m: (lambda layer: (layer(m.tensor([[1e30, 2.0, -3e29, 0.5], [1.0, 2.0, 3.0, 4.0]]).t()),
                                  layer.running_var)[1])(m.nn.BatchNorm1d(2, momentum=0.0)),
    "an in-place op on an empty expanded tensor: nothing shares memory, nothing is written (seed 443)": lambda m: [
        m.zeros(1, 3, 1, 1).expand(2, 3, 1, 0).add_(1), m.zeros(1, 3, 1, 0).expand(1, 3, 1, 0).relu_(),
        m.nn.functional.hardtanh(m.zeros(1, 3, 1, 0).expand(1, 3, 1, 0), 0.0, 1e12, inplace=True)],
    "half instance norm: output and gradient from the mean and 1/std rounded to half, as torch saves them":
        lambda m: (lambda x: (lambda y: (y, m.autograd.grad((y * m.arange(24.0).reshape(4, 3, 1, 2).half()).sum(),
                                                            x)[0]))(m.nn.functional.instance_norm(x)))(
            m.tensor(np.random.default_rng(1251).uniform(-2, 2, (4, 3, 1, 2)).astype(np.float16), requires_grad=True)),
    "instance norm checks the statistics' size before the input's dtype": lambda m: m.nn.InstanceNorm2d(
        4, track_running_stats=True)(m.zeros(5, 4, 4, dtype=m.uint8)),
    "Unflatten refuses a named dim at forward (torch 2.13)": lambda m: m.nn.Unflatten("x", (2, 2))(m.zeros(1, 4)),
    "Unflatten checks its sizes whatever the dim": lambda m: m.nn.Unflatten("x", 2),
    "unflatten refuses empty sizes before it reads the dim (seed 457)": lambda m: m.nn.Unflatten(2, ())(m.zeros(0, 6)),
    "contiguous of a transposed view": lambda m: m.arange(6.0).reshape(2, 3).t().contiguous().view(-1),
    "instance norm of a transposed input": lambda m: m.nn.InstanceNorm1d(3, affine=True)(
        m.arange(24.0).reshape(2, 4, 3).transpose(1, 2)),
    "instance norm float64 with float32 statistics": lambda m: m.nn.functional.instance_norm(
        m.arange(12.0, dtype=m.float64).reshape(2, 2, 3), m.zeros(2), m.ones(2)),
    "empty softmax": lambda m: m.nn.functional.softmax(m.zeros(3, 0), -1),
    # accepted where torch refuses
    "elu of integers": lambda m: m.nn.functional.elu(m.tensor([1, 2])),
    "dropout of integers": lambda m: m.nn.functional.dropout(m.tensor([1, 2]), 0.5),
    "dropout in place on a view of a leaf": lambda m: m.nn.functional.dropout(_leaf(m, [[1.0, 2.0]]).t(), 0.5,
                                                                              True, True),
    "feature alpha dropout of 1-d": lambda m: m.nn.functional.feature_alpha_dropout(m.ones(3), 0.5, True),
    "adaptive max pool with empty channels": lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(1, 0, 2, 2), 1),
    "lp_pool1d with a tuple kernel": lambda m: m.nn.functional.lp_pool1d(m.ones(1, 1, 4), 2, (2,)),
    "lp_pool1d of an empty length": lambda m: m.nn.functional.lp_pool1d(m.ones(0, 1), 1, 1),
    "max_unpool of an empty dim": lambda m: m.nn.functional.max_unpool2d(m.ones(1, 1, 1, 0),
                                                                         m.zeros(1, 1, 1, 0, dtype=m.int64), 2),
    "batch norm statistics requiring grad": lambda m: m.nn.functional.batch_norm(
        m.ones(2, 1), m.ones(1, requires_grad=True), m.ones(1)),
    "huber across dtypes refuses backward": lambda m: m.nn.functional.huber_loss(
        _leaf(m, 1.0), m.tensor(0.5, dtype=m.float64)).backward(),
    "pixel shuffle empty backward": lambda m: m.nn.functional.pixel_shuffle(
        m.ones(1, 4, 1, 0, requires_grad=True), 2).sum().backward(),
    "adaptive avg pool empty output backward": lambda m: m.nn.functional.adaptive_avg_pool2d(
        m.ones(1, 1, 3, 3, requires_grad=True), (0, 2)).sum().backward(),
    "cross entropy probabilities with ignore_index": lambda m: m.nn.functional.cross_entropy(
        m.ones(2, 2), m.full((2, 2), 0.5), ignore_index=1),
    "reflect pad of bools": lambda m: m.nn.functional.pad(m.ones(1, 1, 3, dtype=m.bool), (1, 1), "reflect"),
    # refused where torch accepts
    "reduction elementwise_mean": lambda m: m.nn.functional.mse_loss(m.ones(3), m.zeros(3), reduction="elementwise_mean"),
    "max_unpool2d with stride 0": lambda m: m.nn.functional.max_unpool2d(m.ones(1, 1, 2, 2),
                                                                         m.zeros(1, 1, 2, 2, dtype=m.int64), 2, 0),
    "dropout1d in place at p=0": lambda m: m.nn.functional.dropout1d(_leaf(m, np.ones((1, 3, 3))), 0.0, True, True),
    "circular and 3-d reflection pads of an empty batch: nothing left unwritten": lambda m: (lambda x: [
        (lambda y: (y.sum().backward(), y, x.grad)[1:])(layer(x)) for layer in (
            m.nn.CircularPad3d((-1, 3, 3, -2, -1, 3)), m.nn.CircularPad3d((-2, 3, 1, -1, 2, -1)),
            m.nn.ReflectionPad3d((-1, 3, 3, -2, -1, 3)))])(_leaf(m, np.ones((0, 3, 5, 4, 5)), "float64")),
    "batch_norm of an empty batch returns before the native op refuses statistics needing grad": lambda m: (
        m.nn.functional.batch_norm(_leaf(m, np.ones((0, 1, 4))), m.ones(1, requires_grad=True),
                                   m.ones(1, requires_grad=True), training=True)),
    # messages and order of checks
    "empty() of None": lambda m: m.empty(None),
    "a convolution's padding_mode printed as torch's set": lambda m: [
        m.nn.Conv1d(1, 1, 1, padding_mode=mode) for mode in ("x", 1.0)],
    "celu_ refuses a view of a leaf before it reads alpha": lambda m: m.nn.functional.celu(
        _leaf(m, [[1.0, -1.0]]).expand(3, 2), 0.0, inplace=True),
    "interpolate with a list as its mode": lambda m: m.nn.Upsample((1, 3), mode=[2])(m.ones(4, 2, 3, 1)),
    "Linear with a float size": lambda m: m.nn.Linear(2.5, 3),
    "Conv1d with a float kernel": lambda m: m.nn.Conv1d(3, 2, 2.5),
    "conv bool input": lambda m: m.nn.functional.conv2d(m.ones(1, 2, 3, 3, dtype=m.bool), m.ones(2, 2, 1, 1)),
    "conv channels before weight dtype": lambda m: m.nn.functional.conv1d(m.ones(2, 3, 2, dtype=m.float64),
                                                                          m.ones(2, 2, 1)),
    "conv empty spatial": lambda m: m.nn.functional.conv1d(m.ones(2, 3, 0), m.ones(2, 3, 1), padding=1),
    "conv zero dilation (transposed words)": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 1, 3, 3), m.ones(1, 1, 1, 1), dilation=(0, 1)),
    "elu alpha None": lambda m: m.nn.functional.elu(m.ones(2), None),
    "softplus beta None": lambda m: m.nn.Softplus(beta=None)(m.ones(2)),
    "softmax dim float": lambda m: m.nn.functional.softmax(m.ones(3), 1.5),
    "Hardtanh equal limits": lambda m: m.nn.Hardtanh(1.0, 1.0),
    "Flatten None": lambda m: m.nn.Flatten(None, None)(m.ones(2, 2)),
    "Unflatten float size": lambda m: m.nn.Unflatten(1, (2, 2.5)),
    "Unflatten float dim": lambda m: m.nn.Unflatten(1.0, (2, 3))(m.ones(2, 6)),
    "bilinear dtypes first": lambda m: m.nn.functional.bilinear(m.ones(3, 4, dtype=m.float64),
                                                                m.ones(3, 1, dtype=m.float64), m.ones(2, 1, 1)),
    "batch norm training None": lambda m: m.nn.functional.batch_norm(m.ones(2, 4), m.zeros(4), m.ones(4),
                                                                     training=None),
    "layer norm dtype before shape": lambda m: m.nn.LayerNorm(3)(m.ones(3, 1, dtype=m.float64)),
    "nll_loss target rank before dtype": lambda m: m.nn.functional.nll_loss(m.ones(4, 2), m.zeros(4, 2)),
    "nll_loss ignore_index None": lambda m: m.nn.functional.nll_loss(m.ones(4, 2), m.zeros(4, dtype=m.int64),
                                                                     ignore_index=None),
    "pad mode int": lambda m: m.nn.functional.pad(m.ones(3), (1, 1), 0),
    "pad over-crop": lambda m: m.nn.functional.pad(m.ones(3), (-2, -2)),
    "pad empty replicate": lambda m: m.nn.functional.pad(m.ones(4, 0), (2, 1), "replicate"),
    "adaptive pool tuple on a small input": lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(2, 1), (1, 3)),
    "avg_pool3d kernel words": lambda m: m.nn.functional.avg_pool3d(m.ones(1, 1, 4, 4, 4), ()),
    "max_pool2d dilation words": lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 4, 4), 2, dilation=(1, 1, 1)),
    "max_unpool negative output size": lambda m: m.nn.MaxUnpool3d(2, padding=2.5)(
        m.ones(1, 1, 2, 2, 2), m.zeros(1, 1, 2, 2, 2, dtype=m.int64)),
    "linear through matmul words": lambda m: m.nn.Linear(2, 2)(m.ones(5, 2, 2, dtype=m.float64).transpose(1, 2)),
    # torch's argument parser for ops with several signatures (session 3)
    "conv1d invalid combination (a Parameter, a bool stride)": lambda m: m.nn.Conv1d(2, 2, 3, False)(m.ones(1, 2, 5)),
    "conv1d invalid combination with keywords": lambda m: m.nn.functional.conv1d(
        m.ones(1, 2, 5), m.ones(2, 2, 3), bias=None, stride=(1,), padding=(0,), dilation=(1,), groups=1.5),
    "conv1d keywords only": lambda m: m.nn.functional.conv1d(
        input=m.ones(1, 2, 5), weight=m.ones(2, 2, 3), bias=None, stride=1, padding=0, dilation=1, groups=1.5),
    "conv1d later list elements read last first": lambda m: m.nn.functional.conv1d(
        m.ones(1, 2, 5), m.ones(2, 2, 3), None, (1, None), (0, None)),
    "conv1d int tensor groups": lambda m: m.nn.functional.conv1d(m.ones(1, 2, 5), m.ones(2, 2, 3), None, 1, 0, 1,
                                                                 m.tensor(1)),
    "conv_transpose1d later list elements": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(1, 2, 5), m.ones(2, 2, 3), None, (1, None), (0, None)),
    "ConvTranspose3d duplicate argument names the class": lambda m: m.nn.ConvTranspose3d(4, 2, 3, 1, 0, 0, groups=1,
                                                                                          output_padding=0),
    "BatchNorm unexpected keyword names _BatchNorm": lambda m: m.nn.BatchNorm2d(2, foo=1),
    # transposed convolution output sizes (oneDNN for float32 batches, a reshape for empty ones)
    "conv_transpose negative output, float32 batch": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(4, 2, 1), m.ones(2, 1, 3), stride=3, padding=2),
    "conv_transpose empty output, float32 batch": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(4, 2, 2), m.ones(2, 1, 3), padding=2),
    "conv_transpose negative output, empty batch": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(0, 2, 1, 1), m.ones(2, 3, 3, 3), padding=(2, 3)),
    "view of zero elements with -1": lambda m: m.zeros(0).view(0, 1, -1),
    "view with an invalid dimension": lambda m: m.zeros(4).reshape(-2, 2),
    # interpolate: torch's Python checks, then the upsample op's parser and C++ checks
    "interpolate float size to upsample_linear1d": lambda m: m.nn.Upsample(1.5, mode="linear")(m.ones(1, 2, 3)),
    "interpolate bool size listing": lambda m: m.nn.UpsamplingNearest2d(True)(m.ones(1, 3, 3, 1)),
    "interpolate bool scale computes": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2, 2), scale_factor=True),
    "interpolate tensor scale refused": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2, 2),
                                                                             scale_factor=m.tensor(2)),
    "interpolate None in scale list": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 2, 2), scale_factor=(2, None),
                                                                           mode="bilinear"),
    "interpolate recompute with a str": lambda m: m.nn.functional.interpolate(
        m.ones(1, 1, 3), scale_factor="x", recompute_scale_factor=True),
    "interpolate integer linear": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 3, dtype=m.int64), 2,
                                                                        mode="linear"),
    "interpolate uint8 nearest": lambda m: m.nn.functional.interpolate(
        m.arange(8, dtype=m.uint8).reshape(1, 2, 4), scale_factor=1.5),
    "interpolate integer nearest-exact 2d": lambda m: m.nn.functional.interpolate(
        m.ones(1, 1, 2, 2, dtype=m.int32), 3, mode="nearest-exact"),
    # adaptive pooling: the output's size before its dtype, and before any window table
    "adaptive avg pool numel overflow": lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(1, 1, 2, 2), 10**10),
    "adaptive max pool storage overflow": lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(1, 1, 2, 2), 2**31),
    "adaptive avg pool size before dtype": lambda m: m.nn.functional.adaptive_avg_pool2d(
        m.ones(1, 1, 2, 2, dtype=m.int64), 10**5),
    "adaptive avg pool empty integer output": lambda m: m.nn.functional.adaptive_avg_pool2d(
        m.ones(1, 1, 3, 3, dtype=m.int64), 0),
    "adaptive avg pool 3d negative size words": lambda m: m.nn.functional.adaptive_avg_pool3d(
        m.ones(1, 1, 2, 2, 2), -2),
    # in-place dropout of an empty tensor: torch's kernel skips it (no leaf check), returns the input
    "inplace dropout of an empty leaf": lambda m: m.nn.functional.dropout(m.ones(3, 0, requires_grad=True), 0.2,
                                                                          True, True),
    "inplace alpha dropout of an empty leaf": lambda m: m.nn.functional.alpha_dropout(
        m.ones(3, 0, requires_grad=True), 1.0, True, True),
    # half-precision normalisation: gradients accumulated in float32 (silent before)
    "group norm half input, float bias gradient": lambda m: (lambda gn, x: (gn(x).backward(
        m.from_numpy(np.random.default_rng(1).standard_normal((3, 2, 5, 5)).astype(np.float16))),
        gn.bias.grad, gn.weight.grad)[1:])(m.nn.GroupNorm(1, 2), m.tensor(
            np.random.default_rng(2).uniform(-2, 2, (3, 2, 5, 5)).astype(np.float16))),
    "batch norm eval half input": lambda m: (lambda bn, x: (bn.eval(), bn(x).backward(
        m.from_numpy(np.random.default_rng(1).standard_normal((4, 2, 3, 3)).astype(np.float16))),
        bn.weight.grad, bn.bias.grad)[2:])(m.nn.BatchNorm2d(2), m.tensor(
            np.random.default_rng(3).uniform(-2, 2, (4, 2, 3, 3)).astype(np.float16))),
    "group norm of empty groups: NaN weight gradient": lambda m: (lambda gn, x: (gn(x).sum().backward(),
                                                                                  gn.weight.grad, gn.bias.grad)[1:])(
        m.nn.GroupNorm(2, 2), m.ones(4, 2, 0, requires_grad=True)),
    "batch_norm eval names the missing statistic": lambda m: m.nn.functional.batch_norm(
        m.ones(1, 4, 3), None, m.ones(4, dtype=m.float64, requires_grad=True)),
    "instance_norm without statistics and use_input_stats=False": lambda m: m.nn.functional.instance_norm(
        m.ones(2, 4, 3), m.zeros(4), None, use_input_stats=False),
    "softmax dtype type": lambda m: m.nn.functional.softmin(m.ones(4), -1, dtype=-1),
    # convolution's checks in torch's order
    "conv weight of two dims": lambda m: m.nn.Conv3d(2, 1, ())(m.ones(1, 2, 3, 3, 3)),
    "conv list lengths against the weight": lambda m: m.nn.functional.conv2d(
        m.ones(1, 2, 3, 3), m.ones(1, 2, 3), stride=(1,), padding=(0,), dilation=(1,)),
    "conv input rank against the weight": lambda m: m.nn.functional.conv1d(m.ones(1, 2, 3), m.ones(1, 2, 3, 3),
                                                                          stride=(1,)),
    "conv groups before stride": lambda m: m.nn.functional.conv2d(m.ones(1, 2, 5, 5), m.ones(1, 2, 3, 3),
                                                                  stride=-1, groups=0),
    "conv bias dtype first": lambda m: m.nn.functional.conv2d(m.ones(5), m.ones(1, 2, 3, 3),
                                                              m.ones(1, dtype=m.float64)),
    "conv negative padding before stride": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 2, 5, 5), m.ones(2, 1, 3, 3), stride=-1, padding=-1),
    # silent before: batch norm statistics beyond float32 squares, empty pixel unshuffle
    "batch norm float32 with a 1e30 value, dense": lambda m: m.nn.BatchNorm2d(1, track_running_stats=False)(
        m.tensor(np.array([1e30, -0.5, 1.4, -0.4, -1.8, 1.35, 0.79, 0.25], np.float32).reshape(2, 1, 2, 2))),
    "batch norm float32 with a 1e30 value, expanded": lambda m: m.nn.BatchNorm2d(1, track_running_stats=False)(
        m.tensor(np.array([1e30, -0.5, 1.4, -0.4, -1.8, 1.35, 0.79, 0.25], np.float32).reshape(1, 1, 2, 4)).expand(
            3, 1, 2, 4)),
    "pixel_unshuffle returns an empty input unchanged": lambda m: m.nn.functional.pixel_unshuffle(m.zeros(18, 3, 0),
                                                                                                   3),
    "pixel_unshuffle backward of an empty input": lambda m: (lambda x: (m.nn.functional.pixel_unshuffle(
        x, 2).sum().backward(), x.grad))(m.zeros(4, 0, 0, requires_grad=True)),
    "pixel_shuffle backward of an empty input": lambda m: (lambda x: (m.nn.functional.pixel_shuffle(
        x, 3).sum().backward(), x.grad))(m.zeros(9, 3, 0, requires_grad=True)),
    "instance norm of an empty integer input": lambda m: m.nn.InstanceNorm1d(2)(m.zeros(5, 2, 0, dtype=m.int32)),
    "instance norm of an empty batch with affine": lambda m: m.nn.InstanceNorm1d(2, affine=True)(m.zeros(0, 2, 3)),
    # pad: the mode before the pad's length, a list only
    "pad unknown mode before length": lambda m: m.nn.functional.pad(m.ones(2, 2), (1,), "bogus"),
    "pad as an int": lambda m: m.nn.functional.pad(m.ones(2, 2), 3),
    "circular pad to an empty result": lambda m: m.nn.functional.pad(m.ones(1, 1, 1), (-2, 1), "circular"),
    "circular pad overlapping its copy": lambda m: m.nn.functional.pad(m.ones(1, 1, 2), (-1, 2), "circular"),
    "max_unpool1d names the 2-d op": lambda m: m.nn.functional.max_unpool1d(
        m.ones(1, 1, 2), m.zeros(1, 1, 2, dtype=m.int64), 2, output_size=(2.5,)),
    "max_unpool1d index error names a height": lambda m: m.nn.functional.max_unpool1d(
        m.ones(1, 1, 3), m.tensor([[[0, 1, 5]]]), 1, output_size=(3,)),
    # pooling: torch's C ints, its 2-d view of 1-d pooling, its order of checks; lp_pool as torch composes it
    "avg_pool beyond a C int": lambda m: m.nn.functional.avg_pool1d(m.ones(1, 1, 4), 2, -10**12),
    "max_pool2d beyond a C int": lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 4, 4), 2, dilation=10**12),
    "avg_pool1d kernel words with a height": lambda m: m.nn.functional.avg_pool1d(m.ones(1, 1, 4), -1),
    "pool padding before the empty input": lambda m: m.nn.functional.max_pool3d(m.ones(4, 3, 0, 2), (1, 1, 2),
                                                                                padding=(1, 0, 0)),
    "pool kernel as an int tensor": lambda m: m.nn.functional.avg_pool2d(m.ones(1, 2, 4, 4), m.tensor(2)),
    "lp_pool ceil_mode by keyword": lambda m: m.nn.LPPool2d(3.5, 2, ceil_mode=m.tensor(2))(m.ones(4, 1, 2)),
    "lp_pool ceil_mode by position": lambda m: m.nn.LPPool3d(2, 2, 2, ceil_mode=1)(m.ones(1, 1, 4, 4, 4)),
    "lp_pool kernel unpacked": lambda m: m.nn.LPPool2d(2.5, kernel_size="x")(m.ones(0, 3, 4, 2)),
    "lp_pool1d integer input, tuple kernel": lambda m: m.nn.LPPool1d(2, kernel_size=(1,))(
        m.ones(1, 1, 2, dtype=m.uint8)),
    "lp_pool inf norm of bools": lambda m: m.nn.LPPool2d(float("inf"), 2)(m.ones(1, 1, 2, 2, dtype=m.bool)),
    "lp_pool norm None": lambda m: m.nn.LPPool1d(None, 2)(m.ones(1, 1, 2)),
    # alpha dropout layers never pass inplace on; adaptive max pooling's order; empty batch norm
    "AlphaDropout layer ignores inplace": lambda m: m.nn.AlphaDropout(0.0, True)(m.ones(3, 3, requires_grad=True)),
    "adaptive max pool: empty dims before negative sizes": lambda m: m.nn.functional.adaptive_max_pool2d(
        m.ones(3, 1, 0, 4), -1),
    "adaptive max pool: negative size at allocation": lambda m: m.nn.functional.adaptive_max_pool1d(
        m.ones(3, 2, 4), -1),
    "batch norm of an empty input ignores statistics sizes": lambda m: m.nn.BatchNorm1d(1)(m.zeros(5, 0)),
    "instance norm of zero channels, running statistics view": lambda m: m.nn.InstanceNorm1d(
        3, track_running_stats=True)(m.zeros(4, 0, 3)),
    # layers the widened fuzz reached: extra activations, padding layers, bool arithmetic
    "prelu dtype promotion refused": lambda m: m.nn.functional.prelu(m.ones(5, dtype=m.float64), m.ones(2)),
    "glu dim checked first, integer refused": lambda m: m.nn.functional.glu(m.ones(5, 4, dtype=m.int64), 2),
    "glu of an empty integer input": lambda m: m.nn.functional.glu(m.ones(0, 4, dtype=m.int64)),
    "softshrink of integers before lambda": lambda m: m.nn.functional.softshrink(m.ones(2, dtype=m.uint8), -1),
    "hardshrink of integers": lambda m: m.nn.functional.hardshrink(m.ones(0, dtype=m.int64)),
    "logsigmoid kernel name": lambda m: m.nn.functional.logsigmoid(m.ones(2, dtype=m.bool)),
    "abs of bools": lambda m: m.ones(2, dtype=m.bool).abs(),
    "bool subtraction": lambda m: m.tensor([True]) - 1,
    "two bools subtracted": lambda m: m.tensor([True]) - m.tensor([False]),
    "reflection pad to nothing in every dim": lambda m: m.nn.ReflectionPad2d(-1)(m.ones(1, 1, 1, 1)),
    "replication pad to nothing in every dim": lambda m: m.nn.ReplicationPad2d(-1)(m.ones(1, 1, 2, 2)),
    "reflection pad sizes before bool dtype": lambda m: m.nn.ReflectionPad2d((-2, 1, 2, -2))(
        m.ones(1, 2, 4, dtype=m.bool)),
    "constant pad value beyond uint8": lambda m: m.nn.ConstantPad1d(1, value=300)(m.ones(1, 2, dtype=m.uint8)),
    "constant pad NaN into int64": lambda m: m.nn.ConstantPad1d(1, value=float("nan"))(m.ones(1, 2, dtype=m.int64)),
    "padding layer of None": lambda m: m.nn.ConstantPad1d(None, value=1.5)(m.ones(3, 1, 5, 2)),
    "padding layer of a float": lambda m: m.nn.ReflectionPad2d(2.5)(m.ones(1, 1, 4, 4)),
    "3-d pooling rank before padding": lambda m: m.nn.AvgPool3d((2, 1, 1), padding=1)(m.ones(2, 1, 1, 1, 4, 3)),
    "2-d max pooling rank before padding": lambda m: m.nn.MaxPool2d((2, 1), padding=1)(m.ones(4, 3)),
    "lp_pool stride beyond a C int": lambda m: m.nn.LPPool2d(1, (1, 2), 10**12)(m.ones(2, 1, 5, 2)),
    "rms_norm of integers": lambda m: m.nn.RMSNorm(5)(m.ones(2, 5, dtype=m.int64)),
    "rms_norm keeps a half input's dtype": lambda m: m.nn.RMSNorm(2)(m.ones(3, 2, dtype=m.float16)),
    "rms_norm half gradients accumulated in float": lambda m: (lambda x, n: (n(x).sum().backward(), x.grad,
                                                                            n.weight.grad)[1:])(
        m.tensor(np.random.default_rng(0).uniform(-2, 2, (3, 4)).astype(np.float16), requires_grad=True),
        m.nn.RMSNorm(4)),
    "elu family gradient at NaN in torch's vector blocks": lambda m: [
        _grad_of(m, lambda m, x: getattr(m.nn.functional, name)(x), [NAN] + [-1.0] * 47 + [NAN], "float32")[1]
        for name in ("elu", "celu", "selu")],
    "shrink gradients at NaN: vector blocks and tail": lambda m: [
        _grad_of(m, lambda m, x: getattr(m.nn.functional, name)(x), [NAN] + [0.3] * 15 + [NAN], "float32")[1]
        for name in ("softshrink", "hardshrink")],
    "huge constant pad refused before allocating": lambda m: m.nn.ZeroPad3d(10**12)(m.ones(4, 2, 2, 4, 3)),
    "constant pad value unchecked without a fill": lambda m: m.nn.ConstantPad1d(0, -2)(m.ones(4, 1, 2, dtype=m.uint8)),
    "ConstantPad1d names itself": lambda m: m.nn.ConstantPad1d(2),
    "replication pad sizes before bool dtype": lambda m: m.nn.ReplicationPad2d((1, 1, -1, -2))(
        m.ones(1, 2, 1, 4, dtype=m.bool)),
    "huge replication pad refused before its tables": lambda m: m.nn.ReplicationPad3d(10**12)(m.ones(4, 2, 2, 4, 3)),
    "channel_shuffle groups parsed as an int": lambda m: m.nn.ChannelShuffle(2.0)(m.ones(1, 4, 2)),
    "adaptive avg pool 3d: empty channels refused before the rank": lambda m: m.nn.functional.adaptive_avg_pool3d(
        m.ones(5, 3, 5, 5, 1, 0), (2, 3, 4)),
    "adaptive max pool: return_indices None": lambda m: m.nn.AdaptiveMaxPool1d(3, None)(m.ones(2, 1, 5)),
    "conv_transpose huge padding: C-int check, then the allocator": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(1, 2, 2), m.ones(2, 3, 2), padding=10**12),
    "conv_transpose huge padding: too small with C-int sizes": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 2, 3, 3, dtype=m.float64), m.ones(2, 3, 2, 2, dtype=m.float64), padding=(5, 10**12)),
    # seed 61 (session 7): 'same'/'valid' casts any bias, checks in torch's per-element or per-gradient order
    "conv with padding 'same' casts a bias of another dtype": lambda m: _grad_of(
        m, lambda m, b: m.nn.functional.conv2d(m.ones(1, 2, 4, 4), m.ones(2, 2, 3, 3), b, padding="same"), [1.0, 2.0]),
    "conv with padding 'valid' casts a float bias into an integer output": lambda m: m.nn.functional.conv1d(
        m.ones(1, 2, 5, dtype=m.int64), m.ones(3, 2, 2, dtype=m.int64), m.full((3,), 1.5), padding="valid"),
    "conv with an uneven 'same' padding names the padded input": lambda m: m.nn.Conv2d(3, 1, (3, 2), padding="same")(
        m.ones(1, 4, 5, 4)),
    "hardswish gradient at NaN (vector blocks)": lambda m: _grad_of(
        m, lambda m, x: m.nn.functional.hardswish(x), [NAN] * 40, "float32"),
    "binary_cross_entropy: the first element out of range names input or target": lambda m: (
        m.nn.functional.binary_cross_entropy(m.tensor([0.5, NAN]), m.tensor([-1.0, 0.5]))),
    "huber_loss of mixed dtypes: the first gradient's dtype expected": lambda m: (lambda t: (
        m.nn.functional.huber_loss(m.ones(3), t).backward()))(_leaf(m, [0.0, 1.0, 2.0], "float64")),
    "linear of a strided 1-d input goes through matmul": lambda m: m.nn.Linear(2, 3)(
        m.ones(4, dtype=m.bool)[::2]),
    "max_unpool with a NaN stride": lambda m: m.nn.MaxUnpool1d(2, NAN)(m.ones(1, 2), m.zeros(1, 2, dtype=m.int64)),
    "max_unpool3d parses stride and padding": lambda m: m.nn.MaxUnpool3d(2, 2, True)(
        m.ones(1, 1, 2, 2, 2, dtype=m.int64), m.zeros(1, 1, 2, 2, 2, dtype=m.int64)),
    "rms_norm parses eps": lambda m: m.nn.RMSNorm(1, [2])(m.ones(1)),
    "threshold in place names threshold_": lambda m: m.nn.Threshold([2], 1.0, -1)(m.ones(2)),
    "layer norm of a short row whose mean squared overflows (NaN, as torch's moments)": lambda m: (
        m.nn.functional.layer_norm(m.tensor([[0.5, 1e30], [1.0, 2.0]]), (2,)),
        m.nn.functional.group_norm(m.tensor([[[0.5, 1e30]]]), 1)),
    "circular pad with mixed signs: the copies in torch's order": lambda m: (lambda t: (
        m.nn.functional.pad(t, (2, -1, 1, 0), mode="circular").backward(m.ones(2, 2, 4, 4)), t.grad)[1])(
        _leaf(m, np.arange(24.0).reshape(2, 2, 3, 3))),
    "circular pad with mixed signs: a pad behind its overlapping source": lambda m: (lambda t: (
        m.nn.functional.pad(t, (2, -1), mode="circular").backward(m.arange(12.0).reshape(2, 1, 6)), t.grad)[1])(
        _leaf(m, np.arange(10.0).reshape(2, 1, 5))),
    "circular pad: copy_'s broadcast error, the last dim first": lambda m: m.nn.functional.pad(
        m.ones(2, 2, 3, 4), (4, -5, 1, -4), mode="circular"),
    "nll_loss of a permuted 4-d input: torch's backward wants a contiguous gradient": lambda m: (lambda x: (
        m.nn.functional.nll_loss(x.transpose(-1, -2), m.zeros(2, 3, 2, dtype=m.int64)).backward()))(
        _leaf(m, np.ones((2, 4, 2, 3)))),
    "cross_entropy of a permuted 4-d input (log_softmax's result is contiguous)": lambda m: (lambda x: (
        m.nn.functional.cross_entropy(x.transpose(-1, -2), m.zeros(2, 3, 2, dtype=m.int64)).backward(), x.grad)[1])(
        _leaf(m, np.ones((2, 4, 2, 3)))),
    "result layouts: relu keeps a permuted input's, softmax and sums are contiguous": lambda m: (lambda x: [
        x.relu().stride(), x.softmax(1).stride(), x.sum(1).stride(), x.mean(1, keepdim=True).stride()])(
        m.ones(2, 3, 4, 5).transpose(-1, -2)),
    "nn.init and module construction count their in-place writes in the versions": lambda m: (lambda w: [
        w._version, m.nn.init.orthogonal_(w)._version, m.nn.init.sparse_(w, 0.5)._version,
        [b._version for b in m.nn.BatchNorm1d(2).buffers()]])(m.nn.Linear(2, 3).weight),
    "transposed conv: kernel checks after the channels, none for an empty batch": lambda m: [
        m.nn.functional.conv_transpose2d(m.ones(0, 2, 3, 3), m.ones(2, 3, 2, 1), output_padding=(0, 1)).shape],
    "transposed conv: an empty batch with an empty weight": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(0, 2, 3, 3), m.ones(2, 0, 1, 1)),
    "transposed conv: the channel check before the output padding's": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 3, 3, 3), m.ones(2, 3, 2, 1), output_padding=(0, 1)),
    "transposed conv: zero out channels refused by the kernel": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(2, 2, 3, dtype=m.float64), m.ones(2, 0, 3, dtype=m.float64), stride=2, padding=1),
    "transposed conv: oneDNN's refusal of an empty kernel": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(2, 2, 3, 3), m.ones(2, 3, 0, 1)),
    "transposed conv 3-d: an empty weight's words": lambda m: m.nn.functional.conv_transpose3d(
        m.ones(1, 2, 3, 3, 3), m.ones(2, 3, 0, 1, 1)),
    "dilated conv of 8-bit integers is not implemented": lambda m: m.nn.functional.conv2d(
        m.ones(1, 1, 5, 5, dtype=m.uint8), m.ones(1, 1, 2, 2), dilation=2),
    "cross_entropy with a wrong weight on a spatial input: the short words": lambda m: (
        m.nn.functional.cross_entropy(m.ones(3, 3, 4), m.zeros(3, 4, dtype=m.int64), weight=m.ones(2))),
    "nll_loss ignores the value of an ignored target": lambda m: _grad_of(
        m, lambda m, x: m.nn.functional.nll_loss(x, m.tensor([1, 0]), ignore_index=1, reduction="sum"),
        [[NAN, 0.5], [INF, -1.0]], "float32"),
    "max_unpool: torch's Python (a str kernel, a short stride) and the native order": lambda m: [
        m.nn.MaxUnpool1d((3,), "x")(m.ones(2, 3, 5), m.zeros(2, 3, 5, dtype=m.int64))],
    "max_unpool: an empty kernel reaches the native size check": lambda m: m.nn.MaxUnpool2d(())(
        m.ones(1, 1, 4, 2), m.zeros(1, 1, 4, 2, dtype=m.int64)),
    "max_unpool: the dtype before the indices' values": lambda m: m.nn.MaxUnpool1d(2, 1, padding=1)(
        m.ones(3, 1, 3, dtype=m.int32), m.full((3, 1, 3), 2, dtype=m.int64)),
    "max_unpool: the backward of an empty output gathers out of bounds": lambda m: (lambda x: (m.nn.functional.max_unpool2d(
        x, m.ones(5, 2, 1, dtype=m.int64), (3, 2), padding=(1, 1)).sum().backward()))(_leaf(m, np.ones((5, 2, 1)))),
    "tensor == str is False, tensor < str Python's TypeError": lambda m: [m.tensor(2) == "none", m.tensor(2) != "x",
                                                                     m.nn.NLLLoss(reduction=m.tensor(2))],
    "tensor += str: the in-place operator answers NotImplemented, Python's TypeError": lambda m: (
        lambda x: exec("x += 'a'", {"x": x}))(m.zeros(2)),
    "hardshrink/softshrink with a NaN lambda (hardshrink's scalar tail passes the gradient)": lambda m: [
        _grad_of(m, lambda m, x: m.nn.functional.hardshrink(x, NAN), np.linspace(-2, 2, 100)),
        m.nn.functional.softshrink(m.ones(3), NAN)],
    "batch_norm takes 0-d tensors as momentum and eps": lambda m: (lambda layer: (layer(m.ones(3, 1, 3, 2)),
                                                                               layer.running_mean))(
        m.nn.BatchNorm2d(1, m.tensor(2.0), momentum=m.tensor(2.0), affine=False)),
    "batch_norm refuses a momentum tensor that needs a gradient": lambda m: m.nn.functional.batch_norm(
        m.ones(3, 1, 2), m.zeros(1), m.ones(1), training=True, momentum=m.tensor(0.1, requires_grad=True)),
    "adaptive max pool takes a 0-d tensor as its size": lambda m: m.nn.AdaptiveMaxPool1d(m.tensor(2), True)(
        m.ones(1, 2, 4)),
    "glu parses dim as an int": lambda m: m.nn.functional.glu(m.ones(2, 4), float("nan")),
    "Bilinear checks in1_features once its weight exists": lambda m: m.nn.Bilinear(-10**12, 3, 2),
    "lp_pool1d: avg_pool1d's parser wants one int": lambda m: m.nn.functional.lp_pool1d(m.ones(2, 2, 6), 0.5, (), 3),
    "pooling kernels of a channels-last input name themselves so": lambda m: m.nn.functional.avg_pool1d(
        m.ones(3, 4, 2, dtype=m.int32).transpose(1, 2), 2),
    "adaptive max pooling's backward refuses an empty output": lambda m: (lambda x: (
        m.nn.functional.adaptive_max_pool1d(x, 0).sum().backward()))(_leaf(m, np.ones((4, 1, 3)))),
    "conv with an empty kernel: the shape checks first, then the backend's words": lambda m: [
        m.nn.functional.conv1d(m.ones(1, 4, 5), m.ones(3, 1, 0))],
    "conv with an empty kernel on a double batch: the slow kernel's words": lambda m: m.nn.functional.conv2d(
        m.ones(2, 1, 5, 5, dtype=m.float64), m.ones(3, 1, 0, 1, dtype=m.float64)),
    "conv with an empty kernel on a float batch: oneDNN's words": lambda m: m.nn.functional.conv1d(
        m.ones(2, 1, 5), m.ones(3, 1, 0)),
    "conv of an empty batch with an empty kernel": lambda m: m.nn.functional.conv1d(m.ones(0, 1, 5), m.ones(3, 1, 0)),
    "softplus gradient with an infinite beta (torch's z / (z + 1))": lambda m: _grad_of(
        m, lambda m, x: m.nn.functional.softplus(x, float("inf"), float("inf")), [-1.5, 0.0, 0.3, 1.7], "float32"),
    "linear without bias (matmul): the shapes before the dtypes": lambda m: m.nn.Linear(2, 3, bias=False)(
        m.ones(9, 3, dtype=m.float64)),
    "linear with bias (addmm): the dtypes before the shapes": lambda m: m.nn.Linear(2, 3)(m.ones(9, 3, dtype=m.float64)),
    "celu parses alpha as a Number (a 0-d tensor too)": lambda m: [m.nn.functional.celu(m.ones(2), m.tensor(1.0)),
                                                                  m.nn.functional.celu(m.ones(2), (1,))],
    "adaptive avg pooling's channels-last kernel name": lambda m: m.nn.functional.adaptive_avg_pool2d(
        m.ones(2, 4, 5, 3, dtype=m.uint8).permute(0, 3, 1, 2), 2),
    "shrinks parse lambd as a Number": lambda m: [m.nn.functional.hardshrink(m.ones(2), m.tensor(0.5)),
                                                  m.nn.Hardshrink(None)(m.ones(2))],
    "softshrink parses lambd before the range check": lambda m: m.nn.functional.softshrink(m.ones(2), (1,)),
    "adaptive 1-d pooling checks the rank before the size's length": lambda m: m.nn.functional.adaptive_avg_pool1d(
        m.ones(1, 2, 3, 5), (1, 2)),
    "in-place elu/leaky_relu parse as elu_/leaky_relu_": lambda m: m.nn.LeakyReLU((2, None), True)(m.ones(2, 3)),
    "max_pool1d with indices: its parser wants one int each": lambda m: m.nn.MaxPool1d(3, 1, padding=(1, 2, 3, 4),
                                                                                    return_indices=True)(m.ones(5, 2, 5)),
    "max_pool1d's dilation words": lambda m: m.nn.functional.max_pool1d(m.ones(5, 2, 5), 3, dilation=(1, 1)),
    "in-place dropout writes into its input (p=1: zeros)": lambda m: [
        (lambda x: (getattr(m.nn.functional, name)(x, 1.0, True, inplace=True) is x, x, x._version,
                    x.grad_fn.name()))(_leaf(m, np.ones((2, 3, 4))) * 2)
        for name in ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d")],
    "dropout of an empty input returns it; unbatched channel dropout squeezes": lambda m: [
        m.nn.functional.dropout(x, 0.5) is x for x in (m.ones(0, 3), m.ones(0, 3, dtype=m.int64))] + [
        m.nn.functional.dropout3d(_leaf(m, np.ones((3, 4, 2))) * 2, p).grad_fn.name() for p in (0.0, 0.5)] + [
        m.nn.functional.dropout1d(_leaf(m, np.ones((3, 4))) * 2, 0.5, False).grad_fn.name()],
    "in-place view ops name their nodes apart": lambda m: [
        (lambda x: (eval("x." + call, {"x": x}), x.grad_fn.name(), x._version)[1:])(_leaf(m, np.ones((1, 2, 1))) * 2)
        for call in ("unsqueeze_(0)", "squeeze_(0)", "squeeze_()", "squeeze_((0,))", "transpose_(0, 1)")] + [
        (_leaf(m, np.ones((1, 2, 1))) * 2).squeeze((0, 2)).grad_fn.name()],
    "conv backends: oneDNN's words for a float32 input and a weight of another dtype": lambda m: (
        m.nn.functional.conv2d(m.ones(1, 2, 4, 4), m.ones(2, 1, 3, 3, dtype=m.float64), groups=2)),
    "conv backends: the slow kernel's words for a small single float32 image": lambda m: (
        m.nn.functional.conv2d(m.ones(1, 1, 4, 4), m.ones(3, 1, 3, 3, dtype=m.float64))),
    "transposed conv backends: oneDNN for one image with groups": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 6, 1, 1), m.ones(6, 1, 3, 2), padding=(1, 2), groups=2),
    "conv of an empty batch checks no dtype (a 0-d weight lifts only the kind)": lambda m: [
        m.nn.functional.conv2d(m.zeros(0, 1, 4, 4, dtype=a), m.ones(3, 1, 3, 3, dtype=b))
        for a, b in ((m.float32, m.float64), (m.int64, m.float32), (m.bool, m.float32))] + [
        m.nn.ConvTranspose1d(2, 6, 3, 2, groups=2)(m.zeros(0, 2, 0, dtype=m.uint8))],
    "conv of no channels: no output channels either": lambda m: (lambda x, w, b: (
        lambda y: (y.sum().backward(), y, x.grad, w.grad, b.grad)[1:])(m.nn.functional.conv2d(x, w, b)))(
        _leaf(m, np.zeros((2, 0, 4, 4))), _leaf(m, np.ones((3, 0, 3, 3))), _leaf(m, np.ones(3))),
    "transposed conv of an empty batch adds its bias in place": lambda m: m.nn.functional.conv_transpose2d(
        m.zeros(0, 1, 4, 4, dtype=m.int64), m.ones(1, 3, 3, 3, dtype=m.int64), m.ones(3)),
    "a huge stride with one window and a huge dilation of a one-wide kernel": lambda m: (lambda x: [
        m.nn.Conv3d(2, 2, (2, 1, 2), 10**12, padding_mode="reflect")(x).shape,
        m.nn.functional.conv2d(x[:, :, 0], m.ones(3, 2, 1, 1), stride=(1, 10**12), dilation=(1, 10**12)),
        m.nn.functional.conv_transpose2d(x[:, :, 0, :1, :1], m.ones(2, 3, 3, 3), stride=10**12)])(
        m.arange(90.).reshape(5, 2, 3, 1, 3)),
    "slow transposed conv: a stride that wraps as a C int": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(1, 1, 1, dtype=m.float64), m.ones(1, 3, 3, dtype=m.float64), stride=10**12),
    "channel_shuffle's backward shuffles back with C / groups groups (none for no channels)": lambda m: (
        lambda x: (m.nn.ChannelShuffle(2)(x).sum().backward(), x.grad)[1])(_leaf(m, np.zeros((5, 0, 5)))),
    "cross_entropy smooths only for a positive amount (nan, negative: none)": lambda m: [
        m.nn.functional.cross_entropy(m.zeros(2, 3, dtype=m.float64), m.ones(2, dtype=m.long), label_smoothing=a)
        for a in (float("nan"), -1.0)] + [m.nn.functional.cross_entropy(
            m.zeros(2, 3, dtype=m.float64), m.ones(2, 3, dtype=m.float64), label_smoothing=float("nan"))],
    "adaptive_avg_pool2d checks the sizes before the rank": lambda m: m.nn.AdaptiveAvgPool2d(-10**12)(m.zeros(2, 3)),
    "layer_norm: mixed dtypes, then the shapes, then the kernel's dtypes": lambda m: [
        m.nn.functional.layer_norm(m.zeros(3, 2, 4, dtype=m.uint8), [2], m.ones(2, 4, dtype=m.uint8))],
    "layer_norm: normalized_shape must not be empty": lambda m: m.nn.functional.layer_norm(m.zeros(3, 4), [],
                                                                                          m.ones(4)),
    "layer_norm: a bias of another dtype after the shapes": lambda m: m.nn.functional.layer_norm(
        m.zeros(3, 4), [5], m.ones(4), m.ones(5, dtype=m.float64)),
    "F.layer_norm's normalized_shape is an int list (no plain int)": lambda m: m.nn.functional.layer_norm(
        m.zeros(2, 3), 3),
    "HuberLoss checks delta's type": lambda m: m.nn.HuberLoss(reduction="x", delta="x"),
    "fill_ parses its value (PReLU's init)": lambda m: m.nn.PReLU(1, "x"),
    "fill_ takes a 0-d tensor only": lambda m: m.zeros(2).fill_(m.tensor([1.0])),
    "conv: a negative dilation refused before the shapes": lambda m: m.nn.functional.conv_transpose3d(
        m.zeros(3, 2, 1, 2), m.ones(2, 1, 3, 2, 3), dilation=-1),
    "conv: a zero dilation is the backend's (oneDNN)": lambda m: m.nn.functional.conv2d(
        m.zeros(2, 1, 4, 4), m.ones(3, 1, 0, 2), dilation=0),
    "conv: a zero dilation is the backend's (slow kernels, after the channels)": lambda m: [
        m.nn.functional.conv1d(m.zeros(1, 4), m.ones(3, 1, 2), dilation=0)],
    "conv: a zero dilation with an empty kernel (slow dilated kernel's words)": lambda m: m.nn.functional.conv3d(
        m.zeros(2, 1, 4, 4, 4, dtype=m.float64), m.ones(3, 1, 0, 2, 2, dtype=m.float64), dilation=0),
    "conv: the empty backend takes a zero dilation": lambda m: m.nn.functional.conv2d(
        m.zeros(0, 1, 4, 4), m.ones(3, 1, 2, 2), dilation=0),
    "3-d transposed conv on oneDNN with a zero dilation": lambda m: m.nn.functional.conv_transpose3d(
        m.zeros(2, 1, 4, 4, 4), m.ones(1, 3, 2, 2, 2), dilation=(1, 0, 1)),
    "autograd.grad names the unused input's index": lambda m: (lambda a, b: m.autograd.grad(
        (a * 2).sum(), [a, b, b]))(_leaf(m, [1.0, 2.0]), _leaf(m, [1.0, 2.0])),
    "autograd.grad materialize_grads gives zeros (refused with allow_unused=False)": lambda m: (lambda a, b: [
        m.autograd.grad((a * 2).sum(), [b, a], materialize_grads=True),
        m.autograd.grad((a * 2).sum(), [b, a], materialize_grads=True, allow_unused=False)])(
        _leaf(m, [1.0, 2.0]), _leaf(m, [1.0, 2.0])),
    "backward(inputs=[]) is refused": lambda m: (lambda a: (a * 2).sum().backward(inputs=[]))(_leaf(m, [1.0, 2.0])),
    "detach_ of a view is refused": lambda m: m.ones(3)[:1].detach_(),
    "a checkpoint whose tensor record fails its CRC loads as torch loads it (no CRC check)": lambda m: m.load(
        io.BytesIO(_with_flipped_tensor_byte())),
    "oneDNN's direct kernels never multiply the padding by a NaN weight (float32 batches)": lambda m: [
        getattr(m.nn.functional, f"conv{d}d")(m.ones((2, 4) + (5,) * d), _nan_tap_weight(m, (4, 4 // g) + (3,) * d),
                                              padding=1, groups=g) for d in (1, 2, 3) for g in (1, 4)],
    "oneDNN's GEMM kernel (few channels per group, or padding as wide as the kernel) multiplies it": lambda m: [
        m.nn.functional.conv2d(m.ones(2, 4, 5, 5), _nan_tap_weight(m, (4, 2, 3, 3)), padding=1, groups=2),
        m.nn.functional.conv1d(m.ones(2, 4, 5), _nan_tap_weight(m, (4, 4, 2)), padding=2)],
    "torch's own kernels (double) multiply it": lambda m: m.nn.functional.conv2d(
        m.ones(2, 4, 5, 5, dtype=m.float64), _nan_tap_weight(m, (4, 4, 3, 3), "float64"), padding=1),
    "softplus with a NaN threshold is never linear": lambda m: _grad_of(
        m, lambda m, x: m.nn.functional.softplus(x, 1.0, NAN), [0.5, -3.0, 30.0], "float32"),
    "conv: a weight with fewer filters than groups": lambda m: m.nn.functional.conv2d(
        m.ones(2, 4, 3, 3), m.ones(1, 2, 1, 1), groups=2),
    "fold: a kernel whose size product overflows": lambda m: m.nn.functional.fold(m.ones(4, 2, 4), (2, 2), 10**12),
    "an expand that repeats nothing stays writable": lambda m: (lambda x: (
        m.nn.Hardtanh(0.0, inplace=True)(x.expand(1, 3, 2)), x.expand(1, 1, 3, 2).add_(1), x)[-1])(
        m.tensor(np.linspace(-2, 2, 6).reshape(1, 3, 2))),
    "batch_norm of a 1-d input: the statistics' checks first (num_features 0)": lambda m: [
        m.nn.functional.batch_norm(m.zeros(4), None, None)],
    "batch_norm of a 1-d input: statistics of the wrong size": lambda m: m.nn.functional.batch_norm(
        m.zeros(4), m.ones(3), m.ones(3)),
    "batch_norm of a 1-d input in training: the kernel's dim error": lambda m: m.nn.functional.batch_norm(
        m.zeros(4), None, None, training=True),
    "batch_norm of an empty 1-d input": lambda m: m.nn.functional.batch_norm(m.zeros(0), None, None),
    "zeros() needs a size": lambda m: m.zeros(),
    "threshold_ writes through shared memory (torch skips that check)": lambda m: (lambda base: (
        m.nn.functional.threshold(base.expand(3, 3), 0.6, -7.0, inplace=True), base, base._version)[1:])(
        m.tensor([[0.5, -1.0, 2.0]])),
    "max_pool1d words its output size as a C int": lambda m: m.nn.MaxPool1d(10**12, (2,))(m.zeros(5, 1, 1)),
    "ConvTranspose turns its sizes into tuples before it checks the padding mode": lambda m: m.nn.ConvTranspose1d(
        2, 2, m.tensor(2), padding_mode="circular"),
    # huge results
    "conv of an expanded huge input": lambda m: m.nn.functional.conv2d(
        m.zeros(1, 1, 1, 1).expand(1, 1, 10**6, 10**6), m.ones(1, 1, 3, 3)),
    "dropout of an expanded huge input": lambda m: m.nn.functional.dropout(m.zeros(1, 1).expand(10**6, 10**6), 0.5),
}


# one case per call: a case stops at its first exception
for _name in ("silu", "hardswish", "selu", "mish", "rrelu", "leaky_relu"):
    CASES[f"in-place {_name} on shared memory of bools (overlap before dtype)"] = (
        lambda m, name=_name: getattr(m.nn.functional, name)(m.ones(1, 3, dtype=m.bool).expand(2, 3), inplace=True))
    CASES[f"in-place {_name} on an expanded leaf (leaf before overlap)"] = (
        lambda m, name=_name: getattr(m.nn.functional, name)(_leaf(m, np.ones((1, 3))).expand(2, 3), inplace=True))
for _label, _call in {"leaky_relu_ of longs": lambda F, m: F.leaky_relu_(m.ones(2, dtype=m.int64)),
                      "hardtanh_ of bools": lambda F, m: F.hardtanh_(m.ones(2, dtype=m.bool)),
                      "hardtanh_ of bytes": lambda F, m: F.hardtanh_(m.ones(2, dtype=m.uint8)),
                      "hardtanh_ with min > max": lambda F, m: F.hardtanh_(m.zeros(3), 2.0, 1.0),
                      "rrelu_ of longs (eval: leaky_relu's kernel)": lambda F, m: F.rrelu_(m.ones(2, dtype=m.int64)),
                      "rrelu of longs in training": lambda F, m: F.rrelu(m.ones(2, dtype=m.int64), training=True)}.items():
    CASES[f"F.{_label} as torch's native op"] = lambda m, call=_call: call(m.nn.functional, m)

@pytest.mark.parametrize("name", sorted(CASES))
def test_fixed_mismatch_stays_fixed(name):
    outcome = engine.compare(CASES[name])
    assert outcome.kind == "same", f"{outcome.kind}: {outcome.detail}"
