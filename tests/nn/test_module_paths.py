"""torch.nn.modules by torch's file names (batchnorm, instancenorm, flatten, pixelshuffle...) and the
helpers of torch.nn.modules.utils, as real layer code imports them."""
import importlib

import pytest
import torch.nn.modules.utils as torch_utils

import npconv.nn.modules.utils as utils


@pytest.mark.parametrize("path, name", [("batchnorm", "_BatchNorm"), ("batchnorm", "BatchNorm2d"),
                                        ("instancenorm", "_InstanceNorm"), ("flatten", "Unflatten"),
                                        ("pixelshuffle", "PixelUnshuffle"), ("conv", "_ConvNd"),
                                        ("loss", "_WeightedLoss"), ("pooling", "_MaxPoolNd"),
                                        ("dropout", "_DropoutNd"), ("module", "Module")])
def test_torch_file_names_reach_the_same_classes(path, name):
    module = importlib.import_module(f"npconv.nn.modules.{path}")
    assert getattr(module, name).__name__ == getattr(importlib.import_module(f"torch.nn.modules.{path}"),
                                                    name).__name__


@pytest.mark.parametrize("helper, args", [("_single", (3,)), ("_pair", (3,)), ("_pair", ((1, 2),)),
                                          ("_triple", ([1, 2, 3],)), ("_quadruple", (0,)),
                                          ("_reverse_repeat_tuple", ((1, 2, 3), 2)),
                                          ("_list_with_default", ([None, 3], [1, 2, 5, 6])),
                                          ("_list_with_default", (4, [1, 2]))])
def test_utils_helpers_match_torch(helper, args):
    assert getattr(utils, helper)(*args) == getattr(torch_utils, helper)(*args)


def test_list_with_default_error_and_prefix_consumption():
    with pytest.raises(ValueError, match="^Input dimension should be at least 3$"):
        utils._list_with_default([None, 3], [1, 2])
    ours, theirs = ({"module.a": 1, "module.b.c": 2, "x": 3} for _ in range(2))
    utils.consume_prefix_in_state_dict_if_present(ours, "module.")
    torch_utils.consume_prefix_in_state_dict_if_present(theirs, "module.")
    assert ours == theirs


def test_nn_utils_stays_torch_nn_utils():
    import npconv.nn as nn
    assert nn.utils.__name__ == "npconv.nn.utils" and callable(nn.utils.clip_grad_norm_)
    assert nn.modules.utils.__name__ == "npconv.nn.modules.utils"
    assert not hasattr(nn, "batchnorm")   # torch.nn has no such attribute either
