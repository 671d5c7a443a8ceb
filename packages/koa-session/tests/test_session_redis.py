"""``RedisStore`` against a real redis-server (started per test on a free port)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient, TestResponse
from koa.session import RedisStore, session
from koa.session.testing import RedisServer, redis_server_binary

KEYS = ["key one", "key zero"]
# Written by Koa.js + koa-session 7 + koa-redis 4 (maxAge ten years, prefix 'koa:sess:'):
# the cookie, and the value koa-redis stored under that key (TTL 315360010 s).
KOA_COOKIE = (
    "koa.sess=koa:sess:0483cde4-e292-446a-9d63-acf551c93967;"
    " koa.sess.sig=NXEg8Yzmwb1_N5eTPkutioL5czQ"
)
KOA_KEY = "koa:sess:0483cde4-e292-446a-9d63-acf551c93967"
KOA_VALUE = (
    '{"user":"tobi","count":1,"name":"Zoë ✓","_expire":2111584587314,"_maxAge":315360000000}'
).encode()


def jar(res: TestResponse) -> dict[str, str]:
    pairs = [line.split(";")[0] for line in res.headers.getall("Set-Cookie", [])]
    return {"Cookie": "; ".join(pair for pair in pairs if pair.split("=", 1)[1])}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of its own on a free port of 127.0.0.1, stopped by PID afterwards.

    Skipped where the binary is missing, except under CI (``CI=true``), where that fails.
    """
    if redis_server_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing under CI: .ci/run must install it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()
        print(f"redis-server log:\n{server.log}")  # shown when the test failed


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    store = RedisStore(url=redis_server.url)
    yield store
    await store.close()


def counter_app(store: RedisStore, **options: Any) -> Koa[Any]:
    app = Koa(keys=KEYS)
    app.use(session(app, store=store, **options))

    @app.use
    async def count(ctx: Context, next: Next) -> None:
        sess = await ctx.session.load()
        if ctx.path == "/logout":
            ctx.session = None
            ctx.body = "bye"
            return
        if ctx.path == "/login":
            await sess.regenerate()
        if ctx.path != "/peek":
            sess["count"] = sess.get("count", 0) + 1
        ctx.body = {"session": dict(sess), "id": sess.external_key}

    return app


async def test_a_session_written_by_koa_redis_is_read_and_updated_in_its_format(
    store: RedisStore,
) -> None:
    await store.client.set(KOA_KEY, KOA_VALUE, ex=3600)
    async with TestClient(counter_app(store)) as client:
        res = await client.get("/", headers={"Cookie": KOA_COOKIE})
        body = await res.json()
    assert body == {"session": {"user": "tobi", "count": 2, "name": "Zoë ✓"}, "id": KOA_KEY}
    raw = await store.client.get(KOA_KEY)
    assert isinstance(raw, bytes)
    text = raw.decode()
    # what koa-redis would have stored: JSON, the same key order, _expire and _maxAge last
    assert text.startswith('{"user":"tobi","count":2,"name":"Zoë ✓","_expire":')
    assert text.endswith(',"_maxAge":315360000000}')  # the lifetime came with the session
    assert await store.client.ttl(KOA_KEY) == 315360010


async def test_keys_values_and_ttl_are_koa_redis_s(store: RedisStore) -> None:
    async with TestClient(counter_app(store)) as client:
        res = await client.get("/")
        body = await res.json()
    session_id = body["id"]
    assert session_id.startswith("koa:sess:")
    assert len(session_id) == 9 + 36
    assert res.headers.getall("Set-Cookie")[0].startswith(f"koa.sess={session_id}; path=/; ")
    raw = await store.client.get(session_id)
    assert isinstance(raw, bytes)
    assert raw.decode().startswith('{"count":1,"_expire":')
    assert raw.decode().endswith(',"_maxAge":86400000}')
    assert 86400 < await store.client.ttl(session_id) <= 86410


async def test_a_counter_across_requests_and_logout_deletes_the_key(store: RedisStore) -> None:
    app = counter_app(store)
    async with TestClient(app) as client:
        first = await client.get("/")
        cookie = jar(first)
        for expected in (2, 3, 4):
            res = await client.get("/", headers=cookie)
            assert (await res.json())["session"] == {"count": expected}
        session_id = (await first.json())["id"]
        assert await store.client.exists(session_id) == 1
        bye = await client.get("/logout", headers=cookie)
        assert bye.headers.getall("Set-Cookie")[0].startswith("koa.sess=; path=/; expires=Thu, 01")
        assert await store.client.exists(session_id) == 0
        again = await client.get("/peek", headers=cookie)
        assert (await again.json())["session"] == {}


