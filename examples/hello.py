"""Hello world: the smallest Koa app.

Run it with ``hatch run python examples/hello.py`` and open http://127.0.0.1:3000.
"""

from __future__ import annotations

from koa.core import Context, Koa, Next

app = Koa()


@app.use
async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


if __name__ == "__main__":
    print("listening on http://127.0.0.1:3000")
    app.listen(3000)
