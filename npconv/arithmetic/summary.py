"""``npconv.summary``: a torchinfo-style table of a model, computed without computing any convolution.

The signature is torchinfo's (``input_size``/``input_data``, ``depth``, ``col_names``, ``row_settings``,
``dtypes``, ``mode``, ``verbose``, ``col_width``, ``batch_dim``); the table is laid out as torchinfo lays it
out (see :mod:`.summary_table`), with npconv's columns ``receptive_field`` and ``jump`` added and a row for
every ``F.*`` call made in a ``forward``.

MAC convention (the "GMACs" of papers): ``mult_adds`` counts the weight multiply-accumulates of
convolution, transposed convolution and linear layers (modules or ``F.*`` calls), bias excluded:

* convolution: ``output elements x in_channels / groups x kernel volume``
  (``N * C_out * prod(out_spatial) * C_in / groups * prod(kernel)``);
* transposed convolution: ``input elements x out_channels / groups x kernel volume`` -- every input pixel
  is multiplied by the whole kernel once (torchinfo multiplies by the output size instead and so
  overcounts a stride-s layer by about s^d; npconv does not);
* linear: ``output elements x in_features``.

Every other layer counts 0 here (see :func:`npconv.arithmetic.get_model_complexity_info` for ptflops'
conventions, which also count activations, pooling and normalisation).

Memory (bytes, for the dtypes actually used): ``param_bytes`` (parameters), ``buffer_bytes`` (running
statistics), ``input_bytes``, ``activation_bytes`` (the outputs of every leaf row: what a forward pass
keeps for backward), ``forward_backward_bytes`` (twice that: the activations and their gradients) and
``total_bytes = input_bytes + forward_backward_bytes + param_bytes``, torchinfo's "Estimated Total Size".
"""
import contextlib
import math
import sys

from .._shapes import ntuple
from . import summary_table
from .summary_table import COLUMNS, ROW_SETTINGS, ModelSummaryFormats, suggestion
from .trace import meta_inputs, trace

__all__ = ["summary", "ModelSummary", "LayerRow", "mult_adds_of", "COLUMNS", "ROW_SETTINGS"]

DEFAULT_COLUMNS = ("output_size", "num_params", "mult_adds", "receptive_field", "jump")
DEFAULT_ROW_SETTINGS = ("depth",)
MODES = ("train", "eval", "same")


def _prod(values):
    return math.prod(int(v) for v in values)


