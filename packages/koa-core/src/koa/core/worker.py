"""gunicorn workers that serve a Koa app: ``gunicorn myapp:app -k koa.core.worker.GunicornWorker``.

gunicorn's master binds the sockets, forks the workers, respawns the ones that die, replaces
them on HUP and drains them on TERM; each worker here runs one event loop with koa-core's
aiohttp server on the master's sockets (``pip install 'koa-core[gunicorn]'``)::

    gunicorn myapp:app -k koa.core.worker.GunicornWorker -w 4 -b 127.0.0.1:3000
    gunicorn 'myapp:create_app()' -k koa.core.worker.GunicornUVLoopWorker -b unix:/run/koa.sock

The app may be a ``Koa`` app, or a factory gunicorn can call (``myapp:create_app()``), or a
function of no arguments, plain or async, that returns one (``myapp:create_app``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import os
import signal
import ssl
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from aiohttp import web
from gunicorn.arbiter import Arbiter
from gunicorn.errors import AppImportError
from gunicorn.sock import ssl_context
from gunicorn.workers.base import Worker

from . import lifespan
from .application import Koa
from .backends.aiohttp import Server as _Server
from .backends.aiohttp import unanswered

if TYPE_CHECKING:
    from .application import Handler

__all__ = ["GunicornUVLoopWorker", "GunicornWorker"]

# gunicorn's "0 means unlimited" for its request limits; nothing read from the network is
# unbounded here, so 0 keeps koa-core's own bound (Node's 16 KB for lines and header values).
_UNLIMITED_LINE = 16384
_UNLIMITED_FIELDS = 128  # aiohttp's default


class GunicornWorker(Worker):  # type: ignore[misc]  # gunicorn ships no type hints
    """A gunicorn worker running a Koa app on an asyncio event loop.

    gunicorn's settings that apply: ``bind`` (TCP, ``unix:``, ``fd://``, several), ``workers``,
    ``keepalive``, ``graceful_timeout``, ``timeout``, ``max_requests`` and its jitter,
    ``limit_request_line``, ``limit_request_fields``, ``limit_request_field_size``,
    ``certfile``/``keyfile`` (and gunicorn's other TLS settings), ``reuse_port``,
    ``accesslog`` and the server hooks (``post_worker_init``, ``worker_int``, ...).
    """

    loop: asyncio.AbstractEventLoop
    alive: bool
    booted: bool
    koa_app: Koa[Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake: asyncio.Event | None = None

    # -- process set-up (gunicorn calls these in the forked child) --------------------------

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the worker runs on (``GunicornUVLoopWorker`` returns uvloop's)."""
        return asyncio.new_event_loop()

    def init_process(self) -> None:
        self.loop = self.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()  # signals, app loading, then ``run()``

    def init_signals(self) -> None:
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        # Through the loop, so a signal never interrupts a request half-way: each only asks
        # the serving loop to stop. TERM, INT and QUIT all drain the in-flight requests (the
        # master gives them ``graceful_timeout`` seconds, then kills the worker).
        add = self.loop.add_signal_handler
        add(signal.SIGTERM, self._stop)
        add(signal.SIGINT, self._quit)
        add(signal.SIGQUIT, self._quit)
        add(signal.SIGUSR1, self.log.reopen_files)
        add(signal.SIGWINCH, lambda: None)  # for the master only (gunicorn ignores it too)
        add(signal.SIGABRT, self._abort)

    def load_wsgi(self) -> None:
        try:
            self.wsgi = self.app.wsgi()
        except AppImportError as err:
            # gunicorn refuses what is not callable without saying what it found.
            found = _describe(getattr(self.app, "app_uri", None))
            raise AppImportError(f"{err} {found}".rstrip()) from None
        if not isinstance(self.wsgi, Koa) and not _is_factory(self.wsgi):
            raise AppImportError(_not_an_app(self.wsgi))

    # -- serving ----------------------------------------------------------------------------

    def run(self) -> None:
        # gunicorn counts the worker as booted once the app is imported; here it is booted
        # only once the startup hooks have run and every socket serves, so that a failing
        # hook stops the master (WORKER_BOOT_ERROR) instead of a respawn loop.
        self.booted = False
        try:
            self.loop.run_until_complete(self._serve())
        except lifespan.StartupError:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)  # the hook's error is logged already

    async def _serve(self) -> None:
        app = await self._load_app()
        self.koa_app = app
        cfg = self.cfg
        self._wake = asyncio.Event()
        server = _Server(
            self._counting(app.callback()) if self.max_requests < sys.maxsize else app.callback(),
            keepalive_timeout=float(cfg.keepalive),
            max_line_size=cfg.limit_request_line or _UNLIMITED_LINE,
            max_field_size=cfg.limit_request_field_size or _UNLIMITED_LINE,
            max_headers=cfg.limit_request_fields or _UNLIMITED_FIELDS,
            access_log=self.log.access_log if cfg.accesslog else None,
            logger=self.log.error_log,
        )
        # In-flight requests get most of ``graceful_timeout``; the master kills the worker
        # when it is over, and the shutdown hooks still have to run.
        runner = web.ServerRunner(
            server, handle_signals=False, shutdown_timeout=cfg.graceful_timeout * 0.9
        )
        await lifespan.startup(app)
        try:
            await runner.setup()
            tls = _tls_context(cfg)
            for listener in self.sockets:
                # asyncio calls listen() again on the socket: keep gunicorn's backlog.
                site = web.SockSite(runner, listener.sock, ssl_context=tls, backlog=cfg.backlog)
                await site.start()
            self.booted = True
            await self._until_stopped()
        finally:
            await self._drain(runner, server)
            await lifespan.shutdown(app)

    async def _load_app(self) -> Koa[Any]:
        found = self.wsgi
        if isinstance(found, Koa):
            return found
        try:
            made = found()
            if inspect.isawaitable(made):
                made = await made
        except Exception as err:
            self.log.exception("the app factory %s raised", _qualname(found))
            raise AppImportError(f"the app factory {_qualname(found)} raised {err!r}") from err
        if not isinstance(made, Koa):
            raise AppImportError(
                f"the app factory {_qualname(found)} returned {_what(made)}, not a Koa app"
            )
        return made

    def _counting(self, handler: Handler) -> Handler:
        """``handler``, stopping the worker gracefully once it got ``max_requests`` requests
        (the request that reaches the limit, and those in flight, are still answered)."""

        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self._stop()
            return await handler(request)

        return handle

    async def _until_stopped(self) -> None:
        wake = self._wake
        assert wake is not None
        beat = max(0.1, min(1.0, self.timeout / 2))
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                self.alive = False
                break
            wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), beat)

    async def _drain(self, runner: web.ServerRunner, server: web.Server) -> None:
        """Stop accepting, answer what was asked, then close (``runner.cleanup()``).

        A connection accepted just before the listeners closed may not have sent its request
        yet, or its request may wait in aiohttp's queue; aiohttp would close it unanswered
        with the idle keep-alive ones. It gets as long as an idle connection would
        (``keepalive``) to be answered, so that a worker replaced on HUP or after
        ``max_requests`` loses no request.
        """
        loop = asyncio.get_running_loop()
        await self._stop_accepting(loop)
        for site in list(runner.sites):
            await site.stop()
        # Connections accepted in the listeners' last round become protocols a moment later.
        await asyncio.sleep(0.05)
        deadline = loop.time() + min(float(self.cfg.keepalive), self.cfg.graceful_timeout / 2)
        while any(map(unanswered, server.connections)):  # aiohttp offers no event for this
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)
        await runner.cleanup()

    async def _stop_accepting(self, loop: asyncio.AbstractEventLoop) -> None:
        """Stop reading the listeners, then let the loop finish what it accepted.

        asyncio accepts a connection in one pass of the loop and makes its transport in the
        next; closing the server in between drops the connection with nothing sent (asyncio
        reports the ``AssertionError`` only in debug mode), and its client sees a reset.
        Removing the listeners' readers first, then yielding twice, leaves no connection
        half-accepted when ``site.stop()`` closes them. uvloop makes the transport as it
        accepts, and does not read the listeners through ``add_reader``.
        """
        if not isinstance(loop, asyncio.SelectorEventLoop):
            return
        for listener in self.sockets:
            loop.remove_reader(listener.sock.fileno())
        await asyncio.sleep(0)  # the pass that ran the last accept schedules its transports
        await asyncio.sleep(0)  # and this one has made them

    # -- signals ----------------------------------------------------------------------------

    def _stop(self) -> None:
        self.alive = False
        if self._wake is not None:
            self._wake.set()

    def _quit(self) -> None:
        self.cfg.worker_int(self)
        self._stop()

    def _abort(self) -> None:
        self.alive = False
        self.cfg.worker_abort(self)
        sys.exit(1)

    # gunicorn's own handlers, in case a subclass installs them with ``signal.signal``.
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._stop()

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        self._quit()


