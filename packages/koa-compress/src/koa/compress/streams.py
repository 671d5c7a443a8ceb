"""Compressed stream bodies: each chunk goes out as soon as the source yields it.

A stream is compressed and flushed chunk by chunk, so server-sent events and other live
streams reach the client event by event (koa-compress and Starlette hold them back until
their compressor's buffer fills). Files are not live: they are compressed without flushing,
reading and compressing in a worker thread. Closing the body (koa-core does when the client
leaves, or when the body is replaced) closes the source and drops the compressor, even if
the body was never read.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncGenerator, Callable
from typing import Any

from .bodies import chunk_bytes
from .encoders import Encoder

#: Compress in a worker thread from this many bytes on (a whole body or a stream's chunk).
#: Below it, compressing costs less than the trip to the thread; above it, the event loop
#: would be held long enough to delay every other request (see the README's measurements).
OFFLOAD_SIZE = 64 * 1024

#: How much of a file is read and compressed at once.
FILE_CHUNK = 64 * 1024


async def compress_whole(compress: Callable[[bytes], bytes], data: bytes) -> bytes:
    """``compress(data)``, in a worker thread when ``data`` is large."""
    if len(data) >= OFFLOAD_SIZE:
        return await asyncio.get_running_loop().run_in_executor(None, compress, data)
    return compress(data)


class CompressedBody:
    """An async iterable body: ``source`` compressed by ``encoder``.

    ``aclose()`` releases the source whether or not the body was read.
    """

    __slots__ = ("_chunks", "_closed", "_iterator", "_source")

    def __init__(self, source: Any, encoder: Encoder) -> None:
        self._source = source
        self._closed = False
        if hasattr(source, "__aiter__"):
            self._iterator = source.__aiter__()
            self._chunks = _stream_chunks(self, encoder)
        else:
            self._iterator = source
            self._chunks = _file_chunks(self, encoder)

    def __aiter__(self) -> CompressedBody:
        return self

    async def __anext__(self) -> bytes:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        await self._chunks.aclose()
        await self._release()

    async def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._iterator is not self._source:
            await _close(self._iterator)
        await _close(self._source)


async def _close(stream: Any) -> None:
    # Errors while closing are swallowed, as koa-core does for the streams it closes.
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
        return
    close = getattr(stream, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


async def _stream_chunks(body: CompressedBody, encoder: Encoder) -> AsyncGenerator[bytes, None]:
    loop = asyncio.get_running_loop()
    try:
        async for chunk in body._iterator:
            data = chunk_bytes(chunk)
            if not data:
                continue
            if len(data) >= OFFLOAD_SIZE:
                out = await loop.run_in_executor(None, encoder.compress_and_flush, data)
            else:
                out = encoder.compress_and_flush(data)
            if out:
                yield out
        yield encoder.finish()
    finally:
        await body._release()


async def _file_chunks(body: CompressedBody, encoder: Encoder) -> AsyncGenerator[bytes, None]:
    file = body._source
    # Files on disk are read (and compressed) in a thread; in-memory files on the loop.
    threaded = isinstance(file, (io.FileIO, io.BufferedReader))
    loop = asyncio.get_running_loop()

    def step() -> tuple[bytes, bytes]:
        data = file.read(FILE_CHUNK)
        if not data:
            return data, encoder.finish()
        return data, encoder.compress(chunk_bytes(data))

    try:
        while True:
            if threaded:
                data, out = await loop.run_in_executor(None, step)
            else:
                data, out = step()
            if out:
                yield out
            if not data:
                return
    finally:
        await body._release()
