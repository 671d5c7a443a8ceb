"""Requests the parser leaves alone: methods not parsed, and the skip flag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

JSON = "application/json"


def echo_app(**options: Any) -> Koa:
    app = Koa(silent=True)
    app.use(bodyparser(**options))

    async def echo(ctx: Context, next: Next) -> None:
        body = ctx.request.body
        ctx.body = {"has": body is not None, "body": body, "raw": ctx.request.raw_body}

    app.use(echo)
    return app


def request(
    body: bytes,
    content_type: str | None,
    *,
    method: str = "POST",
    headers: bytes = b"",
    chunks: list[bytes] | None = None,
) -> bytes:
    head = f"{method} / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n".encode() + headers
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n".encode()
    if chunks is not None:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        for chunk in chunks:
            head += b"%x\r\n%s\r\n" % (len(chunk), chunk)
        return head + b"0\r\n\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def send(app: Koa, raw: bytes) -> tuple[int, bytes]:
    async with TestClient(app) as client:
        answer = await client.raw(raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def echoed(app: Koa, raw: bytes) -> Any:
    status, body = await send(app, raw)
    assert status == 200, body
    return json.loads(body)


@pytest.mark.parametrize("method", ["GET", "DELETE", "OPTIONS", "PURGE"])
async def test_methods_that_are_not_parsed_by_default(method: str) -> None:
    echo = await echoed(echo_app(), request(b'{"a":1}', JSON, method=method))
    assert echo == {"has": False, "body": None, "raw": None}


async def test_a_listed_method_without_a_body_gets_an_empty_object() -> None:
    app = echo_app(parsed_methods=("POST", "DELETE"))
    raw = (
        b"DELETE / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\n\r\n"
    )
    assert await echoed(app, raw) == {"has": True, "body": {}, "raw": ""}


async def test_koa_spelling_of_the_skip_flag_on_the_context() -> None:
    # Koa: ctx.disableBodyParser = true; the body stays unread for the handler.
    app = Koa(silent=True)

    async def skip(ctx: Context, next: Next) -> None:
        setattr(ctx, "disable_body_parser", True)  # noqa: B010 - not a declared attribute
        await next()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {
            "body": ctx.request.body,
            "read": (b"".join([chunk async for chunk in ctx.request.stream()])).decode(),
        }

    app.use(skip).use(bodyparser()).use(handler)
    assert await echoed(app, request(b'{"a":1}', JSON)) == {"body": None, "read": '{"a":1}'}
