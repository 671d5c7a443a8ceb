"""ETag, Last-Modified and conditional requests (304, 412) on served files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from koa.core import Koa
from koa.core.testing import TestClient
from koa.static import serve
from multidict import CIMultiDict

IDENTITY = {"Accept-Encoding": "identity"}


def static_app(root: Path, **options: Any) -> Koa[Any]:
    app: Koa[Any] = Koa()
    app.use(serve(root, **options))
    return app


async def test_validators_describe_the_file(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/a.txt", headers=IDENTITY)
        etag = res.headers["ETag"]
        assert etag.startswith('"')
        assert etag.endswith('"')
        assert res.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
        assert res.headers["Accept-Ranges"] == "bytes"
        # A new modification time gives a new ETag.
        os.utime(public / "a.txt", (1_800_000_000, 1_800_000_000))
        again = await client.get("/a.txt", headers=IDENTITY)
        assert again.headers["ETag"] != etag
        assert again.headers["Last-Modified"] == "Fri, 15 Jan 2027 08:00:00 GMT"


async def test_if_none_match_gives_304(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        etag = (await client.get("/a.txt", headers=IDENTITY)).headers["ETag"]
        for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            res = await client.get("/a.txt", headers={**IDENTITY, "If-None-Match": value})
            assert res.status == 304, value
            assert await res.read() == b""
            assert res.headers["ETag"] == etag
            assert "Content-Length" not in res.headers
            assert "Content-Type" not in res.headers
        res = await client.get("/a.txt", headers={**IDENTITY, "If-None-Match": '"stale"'})
        assert res.status == 200
        assert await res.read() == b"hello world\n"
        head = await client.head("/a.txt", headers={**IDENTITY, "If-None-Match": etag})
        assert head.status == 304


async def test_if_modified_since(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get(
            "/a.txt", headers={**IDENTITY, "If-Modified-Since": "Tue, 14 Nov 2023 22:13:20 GMT"}
        )
        assert res.status == 304
        res = await client.get(
            "/a.txt", headers={**IDENTITY, "If-Modified-Since": "Wed, 01 Jan 2025 00:00:00 GMT"}
        )
        assert res.status == 304
        res = await client.get(
            "/a.txt", headers={**IDENTITY, "If-Modified-Since": "Mon, 13 Nov 2023 00:00:00 GMT"}
        )
        assert res.status == 200
        assert await res.read() == b"hello world\n"
        # If-None-Match wins over If-Modified-Since.
        res = await client.get(
            "/a.txt",
            headers={
                **IDENTITY,
                "If-None-Match": '"stale"',
                "If-Modified-Since": "Wed, 01 Jan 2025 00:00:00 GMT",
            },
        )
        assert res.status == 200
        res = await client.get("/a.txt", headers={**IDENTITY, "If-Modified-Since": "garbage"})
        assert res.status == 200


async def test_last_modified_round_trips_for_sub_second_mtimes(public: Path) -> None:
    os.utime(public / "a.txt", (1_700_000_000.75, 1_700_000_000.75))
    async with TestClient(static_app(public)) as client:
        last_modified = (await client.get("/a.txt", headers=IDENTITY)).headers["Last-Modified"]
        res = await client.get("/a.txt", headers={**IDENTITY, "If-Modified-Since": last_modified})
        assert res.status == 304


async def test_precompressed_variant_has_its_own_etag(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        gz = await client.get("/a.txt", headers={"Accept-Encoding": "gzip"})
        plain_etag = (await client.get("/a.txt", headers=IDENTITY)).headers["ETag"]
        res = await client.get(
            "/a.txt", headers={"Accept-Encoding": "gzip", "If-None-Match": gz.headers["ETag"]}
        )
        assert res.status == 304
        assert res.headers["Vary"] == "Accept-Encoding"
        res = await client.get("/a.txt", headers={**IDENTITY, "If-None-Match": gz.headers["ETag"]})
        assert res.status == 200
        assert res.headers["ETag"] == plain_etag


async def test_if_match_failure_is_412(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        etag = (await client.get("/a.txt", headers=IDENTITY)).headers["ETag"]
        res = await client.get("/a.txt", headers={**IDENTITY, "If-Match": '"nope"'})
        assert res.status == 412
        assert await res.read() == b""
        res = await client.get("/a.txt", headers={**IDENTITY, "If-Match": etag})
        assert res.status == 200


async def test_set_headers_can_set_cache_headers(public: Path) -> None:
    def set_headers(headers: CIMultiDict[str], path: Path, st: os.stat_result) -> None:
        headers["Cache-Control"] = "public, max-age=31536000"

    async with TestClient(static_app(public, max_age=5, set_headers=set_headers)) as client:
        res = await client.get("/a.txt", headers=IDENTITY)
        assert res.headers["Cache-Control"] == "public, max-age=31536000"
        not_modified = await client.get(
            "/a.txt", headers={**IDENTITY, "If-None-Match": res.headers["ETag"]}
        )
        assert not_modified.headers["Cache-Control"] == "public, max-age=31536000"


async def test_validators_set_by_set_headers_are_kept(public: Path) -> None:
    def set_headers(headers: CIMultiDict[str], path: Path, st: os.stat_result) -> None:
        headers["Last-Modified"] = "Mon, 01 Jan 2024 00:00:00 GMT"
        headers["ETag"] = '"v1"'

    async with TestClient(static_app(public, set_headers=set_headers)) as client:
        res = await client.get("/a.txt", headers=IDENTITY)
        assert res.status == 200
        assert res.headers["Last-Modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
        assert res.headers["ETag"] == '"v1"'
        assert await res.read() == b"hello world\n"


async def test_if_unmodified_since_failure_is_412(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get(
            "/a.txt", headers={**IDENTITY, "If-Unmodified-Since": "Mon, 13 Nov 2023 00:00:00 GMT"}
        )
        assert res.status == 412
        res = await client.get(
            "/a.txt", headers={**IDENTITY, "If-Unmodified-Since": "Wed, 01 Jan 2025 00:00:00 GMT"}
        )
        assert res.status == 200


async def test_set_headers_can_choose_the_content_type(public: Path) -> None:
    def set_headers(headers: CIMultiDict[str], path: Path, st: os.stat_result) -> None:
        headers["Content-Type"] = "text/markdown; charset=utf-8"

    async with TestClient(static_app(public, set_headers=set_headers)) as client:
        res = await client.get("/a.txt", headers=IDENTITY)
        assert res.headers["Content-Type"] == "text/markdown; charset=utf-8"
