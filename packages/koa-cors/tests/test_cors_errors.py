"""Headers on the responses Koa makes from exceptions (``keep_headers_on_error``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from koa.core import Context, HttpError, Koa, Next
from koa.core.testing import TestClient
from koa.cors import cors

ORIGIN = "https://a.example"


def failing(error: BaseException) -> Any:
    async def fail(ctx: Context, next: Next) -> None:
        ctx.set("X-Lost", "set before the error")
        raise error

    return fail


def header_list(res: Any) -> list[tuple[str, str]]:
    """The headers as they came on the wire (names in their case), without Date."""
    return [
        (name.decode(), value.decode())
        for name, value in res.raw_headers
        if name.lower() not in (b"date", b"connection")
    ]


async def test_a_500_keeps_the_cors_headers_and_loses_the_others() -> None:
    app = Koa(silent=True).use(cors(origin=[ORIGIN], credentials=True, expose_headers="X-Id"))
    app.use(failing(RuntimeError("secret detail")))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": ORIGIN})
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert header_list(res) == [
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", "X-Id"),
            ("vary", "Origin"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "21"),
        ]


async def test_the_errors_own_headers_are_merged_ours_win_vary_is_joined() -> None:
    err = HttpError(
        429,
        "slow down",
        headers={"Retry-After": "5", "access-control-allow-origin": "https://x", "Vary": "Accept"},
    )
    app = Koa().use(cors(origin=ORIGIN)).use(failing(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (429, "slow down")
        assert header_list(res)[:3] == [
            ("Retry-After", "5"),
            ("Access-Control-Allow-Origin", ORIGIN),
            ("vary", "Accept, Origin"),
        ]


async def test_a_vary_star_on_the_error_stays_star() -> None:
    app = Koa().use(cors()).use(failing(HttpError(400, headers={"Vary": "*"})))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.headers.getall("Vary") == ["*"]


async def test_aiohttp_http_exceptions_keep_the_headers_too() -> None:
    # Their `headers` cannot be replaced; they are updated in place.
    app = Koa().use(cors(origin=ORIGIN)).use(failing(web.HTTPTooManyRequests()))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 429
        assert res.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert res.headers["Vary"] == "Origin"


async def test_keep_headers_on_error_false_drops_them_as_koa_does() -> None:
    app = Koa(silent=True).use(cors(keep_headers_on_error=False)).use(failing(RuntimeError()))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": ORIGIN})
        assert res.status == 500
        assert "Access-Control-Allow-Origin" not in res.headers
        assert "Vary" not in res.headers


async def test_vary_origin_stays_on_errors_of_requests_cors_does_not_annotate() -> None:
    # An origin that is not allowed, and an OPTIONS that is not a preflight: @koa/cors lets
    # Koa drop its Vary on these error responses; a shared cache could then serve one
    # origin's answer to another.
    app = Koa().use(cors(origin=[ORIGIN])).use(failing(HttpError(404)))
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Origin": "https://other.example"})
        assert (res.status, res.headers["Vary"]) == (404, "Origin")
        assert "Access-Control-Allow-Origin" not in res.headers
        res = await client.options("/", headers={"Origin": ORIGIN})
        assert (res.status, res.headers["Vary"]) == (404, "Origin")
        assert "Access-Control-Allow-Origin" not in res.headers


async def test_a_preflight_never_runs_downstream() -> None:
    ran: list[str] = []

    async def downstream(ctx: Context, next: Next) -> None:
        ran.append(ctx.method)
        raise RuntimeError("must not run")

    app = Koa().use(cors()).use(downstream)
    async with TestClient(app) as client:
        res = await client.options("/", headers={"Access-Control-Request-Method": "DELETE"})
        assert res.status == 204
        assert await res.read() == b""
    assert ran == []
