"""WebSockets: one API over every back end.

A middleware answers an upgrade request by accepting it, then talks over the socket until
either side closes it::

    async def echo(ctx: Context, next: Next) -> None:
        if ctx.path != "/ws":
            return await next()
        ws = await ctx.accept_websocket()  # 426 for a plain GET, 400 for a broken handshake
        async for message in ws:  # str for text frames, bytes for binary ones
            await ws.send(message)

The shape is koa-easy-ws's (``ctx.ws()`` accepts inside the ordinary middleware onion, so
loggers, sessions and routers above it run before and after) with the methods of Starlette's
and aiohttp's WebSockets. Until ``accept_websocket`` is called the request is an HTTP request
like any other: ``ctx.status = 403`` (or ``ctx.throw(401)``) refuses the upgrade with that
response. Each back end implements ``WebSocket`` over its server: aiohttp's
``WebSocketResponse`` (``koa.core.backends.aiohttp_websocket``) and an ASGI ``websocket``
scope (``koa.core.backends.asgi_websocket``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from multidict import MultiMapping

from .jsoncodec import json_dumps as default_json_dumps
from .jsoncodec import json_loads

__all__ = [
    "DEFAULT_HEARTBEAT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "WebSocket",
    "WebSocketDisconnect",
    "is_upgrade_request",
]

#: The largest message ``accept_websocket`` accepts unless told otherwise, in bytes (a text
#: message counts its UTF-8 bytes). A bigger one closes the socket with 1009.
DEFAULT_MAX_MESSAGE_SIZE: Final = 1024 * 1024
#: Seconds between the pings that find a peer gone silent (aiohttp; ASGI servers ping on
#: their own schedule).
DEFAULT_HEARTBEAT: Final = 20.0

# Close codes (RFC 6455 7.4.1) the implementations send or report.
NORMAL_CLOSURE: Final = 1000
UNSUPPORTED_DATA: Final = 1003
NO_STATUS: Final = 1005
ABNORMAL_CLOSURE: Final = 1006
INVALID_PAYLOAD: Final = 1007
MESSAGE_TOO_BIG: Final = 1009
INTERNAL_ERROR: Final = 1011


class WebSocketDisconnect(ConnectionError):
    """The socket is closed: raised by ``receive`` (and ``send``) once either side closed it
    or the connection was lost.

    ``code`` is the close code (RFC 6455 7.4.1): the peer's (1000 normal, 1001 going away,
    1005 none given), 1006 when the connection was lost without a close frame, or the one
    this side closed with (1009 for a message over the size limit). ``reason`` is the text
    that came with it. Like a client that leaves in the middle of a streamed response, it is
    not logged by the app's default error listener when it escapes the middleware.
    """

    #: Not an application error: ``app.onerror`` does not log it (listeners still hear it).
    expose = True

    def __init__(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class WebSocket(ABC):
    """An accepted WebSocket: ``receive`` and ``send`` messages, then ``close``.

    Messages are ``str`` (text frames) or ``bytes`` (binary frames); pings, pongs and the
    closing handshake are answered by the server. ``async for message in ws`` yields them
    until the socket closes and then ends quietly (``ws.close_code`` tells how it ended);
    ``receive`` raises ``WebSocketDisconnect`` instead. One task receives at a time; any
    task may send.
    """

    def __init__(self, protocol: str | None, max_message_size: int) -> None:
        #: Serialises ``send_json``: the app's ``json_dumps`` (set by ``ctx.accept_websocket``).
        self.json_dumps: Callable[[Any], str] = default_json_dumps
        #: The subprotocol chosen: the first of the client's ``Sec-WebSocket-Protocol`` offers
        #: that the app listed in ``protocols``, ``None`` when none matched or none was offered.
        self.protocol = protocol
        #: The largest message received, in bytes; a bigger one closes the socket with 1009.
        self.max_message_size = max_message_size

    # -- what each back end implements ----------------------------------------------------

    @property
    @abstractmethod
    def native(self) -> Any:
        """The server's own object: aiohttp's ``WebSocketResponse``, or the ASGI scope."""

    @property
    @abstractmethod
    def closed(self) -> bool:
        """True once either side has closed the socket, or the connection was lost."""

    @property
    @abstractmethod
    def close_code(self) -> int | None:
        """How the socket closed (see ``WebSocketDisconnect.code``); ``None`` while open."""

    @property
    @abstractmethod
    def close_reason(self) -> str:
        """The reason text of the close, ``""`` when none was given (or still open)."""

    @abstractmethod
    async def receive(self) -> str | bytes:
        """The next message: ``str`` for a text message, ``bytes`` for a binary one.

        ``WebSocketDisconnect`` when the socket is closed, by the peer or by this side, or
        when the connection is lost. A message over ``max_message_size`` closes the socket
        with 1009 and raises ``WebSocketDisconnect(1009)``.
        """

    @abstractmethod
    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message.

        ``WebSocketDisconnect`` once the socket is closed (a message after ``close`` is an
        error, never silently dropped); ``TypeError`` for anything but str or bytes.
        """

    @abstractmethod
    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the socket with ``code`` and ``reason``; does nothing once closed.

        ``ValueError`` for a code an endpoint may not send (RFC 6455 7.4: 1000-1003,
        1007-1014 and 3000-4999) or a reason over 123 UTF-8 bytes.
        """

    # -- built on those -------------------------------------------------------------------

    async def receive_text(self) -> str:
        """The next message, which must be text: a binary one closes the socket with 1003
        (unsupported data) and raises ``WebSocketDisconnect(1003)``."""
        message = await self.receive()
        if isinstance(message, str):
            return message
        await self.close(UNSUPPORTED_DATA, "expected a text message")
        raise WebSocketDisconnect(UNSUPPORTED_DATA, "expected a text message")

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary: a text one closes the socket with 1003."""
        message = await self.receive()
        if isinstance(message, bytes):
            return message
        await self.close(UNSUPPORTED_DATA, "expected a binary message")
        raise WebSocketDisconnect(UNSUPPORTED_DATA, "expected a binary message")

    async def receive_json(self) -> Any:
        """The next message (text or UTF-8 bytes) parsed as JSON: one that is not JSON closes
        the socket with 1007 (invalid payload) and raises ``WebSocketDisconnect(1007)``."""
        message = await self.receive()
        try:
            return json_loads(message.decode() if isinstance(message, bytes) else message)
        except (ValueError, RecursionError):  # not UTF-8 or not JSON, or nested too deeply
            await self.close(INVALID_PAYLOAD, "expected JSON")
            raise WebSocketDisconnect(INVALID_PAYLOAD, "expected JSON") from None

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as a JSON text message, encoded as the app encodes JSON bodies."""
        await self.send(self.json_dumps(value))

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                message = await self.receive()
            except WebSocketDisconnect:
                return
            yield message

    def __repr__(self) -> str:
        state = "open" if not self.closed else f"closed {self.close_code}"
        return f"<{type(self).__name__} {state} protocol={self.protocol!r}>"


def check_close(code: int, reason: str) -> bytes:
    """``reason`` as UTF-8 after checking that ``code`` and ``reason`` may be sent
    (RFC 6455 5.5.1 and 7.4); ``ValueError`` otherwise."""
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError(f"close code must be an int, not {code!r}")
    if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        raise ValueError(f"close code {code} may not be sent (RFC 6455 7.4)")
    data = reason.encode()
    if len(data) > 123:  # a control frame carries at most 125 bytes, 2 of them the code
        raise ValueError("a close reason is at most 123 bytes of UTF-8")
    return data


def message_size(message: str | bytes) -> int:
    """The size of a message in bytes (a text message's UTF-8 length, counted only when
    its length in characters does not settle it)."""
    if isinstance(message, bytes):
        return len(message)
    return len(message) if message.isascii() else len(message.encode())


def _has_token(headers: MultiMapping[str], name: str, token: str) -> bool:
    """Whether any ``name`` header line lists ``token`` (case-insensitive, comma-separated)."""
    return any(
        part.strip().lower() == token
        for line in headers.getall(name, ())
        for part in line.split(",")
    )


def is_upgrade_request(method: str, headers: MultiMapping[str]) -> bool:
    """Whether a request asks to become a WebSocket (RFC 6455 4.1): a GET with ``websocket``
    in its ``Upgrade`` header and ``upgrade`` in its ``Connection`` header."""
    return (
        method == "GET"
        and _has_token(headers, "Upgrade", "websocket")
        and _has_token(headers, "Connection", "upgrade")
    )