def mult_adds_of(call):
    """Weight multiply-accumulates of one recorded call (npconv's convention, see the module doc)."""
    if call.output_shape is None or not call.input_shapes:
        return 0
    name = call.type
    if call.kind == "module":
        module = call.module
        if name.startswith("ConvTranspose") and hasattr(module, "kernel_size"):
            kernel = _prod(ntuple(module.kernel_size, 1))
            return _prod(call.input_shape) * (module.out_channels // module.groups) * kernel
        if name.startswith("Conv") and hasattr(module, "kernel_size"):
            kernel = _prod(ntuple(module.kernel_size, 1))
            return _prod(call.output_shape) * (module.in_channels // module.groups) * kernel
        if name == "Linear" or (hasattr(module, "in_features") and hasattr(module, "out_features")
                                and name in ("LazyLinear", "NonDynamicallyQuantizableLinear")):
            return _prod(call.output_shape) * module.in_features
        return 0
    weight = call.arguments.get("weight")
    if weight is None:
        return 0
    if name.startswith("F.conv_transpose"):
        return _prod(call.input_shape) * weight.shape[1] * _prod(weight.shape[2:])
    if name.startswith("F.conv"):
        return _prod(call.output_shape) * weight.shape[1] * _prod(weight.shape[2:])
    if name == "F.linear":
        return _prod(call.output_shape) * weight.shape[-1]
    return 0


def kernel_size_of(call):
    """The kernel size torchinfo's "Kernel Shape" column shows: a layer's ``kernel_size`` as a list (an int
    stays an int), a functional convolution's weight shape past (C_out, C_in), a functional pool's argument."""
    if call.kind == "module":
        kernel = getattr(call.module, "kernel_size", None)
    elif call.type.startswith("F.conv"):
        weight = call.arguments.get("weight")
        kernel = None if weight is None else list(weight.shape[2:])
    else:
        kernel = call.arguments.get("kernel_size")
    if kernel is None or isinstance(kernel, int):
        return kernel
    try:
        return [int(k) for k in kernel]
    except TypeError:
        return None


def _bytes_of(shape, dtype):
    """Bytes of a tensor of ``shape`` and (npconv) ``dtype``; 0 when either is unknown."""
    if shape is None or dtype is None:
        return 0
    return _prod(shape) * dtype.itemsize


class LayerRow:
    """One row of a summary: a module call or a functional call made in some ``forward``.

    ``params``/``trainable_params`` count the module's whole subtree, ``own_params`` its parameters of its
    own (a container's bare Parameters); ``mult_adds`` of a row with children is its subtree's sum."""

    FIELDS = ("name", "var_name", "type", "depth", "kind", "is_leaf", "recursive")

    def __init__(self, **values):
        self.name, self.type, self.depth, self.kind = (values.get(k) for k in ("name", "type", "depth", "kind"))
        self.input_shape, self.output_shape = values.get("input_shape"), values.get("output_shape")
        self.params, self.trainable_params = values.get("params", 0), values.get("trainable_params", 0)
        self.own_params = values.get("own_params", 0)
        self.mult_adds, self.kernel_size = values.get("mult_adds", 0), values.get("kernel_size")
        self.receptive_field, self.stride = values.get("receptive_field"), values.get("stride")
        self.is_leaf, self.recursive = values.get("is_leaf", True), values.get("recursive", False)
        self.var_name = values.get("var_name")
        self.module = values.get("module")       # the user's module (None for a functional call)
        self._dtype = values.get("dtype")

    @property
    def trainable(self):
        """torchinfo's Trainable column: ``'True'``, ``'False'``, ``'Partial'`` or None without parameters."""
        if not self.params:
            return None
        if not self.trainable_params:
            return "False"
        return "True" if self.trainable_params == self.params else "Partial"

    # torchinfo's LayerInfo names, so that code reading torchinfo's summary_list reads these rows too
    class_name = property(lambda self: self.type)
    num_params = property(lambda self: self.params)
    macs = property(lambda self: self.mult_adds)
    is_leaf_layer = property(lambda self: self.is_leaf)
    is_recursive = property(lambda self: self.recursive)
    input_size = property(lambda self: list(self.input_shape or []))
    output_size = property(lambda self: list(self.output_shape or []))

    def to_dict(self, total_params=None):
        """The row by column name (``output_size``, ``num_params``...: the names of ``col_names``)."""
        out = {key: getattr(self, key) for key in self.FIELDS}
        for column, (_, value) in COLUMNS.items():
            if column != "params_percent" or total_params is not None:
                out[column] = value(self, total_params)
        return out

    def __repr__(self):
        return (f"LayerRow({self.name!r}, {self.type}, out={self.output_shape}, params={self.params}, "
                f"mult_adds={self.mult_adds})")


class ModelSummary(ModelSummaryFormats):
    """The result of :func:`summary`: totals, memory figures and one :class:`LayerRow` per call.

    ``str()`` is the table (only the rows down to ``depth``, deeper ones folded into their parent);
    ``format('table'|'json'|'csv'|'markdown'|'html')`` and ``_repr_html_`` give the other forms."""

    def __init__(self, model, input_size, layers, input_bytes, depth=3, col_names=DEFAULT_COLUMNS,
                 row_settings=DEFAULT_ROW_SETTINGS, verbose=1, col_width=25):
        self.model_name = type(model).__name__
        self.input_size = input_size
        self.layers = layers
        self.depth, self.col_names, self.row_settings = depth, tuple(col_names), tuple(row_settings)
        self.verbose, self.col_width = verbose, col_width
        unique = {id(p): p for p in model.parameters()}.values()
        self.total_params = sum(_prod(p.shape) for p in unique)
        self.trainable_params = sum(_prod(p.shape) for p in unique if p.requires_grad)
        self.non_trainable_params = self.total_params - self.trainable_params
        self.total_mult_adds = sum(row.mult_adds for row in layers if row.is_leaf)
        self.param_bytes = sum(_bytes_of(p.shape, p.dtype) for p in unique)
        self.buffer_bytes = sum(_bytes_of(b.shape, b.dtype) for b in model.buffers() if b is not None)
        self.input_bytes = input_bytes
        self.activation_bytes = sum(_bytes_of(row.output_shape, row._dtype) for row in layers if row.is_leaf)
        self.forward_backward_bytes = 2 * self.activation_bytes
        self.total_bytes = self.input_bytes + self.forward_backward_bytes + self.param_bytes

    @property
    def summary_list(self):
        """The module rows, as torchinfo's ``summary_list`` holds them (no ``F.*`` rows)."""
        return [row for row in self.layers if row.kind == "module"]

    # torchinfo's names for the memory figures
    total_input = property(lambda self: self.input_bytes)
    total_param_bytes = property(lambda self: self.param_bytes)
    total_output_bytes = property(lambda self: self.forward_backward_bytes)

    @property
    def shown_layers(self):
        """The rows of the table: down to ``depth``, and without repeated calls under hide_recursive_layers."""
        hide_recursive = "hide_recursive_layers" in self.row_settings
        return [row for row in self.layers if row.depth <= self.depth and not (hide_recursive and row.recursive)]


def _parameter_counts(module, recurse=True):
    unique = {id(p): p for p in module.parameters(recurse=recurse)}.values()
    return sum(_prod(p.shape) for p in unique), sum(_prod(p.shape) for p in unique if p.requires_grad)


def _hierarchy_depth(name):
    """Depth in the module tree, as torchinfo counts it: the model 0, ``layer1.0.conv1`` 3."""
    return 0 if not name else name.count(".") + 1


def _var_name(name, model):
    """torchinfo's var_name: the attribute a module is held under (the model: its class name)."""
    return name.rpartition(".")[2] if name else type(model).__name__


def _module_row(name, module, model, **values):
    params, trainable = _parameter_counts(module)
    return LayerRow(name=name, type=type(module).__name__, depth=_hierarchy_depth(name), kind="module",
                    params=params, trainable_params=trainable, own_params=_parameter_counts(module, False)[0],
                    var_name=_var_name(name, model), module=module, **values)


def _rows(calls, model):
    """Summary rows from the trace: module calls and functional calls that are not implementation details,
    in call order, with containers that were never called (ModuleList) inserted before their first child."""
    modules = dict(model.named_modules())
    rows, named = [], set()
    shown = [c for c in calls if not c.internal and (c.kind == "module" or c.type.startswith("F."))]
    shown_ids = {id(c) for c in shown}
    for call in shown:
        has_children = any(id(c) in shown_ids for c in call.children)
        field = call.output_field
        values = dict(input_shape=call.input_shape, output_shape=call.output_shape,
                      mult_adds=_subtree_mult_adds(call, shown_ids) if has_children else mult_adds_of(call),
                      kernel_size=kernel_size_of(call), receptive_field=field.size if field is not None else None,
                      stride=field.jump if field is not None else None, is_leaf=not has_children,
                      recursive=getattr(call, "recursive", False), dtype=call.output_dtype)
        if call.kind == "module":
            parts = call.name.split(".") if call.name else []
            for k in range(1, len(parts)):
                prefix = ".".join(parts[:k])
                if prefix not in named and prefix in modules:   # a container never called itself
                    rows.append(_module_row(prefix, modules[prefix], model, mult_adds=0, is_leaf=False))
                    named.add(prefix)
            named.add(call.name)
            rows.append(_module_row(call.name, call.module, model, **values))
        else:
            owner = call.parent
            while owner is not None and owner.kind != "module":
                owner = owner.parent
            depth = 1 if owner is None else _hierarchy_depth(owner.name) + 1
            rows.append(LayerRow(name=call.name, type=call.type, depth=depth, kind=call.kind, **values))
    return rows


def _subtree_mult_adds(call, shown_ids):
    total = 0
    for child in call.children:
        if id(child) not in shown_ids:
            continue
        grandchildren = any(id(g) in shown_ids for g in child.children)
        total += _subtree_mult_adds(child, shown_ids) if grandchildren else mult_adds_of(child)
    return total


def _check_settings(col_names, row_settings, depth, mode, verbose, col_width):
    """torchinfo's argument checks, with the valid choices (and the closest one) in the message."""
    for given, known, what in ((col_names, COLUMNS, "column"), (row_settings, ROW_SETTINGS, "row setting")):
        for name in given:
            if name not in known:
                raise ValueError(f"unknown {what} {name!r}{suggestion(name, known)}; "
                                 f"{what}s: {', '.join(known)}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be a non-negative integer, got {depth!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    if verbose not in (0, 1, 2):
        raise ValueError("Verbose must be either 0 (quiet), 1 (default), or 2 (verbose).")
    if col_width <= 0:
        raise ValueError(f"Column width must be greater than 0: col_width={col_width}")


@contextlib.contextmanager
def _training_mode(model, mode):
    """``model.train()``/``model.eval()`` for the run ("same": as it is), every module's flag put back after."""
    saved = [(module, module.training) for module in model.modules()]
    if mode != "same":
        model.train(mode == "train")
    try:
        yield
    finally:
        for module, flag in saved:
            module.training = flag


def _meta_like(value, model):
    """``input_data`` as meta tensors of the same shapes and dtypes (torch's for a torch model), keeping
    lists, tuples and dicts; NumPy arrays count as tensors; anything else is passed on unchanged."""
    import numpy as np

    from .._tensor import Tensor
    from .torch_trace import is_torch_object, to_meta
    if isinstance(value, (list, tuple)):
        return type(value)(_meta_like(v, model) for v in value)
    if isinstance(value, dict):
        return {k: _meta_like(v, model) for k, v in value.items()}
    if is_torch_object(value):
        return to_meta(value)
    if isinstance(value, (Tensor, np.ndarray)):
        from .._dtype import from_numpy_dtype
        dtype = value.dtype if isinstance(value, Tensor) else from_numpy_dtype(value.dtype)
        return meta_inputs(tuple(value.shape), [dtype], model)[0]
    return value


def _inputs(model, input_size, input_data, dtypes, batch_dim):
    """(positional inputs, keyword inputs) as meta tensors, from ``input_size`` or ``input_data``."""
    if input_size is not None and input_data is not None:
        raise RuntimeError("Only one of (input_data, input_size) should be specified.")
    if input_data is not None:
        data = _meta_like(input_data, model)
        if isinstance(data, dict):
            return [], data
        return (list(data) if isinstance(data, (list, tuple)) else [data]), {}
    if input_size is None:
        raise ValueError("summary needs input_size (e.g. (1, 3, 224, 224)) or input_data to run the model")
    shapes = [tuple(input_size)] if all(isinstance(n, int) for n in input_size) else [tuple(s) for s in input_size]
    if batch_dim is not None:
        shapes = [shape[:batch_dim] + (1,) + shape[batch_dim:] for shape in shapes]
    if dtypes is None:   # the parameters' dtype, so that a model.double() needs no dtypes argument
        first = next(iter(model.parameters()), None)
        if first is not None and first.is_floating_point():
            dtypes = [first.dtype] * len(shapes)
    return meta_inputs(shapes if len(shapes) > 1 else shapes[0], dtypes, model), {}


def _tensors_in(value):
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors_in(v)]
    if isinstance(value, dict):
        return _tensors_in(list(value.values()))
    return [value] if hasattr(value, "shape") and hasattr(value, "dtype") else []


def summary(model, input_size=None, input_data=None, batch_dim=None, cache_forward_pass=None, col_names=None,
            col_width=25, depth=3, device=None, dtypes=None, mode=None, row_settings=None, verbose=None,
            **kwargs):
    """Summarise ``model`` (an npconv or a torch module) for an input of ``input_size`` = ``(N, C, *spatial)``
    (or a list of such shapes for several inputs) or for ``input_data`` (tensors or arrays; a list for
    several inputs, a dict for keyword inputs), without computing any convolution: the model runs on meta
    tensors (shapes and dtypes only). torchinfo's signature and table:

    * ``depth`` (3): rows deeper than this are not shown; a container at ``depth`` shows its subtree's
      parameters and mult-adds (totals never change);
    * ``col_names``: any of ``input_size, output_size, num_params, params_percent, kernel_size, mult_adds,
      trainable`` and npconv's ``receptive_field, jump`` (default: output_size, num_params, mult_adds,
      receptive_field, jump);
    * ``row_settings``: any of ``depth`` (": 1-3" after the type, the default), ``var_names`` (the
      attribute name), ``ascii_only`` (``+``/``|`` for the tree), ``hide_recursive_layers``;
    * ``dtypes`` (one per input; default the parameters' dtype), ``batch_dim`` (a dimension of size 1
      inserted into each ``input_size``), ``mode`` (``"eval"``, the default as in torchinfo, ``"train"`` or
      ``"same"``: the mode is set for the run and put back after);
    * ``verbose``: 0 prints nothing, 1 prints the table (the default outside an interactive session, as in
      torchinfo), 2 also lists each layer's weight and bias;
    * ``device`` and ``cache_forward_pass`` are accepted for torchinfo's sake: the run is shape-only and fast.

    Extra keyword arguments are passed to ``model.forward``. Returns a :class:`ModelSummary`: totals
    (``total_params``, ``trainable_params``, ``non_trainable_params``, ``total_mult_adds``), memory figures
    and ``layers`` (one :class:`LayerRow` per module call and ``F.*`` call, all depths).
    """
    del device, cache_forward_pass
    col_names = DEFAULT_COLUMNS if col_names is None else tuple(col_names)
    row_settings = DEFAULT_ROW_SETTINGS if row_settings is None else tuple(row_settings)
    mode = "eval" if mode is None else mode
    if verbose is None:
        verbose = 0 if getattr(sys, "ps1", None) else 1
    _check_settings(col_names, row_settings, depth, mode, verbose, col_width)
    args, keyword_inputs = _inputs(model, input_size, input_data, dtypes, batch_dim)
    with _training_mode(model, mode):
        calls = trace(model, args, {**keyword_inputs, **kwargs})
    rows = _rows(calls, model)
    tensors = _tensors_in([args, keyword_inputs])
    input_bytes = sum(_bytes_of(tuple(t.shape), t.dtype) for t in tensors)
    result = ModelSummary(model, [tuple(t.shape) for t in tensors], rows, input_bytes, depth=depth,
                          col_names=col_names, row_settings=row_settings, verbose=verbose, col_width=col_width)
    if verbose:
        summary_table.print_table(result)
    return result
