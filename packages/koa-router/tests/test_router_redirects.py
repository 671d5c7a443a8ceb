"""``router.redirect()`` on the wire."""

from __future__ import annotations

import json
from typing import Any

from koa.core import Koa
from koa.core.testing import TestClient
from koa.router import Router


class Answer:
    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0][9:12])
        self.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}

    def json(self) -> Any:
        return json.loads(self.body)


async def send(client: TestClient, method: str, target: str) -> Answer:
    raw = await client.raw(
        f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    return Answer(raw)


def app_of(*routers: Router) -> Koa:
    app: Koa = Koa()
    for router in routers:
        app.use(router.routes()).use(router.allowed_methods())
    return app


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