async def test_regenerate_deletes_the_old_key_in_redis(store: RedisStore) -> None:
    async with TestClient(counter_app(store)) as client:
        first = await client.get("/")
        old_id = (await first.json())["id"]
        res = await client.get("/login", headers=jar(first))
        body = await res.json()
    assert body["session"] == {"count": 2}
    assert body["id"] != old_id
    assert await store.client.exists(old_id) == 0
    assert await store.client.exists(body["id"]) == 1


async def test_an_unknown_id_is_never_adopted_and_nothing_is_written_under_it(
    store: RedisStore,
) -> None:
    app = counter_app(store, signed=False)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": "koa.sess=koa:sess:planted"})
        body = await res.json()
    assert body["id"] != "koa:sess:planted"
    assert await store.client.exists("koa:sess:planted") == 0


async def test_an_entry_expired_in_redis_gives_a_new_session(store: RedisStore) -> None:
    async with TestClient(counter_app(store)) as client:
        first = await client.get("/")
        old_id = (await first.json())["id"]
        await store.client.delete(old_id)  # what Redis does when the TTL runs out
        res = await client.get("/", headers=jar(first))
        body = await res.json()
    assert body["session"] == {"count": 1}
    assert body["id"] != old_id


async def test_session_lifetime_gets_a_real_ttl_where_koa_redis_fails(store: RedisStore) -> None:
    async with TestClient(counter_app(store, max_age="session")) as client:
        res = await client.get("/")
        session_id = (await res.json())["id"]
    raw = await store.client.get(session_id)
    assert raw == b'{"count":1,"_session":true}'
    assert 0 < await store.client.ttl(session_id) <= 86400


async def test_an_untouched_request_sends_no_redis_command(store: RedisStore) -> None:
    app = Koa(keys=KEYS)
    app.use(session(app, store=store))

    @app.use
    async def untouched(ctx: Context, next: Next) -> None:
        ctx.body = "no session here"

    async with TestClient(app) as client:
        info = await store.client.info("commandstats")
        before = info.get("cmdstat_get", {}).get("calls", 0)
        res = await client.get("/", headers={"Cookie": KOA_COOKIE})
        assert res.headers.getall("Set-Cookie", []) == []
        info = await store.client.info("commandstats")
    assert info.get("cmdstat_get", {}).get("calls", 0) == before
    assert "cmdstat_set" not in info


async def test_redis_down_gives_500_to_the_client_and_the_error_to_the_listener(
    redis_server: RedisServer,
) -> None:
    store = RedisStore(url=redis_server.url, timeout=5)
    app = counter_app(store)
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))
    async with TestClient(app) as client:
        first = await client.get("/")
        assert first.status == 200
        redis_server.stop()
        res = await asyncio.wait_for(client.get("/", headers=jar(first)), 30)
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        fresh = await asyncio.wait_for(client.get("/"), 30)  # a write that cannot happen
        assert fresh.status == 500
        assert fresh.headers.getall("Set-Cookie", []) == []
    await store.close()
    assert len(seen) == 2
    assert all(isinstance(err, redis.asyncio.ConnectionError) for err in seen)


async def test_a_redis_that_stops_answering_fails_within_the_timeout() -> None:
    # A socket that accepts and never answers: a Redis stopped with SIGSTOP looks like this.
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisStore(url=f"redis://127.0.0.1:{port}/0", timeout=0.5)
    app = counter_app(store)
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))
    try:
        async with TestClient(app) as client:
            res = await asyncio.wait_for(client.get("/"), 30)
            assert res.status == 500
    finally:
        await store.close()
        server.close()
        for writer in writers:
            writer.close()
            await writer.wait_closed()
        await server.wait_closed()
    assert len(seen) == 1
    assert isinstance(seen[0], (redis.asyncio.TimeoutError, redis.asyncio.ConnectionError))


async def test_a_client_passed_in_is_used_and_left_open(redis_server: RedisServer) -> None:
    client_ = redis.asyncio.Redis.from_url(redis_server.url)
    store = RedisStore(client=client_, prefix="app1:")
    async with TestClient(counter_app(store)) as client:
        res = await client.get("/")
        session_id = (await res.json())["id"]
    await store.close()
    assert await client_.get(f"app1:{session_id}") is not None  # still open, prefixed
    await client_.aclose()
