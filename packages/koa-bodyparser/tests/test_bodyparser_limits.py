"""Size limits at their boundaries, for chunked and gzip bodies, and a 413 that keeps
the connection when it can."""

from __future__ import annotations

import gzip

import pytest
from bodyparser_helpers import presence_echo_app, request, send
from koa.core.testing import TestClient

JSON = "application/json"


FORM = "application/x-www-form-urlencoded"


ALL = ("json", "form", "text", "xml")


LIMITED = {"enable_types": ALL, "json_limit": 100, "form_limit": 50, "text_limit": 20}


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        (JSON, b'{"a":"' + b"x" * 92 + b'"}', 200),
        (JSON, b'{"a":"' + b"x" * 93 + b'"}', 413),
        (FORM, b"a=" + b"x" * 48, 200),
        (FORM, b"a=" + b"x" * 49, 413),
        ("text/plain", b"x" * 20, 200),
        ("text/plain", b"x" * 21, 413),
        # xml has text's limit.
        ("application/xml", b"x" * 20, 200),
        ("application/xml", b"x" * 21, 413),
        # Limits count bytes, not characters.
        ("text/plain", "é".encode() * 10, 200),
        ("text/plain", "é".encode() * 10 + b"x", 413),
        # A type that is not parsed is not limited.
        ("text/html", b"x" * 500, 200),
    ],
)
async def test_limits_at_their_exact_boundary(content_type: str, body: bytes, status: int) -> None:
    got, answer = await send(presence_echo_app(**LIMITED), request(body, content_type))
    assert got == status
    if status == 413:
        assert answer == b"request entity too large"


@pytest.mark.parametrize(
    ("chunks", "status"),
    [
        ([b'{"a":', b'"' + b"x" * 50 + b'"}'], 200),
        ([b'{"a":', b'"' + b"x" * 150 + b'"}'], 413),
        ([b'{"a":"' + b"x" * 92 + b'"}', b" "], 413),
    ],
)
async def test_chunked_bodies_meet_the_same_limit(chunks: list[bytes], status: int) -> None:
    got, _ = await send(presence_echo_app(**LIMITED), request(b"", JSON, chunks=chunks))
    assert got == status


@pytest.mark.parametrize(("size", "status"), [(92, 200), (93, 413)])
async def test_the_limit_of_a_gzip_body_is_on_its_decoded_size(size: int, status: int) -> None:
    body = gzip.compress(b'{"a":"' + b"x" * size + b'"}')
    raw = request(body, JSON, headers=b"Content-Encoding: gzip\r\n")
    got, _ = await send(presence_echo_app(**LIMITED), raw)
    assert got == status


@pytest.mark.parametrize(("size", "status"), [(57344, 200), (57345, 413)])
async def test_the_default_form_limit_is_56kb(size: int, status: int) -> None:
    got, _ = await send(presence_echo_app(), request(b"a=" + b"x" * (size - 2), FORM))
    assert got == status


# Node's phrase on the status line and aiohttp's lingering; an ASGI server writes its own.
@pytest.mark.backends("aiohttp")
async def test_a_413_for_a_body_already_received_keeps_the_connection() -> None:
    # As Node: the small body was dropped, and the pipelined request is answered.
    over = request(b'{"a":"' + b"x" * 200 + b'"}', JSON).replace(b"Connection: close\r\n", b"")
    raw = over + request(b"[3]", JSON)
    async with TestClient(presence_echo_app(json_limit=100)) as client:
        answer = await client.raw(raw)
    first, _, second = answer.partition(b"request entity too large")
    assert first.startswith(b"HTTP/1.1 413 Payload Too Large\r\n")
    assert b"Connection: close" not in first
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b'{"has":true,"body":[3],"raw":"[3]"}')
