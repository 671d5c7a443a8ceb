"""Disk storage: random names inside ``dest``, and no file left behind, whatever happens: the
response sent, the handler failing, a limit hit, the client leaving or going quiet. multer
never removes what it stored; a handler there has to."""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.multer import DiskStorage, File, multer, uploaded_file, uploaded_files
from multer_helpers import CT, body, connect, left_on_disk, part, upload_folder


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return upload_folder(tmp_path)


HEAD = (
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
    b"Content-Length: 10000000\r\n\r\n"
)


def app_with(*middleware: Any) -> Koa[Any]:
    app: Koa[Any] = Koa(silent=True)
    for mw in middleware:
        app.use(mw)
    return app


async def seen_file(folder: Path) -> None:
    """Wait until a file appears in ``folder`` (the upload has started to be written)."""
    for _ in range(500):
        if os.listdir(folder):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no file was created")


async def test_a_file_gets_a_random_name_and_is_removed_after_the_response(uploads: Path) -> None:
    seen: list[tuple[str, bytes, list[str]]] = []

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        assert file.path is not None
        seen.append((str(file.path), await file.read(), os.listdir(uploads)))
        ctx.body = "ok"

    async with TestClient(app_with(multer(dest=uploads).single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"hello", "../../evil.txt")), headers=CT)
        assert res.status == 200
        assert await left_on_disk(uploads) == []
    path, content, listing = seen[0]
    assert content == b"hello"
    assert Path(path).parent == uploads
    assert re.fullmatch(r"[0-9a-f]{32}", Path(path).name)
    assert listing == [Path(path).name]
    assert not (uploads.parent.parent / "evil.txt").exists()


async def test_a_file_sent_back_as_the_body_is_removed_once_sent(uploads: Path) -> None:
    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        ctx.body = file.path  # sent with sendfile after the middleware returned

    async with TestClient(app_with(multer(dest=uploads).single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"x" * 100_000, "a.bin")), headers=CT)
        assert (res.status, await res.read()) == (200, b"x" * 100_000)
        assert await left_on_disk(uploads) == []


async def test_move_to_keeps_the_file(uploads: Path, tmp_path: Path) -> None:
    target = tmp_path / "avatar.png"

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        moved = await file.move_to(target)
        ctx.body = str(moved == file.path == target)

    async with TestClient(app_with(multer(dest=uploads).single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"png", "a.png")), headers=CT)
        assert await res.text() == "True"
        assert await left_on_disk(uploads) == []
    assert target.read_bytes() == b"png"


async def test_move_to_from_memory_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        await file.move_to(target)
        ctx.body = "ok"

    async with TestClient(app_with(multer().single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"mem", "a.txt")), headers=CT)
        assert res.status == 200
    assert target.read_bytes() == b"mem"


async def test_keep_leaves_the_file_in_dest(uploads: Path) -> None:
    kept: list[Path] = []

    async def handler(ctx: Context[Any], next: Next) -> None:
        for file in uploaded_files(ctx)["f"]:
            file.keep()
            assert file.path is not None
            kept.append(file.path)
        ctx.body = "ok"

    async with TestClient(app_with(multer(dest=uploads).array("f"), handler)) as client:
        res = await client.post(
            "/", data=body(part("f", b"1", "a"), part("f", b"2", "b")), headers=CT
        )
        assert res.status == 200
        await asyncio.sleep(0.2)  # give a (wrong) cleanup the time to run
    assert sorted(p.read_bytes() for p in kept) == [b"1", b"2"]


async def test_a_failing_handler_leaves_nothing(uploads: Path) -> None:
    async def handler(ctx: Context[Any], next: Next) -> None:
        raise RuntimeError("boom")

    async with TestClient(app_with(multer(dest=uploads).single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"x", "a")), headers=CT)
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert await left_on_disk(uploads) == []


async def test_a_limit_hit_after_a_stored_file_removes_it_too(uploads: Path) -> None:
    upload = multer(dest=uploads, limits={"file_size": 10})
    async with TestClient(app_with(upload.any())) as client:
        data = body(part("a", b"fine", "a"), part("b", b"x" * 11, "b"))
        res = await client.post("/", data=data, headers=CT)
        assert res.status == 413
        assert await left_on_disk(uploads) == []


