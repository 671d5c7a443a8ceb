"""``origin=``: a list, a regex, a function; who gets ``Access-Control-Allow-Origin`` and who
does not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.cors import cors

APP = "https://app.example.com"
ADMIN = "https://admin.example.com:8443"
PREFLIGHT = {"Access-Control-Request-Method": "PUT"}


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = f"hello {ctx.method}"


def app_with(**options: Any) -> Koa:
    return Koa(silent=True).use(cors(**options)).use(hello)


@pytest.mark.parametrize("origin", [APP, ADMIN])
async def test_a_listed_origin_gets_its_own_origin_back(origin: str) -> None:
    async with TestClient(app_with(origin=[APP, ADMIN])) as client:
        res = await client.get("/", headers={"Origin": origin})
        assert res.status == 200
        assert res.headers["Access-Control-Allow-Origin"] == origin
        assert res.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in res.headers


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "https://app.example.com.evil.example",
        "http://app.example.com",  # another scheme is another origin
        "https://app.example.com:444",
        "null",
        "*",
        f"{APP}, {ADMIN}",
    ],
)
async def test_any_other_origin_gets_no_cors_headers_but_the_response(origin: str) -> None:
    async with TestClient(app_with(origin=[APP, ADMIN], credentials=True)) as client:
        res = await client.get("/", headers={"Origin": origin})
        assert (res.status, await res.text()) == (200, "hello GET")
        assert "Access-Control-Allow-Origin" not in res.headers
        assert "Access-Control-Allow-Credentials" not in res.headers
        assert res.headers["Vary"] == "Origin"


async def test_without_an_origin_header_a_list_sends_no_allow_origin() -> None:
    async with TestClient(app_with(origin=[APP])) as client:
        res = await client.get("/")
        assert "Access-Control-Allow-Origin" not in res.headers
        assert res.headers["Vary"] == "Origin"


async def test_listed_origins_are_compared_in_lower_case() -> None:
    async with TestClient(app_with(origin=["https://App.Example.com"])) as client:
        res = await client.get("/", headers={"Origin": APP})
        assert res.headers["Access-Control-Allow-Origin"] == APP


async def test_a_preflight_from_a_listed_origin_is_answered_204() -> None:
    async with TestClient(app_with(origin=[APP], credentials=True, max_age=60)) as client:
        res = await client.options("/", headers={"Origin": APP, **PREFLIGHT})
        assert res.status == 204
        # The server writes Date: aiohttp after the app's headers, uvicorn before them.
        assert [item for item in res.headers.items() if item[0].lower() != "date"][:5] == [
            ("Vary", "Origin"),
            ("Access-Control-Allow-Origin", APP),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Max-Age", "60"),
            ("Access-Control-Allow-Methods", "GET,HEAD,PUT,POST,DELETE,PATCH"),
        ]
        assert "Date" in res.headers


async def test_a_preflight_from_another_origin_goes_downstream() -> None:
    # As @koa/cors when its origin function returns nothing: the app answers the OPTIONS.
    async with TestClient(app_with(origin=[APP])) as client:
        res = await client.options("/", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert (res.status, await res.text()) == (200, "hello OPTIONS")
        assert "Access-Control-Allow-Origin" not in res.headers
        assert "Access-Control-Allow-Methods" not in res.headers


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://a.example.com", True),
        ("https://deep.a.example.com", True),
        ("https://example.com", False),
        ("https://a.example.com.evil.io", False),  # the whole Origin must match
        ("http://a.example.com", False),
    ],
)
async def test_a_regex_must_match_the_whole_origin(origin: str, allowed: bool) -> None:
    pattern = re.compile(r"https://([a-z0-9-]+\.)+example\.com")
    async with TestClient(app_with(origin=pattern, credentials=True)) as client:
        res = await client.get("/", headers={"Origin": origin})
        assert res.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        assert res.headers.get("Access-Control-Allow-Credentials") == ("true" if allowed else None)


async def test_a_function_decides_per_request_sync_or_async() -> None:
    def by_header(ctx: Context) -> str | None:
        return APP if ctx.get("X-Tenant") == "app" else None

    async def by_path(ctx: Context) -> str | None:
        return ADMIN if ctx.path.startswith("/admin") else ""

    async with TestClient(app_with(origin=by_header)) as client:
        res = await client.get("/", headers={"X-Tenant": "app"})
        assert res.headers["Access-Control-Allow-Origin"] == APP
        res = await client.get("/")
        assert "Access-Control-Allow-Origin" not in res.headers
    async with TestClient(app_with(origin=by_path)) as client:
        res = await client.get("/admin/x")
        assert res.headers["Access-Control-Allow-Origin"] == ADMIN
        res = await client.options("/x", headers=PREFLIGHT)
        assert (res.status, await res.text()) == (200, "hello OPTIONS")


async def test_credentials_function_sync_and_async() -> None:
    async def only_api(ctx: Context) -> bool:
        return ctx.path.startswith("/api")

    async with TestClient(app_with(origin=[APP], credentials=only_api)) as client:
        res = await client.get("/api/x", headers={"Origin": APP})
        assert res.headers["Access-Control-Allow-Credentials"] == "true"
        res = await client.get("/x", headers={"Origin": APP})
        assert "Access-Control-Allow-Credentials" not in res.headers
        assert res.headers["Access-Control-Allow-Origin"] == APP


async def test_a_function_returning_a_wildcard_never_gets_credentials() -> None:
    # @koa/cors turns '*' into the request's Origin when credentials are on: any site could
    # then read the user's data. Here '*' stays '*' and credentials are not announced.
    async with TestClient(app_with(origin=lambda ctx: "*", credentials=True)) as client:
        for origin in ("https://evil.example", "null"):
            res = await client.get("/", headers={"Origin": origin})
            assert res.headers["Access-Control-Allow-Origin"] == "*"
            assert "Access-Control-Allow-Credentials" not in res.headers
            res = await client.options("/", headers={"Origin": origin, **PREFLIGHT})
            assert res.status == 204
            assert res.headers["Access-Control-Allow-Origin"] == "*"
            assert "Access-Control-Allow-Credentials" not in res.headers


async def test_a_function_returning_something_else_than_a_string_is_a_500() -> None:
    seen: list[BaseException] = []
    app = Koa().use(cors(origin=lambda ctx: 42)).use(hello)  # type: ignore[arg-type, return-value]
    app.on("error", lambda err, ctx: seen.append(err))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": APP})
        assert (res.status, await res.text()) == (500, "Internal Server Error")
    assert isinstance(seen[0], TypeError)
    assert "cors(origin=...): the function returned int" in str(seen[0])
