"""Errors: ``ctx.throw``, ``ctx.assert_``, a crash, and a middleware that answers JSON.

Run it with ``hatch run python examples/errors.py``, then::

    curl -i http://127.0.0.1:3000/throw          # 403 with the message (statuses < 500 are exposed)
    curl -i http://127.0.0.1:3000/hello          # 400 "name is required"
    curl -i http://127.0.0.1:3000/hello?name=ann # 200 "Hello, ann"
    curl -i http://127.0.0.1:3000/crash          # 500 "Internal Server Error", details only logged
    curl -i http://127.0.0.1:3000/api/crash      # the same errors as JSON under /api/

Without an ``app.on("error")`` listener Koa logs unexpected errors with their traceback; this
example adds a listener that logs one line instead.
"""

from __future__ import annotations

import logging
from typing import Any

from koa.core import STATUS_PHRASES, Context, HttpError, Koa, Next

log = logging.getLogger("examples.errors")

app = Koa()


@app.use
async def json_errors(ctx: Context, next: Next) -> None:
    """Under ``/api/``, answer every error as ``{"error": ..., "status": ...}``.

    Koa's own responder would answer text; catching the error here replaces it. Re-emitting
    keeps the ``error`` listeners informed, as Koa's docs recommend.
    """
    if not ctx.path.startswith("/api/"):
        await next()
        return
    ctx.path = ctx.path[len("/api") :]
    try:
        await next()
    except Exception as err:
        if isinstance(err, HttpError):
            status = err.status
            message = err.message if err.expose else STATUS_PHRASES[status]
            if err.headers:
                ctx.set(err.headers)
        else:
            status, message = 500, STATUS_PHRASES[500]
        ctx.status = status
        ctx.body = {"error": message, "status": status}
        ctx.app.emit("error", err, ctx)


@app.use
async def endpoints(ctx: Context, next: Next) -> None:
    if ctx.path == "/throw":
        ctx.throw(403, "admins only", headers={"X-Required-Role": "admin"})
    elif ctx.path == "/hello":
        name = ctx.query.get("name")
        ctx.assert_(name, 400, "name is required")
        ctx.body = f"Hello, {name}"
    elif ctx.path == "/crash":
        # The message stays in the log: a 500 never tells the client why.
        raise RuntimeError("database password is hunter2")
    else:
        await next()


def log_error(err: BaseException, ctx: Any) -> None:
    """One line per error; 4xx errors are the client's, so they are not logged."""
    status = getattr(err, "status", 500)
    if status >= 500:
        log.error("%s %s failed: %r", ctx.method, ctx.original_url, err)


app.on("error", log_error)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
