"""The forms of a :class:`~npconv.arithmetic.summary.ModelSummary`: torchinfo's text table, JSON, CSV, Markdown
and HTML, all with the same column names (``col_names``: ``output_size``, ``num_params``...).

The text table follows torchinfo's rules: rows deeper than ``depth`` are left out and a container at
``depth`` shows the parameters and mult-adds of its whole subtree; other containers show only parameters
of their own; a module called again shows "(recursive)"; non-trainable parameter counts are in parentheses.
Given a ``width`` (a terminal's), a table wider than it is made narrower step by step: columns as wide as
their contents, titles wrapped over two lines, long layer names shortened in the middle, and last the
rightmost columns left out with a note saying which.
"""
import csv
import difflib
import html
import io
import json
import math
import os
import sys
import textwrap

__all__ = ["COLUMNS", "ROW_SETTINGS", "ModelSummaryFormats", "suggestion", "can_encode", "ascii_terminal",
           "print_table"]


def _shape_text(shape):
    return "--" if shape is None else "[" + ", ".join(str(n) for n in shape) + "]"


def _grid_text(values):
    return "--" if values is None else "x".join(str(v) for v in values)


def _plain(values):
    """Fractions (a receptive field's jump after upsampling) as floats, other numbers as ints, for JSON."""
    if values is None:
        return None
    return [float(v) if getattr(v, "denominator", 1) != 1 else int(v) for v in values]


def _percent(row, total):
    return None if not total or row.recursive else round(100 * row.params / total, 2)


# column name -> (title, value for the exports: function of (row, total_params)); torchinfo's names and titles
COLUMNS = {
    "input_size": ("Input Shape", lambda row, total: _plain(row.input_shape)),
    "output_size": ("Output Shape", lambda row, total: _plain(row.output_shape)),
    "num_params": ("Param #", lambda row, total: row.params),
    "params_percent": ("Param %", _percent),
    "kernel_size": ("Kernel Shape", lambda row, total: row.kernel_size),
    "mult_adds": ("Mult-Adds", lambda row, total: row.mult_adds),
    "trainable": ("Trainable", lambda row, total: row.trainable),
    "receptive_field": ("Receptive Field", lambda row, total: _plain(row.receptive_field)),
    "jump": ("Jump", lambda row, total: _plain(row.stride)),
}
ROW_SETTINGS = ("depth", "var_names", "ascii_only", "hide_recursive_layers")

# the tree drawn in Unicode box characters, or in ASCII (row_settings ascii_only, or a stream that cannot
# encode the box characters)
BOX = {"first": "├─", "nested": "└─", "bar": "│    ", "item": "├─", "last": "└─", "cut": "…"}
ASCII = {"first": "+ ", "nested": "+ ", "bar": "|    ", "item": "|-", "last": "`-", "cut": "~"}


def suggestion(word, choices):
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to a mistyped ``word`` (empty if none is close)."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def can_encode(stream, text):
    """Whether ``stream`` (e.g. sys.stdout in an ASCII or cp1252 terminal) can write ``text``."""
    encoding = getattr(stream, "encoding", None)
    if encoding is None:          # an in-memory text stream (io.StringIO) holds any character
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def ascii_terminal(stream):
    """Whether to draw in ASCII on ``stream``: it cannot encode the box characters (PYTHONIOENCODING=ascii,
    a cp1252 console), or the locale is declared "C"/"POSIX" (LANG=C: an ASCII terminal, even though Python
    itself then switches its streams to UTF-8, PEP 538/540)."""
    if not can_encode(stream, "".join(BOX.values())):
        return True
    env = os.environ
    declared = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    coerced = not env.get("LC_ALL") and env.get("LC_CTYPE") == "C.UTF-8" and env.get("LANG") in ("C", "POSIX")
    return declared in ("C", "POSIX") or coerced


def print_table(result, file=None):
    """Print ``result``'s table to ``file`` (stdout), in ASCII where the tree cannot be shown."""
    file = file or sys.stdout
    print(result.table(ascii_only=ascii_terminal(file)), file=file)


