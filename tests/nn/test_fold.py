"""unfold / fold / Unfold / Fold (npconv/nn/functional/fold.py, npconv/nn/modules/fold.py, the im2col kernel's
unfold and fold) against torch: values, gradients, grad_fn names, reprs, errors word for word."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given

import npconv
import npconv.nn.functional as F
from tests.strategies import fold_arguments
from tests.torch_compare import (ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error,
                                 assert_shape_only_matches_torch, torch_accepts)

HYPER = ("kernel_size", "dilation", "padding", "stride")


def _compare(call, arrays):
    """Values and gradients when torch accepts the call, else the same exception type and text."""
    if torch_accepts(call, arrays):
        return assert_matches_torch(call, arrays, atol=ABSOLUTE_TOLERANCE)
    return assert_same_error(call, arrays, same_message=True)


@given(case=fold_arguments())
def test_unfold_matches_torch(case):
    hyper = {name: case[name] for name in HYPER}
    result = _compare(lambda m, x: m.nn.functional.unfold(x, **hyper), [case["image"]])
    if isinstance(result[0], npconv.Tensor):
        assert type(result[0].grad_fn).__name__ == type(result[1].grad_fn).__name__ == "Im2ColBackward0"


@given(case=fold_arguments())
def test_fold_matches_torch(case):
    hyper = {name: case[name] for name in HYPER}
    result = _compare(lambda m, x: m.nn.functional.fold(x, case["output_size"], **hyper), [case["columns"]])
    if isinstance(result[0], npconv.Tensor):
        assert type(result[0].grad_fn).__name__ == type(result[1].grad_fn).__name__ == "Col2ImBackward0"


@given(case=fold_arguments(invalid_share=None))
def test_modules_match_torch_and_fold_is_unfolds_adjoint(case):
    hyper = {name: case[name] for name in HYPER}
    assert_matches_torch((npconv.nn.Unfold(**hyper), torch.nn.Unfold(**hyper)), [case["image"]],
                         atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((npconv.nn.Fold(case["output_size"], **hyper), torch.nn.Fold(case["output_size"], **hyper)),
                         [case["columns"]], atol=ABSOLUTE_TOLERANCE)
    # <unfold(x), c> == <x, fold(c)>
    x, c = npconv.from_numpy(case["image"]), npconv.from_numpy(case["columns"])
    left = float((F.unfold(x, **hyper) * c).sum())
    right = float((x * F.fold(c, case["image"].shape[-2:], **hyper)).sum())
    assert np.isclose(left, right, rtol=1e-4)


@given(case=fold_arguments(invalid_share=None))
def test_shape_only(case):
    hyper = {name: case[name] for name in HYPER}
    assert_shape_only_matches_torch(lambda m, x: m.nn.functional.unfold(x, **hyper), [case["image"]])
    assert_shape_only_matches_torch(lambda m, c: m.nn.functional.fold(c, case["output_size"], **hyper),
                                    [case["columns"]])


def test_reprs():
    assert repr(npconv.nn.Unfold(2, padding=1)) == repr(torch.nn.Unfold(2, padding=1))
    assert repr(npconv.nn.Fold((4, 5), (2, 3), stride=2)) == repr(torch.nn.Fold((4, 5), (2, 3), stride=2))


def x(*shape, dtype=np.float32):
    return np.ones(shape, dtype=dtype)


@pytest.mark.parametrize("call, arrays", [
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(2, 3, 4, 5, 6)]),                       # rank 5
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(2, 3)]),                                # IndexError
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(3)]),
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(2, 0)]),
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(2, 3, 4, 0)]),
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(0, 4, 5)]),
    (lambda m, t: m.nn.functional.unfold(t, 0, stride=0, padding=-1, dilation=0), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, 1, stride=0, padding=-1, dilation=0), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, 1, stride=0, padding=(3, -1)), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, 1, stride=(-1, 1)), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, (2, 2, 2)), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, [2]), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, 2.0), [x(1, 1, 4, 4)]),                       # TypeError
    (lambda m, t: m.nn.functional.unfold(t, 2, None), [x(1, 1, 4, 4)]),
    (lambda m, t: m.nn.functional.unfold(t, 7), [x(1, 1, 4, 5, dtype=np.int64)]),          # shape before dtype
    (lambda m, t: m.nn.functional.unfold(t, 2), [x(1, 1, 4, 5, dtype=np.int32)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [x(2, 11, 20)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [x(2, 12, 19)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [x(2, 12, 19, 3)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [x(12)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [np.float32(1.0)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [x(0, 4)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6), 2), [x(2, 12, 0)]),
    (lambda m, t: m.nn.functional.fold(t, (0, 0), 2), [x(2, 4, 1)]),                        # too small
    (lambda m, t: m.nn.functional.fold(t, (-3, -3), 2, stride=2), [x(2, 4, 1)]),
    (lambda m, t: m.nn.functional.fold(t, (1, 2), 2, stride=0, dilation=0, padding=-1), [x(2, 4, 1)]),
    (lambda m, t: m.nn.functional.fold(t, (1, 2), 1, dilation=0, padding=-1), [x(2, 4, 1)]),
    (lambda m, t: m.nn.functional.fold(t, (5, 6, 7), 2), [x(2, 4, 1)]),
    (lambda m, t: m.nn.functional.fold(t, None, 2), [x(2, 4, 1)]),
    (lambda m, t: m.nn.functional.fold(t, (3, 3), 2), [x(1, 4, 4, dtype=np.uint8)]),
])
def test_errors_match_torch_word_for_word(call, arrays):
    assert_same_error(call, arrays, same_message=True)


@pytest.mark.parametrize("dtype", [np.float16, np.bool_])
def test_half_and_bool_are_accepted(dtype):
    image = (np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) % 3).astype(dtype)
    assert_matches_torch(lambda m, t: m.nn.functional.unfold(t, 2, padding=1), [image], check_grad=False)
    columns = (np.arange(2 * 12 * 12).reshape(2, 12, 12) % 3).astype(dtype)
    assert_matches_torch(lambda m, t: m.nn.functional.fold(t, (4, 5), 2), [columns], check_grad=False)


def test_empty_batch():
    assert_matches_torch(lambda m, t: m.nn.functional.unfold(t, 2), [x(0, 2, 3, 3)])
    assert_matches_torch(lambda m, t: m.nn.functional.fold(t, (3, 3), 2), [x(0, 8, 4)])


def test_worked_example_counts_the_windows_that_cover_each_pixel():
    """fold(unfold(ones)) counts, per pixel, the windows that read it."""
    ones = npconv.ones(1, 1, 3, 4)
    counts = F.fold(F.unfold(ones, 2), (3, 4), 2)
    assert counts[0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]]
    columns = F.unfold(npconv.arange(6.0).reshape(1, 1, 2, 3), (2, 2))
    assert columns[0].tolist() == [[0, 1], [1, 2], [3, 4], [4, 5]]
