"""The benchmark suite: the shapes of issue 12 as ``Case``s, and one runner per library that computes a case
(``fn(backward) -> output ndarray``) so that every library runs the same float32 arrays."""
import dataclasses
import importlib.util
import math
import tracemalloc

import numpy as np

from .timing import time_median, time_pair

__all__ = ["Case", "SUITE", "arrays", "npconv_runner", "torch_runner", "OTHER_LIBRARIES", "RUNNERS", "installed",
           "peak_extra_bytes", "run_case", "run_suite"]


@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmark shape: ``conv`` or ``conv_transpose`` with torch's keyword arguments."""
    name: str
    op: str
    input_shape: tuple
    weight_shape: tuple
    options: dict = dataclasses.field(default_factory=dict)

    @property
    def dims(self):
        return len(self.input_shape) - 2

    def macs(self, out_shape):
        """Multiply-accumulates of the forward pass (the same count for a transposed conv's scatter)."""
        weight_per_output = math.prod(self.weight_shape[1:])
        if self.op == "conv":
            return math.prod(out_shape) * weight_per_output
        return math.prod(self.input_shape) * weight_per_output


SUITE = (
    Case("3x3 mid-channel", "conv", (8, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
    Case("5x5 few-channel", "conv", (32, 6, 32, 32), (16, 6, 5, 5), dict(padding=2)),
    Case("7x7 stride-2 stem", "conv", (4, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
    Case("3x3 stride-2", "conv", (8, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1)),
    Case("depthwise 3x3", "conv", (8, 128, 56, 56), (128, 1, 3, 3), dict(padding=1, groups=128)),
    Case("grouped 3x3 g=4", "conv", (8, 128, 28, 28), (128, 32, 3, 3), dict(padding=1, groups=4)),
    Case("dilated 3x3 d=2", "conv", (8, 64, 56, 56), (64, 64, 3, 3), dict(padding=2, dilation=2)),
    Case("1x1", "conv", (8, 256, 28, 28), (128, 256, 1, 1), {}),
    Case("1-d audio k=9", "conv", (4, 16, 16000), (32, 16, 9), dict(padding=4)),
    Case("3-d video 3x3x3", "conv", (2, 16, 8, 32, 32), (32, 16, 3, 3, 3), dict(padding=1)),
    Case("transposed 2x up", "conv_transpose", (8, 64, 28, 28), (64, 32, 4, 4), dict(stride=2, padding=1)),
    Case("LeNet conv1", "conv", (64, 1, 28, 28), (20, 1, 5, 5), {}),
)


def arrays(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.input_shape, dtype=np.float32)
    fan_in = math.prod(case.weight_shape[1:])
    w = (rng.standard_normal(case.weight_shape, dtype=np.float32) / math.sqrt(fan_in)).astype(np.float32)
    return x, w


# ---------------------------------------------------------------------------------------------------
# Library runners: each returns fn(backward) -> output ndarray, or None when the library cannot run it


def npconv_runner(case, x, w):
    import npconv
    import npconv.nn.functional as F
    op = getattr(F, f"{case.op}{case.dims}d")

    def call(backward):
        xt, wt = npconv.from_numpy(x), npconv.from_numpy(w)
        if not backward:
            with npconv.no_grad():
                return op(xt, wt, **case.options).numpy()
        xt.requires_grad = wt.requires_grad = True
        y = op(xt, wt, **case.options)
        y.sum().backward()
        return y.detach().numpy() if hasattr(y, "detach") else y.numpy()
    return call


def torch_runner(case, x, w):
    import torch
    import torch.nn.functional as TF
    op = getattr(TF, f"{case.op}{case.dims}d")

    def call(backward):
        xt, wt = torch.from_numpy(x), torch.from_numpy(w)
        if not backward:
            with torch.no_grad():
                return op(xt, wt, **case.options).numpy()
        xt.requires_grad_()
        wt.requires_grad_()
        y = op(xt, wt, **case.options)
        y.sum().backward()
        return y.detach().numpy()
    return call


def _mygrad_runner(case, x, w):
    import mygrad
    from mygrad.nnet.layers import conv_nd
    opts = case.options
    if case.op != "conv" or opts.get("groups", 1) != 1:
        return None
    dims = case.dims
    stride, padding, dilation = (opts.get(k, default) for k, default in (("stride", 1), ("padding", 0),
                                                                          ("dilation", 1)))

    def call(backward):
        xt, wt = mygrad.tensor(x), mygrad.tensor(w)
        y = conv_nd(xt, wt, stride=stride, padding=(padding,) * dims, dilation=dilation)
        if backward:
            y.sum().backward()
        return np.asarray(y.data)
    return call


def _tinygrad_runner(case, x, w):
    from tinygrad import Tensor
    opts = case.options

    def call(backward):
        xt, wt = Tensor(x), Tensor(w)
        if backward:
            xt.requires_grad = wt.requires_grad = True
        if case.op == "conv":
            y = xt.conv2d(wt, groups=opts.get("groups", 1), stride=opts.get("stride", 1),
                          dilation=opts.get("dilation", 1), padding=opts.get("padding", 0))
        else:
            y = xt.conv_transpose2d(wt, stride=opts.get("stride", 1), padding=opts.get("padding", 0))
        if backward:
            y.sum().backward()
            xt.grad.realize()
            wt.grad.realize()
        return y.numpy()
    return call


OTHER_LIBRARIES = {"mygrad": _mygrad_runner, "tinygrad": _tinygrad_runner}
RUNNERS = {"npconv": npconv_runner, "torch": torch_runner, **OTHER_LIBRARIES}


def installed(module):
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def peak_extra_bytes(fn):
    """Peak bytes NumPy allocates during ``fn()`` (tracemalloc sees NumPy's data buffers)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_case(case, backward=False, repeat=7, libraries=(), measure_memory=True, interleave=False):
    """Time one case; returns a dict of the row's figures (seconds, GFLOP/s, ratios, error, memory)."""
    x, w = arrays(case)
    npconv_call = npconv_runner(case, x, w)
    y = npconv_call(backward)
    row = dict(case=case, backward=backward, out_shape=y.shape)
    flops = 2 * case.macs(y.shape) * (3 if backward else 1)
    row["memory"] = peak_extra_bytes(lambda: npconv_call(backward)) if measure_memory else None
    row["io_bytes"] = x.nbytes + w.nbytes + y.nbytes
    if installed("torch"):
        torch_call = torch_runner(case, x, w)
        expected = torch_call(backward)
        row["npconv"], row["torch"] = time_pair(lambda: npconv_call(backward), lambda: torch_call(backward),
                                                repeat, interleave)
        row["error"] = float(np.abs(y - expected).max() / max(1e-30, np.abs(expected).max()))
    else:
        row["npconv"] = time_median(lambda: npconv_call(backward), repeat)
    row["gflops"] = flops / row["npconv"] / 1e9
    for name in libraries:
        row[name] = _time_other(name, case, x, w, backward, repeat)
    return row


def _time_other(name, case, x, w, backward, repeat):
    try:
        call = OTHER_LIBRARIES[name](case, x, w)
        if call is None:
            return None
        return time_median(lambda: call(backward), max(3, repeat // 2))
    except Exception:  # a library that cannot run a case is left blank, not fatal
        return None


def run_suite(cases=SUITE, backward=False, repeat=7, libraries=(), progress=None, interleave=False):
    rows = []
    for case in cases:
        rows.append(run_case(case, backward, repeat, libraries, interleave=interleave))
        if progress:
            progress(rows[-1])
    return rows


