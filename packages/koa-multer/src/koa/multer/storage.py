"""Where file parts go: ``DiskStorage``, ``MemoryStorage``, or a ``Storage`` of your own."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, Union

from koa.core import Context

from .errors import MulterError
from .file import File

Destination = Callable[[Context[Any], File], Union[str, "os.PathLike[str]", Awaitable[Any]]]
Filename = Callable[[Context[Any], File], str | Awaitable[str]]

# Chunks are gathered up to this size before a write, so a thread is woken once per 256 KB
# rather than once per chunk read (benchmarks/multer_upload.py measures the choice).
WRITE_SIZE = 256 * 1024


class Storage(Protocol):
    """A storage engine (multer's ``_handleFile`` / ``_removeFile``).

    ``store`` consumes ``chunks`` (the file's bytes, already checked against the limits) and
    records where the file went on ``file``: ``file.path``, ``file.data`` or ``file.info``.
    Record it *before* writing anything, and let exceptions from ``chunks`` propagate: when
    a limit is hit or the client goes away mid-file, ``chunks`` raises, and ``remove`` is then
    called for the file, finished or not. ``remove`` is also called when the response has
    been sent, for every file the handler did not move or keep. An engine that streams
    parts to object storage, say, never touches the disk::

        class BucketStorage:
            async def store(self, ctx, file, chunks):
                file.info["key"] = key = secrets.token_hex(16)
                async with bucket.writer(key) as out:
                    async for chunk in chunks:
                        await out.write(chunk)

            async def remove(self, ctx, file):
                if not file.kept:
                    await bucket.delete(file.info["key"])
    """

    async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
        """Consume ``chunks`` and record where the file went on ``file``."""

    async def remove(self, ctx: Context[Any], file: File) -> None:
        """Remove what ``store`` kept for ``file`` (called at most once per file)."""


class MemoryStorage:
    """Keeps each file in memory as ``file.data`` (bounded by ``file_size`` per file,
    ``files`` per request and ``total_size`` in all)."""

    async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
        parts = [chunk async for chunk in chunks]
        file.data = parts[0] if len(parts) == 1 else b"".join(parts)

    async def remove(self, ctx: Context[Any], file: File) -> None:
        if not file.kept:
            file.data = None


class DiskStorage:
    """Writes each file to ``destination`` under a random name, in a thread.

    ``destination``: a folder (created if missing, at construction), or a function
    ``(ctx, file) -> folder`` (may be async). Default: the system's temporary folder.
    ``filename``: a function ``(ctx, file) -> name`` (may be async) for the name inside the
    folder. Default: 32 random hex digits. The client's filename is never used by default;
    a name of your own must be one path segment (no ``/``, ``\\``, NUL, ``.`` or ``..``), and
    an existing file is never overwritten (files are created exclusively, mode 0600).
    """

    def __init__(
        self,
        *,
        destination: str | os.PathLike[str] | Destination | None = None,
        filename: Filename | None = None,
    ) -> None:
        if destination is None:
            destination = tempfile.gettempdir()
        if isinstance(destination, (str, os.PathLike)):
            folder = Path(destination)
            folder.mkdir(parents=True, exist_ok=True)
            self._destination: Destination | None = None
            self._folder: Path | None = folder
        elif callable(destination):
            self._destination = destination
            self._folder = None
        else:
            raise TypeError("destination must be a path or a function (ctx, file) -> path")
        if filename is not None and not callable(filename):
            raise TypeError("filename must be a function (ctx, file) -> str")
        self._filename = filename

    async def _target(self, ctx: Context[Any], file: File) -> Path:
        folder = self._folder
        if folder is None:
            assert self._destination is not None
            result = self._destination(ctx, file)
            if inspect.isawaitable(result):
                result = await result
            folder = Path(result)
        if self._filename is None:
            return folder / secrets.token_hex(16)
        name = self._filename(ctx, file)
        if inspect.isawaitable(name):
            name = await name
        if not isinstance(name, str) or name in ("", ".", "..") or any(c in name for c in "/\\\0"):
            raise MulterError(400, "INVALID_FILE_NAME", "Invalid file name for storage")
        return folder / name

    async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
        path = await self._target(ctx, file)
        fd = await asyncio.to_thread(
            os.open, path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
        )
        file.path = path
        try:
            pending: list[bytes] = []
            size = 0
            async for chunk in chunks:
                pending.append(chunk)
                size += len(chunk)
                if size >= WRITE_SIZE or len(pending) >= 512:  # writev takes <= 1024 buffers
                    await asyncio.to_thread(_write_all, fd, pending)
                    pending = []
                    size = 0
            if pending:
                await asyncio.to_thread(_write_all, fd, pending)
        finally:
            await asyncio.to_thread(os.close, fd)

    async def remove(self, ctx: Context[Any], file: File) -> None:
        path = file.path
        if path is None or file.kept:
            return
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(os.unlink, path)


def unlink_all(paths: list[Path]) -> None:
    """Remove ``paths`` (in a thread), logging what cannot be removed."""
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:
            logging.getLogger("koa.multer").exception("could not remove the upload %s", path)


def _write_all(fd: int, chunks: list[bytes]) -> None:
    """Write every chunk (``os.writev`` where there is one: no joining copy)."""
    writev = getattr(os, "writev", None)
    if writev is None:  # pragma: no cover - Windows
        data = b"".join(chunks)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return
    total = sum(len(chunk) for chunk in chunks)
    written = writev(fd, chunks)
    if written < total:
        # A short write (a full disk, a signal): finish what is left the simple way.
        rest = memoryview(b"".join(chunks))[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]
