"""How large one array may be, and torch's error when a request is larger: one home for the limit.

NumPy refuses an impossible allocation with its own ``MemoryError``; torch raises a ``RuntimeError`` from its
CPU allocator. npconv checks sizes it can foresee (creation functions, layer outputs, views that broadcast
a small array to a huge shape) before any work starts, and turns NumPy's ``MemoryError`` into torch's error
where one slips through. Leaf module: imports only the standard library.
"""
import math
import os

__all__ = ["MAX_ARRAY_BYTES", "allocation_error", "check_allocation", "is_huge_broadcast"]


def _physical_memory_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16 * 2**30


# An array above this is refused before anything is allocated: the operations that make one need a few
# buffers of its size, so half the machine's memory is already more than a call can hope to finish with.
MAX_ARRAY_BYTES = _physical_memory_bytes() // 2


def allocation_error(nbytes):
    """The RuntimeError torch's CPU allocator raises for a request it cannot serve."""
    return RuntimeError(f"[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
                        f"memory: you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)")


def check_allocation(shape, itemsize, count_first=False):
    """Raise torch's error for an array of ``shape`` that would take more than MAX_ARRAY_BYTES. Some torch
    ops count the elements before the bytes (``count_first``): beyond int64 they say so first."""
    count = math.prod(shape)
    if count_first and count >= 2**63:
        raise RuntimeError("numel: integer multiplication overflow")
    if count * itemsize >= 2**63:
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{', '.join(map(str, shape))}]")
    stride = 1   # torch computes the contiguous strides too (an empty dim counts as 1 there)
    for n in reversed(shape[1:]):
        stride *= max(n, 1)
        if stride >= 2**63:
            raise RuntimeError("Stride calculation overflowed")
    if count * itemsize > MAX_ARRAY_BYTES:
        raise allocation_error(count * itemsize)


def is_huge_broadcast(array):
    """Whether ``array`` is a broadcast view (zero strides) whose full size exceeds MAX_ARRAY_BYTES: any
    result of its shape would have to be allocated, and working through it would take practically forever."""
    return array.nbytes > MAX_ARRAY_BYTES and 0 in array.strides
