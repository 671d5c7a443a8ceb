"""Verbs, the decorator form, several middleware per route, GET answering HEAD, strict and
sensitive matching."""

from __future__ import annotations

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import HTTP_METHODS, Router


def app_with(router: Router) -> Koa:
    app: Koa = Koa()
    app.use(router.routes()).use(router.allowed_methods())
    return app


async def test_params_of_a_route() -> None:
    router = Router()

    @router.get("/users/:id")
    async def show(ctx: Context, next: Next) -> None:
        ctx.body = {"params": ctx.params, "route": ctx.matched_route}

    async with TestClient(app_with(router)) as client:
        res = await client.get("/users/42")
        assert res.status == 200
        assert await res.json() == {"params": {"id": "42"}, "route": "/users/:id"}


@pytest.mark.parametrize("path", ["/users/42", "/users/42/", "/USERS/42", "/Users/42/"])
async def test_trailing_slash_and_case_are_ignored_by_default(path: str) -> None:
    router = Router()
    router.get("/users/:id", lambda ctx, next: setattr(ctx, "body", ctx.params["id"]))
    async with TestClient(app_with(router)) as client:
        res = await client.get(path)
        assert res.status == 200
        assert await res.text() == "42"


async def test_strict_and_sensitive() -> None:
    strict = Router(strict=True)
    strict.get("/x", lambda ctx, next: setattr(ctx, "body", "x"))
    strict.get("/dir/", lambda ctx, next: setattr(ctx, "body", "dir"))
    sensitive = Router(sensitive=True)
    sensitive.get("/Y", lambda ctx, next: setattr(ctx, "body", "Y"))
    app: Koa = Koa()
    app.use(strict.routes()).use(sensitive.routes())
    async with TestClient(app) as client:
        assert (await client.get("/x")).status == 200
        assert (await client.get("/x/")).status == 404
        assert (await client.get("/dir/")).status == 200
        assert (await client.get("/dir")).status == 404
        assert (await client.get("/Y")).status == 200
        assert (await client.get("/y")).status == 404


async def test_get_answers_head_with_the_same_headers_and_no_body() -> None:
    router = Router()
    router.get("/users/:id", lambda ctx, next: setattr(ctx, "body", {"id": ctx.params["id"]}))
    router.post("/only-post", lambda ctx, next: setattr(ctx, "body", "posted"))
    async with TestClient(app_with(router)) as client:
        get = await client.get("/users/42")
        head = await client.head("/users/42")
        assert head.status == 200
        assert head.headers["Content-Type"] == get.headers["Content-Type"]
        assert head.headers["Content-Length"] == get.headers["Content-Length"] == "11"
        assert await head.read() == b""
        # HEAD on a POST-only route is not matched: the path is known, the method is not.
        res = await client.head("/only-post")
        assert res.status == 405
        assert res.headers["Allow"] == "POST"


async def test_every_verb_and_all() -> None:
    router = Router()
    for verb in ("get", "post", "put", "patch", "delete", "options", "purge", "propfind"):
        getattr(router, verb)(f"/{verb}", lambda ctx, next, v=verb: setattr(ctx, "body", v))
    router.del_("/del", lambda ctx, next: setattr(ctx, "body", "del"))
    router.all("/any", lambda ctx, next: setattr(ctx, "body", ctx.method))
    app: Koa = Koa()
    app.use(router.routes())
    async with TestClient(app) as client:
        for verb in ("get", "post", "put", "patch", "delete", "options", "purge", "propfind"):
            res = await client.request(verb.upper(), f"/{verb}")
            assert (res.status, await res.text()) == (200, verb)
            other = "POST" if verb != "post" else "PUT"
            assert (await client.request(other, f"/{verb}")).status == 404
        assert await (await client.delete("/del")).text() == "del"
        for method in ("GET", "POST", "DELETE", "PROPPATCH", "MKCOL"):
            res = await client.request(method, "/any")
            assert (res.status, await res.text()) == (200, method)
    assert "M-SEARCH" in HTTP_METHODS


async def test_several_middleware_per_route_and_name_forms() -> None:
    router = Router()

    async def first(ctx: Context, next: Next) -> None:
        ctx.state["seen"] = ["first"]
        await next()
        ctx.set("X-After", "first")

    async def second(ctx: Context, next: Next) -> None:
        ctx.state["seen"].append("second")
        await next()

    async def last(ctx: Context, next: Next) -> None:
        ctx.body = {"seen": ctx.state["seen"], "name": ctx.matched_route_name}

    router.get("/chain", first, second, last, name="chained")
    router.get("positional", "/positional", last)

    @router.post("/decorated", name="deco")
    async def decorated(ctx: Context, next: Next) -> None:
        ctx.body = ctx.matched_route_name

    async with TestClient(app_with(router)) as client:
        res = await client.get("/chain")
        assert await res.json() == {"seen": ["first", "second"], "name": "chained"}
        assert res.headers["X-After"] == "first"
        assert await (await client.post("/decorated")).text() == "deco"
    assert router.url("positional") == "/positional"
    # The decorator hands the function back, so it can be stacked or called.
    assert decorated.__name__ == "decorated"


def test_registration_errors() -> None:
    router = Router()
    with pytest.raises(TypeError, match="provide a path"):
        router.get([], lambda ctx, next: None)
    with pytest.raises(TypeError, match="must be a function"):
        router.get("/x", 42)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="provide a path"):
        router.get(42)  # type: ignore[call-overload]


async def test_a_list_of_paths_registers_each() -> None:
    router = Router()
    router.get(["/a", "/b/:x"], lambda ctx, next: setattr(ctx, "body", ctx.path))
    async with TestClient(app_with(router)) as client:
        assert await (await client.get("/a")).text() == "/a"
        assert await (await client.get("/b/1")).text() == "/b/1"
        assert (await client.get("/c")).status == 404
