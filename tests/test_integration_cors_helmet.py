"""koa-cors in front of koa-router's allowed_methods(), and inside koa-mount, with koa-helmet.

The router cases are pinned from @koa/cors 5 + @koa/router 15 on Koa 3.3, run side by side
with the same requests. In the mount cases helmet's headers stay on error responses, which
koa-helmet loses (the rest is as koa-mount 4 sends it).
"""

from __future__ import annotations

import gzip
import json

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.cors import cors
from koa.helmet import helmet
from koa.mount import mount
from koa.router import Router

OK = "https://ok.example"
SECURITY = [
    "Content-Security-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
    "Origin-Agent-Cluster",
    "Referrer-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-DNS-Prefetch-Control",
    "X-Download-Options",
    "X-Frame-Options",
    "X-Permitted-Cross-Domain-Policies",
    "X-XSS-Protection",
]


def router_app() -> Koa:
    router = Router()

    @router.get("/users")
    async def users(ctx: Context, next: Next) -> None:
        ctx.body = ["a"]

    @router.post("/users")
    async def create(ctx: Context, next: Next) -> None:
        ctx.status = 201
        ctx.body = {"id": 1}

    @router.get("/users/:id")
    async def show(ctx: Context, next: Next) -> None:
        if ctx.params["id"] == "7":
            ctx.throw(404, "no user")
        ctx.body = {"id": ctx.params["id"]}

    app = Koa().use(cors(origin=OK, credentials=True, expose_headers="Location"))
    return app.use(router.routes()).use(router.allowed_methods())


