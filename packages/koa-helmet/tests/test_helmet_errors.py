"""The security headers stay on the responses Koa makes from exceptions.

koa-helmet sets them on the response before downstream runs; Koa's error responder then
removes every header and applies only ``err.headers``, so a thrown 404 or a 500 goes out
without them (koa-helmet 9 on Koa 3.3, checked side by side). Here they are put in
``err.headers`` on the way out, which Koa's responder honours.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from koa.core import Context, HttpError, Koa, Next
from koa.core.testing import TestClient
from koa.helmet import content_security_policy, helmet, x_frame_options

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


def raising(error: BaseException) -> Any:
    async def fail(ctx: Context, next: Next) -> None:
        ctx.set("X-Before", "dropped by Koa's error responder")
        raise error

    return fail


def names(res: Any) -> list[str]:
    return [name for name in res.headers if name not in ("Date", "Connection")]


async def test_a_thrown_404_keeps_every_header() -> None:
    app = Koa().use(helmet()).use(raising(HttpError(404)))
    async with TestClient(app) as client:
        res = await client.get("/missing")
        assert (res.status, await res.text()) == (404, "Not Found")
        assert names(res) == [*SECURITY, "Content-Type", "Content-Length"]
        assert res.headers["X-Frame-Options"] == "SAMEORIGIN"


async def test_a_500_keeps_every_header_and_hides_the_message() -> None:
    app = Koa(silent=True).use(helmet()).use(raising(RuntimeError("database password")))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert names(res) == [*SECURITY, "Content-Type", "Content-Length"]


async def test_the_errors_own_headers_win() -> None:
    err = HttpError(401, headers={"WWW-Authenticate": "Basic", "x-frame-options": "DENY"})
    app = Koa().use(helmet()).use(raising(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 401
        assert res.headers.getall("X-Frame-Options") == ["DENY"]
        assert res.headers["WWW-Authenticate"] == "Basic"
        assert res.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert "X-Before" not in res.headers


async def test_an_aiohttp_http_exception_keeps_them_too() -> None:
    app = Koa().use(x_frame_options(action="deny")).use(raising(web.HTTPForbidden()))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 403
        assert res.headers["X-Frame-Options"] == "DENY"


async def test_a_nonce_csp_on_an_error_response_is_this_requests() -> None:
    async def make_nonce(ctx: Context, next: Next) -> None:
        ctx.state["nonce"] = ctx.get("X-Test-Nonce")
        await next()

    csp = content_security_policy(
        use_defaults=False,
        directives={"default-src": "'self'", "script-src": [lambda ctx: ctx.state["nonce"]]},
    )

    async def missing(ctx: Context, next: Next) -> None:
        ctx.throw(404)  # a new error each time: its headers are this request's

    app = Koa().use(make_nonce).use(csp).use(missing)
    async with TestClient(app) as client:
        for n in ("'nonce-one'", "'nonce-two'"):
            res = await client.get("/", headers={"X-Test-Nonce": n})
            assert res.headers["Content-Security-Policy"] == f"default-src 'self';script-src {n}"


async def test_a_plain_404_without_a_body_has_them_as_any_response() -> None:
    async with TestClient(Koa().use(helmet())) as client:
        res = await client.get("/nothing")
        assert (res.status, await res.text()) == (404, "Not Found")
        assert names(res)[: len(SECURITY)] == SECURITY


async def test_downstream_may_override_a_header() -> None:
    async def embed_me(ctx: Context, next: Next) -> None:
        ctx.set("X-Frame-Options", "DENY")
        ctx.remove("Strict-Transport-Security")
        ctx.body = "ok"

    async with TestClient(Koa().use(helmet()).use(embed_me)) as client:
        res = await client.get("/")
        assert res.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in res.headers


async def test_headers_set_before_helmet_are_replaced_not_repeated() -> None:
    async def before(ctx: Context, next: Next) -> None:
        ctx.set("Referrer-Policy", "unsafe-url")
        ctx.set("X-Powered-By", "Koa")
        await next()

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "ok"

    async with TestClient(Koa().use(before).use(helmet()).use(hello)) as client:
        res = await client.get("/")
        assert res.headers.getall("Referrer-Policy") == ["no-referrer"]
        assert "X-Powered-By" not in res.headers
