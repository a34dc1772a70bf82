"""Batches of torch and npconv in one comparable form, for the data tests."""
import collections.abc

import numpy as np
import torch

import npconv


def plain(value):
    """``value`` with every tensor replaced by ("tensor", dtype name, shape, values) and containers kept
    with their type name, so that ``plain(torch_batch) == plain(npconv_batch)`` checks structure, dtypes
    and values at once."""
    if isinstance(value, (torch.Tensor, npconv.Tensor)):
        return ("tensor", str(value.dtype).replace("torch.", ""), tuple(value.shape), value.tolist())
    if isinstance(value, collections.abc.Mapping):
        return (type(value).__name__, {key: plain(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(item) for item in value])
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.tolist())
    return value


def epoch(loader):
    """Every batch of one pass over ``loader``, in plain form."""
    return [plain(batch) for batch in loader]
