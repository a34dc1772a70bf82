"""Write npconv/_torch_api.json: the public names of the torch namespaces npconv mirrors, from torch itself.

Run with torch 2.13 installed (the test oracle): ``python tools/torch_api.py``. npconv reads the list to
answer a torch name it does not have with NotImplementedError naming the feature (npconv/_torch_api.py);
tests/test_torch_api.py checks the list against the installed torch.
"""
import importlib
import json
import pathlib
import types

NAMESPACES = ("torch", "torch.Tensor", "torch.linalg", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
              "torch.optim", "torch.optim.lr_scheduler", "torch.utils.data")
OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "npconv" / "_torch_api.json"


def public_names(namespace):
    """The names a user reaches as ``namespace.name``: __all__ where torch declares it, else dir()."""
    if namespace == "torch.Tensor":
        import torch
        return sorted(a for a in dir(torch.Tensor) if not a.startswith("_"))
    module = importlib.import_module(namespace)
    names = set(getattr(module, "__all__", None) or dir(module))
    if namespace == "torch":   # its submodules too (torch.onnx, torch.linalg...): __all__ leaves them out
        names |= {a for a, value in vars(module).items()
                  if isinstance(value, types.ModuleType) and value.__name__ == f"torch.{a}"}
        names |= set(getattr(module, "_lazy_modules", ()))   # loaded on first access (torch.onnx)
    return sorted(a for a in names if not a.startswith("_"))


def torch_api():
    return {namespace: public_names(namespace) for namespace in NAMESPACES}


if __name__ == "__main__":
    OUTPUT.write_text(json.dumps(torch_api(), indent=0, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT}")
