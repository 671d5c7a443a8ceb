"""Prefixes, ``use`` paths and mount paths, and the param handlers of nested routers, as
@koa/router 15 treats them."""

from __future__ import annotations

from typing import Any

from koa.core import Context, Next
from koa.core.testing import TestClient
from koa.router import Router
from router_helpers import app_of, trace


def rep(tag: str) -> Any:
    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "route": ctx.matched_route, "trace": ctx.state.get("trace", [])}

    return handler


async def test_use_middleware_is_as_case_insensitive_as_the_routes() -> None:
    # Koa runs the route for /API/x but skips use(): a case change bypassed the middleware.
    child = Router()
    child.use(trace("child-use"))
    child.get("/items/:id", rep("item"))
    api = Router(prefix="/api")
    api.use(trace("api-use"))
    api.get("/x", rep("x"))
    api.use("/c", child.routes())
    async with TestClient(app_of(api)) as client:
        res = await client.get("/API/x")
        assert await res.json() == {"tag": "x", "route": "/api/x", "trace": ["api-use"]}
        res = await client.get("/API/C/items/1")
        assert (await res.json())["trace"] == ["api-use", "child-use"]


async def test_mount_path_and_root_prefix_drop_the_trailing_slash() -> None:
    # Koa serves these at /m/, /m//k and //pp.
    child = Router()
    child.get("/", rep("child-root"))
    child.get("/k", rep("k"))
    parent = Router()
    parent.use("/m/", child.routes())
    root = Router(prefix="/")
    root.get("/pp", rep("pp"))
    at_root = Router()
    at_root.get("/r", rep("r"))
    holder = Router()
    holder.use("/", at_root.routes())
    async with TestClient(app_of(parent, root, holder)) as client:
        assert (await (await client.get("/m")).json())["tag"] == "child-root"
        assert (await (await client.get("/m/")).json())["tag"] == "child-root"
        assert (await (await client.get("/m/k")).json())["route"] == "/m/k"
        assert (await client.get("/m//k")).status == 404
        assert (await (await client.get("/pp")).json())["route"] == "/pp"
        assert (await (await client.get("/r")).json())["route"] == "/r"


async def test_an_empty_route_path_is_the_prefix() -> None:
    # Koa 15.7 answers every request through such a router with a 500.
    bare = Router()
    bare.get("", rep("bare"))
    bare.get("/a", rep("a"))
    api = Router(prefix="/api")
    api.get("", rep("api"))
    async with TestClient(app_of(bare, api)) as client:
        assert (await (await client.get("/")).json())["tag"] == "bare"
        assert (await (await client.get("/a")).json())["tag"] == "a"
        assert (await (await client.get("/api")).json())["tag"] == "api"
        assert (await client.get("/api/x")).status == 404


async def test_prefix_changed_later_keeps_use_middleware() -> None:
    # Koa re-prefixes a path-less use() layer of Router(prefix="/a") to "/b/a" on
    # prefix("/b"), so the middleware silently stops running under the new prefix.
    router = Router(prefix="/a")
    router.use(trace("guard"))
    router.get("/x", rep("x"))
    router.prefix("/b")
    async with TestClient(app_of(router)) as client:
        res = await client.get("/b/x")
        assert await res.json() == {"tag": "x", "route": "/b/x", "trace": ["guard"]}
        assert (await client.get("/a/x")).status == 404


async def test_a_nested_routers_param_handler_sees_its_mount_path_params() -> None:
    # Found by a randomized comparison: Koa never runs orgs' handler for ":org", which only
    # the mount path declares.
    async def load_org(value: str, ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trace", []).append(f"org:{value}")
        await next()

    orgs = Router()
    orgs.param("org", load_org)
    orgs.get("/repos", rep("repos"))
    api = Router()
    api.use("/orgs/:org", orgs.routes())
    async with TestClient(app_of(api)) as client:
        res = await client.get("/orgs/acme/repos")
        assert await res.json() == {
            "tag": "repos",
            "route": "/orgs/:org/repos",
            "trace": ["org:acme"],
        }
