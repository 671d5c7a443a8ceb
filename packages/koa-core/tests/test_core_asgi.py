"""A Koa app as an ASGI 3 application, on uvicorn over 127.0.0.1: lifespan, ``ctx.respond =
False`` with the raw ``send``, the ``websocket`` scope, ``ctx.request.http_version``, and what
uvicorn answers itself. The behaviour shared with aiohttp is tested by every ``TestClient``
test of koa-core, which runs on both back ends (see the root ``conftest.py``)."""

from __future__ import annotations

import gc
import logging
from typing import Any, cast

import pytest
from koa.core import Context, Koa, Next, StartupError
from koa.core.backends.asgi import AsgiRequest
from koa.core.headers import HeadCache
from koa.core.testing import TestClient

#: These tests pick their back end themselves.
KOA_BACKENDS = ("uvicorn",)


async def test_lifespan_runs_the_hooks_once_and_shutdown_after_the_last_request() -> None:
    app = Koa()
    calls: list[str] = []
    app.on("startup", lambda app: calls.append("startup"))
    app.on("shutdown", lambda app: calls.append("shutdown"))

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = calls[:]

    app.use(hello)
    async with TestClient(app, backend="uvicorn") as client:
        assert await (await client.get("/")).json() == ["startup"]
        assert await (await client.get("/")).json() == ["startup"]
    assert calls == ["startup", "shutdown"]


async def test_a_failing_startup_is_reported_to_the_server_with_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Koa()
    shut: list[bool] = []

    def broken(app: Koa) -> None:
        raise RuntimeError("no database")

    app.on("startup", broken).on("shutdown", lambda app: shut.append(True))
    with caplog.at_level(logging.ERROR), pytest.raises(StartupError):
        async with TestClient(app, backend="uvicorn"):
            pass  # pragma: no cover - never served
    # uvicorn logs the message of lifespan.startup.failed, and serves nothing.
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("uvicorn")]
    assert any("startup hook" in m and "no database" in m for m in messages), messages
    assert shut == []


async def test_respond_false_hands_the_raw_asgi_send_to_the_app() -> None:
    app = Koa()

    async def raw(ctx: Context, next: Next) -> None:
        ctx.respond = False
        scope, _receive, send = cast(AsgiRequest, ctx.req)
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 299, "headers": [(b"x-raw", b"1")]})
        await send({"type": "http.response.body", "body": b"raw " + scope["path"].encode()})

    app.use(raw)
    async with TestClient(app, backend="uvicorn") as client:
        res = await client.get("/here")
        assert (res.status, res.headers["X-Raw"], await res.text()) == (299, "1", "raw /here")
        assert (await client.get("/again")).status == 299  # the connection is still usable


async def test_http_version_says_1_1_and_1_0() -> None:
    app = Koa()

    async def version(ctx: Context, next: Next) -> None:
        ctx.body = ctx.request.http_version

    app.use(version)
    async with TestClient(app, backend="uvicorn") as client:
        assert await (await client.get("/")).text() == "1.1"
        reply = await client.raw(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        assert reply.endswith(b"\r\n\r\n1.0")


async def test_a_websocket_scope_nothing_accepts_is_refused_with_the_apps_status() -> None:
    # No middleware accepts the upgrade: Koa's 404 refuses it (websocket.http.response where
    # the server offers it, else websocket.close, which the server answers 403).
    app = Koa()
    app.use(lambda ctx, next: next())
    async with TestClient(app, backend="uvicorn", ws="wsproto") as client:
        reply = await client.raw(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    assert reply.startswith((b"HTTP/1.1 404 ", b"HTTP/1.1 403 ")), reply[:100]
    assert b"\r\n\r\n" in reply


@pytest.mark.parametrize(
    "raw",
    [
        b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
        b"GET /\x01<script> HTTP/1.1\r\nHost: a\r\n\r\n",
    ],
)
async def test_what_uvicorn_cannot_parse_it_answers_400_itself(raw: bytes) -> None:
    ran: list[Any] = []
    app = Koa()
    app.use(lambda ctx, next: ran.append(ctx.url))
    async with TestClient(app, backend="uvicorn") as client:
        reply = await client.raw(raw)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply[:100]
    assert b"Traceback" not in reply
    assert b"script" not in reply
    assert ran == []


async def test_an_option_uvicorn_does_not_know_is_a_type_error_and_leaks_no_socket() -> None:
    # aiohttp's options (request_timeout) are not uvicorn's; the listening socket must not be
    # left open behind the error (an unclosed socket is a ResourceWarning, an error here).
    with pytest.raises(TypeError, match="request_timeout"):
        async with TestClient(Koa(), backend="uvicorn", request_timeout=1.0):
            pass
    gc.collect()


async def test_cookies_and_credentials_are_never_kept_in_the_line_tables() -> None:
    from koa.core.backends import asgi

    async def handler(ctx: Context, next: Next) -> None:
        ctx.response.headers["Set-Cookie"] = "sid=secret-sent; path=/"
        ctx.body = {"cookie": ctx.get("Cookie"), "auth": ctx.get("Authorization")}

    app = Koa().use(handler)
    async with TestClient(app, backend="uvicorn") as client:
        for _ in range(3):  # what is seen again is otherwise kept
            res = await client.get(
                "/", headers={"Cookie": "sid=secret-got", "Authorization": "Basic c2VjcmV0"}
            )
            assert await res.json() == {"cookie": "sid=secret-got", "auth": "Basic c2VjcmV0"}
            assert res.headers["Set-Cookie"] == "sid=secret-sent; path=/"
    heads = [entry for entries in asgi._HEADS.shapes.values() for entry in entries]
    kept = repr([*asgi._LINES.items(), *asgi._ENCODED.items(), *heads])
    assert "accept" in kept.lower()  # the other lines are kept
    assert "secret" not in kept
    assert "c2VjcmV0" not in kept


async def test_heads_sent_again_keep_their_own_order_case_and_bytes() -> None:
    from koa.core.backends import asgi

    async def handler(ctx: Context, next: Next) -> None:
        n = int(ctx.path[1:])
        # The same field in two spellings, alternately, then in another order: each response
        # sends its own, though the head cache compares names without case.
        name = "x-case" if n % 2 else "X-Case"
        if n < 6:
            ctx.set(name, "one")
            ctx.set("X-Other", "two")
        else:
            ctx.set("X-Other", "two")
            ctx.set(name, "one")
        ctx.body = "ok"

    async with TestClient(Koa().use(handler), backend="uvicorn") as client:
        for n in range(12):
            res = await client.get(f"/{n}")
            own = [
                b"%s: %s" % pair
                for pair in res.raw_headers
                if pair[0].lower() in (b"x-case", b"x-other")
            ]
            case = b"x-case: one" if n % 2 else b"X-Case: one"
            assert own == ([case, b"X-Other: two"] if n < 6 else [b"X-Other: two", case]), n
    assert any(len(entries) > 1 for entries in asgi._HEADS.shapes.values())
    assert all(len(entries) <= HeadCache.EACH for entries in asgi._HEADS.shapes.values())
