"""koa as an ASGI app on uvicorn and granian, against Starlette on the same servers and koa on
aiohttp: hello world and JSON, interleaved rounds, medians and ratios.

    hatch run bench:python benchmarks/asgi.py [--rounds 3] [--seconds 3]

Each server runs pinned to CPU 0 (``taskset -c 0``), wrk to CPU 1 (``-t1 -c50``, keep-alive,
127.0.0.1). Both ASGI servers run as their docs recommend for speed: uvicorn with uvloop and
httptools, granian with its own runtime on uvloop; one worker each. koa on aiohttp is
``benchmarks/servers/koa_app.py`` (asyncio, as the core scenario runs it). A round measures
every case once, in the same order; the figures are the medians of the rounds. On a shared
machine only ratios measured in the same run mean anything.

Beside requests per second, each case reports the server's CPU time per request: the user and
system time of the server's processes (``/proc/PID/stat``, the whole process group, so
granian's worker counts) over the requests wrk completed. On a machine with two cores, where
wrk and the server share the host with others, requests per second move by a third between
runs, and CPU time by a fifth.

``--instructions`` measures what no other process can disturb: each server runs under
``valgrind --tool=cachegrind`` (its worker processes too) and answers ``--calls`` requests
more than on a second start with 200; the difference of the instructions all its processes
ran, divided by ``--calls``, is the server's instructions per request, its own work included
(HTTP parsing, the event loop, the garbage collector). The requests go one after another on
one keep-alive connection from this process.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVERS = HERE / "servers"
PY = sys.executable


def command(peer: str, variant: str, port: int) -> list[str]:
    if peer == "koa/aiohttp":
        return [PY, str(SERVERS / "koa_app.py"), "--app", variant, "--port", str(port)]
    framework, _, server = peer.partition("/")
    target = f"asgi_apps:{framework}_{variant}"
    if server == "uvicorn":
        return [
            PY, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--loop",
            "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
            target,
        ]  # fmt: skip
    return [
        PY, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--no-ws", "--log-level", "warning", "--workers", "1", target,
    ]  # fmt: skip


PEERS = ["koa/aiohttp", "koa/uvicorn", "starlette/uvicorn", "koa/granian", "starlette/granian"]
VARIANTS = {"hello": "/", "json": "/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.args!r}") from None
            time.sleep(0.1)


TICK = os.sysconf("SC_CLK_TCK")


def group_cpu(group: int) -> float:
    """User and system CPU seconds of the live processes of process group ``group``."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # After the command: state, ppid, pgrp (index 2), ..., utime (11), stime (12).
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def wrk(url: str, seconds: float) -> tuple[float, int]:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c50", f"-d{seconds:g}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    if match is None or count is None or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk failed against {url}:\n{out}")
    return float(match.group(1)), int(count.group(1))


def stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Stop the server's process group (granian's workers too): SIGTERM, SIGKILL after
    ``grace`` seconds."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure(peer: str, variant: str, seconds: float) -> tuple[float, float]:
    """Requests per second, and the server's CPU microseconds per request."""
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", "0", *command(peer, variant, port)],
        cwd=SERVERS,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}{VARIANTS[variant]}"
        wait_ready(url, proc)
        wrk(url, 1)  # warm-up
        before = group_cpu(proc.pid)
        rps, count = wrk(url, seconds)
        return rps, (group_cpu(proc.pid) - before) / count * 1e6
    finally:
        stop(proc, 10)


def instructions(peer: str, variant: str, calls: int) -> int:
    """Instructions the server's processes run to start, answer ``calls`` requests, stop."""
    port = free_port()
    with tempfile.TemporaryDirectory() as logs:
        proc = subprocess.Popen(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                "--trace-children=yes",
                "--cachegrind-out-file=/dev/null",
                f"--log-file={logs}/%p",
                *command(peer, variant, port),
            ],
            cwd=SERVERS,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120  # a Python server starts slowly under valgrind
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request("GET", VARIANTS[variant])
                    conn.getresponse().read()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"server did not start: {proc.args!r}") from None
                    time.sleep(0.5)
            for _ in range(calls):
                conn.request("GET", VARIANTS[variant])
                res = conn.getresponse()
                res.read()
                if res.status != 200:
                    raise RuntimeError(f"{peer} answered {res.status}")
            conn.close()
        finally:
            stop(proc, 60)  # valgrind writes its counts as the processes exit
        total = 0
        for log in Path(logs).iterdir():
            match = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text())
            if match:
                total += int(match.group(1).replace(",", ""))
        return total


def count_instructions(calls: int) -> None:
    print("server instructions per request (valgrind; requests one after another):")
    per: dict[tuple[str, str], float] = {}
    for variant in VARIANTS:
        for peer in PEERS:
            extra = instructions(peer, variant, calls + 200) - instructions(peer, variant, 200)
            per[(variant, peer)] = extra / calls
            print(f"{variant:5} {peer:18} {per[(variant, peer)]:10,.0f}", flush=True)
    for variant in VARIANTS:
        for mine, theirs in RATIOS:
            ratio = per[(variant, mine)] / per[(variant, theirs)]
            print(f"  {variant}: {mine} / {theirs}: {ratio:.2f} of the instructions")


RATIOS = (
    ("koa/uvicorn", "starlette/uvicorn"),
    ("koa/granian", "starlette/granian"),
    ("koa/uvicorn", "koa/aiohttp"),
    ("koa/granian", "koa/aiohttp"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--instructions", action="store_true", help="count with valgrind")
    parser.add_argument("--calls", type=int, default=1000, help="requests, with --instructions")
    args = parser.parse_args()
    if args.instructions:
        count_instructions(args.calls)
        return
    figures: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        for variant in VARIANTS:
            for peer in PEERS:
                rps, micros = measure(peer, variant, args.seconds)
                figures.setdefault((variant, peer), []).append(rps)
                cpu.setdefault((variant, peer), []).append(micros)
                print(
                    f"round {round_ + 1} {variant:5} {peer:18} {rps:10.0f} req/s"
                    f" {micros:7.1f} server CPU µs/request",
                    flush=True,
                )
    median = {key: statistics.median(values) for key, values in figures.items()}
    cost = {key: statistics.median(values) for key, values in cpu.items()}
    print(
        "\nmedians and ratios, measured side by side in this run: requests/s (higher is"
        " faster), server CPU µs per request (lower is faster; ratios inverted, so above 1"
        " is faster for both):"
    )
    for variant in VARIANTS:
        row = {peer: median[(variant, peer)] for peer in PEERS}
        print(f"{variant}: " + ", ".join(f"{peer} {rps:.0f}" for peer, rps in row.items()))
        print(
            " " * len(variant)
            + "  "
            + ", ".join(f"{peer} {cost[(variant, peer)]:.1f} µs" for peer in PEERS)
        )
        for mine, theirs in RATIOS:
            speed = row[mine] / row[theirs]
            saving = cost[(variant, theirs)] / cost[(variant, mine)]
            print(f"  {mine} / {theirs}: {speed:.2f} by requests/s, {saving:.2f} by CPU time")


if __name__ == "__main__":
    main()
