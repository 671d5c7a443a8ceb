"""Koa apps the ASGI integration tests serve with each server's own command line
(``uvicorn asgi_apps:files``, ...)."""

from __future__ import annotations

import os
from pathlib import Path

from koa.core import Context, Koa, Next

#: The file ``files`` serves (``KOA_TEST_FILE``).
FILE = Path(os.environ.get("KOA_TEST_FILE", __file__))


async def serve_file(ctx: Context, next: Next) -> None:
    if ctx.path == "/version":
        ctx.body = {"version": ctx.request.http_version, "protocol": ctx.protocol}
        return
    ctx.body = FILE


files = Koa().use(serve_file)
