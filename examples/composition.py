"""App composition: two apps built on their own, mounted into one with koa-mount.

Run it with ``hatch run python examples/composition.py``, then::

    curl -i http://127.0.0.1:3000/blog          # the blog app sees ctx.path == "/"
    curl -i http://127.0.0.1:3000/blog/hello    # ... and "/hello"
    curl -i http://127.0.0.1:3000/api/status    # the api app, with its own middleware
    curl -i http://127.0.0.1:3000/blog/broken   # an error logged by the blog and the main app

Each sub-app is a complete Koa app (it could be served alone with ``blog.listen()``). Mounted,
it runs with the parent's ``ctx``: inside, ``ctx.path`` is the rest of the path and
``ctx.mount_path`` the prefix. An error raised inside a mounted app reaches that app's
``error`` listeners and then the parent's, as it travels up.
"""

from __future__ import annotations

import logging
from typing import Any

from koa.core import Context, Koa, Next
from koa.mount import mount

log = logging.getLogger("examples.composition")

# -- the blog: HTML pages ---------------------------------------------------------------------

blog = Koa()

POSTS = {"hello": "Hello, world", "koa": "Why Koa's onion"}


@blog.use
async def pages(ctx: Context, next: Next) -> None:
    slug = ctx.path.strip("/")
    if not slug:
        base = ctx.mount_path or ""
        links = "".join(f'<li><a href="{base}/{s}">{t}</a></li>' for s, t in POSTS.items())
        ctx.body = f"<h1>Posts</h1><ul>{links}</ul>"
    elif slug == "broken":
        raise RuntimeError("template posts/broken.html is missing")
    elif slug in POSTS:
        ctx.body = f"<h1>{POSTS[slug]}</h1>"
    else:
        await next()


blog.on("error", lambda err, ctx: log.error("blog: %s", err))

# -- the api: JSON, with its own middleware ---------------------------------------------------

api = Koa()


@api.use
async def api_version(ctx: Context, next: Next) -> None:
    """Only requests under /api get this header: the middleware belongs to the api app."""
    await next()
    ctx.set("X-Api-Version", "1")


@api.use
async def status(ctx: Context, next: Next) -> None:
    if ctx.path == "/status":
        ctx.body = {"ok": True, "path": ctx.path, "mount_path": ctx.mount_path}
    else:
        await next()


# -- the main app -----------------------------------------------------------------------------

app = Koa()
app.use(mount("/blog", blog))
app.use(mount("/api", api))


@app.use
async def home(ctx: Context, next: Next) -> None:
    if ctx.path == "/":
        ctx.body = {"apps": ["/blog", "/api"]}
    else:
        await next()


def log_error(err: BaseException, ctx: Any) -> None:
    log.error("app: %s %s failed: %s", ctx.method, ctx.original_url, err)


app.on("error", log_error)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
