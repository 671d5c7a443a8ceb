"""Uploads: koa-multer against aiohttp.web's ``request.post()`` and Starlette's
``request.form()``, one run, peers interleaved; then memory while 1 GB goes to disk; then the
ways of writing a file without blocking the event loop.

    hatch run bench:python benchmarks/multer_upload.py            # ~2 minutes
    hatch run bench:python benchmarks/multer_upload.py --quick    # ~40 s
    hatch run bench:python benchmarks/multer_upload.py --skip-gb

1. **Throughput.** Each server (``servers/upload_apps.py``) runs in its own process group,
   pinned to CPU 0 when ``taskset`` exists; one client connection sends the same request over
   and over for a few seconds: a 10 MB file, or 100 small text fields. Every round measures
   every server once per case, in a rotated order; figures are medians of the rounds:
   requests/s and the server's CPU ms per request (from /proc, steadier than wall time on a
   shared machine).
2. **1 GB to disk.** koa-multer with files on disk receives a 1 GB file streamed from a
   generator (1 MiB chunks, never 1 GB in memory); the server's RSS is sampled every 50 ms.
   The file is removed after the response; the folder is checked empty and deleted.
3. **Writes.** 64 MB written in 64 KB chunks to a temporary file, in process: a plain
   blocking write, one thread hop per chunk, one per 256 KB with ``os.writev`` (what
   ``DiskStorage`` does), and aiofiles. Wall time, and the worst delay a 1 ms ticker on the
   same loop saw (how long the loop was blocked).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
SERVERS = {
    "koa": "koa-multer (disk)",
    "koa-memory": "koa-multer (memory)",
    "aiohttp": "aiohttp.web post()",
    "starlette": "Starlette form()",
}
BOUNDARY = "----koaBenchBoundary7MA4YWxkTrZu0gW"
MB = 1024 * 1024


def file_body(size: int) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + b"x" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def fields_body(count: int) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="field{i}"\r\n\r\nvalue {i}\r\n'
        for i in range(count)
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


CASES = {
    "10 MB file": (file_body(10 * MB), f"0 {10 * MB}"),
    "100 small fields": (fields_body(100), "100 0"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server process, in its own process group, stopped by its PID."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.port = free_port()
        command = [sys.executable, str(HERE / "servers" / "upload_apps.py"), kind]
        command += [str(self.port), str(folder)]
        if shutil.which("taskset"):
            command = ["taskset", "-c", "0", *command]
        self.proc = subprocess.Popen(command, start_new_session=True)

    async def ready(self) -> None:
        for _ in range(300):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise RuntimeError(f"{self.kind} did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


async def measure(
    session: aiohttp.ClientSession, server: Server, body: bytes, expected: str, seconds: float
) -> tuple[float, float]:
    """Requests/s and server CPU ms per request, sending ``body`` for ``seconds``."""
    url = f"http://127.0.0.1:{server.port}/"
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    async def one() -> None:
        async with session.post(url, data=body, headers=headers) as res:
            text = await res.text()
            if res.status != 200 or text != expected:
                raise RuntimeError(f"{server.kind}: {res.status} {text[:200]!r}")

    await one()  # warm-up, and a check of the answer
    cpu = server.cpu_seconds()
    start = time.perf_counter()
    count = 0
    while count < 3 or time.perf_counter() - start < seconds:
        await one()
        count += 1
    elapsed = time.perf_counter() - start
    return count / elapsed, (server.cpu_seconds() - cpu) / count * 1000


async def throughput(rounds: int, seconds: float) -> None:
    kinds = list(SERVERS)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="koa-bench-uploads-") as folder:
        servers = [Server(kind, Path(folder)) for kind in kinds]
        try:
            for server in servers:
                await server.ready()
            connector = aiohttp.TCPConnector(limit=1)
            async with aiohttp.ClientSession(connector=connector) as session:
                for round_ in range(rounds):
                    for case, (body, expected) in CASES.items():
                        shift = round_ % len(servers)
                        for server in servers[shift:] + servers[:shift]:
                            figures = await measure(session, server, body, expected, seconds)
                            results.setdefault((case, server.kind), []).append(figures)
        finally:
            for server in servers:
                server.stop()
        left = os.listdir(folder)
    print(f"\n## Throughput ({rounds} rounds of {seconds:g} s per cell, medians)\n")
    print("| case | " + " | ".join(SERVERS.values()) + " |")
    print("|---|" + "---:|" * len(SERVERS))
    for case in CASES:
        cells = []
        for kind in kinds:
            runs = results[(case, kind)]
            rate = statistics.median(r for r, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            cells.append(f"{rate:,.1f} req/s, {cpu:.2f} ms CPU")
        print(f"| {case} | " + " | ".join(cells) + " |")
    print("\nRatios to koa-multer (disk), requests/s (CPU ms per request):\n")
    for case in CASES:
        base_rate = statistics.median(r for r, _ in results[(case, "koa")])
        base_cpu = statistics.median(c for _, c in results[(case, "koa")])
        ratios = []
        for kind in kinds[1:]:
            rate = statistics.median(r for r, _ in results[(case, kind)])
            cpu = statistics.median(c for _, c in results[(case, kind)])
            ratios.append(f"{SERVERS[kind]} {rate / base_rate:.2f} ({cpu / base_cpu:.2f})")
        print(f"- {case}: " + "; ".join(ratios))
    print(f"\nfiles left in the upload folder after the run: {len(left)}")


async def one_gigabyte() -> None:
    size = 1024 * MB
    chunk = b"x" * MB
    with tempfile.TemporaryDirectory(prefix="koa-bench-1gb-") as folder:
        server = Server("koa", Path(folder))
        try:
            await server.ready()
            url = f"http://127.0.0.1:{server.port}/"
            headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
            timeout = aiohttp.ClientTimeout(total=600)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                small, expected = CASES["10 MB file"]
                async with session.post(url, data=small, headers=headers) as res:
                    assert await res.text() == expected
                await asyncio.sleep(0.5)
                before = server.rss()
                samples: list[int] = []
                done = asyncio.Event()

                async def sample() -> None:
                    while not done.is_set():
                        samples.append(server.rss())
                        await asyncio.sleep(0.05)

                async def body() -> AsyncIterator[bytes]:
                    yield file_body(0)[: -len(f"\r\n--{BOUNDARY}--\r\n")]
                    for _ in range(size // MB):
                        yield chunk
                    yield f"\r\n--{BOUNDARY}--\r\n".encode()

                sampler = asyncio.create_task(sample())
                start = time.perf_counter()
                async with session.post(url, data=body(), headers=headers) as res:
                    text = await res.text()
                elapsed = time.perf_counter() - start
                done.set()
                await sampler
                assert res.status == 200, text
                assert text == f"0 {size}", text
            for _ in range(200):
                if not os.listdir(folder):
                    break
                await asyncio.sleep(0.05)
            left = os.listdir(folder)
            after = server.rss()
        finally:
            server.stop()
    mb = 1024 * 1024
    print("\n## 1 GB to disk (koa-multer, DiskStorage)\n")
    print(f"- uploaded {size // mb} MB in {elapsed:.1f} s ({size / mb / elapsed:.0f} MB/s)")
    print(
        f"- server RSS: {before / mb:.1f} MB before, peak {max(samples) / mb:.1f} MB during"
        f" ({len(samples)} samples), {after / mb:.1f} MB after"
    )
    print(f"- files left in the upload folder: {len(left)}")


async def writes() -> None:
    total = 64 * MB
    chunk = b"x" * (64 * 1024)
    count = total // len(chunk)

    def write_all(fd: int, chunks: list[bytes]) -> None:
        os.writev(fd, chunks)

    async def sync_write(fd: int) -> None:
        for _ in range(count):
            os.write(fd, chunk)
            await asyncio.sleep(0)  # as when reading from the socket between chunks

    async def thread_per_chunk(fd: int) -> None:
        for _ in range(count):
            await asyncio.to_thread(os.write, fd, chunk)

    async def thread_batched(fd: int) -> None:
        pending: list[bytes] = []
        for _ in range(count):
            pending.append(chunk)
            if len(pending) * len(chunk) >= 256 * 1024:
                await asyncio.to_thread(write_all, fd, pending)
                pending = []
        if pending:
            await asyncio.to_thread(write_all, fd, pending)

    strategies: dict[str, Callable[[int], Awaitable[None]]] = {
        "blocking os.write per 64 KB": sync_write,
        "thread per 64 KB chunk": thread_per_chunk,
        "thread per 256 KB, os.writev (DiskStorage)": thread_batched,
    }
    try:
        import aiofiles
    except ImportError:
        has_aiofiles = False
    else:
        has_aiofiles = True
    print("\n## Writing 64 MB in 64 KB chunks\n")
    print("| strategy | wall ms | worst loop delay ms |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="koa-bench-writes-") as folder:
        path = Path(folder) / "out"
        for name, strategy in strategies.items():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                wall, lag = await timed(functools.partial(strategy, fd))
            finally:
                os.close(fd)
            print(f"| {name} | {wall:.0f} | {lag:.1f} |")
        if has_aiofiles:

            async def with_aiofiles() -> None:
                async with aiofiles.open(path, "wb") as out:
                    for _ in range(count):
                        await out.write(chunk)

            wall, lag = await timed(with_aiofiles)
            print(f"| aiofiles, write per 64 KB | {wall:.0f} | {lag:.1f} |")


async def timed(work: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """Wall ms of ``work()`` and the worst lateness of a 1 ms ticker meanwhile, in ms."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    running = True

    async def ticker() -> None:
        nonlocal worst
        while running:
            start = loop.time()
            await asyncio.sleep(0.001)
            worst = max(worst, loop.time() - start - 0.001)

    task = asyncio.create_task(ticker())
    start = time.perf_counter()
    await work()
    wall = (time.perf_counter() - start) * 1000
    running = False
    await task
    return wall, worst * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="per cell and round")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s")
    parser.add_argument("--skip-gb", action="store_true", help="leave out the 1 GB upload")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 2.0
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs (shared machine)")
    asyncio.run(throughput(args.rounds, args.seconds))
    if not args.skip_gb:
        asyncio.run(one_gigabyte())
    asyncio.run(writes())


if __name__ == "__main__":
    main()
