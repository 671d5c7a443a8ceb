"""When koa-compress 5 leaves a response alone, and ``Vary: Accept-Encoding`` on every one.

Each case was sent to koa-compress 5.2.2 on Node 20 with the same body and headers; the
answers match (only the framing differs where a body is compressed: see the README).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from compress_helpers import decode
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

Handler = Callable[[Context], Awaitable[None] | None]

TEXT = "Hello compressible world. " * 100
GZIP = {"Accept-Encoding": "gzip"}


def app_with(handler: Handler, **options: Any) -> Koa[Any]:
    app = Koa(silent=True)
    app.use(compress(**options))

    async def respond(ctx: Context, next: Next) -> None:
        result = handler(ctx)
        if result is not None:
            await result

    app.use(respond)
    return app


async def fetch(handler: Handler, method: str = "GET", **options: Any) -> tuple[int, Any, bytes]:
    async with TestClient(app_with(handler, **options)) as client:
        res = await client.request(method, "/", headers=GZIP)
        return res.status, res.headers, await res.read()


def text(ctx: Context) -> None:
    ctx.body = TEXT


async def test_a_compressible_body_is_compressed() -> None:
    status, headers, body = await fetch(text)
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body) < len(TEXT)
    assert decode("gzip", body) == TEXT.encode()


async def test_head_is_not_compressed_and_keeps_its_length() -> None:
    status, headers, body = await fetch(text, "HEAD")
    assert (status, body) == (200, b"")
    assert "Content-Encoding" not in headers
    assert headers["Content-Length"] == str(len(TEXT))
    assert headers["Vary"] == "Accept-Encoding"


def with_status(code: int) -> Handler:
    def handler(ctx: Context) -> None:
        ctx.body = TEXT
        ctx.status = code

    return handler


@pytest.mark.parametrize("code", [204, 205, 304])
async def test_statuses_without_a_body(code: int) -> None:
    status, headers, body = await fetch(with_status(code))
    assert (status, body) == (code, b"")
    assert "Content-Encoding" not in headers
    assert headers["Vary"] == "Accept-Encoding"


async def test_other_statuses_are_compressed() -> None:
    for code in (201, 404, 500):
        status, headers, body = await fetch(with_status(code))
        assert (status, headers["Content-Encoding"]) == (code, "gzip")
        assert decode("gzip", body) == TEXT.encode()


def partial(ctx: Context) -> None:
    ctx.body = TEXT
    ctx.status = 206
    ctx.set("Content-Range", f"bytes 0-{len(TEXT) - 1}/5000")


def content_range(ctx: Context) -> None:
    ctx.body = TEXT
    ctx.set("Content-Range", f"bytes 0-{len(TEXT) - 1}/5000")


def byteranges(ctx: Context) -> None:
    ctx.body = TEXT
    ctx.type = "multipart/byteranges; boundary=x"


@pytest.mark.parametrize("handler", [partial, content_range, byteranges])
async def test_partial_content_is_never_compressed(handler: Handler) -> None:
    # Content-Range counts bytes of the uncompressed body (RFC 9110 14.4).
    _status, headers, body = await fetch(handler)
    assert "Content-Encoding" not in headers
    assert body == TEXT.encode()


def no_body(ctx: Context) -> None:
    pass


def empty(ctx: Context) -> None:
    ctx.body = ""


async def test_no_body_and_empty_bodies() -> None:
    status, headers, body = await fetch(no_body)
    assert (status, body, headers["Vary"]) == (404, b"Not Found", "Accept-Encoding")
    assert "Content-Encoding" not in headers
    status, headers, body = await fetch(empty)
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")
    assert "Content-Encoding" not in headers


def encoded_as(value: str) -> Handler:
    def handler(ctx: Context) -> None:
        ctx.set("Content-Encoding", value)
        ctx.body = TEXT

    return handler


@pytest.mark.parametrize("value", ["identity", "gzip", "br"])
async def test_a_content_encoding_already_set_is_kept(value: str) -> None:
    _status, headers, body = await fetch(encoded_as(value))
    assert headers["Content-Encoding"] == value
    assert body == TEXT.encode()


def cache_control(value: str) -> Handler:
    def handler(ctx: Context) -> None:
        ctx.set("Cache-Control", value)
        ctx.body = TEXT

    return handler


@pytest.mark.parametrize(
    "value",
    [
        "no-transform",
        "public, no-transform",
        "no-transform, public",
        "public,no-transform",
        "public,no-transform,max-age=0",
        "No-Transform",  # directives are case-insensitive (RFC 9111 5.2); koa-compress: no
    ],
)
async def test_cache_control_no_transform_is_respected(value: str) -> None:
    _status, headers, body = await fetch(cache_control(value))
    assert "Content-Encoding" not in headers
    assert body == TEXT.encode()


@pytest.mark.parametrize("value", ["no-transform-thingy", "max-age=0", "x-no-transform"])
async def test_other_cache_control_values_do_not_stop_it(value: str) -> None:
    _status, headers, _body = await fetch(cache_control(value))
    assert headers["Content-Encoding"] == "gzip"


def typed(media_type: str | None, data: Any = TEXT) -> Handler:
    def handler(ctx: Context) -> None:
        ctx.body = data
        if media_type is None:
            ctx.remove("Content-Type")
        else:
            ctx.type = media_type

    return handler


@pytest.mark.parametrize(
    ("media_type", "compressed"),
    [
        ("text/plain", True),
        ("text/html", True),
        ("text/event-stream", True),
        ("image/svg+xml", True),
        ("application/json", True),
        ("application/javascript", True),
        ("application/vnd.api+json", True),
        ("application/octet-stream", True),  # mime-db marks it compressible
        ("image/png", False),
        ("application/zip", False),
        ("video/mp4", False),
        ("application/x-unknown", False),
        (None, False),
    ],
)
async def test_the_default_filter_is_the_compressible_package(
    media_type: str | None, compressed: bool
) -> None:
    _status, headers, _body = await fetch(typed(media_type))
    assert ("Content-Encoding" in headers) is compressed, media_type


async def test_a_custom_filter_gets_the_media_type() -> None:
    seen: list[str] = []

    def only_csv(media_type: str) -> bool:
        seen.append(media_type)
        return media_type == "text/csv"

    _, headers, _ = await fetch(typed("text/csv"), filter=only_csv)
    assert headers["Content-Encoding"] == "gzip"
    _, headers, _ = await fetch(typed("text/plain"), filter=only_csv)
    assert "Content-Encoding" not in headers
    assert seen == ["text/csv", "text/plain"]


def forced(value: bool, media_type: str = "image/png", data: str = TEXT) -> Handler:
    def handler(ctx: Context) -> None:
        ctx.compress = value
        ctx.type = media_type
        ctx.body = data

    return handler


async def test_ctx_compress_true_skips_the_filter_but_not_the_threshold() -> None:
    _status, headers, body = await fetch(forced(True))
    assert headers["Content-Encoding"] == "gzip"
    assert decode("gzip", body) == TEXT.encode()
    _, headers, body = await fetch(forced(True, data="small"))
    assert "Content-Encoding" not in headers
    assert body == b"small"
    _, headers, _ = await fetch(forced(True, data="small"), threshold=0)
    assert headers["Content-Encoding"] == "gzip"


async def test_ctx_compress_false_skips() -> None:
    _, headers, body = await fetch(forced(False, "text/plain"))
    assert "Content-Encoding" not in headers
    assert body == TEXT.encode()


def sized(size: int) -> Handler:
    def handler(ctx: Context) -> None:
        ctx.body = "x" * size

    return handler


@pytest.mark.parametrize(
    ("threshold", "size", "compressed"),
    [
        (1024, 1023, False),
        (1024, 1024, True),
        ("1kb", 1023, False),
        ("2kb", 2047, False),
        ("2kb", 2048, True),
        (0, 1, True),
        (0, 0, False),  # an empty body is never compressed
        # Around the shortcut for lengths with fewer digits than the threshold.
        (1024, 999, False),
        (1024, 1000, False),
        (1000, 999, False),
        (1000, 1000, True),
        (10, 9, False),
        (10, 10, True),
        (1, 0, False),
        (1, 1, True),
        (100_000, 99_999, False),
        (100_000, 100_000, True),
    ],
)
async def test_threshold(threshold: int | str, size: int, compressed: bool) -> None:
    _, headers, _body = await fetch(sized(size), threshold=threshold)
    assert ("Content-Encoding" in headers) is compressed


def small_json(ctx: Context) -> None:
    ctx.body = {"a": 1}


def large_json(ctx: Context) -> None:
    ctx.body = {"items": [{"id": i, "name": f"item {i}"} for i in range(100)]}


async def test_json_is_measured_as_its_encoded_length() -> None:
    _, headers, body = await fetch(small_json)
    assert (headers.get("Content-Encoding"), body) == (None, b'{"a":1}')
    _, headers, _ = await fetch(large_json)
    assert headers["Content-Encoding"] == "gzip"


def length_set(ctx: Context) -> None:
    async def chunks() -> Any:
        yield b"0123456789"

    ctx.type = "text/plain"
    ctx.length = 10
    ctx.body = chunks()


async def test_a_stream_with_a_small_content_length_is_below_the_threshold() -> None:
    _, headers, body = await fetch(length_set)
    assert (headers.get("Content-Encoding"), body) == (None, b"0123456789")


def varied(ctx: Context) -> None:
    ctx.vary("Origin")
    ctx.body = "small"


async def test_vary_is_merged_and_set_on_skipped_responses() -> None:
    _, headers, _ = await fetch(varied)
    assert headers["Vary"] == "Accept-Encoding, Origin"
    _, headers, _ = await fetch(text, "HEAD")
    assert headers["Vary"] == "Accept-Encoding"


async def test_vary_set_upstream_is_kept() -> None:
    app = Koa()

    async def upstream(ctx: Context, next: Next) -> None:
        ctx.vary("Origin")
        await next()

    app.use(upstream)
    app.use(compress())
    app.use(lambda ctx, next: setattr(ctx, "body", TEXT))
    async with TestClient(app) as client:
        res = await client.get("/", headers=GZIP)
        assert res.headers["Vary"] == "Origin, Accept-Encoding"


def failing(ctx: Context) -> None:
    ctx.throw(400, "bad thing")


async def test_error_responses_are_koa_cores() -> None:
    # koa-core's error responder drops the headers set before the error, Vary included.
    status, headers, body = await fetch(failing)
    assert (status, body) == (400, b"bad thing")
    assert "Content-Encoding" not in headers


async def test_headers_already_sent_are_left_alone() -> None:
    async def flushed(ctx: Context) -> None:
        ctx.status = 200
        ctx.type = "text/plain"
        await ctx.flush_headers()
        ctx.body = TEXT

    status, headers, body = await fetch(flushed)
    assert (status, headers["Vary"]) == (200, "Accept-Encoding")
    assert "Content-Encoding" not in headers
    assert body == TEXT.encode()
