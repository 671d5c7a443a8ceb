"""examples/websocket.py: a WebSocket echo through ``ctx.respond = False``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from aiohttp import WSCloseCode, WSMsgType
from koa.core import Context, Next
from koa.core.testing import TestClient

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
