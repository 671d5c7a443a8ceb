"""Hello world deployed: through 1 and 2 gunicorn workers, and through nginx, as ratios to a
direct ``app.listen()`` measured in the same minutes.

``hatch run bench:python benchmarks/deploy.py [--rounds 3] [--seconds 3]``

Every server runs pinned to CPU 0 (gunicorn's master and workers, nginx's master and worker
alike), wrk to CPU 1, as in ``run.py``: the 2-worker case therefore shows what a second worker
costs on one CPU, not how workers scale across CPUs. The four servers are started once; each
round measures every case once, in an order rotated each round; the figures are medians.
Beside requests/s it reports the server's CPU time per request (its whole process group; for
the nginx case nginx's plus its upstream's), which a shared, busy machine disturbs far less.
Needs wrk, taskset, gunicorn (``koa-core[gunicorn]``) and nginx.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import wrk
from procs import SERVER_CPU, fetch, free_port

APP = """
from koa.core import Koa

app = Koa(proxy=True, max_ips_count=1)


async def hello(ctx, next):
    ctx.body = "Hello World"


app.use(hello)

if __name__ == "__main__":
    import sys

    app.listen(int(sys.argv[1]))
"""

NGINX_CONFIG = """
daemon off;
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream koa {{
        server 127.0.0.1:{upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://koa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
        }}
    }}
}}
"""


class Server:
    """A process group pinned to the server CPU, stopped by its PID."""

    def __init__(self, name: str, argv: list[str], port: int, cwd: Path) -> None:
        self.name = name
        self.port = port
        self.partners: list[Server] = []
        self.log = cwd / f"{name}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                ["taskset", "-c", SERVER_CPU, *argv],
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                reply = fetch(self.port, "/")
                if reply.status == 200 and reply.body == b"Hello World":
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer in {timeout} s")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by this server's process group."""
        ticks = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == self.proc.pid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def gunicorn(workers: int, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "hello_app:app",
        "-k",
        "koa.core.worker.GunicornWorker",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "75",
        "--no-control-socket",
    ]


@contextlib.contextmanager
def servers(directory: Path) -> Iterator[list[Server]]:
    (directory / "hello_app.py").write_text(APP)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    ports = [free_port() for _ in range(5)]
    prefix = directory / "nginx"
    prefix.mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        NGINX_CONFIG.format(prefix=prefix, port=ports[4], upstream=ports[3], user=user)
    )
    started = [
        Server(
            "direct app.listen()",
            [sys.executable, "hello_app.py", str(ports[0])],
            ports[0],
            directory,
        ),
        Server("gunicorn, 1 worker", gunicorn(1, ports[1]), ports[1], directory),
        Server("gunicorn, 2 workers", gunicorn(2, ports[2]), ports[2], directory),
        Server("(upstream of nginx)", gunicorn(1, ports[3]), ports[3], directory),
        Server(
            "nginx → gunicorn, 1 worker",
            [
                nginx,
                "-p",
                str(prefix),
                "-c",
                str(prefix / "nginx.conf"),
                "-e",
                str(prefix / "error.log"),
            ],
            ports[4],
            directory,
        ),
    ]
    try:
        for server in started:
            server.wait_ready()
        # The nginx case's server CPU is nginx's plus its upstream gunicorn's.
        started[4].partners = [started[3]]
        yield [server for server in started if not server.name.startswith("(")]
    finally:
        for server in reversed(started):
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    options = parser.parse_args()
    missing = wrk.missing_tools()
    if missing:
        sys.exit(f"missing: {', '.join(missing)}. {wrk.INSTALL_HINT}")
    rps: dict[str, list[float]] = {}
    cpu_us: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder, servers(Path(folder)) as cases:
        for round_number in range(options.rounds):
            shift = round_number % len(cases)
            for server in cases[shift:] + cases[:shift]:
                url = f"http://127.0.0.1:{server.port}/"
                wrk.run(url, options.warmup)
                group = [server, *server.partners]
                cpu_before = sum(member.cpu_seconds() for member in group)
                result = wrk.run(url, options.seconds)
                cpu = sum(member.cpu_seconds() for member in group) - cpu_before
                if result.errors or result.non_2xx:
                    sys.exit(f"{server.name}: {result.errors} errors, {result.non_2xx} non-2xx")
                rps.setdefault(server.name, []).append(result.rps)
                cpu_us.setdefault(server.name, []).append(cpu / max(result.requests, 1) * 1e6)
                print(
                    f"round {round_number + 1}: {server.name}: {result.rps:,.0f} req/s,"
                    f" {cpu_us[server.name][-1]:.0f} µs server CPU per request",
                    flush=True,
                )
    direct = statistics.median(rps["direct app.listen()"])
    direct_cpu = statistics.median(cpu_us["direct app.listen()"])
    print()
    print(
        "| case | requests/s (median) | ratio to direct | server CPU µs per request (median)"
        " | ratio to direct | requests/s, every round |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for name, values in rps.items():
        median = statistics.median(values)
        cpu = statistics.median(cpu_us[name])
        rounds = ", ".join(f"{value:,.0f}" for value in values)
        print(
            f"| {name} | {median:,.0f} | {median / direct:.2f} | {cpu:.0f}"
            f" | {cpu / direct_cpu:.2f} | {rounds} |"
        )


if __name__ == "__main__":
    main()
