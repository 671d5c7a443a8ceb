"""koa-session's RedisStore behind two gunicorn workers: one session, whichever worker answers.

A real gunicorn master (koa.core.worker.GunicornWorker, ``-w 2``) and a real redis-server,
both on free ports of 127.0.0.1. Every request is a new connection carrying the session
cookie, and every response says which worker served it (``X-Worker-Pid``).
"""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING

from koa.session.testing import RedisServer

if TYPE_CHECKING:
    from tests.deploy.conftest import GunicornFactory

APP = """
    import os
    from koa.core import Koa
    from koa.session import RedisStore, session

    app = Koa(keys=["shared secret of the fleet"])
    store = RedisStore(url={url!r})
    app.use(session(app, store=store))

    async def close_store(app):
        await store.close()

    app.on("shutdown", close_store)

    async def count(ctx, next):
        ctx.set("X-Worker-Pid", str(os.getpid()))
        if ctx.path == "/pid":
            ctx.body = str(os.getpid())
            return
        sess = await ctx.session.load()
        sess["n"] = sess.get("n", 0) + 1
        ctx.body = str(sess["n"])

    app.use(count)
"""


def visit(port: int, cookie: str | None) -> tuple[int, str, str, list[str]]:
    """GET / on a new connection: (status, body, worker pid, Set-Cookie pairs)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Connection": "close", **({"Cookie": cookie} if cookie else {})}
        conn.request("GET", "/", headers=headers)
        res = conn.getresponse()
        pairs = [line.split(";")[0] for line in res.headers.get_all("Set-Cookie") or []]
        return res.status, res.read().decode(), res.headers["X-Worker-Pid"], pairs
    finally:
        conn.close()


def test_a_counter_in_the_session_goes_up_on_both_workers(
    gunicorn: GunicornFactory, redis_server: RedisServer
) -> None:
    master = gunicorn(APP.format(url=redis_server.url), "-w", "2")
    cookie: str | None = None
    served_by: list[str] = []
    for expected in range(1, 401):
        status, body, pid, pairs = visit(master.port, cookie)
        assert (status, body) == (200, str(expected)), master.log()
        served_by.append(pid)
        # every save re-sends the cookie (a fresh expiry), always with the first id
        assert pairs[0].startswith("koa.sess=koa:sess:"), pairs
        if cookie is None:
            cookie = "; ".join(pairs)
        assert "; ".join(pairs) == cookie
        if expected >= 6 and len(set(served_by)) == 2:
            break
    assert len(set(served_by)) == 2, f"one worker served all {len(served_by)} requests"
