"""Options are checked when the middleware is built, and the public surface is pinned."""

from __future__ import annotations

from typing import Any

import koa.session
import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.session import MemoryStore, RedisStore, session


def test_the_public_names() -> None:
    assert sorted(koa.session.__all__) == [
        "ExternalKey", "MaxAge", "MemoryStore", "RedisStore", "Session",
        "SessionCookieTooLarge", "SessionMiddleware", "SessionOptions", "SessionStore",
        "session",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_age": 0}, ValueError, "max_age"),
        ({"max_age": "forever"}, ValueError, "max_age"),
        ({"max_age": True}, ValueError, "max_age"),
        ({"key": "a;b"}, ValueError, "key"),
        ({"signed": "yes"}, TypeError, "signed"),
        ({"same_site": "sometimes"}, ValueError, "same_site"),
        ({"store": object()}, TypeError, "store.get"),
        ({"external_key": object()}, TypeError, "external_key"),
        ({"gen_id": "uuid"}, TypeError, "gen_id"),
        ({"encrypt": True, "store": MemoryStore()}, ValueError, "encrypt"),
    ],
)
def test_bad_options_fail_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    app = Koa(keys=["k"])
    with pytest.raises(error, match=message):
        session(app, **options)


def test_an_app_is_required() -> None:
    with pytest.raises(TypeError, match="app instance required"):
        session(object())  # type: ignore[arg-type]


def test_store_options_are_checked() -> None:
    with pytest.raises(TypeError, match="url= or client="):
        RedisStore()
    with pytest.raises(ValueError, match="max_entries"):
        MemoryStore(max_entries=0)


async def test_memory_store_is_bounded() -> None:
    store = MemoryStore(max_entries=2)
    app = Koa(keys=["k"])
    app.use(session(app, store=store))

    @app.use
    async def fill(ctx: Context, next: Next) -> None:
        (await ctx.session.load())["n"] = 1
        ctx.body = "ok"

    async with TestClient(app) as client:
        for _ in range(5):
            assert (await client.get("/")).status == 200
    assert len(store) == 2


async def test_gen_id_external_key_and_session_options() -> None:
    class HeaderKey:
        def get(self, ctx: Context[Any]) -> str | None:
            return ctx.get("X-Session") or None

        def set(self, ctx: Context[Any], key: str) -> None:
            ctx.set("X-Session", key)

    store = MemoryStore()
    ids = iter(["first-id", "second-id"])
    app = Koa(keys=["k"])
    app.use(session(app, store=store, external_key=HeaderKey(), gen_id=lambda ctx: next(ids)))

    @app.use
    async def count(ctx: Context, next: Next) -> None:
        sess = await ctx.session.load()
        sess["n"] = sess.get("n", 0) + 1
        ctx.body = {"n": sess["n"], "key": ctx.session_options.key}

    async with TestClient(app) as client:
        first = await client.get("/")
        assert first.headers["X-Session"] == "first-id"
        assert "Set-Cookie" not in first.headers
        again = await client.get("/", headers={"X-Session": "first-id"})
        assert await again.json() == {"n": 2, "key": "koa.sess"}
        unknown = await client.get("/", headers={"X-Session": "made-up"})
        assert unknown.headers["X-Session"] == "second-id"
