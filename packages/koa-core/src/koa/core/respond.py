"""``respond(ctx)``: turn the context's status, headers and body into aiohttp's response.

This is the only place that writes to the wire; middleware only sets ``ctx`` fields.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import CIMultiDict

from .response import (
    KIND_BYTES,
    KIND_JSON,
    KIND_NONE,
    KIND_PATH,
    KIND_STREAM,
    KIND_TEXT,
    close_stream,
)
from .statuses import EMPTY_STATUSES

if TYPE_CHECKING:
    from .context import Context

_CHUNK = 64 * 1024


class _KoaHeaders:
    """Header fix-ups aiohttp would otherwise make: no default Content-Type, no Server."""

    async def _prepare_headers(self) -> None:
        headers: CIMultiDict[str] = self._headers  # type: ignore[attr-defined]
        had_type = "Content-Type" in headers
        had_server = "Server" in headers
        await super()._prepare_headers()  # type: ignore[misc]
        if not had_type:
            headers.popall("Content-Type", None)
        if not had_server:
            headers.popall("Server", None)


class KoaResponse(_KoaHeaders, web.Response):
    """``web.Response`` that sends exactly the headers Koa chose."""


class KoaStreamResponse(_KoaHeaders, web.StreamResponse):
    """``web.StreamResponse`` that sends exactly the headers Koa chose."""


class KoaFileResponse(_KoaHeaders, web.FileResponse):
    """``web.FileResponse`` (sendfile, Range, conditional requests) with Koa's headers."""


def _plain(ctx: Context[Any], data: bytes | None) -> web.StreamResponse:
    response = ctx.response
    res = KoaResponse(
        status=response._status,
        reason=response.message,
        headers=response.headers,
        body=data,
    )
    response.res = res
    return res


async def respond(ctx: Context[Any]) -> web.StreamResponse:
    """Build (or finish) the aiohttp response for ``ctx``."""
    if not ctx.respond:
        res = ctx.res
        if res is None:
            raise RuntimeError(
                "ctx.respond is False but ctx.res holds no response: prepare an aiohttp "
                "StreamResponse with `await res.prepare(ctx.req)` and assign it to ctx.res"
            )
        return res

    response = ctx.response
    flushed = response.res
    if flushed is not None and flushed.prepared:
        await _finish_flushed(ctx, flushed)
        return flushed

    status = response._status
    headers = response.headers
    kind = response._kind
    body = response._body

    if status in EMPTY_STATUSES:
        if kind == KIND_STREAM:
            close_stream(body)
        headers.popall("Content-Type", None)
        headers.popall("Content-Length", None)
        headers.popall("Transfer-Encoding", None)
        return _plain(ctx, None)

    head = ctx.req.method == "HEAD"

    if kind == KIND_TEXT:
        data: bytes | None = body.encode()
    elif kind == KIND_BYTES:
        data = body if isinstance(body, bytes) else bytes(body)
    elif kind == KIND_JSON:
        data = ctx.app.json_dumps(body).encode()
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(len(data))
    elif kind == KIND_NONE:
        if response._explicit_null_body:
            headers.popall("Content-Type", None)
            headers.popall("Transfer-Encoding", None)
            headers["Content-Length"] = "0"
            return _plain(ctx, None)
        if head:
            return _plain(ctx, None)
        data = (response.message or str(status)).encode()
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Content-Length"] = str(len(data))
    elif kind == KIND_PATH:
        return await _send_file(ctx)
    else:
        if head:
            close_stream(body)
            return _plain(ctx, None)
        return await _send_stream(ctx, body)

    if head:
        if "Content-Length" not in headers and data is not None:
            headers["Content-Length"] = str(len(data))
        return _plain(ctx, None)
    return _plain(ctx, data)


async def _send_file(ctx: Context[Any]) -> web.StreamResponse:
    response = ctx.response
    res = KoaFileResponse(
        response._body,
        status=response._status,
        reason=response.message,
        headers=response.headers,
    )
    response.res = res
    try:
        await res.prepare(ctx.req)
    except ConnectionError:
        response.aborted = True
        return res
    # aiohttp answered Range (206/416) and conditional requests (304/412) itself.
    response._status = res.status
    return res


def _chunks(body: Any) -> AsyncIterator[Any]:
    if hasattr(body, "__aiter__"):
        return body.__aiter__()  # type: ignore[no-any-return]
    return _read_file(body)


async def _read_file(file: Any) -> AsyncIterator[bytes]:
    # Real files are read in a thread so a slow disk never blocks the event loop.
    threaded = isinstance(file, io.FileIO | io.BufferedReader)
    loop = asyncio.get_running_loop()
    while True:
        chunk = (
            await loop.run_in_executor(None, file.read, _CHUNK) if threaded else file.read(_CHUNK)
        )
        if not chunk:
            return
        yield chunk


def _as_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"a stream body must yield bytes or str, not {type(chunk).__name__}")


async def _send_stream(ctx: Context[Any], body: Any) -> web.StreamResponse:
    response = ctx.response
    chunks = _chunks(body)
    try:
        # Pull the first chunk before sending headers: a stream that fails now still gets a
        # proper error response instead of a reset connection.
        try:
            first: bytes | None = _as_bytes(await chunks.__anext__())
        except StopAsyncIteration:
            first = None
    except Exception as err:
        _close(body, chunks)
        ctx.app.handle_error(err, ctx)
        return await respond(ctx)

    res = KoaStreamResponse(
        status=response._status, reason=response.message, headers=response.headers
    )
    response.res = res
    try:
        await res.prepare(ctx.req)
        if first:
            await res.write(first)
        async for chunk in chunks:
            await res.write(_as_bytes(chunk))
        await res.write_eof()
    except ConnectionError:
        response.aborted = True  # the client went away: stop reading the stream
    except Exception as err:
        # Headers are out: report the error and cut the connection so the client sees a
        # truncated response rather than a complete-looking one.
        ctx.app.handle_error(err, ctx)
        transport = ctx.req.transport
        if transport is not None:
            transport.close()
    finally:
        _close(body, chunks)
    return res


def _close(body: Any, chunks: Any) -> None:
    if chunks is not body:
        close_stream(chunks)
    close_stream(body)


async def _finish_flushed(ctx: Context[Any], res: web.StreamResponse) -> None:
    """Write the body into a response whose headers went out with ``flush_headers()``."""
    response = ctx.response
    kind = response._kind
    body = response._body
    try:
        if ctx.req.method == "HEAD" or kind == KIND_NONE:
            pass
        elif kind == KIND_TEXT:
            await res.write(body.encode())
        elif kind == KIND_BYTES:
            await res.write(bytes(body))
        elif kind == KIND_JSON:
            await res.write(ctx.app.json_dumps(body).encode())
        elif kind == KIND_STREAM:
            chunks = _chunks(body)
            try:
                async for chunk in chunks:
                    await res.write(_as_bytes(chunk))
            finally:
                _close(body, chunks)
        elif kind == KIND_PATH:
            file = await asyncio.get_running_loop().run_in_executor(None, open, body, "rb")
            try:
                async for chunk in _read_file(file):
                    await res.write(chunk)
            finally:
                file.close()
        await res.write_eof()
    except ConnectionError:
        response.aborted = True
    except Exception as err:
        ctx.app.handle_error(err, ctx)
        transport = ctx.req.transport
        if transport is not None:
            transport.close()
