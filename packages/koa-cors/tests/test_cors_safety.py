"""What @koa/cors lets through and we do not: credentialed wildcards, reflected junk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.cors import cors


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "hello"


async def raw_headers(client: TestClient, head: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """Status line and headers (lower-case names) of the response to a raw request head."""
    data = await client.raw(head + b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
    lines = data.partition(b"\r\n\r\n")[0].split(b"\r\n")
    fields = dict(line.split(b": ", 1) for line in lines[1:])
    return lines[0], {name.lower(): value for name, value in fields.items()}


@pytest.mark.parametrize("credentials", [True, lambda ctx: True])
@pytest.mark.parametrize("origin", ["*", None])
def test_credentials_with_a_wildcard_origin_is_refused(credentials: Any, origin: Any) -> None:
    options = {} if origin is None else {"origin": origin}
    with pytest.raises(ValueError, match=r"cors\(credentials=\.\.\.\) with origin='\*'") as info:
        cors(credentials=credentials, **options)
    assert "list the origins" in str(info.value)


@pytest.mark.parametrize(
    "asked",
    [
        b"x-foo;evil",
        b"x-foo\tbar",
        b"x-foo bar",
        b"x-foo, ,x-bar",
        b"x-\xffoo",
        b"<script>",
    ],
)
async def test_request_headers_that_are_not_header_names_are_never_sent_back(
    asked: bytes,
) -> None:
    async with TestClient(Koa().use(cors()).use(hello)) as client:
        status, headers = await raw_headers(
            client,
            b"OPTIONS / HTTP/1.1\r\nOrigin: https://a.example\r\n"
            b"Access-Control-Request-Method: PUT\r\n"
            b"Access-Control-Request-Headers: " + asked + b"\r\n",
        )
        assert status == b"HTTP/1.1 204 No Content"
        assert headers[b"access-control-allow-origin"] == b"*"
        assert b"access-control-allow-headers" not in headers


async def test_a_list_of_header_names_is_sent_back_as_asked() -> None:
    async with TestClient(Koa().use(cors()).use(hello)) as client:
        status, headers = await raw_headers(
            client,
            b"OPTIONS / HTTP/1.1\r\nAccess-Control-Request-Method: PUT\r\n"
            b"Access-Control-Request-Headers: content-type, x-requested-with,X-Custom\r\n",
        )
        assert status == b"HTTP/1.1 204 No Content"
        assert (
            headers[b"access-control-allow-headers"] == b"content-type, x-requested-with,X-Custom"
        )


@pytest.mark.parametrize(
    "origin",
    [b"https://a\t.example", b"https://a .example", b"https://\xffa.example", b"https://a,b"],
)
async def test_an_origin_with_control_characters_or_spaces_is_never_reflected(
    origin: bytes,
) -> None:
    # A regex that matches anything and a function that returns the Origin as is.
    def reflect(ctx: Context) -> str:
        return ctx.get("Origin")

    for option in (re.compile(r".*", re.S), reflect):
        app = Koa().use(cors(origin=option, credentials=True)).use(hello)
        async with TestClient(app) as client:
            for method in (b"GET", b"OPTIONS"):
                status, headers = await raw_headers(
                    client,
                    method + b" / HTTP/1.1\r\nOrigin: " + origin + b"\r\n"
                    b"Access-Control-Request-Method: GET\r\n",
                )
                assert status.startswith(b"HTTP/1.1 200 "), (option, method)
                assert b"access-control-allow-origin" not in headers
                assert b"access-control-allow-credentials" not in headers
                assert headers[b"vary"] == b"Origin"


async def test_a_reflecting_function_still_works_for_a_real_origin() -> None:
    app = Koa().use(cors(origin=lambda ctx: ctx.get("Origin"), credentials=True)).use(hello)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": "https://a.example:8080"})
        assert res.headers["Access-Control-Allow-Origin"] == "https://a.example:8080"
        assert res.headers["Access-Control-Allow-Credentials"] == "true"


async def test_no_origin_with_credentials_never_sends_an_empty_allow_origin() -> None:
    # @koa/cors sends `Access-Control-Allow-Origin: ` (empty) here.
    app = Koa().use(cors(origin=["https://a.example"], credentials=True)).use(hello)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert "Access-Control-Allow-Origin" not in res.headers
        res = await client.options("/", headers={"Access-Control-Request-Method": "GET"})
        assert (res.status, "Access-Control-Allow-Origin" in res.headers) == (200, False)


@pytest.mark.parametrize("credentials", [True, False])
async def test_null_never_matches_a_regex(credentials: bool) -> None:
    app = Koa().use(cors(origin=re.compile(r".*"), credentials=credentials)).use(hello)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": "null"})
        assert "Access-Control-Allow-Origin" not in res.headers
        assert "Access-Control-Allow-Credentials" not in res.headers
        res = await client.options(
            "/", headers={"Origin": "null", "Access-Control-Request-Method": "GET"}
        )
        assert (res.status, await res.text()) == (200, "hello")
        res = await client.get("/", headers={"Origin": "https://a.example"})
        assert res.headers["Access-Control-Allow-Origin"] == "https://a.example"
