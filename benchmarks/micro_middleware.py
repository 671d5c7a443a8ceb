"""What koa-session, koa-cors, koa-helmet and koa-compress add to hello world, in one run.

    hatch run bench:python benchmarks/micro_middleware.py [--quick] [--json FILE]

The per-request targets of issues 13, 14 and 15, side by side, with micro_core.py's harness
(a real ``web.BaseRequest`` over a transport that drops the bytes, the app's handler, then
aiohttp's ``prepare`` and ``write_eof``; no sockets, no event loop), in CPU time of this
thread. Every repeat runs one short batch of each case in a shuffled order; a case's "extra"
is the median, over the repeats, of its batch minus its reference's batch in the same repeat
(hello world with the same request headers), which a shared machine disturbs much less than
a difference of two minimums. Yardsticks run beside the packages: one pass-through
middleware (what a coroutine layer of the onion costs), one ``Hooks`` doing nothing (what a
koa-core hook middleware costs: the four packages are hook middleware, see koa-core's
``HookMiddleware``) and "floors", hook middleware that put the same headers in the response
with koa-core's ``fixed_headers`` (a response with no header yet takes a copy of them: what
sending those bytes costs, whoever sets them).

All the apps share one context class (``--own-classes``: each app its own, as ``Koa()``
makes it). A server runs one app, so the code every request goes through (``Koa.handle``,
the Response, ``respond``) only ever sees that app's context class and CPython specialises
its attribute reads for it; a dozen apps with a dozen classes in one process defeat that
and add about half a microsecond to every middleware layer, which no real server pays.

``--only CASE:N`` runs one case N times and exits: under ``valgrind --tool=cachegrind`` the
instructions of N requests (minus those of ``build:0``, the same process doing nothing) are a
count no other process on the machine can disturb.

``--json FILE`` appends the figures as one JSON line (to compare two checkouts, run this
script alternately with each one's packages first on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import make_mocked_request
from koa.compress import compress
from koa.core import Context, Hooks, Koa, Next, fixed_headers
from koa.cors import cors
from koa.helmet import helmet
from koa.session import session
from micro_core import Requests, _drive, serve_once

ORIGIN = "https://app.example.com"
BROWSER = "gzip, deflate, br, zstd"


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


async def pass_through(ctx: Context, next: Next) -> None:
    await next()


def do_nothing(ctx: Context) -> None:
    return None


def floor(headers: list[tuple[str, str]]) -> Hooks[Context]:
    """A hook middleware that adds ``headers`` as cheaply as koa-core can (the floor):
    ``fixed_headers``, whose hook hands a response with no header yet a copy of them."""
    return Hooks(fixed_headers(headers), name="floor")


def requests_with(headers: dict[str, str]) -> Requests:
    requests = Requests()
    requests.message = make_mocked_request(
        "GET", "/", headers={"Host": "127.0.0.1:8080", "User-Agent": "wrk", **headers}
    )._message
    return requests


SHARED: list[type[Any]] = []


def app(*middleware: Any, keys: list[str] | None = None) -> Koa[Any]:
    koa: Koa[Any] = Koa(keys=keys)
    if SHARED:
        koa.context = SHARED[0]
    for mw in middleware:
        koa.use(mw(koa) if mw is session else mw)
    return koa.use(hello)


def added_headers(koa: Koa[Any], requests: Requests) -> list[tuple[str, str]]:
    """The headers a middleware adds to hello world (read from one response)."""
    res = _drive(koa.callback()(requests.new()))  # type: ignore[arg-type]
    skip = {"content-type", "content-length", "date"}
    return [(k, v) for k, v in res.headers.items() if k.lower() not in skip]


# name: (label, reference case, target in µs or None)
CASES: dict[str, tuple[str, str | None, float | None]] = {
    "hello": ("hello world, no middleware", None, None),
    "hello_origin": ("hello world, request with an Origin", None, None),
    "hello_browser": ("hello world, request with a browser's Accept-Encoding", None, None),
    "layer": ("+ one pass-through middleware (yardstick)", "hello", None),
    "hook": ("+ one hook middleware doing nothing (yardstick)", "hello", None),
    "session": ("+ session(), ctx.session never touched", "hello", 1.0),
    "cors": ("+ cors(), request with an Origin", "hello_origin", 2.0),
    "cors_no_origin": ("+ cors(), request without Origin", "hello", 2.0),
    "cors_floor": ("+ floor: cors()'s 2 headers", "hello_origin", None),
    "helmet": ("+ helmet(), defaults", "hello", 2.0),
    "helmet_floor": ("+ floor: helmet()'s 12 headers", "hello", None),
    "helmet_cors": ("+ helmet() and cors() together, request with an Origin", "hello_origin", None),
    "compress": ("+ compress(), skipped (11 bytes < 1 KB)", "hello_browser", 1.0),
    "compress_floor": ("+ floor: Vary: Accept-Encoding", "hello_browser", None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", help="append the figures to this file as one JSON line")
    parser.add_argument("--iterations", type=int, default=200, help="requests per batch")
    parser.add_argument("--repeats", type=int, default=300, help="batches of each case")
    parser.add_argument(
        "--only",
        metavar="CASE:N",
        help="run one case N times and nothing else (to count instructions under valgrind)",
    )
    parser.add_argument("--own-classes", action="store_true", help="each app its own context class")
    args = parser.parse_args()
    if not args.own_classes:
        SHARED.append(Koa().context)
    # Short batches, many interleaved repeats: on a shared machine a batch of a few
    # milliseconds often runs undisturbed, a long one rarely does.
    iterations, repeats = (200, 30) if args.quick else (args.iterations, args.repeats)

    plain = Requests()
    cross = requests_with({"Origin": ORIGIN})
    browser = requests_with({"Accept-Encoding": BROWSER})
    helmet_headers = added_headers(app(helmet()), plain)
    handlers: dict[str, tuple[Koa[Any], Requests]] = {
        "hello": (app(), plain),
        "hello_origin": (app(), cross),
        "hello_browser": (app(), browser),
        "layer": (app(pass_through), plain),
        "hook": (app(Hooks(do_nothing)), plain),
        "session": (app(session, keys=["benchmark key"]), plain),
        "cors": (app(cors()), cross),
        "cors_no_origin": (app(cors()), plain),
        "cors_floor": (
            app(floor([("Vary", "Origin"), ("Access-Control-Allow-Origin", "*")])),
            cross,
        ),
        "helmet": (app(helmet()), plain),
        "helmet_floor": (app(floor(helmet_headers)), plain),
        "helmet_cors": (app(helmet(), cors()), cross),
        "compress": (app(compress()), browser),
        "compress_floor": (app(floor([("Vary", "Accept-Encoding")])), browser),
    }

    def case(koa: Koa[Any], requests: Requests) -> Callable[[], None]:
        handle = koa.callback()
        return lambda: serve_once(handle, requests.new())

    runs = {name: case(koa, requests) for name, (koa, requests) in handlers.items()}

    def build_request() -> None:
        plain.new()

    runs["build"] = build_request
    if args.only:
        name, count = args.only.split(":")
        for _ in range(int(count)):
            runs[name]()
        return
    for run in runs.values():  # warm up; a case that would suspend fails here
        for _ in range(50):
            run()

    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    shuffle = random.Random(14).shuffle
    gc.collect()
    gc.disable()
    for _ in range(repeats):
        shuffle(order)
        for name in order:
            run = runs[name]
            started = time.thread_time_ns()
            for _ in range(iterations):
                run()
            times[name].append((time.thread_time_ns() - started) / iterations / 1e3)
        gc.collect()
    gc.enable()
    for requests in (plain, cross, browser):
        requests.close()

    build = min(times["build"])
    best = {name: min(values) - build for name, values in times.items() if name != "build"}
    extra: dict[str, float] = {}
    for name, (_, reference, _) in CASES.items():
        if reference is not None:
            extra[name] = statistics.median(
                a - b for a, b in zip(times[name], times[reference], strict=True)
            )
    print(
        f"CPU µs per request: best of {repeats} interleaved batches of {iterations} (building"
        f" the request, {build:.2f} µs, subtracted); the extra over the reference: the"
        f" median of paired differences, then the difference of the best batches."
        f" Load average {load_before:.2f} at the start,"
        f" {os.getloadavg()[0]:.2f} at the end."
        f" {'Each app its own' if args.own_classes else 'One'} context class.\n"
    )
    layer = extra["layer"]
    for name, (label, reference, target) in CASES.items():
        line = f"  {best[name]:7.2f}"
        if reference is not None:
            gap = best[name] - best[reference]
            line += f"  {extra[name]:+6.2f}  {gap:+6.2f}  {extra[name] / layer:5.1f} ×layer"
        else:
            line += " " * 32
        line += f"  {label}"
        if target is not None:
            # koa-compress's target is "at most", the others' "under".
            inclusive = name == "compress"
            met = extra[name] <= target if inclusive else extra[name] < target
            sign = "≤" if inclusive else "<"
            line += f"  (target {sign} {target:g} µs: {'met' if met else 'MISSED'})"
        print(line)
    if args.json:
        with open(args.json, "a") as out:
            figures = {"best": best, "extra": extra, "load": load_before}
            out.write(json.dumps({**figures, "own_classes": args.own_classes}) + "\n")


if __name__ == "__main__":
    main()
