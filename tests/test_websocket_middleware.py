"""WebSockets under the ecosystem's middleware: koa-router's params and koa-session's session
(read from the signed cookie of the upgrade request) reach a socket handler on aiohttp,
uvicorn and hypercorn alike; a missing session refuses the upgrade with its 401."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.backends.asgi_websocket import serve_websocket
from koa.core.testing import TestClient, serve_asgi
from koa.router import Router
from koa.session import session
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


def chat_app() -> Koa[Any]:
    app = Koa(keys=["a long random secret"])
    router = Router()

    @router.post("/login/:user")
    async def login(ctx: Context, next: Next) -> None:
        ctx.session["user"] = ctx.params["user"]
        ctx.status = 204

    @router.get("/rooms/:room")
    async def room(ctx: Context, next: Next) -> None:
        user = ctx.session.get("user")
        if user is None:
            ctx.throw(401, "log in first")
        ws = await ctx.accept_websocket()
        await ws.send(f"{user} joined {ctx.params['room']}")
        async for message in ws:
            if isinstance(message, str):
                await ws.send(f"{user}: {message}")

    app.use(session(app)).use(router.routes())
    return app


@contextlib.asynccontextmanager
async def websockets_on(app: Koa[Any], server: str) -> AsyncIterator[str]:
    if server == "aiohttp":
        running = await app.serve()
        try:
            yield running.url.replace("http://", "ws://")
        finally:
            await running.close()
        return

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await serve_websocket(app, scope, receive, send)

    async with serve_asgi(asgi, "uvicorn" if server == "uvicorn" else "hypercorn") as url:
        yield url.replace("http://", "ws://")


@pytest.mark.parametrize("server", ["aiohttp", "uvicorn", "hypercorn"])
async def test_router_params_and_the_session_reach_the_socket(server: str) -> None:
    app = chat_app()
    async with TestClient(app) as client:  # the login is plain HTTP, on aiohttp
        res = await client.post("/login/ada")
        assert res.status == 204
        cookie = "; ".join(line.split(";", 1)[0] for line in res.headers.getall("Set-Cookie"))
    async with websockets_on(app, server) as url:
        async with connect(url + "/rooms/lobby", additional_headers={"Cookie": cookie}) as ws:
            assert await ws.recv() == "ada joined lobby"
            await ws.send("hello")
            assert await ws.recv() == "ada: hello"
        with pytest.raises(InvalidStatus) as info:
            async with connect(url + "/rooms/lobby"):
                pass
        response = info.value.response
        assert (response.status_code, bytes(response.body or b"")) == (401, b"log in first")
