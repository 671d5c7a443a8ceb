"""What koa-cors and koa-helmet add to a request, in µs, without sockets.

    hatch run bench:python benchmarks/micro_security.py [--quick]

The harness of ``micro_core.py``: a real ``web.BaseRequest`` over a transport that drops the
bytes, the app's handler, then aiohttp's ``prepare`` and ``write_eof`` (so writing the extra
headers counts). Each case is hello world behind the middleware, against hello world alone,
measured interleaved in the same run; the figures are the best of several repeats of this
thread's CPU time (``time.thread_time_ns``), steadier than wall time on a shared machine.

Two "floor" cases set the same headers with a hand-written middleware (one ``extend`` of a
ready ``CIMultiDict``): the difference between a package and its floor is what its own logic
costs; the floor itself is mostly aiohttp writing the extra header bytes.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import make_mocked_request
from koa.core import Context, Koa, Next
from koa.cors import cors
from koa.helmet import helmet
from micro_core import Requests, serve_once
from multidict import CIMultiDict

ORIGIN = "https://app.example.com"


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


def requests_with(method: str, headers: dict[str, str]) -> Requests:
    """``Requests`` whose requests carry ``headers`` (and the usual Host and User-Agent)."""
    requests = Requests()
    template = make_mocked_request(
        method, "/", headers={"Host": "127.0.0.1:8080", "User-Agent": "wrk", **headers}
    )
    requests.message = template._message
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args()
    iterations, repeats = (1_000, 10) if args.quick else (1_000, 80)

    plain = Requests()
    cross = requests_with("GET", {"Origin": ORIGIN})
    preflight = requests_with(
        "OPTIONS",
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    def app(*middleware: Any) -> Any:
        koa = Koa()
        for mw in middleware:
            koa.use(mw)
        return koa.use(hello).callback()

    def floor(headers: list[tuple[str, str]]) -> Any:
        ready = CIMultiDict(headers)

        async def set_headers(ctx: Context, next: Next) -> None:
            ctx.response.headers.extend(ready)
            try:
                await next()
            except Exception:
                raise

        return set_headers

    helmet_headers = list(_headers_of(app(helmet()), plain))
    cors_headers = [("Vary", "Origin"), ("Access-Control-Allow-Origin", "*")]

    bare = app()
    any_origin = app(cors())
    listed = app(cors(origin=[ORIGIN], credentials=True))
    default_helmet = app(helmet())
    nonce_helmet = app(
        helmet(
            content_security_policy={
                "directives": {"script-src": ["'self'", lambda ctx: "'nonce-abc'"]}
            }
        )
    )
    both = app(helmet(), cors(origin=[ORIGIN]))
    floor_cors = app(floor(cors_headers))
    floor_helmet = app(floor(helmet_headers))

    def build() -> None:
        plain.new()

    def case(handler: Any, requests: Requests) -> Callable[[], None]:
        return lambda: serve_once(handler, requests.new())

    cases: dict[str, tuple[str, Callable[[], None]]] = {
        "build": ("build the request", build),
        "hello": ("hello world, no middleware", case(bare, plain)),
        "hello_origin": ("hello world, request with an Origin", case(bare, cross)),
        "cors_none": ("cors(), request without Origin", case(any_origin, plain)),
        "cors_any": ("cors(), request with an Origin", case(any_origin, cross)),
        "cors_list": ("cors(origin=[...], credentials=True), listed Origin", case(listed, cross)),
        "preflight": ("cors(origin=[...]), a preflight answered 204", case(listed, preflight)),
        "helmet": ("helmet(), defaults", case(default_helmet, plain)),
        "helmet_nonce": ("helmet() with a per-request CSP function", case(nonce_helmet, plain)),
        "both": ("helmet() + cors(origin=[...]), listed Origin", case(both, cross)),
        "floor_cors": ("floor: the 2 headers of cors() set by hand", case(floor_cors, cross)),
        "floor_helmet": ("floor: helmet()'s 12 headers set by hand", case(floor_helmet, plain)),
    }
    for _, run in cases.values():  # warm up; fails here if anything suspends
        run()
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeats):
        for name, (_, run) in cases.items():
            gc.collect()
            started = time.thread_time_ns()
            for _ in range(iterations):
                run()
            best[name] = min(best[name], (time.thread_time_ns() - started) / iterations / 1e3)
    for requests in (plain, cross, preflight):
        requests.close()

    us = {name: value - best["build"] for name, value in best.items()}
    print(f"CPU µs per request, best of {repeats} × {iterations:,}; no sockets, no event loop;")
    print(f"building the request ({best['build']:.2f} µs) subtracted:\n")
    for name, (label, _) in cases.items():
        if name != "build":
            print(f"  {us[name]:7.2f}  {label}")
    print("\nadded to hello world (same request headers):\n")
    for name, reference in (
        ("cors_none", "hello"),
        ("cors_any", "hello_origin"),
        ("cors_list", "hello_origin"),
        ("preflight", "hello_origin"),
        ("helmet", "hello"),
        ("helmet_nonce", "hello"),
        ("both", "hello_origin"),
        ("floor_cors", "hello_origin"),
        ("floor_helmet", "hello"),
    ):
        print(f"  {us[name] - us[reference]:+7.2f}  {cases[name][0]}")
    print("\nthe packages' own logic (package - its floor):\n")
    print(f"  {us['cors_any'] - us['floor_cors']:+7.2f}  cors(), request with an Origin")
    print(f"  {us['helmet'] - us['floor_helmet']:+7.2f}  helmet(), defaults")


def _headers_of(handler: Any, requests: Requests) -> list[tuple[str, str]]:
    """The headers ``handler`` adds to hello world (run once, read from the response)."""
    from micro_core import _drive

    res = _drive(handler(requests.new()))
    skip = {"content-type", "content-length", "date"}
    return [(k, v) for k, v in res.headers.items() if k.lower() not in skip]


if __name__ == "__main__":
    main()
