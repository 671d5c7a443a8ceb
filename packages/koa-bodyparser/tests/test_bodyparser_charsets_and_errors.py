"""Header values in error messages, and Latin-1 forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

FORM = "application/x-www-form-urlencoded"


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


@pytest.mark.parametrize(
    ("header", "message"),
    [
        # A byte that is not UTF-8 in the header (Koa ignores the charset; here it was a 500).
        (
            b"Content-Type: application/json; charset=utf-8\xff",
            b'unsupported charset "UTF-8\\udcff"',
        ),
        (b"Content-Type: application/json; charset=\xc3\xa9", b'unsupported charset "\\xc9"'),
        (
            b"Content-Type: application/json; charset=" + b"x" * 5000,
            b'unsupported charset "' + b"X" * 64 + b'..."',
        ),
        (
            b"Content-Type: application/json\r\nContent-Encoding: g\xffzip",
            b"Unsupported Content-Encoding: g\\udcffzip",
        ),
        (
            b"Content-Type: application/json\r\nContent-Encoding: " + b"x" * 3000,
            b"Unsupported Content-Encoding: " + b"x" * 64 + b"...",
        ),
    ],
)
async def test_header_values_in_415_messages_are_escaped_and_bounded(
    header: bytes, message: bytes
) -> None:
    raw = request(b'{"a":1}', None, headers=header + b"\r\n")
    assert await send(echo_app(), raw) == (415, message)


async def test_a_latin1_form_mixing_letters_and_escapes() -> None:
    # The declared charset is used (a documented difference: Koa decodes as utf-8): the
    # letters of the body and its escapes decode alike.
    raw = request(b"b=\xe9&c=\xe9%E9+%80", f"{FORM}; charset=latin1")
    assert (await echoed(echo_app(), raw))["body"] == {"b": "é", "c": "éé \x80"}
    raw = request(b"c=\x80%80", f"{FORM}; charset=windows-1252")
    assert (await echoed(echo_app(), raw))["body"] == {"c": "€€"}
