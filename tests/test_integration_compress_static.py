"""koa-compress in front of koa-static: precompressed files go out as they are, other files
are compressed on the fly, and Range and revalidation still work."""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import brotli  # type: ignore[import-untyped,unused-ignore]
import pytest
from koa.compress import compress
from koa.core import Koa
from koa.core.testing import TestClient
from koa.static import serve

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

SCRIPT = b"export function hello() { return 'hello, compressed world'; }\n" * 200
STYLE = b"body { color: teal; margin: 0 auto; }\n" * 200


@pytest.fixture
def public(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    root.mkdir()
    (root / "app.js").write_bytes(SCRIPT)
    (root / "app.js.br").write_bytes(brotli.compress(SCRIPT, quality=11))
    gzip = zlib.compressobj(9, zlib.DEFLATED, 31)
    (root / "app.js.gz").write_bytes(gzip.compress(SCRIPT) + gzip.flush())
    (root / "site.css").write_bytes(STYLE)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4000))
    return root


def app_for(root: Path) -> Koa:
    app = Koa()
    app.use(compress())
    app.use(serve(root))
    return app


@pytest.mark.parametrize(
    ("accept", "encoding", "suffix"), [("br", "br", ".br"), ("gzip", "gzip", ".gz")]
)
async def test_precompressed_files_are_sent_as_they_are(
    public: Path, accept: str, encoding: str, suffix: str
) -> None:
    stored = (public / f"app.js{suffix}").read_bytes()
    async with TestClient(app_for(public)) as client:
        res = await client.get("/app.js", headers={"Accept-Encoding": accept})
        assert res.status == 200
        assert res.headers["Content-Encoding"] == encoding
        assert res.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert res.headers["Vary"] == "Accept-Encoding"
        # Byte for byte the file on disk (never compressed twice), with its own length and
        # koa-static's strong validator for those bytes.
        assert res.headers["Content-Length"] == str(len(stored))
        assert not res.headers["ETag"].startswith("W/")
        assert await res.read() == stored


async def test_without_a_precompressed_match_the_file_is_compressed_on_the_fly(
    public: Path,
) -> None:
    async with TestClient(app_for(public)) as client:
        res = await client.get("/app.js", headers={"Accept-Encoding": "zstd"})
        assert res.headers["Content-Encoding"] == "zstd"
        assert res.headers["ETag"].startswith('W/"')
        assert zstd.decompress(await res.read()) == SCRIPT
        res = await client.get("/site.css", headers={"Accept-Encoding": "gzip, br"})
        assert res.headers["Content-Encoding"] == "br"
        assert "Accept-Ranges" not in res.headers
        assert brotli.decompress(await res.read()) == STYLE


async def test_revalidation_and_ranges_still_work(public: Path) -> None:
    async with TestClient(app_for(public)) as client:
        first = await client.get("/site.css", headers={"Accept-Encoding": "gzip"})
        etag = first.headers["ETag"]
        assert etag.startswith('W/"')
        res = await client.get(
            "/site.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
        )
        assert (res.status, await res.read()) == (304, b"")
        res = await client.get(
            "/site.css", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-3"}
        )
        assert res.status == 206
        assert "Content-Encoding" not in res.headers
        assert await res.read() == STYLE[:4]


async def test_images_and_head_are_left_alone(public: Path) -> None:
    async with TestClient(app_for(public)) as client:
        res = await client.get("/logo.png", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in res.headers
        assert res.headers["Content-Length"] == "4008"
        res = await client.head("/site.css", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in res.headers
        assert res.headers["Content-Length"] == str(len(STYLE))
