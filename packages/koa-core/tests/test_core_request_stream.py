"""``ctx.request.stream()``: the body as it arrives, 100-continue on the first read; and
``app.create_context``, the one factory every request's context comes from."""

from __future__ import annotations

import asyncio
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.connection import Connection
from koa.core.testing import TestClient


def counting_app() -> Koa:
    async def count(ctx: Context, next: Next) -> None:
        chunks = 0
        size = 0
        async for chunk in ctx.request.stream(timeout=10):
            chunks += 1
            size += len(chunk)
        ctx.body = {"size": size, "done": ctx.request.body_done, "some": chunks > 0}

    return Koa().use(count)


async def test_a_chunked_upload_is_read_as_it_arrives() -> None:
    async def parts() -> Any:
        for _ in range(5):
            yield b"x" * 1000
            await asyncio.sleep(0)

    async with TestClient(counting_app()) as client:
        res = await client.post("/", data=parts())
        assert await res.json() == {"size": 5000, "done": True, "some": True}


async def test_a_request_without_a_body_streams_nothing() -> None:
    async with TestClient(counting_app()) as client:
        res = await client.get("/")
        assert await res.json() == {"size": 0, "done": True, "some": False}


async def test_100_continue_goes_out_on_the_first_read_only() -> None:
    async with TestClient(counting_app()) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        try:
            writer.write(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
            )
            await writer.drain()
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(b"abcd")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            body = await asyncio.wait_for(reader.readexactly(length), 10)
            assert body == b'{"size":4,"done":true,"some":true}'
        finally:
            writer.close()


async def test_an_app_that_never_reads_sends_no_100_continue() -> None:
    app = Koa().use(lambda ctx, next: setattr(ctx, "body", "no thanks"))
    async with TestClient(app) as client:
        raw = await client.raw(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n",
            timeout=5,
        )
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"100 Continue" not in raw


async def test_create_context_is_the_factory_of_every_request() -> None:
    class Tagged(Koa):
        def create_context(self, conn: Connection) -> Context:
            ctx = super().create_context(conn)
            ctx.state["tag"] = f"{conn.method} {conn.target}"
            return ctx

    app = Tagged()
    app.use(lambda ctx, next: setattr(ctx, "body", ctx.state["tag"]))
    async with TestClient(app) as client:
        assert await (await client.get("/a?b")).text() == "GET /a?b"
        assert await (await client.post("/c")).text() == "POST /c"