def _count(value):
    return "--" if not value else f"{value:,}"


def _cell(column, row, folded, total):
    """The text of one table cell: torchinfo's rules per column."""
    complete = folded or row.is_leaf       # the row stands for its whole subtree
    if column == "num_params":
        if not row.params:
            return "--"
        if row.recursive:
            return "(recursive)"
        if complete:
            return f"{row.params:,}" if row.trainable_params else f"({row.params:,})"
        return _count(row.own_params)
    if column == "params_percent":
        shown = row.params if complete else row.own_params
        if row.recursive and total:
            return "(recursive)"
        return f"{shown / total:>7.2%}" if total and shown else "     --"
    if column == "mult_adds":
        return _count(row.mult_adds) if complete else "--"
    if column == "kernel_size":
        return str(row.kernel_size) if row.kernel_size else "--"
    if column == "trainable":
        return row.trainable or "--"
    if column in ("input_size", "output_size"):
        return _shape_text(row.input_shape if column == "input_size" else row.output_shape)
    return _grid_text(row.receptive_field if column == "receptive_field" else row.stride)


def _readable(number):
    """torchinfo's units for a count: (T), (G), (M), and below a million (k) or none, so that a small
    model's total reads "(k): 40.96" rather than "(M): 0.04"."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1)):
        if number >= scale or scale == 1:
            value = number / scale
            text = f"{int(value):,d}" if value.is_integer() else f"{value:,.2f}"
            return (f" ({unit})" if unit else ""), text


class _Line:
    """A row of the text table: the layer column in pieces (tree prefix, name, ": depth-idx"), the cells."""

    def __init__(self, prefix, name, suffix, cells):
        self.prefix, self.name, self.suffix, self.cells = prefix, name, suffix, cells

    def layer(self, width=None, cut="…"):
        whole = self.prefix + self.name + self.suffix
        if width is None or len(whole) <= width:
            return whole
        keep = max(1, width - len(self.prefix) - len(self.suffix) - len(cut))
        return self.prefix + self.name[:keep] + cut + self.suffix


class ModelSummaryFormats:
    """The forms of a summary (mixed into ModelSummary, which holds the rows, totals and settings)."""

    # ----- text table
    def table(self, width=None, ascii_only=False):
        """torchinfo's table; ``width`` (characters) narrows it to fit, ``ascii_only`` draws the tree in ASCII."""
        marks = ASCII if ascii_only or "ascii_only" in self.row_settings else BOX
        lines = self._lines(marks)
        header = [COLUMNS[c][0] for c in self.col_names]
        body, total_width = _fit(lines, self._header_title(), header, self._layer_width(), self.col_width, width, marks["cut"])
        divider = "=" * (total_width if width is None else min(total_width, width))
        totals = [f"{label}: {value}" for label, value in self._totals()]
        out = [divider, *body[0], divider, *body[1], divider, *totals[:4], divider, *totals[4:], divider]
        if body[2]:
            out.append(f"(left out for the width of {width} columns: {', '.join(body[2])}; "
                       f"--format csv has every column)")
        return "\n".join(out)

    def _header_title(self):
        layer = "Layer (type"
        if "var_names" in self.row_settings:
            layer += " (var_name)"
        if "depth" in self.row_settings:
            layer += ":depth-idx"
        return layer + ")"

    def _names(self):
        """(name, ": depth-idx") of every row, all depths: the running index per depth is torchinfo's, counting
        modules only, so that "1-3" names the same layer as in torchinfo's table (an F.* row shows its depth)."""
        counters, names = {}, []
        for row in self.layers:
            name = row.type
            if "var_names" in self.row_settings and row.var_name:
                name += f" ({row.var_name})"
            suffix = ""
            if row.depth > 0 and row.kind == "module":
                counters[row.depth] = counters.get(row.depth, 0) + 1
            if row.depth > 0 and "depth" in self.row_settings:
                suffix = f": {row.depth}" + (f"-{counters[row.depth]}" if row.kind == "module" else "")
            names.append((name, suffix))
        return names

    def _layer_width(self):
        """torchinfo's layer column: at least 40, else the longest name (all depths) rounded up to 5."""
        longest = max([0] + [len(name + suffix) + row.depth * 5 + 1
                             for (name, suffix), row in zip(self._names(), self.layers)])
        return max(40, 5 * math.ceil(longest / 5))

    def _lines(self, marks):
        hide_recursive = "hide_recursive_layers" in self.row_settings
        lines = []
        for row, (name, suffix) in zip(self.layers, self._names()):
            if row.depth > self.depth or hide_recursive and row.recursive:
                continue
            folded = row.depth == self.depth
            cells = [_cell(c, row, folded, self.total_params) for c in self.col_names]
            lines.append(_Line(_tree_prefix(row.depth, marks), name, suffix, cells))
            if self.verbose == 2 and row.kind == "module":
                lines.extend(self._parameter_lines(row, marks))
        return lines

    def _parameter_lines(self, row, marks):
        """verbose=2: a line per weight and bias (the model's own only, every one for a layer), as torchinfo."""
        named = [(n, p) for n, p in row.module.named_parameters() if row.depth > 0 or "." not in n]
        lines = []
        for index, (name, parameter) in enumerate(named):
            shape = list(parameter.shape)
            if name == "weight" and len(shape) > 1:   # shown as [in, out, kernel...], as torchinfo does
                shape[0], shape[1] = shape[1], shape[0]
            mark = marks["last"] if index == len(named) - 1 else marks["item"]
            cells = {"kernel_size": str(shape), "num_params": f"{mark}{math.prod(shape):,}"}
            lines.append(_Line(_tree_prefix(row.depth + 1, marks), name, "",
                               [cells.get(c, "") for c in self.col_names]))
        return lines

    def _totals(self):
        unit, value = _readable(self.total_mult_adds)
        return [("Total params", f"{self.total_params:,}"), ("Trainable params", f"{self.trainable_params:,}"),
                ("Non-trainable params", f"{self.non_trainable_params:,}"), ("Total mult-adds" + unit, value),
                ("Input size (MB)", f"{self.input_bytes / 1e6:0.2f}"),
                ("Forward/backward pass size (MB)", f"{self.forward_backward_bytes / 1e6:0.2f}"),
                ("Params size (MB)", f"{self.param_bytes / 1e6:0.2f}"),
                ("Estimated Total Size (MB)", f"{self.total_bytes / 1e6:0.2f}")]

    def __str__(self):
        return self.table()

    __repr__ = __str__

    # ----- exports
    def to_dict(self):
        keys = ("model_name", "input_size", "total_params", "trainable_params", "non_trainable_params",
                "total_mult_adds", "param_bytes", "buffer_bytes", "input_bytes", "activation_bytes",
                "forward_backward_bytes", "total_bytes", "depth")
        out = {key: getattr(self, key) for key in keys}
        out["input_size"] = [list(s) for s in self.input_size]
        out["columns"] = list(self.col_names)
        out["layers"] = [self._export_row(row) for row in self.shown_layers]
        return out

    def _export_row(self, row):
        values = row.to_dict(self.total_params)
        return {key: values[key] for key in (*row.FIELDS, *self.col_names)}

    def to_json(self, indent=2):
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self):
        """One line per shown row: name, var_name, type, depth, kind, is_leaf, recursive and the columns
        (shapes written 1x3x224x224)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        rows = [self._export_row(row) for row in self.shown_layers]
        keys = (*self.layers[0].FIELDS, *self.col_names) if self.layers else self.col_names
        writer.writerow(keys)
        for values in rows:
            writer.writerow(["x".join(map(str, v)) if isinstance(v, list) else "" if v is None else v
                             for v in (values[k] for k in keys)])
        return buffer.getvalue()

    def _display_rows(self):
        """(depth, layer text, cell texts) of the shown rows, for Markdown and HTML."""
        return [(line.prefix.count("    ") + bool(line.prefix), line.name + line.suffix, line.cells)
                for line in self._lines(ASCII)]

    def to_markdown(self):
        header = [self._header_title(), *(COLUMNS[c][0] for c in self.col_names)]
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(self.col_names)]
        for depth, layer, cells in self._display_rows():
            lines.append("| " + "&nbsp;&nbsp;" * depth + " | ".join([layer, *cells]) + " |")
        lines.append("")
        lines.extend(f"- {label}: {value}" for label, value in self._totals())
        return "\n".join(lines) + "\n"

    def to_html(self):
        """An HTML table (as Jupyter shows the summary): the rows indented by depth, then the totals."""
        head = "".join(f"<th>{html.escape(t)}</th>" for t in [self._header_title(),
                                                              *(COLUMNS[c][0] for c in self.col_names)])
        body = []
        for depth, layer, cells in self._display_rows():
            tds = "".join(f'<td style="text-align:right">{html.escape(c.strip())}</td>' for c in cells)
            body.append(f'<tr><td style="text-align:left;padding-left:{0.3 + 1.5 * depth:.1f}em">'
                        f"{html.escape(layer)}</td>{tds}</tr>")
        totals = "".join(f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
                         for label, value in self._totals())
        return (f'<div class="npconv-summary"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
                f"</tbody></table><table>{totals}</table></div>")

    def _repr_html_(self):
        return self.to_html()

    def format(self, fmt="table", width=None, ascii_only=False):
        """The summary as ``'table'`` (torchinfo style, narrowed to ``width``), ``'json'``, ``'csv'``,
        ``'markdown'`` or ``'html'`` text."""
        formats = {"table": lambda: self.table(width, ascii_only), "json": self.to_json, "csv": self.to_csv,
                   "markdown": self.to_markdown, "html": self.to_html}
        if fmt not in formats:
            raise ValueError(f"unknown format {fmt!r}{suggestion(fmt, formats)}; use one of {', '.join(formats)}")
        return formats[fmt]()


def _tree_prefix(depth, marks):
    if depth == 0:
        return ""
    return marks["first"] if depth == 1 else marks["bar"] * (depth - 1) + marks["nested"]


def _fit(lines, layer_title, header, layer_width, col_width, width, cut):
    """(header lines, body lines, left-out column titles) and the table's width: torchinfo's layout when it
    fits in ``width`` (or no width is given), else narrower step by step (see the module doc)."""
    def render(widths, gap, kept, wrap):
        def join(cells):
            parts = [f"{c:<{w}}" for c, w in zip(cells, widths)]
            return (" " * gap).join(parts).rstrip()
        titles = [layer_title, *header[:kept]]
        title_rows = _wrapped(titles, widths) if wrap else [titles]
        body = [join([line.layer(widths[0] if wrap else None, cut), *line.cells[:kept]]) for line in lines]
        return [join(row) for row in title_rows], body

    torchinfo_width = layer_width + col_width * len(header)
    if width is None or torchinfo_width <= width:
        head, body = render([layer_width] + [col_width] * len(header), 1, len(header), False)
        return (head, body, []), torchinfo_width
    names = max([len(line.layer()) for line in lines] + [len(layer_title)])
    shortest_name = max(min(names, 24), max(map(len, layer_title.split())))
    for kept in range(len(header), -1, -1):
        cells = [max([len(line.cells[i]) for line in lines] + [1]) for i in range(kept)]
        for wrap_titles in (False, True):
            columns = [max(c, max(map(len, header[i].split())) if wrap_titles else len(header[i]))
                       for i, c in enumerate(cells)]
            for gap in (2, 1):
                room = width - sum(columns) - gap * kept
                if room >= shortest_name or kept == 0:
                    layer = max(min(names, room), shortest_name)
                    head, body = render([layer] + columns, gap, kept, True)
                    return (head, body, header[kept:]), layer + sum(columns) + gap * kept


def _wrapped(titles, widths):
    """Column titles wrapped at spaces to their column widths, as rows of header cells."""
    pieces = [textwrap.wrap(t, max(w, 1), break_long_words=False) or [""] for t, w in zip(titles, widths)]
    height = max([1] + [len(p) for p in pieces])
    return [[p[i] if i < len(p) else "" for p in pieces] for i in range(height)]
