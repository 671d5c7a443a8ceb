"""HTTP/1.x framing as Node frames it: an HTTP/1.1 status line for 1.0 clients, chunked or
close-delimited streams, and a Content-Length that never desyncs a keep-alive connection
(expected bytes from Koa 3.3 on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from core_raw_answers import app_of, head_of, raw_get
from koa.core import Context
from koa.core.testing import TestClient


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


async def test_http_1_0_request_is_answered_with_an_http_1_1_status_line() -> None:
    def handler(ctx: Context) -> None:
        ctx.body = "x"

    status, headers, body = await raw_get(app_of(handler), b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    assert status == "HTTP/1.1 200 OK"
    assert headers["connection"] == ["close"]
    assert headers["content-length"] == ["1"]
    assert body == b"x"


# HTTP/1.0 keep-alive is the server's framing (uvicorn closes).
@pytest.mark.backends("aiohttp")
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


def _no_body_routes(ctx: Context) -> None:
    path = ctx.path
    if path == "/json":
        ctx.body = {"a": 1}
    elif path == "/empty":
        ctx.body = ""
    elif path == "/null":
        ctx.body = None
    elif path == "/205-length":
        ctx.status = 205
        ctx.set("Content-Length", "5")
    elif path.endswith("-body"):  # a body, then a status that has none
        ctx.body = {"a": 1} if path.startswith("/205-json") else "hello"
        ctx.status = int(path[1:4])
    elif path[1:].isdigit():
        ctx.status = int(path[1:])
    else:
        ctx.body = "hello"


def _node(status: str, *headers: str) -> bytes:
    lines = (f"HTTP/1.1 {status}", *headers, "Date: -", "Connection: close", "", "")
    return "\r\n".join(lines).encode()


_NO_CONTENT = _node("204 No Content")
_RESET = _node("205 Reset Content")
_NOT_MODIFIED = _node("304 Not Modified")
_TEXT = "Content-Type: text/plain; charset=utf-8"


# Koa's bytes for these heads, as aiohttp frames them; on ASGI the server frames them.
@pytest.mark.backends("aiohttp")
# What Koa 3.3 on Node 20 sends on 127.0.0.1 for each request (HTTP/1.1 and 1.0, each with
# "Connection: close"), byte for byte but for the Date.
@pytest.mark.parametrize("version", ["1.1", "1.0"])
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/204", _NO_CONTENT),
        ("GET", "/205", _RESET),
        ("GET", "/304", _NOT_MODIFIED),
        ("GET", "/204-body", _NO_CONTENT),
        ("GET", "/205-body", _RESET),
        ("GET", "/304-body", _NOT_MODIFIED),
        ("GET", "/205-json-body", _RESET),
        ("GET", "/205-length", _RESET),
        ("GET", "/null", _NO_CONTENT),
        ("GET", "/empty", _node("200 OK", _TEXT, "Content-Length: 0")),
        ("HEAD", "/", _node("200 OK", _TEXT, "Content-Length: 5")),
        (
            "HEAD",
            "/json",
            _node("200 OK", "Content-Type: application/json; charset=utf-8", "Content-Length: 7"),
        ),
        ("HEAD", "/empty", _node("200 OK", _TEXT, "Content-Length: 0")),
        ("HEAD", "/null", _NO_CONTENT),
        ("HEAD", "/204", _NO_CONTENT),
        ("HEAD", "/205", _RESET),
        ("HEAD", "/304", _NOT_MODIFIED),
        ("HEAD", "/205-body", _RESET),
    ],
)
async def test_answers_without_a_body_are_koas_bytes(
    version: str, method: str, path: str, expected: bytes
) -> None:
    async with TestClient(app_of(_no_body_routes)) as client:
        raw = await client.raw(
            f"{method} {path} HTTP/{version}\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
    head, date, rest = raw.partition(b"\r\nDate: ")
    assert date, raw
    _, _, after_date = rest.partition(b"\r\n")
    assert head + b"\r\nDate: -\r\n" + after_date == expected


# Koa's bytes for these heads, as aiohttp frames them; on ASGI the server frames them.
@pytest.mark.backends("aiohttp")
async def test_a_205_ends_its_connection_as_node_does() -> None:
    """A 205 has no length: its (empty) content ends with the connection (RFC 9112 6.3), as
    Node sends it, where a 204 keeps the connection for the next request."""
    get = b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n"
    async with TestClient(app_of(_no_body_routes)) as client:
        reset = await client.raw(get % 205 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
        no_content = await client.raw(get % 204 + get % 205, timeout=10)
    status, headers, body = head_of(reset)
    assert status == "HTTP/1.1 205 Reset Content"
    assert headers["connection"] == ["close"]
    assert "content-length" not in headers
    assert "transfer-encoding" not in headers
    assert body == b""  # and the second request was not answered
    first, second = no_content.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b"Connection" not in first
    assert second.startswith(b"HTTP/1.1 205 Reset Content\r\n")
