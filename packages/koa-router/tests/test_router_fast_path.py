"""The one-route fast path (``Layer.enter`` inlined in ``RouterMiddleware``) sets exactly the
context fields the general path (several matching layers, each through ``Layer.enter``) sets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router

ROUTES: list[tuple[str | re.Pattern[str], str]] = [
    ("/users/:id", "user"),
    ("/files/*rest", "file"),
    ("/opt{/:maybe}", "opt"),
    ("/pair/:a-:b", "pair"),
    (re.compile(r"^/re/(\d+)(?:/(x))?$"), "re"),
]
PATHS = [
    "/users/42",
    "/users/a%20b",
    "/users/%E2%82%AC",
    "/users/%zz",
    "/users/%C3",
    "/files/a/b%2Fc.txt",
    "/opt",
    "/opt/yes",
    "/pair/1-2",
    "/re/7",
    "/re/7/x",
]


async def echo(ctx: Context, next: Next) -> None:
    ctx.body = {
        "params": ctx.params,
        "captures": ctx.captures,
        "matched_route": str(ctx.matched_route),
        "matched_route_name": ctx.matched_route_name,
        "router_path": str(ctx.router_path),
        "router_name": ctx.router_name,
    }


async def pass_on(ctx: Context, next: Next) -> None:
    await next()


def app_of(*, chained: bool) -> Koa:
    router = Router()
    for path, name in ROUTES:
        if chained:  # a second layer for the same route: the general path runs both
            router.get(path, pass_on)
        router.get(name, path, echo)
    app: Koa = Koa()
    return app.use(router.routes())


@pytest.mark.parametrize("path", PATHS)
async def test_the_fast_path_sets_what_layer_enter_sets(path: str) -> None:
    seen: list[Any] = []
    for chained in (False, True):
        async with TestClient(app_of(chained=chained)) as client:
            res = await client.get(path)
            seen.append((res.status, await res.read()))
    assert seen[0][0] == 200, seen
    assert seen[0] == seen[1]
