"""Helpers shared by the koa-static tests: an app serving a folder with a downstream
fallback, and raw GETs to it.

Imported by name (``from static_helpers import static_app``): the root ``pyproject.toml``
puts each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run
with ``--import-mode=importlib``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.static import serve


def static_app(root: Path, **options: Any) -> Koa[Any]:
    """``serve(root, **options)``, then a middleware answering ``downstream <path>``."""
    app: Koa[Any] = Koa()
    app.use(serve(root, **options))

    async def downstream(ctx: Context[Any], next: Next) -> None:
        ctx.body = f"downstream {ctx.path}"

    app.use(downstream)
    return app


async def raw_get(client: TestClient, target: bytes, *headers: bytes) -> tuple[int, bytes, bytes]:
    """``GET target`` sent as it is (no normalising): the status, the raw head, the body."""
    data = await client.raw(
        b"GET "
        + target
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(h + b"\r\n" for h in headers)
        + b"Connection: close\r\n\r\n"
    )
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body
