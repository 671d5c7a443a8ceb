"""A missing file answers without revealing the path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.static import send


async def test_send_of_a_missing_file_does_not_reveal_the_path(public: Path) -> None:
    # koa-send answers "ENOENT: no such file or directory, stat '/abs/root/missing'".
    app: Koa[Any] = Koa()

    async def download(ctx: Context[Any], next: Next) -> None:
        await send(ctx, ctx.path, root=public)

    app.use(download)
    async with TestClient(app) as client:
        res = await client.get("/missing")
        assert res.status == 404
        assert await res.text() == "Not Found"
        res = await client.get("/a.txt/x")
        assert res.status == 404
        assert await res.text() == "Not Found"
