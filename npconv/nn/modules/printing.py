"""How a module tree prints, in torch's layout: one home for Module.__repr__, ModuleList's runs of equal
children, and tools that print the tree with their own figures per layer (ptflops' per-layer report)."""

__all__ = ["indent", "layout", "runs", "tree_repr"]


def indent(text, spaces):
    """Indent every line of ``text`` but the first by ``spaces`` (a child's repr inside its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * spaces + line for line in lines)


def layout(name, extra_lines, child_lines):
    """torch's Module repr from its parts: ``Name(extra)`` on one line when there is one extra line and
    no child, else one indented line per part."""
    lines = extra_lines + child_lines
    main = name + "("
    if lines:
        if len(extra_lines) == 1 and not child_lines:
            main += extra_lines[0]
        else:
            main += "\n  " + "\n  ".join(lines) + "\n"
    return main + ")"


def runs(name, reprs):
    """torch's ModuleList repr: runs of identical children print once, as ``(0-2): 3 x Linear(...)``."""
    if not reprs:
        return name + "()"
    grouped = []  # [start, end, repr]
    for i, text in enumerate(reprs):
        if grouped and grouped[-1][2] == text:
            grouped[-1][1] = i
        else:
            grouped.append([i, i, text])
    lines = []
    for start, end, text in grouped:
        line = f"({start}): {text}" if start == end else f"({start}-{end}): {end - start + 1} x {text}"
        lines.append(indent(line, 2))
    return name + "(\n  " + "\n  ".join(lines) + "\n)"


def tree_repr(module, extra_repr=None):
    """The repr of ``module`` and its children as torch prints it, each module's settings text given by
    ``extra_repr(module)`` (default: the module's own ``extra_repr()``)."""
    text = extra_repr(module) if extra_repr is not None else module.extra_repr()
    children = [(key, tree_repr(child, extra_repr)) for key, child in module._modules.items() if child is not None]
    if type(module).__name__ == "ModuleList":
        return runs("ModuleList", [child for _, child in children])
    child_lines = [f"({key}): " + indent(child, 2) for key, child in children]
    return layout(type(module).__name__, text.split("\n") if text else [], child_lines)
