"""``router.redirect()`` on the wire."""

from __future__ import annotations

from koa.core.testing import TestClient
from koa.router import Router
from router_helpers import app_of, send


async def test_redirects() -> None:
    router = Router()
    router.redirect("/old", "/new")
    router.redirect("/q", "/new?x=1&y=<b>")
    router.redirect("/ext", "https://example.com/a b")
    async with TestClient(app_of(router)) as client:
        answer = await send(client, "POST", "/old")
        assert (answer.status, answer.headers["location"]) == (301, "/new")
        assert answer.body == b"Redirecting to /new."
        answer = await send(client, "GET", "/OLD?a=1")
        assert (answer.status, answer.headers["location"]) == (301, "/new")
        answer = await send(client, "GET", "/q")
        assert answer.headers["location"] == "/new?x=1&y=%3Cb%3E"
        answer = await send(client, "GET", "/ext")
        assert answer.headers["location"] == "https://example.com/a%20b"
