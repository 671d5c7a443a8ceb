"""A client that shuts its sending side after its requests still gets the answers.

``printf 'GET / HTTP/1.1...' | nc -N`` and scripts that call ``shutdown(SHUT_WR)`` send a FIN
right after the request. aiohttp closes the connection on that FIN and the client reads
nothing; Koa.js answers. Requests received in full are answered, then the connection closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

#: aiohttp's connection handling (the half-close); an ASGI server has its own.
KOA_BACKENDS = ("aiohttp",)

THIS_FILE = Path(__file__).read_bytes()
streamed: list[bytes] = []


async def _stream(log: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in (b"a", b"b"):
        log.append(chunk)
        yield chunk


def _app() -> Koa:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/teapot":
            ctx.throw(418, "short and stout")
        if ctx.path == "/boom":
            raise ValueError("a secret from the server")
        if ctx.path == "/file":
            ctx.body = Path(__file__)
            return
        if ctx.path == "/stream":
            if ctx.query.get("after_fin"):
                # The FIN arrives while the middleware runs. Where aiohttp starts handlers
                # eagerly (Python 3.12+), they run before the server reads the FIN.
                for _ in range(500):
                    if not ctx.writable:
                        break
                    await asyncio.sleep(0.01)
            ctx.body = _stream(streamed)
            return
        if ctx.path == "/writable":
            await asyncio.sleep(0.05)  # let the server see the FIN, however the loop runs
            ctx.body = f"writable {ctx.writable}"
            return
        if ctx.path == "/slow":
            await asyncio.sleep(0.05)
        if ctx.method == "POST":
            ctx.body = b"got " + await ctx.req.read()
        else:
            ctx.body = f"hi {ctx.path}"

    return app.use(handler)


async def _send_then_half_close(port: int, data: bytes) -> bytes:
    """Send ``data``, shut the sending side, read until the server closes (at most 5 s)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()


def _bodies(reply: bytes) -> list[bytes]:
    """The bodies of the fixed-length responses in ``reply``, in order."""
    bodies = []
    while reply:
        head, _, rest = reply.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        bodies.append(rest[:length])
        reply = rest[length:]
    return bodies


async def test_a_request_followed_by_a_half_close_is_answered() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(client.port, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert _bodies(reply) == [b"hi /a"]


async def test_a_slow_handler_still_answers_after_the_half_close() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(client.port, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _bodies(reply) == [b"hi /slow"]


async def test_pipelined_requests_are_all_answered_in_order_then_the_connection_closes() -> None:
    requests = b"".join(
        b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % name for name in (b"one", b"slow", b"three")
    )
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(client.port, requests)
    assert _bodies(reply) == [b"hi /one", b"hi /slow", b"hi /three"]


async def test_a_complete_body_is_read_and_answered() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(
            client.port,
            b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        )
    assert _bodies(reply) == [b"got hello"]


async def test_a_complete_chunked_body_is_read_and_answered() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(
            client.port,
            b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
    assert _bodies(reply) == [b"got abcde"]


async def test_a_body_cut_short_closes_the_connection_and_the_server_goes_on() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(
            client.port,
            b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        )
        assert b"got abc" not in reply
        res = await client.get("/after")
        assert await res.text() == "hi /after"


async def test_a_half_close_on_an_idle_keep_alive_connection_closes_it() -> None:
    async with TestClient(_app()) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        try:
            writer.write(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert await asyncio.wait_for(reader.readexactly(9), 5) == b"hi /first"
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), 5) == b""
        finally:
            writer.close()
            await writer.wait_closed()


async def test_http_1_0_with_a_half_close() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(client.port, b"GET /old HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in reply
    assert reply.endswith(b"\r\n\r\nhi /old")


async def test_an_error_response_still_reaches_the_half_closed_client() -> None:
    async with TestClient(_app()) as client:
        teapot = await _send_then_half_close(
            client.port, b"GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        boom = await _send_then_half_close(client.port, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
    assert teapot.startswith(b"HTTP/1.1 418 I'm a Teapot\r\n")
    assert _bodies(teapot) == [b"short and stout"]
    assert boom.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert _bodies(boom) == [b"Internal Server Error"]


async def test_a_file_body_still_reaches_the_half_closed_client() -> None:
    async with TestClient(_app()) as client:
        reply = await _send_then_half_close(client.port, b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _bodies(reply) == [THIS_FILE]


async def test_after_the_half_close_ctx_writable_is_false_and_a_stream_is_not_started() -> None:
    streamed.clear()
    async with TestClient(_app()) as client:
        writable = await _send_then_half_close(
            client.port, b"GET /writable HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        stream = await _send_then_half_close(
            client.port, b"GET /stream?after_fin=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        # The same requests on a connection left open: writable, and the stream is sent.
        res = await client.get("/writable")
        assert await res.text() == "writable True"
        res = await client.get("/stream")
        assert await res.read() == b"ab"
    assert _bodies(writable) == [b"writable False"]
    assert stream == b""  # the connection closes: no empty 200 in the stream's place
    assert streamed == [b"a", b"b"]  # read once, for the second client only
