"""examples/koa-request-id: a third-party middleware written against koa-core alone."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from types import ModuleType

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]

HEX_ID = re.compile(r"[0-9a-f]{32}")


async def test_every_response_gets_a_fresh_id(load_example: Loader) -> None:
    app = load_example("koa-request-id/example.py").app
    async with TestClient(app) as client:
        first = await client.get("/")
        second = await client.get("/")
    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    assert all(HEX_ID.fullmatch(rid) for rid in ids)
    assert ids[0] != ids[1]
    assert await first.json() == {"request_id": ids[0]}


async def test_a_valid_incoming_id_is_kept(load_example: Loader) -> None:
    app = load_example("koa-request-id/example.py").app
    async with TestClient(app) as client:
        res = await client.get("/", headers={"X-Request-Id": "abc-123"})
        assert res.headers["X-Request-Id"] == "abc-123"
        assert await res.json() == {"request_id": "abc-123"}


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 129, "<script>", "é"])
async def test_an_invalid_incoming_id_is_replaced(load_example: Loader, incoming: str) -> None:
    app = load_example("koa-request-id/example.py").app
    async with TestClient(app) as client:
        res = await client.get("/", headers={"X-Request-Id": incoming})
        assert HEX_ID.fullmatch(res.headers["X-Request-Id"])


async def test_error_responses_carry_the_id(load_example: Loader) -> None:
    app = load_example("koa-request-id/example.py").app
    async with TestClient(app) as client:
        res = await client.get("/fail", headers={"X-Request-Id": "req-9"})
        assert res.status == 503
        assert res.headers["X-Request-Id"] == "req-9"
        assert await res.text() == "Service Unavailable"


async def test_plain_exceptions_carry_the_id_too(load_example: Loader) -> None:
    load_example("koa-request-id/example.py")  # puts koa_request_id on the import path
    from koa_request_id import request_id

    app = Koa(silent=True)
    app.use(request_id(header="X-Trace", trust_incoming=False, generate=lambda: "fixed"))

    async def crash(ctx: Context, next: Next) -> None:
        raise ValueError("boom")

    app.use(crash)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"X-Trace": "from-client"})
        assert res.status == 500
        assert res.headers["X-Trace"] == "fixed"
        assert await res.text() == "Internal Server Error"


async def test_log_lines_carry_the_id(
    load_example: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    module = load_example("koa-request-id/example.py")
    from koa_request_id import RequestIdFilter, current_request_id

    handler = caplog.handler
    handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="examples.request_id"):
        async with TestClient(module.app) as client:
            await client.get("/there", headers={"X-Request-Id": "abc"})
    [record] = [r for r in caplog.records if r.name == "examples.request_id"]
    assert record.getMessage() == "hello from /there"
    assert record.__dict__["request_id"] == "abc"
    assert current_request_id() is None
