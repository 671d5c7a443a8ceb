"""koa-static inside koa-mount: a folder served under a path prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount
from koa.static import serve


@pytest.fixture
def public(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<p>index</p>\n")
    (root / "css" / "site.css").write_text("body { color: teal }\n")
    (root / ".env").write_text("SECRET=1\n")
    (tmp_path / "outside.txt").write_text("outside the root\n")
    return root


def app_with(root: Path, *, max_age: float = 0) -> Koa:
    async def fallback(ctx: Context, next: Next) -> None:
        ctx.body = f"fallback for {ctx.path}"

    app = Koa()
    app.use(mount("/assets", serve(root, max_age=max_age)))
    app.use(fallback)
    return app


async def test_files_are_served_below_the_prefix(public: Path) -> None:
    async with TestClient(app_with(public)) as client:
        res = await client.get("/assets/css/site.css")
        assert res.status == 200
        assert res.headers["Content-Type"] == "text/css; charset=utf-8"
        assert res.headers["Content-Length"] == "21"
        assert await res.text() == "body { color: teal }\n"


async def test_the_index_is_served_for_the_prefix_itself(public: Path) -> None:
    async with TestClient(app_with(public)) as client:
        for path in ("/assets", "/assets/"):
            res = await client.get(path)
            assert res.status == 200, path
            assert res.headers["Content-Type"] == "text/html; charset=utf-8"
            assert await res.text() == "<p>index</p>\n"


async def test_misses_fall_through_to_the_middleware_after_the_mount(public: Path) -> None:
    async with TestClient(app_with(public)) as client:
        # The fallback sees the full path again: the mount restored it.
        res = await client.get("/assets/missing.css")
        assert await res.text() == "fallback for /assets/missing.css"
        res = await client.get("/assetsx/css/site.css")
        assert await res.text() == "fallback for /assetsx/css/site.css"
        res = await client.get("/css/site.css")
        assert await res.text() == "fallback for /css/site.css"
        res = await client.post("/assets/css/site.css")
        assert await res.text() == "fallback for /assets/css/site.css"


async def test_hidden_files_are_not_served(public: Path) -> None:
    async with TestClient(app_with(public)) as client:
        res = await client.get("/assets/.env")
        assert await res.text() == "fallback for /assets/.env"


async def test_a_path_escaping_the_mount_is_refused(public: Path) -> None:
    async with TestClient(app_with(public)) as client:
        raw = await client.raw(
            b"GET /assets/../outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 403 Forbidden\r\n")
        assert b"outside the root" not in raw
        raw = await client.raw(
            b"GET /assets/%2e%2e/outside.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 403 Forbidden\r\n")
        assert b"outside the root" not in raw


async def test_conditional_and_range_requests_work_under_the_mount(public: Path) -> None:
    async with TestClient(app_with(public, max_age=60)) as client:
        res = await client.get("/assets/css/site.css")
        assert res.headers["Cache-Control"] == "max-age=60"
        etag = res.headers["ETag"]
        res = await client.get("/assets/css/site.css", headers={"If-None-Match": etag})
        assert res.status == 304
        assert await res.read() == b""
        res = await client.get("/assets/css/site.css", headers={"Range": "bytes=0-3"})
        assert res.status == 206
        assert res.headers["Content-Range"] == "bytes 0-3/21"
        assert await res.read() == b"body"
        res = await client.head("/assets/css/site.css")
        assert (res.status, res.headers["Content-Length"], await res.read()) == (200, "21", b"")


async def test_deferred_static_lets_downstream_answer_first(public: Path) -> None:
    async def answer_index_only(ctx: Context, next: Next) -> None:
        if ctx.path == "/":
            ctx.body = "from the app"
        else:
            await next()

    inner = Koa().use(serve(public, defer=True)).use(answer_index_only)
    app = Koa().use(mount("/site", inner))
    async with TestClient(app) as client:
        assert await (await client.get("/site/")).text() == "from the app"
        assert await (await client.get("/site/css/site.css")).text() == "body { color: teal }\n"
