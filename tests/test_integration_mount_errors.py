"""A mounted app's errors reach the mounted app's and the parent's ``error`` listeners."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount
from koa.router import Router

Seen = list[tuple[str, str, int, str]]


def listener(name: str, seen: Seen) -> Any:
    def on_error(err: BaseException, ctx: Context) -> None:
        seen.append((name, type(err).__name__, getattr(err, "status", 0), ctx.path))

    return on_error


def child_app(seen: Seen) -> Koa:
    router = Router()

    @router.get("/boom")
    async def boom(ctx: Context, next: Next) -> None:
        raise RuntimeError("boom")

    @router.get("/denied")
    async def denied(ctx: Context, next: Next) -> None:
        ctx.throw(403, "no entry")

    child = Koa()
    child.use(router.routes())
    child.on("error", listener("child", seen))
    return child


async def test_an_error_in_the_mounted_app_reaches_both_listeners_once() -> None:
    seen: Seen = []
    app = Koa().use(mount("/child", child_app(seen)))
    app.on("error", listener("parent", seen))
    async with TestClient(app) as client:
        res = await client.get("/child/boom")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        res = await client.get("/child/denied")
        assert (res.status, await res.text()) == (403, "no entry")
    # The child hears it first, inside the mount; the parent hears it where Koa handles it,
    # with the full path restored.
    assert seen == [
        ("child", "RuntimeError", 0, "/boom"),
        ("parent", "RuntimeError", 500, "/child/boom"),
        ("child", "HttpError", 403, "/denied"),
        ("parent", "HttpError", 403, "/child/denied"),
    ]


async def test_nested_mounts_tell_every_app_once() -> None:
    seen: Seen = []
    middle = Koa().use(mount("/inner", child_app(seen)))
    middle.on("error", listener("middle", seen))
    app = Koa().use(mount("/outer", middle))
    app.on("error", listener("parent", seen))
    async with TestClient(app) as client:
        res = await client.get("/outer/inner/boom")
        assert res.status == 500
    assert [name for name, *_ in seen] == ["child", "middle", "parent"]


async def test_errors_from_the_parents_downstream_are_not_the_mounted_apps() -> None:
    seen: Seen = []

    async def passthrough(ctx: Context, next: Next) -> None:
        await next()

    child = Koa().use(passthrough)
    child.on("error", listener("child", seen))

    async def fails(ctx: Context, next: Next) -> None:
        raise ValueError("parent's own")

    app = Koa().use(mount(child)).use(fails)
    app.on("error", listener("parent", seen))
    async with TestClient(app) as client:
        assert (await client.get("/x")).status == 500
    assert seen == [("parent", "ValueError", 500, "/x")]


async def test_an_error_handled_inside_the_mounted_app_reaches_no_listener() -> None:
    seen: Seen = []
    child = child_app(seen)

    async def recover(ctx: Context, next: Next) -> None:
        try:
            await next()
        except RuntimeError:
            ctx.status = 503
            ctx.body = "recovered"

    child.middleware.insert(0, recover)  # added after mounting below: the mount sees it
    app = Koa().use(mount("/child", child))
    app.on("error", listener("parent", seen))
    async with TestClient(app) as client:
        res = await client.get("/child/boom")
        assert (res.status, await res.text()) == (503, "recovered")
    assert seen == []


async def test_without_a_listener_the_parent_logs_the_error_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = Router()

    @router.get("/boom")
    async def boom(ctx: Context, next: Next) -> None:
        raise RuntimeError("logged once")

    child = Koa().use(router.routes())
    app = Koa().use(mount("/child", child))
    with caplog.at_level(logging.ERROR, logger="koa"):
        async with TestClient(app) as client:
            assert (await client.get("/child/boom")).status == 500
    records = [r for r in caplog.records if r.name == "koa"]
    assert len(records) == 1
    assert "logged once" in records[0].getMessage()
    assert records[0].exc_info is not None
