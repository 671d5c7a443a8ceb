"""Request side against Koa 3.3 on the wire: the differences a side-by-side audit found.

Every expected value is what Koa 3.3.0 (with its own dependencies: accepts 1.3.8 and
negotiator 0.6.3, fresh 0.5.2, cookies 0.9.2) answered for the same bytes on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def snapshot(ctx: Context) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key in ctx.query:
        values = ctx.query.getall(key)
        query[key] = values[0] if len(values) == 1 else values
    return {
        "url": ctx.url,
        "path": ctx.path,
        "querystring": ctx.querystring,
        "search": ctx.search,
        "query": query,
        "hostname": ctx.hostname,
        "ip": ctx.ip,
    }


def app_with(change: Callable[[Context], object] | None = None) -> Koa:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        result = change(ctx) if change is not None else None
        ctx.body = {"result": result, **snapshot(ctx)}

    app.use(report)
    return app


def raw_get(target: bytes, *headers: bytes) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: example.com", *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def json_body(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def fetch(app: Koa, target: bytes, *headers: bytes) -> dict[str, Any]:
    async with TestClient(app) as client:
        status, body = json_body(await client.raw(raw_get(target, *headers)))
    assert status == 200
    assert isinstance(body, dict)
    return body


# -- the request target --------------------------------------------------------------------


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
    target: bytes, value: str, url: str, query: dict[str, str]
) -> None:
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


# -- host ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "hostname"), [(b"[::1]:", "[::1]"), (b"[::1]:0080", "[::1]")])
async def test_ipv6_host_with_an_empty_or_padded_port(host: bytes, hostname: str) -> None:
    async with TestClient(app_with()) as client:
        raw = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        status, body = json_body(await client.raw(raw))
    assert status == 200
    assert body["hostname"] == hostname


async def test_ctx_ip_is_settable() -> None:
    def change(ctx: Context) -> str:
        ctx.ip = "203.0.113.9"
        return ctx.request.ip

    body = await fetch(app_with(change), b"/")
    assert body["result"] == body["ip"] == "203.0.113.9"


# -- is_ and negotiation -------------------------------------------------------------------


async def test_is_takes_koas_list_form() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"list": ctx.is_(["html", "json"]), "none": ctx.is_(["html"])}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.post("/", data=b"{}", headers={"Content-Type": "application/json"})
    assert await res.json() == {"list": "json", "none": False}


NEGOTIATOR_0_6: list[tuple[str, str, list[str], Any]] = [
    # Accept: parameters after q are dropped, a repeated parameter keeps the last value,
    # "q = 0.1" is a parameter named "q " (the entry then matches no offered type).
    ("Accept", "text/html;q=0.5;level=1, text/plain;q=0.4", ["html", "text"], "html"),
    ("Accept", "text/html;level=1;level=2", ["text/html;level=2"], "text/html;level=2"),
    ("Accept", "text/html;level=1;level=2", ["text/html;level=1"], False),
    ("Accept", "text/html; q = 0.1, text/plain", [], ["text/html", "text/plain"]),
    ("Accept", "text/html; q = 0.1, text/plain", ["html", "text"], "text"),
    # accepts 1.3 maps extensions with mime-db 1.52: "js" is application/javascript there.
    ("Accept", "text/javascript", ["js"], False),
    ("Accept", "application/javascript", ["js"], "js"),
    ("Accept", "audio/wave", ["wav"], "wav"),
    # Accept-Encoding and Accept-Charset: only a lower-case q counts, the first one wins,
    # and a quoted q is not a number.
    ("Accept-Encoding", "gzip;Q=0.1, br;q=0.5", ["gzip", "br"], "gzip"),
    ("Accept-Encoding", "gzip;q=0.1;q=0.9, br;q=0.5", ["gzip", "br"], "br"),
    ("Accept-Encoding", 'gzip;q="0.1", br;q=0.5', [], ["br", "identity"]),
    ("Accept-Charset", "utf-8;Q=0.1, latin1;q=0.5", ["utf-8", "latin1"], "utf-8"),
    # Accept-Language: the last q wins and "q" must be written without spaces.
    ("Accept-Language", "en;q=0.1;q=0.9, fr;q=0.5", ["en", "fr"], "en"),
    ("Accept-Language", "en ; q=0.1, fr;q=0.5", [], ["en", "fr"]),
    ("Accept-Language", "en;Q=0.1, fr;q=0.5", ["en", "fr"], "en"),
]


@pytest.mark.parametrize(("header", "value", "offered", "expected"), NEGOTIATOR_0_6)
async def test_negotiation_reads_entries_as_negotiator_0_6(
    header: str, value: str, offered: list[str], expected: Any
) -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        method = {
            "Accept": ctx.accepts,
            "Accept-Encoding": ctx.accepts_encodings,
            "Accept-Charset": ctx.accepts_charsets,
            "Accept-Language": ctx.accepts_languages,
        }[header]
        ctx.body = {"answer": method(*offered)}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/", headers={header: value})
    assert await res.json() == {"answer": expected}


# -- fresh ---------------------------------------------------------------------------------


def conditional_app() -> Koa:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        ctx.etag = "abc"
        ctx.set("Last-Modified", "Wed, 01 May 2024 12:00:00 GMT")
        if ctx.fresh:
            ctx.status = 304
            return
        ctx.body = "the resource"

    app.use(handler)
    return app


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # Repeated lines read as one list, as Node joins them.
        ((b'If-None-Match: "x"', b'If-None-Match: "abc"'), 304),
        ((b'If-None-Match: "abc"', b"Cache-Control: max-age=0", b"Cache-Control: no-cache"), 200),
        # Date.parse also reads ISO 8601 dates.
        ((b"If-Modified-Since: 2024-05-02T00:00:00Z",), 304),
        ((b"If-Modified-Since: 2024-04-30T00:00:00Z",), 200),
        ((b"If-Modified-Since: 2024-05-02",), 304),
    ],
)
async def test_fresh_reads_repeated_lines_and_iso_dates(
    headers: tuple[bytes, ...], status: int
) -> None:
    async with TestClient(conditional_app()) as client:
        reply = await client.raw(raw_get(b"/", *headers))
    assert reply.startswith(b"HTTP/1.1 %d " % status)


# -- cookies -------------------------------------------------------------------------------


async def test_a_cookie_with_an_empty_name_is_found() -> None:
    def change(ctx: Context) -> object:
        return [ctx.cookies.get(""), ctx.cookies.get("a")]

    body = await fetch(app_with(change), b"/", b"Cookie: =1; a=2")
    assert body["result"] == ["1", "2"]


async def test_max_age_beyond_any_date_is_a_value_error() -> None:
    # Koa writes "expires=Invalid Date"; here it is a clear programmer error (a plain 500).
    app = Koa(silent=True)
    errors: list[str] = []

    async def handler(ctx: Context, next: Next) -> None:
        try:
            ctx.cookies.set("a", "b", max_age=1e17)
        except ValueError as err:
            errors.append(str(err))
            raise

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
    assert res.status == 500
    assert "Set-Cookie" not in res.headers
    assert errors == ["option max_age is out of range: 1e+17"]


# -- header bytes that are not UTF-8 -------------------------------------------------------


async def test_a_latin_1_header_reads_as_node_reads_it_and_can_be_echoed() -> None:
    # aiohttp keeps such bytes as lone surrogates; echoing one used to be a 500.
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.get('X-Name')}|{ctx.cookies.get('a')}|{ctx.origin}|{ctx.host}"

    app.use(handler)
    async with TestClient(app) as client:
        reply = await client.raw(
            b"GET / HTTP/1.1\r\nHost: caf\xe9.example\r\nX-Name: caf\xe9\r\n"
            b"Cookie: a=\xff\xfe\r\nOrigin: http://caf\xe9\r\nConnection: close\r\n\r\n"
        )
    assert reply.startswith(b"HTTP/1.1 200 ")
    body = reply.partition(b"\r\n\r\n")[2].decode()
    assert body == "café|ÿþ|http://café|café.example"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        # content-type 1.x refuses the non-token type, so the charset is "" there too.
        (b'text/pl\xe9in; charset="l\xe91"', "text/pléin||hé"),
        (b'text/plain; charset="l\xe91"', "text/plain|lé1|hé"),
    ],
)
async def test_latin_1_content_type_and_forwarded_proto_can_be_echoed(
    content_type: bytes, expected: str
) -> None:
    app = Koa(proxy=True)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = f"{ctx.request.type}|{ctx.request.charset}|{ctx.protocol}"

    app.use(handler)
    async with TestClient(app) as client:
        reply = await client.raw(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type + b"\r\n"
            b"X-Forwarded-Proto: h\xe9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.partition(b"\r\n\r\n")[2].decode() == expected


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


async def test_request_to_json_has_nodes_header_object() -> None:
    def change(ctx: Context) -> object:
        return ctx.request.to_json()

    body = await fetch(
        app_with(change),
        b"/p?a=1",
        b"X-C: 1",
        b"X-C: 2",
        b"Cookie: a=1",
        b"Cookie: b=2",
        b"Authorization: x",
        b"Authorization: y",
    )
    assert body["result"] == {
        "method": "GET",
        "url": "/p?a=1",
        "header": {
            "host": "example.com",
            "x-c": "1, 2",
            "cookie": "a=1; b=2",
            "authorization": "x",
            "connection": "close",
        },
    }
