"""``respond(ctx)``: turn the context's status, headers and body into bytes on the wire.

This is the only place that writes a response; middleware only sets ``ctx`` fields. When
``respond`` returns, the response has been written and finished (or the connection is gone),
so "finished" means on the wire for ``ctx.on_finished`` listeners such as loggers.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import AsyncIterator
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.helpers import rfc822_formatted_time
from multidict import CIMultiDict

from .errors import HttpError
from .jsoncodec import json_bytes
from .response import (
    KIND_BYTES,
    KIND_JSON,
    KIND_NONE,
    KIND_PATH,
    KIND_STREAM,
    KIND_TEXT,
    aclose_stream,
    utf8,
)
from .statuses import EMPTY_STATUSES, STATUS_PHRASES

if TYPE_CHECKING:
    from .context import Context

_CHUNK = 64 * 1024
# What aiohttp's writer refuses in a status line or header (RFC 9110 5.5, RFC 9112 4).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_headers(headers: CIMultiDict[str], reason: str) -> None:
    """``ValueError`` where aiohttp would refuse the headers once it has started a response.

    ``ctx.set`` refuses these already; this catches headers assigned to
    ``ctx.response.headers`` directly. The plain path needs no such pass: its writer refuses
    them before anything changes, and the error responder answers.
    """
    # One search over everything (tab, allowed, as the separator); the culprit only on failure.
    if _FORBIDDEN.search("\t".join((reason, *headers.keys(), *headers.values()))) is None:
        return
    if _FORBIDDEN.search(reason):
        raise ValueError(f"status message has a control character: {reason!r}")
    for name, value in headers.items():
        if _FORBIDDEN.search(value) or _FORBIDDEN.search(name):
            raise ValueError(f"header {name!r} has a control character: {value!r}")


class _KoaHeaders:
    """Header fix-ups aiohttp would otherwise make: no default Content-Type, no Server, and
    Node's ``HTTP/1.1`` status line (with ``Connection: close``) for HTTP/1.0 clients."""

    async def _prepare_headers(self) -> None:
        headers: CIMultiDict[str] = self._headers  # type: ignore[attr-defined]
        had_type = "Content-Type" in headers
        await super()._prepare_headers()  # type: ignore[misc]
        if not had_type:
            headers.popall("Content-Type", None)
        headers.popall("Server", None)
        request = self._req  # type: ignore[attr-defined]
        if (
            request.version < (1, 1)
            and "Content-Length" not in headers
            and not getattr(self, "_must_be_empty_body", False)
        ):
            # A close-delimited body (HTTP/1.0 cannot chunk): aiohttp drops keep-alive for the
            # headers only, and would keep the connection the client waits to see closed.
            setattr(self, "_keep_alive", False)  # noqa: B010 - aiohttp's own attribute
        if not getattr(self, "_keep_alive", True) and "Connection" not in headers:
            headers["Connection"] = "close"  # aiohttp leaves it implied for HTTP/1.0

    async def _write_headers(self) -> None:
        # aiohttp echoes the request's version; Node answers every HTTP/1.x request as 1.1
        # (RFC 9110 6.2: the highest version the server conforms to).
        status_line = f"HTTP/1.1 {self._status} {self._reason}"  # type: ignore[attr-defined]
        writer = self._payload_writer  # type: ignore[attr-defined]
        await writer.write_headers(status_line, self._headers)  # type: ignore[attr-defined]
        if getattr(self, "_send_headers_immediately", False):
            writer.send_headers()


class KoaResponse(_KoaHeaders, web.Response):
    """``web.Response`` that sends exactly the headers Koa chose."""


class KoaStreamResponse(_KoaHeaders, web.StreamResponse):
    """``web.StreamResponse`` that sends exactly the headers Koa chose."""

    #: Body bytes handed to the connection, without chunk framing (``Response.bytes_sent``).
    body_bytes = 0

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        await super().write(data)
        self.body_bytes += len(data) if isinstance(data, bytes) else memoryview(data).nbytes


class _FileError(Exception):
    """The file of a ``Path`` body could not be opened (raised before anything is sent)."""


# Statuses aiohttp's FileResponse picks on its own (Range and conditional requests).
_FILE_STATUSES = frozenset({206, 304, 412, 416})


