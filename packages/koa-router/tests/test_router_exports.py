"""The public surface of ``koa.router``."""

from __future__ import annotations

import koa.router


def test_exported_names() -> None:
    assert sorted(koa.router.__all__) == [
        "HTTP_METHODS",
        "Layer",
        "PathError",
        "RouteMatch",
        "Router",
        "RouterEvents",
        "RouterMiddleware",
    ]
    for name in koa.router.__all__:
        assert getattr(koa.router, name) is not None
