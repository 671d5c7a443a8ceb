"""koa-logger outside a mount of koa-static: the original URL and the real bytes are logged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import logger
from koa.mount import mount
from koa.static import serve

Args = tuple[object, ...]


def build(root: Path, logged: list[Args]) -> Koa:
    app = Koa()
    app.use(logger(transporter=lambda line, args: logged.append(tuple(args)), color=False))
    app.use(mount("/assets", serve(root)))
    return app


def completed(logged: list[Args]) -> list[tuple[object, ...]]:
    """(method, url, status, length) of each ``-->``/``xxx`` line."""
    return [(a[1], a[2], a[3], a[5]) for a in logged if len(a) == 6]


async def test_a_file_under_a_mount_logs_the_full_url_and_its_size(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_bytes(b"x" * 2048)
    logged: list[Args] = []
    async with TestClient(build(tmp_path, logged)) as client:
        res = await client.get("/assets/site.css?v=1")
        assert res.status == 200
        assert len(await res.read()) == 2048
        etag = res.headers["ETag"]
        res = await client.get("/assets/site.css?v=1", headers={"If-None-Match": etag})
        assert res.status == 304
        res = await client.get("/assets/site.css", headers={"Range": "bytes=0-99"})
        assert res.status == 206
        res = await client.head("/assets/site.css")
        assert res.status == 200
        res = await client.get("/assets/missing.css")
        assert res.status == 404
    assert [a[1:3] for a in logged if len(a) == 3] == [
        ("GET", "/assets/site.css?v=1"),
        ("GET", "/assets/site.css?v=1"),
        ("GET", "/assets/site.css"),
        ("HEAD", "/assets/site.css"),
        ("GET", "/assets/missing.css"),
    ]
    assert completed(logged) == [
        ("GET", "/assets/site.css?v=1", 200, "2kb"),
        ("GET", "/assets/site.css?v=1", 304, ""),
        ("GET", "/assets/site.css", 206, "100b"),
        ("HEAD", "/assets/site.css", 200, "2kb"),
        ("GET", "/assets/missing.css", 404, "9b"),
    ]


async def test_a_streamed_body_logs_the_bytes_it_sent() -> None:
    async def chunks() -> object:
        for _ in range(3):
            await asyncio.sleep(0)
            yield b"x" * 1000

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = chunks()

    logged: list[Args] = []
    app = Koa()
    app.use(logger(transporter=lambda line, args: logged.append(tuple(args)), color=False))
    app.use(mount("/s", stream))
    async with TestClient(app) as client:
        res = await client.get("/s/three")
        assert len(await res.read()) == 3000
    assert completed(logged) == [("GET", "/s/three", 200, "2.93kb")]
