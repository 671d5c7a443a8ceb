"""Large bodies are compressed in a worker thread, so the event loop keeps serving.

The loop's default executor is swapped for one whose jobs wait at a gate the test opens: while
a large body's compression is held there, other requests (a small body, and a body compressed
on the loop) are answered; then the gate opens and the large response completes intact. No
clock is read.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

WAIT = 10
BIG = ("Hello compressible world. " * 40_000).encode()  # about 1 MB
MEDIUM = "Hello compressible world. " * 400  # 10 KB: compressed on the loop


class GatedExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.gate = threading.Event()
        self.submitted: list[Callable[..., Any]] = []
        self.any_submitted = asyncio.Event()  # submit() runs on the loop's thread

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.append(fn)
        self.any_submitted.set()

        def gated() -> Any:
            self.gate.wait(WAIT)
            return fn(*args, **kwargs)

        return super().submit(gated)


async def big_stream() -> AsyncIterator[bytes]:
    yield BIG


async def raw_get(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n"
    writer.write(head.encode() + b"\r\n")
    return reader, writer


async def read_all(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    data = await asyncio.wait_for(reader.read(), WAIT)
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while True:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line, 16)
            if not size:
                break
            out, body = out + body[:size], body[size + 2 :]
        body = out
    return head.decode("latin-1"), body


@pytest.mark.parametrize("kind", ["bytes", "stream"])
async def test_a_large_body_is_compressed_off_the_loop(kind: str) -> None:
    app = Koa()
    app.use(compress())

    async def send(ctx: Context, next: Next) -> None:
        if ctx.path == "/big":
            ctx.type = "text/plain"
            ctx.body = BIG if kind == "bytes" else big_stream()
        elif ctx.path == "/medium":
            ctx.body = MEDIUM
        else:
            ctx.body = "small"

    app.use(send)
    executor = GatedExecutor()
    loop = asyncio.get_running_loop()
    async with TestClient(app) as client:
        loop.set_default_executor(executor)
        try:
            big_reader, big_writer = await raw_get(client.port, "/big")
            await asyncio.wait_for(executor.any_submitted.wait(), WAIT)
            # The large body's compression waits in the thread; the loop serves the others.
            reader, writer = await raw_get(client.port, "/small")
            head, body = await read_all(reader)
            assert (head.split("\r\n")[0], body) == ("HTTP/1.1 200 OK", b"small")
            writer.close()
            reader, writer = await raw_get(client.port, "/medium")
            head, body = await read_all(reader)
            assert "Content-Encoding: gzip" in head
            assert zlib.decompress(body, 31) == MEDIUM.encode()
            writer.close()
            assert len(executor.submitted) == 1  # the medium body did not go to the thread

            executor.gate.set()
            head, body = await read_all(big_reader)
            big_writer.close()
            assert "Content-Encoding: gzip" in head
            assert zlib.decompress(body, 31) == BIG
        finally:
            executor.gate.set()
    executor.shutdown(wait=True)
