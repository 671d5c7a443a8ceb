"""Path syntax: optional groups, wildcards, decoding, params inside a segment, regex routes,
inline constraints and registration errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import PathError, Router


def echo(ctx: Context, next: Next) -> None:
    ctx.body = {"params": ctx.params, "captures": ctx.captures}


def app_with(router: Router) -> Koa:
    app: Koa = Koa()
    app.use(router.routes())
    return app


async def fetch(client: TestClient, path: str) -> tuple[int, Any]:
    res = await client.get(path)
    if res.status != 200:
        return res.status, None
    return res.status, await res.json()


async def test_optional_group() -> None:
    router = Router()
    router.get("/opt{/:id}", echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/opt"))[1]["params"] == {}
        assert (await fetch(client, "/opt/3"))[1]["params"] == {"id": "3"}
        assert (await fetch(client, "/opt/3/4"))[0] == 404


async def test_wildcard_is_one_string_of_one_or_more_segments() -> None:
    router = Router()
    router.get("/files/*path", echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/files/a/b.txt"))[1]["params"] == {"path": "a/b.txt"}
        assert (await fetch(client, "/files/x"))[1]["params"] == {"path": "x"}
        assert (await fetch(client, "/files/"))[0] == 404
        assert (await fetch(client, "/files"))[0] == 404


async def test_params_are_percent_decoded() -> None:
    router = Router()
    router.get("/dec/:x", echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/dec/%E4%B8%AD%20x"))[1]["params"] == {"x": "中 x"}
        # A malformed escape keeps the raw text; "+" stays a plus.
        raw = await client.raw(
            b"GET /dec/%E0%A4%A HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 200 ")
        assert raw.endswith(b'{"params":{"x":"%E0%A4%A"},"captures":["%E0%A4%A"]}')
        assert (await fetch(client, "/dec/a+b"))[1]["params"] == {"x": "a+b"}
        # An encoded slash belongs to the parameter; ctx.captures keep the raw text.
        assert (await fetch(client, "/dec/4%2F2"))[1] == {
            "params": {"x": "4/2"},
            "captures": ["4%2F2"],
        }


async def test_several_params_in_one_segment() -> None:
    router = Router()
    router.get("/multi/:a-:b", echo)
    router.get("/dot/:file.:ext", echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/multi/1-2"))[1]["params"] == {"a": "1", "b": "2"}
        assert (await fetch(client, "/dot/a.b.c"))[1]["params"] == {"file": "a.b", "ext": "c"}


async def test_regex_routes_fill_captures_and_named_groups() -> None:
    router = Router()
    router.get(re.compile(r"^/re/(\d+)$"), echo)
    router.get(re.compile(r"^/named/(?P<year>\d{4})/(\d+)$"), echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/re/12"))[1] == {"params": {}, "captures": ["12"]}
        assert (await fetch(client, "/re/x"))[0] == 404
        assert (await fetch(client, "/named/2024/7"))[1] == {
            "params": {"year": "2024"},
            "captures": ["2024", "7"],
        }


async def test_inline_constraint() -> None:
    router = Router()
    router.get("/u/:id(\\d+)", echo)
    router.get("/u/:slug([a-z-]+)/edit", echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/u/42"))[1]["params"] == {"id": "42"}
        assert (await fetch(client, "/u/4x"))[0] == 404
        assert (await fetch(client, "/u/my-post/edit"))[1]["params"] == {"slug": "my-post"}
        assert (await fetch(client, "/u/42/edit"))[0] == 404


async def test_escaped_characters_are_literal() -> None:
    router = Router()
    router.get("/a\\:b/\\*", echo)
    router.get("/price\\(usd\\)", echo)
    async with TestClient(app_with(router)) as client:
        assert (await fetch(client, "/a:b/*"))[0] == 200
        assert (await fetch(client, "/price(usd)"))[0] == 200


@pytest.mark.parametrize(
    ("path", "index", "reason"),
    [
        ("/u/*", 4, "Missing parameter name at index 4"),
        ("/u/:id?", 6, "Unexpected ? at index 6"),
        ("/u/:id+", 6, "Unexpected + at index 6"),
        ("/u/(.*)", 3, "Unexpected ( at index 3"),
        ("/u/{:id", 7, "Unexpected end at index 7, expected }"),
        ("/u/:a:b", 5, 'Missing text before "b" param at index 5'),
        ("/u/:id(a{2,1})", 7, "Invalid pattern at index 7"),
        ("/u/:id([)", 6, "Unbalanced pattern at index 6"),
        ("/u/:id((\\d+))", 7, "Capturing groups are not allowed at index 7"),
        ("/u/:id(\\d+", 6, "Unbalanced pattern at index 6"),
        ("/u/\\", 4, "Unexpected end after \\ at index 4"),
        ('/u/:"open', 4, "Unterminated quote at index 4"),
    ],
)
def test_malformed_paths_fail_at_registration(path: str, index: int, reason: str) -> None:
    router = Router()
    with pytest.raises(PathError) as info:
        router.get(path, echo)
    assert info.value.index == index
    assert info.value.reason.startswith(reason)
    assert repr(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_malformed_paths_fail_in_decorators_prefixes_and_use() -> None:
    router = Router()
    with pytest.raises(PathError):
        router.get("/x?")
    with pytest.raises(PathError):
        router.prefix("/a(")
    with pytest.raises(PathError):
        Router(prefix="/:")
    with pytest.raises(PathError):
        router.use("/y+", echo)
