"""koa-core's per-request cost in µs, without sockets: the handler against aiohttp's floor.

    hatch run bench:python benchmarks/micro_core.py [--quick]

Each iteration builds a real ``web.BaseRequest`` (aiohttp's own class, over a transport that
discards bytes), runs the handler and then does what aiohttp's ``RequestHandler`` does with
the returned response (``prepare`` and ``write_eof``). Nothing waits, so the coroutines are
driven without an event loop. Figures are the best of several interleaved repeats, with the
cost of building the request subtracted: what is left is the handler's own CPU time, steady
even on a busy machine. The socket and event-loop work (the same for every handler) is not
in these figures; the load benchmark (run.py) has it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http_writer import StreamWriter
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.test_utils import make_mocked_request
from koa.core import Context, Koa, Next, compose
from koa.core.backends.aiohttp import AiohttpConnection, KoaResponse
from koa.core.respond import respond
from multidict import CIMultiDict

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class _Sink(asyncio.Transport):
    """A transport that drops every byte (it keeps them when ``keep`` is set, for checking)."""

    keep: list[bytes] | None = None

    def write(self, data: Any) -> None:
        if self.keep is not None:
            self.keep.append(bytes(data))

    def writelines(self, data: Any) -> None:
        if self.keep is not None:
            self.keep.extend(bytes(chunk) for chunk in data)

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name in ("peername", "sockname") else default


class _Protocol(BaseProtocol):
    """What ``BaseRequest`` reads from aiohttp's RequestHandler, over the sink."""

    ssl_context = None
    peername = ("127.0.0.1", 40000)
    sockname = ("127.0.0.1", 8080)


def _drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the handler suspended; this micro-benchmark needs one that does not")


class Requests:
    """Fresh ``BaseRequest`` objects for ``GET /`` with typical client headers."""

    def __init__(self, path: str = "/") -> None:
        self.loop = asyncio.new_event_loop()
        self.protocol = _Protocol(self.loop)
        self.sink = _Sink()
        self.protocol.connection_made(self.sink)
        template = make_mocked_request(
            "GET", path, headers={"Host": "127.0.0.1:8080", "User-Agent": "wrk"}
        )
        self.message = template._message

    def new(self) -> web.BaseRequest:
        writer = StreamWriter(self.protocol, self.loop)
        return web.BaseRequest(
            self.message,
            EMPTY_PAYLOAD,
            self.protocol,  # type: ignore[arg-type]
            writer,
            None,  # type: ignore[arg-type]
            self.loop,
        )

    def close(self) -> None:
        self.loop.close()


def serve_once(handler: Handler, req: web.BaseRequest) -> None:
    """What aiohttp's RequestHandler does per request: call, prepare, write_eof."""
    res = _drive(handler(req))  # type: ignore[arg-type]
    _drive(res.prepare(req))
    _drive(res.write_eof())


# -- the handlers ---------------------------------------------------------------------------


async def raw_hello(req: web.BaseRequest) -> web.StreamResponse:
    return web.Response(text="Hello World")


async def raw_koa_response(req: web.BaseRequest) -> web.StreamResponse:
    return KoaResponse(text="Hello World")


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


async def json_hello(ctx: Context, next: Next) -> None:
    ctx.body = {"message": "Hello, World!"}


async def pass_through(ctx: Context, next: Next) -> None:
    await next()


