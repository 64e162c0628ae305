"""`dettrack app`: a local web page to open a video, draw or click the objects, track them and
download the results (the optional 'app' extra: Flask)."""

from .server import create_app

__all__ = ["create_app"]
