"""``respond(ctx)``: Koa's rules for what goes out, handed to the connection.

``_decide`` computes the status, phrase, headers and body source by Koa's rules (one set of
statuses without a body, one HEAD rule); ``_send`` is the one place that hands a response to
the connection (``koa.core.connection``), which frames it for its server. Middleware only
sets ``ctx`` fields. When ``respond`` returns, the response has been written and finished (or
the connection is gone), so "finished" means on the wire for ``ctx.on_finished`` listeners.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeAlias

from multidict import CIMultiDict

from .body import JSON, NONE, STREAM, aclose_stream, as_bytes, chunks
from .errors import HttpError
from .headers import CONTENT_LENGTH, CONTENT_TYPE
from .statuses import EMPTY_STATUSES, STATUS_PHRASES

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .connection import Connection
    from .context import Context


class _Stream:
    """A stream body to send: the body (to close afterwards) and its chunks."""

    __slots__ = ("body", "chunks")

    def __init__(self, body: Any, chunks: AsyncIterator[Any]) -> None:
        self.body = body
        self.chunks = chunks

    async def close(self) -> None:
        if self.chunks is not self.body:
            await aclose_stream(self.chunks)
        await aclose_stream(self.body)


class _StreamFailed(Exception):
    """A stream body raised ``error`` before its first chunk (told apart from the client
    going away, which ends the response quietly)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


#: What goes out as the body: nothing, bytes in memory, a file, or a stream.
Source: TypeAlias = bytes | PurePath | _Stream | None


async def respond(ctx: Context[Any]) -> None:
    """Write the response for ``ctx`` (Koa's ``respond``).

    Errors raised before anything was sent (a JSON body that does not encode, a stream that
    fails before its first chunk, a ``Path`` that cannot be opened) go to ``ctx.onerror``,
    and its error response is sent instead; errors after the headers cut the connection.
    """
    response = ctx.response
    conn = response.conn
    try:
        await _send(ctx, conn, *_decide(ctx, conn))
    except ConnectionError:
        response.aborted = True  # the client went away: nothing more to send
        return
    except Exception as err:
        ctx.onerror(err.error if isinstance(err, _StreamFailed) else err)
        if response.header_sent or conn.closed:
            return  # ctx.onerror cut the connection
        try:
            await _send(ctx, conn, *_decide(ctx, conn))
        except ConnectionError:
            response.aborted = True


def _decide(ctx: Context[Any], conn: Connection) -> tuple[int, str, CIMultiDict[str], Source, bool]:
    """Status, phrase, headers, body source and whether to close afterwards, by Koa's rules."""
    response = ctx.response
    status = response._status
    headers = response.headers
    kind = response._kind
    body = response._body
    reason = response._message or STATUS_PHRASES.get(status) or "unknown"
    head = conn.method == "HEAD"

    if conn.header_sent:  # flush_headers() sent them: only the rest of the body is left
        if head or status in EMPTY_STATUSES or (kind is NONE and response._explicit_null_body):
            if kind is STREAM:
                _close_later(ctx, body)
            return status, reason, headers, None, False
        return status, reason, headers, _Stream(body, kind.rest(ctx, body)), False

    if status in EMPTY_STATUSES:
        if kind is STREAM:
            _close_later(ctx, body)
        headers.popall("Content-Type", None)
        headers.popall("Content-Length", None)
        headers.popall("Transfer-Encoding", None)
        return status, reason, headers, None, False

    if not kind.in_memory:
        if kind is STREAM:
            if head:
                _close_later(ctx, body)
                return status, reason, headers, None, False
            return status, reason, headers, _Stream(body, chunks(body)), False
        return status, reason, headers, body, False  # a Path: the connection sends the file

    if kind is NONE:
        if response._explicit_null_body:
            headers.popall("Content-Type", None)
            headers.popall("Transfer-Encoding", None)
            headers[CONTENT_LENGTH] = "0"
            return status, reason, headers, None, False
        if head:
            return status, reason, headers, None, False
        data = kind.payload(ctx, body)
        headers[CONTENT_TYPE] = "text/plain; charset=utf-8"
        headers[CONTENT_LENGTH] = str(len(data))
    elif kind is JSON:
        data = kind.payload(ctx, body)
        if head:
            # Koa's HEAD: a length set by the middleware stays; 0 and false have none.
            if "Content-Length" not in headers and (body or type(body) in (dict, list, tuple)):
                headers[CONTENT_LENGTH] = str(len(data))
            return status, reason, headers, None, False
        headers[CONTENT_LENGTH] = str(len(data))  # Koa sets it, whatever was set before
    else:
        data = kind.payload(ctx, body)

    if head:
        if "Content-Length" not in headers:
            headers[CONTENT_LENGTH] = str(len(data))
        return status, reason, headers, None, False
    close = False
    if response._user_length and data and status >= 200:
        # A Content-Length set by hand is sent as it is (Koa's rule), but the body never runs
        # past it, and a shorter body ends the connection: no desync on keep-alive.
        declared = response.length or 0
        if declared < len(data):
            data = data[:declared]
        elif declared > len(data):
            close = True
    return status, reason, headers, data, close


