"""Requests aiohttp cannot parse get Koa's plain answer: no echo, no server banner."""

from __future__ import annotations

import asyncio
import logging

import pytest
from core_bad_requests import HOSTILE, TOO_LONG
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

#: What aiohttp's server answers itself; test_core_asgi.py has the ASGI side.
KOA_BACKENDS = ("aiohttp",)


def _app() -> Koa:
    app = Koa()

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "ok"

    return app.use(hello)


@pytest.mark.parametrize("raw", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_malformed_request_gets_a_plain_400(raw: bytes) -> None:
    async with TestClient(_app()) as client:
        reply = await client.raw(raw, timeout=5)
    head, _, body = reply.partition(b"\r\n\r\n")
    # HTTP/1.1 as Node answers, although the request line may not have parsed.
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 400 Bad Request"
    assert b"\r\nConnection: close" in head
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


@pytest.mark.parametrize("raw", list(TOO_LONG.values()), ids=list(TOO_LONG))
async def test_a_request_line_or_header_over_16_kb_gets_431(raw: bytes) -> None:
    async with TestClient(_app()) as client:
        reply = await client.raw(raw, timeout=5)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert body == b"Request Header Fields Too Large"
    assert b"aaaa" not in reply
    assert b"bbbb" not in reply


async def test_request_lines_and_headers_up_to_16_kb_are_served_as_node_serves_them() -> None:
    app = Koa()

    async def echo(ctx: Context, next: Next) -> None:
        ctx.body = f"{len(ctx.path)} {len(ctx.get('X-Big'))}"

    app.use(echo)
    async with TestClient(app) as client:
        res = await client.get("/" + "a" * 10_000, headers={"X-Big": "b" * 16_000})
        assert res.status == 200
        assert await res.text() == "10001 16000"


async def test_idle_and_half_sent_connections_are_closed_after_the_keep_alive_timeout() -> None:
    """Node's 5 s keep-alive timeout; aiohttp's low-level default would keep them an hour."""

    async def wait_for_close(client: TestClient, data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        try:
            writer.write(data)
            return await asyncio.wait_for(reader.read(), 15)  # raises if still open
        finally:
            writer.close()
            await writer.wait_closed()

    async with TestClient(_app()) as client:
        nothing, partial, answered = await asyncio.gather(
            wait_for_close(client, b""),
            wait_for_close(client, b"GET / HTTP/1.1\r\nHost: a\r\n"),
            wait_for_close(client, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        )
    assert nothing == b""
    assert partial == b""
    assert answered.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answered.endswith(b"\r\n\r\nok")