class GunicornUVLoopWorker(GunicornWorker):
    """``GunicornWorker`` on uvloop (``pip install 'koa-core[gunicorn,uvloop]'``)."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        try:
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            raise RuntimeError(
                "GunicornUVLoopWorker needs uvloop: pip install 'koa-core[uvloop]'"
            ) from None
        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop


def _tls_context(cfg: Any) -> ssl.SSLContext | None:
    """gunicorn's own TLS context (``certfile``, ``keyfile``, ``ca_certs``, ``ciphers``, the
    ``ssl_context`` hook) when TLS is configured."""
    return ssl_context(cfg) if cfg.is_ssl else None


def _is_factory(found: object) -> bool:
    return inspect.isfunction(found) or inspect.ismethod(found) or inspect.isbuiltin(found)


def _qualname(found: object) -> str:
    module = getattr(found, "__module__", None)
    name = getattr(found, "__qualname__", None) or repr(found)
    return f"{module}.{name}" if module else name


def _what(found: object) -> str:
    kind = type(found)
    return f"{kind.__module__}.{kind.__qualname__} {found!r:.80}"


def _not_an_app(found: object) -> str:
    return (
        f"the gunicorn app must be a Koa app or a function returning one, not {_what(found)}"
        " (serve a WSGI app with gunicorn's own workers)"
    )


def _describe(app_uri: str | None) -> str:
    """What ``module:name`` holds, for gunicorn's error about an object that is not callable."""
    if not app_uri or ":" not in app_uri:
        return ""
    module_name, name = app_uri.split(":", 1)
    module = sys.modules.get(module_name)
    if module is None or not name.isidentifier() or not hasattr(module, name):
        return f"{app_uri} did not give a Koa app"
    return f"{app_uri} is {_what(getattr(module, name))}, not a Koa app"
