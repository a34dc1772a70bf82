"""``npconv explore [--port N] [--no-browser] [--model NAME|path.py:Class] [--weights F] [--image F]``."""
import sys

__all__ = ["add_arguments", "run", "DEFAULT_PORT"]

DEFAULT_PORT = 8765


def add_arguments(parser):
    """Add the explore options to ``parser`` (an argparse sub-parser)."""
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to serve on (default: {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser; only print the URL")
    parser.add_argument("--model", metavar="NAME|FILE.py:Class",
                        help="model mode: a built-in model (lenet, resnet18, ...) or your own class "
                             "(built without arguments); default: the page offers the built-in models")
    parser.add_argument("--weights", metavar="FILE",
                        help="weights for --model: .npz, .safetensors or .pt (e.g. from npconv demo --save)")
    parser.add_argument("--image", metavar="FILE",
                        help="a PNG or JPEG to feed the model (needs Pillow); default: a bundled digit")
    parser.add_argument("--input", metavar="N,C,H,W",
                        help="the model's input size (default: the built-in model's, or 1,1,28,28)")


def run(args):
    """Serve the page until Ctrl-C; returns the exit status."""
    from .server import ExplorerApp, make_server, server_url
    try:
        model_view = None
        if args.model or args.weights or args.image or args.input:
            from .model_view import ModelView
            model_view = ModelView(args.model or "lenet", weights=args.weights, image=args.image,
                                   input_size=args.input)
            model_view.check()   # a missing file or Pillow is reported now, not in the browser
        server = make_server(ExplorerApp(model_view), args.host, args.port)
    except OSError as error:
        print(f"npconv explore: cannot serve on {args.host}:{args.port}: {error.strerror or error} "
              f"(try --port 0 for a free port)", file=sys.stderr)
        return 1
    except (ValueError, ImportError, RuntimeError) as error:
        print(f"npconv explore: {error}", file=sys.stderr)
        return 2
    url = server_url(server) + ("#mode=model" if model_view is not None else "")
    print(f"npconv explore: serving {url}  (Ctrl-C stops)", flush=True)
    if not args.no_browser:
        import webbrowser
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("npconv explore: stopped")
    finally:
        server.server_close()
    return 0
