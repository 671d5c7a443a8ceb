"""Header bytes beyond UTF-8 read as Node reads them (one byte a character) and echoed back;
``request.to_json`` with Node's header object (expected values from Koa 3.3)."""

from __future__ import annotations

import pytest
from core_request_report import app_with, fetch
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


async def test_a_latin_1_header_reads_as_node_reads_it_and_can_be_echoed() -> None:
    # aiohttp keeps such bytes as lone surrogates; echoing one used to be a 500.
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.get('X-Name')}|{ctx.cookies.get('a')}|{ctx.origin}|{ctx.host}"

    app.use(handler)
    async with TestClient(app) as client:
        reply = await client.raw(
            b"GET / HTTP/1.1\r\nHost: caf\xe9.example\r\nX-Name: caf\xe9\r\n"
            b"Cookie: a=\xff\xfe\r\nOrigin: http://caf\xe9\r\nConnection: close\r\n\r\n"
        )
    assert reply.startswith(b"HTTP/1.1 200 ")
    body = reply.partition(b"\r\n\r\n")[2].decode()
    assert body == "café|ÿþ|http://café|café.example"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        # content-type 1.x refuses the non-token type, so the charset is "" there too.
        (b'text/pl\xe9in; charset="l\xe91"', "text/pléin||hé"),
        (b'text/plain; charset="l\xe91"', "text/plain|lé1|hé"),
    ],
)
async def test_latin_1_content_type_and_forwarded_proto_can_be_echoed(
    content_type: bytes, expected: str
) -> None:
    app = Koa(proxy=True)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.request.type}|{ctx.request.charset}|{ctx.protocol}"

    app.use(handler)
    async with TestClient(app) as client:
        reply = await client.raw(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type + b"\r\n"
            b"X-Forwarded-Proto: h\xe9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.partition(b"\r\n\r\n")[2].decode() == expected


async def test_request_to_json_has_nodes_header_object() -> None:
    def change(ctx: Context) -> object:
        return ctx.request.to_json()

    body = await fetch(
        app_with(change),
        b"/p?a=1",
        b"X-C: 1",
        b"X-C: 2",
        b"Cookie: a=1",
        b"Cookie: b=2",
        b"Authorization: x",
        b"Authorization: y",
    )
    assert body["result"] == {
        "method": "GET",
        "url": "/p?a=1",
        "header": {
            "host": "example.com",
            "x-c": "1, 2",
            "cookie": "a=1; b=2",
            "authorization": "x",
            "connection": "close",
        },
    }
