"""koa.static: serve files from a directory, as koa-static and koa-send do, on koa.core.

``serve(root, ...)`` is the middleware; ``send(ctx, path, root=...)`` sends one file from a
middleware of your own. Both add ETag, 304, Range, ``Vary: Accept-Encoding`` and sendfile.
"""

from .options import SetHeaders
from .send import send
from .serve import serve

__all__ = ["SetHeaders", "send", "serve"]
