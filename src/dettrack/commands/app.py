"""`dettrack app`: the web page on this machine (open a video, draw or click objects, track, download)."""

import argparse
import importlib.util
import logging
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model.interface import TrackingModel


def check(args: argparse.Namespace) -> None:
    """Flask is there (the 'app' extra) and the port is a port, before torch is imported."""
    if importlib.util.find_spec("flask") is None:
        raise ValueError("dettrack app needs Flask, the optional 'app' extra: pip install 'dettrack[app]' (from a clone: pip install -e '.[app]')")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port {args.port}: not a port number (0-65535; 0 picks a free one)")


def run(args: argparse.Namespace, model: "TrackingModel") -> int:
    from werkzeug.serving import make_server

    from ..app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request: the page polls
    app = create_app(model, Path(args.workdir))
    server = make_server(args.host, args.port, app, threaded=True)
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0', '::') else args.host}:{server.server_port}/"
    if not args.quiet:
        print(f"dettrack app: open {url} in a browser (videos and results are kept in {args.workdir}/; Ctrl-C stops)", file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("dettrack app: warning: reachable from other machines; whoever reaches it can open files of this machine by path", file=sys.stderr)
    if args.open:
        webbrowser.open(url)
    try:
        server.serve_forever()  # returns on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        if not args.quiet:
            print("dettrack app: stopping; a run going on keeps its outputs up to its last frame", file=sys.stderr)
        app.extensions["dettrack"]["runner"].close()
        server.server_close()
    return 0


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("app", help="a local web page: open a video, draw or click the objects, track them, download the results")
    p.add_argument("--model", default="pretrained", help="'pretrained', a checkpoint path or a backbone name (default: %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default: %(default)s; 0 picks a free one)")
    p.add_argument("--workdir", default="dettrack_app", help="folder for uploaded videos and every run's outputs (default: %(default)s)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    return p
