"""koa-core's WebSockets on an ASGI server: the ``websocket`` scope (ASGI 3, spec 2.3+).

``serve_websocket(app, scope, receive, send)`` runs the app's middleware for one ``websocket``
scope, as ``Koa.handle`` runs it for an HTTP request: the scope is presented as the HTTP
upgrade request it stands for (``AsgiWebSocketConnection``, a ``Connection`` with the head and
no body), so routers, loggers, sessions and ``ctx.status = 403`` work unchanged. The
middleware answers with ``await ctx.accept_websocket()`` (``websocket.accept``; the socket is
an ``AsgiWebSocket`` over ``receive``/``send``) or with an ordinary response, which refuses
the upgrade: sent as it is where the server offers the ``websocket.http.response``
extension (uvicorn and hypercorn do), else as ``websocket.close`` before accepting, which the
server answers with 403.

The server does the protocol (handshake checks, framing, pings, the closing handshake and its
own size limit); this side adds the app's size limit on received messages (1009 above it),
closes a socket the app left open (1000, or 1011 when an error escaped the middleware) and
reports every way a socket ends as ``WebSocketDisconnect``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy

from ..connection import ByteRange
from ..websocket import (
    ABNORMAL_CLOSURE,
    INTERNAL_ERROR,
    MESSAGE_TOO_BIG,
    NO_STATUS,
    NORMAL_CLOSURE,
    WebSocket,
    WebSocketDisconnect,
    check_close,
    is_upgrade_request,
    message_size,
)
from .asgi import head_of, remote_of, version_of

if TYPE_CHECKING:
    from ..application import Koa
    from ..compose import ComposedMiddleware

__all__ = ["AsgiWebSocket", "AsgiWebSocketConnection", "serve_websocket"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]

_RESPONSE_EXTENSION = "websocket.http.response"
_FILE_CHUNK = 64 * 1024


class AsgiWebSocket(WebSocket):
    """An accepted WebSocket over an ASGI ``websocket`` scope (``native`` is the scope)."""

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        protocol: str | None,
        max_message_size: int,
    ) -> None:
        super().__init__(protocol, max_message_size)
        self._scope = scope
        self._receive = receive
        self._send = send
        self._code: int | None = None
        self._reason = ""
        # The next message, awaited in the background once the app has sent something: a
        # handler that only sends still learns that the client left (hypercorn drops sends
        # to a closed socket without a word). At most one message waits here.
        self._next: asyncio.Future[Message] | None = None
        self._receiving = False

    def _incoming(self) -> asyncio.Future[Message]:
        task = self._next
        if task is None:
            task = self._next = asyncio.ensure_future(self._receive())
        return task

    def stop(self) -> None:
        """Stop waiting for messages (the app is done with the socket)."""
        task, self._next = self._next, None
        if task is not None:
            if task.done():
                if not task.cancelled():
                    task.exception()  # retrieved: the server's error, if any, is moot now
            else:
                task.cancel()

    @property
    def native(self) -> Scope:
        return self._scope

    @property
    def closed(self) -> bool:
        return self._code is not None

    @property
    def close_code(self) -> int | None:
        return self._code

    @property
    def close_reason(self) -> str:
        return self._reason

    def _disconnect(self) -> WebSocketDisconnect:
        return WebSocketDisconnect(self._code or ABNORMAL_CLOSURE, self._reason)

    async def receive(self) -> str | bytes:
        if self._code is not None:
            raise self._disconnect()
        if self._receiving:
            raise RuntimeError("another task is already receiving on this WebSocket")
        task = self._incoming()
        self._receiving = True
        try:
            # Shielded: a receive() given up on (a timeout) leaves the message for the next.
            message = await asyncio.shield(task)
        finally:
            self._receiving = False
            if task.done():
                self._next = None
        kind = message.get("type")
        if kind == "websocket.receive":
            text = message.get("text")
            data: str | bytes = text if text is not None else bytes(message.get("bytes") or b"")
            if message_size(data) > self.max_message_size:
                # The server buffered it whole (up to its own limit, uvicorn's --ws-max-size);
                # the app's limit closes the socket as aiohttp does above max_msg_size.
                await self._close(MESSAGE_TOO_BIG, "")  # no reason, as aiohttp sends none
                raise self._disconnect()
            return data
        if kind == "websocket.disconnect":
            self._disconnected(message)
        # Nothing else may arrive after the connect; a server that sends it has lost track.
        self._code = ABNORMAL_CLOSURE
        raise self._disconnect()

    def _disconnected(self, message: Message) -> NoReturn:
        self._code = int(message.get("code") or NO_STATUS)
        self._reason = message.get("reason") or ""
        raise self._disconnect()

    async def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            message: Message = {"type": "websocket.send", "text": data}
        elif isinstance(data, bytes):
            message = {"type": "websocket.send", "bytes": data}
        else:
            raise TypeError(f"a WebSocket message is str or bytes, not {type(data).__name__}")
        if self._code is not None:
            raise self._disconnect()
        task = self._incoming()
        if (
            task.done()
            and not task.cancelled()
            and task.exception() is None
            and task.result().get("type") == "websocket.disconnect"
        ):
            self._next = None
            self._disconnected(task.result())
        try:
            await self._send(message)
        except OSError as err:  # ASGI 2.4: a send to a closed connection raises an OSError
            self._code = ABNORMAL_CLOSURE
            raise self._disconnect() from err

    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        check_close(code, reason)
        if self._code is None:
            await self._close(code, reason)

    async def _close(self, code: int, reason: str) -> None:
        self._code = code
        self._reason = reason
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except OSError:
            self._code = ABNORMAL_CLOSURE  # gone before the close frame could be sent


def _raw(headers: CIMultiDict[str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


class AsgiWebSocketConnection:
    """``Connection`` for one ASGI ``websocket`` scope: the upgrade request's head (method
    ``GET``, no body) and, as the response, either the accepted socket or a refusal."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.native = scope
        self.method = "GET"
        self.target, headers = head_of(scope)
        if not is_upgrade_request("GET", headers):
            # An HTTP/2 WebSocket (RFC 8441: CONNECT with :protocol) has neither header; the
            # app sees the HTTP/1.1 upgrade request it stands for.
            headers["Upgrade"] = "websocket"
            headers["Connection"] = "Upgrade"
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(headers)
        self.header_sent = False
        self.status = 0
        self._receive = receive
        self._send = send
        self._ws: AsgiWebSocket | None = None
        self._can_respond = _RESPONSE_EXTENSION in (scope.get("extensions") or {})
        self._sent = 0
        self._done = False  # a refusal was sent whole
        self._failed = False  # abort(): an error escaped the app

    # -- request ---------------------------------------------------------------------------

    @property
    def version(self) -> tuple[int, int]:
        return version_of(self.native)

    @property
    def scheme(self) -> str:
        return "https" if self.native.get("scheme") in ("wss", "https") else "http"

    @property
    def remote(self) -> str | None:
        return remote_of(self.native)

    @property
    def body_done(self) -> bool:
        return True

    @property
    def content_decoded(self) -> bool:
        return False

    async def read(self, timeout: float | None = None) -> bytes:
        return b""  # an upgrade request has no body

    async def send_continue(self) -> None:
        return None

    # -- response: a refusal ---------------------------------------------------------------

    @property
    def bytes_sent(self) -> int:
        return self._sent

    @property
    def writable(self) -> bool:
        return not self.closed

    @property
    def closed(self) -> bool:
        ws = self._ws
        return ws.closed if ws is not None else self._done

    async def _refuse(self, status: int, headers: CIMultiDict[str]) -> bool:
        """Start the refusal; False when only ``websocket.close`` (a 403) could be sent.
        ``ValueError`` before anything is sent for a header that is not Latin-1."""
        if not self._can_respond:
            self.header_sent = self._done = True
            self.status = 403
            await self._send({"type": "websocket.close", "code": 1008})
            return False
        raw = _raw(headers)  # UnicodeEncodeError is a ValueError, as the seam asks
        self.header_sent = True
        self.status = status
        await self._send(
            {"type": "websocket.http.response.start", "status": status, "headers": raw}
        )
        return True

    async def send(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes | None,
        *,
        close: bool = False,
    ) -> None:
        if status != 304 and status != 204 and status >= 200:
            headers["Content-Length"] = str(len(body) if body else 0)
        else:
            body = None
        if await self._refuse(status, headers):
            await self._send({"type": "websocket.http.response.body", "body": body or b""})
            self._sent = len(body) if body else 0
            self._done = True

    async def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        await self._refuse(status, headers)

    async def write(self, data: bytes) -> None:
        if self._done:
            return
        await self._send({"type": "websocket.http.response.body", "body": data, "more_body": True})
        self._sent += len(data)

    async def end(self) -> None:
        if not self._done:
            self._done = True
            await self._send({"type": "websocket.http.response.body", "body": b""})

    async def send_file(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        path: PathLike[str],
        byte_range: ByteRange = None,
    ) -> None:
        # A refusal that is a file: the whole file (no Range or conditional answers here).
        loop = asyncio.get_running_loop()
        file = await loop.run_in_executor(None, open, path, "rb")
        try:
            size = (await loop.run_in_executor(None, os.fstat, file.fileno())).st_size
            headers["Content-Length"] = str(size)
            if await self._refuse(status, headers):
                while chunk := await loop.run_in_executor(None, file.read, _FILE_CHUNK):
                    await self.write(chunk)
                await self.end()
        finally:
            await loop.run_in_executor(None, file.close)

    def abort(self) -> None:
        self._failed = True

    def hand_over(self, response: Any) -> None:
        return None  # nothing to hand over: an ASGI app answers through ``send``

    def finish(self) -> None:
        return None

    # -- response: the socket --------------------------------------------------------------

    async def accept_websocket(
        self,
        headers: CIMultiDict[str],
        *,
        protocols: Sequence[str],
        max_message_size: int,
        heartbeat: float | None,
    ) -> WebSocket:
        # ``heartbeat``: ASGI servers ping on their own (uvicorn's --ws-ping-interval).
        offered = self.native.get("subprotocols") or ()
        protocol = next((name for name in offered if name in protocols), None)
        extra = CIMultiDict(headers)
        extra.popall("Sec-WebSocket-Protocol", None)  # ASGI: the subprotocol field says it
        await self._send(
            {"type": "websocket.accept", "subprotocol": protocol, "headers": _raw(extra)}
        )
        self.header_sent = True
        self.status = 101
        ws = self._ws = AsgiWebSocket(
            self.native, self._receive, self._send, protocol, max_message_size
        )
        return ws

    async def finish_socket(self) -> None:
        """After the app: close a socket left open (1011 after an error), and refuse an
        upgrade nothing answered."""
        ws = self._ws
        if ws is not None:
            ws.stop()
            if not ws.closed:
                await ws._close(INTERNAL_ERROR if self._failed else NORMAL_CLOSURE, "")
        elif not self.header_sent:
            self.header_sent = True
            self.status = 403
            await self._send({"type": "websocket.close", "code": 1008})


async def serve_websocket(
    app: Koa[Any],
    scope: Scope,
    receive: Receive,
    send: Send,
    fn: ComposedMiddleware[Any] | None = None,
) -> None:
    """Serve one ASGI ``websocket`` scope with ``app``'s middleware (``fn``: the composed
    middleware, composed here when not given), through ``app.handle`` as every request is."""
    first = await receive()
    if first.get("type") != "websocket.connect":
        return  # the client left before the app could run
    conn = AsgiWebSocketConnection(scope, receive, send)
    try:
        await app.handle(conn, fn if fn is not None else app.compose(app.middleware))
    except BaseException:
        if conn._ws is not None:  # cancelled by the server: stop listening, nothing more
            conn._ws.stop()
        raise
    with contextlib.suppress(OSError):  # the client is gone: nothing left to close
        await conn.finish_socket()
