"""The security list: each case over a real socket, as a client or an attacker sees it."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from koa.core import Context, HttpError, Koa, Next
from koa.core.testing import TestClient, TestResponse
from koa.session import MemoryStore, SessionStore, session
from koa.session.options import MaxAge


def set_cookies(res: TestResponse) -> list[str]:
    return res.headers.getall("Set-Cookie", [])


def jar(res: TestResponse) -> dict[str, str]:
    """The Cookie header a browser would send back after ``res``."""
    pairs = [line.split(";")[0] for line in set_cookies(res)]
    return {"Cookie": "; ".join(pair for pair in pairs if pair.split("=", 1)[1])}


def counter_app(**options: Any) -> Koa[Any]:
    app = Koa(keys=["secret"])
    app.use(session(app, **options))

    @app.use
    async def count(ctx: Context, next: Next) -> None:
        await ctx.session.load()
        ctx.session["n"] = ctx.session.get("n", 0) + 1
        ctx.body = {"n": ctx.session["n"], "id": ctx.session.external_key}

    return app


def errors_of(app: Koa[Any]) -> list[BaseException]:
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))
    return seen


async def test_a_tampered_value_gives_a_new_empty_session() -> None:
    app = counter_app()
    async with TestClient(app) as client:
        first = await client.get("/")
        cookie = jar(first)["Cookie"]
        forged_data = base64.b64encode(json.dumps({"n": 1000}).encode()).decode()
        value = cookie.split(";")[0].removeprefix("koa.sess=")
        forged = cookie.replace(value, forged_data)
        res = await client.get("/", headers={"Cookie": forged})
        assert (res.status, await res.json()) == (200, {"n": 1, "id": None})


async def test_a_tampered_signature_gives_a_new_empty_session() -> None:
    app = counter_app()
    async with TestClient(app) as client:
        first = await client.get("/")
        second = await client.get("/", headers=jar(first))
        assert await second.json() == {"n": 2, "id": None}
        cookie = jar(second)["Cookie"]
        res = await client.get("/", headers={"Cookie": cookie[:-2] + "xx"})
        assert (res.status, await res.json()) == (200, {"n": 1, "id": None})


async def test_garbage_in_an_unsigned_cookie_gives_a_new_session() -> None:
    app = counter_app(signed=False)
    async with TestClient(app) as client:
        for value in ("%%%", "bm90IGpzb24=", "WzEsMl0=", "W1tbW1tb" * 300, "eyJfZXhwaXJlIjoi"):
            res = await client.get("/", headers={"Cookie": f"koa.sess={value}"})
            assert (res.status, await res.json()) == (200, {"n": 1, "id": None}), value


async def test_signed_without_keys_is_a_clear_error_at_the_first_request() -> None:
    app = Koa()
    app.use(session(app))  # keys may still be set before serving, so this is allowed
    app.use(lambda ctx, next: setattr(ctx, "body", "untouched"))
    seen = errors_of(app)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
    assert len(seen) == 1
    assert "app.keys" in str(seen[0])
    assert "signed=False" in str(seen[0])


async def test_an_expired_store_entry_gives_a_new_session() -> None:
    store = MemoryStore()
    app = counter_app(store=store)
    async with TestClient(app) as client:
        first = await client.get("/")
        old_id = (await first.json())["id"]
        expired = {"n": 41, "_expire": 1_000_000_000_000, "_maxAge": 1000}
        await store.set(old_id, expired, 60, rolling=False, changed=True, ctx=None)  # type: ignore[arg-type]
        res = await client.get("/", headers=jar(first))
        body = await res.json()
    assert body["n"] == 1
    assert body["id"] != old_id


async def test_regenerate_destroys_the_old_store_key() -> None:
    store = MemoryStore()
    app = Koa(keys=["secret"])
    app.use(session(app, store=store))

    @app.use
    async def login(ctx: Context, next: Next) -> None:
        sess = await ctx.session.load()
        if ctx.path == "/login":
            await sess.regenerate()
            sess["user"] = "tobi"
        else:
            sess["cart"] = 1
        ctx.body = {"id": sess.external_key, "data": dict(sess)}

    async with TestClient(app) as client:
        anonymous = await client.get("/")
        old_id = (await anonymous.json())["id"]
        assert await store.get(old_id, 60, rolling=False, ctx=None) is not None  # type: ignore[arg-type]
        res = await client.get("/login", headers=jar(anonymous))
        body = await res.json()
        assert body["data"] == {"cart": 1, "user": "tobi"}  # the data moves to the new id
        assert body["id"] != old_id
        assert await store.get(old_id, 60, rolling=False, ctx=None) is None  # type: ignore[arg-type]
        stored = await store.get(body["id"], 60, rolling=False, ctx=None)  # type: ignore[arg-type]
        assert stored is not None
        assert stored["user"] == "tobi"
        # the old id, replayed by whoever planted it, is not the logged-in session
        replay = await client.get("/", headers=jar(anonymous))
        assert (await replay.json())["data"] == {"cart": 1}
        assert (await replay.json())["id"] not in (old_id, body["id"])


def _sig(app: Koa[Any], session_id: str) -> str:
    assert app.keys is not None
    return f"koa.sess.sig={app.keys.sign(f'koa.sess={session_id}')}"


async def test_an_unknown_session_id_from_the_client_is_never_adopted() -> None:
    store = MemoryStore()
    app = counter_app(store=store, signed=False)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": "koa.sess=koa:sess:chosen-by-attacker"})
        body = await res.json()
    assert body["n"] == 1
    assert body["id"] != "koa:sess:chosen-by-attacker"
    assert set_cookies(res)[0].startswith(f"koa.sess={body['id']};")
    assert await store.get("koa:sess:chosen-by-attacker", 60, rolling=False, ctx=None) is None  # type: ignore[arg-type]


async def test_a_session_set_before_reading_gets_its_own_id() -> None:
    store = MemoryStore()
    app = Koa(keys=["secret"])
    app.use(session(app, store=store, signed=False))

    @app.use
    async def replace(ctx: Context, next: Next) -> None:
        ctx.session = {"user": "tobi"}  # not read first: the client's id is not trusted
        ctx.body = "ok"

    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": "koa.sess=koa:sess:planted"})
    line = set_cookies(res)[0]
    assert not line.startswith("koa.sess=koa:sess:planted;")
    assert await store.get("koa:sess:planted", 60, rolling=False, ctx=None) is None  # type: ignore[arg-type]


async def test_a_cookie_over_4096_bytes_is_an_error_that_says_to_use_a_store() -> None:
    app = Koa(keys=["secret"])
    app.use(session(app))
    seen = errors_of(app)

    @app.use
    async def big(ctx: Context, next: Next) -> None:
        ctx.session["blob"] = "x" * 3100  # base64 makes it over 4096 bytes
        ctx.body = "saved?"

    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert set_cookies(res) == []
    assert len(seen) == 1
    assert "4096" in str(seen[0])
    assert "store" in str(seen[0])


async def test_the_limit_counts_name_and_value() -> None:
    app = Koa(keys=["secret"])
    app.use(session(app, max_age="session"))

    @app.use
    async def fits(ctx: Context, next: Next) -> None:
        # "koa.sess=" + base64 of {"blob":"x...","_session":true}: 9 + 4 * ceil((n + 27) / 3)
        ctx.session["blob"] = "x" * int(ctx.query["n"])
        ctx.body = "ok"

    async with TestClient(app) as client:
        res = await client.get("/?n=3036")
        assert res.status == 200
        assert len(set_cookies(res)[0].split(";")[0]) == 4093
        res = await client.get("/?n=3039")  # 4097 bytes
        assert res.status == 500
        assert set_cookies(res) == []


async def test_the_session_is_committed_before_flush_headers() -> None:
    for store in (None, MemoryStore()):
        app = Koa(keys=["secret"])
        app.use(session(app, store=store))

        @app.use
        async def early(ctx: Context, next: Next) -> None:
            await ctx.session.load()
            ctx.session["user"] = "tobi"
            ctx.status = 200
            await ctx.flush_headers()
            ctx.body = "streamed after the headers"

        async with TestClient(app) as client:
            res = await client.get("/")
            assert (res.status, await res.text()) == (200, "streamed after the headers")
            assert [line.split("=")[0] for line in set_cookies(res)] == ["koa.sess", "koa.sess.sig"]
            again = await client.get("/", headers=jar(res))
            assert again.status == 200


async def test_the_session_is_committed_before_a_streamed_body() -> None:
    app = Koa(keys=["secret"])
    app.use(session(app))

    async def chunks() -> AsyncIterator[bytes]:
        yield b"one "
        await asyncio.sleep(0)
        yield b"two"

    @app.use
    async def stream(ctx: Context, next: Next) -> None:
        ctx.session["user"] = "tobi"
        ctx.body = chunks()

    async with TestClient(app) as client:
        res = await client.get("/")
    assert (res.status, await res.text()) == (200, "one two")
    assert res.headers["Transfer-Encoding"] == "chunked"
    assert set_cookies(res)[0].startswith("koa.sess=")


async def test_a_change_after_flush_headers_is_an_error_not_a_silent_loss() -> None:
    app = Koa(keys=["secret"])
    app.use(session(app))
    seen = errors_of(app)

    @app.use
    async def late(ctx: Context, next: Next) -> None:
        ctx.session["a"] = 1
        ctx.status = 200
        await ctx.flush_headers()
        ctx.session["b"] = 2  # the cookie already left
        ctx.body = "body"

    async with TestClient(app) as client:
        # the headers were gone before the error: the response is cut short
        with pytest.raises(aiohttp.ClientPayloadError):
            await client.get("/")
    assert len(seen) == 1
    assert "after the response headers were sent" in str(seen[0])


class DownStore:
    """A store whose backend is unreachable."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[str] = []

    async def get(self, key: str, max_age: MaxAge, *, rolling: bool, ctx: Context) -> None:
        self.calls.append("get")
        raise self.error

    async def set(
        self, key: str, session: dict[str, Any], max_age: MaxAge, *, rolling: bool,
        changed: bool, ctx: Context,
    ) -> None:  # fmt: skip
        self.calls.append("set")
        raise self.error

    async def destroy(self, key: str, *, ctx: Context) -> None:
        self.calls.append("destroy")
        raise self.error


async def test_a_store_that_is_down_gives_500_and_reaches_the_error_listener() -> None:
    store = DownStore(ConnectionError("store unreachable"))
    checked: SessionStore = store
    app = counter_app(store=checked)
    seen = errors_of(app)
    async with TestClient(app) as client:
        res = await client.get(
            "/", headers={"Cookie": "koa.sess=koa:sess:x; " + _sig(app, "koa:sess:x")}
        )
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        # no cookie: a new session: the write fails, and the 200 is not sent
        res = await client.get("/")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert set_cookies(res) == []
    assert store.calls == ["get", "set"]
    assert [str(err) for err in seen] == ["store unreachable", "store unreachable"]


async def test_a_store_error_keeps_its_own_status() -> None:
    app = counter_app(store=DownStore(HttpError(503, "sessions are resting")))
    async with TestClient(app) as client:
        res = await client.get("/")
    assert (res.status, await res.text()) == (503, "Service Unavailable")
