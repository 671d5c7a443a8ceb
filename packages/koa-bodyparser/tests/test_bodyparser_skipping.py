"""Requests the parser leaves alone: methods not parsed, and the skip flag."""

from __future__ import annotations

import pytest
from bodyparser_helpers import echoed, presence_echo_app, request
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next

JSON = "application/json"


@pytest.mark.parametrize("method", ["GET", "DELETE", "OPTIONS", "PURGE"])
async def test_methods_that_are_not_parsed_by_default(method: str) -> None:
    echo = await echoed(presence_echo_app(), request(b'{"a":1}', JSON, method=method))
    assert echo == {"has": False, "body": None, "raw": None}


async def test_a_listed_method_without_a_body_gets_an_empty_object() -> None:
    app = presence_echo_app(parsed_methods=("POST", "DELETE"))
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
