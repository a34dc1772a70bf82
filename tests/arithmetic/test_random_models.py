"""Random layer stacks, built in torch and npconv from one source: summary vs torchinfo, totals vs ptflops."""
import io
import math

import ptflops
import torchinfo
from hypothesis import assume, given, strategies as st

from npconv.arithmetic import conv_output_size, conv_transpose_output_size, pool_output_size, summary
from npconv.arithmetic.complexity import get_model_complexity_info

from .twins import build_both


@st.composite
def stacks(draw):
    """Source text of an nn.Sequential of 2-d layers whose sizes stay positive, and its input size."""
    channels, size = draw(st.integers(1, 4)), draw(st.integers(6, 24))
    input_size = (draw(st.integers(1, 2)), channels, size, size)
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "transposed", "pool", "avg", "bn", "relu", "up"]))
        if kind in ("conv", "transposed"):
            groups = draw(st.sampled_from([1, channels]))
            out = groups * draw(st.integers(1, 3))
            k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            p, bias = draw(st.integers(0, 2)), draw(st.booleans())
            if kind == "conv":
                size = conv_output_size(size, k, s, p, d)
                layers.append(f"nn.Conv2d({channels}, {out}, {k}, {s}, {p}, {d}, groups={groups}, bias={bias})")
            else:
                op = draw(st.integers(0, max(s, d) - 1))
                size = conv_transpose_output_size(size, k, s, p, op, d)
                layers.append(f"nn.ConvTranspose2d({channels}, {out}, {k}, {s}, {p}, {op}, groups={groups}, "
                              f"bias={bias}, dilation={d})")
            channels = out
        elif kind in ("pool", "avg"):
            k = draw(st.integers(1, 3))
            s, p, ceil = draw(st.integers(1, 3)), draw(st.integers(0, k // 2)), draw(st.booleans())
            size = pool_output_size(size, k, s, p, 1, ceil)
            layer = "MaxPool2d" if kind == "pool" else "AvgPool2d"
            layers.append(f"nn.{layer}({k}, {s}, {p}, ceil_mode={ceil})")
        elif kind == "bn":
            assume(input_size[0] * size * size > 1)    # torch refuses to train BatchNorm on one value
            layers.append(f"nn.BatchNorm2d({channels}, affine={draw(st.booleans())})")
        elif kind == "relu":
            layers.append("nn.ReLU()")
        else:
            size = size * 2
            layers.append("nn.Upsample(scale_factor=2)")
        assume(0 < size <= 64)
    source = "import npconv.nn as nn\ndef build():\n    return nn.Sequential(" + ", ".join(layers) + ")\n"
    return source, input_size


@given(stacks())
def test_random_stack_matches_torchinfo_and_ptflops(case):
    source, input_size = case
    ours_model, torch_model = build_both(source)
    ours = summary(ours_model, input_size)
    theirs = torchinfo.summary(torch_model, input_size=input_size, verbose=0)
    assert ours.total_params == theirs.total_params
    assert [r.output_shape for r in ours.layers] == [tuple(i.output_size) for i in theirs.summary_list]
    expected = 0
    for info in theirs.summary_list[1:]:
        m = info.module
        if type(m).__name__ == "Conv2d":
            expected += math.prod(info.output_size) * m.in_channels // m.groups * math.prod(m.kernel_size)
        elif type(m).__name__ == "ConvTranspose2d":
            expected += math.prod(info.input_size) * m.out_channels // m.groups * math.prod(m.kernel_size)
    assert ours.total_mult_adds == expected
    res = tuple(input_size[1:])
    for backend in ("pytorch", "aten"):
        mine = get_model_complexity_info(ours_model, res, as_strings=False, print_per_layer_stat=False,
                                         backend=backend)
        ref = ptflops.get_model_complexity_info(torch_model, res, as_strings=False, print_per_layer_stat=False,
                                                backend=backend, ost=io.StringIO())
        assert ref != (None, None), "ptflops could not run the torch twin"
        assert mine == ref
