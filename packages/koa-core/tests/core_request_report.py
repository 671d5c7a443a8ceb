"""Helpers shared by koa-core's request tests: an app that reports what it read of the
request (url, path, query, hostname, ip) as JSON, and raw GETs to it.

Imported by name (``from core_request_report import fetch``): the root ``pyproject.toml``
puts each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run
with ``--import-mode=importlib``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def snapshot(ctx: Context) -> dict[str, Any]:
    """What the request reads as: url, path, query string and search, query, host, ip."""
    query: dict[str, Any] = {}
    for key in ctx.query:
        values = ctx.query.getall(key)
        query[key] = values[0] if len(values) == 1 else values
    return {
        "url": ctx.url,
        "path": ctx.path,
        "querystring": ctx.querystring,
        "search": ctx.search,
        "query": query,
        "hostname": ctx.hostname,
        "ip": ctx.ip,
    }


def app_with(change: Callable[[Context], object] | None = None) -> Koa:
    """An app answering ``snapshot`` as JSON, after ``change(ctx)`` (its result as ``result``)."""
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        result = change(ctx) if change is not None else None
        ctx.body = {"result": result, **snapshot(ctx)}

    app.use(report)
    return app


def raw_get(target: bytes, *headers: bytes) -> bytes:
    """A raw ``GET target`` for ``example.com`` with ``headers``, closing the connection."""
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: example.com", *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def json_body(raw: bytes) -> tuple[int, Any]:
    """The status and the JSON body of a raw answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def fetch(app: Koa, target: bytes, *headers: bytes) -> dict[str, Any]:
    """``app``'s JSON answer to ``GET target`` (which must be a 200 with an object)."""
    async with TestClient(app) as client:
        status, body = json_body(await client.raw(raw_get(target, *headers)))
    assert status == 200
    assert isinstance(body, dict)
    return body
