"""Reverse-mode automatic differentiation: ``Function`` (forward and backward side by side), grad mode,
and one topological graph walk.

The contract every op in npconv is written against::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):            # Tensor args arrive unwrapped as np.ndarray; others as-is
            ctx.save_for_backward(a, b)    # or any attribute: ctx.stride = stride
            return a * b                   # one ndarray, or (output, extra, ...) with extras not
                                           # differentiable (apply returns them as plain ndarrays)
        @staticmethod
        def backward(ctx, grad):           # grad: ndarray shaped like the output
            a, b = ctx.saved_tensors
            return grad * b, grad * a      # one entry per positional forward arg (None: no gradient)

    out = Mul.apply(x, y)                  # -> Tensor; graph recorded if grad mode is on and an
                                           #    input requires grad

The engine sums a gradient over broadcast dimensions down to its input's shape and casts it to the
input's dtype, so ops need not. ``backward`` must never modify ``grad`` in place: the same array may feed
several nodes, and it may be a read-only broadcast view. ``ctx`` *is* the graph node (as in torch): ``out.grad_fn`` prints as
``<MulBackward0 object at 0x...>`` for a Function defined inside npconv (torch's built-in style) and as
``<MulBackward ...>`` for one defined by user code (torch's custom-Function style); a Function may set
``backward_name = "MmBackward0"`` to mimic a particular torch op.

Higher-order gradients (``create_graph=True``): the same walk carries Tensors and asks each node for its
gradients as Tensor ops, through the rule ``npconv._graph_backward.double_backward(YourOp)`` registers
(written next to the op). A node without a rule still gives its first-order gradient, and differentiating
through it raises NotImplementedError naming the op; a user's Function runs its backward on Tensors.

Shape-only ("meta") mode: a Tensor created with ``device='meta'`` holds a zero-stride NumPy view (shape and
dtype, no memory). ``Function.apply`` sends calls with any meta input to ``_apply_meta`` (the one hook):
a Function may define ``meta(*args, **kwargs) -> (shape, dtype)`` computing only the output shape
(args as in forward, meta Tensors arriving as zero-stride ndarrays); without it, forward runs on the
zero-stride arrays (cheap for shape ops, fine for small element-wise ops) and its result becomes meta.
"""
import functools
import re
import threading
import warnings
import weakref

import numpy as np

from . import _dtype, _observe
from ._memory import allocation_error, is_huge_broadcast

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "backward", "grad", "Variable", "set_detect_anomaly", "detect_anomaly",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

class _GradState(threading.local):
    """Grad mode is per thread, as in torch (tiled inference runs forwards in worker threads)."""
    enabled = True


_state = _GradState()


def is_grad_enabled():
    """True when new operations are recorded for backward."""
    return _state.enabled


class _AnomalyState(threading.local):
    enabled = False
    check_nan = True


_anomaly = _AnomalyState()


def is_anomaly_enabled():
    return _anomaly.enabled


def is_anomaly_check_nan_enabled():
    return _anomaly.check_nan


class set_detect_anomaly:
    """Anomaly detection on or off (a call, or a context manager restoring the previous mode). npconv's
    anomaly mode checks every gradient a node returns for NaN, as torch's; it keeps no forward traces."""

    def __init__(self, mode, check_nan=True):
        self.previous = (_anomaly.enabled, _anomaly.check_nan)
        if mode and not _anomaly.enabled:
            import warnings
            warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                          "be enabled for debugging.", UserWarning, stacklevel=2)
        _anomaly.enabled, _anomaly.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly.enabled, _anomaly.check_nan = self.previous


class detect_anomaly(set_detect_anomaly):
    """``with torch.autograd.detect_anomaly():`` anomaly detection inside the block."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        super().__init__(True, self.check_nan)
        return self


def _refuse_nan(node, input_grads):
    """torch's anomaly-mode error for a backward that produced NaN."""
    for index, grad in enumerate(input_grads):
        if grad is not None and np.isnan(np.asarray(_array_of(grad))).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")


