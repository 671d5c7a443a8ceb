"""Requests whose answers were compared byte for byte with @koa/router 15.7 on koa 3.3.

Every expected status, header and body here is what the real Koa.js app answered for the
same router and the same raw request.
"""

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


def trace(label: str) -> Any:
    async def mw(ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trace", []).append(label)
        await next()

    return mw


def param_trace(label: str) -> Any:
    async def handler(value: str, ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trace", []).append(f"{label}:{value}")
        await next()

    return handler


def with_trace(tag: str) -> Any:
    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "params": ctx.params, "trace": ctx.state.get("trace", [])}

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


async def test_strict_trailing_slashes_and_case() -> None:
    router = Router(strict=True)
    router.get("/y/", rep("y/"))
    router.get("/x", rep("x"))
    router.get("/opt{/:id}", rep("opt"))
    router.get("/w/*path", rep("w"))
    async with TestClient(app_of(router)) as client:
        assert (await send(client, "GET", "/y")).status == 404
        assert (await send(client, "GET", "/y/")).json()["tag"] == "y/"
        assert (await send(client, "GET", "/opt/1/")).status == 404
        # The wildcard takes the trailing slash; strict does not make matching case-sensitive.
        assert (await send(client, "GET", "/w/a/")).json()["params"] == {"path": "a/"}
        assert (await send(client, "GET", "/X")).json()["tag"] == "x"


async def test_a_route_with_a_trailing_slash_when_not_strict() -> None:
    router = Router()
    router.get("/t/", rep("t/"))
    router.use("/admin/", trace("admin/"))
    router.get("/admin/", with_trace("admin/"))
    router.get("/admin/x", with_trace("admin/x"))
    async with TestClient(app_of(router)) as client:
        assert (await send(client, "GET", "/t")).status == 404
        assert (await send(client, "GET", "/t//")).json()["tag"] == "t/"
        # use("/admin/") covers "/admin/" itself, not the paths below it.
        assert (await send(client, "GET", "/admin//")).json()["trace"] == ["admin/"]
        assert (await send(client, "GET", "/admin/x")).json()["trace"] == []


async def test_sensitive_keeps_the_trailing_slash_optional() -> None:
    router = Router(sensitive=True)
    router.get("/Cap/:Id", rep("cap"))
    router.get("/w/*Rest", rep("w"))
    async with TestClient(app_of(router)) as client:
        assert (await send(client, "GET", "/Cap/x/")).json()["params"] == {"Id": "x"}
        assert (await send(client, "GET", "/W/a")).status == 404


async def test_nested_routers_keep_their_own_options() -> None:
    strict_child = Router(strict=True)
    strict_child.get("/", rep("root"))
    strict_child.get("/k", rep("k"))
    sensitive_child = Router(sensitive=True)
    sensitive_child.get("/K", rep("K"))
    parent = Router(prefix="/p")
    parent.use("/c", strict_child.routes())
    parent.use("/s", sensitive_child.routes())
    async with TestClient(app_of(parent)) as client:
        assert (await send(client, "GET", "/p/c")).status == 404
        assert (await send(client, "GET", "/p/c/")).json()["route"] == "/p/c/"
        assert (await send(client, "GET", "/p/c/k/")).status == 404
        assert (await send(client, "GET", "/p/s/k")).status == 404
        # The parent's prefix is matched with the child's sensitivity.
        assert (await send(client, "GET", "/p/S/K")).status == 404


async def test_parameterised_prefixes_on_parent_and_child() -> None:
    child = Router(prefix="/c/:cid")
    child.get("/r/:rid", rep("r"))
    parent = Router(prefix="/p/:pid")
    parent.use(child.routes())
    async with TestClient(app_of(parent)) as client:
        answer = await send(client, "GET", "/p/%31/c/%32/r/%2F")
        assert answer.json() == {
            "tag": "r",
            "params": {"pid": "1", "cid": "2", "rid": "/"},
            "route": "/p/:pid/c/:cid/r/:rid",
        }


async def test_param_handlers_of_child_and_parent_and_use_paths() -> None:
    child = Router()
    child.param("id", param_trace("child-id"))
    child.get("/:id", with_trace("c"))
    parent = Router(prefix="/t/:tenant")
    parent.param("tenant", param_trace("tenant"))
    parent.param("id", param_trace("parent-id"))
    parent.use("/u", child.routes())
    other = Router()
    other.param("org", param_trace("org"))
    other.use("/o/:org", trace("use-org"))
    other.get("/o/:org/x", with_trace("x"))
    async with TestClient(app_of(parent, other)) as client:
        answer = (await send(client, "GET", "/t/a%20b/u/%41")).json()
        assert answer["params"] == {"tenant": "a b", "id": "A"}
        # URL order; for one name the child's own handler comes before the inherited one.
        assert answer["trace"] == ["tenant:a b", "child-id:A", "parent-id:A"]
        answer = (await send(client, "GET", "/o/acme/x")).json()
        assert answer["trace"] == ["org:acme", "use-org"]


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


async def test_redirects() -> None:
    router = Router()
    router.redirect("/old", "/new")
    router.redirect("/q", "/new?x=1&y=<b>")
    router.redirect("/ext", "https://example.com/a b")
    async with TestClient(app_of(router)) as client:
        answer = await send(client, "POST", "/old")
        assert (answer.status, answer.headers["location"]) == (301, "/new")
        assert answer.body == b"Redirecting to /new."
        answer = await send(client, "GET", "/OLD?a=1")
        assert (answer.status, answer.headers["location"]) == (301, "/new")
        answer = await send(client, "GET", "/q")
        assert answer.headers["location"] == "/new?x=1&y=%3Cb%3E"
        answer = await send(client, "GET", "/ext")
        assert answer.headers["location"] == "https://example.com/a%20b"


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


async def test_router_path_option_wins_over_new_router_path() -> None:
    fixed = Router(router_path="/fixed")
    fixed.get("/fixed", rep("fixed"))

    async def rewrite(ctx: Context, next: Next) -> None:
        ctx.new_router_path = "/virt/7"
        await next()

    app: Koa = Koa()
    app.use(rewrite).use(fixed.routes()).use(fixed.allowed_methods())
    async with TestClient(app) as client:
        assert (await send(client, "GET", "/anything")).json()["tag"] == "fixed"
        answer = await send(client, "POST", "/anything")
        assert (answer.status, answer.headers["allow"]) == (405, "HEAD, GET")
