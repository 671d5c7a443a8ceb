"""examples/errors.py: Koa's default error responses and a JSON error middleware."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType

import pytest
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]


async def test_throw_exposes_client_errors_with_their_headers(load_example: Loader) -> None:
    app = load_example("errors.py").app
    async with TestClient(app) as client:
        res = await client.get("/throw")
        assert res.status == 403
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert res.headers["X-Required-Role"] == "admin"
        assert await res.text() == "admins only"


async def test_assert_answers_400_until_the_query_has_a_name(load_example: Loader) -> None:
    app = load_example("errors.py").app
    async with TestClient(app) as client:
        res = await client.get("/hello")
        assert (res.status, await res.text()) == (400, "name is required")
        res = await client.get("/hello?name=")
        assert (res.status, await res.text()) == (400, "name is required")
        res = await client.get("/hello", params={"name": "ann"})
        assert (res.status, await res.text()) == (200, "Hello, ann")


async def test_a_crash_hides_its_message_and_is_logged_once(
    load_example: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_example("errors.py").app
    with caplog.at_level(logging.INFO):
        async with TestClient(app) as client:
            res = await client.get("/crash")
            body = await res.text()
    assert res.status == 500
    assert body == "Internal Server Error"
    assert "hunter2" not in body
    assert [r.getMessage() for r in caplog.records if r.name == "examples.errors"] == [
        "GET /crash failed: RuntimeError('database password is hunter2')"
    ]
    # The example's listener replaces Koa's default traceback logging.
    assert not [r for r in caplog.records if r.name == "koa"]


async def test_client_errors_are_not_logged(
    load_example: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_example("errors.py").app
    with caplog.at_level(logging.INFO):
        async with TestClient(app) as client:
            assert (await client.get("/throw")).status == 403
            assert (await client.get("/nowhere")).status == 404
    assert not [r for r in caplog.records if r.name in ("examples.errors", "koa")]


async def test_api_errors_are_json(load_example: Loader) -> None:
    app = load_example("errors.py").app
    async with TestClient(app) as client:
        res = await client.get("/api/throw")
        assert res.status == 403
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"
        assert res.headers["X-Required-Role"] == "admin"
        assert await res.text() == '{"error":"admins only","status":403}'

        res = await client.get("/api/hello")
        assert (res.status, await res.json()) == (400, {"error": "name is required", "status": 400})

        res = await client.get("/api/hello?name=bo")
        assert (res.status, await res.text()) == (200, "Hello, bo")

        res = await client.get("/api/crash")
        assert res.status == 500
        assert await res.json() == {"error": "Internal Server Error", "status": 500}


async def test_api_errors_still_reach_the_error_listeners(load_example: Loader) -> None:
    app = load_example("errors.py").app
    seen: list[tuple[str, str]] = []
    app.on("error", lambda err, ctx: seen.append((type(err).__name__, ctx.original_url)))
    async with TestClient(app) as client:
        assert (await client.get("/api/crash")).status == 500
        assert (await client.get("/api/hello")).status == 400
    assert seen == [("RuntimeError", "/api/crash"), ("HttpError", "/api/hello")]
