"""koa-core on aiohttp's low-level HTTP server: the ``Connection`` of one aiohttp request, the
request handler aiohttp calls, and the server classes ``koa.core.server`` runs.

Every use of an aiohttp name that is not public API is in this module, listed in
``PRIVATE_NAMES`` with the reason; ``test_core_aiohttp_backend.py`` checks each one against the
installed aiohttp, so a release that drops one fails a test that names it, not a request.
Nothing here knows Koa's rules (status phrases aside): ``respond`` decides what to send, this
module frames it as HTTP/1.x the way Node does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from os import PathLike
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from aiohttp import HttpVersion11, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.http_parser import RawRequestMessage
from aiohttp.http_writer import StreamWriter
from aiohttp.streams import EMPTY_PAYLOAD, StreamReader
from aiohttp.web_protocol import RequestHandler
from multidict import CIMultiDict, CIMultiDictProxy, istr

from ..connection import BodyError, ByteRange, content_length
from ..errors import create_http_error
from ..headers import CONNECTION, CONTENT_LENGTH, DATE, SECRET_FIELDS, HeadCache
from ..statuses import STATUS_PHRASES
from ..websocket import INTERNAL_ERROR, NORMAL_CLOSURE

if TYPE_CHECKING:
    from ..application import Koa
    from ..compose import ComposedMiddleware
    from ..websocket import WebSocket


__all__ = [
    "PRIVATE_NAMES",
    "AiohttpConnection",
    "KoaResponse",
    "KoaWebSocketResponse",
    "Server",
    "request_handler",
]

#: Each aiohttp name this module reads or overrides that is not public API: ``(owner, name)``
#: -> why. ``owner`` is the class whose instances (or which itself) must have ``name``.
PRIVATE_NAMES: dict[tuple[str, str], str] = {
    ("StreamResponse", "_prepare_headers"): (
        "overridden: no default Content-Type or Server header, Connection: close when an"
        " HTTP/1.0 body is close-delimited"
    ),
    ("StreamResponse", "_write_headers"): (
        "overridden: Node's HTTP/1.1 status line for every HTTP/1.x request (RFC 9110 6.2)"
    ),
    ("StreamResponse", "_headers"): (
        "the response shares the context's header dict (no copy per request); read in the"
        " header fix-ups"
    ),
    ("StreamResponse", "_req"): "the request's version, in the HTTP/1.0 close rule",
    ("StreamResponse", "_keep_alive"): "read and cleared for a close-delimited HTTP/1.0 body",
    ("StreamResponse", "_status"): "the status line; FileResponse sets 206/304/412/416 on it",
    ("StreamResponse", "_reason"): "Koa's phrase for the statuses FileResponse picks",
    ("StreamResponse", "_payload_writer"): "where the status line and headers are written",
    ("StreamResponse", "_must_be_empty_body"): "no body for HEAD, 1xx, 204, 304 (optional)",
    ("StreamResponse", "_send_headers_immediately"): "flush the headers at once (optional)",
    ("FileResponse", "_path"): "the file to stat, in the no-precompressed-sibling override",
    ("FileResponse", "_make_response"): (
        "overridden: a missing or unreadable file raises, so Koa's error path answers"
        " (aiohttp would send a bare 404/403 of its own)"
    ),
    ("FileResponse", "_get_file_path_stat_encoding"): (
        "overridden: send exactly the file asked for, no .gz/.br sibling"
    ),
    ("BaseRequest", "_cache"): (
        "send_file's byte range: FileResponse reads the range from the request's cached"
        " http_range/if_range, so filling the cache hands it the app's Range decision"
    ),
    ("BaseRequest", "_message"): "rewritten to HTTP/1.1 to answer an unparsable request",
    ("RequestHandler", "_waiter"): "half-close: is the connection idle between requests?",
    ("RequestHandler", "_upgraded"): "half-close: is the connection a WebSocket now?",
    ("RequestHandler", "_messages"): (
        "half-close, and a draining gunicorn worker: are pipelined requests waiting?"
    ),
    ("RequestHandler", "_request_count"): (
        "half-close, and a draining gunicorn worker: was anything asked at all?"
    ),
    ("RequestHandler", "_parser"): "half-close: flush the parser on FIN (feed_eof)",
    ("RequestHandler", "_current_request"): "half-close: is a response under way?",
    ("RequestHandler", "_close"): "half-close: close after the last pipelined answer",
    ("StreamWriter", "_headers_buf"): (
        "the response head, serialised here (``head_bytes``), is buffered where aiohttp's"
        " ``write_headers`` leaves it, so it goes out with the body in one write"
    ),
    ("StreamWriter", "_headers_written"): "cleared with the buffered head, as write_headers does",
    ("StreamWriter", "_on_headers_sent"): (
        "aiohttp's hook run before the head is buffered (its client's tracing): when set,"
        " aiohttp's own write_headers runs instead"
    ),
    ("Server", "_loop"): "build the connection handler with the server's own loop",
    ("Server", "_kwargs"): "build the connection handler with the server's own options",
}

# What aiohttp's writer refuses in a status line or header (RFC 9110 5.5, RFC 9112 4).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Looked up on every response: a CIMultiDict finds an ``istr`` key faster than a ``str`` one
# (a plain string is case-folded on each lookup).
_TRANSFER_ENCODING = istr("Transfer-Encoding")


def check_headers(headers: CIMultiDict[str], reason: str) -> None:
    """``ValueError`` where aiohttp would refuse the headers once it has started a response.

    The context refuses these already; this catches headers assigned to
    ``ctx.response.headers`` directly, before the status line goes out.
    """
    # One search over everything (tab, allowed, as the separator); the culprit only on failure.
    if _FORBIDDEN.search("\t".join((reason, *headers.keys(), *headers.values()))) is None:
        return
    if _FORBIDDEN.search(reason):
        raise ValueError(f"status message has a control character: {reason!r}")
    for name, value in headers.items():
        if _FORBIDDEN.search(value) or _FORBIDDEN.search(name):
            raise ValueError(f"header {name!r} has a control character: {value!r}")


# The encoded header fields seen before, in two bounded caches: whole heads (the same response
# again: hello world, a 304) and single lines (Content-Type, Vary, a security middleware's
# constants beside a changing ETag). aiohttp's C serialiser encodes every character one at a
# time, a third of a microsecond per header. A head or line is kept only once it has been sent
# twice, so per-request values (a session cookie, an ETag) do not crowd the caches; a full
# cache starts again; lines over 8 KB are not kept. Everything kept was checked first.
_CACHE_SIZE = 512
_LONGEST = 8192
_Items = tuple[tuple[str, str], ...]
_heads: dict[_Items, bytes] = {}
_heads_once: set[_Items] = set()
_lines: dict[tuple[str, str], bytes] = {}
_once: set[tuple[str, str]] = set()


class _Head:
    """Header fields sent again, and the whole head (status line too) as last sent: the
    usual response, the same status again, makes no new bytes for its head."""

    __slots__ = ("fields", "reason", "status", "whole")
    status: int
    reason: str
    whole: bytes

    def __init__(self, status: int, reason: str, fields: bytes) -> None:
        self.fields = fields
        self.restate(status, reason)

    def restate(self, status: int, reason: str) -> None:
        # The line first: a refused reason (ValueError) leaves the head as it was.
        self.whole = _status_bytes(status, reason) + self.fields
        self.status = status
        self.reason = reason


# The heads of the tuple cache sent again, found without a tuple per field (``HeadCache``).
_again: HeadCache[_Head] = HeadCache()
# A status line per status code: its reason (the last one sent) and its bytes.
_status_lines: dict[int, tuple[str, bytes]] = {}
# Never kept: a session id in a cookie, credentials.
_UNCACHED = SECRET_FIELDS


def _remember(cache: dict[Any, bytes], once: set[Any], key: Any, data: bytes) -> None:
    """Keep ``data`` under ``key`` the second time it is seen (bounded)."""
    if key in once:
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = data
    elif len(data) <= _LONGEST:
        if len(once) >= _CACHE_SIZE:
            once.clear()
        once.add(key)


def _status_line(status: int, reason: str) -> bytes:
    text = "HTTP/1.1 " + str(status) + " " + reason
    if _FORBIDDEN.search(text):
        raise ValueError(f"status message has a control character: {reason!r}")
    line = (text + "\r\n").encode("utf-8", "ignore")  # "ignore": lone surrogates, as aiohttp
    _status_lines[status] = (reason, line)
    return line


def _status_bytes(status: int, reason: str) -> bytes:
    """The status line, from ``_status_lines`` when its reason is the one sent last."""
    known = _status_lines.get(status)
    if known is not None and known[0] == reason:
        return known[1]
    return _status_line(status, reason)


def _fields(items: _Items) -> bytes:
    """The header lines of a head not in the cache, ending with the blank line."""
    # Every line from the cache, all in C; one not there leaves a None, which join refuses.
    parts = list(map(_lines.get, items))
    parts.append(b"\r\n")
    try:
        fields = b"".join(parts)  # type: ignore[arg-type]
    except TypeError:
        parts.clear()
        keep = True
        for key in items:
            line = _lines.get(key)
            if line is None:
                name, value = key
                text = name + ": " + value  # concatenation: an f-string of an ``istr`` is slow
                if _FORBIDDEN.search(text):
                    raise ValueError(
                        f"header {str(name)!r} has a control character: {value!r}"
                    ) from None
                # UTF-8 as aiohttp encodes; it drops lone surrogates, as "ignore" does.
                line = (text + "\r\n").encode("utf-8", "ignore")
                if name.lower() in _UNCACHED:
                    keep = False  # neither the line nor a head holding it is kept
                else:
                    _remember(_lines, _once, key, line)
            parts.append(line)
        parts.append(b"\r\n")
        fields = b"".join(parts)  # type: ignore[arg-type]
        if not keep:
            return fields
    _remember(_heads, _heads_once, items, fields)
    return fields


def head_bytes(status: int, reason: str, headers: CIMultiDict[str]) -> bytes:
    """The status line and headers as aiohttp's writer would serialise them, with Node's
    ``HTTP/1.1`` for every HTTP/1.x request (RFC 9110 6.2), in order and case as given.

    A control character in the reason, a name or a value is a ``ValueError`` and nothing is
    returned: the head is refused before anything goes out.
    """
    head = _again.find(headers)
    if head is not None:
        if head.status != status or head.reason != reason:
            head.restate(status, reason)
        return head.whole
    items = tuple(headers.items())
    fields = _heads.get(items)
    if fields is None:
        fields = _fields(items)  # the fields checked first, then the status line
        return _status_bytes(status, reason) + fields
    # Sent twice before (so no secret field): kept whole from now on.
    head = _Head(status, reason, fields)
    _again.keep(headers, head)
    return head.whole


def buffer_head(
    writer: AbstractStreamWriter, status: int, reason: str, headers: CIMultiDict[str]
) -> bool:
    """Buffer the response head (``head_bytes``) in aiohttp's writer, where its
    ``write_headers`` leaves it (sent with the first body bytes); ``False`` when aiohttp must
    write it itself: another writer, or aiohttp's hook to run first."""
    if type(writer) is not StreamWriter or writer._on_headers_sent is not None:
        return False
    buf = head_bytes(status, reason, headers)
    writer._headers_written = False
    writer._headers_buf = buf
    return True


