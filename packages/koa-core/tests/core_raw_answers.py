"""Helpers shared by koa-core's response tests: an app of one synchronous handler, and its
answer to a raw request, split into status line, headers and body.

Imported by name (``from core_raw_answers import app_of``): the root ``pyproject.toml`` puts
each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run with
``--import-mode=importlib``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def app_of(fn: Callable[[Context], Any]) -> Koa:
    """A silent app whose one middleware calls ``fn(ctx)``."""
    app = Koa(silent=True)

    async def handler(ctx: Context, next: Next) -> None:
        fn(ctx)

    app.use(handler)
    return app


def head_of(raw: bytes) -> tuple[str, dict[str, list[str]], bytes]:
    """Status line, headers (lower-case names, every line) and the raw body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.lower(), []).append(value.strip())
    return status, headers, body


async def raw_get(app: Koa, request: bytes) -> tuple[str, dict[str, list[str]], bytes]:
    """``app``'s answer to the raw ``request`` on a fresh connection, split by ``head_of``."""
    async with TestClient(app) as client:
        return head_of(await client.raw(request))
