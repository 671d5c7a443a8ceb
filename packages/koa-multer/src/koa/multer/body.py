"""The one place koa-multer touches the raw request (``ctx.req``, aiohttp's request).

Everything else reads the body through ``open_body(ctx)`` and its length through
``declared_length(ctx)``; both use aiohttp's public request API only (``ctx.req.content``,
``content_length``, ``headers``, ``version``, ``writer``). When koa-core offers a body-reading
API of its own (``ctx.request.stream()`` or the like), this module is what changes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import HttpVersion11, StreamReader
from koa.core import Context

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def declared_length(ctx: Context[Any]) -> int | None:
    """The request's ``Content-Length``, ``None`` when it has none (a chunked body)."""
    return ctx.req.content_length


async def open_body(ctx: Context[Any]) -> StreamReader:
    """The request body as aiohttp's ``StreamReader``, after answering ``Expect: 100-continue``.

    A client that sent ``Expect: 100-continue`` waits for the interim response before it sends
    the body; aiohttp's low-level server leaves that to the handler (RFC 9110, 10.1.1). Call
    this only once the request is known to be acceptable, so that a request refused on its
    head (415, 413 from ``Content-Length``) never receives it and never sends its body.
    """
    req = ctx.req
    content = req.content
    if (
        req.version >= HttpVersion11
        and not content.is_eof()
        and req.headers.get("Expect", "").lower() == "100-continue"
    ):
        writer = req.writer
        await writer.write(_CONTINUE)
        # The interim response is not the response: koa-core reads ``output_size`` to tell
        # whether a real response has started (and an error can still be answered).
        writer.output_size = 0
    return content
