"""Koa apps the ASGI integration tests serve with each server's own command line
(``uvicorn asgi_apps:files``, ...)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from koa.core import Context, Koa, Next
from koa.logger import logger

#: The file ``files`` serves (``KOA_TEST_FILE``).
FILE = Path(os.environ.get("KOA_TEST_FILE", __file__))


async def serve_file(ctx: Context, next: Next) -> None:
    if ctx.path == "/version":
        ctx.body = {"version": ctx.request.http_version, "protocol": ctx.protocol}
        return
    ctx.body = FILE


files = Koa().use(serve_file)


def _access_log() -> logging.Logger:
    """koa-logger's records, with the request's HTTP version, in the file ``KOA_TEST_LOG``."""
    log = logging.getLogger("asgi_apps.access")
    log.setLevel(logging.INFO)
    log.propagate = False
    path = os.environ.get("KOA_TEST_LOG")
    if path and not log.handlers:
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter("%(message)s HTTP/%(http_version)s"))
        log.addHandler(handler)
    return log


#: ``files`` behind koa-logger (``log=``, so each record carries ``http_version``).
logged = Koa().use(logger(log=_access_log())).use(serve_file)
