"""examples/websocket.py: a WebSocket echo on ``ctx.accept_websocket()``, the same ``app`` on
aiohttp and, as an ASGI app (``Koa.__call__``), on uvicorn and hypercorn: the page and the
socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient, serve_asgi
from koa.logger import logger
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

Loader = Callable[[str], ModuleType]


async def test_echoes_text_and_binary_messages(load_example: Loader) -> None:
    app = load_example("websocket.py").app
    async with TestClient(app) as client, client.session.ws_connect(client.make_url("/ws")) as ws:
        await ws.send_str("hello")
        assert await ws.receive_str(timeout=5) == "hello"
        await ws.send_str("héllo again")
        assert await ws.receive_str(timeout=5) == "héllo again"
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes(timeout=5) == b"\x00\x01"


async def test_close_message_closes_the_socket(load_example: Loader) -> None:
    app = load_example("websocket.py").app
    async with TestClient(app) as client, client.session.ws_connect(client.make_url("/ws")) as ws:
        await ws.send_str("close")
        msg = await ws.receive(timeout=5)
        assert msg.type == WSMsgType.CLOSE
        assert ws.close_code == WSCloseCode.OK


async def test_an_oversized_message_closes_with_1009(load_example: Loader) -> None:
    module = load_example("websocket.py")
    async with (
        TestClient(module.app) as client,
        client.session.ws_connect(client.make_url("/ws")) as ws,
    ):
        await ws.send_str("x" * (module.MAX_MESSAGE + 1))
        msg = await ws.receive(timeout=5)
        assert msg.type == WSMsgType.CLOSE
        assert ws.close_code == WSCloseCode.MESSAGE_TOO_BIG


async def test_plain_get_on_the_socket_path_is_426(load_example: Loader) -> None:
    app = load_example("websocket.py").app
    async with TestClient(app) as client:
        res = await client.get("/ws")
        assert (res.status, await res.text()) == (426, "WebSocket upgrade required")


async def test_upstream_middleware_runs_around_the_socket(load_example: Loader) -> None:
    module = load_example("websocket.py")
    events: list[str] = []

    async def around(ctx: Context, next: Next) -> None:
        events.append(f"in {ctx.path}")
        await next()
        events.append(f"out {ctx.path} respond={ctx.respond}")

    module.app.middleware.insert(0, around)
    async with TestClient(module.app) as client:
        async with client.session.ws_connect(client.make_url("/ws")) as ws:
            await ws.send_str("ping")
            assert await ws.receive_str(timeout=5) == "ping"
            assert events == ["in /ws"]
        res = await client.get("/")
        assert "new WebSocket" in await res.text()
    assert events == ["in /ws", "out /ws respond=False", "in /", "out / respond=True"]


@contextlib.asynccontextmanager
async def on_asgi(app: Koa[Any], server: str) -> AsyncIterator[str]:
    """``app`` itself as the ASGI app of a real server; yields the server's ``http://`` URL."""
    async with serve_asgi(app, "uvicorn" if server == "uvicorn" else "hypercorn") as url:
        yield url


async def close_code(ws: Any) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
async def test_the_echo_runs_on_asgi_servers(load_example: Loader, server: str) -> None:
    module = load_example("websocket.py")
    lines: list[str] = []
    module.app.middleware.insert(0, logger(transporter=lambda line, args: lines.append(line)))
    async with on_asgi(module.app, server) as base:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/") as page:
                assert page.status == 200
                assert "new WebSocket" in await page.text()
            async with session.get(base + "/ws") as plain:  # no Upgrade
                assert plain.status == 426
        url = base.replace("http://", "ws://") + "/ws"
        async with connect(url) as ws:
            await ws.send("héllo")
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\x01")
            assert await ws.recv() == b"\x00\x01"
            await ws.send("close")
            assert await close_code(ws) == 1000
        async with connect(url) as ws:
            await ws.send("x" * (module.MAX_MESSAGE + 1))
            assert await close_code(ws) == 1009
    # koa-logger ran around the page, the plain GET and both sockets: in, then out with 101
    # once each socket closed.
    assert [line.split()[:4] for line in lines] == [
        ["<--", "GET", "/"],
        ["-->", "GET", "/", "200"],
        ["<--", "GET", "/ws"],
        ["xxx", "GET", "/ws", "426"],  # thrown by accept_websocket(): koa-logger says xxx
        ["<--", "GET", "/ws"],
        ["-->", "GET", "/ws", "101"],
        ["<--", "GET", "/ws"],
        ["-->", "GET", "/ws", "101"],
    ]
