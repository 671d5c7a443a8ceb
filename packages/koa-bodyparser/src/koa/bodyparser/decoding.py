"""Content-Encoding decoders for servers that do not let aiohttp inflate request bodies.

By default aiohttp decodes gzip, deflate and br (when a brotli binding is installed) before
the body reaches us; these are used with ``auto_decompress=False``. Each call returns at
most ``max_length`` bytes of output, so a small compressed body cannot expand in memory
past the limit (a "zip bomb").
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

from koa.core import HttpError

from .content_types import shown


class Decoder(Protocol):
    def decode(self, data: bytes, max_length: int) -> bytes:
        """Feed ``data``; at most ``max_length`` bytes come back (more means over the limit)."""

    def finish(self, max_length: int) -> bytes:
        """Flush at the end of the body; raises ``HttpError(400)`` for a truncated stream."""


def _undecodable(encoding: str) -> HttpError:
    return HttpError(400, f"request body is not valid {encoding}", headers={"Connection": "close"})


class ZlibDecoder:
    """gzip (several members allowed) and deflate (zlib-wrapped, or raw as some clients send)."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._obj: zlib._Decompress | None = None
        self._pending = b""

    def _new(self, first: bytes) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        # RFC 1950 header: the low nibble of the first byte is 8 (deflate).
        wbits = zlib.MAX_WBITS if first[0] & 0x0F == 8 else -zlib.MAX_WBITS
        return zlib.decompressobj(wbits=wbits)

    def decode(self, data: bytes, max_length: int) -> bytes:
        out: list[bytes] = []
        budget = max_length
        data = self._pending + data if self._pending else data
        self._pending = b""
        try:
            while data and budget > 0:
                if self._obj is None:
                    self._obj = self._new(data)
                obj = self._obj
                piece = obj.decompress(data, budget)
                out.append(piece)
                budget -= len(piece)
                if obj.eof:
                    data = obj.unused_data
                    if data and not self._gzip:
                        raise _undecodable(self._encoding)
                    self._obj = None
                else:
                    data = obj.unconsumed_tail
            # Unread input only remains when the output already reached the budget.
            self._pending = data
        except zlib.error as exc:
            raise _undecodable(self._encoding) from exc
        return b"".join(out)

    def finish(self, max_length: int) -> bytes:
        out = self.decode(b"", max_length) if self._pending else b""
        if self._obj is not None and not self._obj.eof:
            raise _undecodable(self._encoding)
        return out


class BrotliDecoder:
    """br, through the ``brotli`` binding (its output limit keeps bombs bounded)."""

    def __init__(self) -> None:
        self._obj = _brotli().Decompressor()

    def decode(self, data: bytes, max_length: int) -> bytes:
        try:
            out: bytes = self._obj.process(data, output_buffer_limit=max_length)
        except brotli_error() as exc:
            raise _undecodable("br") from exc
        return out

    def finish(self, max_length: int) -> bytes:
        if self._obj.is_finished():
            return b""
        try:
            out: bytes = self._obj.process(b"", output_buffer_limit=max_length)
        except brotli_error() as exc:
            raise _undecodable("br") from exc
        if len(out) < max_length and not self._obj.is_finished():
            raise _undecodable("br")  # the stream stopped before its end
        return out


def _brotli() -> Any:
    try:
        import brotli  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - a dependency on CPython
        import brotlicffi as brotli  # type: ignore[import-not-found,unused-ignore]
    return brotli


def brotli_error() -> type[Exception]:
    error: type[Exception] = _brotli().error
    return error


def decoder_for(encoding: str) -> Decoder:
    """A decoder for ``encoding``; ``HttpError(415)`` when it is not gzip, deflate or br."""
    if encoding in ("gzip", "x-gzip", "deflate"):
        return ZlibDecoder(encoding)
    if encoding == "br":
        return BrotliDecoder()
    raise HttpError(415, f"Unsupported Content-Encoding: {shown(encoding)}")