class _GradMode:
    """Base for the grad-mode switches: usable as a context manager and as a decorator."""

    mode = None

    def __enter__(self):
        self._previous = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._ctor_args()):
                return func(*args, **kwargs)
        return wrapper

    def _ctor_args(self):
        return ()


class _NoParamGradMode(_GradMode):
    """Also usable as a bare decorator (``@no_grad`` without parentheses), as in torch."""

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        return cls()(func)


class no_grad(_NoParamGradMode):
    """Context manager / decorator: operations inside are not recorded (results need no grad)."""

    mode = False


class enable_grad(_NoParamGradMode):
    """Context manager / decorator: turn recording back on inside a ``no_grad`` block."""

    mode = True


class inference_mode(_GradMode):
    """As torch.inference_mode(mode=True): here the same as ``no_grad`` (a no-op for mode=False)."""

    def __init__(self, mode=True):
        self._requested = bool(mode)

    def __enter__(self):
        self._previous = _state.enabled
        if self._requested:
            _state.enabled = False

    def _ctor_args(self):
        return (self._requested,)


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off now; as a context manager or decorator it
    restores the previous mode on exit (torch's behaviour)."""

    def __init__(self, mode):
        self._previous = _state.enabled
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        _state.enabled = self.mode

    def __call__(self, func):
        _state.enabled = self._previous  # used as a decorator: do not switch at decoration time
        return super().__call__(func)

    def _ctor_args(self):
        return (self.mode,)


# --------------------------------------------------------------------------------------------------
# Graph nodes


class BackwardNode:
    """A recorded call of a Function; it is also the ``ctx`` its forward and backward receive."""

    _function = None  # the Function subclass (set on each generated subclass)

    def save_for_backward(self, *arrays):
        self._saved = arrays

    # torch's ctx API for Functions written by users
    def mark_non_differentiable(self, *outputs):
        """These outputs get no graph (requires_grad False), as torch's."""
        self._non_differentiable = [id(_array_of(o)) for o in outputs]

    def mark_dirty(self, *tensors):
        """Inputs the forward changed in place (torch needs this to rebase views; npconv's data is already
        the input's)."""
        self._dirty = tensors

    def set_materialize_grads(self, value):
        """Accepted: npconv always hands backward a gradient array (zeros are never None)."""
        self._materialize_grads = value

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_saved", ())
        if saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors "
                "after they have already been freed). Saved intermediate values of the graph are freed "
                "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                "backward through the graph a second time or if you need to access saved tensors after "
                "calling backward.")
        versions = self.__dict__.get("_versions")
        if versions is not None:
            _check_versions(self, versions)
        return saved

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        """One entry per tensor argument of torch's op (see Function.graph_inputs), as torch lists them."""
        inputs, fns = self.__dict__.get("_inputs", ()), self.__dict__.get("_input_fns", ())
        listed = self.__dict__.get("_listed", ())
        return tuple((None if t is None else (fn or _AccumulateGrad(t)), 0)
                     for t, fn, shown in zip(inputs, fns, listed) if shown)

    def __repr__(self):
        # a user's Function's node is a Python class of torch.autograd.function in torch, and prints so
        where = "torch.autograd.function." if self._function._user_defined else ""
        return f"<{where}{type(self).__name__} object at {hex(id(self))}>"


class _AccumulateGrad:
    """What torch shows in ``next_functions`` for a leaf."""

    next_functions = ()  # where the graph walk of the blitz tutorial ends

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


_AccumulateGrad.__name__ = _AccumulateGrad.__qualname__ = "AccumulateGrad"  # type(node).__name__ as torch


