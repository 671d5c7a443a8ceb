"""Serving an app with aiohttp's low-level server, with graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import HttpVersion11, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_exceptions import LineTooLong
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import EMPTY_PAYLOAD, StreamReader
from aiohttp.web_protocol import RequestHandler

from . import lifespan
from .respond import KoaResponse
from .statuses import STATUS_PHRASES

if TYPE_CHECKING:
    from .application import Koa


class _RequestHandler(RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse the way Koa answers.

    aiohttp's own reply to a malformed request echoes the offending bytes, names the server
    and, in debug mode, can carry a traceback; it also logs every bad request at ERROR. Here
    a bad request gets the bare status phrase, and client errors are logged at DEBUG only
    (anyone can send them, so they must not flood the logs).
    """

    peer_done = False
    """The client shut its sending side while requests were still to answer."""

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
        return res

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


class _Server(web.Server):
    """aiohttp's low-level server with Koa's answers to unparsable requests, and Node's
    ``requestTimeout``: a request body still incomplete ``request_timeout`` seconds after its
    head arrived gets ``408 Request Timeout`` and the connection closes (aiohttp waits for
    it forever, so a stalled upload would hold its handler and its socket). ``None`` or 0
    turns it off, as does a ``request_factory`` of your own."""

    def __init__(
        self, handler: Any, *, request_timeout: float | None = 300.0, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        if request_timeout and kwargs.get("request_factory") is None:
            self.request_factory = _timed_request_factory(self._loop, request_timeout)

    def __call__(self) -> RequestHandler:
        loop = getattr(self, "_loop", None)
        kwargs = getattr(self, "_kwargs", None)
        if loop is None or kwargs is None:  # pragma: no cover - a future aiohttp layout
            return super().__call__()
        return _RequestHandler(self, loop=loop, **kwargs)


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


class Server:
    """A running server: ``.host``, ``.port``, ``.url``; ``await close()`` shuts it down.

    ``close()`` stops accepting connections, lets in-flight requests finish for up to
    ``shutdown_timeout`` seconds, then closes what is left.
    """

    def __init__(
        self,
        app: Koa[Any],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        shutdown_timeout: float = 10.0,
        backlog: int = 128,
        reuse_port: bool | None = None,
        **server_options: Any,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._shutdown_timeout = shutdown_timeout
        self._backlog = backlog
        self._reuse_port = reuse_port
        # Quiet aiohttp's own access log unless asked for: Koa apps log with middleware.
        server_options.setdefault("access_log", None)
        # Node takes request lines and header values up to 16 KB (then 431); aiohttp's
        # default is 8 KB. Still bounded: at most max_headers (128) fields of that size.
        server_options.setdefault("max_line_size", 16384)
        server_options.setdefault("max_field_size", 16384)
        # Node closes a keep-alive connection idle for 5 s; aiohttp's low-level default is
        # an hour, so idle and half-sent requests (slowloris) would hold a socket that long.
        # The same timer closes a connection that has not sent a whole request head by then.
        server_options.setdefault("keepalive_timeout", 5.0)
        self._server = _Server(app.callback(), **server_options)
        self._runner = web.ServerRunner(
            self._server, handle_signals=False, shutdown_timeout=shutdown_timeout
        )
        self._site: web.TCPSite | None = None

    async def start(self) -> None:
        """Run the app's startup hooks, then bind and start accepting connections.

        A startup hook that raises raises ``StartupError`` and nothing is bound; a bind that
        fails runs the shutdown hooks before its error is raised.
        """
        await lifespan.startup(self.app)
        try:
            await self._runner.setup()
            site = web.TCPSite(
                self._runner,
                self.host,
                self.port,
                backlog=self._backlog,
                reuse_port=self._reuse_port,
            )
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            await lifespan.shutdown(self.app)
            raise
        self._site = site
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                self.port = address[1]
                break

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        """Stop accepting, let in-flight requests finish, close connections, then run the
        app's shutdown hooks (once, however often ``close`` is called)."""
        site, self._site = self._site, None
        await self._runner.cleanup()
        if site is not None:
            await lifespan.shutdown(self.app)

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def serve_until_signalled(
    app: Koa[Any],
    *,
    host: str,
    port: int,
    callback: Callable[[Server], object] | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then shut down gracefully."""
    server = Server(app, host=host, port=port, **options)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-POSIX loops
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    if callback is not None:
        callback(server)
    try:
        await stop.wait()
    finally:
        await server.close()


def run(
    app: Koa[Any],
    *,
    host: str,
    port: int,
    callback: Callable[[Server], object] | None = None,
    loop: str = "asyncio",
    **options: Any,
) -> None:
    """``app.listen()``: run an event loop and serve until a signal arrives.

    ``loop="uvloop"`` runs on uvloop (``pip install 'koa-core[uvloop]'``): about 15% more
    requests/s for bodies in memory, but no ``sendfile``, so large ``Path`` bodies and
    koa-static are several times slower. asyncio is the default for that reason.
    """
    if loop == "asyncio":
        runner: Callable[[Any], object] = asyncio.run
    elif loop == "uvloop":
        try:
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            raise RuntimeError(
                "loop='uvloop' needs uvloop: pip install 'koa-core[uvloop]'"
            ) from None
        runner = uvloop.run
    else:
        raise ValueError(f"loop must be 'asyncio' or 'uvloop', not {loop!r}")
    try:
        runner(serve_until_signalled(app, host=host, port=port, callback=callback, **options))
    except lifespan.StartupError:
        raise SystemExit(1) from None  # the hook's error and traceback are logged already