async def test_a_client_that_leaves_midway_leaves_nothing(uploads: Path) -> None:
    async def handler(ctx: Context[Any], next: Next) -> None:
        ctx.body = "ok"

    async with TestClient(app_with(multer(dest=uploads).single("f"), handler)) as client:
        raw = await connect(client.port)
        await raw.send(HEAD + part("f", b"", "a.bin")[:-2] + b"x" * 300_000)
        await seen_file(uploads)
        await raw.close()
        assert await left_on_disk(uploads) == []
        res = await client.post("/", data=body(part("f", b"again", "a")), headers=CT)
        assert (res.status, await res.text()) == (200, "ok")
        assert await left_on_disk(uploads) == []


async def test_a_client_that_stops_sending_gets_408_and_leaves_nothing(uploads: Path) -> None:
    upload = multer(dest=uploads, read_timeout=0.5)
    async with TestClient(app_with(upload.single("f"))) as client:
        raw = await connect(client.port)
        await raw.send(HEAD + part("f", b"", "a.bin")[:-2] + b"x" * 300_000)
        await seen_file(uploads)
        status, headers, text = await raw.response()
        assert (status, text) == (408, b"Request body timeout: nothing received for 0.5 s")
        assert headers["connection"] == "close"
        assert await left_on_disk(uploads) == []
        await raw.close()


# koa-core's request_timeout is an option of its aiohttp server; an ASGI server has its own
# timeouts (uvicorn none for a body), so there multer's read_timeout (above) ends the upload.
@pytest.mark.backends("aiohttp")
async def test_koa_core_request_timeout_also_leaves_nothing(uploads: Path) -> None:
    # Without a read timeout of our own, koa-core's request timeout ends the upload (408 and
    # the connection closed); the file goes with it.
    upload = multer(dest=uploads, read_timeout=None)
    async with TestClient(app_with(upload.single("f")), request_timeout=1.0) as client:
        raw = await connect(client.port)
        await raw.send(HEAD + part("f", b"", "a.bin")[:-2] + b"x" * 300_000)
        await seen_file(uploads)
        status, _, _ = await raw.response()
        assert status == 408
        assert await left_on_disk(uploads) == []
        await raw.close()


async def test_a_filename_function_must_give_one_path_segment(uploads: Path) -> None:
    storage = DiskStorage(destination=uploads, filename=lambda ctx, file: file.filename)
    upload = multer(storage=storage)
    async with TestClient(app_with(upload.single("f"))) as client:
        res = await client.post("/", data=body(part("f", b"x", "..")), headers=CT)
        assert (res.status, await res.text()) == (400, "Invalid file name for storage")
        assert await left_on_disk(uploads) == []


async def test_destination_and_filename_functions(tmp_path: Path) -> None:
    async def destination(ctx: Context[Any], file: File) -> Path:
        return tmp_path

    names: list[str] = []

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        assert file.path is not None
        names.append(file.path.name)
        ctx.body = await file.read()

    storage = DiskStorage(destination=destination, filename=lambda ctx, file: "fixed.txt")
    async with TestClient(app_with(multer(storage=storage).single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"hi", "a")), headers=CT)
        assert await res.read() == b"hi"
        assert await left_on_disk(tmp_path) == []
    assert names == ["fixed.txt"]


class CountingStorage:
    """A storage of its own: counts the bytes, keeps nothing anywhere."""

    def __init__(self) -> None:
        self.removed: list[str] = []

    async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
        total = 0
        async for chunk in chunks:
            total += len(chunk)
        file.info["counted"] = total

    async def remove(self, ctx: Context[Any], file: File) -> None:
        self.removed.append(file.filename)


