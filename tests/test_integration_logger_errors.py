"""koa-logger around a koa-router whose routes fail: log lines, responses, error events."""

from __future__ import annotations

import re

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import logger
from koa.router import Router

Line = tuple[str, tuple[object, ...]]


def build(lines: list[Line], errors: list[tuple[int, str]]) -> Koa:
    router = Router()

    @router.get("/ok")
    async def ok(ctx: Context, next: Next) -> None:
        ctx.body = "fine"

    @router.get("/teapot")
    async def teapot(ctx: Context, next: Next) -> None:
        ctx.throw(418)

    @router.post("/things")
    async def create(ctx: Context, next: Next) -> None:
        ctx.assert_(ctx.query.get("name"), 422, "name is required")
        ctx.status = 201

    @router.get("/crash")
    async def crash(ctx: Context, next: Next) -> None:
        raise KeyError("missing")

    app = Koa()
    app.use(logger(transporter=lambda line, args: lines.append((line, tuple(args))), color=False))
    app.use(router.routes()).use(router.allowed_methods())
    app.on("error", lambda err, ctx: errors.append((err.status, ctx.path)))
    return app


def completion(lines: list[Line]) -> list[str]:
    """The ``-->``/``xxx`` lines with the time masked."""
    return [re.sub(r" \d+ms ", " Nms ", line) for line, _ in lines if "<--" not in line]


async def test_a_successful_route_logs_two_lines() -> None:
    lines: list[Line] = []
    async with TestClient(build(lines, [])) as client:
        await client.get("/ok?x=1")
    assert lines[0] == ("  <-- GET /ok?x=1", ("  <-- %s %s", "GET", "/ok?x=1"))
    line, args = lines[1]
    assert re.fullmatch(r"  --> GET /ok\?x=1 200 \d+ms 4b", line)
    assert args[1:4] == ("GET", "/ok?x=1", 200)
    assert args[5] == "4b"


async def test_client_errors_from_routes_log_xxx_and_reach_listeners() -> None:
    lines: list[Line] = []
    errors: list[tuple[int, str]] = []
    async with TestClient(build(lines, errors)) as client:
        res = await client.get("/teapot")
        assert (res.status, await res.text()) == (418, "I'm a Teapot")
        res = await client.post("/things")
        assert (res.status, await res.text()) == (422, "name is required")
        res = await client.post("/things?name=x")
        assert (res.status, await res.text()) == (201, "Created")
    assert completion(lines) == [
        "  xxx GET /teapot 418 Nms -",
        "  xxx POST /things 422 Nms -",
        "  --> POST /things?name=x 201 Nms 7b",
    ]
    assert errors == [(418, "/teapot"), (422, "/things")]


async def test_a_crashing_route_logs_500_and_hides_the_message() -> None:
    lines: list[Line] = []
    errors: list[tuple[int, str]] = []
    async with TestClient(build(lines, errors)) as client:
        res = await client.get("/crash")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
    assert completion(lines) == ["  xxx GET /crash 500 Nms -"]
    assert errors == [(500, "/crash")]


async def test_405_and_404_from_the_router_are_logged_as_responses() -> None:
    lines: list[Line] = []
    errors: list[tuple[int, str]] = []
    async with TestClient(build(lines, errors)) as client:
        res = await client.delete("/ok")
        assert (res.status, res.headers["Allow"]) == (405, "HEAD, GET")
        res = await client.get("/nowhere")
        assert res.status == 404
    assert completion(lines) == [
        "  --> DELETE /ok 405 Nms 18b",
        "  --> GET /nowhere 404 Nms 9b",
    ]
    assert errors == []


async def test_allowed_methods_throw_mode_logs_xxx() -> None:
    lines: list[Line] = []
    router = Router()
    router.get("/only-get", lambda ctx, next: None)
    app = Koa()
    app.use(logger(transporter=lambda line, args: lines.append((line, tuple(args))), color=False))
    app.use(router.routes()).use(router.allowed_methods(throw=True))
    async with TestClient(app) as client:
        res = await client.put("/only-get")
        assert res.status == 405
        assert res.headers["Allow"] == "HEAD, GET"
    assert completion(lines) == ["  xxx PUT /only-get 405 Nms -"]
