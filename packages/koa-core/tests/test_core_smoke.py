from __future__ import annotations

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


async def test_hello_world() -> None:
    app = Koa()

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "Hello World"

    app.use(hello)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.text() == "Hello World"
