"""The malformed and hostile requests of koa-core's bad-input tests, sent over raw sockets to
uvicorn, granian and hypercorn, each started by its own command line: every one is refused
with a 4xx and the connection closed (never a 500, a traceback, an echo or a hang), no
middleware runs, and the server serves the next request.

Koa refuses what aiohttp's parser refuses with aiohttp's status and the bare phrase as body
(``AsgiConnection.malformed``); much of it the server refuses first, with its own 4xx and
body, before the app is called: ``SERVER_OWN`` is that table (the koa-core README lists it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from core_bad_requests import HOSTILE, MALFORMED, TOO_LONG

ASGI = Path(__file__).resolve().parent / "asgi"
CASES = {**MALFORMED, **HOSTILE, **TOO_LONG}

#: aiohttp's answer to each (koa-core's tests): what Koa answers on ASGI when the app sees it.
AIOHTTP = {name: 431 if name in TOO_LONG else 400 for name in CASES}

PHRASES = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}

#: Refused by the server's own parser before the app is called, with its status.
_PARSER_400 = (
    "utf8 bytes in path",
    "control char in path",
    "nul in path",
    "space in path",
    "bad method",
    "tls on plain port",
    "nul in host",
    "bad content-length",
    "script in path",
    "@ in method",
    "letters for content-length",
)
SERVER_OWN: dict[str, dict[str, int]] = {
    # h11 (uvicorn without httptools installed, as here)
    "uvicorn": dict.fromkeys(_PARSER_400, 400),
    "hypercorn": dict.fromkeys(_PARSER_400, 400),
    # hyper's parser (httparse) refuses more: an unknown version, a control character in a
    # header value, an unparsable authority, more than 100 headers (431); it passes bytes
    # over 0x7F in the target on (Koa refuses them).
    "granian": {
        **dict.fromkeys(_PARSER_400, 400),
        "control char in header": 400,
        "unclosed ipv6 in absolute target": 400,
        "unknown version": 400,
        "too many headers": 431,
    },
}
del SERVER_OWN["granian"]["utf8 bytes in path"]

#: RFC 9112 2.2 lets a recipient read a bare LF as a line end: every one of these servers
#: does, so the request is served (aiohttp refuses it).
SERVED = {"bare lf"}


async def answer(port: int, data: bytes) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closed the connection within 5 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        reply, closed = b"", False
        try:
            while chunk := await asyncio.wait_for(reader.read(65536), 5):
                reply += chunk
            closed = True
        except asyncio.TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, body, closed


@pytest.mark.parametrize("server", ["uvicorn", "granian", "hypercorn"])
async def test_malformed_and_hostile_requests_get_a_4xx_on_each_asgi_server(
    server: str,
    asgi_server: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "access.log"
    monkeypatch.setenv("KOA_TEST_LOG", str(log))
    answers: dict[str, tuple[int, str]] = {}
    async with asgi_server(server, ASGI, "asgi_apps:logged") as port:
        for name, data in CASES.items():
            status, body, closed = await answer(port, data)
            assert closed, f"{name}: the connection was left open"
            for echoed in (b"Traceback", b"script", b"aaaa", b"bbbb", b"caf"):
                assert echoed not in body, name
            who = "koa" if body == PHRASES.get(status) else "server"
            answers[name] = (status, "app" if status == 200 else who)
        after = await answer(port, b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    expected = {
        name: (200, "app")
        if name in SERVED
        else (SERVER_OWN[server][name], "server")
        if name in SERVER_OWN[server]
        else (AIOHTTP[name], "koa")
        for name in CASES
    }
    assert answers == expected
    assert after == (200, b'{"version":"1.1","protocol":"http"}', True)
    # koa-logger ran for the bare-LF request and the last one only: no middleware saw the rest.
    # (Sorted: the first request's "-->" line may come after the next request's "<--" one, as
    # the client has its answer before the server's task writes that line.)
    lines = log.read_text().splitlines()
    assert sorted(line.split()[:3] for line in lines) == [
        ["-->", "GET", "/"],
        ["-->", "GET", "/version"],
        ["<--", "GET", "/"],
        ["<--", "GET", "/version"],
    ]
