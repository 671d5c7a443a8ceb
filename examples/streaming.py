"""Streaming: an async generator as the body, and server-sent events.

Run it with ``hatch run python examples/streaming.py``, then::

    curl -N http://127.0.0.1:3000/count?to=3     # 1, 2, 3, one line a second (chunked)
    curl -N http://127.0.0.1:3000/events         # server-sent events, one a second
    curl -N -H 'Last-Event-ID: 3' http://127.0.0.1:3000/events   # resume after event 3

Any async iterable of bytes (or str) is a body: Koa sends the headers with the first chunk and
streams the rest with chunked encoding. When the client goes away, the generator is closed, so
its ``finally`` blocks release what it holds. Open ``/`` in a browser to watch the events.

Streams are compressed for clients that ask (``curl -N --compressed``, and browsers do):
koa-compress flushes each chunk, so every line and every event still arrives on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from koa.compress import compress
from koa.core import Context, Koa, Next

#: Seconds between chunks (the tests make it shorter).
TICK = 1.0
MAX_COUNT = 100

#: How many event streams are open right now (closed ones are released at once).
open_streams = 0

PAGE = """<!doctype html>
<title>Server-sent events</title>
<ul id="events"></ul>
<script>
  const source = new EventSource("/events");
  source.addEventListener("tick", (e) => {
    const li = document.createElement("li");
    li.textContent = `#${e.lastEventId}: ${e.data}`;
    document.getElementById("events").append(li);
  });
</script>
"""

app = Koa()
app.use(compress())


async def count(to: int) -> AsyncIterator[str]:
    for n in range(1, to + 1):
        if n > 1:
            await asyncio.sleep(TICK)
        yield f"{n}\n"


async def events(after: int, count: int) -> AsyncIterator[str]:
    global open_streams
    open_streams += 1
    try:
        # Sent at once, so the client sees the headers without waiting for the first tick.
        yield "retry: 3000\n\n"
        for n in range(after + 1, after + count + 1):
            await asyncio.sleep(TICK)
            yield f"id: {n}\nevent: tick\ndata: {json.dumps({'n': n})}\n\n"
    finally:
        open_streams -= 1


def int_query(ctx: Context, name: str, default: int) -> int:
    text = ctx.query.get(name, str(default))
    ctx.assert_(text.isdigit() and 0 <= int(text) <= MAX_COUNT, 400, f"{name}: 0 to {MAX_COUNT}")
    return int(text)


@app.use
async def streams(ctx: Context, next: Next) -> None:
    if ctx.path == "/count":
        ctx.type = "text/plain"
        ctx.body = count(int_query(ctx, "to", 10))
    elif ctx.path == "/events":
        last = ctx.get("Last-Event-ID")
        after = int(last) if last.isdigit() and len(last) < 10 else 0
        ctx.type = "text/event-stream"
        ctx.set("Cache-Control", "no-cache")
        ctx.body = events(after, int_query(ctx, "count", 10))
    elif ctx.path == "/":
        ctx.body = PAGE
    else:
        await next()


if __name__ == "__main__":
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
