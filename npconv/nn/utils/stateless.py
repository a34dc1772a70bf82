"""torch.nn.utils.stateless.functional_call (deprecated in torch for torch.func.functional_call): call a
module with some of its parameters and buffers replaced, for this call only."""
import contextlib
import warnings

__all__ = ["functional_call"]


@contextlib.contextmanager
def _swapped(module, tensors):
    """Put ``tensors`` (by dotted name) in place of the module's own, and put those back afterwards."""
    saved = []
    try:
        for name, tensor in tensors.items():
            owner = module.get_submodule(name.rpartition(".")[0]) if "." in name else module
            attribute = name.rpartition(".")[2]
            store = owner._parameters if attribute in owner._parameters else owner._buffers
            if attribute not in store:
                raise AttributeError(f"{type(owner).__name__} has no parameter or buffer named '{attribute}'")
            saved.append((store, attribute, store[attribute]))
            store[attribute] = tensor
        yield
    finally:
        for store, attribute, original in reversed(saved):
            store[attribute] = original


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in ``parameters_and_buffers`` (a dict
    by dotted name) standing in for the module's own during the call."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    given = set(parameters_and_buffers.keys())  # a dict (torch's deprecated form takes no tuple of dicts)
    if strict:
        expected = {name for name, _ in module.named_parameters()} | {name for name, _ in module.named_buffers()}
        missing = sorted(expected - given)
        unexpected = sorted(given - expected)
        problems = ([f"Unexpected key(s): {', '.join(repr(k) for k in unexpected)}."] if unexpected else []) + \
            ([f"Missing key(s): {', '.join(repr(k) for k in missing)}."] if missing else [])
        if problems:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(problems))
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    with _swapped(module, parameters_and_buffers):
        return module(*args, **(kwargs or {}))