class Function:
    """Base of every differentiable op: subclass with static ``forward(ctx, ...)`` and
    ``backward(ctx, grad)``, call ``YourOp.apply(...)``."""

    backward_name = None
    returns_view = False  # True for ops whose output shares the input's memory (the view ops of _ops)
    # The arguments torch's node lists in next_functions: a count of leading arguments (input, weight and
    # bias of a convolution, never its stride) or a tuple of positions. None: every argument that is a
    # tensor or None (an absent optional tensor).
    graph_inputs = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # torch's built-in ops print as <AddBackward0>, Functions written by users as <MulBackward>:
        # npconv's own ops play the built-ins (their private classes' underscore is not part of the name)
        own = cls.__module__.split(".")[0] == "npconv"
        name = cls.__dict__.get("backward_name") or (cls.__name__.lstrip("_") + "Backward0" if own
                                                     else cls.__name__ + "Backward")
        cls._node_class = type(name, (BackwardNode,), {"_function": cls, "__module__": cls.__module__})
        # a user's Function sees Tensors (torch's contract); npconv's own ops, and a subclass that says
        # sees_arrays = True, get and return the ndarrays themselves
        cls._user_defined = not cls.__dict__.get("sees_arrays", own)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._node_class()
        arrays = []
        inputs = []
        needs = []
        any_needs = False
        any_meta = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                any_meta = any_meta or a._meta
                if a._requires_grad:
                    any_needs = True
                    inputs.append(a)
                    needs.append(True)
                    continue
            else:
                arrays.append(a)
            inputs.append(None)
            needs.append(False)
        record = any_needs and _state.enabled
        ctx.needs_input_grad = tuple(needs) if record else (False,) * len(args)
        if cls._user_defined and not any_meta:
            result = _user_forward(cls, ctx, args, kwargs)
        elif any_meta:
            result = _apply_meta(cls, ctx, arrays, kwargs)
        else:
            result = _forward_within_memory(cls, ctx, arrays, kwargs)
        if _observe.state.observers:   # a summary watches this thread (see npconv._observe)
            _observe.op_applied(cls, arrays, result)
        extras = None
        if type(result) is tuple:
            result, extras = result[0], result[1:]
        result = result if type(result) is np.ndarray else np.asarray(result)
        if not (any_meta or cls.returns_view):
            result = _own_memory(result, arrays)
        out = Tensor._make(result, any_meta)
        if record and id(result) in ctx.__dict__.get("_non_differentiable", ()):
            record = False
        if record:
            ctx._inputs = inputs
            ctx._listed = _listed_arguments(cls.graph_inputs, args)
            # the nodes the inputs came from, fixed now: an in-place op may give an input a new node later
            ctx._input_fns = [None if t is None else t.grad_fn for t in inputs]
            out._requires_grad = True
            out.grad_fn = ctx
            if "_saved" in ctx.__dict__:
                _remember_versions(ctx, args, out)
        if extras is not None:
            return (out,) + tuple(extras)
        return out


def _listed_arguments(graph_inputs, args):
    """Which arguments a node shows in next_functions (see Function.graph_inputs)."""
    if isinstance(graph_inputs, int):
        return [i < graph_inputs for i in range(len(args))]
    if graph_inputs is not None:
        return [i in graph_inputs for i in range(len(args))]
    return [a is None or isinstance(a, Tensor) for a in args]


@functools.lru_cache(maxsize=None)
def named_variant(function, backward_name):
    """``function`` under another torch node name (one npconv op that torch splits by mode or rank, e.g.
    UpsampleBilinear2DBackward0): a cached subclass, so graphs of the same op share one node class."""
    return type(f"{function.__name__}As{backward_name}", (function,),
                {"backward_name": backward_name, "__module__": function.__module__})


def _own_memory(result, arrays):
    """An op that is not a view never hands out its input's memory: an in-place write to its output would
    silently change the input (NumPy returns views where torch copies, e.g. flip)."""
    if result.base is None and not any(result is a for a in arrays):
        return result
    for a in arrays:
        if type(a) is np.ndarray and np.may_share_memory(result, a):
            return result.copy()
    return result


# --------------------------------------------------------------------------------------------------
# Version counters: a saved array remembers the in-place count of the tensor it came from