async def test_a_storage_of_your_own() -> None:
    storage = CountingStorage()

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        ctx.body = {"counted": file.info["counted"], "size": file.size}

    async with TestClient(app_with(multer(storage=storage).single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"x" * 200_000, "a")), headers=CT)
        assert await res.json() == {"counted": 200_000, "size": 200_000}
        for _ in range(500):  # removal runs after the response: wait for it, 10 s at most
            if storage.removed:
                break
            await asyncio.sleep(0.02)
    assert storage.removed == ["a"]


@pytest.mark.parametrize("limit", [1, 100_000])
async def test_a_storage_that_stops_early_still_has_the_file_checked(limit: int) -> None:
    class Lazy:
        async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
            return None

        async def remove(self, ctx: Context[Any], file: File) -> None:
            return None

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        ctx.body = str(file.size)

    upload = multer(storage=Lazy(), limits={"file_size": limit})
    async with TestClient(app_with(upload.single("f"), handler)) as client:
        res = await client.post("/", data=body(part("f", b"x" * 50_000, "a")), headers=CT)
        assert res.status == (413 if limit == 1 else 200)
        if res.status == 200:
            assert await res.text() == "50000"


async def test_a_slow_storage_is_not_a_silent_client() -> None:
    # While the storage takes its time, the server stops reading, the socket buffers fill and
    # no bytes arrive: that is not the client going quiet, so read_timeout does not fire.
    class Slow:
        async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
            first = True
            async for _ in chunks:
                if first:
                    await asyncio.sleep(1.5)
                    first = False

        async def remove(self, ctx: Context[Any], file: File) -> None:
            return None

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        assert file is not None
        ctx.body = str(file.size)

    size = 40 * 1024 * 1024  # more than the socket buffers hold
    limits = {"file_size": size, "total_size": 2 * size}
    upload = multer(storage=Slow(), read_timeout=0.2, limits=limits)
    async with TestClient(app_with(upload.single("f"), handler)) as client:
        data = io.BytesIO(body(part("f", b"x" * size, "a")))
        res = await client.post("/", data=data, headers=CT)
        assert (res.status, await res.text()) == (200, str(size))


class StallingStorage:
    """Takes the first chunk, then waits (at most ``WAIT`` seconds) for the client to have
    sent the whole upload before reading on; notes whether it had."""

    def __init__(self, client_done: asyncio.Event) -> None:
        self.client_done = client_done
        self.client_finished_first: bool | None = None

    async def store(self, ctx: Context[Any], file: File, chunks: AsyncIterator[bytes]) -> None:
        async for _ in chunks:
            if self.client_finished_first is None:
                try:
                    await asyncio.wait_for(self.client_done.wait(), 1.0)
                    self.client_finished_first = True
                except asyncio.TimeoutError:
                    self.client_finished_first = False

    async def remove(self, ctx: Context[Any], file: File) -> None:
        pass


async def test_a_slow_storage_holds_the_client_back() -> None:
    # While the storage does not take the file's bytes, the server stops reading the socket
    # (aiohttp's flow control; on ASGI, koa-multer stops asking for the body): a 32 MB upload
    # cannot finish, so it is never buffered in memory. Without flow control the client would
    # send it all in that second (loopback buffers hold a few MB at most).
    size = 32 * 1024 * 1024
    client_done = asyncio.Event()
    storage = StallingStorage(client_done)

    async def handler(ctx: Context[Any], next: Next) -> None:
        file = uploaded_file(ctx)
        ctx.body = {"size": file.size if file else None}

    upload = multer(storage=storage, limits={"file_size": size, "total_size": 2 * size})
    async with TestClient(app_with(upload.single("f"), handler)) as client:
        raw = await connect(client.port)
        head = part("f", b"", "big.bin")[:-2]
        tail = b"\r\n--XyZ--\r\n"
        length = len(head) + size + len(tail)
        await raw.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
            + head
        )

        async def send_all() -> None:
            block = b"x" * (1024 * 1024)
            for _ in range(size // len(block)):
                await raw.send(block)
            await raw.send(tail)
            client_done.set()

        sender = asyncio.create_task(send_all())
        status, _, text = await raw.response()
        await sender
        assert (status, text) == (200, b'{"size":33554432}')
        assert storage.client_finished_first is False
        await raw.close()
