"""What the handler receives: ``ctx.request.body``, ``ctx.file`` and ``ctx.files``, for each
of ``single``, ``array``, ``fields``, ``none`` and ``any``; checked against @koa/multer 4
(multer 2.5) on Koa 3, run side by side with the same curl requests."""

from __future__ import annotations

from typing import Any

import aiohttp
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.multer import File, multer, uploaded_file, uploaded_files


def describe(file: File | None) -> dict[str, Any] | None:
    if file is None:
        return None
    return {
        "field_name": file.field_name,
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "data": None if file.data is None else file.data.decode("latin-1"),
    }


async def show(ctx: Context[Any], next: Next) -> None:
    ctx.body = {
        "body": ctx.request.body,
        "file": describe(uploaded_file(ctx)),
        "files": {
            name: [describe(f) for f in files] for name, files in uploaded_files(ctx).items()
        },
    }


def app_with(middleware: Any) -> Koa[Any]:
    app: Koa[Any] = Koa(silent=True)
    return app.use(middleware).use(show)


def form(*fields: tuple[str, str] | tuple[str, bytes, str]) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    for field in fields:
        if len(field) == 2:
            data.add_field(field[0], field[1])
        else:
            data.add_field(field[0], field[1], filename=field[2], content_type="text/plain")
    return data


def small(name: str, filename: str = "small.txt") -> tuple[str, bytes, str]:
    return (name, b"hello", filename)


HELLO = {
    "field_name": "avatar",
    "filename": "small.txt",
    "content_type": "text/plain",
    "size": 5,
    "data": "hello",
}


async def test_single_gives_the_file_and_the_text_fields() -> None:
    # multer: {"body":{"name":["tobi","loki"],"a":{"b":"1"}},"file":{"fieldname":"avatar",
    # "originalname":"small.txt","encoding":"7bit","mimetype":"text/plain","buffer":"hello",
    # "size":5}}; here ``a[b]`` stays a flat key (see README).
    upload = multer()
    async with TestClient(app_with(upload.single("avatar"))) as client:
        data = form(small("avatar"), ("name", "tobi"), ("name", "loki"), ("a[b]", "1"))
        res = await client.post("/", data=data)
        assert res.status == 200
        assert await res.json() == {
            "body": {"name": ["tobi", "loki"], "a[b]": "1"},
            "file": HELLO,
            "files": {"avatar": [HELLO]},
        }


async def test_single_without_a_file_gives_none() -> None:
    upload = multer()
    async with TestClient(app_with(upload.single("avatar"))) as client:
        res = await client.post("/", data=form(("name", "tobi")))
        assert await res.json() == {"body": {"name": "tobi"}, "file": None, "files": {}}


async def test_an_empty_file_input_is_an_empty_text_field() -> None:
    # Browsers send filename="" for a file input left empty; multer makes it a field.
    upload = multer()
    async with TestClient(app_with(upload.single("avatar"))) as client:
        res = await client.post("/", data=form(("avatar", b"", "")))
        assert await res.json() == {"body": {"avatar": ""}, "file": None, "files": {}}


async def test_array_gives_the_files_of_one_field() -> None:
    upload = multer()
    async with TestClient(app_with(upload.array("photos", max_count=2))) as client:
        res = await client.post("/", data=form(small("photos"), small("photos")))
        body = await res.json()
        assert res.status == 200
        assert [f["field_name"] for f in body["files"]["photos"]] == ["photos", "photos"]
        assert body["file"] is None


async def test_fields_gives_files_per_field() -> None:
    upload = multer()
    middleware = upload.fields([("a", 1), ("b", 2)])
    async with TestClient(app_with(middleware)) as client:
        res = await client.post("/", data=form(small("a"), small("b"), ("x", "1")))
        body = await res.json()
        assert res.status == 200
        assert body["body"] == {"x": "1"}
        assert sorted(body["files"]) == ["a", "b"]
        assert body["files"]["a"][0]["field_name"] == "a"


async def test_none_takes_text_fields_only() -> None:
    upload = multer()
    async with TestClient(app_with(upload.none())) as client:
        res = await client.post("/", data=form(("x", "1")))
        assert await res.json() == {"body": {"x": "1"}, "file": None, "files": {}}


async def test_any_takes_files_from_any_field() -> None:
    upload = multer()
    async with TestClient(app_with(upload.any())) as client:
        res = await client.post("/", data=form(small("x"), small("y"), small("x")))
        body = await res.json()
        assert {name: len(files) for name, files in body["files"].items()} == {"x": 2, "y": 1}


async def test_the_client_content_type_is_kept() -> None:
    upload = multer()
    async with TestClient(app_with(upload.single("avatar"))) as client:
        data = aiohttp.FormData()
        data.add_field("avatar", b"\x89PNG", filename="a.png", content_type="image/png")
        res = await client.post("/", data=data)
        assert (await res.json())["file"]["content_type"] == "image/png"


async def test_ctx_file_and_ctx_files_are_set_as_in_koa_multer() -> None:
    seen: dict[str, Any] = {}

    async def handler(ctx: Context[Any], next: Next) -> None:
        seen["file"] = vars(ctx)["file"]
        seen["files"] = vars(ctx)["files"]
        ctx.body = "ok"

    app: Koa[Any] = Koa(silent=True)
    app.use(multer().single("avatar")).use(handler)
    async with TestClient(app) as client:
        res = await client.post("/", data=form(small("avatar")))
        assert res.status == 200
    assert isinstance(seen["file"], File)
    assert seen["files"] == {"avatar": [seen["file"]]}


async def test_read_and_open_give_the_content() -> None:
    got: list[bytes] = []

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        got.append(await file.read())
        ctx.body = await file.open()  # a binary file object is a streamed body

    app: Koa[Any] = Koa(silent=True)
    app.use(multer().single("avatar")).use(handler)
    async with TestClient(app) as client:
        res = await client.post("/", data=form(small("avatar")))
        assert res.status == 200
        assert await res.read() == b"hello"
    assert got == [b"hello"]


async def test_the_request_carries_the_same_results_as_the_context() -> None:
    # @koa/multer sets ctx.request.file / ctx.request.files beside ctx.file / ctx.files.
    async def on_request(ctx: Context[Any], next: Next) -> None:
        files = ctx.request.files or {}
        ctx.body = {
            "file": describe(ctx.request.file),
            "same": ctx.request.file is uploaded_file(ctx) and files == uploaded_files(ctx),
            "fields": sorted(files),
        }

    app: Koa[Any] = Koa(silent=True)
    app.use(multer().single("avatar")).use(on_request)
    async with TestClient(app) as client:
        res = await client.post("/", data=form(small("avatar")))
        assert await res.json() == {"file": HELLO, "same": True, "fields": ["avatar"]}
    bare: Koa[Any] = Koa(silent=True)
    async with TestClient(bare.use(on_request)) as client:
        untouched = await client.get("/")
        assert await untouched.json() == {"file": None, "same": True, "fields": []}