def _remember_versions(ctx, args, out):
    """For each saved array that is the data of an input or of the output: the tensor's version now."""
    entries = []
    for array in ctx._saved:
        array = _array_of(array)   # a user's Function saves Tensors
        if type(array) is not np.ndarray:
            continue
        if array is out._data:
            owner, node = out, _SAVED_OUTPUT  # the node itself (not stored: no self-reference)
        else:
            owner = next((a for a in args if isinstance(a, Tensor) and a._data is array), None)
            if owner is None:
                continue
            node = owner.grad_fn
        counter = owner._version_counter()
        entries.append((counter, counter[0], weakref.ref(owner), node, array.dtype, array.shape))
    if entries:
        ctx._versions = entries


def _NO_OWNER():
    return None


# Stands for the saving node in a version entry of its own output: torch names a saved output by the node
# that saved it, even after a later in-place op gave the tensor another grad_fn.
_SAVED_OUTPUT = object()


def adopt_saved_output(node, result, target):
    """An in-place op computed ``result`` out of place and wrote it into ``target``: what ``node`` saved of
    ``result`` is ``target`` now, at its version after the write (so a later change of ``target`` is caught)."""
    entries = node.__dict__.get("_versions") if node is not None else None
    if not entries:
        return
    counter = target._version_counter()
    # torch names a saved output by the node that saved it, not by the tensor's later history: no owner
    # (_SAVED_OUTPUT stands for the node: a reference to itself would keep it and its saved arrays alive
    # until the garbage collector finds the cycle, a fresh output-sized allocation per in-place op)
    node._versions = [(counter, counter[0], _NO_OWNER, _SAVED_OUTPUT, dtype, shape) if owner_ref() is result
                      else (c, v, owner_ref, n, dtype, shape)
                      for c, v, owner_ref, n, dtype, shape in entries]


def _check_versions(ctx, entries):
    """torch's error when a saved tensor was modified in place after it was saved."""
    for counter, version, owner_ref, node, dtype, shape in entries:
        if counter[0] == version:
            continue
        owner = owner_ref()
        if node is _SAVED_OUTPUT:
            node = ctx
        elif owner is not None:
            node = owner.grad_fn
        elif node is None:
            node = ctx
        described = f"[torch.{_dtype.from_numpy_dtype(dtype).tensor_type_name} [{', '.join(map(str, shape))}]]"
        if node is not None:
            described += f", which is output 0 of {re.sub(r'Backward[0-9]*$', '', node.name())},"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"{described} is at version {counter[0]}; expected version {version} instead. Hint: enable anomaly "
            "detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _forward_within_memory(cls, ctx, arrays, kwargs):
    """The forward, refused with torch's allocator error for a huge broadcast input (its result would not
    fit, and computing it would not end) or when NumPy cannot allocate."""
    for array in arrays:
        if type(array) is np.ndarray and is_huge_broadcast(array):
            raise allocation_error(array.nbytes)
    try:
        with np.errstate(all="ignore"):   # IEEE results (inf, NaN) are values here, as in torch: no warnings
            return cls.forward(ctx, *arrays, **kwargs)
    except MemoryError as error:   # NumPy's _ArrayMemoryError knows the size it was asked for
        raise allocation_error(getattr(error, "_total_size", "an unknown number of")) from None


def _user_forward(cls, ctx, args, kwargs):
    """A Function written by a user gets the Tensors it was given and returns Tensors, as in torch (its own
    operations are not recorded); npconv keeps their arrays."""
    with no_grad():
        result = cls.forward(ctx, *args, **kwargs)
    if type(result) is tuple:
        return tuple(_array_of(r) for r in result)
    return _array_of(result)


def _array_of(value):
    return value._data if isinstance(value, Tensor) else value


def _call_backward(node, grad):
    """The node's gradients as arrays: a user's Function receives and returns Tensors."""
    function = node._function
    if not function._user_defined:
        with np.errstate(all="ignore"):
            return function.backward(node, grad)
    with no_grad():
        grads = function.backward(node, Tensor._make(grad))
    if type(grads) is not tuple:
        grads = (grads,)
    return tuple(_array_of(g) for g in grads)


