"""Hostile request paths meet the router without a 500."""

from __future__ import annotations

import json
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def rep(tag: str) -> Any:
    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "params": ctx.params, "route": ctx.matched_route}

    return handler


class Answer:
    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0][9:12])
        self.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}

    def json(self) -> Any:
        return json.loads(self.body)


async def send(client: TestClient, method: str, target: str) -> Answer:
    raw = await client.raw(
        f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    return Answer(raw)


def app_of(*routers: Router) -> Koa:
    app: Koa = Koa()
    for router in routers:
        app.use(router.routes()).use(router.allowed_methods())
    return app


async def test_hostile_paths() -> None:
    router = Router()
    router.get("/users/:id", rep("users"))
    router.get("/a/b", rep("ab"))
    router.get("/dw/*p", rep("dw"))
    router.get("/d2/:a/:b", rep("d2"))
    async with TestClient(app_of(router)) as client:
        answer = await send(client, "GET", "/users/..%2F..%2Fetc")
        assert answer.json()["params"] == {"id": "../../etc"}
        for target in ("/a/./b", "/%2e%2e/a/b", "///", "/users/"):
            assert (await send(client, "GET", target)).status == 404, target
        # An absolute-form target routes on its path.
        assert (await send(client, "GET", "http://other/a/b?x=1")).json()["tag"] == "ab"
        # A lone surrogate is not UTF-8: the raw text is kept, like decodeURIComponent's
        # failure; a 4-byte character decodes.
        answer = await send(client, "GET", "/users/%ED%A0%80")
        assert answer.json()["params"] == {"id": "%ED%A0%80"}
        answer = await send(client, "GET", "/users/%F0%9F%98%80")
        assert answer.json()["params"] == {"id": "\U0001f600"}
        # One malformed escape keeps the whole value raw (a wildcard is one value).
        answer = await send(client, "GET", "/dw/a%2Fb/%ZZ")
        assert answer.json()["params"] == {"p": "a%2Fb/%ZZ"}
        answer = await send(client, "GET", "/d2/%ZZ/%41")
        assert answer.json()["params"] == {"a": "%ZZ", "b": "A"}
