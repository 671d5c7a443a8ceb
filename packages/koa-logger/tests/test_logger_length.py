"""The length field: what actually went out, streamed bodies included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import logger
from logger_helpers import Capture


async def logged_length(body: Any, *, method: str = "GET") -> str:
    """Serve ``body`` behind the logger; the length field of the response line."""
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False))

    async def send(ctx: Context, next: Next) -> None:
        if body is not None:
            ctx.body = body() if callable(body) else body

    app.use(send)
    async with TestClient(app) as client:
        res = await client.request(method, "/")
        entries = await capture.wait(2)
    await res.read()
    args = entries[1][1]
    assert len(args) == 6
    return args[5]


async def test_text_bodies_log_their_encoded_size() -> None:
    assert await logged_length("hello world") == "11b"
    assert await logged_length("é" * 768) == "1.5kb"


async def test_bytes_and_json_bodies() -> None:
    assert await logged_length(b"\x00" * (1024 * 1024 + 5)) == "1mb"
    assert await logged_length({"a": 1}) == "7b"


async def test_an_empty_body_logs_a_dash_as_koa_logger() -> None:
    assert await logged_length("") == "-"


async def test_no_body_logs_the_status_text_sent() -> None:
    assert await logged_length(None) == "9b"  # 404 "Not Found"


async def test_a_file_logs_its_size(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"<p>" + b"x" * 1533)
    assert await logged_length(page) == "1.5kb"


async def test_a_stream_logs_the_body_bytes_really_sent() -> None:
    # koa-logger logs "-" for every stream under koa 2+; here the bytes are counted.
    async def chunks() -> AsyncIterator[bytes]:
        for size in (1000, 1000, 105):
            yield b"s" * size

    assert await logged_length(chunks) == "2.06kb"


async def test_a_large_stream_logs_its_size() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(24):
            yield b"m" * 65536

    assert await logged_length(chunks) == "1.5mb"


async def test_a_stream_with_a_declared_length_logs_it() -> None:
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False))

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * 10
        yield b"b" * 10

    async def send(ctx: Context, next: Next) -> None:
        ctx.body = chunks()
        ctx.length = 20

    app.use(send)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.read() == b"a" * 10 + b"b" * 10
        entries = await capture.wait(2)
    args = entries[1][1]
    assert len(args) == 6
    assert args[5] == "20b"


async def test_head_of_a_stream_logs_a_dash() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"never sent"

    assert await logged_length(chunks, method="HEAD") == "-"
