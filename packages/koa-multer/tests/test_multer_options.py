"""Options are checked when the middleware is built, not on the first request; the public
surface is what ``koa.multer`` exports; ``Expect: 100-continue`` is answered."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import koa.multer
import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.multer import File, MemoryStorage, multer, uploaded_file


def test_exports() -> None:
    assert sorted(koa.multer.__all__) == [
        "DiskStorage",
        "File",
        "FileFilter",
        "Limits",
        "MemoryStorage",
        "Multer",
        "MulterError",
        "Storage",
        "multer",
        "uploaded_file",
        "uploaded_files",
    ]


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"limits": {"filesize": 1}}, ValueError, "unknown limit 'filesize'"),
        ({"limits": {"file_size": "1mb"}}, TypeError, "must be an int"),
        ({"limits": {"files": -1}}, ValueError, "must not be negative"),
        ({"limits": {"files": True}}, TypeError, "must be an int"),
        ({"limits": {"header_pairs": 0}}, ValueError, "at least 1"),
        ({"limits": [("files", 1)]}, TypeError, "mapping"),
        ({"dest": "x", "storage": MemoryStorage()}, ValueError, "not both"),
        ({"storage": object()}, TypeError, "store"),
        ({"file_filter": 1}, TypeError, "file_filter"),
        ({"read_timeout": 0}, ValueError, "read_timeout"),
    ],
)
def test_bad_options_fail_at_construction(
    options: dict[str, Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        multer(**options)


def test_bad_field_specs_fail_at_construction() -> None:
    upload = multer()
    with pytest.raises(TypeError):
        upload.single("")
    with pytest.raises(ValueError, match="max_count"):
        upload.array("a", max_count=0)
    with pytest.raises(TypeError, match="not a string"):
        upload.fields("avatar")


def test_dest_is_created(tmp_path: Path) -> None:
    multer(dest=tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


async def test_file_filter_skips_files_quietly() -> None:
    async def only_png(ctx: Context[Any], file: File) -> bool:
        await asyncio.sleep(0)
        return file.content_type == "image/png"

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        ctx.body = "none" if file is None else file.filename

    app: Koa[Any] = Koa(silent=True)
    # The skipped file does not take the one place single() has (multer #1419).
    app.use(multer(file_filter=only_png).single("f")).use(handler)
    body = (
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\ntext\r\n"
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="b.png"\r\n'
        b"Content-Type: image/png\r\n\r\npng\r\n--B--\r\n"
    )
    async with TestClient(app) as client:
        res = await client.post(
            "/", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
        )
        assert (res.status, await res.text()) == (200, "b.png")


async def test_expect_100_continue_is_answered() -> None:
    async def handler(ctx: Context[Any], next: Next) -> None:
        ctx.body = ctx.request.body

    app: Koa[Any] = Koa(silent=True)
    app.use(multer().none()).use(handler)
    body = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n'
    async with TestClient(app) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n"
        )
        await writer.drain()
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        response = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        await writer.wait_closed()
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.endswith(b'\r\n\r\n{"a":"1"}')
