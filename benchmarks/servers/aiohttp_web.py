"""aiohttp.web: ``web.Application`` with its UrlDispatcher, ``@web.middleware`` and static route.

``python benchmarks/servers/aiohttp_web.py --app hello --port 8080 [--root DIR]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

ROUTES = 1000
FIXED_ROUTES = ("/", "/json", "/about", "/users", "/health", "/login", "/logout", "/search")


# About 100 KB of compact JSON: the compression benchmark's body (the same in every server).
JSON_100K_ROWS = 930


def json_100k() -> list[dict[str, object]]:
    return [
        {
            "id": i,
            "name": f"user {i}",
            "email": f"user{i}@example.com",
            "active": i % 3 == 0,
            "score": i * 7 % 1000,
            "tags": ["alpha", "beta", "gamma"][: i % 3 + 1],
        }
        for i in range(JSON_100K_ROWS)
    ]


async def hello(request: web.Request) -> web.StreamResponse:
    return web.Response(text="Hello World")


async def json_hello(request: web.Request) -> web.StreamResponse:
    return web.json_response({"message": "Hello, World!"})


@web.middleware
async def pass_through(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)


def hello_app(root: Path) -> web.Application:
    app = web.Application()
    app.router.add_get("/", hello)
    return app


def mw10_app(root: Path) -> web.Application:
    app = web.Application(middlewares=[pass_through] * 10)
    app.router.add_get("/", hello)
    return app


def json_app(root: Path) -> web.Application:
    app = web.Application()
    app.router.add_get("/json", json_hello)
    return app


def routes_app(root: Path) -> web.Application:
    def fixed(path: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(text=path)

        return handler

    def numbered(i: int) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(text=f"{i} {request.match_info['id']}")

        return handler

    app = web.Application()
    for path in FIXED_ROUTES:
        app.router.add_get(path, fixed(path))
    for i in range(ROUTES):
        app.router.add_get(f"/r{i}/{{id}}", numbered(i))
    return app


def static_app(root: Path) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root / "static")
    return app


def post_echo_app(root: Path) -> web.Application:
    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response(await request.json())

    app = web.Application()
    app.router.add_post("/echo", echo)
    return app


def json100k_compress_app(root: Path) -> web.Application:
    document = json_100k()

    async def send(request: web.Request) -> web.StreamResponse:
        # Compact JSON as koa and Starlette send it; aiohttp compresses with its defaults
        # (zlib's level, in its executor for bodies over 4 KB), gzip when asked for gzip.
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        response = web.Response(text=text, content_type="application/json")
        response.enable_compression()
        return response

    app = web.Application()
    app.router.add_get("/json100k", send)
    return app


APPS: dict[str, Callable[[Path], web.Application]] = {
    "hello": hello_app,
    "mw10": mw10_app,
    "json": json_app,
    "routes": routes_app,
    "static": static_app,
    "post_echo": post_echo_app,
    "json100k_compress": json100k_compress_app,
}


async def serve(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
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
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    asyncio.run(serve(APPS[args.app](args.root), args.port))


if __name__ == "__main__":
    main()
