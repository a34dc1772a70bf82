"""The explorer's local web server: the standard library's ``ThreadingHTTPServer``, nothing else.

Why the standard library: the page needs a handful of GET routes answering JSON and a few static files,
which ``http.server`` does in ~150 lines without adding a dependency to a NumPy library (a framework would
bring routing, templating and an ASGI server the page never uses).

Safety: bound to 127.0.0.1 by default; only GET; the ``Host`` header must name the loopback address the
server listens on (a web page elsewhere cannot reach it through DNS rebinding); static files come from a
fixed list read from the package at start-up (no path from a request ever touches the file system); every
layer string goes through explain's parser, never ``eval``; sizes are capped (``layers.LIMITS``). Files
are read only when named by the user on the command line (``--model``, ``--weights``, ``--image``).

Requests are served on threads. npconv's computations for them run one at a time under one lock: it
guards the model mode's caches (the models built, the last image's forward) and keeps a small machine
from running several large forwards at once; the page's requests are small and answered in milliseconds.
"""
import json
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from ..explain import ExplainError
from .layers import explain_layer, layer_schema

__all__ = ["ExplorerApp", "make_server", "start_in_thread", "STATIC_FILES", "MAX_QUERY_LENGTH"]

STATIC_FILES = {"index.html": "text/html; charset=utf-8", "explore.css": "text/css; charset=utf-8",
                "common.js": "text/javascript; charset=utf-8", "layer.js": "text/javascript; charset=utf-8",
                "model.js": "text/javascript; charset=utf-8", "main.js": "text/javascript; charset=utf-8"}
MAX_QUERY_LENGTH = 4000
FIRST_LAYER, FIRST_INPUT = "Conv2d(1, 1, kernel_size=3)", "1,1,5,5"   # what layer mode opens with
# Every resource the page loads is served here; the browser refuses anything else.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'self'; connect-src 'self'; frame-ancestors *")


class ExplorerApp:
    """What the server answers, independent of HTTP (``answer(path, query) -> (status, type, body)``).

    ``model_view`` is the :class:`~npconv.explore.model_view.ModelView` of the command line's model (and
    weights, image) or None; the page's model mode also offers the built-in models.
    """

    def __init__(self, model_view=None):
        self.command_line_model = model_view.source if model_view is not None else None
        self.model_views = {model_view.source: model_view} if model_view is not None else {}
        self.compute_lock = threading.Lock()
        self.static = {name: resources.files(__package__).joinpath("static", name).read_bytes()
                       for name in STATIC_FILES}
        self.static["index.html"] = _with_first_layer(self.static["index.html"])
        self.routes = {"/api/schema": self._schema, "/api/layer": self._layer, "/api/model": self._model,
                       "/api/model/layer": self._model_layer}

    def answer(self, path, query):
        """``(HTTP status, content type, body bytes)`` for a GET of ``path`` with ``query`` (a dict)."""
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/favicon.ico":
            return HTTPStatus.NO_CONTENT, "image/x-icon", b""
        route = self.routes.get(path)
        if route is None:
            return _json(HTTPStatus.NOT_FOUND, {"ok": False, "error": f"no such page: {path}"})
        try:
            with self.compute_lock:
                return _json(HTTPStatus.OK, route(query))
        except (ExplainError, ValueError, ImportError) as error:   # the user's input: shown as it is
            return _json(HTTPStatus.OK, {"ok": False, "error": str(error)})
        except Exception as error:  # noqa: BLE001 - a bug must reach the page as text, not a dropped connection
            return _json(HTTPStatus.INTERNAL_SERVER_ERROR,
                         {"ok": False, "error": f"internal error ({type(error).__name__}: {error}); please report it"})

    def _static(self, name):
        if name not in self.static:
            return _json(HTTPStatus.NOT_FOUND, {"ok": False, "error": f"no such file: {name}"})
        return HTTPStatus.OK, STATIC_FILES[name], self.static[name]

    @staticmethod
    def _schema(query):
        return {"ok": True, **layer_schema(), "first": {"layer": FIRST_LAYER, "input": FIRST_INPUT}}

    @staticmethod
    def _layer(query):
        return explain_layer(query.get("layer", ""), query.get("input", ""), query.get("at"))

    def _model(self, query):
        from .. import models
        answer = self._model_view(query).overview(query.get("image"))
        answer["models"] = list(dict.fromkeys([m for m in (self.command_line_model,) if m] + list(models.REGISTRY)))
        return answer

    def _model_layer(self, query):
        return self._model_view(query).explain_row(query.get("row", ""), query.get("image"), query.get("at"))

    def _model_view(self, query):
        """The command line's model, or a built-in one the page chose (only one of those is kept)."""
        from .model_view import ModelView
        wanted = query.get("model") or self.command_line_model or "lenet"
        if wanted not in self.model_views:
            view = ModelView.for_page(wanted)
            self.model_views = {name: v for name, v in self.model_views.items() if name == self.command_line_model}
            self.model_views[wanted] = view
        return self.model_views[wanted]


def _with_first_layer(page):
    """The page with layer mode's first diagram, code, trace and derivation already in it: they show at
    once (and without JavaScript); the script then takes over and keeps them up to date."""
    from html import escape
    answer = explain_layer(FIRST_LAYER, FIRST_INPUT)
    text = page.decode("utf-8").replace("<!--initial:svg-->", answer["svg"])
    for part in ("code", "trace", "derivation"):
        text = text.replace(f"<!--initial:{part}-->", escape(answer[part]))
    return text.encode("utf-8")


def _json(status, payload):
    return status, "application/json", json.dumps(payload, default=_plain).encode("utf-8")


def _plain(value):
    """NumPy scalars and tuples inside a payload as JSON numbers and lists."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot send a {type(value).__name__} to the page")


class _Handler(BaseHTTPRequestHandler):
    app = None            # set on the subclass made by make_server
    allowed_hosts = None  # None: any Host header (the server was bound to a public address on purpose)
    server_version = "npconv-explore"

    def do_GET(self):
        if len(self.path) > MAX_QUERY_LENGTH:
            return self._send(*_json(HTTPStatus.REQUEST_URI_TOO_LONG, {"ok": False, "error": "request too long"}))
        if self.allowed_hosts is not None and self.headers.get("Host", "") not in self.allowed_hosts:
            return self._send(*_json(HTTPStatus.FORBIDDEN, {"ok": False, "error": "unexpected Host header"}))
        parts = urllib.parse.urlsplit(self.path)
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(parts.query).items()}
        self._send(*self.app.answer(parts.path, query))

    def _send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):   # quiet: the terminal shows the URL, not every request
        pass


def make_server(app, host="127.0.0.1", port=0):
    """A ``ThreadingHTTPServer`` for ``app`` on ``host:port`` (port 0: a free one); not yet serving."""
    handler = type("ExplorerHandler", (_Handler,), {"app": app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    bound_port = server.server_address[1]
    if host in ("127.0.0.1", "localhost", "::1"):
        names = ("127.0.0.1", "localhost", "[::1]", "0.0.0.0")
        handler.allowed_hosts = {f"{name}:{bound_port}" for name in names}
    return server


def server_url(server):
    """``http://127.0.0.1:PORT/`` of a server made by :func:`make_server`."""
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "127.0.0.1") else host
    return f"http://{shown}:{port}/"


def start_in_thread(app, host="127.0.0.1", port=0):
    """Serve ``app`` from a daemon thread; returns the server (``server.shutdown()`` stops it)."""
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="npconv-explore", daemon=True)
    thread.start()
    return server
