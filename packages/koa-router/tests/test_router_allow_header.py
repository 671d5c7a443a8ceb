"""``allowed_methods()`` edge cases and the routes the Allow header lists."""

from __future__ import annotations

from koa.core import Context, Next
from koa.core.testing import TestClient
from koa.router import Router
from router_helpers import app_of, rep, send, trace, with_trace


async def test_allowed_methods_edge_cases() -> None:
    router = Router()

    def head_only(ctx: Context, next: Next) -> None:
        ctx.status = 200

    def custom_options(ctx: Context, next: Next) -> None:
        ctx.body = "custom options"

    def not_found(ctx: Context, next: Next) -> None:
        ctx.throw(404)

    router.head("/h", head_only)
    router.put("/only-put", rep("put"))
    router.options("/opt", custom_options)
    router.get("/opt", rep("opt"))
    router.get("/thr", not_found)
    router.all("/al", rep("all"))
    router.get("/only-use-path/x", rep("x"))
    router.use("/only-use-path", trace("use"))
    async with TestClient(app_of(router)) as client:
        answer = await send(client, "POST", "/h")
        assert (answer.status, answer.headers["allow"]) == (405, "HEAD")
        answer = await send(client, "HEAD", "/only-put")
        assert (answer.status, answer.headers["allow"], answer.body) == (405, "PUT", b"")
        answer = await send(client, "OPTIONS", "/opt")
        assert (answer.status, answer.body) == (200, b"custom options")
        assert "allow" not in answer.headers
        # A route that threw 404 does not take OPTIONS: allowed_methods still answers it.
        answer = await send(client, "OPTIONS", "/thr")
        assert (answer.status, answer.headers["allow"], answer.body) == (200, "HEAD, GET", b"")
        # all() takes methods outside the router's `methods` (no 501).
        assert (await send(client, "M-SEARCH", "/al")).json()["tag"] == "all"
        # A path that only use() middleware matches is not a known path.
        assert (await send(client, "OPTIONS", "/only-use-path")).status == 404


async def test_allow_lists_the_routes_of_every_router_that_saw_the_path() -> None:
    first = Router()
    first.get("/s", rep("s1"))
    first.get("/s/:a", trace("first"))
    second = Router()
    second.post("/s", rep("s2"))
    second.get("/s/:b", with_trace("second"))
    async with TestClient(app_of(first, second)) as client:
        answer = await send(client, "DELETE", "/s")
        assert (answer.status, answer.headers["allow"]) == (405, "HEAD, GET, POST")
        assert answer.body == b"Method Not Allowed"
        answer = await send(client, "GET", "/s/1")
        assert answer.json() == {
            "tag": "second",
            "params": {"a": "1", "b": "1"},
            "trace": ["first"],
        }
