"""The one place koa-multer touches the request body.

Everything else reads the body through ``open_body(ctx)`` and its length through
``declared_length(ctx)``. aiohttp's ``MultipartReader`` reads from aiohttp's ``StreamReader``
(lines, and look-ahead pushed back), which the seam's chunk stream (``ctx.request.stream()``)
does not offer. On aiohttp the request's own reader is used (``ctx.req.content``, public
aiohttp API, fed by the server with its flow control); on any other server (ASGI) a
``StreamReader`` of our own is fed from ``ctx.request.stream()`` by a task that stops asking
for more while the reader holds more than it should (the reader's own flow control: it pauses
its feeder above twice its limit and resumes it below the limit).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import StreamReader, web
from aiohttp.base_protocol import BaseProtocol
from koa.core import Context

from .errors import MulterError

#: Bytes the fed reader holds before it pauses the feeder (it pauses above twice this).
BUFFER_LIMIT = 256 * 1024


def declared_length(ctx: Context[Any]) -> int | None:
    """The request's ``Content-Length``, ``None`` when it has none (a chunked body)."""
    return ctx.request.length


@contextlib.asynccontextmanager
async def open_body(ctx: Context[Any]) -> AsyncIterator[StreamReader]:
    """The request body as aiohttp's ``StreamReader``, after answering ``Expect: 100-continue``.

    A client that sent ``Expect: 100-continue`` waits for the interim response before it sends
    the body (RFC 9110, 10.1.1). Enter this only once the request is known to be acceptable, so
    that a request refused on its head (415, 413 from ``Content-Length``) never receives it
    and never sends its body. On leaving, nothing more is read from the client.

    The reader raises ``ConnectionError`` when the client went away and
    ``koa.core.connection.BodyError`` for a body the server could not read.
    """
    native = ctx.req
    if isinstance(native, web.BaseRequest):
        await ctx.request.conn.send_continue()
        yield native.content
        return
    encoding = ctx.get("Content-Encoding").strip().lower()
    if encoding and encoding != "identity" and not ctx.request.content_decoded:
        raise MulterError(
            415,
            "UNSUPPORTED_CONTENT_ENCODING",
            f"Unsupported Content-Encoding {encoding[:20]!r}: send the form as it is",
        )
    loop = asyncio.get_running_loop()
    flow = _Flow(loop)
    content = StreamReader(flow, BUFFER_LIMIT, loop=loop)
    feeder = loop.create_task(_feed(ctx, content, flow))
    try:
        yield content
    finally:
        feeder.cancel()
        # Done before the response: no receive() of the feeder's is left under it.
        await asyncio.wait([feeder])


class _Flow(BaseProtocol):
    """The flow control a ``StreamReader`` drives, for a reader fed by ``_feed``: whether the
    feeder may ask the connection for the next chunk. Never connected to a transport: the
    connection's own back end owns the socket."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.may_read = asyncio.Event()
        self.may_read.set()

    @property
    def connected(self) -> bool:
        return True  # the reader refuses to wait for data from a protocol that is not

    def pause_reading(self) -> None:
        self._reading_paused = True
        self.may_read.clear()

    def resume_reading(self, resume_parser: bool = True) -> None:
        self._reading_paused = False
        self.may_read.set()


async def _feed(ctx: Context[Any], content: StreamReader, flow: _Flow) -> None:
    """Move the body from the connection into ``content`` until it ends or fails."""
    try:
        # No timeout here: the parser's watchdog cancels the parse when nothing arrives.
        async with contextlib.aclosing(ctx.request.stream()) as body:
            async for chunk in body:
                content.feed_data(chunk)
                await flow.may_read.wait()
    except Exception as exc:  # ConnectionError, BodyError: the parser answers them
        content.set_exception(exc)
    else:
        content.feed_eof()