def koa_app(*middleware: Callable[[Context, Next], Awaitable[None]]) -> Koa:
    app = Koa()
    for mw in middleware:
        app.use(mw)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--show", action="store_true", help="print the bytes each case writes")
    args = parser.parse_args()
    iterations, repeats = (3_000, 3) if args.quick else (20_000, 7)

    requests = Requests()
    koa_hello = koa_app(hello)
    handle = koa_hello.callback()
    handle_mw10 = koa_app(*[pass_through] * 10, hello).callback()
    handle_json = koa_app(json_hello).callback()
    fn = compose([hello])
    context_class = koa_hello.context

    def build() -> None:
        requests.new()

    def raw() -> None:
        serve_once(raw_hello, requests.new())

    def koa_context() -> None:
        context_class(koa_hello, AiohttpConnection(requests.new()))

    def koa_context_compose() -> None:
        _drive(fn(context_class(koa_hello, AiohttpConnection(requests.new()))))  # type: ignore[arg-type]

    def koa_respond() -> None:
        ctx = context_class(koa_hello, AiohttpConnection(requests.new()))
        _drive(fn(ctx))  # type: ignore[arg-type]
        _drive(respond(ctx))  # writes through the connection

    def raw_koa() -> None:
        serve_once(raw_koa_response, requests.new())

    def koa() -> None:
        serve_once(handle, requests.new())

    def koa_mw10() -> None:
        serve_once(handle_mw10, requests.new())

    def koa_json() -> None:
        serve_once(handle_json, requests.new())

    def direct() -> None:
        # The floor for a fixed-length response: status line, headers and body straight
        # through the request's payload writer, no web.Response.
        req = requests.new()
        headers = CIMultiDict(
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Length": "11",
                "Date": rfc822_formatted_time(),
            }
        )
        _drive(req.writer.write_headers("HTTP/1.1 200 OK", headers))
        _drive(req.writer.write_eof(b"Hello World"))

    def koa_body() -> None:
        context_class(koa_hello, AiohttpConnection(requests.new())).body = "Hello World"

    # Keys are short names; the labels say what each case runs.
    cases: dict[str, tuple[str, Callable[[], None]]] = {
        "build": ("build the request (subtracted from every other line)", build),
        "raw": ("aiohttp-raw hello: web.Response + prepare + write_eof", raw),
        "direct": ("status line + headers + body through req.writer (no web.Response)", direct),
        "raw_koa": ("the same handler returning koa's KoaResponse (header fix-ups)", raw_koa),
        "context": ("koa: Context(app, AiohttpConnection(req))", koa_context),
        "body": ("koa: Context + ctx.body = 'Hello World'", koa_body),
        "compose": ("koa: Context + compose([hello]) run (sets the body)", koa_context_compose),
        "respond": (
            "koa: Context + compose + respond(ctx), then prepare + write_eof",
            koa_respond,
        ),
        "koa": ("koa hello: app.callback() handler + prepare + write_eof", koa),
        "mw10": ("koa mw10: 10 pass-through layers + hello", koa_mw10),
        "json": ("koa json: dict body", koa_json),
    }
    requests.sink.keep = []
    for label, case in cases.values():  # warm up, check that nothing suspends, show the bytes
        del requests.sink.keep[:]
        case()
        if args.show:
            print(f"{label}: {b''.join(requests.sink.keep)!r}")
    requests.sink.keep = None
    best = dict.fromkeys(cases, float("inf"))
    gc_was_enabled = gc.isenabled()
    for _ in range(repeats):
        for name, (_, case) in cases.items():
            gc.collect()
            started = time.perf_counter_ns()
            for _ in range(iterations):
                case()
            best[name] = min(best[name], (time.perf_counter_ns() - started) / iterations / 1e3)
    if gc_was_enabled:
        gc.enable()
    requests.close()

    us = {name: value - best["build"] for name, value in best.items()}
    print(f"µs per request, best of {repeats} × {iterations:,}; no sockets, no event loop;")
    print(f"building the request ({best['build']:.2f} µs) subtracted:\n")
    for name, (label, _) in cases.items():
        if name != "build":
            print(f"  {us[name]:7.2f}  {label}")
    respond_cost = us["respond"] - us["compose"]
    stages = [
        ("Context(app, req): Context, Request, Response objects", us["context"]),
        ("ctx.body = str: type, Content-Type, Content-Length", us["body"] - us["context"]),
        ("compose: the composed coroutine, one step, its checks", us["compose"] - us["body"]),
        ("respond(ctx), then aiohttp's prepare + write_eof", respond_cost),
        ("handler: Host check, current context, finish callbacks", us["koa"] - us["respond"]),
    ]
    print("\nkoa hello, stage by stage (differences of the lines above):\n")
    for label, value in stages:
        print(f"  {value:7.2f}  {label}")
    print(f"\n  {respond_cost - us['raw']:+7.2f}  respond over aiohttp-raw's whole handler")
    print(f"  {respond_cost - us['direct']:+7.2f}  respond over the direct-write floor")
    print(f"  {us['koa'] - us['raw']:+7.2f}  koa hello over aiohttp-raw hello")
    print(f"  {(us['mw10'] - us['koa']) / 10:+7.3f}  one pass-through middleware layer")
    print(f"  {us['json'] - us['koa']:+7.2f}  a dict body (JSON) instead of a str")


if __name__ == "__main__":
    main()
