"""Sanic in ``single_process`` mode (its compiled router, no access log).

``python benchmarks/servers/sanic_app.py --app routes --port 8080``
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, text

ROUTES = 1000
FIXED_ROUTES = ("/", "/json", "/about", "/users", "/health", "/login", "/logout", "/search")


async def hello(request: Request) -> HTTPResponse:
    return text("Hello World")


def hello_app(app: Any) -> None:
    app.add_route(hello, "/", name="hello")


def routes_app(app: Any) -> None:
    def fixed(path: str) -> Callable[[Request], Awaitable[HTTPResponse]]:
        async def handler(request: Request) -> HTTPResponse:
            return text(path)

        return handler

    def numbered(i: int) -> Callable[[Request, str], Awaitable[HTTPResponse]]:
        async def handler(request: Request, id: str) -> HTTPResponse:
            return text(f"{i} {id}")

        return handler

    for n, path in enumerate(FIXED_ROUTES):
        app.add_route(fixed(path), path, name=f"fixed{n}")
    for i in range(ROUTES):
        app.add_route(numbered(i), f"/r{i}/<id>", name=f"r{i}")


def json_app(app: Any) -> None:
    async def json_hello(request: Request) -> HTTPResponse:
        return json({"message": "Hello, World!"})

    app.add_route(json_hello, "/json", name="json")


def post_echo_app(app: Any) -> None:
    async def echo(request: Request) -> HTTPResponse:
        return json(request.json)

    app.add_route(echo, "/echo", methods=["POST"], name="echo")


APPS: dict[str, Callable[[Any], None]] = {
    "hello": hello_app,
    "routes": routes_app,
    "json": json_app,
    "post_echo": post_echo_app,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=sorted(APPS), required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = Sanic(f"bench_{args.app}")
    APPS[args.app](app)
    app.run(
        host="127.0.0.1",
        port=args.port,
        single_process=True,
        access_log=False,
        debug=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