async def write_head(
    writer: AbstractStreamWriter, status: int, reason: str, headers: CIMultiDict[str]
) -> None:
    """Buffer the response head in ``writer`` (sent with the first body bytes)."""
    if not buffer_head(writer, status, reason, headers):
        await writer.write_headers(f"HTTP/1.1 {status} {reason}", headers)


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
        writer = self._payload_writer  # type: ignore[attr-defined]
        await write_head(writer, self._status, self._reason, self._headers)  # type: ignore[attr-defined]
        if getattr(self, "_send_headers_immediately", False):
            writer.send_headers()


class KoaResponse(_KoaHeaders, web.Response):
    """``web.Response`` that sends exactly the headers given (server-level answers)."""


class _StreamResponse(_KoaHeaders, web.StreamResponse):
    """``web.StreamResponse`` that sends exactly the headers given, counting body bytes."""

    #: Body bytes handed to the connection, without chunk framing.
    body_bytes = 0

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        await super().write(data)
        self.body_bytes += len(data) if isinstance(data, bytes) else memoryview(data).nbytes


class KoaWebSocketResponse(_KoaHeaders, web.WebSocketResponse):
    """``web.WebSocketResponse`` with the headers given, closing with ``exit_code`` when the
    app returns with the socket still open (aiohttp closes with 1000; 1011 after an error)."""

    #: The code the socket is closed with once the app has returned.
    exit_code = NORMAL_CLOSURE

    async def write_eof(self) -> None:  # type: ignore[override]  # aiohttp's own signature
        if self.exit_code != NORMAL_CLOSURE and self.prepared and not self.closed:
            await self.close(code=self.exit_code)
        await super().write_eof()


