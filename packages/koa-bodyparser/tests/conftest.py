"""Shared fixtures: an app that echoes what the body parser produced, as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next

EchoApp = Callable[..., Koa[Any]]


async def _echo(ctx: Context[Any], next: Next) -> None:
    ctx.body = {"body": ctx.request.body, "raw": ctx.request.raw_body}


@pytest.fixture
def echo_app() -> EchoApp:
    """``echo_app(**bodyparser_options)``: a silent app that answers
    ``{"body": ctx.request.body, "raw": ctx.request.raw_body}``."""

    def make(**options: Any) -> Koa[Any]:
        app: Koa[Any] = Koa(silent=True)
        app.use(bodyparser(**options))
        app.use(_echo)
        return app

    return make
