"""Nested routers: their own options, parameterised prefixes, param handlers and
``router_path``, as @koa/router 15 runs them."""

from __future__ import annotations

from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router
from router_helpers import app_of, rep, send, trace, with_trace


def param_trace(label: str) -> Any:
    async def handler(value: str, ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trace", []).append(f"{label}:{value}")
        await next()

    return handler


async def test_nested_routers_keep_their_own_options() -> None:
    strict_child = Router(strict=True)
    strict_child.get("/", rep("root"))
    strict_child.get("/k", rep("k"))
    sensitive_child = Router(sensitive=True)
    sensitive_child.get("/K", rep("K"))
    parent = Router(prefix="/p")
    parent.use("/c", strict_child.routes())
    parent.use("/s", sensitive_child.routes())
    async with TestClient(app_of(parent)) as client:
        assert (await send(client, "GET", "/p/c")).status == 404
        assert (await send(client, "GET", "/p/c/")).json()["route"] == "/p/c/"
        assert (await send(client, "GET", "/p/c/k/")).status == 404
        assert (await send(client, "GET", "/p/s/k")).status == 404
        # The parent's prefix is matched with the child's sensitivity.
        assert (await send(client, "GET", "/p/S/K")).status == 404


async def test_parameterised_prefixes_on_parent_and_child() -> None:
    child = Router(prefix="/c/:cid")
    child.get("/r/:rid", rep("r"))
    parent = Router(prefix="/p/:pid")
    parent.use(child.routes())
    async with TestClient(app_of(parent)) as client:
        answer = await send(client, "GET", "/p/%31/c/%32/r/%2F")
        assert answer.json() == {
            "tag": "r",
            "params": {"pid": "1", "cid": "2", "rid": "/"},
            "route": "/p/:pid/c/:cid/r/:rid",
        }


async def test_param_handlers_of_child_and_parent_and_use_paths() -> None:
    child = Router()
    child.param("id", param_trace("child-id"))
    child.get("/:id", with_trace("c"))
    parent = Router(prefix="/t/:tenant")
    parent.param("tenant", param_trace("tenant"))
    parent.param("id", param_trace("parent-id"))
    parent.use("/u", child.routes())
    other = Router()
    other.param("org", param_trace("org"))
    other.use("/o/:org", trace("use-org"))
    other.get("/o/:org/x", with_trace("x"))
    async with TestClient(app_of(parent, other)) as client:
        answer = (await send(client, "GET", "/t/a%20b/u/%41")).json()
        assert answer["params"] == {"tenant": "a b", "id": "A"}
        # URL order; for one name the child's own handler comes before the inherited one.
        assert answer["trace"] == ["tenant:a b", "child-id:A", "parent-id:A"]
        answer = (await send(client, "GET", "/o/acme/x")).json()
        assert answer["trace"] == ["org:acme", "use-org"]


async def test_router_path_option_wins_over_new_router_path() -> None:
    fixed = Router(router_path="/fixed")
    fixed.get("/fixed", rep("fixed"))

    async def rewrite(ctx: Context, next: Next) -> None:
        ctx.new_router_path = "/virt/7"
        await next()

    app: Koa = Koa()
    app.use(rewrite).use(fixed.routes()).use(fixed.allowed_methods())
    async with TestClient(app) as client:
        assert (await send(client, "GET", "/anything")).json()["tag"] == "fixed"
        answer = await send(client, "POST", "/anything")
        assert (answer.status, answer.headers["allow"]) == (405, "HEAD, GET")
