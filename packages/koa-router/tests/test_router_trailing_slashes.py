"""``strict`` and ``sensitive``: trailing slashes and case as @koa/router 15 matches them."""

from __future__ import annotations

from koa.core.testing import TestClient
from koa.router import Router
from router_helpers import app_of, rep, send, trace, with_trace


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
