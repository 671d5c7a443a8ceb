"""Mounting a ``Koa`` app: its current middleware, its ``error`` listeners, what it shares."""

from __future__ import annotations

import asyncio
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount


async def test_middleware_added_after_mounting_runs() -> None:
    sub = Koa()
    app = Koa()
    app.use(mount("/sub", sub))

    async def first(ctx: Context, next: Next) -> None:
        ctx.set("X-First", "1")
        await next()

    async def second(ctx: Context, next: Next) -> None:
        ctx.body = "second"

    async with TestClient(app) as client:
        assert (await client.get("/sub")).status == 404
        sub.use(first)
        res = await client.get("/sub")
        assert res.status == 404
        assert res.headers["X-First"] == "1"
        sub.use(second)
        res = await client.get("/sub")
        assert await res.text() == "second"
        assert res.headers["X-First"] == "1"
        sub.middleware.remove(first)
        res = await client.get("/sub")
        assert await res.text() == "second"
        assert "X-First" not in res.headers


async def test_mount_app_without_prefix_mounts_at_root() -> None:
    sub = Koa()

    async def show(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.path}|{ctx.mount_path}"

    sub.use(show)
    app = Koa()
    app.use(mount(sub))
    async with TestClient(app) as client:
        assert await (await client.get("/anything/here")).text() == "/anything/here|None"


async def test_mounted_app_runs_with_the_parent_context() -> None:
    # Only the middleware of a mounted app runs: ctx is the parent's (its app, its context
    # class and extensions, its keys and proxy settings).
    sub = Koa(proxy=True)
    sub.context.source = "sub"  # type: ignore[attr-defined]
    app = Koa(keys=["parent-key"])
    app.context.source = "parent"  # type: ignore[attr-defined]

    async def show(ctx: Context, next: Next) -> None:
        ctx.cookies.set("who", "me")
        ctx.body = {
            "app_is_parent": ctx.app is app,
            "source": ctx.source,  # type: ignore[attr-defined]
            "ip": ctx.ip,
        }

    sub.use(show)
    app.use(mount("/sub", sub))
    async with TestClient(app) as client:
        res = await client.get("/sub", headers={"X-Forwarded-For": "10.0.0.1"})
        assert await res.json() == {"app_is_parent": True, "source": "parent", "ip": "127.0.0.1"}
        # Signed with the parent's keys.
        assert "who.sig" in res.cookies


async def test_errors_reach_the_mounted_and_the_parent_listeners_once_each() -> None:
    sub = Koa()
    app = Koa()
    events: list[tuple[str, str, int, str]] = []

    def listener(name: str) -> Any:
        def on_error(err: BaseException, ctx: Context) -> None:
            events.append((name, str(err), getattr(err, "status", 0), ctx.path))

        return on_error

    sub.on("error", listener("sub"))
    app.on("error", listener("parent"))

    async def boom(ctx: Context, next: Next) -> None:
        raise RuntimeError("boom")

    sub.use(boom)
    app.use(mount("/sub", sub))
    async with TestClient(app) as client:
        res = await client.get("/sub/x")
        assert res.status == 500
        assert await res.text() == "Internal Server Error"
    # The mounted app is told first, while the error is still inside it.
    assert events == [("sub", "boom", 0, "/x"), ("parent", "boom", 500, "/sub/x")]


async def test_nested_apps_each_hear_an_error_once() -> None:
    outer, inner, app = Koa(), Koa(), Koa(silent=True)
    heard: list[str] = []
    outer.on("error", lambda err, ctx: heard.append(f"outer {err}"))
    inner.on("error", lambda err, ctx: heard.append(f"inner {err}"))

    async def boom(ctx: Context, next: Next) -> None:
        ctx.throw(418, "short and stout")

    inner.use(boom)
    outer.use(mount("/in", inner))
    app.use(mount("/out", outer))
    async with TestClient(app) as client:
        res = await client.get("/out/in/tea")
        assert res.status == 418
        assert await res.text() == "short and stout"
    assert heard == ["inner short and stout", "outer short and stout"]


async def test_the_same_app_mounted_inside_itself_hears_an_error_once() -> None:
    sub, app = Koa(), Koa(silent=True)
    heard: list[str] = []
    sub.on("error", lambda err, ctx: heard.append(ctx.mount_path))

    async def boom(ctx: Context, next: Next) -> None:
        if ctx.path == "/boom":
            raise RuntimeError("boom")
        await next()

    sub.use(mount("/again", sub)).use(boom)
    app.use(mount("/sub", sub))
    async with TestClient(app) as client:
        assert (await client.get("/sub/again/boom")).status == 500
    assert heard == ["/sub/again"]


async def test_errors_a_mounted_app_catches_are_not_reported() -> None:
    sub, app = Koa(), Koa()
    heard: list[str] = []
    sub.on("error", lambda err, ctx: heard.append("sub"))
    app.on("error", lambda err, ctx: heard.append("parent"))

    async def guard(ctx: Context, next: Next) -> None:
        try:
            await next()
        except KeyError:
            ctx.body = "handled"

    async def missing(ctx: Context, next: Next) -> None:
        raise KeyError("missing")

    sub.use(guard).use(missing)
    app.use(mount("/sub", sub))
    async with TestClient(app) as client:
        assert await (await client.get("/sub")).text() == "handled"
    assert heard == []


async def test_errors_from_the_parent_downstream_are_not_the_mounted_apps() -> None:
    sub, app = Koa(), Koa()
    heard: list[str] = []
    sub.on("error", lambda err, ctx: heard.append(f"sub {err}"))
    app.on("error", lambda err, ctx: heard.append(f"parent {err}"))

    async def pass_on(ctx: Context, next: Next) -> None:
        await next()

    async def failing(ctx: Context, next: Next) -> None:
        raise RuntimeError("parent's own")

    sub.use(pass_on)
    app.use(mount("/sub", sub)).use(failing)
    async with TestClient(app) as client:
        assert (await client.get("/sub")).status == 500
    assert heard == ["parent parent's own"]


async def test_async_error_listeners_of_the_mounted_app_run() -> None:
    sub, app = Koa(), Koa(silent=True)
    heard = asyncio.Event()

    async def on_error(err: BaseException, ctx: Context) -> None:
        heard.set()

    sub.on("error", on_error)

    async def boom(ctx: Context, next: Next) -> None:
        raise RuntimeError("boom")

    sub.use(boom)
    app.use(mount("/sub", sub))
    async with TestClient(app) as client:
        assert (await client.get("/sub")).status == 500
        await asyncio.wait_for(heard.wait(), 5)


async def test_mounted_app_without_listeners_does_not_log_the_error_twice(
    caplog: Any,
) -> None:
    sub, app = Koa(), Koa()

    async def boom(ctx: Context, next: Next) -> None:
        raise RuntimeError("logged once")

    sub.use(boom)
    app.use(mount("/sub", sub))
    async with TestClient(app) as client:
        assert (await client.get("/sub")).status == 500
    logged = [r for r in caplog.records if r.exc_info and str(r.exc_info[1]) == "logged once"]
    assert len(logged) == 1
