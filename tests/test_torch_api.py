"""The sweep of torch's public API (npconv/_torch_api.py): every public name of the torch namespaces npconv
mirrors is implemented, or raises NotImplementedError naming it (and the feature, where out of scope)."""
import importlib
import importlib.util
import json
import pathlib

import pytest

import npconv
from npconv import _torch_api

ROOT = pathlib.Path(__file__).resolve().parent.parent


def generator():
    spec = importlib.util.spec_from_file_location("torch_api_tool", ROOT / "tools" / "torch_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def npconv_namespace(namespace):
    if namespace == "torch.Tensor":
        return npconv.Tensor
    return importlib.import_module("npconv" + namespace[len("torch"):])


def committed():
    return json.loads((ROOT / "npconv" / "_torch_api.json").read_text())


def test_committed_list_is_torch_2_13s_public_api():
    assert committed() == generator().torch_api(), "run tools/torch_api.py with torch 2.13 and commit the result"


@pytest.mark.parametrize("namespace", sorted(committed()))
def test_every_torch_name_is_implemented_or_refused_by_name(namespace):
    ours = npconv_namespace(namespace)
    probe = npconv.ones(1) if namespace == "torch.Tensor" else ours
    for name in committed()[namespace]:
        if hasattr(ours, name):
            continue
        with pytest.raises(NotImplementedError, match=rf"^{namespace}\.{name} is not implemented in npconv"):
            getattr(probe, name)


def test_probing_with_hasattr_and_getattr_still_works():
    assert not hasattr(npconv.nn, "LSTM")
    assert getattr(npconv.nn.functional, "scaled_dot_product_attention", None) is None
    with pytest.raises(AttributeError, match="module 'npconv' has no attribute 'not_a_torch_name'"):
        npconv.not_a_torch_name   # noqa: B018


@pytest.mark.parametrize("name, feature", [("LSTM", "recurrent"), ("sparse_coo_tensor", "sparse"),
                                           ("quantize_per_tensor", "quantization"), ("view_as_real", "complex"),
                                           ("compile", "TorchScript"), ("UntypedStorage", "storages"),
                                           ("float8_e4m3fn", "low-precision"), ("conv2d", None),
                                           ("addcmul", None)])
def test_out_of_scope_features_are_named(name, feature):
    found = _torch_api.feature_of(name)
    assert (found is None) if feature is None else feature in found


def test_sweep_counts(capsys):
    """Prints implemented / out of scope / not yet per namespace (numbers for the issue's closing note)."""
    rows = []
    for namespace, names in sorted(committed().items()):
        ours = npconv_namespace(namespace)
        have = [n for n in names if hasattr(ours, n)]
        scoped = [n for n in names if not hasattr(ours, n) and _torch_api.feature_of(n)]
        rows.append((namespace, len(names), len(have), len(scoped), len(names) - len(have) - len(scoped)))
    with capsys.disabled():
        print("\nnamespace | public | implemented | out of scope | not yet")
        for row in rows + [("total",) + tuple(sum(r[i] for r in rows) for i in range(1, 5))]:
            print(" | ".join(map(str, row)))
    assert all(r[2] > 0 for r in rows)
