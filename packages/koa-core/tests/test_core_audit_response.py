"""Response bytes pinned against Koa.js 3.3 by a side-by-side audit (raw sockets on both)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def app_of(fn: Callable[[Context], Any]) -> Koa:
    app = Koa(silent=True)

    async def handler(ctx: Context, next: Next) -> None:
        fn(ctx)

    app.use(handler)
    return app


def head_of(raw: bytes) -> tuple[str, dict[str, list[str]], bytes]:
    """Status line, headers (lower-case names, every line) and the raw body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.lower(), []).append(value.strip())
    return status, headers, body


async def raw_get(app: Koa, request: bytes) -> tuple[str, dict[str, list[str]], bytes]:
    async with TestClient(app) as client:
        return head_of(await client.raw(request))


# -- Content-Type of str bodies: JavaScript's \s, not Python's ------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("\ufeff<p>", "text/html; charset=utf-8"),  # JS \s has U+FEFF
        ("\u3000\u2009<p>", "text/html; charset=utf-8"),
        ("\x1c<p>", "text/plain; charset=utf-8"),  # Python's isspace() has these, JS not
        ("\x85<p>", "text/plain; charset=utf-8"),
    ],
)
async def test_str_body_is_html_after_javascript_whitespace_only(
    body: str, content_type: str
) -> None:
    def handler(ctx: Context) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == content_type
        assert await res.read() == body.encode()


# -- streams ---------------------------------------------------------------------------------


async def test_an_empty_stream_ends_with_content_length_0_not_chunked() -> None:
    async def empty() -> AsyncIterator[bytes]:
        return
        yield b""  # pragma: no cover

    def handler(ctx: Context) -> None:
        ctx.body = empty()

    status, headers, body = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == ["0"]
    assert "transfer-encoding" not in headers
    assert headers["content-type"] == ["application/octet-stream"]
    assert body == b""


# -- HTTP/1.0 clients get Node's HTTP/1.1 status line -------------------------------------------


