"""``TestClient``: serve an app on 127.0.0.1 and talk to it over a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import aiohttp
from multidict import CIMultiDictProxy

if TYPE_CHECKING:
    from .application import Koa
    from .server import Server

__all__ = ["TestClient", "TestResponse", "UvicornServer", "serve_asgi"]


class TestResponse:
    """A response whose body has been read: ``status``, ``reason``, ``headers`` and the body
    through ``await read()``, ``await text()`` and ``await json()``."""

    __test__ = False

    def __init__(self, res: aiohttp.ClientResponse, body: bytes) -> None:
        self.status: int = res.status
        self.reason: str | None = res.reason
        self.headers: CIMultiDictProxy[str] = res.headers
        self.raw_headers = res.raw_headers
        self.cookies = res.cookies
        self.url = res.url
        self.method = res.method
        self.version = res.version
        self.body = body

    @property
    def content_type(self) -> str:
        """The mime type of the response (without parameters)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip()

    async def read(self) -> bytes:
        return self.body

    async def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)

    async def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status} {self.reason}>"


class _Serving(Protocol):
    @property
    def port(self) -> int: ...

    async def close(self) -> None: ...


class UvicornServer:
    """``app`` as an ASGI application on uvicorn, in this process and event loop, on a free
    port of 127.0.0.1 (``TestClient(app, backend="uvicorn")``).

    uvicorn runs with ``lifespan="on"`` (a failing startup hook raises ``StartupError`` here,
    as on aiohttp), without its ``server`` header, without trusting ``X-Forwarded-*`` (that is
    ``app.proxy``'s job) and without WebSockets (``ws="none"``); ``options`` are
    ``uvicorn.Config``'s and override these.
    """

    def __init__(self, app: Koa[Any], **options: Any) -> None:
        self.app = app
        self.options = options
        self.port = 0
        self._server: Any = None
        self._sock: Any = None

    async def start(self) -> None:
        import socket

        import uvicorn

        from .lifespan import StartupError

        options = {
            "lifespan": "on",
            "log_config": None,
            "log_level": "warning",
            "access_log": False,
            "proxy_headers": False,
            "server_header": False,
            "ws": "none",
            **self.options,
        }
        # Before the socket: an option uvicorn does not take raises here, leaving nothing open.
        server = self._server = uvicorn.Server(uvicorn.Config(self.app, **options))
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
        # sockets whose proto says TCP, and accepted sockets copy the listener's. With Nagle
        # on, uvicorn's body write waits for the client's delayed ACK: 40 ms a request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        # uvicorn's ``serve()`` ticks every 0.1 s and sleeps 0.1 s on shutdown; a test server
        # runs its steps itself instead: startup (lifespan, listening), one tick (the Date
        # header), and a shutdown that waits only as long as connections need.
        server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        try:
            await server.startup(sockets=[sock])
        except SystemExit:  # uvicorn's exit when the app's startup failed
            sock.close()
            raise StartupError("the app did not start on uvicorn (a startup hook failed)") from None
        self._sock = sock
        await server.on_tick(0)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        for listener in server.servers:
            listener.close()
        self._sock.close()
        state = server.server_state
        for connection in list(state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)  # uvicorn's state has no event to wait on
        for task in list(state.tasks):
            task.cancel()
        for listener in server.servers:
            await listener.wait_closed()
        await server.lifespan.shutdown()


