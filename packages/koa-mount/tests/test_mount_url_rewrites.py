"""URL rewrites inside a mounted app: queries kept, rewrites not seen outside (as
koa-mount 4)."""

from __future__ import annotations

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount


async def raw_get(client: TestClient, target: bytes) -> bytes:
    data = await client.raw(
        b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    return body


def echo_app() -> Koa:
    app = Koa()

    async def echo(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.path}|{ctx.url}|{ctx.querystring}|{ctx.original_url}"

    app.use(mount("/api", echo))

    async def after(ctx: Context, next: Next) -> None:
        ctx.body = f"after {ctx.url}"

    return app.use(after)


def rewriting_app() -> Koa:
    """A mounted middleware that rewrites the path, then calls the parent's downstream."""
    app = Koa()

    async def outer(ctx: Context, next: Next) -> None:
        await next()
        ctx.set("X-After", ctx.url)

    async def rewrite(ctx: Context, next: Next) -> None:
        ctx.path = "/rewritten"
        await next()
        ctx.set("X-Inside-After", f"{ctx.path}|{ctx.url}")

    async def below(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.path}|{ctx.url}"

    return app.use(outer).use(mount("/rw", rewrite)).use(below)


@pytest.mark.parametrize(
    ("target", "inside"),
    [
        (b"/api?", "/|/?||/api?"),
        (b"/api/x?", "/x|/x?||/api/x?"),
        (b"/api?#", "/|/?#||/api?#"),
        (b"/api/x?#f", "/x|/x?#f||/api/x?#f"),
    ],
)
async def test_an_empty_query_is_kept_inside(target: bytes, inside: str, koa_backend: str) -> None:
    if koa_backend != "aiohttp" and target.endswith(b"?"):
        pytest.skip("ASGI's query_string cannot tell a lone '?' from none (koa-core README)")
    async with TestClient(echo_app()) as client:
        assert await raw_get(client, target) == inside.encode()


@pytest.mark.parametrize(
    ("target", "below", "inside_after", "after"),
    [
        # The parent's downstream sees the parent's path, not the rewrite; inside, the path
        # the mount cut is back after next(); the query of the moment is kept throughout.
        (b"/rw/a?", "/rw/a|/rw/a?", "/a|/a?", "/rw/a?"),
        (b"/rw/a?b=1", "/rw/a|/rw/a?b=1", "/a|/a?b=1", "/rw/a?b=1"),
        (b"/rw", "/rw|/rw", "/|/", "/rw"),
    ],
)
async def test_a_rewrite_inside_is_not_seen_below_or_after(
    target: bytes, below: str, inside_after: str, after: str, koa_backend: str
) -> None:
    if koa_backend != "aiohttp" and target.endswith(b"?"):
        pytest.skip("ASGI's query_string cannot tell a lone '?' from none (koa-core README)")
    async with TestClient(rewriting_app()) as client:
        data = await client.raw(
            b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
    head, _, body = data.partition(b"\r\n\r\n")
    assert body == below.encode()
    assert f"\r\nX-Inside-After: {inside_after}\r\n".encode() in head
    assert f"\r\nX-After: {after}\r\n".encode() in head


async def test_a_url_set_inside_keeps_its_query_below() -> None:
    app = Koa()

    async def set_url(ctx: Context, next: Next) -> None:
        ctx.url = "/other?z=9"
        await next()
        ctx.set("X-Inside-After", f"{ctx.path}|{ctx.url}")

    async def below(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.path}|{ctx.url}"

    app.use(mount("/seturl", set_url)).use(below)
    async with TestClient(app) as client:
        res = await client.get("/seturl/x?y=1")
        assert await res.text() == "/seturl/x|/seturl/x?z=9"
        assert res.headers["X-Inside-After"] == "/x|/x?z=9"
