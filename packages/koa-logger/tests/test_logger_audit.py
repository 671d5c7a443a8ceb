"""Lines compared side by side with koa-logger 4.0.0 on koa 3.3.0 (the same requests sent to
both over raw sockets); each expected line below is what koa-logger printed, with its time
field replaced by the one our line carries."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import LogArgs, logger

TIME = re.compile(r"\d{1,3}(,\d{3})*ms|\d[\d,]*s")
GRAY, BOLD, UNBOLD, END = "\x1b[90m", "\x1b[1m", "\x1b[22m", "\x1b[39m"


class StatusError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__("failed")
        self.status = status


async def behave(ctx: Context, next: Next) -> None:
    """``/<what>/<n>``: the behaviours the side-by-side apps shared."""
    what, _, arg = ctx.path[1:].partition("/")
    if what == "status":
        ctx.status = int(arg)
    elif what == "nullstatus":
        ctx.body = None
        ctx.status = int(arg)
    elif what == "json":
        ctx.body = {"a": 1}
    elif what == "empty":
        ctx.body = ""
    elif what == "buffer":
        ctx.body = b"a" * int(arg)
    elif what == "unicode":
        ctx.body = "é" * int(arg)
    elif what == "redirect":
        ctx.redirect("/x")
    elif what == "throw":
        ctx.throw(int(arg))
    elif what == "throwraw":
        raise StatusError(int(arg))
    else:
        ctx.body = "hello world"


class Capture:
    def __init__(self) -> None:
        self.entries: list[tuple[str, LogArgs]] = []
        self._grew = asyncio.Event()

    def __call__(self, line: str, args: LogArgs) -> None:
        self.entries.append((line, args))
        self._grew.set()

    async def wait(self, count: int) -> list[tuple[str, LogArgs]]:
        while len(self.entries) < count:
            self._grew.clear()
            await asyncio.wait_for(self._grew.wait(), 5)
        return self.entries


async def log_of(method: str, target: str, *, color: bool = False) -> tuple[str, str, str]:
    """The two lines logged for one raw request, and the time field of the second."""
    capture = Capture()
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: None)
    app.use(logger(transporter=capture, color=color))
    app.use(behave)
    async with TestClient(app) as client:
        raw = f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        answer = await client.raw(raw.encode())
        assert answer.startswith(b"HTTP/1.1 ")
        (first, _), (second, args) = await capture.wait(2)
    assert len(args) == 6
    time = args[4]
    assert TIME.fullmatch(time), time
    return first, second, time


@pytest.mark.parametrize(
    ("method", "target", "koa_line"),
    [
        # A thrown 204, 205 or 304 leaves the length field empty, as a sent one does.
        ("GET", "/throwraw/304", "  xxx GET /throwraw/304 304 {t} "),
        ("GET", "/throwraw/204", "  xxx GET /throwraw/204 204 {t} "),
        ("GET", "/throwraw/205", "  xxx GET /throwraw/205 205 {t} "),
        # A zero status is no status: 500.
        ("GET", "/throwraw/0", "  xxx GET /throwraw/0 500 {t} -"),
        ("GET", "/throw/302", "  xxx GET /throw/302 302 {t} -"),
        ("GET", "/throw/418", "  xxx GET /throw/418 418 {t} -"),
        ("HEAD", "/throw/404", "  xxx HEAD /throw/404 404 {t} -"),
        # `Redirecting to /x.`
        ("GET", "/redirect", "  --> GET /redirect 302 {t} 18b"),
        ("HEAD", "/json", "  --> HEAD /json 200 {t} 7b"),
        ("GET", "/json", "  --> GET /json 200 {t} 7b"),
        ("GET", "/empty", "  --> GET /empty 200 {t} -"),
        ("GET", "/nullstatus/204", "  --> GET /nullstatus/204 204 {t} "),
        ("GET", "/nullstatus/404", "  --> GET /nullstatus/404 404 {t} -"),
        ("GET", "/status/304", "  --> GET /status/304 304 {t} "),
        # Unknown statuses send their number as the body.
        ("GET", "/status/299", "  --> GET /status/299 299 {t} 3b"),
        ("GET", "/status/599", "  --> GET /status/599 599 {t} 3b"),
        ("GET", "/status/999", "  --> GET /status/999 999 {t} 3b"),
        ("GET", "/buffer/1152", "  --> GET /buffer/1152 200 {t} 1.13kb"),
        ("GET", "/unicode/3", "  --> GET /unicode/3 200 {t} 6b"),
        ("PURGE", "/", "  --> PURGE / 200 {t} 11b"),
        # Format directives in a URL are text.
        ("GET", "/%s%d", "  --> GET /%s%d 200 {t} 11b"),
        ("GET", "http://example.com/?x=1", "  --> GET http://example.com/?x=1 200 {t} 11b"),
    ],
)
async def test_lines_as_koa_logger_prints_them(method: str, target: str, koa_line: str) -> None:
    first, second, time = await log_of(method, target)
    assert first == f"  <-- {method} {target}"
    assert second == koa_line.format(t=time)


@pytest.mark.parametrize(
    ("target", "status", "color"),
    [
        ("/status/399", 399, "\x1b[36m"),
        ("/status/499", 499, "\x1b[33m"),
        ("/status/599", 599, "\x1b[31m"),
        ("/status/799", 799, "\x1b[35m"),
        ("/status/999", 999, "\x1b[33m"),
    ],
)
async def test_status_colours_at_the_edges_of_each_class(
    target: str, status: int, color: str
) -> None:
    _, second, time = await log_of("GET", target, color=True)
    assert second == (
        f"  {GRAY}-->{END} {BOLD}GET{UNBOLD} {GRAY}{target}{END} {color}{status}{END}"
        f" {GRAY}{time}{END} {GRAY}3b{END}"
    )


async def test_a_thrown_304_in_colour_has_an_empty_gray_length() -> None:
    _, second, time = await log_of("GET", "/throwraw/304", color=True)
    assert second == (
        f"  \x1b[31mxxx{END} {BOLD}GET{UNBOLD} {GRAY}/throwraw/304{END} \x1b[36m304{END}"
        f" {GRAY}{time}{END} {GRAY}{END}"
    )


async def failing_stream(first: bytes | None) -> AsyncIterator[bytes]:
    if first is not None:
        yield first
        await asyncio.sleep(0.01)
    raise RuntimeError("the stream failed")


@pytest.mark.parametrize("close", [True, False])
async def test_a_stream_that_fails_midway_is_logged_as_cut(close: bool) -> None:
    # koa-logger: `-x-`, the connection closed before the response finished.
    capture = Capture()
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: None)
    app.use(logger(transporter=capture, color=False))

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = failing_stream(b"c" * 10)

    app.use(stream)
    connection = b"Connection: close\r\n" if close else b""
    async with TestClient(app) as client:
        answer = await client.raw(b"GET /s HTTP/1.1\r\nHost: t\r\n" + connection + b"\r\n")
        assert answer.endswith(b"a\r\ncccccccccc\r\n")  # no last chunk
        (_, (line, args)) = await capture.wait(2)
    assert len(args) == 6
    assert line == f"  -x- GET /s 200 {args[4]} 10b"


async def test_a_stream_that_fails_before_its_first_byte_logs_the_500_sent() -> None:
    # koa 3 on node 20 resets the connection here (and koa-logger prints `-x- ... 200`);
    # koa-core answers 500, and the line says so.
    capture = Capture()
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: None)
    app.use(logger(transporter=capture, color=False))

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = failing_stream(None)

    app.use(stream)
    async with TestClient(app) as client:
        res = await client.get("/s")
        assert res.status == 500
        (_, (line, args)) = await capture.wait(2)
    assert len(args) == 6
    assert line == f"  --> GET /s 500 {args[4]} 21b"


async def test_complete_streams_are_not_logged_as_cut() -> None:
    capture = Capture()
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=False))

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * 600
        yield b"b" * 600

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = chunks()

    app.use(stream)
    async with TestClient(app) as client:
        for close in (b"Connection: close\r\n", b""):
            await client.raw(b"GET /s HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n", timeout=0.5)
        entries = await capture.wait(4)
    assert [line.split(" 200 ")[0] for line, _ in entries[1::2]] == ["  --> GET /s"] * 2
    assert all(line.endswith(" 1.17kb") for line, _ in entries[1::2])


async def test_a_websocket_that_ends_normally_is_not_logged_as_cut() -> None:
    capture = Capture()
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=False))

    async def socket(ctx: Context, next: Next) -> None:
        ws = web.WebSocketResponse()
        await ws.prepare(ctx.req)
        await ws.send_str("hi")
        await ws.close()
        ctx.respond = False
        ctx.res = ws

    app.use(socket)
    async with TestClient(app) as client:
        async with client.session.ws_connect(client.make_url("/ws")) as ws:
            assert (await ws.receive()).data == "hi"
            await ws.receive()
        (_, (line, _)) = await capture.wait(2)
    assert line.startswith("  --> GET /ws 101 "), line
