"""Reading the request body through ``ctx.request.stream()``, bounded in size and in time."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from koa.core import Context, HttpError
from koa.core.connection import BodyError

from .decoding import Decoder, decoder_for

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
    request = ctx.request
    decoder: Decoder | None = None
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding and encoding != "identity":
        # The server may have inflated the body already (aiohttp does for gzip, deflate and,
        # with a Brotli binding, br: bounded, with flow control); otherwise it is done here.
        if not request.content_decoded:
            decoder = decoder_for(encoding)
    else:
        length = request.length
        if length is not None and length > limit:
            # A body that has already arrived whole is dropped by the server and the
            # connection stays usable (as in Node); otherwise it is closed, not drained.
            raise _too_large(limit, unread=not request.body_done)

    chunks: list[bytes] = []
    size = 0
    try:
        # The first read answers ``Expect: 100-continue``: only once the length is known
        # to fit, so an oversized upload is refused before the client sends it.
        async with contextlib.aclosing(request.stream(timeout=timeout)) as body:
            async for data in body:
                chunk = data
                if decoder is not None:
                    chunk = decoder.decode(chunk, limit - size + 1)
                    if not chunk:
                        continue
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit, unread=not request.body_done)
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
    except BodyError as exc:
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
