"""Strange request data is logged safely: escaped, never steering the terminal, never a crash."""

from __future__ import annotations

import asyncio

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import LogArgs, logger


class Capture:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self._grew = asyncio.Event()

    def __call__(self, line: str, args: LogArgs) -> None:
        self.lines.append(line)
        self._grew.set()

    async def wait(self, count: int) -> list[str]:
        while len(self.lines) < count:
            self._grew.clear()
            await asyncio.wait_for(self._grew.wait(), 5)
        return self.lines


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "hello world"


async def test_control_characters_from_a_method_override_are_escaped() -> None:
    # A method-override middleware upstream of the logger copies a header into ctx.method;
    # header values may carry tabs and UTF-8 encoded C1 controls (CSI, U+009B).
    capture = Capture()
    app = Koa()

    async def override(ctx: Context, next: Next) -> None:
        ctx.method = ctx.get("X-HTTP-Method-Override") or ctx.method
        await next()

    app.use(override).use(logger(transporter=capture, color=True)).use(hello)
    async with TestClient(app) as client:
        raw = await client.raw(
            b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            b"X-HTTP-Method-Override: DEL\tETE\xc2\x9b2J\xe2\x80\xae\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        lines = await capture.wait(2)
    shown = "DEL\\x09ETE\\x9b2J\\u202e"
    assert lines[0] == f"  \x1b[90m<--\x1b[39m \x1b[1m{shown}\x1b[22m \x1b[90m/x\x1b[39m"
    assert lines[1].startswith(f"  \x1b[90m-->\x1b[39m \x1b[1m{shown}\x1b[22m")
    for line in lines:
        assert "\t" not in line
        assert "\x9b" not in line
        assert "\u202e" not in line


async def test_an_original_url_restored_from_a_header_is_escaped() -> None:
    # Behind some proxies the app restores the URL the client asked for from a header.
    capture = Capture()
    app = Koa()

    async def restore(ctx: Context, next: Next) -> None:
        ctx.original_url = ctx.get("X-Original-URL") or ctx.original_url
        await next()

    app.use(restore).use(logger(transporter=capture, color=False)).use(hello)
    async with TestClient(app) as client:
        raw = await client.raw(
            b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            b"X-Original-URL: /a\tb\xc2\x9b31m\xc2\x85fake\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        lines = await capture.wait(2)
    assert lines[0] == "  <-- GET /a\\x09b\\x9b31m\\x85fake"
    assert lines[1].startswith("  --> GET /a\\x09b\\x9b31m\\x85fake 200 ")


async def test_percent_encoded_controls_are_logged_as_sent() -> None:
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False)).use(hello)
    async with TestClient(app) as client:
        raw = await client.raw(
            b"GET /%1b[2J%0d%0a?q=%00 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        lines = await capture.wait(2)
    assert lines[0] == "  <-- GET /%1b[2J%0d%0a?q=%00"


async def test_a_request_line_with_raw_controls_is_refused_and_logging_goes_on() -> None:
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False)).use(hello)
    async with TestClient(app) as client:
        raw = await client.raw(b"GET /a\x1b[2Jb HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert raw.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
        res = await client.get("/after")
        assert res.status == 200
        lines = await capture.wait(2)
    assert lines[0] == "  <-- GET /after"


async def test_a_very_long_url_is_logged_whole() -> None:
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False)).use(hello)
    long_path = "/" + "a" * 8000
    async with TestClient(app) as client:
        res = await client.get(long_path + "?q=1")
        assert res.status == 200
        lines = await capture.wait(2)
    assert lines[0] == f"  <-- GET {long_path}?q=1"
    assert lines[1].startswith(f"  --> GET {long_path}?q=1 200 ")


async def test_unusual_methods_are_logged() -> None:
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False)).use(hello)
    async with TestClient(app) as client:
        for method in ("PROPFIND", "M-SEARCH", "PURGE"):
            res = await client.request(method, "/dav")
            assert res.status == 200
        lines = await capture.wait(6)
    assert lines[0::2] == ["  <-- PROPFIND /dav", "  <-- M-SEARCH /dav", "  <-- PURGE /dav"]
