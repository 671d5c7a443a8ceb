"""Request header accessors: ``get`` (Referer/Referrer), ``type``, ``charset``, ``length``,
``is_`` and ``idempotent``.

Expected values are what Koa 3.3 answered for the same requests on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def body_app() -> Koa:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {
            "type": ctx.request.type,
            "charset": ctx.request.charset,
            "length": ctx.request.length,
            "is": ctx.is_(),
            "is_json": ctx.is_("json", "urlencoded", "text/*"),
            "is_suffix": ctx.is_("+json", "application/*"),
        }

    app.use(report)
    return app


async def post(*headers: str, body: bytes = b"", method: str = "POST") -> dict[str, Any]:
    lines = [f"{method} / HTTP/1.1", "Host: x", *headers, "Connection: close"]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    async with TestClient(body_app()) as client:
        head, _, payload = (await client.raw(raw)).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    result: dict[str, Any] = json.loads(payload)
    return result


async def test_type_charset_and_length() -> None:
    seen = await post(
        "Content-Type: text/html; charset=ISO-8859-1", "Content-Length: 2", body=b"ab"
    )
    assert seen["type"] == "text/html"
    assert seen["charset"] == "ISO-8859-1"
    assert seen["length"] == 2
    assert seen["is"] == "text/html"
    assert seen["is_json"] == "text/html"
    assert seen["is_suffix"] is False


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ('text/plain; Charset="utf-8"', "utf-8"),
        ("invalid", ""),
        ("text/html; charset", ""),
        ("text/html;charset=utf-8;", ""),  # content-type 1.x refuses a trailing ';'
        ("text/html; format=flowed", ""),
    ],
)
async def test_charset_is_blank_when_missing_or_malformed(content_type: str, charset: str) -> None:
    seen = await post(f"Content-Type: {content_type}", "Content-Length: 2", body=b"ab")
    assert seen["charset"] == charset


async def test_is_json_short_names_and_suffixes() -> None:
    seen = await post("Content-Type: application/json", "Content-Length: 2", body=b"{}")
    assert (seen["is"], seen["is_json"], seen["is_suffix"]) == (
        "application/json",
        "json",
        "application/json",
    )
    seen = await post(
        "Content-Type: application/x-www-form-urlencoded", "Content-Length: 3", body=b"a=1"
    )
    assert seen["is_json"] == "urlencoded"
    seen = await post("Content-Type: application/vnd.api+json", "Content-Length: 2", body=b"{}")
    assert (seen["is_json"], seen["is_suffix"]) == (False, "application/vnd.api+json")


async def test_is_without_a_body_is_none() -> None:
    seen = await post(method="GET")
    assert (seen["is"], seen["is_json"], seen["length"], seen["type"]) == (None, None, None, "")


async def test_is_with_a_body_but_no_content_type_is_false() -> None:
    seen = await post("Content-Length: 2", body=b"ab")
    assert (seen["is"], seen["is_json"]) == (False, False)


async def test_chunked_body_counts_as_a_body() -> None:
    seen = await post(
        "Content-Type: text/plain",
        "Transfer-Encoding: chunked",
        body=b"2\r\nab\r\n0\r\n\r\n",
    )
    assert (seen["is_json"], seen["length"]) == ("text/plain", None)


async def test_invalid_content_type_matches_nothing() -> None:
    seen = await post("Content-Type: invalid", "Content-Length: 2", body=b"ab")
    assert (seen["type"], seen["is"], seen["is_json"]) == ("invalid", False, False)


async def test_get_is_case_insensitive_and_blank_when_missing() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {
            "ct": ctx.get("content-type"),
            "missing": ctx.get("X-Missing"),
            "referer": ctx.get("Referer"),
            "referrer": ctx.get("Referrer"),
        }

    app.use(report)
    async with TestClient(app) as client:
        res = await client.get(
            "/", headers={"Content-Type": "text/plain", "Referer": "http://r.example/x"}
        )
        assert await res.json() == {
            "ct": "text/plain",
            "missing": "",
            "referer": "http://r.example/x",
            "referrer": "http://r.example/x",
        }
        res = await client.get("/", headers={"Referrer": "http://r2.example/"})
        seen = await res.json()
        assert (seen["referer"], seen["referrer"]) == ("http://r2.example/", "http://r2.example/")


async def test_get_joins_repeated_headers_as_node_does() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {"x": ctx.get("X-Multi"), "cookie": ctx.get("Cookie")}

    app.use(report)
    async with TestClient(app) as client:
        raw = await client.raw(
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Multi: a\r\nX-Multi: b\r\n"
            b"Cookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n"
        )
    assert json.loads(raw.partition(b"\r\n\r\n")[2]) == {"x": "a, b", "cookie": "a=1; b=2"}


# aiohttp's parser refuses it; an ASGI server passes it on.
@pytest.mark.backends("aiohttp")
async def test_repeated_single_value_header_is_refused_by_aiohttp() -> None:
    app = Koa()
    seen: list[str] = []

    async def report(ctx: Context, next: Next) -> None:
        seen.append(ctx.get("User-Agent"))

    app.use(report)
    async with TestClient(app) as client:
        raw = await client.raw(
            b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: one\r\nUser-Agent: two\r\n"
            b"Connection: close\r\n\r\n"
        )
    assert raw.startswith(b"HTTP/1.1 400 Bad Request")  # Node's status line, as Koa
    assert seen == []


@pytest.mark.parametrize(
    ("method", "idempotent"),
    [
        ("GET", True),
        ("HEAD", True),
        ("PUT", True),
        ("DELETE", True),
        ("OPTIONS", True),
        ("TRACE", True),
        ("POST", False),
        ("PATCH", False),
    ],
)
async def test_idempotent(method: str, idempotent: bool) -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.set("X-Idempotent", str(ctx.idempotent))
        ctx.status = 204

    app.use(report)
    async with TestClient(app) as client:
        res = await client.request(method, "/")
        assert res.headers["X-Idempotent"] == str(idempotent)
