"""koa-router inside koa-mount: routes see the path below the mount."""

from __future__ import annotations

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount
from koa.router import Router


def users_app() -> Koa:
    router = Router()

    @router.get("/users/:id", name="user")
    async def show(ctx: Context, next: Next) -> None:
        ctx.body = {
            "id": ctx.params["id"],
            "path": ctx.path,
            "mount_path": ctx.mount_path,
            "route": ctx.matched_route,
            "url": router.url("user", ctx.params["id"]),
        }

    @router.post("/users")
    async def create(ctx: Context, next: Next) -> None:
        ctx.status = 201

    app = Koa()
    app.use(router.routes()).use(router.allowed_methods())
    return app


async def test_a_route_matches_the_path_below_the_mount() -> None:
    app = Koa().use(mount("/api", users_app()))
    async with TestClient(app) as client:
        res = await client.get("/api/users/42")
        assert res.status == 200
        assert await res.json() == {
            "id": "42",
            "path": "/users/42",
            "mount_path": "/api",
            "route": "/users/:id",
            "url": "/users/42",
        }


async def test_routes_do_not_match_outside_their_mount() -> None:
    app = Koa().use(mount("/api", users_app()))
    async with TestClient(app) as client:
        for path in ("/users/42", "/apix/users/42", "/API/users/42"):
            res = await client.get(path)
            assert (res.status, await res.text()) == (404, "Not Found"), path


async def test_allowed_methods_work_inside_the_mount() -> None:
    app = Koa().use(mount("/api", users_app()))
    async with TestClient(app) as client:
        res = await client.delete("/api/users/1")
        assert res.status == 405
        assert res.headers["Allow"] == "HEAD, GET"
        res = await client.options("/api/users")
        assert (res.status, res.headers["Allow"]) == (200, "POST")
        res = await client.post("/api/users")
        assert res.status == 201


async def test_nested_mounts_and_a_router_prefix_compose() -> None:
    router = Router(prefix="/v1")

    @router.get("/items/:name")
    async def item(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.mount_path} {ctx.path} {ctx.params['name']}"

    inner = Koa().use(router.routes())
    app = Koa().use(mount("/a", mount("/b/", inner)))
    async with TestClient(app) as client:
        res = await client.get("/a/b/v1/items/caf%C3%A9")
        assert (res.status, await res.text()) == (200, "/a/b /v1/items/caf%C3%A9 café")
        assert (await client.get("/a/b")).status == 404


async def test_the_path_is_restored_for_middleware_after_the_mount() -> None:
    seen: list[tuple[str, str | None]] = []

    async def outer(ctx: Context, next: Next) -> None:
        await next()
        seen.append((ctx.path, ctx.mount_path))

    async def fallback(ctx: Context, next: Next) -> None:
        seen.append((ctx.path, ctx.mount_path))
        ctx.body = "fallback"

    app = Koa().use(outer).use(mount("/api", users_app())).use(fallback)
    async with TestClient(app) as client:
        # No route matches /api/other: the mounted router calls next(), which leaves the mount.
        res = await client.get("/api/other")
        assert await res.text() == "fallback"
        await client.get("/api/users/1")
    assert seen == [("/api/other", None), ("/api/other", None), ("/api/users/1", None)]


async def test_a_router_can_mount_an_app_for_one_route_prefix() -> None:
    router = Router()

    @router.get("/")
    async def home(ctx: Context, next: Next) -> None:
        ctx.body = "home"

    app = Koa()
    app.use(router.routes())
    app.use(mount("/admin", users_app()))
    async with TestClient(app) as client:
        assert await (await client.get("/")).text() == "home"
        assert (await (await client.get("/admin/users/7")).json())["id"] == "7"
