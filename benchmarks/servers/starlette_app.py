"""Starlette on uvicorn (``--loop uvloop --http httptools``), pure ASGI middleware.

``python benchmarks/servers/starlette_app.py --app hello --port 8080 [--root DIR]``
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

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


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Endpoint = Callable[[Request], Awaitable[Response]]


class PassThrough:
    """A pure ASGI middleware that does nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello World")


async def json_hello(request: Request) -> Response:
    return JSONResponse({"message": "Hello, World!"})


def hello_app(root: Path) -> ASGIApp:
    app: ASGIApp = Starlette(routes=[Route("/", hello)])
    return app


def mw10_app(root: Path) -> ASGIApp:
    app: ASGIApp = Starlette(routes=[Route("/", hello)])
    for _ in range(10):
        app = PassThrough(app)
    return app


def json_app(root: Path) -> ASGIApp:
    app: ASGIApp = Starlette(routes=[Route("/json", json_hello)])
    return app


def routes_app(root: Path) -> ASGIApp:
    def fixed(path: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return PlainTextResponse(path)

        return endpoint

    def numbered(i: int) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return PlainTextResponse(f"{i} {request.path_params['id']}")

        return endpoint

    routes = [Route(path, fixed(path)) for path in FIXED_ROUTES]
    routes += [Route(f"/r{i}/{{id}}", numbered(i)) for i in range(ROUTES)]
    app: ASGIApp = Starlette(routes=routes)
    return app


def static_app(root: Path) -> ASGIApp:
    app: ASGIApp = Starlette(routes=[Mount("/static", StaticFiles(directory=root / "static"))])
    return app


def post_echo_app(root: Path) -> ASGIApp:
    async def echo(request: Request) -> Response:
        return JSONResponse(await request.json())

    app: ASGIApp = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
    return app


def json100k_gzip_app(root: Path) -> ASGIApp:
    from starlette.middleware.gzip import GZipMiddleware

    document = json_100k()

    async def send(request: Request) -> Response:
        return JSONResponse(document)

    # Starlette's default level is 9; 6 is zlib's default, which koa and aiohttp use.
    app: ASGIApp = GZipMiddleware(Starlette(routes=[Route("/json100k", send)]), compresslevel=6)
    return app


APPS: dict[str, Callable[[Path], ASGIApp]] = {
    "hello": hello_app,
    "mw10": mw10_app,
    "json": json_app,
    "routes": routes_app,
    "static": static_app,
    "post_echo": post_echo_app,
    "json100k_gzip": json100k_gzip_app,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=sorted(APPS), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    uvicorn.run(
        APPS[args.app](args.root),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
