"""The Context: one per request, holding ``request``, ``response`` and ``state``.

Most accessors delegate to ``ctx.request`` or ``ctx.response`` as in Koa. Each app has its
own subclass (``app.context``), so ``app.context.db = pool`` makes ``ctx.db`` available on every
context of that app, like Koa's prototype.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn

from typing_extensions import TypeVar

from .cookies import Cookies
from .errors import create_http_error
from .request import Request
from .response import Response
from .statuses import STATUS_PHRASES
from .websocket import (
    DEFAULT_HEARTBEAT,
    DEFAULT_MAX_MESSAGE_SIZE,
    WebSocket,
    is_upgrade_request,
)

if TYPE_CHECKING:
    from aiohttp.web import BaseRequest, StreamResponse
    from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy

    from .application import Koa
    from .connection import Connection

StateT = TypeVar("StateT", default=dict[str, Any])


class Context(Generic[StateT]):
    """What every middleware receives as ``ctx``.

    Subclass it for typed extensions and typed state::

        class State(TypedDict, total=False):
            user: str

        class AppContext(Context[State]):
            db: Database

        app = Koa(context_class=AppContext)

        @app.use
        async def who(ctx: AppContext, next: Next) -> None:
            ctx.state["user"] = "tobi"   # checked by mypy
    """

    #: Builds ``ctx.state`` for each request; override for a state object other than a dict.
    state_factory: ClassVar[Any] = dict

    app: Koa[Any]
    req: BaseRequest
    request: Request
    response: Response
    state: StateT
    original_url: str
    params: dict[str, str]
    #: Set ``False`` to send an aiohttp response of your own (``ctx.res``).
    respond: bool = True
    # Class-level defaults: assigned per request only when used.
    _cookies: Cookies | None = None
    _finish_callbacks: list[Callable[[], object]] | None = None
    _flush_callbacks: list[Callable[[], Awaitable[None]]] | None = None

    # Fields the ecosystem's middleware fill in (declared here so they are typed for users;
    # class-level defaults cost nothing per request). koa-router sets the route fields,
    # koa-mount sets ``mount_path``.
    captures: list[str] = []  # noqa: RUF012 (read-only default; routers assign a new list)
    matched_route: str | None = None
    matched_route_name: str | None = None
    router: Any = None
    route_matched: bool = False
    router_path: str | None = None
    router_name: str | None = None
    new_router_path: str | None = None
    mount_path: str | None = None
    # koa-session's middleware defines these on the context class (declared only: without
    # the middleware, reading them is an AttributeError, as ``ctx.session`` is undefined in Koa).
    session: Any
    session_options: Any
    # koa-compress reads it: True compresses whatever the type, False never.
    compress: bool | None = None
    #: The WebSocket once ``accept_websocket`` has accepted it (``None`` before, and for
    #: every other request): middleware above the handler can tell an upgraded request.
    websocket: WebSocket | None = None

    def __init__(self, app: Koa[Any], conn: Connection) -> None:
        self.app = app
        self.req = conn.native
        self.response = Response(app, conn, self)
        # Parts that point back at the context get a weak proxy: strong links both ways
        # would make every request a reference cycle for the garbage collector.
        request = self.request = Request(app, conn, weakref.proxy(self))
        self.original_url = request.original_url
        self.state = self.state_factory()
        self.params = {}

    # -- own members -----------------------------------------------------------------------

    @property
    def res(self) -> StreamResponse | None:
        """The aiohttp response once one exists (set it yourself with ``ctx.respond = False``)."""
        return self.response.res

    @res.setter
    def res(self, value: StreamResponse | None) -> None:
        self.response.res = value

    @property
    def cookies(self) -> Cookies:
        """Request and response cookies, signed with ``app.keys``."""
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = Cookies(weakref.proxy(self))
        return cookies

    @cookies.setter
    def cookies(self, value: Cookies) -> None:
        self._cookies = value

    def throw(
        self,
        status: int | str | BaseException = 500,
        message: str | BaseException | None = None,
        /,
        **props: Any,
    ) -> NoReturn:
        """Raise an ``HttpError``: ``ctx.throw(404)``, ``ctx.throw(400, "name required")``.

        ``ctx.throw("msg")`` and ``ctx.throw(exc)`` are unexposed 500s; ``ctx.throw(400, exc)``
        keeps ``exc``'s message. Keyword arguments become attributes of the error
        (``headers=`` sets headers on the error response).
        """
        raise create_http_error(status, message, **props)

    def assert_(
        self,
        value: object,
        status: int = 500,
        message: str | None = None,
        /,
        **props: Any,
    ) -> None:
        """``ctx.throw(status, message, **props)`` when ``value`` is falsy."""
        if not value:
            raise create_http_error(status, message, **props)

    # -- WebSockets ------------------------------------------------------------------------

    @property
    def is_websocket(self) -> bool:
        """Whether the request asks to become a WebSocket: a GET with ``Upgrade: websocket``
        and ``Connection: Upgrade`` (RFC 6455 4.1); koa-easy-ws's ``ctx.ws`` test."""
        return is_upgrade_request(self.request.method, self.request.headers)

    async def accept_websocket(
        self,
        *,
        protocols: Sequence[str] = (),
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        heartbeat: float | None = DEFAULT_HEARTBEAT,
    ) -> WebSocket:
        """Accept the WebSocket this request asks for and return it::

            ws = await ctx.accept_websocket(protocols=["chat.v1"])
            async for message in ws:
                await ws.send(message)

        A request that is not an upgrade (``ctx.is_websocket`` is False) raises a 426
        ``HttpError`` ("WebSocket upgrade required", with ``Upgrade: websocket``), a
        malformed handshake a 400 (426 for a ``Sec-WebSocket-Version`` other than 13). The
        response headers set so far (cookies included) go out with the handshake's answer;
        from then on ``ctx.status`` is 101, ``ctx.websocket`` the socket and the middleware
        answers through it (Koa sends no response when the onion returns, and closes the
        socket with 1000 if it is still open, or 1011 when an error escaped).

        ``protocols``: the subprotocols the app speaks; the first of the client's offers
        among them is chosen (``ws.protocol``). ``max_message_size``: the largest message
        received, in bytes; a bigger one closes the socket with 1009. ``heartbeat``: seconds
        between pings that close a socket whose peer stopped answering, on aiohttp (ASGI
        servers ping on their own: uvicorn's ``--ws-ping-interval``); ``None`` for none.
        """
        if self.websocket is not None:
            raise RuntimeError("this request's WebSocket has been accepted already")
        if isinstance(max_message_size, bool) or not isinstance(max_message_size, int):
            raise TypeError("max_message_size must be an int (bytes)")
        if max_message_size <= 0:
            raise ValueError("max_message_size must be positive: messages are bounded")
        if heartbeat is not None and not heartbeat > 0:
            raise ValueError("heartbeat must be a positive number of seconds, or None")
        if isinstance(protocols, str):
            raise TypeError("protocols must be a list of names, not a single string")
        if not self.is_websocket:
            raise create_http_error(
                426,
                "WebSocket upgrade required",
                headers={"Upgrade": "websocket", "Connection": "Upgrade"},
            )
        response = self.response
        headers = response.headers.copy()
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            headers.popall(name, None)  # a body's headers: a 101 has none (RFC 9110 15.2)
        ws = await response.conn.accept_websocket(
            headers,
            protocols=tuple(protocols),
            max_message_size=max_message_size,
            heartbeat=heartbeat,
        )
        ws.json_dumps = self.app.json_dumps
        response._status = 101
        response._explicit_status = True
        response._message = None
        self.websocket = ws
        self.respond = False  # answered: the socket is the response (koa-easy-ws does this)
        return ws

    def on_finished(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` once the response has gone to the connection (or failed to).

        By then ``ctx.status`` is the status sent, ``ctx.response.bytes_sent`` the body bytes
        written and ``ctx.response.aborted`` tells whether the client went away first.
        Loggers and metrics use it; exceptions from callbacks are logged, not raised.
        """
        if self._finish_callbacks is None:
            self._finish_callbacks = []
        self._finish_callbacks.append(callback)

    def before_flush_headers(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Await ``callback()`` just before ``flush_headers()`` sends the headers early.

        For middleware that must write headers once the handlers below it are done, but
        before a handler flushes them itself: koa-session commits the session there. Each
        callback runs once; a response sent the usual way (after every middleware returned)
        does not call them.
        """
        if self._flush_callbacks is None:
            self._flush_callbacks = []
        self._flush_callbacks.append(callback)

    async def run_flush_callbacks(self) -> None:
        """Await the ``before_flush_headers`` callbacks (once; ``flush_headers`` calls this)."""
        while self._flush_callbacks:
            callback = self._flush_callbacks.pop(0)
            await callback()

    def run_finish_callbacks(self) -> None:
        """Run the ``on_finished`` callbacks (once; the app calls this)."""
        callbacks, self._finish_callbacks = self._finish_callbacks, None
        for callback in callbacks or ():
            try:
                callback()
            except Exception:
                logging.getLogger("koa").exception("on_finished callback %r failed", callback)

    def onerror(self, err: BaseException | None) -> None:
        """Koa's ``ctx.onerror``: emit ``error`` on the app, then make ``err`` the response.

        All headers set so far are dropped, ``err.headers`` applied (but Content-Type and
        Content-Length), the status comes from ``err.status`` or ``err.status_code`` (500
        when missing or unknown) and the body is the message when ``err.expose`` is true,
        else the status phrase. When headers were already sent nothing can be written: the
        connection is cut, so the client sees a truncated response.
        """
        if err is None:
            return
        response = self.response
        conn = response.conn
        # Koa checks ``writable``; a client that only shut its sending side (``writable`` is
        # False then) still gets its error response, as a body in memory would reach it.
        header_sent = response.header_sent or conn.closed
        status = getattr(err, "status", None) or getattr(err, "status_code", None)
        if type(status) is not int or status not in STATUS_PHRASES:
            status = 500
        try:
            if header_sent:
                err.header_sent = True  # type: ignore[attr-defined]
            err.status = status  # type: ignore[attr-defined]
        except AttributeError:  # read-only attributes (aiohttp's HTTPException)
            pass
        self.app.emit("error", err, self)
        if header_sent:
            conn.abort()
            return
        if getattr(err, "expose", False) is True:
            message = getattr(err, "message", None)
            text = message if isinstance(message, str) else str(err)
        else:
            text = STATUS_PHRASES[status]
        extra = getattr(err, "headers", None)
        self.respond = True
        response.reset_for_error(status, extra if isinstance(extra, Mapping) else None, text)

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request.to_json(),
            "response": self.response.to_json(),
            "app": self.app.to_json(),
            "original_url": self.original_url,
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.request.method} {self.original_url}>"

    # -- delegated to ctx.request ----------------------------------------------------------

    @property
    def header(self) -> CIMultiDictProxy[str]:
        """The request headers."""
        return self.request.headers

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers."""
        return self.request.headers

    @property
    def method(self) -> str:
        """The request method (settable)."""
        return self.request.method

    @method.setter
    def method(self, value: str) -> None:
        self.request.method = value

    @property
    def url(self) -> str:
        """The request target (settable)."""
        return self.request.url

    @url.setter
    def url(self, value: str) -> None:
        self.request.url = value

    @property
    def path(self) -> str:
        """The percent-encoded path (settable)."""
        return self.request.path

    @path.setter
    def path(self, value: str) -> None:
        self.request.path = value

    @property
    def querystring(self) -> str:
        """The query string without ``?`` (settable)."""
        return self.request.querystring

    @querystring.setter
    def querystring(self, value: str) -> None:
        self.request.querystring = value

    @property
    def search(self) -> str:
        """``?`` plus the query string (settable)."""
        return self.request.search

    @search.setter
    def search(self, value: str) -> None:
        self.request.search = value

    @property
    def query(self) -> MultiDictProxy[str]:
        """The parsed query (settable with a mapping)."""
        return self.request.query

    @query.setter
    def query(self, value: Mapping[str, Any]) -> None:
        self.request.query = value

    @property
    def origin(self) -> str | None:
        """The Origin header."""
        return self.request.origin

    @property
    def href(self) -> str:
        """The full request URL."""
        return self.request.href

    @property
    def host(self) -> str:
        """Host with port."""
        return self.request.host

    @property
    def hostname(self) -> str:
        """Host without port."""
        return self.request.hostname

    @property
    def protocol(self) -> str:
        """``http`` or ``https``."""
        return self.request.protocol

    @property
    def secure(self) -> bool:
        """True over https."""
        return self.request.secure

    @property
    def ip(self) -> str:
        """The client address; settable (``ctx.ip = ...`` sets ``ctx.request.ip``)."""
        return self.request.ip

    @ip.setter
    def ip(self, value: str) -> None:
        self.request.ip = value

    @property
    def ips(self) -> list[str]:
        """Proxy-reported client addresses."""
        return self.request.ips

    @property
    def subdomains(self) -> list[str]:
        """Subdomains, nearest first."""
        return self.request.subdomains

    @property
    def fresh(self) -> bool:
        """True when the client's cache is fresh."""
        return self.request.fresh

    @property
    def stale(self) -> bool:
        """``not fresh``."""
        return self.request.stale

    @property
    def idempotent(self) -> bool:
        """True for idempotent methods."""
        return self.request.idempotent

    def accepts(self, *types: str) -> Any:
        """The best of the offered types for Accept (``ctx.request.accepts``)."""
        return self.request.accepts(*types)

    def accepts_encodings(self, *encodings: str) -> Any:
        """The best of the offered encodings for Accept-Encoding."""
        return self.request.accepts_encodings(*encodings)

    def accepts_charsets(self, *charsets: str) -> Any:
        """The best of the offered charsets for Accept-Charset."""
        return self.request.accepts_charsets(*charsets)

    def accepts_languages(self, *languages: str) -> Any:
        """The best of the offered languages for Accept-Language."""
        return self.request.accepts_languages(*languages)

    def is_(self, *types: str | Sequence[str]) -> str | bool | None:
        """The first of ``types`` the request's Content-Type matches (``ctx.request.is_``)."""
        return self.request.is_(*types)

    def get(self, field: str) -> str:
        """A request header, ``""`` when missing."""
        return self.request.get(field)

    # -- delegated to ctx.response ---------------------------------------------------------

    @property
    def status(self) -> int:
        """The response status (settable)."""
        return self.response.status

    @status.setter
    def status(self, code: int) -> None:
        self.response.status = code

    @property
    def message(self) -> str:
        """The status phrase (settable)."""
        return self.response.message

    @message.setter
    def message(self, text: str) -> None:
        self.response.message = text

    @property
    def body(self) -> Any:
        """The response body (settable: str, bytes, dict/list/numbers, streams, Path, None)."""
        return self.response.body

    @body.setter
    def body(self, value: Any) -> None:
        self.response.body = value

    @property
    def length(self) -> int | None:
        """The response Content-Length (settable)."""
        return self.response.length

    @length.setter
    def length(self, value: int | None) -> None:
        self.response.length = value

    @property
    def type(self) -> str:
        """The response mime type (settable with an extension or a mime type)."""
        return self.response.type

    @type.setter
    def type(self, value: str | None) -> None:
        self.response.type = value

    @property
    def last_modified(self) -> datetime | None:
        """The response Last-Modified (settable)."""
        return self.response.last_modified

    @last_modified.setter
    def last_modified(self, value: datetime | str) -> None:
        self.response.last_modified = value

    @property
    def etag(self) -> str:
        """The response ETag (settable)."""
        return self.response.etag

    @etag.setter
    def etag(self, value: str) -> None:
        self.response.etag = value

    @property
    def header_sent(self) -> bool:
        """True once headers are on the wire."""
        return self.response.header_sent

    @property
    def writable(self) -> bool:
        """False once the connection can no longer take the response."""
        return self.response.writable

    @property
    def response_headers(self) -> CIMultiDict[str]:
        """The response headers (``ctx.response.headers``)."""
        return self.response.headers

    def set(self, field: str | Mapping[str, Any], value: Any = None) -> None:
        """Set a response header, or several from a mapping (``ctx.response.set``)."""
        self.response.set(field, value)

    def append(self, field: str, value: Any) -> None:
        """Add response header lines, keeping the existing ones."""
        self.response.append(field, value)

    def remove(self, field: str) -> None:
        """Remove a response header."""
        self.response.remove(field)

    def has(self, field: str) -> bool:
        """True when the response has the header."""
        return self.response.has(field)

    def vary(self, field: str) -> None:
        """Add ``field`` to the response's Vary header."""
        self.response.vary(field)

    def redirect(self, url: str) -> None:
        """Redirect to ``url`` (302 unless a redirect status was set)."""
        self.response.redirect(url)

    def back(self, alt: str | None = None) -> None:
        """Redirect to the Referer when it is this site's, else to ``alt`` or ``/``."""
        self.response.back(alt)

    def attachment(self, filename: str | None = None, *, inline: bool = False) -> None:
        """Set Content-Disposition (and the type from ``filename``)."""
        self.response.attachment(filename, inline=inline)

    async def flush_headers(self) -> None:
        """Send the status and headers now (``ctx.response.flush_headers``)."""
        await self.response.flush_headers()
