"""The lines, byte for byte as koa-logger 4 prints them (captured from node with and without
FORCE_COLOR=1), for every status class, errors, HEAD, and clients that go away."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import LogArgs, logger
from logger_helpers import Capture

TIME = re.compile(r"\d{1,3}(,\d{3})*ms|\d[\d,]*s")

# chalk 4's codes, as koa-logger printed them.
GRAY, BOLD, UNBOLD, END = "\x1b[90m", "\x1b[1m", "\x1b[22m", "\x1b[39m"
COLORS = {"green": "\x1b[32m", "cyan": "\x1b[36m", "yellow": "\x1b[33m", "red": "\x1b[31m"}
COLORS["magenta"] = "\x1b[35m"


def elapsed(args: LogArgs) -> str:
    """The time field of a response line, checked for its format."""
    assert len(args) == 6
    time = args[4]
    assert TIME.fullmatch(time), time
    return time


async def respond_with_status(ctx: Context, next: Next) -> None:
    status = int(ctx.path[1:])
    ctx.status = status
    if status not in (204, 205, 304):
        ctx.body = "hello world"


def app_logging_to(capture: Capture, *, color: bool) -> Koa:
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=color))
    app.use(respond_with_status)
    return app


STATUS_CASES = [
    (200, "green", "11b"),
    (201, "green", "11b"),
    (301, "cyan", "11b"),
    (304, "cyan", ""),
    (404, "yellow", "11b"),
    (500, "red", "11b"),
    (204, "green", ""),
    (205, "green", ""),
    (700, "magenta", "11b"),
    (600, "yellow", "11b"),
]


@pytest.mark.parametrize(("status", "color", "length"), STATUS_CASES)
async def test_plain_lines(status: int, color: str, length: str, koa_backend: str) -> None:
    if koa_backend != "aiohttp" and status > 599:
        pytest.skip("uvicorn sends no status above 599 (koa-core README)")
    capture = Capture()
    async with TestClient(app_logging_to(capture, color=False)) as client:
        res = await client.get(f"/{status}")
        assert res.status == status
        (request_line, request_args), (response_line, response_args) = await capture.wait(2)
    assert request_line == f"  <-- GET /{status}"
    assert request_args == ("  <-- %s %s", "GET", f"/{status}")
    time = elapsed(response_args)
    assert response_line == f"  --> GET /{status} {status} {time} {length}"
    assert response_args == ("  --> %s %s %s %s %s", "GET", f"/{status}", status, time, length)


@pytest.mark.parametrize(("status", "color", "length"), STATUS_CASES)
async def test_colored_lines(status: int, color: str, length: str, koa_backend: str) -> None:
    if koa_backend != "aiohttp" and status > 599:
        pytest.skip("uvicorn sends no status above 599 (koa-core README)")
    capture = Capture()
    async with TestClient(app_logging_to(capture, color=True)) as client:
        await client.get(f"/{status}")
        (request_line, _), (response_line, response_args) = await capture.wait(2)
    assert request_line == f"  {GRAY}<--{END} {BOLD}GET{UNBOLD} {GRAY}/{status}{END}"
    time = elapsed(response_args)
    assert response_line == (
        f"  {GRAY}-->{END} {BOLD}GET{UNBOLD} {GRAY}/{status}{END} {COLORS[color]}{status}{END}"
        f" {GRAY}{time}{END} {GRAY}{length}{END}"
    )
    assert response_args[0] == (
        f"  {GRAY}-->{END} {BOLD}%s{UNBOLD} {GRAY}%s{END} {COLORS[color]}%s{END}"
        f" {GRAY}%s{END} {GRAY}%s{END}"
    )


async def test_the_original_url_is_logged_with_its_query() -> None:
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=False))

    async def rewrite(ctx: Context, next: Next) -> None:
        ctx.url = "/rewritten"
        ctx.body = "hello world"

    app.use(rewrite)
    async with TestClient(app) as client:
        await client.get("/q?a=1%20b&c")
        (request_line, _), (response_line, args) = await capture.wait(2)
    assert request_line == "  <-- GET /q?a=1%20b&c"
    assert response_line == f"  --> GET /q?a=1%20b&c 200 {elapsed(args)} 11b"


async def test_head_logs_the_length_the_get_would_have() -> None:
    capture = Capture()
    async with TestClient(app_logging_to(capture, color=False)) as client:
        res = await client.head("/200")
        assert await res.read() == b""
        (request_line, _), (response_line, args) = await capture.wait(2)
    assert request_line == "  <-- HEAD /200"
    assert response_line == f"  --> HEAD /200 200 {elapsed(args)} 11b"


class TestDownstreamErrors:
    @staticmethod
    async def run(raise_it: Any, *, color: bool) -> tuple[int, list[tuple[str, LogArgs]]]:
        capture = Capture()
        app = Koa(silent=True)
        heard: list[BaseException] = []
        app.on("error", lambda err, ctx: heard.append(err))
        app.use(logger(transporter=capture, color=color))

        async def fail(ctx: Context, next: Next) -> None:
            raise_it(ctx)

        app.use(fail)
        async with TestClient(app) as client:
            res = await client.get("/error")
            entries = await capture.wait(2)
        assert len(heard) == 1  # the error still propagated to the app
        return res.status, entries

    async def test_an_exception_logs_xxx_with_500_and_propagates(self) -> None:
        def boom(ctx: Context) -> None:
            raise RuntimeError("boom")

        status, entries = await self.run(boom, color=False)
        assert status == 500
        (_, (line, args)) = entries
        time = elapsed(args)
        assert line == f"  xxx GET /error 500 {time} -"
        assert args == ("  xxx %s %s %s %s %s", "GET", "/error", 500, time, "-")

    async def test_an_http_error_logs_its_status_in_colour(self) -> None:
        def not_found(ctx: Context) -> None:
            ctx.throw(404)

        status, entries = await self.run(not_found, color=True)
        assert status == 404
        (_, (line, args)) = entries
        assert line == (
            f"  \x1b[31mxxx{END} {BOLD}GET{UNBOLD} {GRAY}/error{END} {COLORS['yellow']}404{END}"
            f" {GRAY}{elapsed(args)}{END} {GRAY}-{END}"
        )

    async def test_an_aiohttp_http_exception_logs_its_status(self) -> None:
        def forbidden(ctx: Context) -> None:
            raise web.HTTPForbidden()

        status, entries = await self.run(forbidden, color=False)
        assert status == 403
        assert entries[1][0] == f"  xxx GET /error 403 {elapsed(entries[1][1])} -"

    async def test_an_unknown_error_status_logs_the_500_the_client_gets(self) -> None:
        class Odd(Exception):
            status = 777

        def odd(ctx: Context) -> None:
            raise Odd("odd")

        status, entries = await self.run(odd, color=False)
        assert status == 500
        assert entries[1][0] == f"  xxx GET /error 500 {elapsed(entries[1][1])} -"

    async def test_no_response_line_follows_an_xxx_line(self) -> None:
        def boom(ctx: Context) -> None:
            raise RuntimeError("boom")

        _, entries = await self.run(boom, color=False)
        await asyncio.sleep(0.05)
        assert len(entries) == 2


async def test_a_client_that_goes_away_mid_response_is_logged_with_x() -> None:
    capture = Capture()
    client_gone = asyncio.Event()
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=False))

    async def slow_stream() -> AsyncIterator[bytes]:
        yield b"first chunk"
        await asyncio.wait_for(client_gone.wait(), 5)
        for _ in range(100):  # keep writing until the closed connection is noticed
            yield b"x" * 65536
            await asyncio.sleep(0.01)

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = slow_stream()

    app.use(stream)
    async with TestClient(app) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        await writer.drain()
        received = b""
        while b"first chunk" not in received:
            received += await asyncio.wait_for(reader.read(1024), 5)
        writer.close()
        await writer.wait_closed()
        client_gone.set()
        (_, (line, args)) = await capture.wait(2)
    assert args[:4] == ("  -x- %s %s %s %s %s", "GET", "/stream", 200)
    assert line.startswith(f"  -x- GET /stream 200 {elapsed(args)} ")


async def test_a_client_that_goes_away_is_logged_in_yellow() -> None:
    capture = Capture()
    client_gone = asyncio.Event()
    app = Koa(silent=True)
    app.use(logger(transporter=capture, color=True))

    async def slow_stream() -> AsyncIterator[bytes]:
        yield b"first chunk"
        await asyncio.wait_for(client_gone.wait(), 5)
        for _ in range(100):
            yield b"x" * 65536
            await asyncio.sleep(0.01)

    async def stream(ctx: Context, next: Next) -> None:
        ctx.status = 404
        ctx.body = slow_stream()

    app.use(stream)
    async with TestClient(app) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(b"GET /gone HTTP/1.1\r\nHost: t\r\n\r\n")
        await writer.drain()
        received = b""
        while b"first chunk" not in received:
            received += await asyncio.wait_for(reader.read(1024), 5)
        writer.close()
        await writer.wait_closed()
        client_gone.set()
        (_, (line, args)) = await capture.wait(2)
    assert line.startswith(
        f"  \x1b[33m-x-{END} {BOLD}GET{UNBOLD} {GRAY}/gone{END} {COLORS['yellow']}404{END}"
        f" {GRAY}{elapsed(args)}{END} {GRAY}"
    )


async def test_the_response_line_waits_for_the_last_byte() -> None:
    capture = Capture()
    release = asyncio.Event()
    app = Koa()
    app.use(logger(transporter=capture, color=False))

    async def held_stream() -> AsyncIterator[bytes]:
        yield b"a" * 100
        await asyncio.wait_for(release.wait(), 5)
        yield b"b" * 1948

    async def stream(ctx: Context, next: Next) -> None:
        ctx.body = held_stream()

    app.use(stream)
    async with TestClient(app) as client:
        async with client.session.get(client.make_url("/held")) as res:
            assert await res.content.readexactly(100) == b"a" * 100
            # Headers and the first chunk are out; the response is not finished.
            assert capture.lines == ["  <-- GET /held"]
            release.set()
            assert await res.read() == b"b" * 1948
        (_, (line, args)) = await capture.wait(2)
    assert line == f"  --> GET /held 200 {elapsed(args)} 2kb"
