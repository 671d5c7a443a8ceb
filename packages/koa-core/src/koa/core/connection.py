"""The seam between Koa's rules and an HTTP server: one ``Connection`` per request.

Everything above it (``Koa.handle``, the context, ``respond``, middleware packages) reads the
request and writes the response through these members only; everything below it (one module
per server, ``koa.core.backends.aiohttp`` today) knows the server and HTTP framing but none of
Koa's rules. A server that speaks another interface (ASGI) is a new implementation of this
Protocol, not a fork of the code above it. Modelled on Sanic's ``Stream`` and httpx's
transports: a small surface with its contract in the docstrings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy

if TYPE_CHECKING:
    from .websocket import WebSocket

__all__ = ["BodyError", "ByteRange", "Connection"]

#: The part of a file ``send_file`` sends: ``(first, last)`` byte offsets (inclusive, as in a
#: ``Range`` header), ``"whole"`` for all of it with status 200, or ``"unsatisfiable"`` for
#: a 416 with ``Content-Range: bytes */size``. ``None`` leaves the request's own ``Range``
#: and ``If-Range`` headers to the server (RFC 9110 14).
ByteRange: TypeAlias = tuple[int, int] | Literal["whole", "unsatisfiable"] | None


class BodyError(Exception):
    """The request body cannot be read as sent: bad chunked framing, or a Content-Encoding
    the server failed to decode. The connection cannot carry another request after it."""


class Connection(Protocol):
    """One request and the means to answer it.

    Request side: the head (``method``, ``target``, ``version``, ``headers``), the peer
    (``remote``, ``scheme`` for TLS) and the body as a stream (``read``). Response side:
    either a whole response at once (``send``), a streamed one (``start``, ``write``,
    ``end``) or a file (``send_file``); ``abort`` cuts the connection under a response
    already started. Writes raise ``ConnectionError`` when the client has gone.
    """

    #: The server's own request object (``ctx.req``): aiohttp's ``BaseRequest`` on aiohttp.
    #: The escape hatch for what the seam does not cover (WebSockets, ``ctx.respond = False``).
    native: Any
    method: str
    #: The request target exactly as received (``/path?query``, or an absolute URL).
    target: str
    headers: CIMultiDictProxy[str]
    #: True once ``send``, ``start`` or ``send_file`` has put the status line on the wire.
    header_sent: bool
    #: The status sent (``send_file`` answers 206, 304, 412 or 416 on its own).
    status: int

    @property
    def version(self) -> tuple[int, int]:
        """The request's HTTP version, ``(1, 1)``."""

    @property
    def scheme(self) -> str:
        """``"https"`` when the request came over TLS on this socket, else ``"http"``."""

    @property
    def remote(self) -> str | None:
        """The peer's address."""

    # -- request body ----------------------------------------------------------------------

    @property
    def body_done(self) -> bool:
        """True once the whole request body has been received (at once for no body)."""

    @property
    def content_decoded(self) -> bool:
        """True when the server has already undone the body's Content-Encoding."""

    async def read(self, timeout: float | None = None) -> bytes:
        """The next part of the request body as it arrives; ``b""`` at its end.

        The first read answers ``Expect: 100-continue`` (RFC 9110 10.1.1), so a client that
        waits for it sends the body only to an app that reads it. ``TimeoutError`` when
        nothing arrives for ``timeout`` seconds, ``BodyError`` for a malformed body,
        ``ConnectionError`` when the client went away.
        """

    async def send_continue(self) -> None:
        """Send ``100 Continue`` now if the client asked for it and it was not sent yet."""

    # -- response --------------------------------------------------------------------------

    @property
    def bytes_sent(self) -> int:
        """Body bytes handed to the connection so far (no headers, no chunk framing)."""

    @property
    def writable(self) -> bool:
        """False once the connection cannot take the response, or the client shut its
        sending side (it may not read any more: Node's view, so Koa's ``ctx.writable``)."""

    @property
    def closed(self) -> bool:
        """True once the connection is closed or closing."""

    async def send(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes | None,
        *,
        close: bool = False,
    ) -> None:
        """A whole response of known length. ``headers`` are the response's own (the
        server adds the framing ones: Content-Length, Date, Connection), ``body`` ``None``
        for none; ``close`` ends the connection afterwards (a body shorter than the
        Content-Length the app set). ``ValueError`` before anything is written for a header
        the server refuses.
        """

    async def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        """Send the status line and headers of a streamed response (chunked unless
        ``headers`` has a Content-Length). ``ValueError`` as for ``send``."""

    async def write(self, data: bytes) -> None:
        """One more piece of a started response's body."""

    async def end(self) -> None:
        """Finish a started response; one short of its Content-Length is cut instead."""

    async def send_file(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        path: PathLike[str],
        byte_range: ByteRange = None,
    ) -> None:
        """Send a file (sendfile where the server can), answering conditional requests and
        ``byte_range`` (``self.status`` is then the status sent: 206, 304, 412 or 416 replace
        ``status``).
        ``FileNotFoundError``/``PermissionError``/``IsADirectoryError`` before anything is
        written when the file cannot be sent."""

    async def accept_websocket(
        self,
        headers: CIMultiDict[str],
        *,
        protocols: Sequence[str],
        max_message_size: int,
        heartbeat: float | None,
    ) -> WebSocket:
        """Accept the WebSocket upgrade this request asks for (``ctx.accept_websocket``
        checked that it asks) and return the socket; ``header_sent`` is then True and
        ``status`` 101.

        ``headers`` are the response's own, sent with the handshake's answer (cookies, say);
        the server adds the handshake's. The subprotocol is the first of the client's offers
        that is in ``protocols``; a received message over ``max_message_size`` bytes closes
        the socket with 1009; ``heartbeat`` is the ping interval in seconds where the server
        leaves pings to the app (``None``: none). An ``HttpError`` (400, 426) before anything
        is written when the handshake is malformed. After it, ``abort()`` closes the socket
        with 1011 (an error escaped the middleware) once the app is done.
        """

    def abort(self) -> None:
        """Close the connection now: a response already started reaches the client cut."""

    def hand_over(self, response: Any) -> None:
        """The app answered with the server's own response object (``ctx.respond = False``,
        a WebSocket): give it to the server as it is."""

    def finish(self) -> Any:
        """What the server wants back once the request is answered (``Koa.handle`` returns
        it): aiohttp's response object on aiohttp, ``None`` where the server needs nothing."""


def content_length(headers: Mapping[str, str]) -> int | None:
    """The Content-Length in ``headers`` as an int, ``None`` when missing or not digits."""
    value = headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None
