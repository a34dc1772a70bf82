"""Random layer stacks, built in torch and npconv from one source: summary vs torchinfo, totals vs ptflops."""
import io
import math

import ptflops
import torchinfo
from hypothesis import given

from npconv.arithmetic import summary
from npconv.arithmetic.complexity import get_model_complexity_info

from tests.strategies import sequential_stacks
from .twins import build_both


@given(sequential_stacks())
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
