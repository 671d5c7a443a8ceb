"""Nested mounts, and ``ctx.path`` / ``ctx.mount_path`` on the way back out (errors included)."""

from __future__ import annotations

from koa.core import Context, HttpError, Koa, Middleware, Next
from koa.core.testing import TestClient
from koa.mount import mount


def snapshot(ctx: Context) -> str:
    return f"{ctx.path}|{ctx.mount_path}"


async def test_upstream_sees_the_full_path_before_and_after_the_mount() -> None:
    app = Koa()
    seen: list[str] = []

    async def record(ctx: Context, next: Next) -> None:
        seen.append(snapshot(ctx))
        await next()
        seen.append(snapshot(ctx))

    async def inner(ctx: Context, next: Next) -> None:
        seen.append(snapshot(ctx))
        ctx.body = "ok"

    app.use(record).use(mount("/foo", inner))
    async with TestClient(app) as client:
        res = await client.get("/foo")
        assert await res.text() == "ok"
    assert seen == ["/foo|None", "/|/foo", "/foo|None"]


async def test_nested_mounts_compose_the_full_mount_path() -> None:
    app = Koa()

    async def show(ctx: Context, next: Next) -> None:
        ctx.body = snapshot(ctx)

    app.use(mount("/a", mount("/b/", mount("/c", show))))
    async with TestClient(app) as client:
        assert await (await client.get("/a/b/c/d")).text() == "/d|/a/b/c"
        assert await (await client.get("/a/b/c")).text() == "/|/a/b/c"
        assert (await client.get("/a/b/x")).status == 404
        assert (await client.get("/a/b")).status == 404


async def test_apps_mounted_in_apps_cascade() -> None:
    # koa-mount's "should cascade properly", including the mounts added after mounting.
    app, a, b, c = Koa(), Koa(), Koa(), Koa()

    async def foo(ctx: Context, next: Next) -> None:
        await next()
        if not ctx.body:
            ctx.body = "foo"

    async def bar(ctx: Context, next: Next) -> None:
        await next()
        if not ctx.body:
            ctx.body = "bar"

    async def baz(ctx: Context, next: Next) -> None:
        await next()
        ctx.body = f"baz {snapshot(ctx)}"

    a.use(foo)
    b.use(bar)
    c.use(baz)
    app.use(mount("/foo", a))
    a.use(mount("/bar", b))
    b.use(mount("/baz", c))
    async with TestClient(app) as client:
        assert await (await client.get("/foo/bar/baz")).text() == "baz /|/foo/bar/baz"
        assert await (await client.get("/foo/bar")).text() == "bar"
        assert await (await client.get("/foo")).text() == "foo"
        assert (await client.get("/")).status == 404


async def test_parent_downstream_runs_with_the_parent_path() -> None:
    app = Koa()
    seen: list[str] = []

    async def passthrough(ctx: Context, next: Next) -> None:
        seen.append("inner " + snapshot(ctx))
        await next()
        seen.append("inner after " + snapshot(ctx))

    async def downstream(ctx: Context, next: Next) -> None:
        seen.append("downstream " + snapshot(ctx))
        ctx.body = "from downstream"

    app.use(mount("/api", mount("/v1", passthrough))).use(downstream)
    async with TestClient(app) as client:
        res = await client.get("/api/v1/users?x=1")
        assert await res.text() == "from downstream"
    assert seen == [
        "inner /users|/api/v1",
        "downstream /api/v1/users|None",
        "inner after /users|/api/v1",
    ]


async def test_sibling_mounts_each_see_their_own_prefix() -> None:
    app = Koa()
    seen: list[str] = []

    def recorder(name: str) -> Middleware[Context]:
        async def record(ctx: Context, next: Next) -> None:
            seen.append(f"{name} {snapshot(ctx)}")
            await next()

        return record

    async def done(ctx: Context, next: Next) -> None:
        ctx.body = snapshot(ctx)

    app.use(mount("/foo", recorder("foo")))
    app.use(mount("/foo/bar", recorder("foobar")))
    app.use(mount("/foo/bar/baz", recorder("baz")))
    app.use(done)
    async with TestClient(app) as client:
        assert await (await client.get("/foo/bar")).text() == "/foo/bar|None"
    assert seen == ["foo /bar|/foo", "foobar /|/foo/bar"]


async def test_error_inside_the_mount_restores_path_for_upstream() -> None:
    app = Koa()
    caught: list[str] = []

    async def catcher(ctx: Context, next: Next) -> None:
        try:
            await next()
        except HttpError as err:
            caught.append(snapshot(ctx))
            ctx.status = err.status
            ctx.body = f"caught at {ctx.path}"

    async def forbidden(ctx: Context, next: Next) -> None:
        ctx.throw(403)

    app.use(catcher).use(mount("/foo", mount("/bar", forbidden)))
    async with TestClient(app) as client:
        res = await client.get("/foo/bar/secret")
        assert res.status == 403
        assert await res.text() == "caught at /foo/bar/secret"
    assert caught == ["/foo/bar/secret|None"]


async def test_error_from_parent_downstream_restores_the_inner_path() -> None:
    app = Koa()
    seen: list[str] = []

    async def inner(ctx: Context, next: Next) -> None:
        try:
            await next()
        except ValueError:
            seen.append(snapshot(ctx))
            ctx.body = "recovered inside"

    async def failing(ctx: Context, next: Next) -> None:
        seen.append(snapshot(ctx))
        raise ValueError("downstream broke")

    app.use(mount("/api", inner)).use(failing)
    async with TestClient(app) as client:
        res = await client.get("/api/x")
        assert res.status == 200
        assert await res.text() == "recovered inside"
    assert seen == ["/api/x|None", "/x|/api"]


async def test_uncaught_error_reaches_the_client_as_a_500() -> None:
    app = Koa(silent=True)

    async def broken(ctx: Context, next: Next) -> None:
        raise RuntimeError("broken inside the mount")

    app.use(mount("/foo", broken))
    async with TestClient(app) as client:
        res = await client.get("/foo/x")
        assert res.status == 500
        assert await res.text() == "Internal Server Error"
