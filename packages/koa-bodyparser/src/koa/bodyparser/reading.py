"""Reading the request body from aiohttp's ``StreamReader``, bounded in size and in time."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.http import HttpVersion11
from aiohttp.http_exceptions import HttpProcessingError
from koa.core import Context, HttpError

from .decoding import Decoder, decoder_for

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Sent with errors that leave part of the body unread: the connection cannot be reused.
_CLOSE = {"Connection": "close"}


def _too_large(limit: int, *, unread: bool) -> HttpError:
    return HttpError(
        413, "request entity too large", headers=_CLOSE if unread else None, limit=limit
    )


async def read_body(ctx: Context[Any], limit: int, timeout: float | None) -> bytes:
    """The whole (decoded) body, at most ``limit`` bytes.

    Raises ``HttpError``: 413 as soon as the body is known to exceed ``limit`` (from
    Content-Length, or while streaming, before the rest is read), 415 for a Content-Encoding
    that cannot be decoded, 400 for a body that fails to decode or a client that went away,
    408 when no data arrives for ``timeout`` seconds.
    """
    req = ctx.req
    content = req.content
    decoder: Decoder | None = None
    encoding = req.headers.get("Content-Encoding", "").strip().lower()
    if encoding and encoding != "identity":
        # aiohttp inflates gzip, deflate and br itself (bounded, with flow control) and
        # leaves a count of compressed bytes behind; otherwise we have to do it here.
        if getattr(content, "total_compressed_bytes", None) is None:
            decoder = decoder_for(encoding)
    else:
        length = ctx.request.length
        if length is not None and length > limit:
            # A body that has already arrived whole is dropped by aiohttp and the connection
            # stays usable (as in Node); otherwise it is closed rather than drained.
            raise _too_large(limit, unread=not content.is_eof())

    chunks: list[bytes] = []
    size = 0
    try:
        if (
            req.version == HttpVersion11
            and not content.is_eof()
            and req.headers.get("Expect", "").lower() == "100-continue"
        ):
            # The client waits for this before sending the body (aiohttp's low-level server
            # leaves it to the handler).
            await req.writer.write(_CONTINUE)
            req.writer.output_size = 0
        while True:
            chunk = content.read_nowait(-1)
            if not chunk:
                if content.is_eof():
                    break
                if timeout is None:
                    chunk = await content.readany()
                else:
                    chunk = await asyncio.wait_for(content.readany(), timeout)
                if not chunk:
                    break
            if decoder is not None:
                chunk = decoder.decode(chunk, limit - size + 1)
                if not chunk:
                    continue
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, unread=not content.is_eof())
            chunks.append(chunk)
        if decoder is not None:
            chunk = decoder.finish(limit - size + 1)
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, unread=False)
            if chunk:
                chunks.append(chunk)
    except asyncio.TimeoutError:
        raise HttpError(408, "request body timeout", headers=_CLOSE) from None
    except (web.RequestPayloadError, HttpProcessingError) as exc:
        raise HttpError(400, _payload_error_message(encoding), headers=_CLOSE) from exc
    except ConnectionError as exc:
        raise HttpError(400, "request aborted", code="ECONNABORTED") from exc
    if len(chunks) == 1:
        return chunks[0]  # the usual case: no copy
    return b"".join(chunks)


def _payload_error_message(encoding: str) -> str:
    if encoding and encoding != "identity":
        return f"request body is not valid {encoding}"
    return "invalid request body"
