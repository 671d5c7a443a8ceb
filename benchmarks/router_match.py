"""Micro-benchmark of koa.router matching: µs per match at 10 to 10,000 routes.

Run with ``hatch run python benchmarks/router_match.py`` (``--quick`` for a short run).
In-process only, no sockets. For each size it registers ``/resource{i}/:id/sub{i}`` routes
(the shape used for @koa/router's figures in the reference notes) plus a few static routes,
then times, with a different id on every call:

- ``match``: ``router.match(path, "GET")``, the public lookup (index + cached plan);
- ``dispatch``: the whole ``router.routes()`` middleware for one request (host check,
  lookup, plan, param decoding, the route's composed chain) on a minimal context;
- ``scan``: testing every layer's regex in turn, which is what @koa/router does, for contrast.

Each figure is CPU µs per call (process time, steadier than wall-clock time on a shared
machine), the best of several rounds, for the first and the last registered route.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from typing import Any

from koa.core import Next
from koa.router import Router

SIZES = (10, 100, 1_000, 10_000)


class _Ctx:
    """The fields the router reads and writes; enough to run its middleware."""

    def __init__(self) -> None:
        self.path = "/"
        self.method = "GET"
        self.params: dict[str, str] = {}
        self.host = "127.0.0.1"
        self.hostname = "127.0.0.1"
        self.body: Any = None


def build(size: int) -> Router:
    router = Router()

    async def handler(ctx: Any, next: Next) -> None:
        ctx.body = ctx.params

    for name in ("/", "/health", "/about", "/static/app.js"):
        router.get(name, handler)
    for i in range(size):
        router.get(f"/resource{i}/:id/sub{i}", handler)
    return router


def _done() -> Any:
    return None


def best_of(rounds: int, calls: int, fn: Callable[[int], object]) -> float:
    """CPU µs per call, best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for i in range(calls):
            fn(i)
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e6


def _timings(router: Router, index: int, rounds: int, calls: int) -> tuple[float, float, float]:
    """(match, dispatch, scan) µs per call for the route registered ``index``-th."""
    middleware = router.routes()
    layers = router.stack
    paths = [f"/resource{index}/{n}/sub{index}" for n in range(1024)]

    def match(i: int) -> object:
        return router.match(paths[i & 1023], "GET")

    def dispatch(i: int) -> object:
        ctx = _Ctx()
        ctx.path = paths[i & 1023]
        # The handler never waits, so its coroutine finishes on the first send.
        with contextlib.suppress(StopIteration):
            middleware(ctx, _done).send(None)  # type: ignore[attr-defined]
        return ctx.body

    def scan(i: int) -> object:
        path = paths[i & 1023]
        return [layer for layer in layers if layer.match(path)]

    scan_calls = max(10, calls * 10 // len(layers))
    return (
        best_of(rounds, calls, match),
        best_of(rounds, calls, dispatch),
        best_of(rounds, scan_calls, scan),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    args = parser.parse_args(argv)
    rounds, calls = (3, 2_000) if args.quick else (5, 20_000)
    print(f"koa.router, CPU µs per call (best of {rounds} rounds, Python {sys.version.split()[0]})")
    header = (
        f"{'routes':>7} | {'match first':>11} {'last':>6} | {'dispatch first':>14} {'last':>6}"
        f" | {'scan first':>10} {'last':>7}"
    )
    print(header)
    print("-" * len(header))
    for size in SIZES:
        router = build(size)
        first = _timings(router, 0, rounds, calls)
        last = _timings(router, size - 1, rounds, calls)
        print(
            f"{size:>7} | {first[0]:>11.2f} {last[0]:>6.2f} | {first[1]:>14.2f} {last[1]:>6.2f}"
            f" | {first[2]:>10.1f} {last[2]:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
