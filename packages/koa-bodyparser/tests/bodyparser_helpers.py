"""Helpers shared by the koa-bodyparser tests: apps that echo what was parsed, and raw
requests sent over a socket.

Imported by name (``from bodyparser_helpers import echo_app``): the root ``pyproject.toml``
puts each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run
with ``--import-mode=importlib``.
"""

from __future__ import annotations

import json
from typing import Any

from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def echo_app(**options: Any) -> Koa[Any]:
    """A silent app that answers ``{"body": ctx.request.body, "raw": ctx.request.raw_body}``."""

    async def echo(ctx: Context[Any], next: Next) -> None:
        ctx.body = {"body": ctx.request.body, "raw": ctx.request.raw_body}

    app: Koa[Any] = Koa(silent=True)
    app.use(bodyparser(**options)).use(echo)
    return app


def presence_echo_app(**options: Any) -> Koa:
    """A silent app that answers ``{"has": body is not None, "body": ..., "raw": ...}``."""
    app = Koa(silent=True)
    app.use(bodyparser(**options))

    async def echo(ctx: Context, next: Next) -> None:
        body = ctx.request.body
        ctx.body = {"has": body is not None, "body": body, "raw": ctx.request.raw_body}

    app.use(echo)
    return app


def request(
    body: bytes,
    content_type: str | None,
    *,
    method: str = "POST",
    headers: bytes = b"",
    chunks: list[bytes] | None = None,
) -> bytes:
    """A raw request for ``/``: ``body`` with a Content-Length, or sent as ``chunks``."""
    head = f"{method} / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n".encode() + headers
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n".encode()
    if chunks is not None:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        for chunk in chunks:
            head += b"%x\r\n%s\r\n" % (len(chunk), chunk)
        return head + b"0\r\n\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def send(app: Koa, raw: bytes) -> tuple[int, bytes]:
    """Send ``raw`` to ``app`` on a fresh connection: the status and the body."""
    async with TestClient(app) as client:
        answer = await client.raw(raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def echoed(app: Koa, raw: bytes) -> Any:
    """The JSON an echo app answers for ``raw`` (the status must be 200)."""
    status, body = await send(app, raw)
    assert status == 200, body
    return json.loads(body)
