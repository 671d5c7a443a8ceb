"""Strange request paths get a correct status and never a 500."""

from __future__ import annotations

import re

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def build_app() -> Koa:
    router = Router()

    def echo(ctx: Context, next: Next) -> None:
        ctx.body = {"params": ctx.params}

    router.get("/users/:id", echo)
    router.get("/files/*path", echo)
    router.get("/m/:a-:b", echo)
    router.get(re.compile(r"^/re/(\d+)$"), echo)
    router.get("/", echo)
    app: Koa = Koa()
    app.use(router.routes()).use(router.allowed_methods())
    return app


def request(target: bytes, method: bytes = b"GET") -> bytes:
    return method + b" " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


def status_of(raw: bytes) -> int:
    assert raw.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")), raw[:80]
    return int(raw[9:12])


@pytest.mark.parametrize(
    ("target", "status", "body"),
    [
        (b"/users/%00", 200, b'{"params":{"id":"\\u0000"}}'),
        (b"/users/a%2Fb", 200, b'{"params":{"id":"a/b"}}'),
        (b"/users/%ZZ", 200, b'{"params":{"id":"%ZZ"}}'),
        (b"/users/%C0%AF", 200, b'{"params":{"id":"%C0%AF"}}'),
        (b"//", 200, b'{"params":{}}'),
        (b"/users//", 404, None),
        (b"//users/1", 404, None),
        (b"/files//x", 200, b'{"params":{"path":"/x"}}'),
        (b"/m/-", 404, None),
        (b"/re/1%0A", 404, None),
    ],
)
async def test_strange_paths(target: bytes, status: int, body: bytes | None) -> None:
    async with TestClient(build_app()) as client:
        raw = await client.raw(request(target))
        assert status_of(raw) == status
        if body is not None:
            assert raw.endswith(body)


@pytest.mark.parametrize("size", [2_000, 7_000, 10_000])
async def test_long_paths_are_never_a_500(size: int) -> None:
    async with TestClient(build_app()) as client:
        for target in (
            b"/users/" + b"a" * size,
            b"/files/" + b"a/" * (size // 2),
            b"/m/" + b"-" * size,
            b"/" + b"/" * size,
        ):
            code = status_of(await client.raw(request(target)))
            # Short enough: routed (200/404). Past aiohttp's request-line limit: its 400.
            assert code in (200, 404, 400), code


async def test_request_targets_that_are_not_paths() -> None:
    async with TestClient(build_app()) as client:
        assert status_of(await client.raw(request(b"*", b"OPTIONS"))) == 404
        raw = await client.raw(request(b"http://t/users/5"))
        assert status_of(raw) == 200
        assert raw.endswith(b'{"params":{"id":"5"}}')
