"""examples/composition.py: two apps mounted into one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType

import pytest
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]


async def test_the_blog_sees_paths_relative_to_its_mount(load_example: Loader) -> None:
    app = load_example("composition.py").app
    async with TestClient(app) as client:
        res = await client.get("/blog")
        assert res.status == 200
        assert res.headers["Content-Type"] == "text/html; charset=utf-8"
        assert await res.text() == (
            '<h1>Posts</h1><ul><li><a href="/blog/hello">Hello, world</a></li>'
            '<li><a href="/blog/koa">Why Koa\'s onion</a></li></ul>'
        )
        res = await client.get("/blog/hello")
        assert await res.text() == "<h1>Hello, world</h1>"
        assert "X-Api-Version" not in res.headers


async def test_the_api_has_its_own_middleware(load_example: Loader) -> None:
    app = load_example("composition.py").app
    async with TestClient(app) as client:
        res = await client.get("/api/status")
        assert res.status == 200
        assert res.headers["X-Api-Version"] == "1"
        assert await res.text() == '{"ok":true,"path":"/status","mount_path":"/api"}'


async def test_unknown_paths_fall_through_the_mounts(load_example: Loader) -> None:
    app = load_example("composition.py").app
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.json() == {"apps": ["/blog", "/api"]}
        for path in ("/blog/nope", "/api/nope", "/blogx", "/nope"):
            res = await client.get(path)
            assert (res.status, await res.text()) == (404, "Not Found"), path
        # The api's middleware ran for /api/nope, as it wraps everything below /api.
        assert (await client.get("/api/nope")).headers["X-Api-Version"] == "1"


async def test_a_mounted_apps_error_reaches_both_apps(
    load_example: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    module = load_example("composition.py")
    with caplog.at_level(logging.INFO):
        async with TestClient(module.app) as client:
            res = await client.get("/blog/broken")
            assert (res.status, await res.text()) == (500, "Internal Server Error")
    assert [r.getMessage() for r in caplog.records if r.name == "examples.composition"] == [
        "blog: template posts/broken.html is missing",
        "app: GET /blog/broken failed: template posts/broken.html is missing",
    ]
    assert not [r for r in caplog.records if r.name == "koa"]
