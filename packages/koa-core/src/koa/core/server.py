"""Serving an app with aiohttp's low-level server (``koa.core.backends.aiohttp``), with
graceful shutdown."""

from __future__ import annotations

import asyncio
import importlib
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import lifespan
from .backends.aiohttp import Server as _Server

if TYPE_CHECKING:
    from .application import Koa


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
