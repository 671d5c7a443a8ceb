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


# Lines that recur in the table below.
VARY = "Vary: Origin"
ANY = "Access-Control-Allow-Origin: *"
OK_ORIGIN = "Access-Control-Allow-Origin: https://ok.example"
CREDENTIALS = "Access-Control-Allow-Credentials: true"
METHODS = "Access-Control-Allow-Methods: GET,HEAD,PUT,POST,DELETE,PATCH"
VARY_ON_ERROR = "vary: Origin"  # lower-case: set on the error's headers
TEXT = "Content-Type: text/plain; charset=utf-8"
TEXT_OK = (TEXT, "Content-Length: 2")  # the body "ok"
OK = "Origin: https://ok.example"
OTHER = "Origin: https://other.example"
PREFLIGHT = f"{OK}\nAccess-Control-Request-Method: PUT"
PREFLIGHT_HEADERS = f"{PREFLIGHT}\nAccess-Control-Request-Headers: x-foo,content-type"
PREFLIGHT_PRIVATE = f"{PREFLIGHT}\nAccess-Control-Request-Private-Network: true"


def answer(status: str, *headers: str) -> str:
    """A response as ``exchange`` reports it: the status, then the header lines."""
    return "\n".join((status, *headers))


# (options, request, request headers, status and response headers, body)
CASES = [
    ("default", "GET /", "", answer("200 OK", VARY, ANY, *TEXT_OK), "ok"),
    ("default", "GET /", OK, answer("200 OK", VARY, ANY, *TEXT_OK), "ok"),
    (
        "default",
        "GET /",
        OTHER,
        answer("200 OK", VARY, ANY, *TEXT_OK),
        "ok",
    ),
    ("default", "GET /", "Origin: null", answer("200 OK", VARY, ANY, *TEXT_OK), "ok"),
    ("default", "HEAD /", OK, answer("200 OK", VARY, ANY, *TEXT_OK), ""),
    ("default", "POST /", OK, answer("200 OK", VARY, ANY, *TEXT_OK), "ok"),
    (
        "default",
        "GET /json",
        OK,
        answer(
            "200 OK",
            VARY,
            ANY,
            "Content-Type: application/json; charset=utf-8",
            "Content-Length: 11",
        ),
        '{"ok":true}',
    ),
    ("default", "OPTIONS /", OK, answer("200 OK", VARY, *TEXT_OK), "ok"),
    ("default", "OPTIONS /", "", answer("200 OK", VARY, *TEXT_OK), "ok"),
    ("default", "OPTIONS /", PREFLIGHT, answer("204 No Content", VARY, ANY, METHODS), ""),
    (
        "default",
        "OPTIONS /",
        "Access-Control-Request-Method: PUT",
        answer("204 No Content", VARY, ANY, METHODS),
        "",
    ),
    (
        "default",
        "OPTIONS /",
        PREFLIGHT_HEADERS,
        answer(
            "204 No Content", VARY, ANY, METHODS, "Access-Control-Allow-Headers: x-foo,content-type"
        ),
        "",
    ),
    (
        "default",
        "OPTIONS /",
        PREFLIGHT_PRIVATE,
        answer("204 No Content", VARY, ANY, METHODS),
        "",
    ),
    (
        "default",
        "OPTIONS /",
        f"{OTHER}\nAccess-Control-Request-Method: PUT",
        answer("204 No Content", VARY, ANY, METHODS),
        "",
    ),
    (
        "default",
        "GET /throw500",
        OK,
        answer("500 Internal Server Error", ANY, VARY_ON_ERROR, TEXT, "Content-Length: 21"),
        "Internal Server Error",
    ),
    (
        "default",
        "GET /throw404",
        OK,
        answer("404 Not Found", ANY, VARY_ON_ERROR, TEXT, "Content-Length: 9"),
        "Not Found",
    ),
    (
        "default",
        "GET /throw-headers",
        OK,
        answer(
            "400 Bad Request", "X-Err: 1", ANY, "vary: Accept, Origin", TEXT, "Content-Length: 3"
        ),
        "bad",
    ),
    (
        "default",
        "GET /throw-varystar",
        OK,
        answer("400 Bad Request", ANY, "vary: *", TEXT, "Content-Length: 3"),
        "bad",
    ),
    (
        "default",
        "GET /throw500",
        OTHER,
        answer("500 Internal Server Error", ANY, VARY_ON_ERROR, TEXT, "Content-Length: 21"),
        "Internal Server Error",
    ),
    (
        "default",
        "GET /vary",
        OK,
        answer("200 OK", "Vary: Origin, Accept-Encoding", ANY, *TEXT_OK),
        "ok",
    ),
    (
        "default",
        "GET /none",
        OK,
        answer("404 Not Found", VARY, ANY, TEXT, "Content-Length: 9"),
        "Not Found",
    ),
    ("fixed", "GET /", OK, answer("200 OK", VARY, OK_ORIGIN, *TEXT_OK), "ok"),
    (
        "fixed",
        "OPTIONS /",
        PREFLIGHT_HEADERS,
        answer(
            "204 No Content",
            VARY,
            OK_ORIGIN,
            METHODS,
            "Access-Control-Allow-Headers: x-foo,content-type",
        ),
        "",
    ),
    (
        "fixed",
        "GET /throw500",
        OK,
        answer("500 Internal Server Error", OK_ORIGIN, VARY_ON_ERROR, TEXT, "Content-Length: 21"),
        "Internal Server Error",
    ),
    ("fn_async", "GET /", OK, answer("200 OK", VARY, OK_ORIGIN, *TEXT_OK), "ok"),
    ("fn_async", "GET /", OTHER, answer("200 OK", VARY, *TEXT_OK), "ok"),
    ("fn_async", "OPTIONS /", PREFLIGHT, answer("204 No Content", VARY, OK_ORIGIN, METHODS), ""),
    (
        "fn_async",
        "OPTIONS /",
        f"{OTHER}\nAccess-Control-Request-Method: PUT",
        answer("200 OK", VARY, *TEXT_OK),
        "ok",
    ),
    (
        "fn_async",
        "GET /throw500",
        OK,
        answer("500 Internal Server Error", OK_ORIGIN, VARY_ON_ERROR, TEXT, "Content-Length: 21"),
        "Internal Server Error",
    ),
    ("creds_fixed", "GET /", "", answer("200 OK", VARY, OK_ORIGIN, CREDENTIALS, *TEXT_OK), "ok"),
    ("creds_fixed", "GET /", OK, answer("200 OK", VARY, OK_ORIGIN, CREDENTIALS, *TEXT_OK), "ok"),
    (
        "creds_fixed",
        "OPTIONS /",
        PREFLIGHT,
        answer("204 No Content", VARY, OK_ORIGIN, CREDENTIALS, METHODS),
        "",
    ),
    (
        "creds_fixed",
        "GET /throw-headers",
        OK,
        answer(
            "400 Bad Request",
            "X-Err: 1",
            OK_ORIGIN,
            CREDENTIALS,
            "vary: Accept, Origin",
            TEXT,
            "Content-Length: 3",
        ),
        "bad",
    ),
    ("creds_fn", "GET /", OK, answer("200 OK", VARY, OK_ORIGIN, CREDENTIALS, *TEXT_OK), "ok"),
    ("creds_fn", "GET /", OTHER, answer("200 OK", VARY, *TEXT_OK), "ok"),
    (
        "creds_fn",
        "GET /json",
        OK,
        answer(
            "200 OK",
            VARY,
            OK_ORIGIN,
            "Content-Type: application/json; charset=utf-8",
            "Content-Length: 11",
        ),
        '{"ok":true}',
    ),
    (
        "creds_fn",
        "OPTIONS /",
        PREFLIGHT,
        answer("204 No Content", VARY, OK_ORIGIN, CREDENTIALS, METHODS),
        "",
    ),
    (
        "full",
        "GET /",
        OK,
        answer(
            "200 OK",
            VARY,
            ANY,
            "Access-Control-Expose-Headers: X-Res,X-Other",
            "Cross-Origin-Opener-Policy: same-origin",
            "Cross-Origin-Embedder-Policy: require-corp",
            *TEXT_OK,
        ),
        "ok",
    ),
    (
        "full",
        "HEAD /",
        OK,
        answer(
            "200 OK",
            VARY,
            ANY,
            "Access-Control-Expose-Headers: X-Res,X-Other",
            "Cross-Origin-Opener-Policy: same-origin",
            "Cross-Origin-Embedder-Policy: require-corp",
            *TEXT_OK,
        ),
        "",
    ),
    (
        "full",
        "OPTIONS /",
        PREFLIGHT_HEADERS,
        answer(
            "204 No Content",
            VARY,
            ANY,
            "Access-Control-Max-Age: 600",
            "Access-Control-Allow-Methods: GET,POST",
            "Cross-Origin-Opener-Policy: same-origin",
            "Cross-Origin-Embedder-Policy: require-corp",
            "Access-Control-Allow-Headers: X-A,X-B",
        ),
        "",
    ),
    (
        "full",
        "OPTIONS /",
        PREFLIGHT_PRIVATE,
        answer(
            "204 No Content",
            VARY,
            ANY,
            "Access-Control-Max-Age: 600",
            "Access-Control-Allow-Private-Network: true",
            "Access-Control-Allow-Methods: GET,POST",
            "Cross-Origin-Opener-Policy: same-origin",
            "Cross-Origin-Embedder-Policy: require-corp",
            "Access-Control-Allow-Headers: X-A,X-B",
        ),
        "",
    ),
    (
        "full",
        "GET /throw-varystar",
        OK,
        answer(
            "400 Bad Request",
            ANY,
            "Access-Control-Expose-Headers: X-Res,X-Other",
            "Cross-Origin-Opener-Policy: same-origin",
            "Cross-Origin-Embedder-Policy: require-corp",
            "vary: *",
            TEXT,
            "Content-Length: 3",
        ),
        "bad",
    ),
    (
        "strings",
        "GET /",
        OK,
        answer("200 OK", VARY, ANY, "Access-Control-Expose-Headers: X-Res", *TEXT_OK),
        "ok",
    ),
    (
        "strings",
        "OPTIONS /",
        PREFLIGHT_HEADERS,
        answer(
            "204 No Content",
            VARY,
            ANY,
            "Access-Control-Max-Age: 5",
            "Access-Control-Allow-Methods: GET,PUT",
            "Access-Control-Allow-Headers: X-A",
        ),
        "",
    ),
    ("nokeep", "GET /", OK, answer("200 OK", VARY, ANY, *TEXT_OK), "ok"),
    (
        "nokeep",
        "GET /throw500",
        OK,
        answer("500 Internal Server Error", TEXT, "Content-Length: 21"),
        "Internal Server Error",
    ),
    (
        "nokeep",
        "GET /throw404",
        OK,
        answer("404 Not Found", TEXT, "Content-Length: 9"),
        "Not Found",
    ),
    (
        "nokeep",
        "GET /throw-headers",
        OK,
        answer("400 Bad Request", "X-Err: 1", "Vary: Accept", TEXT, "Content-Length: 3"),
        "bad",
    ),
    (
        "no_methods",
        "OPTIONS /",
        PREFLIGHT_HEADERS,
        answer("204 No Content", VARY, ANY, "Access-Control-Allow-Headers: x-foo,content-type"),
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