async def exchange(client: TestClient, request: str, headers: str) -> tuple[str, str]:
    method, path = request.split(" ")
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *filter(None, headers.split("\n"))]
    if method in ("POST", "PATCH"):
        lines.append("Content-Length: 0")
    data = await client.raw(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
    head, _, body = data.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    kept = [f for f in fields if not f.lower().startswith(("date:", "connection:"))]
    return "\n".join([status.split(" ", 1)[1], *kept]), body.decode()


# (request, request headers, status and response headers, body), as @koa/cors + @koa/router.
ROUTER_CASES = [
    (
        "GET /users",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "Content-Type: application/json; charset=utf-8\n"
        "Content-Length: 5",
        '["a"]',
    ),
    (
        "OPTIONS /users",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: POST\n"
        "Access-Control-Request-Headers: content-type",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH\n"
        "Access-Control-Allow-Headers: content-type",
        "",
    ),
    (
        "OPTIONS /users",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 0\n"
        "Allow: HEAD, GET, POST",
        "",
    ),
    (
        "OPTIONS /users",
        "",
        "200 OK\n"
        "Vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 0\n"
        "Allow: HEAD, GET, POST",
        "",
    ),
    (
        "OPTIONS /nowhere",
        "Origin: https://ok.example\nAccess-Control-Request-Method: POST",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "DELETE /users",
        "Origin: https://ok.example",
        "405 Method Not Allowed\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "Allow: HEAD, GET, POST\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 18",
        "Method Not Allowed",
    ),
    (
        "PATCH /users",
        "Origin: https://ok.example",
        "405 Method Not Allowed\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "Allow: HEAD, GET, POST\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 18",
        "Method Not Allowed",
    ),
    (
        "GET /users/7",
        "Origin: https://ok.example",
        "404 Not Found\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 7",
        "no user",
    ),
    (
        "GET /users/1",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "Content-Type: application/json; charset=utf-8\n"
        "Content-Length: 10",
        '{"id":"1"}',
    ),
    (
        "POST /users",
        "Origin: https://ok.example",
        "201 Created\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "Content-Type: application/json; charset=utf-8\n"
        "Content-Length: 8",
        '{"id":1}',
    ),
    (
        "GET /nowhere",
        "Origin: https://ok.example",
        "404 Not Found\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Expose-Headers: Location\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 9",
        "Not Found",
    ),
]


@pytest.mark.parametrize(("request_line", "headers", "response", "body"), ROUTER_CASES)
async def test_cors_with_the_router_sends_what_koa_sends(
    request_line: str, headers: str, response: str, body: str
) -> None:
    async with TestClient(router_app()) as client:
        assert await exchange(client, request_line, headers) == (response, body)


async def downstream(ctx: Context, next: Next) -> None:
    if ctx.path == "/throw500":
        raise RuntimeError("boom")
    if ctx.path == "/throw404":
        ctx.throw(404)
    ctx.body = "ok"


def mounted_app() -> Koa:
    """cors on the mounted API only, helmet on the whole app."""
    api = Koa().use(cors(origin=[OK])).use(downstream)
    return Koa(silent=True).use(helmet()).use(mount("/api", api)).use(downstream)


async def test_inside_a_mount_only_the_api_gets_cors_headers() -> None:
    async with TestClient(mounted_app()) as client:
        res = await client.get("/api/x", headers={"Origin": OK})
        assert res.headers["Access-Control-Allow-Origin"] == OK
        assert res.headers["Vary"] == "Origin"
        assert [name for name in res.headers][: len(SECURITY)] == SECURITY
        res = await client.get("/outside", headers={"Origin": OK})
        assert "Access-Control-Allow-Origin" not in res.headers
        assert "Vary" not in res.headers
        assert res.headers["X-Frame-Options"] == "SAMEORIGIN"


async def test_a_preflight_into_the_mount_is_answered_there() -> None:
    async with TestClient(mounted_app()) as client:
        res = await client.options(
            "/api/x", headers={"Origin": OK, "Access-Control-Request-Method": "PUT"}
        )
        assert res.status == 204
        assert res.headers["Access-Control-Allow-Origin"] == OK
        assert res.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,POST,DELETE,PATCH"
        res = await client.options(
            "/other", headers={"Origin": OK, "Access-Control-Request-Method": "PUT"}
        )
        assert (res.status, await res.text()) == (200, "ok")


@pytest.mark.parametrize(("path", "status"), [("/api/throw500", 500), ("/api/throw404", 404)])
async def test_errors_in_the_mount_keep_both_packages_headers(path: str, status: int) -> None:
    async with TestClient(mounted_app()) as client:
        res = await client.get(path, headers={"Origin": OK})
        assert res.status == status
        names = [name for name in res.headers if name not in ("Date", "Connection")]
        assert names == [
            *SECURITY,
            "Access-Control-Allow-Origin",
            "Vary",
            "Content-Type",
            "Content-Length",
        ]
        assert res.headers["Access-Control-Allow-Origin"] == OK


@pytest.mark.parametrize("order", ["hooks first", "after a coroutine"])
async def test_the_four_hook_middleware_together_in_one_app(order: str) -> None:
    # helmet(), cors(), session() and compress() are hook middleware: first in the app they
    # run in its own coroutine, behind a coroutine middleware in one they share. Either way
    # each does what it does alone, and a middleware that took the response's headers
    # before them sees its changes sent (they never replace the mapping).
    from koa.compress import compress
    from koa.session import session

    app = Koa(keys=["test key"])
    app.silent = True  # the 500 below is expected
    events: list[str] = []

    async def outer(ctx: Context, next: Next) -> None:
        headers = ctx.response.headers
        events.append("outer in")
        await next()
        headers["X-Outer"] = "kept"
        events.append("outer out")

    if order == "after a coroutine":
        app.use(outer)
    app.use(helmet()).use(cors(origin=[OK])).use(session(app)).use(compress(threshold=0))
    if order == "hooks first":
        app.use(outer)

    @app.use
    async def count(ctx: Context, next: Next) -> None:
        if ctx.path == "/boom":
            raise RuntimeError("hidden")
        ctx.session["n"] = ctx.session.get("n", 0) + 1
        ctx.body = {"n": ctx.session["n"], "pad": "x" * 100}

    async with TestClient(app) as client:
        first = await client.get("/", headers={"Origin": OK, "Accept-Encoding": "gzip"})
        assert first.status == 200
        assert first.headers["Content-Encoding"] == "gzip"
        assert first.headers["Vary"] == "Origin, Accept-Encoding"
        assert first.headers["Access-Control-Allow-Origin"] == OK
        assert first.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert first.headers["X-Outer"] == "kept"
        assert json.loads(gzip.decompress(await first.read()))["n"] == 1
        cookie = "; ".join(
            line.split(";")[0] for line in first.headers.getall("Set-Cookie")
        )  # koa.sess and its signature
        second = await client.get("/", headers={"Accept-Encoding": "identity", "Cookie": cookie})
        assert (await second.json())["n"] == 2  # the session cookie came back
        assert "Access-Control-Allow-Origin" not in second.headers
        failed = await client.get("/boom", headers={"Origin": OK})
        assert (failed.status, await failed.text()) == (500, "Internal Server Error")
        assert failed.headers["Access-Control-Allow-Origin"] == OK
        assert failed.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert events == ["outer in", "outer out", "outer in", "outer out", "outer in"]