def _apply_meta(cls, ctx, arrays, kwargs):
    """The shape-only hook: see the module docstring. Returns a zero-stride array of the output shape."""
    meta_rule = getattr(cls, "meta", None)
    if meta_rule is not None:
        shape, dtype = meta_rule(*arrays, **kwargs)
        return np.broadcast_to(np.zeros((), dtype=dtype), tuple(shape))
    with np.errstate(all="ignore"):
        result = cls.forward(ctx, *arrays, **kwargs)
    if type(result) is tuple:
        return tuple(np.broadcast_to(np.zeros((), r.dtype), r.shape) if isinstance(r, np.ndarray) else r
                     for r in result)
    result = np.asarray(result)
    return np.broadcast_to(np.zeros((), result.dtype), result.shape)


# --------------------------------------------------------------------------------------------------
# The graph walk


def _sum_to_shape(grad, shape):
    """Undo broadcasting: sum the gradient over the dimensions broadcasting added or stretched."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    elif extra < 0:  # a backward that dropped leading size-1 dims
        grad = grad.reshape((1,) * -extra + grad.shape)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"gradient of shape {tuple(grad.shape)} cannot be reduced to the input's "
                           f"shape {tuple(shape)}")
    return grad


def _topological_order(roots):
    """Nodes reachable from the roots, every node before the nodes it feeds into (reverse post-order)."""
    order, seen = [], set()
    for root in roots:
        if root is None or id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root._input_fns))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child is not None and id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child._input_fns)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _accumulate_leaf(leaf, g):
    g = np.asarray(g, dtype=leaf._data.dtype)
    if leaf.grad is None:
        leaf.grad = Tensor._make(np.array(g, copy=True), False)
    else:
        leaf.grad._data = leaf.grad._data + g


class _ArrayGradients:
    """How the graph walk computes with gradients by default: NumPy arrays, nothing recorded. With
    create_graph=True it takes ``_graph_backward.TensorGradients`` instead (the same names, Tensors)."""

    mode = no_grad
    node_gradients = staticmethod(_call_backward)

    @staticmethod
    def reduce(ig, t):
        """A node's gradient for input ``t``, summed down to its shape and cast to its dtype."""
        data = t._data
        ig = _sum_to_shape(ig if type(ig) is np.ndarray else np.asarray(ig), data.shape)
        return ig if ig.dtype == data.dtype else ig.astype(data.dtype)

    @staticmethod
    def accumulate(leaf, g):
        _accumulate_leaf(leaf, g)

    @staticmethod
    def wrap(g):
        """A gradient as hooks see it and autograd.grad returns it."""
        return Tensor._make(g, False)

    @staticmethod
    def unwrap(t):
        """A Tensor (a root's given gradient, a hook's replacement) as the walk carries it."""
        return t._data

    @staticmethod
    def result(g, t):
        """What autograd.grad returns for input ``t``: a Tensor of its own (never a shared array)."""
        return Tensor._make(np.array(g, dtype=t._data.dtype), False)


