"""Lines and colours as koa-logger 4 prints them."""

from __future__ import annotations

import re

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import logger
from logger_helpers import Capture

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
async def test_lines_as_koa_logger_prints_them(
    method: str, target: str, koa_line: str, koa_backend: str
) -> None:
    status = re.match(r"/status/(\d+)", target)
    if koa_backend != "aiohttp" and status and int(status[1]) > 599:
        pytest.skip("uvicorn sends no status above 599 (koa-core README)")
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
    target: str, status: int, color: str, koa_backend: str
) -> None:
    if koa_backend != "aiohttp" and status > 599:
        pytest.skip("uvicorn sends no status above 599 (koa-core README)")
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
