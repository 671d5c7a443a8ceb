"""What a body's kind sets: Content-Type from a text's first character, the length of JSON,
HEAD lengths and lone surrogates (expected bytes from Koa 3.3 on 127.0.0.1)."""

from __future__ import annotations

import pytest
from core_raw_answers import app_of, raw_get
from koa.core import Context
from koa.core.testing import TestClient


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("\ufeff<p>", "text/html; charset=utf-8"),  # JS \s has U+FEFF
        ("\u3000\u2009<p>", "text/html; charset=utf-8"),
        ("\x1c<p>", "text/plain; charset=utf-8"),  # Python's isspace() has these, JS not
        ("\x85<p>", "text/plain; charset=utf-8"),
    ],
)
async def test_str_body_is_html_after_javascript_whitespace_only(
    body: str, content_type: str
) -> None:
    def handler(ctx: Context) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == content_type
        assert await res.read() == body.encode()


async def test_a_json_body_gets_its_real_length_whatever_was_set() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = {"a": 1}
        ctx.length = 3

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Length"] == "7"
        assert await res.read() == b'{"a":1}'
        head = await client.head("/")
        assert head.headers["Content-Length"] == "3"  # HEAD keeps what was set, as Koa


@pytest.mark.parametrize("body", [0, False])
async def test_head_of_a_falsy_json_body_has_no_length(body: object) -> None:
    def handler(ctx: Context) -> None:
        ctx.body = body

    status, headers, _ = await raw_get(
        app_of(handler), b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == ["application/json; charset=utf-8"]
    assert "content-length" not in headers


async def test_length_reads_leading_digits_as_parse_int() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("Content-Length", "12abc")
        ctx.set("X-L", str(ctx.length))
        ctx.set("Content-Length", "abc")
        ctx.set("X-M", str(ctx.length))
        ctx.status = 204

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert (res.headers["X-L"], res.headers["X-M"]) == ("12", "0")


async def test_json_in_a_parameter_does_not_keep_a_non_json_type() -> None:
    def handler(ctx: Context) -> None:
        ctx.type = "text/plain; note=json"
        ctx.body = {"a": 1}

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "sent", "content_type"),
    [
        ("a\ud800b", b"a\xef\xbf\xbdb", "text/plain; charset=utf-8"),  # U+FFFD, as Buffer
        ("a\ud83d\ude00b", "a\U0001f600b".encode(), "text/plain; charset=utf-8"),  # a pair
        ({"s": "a\ud800b"}, b'{"s":"a\\ud800b"}', "application/json; charset=utf-8"),
    ],
)
async def test_a_lone_surrogate_in_a_body_is_sent_not_a_500(
    body: object, sent: bytes, content_type: str
) -> None:
    def handler(ctx: Context) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == content_type
        assert res.headers["Content-Length"] == str(len(sent))
        assert await res.read() == sent
