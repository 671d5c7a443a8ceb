"""Reading the body: limits (413 before the body is all sent), Expect: 100-continue, stalled
and vanishing clients. Raw sockets, so the test controls exactly what is sent and when."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bodyparser_helpers import echo_app
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

JSON = {"Content-Type": "application/json"}
WAIT = 10.0  # an upper bound on waiting for the server, never an assertion about speed


class Connection:
    """A raw HTTP/1.1 connection that can send part of a request and read one response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        """Read one response (status, lower-case headers, body by Content-Length)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), WAIT)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(length), WAIT) if length else b""
        return status, headers, body

    async def closed_by_server(self) -> bool:
        """True once the server closes the connection (reads and drops anything else)."""
        while True:
            chunk = await asyncio.wait_for(self.reader.read(65536), WAIT)
            if not chunk:
                return True


@contextlib.asynccontextmanager
async def connect(client: TestClient) -> AsyncIterator[Connection]:
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        yield Connection(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def head(headers: dict[str, str], method: str = "POST") -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{method} / HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n".encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def test_over_the_limit_by_content_length_is_413_without_reading() -> None:
    # Scenario 207: over json_limit -> 413 "request entity too large" (exposed, as Koa).
    async with TestClient(echo_app(json_limit="1kb")) as client:
        res = await client.post("/", data=b"[" + b"1," * 600 + b"1]", headers=JSON)
        assert res.status == 413
        assert await res.text() == "request entity too large"

        # Content-Length announces 1 GB; only the headers are sent and 413 comes back.
        async with connect(client) as conn:
            await conn.send(head({**JSON, "Content-Length": str(1 << 30)}))
            status, headers, body = await conn.response()
            assert (status, body) == (413, b"request entity too large")
            assert headers["connection"] == "close"


async def test_limits_accept_ints_and_apply_per_type() -> None:
    app = echo_app(enable_types=["json", "form", "text"], json_limit=10, form_limit="5b")
    async with TestClient(app) as client:
        ok = await client.post("/", data=b"[1,2,3,45]", headers=JSON)
        assert (await ok.json())["body"] == [1, 2, 3, 45]
        res = await client.post("/", data=b"[1,2,3,456]", headers=JSON)
        assert res.status == 413
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        res = await client.post("/", data=b"a=123", headers=form)
        assert (await res.json())["body"] == {"a": "123"}
        res = await client.post("/", data=b"a=1234", headers=form)
        assert res.status == 413
        res = await client.post("/", data=b"x" * 2000, headers={"Content-Type": "text/plain"})
        assert (await res.json())["raw"] == "x" * 2000


async def test_default_limits() -> None:
    # json and text 1 MiB, form 56 KiB, each counted in bytes of the body.
    app = echo_app(enable_types=["json", "form", "text"])
    cases = [
        ("application/x-www-form-urlencoded", b"a=", b"", 56 << 10),
        ("text/plain", b"", b"", 1 << 20),
        ("application/json", b'["', b'"]', 1 << 20),
    ]
    async with TestClient(app) as client:
        for content_type, before, after, limit in cases:
            for extra, status in ((0, 200), (1, 413)):
                size = limit + extra - len(before) - len(after)
                data = io.BytesIO(before + b"0" * size + after)
                res = await client.post("/", data=data, headers={"Content-Type": content_type})
                assert res.status == status, (content_type, extra)


# How aiohttp's server cuts an unread body (lingering_time); an ASGI server does it its own way.
@pytest.mark.backends("aiohttp")
async def test_chunked_body_over_the_limit_is_413_before_the_client_finishes() -> None:
    # No Content-Length: the client streams a body that would never end. The server stops at
    # the limit, answers, and closes the connection once the client stops sending.
    async with (
        TestClient(echo_app(json_limit="16kb"), lingering_time=0.5) as client,
        connect(client) as conn,
    ):
        await conn.send(head({**JSON, "Transfer-Encoding": "chunked"}))
        await conn.send(chunk(b"[" + b"1," * 16384))  # 32 KiB of an unfinished array
        status, headers, body = await conn.response()
        assert (status, body) == (413, b"request entity too large")
        assert headers["connection"] == "close"
        assert await conn.closed_by_server()


# How aiohttp's server cuts an unread body (lingering_time); an ASGI server does it its own way.
@pytest.mark.backends("aiohttp")
async def test_a_client_uploading_a_huge_body_gets_413_and_is_cut_off() -> None:
    # A client that keeps sending a 4 GiB chunked upload: it reads 413 while still sending,
    # and the server closes the connection (after aiohttp's short "lingering" drain).
    total = 4 << 30
    piece = chunk(b"1," * 32768)
    sent = 0

    async def upload(conn: Connection) -> None:
        nonlocal sent
        with contextlib.suppress(ConnectionError):
            while sent < total:
                await conn.send(piece)
                sent += len(piece)

    async with (
        TestClient(echo_app(), lingering_time=0.2) as client,
        connect(client) as conn,
    ):
        await conn.send(head({**JSON, "Transfer-Encoding": "chunked"}) + chunk(b"["))
        uploader = asyncio.create_task(upload(conn))
        status, headers, body = await conn.response()
        assert (status, body) == (413, b"request entity too large")
        assert headers["connection"] == "close"
        await asyncio.wait_for(uploader, WAIT)  # ends because the server closed
        assert sent < total


async def test_a_lying_small_content_length_cannot_smuggle_more_body() -> None:
    # Only Content-Length bytes are the body; what follows is read as the next request.
    async with TestClient(echo_app()) as client, connect(client) as conn:
        await conn.send(
            head({**JSON, "Content-Length": "3"}) + b"[1]" + head(JSON | {"Content-Length": "2"})
        )
        await conn.send(b"[]")
        status, _, body = await conn.response()
        assert (status, body) == (200, b'{"body":[1],"raw":"[1]"}')
        status, _, body = await conn.response()
        assert (status, body) == (200, b'{"body":[],"raw":"[]"}')


async def test_expect_100_continue() -> None:
    async with TestClient(echo_app(json_limit="1kb")) as client:
        # Within the limit: "100 Continue", then the client sends the body.
        async with connect(client) as conn:
            await conn.send(head({**JSON, "Content-Length": "7", "Expect": "100-continue"}))
            interim = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), WAIT)
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            await conn.send(b'{"a":1}')
            status, _, body = await conn.response()
            assert (status, body) == (200, b'{"body":{"a":1},"raw":"{\\"a\\":1}"}')

        # Over the limit: 413 straight away, and the body is never sent.
        async with connect(client) as conn:
            await conn.send(head({**JSON, "Content-Length": "5000", "Expect": "100-continue"}))
            status, _, body = await conn.response()
            assert (status, body) == (413, b"request entity too large")


# How aiohttp's server cuts an unread body (lingering_time); an ASGI server does it its own way.
@pytest.mark.backends("aiohttp")
async def test_a_stalled_body_times_out_with_408() -> None:
    async with (
        TestClient(echo_app(read_timeout=0.2), lingering_time=0.2) as client,
        connect(client) as conn,
    ):
        await conn.send(head({**JSON, "Content-Length": "100"}) + b'{"a":')
        status, headers, body = await conn.response()
        assert (status, body) == (408, b"request body timeout")
        assert headers["connection"] == "close"
        assert await conn.closed_by_server()


async def test_a_client_that_goes_away_does_not_leave_the_handler_hanging() -> None:
    finished: asyncio.Queue[str] = asyncio.Queue()
    errors: list[BaseException] = []
    app: Koa[Any] = Koa()
    app.on("error", lambda err, ctx: errors.append(err))

    async def record(ctx: Context[Any], next: Next) -> None:
        try:
            await next()
        finally:
            finished.put_nowait(ctx.path)

    async def downstream(ctx: Context[Any], next: Next) -> None:
        ctx.body = "parsed"  # never reached: there is no complete body

    app.use(record).use(bodyparser()).use(downstream)
    async with TestClient(app) as client:
        for close_how in ("eof", "abort"):
            async with connect(client) as conn:
                await conn.send(head({**JSON, "Content-Length": "1000"}) + b'{"a":')
                await asyncio.sleep(0)  # let the server start reading
                if close_how == "eof":
                    conn.writer.write_eof()  # half-close: the body is truncated
                else:
                    conn.writer.transport.abort()  # reset
                assert await asyncio.wait_for(finished.get(), WAIT) == "/"
    assert [getattr(err, "status", None) for err in errors] == [400, 400]
    assert [str(err) for err in errors] == ["request aborted", "request aborted"]


async def test_a_1kb_json_echo_round_trips() -> None:
    # The benchmark's request: the body arrives in one piece and is parsed once.
    payload = b'{"items":[' + b",".join(b'{"id":%d,"name":"user"}' % i for i in range(40)) + b"]}"
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=payload, headers=JSON)
        data = await res.json()
        assert data["raw"] == payload.decode()
        assert data["body"]["items"][39] == {"id": 39, "name": "user"}
