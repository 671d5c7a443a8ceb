"""Response headers as Node writes and refuses them: Latin-1 values, booleans, Content-Type
once, Vary items, ``to_json`` (expected bytes from Koa 3.3 on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from core_raw_answers import app_of, raw_get
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


async def _one_chunk() -> AsyncIterator[bytes]:
    yield b"a"


async def test_a_header_value_beyond_latin_1_is_a_500_as_node_refuses_it() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-U", "\u4e2d")
        ctx.body = "x"

    events: list[BaseException] = []
    app = app_of(handler)
    app.on("error", lambda err, ctx: events.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert "X-U" not in res.headers
        assert await res.text() == "Internal Server Error"
    assert [type(e) for e in events] == [ValueError]


async def test_a_latin_1_header_value_is_sent() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-L", "caf\u00e9")
        ctx.body = "x"

    status, headers, _ = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["x-l"] == ["caf\u00e9".encode().decode("latin-1")]  # UTF-8 bytes, as Node


async def test_appending_a_second_content_type_is_a_500() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "x"
        ctx.append("Content-Type", "text/x")

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 500
        assert res.headers.getall("Content-Type") == ["text/plain; charset=utf-8"]


async def test_appending_the_only_content_type_sets_it() -> None:
    def handler(ctx: Context) -> None:
        ctx.append("Content-Type", "text/x")
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers.getall("Content-Type") == ["text/x"]


async def test_response_to_json_has_node_header_names_and_lists() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-A", ["1", "2"])
        ctx.set("ETag", '"e"')
        ctx.body = ctx.response.to_json()

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert await res.json() == {
            "status": 404,  # read before the body was set
            "message": "Not Found",
            "header": {"x-a": ["1", "2"], "etag": '"e"'},
        }


async def test_type_getter_is_the_raw_text_before_the_semicolon() -> None:
    def handler(ctx: Context) -> None:
        ctx.type = "TEXT/HTML"
        ctx.body = ctx.type

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert await res.text() == "TEXT/HTML"


async def test_bool_header_values_are_written_as_javascript_writes_them() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-B", True)
        ctx.set("X-F", False)
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert (res.headers["X-B"], res.headers["X-F"]) == ("true", "false")


@pytest.mark.parametrize("value", ["a\x01b", "a\x7fb", "a\x0bb", "\u4e2d"])
async def test_set_refuses_what_node_refuses_with_a_500(value: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-C", value)
        ctx.body = "x"

    status, headers, body = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert "x-c" not in headers
    assert body == b"Internal Server Error"


@pytest.mark.parametrize("value", ["a\tb", "caf\u00e9", "a\x85b"])
async def test_set_keeps_tab_and_latin_1(value: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-C", value)
        ctx.body = "x"

    status, headers, _ = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["x-c"] == [value.encode().decode("latin-1").strip()]


@pytest.mark.parametrize("mode", ["text", "stream", "flush", "path"])
async def test_a_control_character_assigned_past_set_gets_a_clean_500(
    mode: str, tmp_path: Any
) -> None:
    file = tmp_path / "f.txt"
    file.write_bytes(b"file")

    async def handler(ctx: Context, next: Next) -> None:
        ctx.response.headers["X-C"] = "a\x01b"  # bypasses ctx.set's checks
        if mode == "text":
            ctx.body = "x"
        elif mode == "stream":
            ctx.body = _one_chunk()
        elif mode == "flush":
            await ctx.flush_headers()
        else:
            ctx.body = file

    app = Koa(silent=True)
    app.use(handler)
    status, headers, body = await raw_get(
        app, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert headers["content-length"] == ["21"]
    assert "transfer-encoding" not in headers
    assert body == b"Internal Server Error"


@pytest.mark.parametrize("field", ["", " , ,Origin", "Origin,", "a b"])
async def test_vary_with_an_empty_or_invalid_item_is_a_500_as_the_vary_package(field: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.vary(field)
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 500
        assert "Vary" not in res.headers


async def test_vary_trims_spaces_and_keeps_known_fields_once() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("Vary", "Accept")
        ctx.vary(" origin ,Accept,  X-Y")
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Vary"] == "Accept, origin, X-Y"
