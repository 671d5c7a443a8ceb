"""Requests aiohttp cannot parse get Koa's plain answer: no echo, no server banner."""

from __future__ import annotations

import logging

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def _app() -> Koa:
    app = Koa()

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "ok"

    return app.use(hello)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /\x01<script>alert(1)</script> HTTP/1.1\r\nHost: a\r\n\r\n",
        b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
        b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n",
    ],
)
async def test_malformed_request_gets_a_plain_400(raw: bytes) -> None:
    async with TestClient(_app()) as client:
        reply = await client.raw(raw, timeout=5)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b"400 Bad Request")
    assert body == b"Bad Request"
    headers = head.lower()
    assert b"server:" not in headers
    assert b"content-type: text/plain; charset=utf-8" in headers
    # Nothing from the request is echoed back.
    for echoed in (b"script", b"abc", b"aaaa", b"bbbb"):
        assert echoed not in reply


async def test_bad_requests_are_logged_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with TestClient(_app()) as client:
        reply = await client.raw(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
        assert b"400 Bad Request" in reply
        # The server keeps serving well-formed requests.
        res = await client.get("/")
        assert await res.text() == "ok"
    records = [r for r in caplog.records if r.name.startswith("aiohttp")]
    assert records, "the bad request should be logged"
    assert all(r.levelno == logging.DEBUG for r in records)
