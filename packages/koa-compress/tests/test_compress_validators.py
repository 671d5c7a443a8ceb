"""ETags, Range and conditional requests around compression."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from compress_helpers import decode
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

TEXT = "Hello compressible world. " * 400


def app_serving(body: Callable[[Context], None]) -> Koa[Any]:
    app = Koa()
    app.use(compress())

    async def send(ctx: Context, next: Next) -> None:
        body(ctx)

    app.use(send)
    return app


async def test_a_strong_etag_becomes_weak_when_compressed() -> None:
    def tagged(ctx: Context) -> None:
        ctx.etag = "v1"
        ctx.body = TEXT

    async with TestClient(app_serving(tagged)) as client:
        res = await client.get("/", headers={"Accept-Encoding": "br"})
        assert res.headers["Content-Encoding"] == "br"
        assert res.headers["ETag"] == 'W/"v1"'
        assert decode("br", await res.read()) == TEXT.encode()
        # Uncompressed, the same bytes as the validator was made for: it stays strong.
        res = await client.get("/", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in res.headers
        assert res.headers["ETag"] == '"v1"'


async def test_a_weak_etag_stays_as_it_is() -> None:
    def tagged(ctx: Context) -> None:
        ctx.etag = 'W/"v1"'
        ctx.body = TEXT

    async with TestClient(app_serving(tagged)) as client:
        res = await client.get("/", headers={"Accept-Encoding": "gzip"})
        assert res.headers["ETag"] == 'W/"v1"'


def file_etag(path: Path) -> str:
    # The validator koa-static sets, which koa-core's file sending (aiohttp's) also computes.
    st = path.stat()
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def file_body(path: Path) -> Callable[[Context], None]:
    def send(ctx: Context) -> None:
        ctx.etag = file_etag(path)
        ctx.set("Accept-Ranges", "bytes")
        ctx.body = path

    return send


async def test_a_compressed_file_drops_accept_ranges(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(TEXT)
    async with TestClient(app_serving(file_body(path))) as client:
        res = await client.get("/", headers={"Accept-Encoding": "gzip"})
        assert res.headers["Content-Encoding"] == "gzip"
        assert res.headers["ETag"] == "W/" + file_etag(path)
        # Byte ranges count the identity body, which this response is not.
        assert "Accept-Ranges" not in res.headers
        assert decode("gzip", await res.read()) == TEXT.encode()


async def test_a_range_request_gets_the_identity_206(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(TEXT)
    async with TestClient(app_serving(file_body(path))) as client:
        res = await client.get("/", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
        assert res.status == 206
        assert "Content-Encoding" not in res.headers
        assert res.headers["Content-Range"] == f"bytes 0-9/{len(TEXT)}"
        assert res.headers["ETag"] == file_etag(path)
        assert await res.read() == TEXT[:10].encode()


async def test_revalidating_a_compressed_file_gives_304(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(TEXT)
    async with TestClient(app_serving(file_body(path))) as client:
        first = await client.get("/", headers={"Accept-Encoding": "gzip"})
        etag = first.headers["ETag"]
        res = await client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert (res.status, await res.read()) == (304, b"")
        assert res.headers["ETag"] == etag == "W/" + file_etag(path)
        # A validator that no longer matches gets the compressed body again.
        res = await client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": '"x"'})
        assert (res.status, res.headers["Content-Encoding"]) == (200, "gzip")
