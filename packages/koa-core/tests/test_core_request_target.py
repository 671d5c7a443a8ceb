"""The request target as Node reads and rewrites it: query, search, fragments, escaped
paths, IPv6 hosts, absolute-form targets (expected values from Koa 3.3 on 127.0.0.1)."""

from __future__ import annotations

import pytest
from core_request_report import app_with, fetch, json_body
from koa.core import Context
from koa.core.testing import TestClient


async def test_one_leading_question_mark_of_the_query_is_dropped() -> None:
    # URLSearchParams("?a=1") reads a=1; the querystring keeps what followed the first "?".
    body = await fetch(app_with(), b"/p??a=1")
    assert body["querystring"] == "?a=1"
    assert body["query"] == {"a": "1"}


@pytest.mark.parametrize(
    ("target", "value", "url", "query"),
    [
        (b"/p", "a=1#x", "/p?a=1%23x", {"a": "1#x"}),  # url.format escapes "#"
        (b"/p", "a=1#x#y", "/p?a=1%23x%23y", {"a": "1#x#y"}),
        (b"/p?x", "?", "/p?", {}),  # a lone "?" stays
        (b"/p", "?", "/p?", {}),
        (b"/p?", "", "/p?", {}),  # nothing to change
        (b"/p?x", "", "/p", {}),
        (b"/p", "??a=b", "/p??a=b", {"a": "b"}),
        (b"/p?a#f", "b=2", "/p?b=2#f", {"b": "2"}),
    ],
)
async def test_querystring_setter_writes_what_node_url_format_writes(
    target: bytes, value: str, url: str, query: dict[str, str], koa_backend: str
) -> None:
    if koa_backend != "aiohttp" and target.endswith(b"?") and not value:
        pytest.skip("ASGI's query_string cannot tell a lone '?' from none (koa-core README)")

    def change(ctx: Context) -> None:
        ctx.querystring = value

    body = await fetch(app_with(change), target)
    assert body["url"] == url
    assert body["query"] == query


async def test_search_setter_with_a_lone_question_mark() -> None:
    def change(ctx: Context) -> None:
        ctx.search = "?"

    body = await fetch(app_with(change), b"/p?x")
    assert (body["url"], body["search"]) == ("/p?", "")


@pytest.mark.parametrize(
    ("target", "path", "querystring"),
    [
        # With a "#", Koa (parseurl) falls back to Node's legacy url.parse, which escapes
        # quotes, <>, \, ^, `, {, |, } in the path and query it returns.
        (b'/a"b{|}<>^`x#f', "/a%22b%7B%7C%7D%3C%3E%5E%60x", ""),
        (b'/a"b?q="\'<#f', "/a%22b", "q=%22%27%3C"),
        (b"/a\\b#x", "/a/b", ""),  # "\" before the query becomes "/"
        (b"/a\\b?c\\d#x", "/a/b", "c%5Cd"),
        (b'/a"b{|}', '/a"b{|}', ""),  # no "#": the fast path, nothing escaped
        (b'/p?a=1#"f', "/p", "a=1"),
    ],
)
async def test_a_target_with_a_fragment_is_read_as_node_reads_it(
    target: bytes, path: str, querystring: str
) -> None:
    body = await fetch(app_with(), target)
    assert body["url"] == target.decode()
    assert (body["path"], body["querystring"]) == (path, querystring)


async def test_a_path_set_with_a_space_reads_escaped_and_the_url_keeps_it() -> None:
    def change(ctx: Context) -> None:
        ctx.path = "/a b"

    body = await fetch(app_with(change), b"/p?x=1")
    assert (body["url"], body["path"], body["querystring"]) == ("/a b?x=1", "/a%20b", "x=1")


async def test_a_querystring_set_with_spaces_reads_escaped() -> None:
    def change(ctx: Context) -> None:
        ctx.querystring = "a b=c d"

    body = await fetch(app_with(change), b"/p")
    assert body["url"] == "/p?a b=c d"
    assert (body["querystring"], body["search"]) == ("a%20b=c%20d", "?a%20b=c%20d")
    assert body["query"] == {"a b": "c d"}


async def test_a_path_set_after_a_fragment_target_is_built_from_the_escaped_parts() -> None:
    def change(ctx: Context) -> None:
        ctx.path = "/n"

    body = await fetch(app_with(change), b'/a?q="x"#f')
    assert body["url"] == "/n?q=%22x%22#f"


@pytest.mark.parametrize(("host", "hostname"), [(b"[::1]:", "[::1]"), (b"[::1]:0080", "[::1]")])
async def test_ipv6_host_with_an_empty_or_padded_port(host: bytes, hostname: str) -> None:
    async with TestClient(app_with()) as client:
        raw = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        status, body = json_body(await client.raw(raw))
    assert status == 200
    assert body["hostname"] == hostname


@pytest.mark.parametrize(
    ("target", "url"),
    [
        (b"HTTP://EXAMPLE.com/P?X", "http://example.com/n?X"),
        (b"http://u:P@Abs.example:80/x?y", "http://u:P@abs.example:80/n?y"),
        (b"http://abs.example?q#f", "http://abs.example/n?q#f"),
    ],
)
async def test_a_path_set_on_an_absolute_form_target_lower_cases_scheme_and_host(
    target: bytes, url: str
) -> None:
    def change(ctx: Context) -> None:
        ctx.path = "/n"

    body = await fetch(app_with(change), target)
    assert body["url"] == url
