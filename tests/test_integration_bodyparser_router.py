"""koa-bodyparser in front of koa-router: routes read ``ctx.request.body``."""

from __future__ import annotations

import json
from typing import Any

from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def build(**options: Any) -> tuple[Koa, list[str]]:
    """An app whose routes echo what the body parser gave them; ``ran`` lists the routes run."""
    ran: list[str] = []
    router = Router()

    @router.post("/echo")
    async def echo(ctx: Context, next: Next) -> None:
        ran.append("POST /echo")
        ctx.body = {"body": ctx.request.body, "raw": ctx.request.raw_body}

    @router.put("/items/:id")
    async def replace(ctx: Context, next: Next) -> None:
        ran.append("PUT /items/:id")
        ctx.body = {"id": ctx.params["id"], **ctx.request.body}

    @router.get("/echo")
    async def get_echo(ctx: Context, next: Next) -> None:
        ran.append("GET /echo")
        ctx.body = {"body": ctx.request.body}

    app = Koa()
    app.use(bodyparser(**options))
    app.use(router.routes()).use(router.allowed_methods())
    return app, ran


async def test_a_json_post_reaches_the_route_parsed() -> None:
    app, _ = build()
    async with TestClient(app) as client:
        res = await client.post("/echo", json={"name": "tobi", "tags": ["a", "b"]})
        assert res.status == 200
        assert await res.json() == {
            "body": {"name": "tobi", "tags": ["a", "b"]},
            "raw": '{"name": "tobi", "tags": ["a", "b"]}',
        }


async def test_a_form_keeps_repeated_keys_as_lists() -> None:
    app, _ = build()
    async with TestClient(app) as client:
        res = await client.post(
            "/echo",
            data=b"a=1&b=2&a=3",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert (await res.json())["body"] == {"a": ["1", "3"], "b": "2"}


async def test_route_params_and_body_combine() -> None:
    app, _ = build()
    async with TestClient(app) as client:
        res = await client.put("/items/7", json={"name": "lamp"})
        assert await res.json() == {"id": "7", "name": "lamp"}


async def test_invalid_json_is_400_and_no_route_runs() -> None:
    app, ran = build()
    async with TestClient(app) as client:
        res = await client.post(
            "/echo", data=b'{"name": tobi}', headers={"Content-Type": "application/json"}
        )
        assert (res.status, await res.text()) == (400, "Bad Request")
    assert ran == []


async def test_a_body_over_the_limit_is_413_and_no_route_runs() -> None:
    app, ran = build(json_limit=64)
    async with TestClient(app) as client:
        res = await client.post("/echo", json={"name": "x" * 100})
        assert (res.status, await res.text()) == (413, "request entity too large")
        res = await client.post("/echo", json={"name": "x"})
        assert res.status == 200
    assert ran == ["POST /echo"]


async def test_get_bodies_are_not_parsed() -> None:
    app, _ = build()
    async with TestClient(app) as client:
        res = await client.request(
            "GET", "/echo", data=json.dumps({"a": 1}), headers={"Content-Type": "application/json"}
        )
        assert await res.json() == {"body": None}


async def test_an_unparsed_type_gives_an_empty_body() -> None:
    app, _ = build()
    async with TestClient(app) as client:
        res = await client.post("/echo", data=b"hello", headers={"Content-Type": "text/plain"})
        assert await res.json() == {"body": {}, "raw": None}


async def test_the_router_405_does_not_depend_on_the_body() -> None:
    app, ran = build()
    async with TestClient(app) as client:
        res = await client.patch("/echo", json={"a": 1})
        assert res.status == 405
        # In the order the routes were registered, as @koa/router.
        assert res.headers["Allow"] == "POST, HEAD, GET"
    assert ran == []
