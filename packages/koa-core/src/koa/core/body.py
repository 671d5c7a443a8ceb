"""The kinds of ``ctx.body``: one small class per kind, as Starlette has one response class per
body kind. Each says what assigning such a body does to the headers (Koa's ``body`` setter),
how long it is (``ctx.length``) and what ``respond`` sends for it.

A kind is decided once, when the body is set, and kept as a singleton on the response, so
no object is made per request for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
from collections.abc import AsyncIterator
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from .headers import CONTENT_LENGTH, CONTENT_TYPE
from .jsoncodec import json_bytes
from .mime import content_type

if TYPE_CHECKING:
    from .context import Context
    from .response import Response

__all__ = [
    "BYTES",
    "JSON",
    "NONE",
    "PATH",
    "STREAM",
    "TEXT",
    "BodyKind",
    "aclose_stream",
    "classify",
    "close_stream",
    "utf8",
]

_CHUNK = 64 * 1024
# JavaScript's ``\s`` (Koa's ``/^\s*</``), not Python's: that one lacks U+FEFF and has
# U+001C-001F and U+0085.
_JS_SPACE_CHARS = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(map(chr, range(0x2000, 0x200B)))
)
_HTML_START = re.compile("^[" + re.escape("".join(sorted(_JS_SPACE_CHARS))) + "]*<")
_JSON_TYPE = re.compile(r"\bjson\b", re.IGNORECASE)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate written as U+FFFD (as Node's Buffer writes it).

    Lone surrogates reach a body from JSON input (``"\\ud800"``); ``str.encode`` refuses them.
    """
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


class BodyKind:
    """One kind of body. ``assign`` runs when such a body is set (before it, Koa's common
    rules: status 200 unless one was set); ``length`` is ``ctx.length`` without a
    Content-Length header; ``payload`` is what ``respond`` sends, ``rest`` what follows
    headers sent early by ``flush_headers``."""

    __slots__ = ()

    #: Whether the body is bytes in memory (sent whole) rather than a stream or a file.
    in_memory = True

    def assign(self, response: Response, value: Any, set_type: bool, replaced: bool) -> None:
        """Set Content-Type (when ``set_type``) and Content-Length for ``value``;
        ``replaced`` when it takes the place of another body."""

    def length(self, response: Response, value: Any) -> int | None:
        return None

    def payload(self, ctx: Context[Any], value: Any) -> bytes:
        """The bytes to send (in-memory kinds only)."""
        raise NotImplementedError

    def rest(self, ctx: Context[Any], value: Any) -> AsyncIterator[bytes]:
        """The body as chunks, written after ``flush_headers``."""
        return _one(self.payload(ctx, value))

    def __repr__(self) -> str:
        return f"<body kind {type(self).__name__.lstrip('_').lower()}>"


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _None(BodyKind):
    __slots__ = ()

    def payload(self, ctx: Context[Any], value: Any) -> bytes:
        response = ctx.response
        if response._explicit_null_body:
            return b""
        # Koa's answer when nothing set a body: the status phrase (or the code).
        return utf8(response.message or str(response.status))


class _Text(BodyKind):
    __slots__ = ()

    def assign(self, response: Response, value: Any, set_type: bool, replaced: bool) -> None:
        headers = response.headers
        if set_type:
            first = value[:1]
            html = first == "<" or (first in _JS_SPACE_CHARS and _HTML_START.match(value))
            headers[CONTENT_TYPE] = (
                "text/html; charset=utf-8" if html else "text/plain; charset=utf-8"
            )
        headers[CONTENT_LENGTH] = str(len(value) if value.isascii() else len(utf8(value)))

    def length(self, response: Response, value: Any) -> int | None:
        return len(utf8(value))

    def payload(self, ctx: Context[Any], value: Any) -> bytes:
        return utf8(value)


class _Bytes(BodyKind):
    __slots__ = ()

    def assign(self, response: Response, value: Any, set_type: bool, replaced: bool) -> None:
        headers = response.headers
        if set_type:
            headers[CONTENT_TYPE] = "application/octet-stream"
        headers[CONTENT_LENGTH] = str(len(value))

    def length(self, response: Response, value: Any) -> int | None:
        return len(value)

    def payload(self, ctx: Context[Any], value: Any) -> bytes:
        return value if type(value) is bytes else bytes(value)


