"""Range and If-Range: 206, 416, and the whole file for headers that cannot be honoured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from koa.core import Koa
from koa.core.testing import TestClient
from koa.static import serve

DATA = bytes(range(256)) * 4  # digits.bin, 1024 bytes
IDENTITY = {"Accept-Encoding": "identity"}


def static_app(root: Path, **options: Any) -> Koa[Any]:
    app: Koa[Any] = Koa()
    app.use(serve(root, **options))
    return app


async def get_range(client: TestClient, value: str, **extra: str) -> Any:
    return await client.get("/digits.bin", headers={**IDENTITY, "Range": value, **extra})


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=-5000", 0, 1023),
        ("bytes=1000-99999", 1000, 1023),
        ("bytes=1023-1023", 1023, 1023),
        ("BYTES = 5-6", 5, 6),
        ("bytes=0-1,2-3", 0, 3),
        ("bytes=10-20, 0-15", 0, 20),
        ("bytes=5-9,0-4,3-7", 0, 9),
        ("bytes=0-0,0-0,0-0", 0, 0),
        ("bytes=1020-1030,2000-3000", 1020, 1023),
        ("bytes=0-99999999999999999999999999999999", 0, 1023),
    ],
)
async def test_satisfiable_range_is_206(public: Path, value: str, first: int, last: int) -> None:
    async with TestClient(static_app(public)) as client:
        res = await get_range(client, value)
        assert res.status == 206, value
        assert res.headers["Content-Range"] == f"bytes {first}-{last}/1024"
        assert res.headers["Content-Length"] == str(last - first + 1)
        assert await res.read() == DATA[first : last + 1]


@pytest.mark.parametrize(
    "value",
    [
        "bytes=0-1,5-6",  # disjoint: no multipart, the whole file
        "bytes=9-2",  # reversed
        "bytes=-",
        "bytes=",
        "bytes=a-b",
        "bytes=0x10-20",
        "bytes=1-2-3",
        "bytes=-5-10",
        "bytes=--5",
        "bytes=+1-2",
        "bytes=٣-5",  # non-ASCII digits
        "items=0-5",
        "0-5",
        ",".join(f"{i * 4}-{i * 4 + 1}" for i in range(200)),  # hundreds of parts
        "bytes=" + ",".join(["0-"] * 300),
        "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 600, 2)),
    ],
)
async def test_unusable_range_sends_the_whole_file(public: Path, value: str) -> None:
    async with TestClient(static_app(public)) as client:
        res = await get_range(client, value)
        assert res.status == 200, value
        assert "Content-Range" not in res.headers
        assert res.headers["Content-Length"] == "1024"
        assert await res.read() == DATA


@pytest.mark.parametrize("value", ["bytes=1024-", "bytes=5000-6000", "bytes=-0", "bytes=2000-,-0"])
async def test_unsatisfiable_range_is_416(public: Path, value: str, koa_backend: str) -> None:
    async with TestClient(static_app(public)) as client:
        res = await get_range(client, value)
        assert res.status == 416, value
        if koa_backend == "aiohttp":  # an ASGI server writes its own phrase (koa-core README)
            assert res.reason == "Range Not Satisfiable"
        assert res.headers["Content-Range"] == "bytes */1024"
        assert await res.read() == b""
        # The connection is still usable: the 416 had a correct framing.
        assert (await get_range(client, "bytes=0-0")).status == 206


async def test_range_on_empty_file_is_416(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/zero.txt", headers={**IDENTITY, "Range": "bytes=0-"})
        assert res.status == 416
        assert res.headers["Content-Range"] == "bytes */0"


async def test_if_range_with_etag(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        etag = (await client.get("/digits.bin", headers=IDENTITY)).headers["ETag"]
        res = await get_range(client, "bytes=0-3", **{"If-Range": etag})
        assert res.status == 206
        assert await res.read() == DATA[:4]
        for stale in ('"other"', f"W/{etag}"):
            res = await get_range(client, "bytes=0-3", **{"If-Range": stale})
            assert res.status == 200, stale
            assert await res.read() == DATA


async def test_if_range_with_date(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        last_modified = (await client.get("/digits.bin", headers=IDENTITY)).headers["Last-Modified"]
        res = await get_range(client, "bytes=0-3", **{"If-Range": last_modified})
        assert res.status == 206
        for other in ("Mon, 13 Nov 2023 00:00:00 GMT", "Wed, 01 Jan 2025 00:00:00 GMT", "junk"):
            res = await get_range(client, "bytes=0-3", **{"If-Range": other})
            assert res.status == 200, other
            assert await res.read() == DATA


async def test_head_with_range(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.head("/digits.bin", headers={**IDENTITY, "Range": "bytes=0-9"})
        assert res.status == 206
        assert res.headers["Content-Range"] == "bytes 0-9/1024"
        assert await res.read() == b""


async def test_conditional_beats_range(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        etag = (await client.get("/digits.bin", headers=IDENTITY)).headers["ETag"]
        res = await get_range(client, "bytes=5000-", **{"If-None-Match": etag})
        assert res.status == 304


async def test_range_on_precompressed_variant(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/a.txt", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-1"})
        assert res.status == 206
        assert res.headers["Content-Encoding"] == "gzip"
        assert res.headers["Content-Range"] == "bytes 0-1/9"
        assert await res.read() == b"gz"


async def test_large_file_range_uses_sendfile_path(public: Path) -> None:
    big = bytes(range(256)) * 8192  # 2 MiB
    (public / "big.bin").write_bytes(big)
    async with TestClient(static_app(public)) as client:
        res = await client.get("/big.bin", headers={**IDENTITY, "Range": "bytes=1000000-1999999"})
        assert res.status == 206
        assert await res.read() == big[1_000_000:2_000_000]
        full = await client.get("/big.bin", headers=IDENTITY)
        assert await full.read() == big
