"""A request body that stalls gets Node's ``408 Request Timeout`` instead of a hung handler."""

from __future__ import annotations

import asyncio

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

#: koa-core's aiohttp server's requestTimeout; ASGI servers have their own timeouts.
KOA_BACKENDS = ("aiohttp",)


def _app(outcomes: list[str]) -> Koa:
    app = Koa()

    async def read_body(ctx: Context, next: Next) -> None:
        try:
            body = await ctx.req.read()
        except Exception as err:
            outcomes.append(type(err).__name__)
            raise
        outcomes.append("read")
        ctx.body = b"got " + body

    return app.use(read_body)


async def _exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)  # raises if the server hangs
    finally:
        writer.close()
        await writer.wait_closed()


async def test_a_stalled_body_gets_408_and_the_connection_closes() -> None:
    outcomes: list[str] = []
    async with TestClient(_app(outcomes), request_timeout=0.3) as client:
        reply = await _exchange(
            client.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
        )
        chunked = await _exchange(
            client.port,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        )
        for _ in range(100):  # the handlers end once the server closed their connections
            if len(outcomes) == 2:
                break
            await asyncio.sleep(0.01)
    for answer in (reply, chunked):
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0] == b"HTTP/1.1 408 Request Timeout"
        assert b"\r\nConnection: close" in head
        assert body == b"Request Timeout"
    assert len(outcomes) == 2
    assert "read" not in outcomes  # the body read failed: no handler left waiting


async def test_a_body_received_in_time_keeps_the_connection_usable_after_the_timeout() -> None:
    outcomes: list[str] = []
    async with TestClient(_app(outcomes), request_timeout=0.2) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        try:
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert await asyncio.wait_for(reader.readexactly(9), 5) == b"got hello"
            await asyncio.sleep(0.4)  # past the timeout: its timer was cancelled at the body's end
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert await asyncio.wait_for(reader.readexactly(6), 5) == b"got hi"
        finally:
            writer.close()
            await writer.wait_closed()
    assert outcomes == ["read", "read"]
