"""Koa's matching semantics: every matching layer runs in registration order with merged
params, exclusive modes, and an index that agrees with a scan of every layer."""

from __future__ import annotations

import random
import re
from typing import Any

from koa.core import Context, Koa, Middleware, Next
from koa.core.testing import TestClient
from koa.router import Router


def app_with(router: Router) -> Koa:
    app: Koa = Koa()
    app.use(router.routes()).use(router.allowed_methods())
    return app


async def test_all_matching_routes_run_in_order_with_merged_params() -> None:
    router = Router()

    async def by_id(ctx: Context, next: Next) -> None:
        ctx.state["order"] = ["id"]
        await next()

    async def by_name(ctx: Context, next: Next) -> None:
        ctx.state["order"].append("name")
        ctx.body = {"order": ctx.state["order"], "params": ctx.params}

    router.get("/users/:id", by_id)
    router.get("/users/:name", by_name)
    async with TestClient(app_with(router)) as client:
        res = await client.get("/users/42")
        assert await res.json() == {
            "order": ["id", "name"],
            "params": {"id": "42", "name": "42"},
        }


async def test_a_route_that_does_not_call_next_stops_the_chain() -> None:
    router = Router()
    router.get("/a/:x", lambda ctx, next: setattr(ctx, "body", "first"))
    router.get("/a/:y", lambda ctx, next: setattr(ctx, "body", "second"))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/a/1")).text() == "first"


async def test_static_and_param_routes_merge_in_registration_order() -> None:
    router = Router()
    seen: list[str] = []

    def record(label: str) -> Middleware[Any]:
        async def mw(ctx: Context, next: Next) -> None:
            seen.append(label)
            ctx.body = seen
            await next()

        return mw

    router.get("/s/:id", record("param"))
    router.get(re.compile(r"^/s/sp"), record("regex"))
    router.get("/s/special", record("static"))
    router.get("/s/:a-:b", record("mid-segment"))
    router.get("/s/*rest", record("wildcard"))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/s/special")).json() == [
            "param",
            "regex",
            "static",
            "wildcard",
        ]
        seen.clear()
        assert await (await client.get("/s/x-y")).json() == ["param", "mid-segment", "wildcard"]


async def test_exclusive_runs_only_the_last_registered() -> None:
    router = Router(exclusive=True)
    router.get("/users/:id", lambda ctx, next: setattr(ctx, "body", "first"))
    router.get("/users/:name", lambda ctx, next: setattr(ctx, "body", "last"))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/users/1")).text() == "last"


async def test_exclusive_keeps_use_middleware() -> None:
    router = Router(exclusive=True)

    async def stamp(ctx: Context, next: Next) -> None:
        ctx.set("X-Use", "ran")
        await next()

    router.use(stamp)
    router.get("/users/:id", lambda ctx, next: setattr(ctx, "body", "first"))
    router.get("/users/:name", lambda ctx, next: setattr(ctx, "body", "last"))
    async with TestClient(app_with(router)) as client:
        res = await client.get("/users/1")
        assert (await res.text(), res.headers["X-Use"]) == ("last", "ran")


async def test_exclusive_specificity_picks_the_fewest_params() -> None:
    router = Router(exclusive="specificity")
    router.get("/s/:id", lambda ctx, next: setattr(ctx, "body", f"param {ctx.params}"))
    router.get("/s/special", lambda ctx, next: setattr(ctx, "body", "special"))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/s/special")).text() == "special"
        assert await (await client.get("/s/other")).text() == "param {'id': 'other'}"


async def test_matched_route_names_the_route_that_runs() -> None:
    router = Router()

    async def outer(ctx: Context, next: Next) -> None:
        await next()
        ctx.body = {"route": ctx.matched_route, "name": ctx.matched_route_name}

    router.use(outer)
    router.get("item", "/items/:id", lambda ctx, next: None)
    router.get("/plain/:id", lambda ctx, next: None)
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/items/1")).json() == {
            "route": "/items/:id",
            "name": "item",
        }
        assert await (await client.get("/plain/1")).json() == {
            "route": "/plain/:id",
            "name": None,
        }


def test_the_index_agrees_with_a_scan_of_every_layer() -> None:
    """Thousands of routes of every kind: ``router.match`` (the index) must return exactly
    the layers a linear regex scan returns, in the same order."""
    rng = random.Random(7)
    router = Router()
    words = ["a", "b", "users", "files", "x1", "Mixed"]

    def noop(ctx: Context, next: Next) -> None:
        return None

    kinds = [
        lambda: f"/{rng.choice(words)}/:id",
        lambda: f"/{rng.choice(words)}/{rng.choice(words)}",
        lambda: f"/{rng.choice(words)}/:id/{rng.choice(words)}",
        lambda: f"/{rng.choice(words)}{{/:opt}}",
        lambda: f"/{rng.choice(words)}/*rest",
        lambda: f"/{rng.choice(words)}/:a-:b",
        lambda: f"/{rng.choice(words)}/:n(\\d+)",
        lambda: f"/:p/{rng.choice(words)}",
    ]
    for _ in range(2000):
        path = rng.choice(kinds)()
        if rng.random() < 0.1:
            router.use(path, noop)
        else:
            router.get(path, noop)
    router.get(re.compile(r"^/a/(?P<n>\d+)$"), noop)
    segments = [*words, "USERS", "12", "1-2", "", "x%20y"]
    for _ in range(500):
        path = "/" + "/".join(rng.choice(segments) for _ in range(rng.randint(0, 4)))
        expected = [layer for layer in router.stack if layer.match(path)]
        assert router.match(path, "GET").path == expected, path


async def test_a_thousand_routes_and_static_ones() -> None:
    router = Router()

    def reply(label: str) -> Middleware[Any]:
        def handler(ctx: Context, next: Next) -> None:
            ctx.body = f"{label}:{ctx.params}" if ctx.params else label

        return handler

    for name in ("/", "/health", "/about"):
        router.get(name, reply(f"static {name}"))
    for i in range(1000):
        router.get(f"/r{i}/:id", reply(str(i)))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/r0/7")).text() == "0:{'id': '7'}"
        assert await (await client.get("/r999/8")).text() == "999:{'id': '8'}"
        assert await (await client.get("/R500/x%20y/")).text() == "500:{'id': 'x y'}"
        assert await (await client.get("/health")).text() == "static /health"
        assert await (await client.get("/")).text() == "static /"
        assert (await client.get("/r1000/1")).status == 404
        assert (await client.get("/r1")).status == 404
        res = await client.post("/r3/1")
        assert (res.status, res.headers["Allow"]) == (405, "HEAD, GET")
