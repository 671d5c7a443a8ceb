"""``accepts``, ``accepts_encodings``, ``accepts_charsets`` and ``accepts_languages``.

Every expected answer below is what the ``accepts`` npm package (1.3.8 with negotiator 0.6.3,
what Koa 3.3 installs) returned for the same header and candidates; q-values, wildcards,
specificity, parameters and ties included.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

HEADER = {
    "type": "Accept",
    "enc": "Accept-Encoding",
    "cs": "Accept-Charset",
    "lang": "Accept-Language",
}

CASES: list[tuple[str, str | None, list[str], Any]] = [
    ("type", "text/html", ["json", "html"], "html"),
    ("type", None, ["json", "html"], "json"),
    ("type", "", ["json", "html"], "json"),
    ("type", "text/html", ["image/png"], False),
    ("type", "text/*, application/json", ["html"], "html"),
    ("type", "text/*, application/json", ["png"], False),
    ("type", "text/*;q=.5, application/json", ["html", "json"], "json"),
    (
        "type",
        "text/html;level=1, text/html;q=0.2, text/plain;q=0.9",
        ["text/html", "text/plain"],
        "text/plain",
    ),
    (
        "type",
        "text/html;level=1, text/html;q=0.2, text/plain;q=0.9",
        ["text/html;level=1", "text/plain"],
        "text/html;level=1",
    ),
    ("type", "text/plain;q=2, application/json", ["json", "text"], "text"),
    ("type", "text/plain;q=abc, application/json;q=0.5", ["text", "json"], "json"),
    ("type", "application/json;q=0, */*", ["json", "html"], "html"),
    ("type", "*/*;q=0.8, text/*;q=0.8, text/html;q=0.5", ["html", "text", "json"], "text"),
    ("type", "TEXT/HTML, Application/Json;q=0.9", ["json", "html"], "html"),
    ("type", "text/html;q=0.3 , image/png;q=0.9", [], ["image/png", "text/html"]),
    ("type", "application/json, text/plain;q=0.5", [], ["application/json", "text/plain"]),
    ("type", None, [], ["*/*"]),
    ("type", "text/html", ["unknownext", "html"], "html"),
    ("enc", None, [], ["identity"]),
    ("enc", None, ["gzip", "identity"], "identity"),
    ("enc", "gzip, deflate, br;q=0.5", [], ["gzip", "deflate", "br", "identity"]),
    ("enc", "gzip, deflate, br;q=0.5", ["br", "gzip"], "gzip"),
    ("enc", "gzip, identity;q=0", ["identity"], False),
    ("enc", "gzip;q=0, br;q=0.4", [], ["br", "identity"]),
    ("enc", "*;q=0.2, gzip", ["br", "gzip"], "gzip"),
    ("enc", "", [], ["identity"]),
    ("cs", None, [], ["*"]),
    ("cs", None, ["utf-8", "iso-8859-1"], "utf-8"),
    ("cs", "utf-8, iso-8859-1;q=0.2, utf-7;q=0.5", [], ["utf-8", "utf-7", "iso-8859-1"]),
    ("cs", "utf-8, iso-8859-1;q=0.2, utf-7;q=0.5", ["iso-8859-1", "utf-7"], "utf-7"),
    ("cs", "utf-8", ["iso-8859-1"], False),
    ("cs", "*;q=0.1, ISO-8859-1", ["utf-8", "iso-8859-1"], "iso-8859-1"),
    ("lang", None, [], ["*"]),
    ("lang", None, ["en", "fr"], "en"),
    ("lang", "en;q=0.8, es, pt", [], ["es", "pt", "en"]),
    ("lang", "en;q=0.8, es, pt", ["en", "pt"], "pt"),
    ("lang", "en-US, fr;q=0.5", ["en", "fr"], "en"),
    ("lang", "en, fr;q=0.9", ["en-US", "fr"], "en-US"),
    ("lang", "en", ["de"], False),
    ("lang", "", [], []),
    ("lang", "*;q=0.5, fr", ["de", "fr"], "fr"),
]


def negotiating_app() -> Koa:
    app = Koa()

    async def negotiate(ctx: Context, next: Next) -> None:
        kind = ctx.query["kind"]
        offered: list[str] = json.loads(ctx.query["offered"])
        request = ctx.request
        result: Any
        if kind == "type":
            result = request.accepts(*offered)
        elif kind == "enc":
            result = request.accepts_encodings(*offered)
        elif kind == "cs":
            result = request.accepts_charsets(*offered)
        else:
            result = request.accepts_languages(*offered)
        ctx.body = {"result": result}

    app.use(negotiate)
    return app


@pytest.mark.parametrize(("kind", "header", "offered", "expected"), CASES)
async def test_negotiation_matches_negotiator(
    kind: str, header: str | None, offered: list[str], expected: Any
) -> None:
    query = f"kind={kind}&offered={json.dumps(offered, separators=(',', ':'))}"
    lines = [f"GET /?{query} HTTP/1.1", "Host: x", "Connection: close"]
    if header is not None:
        lines.append(f"{HEADER[kind]}: {header}")
    async with TestClient(negotiating_app()) as client:
        raw = await client.raw(("\r\n".join(lines) + "\r\n\r\n").encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(body) == {"result": expected}


async def test_context_delegates_negotiation() -> None:
    app = Koa()

    async def negotiate(ctx: Context, next: Next) -> None:
        ctx.body = {
            "type": ctx.accepts("json", "html"),
            "enc": ctx.accepts_encodings("br", "gzip"),
            "cs": ctx.accepts_charsets("utf-8"),
            "lang": ctx.accepts_languages("fr", "en"),
        }

    app.use(negotiate)
    async with TestClient(app) as client:
        res = await client.get(
            "/",
            headers={
                "Accept": "text/html",
                "Accept-Encoding": "gzip",
                "Accept-Charset": "utf-8",
                "Accept-Language": "en",
            },
        )
        assert await res.json() == {"type": "html", "enc": "gzip", "cs": "utf-8", "lang": "en"}


async def test_repeated_accept_lines_are_read_as_one_list() -> None:
    async with TestClient(negotiating_app()) as client:
        raw = await client.raw(
            b'GET /?kind=type&offered=["text","json"] HTTP/1.1\r\nHost: x\r\n'
            b"Accept: text/plain;q=0.5\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        )
    assert json.loads(raw.partition(b"\r\n\r\n")[2]) == {"result": "json"}


async def test_koas_list_form_is_accepted() -> None:
    app = Koa()

    async def negotiate(ctx: Context, next: Next) -> None:
        ctx.body = {
            "type": ctx.request.accepts(["json", "html"]),
            "lang": ctx.request.accepts_languages(["fr", "en"]),
            "none": ctx.request.accepts_encodings(["br"]),
        }

    app.use(negotiate)
    async with TestClient(app) as client:
        res = await client.get(
            "/",
            headers={"Accept": "text/html", "Accept-Language": "en", "Accept-Encoding": "gzip"},
        )
        assert await res.json() == {"type": "html", "lang": "en", "none": False}


async def test_other_argument_types_are_a_type_error() -> None:
    app = Koa(silent=True)
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def negotiate(ctx: Context, next: Next) -> None:
        ctx.body = {"type": ctx.request.accepts("json", 3)}  # type: ignore[call-overload]

    app.use(negotiate)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Accept": "text/html"})
        assert res.status == 500
    assert [type(err) for err in errors] == [TypeError]
