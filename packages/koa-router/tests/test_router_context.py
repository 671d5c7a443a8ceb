"""Host filtering, the not-found event, ``ctx.new_router_path`` and the route fields of the
context."""

from __future__ import annotations

import re

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router, RouterEvents


async def test_route_fields() -> None:
    router = Router()

    async def show(ctx: Context, next: Next) -> None:
        ctx.body = {
            "route": ctx.matched_route,
            "name": ctx.matched_route_name,
            "router_name": ctx.router_name,
            "is_router": ctx.router is router,
            "route_matched": ctx.route_matched,
        }

    router.get("user", "/users/:id", show)
    router.get("/anon/:id", show)
    app: Koa = Koa()
    app.use(router.routes())
    async with TestClient(app) as client:
        assert await (await client.get("/users/1")).json() == {
            "route": "/users/:id",
            "name": "user",
            "router_name": "user",
            "is_router": True,
            "route_matched": True,
        }
        assert (await (await client.get("/anon/1")).json())["name"] is None


async def test_host_option() -> None:
    one = Router(host="a.example.com")
    one.get("/", lambda ctx, next: setattr(ctx, "body", "one"))
    many = Router(host=["b.example.com", "c.example.com"])
    many.get("/", lambda ctx, next: setattr(ctx, "body", "many"))
    pattern = Router(host=re.compile(r"^api\.[a-z]+\.test$"))
    pattern.get("/", lambda ctx, next: setattr(ctx, "body", "pattern"))
    app: Koa = Koa()
    app.use(one.routes()).use(many.routes()).use(pattern.routes())
    async with TestClient(app) as client:

        async def answer(host: str) -> str | int:
            res = await client.get("/", headers={"Host": host})
            return await res.text() if res.status == 200 else res.status

        # The port does not matter (Koa compares the host with its port).
        assert await answer("a.example.com") == "one"
        assert await answer("A.example.com:8080") == "one"
        assert await answer("c.example.com") == "many"
        assert await answer("api.x.test") == "pattern"
        assert await answer("api.x.test:3000") == "pattern"
        assert await answer("z.example.com") == 404


async def test_not_found_event() -> None:
    router = Router()
    router.get("/known", lambda ctx, next: setattr(ctx, "body", "known"))

    async def not_found(ctx: Context, next: Next) -> None:
        ctx.status = 404
        ctx.body = {"missing": ctx.path, "route_matched": ctx.route_matched}

    router.on(RouterEvents.NOT_FOUND, not_found)
    app: Koa = Koa()
    app.use(router.routes())
    async with TestClient(app) as client:
        assert await (await client.get("/known")).text() == "known"
        res = await client.get("/nope")
        assert res.status == 404
        assert await res.json() == {"missing": "/nope", "route_matched": False}


async def test_new_router_path_overrides_the_path() -> None:
    router = Router()
    router.get("/app/users", lambda ctx, next: setattr(ctx, "body", f"users via {ctx.path}"))
    app: Koa = Koa()

    async def rewrite(ctx: Context, next: Next) -> None:
        if ctx.path == "/legacy":
            ctx.new_router_path = "/app/users"
        await next()

    app.use(rewrite).use(router.routes())
    async with TestClient(app) as client:
        assert await (await client.get("/legacy")).text() == "users via /legacy"
        assert await (await client.get("/app/users")).text() == "users via /app/users"


async def test_router_path_option() -> None:
    router = Router(router_path="/fixed")
    router.get("/fixed", lambda ctx, next: setattr(ctx, "body", "fixed"))
    app: Koa = Koa()
    app.use(router.routes())
    async with TestClient(app) as client:
        assert await (await client.get("/anything")).text() == "fixed"


async def test_matched_lists_every_layer_on_the_path_across_routers() -> None:
    first = Router()
    first.get("/thing", lambda ctx, next: next())
    first.post("/thing", lambda ctx, next: None)
    second = Router()

    async def report(ctx: Context, next: Next) -> None:
        layers = ctx.matched  # type: ignore[attr-defined]
        ctx.body = [f"{','.join(layer.methods)} {layer.path}" for layer in layers]

    second.get("/thing", report)
    app: Koa = Koa()
    app.use(first.routes()).use(second.routes())
    async with TestClient(app) as client:
        assert await (await client.get("/thing")).json() == [
            "HEAD,GET /thing",
            "POST /thing",
            "HEAD,GET /thing",
        ]


def test_match_reports_path_and_method_layers() -> None:
    router = Router()
    router.use("/a", lambda ctx, next: next())
    router.get("/a/:id", lambda ctx, next: None)
    router.post("/a/:id", lambda ctx, next: None)
    found = router.match("/a/1", "POST")
    assert [layer.methods for layer in found.path] == [(), ("HEAD", "GET"), ("POST",)]
    assert [layer.methods for layer in found.path_and_method] == [(), ("POST",)]
    assert found.route is True
    assert router.match("/a", "GET").route is False


async def test_params_merge_across_routers_and_are_per_request() -> None:
    first = Router()
    first.get("/o/:org/u/:user", lambda ctx, next: next())
    second = Router()

    def show(ctx: Context, next: Next) -> None:
        ctx.body = {"params": ctx.params, "captures": ctx.captures, "route": ctx.matched_route}

    second.get("/o/:o2/u/:u2", show)
    app: Koa = Koa()
    app.use(first.routes()).use(second.routes())
    async with TestClient(app) as client:
        assert await (await client.get("/o/a%20b/u/7")).json() == {
            "params": {"org": "a b", "user": "7", "o2": "a b", "u2": "7"},
            "captures": ["a%20b", "7"],
            "route": "/o/:o2/u/:u2",
        }
        assert await (await client.get("/o/x/u/y")).json() == {
            "params": {"org": "x", "user": "y", "o2": "x", "u2": "y"},
            "captures": ["x", "y"],
            "route": "/o/:o2/u/:u2",
        }
