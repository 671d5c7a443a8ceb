"""Hostile request paths meet the router without a 500."""

from __future__ import annotations

from koa.core.testing import TestClient
from koa.router import Router
from router_helpers import app_of, rep, send


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
