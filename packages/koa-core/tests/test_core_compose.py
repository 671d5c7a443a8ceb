"""``compose``: the onion, ``next()`` rules and the missing-await diagnostic."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from koa.core import Context, Koa, Middleware, Next, compose
from koa.core.testing import TestClient


class Box:
    """A stand-in context for composing outside an app."""

    def __init__(self) -> None:
        self.trail: list[str] = []


def layer(name: str) -> Any:
    async def mw(ctx: Box, next: Next) -> None:
        ctx.trail.append(f"{name}>")
        await next()
        ctx.trail.append(f"<{name}")

    return mw


async def test_the_first_middleware_is_the_outermost() -> None:
    box = Box()
    await compose([layer("a"), layer("b"), layer("c")])(box)
    assert box.trail == ["a>", "b>", "c>", "<c", "<b", "<a"]


async def test_not_calling_next_ends_the_chain() -> None:
    async def stop(ctx: Box, next: Next) -> None:
        ctx.trail.append("stop")

    box = Box()
    await compose([layer("a"), stop, layer("never")])(box)
    assert box.trail == ["a>", "stop", "<a"]


async def test_plain_functions_are_middleware_too() -> None:
    def sync(ctx: Box, next: Next) -> Any:
        ctx.trail.append("sync")
        return next()

    box = Box()
    await compose([layer("a"), sync, layer("b")])(box)
    assert box.trail == ["a>", "sync", "b>", "<b", "<a"]


class Forgetful:
    """A middleware object: calls ``next()`` without awaiting it, ``runs`` times in all."""

    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self, ctx: Box, next: Next) -> None:
        self.runs += 1
        ctx.trail.append("object")
        if self.runs > 1:
            next()  # the mistake under test
            return
        await next()


async def test_an_object_with_call_is_middleware_and_named_in_errors() -> None:
    mw = Forgetful()
    chain = compose([layer("a"), mw, layer("b")])
    box = Box()
    await chain(box)
    assert box.trail == ["a>", "object", "b>", "<b", "<a"]
    with pytest.raises(RuntimeError, match=r"middleware <.*Forgetful object.*missing an await"):
        await chain(Box())
    assert mw.runs == 2


async def test_the_outer_next_runs_after_the_last_middleware() -> None:
    box = Box()

    async def outer() -> None:
        box.trail.append("outer")

    await compose([layer("a")])(box, outer)
    assert box.trail == ["a>", "outer", "<a"]


async def test_an_empty_chain_calls_the_outer_next() -> None:
    called: list[bool] = []

    async def outer() -> None:
        called.append(True)

    empty: list[Middleware[Box]] = []
    await compose(empty)(Box(), outer)
    await compose(empty)(Box())
    assert called == [True]


async def test_the_list_is_copied_at_compose_time() -> None:
    chain = [layer("a")]
    composed = compose(chain)
    chain.append(layer("late"))
    box = Box()
    await composed(box)
    assert box.trail == ["a>", "<a"]


async def test_errors_propagate_through_the_onion() -> None:
    async def catcher(ctx: Box, next: Next) -> None:
        try:
            await next()
        except ValueError as err:
            ctx.trail.append(f"caught {err}")

    async def thrower(ctx: Box, next: Next) -> None:
        raise ValueError("boom")

    box = Box()
    await compose([catcher, thrower])(box)
    assert box.trail == ["caught boom"]


def test_compose_refuses_what_is_not_a_list_of_callables() -> None:
    with pytest.raises(TypeError, match="must be a list"):
        compose("abc")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be composed of functions"):
        compose([layer("a"), 42])  # type: ignore[list-item]


async def test_next_twice_is_an_error() -> None:
    async def twice(ctx: Box, next: Next) -> None:
        await next()
        await next()

    with pytest.raises(RuntimeError, match=r"^next\(\) called multiple times$"):
        await compose([twice, layer("b")])(Box())


async def test_a_missing_await_is_reported_with_the_culprit() -> None:
    async def forgetful(ctx: Box, next: Next) -> None:
        next()  # the coroutine is created and dropped: downstream never runs

    box = Box()
    with pytest.raises(RuntimeError, match=r"forgetful.*missing an await"):
        await compose([layer("a"), forgetful, layer("never")])(box)
    # Reported when the chain returns; the downstream never ran.
    assert box.trail == ["a>", "<a"]


async def test_next_twice_in_an_app_is_a_500_with_that_message() -> None:
    app = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def twice(ctx: Context, next: Next) -> None:
        await next()
        await next()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "hi"

    app.use(twice).use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert await res.text() == "Internal Server Error"
    assert [str(err) for err in errors] == ["next() called multiple times"]


async def test_a_missing_await_in_an_app_is_a_500_naming_the_middleware() -> None:
    app = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def no_await(ctx: Context, next: Next) -> None:
        next()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "never sent"

    app.use(no_await).use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
    assert len(errors) == 1
    assert "no_await" in str(errors[0])
    assert "missing an await" in str(errors[0])


async def test_a_composed_chain_is_itself_middleware() -> None:
    app = Koa()

    async def a(ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trail", []).append("a")
        await next()

    async def b(ctx: Context, next: Next) -> None:
        ctx.state["trail"].append("b")
        await next()

    async def end(ctx: Context, next: Next) -> None:
        ctx.body = ctx.state["trail"]

    app.use(compose([a, b])).use(end)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.json() == ["a", "b"]


async def test_a_downstream_handed_to_a_task_is_not_a_missing_await() -> None:
    done = asyncio.Event()
    tasks: list[asyncio.Future[None]] = []

    async def background(ctx: Box, next: Next) -> None:
        tasks.append(asyncio.ensure_future(next()))
        await asyncio.sleep(0)  # the task has started the downstream

    async def slow(ctx: Box, next: Next) -> None:
        ctx.trail.append("slow>")
        await asyncio.sleep(0.01)
        ctx.trail.append("<slow")
        done.set()

    box = Box()
    await compose([background, slow])(box)
    await asyncio.wait_for(done.wait(), 5)
    assert box.trail == ["slow>", "<slow"]


async def test_each_chain_has_code_of_its_own() -> None:
    # CPython specialises calls per code object: a chain sharing its code with every other
    # chain of the process would see all their middleware at its call sites.
    async def a(ctx: Box, next: Next) -> None:
        await next()

    first, second = compose([a]), compose([a])
    assert first.__code__ is not second.__code__  # type: ignore[attr-defined]
    assert first.__code__.co_code == second.__code__.co_code  # type: ignore[attr-defined]
    box = Box()
    await first(box)
    await second(box)
