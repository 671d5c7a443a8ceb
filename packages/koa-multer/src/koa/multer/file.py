"""``File``: one uploaded file, on disk (``path``) or in memory (``data``)."""

from __future__ import annotations

import asyncio
import errno
import io
import os
import shutil
from pathlib import Path
from typing import Any, BinaryIO


class File:
    """An uploaded file.

    ``field_name`` is the form field it came in; ``filename`` the name the client gave, for
    display only (never a path to open: it is the last segment of what was sent, and may be
    anything else); ``content_type`` the part's ``Content-Type`` (``text/plain`` when the
    client sent none, as RFC 7578 says); ``size`` its length in bytes. Disk storage sets
    ``path`` (a random name in the destination), memory storage ``data``; another storage
    may put what it needs in ``info``.

    A file stored on disk is removed when the response has been sent, unless the handler
    moved it (``await file.move_to(path)``) or kept it where it is (``file.keep()``).
    """

    def __init__(self, field_name: str, filename: str, content_type: str) -> None:
        self.field_name = field_name
        self.filename = filename
        self.content_type = content_type
        self.size = 0
        self.path: Path | None = None
        self.data: bytes | None = None
        self.info: dict[str, Any] = {}
        self.kept = False
        """True once moved or kept: the file then outlives the request."""

    def keep(self) -> None:
        """Leave the file where it is after the response (it is yours to remove)."""
        self.kept = True

    async def move_to(self, destination: str | os.PathLike[str]) -> Path:
        """Move (or, from memory, write) the file to ``destination`` and keep it there.

        Runs in a thread. An existing file at ``destination`` is replaced. Returns the new
        path, which ``file.path`` now holds.
        """
        target = Path(destination)
        if self.path is not None:
            await asyncio.to_thread(_move, self.path, target)
        elif self.data is not None:
            await asyncio.to_thread(target.write_bytes, self.data)
        else:
            raise TypeError("this file's storage keeps it elsewhere: it has no path or data")
        self.path = target
        self.kept = True
        return target

    async def read(self) -> bytes:
        """The whole content (from disk in a thread)."""
        if self.data is not None:
            return self.data
        if self.path is not None:
            return await asyncio.to_thread(self.path.read_bytes)
        raise TypeError("this file's storage keeps it elsewhere: it has no path or data")

    async def open(self) -> BinaryIO:
        """A binary file object over the content (opened in a thread); close it when done.

        It can be a response body as it is: ``ctx.body = await file.open()``.
        """
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.path is not None:
            return await asyncio.to_thread(open, self.path, "rb")
        raise TypeError("this file's storage keeps it elsewhere: it has no path or data")

    def __repr__(self) -> str:
        where = f" path={str(self.path)!r}" if self.path is not None else ""
        return (
            f"<File {self.field_name!r} filename={self.filename!r}"
            f" {self.content_type} {self.size} bytes{where}>"
        )


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # Another file system: copy, then remove the original.
        shutil.move(os.fspath(source), os.fspath(target))
