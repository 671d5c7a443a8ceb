"""Before and after a change to koa: the koa cases of the load benchmarks, run side by side.

Each case runs two servers (the same ``servers/koa_app.py``): one on the packages of this tree,
one on the packages of another checkout (``--before``, e.g. a scratch ``git worktree`` of the
old commit), imported through ``PYTHONPATH``. Rounds interleave the two, alternating which goes
first, with the harness's own measurement (``run.measure``: check, warm-up, wrk, CPU time), so
both see the same machine. Prints a Markdown table of medians and after ÷ before ratios.

    git worktree add --detach /tmp/before <old-commit>
    hatch run bench:python benchmarks/before_after.py --before /tmp/before --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import procs
import run
from report import Measurement
from scenarios import Case, build

# (scenario, variant, peer) of the cases compared: koa-core's hot paths and each package's.
CASES = {
    ("core", "hello", "koa"): "hello",
    ("core", "mw10", "koa"): "mw10",
    ("core", "json", "koa"): "json",
    ("static", "4k", "koa"): "static 4k",
    ("static", "1m", "koa"): "static 1m",
    ("bodyparser", "post_echo", "koa"): "post_echo",
    ("router", "first", "koa"): "routes first",
    ("router", "last", "koa"): "routes last",
}


@contextlib.contextmanager
def _pythonpath(tree: Path | None) -> Iterator[None]:
    """Servers started inside import koa from ``tree``'s packages (before the installed ones)."""
    if tree is None:
        yield
        return
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        str(src) for src in sorted((tree / "packages").glob("*/src"))
    )
    try:
        yield
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--max-foreign", type=float, default=0.25)
    parser.add_argument("--cases", help="comma-separated labels to keep (default: all)")
    args = parser.parse_args(argv)
    keep = set(args.cases.split(",")) if args.cases else None

    with tempfile.TemporaryDirectory(prefix="koa-bench-") as tmp:
        root = Path(tmp)
        logs = root / "logs"
        cases: list[tuple[str, Case]] = []
        for scenario in build(root):
            for case in scenario.cases:
                label = CASES.get((scenario.name, case.variant, case.peer))
                if label is not None and (keep is None or label in keep):
                    cases.append((label, case))
        results: dict[tuple[str, str], list[Measurement]] = {}
        for label, case in cases:
            servers: dict[str, procs.ServerProcess] = {}
            try:
                for side, tree in (("after", None), ("before", args.before)):
                    with _pythonpath(tree):
                        servers[side] = procs.ServerProcess(
                            f"{side}:{case.server.key}",
                            case.server.argv(root),
                            logs / f"{side}-{label.replace(' ', '-')}.log",
                        )
                for server in servers.values():
                    server.wait_ready(case.probe.check_path or case.probe.path)
                for round_no in range(args.rounds):
                    order = ("before", "after") if round_no % 2 == 0 else ("after", "before")
                    for side in order:
                        m = run.measure(case, servers[side], label, round_no, args)
                        if m.failed:
                            raise SystemExit(f"{side} {label}: {m.failed}")
                        results.setdefault((label, side), []).append(m)
                        print(
                            f"{label:14} {side:6} round {round_no + 1}: {m.rps:9,.0f} req/s"
                            f" {m.cpu_us:6.1f} µs/req {m.interfered}",
                            flush=True,
                        )
            finally:
                for server in servers.values():
                    server.stop()

    print()
    print(
        "| case | before req/s | after req/s | after ÷ before | before CPU µs/req |"
        " after CPU µs/req | before ÷ after (CPU) | clean rounds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, _ in cases:
        figures = {}
        for side in ("before", "after"):
            ms = results[(label, side)]
            clean = [m for m in ms if not m.interfered] or ms
            figures[side] = (
                _median([m.rps for m in clean]),
                _median([m.cpu_us for m in ms]),
                len([m for m in ms if not m.interfered]),
            )
        (b_rps, b_cpu, b_n), (a_rps, a_cpu, a_n) = figures["before"], figures["after"]
        print(
            f"| {label} | {b_rps:,.0f} | {a_rps:,.0f} | {a_rps / b_rps:.2f} | {b_cpu:.1f} |"
            f" {a_cpu:.1f} | {b_cpu / a_cpu:.2f} | {min(a_n, b_n)}/{args.rounds} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
