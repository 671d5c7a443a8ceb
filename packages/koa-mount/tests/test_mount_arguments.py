"""What ``mount()`` accepts, and the errors it raises at mount time for anything else."""

from __future__ import annotations

from typing import Any, cast

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount


async def test_a_list_of_middleware_is_composed() -> None:
    async def first(ctx: Context, next: Next) -> None:
        ctx.state["seen"] = ["first"]
        await next()
        ctx.set("X-Order", ",".join(ctx.state["seen"]))

    async def second(ctx: Context, next: Next) -> None:
        ctx.state["seen"].append("second")
        ctx.body = ctx.path

    app = Koa()
    app.use(mount("/list", [first, second]))
    app.use(mount([first, second]))
    async with TestClient(app) as client:
        res = await client.get("/list/x")
        assert await res.text() == "/x"
        assert res.headers["X-Order"] == "first,second"
        res = await client.get("/elsewhere")
        assert await res.text() == "/elsewhere"


async def test_plain_function_middleware_can_be_mounted() -> None:
    def plain(ctx: Context, next: Next) -> None:
        ctx.body = f"plain {ctx.path}"

    app = Koa()
    app.use(mount("/p", plain))
    app.use(mount(plain))
    async with TestClient(app) as client:
        assert await (await client.get("/p/q")).text() == "plain /q"
        assert await (await client.get("/z")).text() == "plain /z"


def noop(ctx: Context, next: Next) -> None:
    return None


@pytest.mark.parametrize("prefix", ["nope", "", "api/", " /api"])
def test_prefix_must_begin_with_a_slash(prefix: str) -> None:
    with pytest.raises(ValueError, match='mount path must begin with "/"'):
        mount(prefix, noop)


@pytest.mark.parametrize("prefix", ["/a b", "/a?b=1", "/a#frag", "/a\r\nX: y", "/a\x00", "/\t"])
def test_prefix_that_no_request_path_can_hold_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="holds characters a request path cannot"):
        mount(prefix, noop)


@pytest.mark.parametrize("thing", [42, "not middleware", b"bytes", object(), {"a": 1}])
def test_non_middleware_is_a_type_error(thing: Any) -> None:
    with pytest.raises(TypeError, match="mount\\(\\) takes a Koa app, a middleware or a list"):
        mount("/x", thing)


def test_list_holding_a_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Middleware must be composed of functions"):
        mount("/x", [noop, cast(Any, 42)])


def test_empty_list_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty list of middleware"):
        mount("/x", [])


def test_prefix_without_anything_to_mount_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="needs an app or middleware to mount"):
        mount("/x")  # type: ignore[arg-type]


def test_non_string_prefix_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="mount path must be a string"):
        mount(3, noop)  # type: ignore[call-overload]


async def test_an_empty_app_can_be_mounted_and_answers_404() -> None:
    app = Koa()
    app.use(mount("/empty", Koa()))
    async with TestClient(app) as client:
        res = await client.get("/empty")
        assert res.status == 404
