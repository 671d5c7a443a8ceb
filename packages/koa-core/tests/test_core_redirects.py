"""``redirect``, ``back`` and ``attachment`` as Koa 3.3 answers them on the wire."""

from __future__ import annotations

import pytest
from core_raw_answers import app_of, raw_get
from koa.core import Context
from koa.core.testing import TestClient


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
