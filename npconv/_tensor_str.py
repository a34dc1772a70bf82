"""Printing tensors exactly as torch does (torch/_tensor_str.py's rules)."""
import numpy as np


def tensor_repr(t):
    return "tensor(" + repr(t._data.tolist()) + ")"
