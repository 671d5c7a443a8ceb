"""Bare aiohttp: ``web.Server(handler)`` run by ``ServerRunner``, the floor koa-core builds on.

``python benchmarks/servers/aiohttp_raw.py --app hello --port 8080 [--loop uvloop]``

``direct`` writes the status line, headers and body through ``request.writer`` itself and
hands aiohttp a response that is already finished: the floor for a framework on this server,
without ``web.Response``.

``mw10`` runs the naive Python port of koa-compose (a ``dispatch(i)`` closure per request), as
a data point for what a straightforward onion costs on this server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.helpers import rfc822_formatted_time
from multidict import CIMultiDict

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
Next = Callable[[], Awaitable[None]]
Layer = Callable[[dict[str, Any], Next], Awaitable[None]]


async def hello(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(text="Hello World")


class Sent(web.StreamResponse):
    """A response already written: aiohttp's ``prepare`` and ``write_eof`` return at once."""

    def __init__(self, keep_alive: bool) -> None:
        # Deliberately not StreamResponse.__init__: only what aiohttp reads after the handler.
        self._eof_sent = True
        self._keep_alive = keep_alive
        self._payload_writer = None


async def direct_hello(request: web.BaseRequest) -> web.StreamResponse:
    headers = CIMultiDict(
        {
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Length": "11",
            "Date": rfc822_formatted_time(),
        }
    )
    await request.writer.write_headers("HTTP/1.1 200 OK", headers)
    await request.writer.write_eof(b"Hello World")
    return Sent(request.keep_alive)


async def json_hello(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(
        body=json.dumps({"message": "Hello, World!"}).encode(), content_type="application/json"
    )


async def pass_through(ctx: dict[str, Any], next: Next) -> None:
    await next()


async def set_body(ctx: dict[str, Any], next: Next) -> None:
    ctx["body"] = "Hello World"


def naive_compose(layers: list[Layer]) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def composed(ctx: dict[str, Any]) -> None:
        async def dispatch(i: int) -> None:
            if i == len(layers):
                return
            await layers[i](ctx, lambda: dispatch(i + 1))

        await dispatch(0)

    return composed


def mw10() -> Handler:
    chain = naive_compose([pass_through] * 10 + [set_body])

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        ctx: dict[str, Any] = {}
        await chain(ctx)
        return web.Response(text=ctx["body"])

    return handler


APPS: dict[str, Callable[[], Handler]] = {
    "hello": lambda: hello,
    "direct": lambda: direct_hello,
    "json": lambda: json_hello,
    "mw10": mw10,
}


async def serve(handler: Handler, port: int) -> None:
    runner = web.ServerRunner(web.Server(handler, access_log=None), handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=sorted(APPS), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    handler = APPS[args.app]()
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(serve(handler, args.port))
    else:
        asyncio.run(serve(handler, args.port))


if __name__ == "__main__":
    main()
