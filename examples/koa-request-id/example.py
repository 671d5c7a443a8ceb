"""Using koa-request-id: every response and every log line carries the request's ID.

Run it with ``hatch run python examples/koa-request-id/example.py``, then::

    curl -i http://127.0.0.1:3000/                              # a fresh ID
    curl -i -H 'X-Request-Id: abc-123' http://127.0.0.1:3000/   # the caller's ID is kept
    curl -i http://127.0.0.1:3000/fail                          # errors carry it too
"""

from __future__ import annotations

import logging

from koa.core import Context, Koa, Next
from koa_request_id import RequestIdFilter, request_id

log = logging.getLogger("examples.request_id")

app = Koa()
app.use(request_id())


@app.use
async def hello(ctx: Context, next: Next) -> None:
    if ctx.path == "/fail":
        ctx.throw(503, "try again later")
    log.info("hello from %s", ctx.path)
    ctx.body = {"request_id": ctx.state["request_id"]}


if __name__ == "__main__":
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