class KoaFileResponse(_KoaHeaders, web.FileResponse):
    """``web.FileResponse`` (sendfile, Range, conditional requests) with Koa's headers."""

    _kept: tuple[tuple[str, str], ...] = ()

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        # ``respond`` has sent the file already; aiohttp prepares what the handler returns
        # once more, and FileResponse would then send it again.
        if self.prepared:
            return self._payload_writer
        # aiohttp writes ETag and Last-Modified from the file's stat; values middleware set
        # (koa-send's ``set_headers`` rule) are kept instead.
        headers = self._headers
        self._kept = tuple((k, headers[k]) for k in ("ETag", "Last-Modified") if k in headers)
        return await super().prepare(request)

    async def _prepare_headers(self) -> None:
        headers = self._headers
        for field, value in self._kept:
            headers[field] = value
        status = self._status
        if status == 304:  # aiohttp's answer to a conditional GET: no body headers
            headers.popall("Content-Type", None)
        if status in _FILE_STATUSES:  # set by aiohttp with its own phrase (416 differs)
            self._reason = STATUS_PHRASES[status]
        await super()._prepare_headers()

    def _make_response(self, request: web.BaseRequest, accept_encoding: str) -> Any:
        # aiohttp answers a missing or unreadable file with a bare 404/403 of its own; raise
        # instead, so the app's error responder answers (and ``app.on("error")`` hears of it).
        try:
            result = super()._make_response(request, accept_encoding)
        except OSError as err:
            raise _FileError(str(err)) from err
        if getattr(result[0], "name", None) == "NOT_ACCEPTABLE":  # a directory, a FIFO, ...
            raise _FileError("not a regular file") from PermissionError(str(self._path))
        return result

    def _get_file_path_stat_encoding(self, accept_encoding: str) -> Any:
        # Send exactly the file given: aiohttp alone would swap in a ``.br``/``.gz`` sibling
        # whenever Accept-Encoding merely contains the word (even ``gzip;q=0``). koa.static
        # negotiates precompressed files itself, honouring its gzip/brotli options.
        st = self._path.stat()
        return (self._path if S_ISREG(st.st_mode) else None), st, None


def _start(ctx: Context[Any], data: bytes | None) -> KoaResponse:
    """A plain (non-streamed) response sharing ``ctx.response.headers`` (no header copy)."""
    response = ctx.response
    status = response._status
    reason = response._message or STATUS_PHRASES.get(status) or "unknown"
    res = KoaResponse(status=status, reason=reason, body=data)
    res._headers = response.headers
    response.res = res
    return res


async def _finish(ctx: Context[Any], res: web.StreamResponse) -> web.StreamResponse:
    try:
        await res.prepare(ctx.req)
        await res.write_eof()
    except ConnectionError:
        ctx.response.aborted = True
    return res


async def respond(ctx: Context[Any]) -> web.StreamResponse:
    """Write the response for ``ctx`` (Koa's ``respond``) and return aiohttp's response.

    Errors raised before anything was sent (a JSON body that does not encode, a stream that
    fails before its first chunk, a ``Path`` that cannot be opened) propagate to the caller,
    which answers them with the error responder.
    """
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
            response._body = None
            response._kind = KIND_NONE
            await aclose_stream(body)
        headers.popall("Content-Type", None)
        headers.popall("Content-Length", None)
        headers.popall("Transfer-Encoding", None)
        return await _write_plain(ctx, None)

    head = ctx.req.method == "HEAD"

    if kind == KIND_TEXT:
        data: bytes = utf8(body)
    elif kind == KIND_BYTES:
        data = body if type(body) is bytes else bytes(body)
    elif kind == KIND_JSON:
        data = json_bytes(body, ctx.app.json_dumps)
        if head:
            # Koa's HEAD: a length set by the middleware stays; 0 and false have none.
            if "Content-Length" not in headers and (body or type(body) in (dict, list, tuple)):
                headers["Content-Length"] = str(len(data))
            return await _write_plain(ctx, None)
        headers["Content-Length"] = str(len(data))  # Koa sets it, whatever was set before
    elif kind == KIND_NONE:
        if response._explicit_null_body:
            headers.popall("Content-Type", None)
            headers.popall("Transfer-Encoding", None)
            headers["Content-Length"] = "0"
            return await _write_plain(ctx, None)
        if head:
            return await _write_plain(ctx, None)
        data = utf8(response.message or str(status))
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Content-Length"] = str(len(data))
    elif kind == KIND_PATH:
        return await _send_file(ctx)
    else:
        if head:
            response._body = None
            response._kind = KIND_NONE
            await aclose_stream(body)
            return await _write_plain(ctx, None)
        return await _send_stream(ctx, body)

    if head:
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(len(data))
        return await _write_plain(ctx, None)
    return await _write_plain(ctx, data)