class _Json(BodyKind):
    __slots__ = ()

    def assign(self, response: Response, value: Any, set_type: bool, replaced: bool) -> None:
        headers = response.headers
        headers.popall("Content-Length", None)
        current = headers.get("Content-Type")
        if not current or not _JSON_TYPE.search(current.split(";", 1)[0]):
            headers[CONTENT_TYPE] = "application/json; charset=utf-8"

    def length(self, response: Response, value: Any) -> int | None:
        return len(json_bytes(value, response.app.json_dumps))

    def payload(self, ctx: Context[Any], value: Any) -> bytes:
        return json_bytes(value, ctx.app.json_dumps)


class _Path(BodyKind):
    __slots__ = ()
    in_memory = False

    def assign(self, response: Response, value: Any, set_type: bool, replaced: bool) -> None:
        if replaced:
            response.headers.popall("Content-Length", None)
            response.file_range = None
        if set_type:
            response.headers["Content-Type"] = (
                content_type(value.suffix) or "application/octet-stream"
            )

    async def rest(self, ctx: Context[Any], value: Any) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        file = await loop.run_in_executor(None, open, os.fspath(value), "rb")
        try:
            async for chunk in read_file(file):
                yield chunk
        finally:
            file.close()


class _Stream(BodyKind):
    __slots__ = ()
    in_memory = False

    def assign(self, response: Response, value: Any, set_type: bool, replaced: bool) -> None:
        if replaced:
            response.headers.popall("Content-Length", None)
        if set_type:
            response.headers["Content-Type"] = "application/octet-stream"

    def rest(self, ctx: Context[Any], value: Any) -> AsyncIterator[bytes]:
        return chunks(value)


NONE = _None()
TEXT = _Text()
BYTES = _Bytes()
JSON = _Json()
PATH = _Path()
STREAM = _Stream()


def classify(value: object) -> BodyKind:
    """Which kind of body ``value`` is."""
    if value is None:
        return NONE
    cls = type(value)
    # The common cases first, by exact type (cheaper than isinstance chains).
    if cls is str:
        return TEXT
    if cls is dict or cls is list:
        return JSON
    if cls is bytes:
        return BYTES
    if isinstance(value, str):
        return TEXT
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BYTES
    if isinstance(value, (dict, list, tuple, int, float)):
        return JSON
    if isinstance(value, PurePath):
        return PATH
    if hasattr(value, "__aiter__") or hasattr(value, "read"):
        return STREAM
    return JSON


def chunks(body: Any) -> AsyncIterator[Any]:
    """The chunks of a stream body: an async iterable's own, or a file object's reads."""
    if hasattr(body, "__aiter__"):
        return body.__aiter__()  # type: ignore[no-any-return]
    return read_file(body)


async def read_file(file: Any) -> AsyncIterator[bytes]:
    """A file object's content in chunks; files on disk are read in a thread, so a slow disk
    never blocks the event loop."""
    threaded = isinstance(file, (io.FileIO, io.BufferedReader))
    loop = asyncio.get_running_loop()
    while True:
        chunk = (
            await loop.run_in_executor(None, file.read, _CHUNK) if threaded else file.read(_CHUNK)
        )
        if not chunk:
            return
        yield chunk


def as_bytes(chunk: Any) -> bytes:
    """A stream's chunk as bytes (``str`` as UTF-8); ``TypeError`` for anything else."""
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return chunk  # type: ignore[return-value]
    if isinstance(chunk, str):
        return utf8(chunk)
    raise TypeError(f"a stream body must yield bytes or str, not {type(chunk).__name__}")


_closing: set[asyncio.Task[None]] = set()


def close_stream(stream: object) -> None:
    """Release a stream body that will not be sent (file objects, async generators).

    Errors while closing are swallowed, as Koa does for a replaced stream.
    """
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(aclose_stream(stream))
        _closing.add(task)
        task.add_done_callback(_closing.discard)
        return
    close = getattr(stream, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


async def aclose_stream(stream: object) -> None:
    """``close_stream`` for async code: waits for an async generator's ``aclose()``."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
        return
    close = getattr(stream, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()
