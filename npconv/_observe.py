"""Observers of a forward pass: the hooks through which tools (summary, MAC counts, receptive fields, tiling)
watch what a model calls, per thread, without replacing anything at run time (DESIGN rule 4).

Three kinds of event reach the observers registered on the *current thread* with :func:`observing`:

* ``enter_module(module, args, kwargs) -> token`` / ``exit_module(token, output)``: ``Module.__call__``
  announces every module call (output is None when the call raised);
* ``enter_function(label, function, args, kwargs) -> token`` / ``exit_function(token, output)``: a call of a
  public entry point (``'F.relu'``, ``'torch.matmul'``, ``'Tensor.add'``); a ``None`` token means "not
  interested" (no exit follows);
* ``op_applied(function_class, arrays, result)``: ``autograd.Function.apply`` after computing any op (its
  arguments and result as ndarrays), e.g. to carry a receptive field through element-wise ops.

Public entry points are *marked* once, when their namespace is assembled (:func:`mark_entry_points`); the
marked function is a copy with its own code object, so that ``Tensor.add`` and the operator ``+`` (one
implementation) are told apart, and it adds no frame: warnings keep pointing at the caller's line, and a
call costs nothing extra. Calls of marked functions are seen through a per-thread profile hook that exists
only while an observer is registered on that thread (a profiler already running on the thread is paused
for that time and restored afterwards). Other threads are not affected: two summaries may run at once.
"""
import contextlib
import inspect
import sys
import threading
import types

__all__ = ["observing", "mark_entry_points"]


class _ThreadState(threading.local):
    observers = ()        # the observers of this thread, outermost first
    open_calls = None     # [(frame, [(observer, token), ...])] for entry-point calls still running


state = _ThreadState()

# id(code object) -> (code object, label, function): the marked public entry points
_ENTRY_POINTS = {}


def _clone(function, name, module):
    """``function`` as a new function object with a code object of its own (same behaviour, no wrapper)."""
    clone = types.FunctionType(function.__code__.replace(), function.__globals__, function.__name__,
                               function.__defaults__, function.__closure__)
    clone.__kwdefaults__ = function.__kwdefaults__
    clone.__dict__.update(function.__dict__)
    clone.__doc__, clone.__annotations__ = function.__doc__, function.__annotations__
    clone.__qualname__, clone.__module__ = name, module
    return clone


def mark_entry_points(namespace, prefix, names=None, module=None):
    """Make the public functions of ``namespace`` (a module's ``globals()`` dict, or a class) observable
    under ``f'{prefix}.{name}'``: each is replaced, in that namespace, by a marked copy of itself.

    ``names`` defaults to every public name bound to a plain Python function; ``module`` is the
    ``__module__`` the copies report (default: the namespace's own), so that they pickle by reference.
    """
    is_class = isinstance(namespace, type)
    items = vars(namespace) if is_class else namespace
    if module is None:
        module = namespace.__module__ if is_class else namespace.get("__name__")
    if names is None:
        names = [name for name in items if not name.startswith("_")]
    for name in names:
        function = items.get(name)
        if not isinstance(function, types.FunctionType):
            continue
        qualname = f"{namespace.__name__}.{name}" if is_class else name
        clone = _clone(function, qualname, module)
        _ENTRY_POINTS[id(clone.__code__)] = (clone.__code__, f"{prefix}.{name}", clone)
        if is_class:
            setattr(namespace, name, clone)
        else:
            namespace[name] = clone


@contextlib.contextmanager
def observing(observer):
    """Register ``observer`` on this thread for the duration of the ``with`` block (see the module doc)."""
    previous = state.observers
    outermost = not previous
    if outermost:
        paused_profiler = sys.getprofile()
        state.open_calls = []
        sys.setprofile(_profile)
    state.observers = previous + (observer,)
    try:
        yield observer
    finally:
        state.observers = previous
        if outermost:
            sys.setprofile(paused_profiler)
            state.open_calls = None


# ----- notifications from Module.__call__ and Function.apply (they test ``state.observers`` first)


def module_call(module, run, args, kwargs):
    """Run ``run(*args, **kwargs)`` (the module's call) between ``enter_module`` and ``exit_module``."""
    tokens = [(observer, observer.enter_module(module, args, kwargs)) for observer in state.observers]
    output = None
    try:
        output = run(*args, **kwargs)
        return output
    finally:
        for observer, token in reversed(tokens):
            observer.exit_module(token, output)


def op_applied(function_class, arrays, result):
    """Tell the observers that ``function_class`` computed ``result`` from ``arrays``."""
    for observer in state.observers:
        observer.op_applied(function_class, arrays, result)


# ----- entry-point calls, seen through the per-thread profile hook


def _profile(frame, event, arg):
    if event == "call":
        entry = _ENTRY_POINTS.get(id(frame.f_code))
        if entry is not None and entry[0] is frame.f_code:
            _enter_function(frame, entry)
    elif event == "return":
        open_calls = state.open_calls
        if open_calls and open_calls[-1][0] is frame:
            _exit_function(arg)   # arg is the return value (None when the call raised)


def _enter_function(frame, entry):
    _, label, function = entry
    args, kwargs = _call_arguments(frame)
    tokens = []
    for observer in state.observers:
        token = observer.enter_function(label, function, args, kwargs)
        if token is not None:
            tokens.append((observer, token))
    if tokens:
        state.open_calls.append((frame, tokens))


def _exit_function(output):
    _, tokens = state.open_calls.pop()
    for observer, token in reversed(tokens):
        observer.exit_function(token, output)


def _call_arguments(frame):
    """The ``(args, kwargs)`` a function was called with, rebuilt from its frame as it starts."""
    code, values = frame.f_code, frame.f_locals
    names = code.co_varnames
    positional = code.co_argcount
    keyword_only = code.co_kwonlyargcount
    args = [values[name] for name in names[:positional]]
    kwargs = {name: values[name] for name in names[positional:positional + keyword_only]}
    index = positional + keyword_only
    if code.co_flags & inspect.CO_VARARGS:
        args.extend(values[names[index]])
        index += 1
    if code.co_flags & inspect.CO_VARKEYWORDS:
        kwargs.update(values[names[index]])
    return tuple(args), kwargs
