"""Which paths a mount matches, and what ``ctx.path`` / ``ctx.mount_path`` are inside it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.mount import mount


async def raw_get(client: TestClient, target: str) -> Any:
    """GET ``target`` exactly as written (no client-side normalisation); the JSON body."""
    raw = await client.raw(
        f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
    return json.loads(body)


async def echo(ctx: Context, next: Next) -> None:
    ctx.body = {"path": ctx.path, "mount_path": ctx.mount_path, "url": ctx.url}


async def outside(ctx: Context, next: Next) -> None:
    ctx.body = {"outside": ctx.path, "mount_path": ctx.mount_path}


def app_with(prefix: str) -> Koa:
    app = Koa()
    app.use(mount(prefix, echo))
    app.use(outside)
    return app


async def test_mounted_app_answers_under_its_prefix_only() -> None:
    hello = Koa()

    async def greet(ctx: Context, next: Next) -> None:
        ctx.body = "Hello from A"

    hello.use(greet)
    app = Koa()
    app.use(mount("/hello", hello))
    async with TestClient(app) as client:
        res = await client.get("/hello")
        assert res.status == 200
        assert await res.text() == "Hello from A"
        res = await client.get("/")
        assert res.status == 404
        assert await res.text() == "Not Found"


@pytest.mark.parametrize(
    ("requested", "inner"),
    [
        ("/prefix", "/"),
        ("/prefix/", "/"),
        ("/prefix/x", "/x"),
        ("/prefix/x/y/", "/x/y/"),
        ("/prefix//double", "//double"),
    ],
)
async def test_prefix_matches_at_segment_boundaries(requested: str, inner: str) -> None:
    async with TestClient(app_with("/prefix")) as client:
        res = await client.get(requested)
        assert await res.json() == {"path": inner, "mount_path": "/prefix", "url": inner}


@pytest.mark.parametrize("requested", ["/prefixlaksjdf", "/kljasdf", "/PREFIX/x", "/Prefix", "/"])
async def test_prefix_does_not_match_other_paths(requested: str) -> None:
    async with TestClient(app_with("/prefix")) as client:
        res = await client.get(requested)
        assert await res.json() == {"outside": requested, "mount_path": None}


@pytest.mark.parametrize(
    ("requested", "inner"),
    [("/prefix/", "/"), ("/prefix/x", "/x"), ("/prefix/x/", "/x/")],
)
async def test_trailing_slash_prefix_keeps_the_leading_slash_inside(
    requested: str, inner: str
) -> None:
    # koa-mount gives "x" for /prefix/x here; we always give a path that starts with "/".
    async with TestClient(app_with("/prefix/")) as client:
        res = await client.get(requested)
        assert await res.json() == {"path": inner, "mount_path": "/prefix", "url": inner}


async def test_trailing_slash_prefix_does_not_match_the_bare_prefix() -> None:
    async with TestClient(app_with("/prefix/")) as client:
        res = await client.get("/prefix")
        assert await res.json() == {"outside": "/prefix", "mount_path": None}


async def test_query_string_is_kept_inside_and_original_url_is_untouched() -> None:
    app = Koa()

    async def show(ctx: Context, next: Next) -> None:
        ctx.body = {
            "url": ctx.url,
            "querystring": ctx.querystring,
            "q": ctx.query.getall("q"),
            "original_url": ctx.original_url,
        }

    app.use(mount("/api", show))
    async with TestClient(app) as client:
        res = await client.get("/api/users?q=1&q=2")
        assert await res.json() == {
            "url": "/users?q=1&q=2",
            "querystring": "q=1&q=2",
            "q": ["1", "2"],
            "original_url": "/api/users?q=1&q=2",
        }
        res = await client.get("/api?q=3")
        assert (await res.json())["url"] == "/?q=3"


async def test_multi_segment_prefix() -> None:
    async with TestClient(app_with("/a/b")) as client:
        assert await (await client.get("/a/b/c")).json() == {
            "path": "/c",
            "mount_path": "/a/b",
            "url": "/c",
        }
        assert await (await client.get("/a/bc")).json() == {"outside": "/a/bc", "mount_path": None}
        assert await (await client.get("/a")).json() == {"outside": "/a", "mount_path": None}


async def test_non_ascii_paths_compare_percent_encoded() -> None:
    async with TestClient(app_with("/caf%C3%A9")) as client:
        res = await client.get("/caf%C3%A9/menu")
        assert await res.json() == {"path": "/menu", "mount_path": "/caf%C3%A9", "url": "/menu"}


class TestPathsThatTryToLeaveThePrefix:
    """Encoded slashes and dot segments are compared as sent: they never cross the prefix."""

    async def test_encoded_slash_after_the_prefix_is_not_a_boundary(self) -> None:
        async with TestClient(app_with("/api")) as client:
            for requested in ("/api%2Fx", "/api%2fx", "/api%2F..%2Fsecret", "/api%5Cx"):
                assert await raw_get(client, requested) == {
                    "outside": requested,
                    "mount_path": None,
                }

    async def test_dot_segments_stay_inside_the_mount(self) -> None:
        # The mounted middleware sees them and decides; the parent's route for /secret is
        # not reached through /api/../secret.
        async with TestClient(app_with("/api")) as client:
            for rest in ("/../secret", "/..%2Fsecret", "/%2e%2e/%2E%2E/secret", "/./../x"):
                assert await raw_get(client, "/api" + rest) == {
                    "path": rest,
                    "mount_path": "/api",
                    "url": rest,
                }

    async def test_dot_segments_before_the_prefix_do_not_enter_it(self) -> None:
        async with TestClient(app_with("/api")) as client:
            for requested in ("/public/../api/x", "/./api/x", "/%2Fapi/x"):
                assert await raw_get(client, requested) == {
                    "outside": requested,
                    "mount_path": None,
                }
