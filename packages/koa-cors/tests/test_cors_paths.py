"""The same answers whether headers were set before cors() or not, and however many origins
a regex has seen (the prepared-headers path and the general one agree)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.cors import cors

OK = "https://ok.example"


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "hello"


async def vary_first(ctx: Context, next: Next) -> None:
    ctx.vary("Accept-Encoding")
    await next()


async def other_header_first(ctx: Context, next: Next) -> None:
    ctx.set("X-Frame-Options", "DENY")
    await next()


def wire(res: Any) -> list[tuple[str, str]]:
    return [
        (name.decode(), value.decode())
        for name, value in res.raw_headers
        if name.lower() not in (b"date", b"connection", b"x-frame-options")
    ]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"origin": OK, "credentials": True, "expose_headers": ["X-Id"]},
        {"origin": [OK], "credentials": True, "secure_context": True},
        {"origin": re.compile(r"https://ok\.example")},
    ],
)
@pytest.mark.parametrize("origin", [OK, "https://other.example", None])
async def test_headers_set_before_do_not_change_the_answer(
    options: dict[str, Any], origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    answers = []
    for before in (None, other_header_first):
        app = Koa()
        if before is not None:
            app.use(before)
        app.use(cors(**options)).use(hello)
        async with TestClient(app) as client:
            answers.append(wire(await client.get("/", headers=headers)))
    assert answers[0] == answers[1]


async def test_an_earlier_vary_is_kept_and_origin_added() -> None:
    app = Koa().use(vary_first).use(cors(origin=[OK])).use(hello)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": OK})
        assert res.headers.getall("Vary") == ["Accept-Encoding, Origin"]
        assert res.headers["Access-Control-Allow-Origin"] == OK


async def test_a_regex_answers_the_same_after_many_origins() -> None:
    # Its answers are remembered for the first 1,024 origins; later ones are matched anew.
    app = Koa().use(cors(origin=re.compile(r"https://[a-z0-9]+\.ok\.example"))).use(hello)
    async with TestClient(app) as client:
        for n in range(1100):
            allowed = f"https://a{n}.ok.example"
            refused = f"https://a{n}.evil.example"
            origin = allowed if n % 2 else refused
            res = await client.get("/", headers={"Origin": origin})
            assert res.headers.get("Access-Control-Allow-Origin") == (allowed if n % 2 else None), n
        for origin in ("https://a1.ok.example", "https://a1099.ok.example"):
            res = await client.get("/", headers={"Origin": origin})
            assert res.headers["Access-Control-Allow-Origin"] == origin
        res = await client.get("/", headers={"Origin": "https://a0.evil.example"})
        assert "Access-Control-Allow-Origin" not in res.headers


async def test_two_origin_lines_match_nothing() -> None:
    app = Koa().use(cors(origin=[OK], credentials=True)).use(hello)
    async with TestClient(app) as client:
        data = await client.raw(
            b"GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://ok.example\r\n"
            b"Origin: https://evil.example\r\nConnection: close\r\n\r\n"
        )
        head = data.partition(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 200 ")
        assert b"access-control-allow-origin" not in head
        assert b"\r\nvary: origin" in head