class _FileError(Exception):
    """The file could not be opened (raised before anything is sent; the cause says why)."""


# Statuses aiohttp's FileResponse picks on its own (Range and conditional requests).
_FILE_STATUSES = frozenset({206, 304, 412, 416})


class _FileResponse(_KoaHeaders, web.FileResponse):
    """``web.FileResponse`` (sendfile, Range, conditional requests) with the headers given."""

    _kept: tuple[tuple[str, str], ...] = ()

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        # ``send_file`` has sent the file already; aiohttp prepares what the handler returns
        # once more, and FileResponse would then send it again.
        if self.prepared:
            return self._payload_writer
        # aiohttp writes ETag and Last-Modified from the file's stat; values the app set
        # are kept instead.
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
        # instead, so the app's error path answers (and ``app.on("error")`` hears of it).
        try:
            result = super()._make_response(request, accept_encoding)
        except OSError as err:
            raise _FileError(str(err)) from err
        if getattr(result[0], "name", None) == "NOT_ACCEPTABLE":  # a directory, a FIFO, ...
            raise _FileError("not a regular file") from PermissionError(str(self._path))
        return result

    def _get_file_path_stat_encoding(self, accept_encoding: str) -> Any:
        # Send exactly the file given: aiohttp alone would swap in a ``.br``/``.gz`` sibling
        # whenever Accept-Encoding merely contains the word (even ``gzip;q=0``).
        st = self._path.stat()
        return (self._path if S_ISREG(st.st_mode) else None), st, None


