"""Malformed requests are answered 4xx and the connection closed: never a 500, a traceback
or a hung socket, and no middleware runs for a request that could not be read.

Most of these are refused by aiohttp's HTTP parser before Koa sees them; the tests pin what a
client receives so that a change of parser or server settings cannot quietly loosen it.
"""

from __future__ import annotations

import pytest
from core_bad_requests import END, MALFORMED
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_malformed_request_is_a_400_and_closes(raw: bytes, koa_backend: str) -> None:
    if koa_backend != "aiohttp" and raw == MALFORMED["bare lf"]:
        pytest.skip("h11 reads a bare LF as a line end, as RFC 9112 2.2 allows (koa-core README)")
    app = Koa()
    ran: list[str] = []

    async def handler(ctx: Context, next: Next) -> None:
        ran.append(ctx.url)
        ctx.body = "ok"

    app.use(handler)
    async with TestClient(app) as client:
        reply = await client.raw(raw)
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line.split(b" ", 2)[1] == b"400", reply[:200]
    assert b"Traceback" not in rest
    assert ran == []


async def test_the_server_still_answers_after_malformed_requests() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "still here"

    app.use(handler)
    async with TestClient(app) as client:
        for raw in MALFORMED.values():
            await client.raw(raw)
        res = await client.get("/")
        assert (res.status, await res.text()) == (200, "still here")


async def test_undecodable_query_in_a_router_style_app_is_400_with_a_message() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"page": ctx.query.get("page", "1")}

    app.use(handler)
    async with TestClient(app) as client:
        reply = await client.raw(b"GET /list?page=%C3%28 HTTP/1.1" + END)
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 Bad Request")
        assert b"Content-Type: text/plain; charset=utf-8" in head
        assert body == b"Invalid query string: percent-escapes must encode UTF-8 text"
        res = await client.get("/list?page=%C3%A9")
        assert await res.json() == {"page": "é"}