def _close_later(ctx: Context[Any], body: Any) -> None:
    """A stream body that will not be sent: dropped now, closed by ``_send`` (async)."""
    response = ctx.response
    response._clear_body()
    response._closing = body


def _send(
    ctx: Context[Any],
    conn: Connection,
    status: int,
    reason: str,
    headers: CIMultiDict[str],
    source: Source,
    close: bool,
) -> Awaitable[None]:
    """Hand the response to the connection: the one place a response is written.

    The usual response, whole in memory, is ``conn.send``'s own awaitable (no coroutine of
    this module's in between, on every request); the rest goes through ``_send_other``.
    """
    if (
        (source is None or isinstance(source, bytes))
        and not conn.header_sent
        and ctx.response._closing is None
    ):
        return conn.send(status, reason, headers, source, close=close)
    return _send_other(ctx, conn, status, reason, headers, source, close)


async def _send_other(
    ctx: Context[Any],
    conn: Connection,
    status: int,
    reason: str,
    headers: CIMultiDict[str],
    source: Source,
    close: bool,
) -> None:
    response = ctx.response
    closing = response._closing
    if closing is not None:  # a stream body that will not be sent: released first
        response._closing = None
        await aclose_stream(closing)
    if conn.header_sent:  # after flush_headers(): the rest of the body, then the end
        if isinstance(source, _Stream):
            try:
                async for chunk in source.chunks:
                    await conn.write(as_bytes(chunk))
            finally:
                await source.close()
        await conn.end()
    elif source is None or isinstance(source, bytes):
        await conn.send(status, reason, headers, source, close=close)
    elif isinstance(source, _Stream):
        await _send_stream(ctx, conn, status, reason, headers, source)
    else:
        try:
            await conn.send_file(status, reason, headers, source, response.file_range)
        except (FileNotFoundError, NotADirectoryError) as err:
            raise HttpError(404, expose=False) from err
        except PermissionError as err:
            raise HttpError(403, expose=False) from err
        finally:
            if conn.header_sent:
                response._status = conn.status  # Range and conditional answers: 206, 304...


async def _send_stream(
    ctx: Context[Any],
    conn: Connection,
    status: int,
    reason: str,
    headers: CIMultiDict[str],
    source: _Stream,
) -> None:
    response = ctx.response
    if not conn.writable:
        # The client left (or shut its sending side) while the middleware ran: do not start
        # reading the stream, and send no empty response in its place.
        response.aborted = True
        response._clear_body()
        await source.close()
        conn.abort()
        return
    try:
        # Pull the first chunk before sending headers: a stream that fails now still gets a
        # proper error response instead of a reset connection.
        try:
            first: bytes | None = as_bytes(await source.chunks.__anext__())
        except StopAsyncIteration:
            first = None
    except BaseException as err:
        response._clear_body()
        await source.close()
        if isinstance(err, ConnectionError):
            raise _StreamFailed(err) from err
        raise
    if first is None and "Content-Length" not in headers:
        # An empty stream: Node ends such a response with ``Content-Length: 0``, not chunked.
        await source.close()
        await conn.send(status, reason, headers, None)
        return
    try:
        await conn.start(status, reason, headers)
    except ValueError:
        response._clear_body()
        await source.close()
        raise
    try:
        if first:
            await conn.write(first)
        async for chunk in source.chunks:
            await conn.write(as_bytes(chunk))
        await conn.end()
    finally:
        await source.close()
