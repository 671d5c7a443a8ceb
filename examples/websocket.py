"""A WebSocket echo server on koa-core's WebSocket API (``ctx.accept_websocket``).

Run it with ``hatch run python examples/websocket.py`` and open http://127.0.0.1:3000 (a page
that connects to ``/ws``), or use any WebSocket client on ``ws://127.0.0.1:3000/ws``. The same
``app`` serves WebSockets on ASGI servers (uvicorn, hypercorn).

``await ctx.accept_websocket()`` answers the upgrade and returns the socket; a plain GET on
``/ws`` gets ``426 WebSocket upgrade required``. Middleware above this one (a logger, a timer)
still runs before and after, as for any request: after, once the socket has closed.
"""

from __future__ import annotations

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

#: The largest message accepted, in bytes (the socket closes with 1009 above it).
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
    ws = await ctx.accept_websocket(max_message_size=MAX_MESSAGE)  # 426 for a plain GET
    async for message in ws:  # str for text messages, bytes for binary ones
        if message == "close":
            await ws.close()
        else:
            await ws.send(message)


if __name__ == "__main__":
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
