"""Bytes @koa/cors 5.0.0 on Koa 3.3.0 sent for the same requests on 127.0.0.1, pinned.

Found by running both side by side (same app, same raw requests, `Date` and `Connection` left
out). Two deliberate differences are tested elsewhere: a request's
`Access-Control-Request-Headers` is only sent back when it is a list of header names
(test_cors_safety.py), and `max_age=0` is sent (test_cors_options.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.cors import cors


async def downstream(ctx: Context, next: Next) -> None:
    """What the apps behind @koa/cors did, path by path."""
    path = ctx.path
    if path == "/throw500":
        raise RuntimeError("boom")
    if path == "/throw404":
        ctx.throw(404)
    if path == "/throw-headers":
        ctx.throw(400, "bad", headers={"X-Err": "1", "Vary": "Accept"})
    if path == "/throw-varystar":
        ctx.throw(400, "bad", headers={"Vary": "*"})
    if path == "/vary":
        ctx.vary("Accept-Encoding")
    if path == "/none":
        return
    ctx.body = {"ok": True} if path == "/json" else "ok"


def ok_origin(ctx: Context) -> str | None:
    origin = ctx.get("Origin")
    return origin if origin == "https://ok.example" else None


async def ok_origin_async(ctx: Context) -> str | None:
    return ok_origin(ctx)


OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "fixed": {"origin": "https://ok.example"},
    "fn_async": {"origin": ok_origin_async},
    "creds_fixed": {"origin": "https://ok.example", "credentials": True},
    "creds_fn": {"origin": ok_origin, "credentials": lambda ctx: ctx.path != "/json"},
    "full": {
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["X-A", "X-B"],
        "expose_headers": ["X-Res", "X-Other"],
        "max_age": 600,
        "private_network_access": True,
        "secure_context": True,
    },
    "strings": {
        "allow_methods": "GET,PUT",
        "allow_headers": "X-A",
        "expose_headers": "X-Res",
        "max_age": 5,
    },
    "nokeep": {"keep_headers_on_error": False},
    "no_methods": {"allow_methods": ""},
}

DROPPED = ("date:", "connection:", "keep-alive:")


async def exchange(client: TestClient, request: str, headers: str) -> tuple[str, str]:
    """The response (status and header lines as in the table, then the body) to a raw request."""
    method, path = request.split(" ")
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *filter(None, headers.split("\n"))]
    if method == "POST":
        lines.append("Content-Length: 0")
    data = await client.raw(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
    head, _, body = data.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    kept = [field for field in fields if not field.lower().startswith(DROPPED)]
    return "\n".join([status.split(" ", 1)[1], *kept]), body.decode()


# (options, request, request headers, status and response headers, body)
CASES = [
    (
        "default",
        "GET /",
        "",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "default",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "default",
        "GET /",
        "Origin: https://other.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "default",
        "GET /",
        "Origin: null",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "default",
        "HEAD /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "",
    ),
    (
        "default",
        "POST /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "default",
        "GET /json",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: application/json; charset=utf-8\n"
        "Content-Length: 11",
        '{"ok":true}',
    ),
    (
        "default",
        "OPTIONS /",
        "Origin: https://ok.example",
        "200 OK\nVary: Origin\nContent-Type: text/plain; charset=utf-8\nContent-Length: 2",
        "ok",
    ),
    (
        "default",
        "OPTIONS /",
        "",
        "200 OK\nVary: Origin\nContent-Type: text/plain; charset=utf-8\nContent-Length: 2",
        "ok",
    ),
    (
        "default",
        "OPTIONS /",
        "Origin: https://ok.example\nAccess-Control-Request-Method: PUT",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "default",
        "OPTIONS /",
        "Access-Control-Request-Method: PUT",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "default",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Headers: x-foo,content-type",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH\n"
        "Access-Control-Allow-Headers: x-foo,content-type",
        "",
    ),
    (
        "default",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Private-Network: true",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "default",
        "OPTIONS /",
        "Origin: https://other.example\nAccess-Control-Request-Method: PUT",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "default",
        "GET /throw500",
        "Origin: https://ok.example",
        "500 Internal Server Error\n"
        "Access-Control-Allow-Origin: *\n"
        "vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 21",
        "Internal Server Error",
    ),
    (
        "default",
        "GET /throw404",
        "Origin: https://ok.example",
        "404 Not Found\n"
        "Access-Control-Allow-Origin: *\n"
        "vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 9",
        "Not Found",
    ),
    (
        "default",
        "GET /throw-headers",
        "Origin: https://ok.example",
        "400 Bad Request\n"
        "X-Err: 1\n"
        "Access-Control-Allow-Origin: *\n"
        "vary: Accept, Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 3",
        "bad",
    ),
    (
        "default",
        "GET /throw-varystar",
        "Origin: https://ok.example",
        "400 Bad Request\n"
        "Access-Control-Allow-Origin: *\n"
        "vary: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 3",
        "bad",
    ),
    (
        "default",
        "GET /throw500",
        "Origin: https://other.example",
        "500 Internal Server Error\n"
        "Access-Control-Allow-Origin: *\n"
        "vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 21",
        "Internal Server Error",
    ),
    (
        "default",
        "GET /vary",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin, Accept-Encoding\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "default",
        "GET /none",
        "Origin: https://ok.example",
        "404 Not Found\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 9",
        "Not Found",
    ),
    (
        "fixed",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "fixed",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Headers: x-foo,content-type",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH\n"
        "Access-Control-Allow-Headers: x-foo,content-type",
        "",
    ),
    (
        "fixed",
        "GET /throw500",
        "Origin: https://ok.example",
        "500 Internal Server Error\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 21",
        "Internal Server Error",
    ),
    (
        "fn_async",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "fn_async",
        "GET /",
        "Origin: https://other.example",
        "200 OK\nVary: Origin\nContent-Type: text/plain; charset=utf-8\nContent-Length: 2",
        "ok",
    ),
    (
        "fn_async",
        "OPTIONS /",
        "Origin: https://ok.example\nAccess-Control-Request-Method: PUT",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "fn_async",
        "OPTIONS /",
        "Origin: https://other.example\nAccess-Control-Request-Method: PUT",
        "200 OK\nVary: Origin\nContent-Type: text/plain; charset=utf-8\nContent-Length: 2",
        "ok",
    ),
    (
        "fn_async",
        "GET /throw500",
        "Origin: https://ok.example",
        "500 Internal Server Error\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "vary: Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 21",
        "Internal Server Error",
    ),
    (
        "creds_fixed",
        "GET /",
        "",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "creds_fixed",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "creds_fixed",
        "OPTIONS /",
        "Origin: https://ok.example\nAccess-Control-Request-Method: PUT",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "creds_fixed",
        "GET /throw-headers",
        "Origin: https://ok.example",
        "400 Bad Request\n"
        "X-Err: 1\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "vary: Accept, Origin\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 3",
        "bad",
    ),
    (
        "creds_fn",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "creds_fn",
        "GET /",
        "Origin: https://other.example",
        "200 OK\nVary: Origin\nContent-Type: text/plain; charset=utf-8\nContent-Length: 2",
        "ok",
    ),
    (
        "creds_fn",
        "GET /json",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Content-Type: application/json; charset=utf-8\n"
        "Content-Length: 11",
        '{"ok":true}',
    ),
    (
        "creds_fn",
        "OPTIONS /",
        "Origin: https://ok.example\nAccess-Control-Request-Method: PUT",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: https://ok.example\n"
        "Access-Control-Allow-Credentials: true\n"
        "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH",
        "",
    ),
    (
        "full",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Expose-Headers: X-Res,X-Other\n"
        "Cross-Origin-Opener-Policy: same-origin\n"
        "Cross-Origin-Embedder-Policy: require-corp\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "full",
        "HEAD /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Expose-Headers: X-Res,X-Other\n"
        "Cross-Origin-Opener-Policy: same-origin\n"
        "Cross-Origin-Embedder-Policy: require-corp\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "",
    ),
    (
        "full",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Headers: x-foo,content-type",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Max-Age: 600\n"
        "Access-Control-Allow-Methods: GET,POST\n"
        "Cross-Origin-Opener-Policy: same-origin\n"
        "Cross-Origin-Embedder-Policy: require-corp\n"
        "Access-Control-Allow-Headers: X-A,X-B",
        "",
    ),
    (
        "full",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Private-Network: true",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Max-Age: 600\n"
        "Access-Control-Allow-Private-Network: true\n"
        "Access-Control-Allow-Methods: GET,POST\n"
        "Cross-Origin-Opener-Policy: same-origin\n"
        "Cross-Origin-Embedder-Policy: require-corp\n"
        "Access-Control-Allow-Headers: X-A,X-B",
        "",
    ),
    (
        "full",
        "GET /throw-varystar",
        "Origin: https://ok.example",
        "400 Bad Request\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Expose-Headers: X-Res,X-Other\n"
        "Cross-Origin-Opener-Policy: same-origin\n"
        "Cross-Origin-Embedder-Policy: require-corp\n"
        "vary: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 3",
        "bad",
    ),
    (
        "strings",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Expose-Headers: X-Res\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "strings",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Headers: x-foo,content-type",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Max-Age: 5\n"
        "Access-Control-Allow-Methods: GET,PUT\n"
        "Access-Control-Allow-Headers: X-A",
        "",
    ),
    (
        "nokeep",
        "GET /",
        "Origin: https://ok.example",
        "200 OK\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 2",
        "ok",
    ),
    (
        "nokeep",
        "GET /throw500",
        "Origin: https://ok.example",
        "500 Internal Server Error\nContent-Type: text/plain; charset=utf-8\nContent-Length: 21",
        "Internal Server Error",
    ),
    (
        "nokeep",
        "GET /throw404",
        "Origin: https://ok.example",
        "404 Not Found\nContent-Type: text/plain; charset=utf-8\nContent-Length: 9",
        "Not Found",
    ),
    (
        "nokeep",
        "GET /throw-headers",
        "Origin: https://ok.example",
        "400 Bad Request\n"
        "X-Err: 1\n"
        "Vary: Accept\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Length: 3",
        "bad",
    ),
    (
        "no_methods",
        "OPTIONS /",
        "Origin: https://ok.example\n"
        "Access-Control-Request-Method: PUT\n"
        "Access-Control-Request-Headers: x-foo,content-type",
        "204 No Content\n"
        "Vary: Origin\n"
        "Access-Control-Allow-Origin: *\n"
        "Access-Control-Allow-Headers: x-foo,content-type",
        "",
    ),
]


@pytest.mark.parametrize(("options", "request_line", "headers", "response", "body"), CASES)
async def test_same_bytes_as_koa_cors(
    options: str, request_line: str, headers: str, response: str, body: str
) -> None:
    app = Koa(silent=True).use(cors(**OPTIONS[options])).use(downstream)
    async with TestClient(app) as client:
        assert await exchange(client, request_line, headers) == (response, body)
