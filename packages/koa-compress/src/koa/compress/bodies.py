"""What a response body holds, and its bytes, read through koa-core's public API only."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from koa.core import Context

# The kinds of body koa-core accepts (its ``ctx.body`` table).
TEXT = 1
BYTES = 2
JSON = 3
STREAM = 4
PATH = 5


def kind_of(body: Any) -> int:
    """Which kind ``body`` is, decided in the order koa-core decides it."""
    if isinstance(body, str):
        return TEXT
    if isinstance(body, (dict, list)):
        return JSON
    if isinstance(body, (bytes, bytearray, memoryview)):
        return BYTES
    if isinstance(body, (tuple, int, float)):
        return JSON
    if isinstance(body, PurePath):
        return PATH
    if hasattr(body, "__aiter__") or hasattr(body, "read"):
        return STREAM
    return JSON


def text_bytes(text: str) -> bytes:
    """``text`` as UTF-8 as koa-core sends it (a lone surrogate becomes U+FFFD)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


def json_bytes(ctx: Context[Any], value: Any) -> bytes:
    """A JSON body as the bytes koa-core would send: the app's ``json_dumps``, in UTF-8, a
    lone surrogate escaped (``\\ud800``) as JSON.stringify writes it.

    The one place this package turns a JSON body into bytes.
    """
    text = ctx.app.json_dumps(value)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def chunk_bytes(chunk: Any) -> bytes:
    """A chunk of a stream body: bytes as they are, ``str`` in UTF-8 (as koa-core takes them)."""
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if isinstance(chunk, str):
        return text_bytes(chunk)
    raise TypeError(f"a stream body must yield bytes or str, not {type(chunk).__name__}")
