"""Sessions: a visit counter, and login/logout that renews the session id (koa-session).

Run it with ``hatch run python examples/sessions.py`` (sessions in a signed cookie), or with
``KOA_SESSION_REDIS=redis://127.0.0.1:6379/0 hatch run python examples/sessions.py`` (sessions
in Redis: the cookie then holds only the session id, and every worker or machine with the same
Redis and keys shares them). Then::

    curl -c jar -b jar http://127.0.0.1:3000/                  # {"views":1,"user":null}
    curl -c jar -b jar http://127.0.0.1:3000/                  # {"views":2,"user":null}
    curl -c jar -b jar -H 'Content-Type: application/json' -d '{"user":"tobi"}' \\
        http://127.0.0.1:3000/login                            # {"user":"tobi"}
    curl -c jar -b jar http://127.0.0.1:3000/me                # {"user":"tobi","views":2}
    curl -c jar -b jar -X POST http://127.0.0.1:3000/logout    # logged out
    curl -c jar -b jar http://127.0.0.1:3000/me                # 401 Unauthorized

Logging in calls ``regenerate()``: the session keeps its data under a new id and the old id
is destroyed, so an id someone planted in the browser before the login (session fixation)
is worthless after it. Logging out sets ``ctx.session = None``: the cookie is cleared and,
with Redis, the key deleted.
"""

from __future__ import annotations

import os
from typing import Any

from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.router import Router
from koa.session import RedisStore, SessionStore, session

# In production, read the keys from the environment or a secret store, never from the code.
app = Koa(keys=[os.environ.get("KOA_SESSION_KEY", "example key, replace me")])

store: SessionStore | None = None
redis_url = os.environ.get("KOA_SESSION_REDIS")
if redis_url:
    redis_store = RedisStore(url=redis_url)
    store = redis_store

    async def close_store(app: Koa[Any]) -> None:
        await redis_store.close()

    app.on("shutdown", close_store)

app.use(session(app, store=store, max_age=7 * 86400, same_site="lax"))
app.use(bodyparser())
router = Router()


@router.get("/")
async def views(ctx: Context, next: Next) -> None:
    sess = await ctx.session.load()  # reads Redis only here; with a cookie it is free
    sess["views"] = sess.get("views", 0) + 1
    ctx.body = {"views": sess["views"], "user": sess.get("user")}


@router.post("/login")
async def login(ctx: Context, next: Next) -> None:
    body = ctx.request.body
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user.strip():
        ctx.throw(400, "user is required")
    sess = await ctx.session.load()
    await sess.regenerate()  # a new id for the logged-in session
    sess["user"] = user.strip()
    ctx.body = {"user": sess["user"]}


@router.get("/me")
async def me(ctx: Context, next: Next) -> None:
    sess = await ctx.session.load()
    ctx.assert_(sess.get("user"), 401)
    ctx.body = {"user": sess["user"], "views": sess.get("views", 0)}


@router.post("/logout")
async def logout(ctx: Context, next: Next) -> None:
    ctx.session = None
    ctx.body = "logged out"


app.use(router.routes()).use(router.allowed_methods())


if __name__ == "__main__":
    print(f"listening on http://127.0.0.1:3000 (sessions in {'Redis' if store else 'cookies'})")
    app.listen(3000)
