"""``allowed_methods()``: OPTIONS, 405, 501 and the throw options."""

from __future__ import annotations

from typing import Any

import pytest
from koa.core import Context, HttpError, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def users_router(**options: Any) -> Router:
    router = Router(**options)
    router.get("/users/:id", lambda ctx, next: setattr(ctx, "body", "user"))
    return router


def app_with(router: Router, **options: Any) -> Koa:
    app: Koa = Koa()
    app.use(router.routes()).use(router.allowed_methods(**options))
    return app


async def test_wrong_method_is_405_with_allow() -> None:
    async with TestClient(app_with(users_router())) as client:
        res = await client.delete("/users/1")
        assert res.status == 405
        assert res.headers["Allow"] == "HEAD, GET"
        assert await res.text() == "Method Not Allowed"


async def test_options_lists_the_methods() -> None:
    router = users_router()
    router.post("/users/:id", lambda ctx, next: setattr(ctx, "body", "posted"))
    async with TestClient(app_with(router)) as client:
        res = await client.options("/users/1")
        assert res.status == 200
        assert res.headers["Allow"] == "HEAD, GET, POST"
        assert res.headers["Content-Length"] == "0"
        assert await res.read() == b""
        # OPTIONS on a path no route knows stays 404.
        assert (await client.options("/nothing")).status == 404


async def test_unknown_method_is_501() -> None:
    async with TestClient(app_with(users_router())) as client:
        res = await client.request("PROPFIND", "/users/1")
        assert res.status == 501
        assert res.headers["Allow"] == "HEAD, GET"
        assert await res.text() == "Not Implemented"
        # Koa sends an empty "Allow: " here; we leave the header out.
        res = await client.request("PROPFIND", "/nothing")
        assert res.status == 501
        assert "Allow" not in res.headers


async def test_throw_raises_http_errors() -> None:
    app = app_with(users_router(), throw=True)
    caught: list[tuple[int, str | None]] = []

    async def catch(ctx: Context, next: Next) -> None:
        try:
            await next()
        except HttpError as err:
            caught.append((err.status, (err.headers or {}).get("Allow")))
            ctx.status = err.status
            ctx.body = f"caught {err.status}"

    app.middleware.insert(0, catch)
    async with TestClient(app) as client:
        res = await client.delete("/users/1")
        assert (res.status, await res.text()) == (405, "caught 405")
        res = await client.request("PROPFIND", "/users/1")
        assert (res.status, await res.text()) == (501, "caught 501")
    assert caught == [(405, "HEAD, GET"), (501, None)]


async def test_throw_uses_the_factories() -> None:
    app = app_with(
        users_router(),
        throw=True,
        method_not_allowed=lambda: HttpError(418, "no such method here"),
        not_implemented=lambda: HttpError(400, "what is that"),
    )
    async with TestClient(app) as client:
        res = await client.delete("/users/1")
        assert (res.status, await res.text()) == (418, "no such method here")
        res = await client.request("PROPFIND", "/users/1")
        assert (res.status, await res.text()) == (400, "what is that")


async def test_a_matched_route_that_leaves_404_is_not_a_405() -> None:
    router = Router()
    router.get("/empty", lambda ctx, next: None)
    async with TestClient(app_with(router)) as client:
        res = await client.get("/empty")
        assert res.status == 404
        assert "Allow" not in res.headers


async def test_methods_option_drives_501() -> None:
    router = Router(methods=["GET"])
    router.get("/x", lambda ctx, next: setattr(ctx, "body", "x"))
    router.post("/x", lambda ctx, next: setattr(ctx, "body", "posted"))
    async with TestClient(app_with(router)) as client:
        res = await client.post("/x")
        assert res.status == 200  # the route ran: allowed_methods only fills what is left
        assert (await client.put("/x")).status == 501


async def test_allow_merges_several_routers() -> None:
    a = Router()
    a.get("/shared", lambda ctx, next: setattr(ctx, "body", "a"))
    b = Router()
    b.put("/shared", lambda ctx, next: setattr(ctx, "body", "b"))
    app: Koa = Koa()
    app.use(a.routes()).use(b.routes()).use(a.allowed_methods())
    async with TestClient(app) as client:
        res = await client.delete("/shared")
        assert res.status == 405
        assert res.headers["Allow"] == "HEAD, GET, PUT"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_without_a_router_dispatch_nothing_happens(method: str) -> None:
    router = users_router()
    app: Koa = Koa()
    app.use(router.allowed_methods())
    async with TestClient(app) as client:
        assert (await client.request(method, "/users/1")).status == 404