class TestClient:
    """Serve ``app`` on a free loopback port for the duration of an ``async with`` block.

    ::

        async with TestClient(app) as client:
            res = await client.get("/users/1")
            assert res.status == 200
            assert await res.json() == {"id": 1}

    Responses are ``TestResponse`` objects with the body already read: ``.status``,
    ``.headers``, ``await .text()``, ``await .json()`` and ``await .read()`` all work after
    the call returns. Redirects are not followed and bodies are not decompressed.

    ``backend`` is the server: ``"aiohttp"`` (``app.serve()``; ``server_options`` are its
    options) or ``"uvicorn"`` (the app as an ASGI application, see ``UvicornServer``;
    ``server_options`` are ``uvicorn.Config``'s). Without it, ``TestClient.default_backend``.
    """

    __test__ = False  # not a pytest test class

    #: The backend of a ``TestClient`` made without ``backend=`` (a test fixture may set it
    #: to run a whole suite on uvicorn).
    default_backend: ClassVar[str] = "aiohttp"

    def __init__(self, app: Koa[Any], backend: str | None = None, **server_options: Any) -> None:
        self.app = app
        self.backend = backend or self.default_backend
        if self.backend not in ("aiohttp", "uvicorn"):
            raise ValueError(f"unknown TestClient backend {self.backend!r}")
        self._server_options = server_options
        self._server: Server | _Serving | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> TestClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Start the server and the client session."""
        if self.backend == "uvicorn":
            server = UvicornServer(self.app, **self._server_options)
            await server.start()
            self._server = server
        else:
            self._server = await self.app.serve(port=0, host="127.0.0.1", **self._server_options)
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=30),
        )

    async def close(self) -> None:
        """Close the client session and shut the server down."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._server is not None:
            await self._server.close()
            self._server = None

    @property
    def port(self) -> int:
        """The server's port."""
        assert self._server is not None, "TestClient is not started"
        return self._server.port

    @property
    def host(self) -> str:
        """The server's address (``127.0.0.1``)."""
        return "127.0.0.1"

    def make_url(self, path: str) -> str:
        """The absolute URL for ``path`` on the test server."""
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def session(self) -> aiohttp.ClientSession:
        """The underlying ``aiohttp.ClientSession`` (for WebSockets and streaming reads)."""
        assert self._session is not None, "TestClient is not started"
        return self._session

    async def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        """Send a request; ``kwargs`` are ``aiohttp.ClientSession.request``'s."""
        kwargs.setdefault("allow_redirects", False)
        async with self.session.request(method, self.make_url(path), **kwargs) as res:
            body = await res.read()
        return TestResponse(res, body)

    async def get(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("GET", path, **kwargs)

    async def head(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("HEAD", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("DELETE", path, **kwargs)

    async def options(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.request("OPTIONS", path, **kwargs)

    async def raw(self, data: bytes, *, timeout: float = 5.0) -> bytes:
        """Send raw bytes on a fresh connection and return everything the server sends back
        until it closes the connection (or ``timeout`` passes). For malformed requests."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(data)
            await writer.drain()
            chunks: list[bytes] = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while (remaining := deadline - loop.time()) > 0:
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), remaining)
                except asyncio.TimeoutError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


#: An ASGI 3 application: ``await app(scope, receive, send)``.
AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]


@contextlib.asynccontextmanager
async def serve_asgi(
    app: AsgiApp, server: Literal["uvicorn", "hypercorn"] = "uvicorn"
) -> AsyncIterator[str]:
    """Serve the ASGI application ``app`` on a free 127.0.0.1 port with a real uvicorn or
    hypercorn (installed separately), in this event loop, for an ``async with`` block; yields
    the base URL (``http://127.0.0.1:<port>``). The servers' lifespan is off::

        async with serve_asgi(app, "hypercorn") as url:  # a Koa app is an ASGI app
            ...
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # see above
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    try:
        if server == "uvicorn":
            import uvicorn

            config = uvicorn.Config(
                app, interface="asgi3", lifespan="off", log_config=None, log_level="warning"
            )
            runner = uvicorn.Server(config)
            task = asyncio.ensure_future(runner.serve(sockets=[sock]))
            while not runner.started:
                if task.done():
                    task.result()  # raises what stopped it
                await asyncio.sleep(0.01)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                runner.should_exit = True
                await task
        elif server == "hypercorn":
            from hypercorn.asyncio import serve
            from hypercorn.config import Config

            hyper_config = Config()
            # hypercorn takes over a listening socket by its descriptor (and closes it).
            hyper_config.bind = [f"fd://{os.dup(sock.fileno())}"]
            hyper_config.accesslog = None
            hyper_config.loglevel = "WARNING"
            stop = asyncio.Event()
            task = asyncio.ensure_future(
                serve(app, hyper_config, shutdown_trigger=stop.wait, mode="asgi")
            )
            for _ in range(500):  # until it accepts connections (at most 5 s)
                if task.done():
                    task.result()
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.01)
                    continue
                writer.close()
                break
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                stop.set()
                await task
        else:
            raise ValueError(f"unknown ASGI server {server!r}")
    finally:
        sock.close()
