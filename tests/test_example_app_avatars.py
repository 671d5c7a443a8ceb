"""examples/app.py's avatar upload: koa-multer stores the upload, the handler checks it is an
image and moves it, koa-static serves it back; nothing else is left on disk."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from koa.core import Koa
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def app(load_example: Loader, tmp_path: Path) -> Koa[Any]:
    example = load_example("app.py")
    application: Koa[Any] = example.create_app(media=tmp_path)
    return application


def avatar(
    content: bytes, filename: str = "me.png", content_type: str = "image/png"
) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("avatar", io.BytesIO(content), filename=filename, content_type=content_type)
    return form


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


async def nothing_incoming(folder: Path) -> bool:
    """True once the upload folder is empty (removal runs after the response)."""
    for _ in range(500):
        if not listing(folder):
            return True
        await asyncio.sleep(0.02)
    return False


async def test_an_avatar_is_stored_and_served_back(app: Koa[Any], tmp_path: Path) -> None:
    async with TestClient(app) as client:
        res = await client.post("/avatars", data=avatar(PNG, filename="../../../etc/x.png"))
        assert res.status == 201
        body = await res.json()
        assert body["size"] == len(PNG)
        url = body["url"]
        assert res.headers["Location"] == url
        assert url.startswith("/avatars/")
        assert url.endswith(".png")
        res = await client.get(url)
        assert res.status == 200
        assert res.headers["Content-Type"] == "image/png"
        assert await res.read() == PNG
        assert await nothing_incoming(tmp_path / "incoming")
    assert listing(tmp_path / "avatars") == [url.rsplit("/", 1)[1]]


async def test_what_is_not_an_image_is_refused_and_removed(app: Koa[Any], tmp_path: Path) -> None:
    async with TestClient(app) as client:
        res = await client.post("/avatars", data=avatar(b"<script>alert(1)</script>"))
        assert (res.status, await res.text()) == (415, "avatar must be a PNG, JPEG or GIF image")
        assert await nothing_incoming(tmp_path / "incoming")
    assert listing(tmp_path / "avatars") == []


async def test_an_avatar_over_1_mb_is_413(app: Koa[Any], tmp_path: Path) -> None:
    async with TestClient(app) as client:
        res = await client.post("/avatars", data=avatar(PNG + b"\x00" * (1024 * 1024)))
        assert res.status == 413
        assert await res.text() == "File too large: over the file_size limit of 1048576 bytes"
        assert await nothing_incoming(tmp_path / "incoming")


async def test_a_form_without_the_avatar_is_400(app: Koa[Any]) -> None:
    async with TestClient(app) as client:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("name", "tobi")
        res = await client.post("/avatars", data=form)
        assert (res.status, await res.text()) == (400, "avatar is required")
        res = await client.post("/avatars", json={"avatar": "x"})
        assert res.status == 415


async def test_two_avatars_are_400(app: Koa[Any], tmp_path: Path) -> None:
    async with TestClient(app) as client:
        form = avatar(PNG)
        form.add_field("avatar", PNG, filename="b.png", content_type="image/png")
        res = await client.post("/avatars", data=form)
        assert res.status == 400
        assert await nothing_incoming(tmp_path / "incoming")


async def test_the_logger_and_timer_see_uploads(
    app: Koa[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    async with TestClient(app) as client:
        res = await client.post("/avatars", data=avatar(PNG))
        assert res.status == 201
        assert "X-Response-Time" in res.headers
    out = capsys.readouterr().out
    assert "<-- POST /avatars" in out
    assert "--> POST /avatars 201" in out