class Written:
    """What aiohttp gets back for a response koa wrote itself: already prepared and finished.

    Building a ``web.Response`` costs more than the rest of a hello-world request in koa, so
    bodies of known length (text, bytes, JSON, none) are written straight to the connection's
    writer, with the header rules aiohttp applies (Date, Content-Length, Connection, no body
    for HEAD, 1xx, 204 and 304). aiohttp only reads ``keep_alive`` from it and calls
    ``prepare``/``write_eof``, which have nothing left to do.
    """

    __slots__ = ("body_bytes", "headers", "keep_alive", "reason", "status")

    prepared = True
    body_length = 0  # only tells "something was written" to Response.bytes_sent

    def __init__(
        self, status: int, reason: str, headers: CIMultiDict[str], keep_alive: bool, sent: int
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.keep_alive = keep_alive
        self.body_bytes = sent

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value is not None and value.isdigit() else None

    async def prepare(self, request: web.BaseRequest) -> None:
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None

    def force_close(self) -> None:
        self.keep_alive = False


async def _write_plain(ctx: Context[Any], data: bytes | None) -> web.StreamResponse:
    response = ctx.response
    req = ctx.req
    status = response._status
    headers = response.headers
    reason = response._message or STATUS_PHRASES.get(status) or "unknown"
    method = req.method
    # aiohttp's rules: no body for HEAD, 1xx, 204 and 304; a length unless it's implied.
    no_body = status < 200 or status == 204 or status == 304 or method == "HEAD"
    if data and "Transfer-Encoding" in headers and not no_body:
        return await _write_chunked(ctx, data)
    must_close = False
    if response._user_length and data and not no_body:
        # A Content-Length set by hand is sent as it is (Koa's rule), but the body never runs
        # past it, and a shorter body ends the connection: no desync on keep-alive.
        declared = response.length or 0
        if declared < len(data):
            data = data[:declared]
        elif declared > len(data):
            must_close = True
    if "Content-Length" not in headers:
        size = len(data) if data else 0
        if size or (status != 304 and method != "HEAD"):
            headers["Content-Length"] = str(size)
    if status < 200 or status == 204 or status == 304:
        headers.popall("Content-Length", None)
    if no_body:
        headers.popall("Transfer-Encoding", None)
        data = None
    if "Date" not in headers:
        headers["Date"] = rfc822_formatted_time()
    keep_alive = req.keep_alive and not must_close
    connection = headers.get("Connection")
    if connection is None:
        if not keep_alive:
            headers["Connection"] = "close"
        elif req.version[1] == 0:  # HTTP/1.1 keeps the connection without saying so
            headers["Connection"] = "keep-alive"
    elif connection.lower() == "close":
        keep_alive = False
    res = Written(status, reason, headers, keep_alive, len(data) if data else 0)
    response.res = res  # type: ignore[assignment]
    writer = req.writer
    try:
        # Node's status line is HTTP/1.1 for HTTP/1.0 clients too (RFC 9110 6.2).
        await writer.write_headers(f"HTTP/1.1 {status} {reason}", headers)
    except ValueError:
        # aiohttp refused a header (a control character set past ``ctx.set``'s checks):
        # nothing went out, so the error responder can still answer.
        response.res = None
        raise
    try:
        await writer.write_eof(data or b"")
    except ConnectionError:
        response.aborted = True
        res.body_bytes = 0
    return res  # type: ignore[return-value]


async def _write_chunked(ctx: Context[Any], data: bytes) -> web.StreamResponse:
    """A body of known length under a Transfer-Encoding the middleware set: sent chunked
    (close-delimited to HTTP/1.0) by aiohttp, without the Content-Length that RFC 9112 6.2
    forbids beside it (Node would frame it chunked but could keep both headers)."""
    response = ctx.response
    headers = response.headers
    headers.popall("Content-Length", None)
    headers.popall("Transfer-Encoding", None)
    reason = response.message or "unknown"
    check_headers(headers, reason)
    res = KoaStreamResponse(status=response._status, reason=reason)
    res._headers = headers
    response.res = res
    try:
        await res.prepare(ctx.req)
        await res.write(data)
        await res.write_eof()
    except ConnectionError:
        response.aborted = True
    return res


async def _send_file(ctx: Context[Any]) -> web.StreamResponse:
    response = ctx.response
    res = KoaFileResponse(response._body, status=response._status, reason=response.message)
    res._headers = response.headers
    response.res = res
    try:
        await res.prepare(ctx.req)
    except ValueError:
        # aiohttp refused a header (a control character set past ``ctx.set``'s checks)
        # before writing anything: the error responder can still answer.
        response.res = None
        raise
    except _FileError as err:
        response.res = None
        cause = err.__cause__
        if isinstance(cause, (FileNotFoundError, NotADirectoryError)):
            raise HttpError(404, expose=False) from cause
        if isinstance(cause, PermissionError):
            raise HttpError(403, expose=False) from cause
        raise
    except ConnectionError:
        response.aborted = True
        return res
    # aiohttp answered Range (206/416) and conditional requests (304/412) itself.
    response._status = res.status
    return await _finish(ctx, res)


def _chunks(body: Any) -> AsyncIterator[Any]:
    if hasattr(body, "__aiter__"):
        return body.__aiter__()  # type: ignore[no-any-return]
    return _read_file(body)


async def _read_file(file: Any) -> AsyncIterator[bytes]:
    # Files on disk are read in a thread so a slow disk never blocks the event loop.
    threaded = isinstance(file, (io.FileIO, io.BufferedReader))
    loop = asyncio.get_running_loop()
    while True:
        chunk = (
            await loop.run_in_executor(None, file.read, _CHUNK) if threaded else file.read(_CHUNK)
        )
        if not chunk:
            return
        yield chunk


def _as_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return chunk  # type: ignore[return-value]
    if isinstance(chunk, str):
        return utf8(chunk)
    raise TypeError(f"a stream body must yield bytes or str, not {type(chunk).__name__}")


async def _send_stream(ctx: Context[Any], body: Any) -> web.StreamResponse:
    response = ctx.response
    if not response.writable:
        # The client left (or shut its sending side) while the middleware ran: do not start
        # reading the stream, and send no empty response in its place.
        response.aborted = True
        response._body = None
        response._kind = KIND_NONE
        await aclose_stream(body)
        abort(ctx)
        return _start(ctx, None)
    chunks = _chunks(body)
    try:
        # Pull the first chunk before sending headers: a stream that fails now still gets a
        # proper error response instead of a reset connection.
        try:
            first: Any = _as_bytes(await chunks.__anext__())
        except StopAsyncIteration:
            first = None
    except BaseException:
        response._body = None
        response._kind = KIND_NONE
        await _close(body, chunks)
        raise
    if first is None and "Content-Length" not in response.headers:
        # An empty stream: Node ends such a response with ``Content-Length: 0``, not chunked.
        await _close(body, chunks)
        return await _write_plain(ctx, None)

    reason = response.message or "unknown"
    try:
        check_headers(response.headers, reason)
    except ValueError:
        response._body = None
        response._kind = KIND_NONE
        await _close(body, chunks)
        raise
    res = KoaStreamResponse(status=response._status, reason=reason)
    res._headers = response.headers
    response.res = res
    try:
        await res.prepare(ctx.req)
        if first:
            await res.write(first)
        async for chunk in chunks:
            await res.write(_as_bytes(chunk))
        await _end(ctx, res)
    except ConnectionError:
        response.aborted = True  # the client went away: stop reading the stream
    except Exception as err:
        # Headers are out: report the error and cut the connection, so the client sees a
        # truncated response rather than a complete-looking one.
        ctx.app.handle_error(err, ctx)
        abort(ctx)
    finally:
        await _close(body, chunks)
    return res


async def _end(ctx: Context[Any], res: web.StreamResponse) -> None:
    """Finish a streamed response; one that fell short of its Content-Length closes the
    connection instead, or the client would wait for bytes that never come."""
    declared = res.content_length
    if (
        declared is not None
        and getattr(res, "body_bytes", 0) < declared
        and ctx.req.method != "HEAD"
        and res.status >= 200
        and res.status not in EMPTY_STATUSES
    ):
        abort(ctx)
    else:
        await res.write_eof()


def abort(ctx: Context[Any]) -> None:
    """Close the connection under a response whose headers are already out."""
    transport = ctx.req.transport
    if transport is not None:
        transport.close()


async def _close(body: Any, chunks: Any) -> None:
    if chunks is not body:
        await aclose_stream(chunks)
    await aclose_stream(body)


async def _finish_flushed(ctx: Context[Any], res: web.StreamResponse) -> None:
    """Write the body into a response whose headers went out with ``flush_headers()``."""
    response = ctx.response
    kind = response._kind
    body = response._body
    try:
        if ctx.req.method == "HEAD" or res.status in EMPTY_STATUSES:
            if kind == KIND_STREAM:
                await aclose_stream(body)
        elif kind == KIND_NONE:
            if not response._explicit_null_body:  # Koa still sends the status phrase
                await res.write((res.reason or str(res.status)).encode())
        elif kind == KIND_TEXT:
            await res.write(utf8(body))
        elif kind == KIND_BYTES:
            await res.write(body)
        elif kind == KIND_JSON:
            await res.write(json_bytes(body, ctx.app.json_dumps))
        elif kind == KIND_STREAM:
            chunks = _chunks(body)
            try:
                async for chunk in chunks:
                    await res.write(_as_bytes(chunk))
            finally:
                await _close(body, chunks)
        elif kind == KIND_PATH:
            loop = asyncio.get_running_loop()
            file = await loop.run_in_executor(None, open, os.fspath(body), "rb")
            try:
                async for chunk in _read_file(file):
                    await res.write(chunk)
            finally:
                file.close()
        await _end(ctx, res)
    except ConnectionError:
        response.aborted = True
    except Exception as err:
        ctx.app.handle_error(err, ctx)
        abort(ctx)
