"""``pathlib.Path`` bodies: sendfile through aiohttp, Range and conditional requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def file_app(path: Path, *, type_: str | None = None) -> tuple[Koa, list[BaseException]]:
    app = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def handler(ctx: Context, next: Next) -> None:
        if type_ is not None:
            ctx.type = type_
        ctx.body = path

    app.use(handler)
    return app, errors


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "hello.txt"
    path.write_text("hello, world\n")
    return path


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.txt", "text/plain; charset=utf-8"),
        ("a.json", "application/json; charset=utf-8"),
        ("a.png", "image/png"),
        ("a.html", "text/html; charset=utf-8"),
        ("no-extension", "application/octet-stream"),
        ("a.unknownext", "application/octet-stream"),
    ],
)
async def test_a_path_is_sent_with_a_type_from_its_extension(
    tmp_path: Path, name: str, content_type: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"0123456789")
    app, errors = file_app(path)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == content_type
        assert res.headers["Content-Length"] == "10"
        assert res.headers["Accept-Ranges"] == "bytes"
        assert "ETag" in res.headers
        assert "Last-Modified" in res.headers
        assert await res.read() == b"0123456789"
    assert errors == []


async def test_an_explicit_type_is_kept(text_file: Path) -> None:
    app, _ = file_app(text_file, type_="text/markdown")
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "text/markdown; charset=utf-8"


async def test_a_large_file_arrives_whole(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    app, _ = file_app(path)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.read() == data


async def test_range_requests_get_206(text_file: Path) -> None:
    app, _ = file_app(text_file)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Range": "bytes=0-4"})
        assert res.status == 206
        assert res.headers["Content-Range"] == "bytes 0-4/13"
        assert await res.read() == b"hello"
        res = await client.get("/", headers={"Range": "bytes=-6"})
        assert res.status == 206
        assert await res.read() == b"world\n"


async def test_an_unsatisfiable_range_gets_416(text_file: Path) -> None:
    app, _ = file_app(text_file)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Range": "bytes=100-200"})
        assert res.status == 416
        assert res.headers["Content-Range"] == "bytes */13"


async def test_if_none_match_gets_304(text_file: Path) -> None:
    app, _ = file_app(text_file)
    async with TestClient(app) as client:
        etag = (await client.get("/")).headers["ETag"]
        res = await client.get("/", headers={"If-None-Match": etag})
        assert res.status == 304
        assert res.headers["ETag"] == etag
        assert await res.read() == b""
        res = await client.get("/", headers={"If-None-Match": '"something-else"'})
        assert res.status == 200


async def test_if_modified_since_gets_304(text_file: Path) -> None:
    app, _ = file_app(text_file)
    async with TestClient(app) as client:
        last_modified = (await client.get("/")).headers["Last-Modified"]
        res = await client.get("/", headers={"If-Modified-Since": last_modified})
        assert res.status == 304
        res = await client.get("/", headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
        assert res.status == 200


async def test_head_sends_the_headers_only(text_file: Path) -> None:
    app, _ = file_app(text_file)
    async with TestClient(app) as client:
        res = await client.head("/")
        assert res.status == 200
        assert res.headers["Content-Length"] == "13"
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.read() == b""


async def test_a_missing_file_is_a_quiet_404(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.set("X-Before", "1")
        ctx.body = tmp_path / "missing.txt"

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 404
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "X-Before" not in res.headers
        assert await res.text() == "Not Found"
    assert [r for r in caplog.records if r.name == "koa"] == []


async def test_a_missing_file_reaches_error_listeners(tmp_path: Path) -> None:
    app, errors = file_app(tmp_path / "missing.txt")
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 404
    assert len(errors) == 1
    assert getattr(errors[0], "status", None) == 404
    assert isinstance(errors[0].__cause__, FileNotFoundError)


async def test_a_directory_is_a_403(tmp_path: Path) -> None:
    app, errors = file_app(tmp_path)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 403
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.text() == "Forbidden"
    assert len(errors) == 1
