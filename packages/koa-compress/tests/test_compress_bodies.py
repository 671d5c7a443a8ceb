"""Every kind of body koa-core accepts, compressed with every encoding and decoded back."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from compress_helpers import decode
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

TEXT = "Hello compressible world, é and ✓. " * 200
DATA = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "é"]} for i in range(200)]}
ENCODINGS = ["gzip", "deflate", "br", "zstd"]


async def serve(body: Callable[[], Any], encoding: str, **options: Any) -> tuple[Any, bytes]:
    app = Koa()
    app.use(compress(**options))

    async def send(ctx: Context, next: Next) -> None:
        ctx.body = body()

    app.use(send)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Accept-Encoding": encoding})
        assert res.status == 200
        return res.headers, await res.read()


async def chunks() -> AsyncIterator[bytes | str]:
    yield TEXT[:1000].encode()
    yield TEXT[1000:2000]  # str chunks are UTF-8, as koa-core sends them
    yield b""
    yield TEXT[2000:].encode()


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_text(encoding: str) -> None:
    headers, body = await serve(lambda: TEXT, encoding)
    assert headers["Content-Encoding"] == encoding
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    # A body of known length is compressed whole and sent with its compressed length.
    assert headers["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in headers
    assert decode(encoding, body) == TEXT.encode()


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_bytes_bytearray_memoryview(encoding: str) -> None:
    for make in (
        lambda: TEXT.encode(),
        lambda: bytearray(TEXT.encode()),
        lambda: memoryview(TEXT.encode()),
    ):
        headers, body = await serve(make, encoding)
        assert headers["Content-Encoding"] == encoding
        assert headers["Content-Type"] == "application/octet-stream"
        assert decode(encoding, body) == TEXT.encode()


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_json_dicts_and_lists(encoding: str) -> None:
    for value in (DATA, DATA["items"]):
        headers, body = await serve(lambda value=value: value, encoding)  # type: ignore[misc]
        assert headers["Content-Encoding"] == encoding
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert json.loads(decode(encoding, body)) == value


async def test_json_goes_through_the_apps_encoder() -> None:
    app = Koa(json_dumps=lambda value: json.dumps(value, indent=2))
    app.use(compress())
    app.use(lambda ctx, next: setattr(ctx, "body", DATA))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Accept-Encoding": "gzip"})
        assert decode("gzip", await res.read()) == json.dumps(DATA, indent=2).encode()


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_async_iterables_are_streamed(encoding: str) -> None:
    headers, body = await serve(chunks, encoding)
    assert headers["Content-Encoding"] == encoding
    assert headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in headers
    assert decode(encoding, body) == TEXT.encode()


async def test_a_stream_that_yields_nothing_is_a_valid_empty_stream() -> None:
    async def nothing() -> AsyncIterator[bytes]:
        return
        yield b""

    for encoding in ENCODINGS:
        headers, body = await serve(lambda: nothing(), encoding, filter=lambda t: True)
        assert headers["Content-Encoding"] == encoding
        assert decode(encoding, body) == b""


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_file_objects(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(TEXT.encode() * 50)  # several reads
    opened: list[Any] = []

    def open_file() -> Any:
        opened.append(path.open("rb"))
        return opened[-1]

    headers, body = await serve(open_file, encoding)
    assert headers["Content-Encoding"] == encoding
    assert decode(encoding, body) == TEXT.encode() * 50
    assert opened[0].closed
    headers, body = await serve(lambda: io.BytesIO(TEXT.encode()), encoding)
    assert decode(encoding, body) == TEXT.encode()


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_path_bodies(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<p>" + TEXT * 40 + "</p>")
    headers, body = await serve(lambda: path, encoding)
    assert headers["Content-Encoding"] == encoding
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Length" not in headers
    assert decode(encoding, body) == path.read_bytes()


async def test_small_path_bodies_stay_files(tmp_path: Path) -> None:
    path = tmp_path / "small.txt"
    path.write_text("tiny")
    headers, body = await serve(lambda: path, "gzip")
    assert "Content-Encoding" not in headers
    assert (headers["Content-Length"], body) == ("4", b"tiny")


async def test_a_missing_path_is_still_koa_cores_404(tmp_path: Path) -> None:
    app = Koa(silent=True)
    app.use(compress())
    app.use(lambda ctx, next: setattr(ctx, "body", tmp_path / "missing.txt"))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Accept-Encoding": "gzip"})
        assert (res.status, await res.text()) == (404, "Not Found")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"gzip": {"level": 1}}, "gzip"),
        ({"gzip": {"level": 9, "mem_level": 9, "window_bits": 9, "strategy": 1}}, "gzip"),
        ({"deflate": {"level": 0}}, "deflate"),
        ({"br": {"quality": 11, "lgwin": 24, "mode": "text"}}, "br"),
        ({"zstd": {"level": 19}}, "zstd"),
        ({"zstd": {"level": -5}}, "zstd"),
    ],
)
async def test_encoder_options_are_applied(options: dict[str, Any], expected: str) -> None:
    headers, body = await serve(lambda: TEXT, expected, **options)
    assert headers["Content-Encoding"] == expected
    assert decode(expected, body) == TEXT.encode()


async def test_levels_change_the_output() -> None:
    _, fast = await serve(lambda: TEXT * 10, "gzip", gzip={"level": 1})
    _, best = await serve(lambda: TEXT * 10, "gzip", gzip={"level": 9})
    _, stored = await serve(lambda: TEXT * 10, "gzip", gzip={"level": 0})
    assert len(best) <= len(fast) < len(stored)
    assert len(stored) > len((TEXT * 10).encode())  # level 0 stores the bytes as they are
