"""The one place koa-multer touches the request body.

Everything else reads the body through ``open_body(ctx)`` and its length through
``declared_length(ctx)``. ``Expect: 100-continue`` goes through koa-core's connection seam
(``ctx.request.conn.send_continue()``). The body itself is aiohttp's ``StreamReader``
(``ctx.req.content``, public aiohttp API), because aiohttp's ``MultipartReader`` reads lines
and pushes back look-ahead, which the seam's chunk stream (``ctx.request.stream()``) does not
offer; on a server other than aiohttp, this function is what would feed a ``StreamReader``
from that stream.
"""

from __future__ import annotations

from typing import Any

from aiohttp import StreamReader
from koa.core import Context


def declared_length(ctx: Context[Any]) -> int | None:
    """The request's ``Content-Length``, ``None`` when it has none (a chunked body)."""
    return ctx.request.length


async def open_body(ctx: Context[Any]) -> StreamReader:
    """The request body as aiohttp's ``StreamReader``, after answering ``Expect: 100-continue``.

    A client that sent ``Expect: 100-continue`` waits for the interim response before it sends
    the body (RFC 9110, 10.1.1). Call this only once the request is known to be acceptable, so
    that a request refused on its head (415, 413 from ``Content-Length``) never receives it
    and never sends its body.
    """
    await ctx.request.conn.send_continue()
    return ctx.req.content
