"""``HookMiddleware`` and ``Hooks``: middleware as two hooks, run without a coroutine of their
own by ``compose``, in the same order as the ``async (ctx, next)`` middleware they stand for."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from typing import Any

import pytest
from koa.core import Context, HookMiddleware, Hooks, Koa, Middleware, Next, compose
from koa.core.testing import TestClient


class Box:
    """A stand-in context for composing outside an app."""

    def __init__(self, fail: str = "") -> None:
        self.trail: list[str] = []
        self.fail = fail  # "before:<name>", "after:<name>", "inner" or ""


class Recorder(HookMiddleware[Box]):
    """Records its hooks; fails where the box says."""

    def __init__(self, name: str, *, awaits: bool = False) -> None:
        self.name = name
        self.awaits = awaits

    def before(self, ctx: Box) -> str:
        ctx.trail.append(f"{self.name}>")
        if ctx.fail == f"before:{self.name}":
            raise ValueError(f"before {self.name}")
        return f"state of {self.name}"

    def after(self, ctx: Box, state: Any, error: BaseException | None) -> Awaitable[None] | None:
        assert state == f"state of {self.name}"
        if self.awaits:
            return self._after(ctx, error)
        self._record(ctx, error)
        return None

    async def _after(self, ctx: Box, error: BaseException | None) -> None:
        await asyncio.sleep(0)
        self._record(ctx, error)

    def _record(self, ctx: Box, error: BaseException | None) -> None:
        ctx.trail.append(f"<{self.name}" + (f" ({error})" if error else ""))
        if ctx.fail == f"after:{self.name}":
            raise KeyError(f"after {self.name}")


def layer(name: str) -> Any:
    async def mw(ctx: Box, next: Next) -> None:
        ctx.trail.append(f"{name}>")
        try:
            await next()
        finally:
            ctx.trail.append(f"<{name}")

    return mw


async def inner(ctx: Box, next: Next) -> None:
    ctx.trail.append("inner")
    if ctx.fail == "inner":
        raise RuntimeError("inner failed")
    await next()


def as_coroutine(hook: HookMiddleware[Box]) -> Any:
    """The same middleware, hidden from ``compose`` (called through ``__call__``)."""

    def call(ctx: Box, next: Next) -> Awaitable[None]:
        return hook(ctx, next)

    return call


def stacks() -> list[tuple[str, ...]]:
    """Every arrangement of up to four of: hooks h1-h3 (one awaiting in ``after``) and
    coroutine layers c1-c2, each followed by the innermost middleware."""
    names = ["h1", "h2", "h3", "c1", "c2"]
    found: list[tuple[str, ...]] = []
    for size in range(1, 5):
        found.extend(itertools.permutations(names, size))
    return found


def build(names: tuple[str, ...], *, fused: bool) -> list[Any]:
    chain: list[Any] = []
    for name in names:
        if name.startswith("h"):
            hook = Recorder(name, awaits=name == "h2")
            chain.append(hook if fused else as_coroutine(hook))
        else:
            chain.append(layer(name))
    return [*chain, inner]


async def outcome(chain: list[Any], fail: str) -> tuple[list[str], str]:
    box = Box(fail)
    try:
        await compose(chain)(box)
    except Exception as err:
        return box.trail, f"{type(err).__name__}: {err}"
    return box.trail, "ok"


@pytest.mark.parametrize("fail", ["", "inner", "before:h1", "after:h1", "before:h3", "after:h2"])
async def test_hooks_run_as_their_coroutine_would_wherever_they_are(fail: str) -> None:
    # Heads of the chain, runs of hooks in the middle, hooks between coroutine layers: the
    # trail and the error are those of the same middleware called as coroutines.
    checked = 0
    for names in stacks():
        fused = await outcome(build(names, fused=True), fail)
        plain = await outcome(build(names, fused=False), fail)
        assert fused == plain, names
        checked += 1
    assert checked == 205


async def test_after_sees_the_error_and_one_it_raises_replaces_it() -> None:
    trail, error = await outcome(build(("h1", "h3"), fused=True), "after:h3")
    assert trail == ["h1>", "h3>", "inner", "<h3", "<h1 ('after h3')"]
    assert error == "KeyError: 'after h3'"


class ErrorRecorder(HookMiddleware[Box]):
    """Overrides ``on_error`` only: records on the way out of a downstream that raised."""

    def __init__(self, name: str) -> None:
        self.name = name

    def before(self, ctx: Box) -> str:
        ctx.trail.append(f"{self.name}>")
        return f"state of {self.name}"

    def on_error(self, ctx: Box, state: Any, error: BaseException) -> None:
        assert state == f"state of {self.name}"
        ctx.trail.append(f"<{self.name} ({error})")
        if ctx.fail == f"after:{self.name}":
            raise KeyError(f"after {self.name}")


def error_hooks(name: str) -> Hooks[Box]:
    """``Hooks(before, on_error=...)``, recording as ``ErrorRecorder`` does."""

    def before(ctx: Box) -> None:
        ctx.trail.append(f"{name}>")

    def on_error(ctx: Box, state: None, error: BaseException) -> Awaitable[None]:
        async def later() -> None:
            await asyncio.sleep(0)
            ctx.trail.append(f"<{name} ({error})")

        return later()

    return Hooks(before, on_error=on_error, name=name)


def build_with_on_error(names: tuple[str, ...], *, fused: bool) -> list[Any]:
    chain: list[Any] = []
    for name in names:
        if name.startswith("c"):
            chain.append(layer(name))
            continue
        hook: HookMiddleware[Box] = (
            ErrorRecorder(name)
            if name == "e1"
            else error_hooks(name)
            if name == "e2"
            else Recorder(name)
        )
        chain.append(hook if fused else as_coroutine(hook))
    return [*chain, inner]


@pytest.mark.parametrize("fail", ["", "inner", "after:e1", "after:h1"])
async def test_on_error_runs_only_after_a_downstream_that_raised(fail: str) -> None:
    checked = 0
    for size in range(1, 5):
        for names in itertools.permutations(["e1", "e2", "h1", "c1"], size):
            fused = await outcome(build_with_on_error(names, fused=True), fail)
            plain = await outcome(build_with_on_error(names, fused=False), fail)
            assert fused == plain, names
            checked += 1
    assert checked == 64
    trail, error = await outcome(build_with_on_error(("e1", "e2", "h1"), fused=True), fail)
    if fail in ("", "after:e1"):  # nothing raised: on_error never runs
        assert trail == ["e1>", "e2>", "h1>", "inner", "<h1"]
        assert error == "ok"
    elif fail == "inner":
        assert trail == [
            "e1>", "e2>", "h1>", "inner", "<h1 (inner failed)",
            "<e2 (inner failed)", "<e1 (inner failed)",
        ]  # fmt: skip
        assert error == "RuntimeError: inner failed"
    else:  # h1's after raised: the hooks outside it see that error
        assert trail == [
            "e1>",
            "e2>",
            "h1>",
            "inner",
            "<h1",
            "<e2 ('after h1')",
            "<e1 ('after h1')",
        ]
        assert error == "KeyError: 'after h1'"


async def test_hooks_with_after_and_on_error_call_one_of_them() -> None:
    def after(ctx: Box, state: Any, error: Any) -> None:
        ctx.trail.append(f"after {error}")

    def on_error(ctx: Box, state: Any, error: Any) -> None:
        ctx.trail.append(f"on_error {error}")

    both: Hooks[Box] = Hooks(after=after, on_error=on_error)
    for chain in ([both, inner], [layer("c1"), both, both, inner]):
        assert await outcome(chain, "") == (
            ["inner", "after None"] if len(chain) == 2 else
            ["c1>", "inner", "after None", "after None", "<c1"],
            "ok",
        )  # fmt: skip
        trail, error = await outcome(chain, "inner")
        assert [t for t in trail if t.startswith(("after", "on_error"))] == [
            "on_error inner failed"
        ] * (len(chain) - 1 - (len(chain) > 2))
        assert error == "RuntimeError: inner failed"
    with pytest.raises(TypeError, match="must be a function"):
        Hooks(on_error="not a function")  # type: ignore[arg-type]
    assert repr(Hooks(on_error=on_error)).endswith(".on_error>")


class Answering(HookMiddleware[Box]):
    """Hands OPTIONS-like requests (``ctx.fail == "answer"``) to ``around``."""

    def before(self, ctx: Box) -> Any:
        if ctx.fail in ("answer", "pass"):
            return HookMiddleware.AROUND
        ctx.trail.append("answering>")
        return None

    def after(self, ctx: Box, state: Any, error: BaseException | None) -> None:
        ctx.trail.append("<answering")

    async def around(self, ctx: Box, next: Next) -> None:
        ctx.trail.append("around")
        if ctx.fail == "pass":
            await next()
            ctx.trail.append("around done")


@pytest.mark.parametrize(
    ("names", "fail", "expected"),
    [
        ((), "answer", ["around"]),
        ((), "pass", ["around", "inner", "around done"]),
        (("c1",), "answer", ["c1>", "around", "<c1"]),
        (("h1",), "answer", ["h1>", "around", "<h1"]),
        (("h1",), "pass", ["h1>", "around", "inner", "around done", "<h1"]),
        (("c1", "h1"), "pass", ["c1>", "h1>", "around", "inner", "around done", "<h1", "<c1"]),
        ((), "", ["answering>", "inner", "<answering"]),
    ],
)
async def test_before_can_hand_the_request_to_around(
    names: tuple[str, ...], fail: str, expected: list[str]
) -> None:
    for fused in (True, False):
        chain = build(names, fused=fused)[:-1]
        answering: Any = Answering()
        chain.append(answering if fused else as_coroutine(answering))
        box = Box(fail)
        await compose([*chain, inner])(box)
        assert box.trail == expected, fused


async def test_around_followed_by_more_hooks_runs_them_inside_it() -> None:
    box = Box("pass")
    chain: list[Middleware[Box]] = [Answering(), Recorder("h1"), Recorder("h2", awaits=True), inner]
    await compose(chain)(box)
    assert box.trail == ["around", "h1>", "h2>", "inner", "<h2", "<h1", "around done"]


async def _passing(ctx: Box, next: Next) -> None:
    await next()


# Alone at the head of the chain (the composed function runs it), after another hook (a run
# of hooks at the head: the composed function's coroutine runs them), inside the chain.
@pytest.mark.parametrize("place", ["head", "head run", "inner run"])
async def test_a_missing_await_in_around_names_the_hook(place: str) -> None:
    async def forgetful(ctx: Box, next: Next) -> None:
        next()  # the mistake under test

    hooks: Hooks[Box] = Hooks(lambda ctx: Hooks.AROUND, around=forgetful, name="forgetful")
    outer: Hooks[Box] = Hooks(name="outer")
    arrangements: dict[str, list[Middleware[Box]]] = {
        "head": [],
        "head run": [outer],
        "inner run": [_passing, outer],
    }
    above = arrangements[place]
    chain: list[Middleware[Box]] = [*above, hooks, inner]
    with pytest.raises(RuntimeError, match=r"middleware forgetful returned before.*await"):
        await compose(chain)(Box())


@pytest.mark.parametrize("place", ["head run", "inner run"])
async def test_a_missing_await_below_a_run_of_hooks_names_the_middleware(place: str) -> None:
    async def forgetful(ctx: Box, next: Next) -> None:
        next()  # the mistake under test

    above: list[Middleware[Box]] = [] if place == "head run" else [_passing]
    h1: Hooks[Box] = Hooks(name="h1")
    h2: Hooks[Box] = Hooks(name="h2")
    chain: list[Middleware[Box]] = [*above, h1, h2, forgetful, inner]
    with pytest.raises(RuntimeError, match=r"middleware .*forgetful returned before.*await"):
        await compose(chain)(Box())


def test_hooks_refuse_what_is_not_a_function() -> None:
    with pytest.raises(TypeError, match=r"Hooks\(after=...\) must be a function"):
        Hooks(after="not a function")  # type: ignore[arg-type]
    assert repr(Hooks(name="x")) == "<Hooks x>"


def security_headers() -> Hooks[Context[Any]]:
    """A small hook middleware as koa-helmet is written: headers before, kept on errors."""

    def before(ctx: Context[Any]) -> None:
        ctx.set("X-Frame-Options", "DENY")

    def after(ctx: Context[Any], state: None, error: BaseException | None) -> None:
        if isinstance(error, Exception):
            error.headers = {"X-Frame-Options": "DENY"}  # type: ignore[attr-defined]
        elif error is None:
            ctx.set("X-After", str(ctx.status))

    async def preflight(ctx: Context[Any], next: Next) -> None:
        ctx.status = 204

    def route(ctx: Context[Any]) -> Any:
        return Hooks.AROUND if ctx.method == "OPTIONS" else before(ctx)

    return Hooks(route, after, preflight, name="security_headers")


@pytest.mark.parametrize("position", ["head", "middle"])
async def test_a_hook_middleware_in_an_app_over_http(position: str) -> None:
    app: Koa[Any] = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    if position == "middle":

        @app.use
        async def outer(ctx: Context[Any], next: Next) -> None:
            await next()
            ctx.set("X-Outer", "seen")

    app.use(security_headers())

    @app.use
    async def handler(ctx: Context[Any], next: Next) -> None:
        if ctx.path == "/boom":
            raise RuntimeError("secret detail")
        if ctx.path == "/missing":
            ctx.throw(404)
        await asyncio.sleep(0)
        ctx.body = "hello"

    async with TestClient(app) as client:
        ok = await client.get("/")
        assert (ok.status, await ok.text()) == (200, "hello")
        assert ok.headers["X-Frame-Options"] == "DENY"
        assert ok.headers["X-After"] == "200"
        assert ok.headers.get("X-Outer") == ("seen" if position == "middle" else None)

        for path, status, text in (
            ("/boom", 500, "Internal Server Error"),
            ("/missing", 404, "Not Found"),
        ):
            failed = await client.get(path)
            assert (failed.status, await failed.text()) == (status, text)
            assert failed.headers["X-Frame-Options"] == "DENY"  # Koa's error response kept it
            assert "X-After" not in failed.headers

        answered = await client.options("/")
        assert answered.status == 204
        assert "X-Frame-Options" not in answered.headers  # around's answer, not before's
    assert [str(err) for err in errors] == ["secret detail", "Not Found"]
