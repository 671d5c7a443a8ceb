"""An answer sent before the request was read whole reaches the client: lingering close.

The server refuses some requests before it has read them (431 for a header line over its
limit, 400 for framing it cannot parse, a 413 from the app for an upload it will not take)
and then closes the connection. Closing a socket with unread input makes the kernel send a
reset, which can destroy the answer before the client reads it. The server shuts its sending
side instead, reads and drops the rest (within bounds), then closes (RFC 9112 9.6).

The client here is the simplest kind (Python's ``http.client`` behaves so): it sends the
whole request, then reads the answer until the server closes. A reset fails the test with
``ConnectionResetError`` or ``BrokenPipeError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from koa.core import Context, HttpError, Koa, Next
from koa.core.connection import BodyError
from koa.core.testing import TestClient

# The lingering close is koa-core's aiohttp server's; an ASGI server closes connections itself.
KOA_BACKENDS = ("aiohttp",)

MB = 1024 * 1024


def _app() -> Koa:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/refuse":  # an upload refused on its head, its body never read
            ctx.throw(413, headers={"Connection": "close"})
        if ctx.method == "POST":
            size = 0
            try:
                async for chunk in ctx.request.stream(timeout=30):
                    size += len(chunk)
            except BodyError:
                raise HttpError(400, headers={"Connection": "close"}) from None
            ctx.body = f"read {size}"
            return
        ctx.body = "ok"

    return app.use(handler)


def _send_all_then_read(port: int, data: bytes) -> bytes:
    """Send ``data`` whole, then read until the server closes (raises on a reset)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


@contextlib.asynccontextmanager
async def _connect(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _answer(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, headers, body


_ACCEPT_ENCODING = ", ".join(f"x-junk-{n}" for n in range(10_000)).encode()  # 108 KB
_MORE_HEADERS = b"".join(b"X-Junk-%d: %s\r\n" % (n, b"j" * 1000) for n in range(4000))  # 4 MB
_CHUNKS = b"".join(b"10000\r\n" + b"c" * 0x10000 + b"\r\n" for _ in range(64))  # 4 MB


@pytest.mark.parametrize(
    ("request_bytes", "status", "phrase"),
    [
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: " + _ACCEPT_ENCODING + b"\r\n\r\n",
            431,
            "Request Header Fields Too Large",
            id="a 108 KB Accept-Encoding line",
        ),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 20_000 + b"\r\n" + _MORE_HEADERS,
            431,
            "Request Header Fields Too Large",
            id="a 20 KB header line, then 4 MB more head",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n" + b"z" * (4 * MB),
            400,
            "Bad Request",
            id="an unparsable Content-Length, then a 4 MB body",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"10\r\n" + b"c" * 16 + b"\r\nnot a chunk size\r\n" + _CHUNKS,
            400,
            "Bad Request",
            id="chunked framing broken after the first chunk, then 4 MB",
        ),
        pytest.param(
            b"POST /refuse HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (8 * MB)
            + b"u" * (8 * MB),
            413,
            "Payload Too Large",
            id="an 8 MB upload refused on its head",
        ),
    ],
)
async def test_the_client_reads_the_whole_answer_to_a_request_refused_early(
    request_bytes: bytes, status: int, phrase: str
) -> None:
    async with TestClient(_app()) as client:
        raw = await asyncio.to_thread(_send_all_then_read, client.port, request_bytes)
        status_line, headers, body = _answer(raw)
        assert status_line == f"HTTP/1.1 {status} {phrase}"
        assert headers["Connection"] == "close"
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert body == phrase.encode()
        assert headers["Content-Length"] == str(len(body))
        # The server goes on serving.
        res = await client.get("/")
        assert (res.status, await res.text()) == (200, "ok")


async def test_a_request_read_whole_keeps_its_connection_alive() -> None:
    """Only answers that end the connection linger: a body read whole leaves it usable."""
    body = b"x" * MB
    request = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    last = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    async with TestClient(_app()) as client:
        raw = await asyncio.to_thread(_send_all_then_read, client.port, request + last)
    first, second = raw.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert first.endswith(b"\r\n\r\nread %d" % len(body))
    assert second.endswith(b"\r\n\r\nok")


async def test_a_client_that_keeps_sending_is_cut_off_after_lingering_bytes() -> None:
    """The lingering read is bounded: past ``lingering_bytes`` the server closes."""
    async with TestClient(_app(), lingering_bytes=MB) as client, _connect(client.port) as conn:
        reader, writer = conn
        head = b"POST /refuse HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (1024 * MB)
        writer.write(head)
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\nPayload Too Large"), 30)
        assert answer.startswith(b"HTTP/1.1 413 Payload Too Large\r\n")
        assert await asyncio.wait_for(reader.read(), 30) == b""  # the server's FIN
        # The server still reads: 1 MB of the 1 GB passes, then it closes and sending fails.
        sent = await asyncio.wait_for(_write_until_refused(writer, MB, pause=0), 60)
        assert MB <= sent < 64 * MB  # the kernel's buffers hold a few MB more at most


async def _write_until_refused(
    writer: asyncio.StreamWriter, size: int = 1024, *, pause: float = 0.02
) -> int:
    """Send ``size`` bytes at a time until the connection is refused (the server closed
    it); how many bytes went out before. Fails past 1 GB: nothing stopped the client."""
    sent = 0
    while sent < 1024 * MB:
        try:
            writer.write(b"u" * size)
            await writer.drain()
        except ConnectionError:
            return sent
        sent += size
        await asyncio.sleep(pause)
    raise AssertionError("the server read 1 GB without closing the connection")


async def test_a_client_that_neither_sends_nor_closes_is_closed_after_lingering_time() -> None:
    async with TestClient(_app(), lingering_time=0.5) as client, _connect(client.port) as conn:
        reader, writer = conn
        writer.write(b"POST /refuse HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 30)
        assert answer.startswith(b"HTTP/1.1 413 Payload Too Large\r\n")
        assert answer.endswith(b"\r\n\r\nPayload Too Large")
        # The server reads (and drops) what comes until lingering_time has passed, then
        # closes: what is sent next is refused. Under the 64 MB byte bound, only the time
        # bound can end it.
        await asyncio.wait_for(_write_until_refused(writer), 30)


async def test_the_server_shuts_down_without_waiting_for_a_lingering_client() -> None:
    client = TestClient(_app(), lingering_time=3600, shutdown_timeout=3600)
    await client.start()
    try:
        async with _connect(client.port) as (reader, writer):
            writer.write(b"POST /refuse HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
            assert (await asyncio.wait_for(reader.read(), 30)).startswith(b"HTTP/1.1 413 ")
            # The client keeps its side open: the server stops lingering instead of waiting
            # for it (or for its hour-long shutdown timeout).
            await asyncio.wait_for(client.close(), 60)
            await asyncio.wait_for(_write_until_refused(writer), 30)
    finally:
        await client.close()
