"""``ctx.request``: url, path, querystring, search and query, their setters, href and origin.

Expected values are what Koa 3.3 answered for the same requests on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def query_dict(ctx: Context) -> dict[str, Any]:
    """The query the way Koa shows it: one value, or a list for a repeated key."""
    out: dict[str, Any] = {}
    for key in ctx.query:
        values = ctx.query.getall(key)
        out[key] = values[0] if len(values) == 1 else values
    return out


def snapshot(ctx: Context) -> dict[str, Any]:
    return {
        "url": ctx.url,
        "original_url": ctx.original_url,
        "path": ctx.path,
        "querystring": ctx.querystring,
        "search": ctx.search,
        "query": query_dict(ctx),
        "href": ctx.href,
    }


def app_with(change: Callable[[Context], None] | None = None) -> Koa:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        if change is not None:
            change(ctx)
        ctx.body = snapshot(ctx)

    app.use(report)
    return app


def raw_get(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: example.com", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_body(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


async def test_query_repeated_blank_and_flat_keys() -> None:
    async with TestClient(app_with()) as client:
        status, seen = json_body(await client.raw(raw_get("/p?a=1&a=2&b=&c&e[x]=1&sp=a+b%20c")))
    assert status == 200
    assert seen["query"] == {
        "a": ["1", "2"],
        "b": "",
        "c": "",
        "e[x]": "1",
        "sp": "a b c",
    }
    assert seen["querystring"] == "a=1&a=2&b=&c&e[x]=1&sp=a+b%20c"
    assert seen["search"] == "?a=1&a=2&b=&c&e[x]=1&sp=a+b%20c"


async def test_query_is_cached_until_the_querystring_changes() -> None:
    app = Koa()

    async def check(ctx: Context, next: Next) -> None:
        first = ctx.query
        same = ctx.query is first
        ctx.querystring = "z=9"
        ctx.body = {"same": same, "after": query_dict(ctx), "fresh": ctx.query is not first}

    app.use(check)
    async with TestClient(app) as client:
        res = await client.get("/p?a=1")
        assert await res.json() == {"same": True, "after": {"z": "9"}, "fresh": True}


async def test_query_keeps_malformed_escapes_as_written() -> None:
    async with TestClient(app_with()) as client:
        res = await client.get("/p?a=%zz&b=%&c=%41")
        assert (await res.json())["query"] == {"a": "%zz", "b": "%", "c": "A"}


async def test_undecodable_query_is_a_400_not_a_500() -> None:
    async with TestClient(app_with()) as client:
        status, body = (await client.raw(raw_get("/p?a=%ff"))).split(b"\r\n", 1)
        assert status == b"HTTP/1.1 400 Bad Request"
        assert body.endswith(b"Invalid query string: percent-escapes must encode UTF-8 text")


async def test_undecodable_query_does_not_break_path_or_querystring() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {"path": ctx.path, "querystring": ctx.querystring}

    app.use(report)
    async with TestClient(app) as client:
        status, seen = json_body(await client.raw(raw_get("/p?a=%ff")))
    assert status == 200
    assert seen == {"path": "/p", "querystring": "a=%ff"}


async def test_setting_query_writes_urlsearchparams_text() -> None:
    def change(ctx: Context) -> None:
        ctx.query = {
            "a": [1, 2],
            "b": True,
            "c": None,
            "e": 1.5,
            "f": 2.0,
            "~k": "a b~*'!()é",
            "g": [],
            "h": "",
        }

    async with TestClient(app_with(change)) as client:
        seen = await (await client.get("/p?a=1")).json()
        origin = f"http://127.0.0.1:{client.port}"
    assert seen["url"] == "/p?a=1&a=2&b=true&c=&e=1.5&f=2&%7Ek=a+b%7E*%27%21%28%29%C3%A9&h="
    assert seen["original_url"] == "/p?a=1"
    assert seen["query"] == {
        "a": ["1", "2"],
        "b": "true",
        "c": "",
        "e": "1.5",
        "f": "2",
        "~k": "a b~*'!()é",
        "h": "",
    }
    assert seen["href"] == f"{origin}/p?a=1"


async def test_querystring_and_search_setters() -> None:
    cases: list[tuple[Callable[[Context], None], str]] = [
        (lambda ctx: setattr(ctx, "querystring", "z=9"), "/p?z=9"),
        (lambda ctx: setattr(ctx, "querystring", "?z=9"), "/p?z=9"),
        (lambda ctx: setattr(ctx, "querystring", ""), "/p"),
        (lambda ctx: setattr(ctx, "search", "z=9&y"), "/p?z=9&y"),
    ]
    for change, url in cases:
        async with TestClient(app_with(change)) as client:
            seen = await (await client.get("/p?a=1")).json()
        assert seen["url"] == url
        assert seen["original_url"] == "/p?a=1"
        assert seen["search"] == url[2:]


async def test_path_setter_keeps_the_query_and_the_original_url() -> None:
    async with TestClient(app_with(lambda ctx: setattr(ctx, "path", "/new"))) as client:
        seen = await (await client.get("/p?a=1")).json()
    assert seen["url"] == "/new?a=1"
    assert seen["path"] == "/new"
    assert seen["query"] == {"a": "1"}
    assert seen["original_url"] == "/p?a=1"


async def test_path_setter_escapes_question_mark_and_hash() -> None:
    async with TestClient(app_with(lambda ctx: setattr(ctx, "path", "/n?e#w"))) as client:
        seen = await (await client.get("/p?a=1")).json()
    assert seen["url"] == "/n%3Fe%23w?a=1"
    assert seen["path"] == "/n%3Fe%23w"


async def test_path_stays_percent_encoded() -> None:
    async with TestClient(app_with()) as client:
        seen = await (await client.get("/a%20b/c%2Fd")).json()
    assert seen["path"] == "/a%20b/c%2Fd"


async def test_fragment_in_the_request_target_is_not_part_of_path_or_query() -> None:
    async with TestClient(app_with()) as client:
        status, seen = json_body(await client.raw(raw_get("/p?a=1#frag")))
    assert status == 200
    assert (seen["path"], seen["querystring"], seen["query"]) == ("/p", "a=1", {"a": "1"})


async def test_absolute_form_target() -> None:
    async with TestClient(app_with()) as client:
        status, seen = json_body(await client.raw(raw_get("http://abs.example.com/x?y=1")))
    assert status == 200
    assert seen["href"] == "http://abs.example.com/x?y=1"
    assert seen["path"] == "/x"
    assert seen["query"] == {"y": "1"}


async def test_absolute_form_keeps_dot_segments_and_setters_keep_the_origin() -> None:
    def change(ctx: Context) -> None:
        ctx.path = "/new"
        ctx.querystring = "z=9"

    async with TestClient(app_with(change)) as client:
        raw = await client.raw(raw_get("https://abs.example.com:8443/x/../y?y=1"))
        _, seen = json_body(raw)
    assert seen["url"] == "https://abs.example.com:8443/new?z=9"
    assert seen["original_url"] == "https://abs.example.com:8443/x/../y?y=1"
    assert seen["href"] == "https://abs.example.com:8443/x/../y?y=1"


async def test_absolute_form_without_a_path_has_path_slash() -> None:
    async with TestClient(app_with()) as client:
        _, seen = json_body(await client.raw(raw_get("http://abs.example.com?y=1")))
    assert (seen["path"], seen["querystring"]) == ("/", "y=1")


async def test_asterisk_form_target() -> None:
    async with TestClient(app_with()) as client:
        raw = b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
        status, seen = json_body(await client.raw(raw))
    assert status == 200
    assert seen["path"] == "*"


async def test_href_and_url_object() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        url = ctx.request.url_object
        ctx.body = {"href": ctx.href, "url": str(url) if url else None}

    app.use(report)
    async with TestClient(app) as client:
        _, seen = json_body(await client.raw(raw_get("/p?a=1&e[x]=1")))
        assert seen == {
            "href": "http://example.com/p?a=1&e[x]=1",
            "url": "http://example.com/p?a=1&e[x]=1",
        }
        # HTTP/1.0 without Host: Koa's href is "http:///x"; there is no URL to build.
        raw = await client.raw(b"GET /x HTTP/1.0\r\n\r\n")
        assert json.loads(raw.partition(b"\r\n\r\n")[2]) == {"href": "http:///x", "url": None}


async def test_url_setter_rewrites_path_and_query() -> None:
    async with TestClient(app_with(lambda ctx: setattr(ctx, "url", "/b?c=3"))) as client:
        seen = await (await client.get("/a?x=1")).json()
    assert (seen["path"], seen["query"], seen["original_url"]) == ("/b", {"c": "3"}, "/a?x=1")


async def test_origin_is_the_origin_header_or_none() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {"origin": ctx.origin}

    app.use(report)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": "http://o.example"})
        assert await res.json() == {"origin": "http://o.example"}
        assert await (await client.get("/")).json() == {"origin": None}
