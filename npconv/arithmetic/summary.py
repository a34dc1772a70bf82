"""``npconv.summary``: a torchinfo-style table of a model, computed without computing any convolution.

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
import csv
import io
import json
import math

from .._shapes import ntuple
from .trace import meta_inputs, trace

__all__ = ["summary", "ModelSummary", "LayerRow", "mult_adds_of"]


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


def _bytes_of(shape, dtype):
    """Bytes of a tensor of ``shape`` and (npconv) ``dtype``; 0 when either is unknown."""
    if shape is None or dtype is None:
        return 0
    return _prod(shape) * dtype.itemsize


class LayerRow:
    """One row of a summary: a module call or a functional call made in some ``forward``."""

    FIELDS = ("name", "type", "depth", "kind", "input_shape", "output_shape", "params", "trainable_params",
              "mult_adds", "receptive_field", "stride", "is_leaf")

    def __init__(self, **values):
        for key in self.FIELDS:
            setattr(self, key, values.get(key))
        self.recursive = values.get("recursive", False)

    def to_dict(self):
        out = {key: getattr(self, key) for key in self.FIELDS}
        for key in ("input_shape", "output_shape", "receptive_field", "stride"):
            if out[key] is not None:
                out[key] = [_plain_number(v) for v in out[key]]
        return out

    def __repr__(self):
        return (f"LayerRow({self.name!r}, {self.type}, out={self.output_shape}, params={self.params}, "
                f"mult_adds={self.mult_adds})")


def _plain_number(value):
    if hasattr(value, "denominator") and value.denominator != 1:
        return float(value)
    return int(value)


class ModelSummary:
    """The result of :func:`summary`: totals, memory figures and one :class:`LayerRow` per call."""

    def __init__(self, model, input_size, layers, input_bytes):
        self.model_name = type(model).__name__
        self.input_size = input_size
        self.layers = layers
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

    # ----- exports
    def to_dict(self):
        keys = ("model_name", "input_size", "total_params", "trainable_params", "non_trainable_params",
                "total_mult_adds", "param_bytes", "buffer_bytes", "input_bytes", "activation_bytes",
                "forward_backward_bytes", "total_bytes")
        out = {key: getattr(self, key) for key in keys}
        out["input_size"] = [list(s) for s in self.input_size]
        out["layers"] = [row.to_dict() for row in self.layers]
        return out

    def to_json(self, indent=2):
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(LayerRow.FIELDS)
        for row in self.layers:
            values = row.to_dict()
            writer.writerow(["x".join(str(v) for v in values[k]) if isinstance(values[k], list) else
                             ("" if values[k] is None else values[k]) for k in LayerRow.FIELDS])
        return buffer.getvalue()

    def to_markdown(self):
        header = ["Layer", "Type", "Output Shape", "Param #", "Mult-Adds", "Receptive field", "Jump"]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 3 + ["---"] * 2) + "|"]
        for row in self.layers:
            lines.append("| " + " | ".join([
                ("&nbsp;&nbsp;" * row.depth) + (row.name or self.model_name), row.type, _shape_text(row.output_shape),
                _count_text(self._shown_params(row)), _count_text(row.mult_adds if row.is_leaf else None),
                _grid_text(row.receptive_field), _grid_text(row.stride)]) + " |")
        lines.append("")
        lines.extend(f"- {label}: {value}" for label, value in self._totals())
        return "\n".join(lines) + "\n"

    def _totals(self):
        return [("Total params", f"{self.total_params:,}"), ("Trainable params", f"{self.trainable_params:,}"),
                ("Non-trainable params", f"{self.non_trainable_params:,}"),
                ("Total mult-adds" + _readable(self.total_mult_adds)[0], _readable(self.total_mult_adds)[1]),
                ("Input size (MB)", f"{self.input_bytes / 1e6:0.2f}"),
                ("Forward/backward pass size (MB)", f"{self.forward_backward_bytes / 1e6:0.2f}"),
                ("Params size (MB)", f"{self.param_bytes / 1e6:0.2f}"),
                ("Estimated Total Size (MB)", f"{self.total_bytes / 1e6:0.2f}")]

    def format(self, fmt="table"):
        """The summary as ``'table'`` (torchinfo style), ``'json'``, ``'csv'`` or ``'markdown'`` text."""
        formats = {"table": self.__str__, "json": self.to_json, "csv": self.to_csv, "markdown": self.to_markdown}
        if fmt not in formats:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(formats)}")
        return formats[fmt]()

    def __str__(self):
        """The table in torchinfo's layout, with receptive field and jump columns added."""
        columns = [("Output Shape", 25, lambda r: _shape_text(r.output_shape)),
                   ("Param #", 25, lambda r: _count_text(self._shown_params(r))),
                   ("Mult-Adds", 25, lambda r: _count_text(r.mult_adds if r.is_leaf else None)),
                   ("Receptive Field", 16, lambda r: _grid_text(r.receptive_field)),
                   ("Jump", 10, lambda r: _grid_text(r.stride))]
        titles = self._titles()
        longest = max([0] + [len(bare) + row.depth * 5 + 1 for (_, bare), row in zip(titles, self.layers)])
        name_width = max(40, 5 * math.ceil(longest / 5))
        titles = [title for title, _ in titles]
        divider = "=" * (name_width + sum(width for _, width, _ in columns))

        def line(first, cells):
            return (f"{first:<{name_width}} " + "".join(f"{c:<{w}} " for c, (_, w, _) in zip(cells, columns))).rstrip()
        lines = [divider, line("Layer (type:depth-idx)", [title for title, _, _ in columns]), divider]
        lines += [line(title, [fn(row) for _, _, fn in columns]) for title, row in zip(titles, self.layers)]
        totals = [f"{label}: {value}" for label, value in self._totals()]
        lines += [divider, *totals[:4], divider, *totals[4:], divider]
        return "\n".join(lines)

    @staticmethod
    def _shown_params(row):
        """Leaves show their parameters, containers only parameters of their own, and a module called again
        shows "(recursive)" (torchinfo's rules)."""
        shown = row.params if row.is_leaf else row.own_params
        if not shown:
            return None
        return "(recursive)" if row.recursive else shown

    def _titles(self):
        """``├─Conv2d: 1-3``: tree prefix, type, depth and the running index at that depth (torchinfo's)."""
        counters, titles = {}, []
        for row in self.layers:
            if row.depth == 0:
                titles.append((row.type, row.type))
                continue
            counters[row.depth] = counters.get(row.depth, 0) + 1
            prefix = "├─" if row.depth == 1 else "│    " * (row.depth - 1) + "└─"
            bare = f"{row.type}: {row.depth}-{counters[row.depth]}"
            titles.append((prefix + bare, bare))
        return titles

    __repr__ = __str__


