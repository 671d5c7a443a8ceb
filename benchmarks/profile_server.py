"""Where a server's time goes per request: run it under cProfile while wrk loads it.

    hatch run bench:python benchmarks/profile_server.py koa_app hello aiohttp_raw hello

Each ``<module> <app>`` pair is one server from benchmarks/servers/; the server runs under
``python -m cProfile`` pinned to CPU 0, wrk loads it from CPU 1, and the report lists the
functions with the most own time, in microseconds per request. cProfile slows Python code
down (roughly 2x), so compare shares and differences between servers, not absolute figures.
"""

from __future__ import annotations

import argparse
import pstats
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import procs
import wrk
from procs import ServerProcess
from scenarios import make_fixtures

HERE = Path(__file__).resolve().parent


def _where(filename: str) -> str:
    """A short owner for a profiled function: koa.core, aiohttp, asyncio, builtins..."""
    if filename.startswith("~") or filename == "":
        return "builtins (C)"
    parts = Path(filename).parts
    for anchor in ("koa", "aiohttp", "asyncio", "multidict", "yarl", "uvloop"):
        if anchor in parts:
            index = parts.index(anchor)
            if anchor == "koa":
                return ".".join(parts[index : index + 3]).removesuffix(".py")
            return anchor
    return Path(filename).name


def profile(
    module: str, app: str, seconds: int, top: int, root: Path, loop: str, path: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "server.prof"
        argv = ["-m", "cProfile", "-o", str(stats_path), str(HERE / "servers" / f"{module}.py")]
        argv += ["--app", app]
        if loop != "asyncio":
            argv += ["--loop", loop]
        if module in ("koa_app", "aiohttp_web", "starlette_app"):
            argv += ["--root", str(root)]
        server = ServerProcess(f"{module}:{app}", argv, Path(tmp) / "server.log")
        try:
            server.wait_ready(path)
            url = f"http://127.0.0.1:{server.port}{path}"
            # Every request counts: the readiness probe, the warm-up and the measurement.
            requests = 1 + wrk.run(url, 1).requests + wrk.run(url, seconds).requests
        finally:
            server.stop()
        stats = pstats.Stats(str(stats_path))

    rows = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in rows.values())
    per_owner: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in rows.items():
        per_owner[_where(filename)] += row[2]
    print(f"\n== {module} --app {app} ({loop}), GET {path}: {requests:,} requests under cProfile")
    print(f"   profiled own time: {total / requests * 1e6:.1f} µs per request\n")
    print("   by owner (own time, µs per request):")
    for owner, own in sorted(per_owner.items(), key=lambda kv: -kv[1])[:16]:
        print(f"   {own / requests * 1e6:8.2f}  {own / total:5.1%}  {owner}")
    print(f"\n   top {top} functions: own µs/req, cumulative µs/req, calls/req")
    ranked = sorted(rows.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in ranked:
        where = f"{_where(filename)}:{line}" if line else _where(filename)
        print(
            f"   {own / requests * 1e6:7.2f} {cumulative / requests * 1e6:8.2f} "
            f"{calls / requests:6.2f}  {name}  ({where})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("servers", nargs="+", help="pairs: <module> <app>")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--path", default="/", help="the URL path wrk requests (default /)")
    args = parser.parse_args()
    if len(args.servers) % 2:
        sys.exit("give servers as <module> <app> pairs")
    missing = wrk.missing_tools()
    if missing:
        sys.exit(f"missing: {', '.join(missing)}. {wrk.INSTALL_HINT}")
    root = HERE / "results" / "fixtures"
    make_fixtures(root)
    pairs = list(zip(args.servers[::2], args.servers[1::2], strict=True))
    for module, app in pairs:
        profile(module, app, args.seconds, args.top, root, args.loop, args.path)
    print(f"\n(server pinned to CPU {procs.SERVER_CPU}, wrk to CPU {procs.CLIENT_CPU})")


if __name__ == "__main__":
    main()
