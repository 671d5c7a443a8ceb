"""A WebSocket echo server: aiohttp's ``WebSocketResponse`` through ``ctx.respond = False``.

Run it with ``hatch run python examples/websocket.py`` and open http://127.0.0.1:3000 (a page
that connects to ``/ws``), or use any WebSocket client on ``ws://127.0.0.1:3000/ws``.

``ctx.respond = False`` tells Koa that the middleware answered the request itself: Koa hands
the prepared response (here the WebSocket) to aiohttp untouched. Middleware above this one
(a logger, a timer) still runs before and after, as for any request.
"""

from __future__ import annotations

from aiohttp import WSMsgType, web
from koa.core import Context, Koa, Next

PAGE = """<!doctype html>
<title>WebSocket echo</title>
<input id="text" value="hello"> <button id="send">send</button>
<pre id="log"></pre>
<script>
  const log = (line) => { document.getElementById("log").textContent += line + "\\n"; };
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onmessage = (e) => log(`< ${e.data}`);
  document.getElementById("send").onclick = () => {
    const text = document.getElementById("text").value;
    log(`> ${text}`);
    ws.send(text);
  };
</script>
"""

#: The largest message accepted, in bytes (aiohttp closes the socket with 1009 above it).
MAX_MESSAGE = 64 * 1024

app = Koa()


@app.use
async def echo(ctx: Context, next: Next) -> None:
    if ctx.path == "/":
        ctx.body = PAGE
        return
    if ctx.path != "/ws":
        await next()
        return
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=30)
    # A plain GET (no Upgrade) gets an ordinary answer instead of an exception.
    ctx.assert_(ws.can_prepare(ctx.req).ok, 426, "WebSocket upgrade required")
    await ws.prepare(ctx.req)
    ctx.respond = False
    ctx.res = ws
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close()
            else:
                await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)


if __name__ == "__main__":
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
