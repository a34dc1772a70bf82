"""nn.utils.prune against torch (npconv/nn/utils/prune.py): masks, the weight_orig parameter, the weight_mask
buffer, the forward pre-hook, combined pruning, global pruning, remove, and the errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401 - torch does not import it with torch.nn.utils
from hypothesis import assume, given
from hypothesis import strategies as st

import npconv
import npconv.nn.utils.prune  # noqa: F401
from tests.strategies import one_in, prune_steps
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array, torch_accepts


def _conv(m, w, b):
    """A Conv2d(2, 4, 3) of library ``m`` with the given weight and bias."""
    conv = m.nn.Conv2d(2, 4, 3)
    conv.weight, conv.bias = m.nn.Parameter(w.detach().clone()), m.nn.Parameter(b.detach().clone())
    return conv


def _layout(module):
    """What the tutorials print about a pruned module: parameter and buffer names, state_dict keys, whether the
    pruned tensor is a Parameter, its grad_fn, the hook kinds."""
    return [tuple(n for n, _ in module.named_parameters()), tuple(n for n, _ in module.named_buffers()),
            tuple(module.state_dict()), type(module.weight).__name__, type(module.weight.grad_fn).__name__
            if module.weight.grad_fn is not None else "None",
            tuple(type(h).__name__ for h in module._forward_pre_hooks.values())]


def _pruned(steps):
    """A call for assert_matches_torch: prune a conv with ``steps`` (functions of the prune module and the
    conv), then return the layout, the masks and the pruned tensors, a forward and the gradients of the
    originals after one backward."""
    def call(m, w, b, x):
        conv = _conv(m, w, b)
        prune = m.nn.utils.prune
        for step in steps:
            step(prune, conv)
        out = conv(x)
        out.sum().backward()
        names = [n for n, _ in conv.named_parameters()]
        grads = [p.grad for _, p in conv.named_parameters()]
        return (_layout(conv), [buf for _, buf in conv.named_buffers()], conv.weight.detach(), conv.bias.detach(),
                out.detach(), grads, names, prune.is_pruned(conv))
    return call


def _arrays(dtype, seed):
    return [random_array((4, 2, 3, 3), dtype, seed), random_array((4,), dtype, seed + 1),
            random_array((1, 2, 5, 5), dtype, seed + 2)]


def _call_of(step):
    """A drawn (function, tensor name, arguments) as a call of the prune module of either library."""
    kind, name, kwargs = step

    def call(prune, conv):
        if kind == "custom_from_mask":
            library = npconv if prune is npconv.nn.utils.prune else torch
            mask = random_array((4, 2, 3, 3), np.float32, kwargs["mask_seed"]) > 0
            return prune.custom_from_mask(conv, name, mask=library.from_numpy(mask))
        return getattr(prune, kind)(conv, name, **kwargs)
    return call


@given(steps=prune_steps(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 1000),
       data=st.data())
def test_deterministic_pruning_follows_torch(steps, dtype, seed, data):
    """Random sequences of l1_unstructured / ln_structured / identity / custom_from_mask (combined in a
    PruningContainer from the second on): the same masks, pruned tensors, layout, forward and gradients, or
    (one draw in four at most) the same exception type."""
    call, arrays = _pruned([_call_of(step) for step in steps]), _arrays(dtype, seed)
    assume(data.draw(one_in(4), label="may be invalid") or torch_accepts(call, arrays))
    assert_matches_torch(call, arrays, check_grad=False, expect_errors=True)


def test_tutorial_sequence_follows_torch():
    """The pruning tutorial's order: prune weight by L1, bias by count, weight again by L2 over channels,
    then make it permanent with remove and check that the pre-hook is gone."""
    def call(m, w, b, x):
        conv = _conv(m, w, b)
        prune = m.nn.utils.prune
        prune.l1_unstructured(conv, name="weight", amount=0.3)
        prune.l1_unstructured(conv, name="bias", amount=3)
        prune.ln_structured(conv, name="weight", amount=0.5, n=2, dim=0)
        hook = next(h for h in conv._forward_pre_hooks.values() if h._tensor_name == "weight")
        kinds = [type(method).__name__ for method in hook]
        before = _layout(conv)
        prune.remove(conv, "weight")
        return kinds, before, _layout(conv), conv.weight.detach(), conv(x).detach(), prune.is_pruned(conv)
    assert_matches_torch(call, _arrays(np.float32, 3), check_grad=False)


def test_hook_recomputes_the_pruned_tensor_after_an_update_like_torch():
    """An optimizer step changes weight_orig; the forward pre-hook masks it again before the next forward."""
    def call(m, w, b, x):
        conv = _conv(m, w, b)
        m.nn.utils.prune.l1_unstructured(conv, "weight", amount=10)
        opt = m.optim.SGD(conv.parameters(), lr=0.5)
        outputs = []
        for _ in range(3):
            opt.zero_grad()
            out = conv(x)
            (out * out).mean().backward()
            opt.step()
            outputs.append(out.detach())
        return outputs + [conv.weight_orig.detach(), conv.weight.detach()]
    assert_matches_torch(call, _arrays(np.float64, 5), check_grad=False)


@pytest.mark.parametrize("amount", [0.3, 7, 0.0])
def test_global_unstructured_follows_torch(amount):
    """Global L1 pruning of two convs and a linear layer: one ranking over all their weights."""
    def call(m, w, b, x):
        first = _conv(m, w, b)
        second = _conv(m, w * 0.7 + 0.01, b)
        last = m.nn.Linear(4, 3)
        last.weight = m.nn.Parameter(w.reshape(-1)[:12].reshape(3, 4).detach() * 1.3)
        m.nn.utils.prune.l1_unstructured(second, "weight", amount=5)  # an earlier mask is respected
        m.nn.utils.prune.global_unstructured([(first, "weight"), (second, "weight"), (last, "weight")],
                                             pruning_method=m.nn.utils.prune.L1Unstructured, amount=amount)
        return ([module.weight_mask for module in (first, second, last)], _layout(first), _layout(second),
                [float((module.weight == 0).sum()) for module in (first, second, last)])
    assert_matches_torch(call, _arrays(np.float32, 11), check_grad=False)


def test_importance_scores_rank_instead_of_the_values_like_torch():
    def call(m, w, b, x):
        conv = _conv(m, w, b)
        m.nn.utils.prune.l1_unstructured(conv, "weight", amount=0.4, importance_scores=w.flip(0))
        m.nn.utils.prune.ln_structured(conv, "weight", amount=1, n=1, dim=1, importance_scores=w * w)
        return conv.weight_mask, conv.weight.detach()
    assert_matches_torch(call, _arrays(np.float64, 2), check_grad=False)


@pytest.mark.parametrize("method,kwargs", [("random_unstructured", {"amount": 0.4}),
                                           ("random_unstructured", {"amount": 11}),
                                           ("random_structured", {"amount": 0.5, "dim": 0}),
                                           ("random_structured", {"amount": 1, "dim": 1})])
def test_random_pruning_prunes_as_many_as_torch(method, kwargs):
    """Random choices differ (different generators); the count, the structure and the layout do not."""
    def call(m, w, b, x):
        conv = _conv(m, w, b)
        getattr(m.nn.utils.prune, method)(conv, "weight", **kwargs)
        getattr(m.nn.utils.prune, method)(conv, "weight", **kwargs)  # again: among what is left
        mask = conv.weight_mask
        if "dim" not in kwargs:
            return _layout(conv), float(mask.sum())
        dim = kwargs["dim"]
        per_channel = mask.sum(dim=[d for d in range(4) if d != dim])
        whole = (per_channel == 0) | (per_channel == mask.numel() // mask.shape[dim])
        return _layout(conv), float(mask.sum()), int((per_channel != 0).sum()), bool(whole.all())
    assert_matches_torch(call, _arrays(np.float32, 4), check_grad=False)


def test_custom_pruning_method_like_the_tutorial():
    """A user's BasePruningMethod subclass that zeroes every other entry through a view of the mask."""
    def call(m, w, b, x):
        class EveryOther(m.nn.utils.prune.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask

        conv = _conv(m, w, b)
        EveryOther.apply(conv, "bias")
        EveryOther.apply(conv, "bias")  # combined: every other of what is left
        return conv.bias_mask, conv.bias.detach(), _layout(conv)
    assert_matches_torch(call, _arrays(np.float32, 6), check_grad=False)


def test_pruning_method_prune_and_container_like_torch():
    def call(m, w, b, x):
        prune = m.nn.utils.prune
        l1 = prune.L1Unstructured(amount=5)
        ln = prune.LnStructured(amount=1, n=2, dim=0)
        l1._tensor_name = ln._tensor_name = "weight"
        container = prune.PruningContainer(l1)
        container.add_pruning_method(ln)
        return l1.prune(w), ln.prune(w, importance_scores=-w), len(container), container.compute_mask(w, m.ones_like(w))
    assert_matches_torch(call, _arrays(np.float64, 8), check_grad=False)


def _prune_call(fn):
    return lambda m, w, b, x: fn(m.nn.utils.prune, _conv(m, w, b), m)


@pytest.mark.parametrize("fn", [
    lambda prune, conv, m: prune.l1_unstructured(conv, "weight", amount=1.5),
    lambda prune, conv, m: prune.l1_unstructured(conv, "weight", amount=-1),
    lambda prune, conv, m: prune.l1_unstructured(conv, "weight", amount="a"),
    lambda prune, conv, m: prune.l1_unstructured(conv, "weight", amount=100),
    lambda prune, conv, m: prune.l1_unstructured(conv, "weight", amount=0.2, importance_scores=m.ones(3)),
    lambda prune, conv, m: prune.ln_structured(conv, "bias", amount=1, n=2, dim=0),
    lambda prune, conv, m: prune.ln_structured(conv, "weight", amount=1, n=2, dim=4),
    lambda prune, conv, m: prune.ln_structured(conv, "weight", amount=5, n=2, dim=0),
    lambda prune, conv, m: prune.random_structured(conv, "weight", amount=3, dim=1),
    lambda prune, conv, m: prune.remove(conv, "weight"),
    lambda prune, conv, m: prune.custom_from_mask(conv, "weight", mask=m.ones(3)),
    lambda prune, conv, m: prune.global_unstructured(3, prune.L1Unstructured, amount=1),
    lambda prune, conv, m: prune.global_unstructured([(conv, "weight")], prune.L1Unstructured, importance_scores=[1],
                                                     amount=1),
    lambda prune, conv, m: prune.global_unstructured([(conv, "weight")], prune.LnStructured, amount=1, n=1),
    lambda prune, conv, m: prune.global_unstructured([(conv, "weight")], prune.RandomStructured, amount=1),
    lambda prune, conv, m: prune.PruningContainer(prune.Identity()).add_pruning_method(3),
])
def test_errors_like_torch(fn):
    mine, theirs = assert_same_error(_prune_call(fn), _arrays(np.float32, 0))
    assert str(mine).replace("npconv.", "torch.") == str(theirs)  # a class named in the text is npconv's


def test_failed_pruning_restores_the_parameter_like_torch():
    """A refused amount puts the parameter back (last, as torch re-registers it) and leaves no hook."""
    def call(m, w, b, x):
        conv = _conv(m, w, b)
        try:
            m.nn.utils.prune.l1_unstructured(conv, "weight", amount=100)
        except ValueError as error:
            return str(error), _layout(conv), m.nn.utils.prune.is_pruned(conv)
        raise AssertionError("no error")
    assert_matches_torch(call, _arrays(np.float32, 0), check_grad=False)


def test_names_like_torch():
    """Every function and class torch.nn.utils.prune defines exists in npconv.nn.utils.prune."""
    theirs = [name for name, obj in vars(torch.nn.utils.prune).items()
              if getattr(obj, "__module__", None) == "torch.nn.utils.prune" and not name.startswith("_")]
    assert len(theirs) > 15
    assert [name for name in theirs if not hasattr(npconv.nn.utils.prune, name)] == []


@pytest.mark.parametrize("second", [("ln_structured", "weight", {"amount": 0.5, "n": 2, "dim": 0}),
                                    ("ln_structured", "weight", {"amount": 0, "n": 1, "dim": 1}),
                                    ("l1_unstructured", "weight", {"amount": 0.5})])
def test_pruning_after_everything_is_pruned_like_torch(second):
    """A second method finds nothing left to prune (an empty region of the tensor), as in torch."""
    steps = [("l1_unstructured", "weight", {"amount": 1.0}), second]
    assert_matches_torch(_pruned([_call_of(step) for step in steps]), _arrays(np.float32, 0), check_grad=False)
