"""Cookie edge cases as the cookies 0.9.2 package behaves in Koa 3.3."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def snapshot(ctx: Context) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key in ctx.query:
        values = ctx.query.getall(key)
        query[key] = values[0] if len(values) == 1 else values
    return {
        "url": ctx.url,
        "path": ctx.path,
        "querystring": ctx.querystring,
        "search": ctx.search,
        "query": query,
        "hostname": ctx.hostname,
        "ip": ctx.ip,
    }


def app_with(change: Callable[[Context], object] | None = None) -> Koa:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        result = change(ctx) if change is not None else None
        ctx.body = {"result": result, **snapshot(ctx)}

    app.use(report)
    return app


def raw_get(target: bytes, *headers: bytes) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: example.com", *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def json_body(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def fetch(app: Koa, target: bytes, *headers: bytes) -> dict[str, Any]:
    async with TestClient(app) as client:
        status, body = json_body(await client.raw(raw_get(target, *headers)))
    assert status == 200
    assert isinstance(body, dict)
    return body


async def test_a_cookie_with_an_empty_name_is_found() -> None:
    def change(ctx: Context) -> object:
        return [ctx.cookies.get(""), ctx.cookies.get("a")]

    body = await fetch(app_with(change), b"/", b"Cookie: =1; a=2")
    assert body["result"] == ["1", "2"]


async def test_max_age_beyond_any_date_is_a_value_error() -> None:
    # Koa writes "expires=Invalid Date"; here it is a clear programmer error (a plain 500).
    app = Koa(silent=True)
    errors: list[str] = []

    async def handler(ctx: Context, next: Next) -> None:
        try:
            ctx.cookies.set("a", "b", max_age=1e17)
        except ValueError as err:
            errors.append(str(err))
            raise

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
    assert res.status == 500
    assert "Set-Cookie" not in res.headers
    assert errors == ["option max_age is out of range: 1e+17"]
