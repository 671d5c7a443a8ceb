"""Options: how they are sent, and every bad one refused at construction, naming itself."""

from __future__ import annotations

import re
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.cors import DEFAULT_ALLOW_METHODS, cors

PREFLIGHT = {"Origin": "https://a.example", "Access-Control-Request-Method": "PUT"}


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "hello"


async def test_lists_are_joined_with_commas() -> None:
    app = Koa().use(
        cors(
            allow_methods=("GET", "POST"),
            allow_headers=["Content-Type", "X-Token"],
            expose_headers=["X-Total", "Link"],
        )
    )
    app.use(hello)
    async with TestClient(app) as client:
        res = await client.options("/", headers=PREFLIGHT)
        assert res.headers["Access-Control-Allow-Methods"] == "GET,POST"
        assert res.headers["Access-Control-Allow-Headers"] == "Content-Type,X-Token"
        assert "Access-Control-Expose-Headers" not in res.headers
        res = await client.get("/", headers={"Origin": "https://a.example"})
        assert res.headers["Access-Control-Expose-Headers"] == "X-Total,Link"
        assert "Access-Control-Allow-Methods" not in res.headers


async def test_allow_headers_given_is_sent_instead_of_what_the_request_asks() -> None:
    app = Koa().use(cors(allow_headers="X-A")).use(hello)
    async with TestClient(app) as client:
        res = await client.options(
            "/", headers={**PREFLIGHT, "Access-Control-Request-Headers": "x-b"}
        )
        assert res.headers["Access-Control-Allow-Headers"] == "X-A"


@pytest.mark.parametrize(("max_age", "sent"), [(0, "0"), (600, "600"), (None, None)])
async def test_max_age_in_seconds_on_preflights_only(max_age: int | None, sent: str | None) -> None:
    # @koa/cors leaves out a max age of 0; we send it (0 means "do not cache the preflight",
    # while no header means the browser's default of 5 seconds).
    app = Koa().use(cors(max_age=max_age)).use(hello)
    async with TestClient(app) as client:
        res = await client.options("/", headers=PREFLIGHT)
        assert res.headers.get("Access-Control-Max-Age") == sent
        res = await client.get("/", headers={"Origin": "https://a.example"})
        assert "Access-Control-Max-Age" not in res.headers


async def test_private_network_access_only_when_asked() -> None:
    app = Koa().use(cors(private_network_access=True)).use(hello)
    async with TestClient(app) as client:
        res = await client.options("/", headers=PREFLIGHT)
        assert "Access-Control-Allow-Private-Network" not in res.headers
        res = await client.options(
            "/", headers={**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}
        )
        assert res.headers["Access-Control-Allow-Private-Network"] == "true"


async def test_the_defaults() -> None:
    assert DEFAULT_ALLOW_METHODS == "GET,HEAD,PUT,POST,DELETE,PATCH"
    async with TestClient(Koa().use(cors()).use(hello)) as client:
        res = await client.options("/", headers=PREFLIGHT)
        assert res.status == 204
        names = [name for name in res.headers if name != "Date"]
        assert names == ["Vary", "Access-Control-Allow-Origin", "Access-Control-Allow-Methods"]
        assert res.headers["Access-Control-Allow-Methods"] == DEFAULT_ALLOW_METHODS


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"origin": 42}, TypeError, r"cors\(origin=\.\.\.\) takes"),
        ({"origin": b"https://a.example"}, TypeError, r"cors\(origin=\.\.\.\)"),
        ({"origin": ""}, ValueError, r"cors\(origin=''\)"),
        ({"origin": "https://a.example\r\nX-Evil: 1"}, ValueError, r"cors\(origin="),
        ({"origin": "https://a.example, https://b.example"}, ValueError, r"cors\(origin="),
        ({"origin": []}, ValueError, r"cors\(origin=\[\]\): the list .* is empty"),
        ({"origin": ["*"]}, ValueError, r"'\*' cannot be in a list"),
        ({"origin": ["null"]}, ValueError, r"'null' is the origin of sandboxed"),
        ({"origin": ["https://a.example/"]}, ValueError, r"is not an origin"),
        ({"origin": ["https://a.example/path"]}, ValueError, r"is not an origin"),
        ({"origin": ["a.example"]}, ValueError, r"is not an origin"),
        ({"origin": ["https://a.example\n"]}, ValueError, r"is not an origin"),
        ({"origin": ["https://user@a.example"]}, ValueError, r"is not an origin"),
        ({"origin": [42]}, TypeError, r"cors\(origin=\[\.\.\.\]\) takes origin strings"),
        ({"origin": re.compile(b"x")}, TypeError, r"needs a str pattern"),
        ({"allow_methods": 42}, TypeError, r"cors\(allow_methods=\.\.\.\)"),
        ({"allow_methods": ["GET", 1]}, TypeError, r"cors\(allow_methods=\.\.\.\)"),
        ({"allow_methods": "GET\r\nX-Evil: 1"}, ValueError, r"cors\(allow_methods="),
        ({"allow_methods": "GET POST"}, ValueError, r"cors\(allow_methods="),
        ({"allow_headers": "X-A\nX-B"}, ValueError, r"cors\(allow_headers="),
        ({"allow_headers": ["X-A", "X B"]}, ValueError, r"cors\(allow_headers="),
        ({"allow_headers": {"X-A": 1}}, TypeError, r"cors\(allow_headers=\.\.\.\)"),
        ({"expose_headers": "X-A\r"}, ValueError, r"cors\(expose_headers="),
        ({"expose_headers": "X-A;b"}, ValueError, r"cors\(expose_headers="),
        ({"max_age": "600"}, TypeError, r"cors\(max_age=\.\.\.\) takes whole seconds"),
        ({"max_age": 1.5}, TypeError, r"cors\(max_age=\.\.\.\)"),
        ({"max_age": True}, TypeError, r"cors\(max_age=\.\.\.\)"),
        ({"max_age": -1}, ValueError, r"cors\(max_age=-1\)"),
        ({"credentials": "yes"}, TypeError, r"cors\(credentials=\.\.\.\)"),
        ({"keep_headers_on_error": 1}, TypeError, r"cors\(keep_headers_on_error=\.\.\.\)"),
        ({"secure_context": "no"}, TypeError, r"cors\(secure_context=\.\.\.\)"),
        ({"private_network_access": None}, TypeError, r"cors\(private_network_access"),
    ],
)
def test_bad_options_are_refused_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        cors(**options)


def test_unknown_options_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="allowMethods"):
        cors(allowMethods="GET")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        cors("*")  # type: ignore[call-arg]