async def test_http_1_0_request_is_answered_with_an_http_1_1_status_line() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "x"

    status, headers, body = await raw_get(app_of(handler), b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    assert status == "HTTP/1.1 200 OK"
    assert headers["connection"] == ["close"]
    assert headers["content-length"] == ["1"]
    assert body == b"x"


async def test_http_1_0_keep_alive_request_says_keep_alive() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "x"

    app = app_of(handler)
    async with TestClient(app) as client:
        # A second request without keep-alive ends the connection once both are answered.
        raw = await client.raw(
            b"GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
            b"GET / HTTP/1.0\r\nHost: x\r\n\r\n"
        )
    first, _, second = raw.partition(b"\r\n\r\nx")
    status, headers, _ = head_of(first + b"\r\n\r\n")
    assert status == "HTTP/1.1 200 OK"
    assert headers["connection"] == ["keep-alive"]
    status, headers, body = head_of(second)
    assert status == "HTTP/1.1 200 OK"
    assert headers["connection"] == ["close"]
    assert body == b"x"


async def test_http_1_0_stream_is_delimited_by_close_under_an_http_1_1_status_line() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    def handler(ctx: Context) -> None:
        ctx.body = chunks()

    status, headers, body = await raw_get(app_of(handler), b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    assert status == "HTTP/1.1 200 OK"
    assert headers["connection"] == ["close"]
    assert "transfer-encoding" not in headers
    assert body == b"ab"


async def test_http_1_0_error_response_has_an_http_1_1_status_line() -> None:
    def handler(ctx: Context) -> None:
        ctx.throw(400, "m")

    status, headers, body = await raw_get(app_of(handler), b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["connection"] == ["close"]
    assert body == b"m"


# -- header values beyond Latin-1 ----------------------------------------------------------------


async def test_a_header_value_beyond_latin_1_is_a_500_as_node_refuses_it() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-U", "\u4e2d")
        ctx.body = "x"

    events: list[BaseException] = []
    app = app_of(handler)
    app.on("error", lambda err, ctx: events.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert "X-U" not in res.headers
        assert await res.text() == "Internal Server Error"
    assert [type(e) for e in events] == [ValueError]


async def test_a_latin_1_header_value_is_sent() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-L", "caf\u00e9")
        ctx.body = "x"

    status, headers, _ = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["x-l"] == ["caf\u00e9".encode().decode("latin-1")]  # UTF-8 bytes, as Node


# -- back(): the Referer read as WHATWG's URL parser reads it, relative to this page ---------------


@pytest.mark.parametrize(
    ("referer", "location"),
    [
        (b"login", "login"),  # relative: this host, followed as written
        (b"../a?b=1", "../a?b=1"),
        (b"?x=1", "?x=1"),
        (b"#top", "#top"),
        (b"http://x:80/p", "http://x/p"),  # the default port is no other host
        (b"http://u:p@x/p", "http://u:p@x/p"),  # user info is not part of the host
        (b"/\t/evil.example/", "/"),  # tabs are dropped: //evil.example
        (b"\\\\evil.example/x", "/"),  # backslashes are slashes: //evil.example
        (b"/\\evil.example/x", "/"),
        (b"\\x", "\\x"),  # ... so this is the path /x, on this host
        (b"ftp://x/", "ftp://x/"),  # any scheme, when the host is this one
        (b"ws://x:80/p", "ws://x:80/p"),
        (b"http:x", "/"),  # no host of its own
        (b"http:\\\\x\\p", "/"),  # a host hidden by backslashes
        (b"javascript:alert(1)", "/"),
        (b"data:text/html,<b>", "/"),
        (b"http://x:8080/p", "/"),
    ],
)
async def test_back_reads_the_referer_relative_to_this_page(referer: bytes, location: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.back()

    status, headers, _ = await raw_get(
        app_of(handler),
        b"GET / HTTP/1.1\r\nHost: x\r\nReferer: " + referer + b"\r\nConnection: close\r\n\r\n",
    )
    assert status == "HTTP/1.1 302 Found"
    assert headers["location"] == [location]


# -- attachment(): the content-disposition package's rules ---------------------------------------


@pytest.mark.parametrize(
    ("filename", "disposition", "content_type"),
    [
        # Something that looks like a percent escape gets filename* too.
        (
            "a%20b.txt",
            "attachment; filename=\"a%20b.txt\"; filename*=UTF-8''a%2520b.txt",
            "text/plain",
        ),
        # An empty name: filename* alone, and no type.
        ("", "attachment; filename*=UTF-8''", None),
        # One ? per UTF-16 code unit in the fallback.
        (
            "\U0001f600.png",
            "attachment; filename=\"??.png\"; filename*=UTF-8''%F0%9F%98%80.png",
            "image/png",
        ),
        # Node's basename and extname: "dir/" is "dir", which has no extension.
        ("dir/", 'attachment; filename="dir"', None),
        # encodeURIComponent with '()* escaped too: only !-._~ stay.
        (
            "\u4e2d#$&+^`|!~*().txt",
            'attachment; filename="?#$&+^`|!~*().txt"; '
            "filename*=UTF-8''%E4%B8%AD%23%24%26%2B%5E%60%7C!~%2A%28%29.txt",
            "text/plain",
        ),
    ],
)
async def test_attachment_disposition_matches_koa(
    filename: str, disposition: str, content_type: str | None
) -> None:
    def handler(ctx: Context) -> None:
        ctx.attachment(filename)
        ctx.body = b"x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Disposition"] == disposition
        expected = content_type or "application/octet-stream"
        assert res.headers["Content-Type"].split(";")[0] == expected


# -- redirect bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "location", "body"),
    [
        # WHATWG keeps a stray % (encodeurl then escapes it for Location only).
        (
            "http://example.com/%zz?q=%",
            "http://example.com/%25zz?q=%25",
            "Redirecting to http://example.com/%zz?q=%.",
        ),
        # Each part has its own percent-encode set; ^ and | stay.
        (
            "http://e.com/a^b{c}|d?q={x}^|`#f{`}",
            "http://e.com/a^b%7Bc%7D|d?q=%7Bx%7D^|%60#f%7B%60%7D",
            "Redirecting to http://e.com/a^b%7Bc%7D|d?q={x}^|`#f{%60}.",
        ),
    ],
)
async def test_absolute_redirect_body_shows_the_whatwg_form(
    target: str, location: str, body: str
) -> None:
    def handler(ctx: Context) -> None:
        ctx.redirect(target)

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/", headers={"Accept": "text/plain"}, allow_redirects=False)
        assert res.status == 302
        assert res.headers["Location"] == location
        assert await res.text() == body


async def test_html_redirect_body_escapes_quotes_as_escape_html() -> None:
    def handler(ctx: Context) -> None:
        ctx.redirect("/a?x=1&y='2'\"")

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/", headers={"Accept": "text/html"}, allow_redirects=False)
        assert res.headers["Content-Type"] == "text/html; charset=utf-8"
        assert await res.text() == "Redirecting to /a?x=1&amp;y=&#39;2&#39;&quot;."


# -- headers -----------------------------------------------------------------------------------


async def test_appending_a_second_content_type_is_a_500() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "x"
        ctx.append("Content-Type", "text/x")

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 500
        assert res.headers.getall("Content-Type") == ["text/plain; charset=utf-8"]


async def test_appending_the_only_content_type_sets_it() -> None:
    def handler(ctx: Context) -> None:
        ctx.append("Content-Type", "text/x")
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers.getall("Content-Type") == ["text/x"]


async def test_response_to_json_has_node_header_names_and_lists() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-A", ["1", "2"])
        ctx.set("ETag", '"e"')
        ctx.body = ctx.response.to_json()

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert await res.json() == {
            "status": 404,  # read before the body was set
            "message": "Not Found",
            "header": {"x-a": ["1", "2"], "etag": '"e"'},
        }


# -- lengths and types as Koa's respond() and getters compute them --------------------------------


async def test_a_json_body_gets_its_real_length_whatever_was_set() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = {"a": 1}
        ctx.length = 3

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Length"] == "7"
        assert await res.read() == b'{"a":1}'
        head = await client.head("/")
        assert head.headers["Content-Length"] == "3"  # HEAD keeps what was set, as Koa


@pytest.mark.parametrize("body", [0, False])
async def test_head_of_a_falsy_json_body_has_no_length(body: object) -> None:
    def handler(ctx: Context) -> None:
        ctx.body = body

    status, headers, _ = await raw_get(
        app_of(handler), b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == ["application/json; charset=utf-8"]
    assert "content-length" not in headers


async def test_length_reads_leading_digits_as_parse_int() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("Content-Length", "12abc")
        ctx.set("X-L", str(ctx.length))
        ctx.set("Content-Length", "abc")
        ctx.set("X-M", str(ctx.length))
        ctx.status = 204

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert (res.headers["X-L"], res.headers["X-M"]) == ("12", "0")


async def test_json_in_a_parameter_does_not_keep_a_non_json_type() -> None:
    def handler(ctx: Context) -> None:
        ctx.type = "text/plain; note=json"
        ctx.body = {"a": 1}

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_type_getter_is_the_raw_text_before_the_semicolon() -> None:
    def handler(ctx: Context) -> None:
        ctx.type = "TEXT/HTML"
        ctx.body = ctx.type

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert await res.text() == "TEXT/HTML"


async def test_bool_header_values_are_written_as_javascript_writes_them() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-B", True)
        ctx.set("X-F", False)
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert (res.headers["X-B"], res.headers["X-F"]) == ("true", "false")


async def test_error_headers_differing_in_case_keep_the_last_as_koa_sets_them() -> None:
    def handler(ctx: Context) -> None:
        ctx.throw(400, headers={"X-A": "1", "x-a": "2"})

    status, headers, body = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["x-a"] == ["2"]
    assert body == b"Bad Request"


class _NotAnException(BaseException):
    """A library's own BaseException: Python's closest thing to Koa's non-Error throw."""


async def test_a_base_exception_that_is_not_cancellation_is_a_500() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        raise _NotAnException("boom")

    events: list[BaseException] = []
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: events.append(err))
    app.use(handler)
    status, headers, body = await raw_get(
        app, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert headers["content-type"] == ["text/plain; charset=utf-8"]
    assert body == b"Internal Server Error"
    assert [type(e) for e in events] == [_NotAnException]


# -- flush_headers() -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "body"), [(200, b"OK"), (None, b"Not Found")])
async def test_flushed_response_without_body_still_sends_the_status_phrase(
    status: int | None, body: bytes
) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if status is not None:
            ctx.status = status
        await ctx.flush_headers()

    app = Koa(silent=True)
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Type" not in res.headers
        assert await res.read() == body


async def test_flushed_response_with_an_explicit_null_body_sends_nothing() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        await ctx.flush_headers()
        ctx.body = None

    app = Koa(silent=True)
    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 200
        assert await res.read() == b""


# -- ctx.throw(): http-errors' argument rules -----------------------------------------------------


class _StatusError(Exception):
    def __init__(self, message: str, **attrs: object) -> None:
        super().__init__(message)
        for key, value in attrs.items():
            setattr(self, key, value)


@pytest.mark.parametrize(
    ("throw", "status", "body"),
    [
        # A plain error with a 4xx status of its own is exposed.
        (lambda ctx: ctx.throw(_StatusError("gone", status=404)), 404, b"gone"),
        (lambda ctx: ctx.throw(_StatusError("db down", status=503)), 503, b"Service Unavailable"),
        # The error's own status wins over the number, as http-errors reads them.
        (lambda ctx: ctx.throw(400, _StatusError("gone", status=404)), 404, b"gone"),
        (lambda ctx: ctx.throw(400, _StatusError("bad", status_code=422)), 422, b"bad"),
        # The error's message wins over a text.
        (lambda ctx: ctx.throw(_StatusError("orig", status=409), "other"), 409, b"orig"),
        # A status that is not the first argument is a programmer error: 500.
        (lambda ctx: ctx.throw("msg", 400), 500, b"Internal Server Error"),
        (lambda ctx: ctx.throw(_StatusError("x", status=600)), 500, b"Internal Server Error"),
        (lambda ctx: ctx.throw(_StatusError("x", status=404), expose=False), 404, b"Not Found"),
    ],
)
async def test_throw_reads_its_arguments_as_http_errors(
    throw: Callable[[Context], None], status: int, body: bytes
) -> None:
    async with TestClient(app_of(throw)) as client:
        res = await client.get("/")
        assert res.status == status
        assert await res.read() == body


async def test_throw_with_an_http_error_of_another_status_rethrows_it() -> None:
    seen: list[BaseException] = []

    def handler(ctx: Context) -> None:
        try:
            ctx.throw(404, "nf")
        except Exception as err:
            seen.append(err)
            ctx.throw(400, err)

    app = app_of(handler)
    raised: list[BaseException] = []
    app.on("error", lambda err, ctx: raised.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 404
        assert await res.read() == b"nf"
    assert raised == seen


# -- control characters never reach the wire, nor cost the client its answer ----------------------


@pytest.mark.parametrize("value", ["a\x01b", "a\x7fb", "a\x0bb", "\u4e2d"])
async def test_set_refuses_what_node_refuses_with_a_500(value: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-C", value)
        ctx.body = "x"

    status, headers, body = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert "x-c" not in headers
    assert body == b"Internal Server Error"


@pytest.mark.parametrize("value", ["a\tb", "caf\u00e9", "a\x85b"])
async def test_set_keeps_tab_and_latin_1(value: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.set("X-C", value)
        ctx.body = "x"

    status, headers, _ = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["x-c"] == [value.encode().decode("latin-1").strip()]


async def _one_chunk() -> AsyncIterator[bytes]:
    yield b"a"


@pytest.mark.parametrize("mode", ["text", "stream", "flush", "path"])
async def test_a_control_character_assigned_past_set_gets_a_clean_500(
    mode: str, tmp_path: Any
) -> None:
    file = tmp_path / "f.txt"
    file.write_bytes(b"file")

    async def handler(ctx: Context, next: Next) -> None:
        ctx.response.headers["X-C"] = "a\x01b"  # bypasses ctx.set's checks
        if mode == "text":
            ctx.body = "x"
        elif mode == "stream":
            ctx.body = _one_chunk()
        elif mode == "flush":
            await ctx.flush_headers()
        else:
            ctx.body = file

    app = Koa(silent=True)
    app.use(handler)
    status, headers, body = await raw_get(
        app, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert headers["content-length"] == ["21"]
    assert "transfer-encoding" not in headers
    assert body == b"Internal Server Error"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("http://@a.example/", "http://a.example/"),
        ("http://:@a.example/x", "http://a.example/x"),
        ("http://u:@a.example/", "http://u@a.example/"),
        ("http://:p@a.example/", "http://:p@a.example/"),
    ],
)
async def test_redirect_drops_empty_user_info_as_whatwg(target: str, location: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.redirect(target)

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/", allow_redirects=False)
        assert res.headers["Location"] == location


@pytest.mark.parametrize("field", ["", " , ,Origin", "Origin,", "a b"])
async def test_vary_with_an_empty_or_invalid_item_is_a_500_as_the_vary_package(field: str) -> None:
    def handler(ctx: Context) -> None:
        ctx.vary(field)
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 500
        assert "Vary" not in res.headers


async def test_vary_trims_spaces_and_keeps_known_fields_once() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("Vary", "Accept")
        ctx.vary(" origin ,Accept,  X-Y")
        ctx.body = "x"

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.headers["Vary"] == "Accept, origin, X-Y"


# -- a Transfer-Encoding set by the middleware ----------------------------------------------------


@pytest.mark.parametrize("before", [True, False])
async def test_a_transfer_encoding_set_by_middleware_is_honoured_with_chunks(before: bool) -> None:
    def handler(ctx: Context) -> None:
        if before:
            ctx.set("Transfer-Encoding", "chunked")
        ctx.body = "abc"
        if not before:
            ctx.set("Transfer-Encoding", "chunked")

    status, headers, body = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 200 OK"
    assert headers["transfer-encoding"] == ["chunked"]
    assert "content-length" not in headers  # never beside Transfer-Encoding (RFC 9112 6.2)
    assert body == b"3\r\nabc\r\n0\r\n\r\n"


async def test_a_transfer_encoding_set_by_middleware_is_close_delimited_for_http_1_0() -> None:
    def handler(ctx: Context) -> None:
        ctx.set("Transfer-Encoding", "chunked")
        ctx.body = {"a": 1}

    status, headers, body = await raw_get(app_of(handler), b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    assert status == "HTTP/1.1 200 OK"
    assert "transfer-encoding" not in headers
    assert "content-length" not in headers
    assert headers["connection"] == ["close"]
    assert body == b'{"a":1}'


# -- a Content-Length set by hand never desynchronises a keep-alive connection --------------------


async def test_a_short_user_content_length_cuts_the_body_so_the_next_response_parses() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "hello"
        if ctx.path == "/short":
            ctx.length = 3  # Koa's rule: the value set by hand is sent

    async with TestClient(app_of(handler)) as client:
        raw = await client.raw(
            b"GET /short HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    first, _, rest = raw.partition(b"\r\n\r\n")
    assert b"\r\nContent-Length: 3" in first
    body, second = rest[:3], rest[3:]
    assert body == b"hel"
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b"\r\n\r\nhello")


async def test_a_long_user_content_length_ends_the_connection_instead_of_hanging() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "hello"
        ctx.length = 10

    async with TestClient(app_of(handler)) as client:
        # Were the connection kept, the second request would be answered too.
        raw = await client.raw(
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    status, headers, body = head_of(raw)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == ["10"]
    assert headers["connection"] == ["close"]
    assert body == b"hello"


async def test_a_stream_shorter_than_its_content_length_ends_the_connection() -> None:
    async def short() -> AsyncIterator[bytes]:
        yield b"ab"

    def handler(ctx: Context) -> None:
        ctx.body = short()
        ctx.length = 5

    async with TestClient(app_of(handler)) as client:
        # Were the connection kept, the second request would be answered too.
        raw = await client.raw(
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    status, headers, body = head_of(raw)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == ["5"]
    assert body == b"ab"


async def test_an_http_1_0_keep_alive_stream_is_close_delimited_and_closed() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"

    def handler(ctx: Context) -> None:
        ctx.body = chunks() if ctx.path == "/stream" else "next"

    async with TestClient(app_of(handler)) as client:
        # Were the connection kept, the second request would be answered too.
        raw = await client.raw(
            b"GET /stream HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
            b"GET /next HTTP/1.0\r\nHost: x\r\n\r\n",
            timeout=30,
        )
    status, headers, body = head_of(raw)
    assert status == "HTTP/1.1 200 OK"
    assert headers["connection"] == ["close"]
    assert "content-length" not in headers
    assert body == b"ab"


# -- lone surrogates (from JSON input such as "\ud800") are written as Node writes them ------------


@pytest.mark.parametrize(
    ("body", "sent", "content_type"),
    [
        ("a\ud800b", b"a\xef\xbf\xbdb", "text/plain; charset=utf-8"),  # U+FFFD, as Buffer
        ("a\ud83d\ude00b", "a\U0001f600b".encode(), "text/plain; charset=utf-8"),  # a pair
        ({"s": "a\ud800b"}, b'{"s":"a\\ud800b"}', "application/json; charset=utf-8"),
    ],
)
async def test_a_lone_surrogate_in_a_body_is_sent_not_a_500(
    body: object, sent: bytes, content_type: str
) -> None:
    def handler(ctx: Context) -> None:
        ctx.body = body

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == content_type
        assert res.headers["Content-Length"] == str(len(sent))
        assert await res.read() == sent


async def test_an_error_message_with_a_lone_surrogate_is_sent() -> None:
    def handler(ctx: Context) -> None:
        ctx.throw(400, "bad \udc00")

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 400
        assert await res.read() == b"bad \xef\xbf\xbd"
