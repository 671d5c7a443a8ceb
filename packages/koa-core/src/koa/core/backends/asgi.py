"""koa-core as an ASGI 3 application: the ``Connection`` of one ASGI ``http`` request.

``Koa.__call__(scope, receive, send)`` wraps each ``http`` scope in an ``AsgiConnection`` and
runs it through ``app.handle`` as the aiohttp backend does; ``respond`` and everything above the
seam are shared. The ASGI server frames HTTP (status line, Date, Content-Length or chunking,
keep-alive, HTTP/2), so this module only turns the seam's calls into ASGI messages, and answers
a file's conditional and Range headers itself with the rules aiohttp's ``FileResponse`` applies
on the other backend, so that both answer a file the same way. The specification: ASGI's
HTTP and lifespan scopes (asgiref ``specs/www.rst``, ``specs/lifespan.rst``) and its
``http.response.pathsend`` extension.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from itertools import chain
from operator import itemgetter
from os import PathLike
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy, istr

from ..connection import ByteRange, content_length
from ..errors import create_http_error
from ..headers import CONTENT_LENGTH, SECRET_FIELDS, HeadCache
from ..request import _BAD_HOST_RE, invalid_host

if TYPE_CHECKING:
    from ..websocket import WebSocket

__all__ = ["AsgiConnection", "AsgiRequest", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: How much of a file is read (off the event loop) per ``http.response.body`` message.
FILE_CHUNK = 256 * 1024

_VERSIONS = {"1.1": (1, 1), "2": (2, 0), "1.0": (1, 0), "3": (3, 0)}
_new_tuple = tuple.__new__
_TRANSFER_ENCODING = istr("Transfer-Encoding")


def target_of(scope: Scope) -> str:
    """The request target as sent, ``path?query``, decoded as aiohttp decodes it."""
    raw_path: bytes | None = scope.get("raw_path")
    # ASGI gives the path's raw bytes (as aiohttp's raw_path keeps them, percent-escapes and
    # all) and the query string apart.
    path = (
        raw_path.decode("utf-8", "surrogateescape")
        if raw_path
        else quote(scope.get("path") or "/", safe="/%!$&'()*+,;=:@~")
    )
    query: bytes = scope.get("query_string") or b""
    return f"{path}?{query.decode('utf-8', 'surrogateescape')}" if query else path


def _decoded(name: bytes, value: bytes) -> tuple[str, str]:
    # UTF-8, other bytes kept as lone surrogates (``koa.core.headers.node_text``).
    return name.decode("latin-1"), value.decode("utf-8", "surrogateescape")


def headers_of(raw: Sequence[tuple[bytes, bytes]]) -> CIMultiDict[str]:
    """An ASGI scope's header list as the request headers, decoded as aiohttp decodes them,
    so the context reads both back ends alike."""
    lines = _LINES
    try:
        # The lines seen before, decoded already (``_check_lines``).
        return CIMultiDict(list(map(lines.__getitem__, raw)))
    except (KeyError, TypeError):  # a line not kept (new, long, a cookie) or a list
        get = lines.get
        return CIMultiDict([(type(line) is tuple and get(line)) or _decoded(*line) for line in raw])


def head_of(scope: Scope) -> tuple[str, CIMultiDict[str]]:
    """The request target as sent and the request headers of an ``http`` or ``websocket``
    scope (``target_of``, ``headers_of``)."""
    return target_of(scope), headers_of(scope["headers"])


def version_of(scope: Scope) -> tuple[int, int]:
    version: str = scope.get("http_version", "1.1")
    return _VERSIONS.get(version) or (int(version[0]), 0)


def remote_of(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


# Connection-specific headers HTTP/2 and HTTP/3 forbid (RFC 9113 8.2.2); the server frames.
_HOP_BY_HOP = ("Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade")
_PATHSEND = "http.response.pathsend"
#: The most header lines a request may have: aiohttp's server refuses more with a 400.
MAX_HEADERS = 128
#: The longest request target or header line, as koa-core's aiohttp server allows (Node's 16 KB).
MAX_FIELD = 16 * 1024
_CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")

#: Request header lines seen before, ``(name, value)`` as the scope gives them, with their
#: text (``_decoded``): each passed ``malformed``'s checks, has a lowercase name (as ASGI
#: servers send them) and, for Host and X-Forwarded-Host, a value ``invalid_host`` accepts.
#: Clients repeat their lines (Host, User-Agent, Accept...), so a request made only of lines
#: seen before is checked by looking them up, and its headers are built without decoding
#: anything. Bounded: short lines only, emptied when full (the lines in use come back).
_LINES: dict[tuple[bytes, bytes], tuple[str, str]] = {}
_LINES_MAX = 1024
_LINE_MAX = 512
_HOSTS = (b"host", b"x-forwarded-host")
_SECRET = frozenset(name.encode() for name in SECRET_FIELDS)  # never kept: cookies, credentials
_name = itemgetter(0)


class AsgiRequest(NamedTuple):
    """``ctx.req`` on ASGI: the request's ``scope`` and the server's ``receive`` and ``send``.

    With ``ctx.respond = False`` the app answers through these itself (``http.response.start``
    and ``http.response.body`` messages), and Koa sends nothing.
    """

    scope: Scope
    receive: Receive
    send: Send


class AsgiConnection:
    """``Connection`` over one ASGI ``http`` scope (``native`` is an ``AsgiRequest``)."""

    __slots__ = (
        "_body_done",
        "_declared",
        "_disconnected",
        "_headers",
        "_http1",
        "_receive",
        "_scope",
        "_send",
        "_sent",
        "_watcher",
        "aborted",
        "header_sent",
        "method",
        "native",
        "prechecked",
        "status",
        "target",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.native = _new_tuple(AsgiRequest, (scope, receive, send))
        self._scope = scope
        self._receive = receive
        self._send = send
        self.method: str = scope["method"]
        self.target = target_of(scope)
        # Built when first read (``headers``): an app that reads none builds none.
        self._headers: CIMultiDictProxy[str] | None = None
        self.header_sent = False
        self.status = 0
        #: True once ``abort()`` was called: ``Koa.__call__`` then ends the ASGI call without
        #: finishing the response, which the server answers by closing the connection.
        self.aborted = False
        #: True once ``malformed`` found nothing to refuse, Host included (``Koa.handle``
        #: then need not check it again).
        self.prechecked = False
        self._sent = 0
        self._declared: int | None = None
        self._http1 = scope.get("http_version", "1.1") in ("1.1", "1.0")
        self._body_done: bool | None = None  # known once asked (``body_done``)
        self._disconnected = False
        self._watcher: asyncio.Task[None] | None = None

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        headers = self._headers
        if headers is None:
            headers = self._headers = CIMultiDictProxy(headers_of(self._scope["headers"]))
        return headers

    @headers.setter
    def headers(self, value: CIMultiDictProxy[str]) -> None:
        self._headers = value

    def malformed(self, proxy: bool = False) -> int:
        """The 4xx for a request aiohttp's parser refuses but an ASGI server may pass on (h11
        does), else 0: 400 for an unknown HTTP version, a control character in a header
        (RFC 9110 5.5), more than ``MAX_HEADERS`` header lines, a byte over 0x7F in the
        target or an absolute target that does not parse (RFC 9112 3.2.2); 431 for a target
        or header over ``MAX_FIELD`` bytes, as Node answers; then 400 for the Host (and with
        ``proxy`` the X-Forwarded-Host) that ``Koa.handle`` refuses (``invalid_host``)."""
        scope = self._scope
        if scope.get("http_version", "1.1") not in _VERSIONS:
            return 400
        raw = scope["headers"]
        if len(raw) > MAX_HEADERS:
            return 400
        lines = _LINES
        known = True
        try:
            for line in raw:
                if line not in lines:
                    known = False
                    break
        except TypeError:  # lines as lists: never remembered
            known = False
        too_long = False
        if not known:
            refused, too_long, known = _check_lines(raw)
            if refused:
                return refused
        target = self.target
        if not target.isascii():  # raw bytes over 0x7F (granian passes them on): RFC 3986 2
            return 400
        if len(target) > MAX_FIELD or too_long:
            return 431
        if target[:1] != "/" and target != "*":
            try:
                parts = urlsplit(target)
                parts.port  # noqa: B018 - raises for a port that is not a number
            except ValueError:
                return 400
            if not (parts.scheme and parts.netloc):
                return 400
        if known:
            # Every Host value is one ``invalid_host`` accepts: only a repeated one is left.
            if len(raw) > 1:
                names = list(map(_name, raw))
                if names.count(b"host") > 1 or (proxy and names.count(b"x-forwarded-host") > 1):
                    return 400
        elif invalid_host(self.headers, proxy):
            return 400
        self.prechecked = True
        return 0

    def finish(self) -> None:
        """Nothing to hand back: the response went out through ``send``."""
        watcher = self._watcher
        if watcher is not None:
            self._watcher = None
            watcher.cancel()

    # -- request ---------------------------------------------------------------------------

    @property
    def version(self) -> tuple[int, int]:
        return version_of(self._scope)

    @property
    def scheme(self) -> str:
        scheme: str = self._scope.get("scheme") or "http"
        return scheme

    @property
    def remote(self) -> str | None:
        return remote_of(self._scope)

    @property
    def body_done(self) -> bool:
        done = self._body_done
        if done is None:
            # HTTP/1.x says when a request has no body (no Content-Length, no
            # Transfer-Encoding: RFC 9112 6.3); an HTTP/2 request's body is known to be over
            # only once received.
            headers = self.headers
            done = self._body_done = (
                self._http1
                and headers.get("Content-Length", "0") == "0"
                and "Transfer-Encoding" not in headers
            )
        return done

    @property
    def content_decoded(self) -> bool:
        return False  # ASGI servers hand the body over as it was sent

    async def send_continue(self) -> None:
        # ASGI servers answer ``Expect: 100-continue`` themselves on the app's first
        # ``receive()``, which ``read`` makes.
        return None

    async def read(self, timeout: float | None = None) -> bytes:
        while not self.body_done:
            if self._disconnected:
                raise ConnectionError("the client went away")
            if timeout is None:
                message = await self._receive()
            else:
                message = await asyncio.wait_for(self._receive(), timeout)
            kind = message["type"]
            if kind == "http.request":
                body: bytes = message.get("body", b"")
                if not message.get("more_body", False):
                    self._body_done = True
                if body:
                    return body
            elif kind == "http.disconnect":
                self._disconnected = True
                raise ConnectionError("the client went away before its body arrived")
        return b""

    # -- response --------------------------------------------------------------------------

    @property
    def bytes_sent(self) -> int:
        return self._sent

    @property
    def writable(self) -> bool:
        return not (self._disconnected or self.aborted)

    @property
    def closed(self) -> bool:
        return self._disconnected or self.aborted

    def _raw_headers(self, headers: CIMultiDict[str]) -> list[tuple[bytes, bytes]]:
        """The response headers as ASGI sends them (after ``_check``)."""
        if not self._http1:
            for name in _HOP_BY_HOP:
                headers.popall(name, None)
        return [_encoded(item) for item in headers.items()]

    async def send(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes | None,
        *,
        close: bool = False,
    ) -> None:
        method = self.method
        if (
            body
            and not close
            and status >= 200
            and status != 204
            and status != 304
            and method != "HEAD"
            and _TRANSFER_ENCODING not in headers
        ):  # the common case: a body of known length, sent whole
            if CONTENT_LENGTH not in headers:
                headers[CONTENT_LENGTH] = str(len(body))
            raw = _known_head(headers) if self._http1 else None
            if raw is None:
                _check(headers, reason)
                raw = self._raw_headers(headers)
            self.header_sent = True
            self.status = status
            send = self._send
            await send({"type": "http.response.start", "status": status, "headers": raw})
            self._sent = len(body)
            await send({"type": "http.response.body", "body": body})
            return
        no_body = status < 200 or status == 204 or status == 304 or method == "HEAD"
        chunked = "Transfer-Encoding" in headers
        if chunked:
            # The server chunks a body sent without a length; a Transfer-Encoding of the
            # app's own beside it would frame it twice.
            headers.popall("Transfer-Encoding", None)
            if body and not no_body:
                headers.popall("Content-Length", None)
        if not chunked and "Content-Length" not in headers:
            size = len(body) if body else 0
            if size or (status != 304 and method != "HEAD"):
                headers["Content-Length"] = str(size)
        if status < 200 or status == 204 or status == 304:
            headers.popall("Content-Length", None)
        if no_body:
            body = None
        if close and "Connection" not in headers and self._http1:
            headers["Connection"] = "close"  # said, as on aiohttp, before the cut
        _check(headers, reason)
        raw = self._raw_headers(headers)
        self.header_sent = True
        self.status = status
        send = self._send
        await send({"type": "http.response.start", "status": status, "headers": raw})
        if body:
            self._sent = len(body)
        if close or (chunked and body):
            # More to come as far as the server knows: a body cut short of its declared
            # length (``close``) is then closed, not completed; a chunked one is ended.
            await send({"type": "http.response.body", "body": body or b"", "more_body": True})
            if close:
                self.abort()
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({"type": "http.response.body", "body": body or b"", "more_body": False})

    async def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        _check(headers, reason)
        headers.popall("Transfer-Encoding", None)
        raw = self._raw_headers(headers)
        self.header_sent = True
        self.status = status
        if status >= 200 and status not in (204, 205, 304):
            self._declared = content_length(headers)
        await self._send({"type": "http.response.start", "status": status, "headers": raw})
        if self.body_done and not self._disconnected:
            # The client leaving is seen on ``receive`` only: watch it while the body streams,
            # so the next ``write`` raises ``ConnectionError`` as a reset socket does.
            self._watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._disconnected = True
                return

    async def write(self, data: bytes) -> None:
        if self._disconnected or self.aborted:
            raise ConnectionResetError("the client went away")
        self._sent += len(data)
        await self._send({"type": "http.response.body", "body": data, "more_body": True})
        if self._disconnected:
            raise ConnectionResetError("the client went away")

    async def end(self) -> None:
        if self.aborted or self._disconnected:
            return
        declared = self._declared
        if declared is not None and self._sent < declared and self.method != "HEAD":
            self.abort()  # one short of its Content-Length: cut, not completed
            return
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})
        self.finish()

    async def send_file(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        path: PathLike[str],
        byte_range: ByteRange = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        # An absolute path: what pathsend requires, resolved with the stat in the thread.
        filename = os.fspath(path)
        plan = await loop.run_in_executor(None, _plan_file, filename, self.headers, byte_range)
        answer, etag, mtime, size, first, count = plan
        # Values the app set itself are kept (koa-static's, say), as on aiohttp.
        if answer == 412:
            status = 412
            headers["Content-Length"] = "0"
        elif answer == 416:
            status = 416
            headers["Content-Range"] = f"bytes */{size}"
            headers.popall("Content-Length", None)
        else:
            if "ETag" not in headers:
                headers["ETag"] = f'"{etag}"'
            if "Last-Modified" not in headers:
                headers["Last-Modified"] = _http_date(mtime)
            if answer == 304:
                status = 304
                headers.popall("Content-Type", None)
                headers.popall("Content-Length", None)
            else:
                headers["Content-Length"] = str(count)
                headers["Accept-Ranges"] = "bytes"
                if answer == 206:
                    status = 206
                    headers["Content-Range"] = f"bytes {first}-{first + count - 1}/{size}"
        if status != 200 or answer != 200:
            from ..statuses import STATUS_PHRASES

            reason = STATUS_PHRASES.get(status, reason)
        empty = count == 0 or answer in (304, 412, 416) or self.method == "HEAD"
        if empty:
            if answer == 416:  # no length, so streamed (chunked), as aiohttp sends it
                await self.start(status, reason, headers)
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                self.finish()
                return
            await self.send(status, reason, headers, None)
            return
        _check(headers, reason)
        extensions = self._scope.get("extensions") or {}
        if answer == 200 and _PATHSEND in extensions:
            raw = self._raw_headers(headers)
            self.header_sent = True
            self.status = status
            await self._send({"type": "http.response.start", "status": status, "headers": raw})
            await self._send({"type": _PATHSEND, "path": _absolute_path(filename)})
            self._sent = count
            return
        file = await loop.run_in_executor(None, open, os.fspath(path), "rb")
        try:
            await self.start(status, reason, headers)
            if first:
                await loop.run_in_executor(None, file.seek, first)
            left = count
            while left > 0:
                chunk = await loop.run_in_executor(None, file.read, min(FILE_CHUNK, left))
                if not chunk:
                    break  # the file shrank: the response falls short and is cut
                left -= len(chunk)
                await self.write(chunk)
            if left:
                self.abort()
            else:
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                self.finish()
        finally:
            await loop.run_in_executor(None, file.close)

    async def accept_websocket(
        self,
        headers: CIMultiDict[str],
        *,
        protocols: Sequence[str],
        max_message_size: int,
        heartbeat: float | None,
    ) -> WebSocket:
        """An upgrade that came as an ``http`` scope: the server did not take it for a
        WebSocket, because the handshake is malformed (answered as on aiohttp: 426 naming
        version 13, or 400 for the key) or because it serves none (``uvicorn --ws none``:
        501). A well-formed one arrives as a ``websocket`` scope instead."""
        if self.headers.get("Sec-WebSocket-Version") != "13":
            raise create_http_error(
                426, "Unsupported WebSocket version", headers={"Sec-WebSocket-Version": "13"}
            )
        try:
            key = base64.b64decode(self.headers.get("Sec-WebSocket-Key", ""), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 16:  # RFC 6455 4.1: 16 random bytes, base64-encoded
            raise create_http_error(400, "Missing or invalid Sec-WebSocket-Key header")
        raise create_http_error(501, "This server does not serve WebSockets")

    def abort(self) -> None:
        self.aborted = True

    def hand_over(self, response: Any) -> None:
        return None  # the app answered through ``ctx.req.send`` itself


# What a header or phrase must not hold (RFC 9110 5.5): refused before anything is sent, as
# aiohttp's writer refuses it on the other backend.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_lines(raw: Sequence[tuple[bytes, bytes]]) -> tuple[int, bool, bool]:
    """``malformed``'s checks of the lines not in ``_LINES``: ``(400 for a control character
    else 0, whether a line is over MAX_FIELD, whether ``invalid_host`` would accept every Host
    and X-Forwarded-Host unless one repeats)``. Lines that pass go into ``_LINES``."""
    lines = _LINES
    try:
        new = [line for line in raw if line not in lines]
        remember = True
    except TypeError:  # unhashable lines (lists): checked every time
        new = list(raw)
        remember = False
    joined = b"\t".join(chain.from_iterable(new))
    if _CTL.search(joined) is not None:
        return 400, False, False
    if len(joined) > MAX_FIELD and any(len(v) + len(n) > MAX_FIELD for n, v in new):
        return 0, True, False
    hosts_known = True
    for name, value in new:
        if name != name.lower():
            hosts_known = False  # ``invalid_host`` reads it (case-insensitive)
            continue
        text = None
        if name in _HOSTS:
            text = _decoded(name, value)
            if _BAD_HOST_RE.search(text[1]):
                hosts_known = False
                continue
        if remember and len(value) <= _LINE_MAX and len(name) <= _LINE_MAX and name not in _SECRET:
            if len(lines) >= _LINES_MAX:
                lines.clear()
            lines[name, value] = text or _decoded(name, value)
    return 0, False, hosts_known


#: Response header lines sent before, ``(name, value)`` as the app set them, encoded as
#: ASGI sends them; each passed ``_check``. Bounded as ``_LINES`` is; no cookie or credential.
_ENCODED: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _encoded(item: tuple[str, str]) -> tuple[bytes, bytes]:
    pair = _ENCODED.get(item)
    if pair is None:
        name, value = item
        pair = (name.encode("latin-1"), value.encode())
        if len(value) <= _LINE_MAX and len(name) <= _LINE_MAX and name.lower() not in SECRET_FIELDS:
            if len(_ENCODED) >= _LINES_MAX:
                _ENCODED.clear()
            _ENCODED[item] = pair
    return pair


#: Whole heads made only of ``_ENCODED`` lines, with those lines (``HeadCache``).
_HEADS: HeadCache[tuple[tuple[bytes, bytes], ...]] = HeadCache()


def _known_head(headers: CIMultiDict[str]) -> list[tuple[bytes, bytes]] | None:
    """The headers checked and encoded from what was sent before, or ``None`` when a line is
    new (or never kept: a cookie, credentials)."""
    pairs = _HEADS.find(headers)
    if pairs is not None:
        return list(pairs)
    known = list(map(_ENCODED.get, headers.items()))
    if None in known:
        return None
    _HEADS.keep(headers, tuple(known))  # type: ignore[arg-type]  # no None in it
    return known  # type: ignore[return-value]


def _check(headers: CIMultiDict[str], reason: str) -> None:
    # One search over every name and value (tab, allowed, as the separator); the culprit
    # only on failure. The phrase is not sent on ASGI, so it is not checked.
    if _FORBIDDEN.search("\t".join(chain.from_iterable(headers.items()))) is None:
        return
    for name, value in headers.items():
        if _FORBIDDEN.search(value) or _FORBIDDEN.search(name):
            raise ValueError(f"header {name!r} has a control character: {value!r}")


def _absolute_path(filename: str) -> str:
    """The absolute path ``http.response.pathsend`` requires (``filename`` made absolute
    against the current directory, without touching the disk)."""
    return filename if filename.startswith("/") else os.path.join(os.getcwd(), filename)


def _http_date(timestamp: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(math.ceil(timestamp)))


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        from datetime import timezone

        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


_ETAGS = re.compile(r'(?:\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$))')


def _etags(value: str | None) -> list[tuple[bool, str]] | None:
    """An If-Match or If-None-Match value as ``(weak, opaque-tag)`` pairs; ``None`` if absent.

    The parse aiohttp's request applies: ``*`` alone, or quoted tags up to the first that
    does not parse."""
    if not value:
        return None
    if value.strip() == "*":
        return [(False, "*")]
    tags: list[tuple[bool, str]] = []
    pos = 0
    while pos < len(value):
        match = _ETAGS.match(value, pos)
        if match is None or match.end() == pos:
            break
        tags.append((bool(match.group(1)), match.group(2)[1:-1]))
        pos = match.end()
    return tags


def _etag_match(etag: str, tags: list[tuple[bool, str]], *, weak: bool) -> bool:
    if len(tags) == 1 and tags[0][1] == "*":
        return True
    return any(value == etag for is_weak, value in tags if weak or not is_weak)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII | re.IGNORECASE)

#: ``(answer, etag, mtime, size, first byte, byte count)``: answer is 200, 206, 304, 412 or
#: 416; the bytes to send are ``count`` from ``first``.
FilePlan = tuple[int, str, float, int, int, int]


def _plan_file(path: str, request: CIMultiDictProxy[str], byte_range: ByteRange) -> FilePlan:
    """What to answer for ``path`` (in a thread: it stats the file), by the rules aiohttp's
    ``FileResponse`` applies: If-Match and If-Unmodified-Since (412), If-None-Match and
    If-Modified-Since (304, RFC 9110 13.2.2's order), then If-Range and Range (206, 416).
    ``byte_range`` is the app's own decision on the range, when it made one."""
    st = os.stat(path)
    if not S_ISREG(st.st_mode):
        raise PermissionError(f"not a regular file: {path}")
    size = st.st_size
    mtime = st.st_mtime
    etag = f"{st.st_mtime_ns:x}-{size:x}"
    if_match = _etags(request.get("If-Match"))
    if if_match is not None and not _etag_match(etag, if_match, weak=False):
        return 412, etag, mtime, size, 0, 0
    unmodified = _parse_date(request.get("If-Unmodified-Since"))
    if unmodified is not None and if_match is None and mtime > unmodified:
        return 412, etag, mtime, size, 0, 0
    if_none = _etags(request.get("If-None-Match"))
    if if_none is not None and _etag_match(etag, if_none, weak=True):
        return 304, etag, mtime, size, 0, 0
    modified = _parse_date(request.get("If-Modified-Since"))
    if modified is not None and if_none is None and mtime <= modified:
        return 304, etag, mtime, size, 0, 0
    if not os.access(path, os.R_OK):
        raise PermissionError(f"cannot read {path}")
    if byte_range is not None:
        if byte_range == "whole":
            return 200, etag, mtime, size, 0, size
        if byte_range == "unsatisfiable":
            return 416, etag, mtime, size, 0, 0
        assert isinstance(byte_range, tuple)
        start, last = byte_range
        if start >= size:
            return 416, etag, mtime, size, 0, 0
        return 206, etag, mtime, size, start, min(last + 1, size) - start
    if_range = _parse_date(request.get("If-Range"))
    header = request.get("Range")
    if header is None or (if_range is not None and mtime > if_range):
        return 200, etag, mtime, size, 0, size
    match = _RANGE.match(header)
    if match is None:
        return 416, etag, mtime, size, 0, 0
    first_text, last_text = match.groups()
    first: int | None = int(first_text) if first_text else None
    end: int | None = int(last_text) + 1 if last_text else None
    if first is None and end is not None:  # a suffix: the last N bytes
        first, end = -(end - 1), None
    if first is not None and end is not None and end <= first:
        return 416, etag, mtime, size, 0, 0  # aiohttp: "start cannot be after end"
    if first is None:
        return 200, etag, mtime, size, 0, size
    if first < 0 and end is None:
        first = max(first + size, 0)
        count = size - first
    else:
        count = min(end if end is not None else size, size) - first
    if first >= size:
        return 416, etag, mtime, size, 0, 0
    return 206, etag, mtime, size, first, count
