"""``flush_headers()`` and the body that follows (expected bytes from Koa 3.3 on 127.0.0.1)."""

from __future__ import annotations

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


@pytest.mark.parametrize(("status", "body"), [(200, b"OK"), (None, b"Not Found")])
async def test_flushed_response_without_body_still_sends_the_status_phrase(
    status: int | None, body: bytes
) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if status is not None:
            ctx.status = status
        await ctx.flush_headers()

    app = Koa(silent=True)
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Type" not in res.headers
        assert await res.read() == body


async def test_flushed_response_with_an_explicit_null_body_sends_nothing() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        await ctx.flush_headers()
        ctx.body = None

    app = Koa(silent=True)
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 200
        assert await res.read() == b""
