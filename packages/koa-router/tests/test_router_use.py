"""``router.use``, nested routers and prefixes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Middleware, Next
from koa.core.testing import TestClient
from koa.router import Router


def mark(label: str) -> Middleware[Any]:
    async def mw(ctx: Context, next: Next) -> None:
        ctx.state.setdefault("seen", []).append(label)
        await next()

    return mw


def body_of_seen(ctx: Context, next: Next) -> None:
    ctx.body = {"seen": ctx.state.get("seen", []), "params": ctx.params}


def app_with(router: Router) -> Koa:
    app: Koa = Koa()
    app.use(router.routes())
    return app


async def test_use_runs_only_when_a_route_matched() -> None:
    router = Router()
    router.use(mark("use"))
    router.get("/x", body_of_seen)
    app = app_with(router)

    async def fallback(ctx: Context, next: Next) -> None:
        ctx.body = {"fallback": ctx.state.get("seen", [])}

    app.use(fallback)
    async with TestClient(app) as client:
        assert await (await client.get("/x")).json() == {"seen": ["use"], "params": {}}
        assert await (await client.get("/y")).json() == {"fallback": []}


async def test_use_with_a_path_is_a_segment_boundary_prefix() -> None:
    router = Router()
    router.use("/admin", mark("admin"))
    router.get("/admin/:id", body_of_seen)
    router.get("/adminx", body_of_seen)
    router.get("/admin", body_of_seen)
    async with TestClient(app_with(router)) as client:
        assert (await (await client.get("/admin/5")).json())["seen"] == ["admin"]
        assert (await (await client.get("/admin")).json())["seen"] == ["admin"]
        assert (await (await client.get("/adminx")).json())["seen"] == []


async def test_use_with_a_list_of_paths_and_a_pattern() -> None:
    router = Router()
    router.use(["/a", "/b"], mark("ab"))
    router.use(re.compile(r"^/api/"), mark("api"))
    router.get("/a", body_of_seen)
    router.get("/b", body_of_seen)
    router.get("/c", body_of_seen)
    router.get("/api/v", body_of_seen)
    async with TestClient(app_with(router)) as client:
        assert (await (await client.get("/a")).json())["seen"] == ["ab"]
        assert (await (await client.get("/b")).json())["seen"] == ["ab"]
        assert (await (await client.get("/c")).json())["seen"] == []
        assert (await (await client.get("/api/v")).json())["seen"] == ["api"]


async def test_use_root_path_is_the_root_only() -> None:
    router = Router()
    router.use("/", mark("root"))
    router.get("/", body_of_seen)
    router.get("/x", body_of_seen)
    async with TestClient(app_with(router)) as client:
        assert (await (await client.get("/")).json())["seen"] == ["root"]
        assert (await (await client.get("/x")).json())["seen"] == []


async def test_nested_router() -> None:
    child = Router()
    child.use(mark("child"))

    async def item(ctx: Context, next: Next) -> None:
        ctx.body = {
            "seen": ctx.state["seen"],
            "params": ctx.params,
            "router_path": ctx.router_path,
            "route": ctx.matched_route,
        }

    child.get("/items/:id", item)
    parent = Router()
    parent.use(mark("parent"))
    parent.use("/c", child.routes())
    async with TestClient(app_with(parent)) as client:
        assert await (await client.get("/c/items/9")).json() == {
            "seen": ["parent", "child"],
            "params": {"id": "9"},
            "router_path": "/c/items/:id",
            "route": "/c/items/:id",
        }
        assert (await client.get("/items/9")).status == 404


async def test_nested_router_middleware_stays_under_its_prefix() -> None:
    # koajs/router#90: a nested router's use() must not run for the parent's other routes.
    child = Router()
    child.use(mark("child"))
    child.get("/list", body_of_seen)
    parent = Router()
    parent.use("/c", child)
    parent.get("/other", body_of_seen)
    async with TestClient(app_with(parent)) as client:
        assert (await (await client.get("/other")).json())["seen"] == []
        assert (await (await client.get("/c/list")).json())["seen"] == ["child"]


async def test_routes_added_to_a_child_after_mounting_are_seen() -> None:
    child = Router()
    parent = Router()
    parent.use("/c", child)
    app = app_with(parent)
    child.get("/late", lambda ctx, next: setattr(ctx, "body", "late"))
    async with TestClient(app) as client:
        assert await (await client.get("/c/late")).text() == "late"


async def test_parameterised_prefix_reaches_use_and_routes() -> None:
    # @koa/router 15 throws a PathError for the nested use() under "/t/:tenant".
    child = Router()
    child.use(mark("child"))
    child.get("/items/:id", body_of_seen)
    router = Router(prefix="/t/:tenant")

    async def tenant_use(ctx: Context, next: Next) -> None:
        ctx.state.setdefault("seen", []).append(f"use:{ctx.params.get('tenant')}")
        await next()

    router.use(tenant_use)
    router.get("/home", body_of_seen)
    router.use("/c", child.routes())
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/t/acme/home")).json() == {
            "seen": ["use:acme"],
            "params": {"tenant": "acme"},
        }
        assert await (await client.get("/t/acme/c/items/3")).json() == {
            "seen": ["use:acme", "child"],
            "params": {"tenant": "acme", "id": "3"},
        }


async def test_prefix_replaces_and_drops_the_trailing_slash() -> None:
    router = Router(prefix="/p/")
    router.get("/y", lambda ctx, next: setattr(ctx, "body", "y"))
    router.get("/", lambda ctx, next: setattr(ctx, "body", "root"))
    app = app_with(router)
    async with TestClient(app) as client:
        assert await (await client.get("/p/y")).text() == "y"
        assert await (await client.get("/p")).text() == "root"
        assert await (await client.get("/p/")).text() == "root"
        router.prefix("/api/")
        router.prefix("/v2")
        assert await (await client.get("/v2/y")).text() == "y"
        assert (await client.get("/api/y")).status == 404
        assert (await client.get("/api/v2/y")).status == 404


async def test_strict_prefix_root() -> None:
    router = Router(prefix="/api", strict=True)
    router.get("/", lambda ctx, next: setattr(ctx, "body", "root"))
    async with TestClient(app_with(router)) as client:
        assert (await client.get("/api")).status == 404
        assert (await client.get("/api/")).status == 200


def test_nesting_a_router_in_itself_is_refused() -> None:
    a = Router()
    b = Router()
    a.use("/b", b)
    with pytest.raises(ValueError, match="nested inside itself"):
        b.use("/a", a)