def _run_backward(roots, root_grads, retain_graph, capture=None, gradients=_ArrayGradients):
    """Propagate ``root_grads`` from ``roots`` (Tensors) to the leaves.

    Gradients reaching a leaf accumulate in ``leaf.grad`` unless ``capture`` (a dict id -> [tensor, grad])
    is given: then only the captured tensors receive gradients (``autograd.grad``, ``backward(inputs=)``).
    ``gradients`` says how gradients are computed (arrays, or Tensors recording a graph for create_graph)."""
    pending = {}
    leaf_roots = []
    for t, g in zip(roots, root_grads):
        if capture is not None and id(t) in capture:
            _add_captured(capture, t, g)
        if t.grad_fn is None:
            if capture is None:
                leaf_roots.append((t, g))
        else:
            key = id(t.grad_fn)
            pending[key] = pending[key] + g if key in pending else g
    node_gradients, reduce = gradients.node_gradients, gradients.reduce   # bound once: the loop is hot
    order = _topological_order([t.grad_fn for t in roots])
    leaves = _LeafGradients(order, gradients) if capture is None else None
    with gradients.mode():
        for t, g in leaf_roots:
            gradients.accumulate(t, g)
        for node in order:
            g = pending.pop(id(node), None)
            if g is None:
                if leaves is not None:
                    leaves.node_done(node)
                continue
            g = _run_hooks(node.__dict__.get("_hooks", ()), g, gradients)
            retained = node.__dict__.get("_retained")  # after the hooks, as torch
            if retained is not None and retained() is not None:
                gradients.accumulate(retained(), g)
            input_grads = node_gradients(node, g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(node._inputs):
                raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                                   f"(expected {len(node._inputs)}, got {len(input_grads)})")
            if _anomaly.enabled and _anomaly.check_nan:
                _refuse_nan(node, input_grads)
            for t, fn, ig in zip(node._inputs, node._input_fns, input_grads):
                if t is None or ig is None:
                    continue
                ig = reduce(ig, t)
                if capture is not None and _is_captured(capture, t, fn):
                    _add_captured(capture, t, ig)
                    if fn is None:
                        continue
                    # a captured non-leaf: other inputs may lie below it, keep going
                if fn is None:
                    if leaves is not None:  # with inputs= / autograd.grad only the inputs receive gradients
                        leaves.add(t, ig)
                else:
                    key = id(fn)
                    pending[key] = pending[key] + ig if key in pending else ig
            if leaves is not None:
                leaves.node_done(node)
            if not retain_graph:
                node._saved = None


class _LeafGradients:
    """torch's AccumulateGrad: a leaf's gradients are summed until the last node feeding it has run; then
    its hooks see the sum once (a hook that is not linear, or that counts its calls, sees what torch's
    does) and the result accumulates into .grad."""

    def __init__(self, order, gradients):
        self.gradients = gradients
        self.edges = {}      # id(leaf) -> edges from nodes of the walk not yet run
        self.sums = {}       # id(leaf) -> [leaf, summed gradient]
        for node in order:
            for t, fn in zip(node._inputs, node._input_fns):
                if t is not None and fn is None:
                    self.edges[id(t)] = self.edges.get(id(t), 0) + 1

    def add(self, leaf, g):
        entry = self.sums.get(id(leaf))
        if entry is None:
            self.sums[id(leaf)] = [leaf, g]
        else:
            entry[1] = entry[1] + g

    def node_done(self, node):
        """Count down the leaf edges of ``node`` (run, or skipped for want of a gradient); a leaf with none
        left accumulates."""
        for t, fn in zip(node._inputs, node._input_fns):
            if t is None or fn is not None:
                continue
            self.edges[id(t)] -= 1
            if self.edges[id(t)] == 0 and id(t) in self.sums:
                leaf, g = self.sums.pop(id(t))
                self.gradients.accumulate(leaf, _run_hooks(leaf._hooks or (), g, self.gradients))


def _run_hooks(hooks, g, gradients=_ArrayGradients):
    """Each hook sees the gradient and may return a replacement of the same shape (torch refuses others)."""
    for hook in hooks:
        replaced = hook(gradients.wrap(g))
        if replaced is None:
            continue
        name = getattr(hook, "__name__", hook)
        was, now = _array_of(g), replaced._data
        if now.dtype != was.dtype:
            was, got = (_dtype.from_numpy_dtype(d).tensor_type_name for d in (was.dtype, now.dtype))
            raise RuntimeError(f"hook '{name}' has changed the type of value (was torch.{was} got torch.{got})")
        if now.shape != was.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        g = gradients.unwrap(replaced)
    return g


def _is_captured(capture, t, fn):
    """Whether the edge to ``t`` through node ``fn`` is a captured input's: torch captures the edge to the
    input's current node, so an edge recorded before an in-place op rebased it (same tensor, older node)
    passes its gradient on instead."""
    return id(t) in capture and fn is capture[id(t)][0].grad_fn


def _add_captured(capture, t, g):
    entry = capture[id(t)]
    entry[1] = g if entry[1] is None else entry[1] + g


