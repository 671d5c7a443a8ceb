"""Responses cut short (a stream failing midway) logged as such; complete ones not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import logger
from logger_helpers import Capture


async def failing_stream(first: bytes | None) -> AsyncIterator[bytes]:
    if first is not None:
        yield first
        await asyncio.sleep(0.01)
    raise RuntimeError("the stream failed")


@pytest.mark.parametrize("close", [True, False])
async def test_a_stream_that_fails_midway_is_logged_as_cut(close: bool) -> None:
    # koa-logger: `-x-`, the connection closed before the response finished.
    capture = Capture()
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: None)
    app.use(logger(transporter=capture, color=False))

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = failing_stream(b"c" * 10)

    app.use(stream)
    connection = b"Connection: close\r\n" if close else b""
    async with TestClient(app) as client:
        answer = await client.raw(b"GET /s HTTP/1.1\r\nHost: t\r\n" + connection + b"\r\n")
        assert answer.endswith(b"a\r\ncccccccccc\r\n")  # no last chunk
        (_, (line, args)) = await capture.wait(2)
    assert len(args) == 6
    assert line == f"  -x- GET /s 200 {args[4]} 10b"


async def test_a_stream_that_fails_before_its_first_byte_logs_the_500_sent() -> None:
    # koa 3 on node 20 resets the connection here (and koa-logger prints `-x- ... 200`);
    # koa-core answers 500, and the line says so.
    capture = Capture()
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: None)
    app.use(logger(transporter=capture, color=False))

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = failing_stream(None)

    app.use(stream)
    async with TestClient(app) as client:
        res = await client.get("/s")
        assert res.status == 500
        (_, (line, args)) = await capture.wait(2)
    assert len(args) == 6
    assert line == f"  --> GET /s 500 {args[4]} 21b"


async def test_complete_streams_are_not_logged_as_cut() -> None:
    capture = Capture()
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=False))

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * 600
        yield b"b" * 600

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = chunks()

    app.use(stream)
    async with TestClient(app) as client:
        for close in (b"Connection: close\r\n", b""):
            await client.raw(b"GET /s HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n", timeout=0.5)
        entries = await capture.wait(4)
    assert [line.split(" 200 ")[0] for line, _ in entries[1::2]] == ["  --> GET /s"] * 2
    assert all(line.endswith(" 1.17kb") for line, _ in entries[1::2])


# aiohttp's own WebSocketResponse through ctx.respond = False: the aiohttp escape hatch.
@pytest.mark.backends("aiohttp")
async def test_a_websocket_that_ends_normally_is_not_logged_as_cut() -> None:
    capture = Capture()
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=False))

    async def socket(ctx: Context, next: Next) -> None:
        ws = web.WebSocketResponse()
        await ws.prepare(ctx.req)
        await ws.send_str("hi")
        await ws.close()
        ctx.respond = False
        ctx.res = ws

    app.use(socket)
    async with TestClient(app) as client:
        async with client.session.ws_connect(client.make_url("/ws")) as ws:
            assert (await ws.receive()).data == "hi"
            await ws.receive()
        (_, (line, _)) = await capture.wait(2)
    assert line.startswith("  --> GET /ws 101 "), line
