"""koa as an ASGI app against Starlette, in one process, without a server or sockets.

    hatch run bench:python benchmarks/asgi_micro.py [--calls 10000] [--repeats 9]
    hatch run bench:python benchmarks/asgi_micro.py --only koa_hello --calls 2000

Each app of ``servers/asgi_apps.py`` is called as uvicorn calls it, ``await app(scope,
receive, send)``, with the scope uvicorn's httptools protocol builds for wrk's request (a GET
with a Host header) and a ``receive`` and ``send`` that return at once, so the coroutine is
driven without an event loop: what is measured is the app's own work per request. The apps
take turns (interleaved repeats, the best of each), so a busy machine slows both alike.

``--only APP`` runs a single app ``--calls`` times after a warm-up and prints nothing else:
run it under ``valgrind --tool=cachegrind`` twice with different ``--calls`` and divide the
difference of the instruction counts by the difference of the calls for the instructions
per request, a figure that other processes on the machine do not move (``--cachegrind`` does
that). Before and after a change: run it with ``PYTHONPATH`` pointing at the other tree's
``packages/*/src``.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "servers"))

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Message, Receive, Send], Awaitable[None]]

APPS = ("koa_hello", "starlette_hello", "koa_json", "starlette_json")
PATHS = {"hello": b"/", "json": b"/json"}


def scope_for(path: bytes) -> Message:
    """The scope uvicorn (httptools) hands the app for ``GET path`` as wrk sends it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 51234),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path.decode(),
        "raw_path": path,
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "state": {},
    }


_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


async def receive() -> Message:
    return _REQUEST


class Sink:
    """``send``: keeps the status and body of the last response, to check them."""

    def __init__(self) -> None:
        self.status = 0
        self.body = b""

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body":
            self.body = message.get("body", b"")


def runner(name: str) -> tuple[Callable[[int], None], Sink]:
    """``run(n)``: ``n`` requests to the app ``name`` (each with a fresh scope, as a server
    builds one per request)."""
    import importlib

    app: App = getattr(importlib.import_module("asgi_apps"), name)
    path = PATHS[name.partition("_")[2]]
    sink = Sink()

    def run(n: int) -> None:
        for _ in range(n):
            coro: Any = app(scope_for(path), receive, sink)
            try:
                coro.send(None)
            except StopIteration:
                continue
            raise RuntimeError(f"{name} waited on something: not a one-shot request")

    return run, sink


def check(name: str) -> None:
    run, sink = runner(name)
    run(1)
    expected = b"Hello World" if "hello" in name else b'{"message":"Hello, World!"}'
    if sink.status != 200 or sink.body != expected:
        raise SystemExit(f"{name} answered {sink.status} {sink.body!r}")


def timed(calls: int, repeats: int) -> None:
    runs = {name: runner(name)[0] for name in APPS}
    best = dict.fromkeys(APPS, float("inf"))
    for run in runs.values():
        run(calls // 10)  # warm-up
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            start = time.perf_counter()
            run(calls)
            best[name] = min(best[name], (time.perf_counter() - start) / calls * 1e6)
    for name in APPS:
        print(f"{name:16} {best[name]:6.2f} µs/request")
    for variant in ("hello", "json"):
        ratio = best[f"starlette_{variant}"] / best[f"koa_{variant}"]
        print(f"{variant}: Starlette µs / koa µs = {ratio:.2f} (above 1: koa faster)")


def instructions(name: str, calls: int) -> int:
    with open(os.devnull, "w") as null:
        out = subprocess.run(
            [
                "valgrind", "--tool=cachegrind", "--cache-sim=no",
                "--cachegrind-out-file=/dev/null", sys.executable, __file__,
                "--only", name, "--calls", str(calls),
            ],
            capture_output=True, text=True, check=True, stdin=null,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        ).stderr  # fmt: skip
    match = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if match is None:
        raise RuntimeError(f"no instruction count from cachegrind:\n{out}")
    return int(match.group(1).replace(",", ""))


def counted(calls: int, names: list[str]) -> None:
    per: dict[str, float] = {}
    for name in names:
        low, high = instructions(name, calls), instructions(name, 2 * calls)
        per[name] = (high - low) / calls
        print(f"{name:16} {per[name]:10,.0f} instructions/request", flush=True)
    for variant in ("hello", "json"):
        koa, starlette = per.get(f"koa_{variant}"), per.get(f"starlette_{variant}")
        if koa and starlette:
            print(f"{variant}: koa / Starlette instructions = {koa / starlette:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--only", choices=APPS, help="run this app --calls times, silently")
    parser.add_argument("--cachegrind", action="store_true", help="count instructions")
    parser.add_argument("--apps", default=",".join(APPS), help="with --cachegrind")
    args = parser.parse_args()
    if args.only:
        run, _ = runner(args.only)
        run(200)  # warm-up: caches filled, as on a server that has run a while
        run(args.calls)
        return
    for name in APPS:
        check(name)
    if args.cachegrind:
        counted(args.calls, args.apps.split(","))
    else:
        timed(args.calls, args.repeats)


if __name__ == "__main__":
    main()
