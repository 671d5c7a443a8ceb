"""A request must not leave reference cycles behind: they wake the cyclic garbage collector,
which shows up as latency spikes under load (see the performance baseline)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from koa.core import Context, Koa, Next, Request, Response
from koa.core.testing import TestClient


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


async def test_requests_leave_no_cycles(saved_garbage: list[object]) -> None:
    app = Koa()

    async def timing(ctx: Context, next: Next) -> None:
        await next()
        ctx.set("X-Seen", ctx.request.path)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.cookies.get("session")
        ctx.state["user"] = "tobi"
        if ctx.path == "/json":
            ctx.body = {"a": [1, 2]}
        elif ctx.path == "/redirect":
            ctx.redirect("/json")
        elif ctx.path == "/stream":

            async def chunks() -> AsyncIterator[bytes]:
                yield b"a"
                yield b"b"

            ctx.body = chunks()
        else:
            ctx.body = "hello"

    app.use(timing).use(handler)
    async with TestClient(app) as client:
        for _ in range(3):
            for path in ("/", "/json", "/redirect", "/stream"):
                res = await client.get(path, headers={"Cookie": "session=1"})
                assert res.status in (200, 302)
        gc.collect()
    leaked = [o for o in saved_garbage if isinstance(o, (Context, Request, Response))]
    assert leaked == []


@pytest.mark.parametrize("position", ["head", "fused behind a coroutine"])
async def test_hook_middleware_leave_no_cycles(saved_garbage: list[object], position: str) -> None:
    # Hook middleware run inside compose's coroutines, errors included (a 500 and a 404).
    from koa.core import Hooks

    def before(ctx: Context) -> None:
        ctx.set("X-Before", "1")

    def after(ctx: Context, state: None, error: BaseException | None) -> None:
        if isinstance(error, Exception):
            error.headers = {"X-Before": "1"}  # type: ignore[attr-defined]

    async def outer(ctx: Context, next: Next) -> None:
        await next()

    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/boom":
            raise RuntimeError("boom")
        if ctx.path == "/missing":
            ctx.throw(404)
        ctx.body = "hello"

    app = Koa()
    app.silent = True
    if position != "head":
        app.use(outer)
    app.use(Hooks(before, after)).use(Hooks(before, after)).use(handler)
    async with TestClient(app) as client:
        for _ in range(3):
            for path, status in (("/", 200), ("/boom", 500), ("/missing", 404)):
                res = await client.get(path)
                assert (res.status, res.headers["X-Before"]) == (status, "1")
        gc.collect()
    leaked = [o for o in saved_garbage if isinstance(o, (Context, Request, Response))]
    assert leaked == []
