"""FFT convolution for large stride-1 kernels.

Cross-correlation is a product in the frequency domain: with the padded input ``xp`` (length P per dim)
transformed at a fast length L >= P, ``y = irfft( sum_c X_c * conj(W_c) )`` cropped to the first O
positions (no wrap-around reaches them: the last output reads position P - 1 < L).  The channel sum at
each frequency is a small complex GEMM, ``(N, C/G) @ (C/G, C_out/G)`` per group.  The cost per output and
channel pair is about constant in the kernel size, so it wins for large kernels (the direct methods pay
prod(K) multiply-adds).

Workspace bound: the weight spectrum (C_out x C/G per frequency, far larger than the weights) is never
built whole; it is transformed for a chunk of output channels at a time and used at once.  Input and
output spectra are about input- and output-sized.

The stride-1 input gradient is the forward with the flipped kernel (flipped.py, run by the dispatcher);
strided convolutions and weight gradients are the general algorithm's (no function here).  FFT mixes every
value into every output (``NEEDS_FINITE``): the dispatcher hands non-finite inputs to a direct method.
"""
import functools
import math

import numpy as np

from npconv._shapes import ceil_div, dilated_extent

from . import threads

__all__ = ["supports", "conv_forward", "fft_lengths", "NEEDS_FINITE"]

# An inf or NaN anywhere in the input reaches every output through the transforms (as NaN).
NEEDS_FINITE = frozenset({"forward", "input_grad"})

# Bytes of weight spectrum per chunk of output channels (complex, C/G per frequency and channel).
CHUNK_BYTES = 4 * 2**20


def supports(operation, x_shape, w_shape, stride, dilation, groups):
    """Stride-1 convolutions (any kernel, dilation, groups)."""
    return all(s == 1 for s in stride)


@functools.lru_cache(maxsize=None)
def _scipy_fft():
    """scipy.fft, imported on first use (~0.2 s that ``import npconv`` should not pay), or None without it.

    scipy's pocketfft can use several threads; without scipy (an optional extra, `pip install
    npconv[scipy]`) NumPy's own pocketfft runs the same transforms on one thread."""
    try:
        import scipy.fft
    except ImportError:
        return None
    return scipy.fft


def _rfftn(array, lengths, axes):
    scipy_fft = _scipy_fft()
    if scipy_fft is not None:
        return scipy_fft.rfftn(array, s=lengths, axes=axes, workers=threads.workers())
    return np.fft.rfftn(array, s=lengths, axes=axes)


def _irfftn(array, lengths, axes):
    scipy_fft = _scipy_fft()
    if scipy_fft is not None:
        return scipy_fft.irfftn(array, s=lengths, axes=axes, workers=threads.workers())
    return np.fft.irfftn(array, s=lengths, axes=axes)


def fast_length(n):
    """The smallest 2^a 3^b 5^c >= n: a length pocketfft transforms fast."""
    best = 1 << max(0, (n - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            candidate = power35 << max(0, (ceil_div(n, power35) - 1).bit_length())  # times the power of 2 needed
            best = min(best, candidate)
            power35 *= 3
        power5 *= 5
    return best


def fft_lengths(padded):
    """Transform lengths: the padded sizes rounded up to fast sizes."""
    return tuple(fast_length(p) for p in padded)


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups):
    """Same contract as ``tiled_gemm.conv_forward``, for stride 1."""
    batch, c_in = x.shape[:2]
    c_out, per_group = w.shape[:2]
    kernel = w.shape[2:]
    d = len(kernel)
    dtype = x.dtype
    complex_dtype = np.result_type(dtype, np.complex64)
    padded_sizes = tuple(b + s + a for s, (b, a) in zip(x.shape[2:], padding))
    lengths = fft_lengths(padded_sizes)
    padded = np.zeros((batch, c_in) + lengths, dtype=dtype)
    padded[(Ellipsis,) + tuple(slice(b, b + s) for s, (b, _) in zip(x.shape[2:], padding))] = x
    axes = tuple(range(2, 2 + d))
    spectrum = _rfftn(padded, lengths, axes)  # (N, C, *F)
    del padded
    freq_shape = spectrum.shape[2:]
    count = math.prod(freq_shape)
    # (F, G, N, C/G): one (N, C/G) matrix per frequency and group, for the channel-sum GEMMs
    by_frequency = np.ascontiguousarray(
        spectrum.reshape(batch, groups, per_group, count).transpose(3, 1, 0, 2)).astype(complex_dtype, copy=False)
    del spectrum
    w_grouped = w.reshape((groups, c_out // groups, per_group) + kernel)
    dilated = tuple(dilated_extent(k, dl) for k, dl in zip(kernel, dilation))
    out_spectrum = np.empty((count, groups, batch, c_out // groups), dtype=complex_dtype)
    per_channel = groups * per_group * count * np.dtype(complex_dtype).itemsize
    chunk = max(1, CHUNK_BYTES // per_channel)
    for start in range(0, c_out // groups, chunk):  # output channels of every group, a chunk at a time
        stop = min(start + chunk, c_out // groups)
        taps = np.zeros((groups, stop - start, per_group) + dilated, dtype=dtype)
        taps[(Ellipsis,) + tuple(slice(None, None, dl) for dl in dilation)] = w_grouped[:, start:stop]
        # conj(DFT) of the kernel = DFT of the kernel reversed (circularly): spectrum of a correlation
        spectrum_w = np.conj(_rfftn(taps, lengths, tuple(range(3, 3 + d))))
        # (G, c, C/G, *F) -> (F, G, C/G, c)
        spectrum_w = spectrum_w.reshape(groups, stop - start, per_group, count).transpose(3, 0, 2, 1)
        out_spectrum[:, :, :, start:stop] = np.matmul(by_frequency, spectrum_w)
    del by_frequency
    out_spectrum = out_spectrum.reshape(freq_shape + (groups, batch, c_out // groups))
    # (*F, G, N, C_out/G) -> (N, G, C_out/G, *F)
    order = (d + 1, d, d + 2) + tuple(range(d))
    out_spectrum = np.ascontiguousarray(out_spectrum.transpose(order)).reshape((batch, c_out) + freq_shape)
    full = _irfftn(out_spectrum, lengths, axes)
    crop = full[(Ellipsis,) + tuple(slice(0, o) for o in out_spatial)]
    return np.ascontiguousarray(crop, dtype=dtype)
