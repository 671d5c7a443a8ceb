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
from aiohttp.http_writer import StreamWriter
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.test_utils import make_mocked_request
from koa.core import Context, Koa, Next, compose
from koa.core.respond import KoaResponse, respond

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
        context_class(koa_hello, requests.new())

    def koa_context_compose() -> None:
        _drive(fn(context_class(koa_hello, requests.new())))  # type: ignore[arg-type]

    def koa_respond() -> None:
        ctx = context_class(koa_hello, requests.new())
        _drive(fn(ctx))  # type: ignore[arg-type]
        res = _drive(respond(ctx))
        _drive(res.prepare(ctx.req))
        _drive(res.write_eof())

    def raw_koa() -> None:
        serve_once(raw_koa_response, requests.new())

    def koa() -> None:
        serve_once(handle, requests.new())

    def koa_mw10() -> None:
        serve_once(handle_mw10, requests.new())

    def koa_json() -> None:
        serve_once(handle_json, requests.new())

    cases: dict[str, Callable[[], None]] = {
        "build the request (subtracted)": build,
        "aiohttp-raw hello: web.Response + prepare + write_eof": raw,
        "aiohttp-raw hello returning koa's KoaResponse (header fix-ups)": raw_koa,
        "koa: Context(app, req) only": koa_context,
        "koa: Context + compose([hello]) (body set, nothing written)": koa_context_compose,
        "koa: Context + compose + respond(ctx) (writes)": koa_respond,
        "koa hello: app.callback() handler + prepare + write_eof": koa,
        "koa mw10: 10 pass-through layers + hello": koa_mw10,
        "koa json: dict body": koa_json,
    }
    requests.sink.keep = []
    for name, case in cases.items():  # warm up, check that nothing suspends, show the bytes
        del requests.sink.keep[:]
        case()
        if args.show:
            print(f"{name}: {b''.join(requests.sink.keep)!r}")
    requests.sink.keep = None
    best = dict.fromkeys(cases, float("inf"))
    gc_was_enabled = gc.isenabled()
    for _ in range(repeats):
        for name, case in cases.items():
            gc.collect()
            started = time.perf_counter_ns()
            for _ in range(iterations):
                case()
            best[name] = min(best[name], (time.perf_counter_ns() - started) / iterations / 1e3)
    if gc_was_enabled:
        gc.enable()
    requests.close()

    base = best.pop("build the request (subtracted)")
    print(
        f"µs per request, best of {repeats} × {iterations:,}; request construction ({base:.2f} µs)"
    )
    print("subtracted; no sockets, no event loop:\n")
    for name, value in best.items():
        print(f"  {value - base:7.2f}  {name}")
    raw_cost = best["aiohttp-raw hello: web.Response + prepare + write_eof"] - base
    koa_cost = best["koa hello: app.callback() handler + prepare + write_eof"] - base
    mw10_cost = best["koa mw10: 10 pass-through layers + hello"] - base
    print(f"\n  koa hello over aiohttp-raw: {koa_cost - raw_cost:+.2f} µs per request")
    print(f"  one pass-through layer:     {(mw10_cost - koa_cost) / 10:+.3f} µs")


if __name__ == "__main__":
    main()
