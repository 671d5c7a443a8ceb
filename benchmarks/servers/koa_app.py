"""Koa (koa-core and the koa-* packages) under load: one small app per benchmark scenario.

``python benchmarks/servers/koa_app.py --app hello --port 8080 [--loop uvloop] [--root DIR]``
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from koa.core import Context, Koa, Next

Handler = Callable[[Context, Next], Awaitable[None]]

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


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


async def pass_through(ctx: Context, next: Next) -> None:
    await next()


def hello_app(root: Path) -> Koa:
    return Koa().use(hello)


def mw10_app(root: Path) -> Koa:
    app = Koa()
    for _ in range(10):
        app.use(pass_through)
    return app.use(hello)


def json_app(root: Path) -> Koa:
    async def json_hello(ctx: Context, next: Next) -> None:
        ctx.body = {"message": "Hello, World!"}

    return Koa().use(json_hello)


def routes_app(root: Path) -> Koa:
    from koa.router import Router

    router = Router()

    def fixed(path: str) -> Handler:
        async def handler(ctx: Context, next: Next) -> None:
            ctx.body = path

        return handler

    def numbered(i: int) -> Handler:
        async def handler(ctx: Context, next: Next) -> None:
            ctx.body = f"{i} {ctx.params['id']}"

        return handler

    for path in FIXED_ROUTES:
        router.get(path, fixed(path))
    for i in range(ROUTES):
        router.get(f"/r{i}/:id", numbered(i))
    return Koa().use(router.routes()).use(router.allowed_methods())


def static_app(root: Path) -> Koa:
    from koa.static import serve

    return Koa().use(serve(root))


def mount_app(root: Path) -> Koa:
    from koa.mount import mount

    return Koa().use(mount("/m", hello_app(root)))


def logger_app(root: Path) -> Koa:
    from koa.logger import logger

    # koa-logger prints to stdout; the harness sends every server's stdout to a file.
    return Koa().use(logger()).use(hello)


def post_echo_app(root: Path) -> Koa:
    from koa.bodyparser import bodyparser

    async def echo(ctx: Context, next: Next) -> None:
        ctx.body = ctx.request.body

    return Koa().use(bodyparser()).use(echo)


def cors_app(root: Path) -> Koa:
    from koa.cors import cors

    return Koa().use(cors(origin=["https://app.example.com"])).use(hello)


def helmet_app(root: Path) -> Koa:
    from koa.helmet import helmet

    return Koa().use(helmet()).use(hello)


def json100k_app(root: Path) -> Koa:
    document = json_100k()

    async def send(ctx: Context, next: Next) -> None:
        ctx.body = document  # encoded per request, as by every peer

    return Koa().use(send)


def json100k_compress_app(root: Path) -> Koa:
    from koa.compress import compress

    return Koa().use(compress()).use(json100k_app(root).middleware[0])


def hello_compress_app(root: Path) -> Koa:
    from koa.compress import compress

    # "Hello World" is below the 1 KB threshold: compress() runs and skips.
    return Koa().use(compress()).use(hello)


APPS: dict[str, Callable[[Path], Koa]] = {
    "hello": hello_app,
    "mw10": mw10_app,
    "json": json_app,
    "routes": routes_app,
    "static": static_app,
    "mount": mount_app,
    "logger": logger_app,
    "post_echo": post_echo_app,
    "cors": cors_app,
    "helmet": helmet_app,
    "json100k": json100k_app,
    "json100k_compress": json100k_compress_app,
    "hello_compress": hello_compress_app,
}


async def serve(app: Koa, port: int) -> None:
    server = await app.serve(port=port, host="127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=sorted(APPS), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    app = APPS[args.app](args.root)
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(serve(app, args.port))
    else:
        asyncio.run(serve(app, args.port))


if __name__ == "__main__":
    main()
