"""Load benchmarks: koa and its packages against aiohttp, Starlette and Sanic, driven by wrk.

Each server runs pinned to CPU 0 (``taskset -c 0``) in its own process group; wrk runs pinned to
CPU 1 (``taskset -c 1 wrk -t1 -c50``) over keep-alive connections to 127.0.0.1. Before every
measurement one request is checked (status and body); then a warm-up, then the measurement.
Every round measures each case of a scenario once, peers interleaved; figures are medians.

    hatch run bench:bench                       # the full suite (~10 minutes)
    hatch run bench:bench --quick               # one short round (~2 minutes)
    hatch run bench:bench -s core -p koa,aiohttp-raw --rounds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import procs
import report
import wrk
from procs import ServerProcess
from report import Measurement
from scenarios import Case, Figures, Scenario, ServerSpec, build

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MEMORY_REQUESTS = 100_000

# What the koa server of a scenario imports: the scenario waits until it works.
NEEDS = {
    "koa.router": "Router",
    "koa.static": "serve",
    "koa.mount": "mount",
    "koa.logger": "logger",
    "koa.bodyparser": "bodyparser",
    "koa.compress": "compress",
    "koa.cors": "cors",
}


def available(module: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), NEEDS[module])
    except ImportError:
        return False


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-s",
        "--scenarios",
        help="comma-separated scenarios (default: all, plus the memory check): "
        "core, router, static, mount, logger, bodyparser, memory",
    )
    parser.add_argument(
        "-p", "--peers", help="comma-separated peers to keep (default: all), e.g. koa,aiohttp-raw"
    )
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 3)")
    parser.add_argument("--warmup", type=int, help="warm-up seconds per measurement (default 1)")
    parser.add_argument("--duration", type=int, help="seconds per measurement (default 3)")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 round of 1 s warm-up + 1 s, memory check of koa hello only (about 2 minutes)",
    )
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=0.25,
        help="leave a measurement out of the req/s medians when CPU 0 was busier than the server "
        "by more than this share, or CPU 1 was saturated and busier than wrk by more than this "
        "share (other load on the machine; default 0.25)",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="re-measure (up to twice) cases with fewer clean measurements than half the rounds",
    )
    parser.add_argument("--label", default="", help="a word for the result file names")
    parser.add_argument("--list", action="store_true", help="list scenarios, cases and exit")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.warmup = args.warmup or 1
    args.duration = args.duration or (1 if args.quick else 3)
    return args


def select(args: argparse.Namespace, scenarios: list[Scenario]) -> tuple[list[Scenario], bool]:
    names = {s.name for s in scenarios} | {"memory"}
    wanted = set(args.scenarios.split(",")) if args.scenarios else names
    unknown = wanted - names
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}; known: {sorted(names)}")
    peers = set(args.peers.split(",")) if args.peers else None
    chosen = []
    for scenario in scenarios:
        if scenario.name not in wanted:
            continue
        if peers is not None:
            scenario.cases = [c for c in scenario.cases if c.peer in peers]
        if scenario.cases:
            chosen.append(scenario)
    return chosen, "memory" in wanted


# -- measuring ------------------------------------------------------------------------------


def measure(
    case: Case, server: ServerProcess, scenario: str, round_no: int, args: argparse.Namespace
) -> Measurement:
    m = Measurement(scenario, case.variant, case.peer, round_no)
    probe = case.probe
    try:
        reply = procs.fetch(
            server.port,
            probe.check_path or probe.path,
            method=probe.method,
            body=probe.body,
            extra_headers=probe.headers,
        )
    except OSError as err:
        m.failed = f"check request failed: {err}"
        return m
    problem = probe.check(reply)
    if problem is not None:
        m.failed = f"check: {problem}"
        return m
    url = f"http://127.0.0.1:{server.port}{probe.path}"

    def load(seconds: int) -> wrk.WrkResult:
        return wrk.run(
            url,
            seconds,
            connections=args.connections,
            script=probe.script,
            script_args=probe.script_args,
            headers=probe.headers,
        )

    load(args.warmup)
    cpu_before, server_before, started = procs.cpu_times(), server.cpu_seconds(), time.monotonic()
    result = load(args.duration)
    wall = time.monotonic() - started
    cpu_after, server_after = procs.cpu_times(), server.cpu_seconds()
    m.rps = result.rps
    m.p50_ms = result.latency_ms.get("50", math.nan)
    m.p99_ms = result.latency_ms.get("99", math.nan)
    m.mb_per_s = result.mb_per_s
    m.requests = result.requests
    m.errors = result.errors
    m.non_2xx = result.non_2xx
    m.cpu0_busy = procs.busy_share(cpu_before, cpu_after, procs.SERVER_CPU)
    m.cpu1_busy = procs.busy_share(cpu_before, cpu_after, procs.CLIENT_CPU)
    m.server_cpu = (server_after - server_before) / wall
    m.wrk_cpu = result.cpu_seconds / wall
    m.cpu_us = (server_after - server_before) / result.requests * 1e6 if result.requests else 0.0
    if result.non_2xx or result.errors > result.requests / 100:
        m.failed = f"wrk saw {result.non_2xx} non-2xx responses and {result.errors} socket errors"
    foreign0 = m.cpu0_busy - m.server_cpu
    foreign1 = m.cpu1_busy - m.wrk_cpu
    if foreign0 > args.max_foreign:
        m.interfered = f"other load on CPU 0 ({foreign0:.0%})"
    elif foreign1 > args.max_foreign and m.cpu1_busy > 0.9:
        # Other load on CPU 1 only matters when it leaves wrk short of CPU.
        m.interfered = f"other load on CPU 1 ({foreign1:.0%}, CPU 1 saturated)"
    return m


def start_servers(
    specs: Iterable[ServerSpec], root: Path, logs: Path, ready_paths: dict[str, str]
) -> dict[str, ServerProcess]:
    servers: dict[str, ServerProcess] = {}
    try:
        for spec in specs:
            if spec.key not in servers:
                log = logs / f"{spec.key.replace(':', '-')}.log"
                servers[spec.key] = ServerProcess(spec.key, spec.argv(root), log)
        for key, server in servers.items():
            server.wait_ready(ready_paths[key])
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers


def run_scenario(
    scenario: Scenario, args: argparse.Namespace, root: Path, logs: Path
) -> tuple[dict[tuple[str, str], Figures], list[Measurement]]:
    ready = {case.server.key: case.probe.check_path or case.probe.path for case in scenario.cases}
    servers = start_servers((c.server for c in scenario.cases), root, logs, ready)
    measurements: list[Measurement] = []
    try:
        cases = scenario.cases
        for round_no in range(1, args.rounds + 1):
            # Rotate the order each round so that no case always follows the same neighbour.
            shift = (round_no - 1) % len(cases)
            for case in cases[shift:] + cases[:shift]:
                m = measure(case, servers[case.server.key], scenario.name, round_no, args)
                measurements.append(m)
                print(f"  {scenario.name} r{round_no} {case.name}: {_line(m)}", flush=True)
        # Repair: re-measure (at most twice) cases that have too few clean measurements.
        for case in cases if args.repair else ():
            for attempt in range(2):
                mine = [m for m in measurements if (m.variant, m.peer) == (case.variant, case.peer)]
                clean = [m for m in mine if not m.interfered and not m.failed]
                if len(clean) * 2 > args.rounds or any(m.failed for m in mine):
                    break
                m = measure(case, servers[case.server.key], scenario.name, 100 + attempt, args)
                measurements.append(m)
                print(f"  {scenario.name} repair {case.name}: {_line(m)}", flush=True)
        rss = {key: server.rss_mb() for key, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    figures: dict[tuple[str, str], Figures] = {}
    for case in scenario.cases:
        mine = [m for m in measurements if (m.variant, m.peer) == (case.variant, case.peer)]
        result = report.median_figures(mine, rss[case.server.key])
        if result is not None:
            figures[(case.variant, case.peer)] = result
    return figures, measurements


def _line(m: Measurement) -> str:
    if m.failed:
        return f"FAILED {m.failed}"
    note = f"  [{m.interfered}]" if m.interfered else ""
    return (
        f"{m.rps:>9,.0f} req/s  p99 {m.p99_ms:6.2f} ms  {m.cpu_us:5.1f} CPU µs/req  "
        f"CPU0 {m.cpu0_busy:.0%} (server {m.server_cpu:.0%})  "
        f"CPU1 {m.cpu1_busy:.0%} (wrk {m.wrk_cpu:.0%}){note}"
    )


# -- memory ---------------------------------------------------------------------------------


def rss_over_requests(
    server: ServerProcess,
    url: str,
    connections: int,
    script: str | None,
    script_args: tuple[str, ...],
) -> list[float]:
    """RSS after a 2 s warm-up, then after each of two runs of MEMORY_REQUESTS requests."""

    def load(seconds: int) -> int:
        done = wrk.run(
            url, seconds, connections=connections, script=script, script_args=script_args
        )
        return done.requests

    load(2)
    readings = [server.rss_mb()]
    for _ in range(2):
        done = 0
        while done < MEMORY_REQUESTS:
            done += load(2)
        readings.append(server.rss_mb())
    return readings


def memory_check(args: argparse.Namespace, root: Path, logs: Path) -> list[str]:
    """RSS before and after 100k requests, twice, after a warm-up (koa and the aiohttp floor)."""
    Load = tuple[str, str | None, tuple[str, ...]]  # path, wrk script, script arguments
    hello: Load = ("/", None, ())
    cases: list[tuple[str, str, ServerSpec, Load]] = [
        ("koa", "hello", ServerSpec("koa_app", "hello"), hello),
    ]
    if not args.quick:
        cases += [
            ("koa", "mw10", ServerSpec("koa_app", "mw10"), hello),
            ("koa-uvloop", "hello", ServerSpec("koa_app", "hello", "uvloop"), hello),
            ("aiohttp-raw", "hello", ServerSpec("aiohttp_raw", "hello"), hello),
        ]
        if available("koa.router"):
            # 10,000 different paths: a router cache keyed by path must stay bounded.
            vary: Load = ("/", "vary_id.lua", ("/r999/", "10000"))
            cases.append(("koa", "router, /r999/{1..10000}", ServerSpec("koa_app", "routes"), vary))
    peers = set(args.peers.split(",")) if args.peers else None
    rows = []
    for peer, app, spec, (path, script, script_args) in cases:
        if peers is not None and peer not in peers:
            continue
        servers = start_servers([spec], root, logs, {spec.key: "/r999/1" if script else path})
        server = servers[spec.key]
        try:
            url = f"http://127.0.0.1:{server.port}{path}"
            readings = rss_over_requests(server, url, args.connections, script, script_args)
        finally:
            server.stop()
        first, second = readings[1] - readings[0], readings[2] - readings[1]
        verdict = "met" if second <= 1.0 else "**missed**"
        rows.append(
            [
                f"{peer} {app}",
                *(f"{r:.1f}" for r in readings),
                f"{first:+.1f}",
                f"{second:+.1f}",
                verdict,
            ]
        )
        print(f"  memory {peer} {app}: RSS {readings} MB", flush=True)
    header = [
        "server",
        "RSS after warm-up",
        "after +100k",
        "after +200k",
        "growth, 1st 100k",
        "growth, 2nd 100k",
        "no growth (≤ 1 MB)",
    ]
    return [
        f"### memory: RSS (MB) over 2 × {MEMORY_REQUESTS:,} requests (issue 2)",
        "",
        *report._table(header, rows),
        "",
    ]


# -- the machine ----------------------------------------------------------------------------


def machine_notes() -> list[str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    versions = []
    for dist in ("aiohttp", "uvloop", "starlette", "uvicorn", "httptools", "sanic", "koa-core"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    commit = subprocess.run(
        ["git", "-C", str(HERE), "log", "-1", "--format=%h %cd", "--date=format:%H:%M"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return [
        f"- Code: commit {commit or 'unknown'} (UTC time of the commit)",
        f"- Machine: {os.cpu_count()} × {cpu}, {mem_gb:.0f} GiB, Linux {platform.release()}; "
        f"load average at start {os.getloadavg()[0]:.2f}",
        f"- Python {platform.python_version()}; {', '.join(versions)}; "
        f"wrk {wrk_version[1] if len(wrk_version) > 1 else '?'}",
    ]


# -- main -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    missing = wrk.missing_tools()
    if missing:
        print(f"missing: {', '.join(missing)}. {wrk.INSTALL_HINT}", file=sys.stderr)
        return 2
    stamp = datetime.now(timezone.utc)
    name = stamp.strftime("%Y%m%dT%H%M%SZ") + (f"-{args.label}" if args.label else "")
    RESULTS.mkdir(exist_ok=True)
    root = RESULTS / "fixtures"
    logs = RESULTS / name / "logs"
    scenarios, with_memory = select(args, build(root))

    if args.list:
        for scenario in scenarios:
            print(f"{scenario.name}: {scenario.title} ({scenario.issue})")
            for case in scenario.cases:
                print(f"  {case.name}: {case.server.key} {case.probe.method} {case.probe.path}")
        return 0

    runnable = []
    skipped = []
    for scenario in scenarios:
        if scenario.needs and not available(scenario.needs):
            skipped.append(f"{scenario.name} (needs {scenario.needs}.{NEEDS[scenario.needs]})")
        else:
            runnable.append(scenario)
    count = sum(len(s.cases) for s in runnable) * args.rounds
    estimate = count * (args.warmup + args.duration + 0.4) + (60 if with_memory else 0)
    print(
        f"{count} measurements ({args.rounds} round(s) of {args.warmup} s warm-up + "
        f"{args.duration} s), about {estimate / 60:.1f} min"
        + (f"; skipped: {', '.join(skipped)}" if skipped else ""),
        flush=True,
    )

    command = "hatch run bench:bench " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        f"## Run {stamp:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Command: `{command.strip()}`",
        *machine_notes(),
        f"- Method: server on CPU 0, `wrk -t1 -c{args.connections}` on CPU 1, keep-alive; "
        f"{args.rounds} round(s), {args.warmup} s warm-up + {args.duration} s per measurement; "
        "cases interleaved; medians",
    ]
    if skipped:
        lines.append(f"- Skipped (package not ready): {', '.join(skipped)}")
    lines.append("")

    started = time.monotonic()
    body: list[str] = []
    compact: list[str] = []
    targets: list[list[str]] = []
    everything: list[Measurement] = []
    figures_json = {}
    broken: list[str] = []
    for scenario in runnable:
        print(f"{scenario.name}: {scenario.title}", flush=True)
        try:
            figures, measurements = run_scenario(scenario, args, root, logs)
        except RuntimeError as err:  # a server that does not start: report it, go on
            print(f"  {scenario.name} FAILED: {err}", flush=True)
            broken.append(f"{scenario.name}: {str(err).splitlines()[0]}")
            continue
        everything += measurements
        body += report.scenario_tables(scenario, figures, measurements, args.rounds)
        compact += report.compact_table(scenario, figures, measurements, args.rounds)
        targets += report.target_rows(scenario, figures)
        figures_json[scenario.name] = [
            {"variant": v, "peer": p, **dataclasses.asdict(f)} for (v, p), f in figures.items()
        ]
    if with_memory:
        print("memory: RSS before/after 100k requests", flush=True)
        memory = memory_check(args, root, logs)
        body += memory
        compact += ["#" + memory[0], *memory[1:]]

    flagged = [m for m in everything if m.interfered or m.failed]
    lines += [
        f"- Took {(time.monotonic() - started) / 60:.1f} min; load average at the end "
        f"{os.getloadavg()[0]:.2f}; {len(flagged)} of {len(everything)} measurements flagged "
        "for other load on the machine (left out of the req/s medians; every measurement is "
        "listed in the results file)",
        "",
    ]
    if broken:
        lines += [f"- **Failed**: {'; '.join(broken)}", ""]
    lines += ["### Targets", "", *report.targets_table(targets), ""] if targets else []
    summary = lines + compact
    lines += body
    text = "\n".join(lines)
    print("\n" + text)
    (RESULTS / f"{name}.md").write_text(
        text
        + "\n### All measurements\n\n"
        + "\n".join(report.measurements_table(everything))
        + "\n"
    )
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            {
                "command": command,
                "args": vars(args),
                "figures": figures_json,
                "measurements": [dataclasses.asdict(m) for m in everything],
            },
            indent=1,
        )
    )
    (RESULTS / f"{name}.summary.md").write_text("\n".join(summary) + "\n")
    print(f"written: {RESULTS / name}.md, .summary.md (for the README) and .json")
    return 1 if broken or any(m.failed for m in everything) else 0


if __name__ == "__main__":
    sys.exit(main())
