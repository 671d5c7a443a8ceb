"""Helpers shared by the koa-compress tests: a response body decoded as its Content-Encoding
says.

Imported by name (``from compress_helpers import decode``): the root ``pyproject.toml`` puts
each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run with
``--import-mode=importlib``.
"""

from __future__ import annotations

import sys
import zlib

import brotli  # type: ignore[import-untyped,unused-ignore]

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd


def decode(encoding: str | None, data: bytes) -> bytes:
    """``data`` decoded as its Content-Encoding says (``None``: as it is)."""
    if encoding == "gzip":
        return zlib.decompress(data, 31)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        return brotli.decompress(data)  # type: ignore[no-any-return]
    if encoding == "zstd":
        return zstd.decompress(data)
    assert encoding is None, encoding
    return data
