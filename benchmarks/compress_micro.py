"""koa-compress in-process: what compress() costs when it skips, and when to use a thread.

    hatch run bench:python benchmarks/compress_micro.py [--quick]

1. Hello world (11 bytes, below the 1 KB threshold) with ``compress()`` in front against the
   same app without it, through ``app.callback()`` with micro_core.py's harness (a real
   ``BaseRequest`` over a transport that drops bytes; no sockets, no event loop), the request
   carrying a browser's ``Accept-Encoding``. Timed in this process's CPU time (other
   processes on a shared machine take wall-clock time, not CPU time), best of many short
   batches run in shuffled order.
2. The size from which a body is compressed in a worker thread (``OFFLOAD_SIZE``): the time
   to compress JSON of each size with each encoder's defaults, against one round trip
   through the event loop's default executor.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import time
from collections.abc import Callable

from aiohttp.test_utils import make_mocked_request
from koa.compress import compress
from koa.compress.encoders import make_factory
from koa.compress.streams import OFFLOAD_SIZE
from koa.core import Context, Koa, Next
from micro_core import Requests, serve_once

BROWSER = "gzip, deflate, br, zstd"


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "Hello World"


async def pass_through(ctx: Context, next: Next) -> None:
    await next()


def skip_cost(iterations: int, repeats: int) -> None:
    requests = Requests()
    template = make_mocked_request(
        "GET",
        "/",
        headers={"Host": "127.0.0.1:8080", "User-Agent": "wrk", "Accept-Encoding": BROWSER},
    )
    requests.message = template._message
    plain = Koa().use(hello).callback()
    layered = Koa().use(pass_through).use(hello).callback()
    compressed = Koa().use(compress()).use(hello).callback()

    def build() -> None:
        requests.new()

    cases: dict[str, Callable[[], None]] = {
        "build": build,
        "hello": lambda: serve_once(plain, requests.new()),
        "pass": lambda: serve_once(layered, requests.new()),
        "compress": lambda: serve_once(compressed, requests.new()),
    }
    for case in cases.values():
        case()
    best = dict.fromkeys(cases, float("inf"))
    order = list(cases)
    shuffle = random.Random(15).shuffle
    for _ in range(repeats):
        shuffle(order)  # no case always runs right after another (caches, frequency steps)
        for name in order:
            case = cases[name]
            gc.collect()
            started = time.process_time_ns()
            for _ in range(iterations):
                case()
            best[name] = min(best[name], (time.process_time_ns() - started) / iterations / 1e3)
    requests.close()
    us = {name: value - best["build"] for name, value in best.items()}
    print(f"1. hello world, µs per request (best of {repeats} × {iterations:,}, request")
    print(f"   building subtracted; Accept-Encoding: {BROWSER}):\n")
    print(f"  {us['hello']:7.2f}  without compress()")
    print(f"  {us['compress']:7.2f}  with compress(), skipped (11 bytes < 1 KB)")
    print(f"  {us['compress'] - us['hello']:+7.2f}  compress() when it skips (target: ≤ 1 µs)")
    print(f"  {us['pass'] - us['hello']:+7.2f}  for comparison: one pass-through middleware")
    ratio = (us["compress"] - us["hello"]) / (us["pass"] - us["hello"])
    print(f"  {ratio:7.2f}  compress() ÷ one pass-through layer\n")


def document(size: int) -> bytes:
    rows = [
        {"id": i, "name": f"user {i}", "email": f"user{i}@example.com", "score": i * 7 % 1000}
        for i in range(size // 60 + 1)
    ]
    return json.dumps(rows, separators=(",", ":")).encode()[:size]


def offload(repeats: int) -> None:
    factories = {name: make_factory(name, True) for name in ("gzip", "br", "zstd")}

    async def hop_us() -> float:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, int)
        samples = []
        for _ in range(20):
            started = time.perf_counter_ns()  # the wait for the thread is wall-clock time
            for _ in range(100):
                await loop.run_in_executor(None, int)
            samples.append((time.perf_counter_ns() - started) / 100 / 1e3)
        return statistics.median(samples)

    hop = asyncio.run(hop_us())
    print("2. compressing JSON on the loop, CPU µs (best of repeats), against one executor hop:\n")
    print(f"  executor round trip (run_in_executor of a no-op), median: {hop:.0f} µs\n")
    print(f"  {'size':>8}  {'gzip':>8}  {'br':>8}  {'zstd':>8}")
    for size in (4096, 16384, 32768, 65536, 131072, 262144, 1048576):
        data = document(size)
        cells = []
        for factory in factories.values():
            assert factory is not None
            best = float("inf")
            for _ in range(repeats):
                started = time.process_time_ns()
                factory.compress_whole(data)
                best = min(best, (time.process_time_ns() - started) / 1e3)
            cells.append(f"{best:8.0f}")
        print(f"  {size:>8,}  {'  '.join(cells)}")
    print(f"\n  OFFLOAD_SIZE is {OFFLOAD_SIZE:,} bytes: from there on, a worker thread.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args()
    # Many short interleaved batches: on a shared machine the best batch of each case is
    # the one least disturbed by other processes.
    iterations, repeats = (2_000, 5) if args.quick else (2_000, 40)
    skip_cost(iterations, repeats)
    offload(3 if args.quick else 9)


if __name__ == "__main__":
    main()
