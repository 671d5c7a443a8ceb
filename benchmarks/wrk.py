"""Running wrk pinned to CPU 1 and reading its report."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from procs import CLIENT_CPU

SCRIPTS_DIR = Path(__file__).resolve().parent / "lua"
INSTALL_HINT = (
    "wrk is not installed. On Debian/Ubuntu: `sudo apt-get install wrk`; on macOS: "
    "`brew install wrk`; or build it from https://github.com/wg/wrk. "
    "taskset comes with util-linux."
)

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def missing_tools() -> list[str]:
    """The command-line tools the harness needs and cannot find."""
    return [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    bytes_read: float
    latency_ms: dict[str, float] = field(default_factory=dict)
    errors: int = 0
    non_2xx: int = 0
    cpu_seconds: float = 0.0
    raw: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.bytes_read / self.seconds / 1e6 if self.seconds else 0.0


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unexpected latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def _size(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(B|KB|MB|GB|TB)", text)
    if match is None:
        raise ValueError(f"unexpected size {text!r}")
    return float(match[1]) * _SIZES[match[2]]


def parse(output: str) -> WrkResult:
    totals = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+\w+) read", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if totals is None or rps is None:
        raise ValueError(f"cannot read wrk's report:\n{output}")
    latency = {
        pct: _ms(value)
        for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE)
    }
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors is not None:
        errors = sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(totals[1]),
        seconds=_ms(totals[2] + totals[3]) / 1e3,
        rps=float(rps[1]),
        bytes_read=_size(totals[4]),
        latency_ms=latency,
        errors=errors,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        raw=output,
    )


def run(
    url: str,
    seconds: float,
    *,
    connections: int = 50,
    script: str | None = None,
    script_args: tuple[str, ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
) -> WrkResult:
    """``taskset -c 1 wrk -t1 -c<connections> -d<seconds>s --latency [-H h] [-s script] url``."""
    command = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}"]
    command += [f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    for name, value in headers:
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(SCRIPTS_DIR / script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result = parse(done.stdout)
    result.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result
