"""examples/hello.py: the smallest app."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]


async def test_every_path_says_hello(load_example: Loader) -> None:
    app = load_example("hello.py").app
    async with TestClient(app) as client:
        for path in ("/", "/anything?x=1"):
            res = await client.get(path)
            assert res.status == 200
            assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert res.headers["Content-Length"] == "11"
            assert await res.text() == "Hello World"


async def test_head_sends_the_headers_without_the_body(load_example: Loader) -> None:
    app = load_example("hello.py").app
    async with TestClient(app) as client:
        res = await client.head("/")
        assert res.status == 200
        assert res.headers["Content-Length"] == "11"
        assert await res.read() == b""
