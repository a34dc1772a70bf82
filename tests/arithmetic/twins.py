"""Build the same architecture in torch and in npconv from one source text.

npconv's models and test models are written as torch code with ``npconv`` in place of ``torch``; replacing
the word back gives the torch twin, so torchinfo and ptflops can measure exactly the same architecture.
"""
import inspect
import textwrap
import types


def torch_twin_module(npconv_module):
    """A torch version of a module of npconv source code (e.g. ``npconv.models.vgg``)."""
    source = inspect.getsource(npconv_module).replace("npconv", "torch")
    twin = types.ModuleType(npconv_module.__name__.replace("npconv", "torch_twin"))
    exec(compile(source, f"<torch twin of {npconv_module.__name__}>", "exec"), twin.__dict__)
    return twin


def build_both(source, factory_name="build"):
    """Exec ``source`` (torch-style code importing npconv) twice, with npconv and with torch."""
    source = textwrap.dedent(source)
    built = []
    for library in ("npconv", "torch"):
        namespace = {"__name__": f"twin_{library}"}
        exec(compile(source.replace("npconv", library), f"<{library} twin>", "exec"), namespace)
        built.append(namespace[factory_name]())
    return built
