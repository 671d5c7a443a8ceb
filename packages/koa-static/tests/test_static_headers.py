"""Headers of what koa-static sends or leaves: Vary on the fallback, a length of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.static import serve
from static_helpers import static_app


async def test_fallback_response_varies_on_accept(public: Path) -> None:
    # The same URL is index.html for a browser and a 404 for an API client: caches must know.
    async with TestClient(static_app(public, fallback="index.html")) as client:
        res = await client.get("/app/route", headers={"Accept": "text/html"})
        assert res.status == 200
        assert await res.read() == b"<p>home</p>"
        assert "Accept" in [v.strip() for v in res.headers["Vary"].split(",")]
        # A real file does not depend on Accept.
        res = await client.get("/page.html", headers={"Accept": "text/html"})
        assert "Vary" not in res.headers


async def test_a_file_replacing_an_upstream_body_has_its_own_length(public: Path) -> None:
    app: Koa[Any] = Koa()

    async def upstream(ctx: Context[Any], next: Next) -> None:
        ctx.body = {"a longer": "upstream body"}
        await next()

    app.use(upstream).use(serve(public))
    async with TestClient(app) as client:
        res = await client.get("/a.txt", headers={"Accept-Encoding": "identity"})
        assert res.status == 200
        assert res.headers["Content-Length"] == "12"
        # The type upstream's body chose stays, as koa-send keeps a type already set.
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"
        assert await res.read() == b"hello world\n"
