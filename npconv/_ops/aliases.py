"""torch's alias names: a second name for an op, the same function (grad_fn, errors and all). One table
serves ``torch.*``, the Tensor methods and their in-place forms (``x.arccos_()`` is ``x.acos_()``)."""

ALIASES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
    "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh", "clip": "clamp", "concat": "cat",
    "concatenate": "cat", "divide": "div", "true_divide": "div", "fix": "trunc", "greater": "gt",
    "greater_equal": "ge", "less": "lt", "less_equal": "le", "multiply": "mul", "negative": "neg",
    "not_equal": "ne", "subtract": "sub", "swapaxes": "transpose", "swapdims": "transpose",
    "moveaxis": "movedim", "ger": "outer", "row_stack": "vstack",
}


def add_aliases(namespace, inplace=False):
    """Bind every alias whose op ``namespace`` (a dict) has; with ``inplace``, also ``alias_`` to ``op_``.
    Returns the names bound."""
    bound = []
    for alias, op in ALIASES.items():
        for suffix in ("", "_") if inplace else ("",):
            if op + suffix in namespace and alias + suffix not in namespace:
                namespace[alias + suffix] = namespace[op + suffix]
                bound.append(alias + suffix)
    return bound
