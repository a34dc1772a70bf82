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

from .trace import meta_inputs, trace

__all__ = ["summary", "ModelSummary", "LayerRow", "mult_adds_of"]


def _prod(values):
    return math.prod(int(v) for v in values)


def _tuple(value, ndim):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def mult_adds_of(call):
    """Weight multiply-accumulates of one recorded call (npconv's convention, see the module doc)."""
    if call.output_shape is None or not call.input_shapes:
        return 0
    name = call.type
    if call.kind == "module":
        module = call.module
        if name.startswith("ConvTranspose") and hasattr(module, "kernel_size"):
            kernel = _prod(_tuple(module.kernel_size, 1))
            return _prod(call.input_shape) * (module.out_channels // module.groups) * kernel
        if name.startswith("Conv") and hasattr(module, "kernel_size"):
            kernel = _prod(_tuple(module.kernel_size, 1))
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
    if shape is None or dtype is None:
        return 0
    return _prod(shape) * dtype.itemsize if hasattr(dtype, "itemsize") else _prod(shape) * _itemsize(dtype)


def _itemsize(dtype):
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if numpy_dtype is not None:
        import numpy as np
        return np.dtype(numpy_dtype).itemsize
    return 4


class LayerRow:
    """One row of a summary: a module call or a functional call made in some ``forward``."""

    FIELDS = ("name", "type", "depth", "kind", "input_shape", "output_shape", "params", "trainable_params",
              "mult_adds", "receptive_field", "stride", "is_leaf")

    def __init__(self, **values):
        for key in self.FIELDS:
            setattr(self, key, values.get(key))
        self.index_in_parent = values.get("index_in_parent", 1)
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


def _own_parameters(module):
    return list(module.parameters())


class ModelSummary:
    """The result of :func:`summary`: totals, memory figures and one :class:`LayerRow` per call."""

    def __init__(self, model, input_size, layers, calls_dtype):
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
        self.input_bytes = calls_dtype["input_bytes"]
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
                _count_text(row.params if row.is_leaf or row.depth == 0 else None), _count_text(row.mult_adds),
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
        columns = [("Output Shape", lambda r: _shape_text(r.output_shape)),
                   ("Param #", lambda r: _count_text(r.params if (r.is_leaf or r.depth == 0) and not r.recursive
                                                     else None) if r.depth else "--"),
                   ("Mult-Adds", lambda r: _count_text(r.mult_adds if r.is_leaf else None)),
                   ("RF", lambda r: _grid_text(r.receptive_field)),
                   ("Jump", lambda r: _grid_text(r.stride))]
        titles = [self._title(row) for row in self.layers]
        name_width = max([40] + [5 * math.ceil((len(t) + 1) / 5) for t in titles])
        widths = [25, 15, 18, 12, 10]
        total_width = name_width + sum(widths)
        divider = "=" * total_width
        lines = [divider, "Layer (type:depth-idx)".ljust(name_width)
                 + "".join(title.ljust(w) for (title, _), w in zip(columns, widths)), divider]
        for row, title in zip(self.layers, titles):
            lines.append(title.ljust(name_width) + "".join(fn(row).ljust(w) for (_, fn), w in zip(columns, widths)))
        lines.append(divider)
        lines.extend(f"{label}: {value}" for label, value in self._totals()[:4])
        lines.append(divider)
        lines.extend(f"{label}: {value}" for label, value in self._totals()[4:])
        lines.append(divider)
        return "\n".join(line.rstrip() for line in lines)

    def _title(self, row):
        if row.depth == 0:
            return row.type
        if row.depth == 1:
            prefix = "├─"
        else:
            prefix = "│    " * (row.depth - 1) + "└─"
        suffix = " (recursive)" if row.recursive else ""
        return f"{prefix}{row.type}: {row.depth}-{row.index_in_parent}{suffix}"

    __repr__ = __str__


def _shape_text(shape):
    return "--" if shape is None else "[" + ", ".join(str(n) for n in shape) + "]"


def _count_text(value):
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


def _rows(calls):
    """Summary rows from the trace: module calls and functional calls that are not implementation details."""
    rows, row_of = [], {}
    shown = [c for c in calls if not c.internal and (c.kind == "module" or c.type.startswith("F."))]
    shown_ids = {id(c) for c in shown}
    for call in shown:
        parent = call.parent
        while parent is not None and id(parent) not in shown_ids:
            parent = parent.parent
        siblings = [c for c in (parent.children if parent else []) if id(c) in shown_ids]
        has_children = any(id(c) in shown_ids for c in call.children)
        params = 0
        trainable = 0
        if call.kind == "module":
            unique = {id(p): p for p in call.module.parameters()}.values()
            params = sum(_prod(p.shape) for p in unique)
            trainable = sum(_prod(p.shape) for p in unique if p.requires_grad)
        field = call.output_field
        row = LayerRow(
            name=call.name, type=call.type, depth=call.depth, kind=call.kind,
            input_shape=call.input_shape, output_shape=call.output_shape, params=params,
            trainable_params=trainable, mult_adds=mult_adds_of(call) if not has_children else
            _subtree_mult_adds(call, shown_ids),
            receptive_field=field.size if field is not None else None,
            stride=field.jump if field is not None else None, is_leaf=not has_children,
            index_in_parent=(siblings.index(call) + 1) if call in siblings else 1,
            recursive=getattr(call, "recursive", False))
        row._dtype = call.output_dtype
        rows.append(row)
        row_of[id(call)] = row
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
    pixels). ``str()`` of it is a torchinfo-style table; ``to_dict``, ``to_json``, ``to_csv``,
    ``to_markdown`` export it. Extra keyword arguments are passed to ``model.forward``.
    """
    inputs = meta_inputs(input_size, dtypes)
    calls = trace(model, inputs, kwargs)
    rows = _rows(calls)
    input_bytes = sum(_bytes_of(tuple(t.shape), t.dtype) for t in inputs)
    shapes = [tuple(t.shape) for t in inputs]
    return ModelSummary(model, shapes, rows, {"input_bytes": input_bytes})
