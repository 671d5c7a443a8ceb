"""Fixtures for koa-multer's tests: an upload folder that must end up empty, and raw HTTP
connections for requests no well-behaved client would send."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

WAIT = 10.0  # an upper bound on waiting for the server, never an assertion about speed


class Raw:
    """A raw HTTP/1.1 connection: send bytes when you like, read one response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        """Status, lower-case headers and body (by Content-Length) of the next response."""
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

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


Connect = Callable[[int], Awaitable[Raw]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """``raw = await connect(port)``; every connection is closed after the test."""
    opened: list[Raw] = []

    async def open_connection(port: int) -> Raw:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        raw = Raw(reader, writer)
        opened.append(raw)
        return raw

    yield open_connection
    for raw in opened:
        await raw.close()


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """An empty folder for disk storage."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def listing(folder: Path) -> list[str]:
    """The names in ``folder``, sorted."""
    return sorted(os.listdir(folder))


LeftOnDisk = Callable[[Path], Awaitable[list[str]]]


@pytest.fixture
def left_on_disk() -> LeftOnDisk:
    """``await left_on_disk(folder)``: the names still in ``folder`` once the server has had
    time to clean up (files are removed after the response, in a thread)."""

    async def names(folder: Path) -> list[str]:
        for _ in range(int(WAIT / 0.02)):
            if not listing(folder):
                break
            await asyncio.sleep(0.02)
        return listing(folder)

    return names
