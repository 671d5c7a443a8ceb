"""Helpers shared by the koa-multer tests: a raw HTTP/1.1 connection, and what is left on disk.

Imported by name (``from multer_helpers import Raw``): the root ``pyproject.toml`` puts each
package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run with
``--import-mode=importlib``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

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


async def connect(port: int) -> Raw:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return Raw(reader, writer)


def listing(folder: Path) -> list[str]:
    """The names in ``folder``, sorted."""
    return sorted(os.listdir(folder))


async def left_on_disk(folder: Path) -> list[str]:
    """The names still in ``folder`` once the server has had time to clean up (files are
    removed after the response, in a thread)."""
    for _ in range(int(WAIT / 0.02)):
        if not listing(folder):
            break
        await asyncio.sleep(0.02)
    return listing(folder)


def upload_folder(tmp_path: Path) -> Path:
    """An empty folder for disk storage (each test file's ``uploads`` fixture)."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


BOUNDARY = "XyZ"
CT = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def part(name: str, value: bytes, filename: str | None = None, *, headers: str = "") -> bytes:
    """One part of a ``multipart/form-data`` body (``headers``: extra lines, each ending
    in CRLF)."""
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return f"--{BOUNDARY}\r\n{disposition}\r\n{headers}\r\n".encode() + value + b"\r\n"


def body(*parts: bytes) -> bytes:
    """A ``multipart/form-data`` body of ``parts``, closed."""
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
