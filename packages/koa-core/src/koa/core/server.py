"""Serving an app with aiohttp's low-level server, with graceful shutdown."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Any

from aiohttp import web

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
        self._server = web.Server(app.callback(), **server_options)
        self._runner = web.ServerRunner(
            self._server, handle_signals=False, shutdown_timeout=shutdown_timeout
        )
        self._site: web.TCPSite | None = None

    async def start(self) -> None:
        """Bind and start accepting connections."""
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.host,
            self.port,
            backlog=self._backlog,
            reuse_port=self._reuse_port,
        )
        await site.start()
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
        """Stop accepting, let in-flight requests finish, then close connections."""
        await self._runner.cleanup()

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def serve_until_signalled(app: Koa[Any], *, host: str, port: int, **options: Any) -> None:
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
    try:
        await stop.wait()
    finally:
        await server.close()


def run(app: Koa[Any], *, host: str, port: int, **options: Any) -> None:
    """``app.listen()``: run an event loop and serve until a signal arrives."""
    asyncio.run(serve_until_signalled(app, host=host, port=port, **options))
