"""The Koa application: ``use`` middleware, build the aiohttp handler, handle errors."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal

from multidict import CIMultiDict
from typing_extensions import Self, TypeVar

from .backends.asgi import AsgiConnection, Receive, Scope, Send
from .compose import ComposedMiddleware, Middleware
from .compose import compose as compose_middleware
from .context import Context
from .cookies import Keygrip, KeyRotation
from .jsoncodec import json_dumps as default_json_dumps
from .request import invalid_host
from .respond import respond
from .statuses import STATUS_PHRASES

if TYPE_CHECKING:
    from aiohttp import web

    from .connection import Connection
    from .server import Server

    #: What ``callback()`` returns: the handler aiohttp's low-level server calls.
    Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

ContextT = TypeVar("ContextT", bound=Context[Any], default=Context[dict[str, Any]])

ErrorListener = Callable[[BaseException, Any], "Awaitable[None] | None"]

log = logging.getLogger("koa")
# A weak reference, not the context: every callback scheduled while a request runs keeps a
# copy of the task's contextvars (asyncio's call_soon/call_later), and uvicorn schedules its
# keep-alive timer from inside the response's send. Holding ``ctx`` there kept each request's
# objects alive until that timer went, past the request: ten times the garbage collections
# under load, and a seventh of the request's time on uvicorn. Weakly held, they go with the
# request, and whoever still holds ``ctx`` (a task it started) still finds it.
_current: contextvars.ContextVar[weakref.ref[Context[Any]] | None] = contextvars.ContextVar(
    "koa_context", default=None
)


def current_context() -> Context[Any] | None:
    """The context of the request being handled in this task, or ``None``."""
    ref = _current.get()
    return None if ref is None else ref()


class Koa(Generic[ContextT]):
    """A Koa application: a list of middleware run as an onion for every request.

    ::

        app = Koa()

        async def hello(ctx: Context, next: Next) -> None:
            ctx.body = "Hello World"

        app.use(hello)

        app.listen(3000)
    """

    def __init__(
        self,
        *,
        env: str | None = None,
        keys: Sequence[str | bytes] | KeyRotation | None = None,
        proxy: bool = False,
        proxy_ip_header: str = "X-Forwarded-For",
        max_ips_count: int = 0,
        subdomain_offset: int = 2,
        silent: bool = False,
        context_class: type[ContextT] | None = None,
        json_dumps: Callable[[Any], str] | None = None,
        compose: Callable[[Sequence[Middleware[ContextT]]], ComposedMiddleware[ContextT]]
        | None = None,
    ) -> None:
        self.env: str = env or os.environ.get("KOA_ENV") or "development"
        self.keys = keys
        self.proxy = proxy
        self.proxy_ip_header = proxy_ip_header
        self.max_ips_count = max_ips_count
        self.subdomain_offset = subdomain_offset
        self.silent = silent
        #: Serialises JSON bodies; compact, non-ASCII kept (``koa.core.json_dumps``).
        self.json_dumps: Callable[[Any], str] = json_dumps or default_json_dumps
        #: Builds the onion from ``app.middleware`` (Koa 3's pluggable ``compose``).
        self.compose: Callable[[Sequence[Middleware[ContextT]]], ComposedMiddleware[ContextT]] = (
            compose or compose_middleware
        )
        self.middleware: list[Middleware[ContextT]] = []
        base: type[Any] = context_class or Context
        #: This app's own Context class: attributes set on it reach every ``ctx``.
        self.context: type[ContextT] = type(base.__name__, (base,), {"__module__": base.__module__})
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._pending: set[asyncio.Task[Any]] = set()
        # The middleware composed for ASGI requests (``__call__``): at each lifespan
        # startup, else on the first request (as ``callback()`` composes once per server).
        self._asgi_fn: ComposedMiddleware[ContextT] | None = None

    # -- settings --------------------------------------------------------------------------

    @property
    def keys(self) -> KeyRotation | None:
        """Cookie signing keys (a list of str/bytes, or a keygrip-like rotation object)."""
        return self._keys

    @keys.setter
    def keys(self, value: Sequence[str | bytes] | KeyRotation | None) -> None:
        if value is None or isinstance(value, KeyRotation):
            self._keys: KeyRotation | None = value
        elif isinstance(value, (str, bytes)):
            raise TypeError("app.keys must be a list of keys, not a single string")
        else:
            self._keys = Keygrip(list(value)) if value else None

    # -- middleware ------------------------------------------------------------------------

    def use(self, fn: Middleware[ContextT]) -> Self:
        """Add a middleware at the inside of the onion; returns the app (chainable).

        ``TypeError`` at once for anything that is not callable.
        """
        if not callable(fn):
            raise TypeError("middleware must be a function!")
        if isinstance(fn, Koa):  # callable as an ASGI app (see ``__call__``)
            raise TypeError("a Koa app is not a middleware: use koa.mount's mount(app)")
        self.middleware.append(fn)
        return self

    def callback(self) -> Handler:
        """The aiohttp low-level handler for this app (middleware composed now, once)."""
        return self.handler_for(self.compose(self.middleware))

    def handler_for(self, fn: ComposedMiddleware[ContextT]) -> Handler:
        """The aiohttp handler that runs ``fn`` for every request (``callback`` uses it)."""
        from .backends.aiohttp import request_handler

        return request_handler(self, fn)

    async def handle(self, conn: Connection, fn: ComposedMiddleware[ContextT]) -> Any:
        """Run ``fn`` for the request on ``conn`` and answer it (Koa's ``handleRequest``):
        the middleware, then ``respond``; an error goes to ``ctx.onerror`` first. Returns
        ``conn.finish()``, what the server wants back (aiohttp: its response object)."""
        # The ASGI connection checks the Host with the rest of the request (``malformed``).
        if not getattr(conn, "prechecked", False) and invalid_host(conn.headers, self.proxy):
            await conn.send(400, "Bad Request", _bad_request_headers(), b"Bad Request")
            return conn.finish()
        ctx = self.create_context(conn)
        token = _current.set(weakref.ref(ctx))
        try:
            try:
                await fn(ctx)
                answered = not ctx.respond and _hand_over(ctx, conn)
            except BaseException as err:
                # Koa answers even a non-Error throw with a 500; here that is a
                # BaseException of some library's own, but never cancellation or exit.
                if isinstance(err, _PROPAGATE):
                    raise
                ctx.onerror(err)
                answered = ctx.response.header_sent or conn.closed  # or cut by ctx.onerror
            if not answered:
                await respond(ctx)
        finally:
            if ctx._finish_callbacks is not None:
                ctx.run_finish_callbacks()
            _current.reset(token)
        return conn.finish()

    # -- errors ----------------------------------------------------------------------------

    def handle_error(self, err: BaseException, ctx: Context[Any]) -> bool:
        """``ctx.onerror(err)`` under its earlier name; ``False`` when the headers were out
        already (the connection is then cut)."""
        ctx.onerror(err)
        return not (ctx.response.header_sent or ctx.response.conn.closed)

    def onerror(self, err: BaseException, ctx: Context[Any] | None = None) -> None:
        """The default ``error`` listener: log unless the error is a 404, exposed, or silent.

        The record goes to ``logging.getLogger("koa")`` at ERROR level, with the traceback.
        """
        if not isinstance(err, BaseException):
            raise TypeError(f"non-error thrown: {json.dumps(err, default=repr)}")
        if getattr(err, "status", None) == 404 or getattr(err, "expose", False) is True:
            return
        if self.silent:
            return
        where = f" ({ctx.method} {ctx.original_url})" if ctx is not None else ""
        log.error("%s: %s%s", type(err).__name__, err, where, exc_info=err)

    # -- events ----------------------------------------------------------------------------

    def on(self, event: str, listener: Callable[..., Any]) -> Self:
        """Listen for ``event`` (``"error"``: ``listener(err, ctx)``; may be async)."""
        self._listeners.setdefault(event, []).append(listener)
        return self

    def off(self, event: str, listener: Callable[..., Any]) -> Self:
        """Stop listening."""
        listeners = self._listeners.get(event, [])
        if listener in listeners:
            listeners.remove(listener)
        return self

    def listener_count(self, event: str) -> int:
        """How many listeners ``event`` has."""
        return len(self._listeners.get(event, ()))

    def listeners(self, event: str) -> list[Callable[..., Any]]:
        """A copy of the listeners of ``event``, in the order they were added.

        ``"startup"`` and ``"shutdown"`` listeners are the app's lifespan hooks, ``fn(app)``
        (plain or async): every way of serving the app runs the startup hooks before the first
        connection is accepted and the shutdown hooks, in reverse order, after the last
        request (see ``koa.core.lifespan``).
        """
        return list(self._listeners.get(event, ()))

    def emit(self, event: str, *args: Any) -> bool:
        """Call the listeners of ``event``; ``error`` without listeners goes to ``onerror``.

        A listener's own exception is logged, never raised into the request.
        """
        listeners = self._listeners.get(event)
        if not listeners:
            if event == "error" and args:
                self.onerror(*args[:2])
            return False
        for listener in list(listeners):
            try:
                result = listener(*args)
                if asyncio.iscoroutine(result):
                    task = asyncio.ensure_future(result)
                    self._pending.add(task)
                    task.add_done_callback(self._listener_done)
            except Exception:
                log.exception("%r listener %r failed", event, listener)
        return True

    def _listener_done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("async listener failed", exc_info=task.exception())

    # -- context ---------------------------------------------------------------------------

    def current_context(self) -> ContextT | None:
        """The context of the request being handled (across awaits), or ``None``."""
        return current_context()  # type: ignore[return-value]

    def create_context(self, conn: Connection) -> ContextT:
        """The context for the request on ``conn``: every request's, through ``handle``
        (override it, as Koa's ``createContext``, to prepare every context)."""
        return self.context(self, conn)

    # -- serving ---------------------------------------------------------------------------

    async def serve(self, port: int = 0, host: str = "127.0.0.1", **server_options: Any) -> Server:
        """Start serving; returns a handle with ``.port``, ``.url`` and ``await .close()``."""
        from .server import Server

        server = Server(self, host=host, port=port, **server_options)
        await server.start()
        return server

    def listen(
        self,
        port: int = 3000,
        host: str = "127.0.0.1",
        callback: Callable[[Server], object] | None = None,
        *,
        loop: Literal["asyncio", "uvloop"] = "asyncio",
        **server_options: Any,
    ) -> None:
        """Serve until SIGINT or SIGTERM, then stop accepting and let requests finish.

        ``callback(server)`` runs once the port is bound (``server.url`` is where to go), as
        Koa's ``app.listen(port, callback)``::

            app.listen(3000, callback=lambda server: print(f"listening on {server.url}"))

        ``loop="uvloop"`` serves on uvloop (the ``koa-core[uvloop]`` extra): faster for bodies
        in memory, but without sendfile, so files are much slower; asyncio is the default.
        """
        from .server import run

        run(self, host=host, port=port, callback=callback, loop=loop, **server_options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI 3 application: ``uvicorn module:app``, ``granian --interface asgi
        module:app`` and ``hypercorn module:app`` serve the app ``app.listen()`` serves.

        ``http`` requests run through the middleware as on aiohttp (composed once, on the
        first request or at startup); ``lifespan`` runs the app's startup and shutdown hooks
        (``koa.core.lifespan``) and reports a failing startup as ``lifespan.startup.failed``;
        ``websocket`` goes to ``_asgi_websocket``. See docs/asgi.md.
        """
        kind = scope["type"]
        if kind == "http":
            fn = self._asgi_fn
            if fn is None:
                fn = self._asgi_fn = self.compose(self.middleware)
            conn = AsgiConnection(scope, receive, send)
            refused = conn.malformed(self.proxy)
            if refused:
                phrase = STATUS_PHRASES[refused]
                await conn.send(refused, phrase, _bad_request_headers(), phrase.encode())
                return
            await self.handle(conn, fn)
            # An aborted response returns without its last message: the server closes the
            # connection rather than complete it.
            return
        if kind == "lifespan":
            await self._asgi_lifespan(receive, send)
        elif kind == "websocket":
            await self._asgi_websocket(scope, receive, send)
        else:
            raise ValueError(f"a Koa app serves no ASGI {kind!r} scope")

    async def _asgi_lifespan(self, receive: Receive, send: Send) -> None:
        """ASGI's lifespan protocol: the startup hooks on ``lifespan.startup``, the shutdown
        hooks on ``lifespan.shutdown`` (once per process and app, ``koa.core.lifespan``)."""
        from .lifespan import StartupError, shutdown, startup

        started = False
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "lifespan.startup":
                try:
                    await startup(self)
                except StartupError as err:
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                started = True
                self._asgi_fn = self.compose(self.middleware)
                await send({"type": "lifespan.startup.complete"})
            elif kind == "lifespan.shutdown":
                if started:
                    await shutdown(self)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _asgi_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI ``websocket`` scope: the middleware runs on the upgrade request, and
        ``ctx.accept_websocket()`` accepts it (see docs/websockets.md)."""
        from .backends.asgi_websocket import serve_websocket

        fn = self._asgi_fn
        if fn is None:
            fn = self._asgi_fn = self.compose(self.middleware)
        await serve_websocket(self, scope, receive, send, fn)

    def to_json(self) -> dict[str, Any]:
        """``{"subdomain_offset", "proxy", "env"}``."""
        return {"subdomain_offset": self.subdomain_offset, "proxy": self.proxy, "env": self.env}

    def __repr__(self) -> str:
        return f"<Koa {self.to_json()}>"


_PROPAGATE = (asyncio.CancelledError, KeyboardInterrupt, SystemExit, GeneratorExit)


def _hand_over(ctx: Context[Any], conn: Connection) -> bool:
    """``ctx.respond = False``: the app answered itself, with the server's own response
    (aiohttp: ``ctx.res``) or messages (ASGI: ``ctx.req.send``)."""
    if ctx.websocket is not None:  # accepted: the connection holds the socket already
        return True
    conn.hand_over(ctx.res)
    return True


def _bad_request_headers() -> CIMultiDict[str]:
    return CIMultiDict({"Content-Type": "text/plain; charset=utf-8", "Connection": "close"})
