"""Streams are flushed chunk by chunk: server-sent events arrive compressed, one by one.

The client below reads the raw socket and decompresses as bytes arrive. The server sends the
next event only after the client has decoded the previous one, so a compressor that held
output back would stall the test (bounded by a timeout) instead of passing.
"""

from __future__ import annotations

import asyncio
import sys
import zlib
from collections.abc import AsyncIterator
from typing import Any

import brotli  # type: ignore[import-untyped,unused-ignore]
import pytest
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

WAIT = 10  # seconds: a bound for a stalled test, never a measure of speed


def decompressor(encoding: str) -> Any:
    if encoding == "gzip":
        return zlib.decompressobj(31).decompress
    if encoding == "deflate":
        return zlib.decompressobj().decompress
    if encoding == "br":
        return brotli.Decompressor().process
    return zstd.ZstdDecompressor().decompress


class RawResponse:
    """An HTTP/1.1 response read straight off the socket, its chunks decoded as they come."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.headers: dict[str, str] = {}

    @classmethod
    async def get(cls, port: int, path: str, accept: str) -> RawResponse:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: {accept}\r\n\r\n".encode()
        )
        self = cls(reader, writer)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0] == "HTTP/1.1 200 OK"
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers[name.lower()] = value.strip()
        return self

    async def chunk(self) -> bytes:
        size = int((await asyncio.wait_for(self.reader.readline(), WAIT)).split(b";")[0], 16)
        data = await asyncio.wait_for(self.reader.readexactly(size + 2), WAIT)
        return data[:-2]

    def close(self) -> None:
        self.writer.close()


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
async def test_server_sent_events_arrive_one_by_one(encoding: str) -> None:
    decoded_one = asyncio.Event()
    events = [f"id: {n}\nevent: tick\ndata: {'x' * 40}\n\n" for n in range(1, 6)]

    async def stream() -> AsyncIterator[str]:
        for event in events:
            yield event
            await asyncio.wait_for(decoded_one.wait(), WAIT)  # until the client has it
            decoded_one.clear()

    app = Koa()
    app.use(compress())

    async def sse(ctx: Context, next: Next) -> None:
        ctx.type = "text/event-stream"
        ctx.set("Cache-Control", "no-cache")
        ctx.body = stream()

    app.use(sse)
    async with TestClient(app) as client:
        res = await RawResponse.get(client.port, "/", encoding)
        assert res.headers["content-encoding"] == encoding
        assert res.headers["transfer-encoding"] == "chunked"
        decode = decompressor(encoding)
        for event in events:
            text = b""
            while text != event.encode():
                text += decode(await res.chunk())
                assert event.encode().startswith(text)
            decoded_one.set()
        res.close()


async def test_a_client_that_leaves_mid_stream_releases_the_stream() -> None:
    started = asyncio.Event()
    released = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            n = 0
            while True:
                n += 1
                yield f"data: {n}\n\n".encode()
                started.set()
                await asyncio.sleep(0.01)
        finally:
            released.set()

    app = Koa()
    app.use(compress())

    async def sse(ctx: Context, next: Next) -> None:
        ctx.type = "text/event-stream"
        ctx.body = endless()

    app.use(sse)
    async with TestClient(app) as client:

        def running() -> set[asyncio.Task[Any]]:
            return {t for t in asyncio.all_tasks() if not t.done()}

        baseline = running()
        res = await RawResponse.get(client.port, "/", "gzip")
        decode = decompressor("gzip")
        assert decode(await res.chunk()) == b"data: 1\n\n"
        await asyncio.wait_for(started.wait(), WAIT)
        res.close()
        await asyncio.wait_for(released.wait(), WAIT)

        async def settled() -> None:
            # No event tells that a task has ended: poll (bounded by the caller's timeout).
            while running() - baseline - {asyncio.current_task()}:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        # The request's task ends: nothing is left reading the stream or holding the encoder.
        await asyncio.wait_for(settled(), WAIT)


async def test_a_body_replaced_before_it_was_read_releases_its_source() -> None:
    # An outer middleware fails after compress() wrapped the stream: the error response
    # replaces the body, and the stream that never ran must still be closed.
    closed = asyncio.Event()

    class Source:
        def __aiter__(self) -> Source:
            return self

        async def __anext__(self) -> bytes:
            return b"x" * 10

        async def aclose(self) -> None:
            closed.set()

    app = Koa(silent=True)

    async def outer(ctx: Context, next: Next) -> None:
        await next()
        ctx.throw(500, "after compression")

    app.use(outer)
    app.use(compress())
    app.use(lambda ctx, next: setattr(ctx, "body", Source()))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Accept-Encoding": "gzip"})
        assert res.status == 500
        assert "Content-Encoding" not in res.headers
        await asyncio.wait_for(closed.wait(), WAIT)
