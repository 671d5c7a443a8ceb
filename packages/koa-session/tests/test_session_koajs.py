"""Interop with Koa.js 3 + koa-session 7.0.2 (+ koa-redis 4.0.1), on bytes they wrote.

Every cookie below was written by the real Koa.js with ``app.keys = ["key one", "key zero"]``
and ``app.use(session(app, opts))`` answering ``/set`` with ``ctx.session.user = "tobi";
ctx.session.count = 1; ctx.session.name = "Zoë ✓"``. The reverse direction (Koa.js reading
what this package wrote) was checked live: Koa.js answered ``/get`` with the same JSON and
``/inc`` with ``2``; the ``"session"`` lifetime case is pinned here byte for byte, because
Koa.js writes exactly the same two cookies for the same data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient, TestResponse
from koa.session import MaxAge, session

KEYS = ["key one", "key zero"]
DATA = {"user": "tobi", "count": 1, "name": "Zoë ✓"}

# maxAge: 315360000000 (ten years: still valid when this test runs)
KOA_TEN_YEARS = (
    "eyJ1c2VyIjoidG9iaSIsImNvdW50IjoxLCJuYW1lIjoiWm/DqyDinJMiLCJfZXhwaXJlIjoyMTExNTg0NTEy"
    "NzM4LCJfbWF4QWdlIjozMTUzNjAwMDAwMDB9",
    "kK3IAppZHFGOrSxlJ_XET-LTyb4",
)
# maxAge: 'session'
KOA_SESSION = (
    "eyJ1c2VyIjoidG9iaSIsImNvdW50IjoxLCJuYW1lIjoiWm/DqyDinJMiLCJfc2Vzc2lvbiI6dHJ1ZX0=",
    "aL85NmbTqpY7FzD16nrMIlPvJhw",
)
# maxAge: 1000, written on 2026-12-02: long expired
KOA_EXPIRED = (
    "eyJ1c2VyIjoidG9iaSIsImNvdW50IjoxLCJuYW1lIjoiWm/DqyDinJMiLCJfZXhwaXJlIjoxNzk2MjI0NTIy"
    "MTI2LCJfbWF4QWdlIjoxMDAwfQ==",
    "Po1qubcsnPvjqyu5ZJuiLG0eWAE",
)
# app.keys = ["key zero"] (the older key), maxAge ten years
KOA_OLD_KEY = (
    "eyJ1c2VyIjoidG9iaSIsImNvdW50IjoxLCJuYW1lIjoiWm/DqyDinJMiLCJfZXhwaXJlIjoyMTExNTg0NTE2"
    "ODc4LCJfbWF4QWdlIjozMTUzNjAwMDAwMDB9",
    "81qTPvFe7UVHS-ne5JqRYfaNKBQ",
)
# ctx.session = null, as Koa.js answers it
KOA_LOGOUT = [
    "koa.sess=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
    "koa.sess.sig=iyDA7l8F249umuOBluw5xSo8lTo; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT;"
    " httponly",
]


def keygrip(data: str, key: str) -> str:
    """keygrip's signature, computed here independently of koa.core."""
    digest = hmac.new(key.encode(), data.encode(), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def cookie_header(pair: tuple[str, str]) -> dict[str, str]:
    return {"Cookie": f"koa.sess={pair[0]}; koa.sess.sig={pair[1]}"}


def make_app(max_age: MaxAge = 86400) -> Koa[Any]:
    app = Koa(keys=KEYS)
    app.use(session(app, max_age=max_age))

    @app.use
    async def routes(ctx: Context, next: Next) -> None:
        if ctx.path == "/set":
            ctx.session.update(DATA)
            ctx.body = "set"
        elif ctx.path == "/inc":
            ctx.session["count"] = ctx.session.get("count", 0) + 1
            ctx.body = str(ctx.session["count"])
        elif ctx.path == "/logout":
            ctx.session = None
            ctx.body = "bye"
        else:
            ctx.body = {"session": dict(ctx.session), "is_new": ctx.session.is_new}

    return app


def set_cookies(res: TestResponse) -> list[str]:
    return res.headers.getall("Set-Cookie", [])


async def test_a_koajs_cookie_is_read() -> None:
    async with TestClient(make_app()) as client:
        res = await client.get("/get", headers=cookie_header(KOA_TEN_YEARS))
        assert await res.json() == {"session": DATA, "is_new": False}
        assert set_cookies(res) == []  # read, unchanged: nothing written, as koa-session


async def test_a_koajs_session_lifetime_cookie_is_read_and_rewritten_as_koajs_would() -> None:
    async with TestClient(make_app()) as client:
        res = await client.get("/inc", headers=cookie_header(KOA_SESSION))
        assert await res.text() == "2"
        value = set_cookies(res)[0].split(";")[0].removeprefix("koa.sess=")
    written = json.loads(base64.b64decode(value))
    # the lifetime travels with the session: still a browser-session cookie
    assert written == {**DATA, "count": 2, "_session": True}


async def test_python_writes_the_bytes_koajs_writes() -> None:
    async with TestClient(make_app("session")) as client:
        res = await client.get("/set")
    assert set_cookies(res) == [
        f"koa.sess={KOA_SESSION[0]}; path=/; httponly",
        f"koa.sess.sig={KOA_SESSION[1]}; path=/; httponly",
    ]


async def test_python_writes_koajs_shape_with_expire_and_max_age() -> None:
    async with TestClient(make_app()) as client:
        res = await client.get("/set")
    value_line, sig_line = set_cookies(res)
    attributes = r"; path=/; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; httponly"
    match = re.fullmatch(rf"koa\.sess=([A-Za-z0-9+/]+=*){attributes}", value_line)
    assert match, value_line
    text = base64.b64decode(match.group(1)).decode()
    assert re.fullmatch(
        r'\{"user":"tobi","count":1,"name":"Zoë ✓","_expire":\d{13},"_maxAge":86400000\}', text
    )
    expected_sig = keygrip(f"koa.sess={match.group(1)}", "key one")
    assert re.fullmatch(rf"koa\.sess\.sig={re.escape(expected_sig)}{attributes}", sig_line)


async def test_an_expired_koajs_cookie_gives_a_new_session() -> None:
    async with TestClient(make_app()) as client:
        res = await client.get("/get", headers=cookie_header(KOA_EXPIRED))
        assert await res.json() == {"session": {}, "is_new": True}


async def test_a_cookie_signed_with_the_older_key_is_read_and_resigned() -> None:
    async with TestClient(make_app()) as client:
        res = await client.get("/get", headers=cookie_header(KOA_OLD_KEY))
        assert await res.json() == {"session": DATA, "is_new": False}
    # koa.core re-signs with the current key, as Koa.js's cookies package does
    new_sig = keygrip(f"koa.sess={KOA_OLD_KEY[0]}", "key one")
    assert set_cookies(res) == [f"koa.sess.sig={new_sig}; path=/; httponly"]


async def test_logout_clears_both_cookies_as_koajs_does() -> None:
    async with TestClient(make_app()) as client:
        res = await client.get("/logout", headers=cookie_header(KOA_TEN_YEARS))
    assert set_cookies(res) == KOA_LOGOUT
