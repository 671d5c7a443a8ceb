"""``strict`` and ``sensitive``: trailing slashes and case as @koa/router 15 matches them."""

from __future__ import annotations

import json
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def rep(tag: str) -> Any:
    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "params": ctx.params, "route": ctx.matched_route}

    return handler


def trace(label: str) -> Any:
    async def mw(ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trace", []).append(label)
        await next()

    return mw


def with_trace(tag: str) -> Any:
    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "params": ctx.params, "trace": ctx.state.get("trace", [])}

    return handler


class Answer:
    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0][9:12])
        self.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}

    def json(self) -> Any:
        return json.loads(self.body)


async def send(client: TestClient, method: str, target: str) -> Answer:
    raw = await client.raw(
        f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    return Answer(raw)


def app_of(*routers: Router) -> Koa:
    app: Koa = Koa()
    for router in routers:
        app.use(router.routes()).use(router.allowed_methods())
    return app


async def test_strict_trailing_slashes_and_case() -> None:
    router = Router(strict=True)
    router.get("/y/", rep("y/"))
    router.get("/x", rep("x"))
    router.get("/opt{/:id}", rep("opt"))
    router.get("/w/*path", rep("w"))
    async with TestClient(app_of(router)) as client:
        assert (await send(client, "GET", "/y")).status == 404
        assert (await send(client, "GET", "/y/")).json()["tag"] == "y/"
        assert (await send(client, "GET", "/opt/1/")).status == 404
        # The wildcard takes the trailing slash; strict does not make matching case-sensitive.
        assert (await send(client, "GET", "/w/a/")).json()["params"] == {"path": "a/"}
        assert (await send(client, "GET", "/X")).json()["tag"] == "x"


async def test_a_route_with_a_trailing_slash_when_not_strict() -> None:
    router = Router()
    router.get("/t/", rep("t/"))
    router.use("/admin/", trace("admin/"))
    router.get("/admin/", with_trace("admin/"))
    router.get("/admin/x", with_trace("admin/x"))
    async with TestClient(app_of(router)) as client:
        assert (await send(client, "GET", "/t")).status == 404
        assert (await send(client, "GET", "/t//")).json()["tag"] == "t/"
        # use("/admin/") covers "/admin/" itself, not the paths below it.
        assert (await send(client, "GET", "/admin//")).json()["trace"] == ["admin/"]
        assert (await send(client, "GET", "/admin/x")).json()["trace"] == []


async def test_sensitive_keeps_the_trailing_slash_optional() -> None:
    router = Router(sensitive=True)
    router.get("/Cap/:Id", rep("cap"))
    router.get("/w/*Rest", rep("w"))
    async with TestClient(app_of(router)) as client:
        assert (await send(client, "GET", "/Cap/x/")).json()["params"] == {"Id": "x"}
        assert (await send(client, "GET", "/W/a")).status == 404
