"""A convolution that never multiplies its zero padding by the weight, as oneDNN's kernels (torch's backend
for float32 batches) compute it: their loops visit only the taps whose input position exists.

The difference from multiplying zeros shows only for a weight holding inf or NaN (0 x inf = NaN): oneDNN
gives NaN or inf only at the outputs whose window sees real input at that tap, where torch's own kernels
(im2col of a zero-padded input) and npconv's algorithms give NaN at every output of the channel. So the
finite part of the weight goes through the chosen algorithm, and each tap holding a non-finite weight adds
its own products over the outputs whose window has that tap inside the input. (An input that also holds
inf or NaN at such a tap gets NaN there from the finite part's zero; oneDNN could give inf: left, as both
would have to be non-finite at the same place.)
"""
import numpy as np

from npconv import _shapes


def conv_forward(forward, x, w, finite_input, out_spatial, stride, padding, dilation, groups):
    """``forward(x, w)``, the dispatcher's convolution, with the padding never multiplied by ``w``
    (``finite_input``: whether x holds only finite values)."""
    special = ~np.isfinite(w)
    y = forward(x, np.where(special, w.dtype.type(0), w))
    for tap in np.unique(np.argwhere(special)[:, 2:], axis=0):
        ranges = _inside(tuple(tap), out_spatial, x.shape[2:], stride, padding, dilation)
        if ranges is not None:
            _add_tap(y, x, w, special, tuple(tap), ranges, groups, finite_input)
    return y


def _inside(tap, out_spatial, in_spatial, stride, padding, dilation):
    """Per dim, the outputs o whose input position o * stride + tap * dilation - before lies in the input,
    and those input positions: (output slices, input slices), or None when there is none."""
    outputs, inputs = [], []
    for k, count, size, s, (before, _), d in zip(tap, out_spatial, in_spatial, stride, padding, dilation):
        offset = k * d - before
        first = max(0, _shapes.ceil_div(-offset, s))
        last = min(count - 1, (size - 1 - offset) // s)
        if last < first:
            return None
        outputs.append(slice(first, last + 1))
        inputs.append(slice(first * s + offset, last * s + offset + 1, s))
    return tuple(outputs), tuple(inputs)


def _add_tap(y, x, w, special, tap, ranges, groups, finite_input):
    """Add the products of the non-finite weights at ``tap`` over the outputs that see real input there."""
    outputs, inputs = ranges
    at_tap = (slice(None), slice(None)) + tap
    values, chosen = w[at_tap], special[at_tap]            # (C_out, C_in / groups)
    per_group_out, per_group_in = w.shape[0] // groups, w.shape[1]
    for g in range(groups):
        rows = g * per_group_out + np.flatnonzero(chosen[g * per_group_out:(g + 1) * per_group_out].any(axis=1))
        if rows.size == 0:
            continue
        xs = x[(slice(None), slice(g * per_group_in, (g + 1) * per_group_in)) + inputs]   # (N, C_in/g, *box)
        if finite_input:   # the other weights as zeros add exact zeros
            terms = np.einsum("oc,nc...->no...", np.where(chosen[rows], values[rows], 0), xs)
        else:              # only the non-finite weights' own products (0 x inf would be NaN)
            terms = np.zeros((x.shape[0], rows.size) + xs.shape[2:], dtype=y.dtype)
            for i, row in enumerate(rows):
                for c in np.flatnonzero(chosen[row]):
                    terms[:, i] += values[row, c] * xs[:, c]
        target = (slice(None), rows) + outputs
        y[target] = y[target] + terms
