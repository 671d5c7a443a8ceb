"""examples/sessions.py: counter, login with regenerate(), logout, in a cookie and in Redis."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import ModuleType

import pytest
import redis.asyncio
from koa.core.testing import TestClient, TestResponse
from koa.session.testing import RedisServer

Loader = Callable[[str], ModuleType]


class Browser:
    """Keeps the cookies a browser would keep (aiohttp's jar refuses IP-address hosts)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, **kwargs: object) -> TestResponse:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        res = await self.client.request(method, path, headers=headers, **kwargs)
        for line in res.headers.getall("Set-Cookie", []):
            name, _, value = line.split(";")[0].partition("=")
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return res


async def walk_through(browser: Browser) -> list[str]:
    """The docstring's curl session; returns the session ids (Redis) seen on the way."""
    assert await (await browser.request("GET", "/")).json() == {"views": 1, "user": None}
    assert await (await browser.request("GET", "/")).json() == {"views": 2, "user": None}
    before = browser.cookies["koa.sess"]
    res = await browser.request("POST", "/login", json={"user": "tobi"})
    assert await res.json() == {"user": "tobi"}
    after = browser.cookies["koa.sess"]
    me = await browser.request("GET", "/me")
    assert await me.json() == {"user": "tobi", "views": 2}
    res = await browser.request("POST", "/logout")
    assert (res.status, await res.text()) == (200, "logged out")
    assert "koa.sess" not in browser.cookies
    res = await browser.request("GET", "/me")
    assert (res.status, await res.text()) == (401, "Unauthorized")
    return [before, after]


async def test_in_a_signed_cookie(load_example: Loader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOA_SESSION_REDIS", raising=False)
    app = load_example("sessions.py").app
    async with TestClient(app) as client:
        browser = Browser(client)
        await walk_through(browser)
        res = await browser.request("GET", "/")
        value = res.headers.getall("Set-Cookie")[0].split(";")[0].removeprefix("koa.sess=")
    assert json.loads(base64.b64decode(value))["views"] == 1  # a new session after logout


async def test_login_requires_a_user(load_example: Loader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOA_SESSION_REDIS", raising=False)
    app = load_example("sessions.py").app
    async with TestClient(app) as client:
        res = await client.post("/login", json={"user": " "})
        assert (res.status, await res.text()) == (400, "user is required")


async def test_in_redis_login_renews_the_id_and_logout_deletes_it(
    load_example: Loader, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    monkeypatch.setenv("KOA_SESSION_REDIS", redis_server.url)
    module = load_example("sessions.py")
    client_ = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        async with TestClient(module.app) as client:
            browser = Browser(client)
            before, after = await walk_through(browser)
        assert before.startswith("koa:sess:")
        assert after != before
        assert await client_.exists(before) == 0  # regenerate() destroyed it
        assert await client_.exists(after) == 0  # logout destroyed it
    finally:
        await client_.aclose()
        await module.redis_store.close()
