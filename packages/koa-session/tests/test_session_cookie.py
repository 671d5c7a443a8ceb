"""The cookie store's behaviour, as koa-session 7's tests describe it, over a real socket."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient, TestResponse
from koa.session import Session, session
from koa.session.codec import encode


def set_cookies(res: TestResponse) -> list[str]:
    return res.headers.getall("Set-Cookie", [])


def jar(res: TestResponse) -> dict[str, str]:
    pairs = [line.split(";")[0] for line in set_cookies(res)]
    return {"Cookie": "; ".join(pair for pair in pairs if pair.split("=", 1)[1])}


def payload(res: TestResponse) -> dict[str, Any]:
    value = set_cookies(res)[0].split(";")[0].split("=", 1)[1]
    data: dict[str, Any] = json.loads(base64.b64decode(value))
    return data


def app_with(handler: Any, **options: Any) -> Koa[Any]:
    app = Koa(keys=["secret"])
    app.use(session(app, **options))
    app.use(handler)
    return app


async def test_untouched_new_empty_and_unchanged_sessions_write_nothing() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/read":
            ctx.body = str(ctx.session.get("n"))
        elif ctx.path == "/set":
            ctx.session["n"] = 1
            ctx.body = "set"
        else:
            ctx.body = "untouched"

    async with TestClient(app_with(handler)) as client:
        for path in ("/", "/read"):
            res = await client.get(path)
            assert set_cookies(res) == [], path
        first = await client.get("/set")
        assert len(set_cookies(first)) == 2
        for path in ("/", "/read", "/set"):  # /set writes the same value: unchanged
            res = await client.get(path, headers=jar(first))
            assert set_cookies(res) == [], path


async def test_a_counter_goes_up() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.session["n"] = ctx.session.get("n", 0) + 1
        ctx.body = str(ctx.session["n"])

    async with TestClient(app_with(handler)) as client:
        res = await client.get("/")
        for expected in ("2", "3", "4"):
            res = await client.get("/", headers=jar(res))
            assert await res.text() == expected


async def test_setting_none_clears_the_cookie_and_a_dict_replaces_the_data() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/clear":
            ctx.session = None
            assert ctx.session is None
        else:
            ctx.session = {"user": "tobi"}
        ctx.body = "ok"

    async with TestClient(app_with(handler)) as client:
        res = await client.get("/replace")
        assert {k: v for k, v in payload(res).items() if not k.startswith("_")} == {"user": "tobi"}
        cleared = await client.get("/clear", headers=jar(res))
        assert set_cookies(cleared)[0].startswith("koa.sess=; ")
        assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in set_cookies(cleared)[0]


async def test_max_age_per_session_and_session_lifetime() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.session["n"] = 1
        if ctx.path == "/short":
            ctx.session.max_age = 60
        elif ctx.path == "/browser":
            ctx.session.max_age = "session"
        ctx.body = str(ctx.session.max_age)

    async with TestClient(app_with(handler)) as client:
        res = await client.get("/short")
        assert payload(res)["_maxAge"] == 60000
        assert await res.text() == "60"
        res = await client.get("/browser")
        assert payload(res) == {"n": 1, "_session": True}
        assert "expires" not in set_cookies(res)[0]


async def test_rolling_resends_on_every_touched_request() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/set":
            ctx.session["n"] = 1
        elif ctx.path == "/read":
            ctx.body = str(ctx.session.get("n"))
        ctx.body = "ok"

    async with TestClient(app_with(handler, rolling=True)) as client:
        first = await client.get("/set")
        assert len(set_cookies(await client.get("/read", headers=jar(first)))) == 2
        assert set_cookies(await client.get("/", headers=jar(first))) == []  # untouched


async def test_renew_resends_only_in_the_second_half_of_the_lifetime() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.session["n"] = 1
        ctx.body = "ok"

    async with TestClient(app_with(handler, renew=True, max_age=2)) as client:
        first = await client.get("/")
        assert set_cookies(await client.get("/", headers=jar(first))) == []
        await asyncio.sleep(1.2)  # past max_age / 2: renewed
        renewed = await client.get("/", headers=jar(first))
        assert len(set_cookies(renewed)) == 2


async def test_save_manually_commit_and_auto_commit_false() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/save":
            await ctx.session.save()  # empty, but saved on demand
        elif ctx.path == "/manual":
            ctx.session["n"] = 1
            await ctx.session.manually_commit()
        else:
            ctx.session["n"] = 1  # never committed
        ctx.body = "ok"

    async with TestClient(app_with(handler, auto_commit=False)) as client:
        assert set(payload(await client.get("/save"))) == {"_expire", "_maxAge"}
        assert payload(await client.get("/manual"))["n"] == 1
        assert set_cookies(await client.get("/")) == []


async def test_valid_and_before_save_hooks() -> None:
    seen: list[str] = []

    def valid(ctx: Context, data: dict[str, Any]) -> bool:
        return bool(data.get("ua") == ctx.get("User-Agent"))

    def before_save(ctx: Context, sess: Session) -> None:
        sess["ua"] = ctx.get("User-Agent")
        seen.append("before_save")

    async def handler(ctx: Context, next: Next) -> None:
        ctx.session["n"] = ctx.session.get("n", 0) + 1
        ctx.body = str(ctx.session["n"])

    app = app_with(handler, valid=valid, before_save=before_save)
    invalid: list[Any] = []
    app.on("session:invalid", lambda event: invalid.append(event["value"]))
    async with TestClient(app) as client:
        first = await client.get("/", headers={"User-Agent": "a"})
        same = await client.get("/", headers={**jar(first), "User-Agent": "a"})
        assert await same.text() == "2"
        other = await client.get("/", headers={**jar(first), "User-Agent": "b"})
        assert await other.text() == "1"
    assert seen == ["before_save"] * 3
    assert len(invalid) == 1


async def test_custom_encode_decode_and_unsigned_cookies() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.session["n"] = ctx.session.get("n", 0) + 1
        ctx.body = str(ctx.session["n"])

    def hex_encode(data: dict[str, Any]) -> str:
        return json.dumps(data).encode().hex()

    def hex_decode(text: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(bytes.fromhex(text))
        return result

    app = app_with(handler, encode=hex_encode, decode=hex_decode, signed=False, key="s")
    async with TestClient(app) as client:
        first = await client.get("/")
        (line,) = set_cookies(first)
        assert json.loads(bytes.fromhex(line.split(";")[0].removeprefix("s=")))["n"] == 1
        assert await (await client.get("/", headers=jar(first))).text() == "2"


async def test_cookie_attributes() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.session["n"] = 1
        ctx.body = "ok"

    app = app_with(handler, max_age="session", same_site="lax", http_only=False, signed=False)
    async with TestClient(app) as client:
        res = await client.get("/")
    assert set_cookies(res) == [
        f"koa.sess={encode({'n': 1, '_session': True})}; path=/; samesite=lax"
    ]


async def test_reserved_keys_and_use_ahead_of_the_middleware() -> None:
    app = Koa(keys=["secret"])
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    @app.use
    async def ahead(ctx: Context, next: Next) -> None:
        # as in koa-session: usable ahead of the middleware, committed by it
        ctx.session["seen"] = ctx.session.get("seen", 0) + 1
        await next()

    app.use(session(app))

    @app.use
    async def reserved(ctx: Context, next: Next) -> None:
        if ctx.path == "/reserved":
            ctx.session["_expire"] = 1
        ctx.body = str(ctx.session["seen"])

    async with TestClient(app) as client:
        first = await client.get("/")
        assert await first.text() == "1"
        assert await (await client.get("/", headers=jar(first))).text() == "2"
        assert (await client.get("/reserved")).status == 500
    assert "belong to koa-session" in str(errors[0])

    other = Koa(keys=["secret"])
    other.use(lambda ctx, next: setattr(ctx, "body", dict(ctx.session)))
    async with TestClient(other) as client:  # no session() on this app at all
        assert (await client.get("/")).status == 500


async def test_a_session_inside_a_mounted_app() -> None:
    from koa.core import compose

    inner = Koa(keys=["secret"])
    inner.use(session(inner))

    @inner.use
    async def count(ctx: Context, next: Next) -> None:
        ctx.session["n"] = ctx.session.get("n", 0) + 1
        ctx.body = str(ctx.session["n"])

    outer = Koa(keys=["secret"])
    outer.use(compose(inner.middleware))  # ctx is the outer app's
    async with TestClient(outer) as client:
        first = await client.get("/")
        assert await (await client.get("/", headers=jar(first))).text() == "2"


async def test_a_second_session_inside_gives_the_outer_one_back() -> None:
    # The mounted chain's session() marks the request as its own inside, and restores the
    # outer session on the way out (session() is a hook middleware: this runs the marked
    # path through compose's hook runs).
    from koa.core import compose

    inner = Koa(keys=["secret"])
    inner.use(session(inner, key="inner.sess"))

    @inner.use
    async def inner_count(ctx: Context, next: Next) -> None:
        ctx.session["inner"] = ctx.session.get("inner", 0) + 1

    outer = Koa(keys=["secret"])
    outer.use(session(outer, key="outer.sess"))

    @outer.use
    async def outer_count(ctx: Context, next: Next) -> None:
        ctx.session["outer"] = ctx.session.get("outer", 0) + 1
        await next()
        ctx.body = {"outer": dict(ctx.session)}  # the outer session again

    outer.use(compose(inner.middleware))
    async with TestClient(outer) as client:
        first = await client.get("/")
        assert await first.json() == {"outer": {"outer": 1}}
        names = sorted(line.split("=")[0] for line in first.headers.getall("Set-Cookie"))
        assert names == ["inner.sess", "inner.sess.sig", "outer.sess", "outer.sess.sig"]
        second = await client.get("/", headers=jar(first))
        assert await second.json() == {"outer": {"outer": 2}}
