"""``ctx.ip``, ``is_``, content negotiation and ``fresh`` as Koa 3.3 reads them (with accepts
1.3.8, negotiator 0.6.3 and fresh 0.5.2), on the wire."""

from __future__ import annotations

from typing import Any

import pytest
from core_request_report import app_with, fetch, raw_get
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

NEGOTIATOR_0_6: list[tuple[str, str, list[str], Any]] = [
    # Accept: parameters after q are dropped, a repeated parameter keeps the last value,
    # "q = 0.1" is a parameter named "q " (the entry then matches no offered type).
    ("Accept", "text/html;q=0.5;level=1, text/plain;q=0.4", ["html", "text"], "html"),
    ("Accept", "text/html;level=1;level=2", ["text/html;level=2"], "text/html;level=2"),
    ("Accept", "text/html;level=1;level=2", ["text/html;level=1"], False),
    ("Accept", "text/html; q = 0.1, text/plain", [], ["text/html", "text/plain"]),
    ("Accept", "text/html; q = 0.1, text/plain", ["html", "text"], "text"),
    # accepts 1.3 maps extensions with mime-db 1.52: "js" is application/javascript there.
    ("Accept", "text/javascript", ["js"], False),
    ("Accept", "application/javascript", ["js"], "js"),
    ("Accept", "audio/wave", ["wav"], "wav"),
    # Accept-Encoding and Accept-Charset: only a lower-case q counts, the first one wins,
    # and a quoted q is not a number.
    ("Accept-Encoding", "gzip;Q=0.1, br;q=0.5", ["gzip", "br"], "gzip"),
    ("Accept-Encoding", "gzip;q=0.1;q=0.9, br;q=0.5", ["gzip", "br"], "br"),
    ("Accept-Encoding", 'gzip;q="0.1", br;q=0.5', [], ["br", "identity"]),
    ("Accept-Charset", "utf-8;Q=0.1, latin1;q=0.5", ["utf-8", "latin1"], "utf-8"),
    # Accept-Language: the last q wins and "q" must be written without spaces.
    ("Accept-Language", "en;q=0.1;q=0.9, fr;q=0.5", ["en", "fr"], "en"),
    ("Accept-Language", "en ; q=0.1, fr;q=0.5", [], ["en", "fr"]),
    ("Accept-Language", "en;Q=0.1, fr;q=0.5", ["en", "fr"], "en"),
]


def conditional_app() -> Koa:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        ctx.etag = "abc"
        ctx.set("Last-Modified", "Wed, 01 May 2024 12:00:00 GMT")
        if ctx.fresh:
            ctx.status = 304
            return
        ctx.body = "the resource"

    app.use(handler)
    return app


async def test_ctx_ip_is_settable() -> None:
    def change(ctx: Context) -> str:
        ctx.ip = "203.0.113.9"
        return ctx.request.ip

    body = await fetch(app_with(change), b"/")
    assert body["result"] == body["ip"] == "203.0.113.9"


async def test_is_takes_koas_list_form() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"list": ctx.is_(["html", "json"]), "none": ctx.is_(["html"])}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.post("/", data=b"{}", headers={"Content-Type": "application/json"})
    assert await res.json() == {"list": "json", "none": False}


@pytest.mark.parametrize(("header", "value", "offered", "expected"), NEGOTIATOR_0_6)
async def test_negotiation_reads_entries_as_negotiator_0_6(
    header: str, value: str, offered: list[str], expected: Any
) -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        method = {
            "Accept": ctx.accepts,
            "Accept-Encoding": ctx.accepts_encodings,
            "Accept-Charset": ctx.accepts_charsets,
            "Accept-Language": ctx.accepts_languages,
        }[header]
        ctx.body = {"answer": method(*offered)}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/", headers={header: value})
    assert await res.json() == {"answer": expected}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # Repeated lines read as one list, as Node joins them.
        ((b'If-None-Match: "x"', b'If-None-Match: "abc"'), 304),
        ((b'If-None-Match: "abc"', b"Cache-Control: max-age=0", b"Cache-Control: no-cache"), 200),
        # Date.parse also reads ISO 8601 dates.
        ((b"If-Modified-Since: 2024-05-02T00:00:00Z",), 304),
        ((b"If-Modified-Since: 2024-04-30T00:00:00Z",), 200),
        ((b"If-Modified-Since: 2024-05-02",), 304),
    ],
)
async def test_fresh_reads_repeated_lines_and_iso_dates(
    headers: tuple[bytes, ...], status: int
) -> None:
    async with TestClient(conditional_app()) as client:
        reply = await client.raw(raw_get(b"/", *headers))
    assert reply.startswith(b"HTTP/1.1 %d " % status)
