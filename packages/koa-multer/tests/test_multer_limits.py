"""Limits: each one refuses the request with a message naming it (413 for sizes, 400 for
counts), nothing stays on disk, and the server goes on serving. multer answers every one of
these with a bare 500 under Koa (its errors carry no status) and stores files without limits
by default; the statuses and defaults here are ours."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.multer import Limits, MulterError, multer, uploaded_files
from multer_helpers import CT, body, connect, left_on_disk, part, upload_folder


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return upload_folder(tmp_path)


MB = 1024 * 1024


def upload_app(middleware: Any) -> Koa[Any]:
    async def show(ctx: Context[Any], next: Next) -> None:
        files = uploaded_files(ctx)
        ctx.body = {
            "fields": ctx.request.body,
            "files": {name: [f.size for f in fs] for name, fs in files.items()},
        }

    app: Koa[Any] = Koa(silent=True)
    return app.use(middleware).use(show)


SMALL = {
    "file_size": 10,
    "files": 2,
    "fields": 2,
    "field_size": 10,
    "field_name_size": 5,
    "parts": 3,
    "header_pairs": 2,
    "total_size": 1000,
}

CASES = [
    # (route, body, status, message)
    (
        "single",
        body(part("f", b"x" * 11, "a.txt")),
        413,
        "File too large: over the file_size limit of 10 bytes",
    ),
    (
        "any",
        body(part("f", b"1", "a"), part("f", b"2", "b"), part("g", b"3", "c")),
        400,
        "Too many files: over the files limit of 2",
    ),
    (
        "any",
        body(part("a", b"1"), part("b", b"2"), part("c", b"3")),
        400,
        "Too many fields: over the fields limit of 2",
    ),
    (
        "any",
        body(part("a", b"x" * 11)),
        413,
        "Field value too long: over the field_size limit of 10 bytes",
    ),
    (
        "any",
        body(part("abcdef", b"1")),
        400,
        "Field name too long: over the field_name_size limit of 5 bytes",
    ),
    (
        "any",
        body(part("a", b"1"), part("f", b"1", "a"), part("b", b"1"), part("g", b"1", "b")),
        400,
        "Too many parts: over the parts limit of 3",
    ),
    (
        "any",
        body(part("f", b"1", "a", headers="Content-Type: text/plain\r\nX-A: 1\r\n")),
        400,
        "Too many part headers: over the header_pairs limit of 2",
    ),
    (
        "single",
        body(part("other", b"1", "a.txt")),
        400,
        "Unexpected file field 'other'",
    ),
    (
        "single",
        body(part("f", b"1", "a.txt"), part("f", b"2", "b.txt")),
        400,
        "Unexpected file field 'f'",
    ),
    (
        "none",
        body(part("f", b"1", "a.txt")),
        400,
        "Unexpected file field 'f'",
    ),
]


@pytest.mark.parametrize(("route", "data", "status", "message"), CASES)
async def test_a_limit_refuses_the_request_and_leaves_nothing(
    route: str, data: bytes, status: int, message: str, uploads: Path
) -> None:
    upload = multer(dest=uploads, limits=SMALL)
    middleware = {"single": upload.single("f"), "none": upload.none(), "any": upload.any()}
    async with TestClient(upload_app(middleware[route])) as client:
        res = await client.post("/", data=data, headers=CT)
        assert (res.status, await res.text()) == (status, message)
        assert await left_on_disk(uploads) == []
        # The server goes on serving.
        ok = part("f", b"ok", "ok.txt") if route != "none" else part("f", b"ok")
        res = await client.post("/", data=body(ok), headers=CT)
        assert res.status == 200
        assert (await res.json())["files"] == ({"f": [2]} if route != "none" else {})


async def test_exactly_at_the_limits_is_accepted(uploads: Path) -> None:
    upload = multer(dest=uploads, limits={**SMALL, "parts": 4})
    data = body(
        part("f", b"x" * 10, "a"),
        part("g", b"y" * 10, "b"),
        part("abcde", b"z" * 10),
        part("b", b""),
    )
    async with TestClient(upload_app(upload.any())) as client:
        res = await client.post("/", data=data, headers=CT)
        assert res.status == 200
        assert await res.json() == {
            "fields": {"abcde": "z" * 10, "b": ""},
            "files": {"f": [10], "g": [10]},
        }


async def test_array_max_count() -> None:
    upload = multer()
    async with TestClient(upload_app(upload.array("p", max_count=2))) as client:
        two = body(part("p", b"1", "a"), part("p", b"2", "b"))
        assert (await client.post("/", data=two, headers=CT)).status == 200
        three = body(part("p", b"1", "a"), part("p", b"2", "b"), part("p", b"3", "c"))
        res = await client.post("/", data=three, headers=CT)
        assert (res.status, await res.text()) == (400, "Unexpected file field 'p'")


async def test_fields_max_counts() -> None:
    upload = multer()
    middleware = upload.fields([("avatar", 1), ("gallery", 2)])
    async with TestClient(upload_app(middleware)) as client:
        ok = body(part("avatar", b"1", "a"), part("gallery", b"2", "b"), part("gallery", b"3", "c"))
        res = await client.post("/", data=ok, headers=CT)
        assert (await res.json())["files"] == {"avatar": [1], "gallery": [1, 1]}
        res = await client.post(
            "/", data=body(part("avatar", b"1", "a"), part("avatar", b"2", "b")), headers=CT
        )
        assert (res.status, await res.text()) == (400, "Unexpected file field 'avatar'")


async def test_the_defaults_are_finite() -> None:
    assert Limits() == Limits(
        file_size=10 * MB,
        files=10,
        fields=1000,
        field_size=1 * MB,
        field_name_size=100,
        parts=1000,
        header_pairs=16,
        total_size=100 * MB,
    )


async def test_the_default_file_size_is_10_mb(uploads: Path) -> None:
    upload = multer(dest=uploads)
    async with TestClient(upload_app(upload.single("f"))) as client:
        data = io.BytesIO(body(part("f", b"x" * (10 * MB), "a")))
        res = await client.post("/", data=data, headers=CT)
        assert (await res.json())["files"] == {"f": [10 * MB]}
        data = io.BytesIO(body(part("f", b"x" * (10 * MB + 1), "a")))
        res = await client.post("/", data=data, headers=CT)
        assert res.status == 413
        assert await res.text() == "File too large: over the file_size limit of 10485760 bytes"
        assert await left_on_disk(uploads) == []


async def test_total_size_from_content_length_before_the_body() -> None:
    # The body is refused on its Content-Length: no 100 Continue, nothing read.
    upload = multer(limits={"total_size": 100})
    async with TestClient(upload_app(upload.any())) as client:
        raw = await connect(client.port)
        await raw.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
            b"Content-Length: 101\r\nExpect: 100-continue\r\n\r\n"
        )
        status, headers, text = await raw.response()
        assert (status, text) == (
            413,
            b"Request body too large: over the total_size limit of 100 bytes",
        )
        assert headers["connection"] == "close"
        await raw.close()


async def test_total_size_of_a_chunked_body(uploads: Path) -> None:
    upload = multer(dest=uploads, limits={"total_size": 1000, "file_size": 10_000})

    async def chunks() -> Any:
        yield part("f", b"x" * 600, "a")[:-2]
        yield b"x" * 600

    async with TestClient(upload_app(upload.any())) as client:
        res = await client.post("/", data=chunks(), headers=CT)
        assert res.status == 413
        assert await res.text() == "Request body too large: over the total_size limit of 1000 bytes"
        assert await left_on_disk(uploads) == []


async def test_a_file_over_the_limit_is_refused_before_the_rest_is_sent(uploads: Path) -> None:
    # The client announces 10 MB and sends it slowly: the 413 comes long before the end
    # (multer's limit stops the read at once too).
    upload = multer(dest=uploads, limits={"file_size": 10})
    async with TestClient(upload_app(upload.single("f"))) as client:
        raw = await connect(client.port)
        await raw.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
            b"Content-Length: 10485760\r\n\r\n" + part("f", b"", "a.txt")[:-2]
        )

        async def trickle() -> None:
            for _ in range(10 * 1024):
                await raw.send(b"x" * 1024)
                await asyncio.sleep(0.01)

        sender = asyncio.create_task(trickle())
        try:
            status, headers, text = await raw.response()
        finally:
            sender.cancel()
        assert (status, text) == (413, b"File too large: over the file_size limit of 10 bytes")
        assert headers["connection"] == "close"
        assert await left_on_disk(uploads) == []
        await raw.close()


async def test_the_error_is_a_multer_error_with_multer_s_code() -> None:
    seen: list[MulterError] = []

    async def catch(ctx: Context[Any], next: Next) -> None:
        try:
            await next()
        except MulterError as err:
            seen.append(err)
            ctx.status = err.status
            ctx.body = {"code": err.code, "field": err.field}

    app: Koa[Any] = Koa(silent=True)
    app.use(catch).use(multer(limits={"file_size": 1}).single("f"))
    async with TestClient(app) as client:
        res = await client.post("/", data=body(part("f", b"xx", "a")), headers=CT)
        assert res.status == 413
        assert await res.json() == {"code": "LIMIT_FILE_SIZE", "field": "f"}
    assert seen[0].expose is True


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "multipart/mixed; boundary=XyZ"},
        {"Content-Type": "text/plain"},
        {},
    ],
)
async def test_not_multipart_form_data_is_415(headers: dict[str, str]) -> None:
    upload = multer()
    async with TestClient(upload_app(upload.single("f"))) as client:
        res = await client.post("/", data=b'{"a":1}', headers=headers)
        assert res.status == 415
        assert await res.text() == "Unsupported Media Type: expected multipart/form-data"