def _root_gradients(tensors, grad_tensors, gradients=_ArrayGradients):
    grads = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = gradients.unwrap(Tensor._make(np.ones_like(t._data)))
        else:
            g = gradients.unwrap(g if isinstance(g, Tensor) else Tensor._make(np.asarray(g, dtype=t._data.dtype)))
            if _array_of(g).shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{Size(_array_of(g).shape)!r} and output[{i}] has a shape of {Size(t._data.shape)!r}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """torch.autograd.backward: accumulate the gradients of ``tensors`` into the leaves' ``.grad``. With
    ``create_graph=True`` the gradients are Tensors in a graph of their own (differentiable again)."""
    if inputs is not None and not isinstance(inputs, Tensor) and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    gradients = _gradients_for(create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph   # torch's default
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    grads = _root_gradients(tensors, list(grad_tensors), gradients)
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        capture = {id(t): [t, None] for t in inputs}
        _run_backward(tensors, grads, bool(retain_graph), capture, gradients)
        with gradients.mode():
            for t, g in capture.values():
                if g is not None:  # a leaf's hooks run before its gradient accumulates, as without inputs=
                    gradients.accumulate(t, _run_hooks(t._hooks or (), g, gradients) if t.grad_fn is None else g)
        return
    _run_backward(tensors, grads, bool(retain_graph), None, gradients)


def _gradients_for(create_graph):
    """The walk's arithmetic: arrays, or (create_graph=True) Tensors recording the gradients' own graph."""
    if not create_graph:
        return _ArrayGradients
    from ._graph_backward import TensorGradients
    return TensorGradients


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad: the gradients of ``outputs`` with respect to ``inputs`` (nothing accumulates).
    With ``create_graph=True`` they are Tensors in a graph of their own (differentiable again); an input the
    outputs do not depend on is refused, or gets None (``allow_unused``) or zeros (``materialize_grads``)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.", FutureWarning,
                      stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("npconv: autograd.grad(is_grads_batched=True) needs torch's vmap, which npconv "
                                  "does not have; call grad once per grad_outputs row")
    gradients = _gradients_for(create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph   # torch's default
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors does not require grad")
    capture = {id(t): [t, None] for t in inputs}
    _run_backward(outputs, _root_gradients(outputs, list(grad_outputs), gradients), bool(retain_graph), capture,
                  gradients)
    result = []
    with gradients.mode():
        for index, t in enumerate(inputs):
            g = capture[id(t)][1]
            if g is not None and t.grad_fn is None:  # a leaf's hooks see its gradient first
                g = _run_hooks(t._hooks or (), g, gradients)
            if g is None and not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {index} appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None if g is None else gradients.result(g, t))
    if materialize_grads:   # torch's zeros_like of the input (which records a graph under create_graph)
        result = [_zeros_like_input(t, create_graph) if g is None else g for g, t in zip(result, inputs)]
    return tuple(result)


def _zeros_like_input(t, create_graph):
    zeros = Tensor._make(np.zeros_like(t._data))
    zeros._requires_grad = bool(create_graph)
    return zeros


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 (torch's legacy name)
    """Legacy ``torch.autograd.Variable(t, requires_grad=...)``: today simply the tensor itself."""
    if requires_grad:
        data.requires_grad_(True)
    return data


def replace_node(tensor, node):
    """An in-place op gave ``tensor`` the new node ``node``; a retain_grad moves along (torch moves its
    retains_grad hook to the new grad_fn), so ``.grad`` is of the value after the op."""
    if tensor.retains_grad:
        del tensor.grad_fn._retained
        node._retained = weakref.ref(tensor)
    tensor.grad_fn, tensor._requires_grad = node, True


def _retain(tensor):
    """Tensor.retain_grad: the node remembers (weakly) the tensor that wants its gradient."""
    if tensor.grad_fn is not None:
        tensor.grad_fn._retained = weakref.ref(tensor)


# Imported last: _tensor.py needs nothing from here at import time, and this module needs Tensor only
# when ops run. Either module may be imported first.
from ._tensor import Size, Tensor  # noqa: E402
