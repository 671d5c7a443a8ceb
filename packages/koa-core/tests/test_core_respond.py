"""``respond``: HEAD, ``ctx.respond = False`` (WebSockets included), ``flush_headers``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def request_bytes(method: str, path: str = "/") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()


def split(raw: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.startswith(b"Date:")]
    return lines, body


async def head_app_routes(ctx: Context, next: Next) -> None:
    path = ctx.path
    if path == "/json":
        ctx.body = {"a": 1}
    elif path == "/text":
        ctx.body = "hello"
    elif path == "/empty":
        ctx.body = ""
    elif path == "/js":
        ctx.type = "application/javascript"
        ctx.body = "x"
    elif path == "/stream":

        async def gen() -> AsyncIterator[bytes]:
            yield b"abc"

        ctx.body = gen()
        ctx.length = 3
    elif path == "/explicit-length":
        ctx.status = 200
        ctx.set("Content-Length", "99")


@pytest.mark.parametrize("path", ["/json", "/text", "/empty", "/js", "/stream", "/"])
async def test_head_sends_the_get_headers_without_a_body(path: str, koa_backend: str) -> None:
    if koa_backend != "aiohttp" and path == "/":
        pytest.skip("h11 frames a HEAD answer without a length as chunked (koa-core README)")
    app = Koa()
    app.use(head_app_routes)
    async with TestClient(app) as client:
        get_lines, get_body = split(await client.raw(request_bytes("GET", path)))
        head_lines, head_body = split(await client.raw(request_bytes("HEAD", path)))
        assert head_body == b""
        if path == "/":
            # No body set: 404 without Content-Type or Content-Length, as Koa.
            assert head_lines == [b"HTTP/1.1 404 Not Found", b"Connection: close"]
            assert get_body == b"Not Found"
        else:
            assert head_lines == get_lines
            assert get_body != b"" or path == "/empty"


async def test_head_keeps_an_explicit_content_length() -> None:
    app = Koa()
    app.use(head_app_routes)
    async with TestClient(app) as client:
        lines, body = split(await client.raw(request_bytes("HEAD", "/explicit-length")))
        assert b"Content-Length: 99" in lines
        assert body == b""


async def test_head_closes_a_stream_body_without_reading_it() -> None:
    closed = asyncio.Event()
    pulled: list[int] = []

    async def handler(ctx: Context, next: Next) -> None:
        async def gen() -> AsyncIterator[bytes]:
            try:
                pulled.append(1)
                yield b"abc"
            finally:
                closed.set()

        ctx.body = gen()

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.head("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == "application/octet-stream"
        assert await res.read() == b""
    assert pulled == []


# ctx.respond = False with aiohttp's own response objects (test_core_asgi.py: the ASGI side).
@pytest.mark.backends("aiohttp")
async def test_respond_false_leaves_a_hand_written_response_alone() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        res = web.StreamResponse(status=299, reason="Mine")
        res.headers["X-Own"] = "1"
        await res.prepare(ctx.req)
        await res.write(b"raw-")
        await res.write(b"bytes")
        await res.write_eof()
        ctx.res = res
        ctx.respond = False
        # Changes after the response went out are ignored without an error.
        ctx.status = 500
        ctx.set("X-Late", "1")
        ctx.body = "ignored"

    app = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 299
        assert res.reason == "Mine"
        assert res.headers["X-Own"] == "1"
        assert "X-Late" not in res.headers
        assert await res.read() == b"raw-bytes"
    assert errors == []


# ctx.respond = False with aiohttp's own response objects (test_core_asgi.py: the ASGI side).
@pytest.mark.backends("aiohttp")
async def test_respond_false_without_a_response_is_a_clear_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.respond = False

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert await res.text() == "Internal Server Error"
    assert any("ctx.respond is False" in r.getMessage() for r in caplog.records)


# ctx.respond = False with aiohttp's own response objects (test_core_asgi.py: the ASGI side).
@pytest.mark.backends("aiohttp")
async def test_websocket_echo_with_respond_false() -> None:
    async def websocket(ctx: Context, next: Next) -> None:
        if ctx.path != "/ws":
            await next()
            return
        ws = web.WebSocketResponse()
        await ws.prepare(ctx.req)
        ctx.res = ws
        ctx.respond = False
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(f"echo: {msg.data}")

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "plain"

    app = Koa()
    app.use(websocket).use(hello)
    async with TestClient(app) as client:
        async with client.session.ws_connect(client.make_url("/ws")) as ws:
            await ws.send_str("hi")
            assert await ws.receive_str(timeout=5) == "echo: hi"
            await ws.send_str("again")
            assert await ws.receive_str(timeout=5) == "echo: again"
        res = await client.get("/other")
        assert await res.text() == "plain"


async def test_flush_headers_freezes_status_and_headers() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 201
        ctx.set("X-Early", "1")
        await ctx.flush_headers()
        assert ctx.header_sent
        ctx.set("X-Late", "1")
        ctx.status = 202
        ctx.body = {"a": 1}
        assert ctx.status == 201

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        raw = await client.raw(request_bytes("GET"))
        lines, body = split(raw)
        assert lines[0] == b"HTTP/1.1 201 Created"
        assert b"X-Early: 1" in lines
        assert b"Transfer-Encoding: chunked" in lines
        assert not any(line.startswith((b"X-Late", b"Content-Type")) for line in lines)
        assert body == b'7\r\n{"a":1}\r\n0\r\n\r\n'


async def test_flush_headers_then_stream() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.type = "text/event-stream"
        await ctx.flush_headers()

        async def events() -> AsyncIterator[str]:
            for i in range(3):
                yield f"data: {i}\n\n"

        ctx.body = events()

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 404  # flushed before any status was set, as in Koa
        assert res.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert await res.text() == "data: 0\n\ndata: 1\n\ndata: 2\n\n"


async def test_writable_is_true_across_keep_alive_requests() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"writable": ctx.writable, "sent": ctx.header_sent}

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        for _ in range(5):
            res = await client.get("/")
            assert await res.json() == {"writable": True, "sent": False}


# On ASGI the client leaving is seen while a response streams only (koa-core README).
@pytest.mark.backends("aiohttp")
async def test_writable_is_false_once_the_client_left() -> None:
    seen: list[bool] = []
    gone = asyncio.Event()

    async def handler(ctx: Context, next: Next) -> None:
        for _ in range(200):
            if not ctx.writable:
                break
            await asyncio.sleep(0.01)
        seen.append(ctx.writable)
        gone.set()
        ctx.body = "too late"

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        _reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(request_bytes("GET"))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(gone.wait(), 5)
    assert seen == [False]
