"""Stream bodies: async iterables and binary files, replacement, failures, client aborts."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from koa.core import Context, HttpError, Koa, Next
from koa.core.testing import TestClient

GET = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


class Tracked:
    """An async generator body that records how far it got and whether it was closed."""

    def __init__(self, *chunks: bytes | str, fail_at: int | None = None, delay: float = 0) -> None:
        self.chunks = chunks
        self.fail_at = fail_at
        self.delay = delay
        self.sent = 0
        self.closed = asyncio.Event()

    async def gen(self) -> AsyncIterator[bytes | str]:
        try:
            for i, chunk in enumerate(self.chunks):
                if i == self.fail_at:
                    raise RuntimeError(f"stream broke at chunk {i}")
                if self.delay:
                    await asyncio.sleep(self.delay)
                yield chunk
                self.sent += 1
            if self.fail_at == len(self.chunks):
                raise RuntimeError(f"stream broke at chunk {len(self.chunks)}")
        finally:
            self.closed.set()


def recording_app(handler: Any) -> tuple[Koa, list[tuple[BaseException, Context]]]:
    app = Koa()
    events: list[tuple[BaseException, Context]] = []
    app.on("error", lambda err, ctx: events.append((err, ctx)))
    app.use(handler)
    return app, events


# The chunked framing asserted byte for byte is the HTTP/1.x server's.
@pytest.mark.backends("aiohttp")
async def test_an_async_generator_is_streamed_chunked() -> None:
    stream = Tracked(b"one,", "two,", b"three")

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = stream.gen()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        raw = await client.raw(GET)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nContent-Type: application/octet-stream" in head
        assert b"\r\nTransfer-Encoding: chunked" in head
        assert b"Content-Length" not in head
        assert body == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"
    assert stream.closed.is_set()
    assert events == []


async def test_any_async_iterable_is_a_stream() -> None:
    class Counter:
        def __aiter__(self) -> AsyncIterator[bytes]:
            return self.numbers()

        async def numbers(self) -> AsyncIterator[bytes]:
            for i in range(3):
                yield str(i).encode()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.type = "text"
        ctx.body = Counter()

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.text() == "012"


async def test_a_binary_file_is_streamed_and_closed(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    opened: list[io.BufferedReader] = []

    async def handler(ctx: Context, next: Next) -> None:
        file = path.open("rb")
        opened.append(file)
        ctx.body = file

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == "application/octet-stream"
        assert res.headers["Transfer-Encoding"] == "chunked"
        assert await res.read() == data
    assert opened[0].closed


async def test_an_in_memory_file_object_is_a_stream() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = io.BytesIO(b"in memory")

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.read() == b"in memory"


async def test_a_stream_replacing_a_string_drops_the_length_keeps_the_type() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "first"
        ctx.body = Tracked(b"streamed").gen()

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "Content-Length" not in res.headers
        assert await res.read() == b"streamed"


async def test_setting_the_same_stream_twice_keeps_the_length() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        body = Tracked(b"12345").gen()
        ctx.body = body
        ctx.length = 5
        ctx.body = body

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        raw = await client.raw(GET)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"\r\nContent-Length: 5" in head
        assert b"Transfer-Encoding" not in head
        assert body == b"12345"


@pytest.mark.parametrize("replacement", ["text", None, b"bytes", {"json": True}])
async def test_a_replaced_stream_is_closed(replacement: object) -> None:
    stream = Tracked(b"never", b"sent")

    async def handler(ctx: Context, next: Next) -> None:
        gen = stream.gen()
        await gen.__anext__()  # started, so closing it runs its finally block
        ctx.body = gen
        ctx.body = replacement

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        await client.get("/")
        await asyncio.wait_for(stream.closed.wait(), 5)


async def test_a_replaced_file_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"file")
    opened: list[io.BufferedReader] = []

    async def handler(ctx: Context, next: Next) -> None:
        file = path.open("rb")
        opened.append(file)
        ctx.body = file
        ctx.body = "instead"

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.text() == "instead"
    assert opened[0].closed


async def test_a_stream_wrapping_another_stream_leaves_it_open() -> None:
    inner = Tracked(b"abc", b"def")

    async def upper(ctx: Context, next: Next) -> None:
        await next()
        source = ctx.body

        async def wrapped() -> AsyncIterator[bytes]:
            async for chunk in source:
                yield chunk.upper()

        ctx.body = wrapped()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = inner.gen()

    app = Koa()
    app.use(upper).use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.read() == b"ABCDEF"
    assert inner.sent == 2


async def test_a_stream_failing_before_its_first_byte_gets_a_500() -> None:
    stream = Tracked(b"x", fail_at=0)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.set("X-Before", "1")
        ctx.body = stream.gen()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "X-Before" not in res.headers
        assert await res.text() == "Internal Server Error"
        # The connection is still usable.
        res = await client.get("/")
        assert res.status == 500
    assert len(events) == 2  # once per request
    err, _ctx = events[0]
    assert str(err) == "stream broke at chunk 0"
    assert getattr(err, "status", None) == 500
    assert not getattr(err, "header_sent", False)
    assert stream.closed.is_set()


async def test_a_stream_failing_first_with_a_status_uses_it() -> None:
    async def gen() -> AsyncIterator[bytes]:
        raise HttpError(404, "no such thing")
        yield b""  # pragma: no cover

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = gen()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 404
        assert await res.text() == "no such thing"
    assert len(events) == 1


async def test_a_stream_yielding_something_odd_is_a_500() -> None:
    async def gen() -> AsyncIterator[Any]:
        yield 42

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = gen()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
    assert "must yield bytes or str" in str(events[0][0])


async def test_a_stream_failing_midway_closes_the_connection() -> None:
    stream = Tracked(b"first", b"second", fail_at=2)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = stream.gen()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        raw = await client.raw(GET.replace(b"Connection: close", b"Connection: keep-alive"))
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")
        # The two chunks went out, the terminating chunk never did: a truncated response.
        assert body == b"5\r\nfirst\r\n6\r\nsecond\r\n"
    assert len(events) == 1
    err, _ctx = events[0]
    assert str(err) == "stream broke at chunk 2"
    assert getattr(err, "header_sent", False) is True
    assert stream.closed.is_set()


async def test_a_stream_failing_midway_is_logged_without_listeners(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = Tracked(b"a", fail_at=1).gen()

    app = Koa()
    app.use(handler)
    async with TestClient(app) as client:
        await client.raw(GET)
    records = [r for r in caplog.records if r.name == "koa"]
    assert len(records) == 1
    assert "stream broke at chunk 1" in records[0].getMessage()
    assert records[0].exc_info is not None


async def test_a_client_leaving_mid_stream_closes_the_stream() -> None:
    stream = Tracked(*[b"x" * 1024] * 10_000, delay=0.001)
    finished = asyncio.Event()
    aborted: list[bool] = []

    async def handler(ctx: Context, next: Next) -> None:
        def done() -> None:
            aborted.append(ctx.response.aborted)
            finished.set()

        ctx.on_finished(done)
        ctx.body = stream.gen()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(GET)
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(2048)
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(stream.closed.wait(), 10)
        await asyncio.wait_for(finished.wait(), 10)
    assert stream.sent < 10_000
    assert aborted == [True]
    assert events == []


async def test_http_1_0_clients_get_the_stream_delimited_by_close() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = Tracked(b"ab", b"cd").gen()

    app, _ = recording_app(handler)
    async with TestClient(app) as client:
        raw = await client.raw(b"GET / HTTP/1.0\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")  # Node answers 1.0 clients as 1.1
        assert b"Connection: close" in head
        assert b"Transfer-Encoding" not in head
        assert b"Content-Length" not in head
        assert body == b"abcd"


# On ASGI the client leaving is seen while a response streams only (koa-core README).
@pytest.mark.backends("aiohttp")
async def test_a_stream_is_not_read_when_the_client_left_before_respond() -> None:
    started: list[bool] = []

    async def never_read() -> AsyncIterator[bytes]:
        started.append(True)
        yield b"x"

    left = asyncio.Event()
    finished = asyncio.Event()
    aborted: list[bool] = []

    async def handler(ctx: Context, next: Next) -> None:
        def done() -> None:
            aborted.append(ctx.response.aborted)
            finished.set()

        ctx.on_finished(done)
        await asyncio.wait_for(left.wait(), 5)
        for _ in range(100):  # until the server has seen the connection close
            if not ctx.writable:
                break
            await asyncio.sleep(0.01)
        ctx.body = never_read()

    app, events = recording_app(handler)
    async with TestClient(app) as client:
        _reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(GET)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        left.set()
        await asyncio.wait_for(finished.wait(), 5)
    assert started == []
    assert aborted == [True]
    assert events == []
