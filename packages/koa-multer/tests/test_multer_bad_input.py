"""Bad input, over raw sockets: each malformed or hostile body gets a clear 4xx or the
documented handling, nothing is left on disk, and the server answers a normal request after.

What multer 2.5 (under Koa 3) answers for the same bytes is noted where it differs: a 500 for
every refusal, parts without Content-Disposition skipped, raw UTF-8 filenames read as latin1.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.multer import multer, uploaded_files
from multer_helpers import connect, left_on_disk, listing, upload_folder


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return upload_folder(tmp_path)


CT = b"multipart/form-data; boundary=XyZ"
END = b"--XyZ--\r\n"


def part(disposition: bytes, value: bytes = b"1", *, headers: bytes = b"") -> bytes:
    return (
        b"--XyZ\r\nContent-Disposition: "
        + disposition
        + b"\r\n"
        + headers
        + b"\r\n"
        + value
        + b"\r\n"
    )


def field(name: bytes, value: bytes = b"1") -> bytes:
    return part(b'form-data; name="' + name + b'"', value)


def file(filename: bytes, value: bytes = b"hi") -> bytes:
    return part(b'form-data; name="f"; filename="' + filename + b'"', value)


def request(body: bytes, content_type: bytes = CT) -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )


def app(uploads: Path, **options: Any) -> Koa[Any]:
    async def show(ctx: Context[Any], next: Next) -> None:
        ctx.body = {
            "fields": ctx.request.body,
            "files": [
                [f.field_name, f.filename, f.size]
                for fs in uploaded_files(ctx).values()
                for f in fs
            ],
        }

    application: Koa[Any] = Koa(silent=True)
    return application.use(multer(dest=uploads, **options).any()).use(show)


async def still_serving(client: TestClient) -> None:
    res = await client.post("/", data=field(b"ok") + END, headers={"Content-Type": CT.decode()})
    assert res.status == 200
    assert await res.json() == {"fields": {"ok": "1"}, "files": []}


REFUSED = [
    # (what, content type, body, status, message)
    (
        "no boundary",
        b"multipart/form-data",
        field(b"a") + END,
        400,
        "Malformed multipart body: missing or invalid boundary in Content-Type",
    ),
    (
        "boundary over 70 characters",
        b"multipart/form-data; boundary=" + b"b" * 71,
        field(b"a") + END,
        400,
        "Malformed multipart body: missing or invalid boundary in Content-Type",
    ),
    (
        "wrong boundary",
        b"multipart/form-data; boundary=Other",
        field(b"a") + END,
        400,
        "Malformed multipart body: the boundary given in Content-Type is not in the body",
    ),
    (
        "no Content-Disposition",
        CT,
        b"--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n" + END,
        400,
        "Malformed multipart body: a part has no Content-Disposition header",
    ),
    ("Content-Disposition without a name", CT, part(b"form-data") + END, 400, "Field name missing"),
    ("an empty field name", CT, field(b"") + END, 400, "Field name missing"),
    (
        "not form-data",
        CT,
        part(b'attachment; name="a"') + END,
        400,
        "Malformed multipart body: invalid Content-Disposition header in a part",
    ),
    (
        "a broken Content-Disposition",
        CT,
        part(b'form-data; name="a"; x') + END,
        400,
        "Malformed multipart body: invalid Content-Disposition header in a part",
    ),
    (
        "a huge part header",
        CT,
        part(b'form-data; name="a"', headers=b"X-Big: " + b"a" * 100_000 + b"\r\n") + END,
        400,
        "Malformed multipart body: a part header line is longer than 8190 bytes",
    ),
    (
        "a 10 KB filename",
        CT,
        file(b"a" * 10_240) + END,
        400,
        "Malformed multipart body: a part header line is longer than 8190 bytes",
    ),
    (
        "10,000 tiny parts",
        CT,
        field(b"a", b"") * 10_000 + END,
        400,
        "Too many parts: over the parts limit of 1000",
    ),
    (
        "a NUL in a filename",
        CT,
        file(b"a\x00b.txt") + END,
        400,
        "Malformed multipart body: invalid part header",
    ),
    (
        "a NUL in filename*",
        CT,
        part(b"form-data; name=\"f\"; filename*=UTF-8''a%00b") + END,
        400,
        "Malformed multipart body: a filename contains a NUL character",
    ),
    (
        "no closing boundary",
        CT,
        field(b"a"),
        400,
        "Malformed multipart body: unexpected end of body (no closing boundary)",
    ),
    (
        "a body cut in a part",
        CT,
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nabc',
        400,
        "Malformed multipart body: unexpected end of body (no closing boundary)",
    ),
    (
        "a nested multipart part",
        CT,
        part(
            b'form-data; name="a"',
            b"--In--",
            headers=b"Content-Type: multipart/mixed; boundary=In\r\n",
        )
        + END,
        400,
        "Malformed multipart body: a part is itself multipart (not allowed in form-data)",
    ),
    (
        "Content-Transfer-Encoding: base64 (RFC 7578 deprecates it)",
        CT,
        part(b'form-data; name="a"', b"aGk=", headers=b"Content-Transfer-Encoding: base64\r\n")
        + END,
        400,
        "Malformed multipart body: Content-Transfer-Encoding 'base64' is not accepted",
    ),
    (
        "a field that is not valid UTF-8",
        CT,
        field(b"a", b"\xff\xfe") + END,
        400,
        "Malformed multipart body: field 'a' is not valid utf-8",
    ),
]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
async def test_refused(
    content_type: bytes,
    body: bytes,
    status: int,
    message: str,
    uploads: Path,
) -> None:
    async with TestClient(app(uploads)) as client:
        raw = await connect(client.port)
        # A file comes first, so that each refusal also has a stored file to remove.
        await raw.send(request(file(b"first.txt") + body, content_type))
        got = await raw.response()
        assert (got[0], got[2].decode()) == (status, message)
        assert await left_on_disk(uploads) == []
        await raw.close()
        await still_serving(client)


ACCEPTED = [
    # (what, body, fields, files [field, filename, size])
    (
        "a preamble before the first boundary (RFC 2046)",
        b"preamble\r\nmore\r\n" + field(b"a") + END,
        {"a": "1"},
        [],
    ),
    ("an epilogue after the last boundary", field(b"a") + END + b"epilogue" * 100, {"a": "1"}, []),
    ("a filename with ../", file(b"../../etc/passwd"), {}, [["f", "passwd", 2]]),
    ("a Windows path", file(b"C:\\\\Users\\\\me\\\\x.txt"), {}, [["f", "x.txt", 2]]),
    ("an absolute path", file(b"/etc/passwd"), {}, [["f", "passwd", 2]]),
    # multer reads raw UTF-8 as latin1 ("Ã©tÃ©.txt"); browsers send UTF-8.
    ("a unicode filename", file("été 🐍.txt".encode()), {}, [["f", "été 🐍.txt", 2]]),
    (
        "filename* (RFC 5987)",
        part(b"form-data; name=\"f\"; filename*=UTF-8''%C3%A9t%C3%A9.txt", b"hi"),
        {},
        [["f", "été.txt", 2]],
    ),
    (
        "filename* wins over filename",
        part(b'form-data; name="f"; filename="plain.txt"; filename*=UTF-8\'\'%C3%A9.txt', b"hi"),
        {},
        [["f", "é.txt", 2]],
    ),
    ("the WHATWG escapes %22 %0A %0D", file(b"a%22b%0Ac%25.txt"), {}, [["f", 'a"b\nc%25.txt', 2]]),
    (
        "nested field names stay flat",
        field(b"a[b]") + field(b"a[c][d]", b"2"),
        {"a[b]": "1", "a[c][d]": "2"},
        [],
    ),
    (
        "a field's charset",
        part(
            b'form-data; name="a"',
            "é".encode("latin-1"),
            headers=b"Content-Type: text/plain; charset=latin-1\r\n",
        ),
        {"a": "é"},
        [],
    ),
    ("an empty body (just the closing boundary)", b"", {}, []),
]


@pytest.mark.parametrize(
    ("body", "fields", "files"),
    [case[1:] for case in ACCEPTED],
    ids=[case[0] for case in ACCEPTED],
)
async def test_handled(
    body: bytes,
    fields: dict[str, str],
    files: list[list[Any]],
    uploads: Path,
) -> None:
    if not body.endswith(END) and b"epilogue" not in body:
        body += END
    async with TestClient(app(uploads)) as client:
        raw = await connect(client.port)
        await raw.send(request(body))
        status, _, text = await raw.response()
        assert status == 200, text
        assert json.loads(text) == {"fields": fields, "files": files}
        assert await left_on_disk(uploads) == []
        await raw.close()
        await still_serving(client)


async def test_a_huge_preamble_is_bounded_by_total_size(uploads: Path) -> None:
    # Data before the first boundary is read inside aiohttp's reader, line by line; a chunked
    # body (no Content-Length to refuse up front) is still stopped at total_size.
    async def chunks() -> Any:
        for _ in range(200):
            yield b"preamble line\r\n" * 1000

    async with TestClient(app(uploads, limits={"total_size": 100_000})) as client:
        res = await client.post("/", data=chunks(), headers={"Content-Type": CT.decode()})
        assert res.status == 413
        assert (
            await res.text() == "Request body too large: over the total_size limit of 100000 bytes"
        )
        await still_serving(client)


async def test_a_truncated_body_leaves_nothing(uploads: Path) -> None:
    # Content-Length promises more than is sent; the client shuts its side once the file
    # has started to be written.
    async with TestClient(app(uploads)) as client:
        raw = await connect(client.port)
        await raw.send(request(file(b"a.bin", b"x" * 400_000) + END)[:200_000])
        for _ in range(500):
            if listing(uploads):
                break
            await asyncio.sleep(0.02)
        assert len(listing(uploads)) == 1
        raw.writer.write_eof()
        assert await asyncio.wait_for(raw.reader.read(), 10) == b""  # closed, no response
        assert await left_on_disk(uploads) == []
        await raw.close()
        await still_serving(client)


async def test_a_gzipped_form(uploads: Path, koa_backend: str) -> None:
    # aiohttp's server inflates a Content-Encoding itself; an ASGI server hands the body over
    # as sent, and koa-multer does not inflate uploads: 415, before the body is read.
    form = gzip.compress(field(b"a", b"x") + END)
    async with TestClient(app(uploads)) as client:
        res = await client.post(
            "/",
            data=form,
            headers={"Content-Type": CT.decode(), "Content-Encoding": "gzip"},
        )
        if koa_backend == "aiohttp":
            assert (res.status, await res.json()) == (200, {"fields": {"a": "x"}, "files": []})
        else:
            assert (res.status, await res.text()) == (
                415,
                "Unsupported Content-Encoding 'gzip': send the form as it is",
            )
        await still_serving(client)
