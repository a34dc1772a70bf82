"""``npconv explore``: an interactive, offline web page for one layer (every argument a control, the
diagram, arithmetic and PyTorch code live) and for a whole model (its layer table beside the activation
maps of an image). Served on 127.0.0.1 by :mod:`.server`; in Jupyter, ``npconv.explore()`` shows it inline.
"""

__all__ = ["explore", "ExplorerView"]


def explore(model=None, weights=None, image=None, input_size=None, port=0, height=760):
    """Serve the explorer from a background thread and return an :class:`ExplorerView`.

    In Jupyter the returned object shows the page inline (an iframe of the local server); elsewhere
    ``view.url`` is the address to open. ``model`` (a built-in name or ``'path.py:Class'``), ``weights``,
    ``image`` and ``input_size`` (``'1,1,28,28'``) set up model mode as the command line's options do.
    """
    from .server import ExplorerApp, server_url, start_in_thread
    model_view = None
    if model or weights or image or input_size:
        from .model_view import ModelView
        model_view = ModelView(model or "lenet", weights=weights, image=image, input_size=input_size)
        model_view.check()
    server = start_in_thread(ExplorerApp(model_view), port=port)
    return ExplorerView(server, server_url(server) + ("#mode=model" if model_view else ""), height)


class ExplorerView:
    """A running explorer: ``url``, ``stop()``, and an inline view in Jupyter (``_repr_html_``)."""

    def __init__(self, server, url, height=760):
        self.server, self.url, self.height = server, url, height

    def _repr_html_(self):
        from html import escape
        return (f'<iframe src="{escape(self.url)}" width="100%" height="{int(self.height)}" '
                f'style="border: 1px solid #ddd" title="npconv explore"></iframe>')

    def __repr__(self):
        return f"<npconv explore at {self.url}>"

    def stop(self):
        """Stop serving (the page in the browser stops answering)."""
        self.server.shutdown()
        self.server.server_close()


class _CallableModule(__import__("types").ModuleType):
    """Lets ``npconv.explore(...)`` call :func:`explore` while ``npconv.explore.server`` stays a module."""

    def __call__(self, *args, **kwargs):
        return explore(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
