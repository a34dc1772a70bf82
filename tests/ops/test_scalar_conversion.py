"""Python scalars from a tensor that requires grad: float() and complex() warn once per process with torch's
UserWarning (item(), int(), bool(), tolist() and format() do not). torch's warning is read in a process of
its own, since it too warns only once."""
import subprocess
import sys
import warnings

import pytest

import npconv
from npconv import _tensor

PROBE = """
import warnings, torch
warnings.simplefilter("always")
x = torch.tensor(1.5, requires_grad=True) * 2
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    {call}
    {call}
print(repr([(w.category.__name__, str(w.message)) for w in caught]))
"""

CALLS = ["float(x)", "complex(x)", "x.item()", "int(x)", "bool(x)", "x.tolist()", "format(x, '.2f')",
         "float(x.detach())"]


def torch_warnings(call):
    out = subprocess.run([sys.executable, "-c", PROBE.format(call=call)], capture_output=True, text=True,
                         check=True).stdout
    return eval(out)


@pytest.mark.parametrize("call", CALLS)
def test_scalar_conversions_warn_once_as_torch(call, monkeypatch):
    monkeypatch.setattr(_tensor, "_scalar_of_grad_warned", [False])
    x = npconv.tensor(1.5, requires_grad=True) * 2  # noqa: F841 (used by the call)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        eval(call)
        eval(call)
    assert [(w.category.__name__, str(w.message)) for w in caught] == torch_warnings(call)
