"""Body types, Content-Type inference, null bodies and status rules."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from koa.core import STATUS_PHRASES, Context, Koa, Next
from koa.core.testing import TestClient

Handler = Callable[[Context, Next], Coroutine[Any, Any, None]]


def app_of(handler: Handler) -> Koa:
    app = Koa(silent=True)
    app.use(handler)
    return app


async def test_no_middleware_is_a_404_with_the_status_text() -> None:
    async with TestClient(Koa()) as client:
        res = await client.get("/")
        assert res.status == 404
        assert res.reason == "Not Found"
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert res.headers["Content-Length"] == "9"
        assert await res.text() == "Not Found"
        assert "Server" not in res.headers


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("Hello", "text/plain; charset=utf-8"),
        ("", "text/plain; charset=utf-8"),
        ("<p>x</p>", "text/html; charset=utf-8"),
        ("  \n<p>x</p>", "text/html; charset=utf-8"),
        ("foo <b>", "text/plain; charset=utf-8"),
        ('<?xml version="1.0"?><a/>', "text/html; charset=utf-8"),
        ("héllo ✓", "text/plain; charset=utf-8"),
    ],
)
async def test_string_bodies_are_typed_from_their_start(body: str, content_type: str) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == content_type
        assert res.headers["Content-Length"] == str(len(body.encode()))
        assert await res.text() == body


@pytest.mark.parametrize("body", [b"abc", bytearray(b"abc"), memoryview(b"abc")])
async def test_binary_bodies_are_octet_streams(body: bytes | bytearray | memoryview) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == "application/octet-stream"
        assert res.headers["Content-Length"] == "3"
        assert await res.read() == b"abc"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"a": 1}, '{"a":1}'),
        ([1, "two", None], '[1,"two",null]'),
        (42, "42"),
        (1.5, "1.5"),
        (False, "false"),
        (True, "true"),
        ({"name": "中文 é"}, '{"name":"中文 é"}'),
        # JSON.stringify writes infinities and NaN as null (Python's Infinity is not JSON).
        (float("inf"), "null"),
        (
            {"a": float("nan"), "b": [float("-inf"), (2.5, float("inf"))]},
            '{"a":null,"b":[null,[2.5,null]]}',
        ),
        ({float("inf"): 1, float("nan"): [1e400]}, '{"Infinity":1,"NaN":[null]}'),
    ],
)
async def test_other_values_are_compact_json(body: object, text: str) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"
        assert res.headers["Content-Length"] == str(len(text.encode()))
        assert await res.text() == text


async def test_json_overrides_an_explicit_non_json_type() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.type = "text/plain"
        ctx.body = {"a": 1}

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_json_keeps_an_explicit_json_flavoured_type() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.set("Content-Type", "application/vnd.api+json")
        ctx.body = {}

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "application/vnd.api+json"
        assert await res.text() == "{}"


async def test_strings_keep_an_explicit_type() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.type = "xml"
        ctx.body = "abc"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "application/xml"
        assert await res.text() == "abc"


async def test_a_pluggable_json_encoder_is_used() -> None:
    app = Koa(json_dumps=lambda value: f"<<{sorted(value)}>>")

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"b": 1, "a": 2}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.text() == "<<['a', 'b']>>"
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_a_body_that_does_not_encode_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.set("X-Before", "1")
        ctx.body = {"when": object()}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert await res.text() == "Internal Server Error"
        assert "X-Before" not in res.headers
    assert any(
        r.name == "koa" and "not JSON serializable" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("explicit_status", [None, 200])
async def test_none_body_becomes_204_and_strips_headers(explicit_status: int | None) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if explicit_status is not None:
            ctx.status = explicit_status
        ctx.type = "text/plain"
        ctx.set("X-Kept", "yes")
        ctx.body = None

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 204
        assert "Content-Type" not in res.headers
        assert "Content-Length" not in res.headers
        assert "Transfer-Encoding" not in res.headers
        assert res.headers["X-Kept"] == "yes"
        assert await res.read() == b""


async def test_explicit_null_then_a_status_sends_an_empty_body_with_length_0() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = None
        ctx.length = 10
        ctx.status = 404

    async with TestClient(app_of(handler)) as client:
        raw = await client.raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")
        assert b"\r\nContent-Length: 0" in head
        assert b"Content-Type" not in head
        assert b"Transfer-Encoding" not in head
        assert body == b""


@pytest.mark.parametrize("status", [205, 304])
async def test_explicit_null_with_an_empty_status(status: int) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = None
        ctx.status = status

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == status
        assert "Content-Type" not in res.headers
        assert await res.read() == b""


async def test_json_type_with_a_null_body_answers_null_and_keeps_404() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.type = "json"
        ctx.body = None

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 404
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"
        assert await res.text() == "null"


@pytest.mark.parametrize(("status", "text"), [(400, "Bad Request"), (200, "OK"), (500, None)])
async def test_a_status_without_a_body_sends_its_phrase(status: int, text: str | None) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = status

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == status
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.text() == (text or "Internal Server Error")


# uvicorn frames a 205 with Content-Length: 0 (its own framing; see koa-core's README).
@pytest.mark.backends("aiohttp")
@pytest.mark.parametrize("status", [204, 205, 304])
async def test_empty_statuses_strip_body_headers(status: int) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.set("X-A", "1")
        ctx.body = "some body"
        ctx.status = status

    async with TestClient(app_of(handler)) as client:
        raw = await client.raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status} ".encode())
        assert b"\r\nX-A: 1" in head
        assert b"Content-Type" not in head
        assert b"Transfer-Encoding" not in head
        # No length for 205 either, as Node sends it (its connection then closes).
        assert b"Content-Length" not in head
        assert body == b""


async def test_an_empty_status_set_before_the_body_wins() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 204
        ctx.type = "text/plain"
        ctx.length = 5
        ctx.body = "hello"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 204
        assert "Content-Type" not in res.headers
        assert "Content-Length" not in res.headers
        assert await res.read() == b""


# ASGI has no reason phrase: the server writes the standard one (koa-core README).
@pytest.mark.backends("aiohttp")
async def test_custom_status_codes_and_messages() -> None:
    STATUS_PHRASES[799] = "custom status"
    try:

        async def handler(ctx: Context, next: Next) -> None:
            if ctx.path == "/registered":
                ctx.status = 799
            else:
                ctx.status = 701

        async with TestClient(app_of(handler)) as client:
            res = await client.get("/registered")
            assert res.status == 799
            assert res.reason == "custom status"
            assert await res.text() == "custom status"
            res = await client.get("/unknown")
            assert res.status == 701
            assert res.reason == "unknown"  # as Node
            assert await res.text() == "701"
    finally:
        del STATUS_PHRASES[799]


# ASGI has no reason phrase: the server writes the standard one (koa-core README).
@pytest.mark.backends("aiohttp")
async def test_message_sets_the_reason_phrase_and_the_default_body() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        ctx.message = "ok"
        assert ctx.message == "ok"
        assert ctx.response.message == "ok"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.reason == "ok"
        assert await res.text() == "ok"


async def test_setting_the_status_resets_the_message() -> None:
    seen: list[str] = []

    async def handler(ctx: Context, next: Next) -> None:
        ctx.message = "custom"
        ctx.status = 418
        seen.append(ctx.message)
        ctx.body = "tea"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 418
        assert res.reason == "I'm a Teapot"
        assert seen == ["I'm a Teapot"]


async def test_a_message_with_a_newline_is_refused() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.message = "ok\r\nX-Evil: 1"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 500
        assert "X-Evil" not in res.headers


async def test_type_none_removes_the_content_type() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "hello"
        ctx.type = None

    async with TestClient(app_of(handler)) as client:
        raw = await client.raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"Content-Type" not in head
        assert body == b"hello"


async def test_an_explicit_status_survives_a_body() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 201
        ctx.body = {"id": 1}

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 201
        assert res.reason == "Created"
        assert await res.json() == {"id": 1}


async def test_the_body_is_readable_after_it_is_set() -> None:
    async def outer(ctx: Context, next: Next) -> None:
        await next()
        ctx.set("X-Body", repr(ctx.body))
        ctx.set("X-Status", str(ctx.status))

    async def inner(ctx: Context, next: Next) -> None:
        ctx.body = {"a": [1]}

    app = Koa()
    app.use(outer).use(inner)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers["X-Body"] == "{'a': [1]}"
        assert res.headers["X-Status"] == "200"


async def test_a_user_content_length_wins_as_in_koa() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "hello"
        ctx.length = 3

    async with TestClient(app_of(handler)) as client:
        raw = await client.raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"\r\nContent-Length: 3\r\n" in raw


async def test_a_self_referencing_body_is_a_500() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        loop: list[object] = []
        loop.append(loop)
        ctx.body = loop

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 500
        assert await res.text() == "Internal Server Error"


async def test_tuples_and_nested_values_encode_as_json() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"t": (1, 2), "n": {"x": [True, None, 0.5]}, "s": 'quote " and \\'}

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert await res.text() == '{"t":[1,2],"n":{"x":[true,null,0.5]},"s":"quote \\" and \\\\"}'
