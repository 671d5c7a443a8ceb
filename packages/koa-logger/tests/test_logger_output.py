"""Where lines go (stdout, a transporter, the logging module) and when they are coloured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import select
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.logger import LogArgs, logger

TIME = r"\d[\d,]*m?s"
COLORED_REQUEST = "  \x1b[90m<--\x1b[39m \x1b[1mGET\x1b[22m \x1b[90m/hi\x1b[39m"


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "hello world"


async def get_hi(app: Koa) -> None:
    app.use(hello)
    async with TestClient(app) as client:
        res = await client.get("/hi")
        assert res.status == 200
    # The response line is written once the response is finished; give it that moment.
    await asyncio.sleep(0)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return monkeypatch


@contextlib.contextmanager
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TextIO, int]]:
    """``sys.stdout`` replaced by a real pseudo-terminal; yields it and the reading end.

    Used inside the test body: pytest puts its own capture back on ``sys.stdout`` between
    fixture setup and the test call.
    """
    controller, terminal_fd = os.openpty()
    stream = open(terminal_fd, "w", buffering=1, encoding="utf-8")  # noqa: SIM115
    try:
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", stream)
            yield stream, controller
    finally:
        stream.close()
        os.close(controller)


def read_terminal(controller: int) -> str:
    """Everything written to the terminal so far (waits at most 5 s for the first bytes)."""
    chunks: list[bytes] = []
    timeout = 5.0
    while select.select([controller], [], [], timeout)[0]:
        chunks.append(os.read(controller, 65536))
        timeout = 0.05
    return b"".join(chunks).decode()


async def test_lines_go_to_stdout_by_default(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Koa()
    app.use(logger())
    await get_hi(app)
    out = capsys.readouterr().out
    assert re.fullmatch(rf"  <-- GET /hi\n  --> GET /hi 200 {TIME} 11b\n", out), out


async def test_a_terminal_gets_colour_by_default(clean_env: pytest.MonkeyPatch) -> None:
    with terminal(clean_env) as (stream, controller):
        app = Koa()
        app.use(logger())
        await get_hi(app)
        stream.flush()
        written = read_terminal(controller)
    # The terminal turns "\n" into "\r\n".
    assert written.startswith(COLORED_REQUEST + "\r\n"), written
    assert re.fullmatch(
        re.escape(COLORED_REQUEST + "\r\n  \x1b[90m-->\x1b[39m \x1b[1mGET\x1b[22m \x1b[90m/hi")
        + rf"\x1b\[39m \x1b\[32m200\x1b\[39m \x1b\[90m{TIME}\x1b\[39m \x1b\[90m11b\x1b\[39m\r\n",
        written,
    ), written


class Capture:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str, args: LogArgs) -> None:
        self.lines.append(line)


@pytest.mark.parametrize(
    ("env", "colored"),
    [
        ({}, True),
        ({"NO_COLOR": "1"}, False),
        ({"NO_COLOR": ""}, True),
        ({"FORCE_COLOR": "0"}, False),
        ({"FORCE_COLOR": "false"}, False),
        ({"TERM": "dumb"}, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ],
)
async def test_colour_on_a_terminal_follows_the_environment(
    clean_env: pytest.MonkeyPatch, env: dict[str, str], colored: bool
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    capture = Capture()
    app = Koa()
    with terminal(clean_env):
        app.use(logger(transporter=capture))
    await get_hi(app)
    assert capture.lines[0] == (COLORED_REQUEST if colored else "  <-- GET /hi")


@pytest.mark.parametrize(
    ("env", "colored"),
    [
        ({}, False),
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "3"}, True),
        ({"FORCE_COLOR": ""}, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "yes"}, False),
    ],
)
async def test_colour_off_a_terminal_follows_the_environment(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    colored: bool,
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture))
    await get_hi(app)
    assert capture.lines[0] == (COLORED_REQUEST if colored else "  <-- GET /hi")


@pytest.mark.parametrize(
    ("color", "env"), [(True, {"NO_COLOR": "1"}), (False, {"FORCE_COLOR": "1"})]
)
async def test_an_explicit_color_wins_over_the_environment(
    clean_env: pytest.MonkeyPatch, color: bool, env: dict[str, str]
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    capture = Capture()
    app = Koa()
    app.use(logger(transporter=capture, color=color))
    await get_hi(app)
    assert capture.lines[0] == (COLORED_REQUEST if color else "  <-- GET /hi")


async def test_a_transporter_gets_the_line_and_its_parts_and_stdout_stays_quiet(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[tuple[str, LogArgs]] = []
    app = Koa()
    app.use(logger(transporter=lambda line, args: received.append((line, args))))
    await get_hi(app)
    assert capsys.readouterr().out == ""
    (request_line, request_args), (response_line, response_args) = received
    assert (request_line, request_args) == ("  <-- GET /hi", ("  <-- %s %s", "GET", "/hi"))
    assert len(response_args) == 6
    fmt, method, url, status, time, length = response_args
    assert (fmt, method, url, status, length) == ("  --> %s %s %s %s %s", "GET", "/hi", 200, "11b")
    assert response_line == f"  --> GET /hi 200 {time} 11b"


class TestLoggingModule:
    async def test_lines_become_info_records_with_their_parts(
        self,
        clean_env: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        caplog.set_level(logging.INFO, logger="koa.access")
        app = Koa()
        app.use(logger(log=logging.getLogger("koa.access")))
        await get_hi(app)
        records = [r for r in caplog.records if r.name == "koa.access"]
        assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
        request, response = records
        assert request.getMessage() == "  <-- GET /hi"
        assert (request.msg, request.args) == ("  <-- %s %s", ("GET", "/hi"))
        assert re.fullmatch(rf"  --> GET /hi 200 {TIME} 11b", response.getMessage())
        assert response.msg == "  --> %s %s %s %s %s"
        assert isinstance(response.args, tuple)
        assert response.args[:3] == ("GET", "/hi", 200)
        assert capsys.readouterr().out == ""

    async def test_no_colour_even_when_stdout_is_a_terminal(
        self, clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="koa.access")
        app = Koa()
        with terminal(clean_env):
            app.use(logger(log=logging.getLogger("koa.access")))
        await get_hi(app)
        assert caplog.records[0].getMessage() == "  <-- GET /hi"

    async def test_force_color_colours_records(
        self, clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        clean_env.setenv("FORCE_COLOR", "1")
        caplog.set_level(logging.INFO, logger="koa.access")
        app = Koa()
        app.use(logger(log=logging.getLogger("koa.access")))
        await get_hi(app)
        assert caplog.records[0].getMessage() == COLORED_REQUEST

    async def test_a_logger_above_info_gets_nothing(
        self, clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING, logger="koa.access")
        app = Koa()
        app.use(logger(log=logging.getLogger("koa.access")))
        await get_hi(app)
        assert [r for r in caplog.records if r.name == "koa.access"] == []

    async def test_a_logger_adapter_is_accepted(
        self, clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="koa.access")
        adapter = logging.LoggerAdapter(logging.getLogger("koa.access"), {"service": "web"})
        app = Koa()
        app.use(logger(log=adapter))
        await get_hi(app)
        records = [r for r in caplog.records if r.name == "koa.access"]
        assert records[0].getMessage() == "  <-- GET /hi"
        assert records[0].service == "web"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"transporter": print, "log": logging.getLogger("x")},
            "takes a transporter or a log, not both",
        ),
        ({"transporter": "stdout"}, "transporter must be callable"),
        ({"log": "koa.access"}, "log must be a logging.Logger"),
        ({"color": "yes"}, "color must be True, False or None"),
    ],
)
def test_bad_options_are_type_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        logger(**options)
