"""``router.param()``: before the route, once per request, in URL order, for later routes and
nested routers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router

USERS = {"1": "ada", "2": "grace"}


def app_with(router: Router) -> Koa:
    app: Koa = Koa()
    app.use(router.routes())
    return app


async def test_param_runs_before_the_route_and_can_throw() -> None:
    router = Router()

    @router.param("user")
    async def load(value: str, ctx: Context, next: Next) -> None:
        ctx.state["user"] = USERS.get(value)
        if ctx.state["user"] is None:
            ctx.throw(404, "no such user")
        await next()

    router.get("/users/:user", lambda ctx, next: setattr(ctx, "body", ctx.state["user"]))
    async with TestClient(app_with(router)) as client:
        res = await client.get("/users/1")
        assert (res.status, await res.text()) == (200, "ada")
        res = await client.get("/users/9")
        assert (res.status, await res.text()) == (404, "no such user")


async def test_url_order_once_per_request_and_later_routes() -> None:
    router = Router()
    calls: list[str] = []

    def track(label: str) -> Callable[[str, Context, Next], Awaitable[None]]:
        def handler(value: str, ctx: Context, next: Next) -> Awaitable[None]:
            calls.append(f"{label}={value}")
            return next()

        return handler

    # Registered in the opposite order of the URL, before the routes exist.
    router.param("post", track("post"))
    router.param("user", track("user"))

    async def first(ctx: Context, next: Next) -> None:
        calls.append("first")
        await next()

    router.get("/users/:user/posts/:post", first)
    router.get("/users/:user/posts/:post", lambda ctx, next: setattr(ctx, "body", ",".join(calls)))
    async with TestClient(app_with(router)) as client:
        res = await client.get("/users/1/posts/7")
        assert await res.text() == "user=1,post=7,first"


async def test_param_handlers_reach_nested_routers() -> None:
    calls: list[str] = []
    child = Router()
    child.get("/items/:id", lambda ctx, next: setattr(ctx, "body", ",".join(calls)))
    parent = Router(prefix="/t/:tenant")
    parent.use("/c", child.routes())

    def tenant(value: str, ctx: Context, next: Next) -> Awaitable[None]:
        calls.append(f"tenant={value}")
        return next()

    def item(value: str, ctx: Context, next: Next) -> Awaitable[None]:
        calls.append(f"item={value}")
        return next()

    # Added after the mount: still applies.
    parent.param("id", item)
    parent.param("tenant", tenant)
    async with TestClient(app_with(parent)) as client:
        res = await client.get("/t/acme/c/items/9")
        assert await res.text() == "tenant=acme,item=9"


async def test_several_handlers_for_one_name_run_in_registration_order() -> None:
    router = Router()
    calls: list[str] = []

    def one(value: str, ctx: Context, next: Next) -> Awaitable[None]:
        calls.append("one")
        return next()

    def two(value: str, ctx: Context, next: Next) -> Awaitable[None]:
        calls.append("two")
        return next()

    router.param("id", one).param("id", two)
    router.get("/x/:id", lambda ctx, next: setattr(ctx, "body", ",".join(calls)))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/x/1")).text() == "one,two"
