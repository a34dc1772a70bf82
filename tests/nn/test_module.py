"""nn.Module, Parameter and the containers (npconv/nn/modules/module.py, container.py, nn/parameter.py),
each behaviour checked against the same code run with torch."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import assert_same_error


def build(m):
    """A small model written only with Module/Parameter/containers, the same code for both libraries."""

    class Affine(m.nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = m.nn.Parameter(m.ones(n_out, n_in) * 0.5)
            self.bias = m.nn.Parameter(m.zeros(n_out))
            self.register_buffer("calls", m.zeros(1))
            self.register_buffer("scratch", m.zeros(2), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in={self.weight.shape[1]}, out={self.weight.shape[0]}"

    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = m.nn.Sequential(Affine(3, 4), m.nn.Identity(), Affine(4, 2))
            self.heads = m.nn.ModuleList([Affine(2, 2), Affine(2, 2), Affine(2, 1)])
            self.extra = m.nn.ModuleDict({"a": Affine(1, 1), "b": m.nn.Identity()})
            self.scale = m.nn.Parameter(m.tensor(2.0))

        def forward(self, x):
            h = self.body(x)
            for head in self.heads:
                h = head(h)
            return self.extra["a"](h) * self.scale

    return Net()


def both():
    return build(npconv), build(torch)


def test_repr_matches_torch():
    mine, theirs = both()
    assert repr(mine) == repr(theirs)
    assert repr(npconv.nn.Sequential()) == repr(torch.nn.Sequential())
    assert repr(npconv.nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_parameter_and_module_traversal_match_torch():
    mine, theirs = both()
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in mine.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in mine.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in mine.named_children()] == [n for n, _ in theirs.named_children()]
    assert len(list(mine.parameters())) == len(list(theirs.parameters()))
    assert len(list(mine.modules())) == len(list(theirs.modules()))
    assert [type(c).__name__ for c in mine.children()] == [type(c).__name__ for c in theirs.children()]
    assert [n for n, _ in mine.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_listed_once_like_torch():
    def shared(m):
        a = m.nn.Sequential(m.nn.Identity())
        a.p = m.nn.Parameter(m.ones(2))
        a.q = a.p
        return a
    assert [n for n, _ in shared(npconv).named_parameters()] == [n for n, _ in shared(torch).named_parameters()]


def test_forward_and_backward_through_the_model_match_torch():
    mine, theirs = both()
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    out_mine, out_theirs = mine(npconv.from_numpy(x.copy())), theirs(torch.from_numpy(x.copy()))
    np.testing.assert_allclose(out_mine.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-5)
    out_mine.sum().backward()
    out_theirs.sum().backward()
    for (name, p), (_, q) in zip(mine.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, err_msg=name)
    mine.zero_grad()
    assert all(p.grad is None for p in mine.parameters())


def test_state_dict_and_load_state_dict_like_torch():
    mine, theirs = both()
    sd_mine, sd_theirs = mine.state_dict(), theirs.state_dict()
    assert list(sd_mine) == list(sd_theirs)
    assert all(not v.requires_grad for v in sd_mine.values())
    assert isinstance(sd_mine, OrderedDict)
    # load torch's values into npconv
    state = {k: npconv.tensor(v.numpy() + 1) for k, v in sd_theirs.items()}
    result = mine.load_state_dict(state)
    assert repr(result) == repr(theirs.load_state_dict(sd_theirs)) == "<All keys matched successfully>"
    np.testing.assert_allclose(mine.scale.detach().numpy(), 3.0)
    assert isinstance(mine.scale, npconv.nn.Parameter) and mine.scale.requires_grad


def _broken_state(m, model):
    sd = model.state_dict()
    sd.pop("scale")
    sd["body.0.weight"] = m.zeros(5, 5)
    sd["nonsense"] = m.zeros(1)
    sd["heads.0.unknown"] = m.zeros(1)
    return sd


def test_load_state_dict_errors_match_torch_messages():
    mine, theirs = both()
    mine_exc, theirs_exc = assert_same_error(lambda m: (mine if m is npconv else theirs).load_state_dict(
        _broken_state(m, mine if m is npconv else theirs)))
    assert str(mine_exc) == str(theirs_exc)


def test_load_state_dict_non_strict_like_torch():
    mine, theirs = both()
    theirs_sd = _broken_state(torch, theirs)
    del theirs_sd["body.0.weight"]
    mine_sd = _broken_state(npconv, mine)
    del mine_sd["body.0.weight"]
    assert repr(mine.load_state_dict(mine_sd, strict=False)) == repr(theirs.load_state_dict(theirs_sd, strict=False))


def test_register_buffer_and_setattr_errors_like_torch():
    def run(action):
        def call(m):
            model = m.nn.Module()
            model.existing = 1
            model.p = m.nn.Parameter(m.ones(1))
            action(m, model)
        return call

    actions = [
        lambda m, mod: mod.register_buffer("a.b", m.zeros(1)),
        lambda m, mod: mod.register_buffer("", m.zeros(1)),
        lambda m, mod: mod.register_buffer("existing", m.zeros(1)),
        lambda m, mod: mod.register_buffer("x", 3),
        lambda m, mod: setattr(mod, "p", m.ones(1)),
        lambda m, mod: mod.register_parameter("q", m.ones(1)),
        lambda m, mod: mod.register_parameter("q", m.nn.Parameter(m.ones(1)) * 2),
        lambda m, mod: mod.add_module("x", 3),
        lambda m, mod: mod.train("yes"),
        lambda m, mod: mod.missing_attribute,
        lambda m, mod: mod(),
    ]
    for action in actions:
        mine, theirs = assert_same_error(run(action))
        assert str(mine) == str(theirs)


def test_assign_before_init_is_refused_like_torch():
    def call(m):
        class Bad(m.nn.Module):
            def __init__(self):
                self.w = m.nn.Parameter(m.ones(1))
        Bad()
    mine, theirs = assert_same_error(call)
    assert str(mine) == str(theirs)


def test_train_eval_apply_and_to_dtype():
    mine, _ = both()
    assert mine.training
    mine.eval()
    assert not any(mod.training for mod in mine.modules())
    mine.train()
    assert all(mod.training for mod in mine.modules())
    names = []
    mine.apply(lambda mod: names.append(type(mod).__name__))
    theirs_names = []
    build(torch).apply(lambda mod: theirs_names.append(type(mod).__name__))
    assert names == theirs_names
    weight = mine.body[0].weight
    mine.double()
    assert mine.body[0].weight is weight and weight.dtype == npconv.float64 and weight.requires_grad
    assert mine.body[0].calls.dtype == npconv.float64
    mine.to(npconv.float32)
    assert weight.dtype == npconv.float32
    out = mine(npconv.ones(2, 3))
    assert out.dtype == npconv.float32


def test_forward_hooks_like_torch():
    def run(m):
        model = m.nn.Sequential(m.nn.Identity())
        seen = []
        h1 = model.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        model.register_forward_hook(lambda mod, args, out: seen.append(out.shape) or out + 1)
        out = model(m.ones(2))
        h1.remove()
        return out.tolist(), model(m.ones(2)).tolist(), [list(s) for s in seen]
    assert run(npconv) == run(torch)


def test_sequential_like_torch():
    def run(m):
        seq = m.nn.Sequential(m.nn.Identity(), m.nn.Sequential(m.nn.Identity()), m.nn.Identity())
        sliced = seq[1:]
        seq.append(m.nn.Identity())
        del seq[0]
        named = m.nn.Sequential(OrderedDict([("first", m.nn.Identity()), ("second", m.nn.Identity())]))
        return (repr(sliced), type(sliced).__name__, len(seq), repr(seq), repr(seq[-1]), repr(named),
                repr(named[1:]), [type(x).__name__ for x in seq], repr(seq + named))
    assert run(npconv) == run(torch)
    assert_same_error(lambda m: m.nn.Sequential(m.nn.Identity())[3])


def test_module_list_and_dict_like_torch():
    def run(m):
        ml = m.nn.ModuleList([m.nn.Identity(), m.nn.Identity()])
        ml.append(m.nn.Sequential())
        ml.extend([m.nn.Identity()])
        ml.insert(0, m.nn.Sequential())
        md = m.nn.ModuleDict({"x": m.nn.Identity()})
        md["y"] = m.nn.Sequential()
        md.update([("z", m.nn.Identity())])
        popped = md.pop("x")
        return (repr(ml), len(ml), repr(ml[1:3]), repr(md), list(md.keys()), "y" in md, repr(popped),
                [type(v).__name__ for v in md.values()])
    assert run(npconv) == run(torch)
    assert_same_error(lambda m: m.nn.ModuleList([m.nn.Identity()])[2])


def test_parameter_repr_and_behaviour_like_torch():
    for case in ("m.nn.Parameter(m.ones(2))", "m.nn.Parameter(m.ones(2), requires_grad=False)",
                 "m.nn.Parameter(m.ones(2, 3, dtype=m.float64))", "m.nn.Parameter(m.ones(2)) * 2"):
        assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))
    p = npconv.nn.Parameter(npconv.ones(2))
    assert isinstance(p, npconv.Tensor) and p.is_leaf and p.requires_grad
    assert_same_error(lambda m: m.nn.Parameter(m.ones(2, dtype=m.int64)))


def test_deepcopy_and_pickle_keep_parameters():
    import copy
    import pickle
    mine, _ = both()
    clone = copy.deepcopy(mine)
    assert isinstance(clone.scale, npconv.nn.Parameter)
    assert clone.scale is not mine.scale and clone.scale.item() == mine.scale.item()
    seq = npconv.nn.Sequential(npconv.nn.Identity(), npconv.nn.ParameterList([npconv.ones(2)]))
    seq.p = npconv.nn.Parameter(npconv.ones(3))
    restored = pickle.loads(pickle.dumps(seq))
    assert [n for n, _ in restored.named_parameters()] == [n for n, _ in seq.named_parameters()] == ["p", "1.0"]
    assert isinstance(restored.p, npconv.nn.Parameter) and restored.p.requires_grad


def test_identity_ignores_arguments():
    x = npconv.ones(2)
    assert npconv.nn.Identity(54, unused="x")(x) is x


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_like_torch(set_to_none):
    def run(m):
        model = build(m)
        model(m.ones(1, 3)).sum().backward()
        model.zero_grad(set_to_none=set_to_none)
        return [None if p.grad is None else p.grad.tolist() for p in model.parameters()]
    assert run(npconv) == run(torch)


def test_load_state_dict_accepts_torch_tensors_and_ndarrays():
    mine, theirs = both()
    assert repr(mine.load_state_dict(theirs.state_dict())) == "<All keys matched successfully>"
    mine.load_state_dict({k: v.numpy() * 0 for k, v in theirs.state_dict().items()})
    assert all(not p.detach().numpy().any() for p in mine.parameters())


def test_parameter_list_and_dict_print_as_torch():
    def text(lib):
        pl = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.zeros(2, 3, dtype=lib.float64))])
        pd = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2)), "b": lib.nn.Parameter(lib.ones(1, 2))})
        holder = lib.nn.Module()
        holder.params = pl
        return [repr(pl), repr(pd), repr(holder), repr(lib.nn.ParameterList())]
    assert text(npconv) == text(torch)
