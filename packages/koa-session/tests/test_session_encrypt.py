"""``encrypt=True``: AES-256-GCM cookies, keys derived from ``app.keys``, with rotation."""

from __future__ import annotations

import base64
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient, TestResponse
from koa.session import session


def set_cookies(res: TestResponse) -> list[str]:
    return res.headers.getall("Set-Cookie", [])


def jar(res: TestResponse) -> dict[str, str]:
    pairs = [line.split(";")[0] for line in set_cookies(res)]
    return {"Cookie": "; ".join(pair for pair in pairs if pair.split("=", 1)[1])}


def make_app(keys: list[str]) -> Koa[Any]:
    app = Koa(keys=keys)
    app.use(session(app, encrypt=True))

    @app.use
    async def secret(ctx: Context, next: Next) -> None:
        if ctx.path == "/set":
            ctx.session["card"] = "4111 1111 1111 1111"
        ctx.body = {"session": dict(ctx.session)}

    return app


async def test_the_cookie_is_ciphertext_without_a_signature_cookie() -> None:
    async with TestClient(make_app(["k2026"])) as client:
        res = await client.get("/set")
    (line,) = set_cookies(res)  # the GCM tag authenticates: no koa.sess.sig
    value = line.split(";")[0].removeprefix("koa.sess=")
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert b"4111" not in raw
    assert b"card" not in raw
    assert (
        len(raw)
        == 12
        + len(b'{"card":"4111 1111 1111 1111","_expire":0000000000000,"_maxAge":86400000}')
        + 16
    )


async def test_it_is_read_back_and_unreadable_without_the_key() -> None:
    async with TestClient(make_app(["k2026"])) as client:
        first = await client.get("/set")
        res = await client.get("/", headers=jar(first))
        assert await res.json() == {"session": {"card": "4111 1111 1111 1111"}}
    async with TestClient(make_app(["another key"])) as client:
        res = await client.get("/", headers=jar(first))
        assert (res.status, await res.json()) == (200, {"session": {}})


async def test_a_flipped_bit_gives_a_new_session() -> None:
    async with TestClient(make_app(["k2026"])) as client:
        first = await client.get("/set")
        value = jar(first)["Cookie"].removeprefix("koa.sess=")
        flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
        res = await client.get("/", headers={"Cookie": f"koa.sess={flipped}"})
        assert (res.status, await res.json()) == (200, {"session": {}})
        # the value cannot be moved to another cookie name either
        other = Koa(keys=["k2026"])
        other.use(session(other, encrypt=True, key="other"))
        other.use(lambda ctx, next: setattr(ctx, "body", dict(ctx.session)))
        async with TestClient(other) as other_client:
            moved = await other_client.get("/", headers={"Cookie": f"other={value}"})
            assert await moved.json() == {}


async def test_rotation_reads_old_keys_and_reencrypts_with_the_first() -> None:
    async with TestClient(make_app(["k2025"])) as client:
        old = await client.get("/set")
    async with TestClient(make_app(["k2026", "k2025"])) as client:
        res = await client.get("/", headers=jar(old))
        assert await res.json() == {"session": {"card": "4111 1111 1111 1111"}}
        assert len(set_cookies(res)) == 1  # sealed again with k2026
    async with TestClient(make_app(["k2026"])) as client:
        res = await client.get("/", headers=jar(res))
        assert await res.json() == {"session": {"card": "4111 1111 1111 1111"}}


async def test_encrypt_without_keys_is_a_clear_error() -> None:
    app = Koa()
    app.use(session(app, encrypt=True, signed=False))
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
    assert "app.keys" in str(seen[0])
