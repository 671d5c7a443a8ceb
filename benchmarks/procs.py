"""Server processes: start one pinned to CPU 0 in its own process group, probe it, stop it by PID.

Also reads what the kernel says about them (RSS, CPU time) and about the CPUs (/proc/stat).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SERVERS_DIR = Path(__file__).resolve().parent / "servers"
SERVER_CPU = "0"
CLIENT_CPU = "1"
_TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(
    port: int,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = 5.0,
    extra_headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """One request over a fresh connection (the correctness check)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers.update(extra_headers)
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        return Reply(res.status, {k.lower(): v for k, v in res.getheaders()}, res.read())
    finally:
        conn.close()


class ServerProcess:
    """A benchmark server: ``servers/<module>.py --app <app>`` on CPU 0, in its own group."""

    def __init__(self, key: str, argv: list[str], log_path: Path) -> None:
        self.key = key
        self.port = free_port()
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        command = ["taskset", "-c", SERVER_CPU, sys.executable, *argv, "--port", str(self.port)]
        self.command = command
        # start_new_session: the server leads its own process group, so stopping it (and
        # anything it spawned) never touches another process.
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        """Wait until the server answers ``path`` (any status)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.key} exited with {self.proc.returncode}: {self.tail()}")
            try:
                fetch(self.port, path, timeout=1.0)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.key} did not answer in {timeout}s") from None
                time.sleep(0.1)

    def tail(self, lines: int = 15) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def group_pids(self) -> list[int]:
        """PIDs in this server's process group (itself and any workers it started)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == self.pid:
                pids.append(int(entry.name))
        return pids

    def rss_mb(self) -> float:
        """Resident memory of the whole process group, MB."""
        total_kb = 0
        for pid in self.group_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
            except OSError:
                continue
        return total_kb / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the process group."""
        ticks = 0
        for pid in self.group_pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / _TICK

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the group this server leads, SIGKILL if it lingers."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(timeout)
            except ProcessLookupError:
                pass
        self._log.close()


@dataclass
class CpuTimes:
    busy: int
    total: int


def cpu_times() -> dict[str, CpuTimes]:
    """Busy and total jiffies per CPU (``cpu0``, ``cpu1``) from /proc/stat."""
    result = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            numbers = [int(v) for v in values]
            idle = numbers[3] + numbers[4]  # idle + iowait
            result[name] = CpuTimes(sum(numbers[:8]) - idle, sum(numbers[:8]))
    return result


def busy_share(before: dict[str, CpuTimes], after: dict[str, CpuTimes], cpu: str) -> float:
    """How busy ``cpu`` was between two readings, 0..1."""
    b, a = before[f"cpu{cpu}"], after[f"cpu{cpu}"]
    total = a.total - b.total
    return (a.busy - b.busy) / total if total > 0 else 0.0
