"""Typed state and typed context: mypy checks ``ctx.state["user"]`` and ``ctx.db``.

Run it with ``hatch run python examples/typed_context.py``, then::

    curl -i http://127.0.0.1:3000/me                                   # 401
    curl -i -H 'Authorization: Bearer t0k3n' http://127.0.0.1:3000/me  # {"user":"tobi",...}

``Context`` is generic over the type of ``ctx.state``; a subclass can declare what the app
puts on every context (``app.context.db = ...``, Koa's ``app.context`` prototype). Pass it as
``Koa(context_class=...)`` and annotate middleware with it: a typo in a state key or a wrong
type is a mypy error instead of a ``KeyError`` in production.
"""

from __future__ import annotations

from typing import TypedDict

from koa.core import Context, Koa, Next


class State(TypedDict, total=False):
    user: str


class Pets:
    """Stands in for a database client shared by every request."""

    def __init__(self, pets: dict[str, str]) -> None:
        self._pets = pets

    def pet_of(self, user: str) -> str | None:
        return self._pets.get(user)


class AppContext(Context[State]):
    db: Pets


TOKENS = {"t0k3n": "tobi", "s3cr3t": "loki"}

app = Koa(context_class=AppContext)
app.context.db = Pets({"tobi": "ferret"})


@app.use
async def authenticate(ctx: AppContext, next: Next) -> None:
    scheme, _, token = ctx.get("Authorization").partition(" ")
    user = TOKENS.get(token) if scheme == "Bearer" else None
    if user is None:
        ctx.throw(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    ctx.state["user"] = user
    await next()


@app.use
async def me(ctx: AppContext, next: Next) -> None:
    if ctx.path != "/me":
        await next()
        return
    user = ctx.state["user"]
    ctx.body = {"user": user, "pet": ctx.db.pet_of(user)}


if __name__ == "__main__":
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
