"""torch's public names that npconv does not have: NotImplementedError naming the feature, never a bare
AttributeError for a torch name.

``_torch_api.json`` lists the public names of torch 2.13's namespaces that npconv mirrors (written by
tools/torch_api.py). Each mirrored module ends with ``__getattr__ = module_getattr("torch.nn")``: Python calls
it only for a name the module lacks, so what npconv implements is never slowed down. The error is both a
NotImplementedError (what the user reads) and an AttributeError (so ``hasattr(torch, "compile")`` and
``getattr(F, "scaled_dot_product_attention", None)`` keep working as feature probes). Leaf module.
"""
import functools
import json
import pathlib
import re

__all__ = ["module_getattr", "missing", "feature_of", "FEATURES"]

# Out of npconv's scope (it is a convolution toolbox on NumPy), by name pattern; first match wins.
FEATURES = (
    ("recurrent and attention layers", r"rnn|lstm|gru|RNN|LSTM|GRU|[Tt]ransformer|[Aa]ttention|attn"),
    ("sparse tensors", r"sparse|spmm|^smm$|^dsmm$|^hsmm$|^saddmm$|indices|^values|_coo|coalesce|crow|^ccol"),
    ("quantization", r"quant|qint|quint|^q_|qscheme|fbgemm|int_repr|^qat$|intrinsic|^ao$"),
    ("distributed and multi-process training", r"distributed|Distributed|SyncBatchNorm|RRef|^fork$|^wait$|Future"
                                               r"|^futures$"),
    ("complex numbers", r"complex|conj|^real$|^imag$|angle|polar|view_as_real|^c(float|double|half)$|chalf"
                        r"|^is_neg$|resolve_neg|^stft$|^istft$"),
    ("devices other than cpu and meta", r"cuda|cudnn|miopen|mkldnn|xpu|mps|vulkan|hip|ipu|xla|mtia|autocast"
                                        r"|^Stream|^Event|GradScaler|pin_memory|is_pinned|accelerator|^get_device"),
    ("TorchScript, compilation, export and symbolic shapes", r"^jit$|[Ss]cript|^Graph|^Node$|^Value$|^Block$|IR|"
        r"_ir|FileCheck|Type$|^compile$|^export$|^vmap$|^Sym|^sym_|^fx$|CompilationUnit|schema|type_comment|^compiler$"),
    ("storages", r"Storage|^storage|untyped"),
    ("ONNX exporters", r"^onnx$"),
    ("downloads from the model hub", r"^hub$"),
    ("profilers", r"^profiler$|^monitor$"),
    ("probability distributions", r"^distributions$"),
    ("function transforms, custom operators and tensor subclass machinery",
     r"^func$|^library$|^ops$|^classes$|^overrides$|^package$|^masked$|^nested$|^amp$|^mtia$"),
    ("low-precision and bit dtypes", r"float8|float4|^bits|^u?int[1-7]$|^uint(16|32|64)$"),
)


@functools.lru_cache(maxsize=None)
def _names():
    path = pathlib.Path(__file__).with_name("_torch_api.json")
    return {namespace: frozenset(names) for namespace, names in json.loads(path.read_text()).items()}


def torch_names(namespace):
    """The public names torch 2.13 has in ``namespace`` ('torch', 'torch.Tensor', ...)."""
    return _names().get(namespace, frozenset())


def feature_of(name):
    """The out-of-scope feature a torch name belongs to, or None for one npconv could have."""
    return next((feature for feature, pattern in FEATURES if re.search(pattern, name)), None)


class TorchFeatureNotImplemented(NotImplementedError, AttributeError):
    """A torch name npconv does not implement (see the module docstring for the two bases)."""


def missing(namespace, name, owner=None):
    """The error for ``namespace.name`` that npconv lacks: TorchFeatureNotImplemented for a torch name,
    AttributeError (Python's text) otherwise."""
    if name.startswith("_") or name not in _names().get(namespace, ()):
        what = f"'{type(owner).__name__}' object" if owner is not None else f"module '{_npconv_name(namespace)}'"
        return AttributeError(f"{what} has no attribute '{name}'")
    feature = feature_of(name)
    if feature is None:
        return TorchFeatureNotImplemented(f"{namespace}.{name} is not implemented in npconv yet")
    return TorchFeatureNotImplemented(f"{namespace}.{name} is not implemented in npconv: {feature} are outside "
                                      "its scope (PyTorch's convolution toolbox on NumPy)")


def _npconv_name(namespace):
    return "npconv" + namespace[len("torch"):]


def module_getattr(namespace):
    """A module-level ``__getattr__`` for the npconv module that mirrors ``namespace``."""
    def __getattr__(name):
        raise missing(namespace, name)
    return __getattr__
