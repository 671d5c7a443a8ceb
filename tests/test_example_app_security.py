"""examples/app.py: helmet's headers on every response, CORS on the users API under /admin."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from koa.core.testing import TestClient
from yarl import URL

Loader = Callable[[str], ModuleType]

FRONT_END = "http://localhost:8080"
SECURITY = {
    "Content-Security-Policy": (
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
        "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
        "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Origin-Agent-Cluster": "?1",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-DNS-Prefetch-Control": "off",
    "X-Download-Options": "noopen",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies": "none",
    "X-XSS-Protection": "0",
}


@pytest.fixture
def example(load_example: Loader) -> ModuleType:
    return load_example("app.py")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/", None, 200),
        ("GET", "/admin/version", None, 200),
        ("GET", "/admin/users", None, 200),
        ("GET", "/admin/users/99", None, 404),  # thrown by ctx.assert_
        ("POST", "/admin/users", b'{"name":', 400),  # thrown by the body parser
        ("DELETE", "/admin/users", None, 405),
        ("GET", "/data/foo/bar.txt", None, 200),
        ("GET", "/data/../app.py", None, 403),  # thrown by koa-static
        ("GET", "/nowhere", None, 404),
    ],
)
async def test_every_response_has_the_security_headers(
    example: ModuleType, method: str, path: str, body: bytes | None, status: int
) -> None:
    headers = {"Content-Type": "application/json"} if body else {}
    async with TestClient(example.app) as client:
        # encoded=True: the path goes out as written, dot segments included
        url = URL(client.make_url(path), encoded=True)
        async with client.session.request(method, url, data=body, headers=headers) as res:
            assert res.status == status
            assert {name: res.headers.get(name) for name in SECURITY} == SECURITY


async def test_the_front_end_may_create_a_user_after_a_preflight(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.options(
            "/admin/users",
            headers={
                "Origin": FRONT_END,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert (res.status, await res.read()) == (204, b"")
        assert res.headers["Access-Control-Allow-Origin"] == FRONT_END
        assert res.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,POST,DELETE,PATCH"
        assert res.headers["Access-Control-Allow-Headers"] == "content-type"
        assert res.headers["Vary"] == "Accept-Encoding, Origin"  # koa-compress's, then koa-cors's

        res = await client.post("/admin/users", json={"name": "ada"}, headers={"Origin": FRONT_END})
        assert res.status == 201
        assert res.headers["Access-Control-Allow-Origin"] == FRONT_END
        assert res.headers["Access-Control-Expose-Headers"] == "Location"
        assert res.headers["Location"] == "/admin/users/3"


async def test_another_site_gets_the_data_but_its_scripts_cannot_read_it(
    example: ModuleType,
) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/admin/users/1", headers={"Origin": "https://evil.example"})
        assert res.status == 200
        assert "Access-Control-Allow-Origin" not in res.headers
        assert res.headers["Vary"] == "Accept-Encoding, Origin"
        res = await client.options(
            "/admin/users",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        # not a preflight it answers: the router's allowed_methods() does, without CORS headers
        assert (res.status, res.headers["Allow"]) == (200, "HEAD, GET, POST")
        assert "Access-Control-Allow-Origin" not in res.headers


async def test_api_errors_keep_the_cors_headers(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/admin/users/99", headers={"Origin": FRONT_END})
        assert (res.status, await res.text()) == (404, "out of range")
        assert res.headers["Access-Control-Allow-Origin"] == FRONT_END
        assert res.headers["Vary"] == "Origin"


async def test_only_the_users_api_speaks_cors(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        for path in ("/", "/admin/version", "/data/foo/bar.txt"):
            res = await client.get(path, headers={"Origin": FRONT_END})
            assert res.status == 200
            assert "Access-Control-Allow-Origin" not in res.headers, path
