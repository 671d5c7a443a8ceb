"""Helpers for the koa-compress tests: decoding what the server sent."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable

import pytest

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

import brotli  # type: ignore[import-untyped,unused-ignore]

Decoder = Callable[[str | None, bytes], bytes]


def decode(encoding: str | None, data: bytes) -> bytes:
    """``data`` decoded as its Content-Encoding says (``None``: as it is)."""
    if encoding is None:
        return data
    if encoding == "gzip":
        return zlib.decompress(data, 31)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        return brotli.decompress(data)  # type: ignore[no-any-return]
    if encoding == "zstd":
        return zstd.decompress(data)
    raise AssertionError(f"unexpected Content-Encoding {encoding!r}")


@pytest.fixture
def decoded() -> Decoder:
    return decode
