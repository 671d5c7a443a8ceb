"""koa-session's cost: hello world with and without sessions, in-process and under load.

    hatch run bench:python benchmarks/session.py [--quick] [--no-load]

In-process (micro_core.py's method: real aiohttp requests over a transport that discards
bytes, no event loop, best of interleaved repeats, the cost of building the request
subtracted), in µs of CPU per request:

- hello without the middleware, and with it when the handler never touches ``ctx.session``
  (with and without a session cookie in the request): the difference is what every request
  pays for having sessions at all (the target: under 1 µs);
- a session read from the signed cookie (parse, verify, decode, unchanged: nothing written),
  and a counter written back on every request.

Under load (wrk over 127.0.0.1, like run.py: server on CPU 0, wrk on CPU 1, 3 rounds of
3 s with the cases interleaved, medians): hello, hello + untouched session, a session read on
every request from the cookie and from Redis (a redis-server of its own on a free port).
Ratios are to hello measured in the same rounds. Needs wrk and, for the Redis case,
redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from koa.core import Context, Koa, Next
from koa.session import RedisStore, SessionStore, session
from micro_core import Requests, serve_once

KEYS = ["benchmark key"]


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


async def pass_through(ctx: Context, next: Next) -> None:
    await next()


async def read_session(ctx: Context, next: Next) -> None:
    sess = await ctx.session.load()
    ctx.body = "Hello World" if sess.get("user") else "no session"


async def count(ctx: Context, next: Next) -> None:
    ctx.session["n"] = ctx.session.get("n", 0) + 1
    ctx.body = "Hello World"


async def seed(ctx: Context, next: Next) -> None:
    if ctx.path == "/seed":
        (await ctx.session.load())["user"] = "tobi"
        ctx.body = "seeded"
        return
    await next()


def make_app(variant: str, redis_url: str | None = None) -> Koa[Any]:
    app = Koa(keys=KEYS)
    if variant == "hello":
        return app.use(hello)
    if variant == "layer":
        return app.use(pass_through).use(hello)
    store: SessionStore | None = RedisStore(url=redis_url) if variant == "redis" else None
    app.use(session(app, store=store))
    if variant == "untouched":
        return app.use(hello)
    if variant == "count":
        return app.use(count)
    return app.use(seed).use(read_session)


class CookieRequests(Requests):
    """``GET /`` requests carrying a Cookie header."""

    def __init__(self, cookie: str) -> None:
        super().__init__()
        headers = {"Host": "127.0.0.1:8080", "User-Agent": "wrk", "Cookie": cookie}
        self.message = make_mocked_request("GET", "/", headers=headers)._message


def session_cookie() -> str:
    """The cookies of a session holding ``{"user": "tobi"}``, as the middleware writes them."""

    async def get() -> str:
        from koa.core.testing import TestClient

        async with TestClient(make_app("cookie")) as client:
            res = await client.get("/seed")
            return "; ".join(line.split(";")[0] for line in res.headers.getall("Set-Cookie"))

    return asyncio.run(get())


def in_process(quick: bool) -> dict[str, float]:
    # Short batches, many interleaved repeats: on a shared machine a batch of a few
    # milliseconds often runs undisturbed, a long one never does.
    iterations, repeats = (200, 50) if quick else (200, 500)
    cookie = session_cookie()
    plain, with_cookie = Requests(), CookieRequests(cookie)
    handlers = {
        name: make_app(variant).callback()
        for name, variant in (
            ("hello", "hello"),
            ("layer", "layer"),
            ("untouched", "untouched"),
            ("read", "cookie"),
            ("write", "count"),
        )
    }

    def build() -> None:
        plain.new()

    def run(handler: Callable[[web.BaseRequest], Any], requests: Requests) -> Callable[[], None]:
        return lambda: serve_once(handler, requests.new())

    cases: dict[str, tuple[str, Callable[[], None]]] = {
        "build": ("build the request (subtracted)", build),
        "hello": ("koa hello, no session middleware", run(handlers["hello"], plain)),
        "layer": ("+ one pass-through middleware (for scale)", run(handlers["layer"], plain)),
        "untouched": (
            "+ session(), ctx.session never touched",
            run(handlers["untouched"], plain),
        ),
        "untouched_cookie": (
            "+ session(), untouched, a session cookie sent",
            run(handlers["untouched"], with_cookie),
        ),
        "read": ("+ session read from the signed cookie", run(handlers["read"], with_cookie)),
        "write": ("+ a counter written to the cookie", run(handlers["write"], with_cookie)),
    }
    for _, case in cases.values():  # warm up; a case that would suspend fails here
        case()
    times: dict[str, list[float]] = {name: [] for name in cases}
    gc.collect()
    gc.disable()
    order = list(cases.items())
    shuffle = random.Random(13).shuffle
    for _ in range(repeats):
        shuffle(order)  # no case always runs first (cold caches) or last
        for name, (_, case) in order:
            started = time.thread_time_ns()  # CPU time: a preempted batch is not charged
            for _ in range(iterations):
                case()
            times[name].append((time.thread_time_ns() - started) / iterations / 1e3)
        gc.collect()
    gc.enable()
    plain.close()
    with_cookie.close()
    # Each case's batch ran right after hello's in the same repeat: the median of those paired
    # differences is the extra cost, steadier than a difference of two minimums.
    us = {name: min(values) - min(times["build"]) for name, values in times.items()}
    extra = {
        name: statistics.median(a - b for a, b in zip(values, times["hello"], strict=True))
        for name, values in times.items()
    }
    print(
        f"in-process, CPU µs per request (best of {repeats} batches of {iterations}, request"
        " building subtracted), and the median extra over hello in the same repeat:\n"
    )
    for name, (label, _) in cases.items():
        if name != "build":
            print(f"  {us[name]:7.2f}  {extra[name]:+6.2f}  {label}")
    us.update({f"extra_{name}": value for name, value in extra.items()})
    return us


# -- under load ------------------------------------------------------------------------------


def serve(variant: str, port: int, redis_url: str | None) -> None:
    """The server side: one app on 127.0.0.1:port until SIGTERM."""
    make_app(variant, redis_url).listen(port, host="127.0.0.1")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(variant: str, redis_url: str | None) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    argv = [*pin, sys.executable, __file__, "--serve", variant, "--port", str(port)]
    if redis_url:
        argv += ["--redis", redis_url]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the {variant} server did not start")


def seed_cookie(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/seed", timeout=10) as res:
        return "; ".join(line.split(";")[0] for line in res.headers.get_all("Set-Cookie"))


def wrk(port: int, seconds: int, cookie: str | None) -> float:
    pin = ["taskset", "-c", "1"] if shutil.which("taskset") else []
    argv = [*pin, "wrk", "-t1", "-c50", f"-d{seconds}s", f"http://127.0.0.1:{port}/"]
    if cookie:
        argv[-1:-1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec:"))
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(line.split()[1])


def under_load(quick: bool) -> None:
    if shutil.which("wrk") is None:
        print("\nunder load: skipped (wrk is not installed)")
        return
    from koa.session.testing import RedisServer, redis_server_binary

    rounds, seconds = (1, 1) if quick else (3, 3)
    variants = ["hello", "untouched", "cookie"]
    with tempfile.TemporaryDirectory() as tmp:
        redis = None
        if redis_server_binary() is not None:
            redis = RedisServer(Path(tmp) / "redis").start()
            variants.append("redis")
        servers: dict[str, tuple[subprocess.Popen[bytes], int, str | None]] = {}
        try:
            for variant in variants:
                url = redis.url if redis and variant == "redis" else None
                process, port = start_server(variant, url)
                cookie = seed_cookie(port) if variant in ("cookie", "redis") else None
                servers[variant] = (process, port, cookie)
            rates: dict[str, list[float]] = {variant: [] for variant in variants}
            cpu: dict[str, list[float]] = {variant: [] for variant in variants}
            for round_ in range(rounds):
                order = variants[round_ % len(variants) :] + variants[: round_ % len(variants)]
                for variant in order:
                    process, port, cookie = servers[variant]
                    wrk(port, 1, cookie)  # warm-up
                    before = cpu_seconds(process.pid)
                    rate = wrk(port, seconds, cookie)
                    used = cpu_seconds(process.pid) - before
                    rates[variant].append(rate)
                    cpu[variant].append(used / max(rate * seconds, 1) * 1e6)
        finally:
            for process, _, _ in servers.values():
                process.terminate()
                process.wait(10)
            if redis is not None:
                redis.stop()
    hello_rate = statistics.median(rates["hello"])
    hello_cpu = statistics.median(cpu["hello"])
    print(f"\nunder load: wrk -t1 -c50, {rounds} × {seconds} s interleaved, medians")
    print("(a shared 2-CPU machine: compare the ratios, not the absolute figures)\n")
    print("| case | req/s | ÷ hello | server CPU µs/req | − hello |")
    print("|---|---:|---:|---:|---:|")
    labels = {
        "hello": "hello world, no session middleware",
        "untouched": "+ session(), ctx.session not touched",
        "cookie": "+ session read from the signed cookie",
        "redis": "+ session read from Redis (RedisStore)",
    }
    for variant in variants:
        rate, us = statistics.median(rates[variant]), statistics.median(cpu[variant])
        print(
            f"| {labels[variant]} | {rate:,.0f} | {rate / hello_rate:.2f} | {us:.0f}"
            f" | {us - hello_cpu:+.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--no-load", action="store_true", help="in-process figures only")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.redis)
        return
    us = in_process(args.quick)
    extra = us["extra_untouched"]
    layer = us["extra_layer"]
    verdict = "met" if extra < 1 else "MISSED"
    print(f"\n  untouched session: {extra:+.2f} µs a request (target < 1 µs: {verdict} on this")
    print(f"  run), {extra / layer:.1f} × one pass-through middleware ({layer:+.2f} µs) measured")
    print("  beside it; hello's own figure says how much slower than usual the machine was")
    if not args.no_load:
        under_load(args.quick)


if __name__ == "__main__":
    main()
