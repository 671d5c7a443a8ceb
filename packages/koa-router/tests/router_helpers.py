"""Helpers shared by the koa-router tests: handlers that report the match, middleware that
leaves a trace, and raw requests to an app of routers.

Imported by name (``from router_helpers import send``): the root ``pyproject.toml`` puts
each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run with
``--import-mode=importlib``.
"""

from __future__ import annotations

import json
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def rep(tag: str) -> Any:
    """A handler answering ``{"tag", "params", "route"}`` (the matched route)."""

    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "params": ctx.params, "route": ctx.matched_route}

    return handler


def trace(label: str) -> Any:
    """Middleware appending ``label`` to ``ctx.state["trace"]``, then calling ``next``."""

    async def mw(ctx: Context, next: Next) -> None:
        ctx.state.setdefault("trace", []).append(label)
        await next()

    return mw


def with_trace(tag: str) -> Any:
    """A handler answering ``{"tag", "params", "trace"}``."""

    def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"tag": tag, "params": ctx.params, "trace": ctx.state.get("trace", [])}

    return handler


class Answer:
    """A raw answer: ``status``, lower-case ``headers``, ``body`` and its ``json()``."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0][9:12])
        self.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}

    def json(self) -> Any:
        return json.loads(self.body)


async def send(client: TestClient, method: str, target: str) -> Answer:
    """``method target`` on a fresh connection that closes after the answer."""
    raw = await client.raw(
        f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    return Answer(raw)


def app_of(*routers: Router) -> Koa:
    """An app using each router's ``routes()`` and ``allowed_methods()``."""
    app: Koa = Koa()
    for router in routers:
        app.use(router.routes()).use(router.allowed_methods())
    return app