def _shape_text(shape):
    return "--" if shape is None else "[" + ", ".join(str(n) for n in shape) + "]"


def _count_text(value):
    if isinstance(value, str):
        return value
    return "--" if not value else f"{value:,}"


def _grid_text(values):
    if values is None:
        return "--"
    return "x".join(str(v) for v in values)


def _readable(number):
    """torchinfo's units: (M) below a billion, then (G), then (T)."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1)):
        if number >= scale or unit == "M":
            value = number / (scale if unit != "M" else 1e6)
            return f" ({unit})", (f"{int(value):,d}" if value.is_integer() else f"{value:,.2f}")


def _parameter_counts(module, recurse=True):
    unique = {id(p): p for p in module.parameters(recurse=recurse)}.values()
    return sum(_prod(p.shape) for p in unique), sum(_prod(p.shape) for p in unique if p.requires_grad)


def _hierarchy_depth(name):
    """Depth in the module tree, as torchinfo counts it: the model 0, ``layer1.0.conv1`` 3."""
    return 0 if not name else name.count(".") + 1


def _container_row(name, module):
    """A row for a container that was never called itself (a ModuleList), as torchinfo adds one."""
    params, trainable = _parameter_counts(module)
    row = LayerRow(name=name, type=type(module).__name__, depth=_hierarchy_depth(name), kind="module",
                   params=params, trainable_params=trainable, mult_adds=0, is_leaf=False)
    row.own_params, row._dtype = _parameter_counts(module, recurse=False)[0], None
    return row


def _rows(calls, model):
    """Summary rows from the trace: module calls and functional calls that are not implementation details,
    in call order, with containers that were never called (ModuleList) inserted before their first child."""
    modules = dict(model.named_modules())
    rows, named = [], set()
    shown = [c for c in calls if not c.internal and (c.kind == "module" or c.type.startswith("F."))]
    shown_ids = {id(c) for c in shown}
    for call in shown:
        if call.kind == "module":
            depth = _hierarchy_depth(call.name)
            parts = call.name.split(".") if call.name else []
            for k in range(1, len(parts)):
                prefix = ".".join(parts[:k])
                if prefix not in named and prefix in modules:
                    rows.append(_container_row(prefix, modules[prefix]))
                    named.add(prefix)
            named.add(call.name)
        else:
            owner = call.parent
            while owner is not None and owner.kind != "module":
                owner = owner.parent
            depth = 1 if owner is None else _hierarchy_depth(owner.name) + 1
        has_children = any(id(c) in shown_ids for c in call.children)
        params = trainable = own = 0
        if call.kind == "module":
            params, trainable = _parameter_counts(call.module)
            own = _parameter_counts(call.module, recurse=False)[0]
        field = call.output_field
        row = LayerRow(
            name=call.name, type=call.type, depth=depth, kind=call.kind,
            input_shape=call.input_shape, output_shape=call.output_shape, params=params,
            trainable_params=trainable, mult_adds=mult_adds_of(call) if not has_children else
            _subtree_mult_adds(call, shown_ids),
            receptive_field=field.size if field is not None else None,
            stride=field.jump if field is not None else None, is_leaf=not has_children,
            recursive=getattr(call, "recursive", False))
        row.own_params = own
        row._dtype = call.output_dtype
        rows.append(row)
    return rows


def _subtree_mult_adds(call, shown_ids):
    total = 0
    for child in call.children:
        if id(child) not in shown_ids:
            continue
        grandchildren = any(id(g) in shown_ids for g in child.children)
        total += _subtree_mult_adds(child, shown_ids) if grandchildren else mult_adds_of(child)
    return total


def summary(model, input_size, dtypes=None, **kwargs):
    """Summarise ``model`` for an input of ``input_size`` = ``(N, C, *spatial)`` (or a list of such shapes
    for several inputs) without computing any convolution: the model runs on meta tensors.

    Returns a :class:`ModelSummary` with ``total_params``, ``trainable_params``, ``total_mult_adds``,
    the memory figures, and ``layers``: one :class:`LayerRow` per module call and per ``F.*`` call made in
    a ``forward`` (``name``, ``type``, ``depth``, ``input_shape``, ``output_shape``, ``params``,
    ``mult_adds``, ``receptive_field`` and ``stride`` -- the jump -- per spatial dimension, in input
    pixels). ``dtypes`` (one per input) defaults to the dtype of the model's parameters. ``str()`` of it is a
    torchinfo-style table; ``to_dict``, ``to_json``, ``to_csv``,
    ``to_markdown`` export it. Extra keyword arguments are passed to ``model.forward``.
    """
    if dtypes is None:   # the parameters' dtype, so that a model.double() needs no dtypes argument
        first = next(iter(model.parameters()), None)
        if first is not None and first.is_floating_point():
            shapes = [input_size] if all(isinstance(n, int) for n in input_size) else list(input_size)
            dtypes = [first.dtype] * len(shapes)
    inputs = meta_inputs(input_size, dtypes, model)
    calls = trace(model, inputs, kwargs)
    rows = _rows(calls, model)
    input_bytes = sum(_bytes_of(tuple(t.shape), t.dtype) for t in inputs)
    shapes = [tuple(t.shape) for t in inputs]
    return ModelSummary(model, shapes, rows, input_bytes)