class _Written:
    """What aiohttp gets back for a response ``send`` wrote itself: prepared and finished.

    Building a ``web.Response`` costs more than the rest of a hello-world request, so bodies
    of known length are written straight to the connection's writer, with the framing rules
    aiohttp applies. aiohttp only reads ``keep_alive`` from it and calls ``prepare`` and
    ``write_eof``, which have nothing left to do.
    """

    __slots__ = ("headers", "keep_alive", "reason", "status")

    prepared = True
    body_length = 0

    def __init__(
        self, status: int, reason: str, headers: CIMultiDict[str], keep_alive: bool
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.keep_alive = keep_alive

    @property
    def content_length(self) -> int | None:
        return content_length(self.headers)

    async def prepare(self, request: web.BaseRequest) -> None:
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None

    def force_close(self) -> None:
        self.keep_alive = False


class AiohttpConnection:
    """``Connection`` over one aiohttp ``BaseRequest`` (``native``)."""

    __slots__ = (
        "_continued",
        "_result",
        "_sent",
        "_ws",
        "header_sent",
        "headers",
        "method",
        "native",
        "status",
        "target",
    )

    def __init__(self, req: web.BaseRequest) -> None:
        self.native = req
        self.headers: CIMultiDictProxy[str] = req.headers
        self.method: str = req.method
        self.target: str = req.raw_path
        self.header_sent = False
        #: The status sent (``send_file`` may answer 206, 304, 412 or 416).
        self.status = 0
        self._sent = 0
        self._continued = False
        self._ws: KoaWebSocketResponse | None = None
        # What aiohttp gets back: ``_Written``, or the aiohttp response that was sent.
        self._result: Any = None

    def finish(self) -> web.StreamResponse:
        """The response object to hand aiohttp once the app is done."""
        result = self._result
        if result is None:
            # Nothing was sent (the connection was cut): aiohttp gets an empty response it
            # cannot write any more.
            return web.Response()
        if result.keep_alive is False and not self.native.content.is_eof():
            # An answer that ends the connection before the body was all received (a 413
            # with ``Connection: close``): the client is still sending it.
            linger = getattr(self.native.protocol, "linger_on_close", None)
            if linger is not None:
                linger()
        return result  # type: ignore[no-any-return]

    # -- request ---------------------------------------------------------------------------

    @property
    def version(self) -> tuple[int, int]:
        return self.native.version

    @property
    def scheme(self) -> str:
        return self.native.scheme

    @property
    def remote(self) -> str | None:
        return self.native.remote

    @property
    def body_done(self) -> bool:
        return self.native.content.is_eof()

    @property
    def content_decoded(self) -> bool:
        # aiohttp inflates gzip, deflate and br itself (bounded, with flow control) and then
        # keeps a count of the compressed bytes (None when it did not decode).
        return getattr(self.native.content, "total_compressed_bytes", None) is not None

    async def send_continue(self) -> None:
        if self._continued:
            return
        self._continued = True
        req = self.native
        if (
            req.version == HttpVersion11
            and not req.content.is_eof()
            and req.headers.get("Expect", "").lower() == "100-continue"
        ):
            # Straight to the transport, not through the response writer: an interim
            # response is not the response, and the writer would count it as started.
            transport = req.transport
            if transport is not None and not transport.is_closing():
                transport.write(_CONTINUE)

    async def read(self, timeout: float | None = None) -> bytes:
        content = self.native.content
        if not self._continued:
            await self.send_continue()
        try:
            chunk = content.read_nowait(-1)
            if chunk or content.is_eof():
                return chunk
            if timeout is None:
                return await content.readany()
            return await asyncio.wait_for(content.readany(), timeout)
        except (web.RequestPayloadError, HttpProcessingError) as exc:
            raise BodyError(str(exc)) from exc

    # -- response --------------------------------------------------------------------------

    @property
    def bytes_sent(self) -> int:
        res = self._result
        if res is None or not res.prepared or res is self._ws:
            return self._sent
        counted: int | None = getattr(res, "body_bytes", None)
        if counted is not None:  # streamed: counted as written
            return counted
        if type(res) is _Written:
            return self._sent
        # A file (or the app's own response) goes out whole with write_eof; aiohttp's
        # body_length counts the headers too, so it only tells whether that happened.
        if not res.body_length or self.method == "HEAD":
            return 0
        return res.content_length or 0

    @property
    def writable(self) -> bool:
        req = self.native
        transport = req.transport
        return (
            transport is not None
            and not transport.is_closing()
            and not getattr(req.protocol, "peer_done", False)
        )

    @property
    def closed(self) -> bool:
        transport = self.native.transport
        return transport is None or transport.is_closing()

    async def send(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes | None,
        *,
        close: bool = False,
    ) -> None:
        req = self.native
        method = self.method
        # HTTP's rules, as aiohttp applies them: no body for HEAD, 1xx, 204 and 304
        # (RFC 9110 6.4.1); a length unless one is implied.
        no_body = status < 200 or status == 204 or status == 304 or method == "HEAD"
        if status == 205 and not no_body:
            # No content in a 205 (RFC 9110 15.3.6), framed as Node frames it: neither a
            # length nor chunking, and the connection closes right after the head (the
            # RFC's third way; a length-less 205 body runs to the close, RFC 9112 6.3).
            headers.popall(CONTENT_LENGTH, None)
            headers.popall(_TRANSFER_ENCODING, None)
            body = None
            close = True
        elif body and _TRANSFER_ENCODING in headers and not no_body:
            await self._send_chunked(status, reason, headers, body)
            return
        elif CONTENT_LENGTH not in headers:
            size = len(body) if body else 0
            if size or (status != 304 and method != "HEAD"):
                headers[CONTENT_LENGTH] = str(size)
        if status < 200 or status == 204 or status == 304:
            headers.popall(CONTENT_LENGTH, None)
        if no_body:
            headers.popall(_TRANSFER_ENCODING, None)
            body = None
        if DATE not in headers:
            headers[DATE] = rfc822_formatted_time()
        keep_alive = req.keep_alive and not close
        connection = headers.get(CONNECTION)
        if connection is None:
            if not keep_alive:
                headers[CONNECTION] = "close"
            elif req.version[1] == 0:  # HTTP/1.1 keeps the connection without saying so
                headers[CONNECTION] = "keep-alive"
        elif connection.lower() == "close":
            keep_alive = False
        writer = req.writer
        # Node's status line is HTTP/1.1 for HTTP/1.0 clients too (RFC 9110 6.2). The writer
        # refuses a control character in a header (ValueError) before anything goes out.
        if not buffer_head(writer, status, reason, headers):  # no coroutine on this path
            await writer.write_headers(f"HTTP/1.1 {status} {reason}", headers)
        self._result = _Written(status, reason, headers, keep_alive)
        self.header_sent = True
        self.status = status
        if body:
            self._sent = len(body)
        try:
            await writer.write_eof(body or b"")
        except ConnectionError:
            self._sent = 0
            raise

    async def _send_chunked(
        self, status: int, reason: str, headers: CIMultiDict[str], body: bytes
    ) -> None:
        # A body of known length under a Transfer-Encoding the app set: sent chunked
        # (close-delimited to HTTP/1.0) by aiohttp, without the Content-Length that
        # RFC 9112 6.2 forbids beside it.
        headers.popall("Content-Length", None)
        headers.popall("Transfer-Encoding", None)
        await self.start(status, reason, headers)
        await self.write(body)
        res = self._result
        await res.write_eof()

    async def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        check_headers(headers, reason)
        res = _StreamResponse(status=status, reason=reason)
        res._headers = headers  # shared: later changes are ignored, see ``header_sent``
        self._result = res
        self.header_sent = True
        self.status = status
        await res.prepare(self.native)

    async def write(self, data: bytes) -> None:
        await self._result.write(data)

    async def end(self) -> None:
        res = self._result
        # A streamed response that fell short of its Content-Length closes the connection
        # instead, or the client would wait for bytes that never come.
        declared = res.content_length
        status = res.status
        if (
            declared is not None
            and getattr(res, "body_bytes", 0) < declared
            and self.method != "HEAD"
            and status >= 200
            and status not in (204, 205, 304)
        ):
            self.abort()
        else:
            await res.write_eof()

    async def send_file(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        path: PathLike[str],
        byte_range: ByteRange = None,
    ) -> None:
        req = self.native
        if byte_range is not None:
            # FileResponse reads the range from the request's cached ``http_range`` and
            # ``if_range``: filling that cache hands it the app's decision. The whole file is
            # an empty slice; an unsatisfiable range starts at the end of the file, which it
            # answers with 416 and ``Content-Range: bytes */size`` (after its 304/412 checks,
            # as RFC 9110 13.2.2 orders them).
            if byte_range == "whole":
                chosen = slice(None, None, 1)
            elif byte_range == "unsatisfiable":
                size = await asyncio.get_running_loop().run_in_executor(None, _size, path)
                chosen = slice(size, None, 1)
            else:
                assert isinstance(byte_range, tuple)
                chosen = slice(byte_range[0], byte_range[1] + 1, 1)
            cache = req._cache
            cache["http_range"] = chosen
            cache["if_range"] = None
        res = _FileResponse(path, status=status, reason=reason)
        res._headers = headers
        try:
            await res.prepare(req)
        except _FileError as err:
            cause = err.__cause__
            raise cause if isinstance(cause, OSError) else err from None
        self._result = res
        self.header_sent = True
        self.status = res.status
        await res.write_eof()

    async def accept_websocket(
        self,
        headers: CIMultiDict[str],
        *,
        protocols: Sequence[str],
        max_message_size: int,
        heartbeat: float | None,
    ) -> WebSocket:
        from .aiohttp_websocket import AiohttpWebSocket

        req = self.native
        if req.headers.get("Sec-WebSocket-Version") != "13":
            # RFC 6455 4.4: name the version this server speaks (aiohttp would answer 400).
            raise create_http_error(
                426, "Unsupported WebSocket version", headers={"Sec-WebSocket-Version": "13"}
            )
        res = KoaWebSocketResponse(
            protocols=tuple(protocols), max_msg_size=max_message_size, heartbeat=heartbeat
        )
        res.headers.extend(headers)  # the handshake's own headers replace any of the same name
        try:
            await res.prepare(req)
        except web.HTTPException:
            # Upgrade, Connection and the version are checked already: the key is what is
            # left. Node's ws words it so; aiohttp's own text echoes the client's key.
            raise create_http_error(400, "Missing or invalid Sec-WebSocket-Key header") from None
        self._ws = self._result = res
        self.header_sent = True
        self.status = 101
        return AiohttpWebSocket(res, max_message_size)

    def abort(self) -> None:
        ws = self._ws
        if ws is not None:
            # An error escaped the app with the socket open: close it with 1011 (internal
            # error) when aiohttp finishes the response, rather than cut the connection.
            ws.exit_code = INTERNAL_ERROR
            return
        transport = self.native.transport
        if transport is not None:
            transport.close()

    def hand_over(self, response: Any) -> None:
        if response is None:
            raise RuntimeError(
                "ctx.respond is False but ctx.res holds no response: prepare an aiohttp"
                " StreamResponse with `await res.prepare(ctx.req)` and assign it to ctx.res"
            )
        self._result = response


def _size(path: PathLike[str]) -> int:
    return os.stat(path).st_size


def request_handler(
    app: Koa[Any], fn: ComposedMiddleware[Any]
) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
    """The handler aiohttp's server calls: each request through ``app.handle(conn, fn)``.

    A plain function returning ``app.handle``'s coroutine (aiohttp awaits it), so no
    coroutine of its own runs per request.
    """
    handle = app.handle

    def handler(req: web.BaseRequest) -> Awaitable[web.StreamResponse]:
        return handle(AiohttpConnection(req), fn)

    return handler


# -- server glue -----------------------------------------------------------------------------


class _Discard(asyncio.Protocol):
    """A connection's protocol during its lingering close: the server's sending side is shut
    (after what it wrote is flushed), and what the client still sends is read and dropped
    until it shuts its own side, sends more than ``limit`` bytes, or ``seconds`` pass; the
    connection then closes, with no input left unread (so without a reset) in the first case.
    """

    def __init__(
        self, handler: RequestHandler, transport: asyncio.Transport, limit: int, seconds: float
    ) -> None:
        loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = loop.create_future()
        self.handler = handler
        self.transport = transport
        self.left = limit
        self.timer = loop.call_later(seconds, self.close)
        transport.set_protocol(self)
        if transport.can_write_eof():  # not under TLS: close_notify ends it there
            transport.write_eof()
        transport.resume_reading()  # aiohttp may have paused it (flow control)

    def data_received(self, data: bytes) -> None:
        self.left -= len(data)
        if self.left < 0:
            self.close()

    def eof_received(self) -> None:
        self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop()
        self.handler.connection_lost(exc)  # aiohttp's bookkeeping of its connections

    def close(self) -> None:
        self.stop()
        self.transport.close()

    def stop(self) -> None:
        self.timer.cancel()
        if not self.done.done():
            self.done.set_result(None)


class _RequestHandler(RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse the way Koa answers.

    aiohttp's own reply to a malformed request echoes the offending bytes, names the server
    and, in debug mode, can carry a traceback; it also logs every bad request at ERROR. Here
    a bad request gets the bare status phrase, and client errors are logged at DEBUG only
    (anyone can send them, so they must not flood the logs).
    """

    peer_done = False
    """The client shut its sending side while requests were still to answer."""

    lingering: tuple[int, float] = (0, 0.0)
    """A lingering close's bounds, ``(bytes, seconds)``: set by ``Server`` per connection."""

    _sink: _Discard | None = None

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status < 500:
            self.logger.debug("Bad request from %s: %s", request.remote, exc)
        else:
            self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started: cannot send an error response")
        if isinstance(exc, LineTooLong):
            status = 431  # Node's answer to a request line or header over its limit
        if status < 500 and request.version < HttpVersion11:
            # The request line did not parse, so aiohttp assumed HTTP/1.0; Node answers 1.1.
            with contextlib.suppress(AttributeError):
                request._message = request._message._replace(version=HttpVersion11)
        text = STATUS_PHRASES.get(status) or "Bad Request"
        res = KoaResponse(
            status=status,
            body=text.encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        res.force_close()
        # The parser stopped mid-request (a 100 KB header line, a bad chunk): the client may
        # still be sending what follows.
        self.linger_on_close()
        return res

    def linger_on_close(self) -> None:
        """End the connection, once the current answer is written, with a lingering close
        (RFC 9112 9.6, nginx's ``lingering_close``) rather than at once.

        Closing a socket that still holds unread input makes the kernel send a reset, which
        can reach the client before it has read the answer (a 431 for a huge header, a 413
        for an upload refused early): it then sees a reset connection, not the answer. So
        the server shuts its sending side (the client reads the answer, then end of file),
        reads and drops what the client still sends, and closes when the client has sent
        everything, or after ``lingering_time`` seconds or ``lingering_bytes`` bytes.
        """
        self.finish_response = self._finish_then_linger  # type: ignore[method-assign]

    async def _finish_then_linger(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        result = await super().finish_response(request, resp, start_time)
        transport = self.transport
        limit, seconds = self.lingering
        if result[1] or transport is None or transport.is_closing() or seconds <= 0:
            return result  # the answer did not go out whole, or the client is gone
        if self.peer_done:
            return result  # the client has sent everything already (FIN)
        self._sink = sink = _Discard(self, transport, limit, seconds)
        try:
            await sink.done
        finally:
            # Closed already (or closing now, on cancellation); aiohttp then skips its own
            # lingering read of the request body and ends the connection.
            sink.close()
            self.force_close()
        return result

    async def shutdown(self, timeout: float | None = 15.0) -> None:
        if self._sink is not None:
            self._sink.close()  # the server is going away: stop lingering
        await super().shutdown(timeout)

    def eof_received(self) -> bool:  # type: ignore[override]  # asyncio allows a bool
        """The client shut its sending side (``shutdown(SHUT_WR)``, ``printf ... | nc -N``).

        Requests it sent in full are still answered, then the connection closes. aiohttp
        closes at once, which loses those responses: the client reads nothing at all. An idle
        or upgraded connection, a request whose body was cut short and a response already
        under way close at once, as before (a streaming body notices the client left).

        The FIN does not say whether the client still reads, so from then on ``ctx.writable``
        is False (as in Koa once Node has seen the FIN): a stream body is not started, but a
        body in memory, a file and an error response are still sent.
        """
        waiter = self._waiter
        if self._upgraded or not (self._messages or self._request_count):
            return False  # nothing was asked, or the connection is a WebSocket now
        if not self._messages and waiter is not None and not waiter.done():
            return False  # idle between requests
        try:
            # Raises when the last request's body is incomplete (it may already be handled).
            if self._parser is not None:
                self._parser.feed_eof()
        except Exception:
            return False
        request = self._current_request
        if request is not None and request.writer.output_size:
            return False
        self.peer_done = True  # ``ctx.writable`` turns False, as in Koa
        if self._messages:
            # Pipelined requests wait their turn: close once the last has been answered.
            self.finish_response = self._finish_then_close  # type: ignore[method-assign]
        else:
            self._close = True
        return True

    async def _finish_then_close(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        result = await super().finish_response(request, resp, start_time)
        if not self._messages:
            self._close = True
        return result


def unanswered(connection: RequestHandler) -> bool:
    """Whether a connection has sent nothing yet, or holds requests it has not started to
    handle: aiohttp's shutdown would close it unanswered (a draining gunicorn worker waits
    for these, see ``koa.core.worker``)."""
    return getattr(connection, "_request_count", 1) == 0 or bool(
        getattr(connection, "_messages", None)
    )


class Server(web.Server):
    """aiohttp's low-level server with Koa's answers to unparsable requests, and Node's
    ``requestTimeout``: a request body still incomplete ``request_timeout`` seconds after its
    head arrived gets ``408 Request Timeout`` and the connection closes (aiohttp waits for
    it forever, so a stalled upload would hold its handler and its socket). ``None`` or 0
    turns it off, as does a ``request_factory`` of your own.

    An answer that ends the connection while the client may still be sending (an
    unparsable or oversized request, a refused upload) ends it with a lingering close: see
    ``_RequestHandler.linger_on_close``. It lasts ``lingering_time`` seconds at most
    (aiohttp's option, which also bounds aiohttp's own reading of an unread body on a
    connection kept alive; 0 turns both off) and reads ``lingering_bytes`` at most.
    """

    def __init__(
        self,
        handler: Any,
        *,
        request_timeout: float | None = 300.0,
        lingering_time: float = 10.0,
        lingering_bytes: int = 64 * 1024 * 1024,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, lingering_time=lingering_time, **kwargs)
        self.lingering = (lingering_bytes, float(lingering_time))
        if request_timeout and kwargs.get("request_factory") is None:
            self.request_factory = _timed_request_factory(self._loop, request_timeout)

    def __call__(self) -> RequestHandler:
        loop = getattr(self, "_loop", None)
        kwargs = getattr(self, "_kwargs", None)
        if loop is None or kwargs is None:  # pragma: no cover - a future aiohttp layout
            return super().__call__()
        handler = _RequestHandler(self, loop=loop, **kwargs)
        handler.lingering = self.lingering
        return handler


def _timed_request_factory(
    loop: asyncio.AbstractEventLoop, timeout: float
) -> Callable[..., web.BaseRequest]:
    """aiohttp's request factory, plus a timer for each request with a body to receive.

    A plain function rather than an override of ``_make_request``: it is called for every
    request, and a ``super()`` call would cost more than the check itself.
    """
    request_class = web.BaseRequest

    def make_request(
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        if payload is not EMPTY_PAYLOAD and not payload.is_eof():
            timer = loop.call_later(timeout, _body_overdue, payload, protocol, writer)
            payload.on_eof(timer.cancel)
        return request_class(message, payload, protocol, writer, task, loop)

    return make_request


_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 15\r\n\r\nRequest Timeout"
)


def _body_overdue(
    payload: StreamReader, protocol: RequestHandler, writer: AbstractStreamWriter
) -> None:
    if payload.is_eof():
        return
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return
    if not writer.output_size:
        transport.write(_TIMEOUT_RESPONSE)
    protocol.close()
    transport.close()  # after the 408 is flushed; the handler's body read then fails
