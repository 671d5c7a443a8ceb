"""Context: own members and the accessors it delegates to ``ctx.request`` / ``ctx.response``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import koa.core
import pytest
from koa.core import Context, Koa, Next, Request, Response
from koa.core.testing import TestClient

REQUEST_GETTERS = [
    "header",
    "headers",
    "method",
    "url",
    "origin",
    "href",
    "path",
    "querystring",
    "search",
    "query",
    "host",
    "hostname",
    "protocol",
    "secure",
    "ip",
    "ips",
    "subdomains",
    "fresh",
    "stale",
    "idempotent",
]
RESPONSE_GETTERS = [
    "status",
    "message",
    "body",
    "length",
    "type",
    "last_modified",
    "etag",
    "header_sent",
    "writable",
]


async def test_getters_delegate() -> None:
    results: dict[str, bool] = {}

    async def handler(ctx: Context, next: Next) -> None:
        ctx.etag = "x"
        ctx.body = "hi"
        for name in REQUEST_GETTERS:
            results[name] = getattr(ctx, name) == getattr(ctx.request, name)
        for name in RESPONSE_GETTERS:
            results[name] = getattr(ctx, name) == getattr(ctx.response, name)

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        await client.get(
            "/a/b?x=1&x=2",
            headers={"Origin": "http://o.test", "Accept": "text/html", "Host": "a.b.example.com"},
        )
    assert results == dict.fromkeys(REQUEST_GETTERS + RESPONSE_GETTERS, True)


async def test_methods_delegate() -> None:
    seen: dict[str, Any] = {}

    async def handler(ctx: Context, next: Next) -> None:
        seen["accepts"] = ctx.accepts("json", "html")
        seen["accepts_encodings"] = ctx.accepts_encodings("gzip", "identity")
        seen["accepts_charsets"] = ctx.accepts_charsets("utf-8")
        seen["accepts_languages"] = ctx.accepts_languages("en", "fr")
        seen["is_"] = ctx.is_("json")
        seen["get"] = ctx.get("x-custom")
        ctx.set("X-Set", "1")
        ctx.append("X-Set", "2")
        ctx.set("X-Gone", "1")
        ctx.remove("X-Gone")
        seen["has"] = ctx.has("X-Set")
        ctx.vary("Accept")
        ctx.attachment("a.txt")
        ctx.body = "ok"

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.post(
            "/",
            data=b"{}",
            headers={
                "Content-Type": "application/json",
                "Accept": "text/html",
                "Accept-Encoding": "gzip",
                "Accept-Language": "fr",
                "X-Custom": "v",
            },
        )
        assert res.headers.getall("X-Set") == ["1", "2"]
        assert "X-Gone" not in res.headers
        assert res.headers["Vary"] == "Accept"
        assert res.headers["Content-Disposition"] == 'attachment; filename="a.txt"'
    assert seen == {
        "accepts": "html",
        "accepts_encodings": "gzip",
        "accepts_charsets": "utf-8",
        "accepts_languages": "fr",
        "is_": "json",
        "get": "v",
        "has": True,
    }


# ctx.req is aiohttp's request here.
@pytest.mark.backends("aiohttp")
async def test_setters_delegate() -> None:
    seen: dict[str, Any] = {}

    async def handler(ctx: Context, next: Next) -> None:
        ctx.method = "PUT"
        ctx.path = "/new"
        ctx.querystring = "z=9"
        seen["request"] = (ctx.request.method, ctx.request.url, ctx.request.query["z"])
        ctx.search = "?y=8"
        ctx.query = {"a": ["1", "2"]}
        seen["url"] = ctx.url
        ctx.url = "/final?q=1"
        seen["final"] = (ctx.path, ctx.querystring, ctx.original_url)
        ctx.status = 201
        ctx.message = "Made"
        ctx.type = "json"
        ctx.last_modified = datetime(2020, 1, 1, tzinfo=timezone.utc)
        ctx.etag = "v1"
        ctx.body = {"ok": True}
        ctx.length = 11
        seen["response"] = (ctx.response.status, ctx.response.message, ctx.response.type)

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/orig?x=1")
        assert (res.status, res.reason) == (201, "Made")
        assert res.headers["ETag"] == '"v1"'
        assert res.headers["Last-Modified"] == "Wed, 01 Jan 2020 00:00:00 GMT"
        assert res.headers["Content-Length"] == "11"
        assert await res.json() == {"ok": True}
    assert seen == {
        "request": ("PUT", "/new?z=9", "9"),
        "url": "/new?a=1&a=2",
        "final": ("/final", "q=1", "/orig?x=1"),
        "response": (201, "Made", "application/json"),
    }


# ctx.req is aiohttp's request here.
@pytest.mark.backends("aiohttp")
async def test_own_members() -> None:
    seen: dict[str, Any] = {}

    async def handler(ctx: Context, next: Next) -> None:
        seen["types"] = (
            isinstance(ctx.request, Request),
            isinstance(ctx.response, Response),
            ctx.app is app,
            ctx.req.path,
        )
        seen["links"] = (ctx.response.ctx is ctx, ctx.response.request is ctx.request)
        seen["defaults"] = (ctx.state, ctx.params, ctx.respond, ctx.original_url)
        seen["json"] = sorted(ctx.to_json())
        seen["repr"] = repr(ctx)
        ctx.cookies.set("a", "1", signed=False)
        ctx.body = "x"

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/p?q=1")
        assert res.headers["Set-Cookie"].startswith("a=1; path=/")
    assert seen == {
        "types": (True, True, True, "/p"),
        "links": (True, True),
        "defaults": ({}, {}, True, "/p?q=1"),
        "json": ["app", "original_url", "request", "response"],
        "repr": "<Context GET /p?q=1>",
    }


def test_public_names() -> None:
    assert sorted(koa.core.__all__) == [
        "ComposedMiddleware",
        "Context",
        "Cookies",
        "HookMiddleware",
        "Hooks",
        "HttpError",
        "Keygrip",
        "Koa",
        "Middleware",
        "Next",
        "Request",
        "Response",
        "STATUS_PHRASES",
        "Server",
        "StartupError",
        "WebSocket",
        "WebSocketDisconnect",
        "compose",
        "create_http_error",
        "current_context",
        "fixed_headers",
        "is_http_error",
        "json_dumps",
        "json_loads",
    ]
    for name in koa.core.__all__:
        assert getattr(koa.core, name) is not None
