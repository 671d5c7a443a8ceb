"""``logger(log=...)``: each record carries the request's HTTP version for formatters, on
aiohttp and on an ASGI server alike (Koa's line itself has no place for it)."""

from __future__ import annotations

import logging

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import logger


@pytest.mark.parametrize("backend", ["aiohttp", "uvicorn"])
async def test_each_record_has_the_http_version(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("test.koa.logger.version")
    app = Koa()

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "hi"

    app.use(logger(log=log)).use(hello)
    with caplog.at_level(logging.INFO, logger=log.name):
        async with TestClient(app, backend=backend) as client:
            await client.get("/")
            await client.raw(b"GET /old HTTP/1.0\r\nHost: x\r\n\r\n")
    records = [r for r in caplog.records if r.name == log.name]
    formatter = logging.Formatter("%(message)s HTTP/%(http_version)s")
    lines = [formatter.format(r) for r in records]
    assert lines[0] == "  <-- GET / HTTP/1.1"
    assert lines[1].startswith("  --> GET / 200 ")
    assert lines[1].endswith(" HTTP/1.1")
    assert lines[2] == "  <-- GET /old HTTP/1.0"
