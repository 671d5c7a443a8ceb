"""Cookies: a signed visit counter, with key rotation.

Run it with ``hatch run python examples/cookies.py``, then::

    curl -i -c jar -b jar http://127.0.0.1:3000/      # "1 visit", sets views and views.sig
    curl -i -c jar -b jar http://127.0.0.1:3000/      # "2 visits"
    curl -i -c jar -b jar http://127.0.0.1:3000/forget

``app.keys`` makes every cookie signed: ``views=2`` travels with ``views.sig=<HMAC-SHA1>``, the
same signature Koa.js computes, so a Koa.js service with the same keys reads these cookies. A
cookie edited by the client fails the check and reads as missing. To rotate keys, put the new
key first: cookies signed with an older key are still accepted, and re-signed with the new one.
"""

from __future__ import annotations

from koa.core import Context, Koa, Next

app = Koa(keys=["key-2026", "key-2025"])


@app.use
async def visits(ctx: Context, next: Next) -> None:
    if ctx.path == "/forget":
        ctx.cookies.set("views", None)  # expires the cookie and its signature
        ctx.body = "forgotten"
        return
    if ctx.path != "/":
        await next()
        return
    seen = ctx.cookies.get("views")  # None when missing or tampered with
    views = int(seen) + 1 if seen and seen.isdigit() else 1
    ctx.cookies.set("views", str(views), max_age=30 * 24 * 3600, same_site="lax")
    ctx.body = f"{views} visit{'' if views == 1 else 's'}"


if __name__ == "__main__":
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
