"""``RedisServer``: a throwaway redis-server for tests of apps that use ``RedisStore``.

::

    @pytest.fixture
    def redis_url(tmp_path):
        with RedisServer(tmp_path) as server:
            yield server.url

It runs Debian's ``redis-server`` binary on a free port of 127.0.0.1 with its files in a
temporary directory and persistence off, and stops it by its PID.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

__all__ = ["RedisServer", "redis_server_binary"]


def redis_server_binary() -> str | None:
    """The path of ``redis-server``, or ``None`` where it is not installed."""
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)),
        None,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process, owned by this object (``start()``/``stop()``, or ``with``)."""

    __test__ = False

    def __init__(self, directory: Path, *, startup_timeout: float = 30.0) -> None:
        self.directory = Path(directory)
        self.startup_timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> str:
        """What the server wrote to its log file so far."""
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> RedisServer:
        binary = redis_server_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5):  # another process may take the free port first
            self.port = _free_port()
            self.process = subprocess.Popen(
                [
                    binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--dir", str(self.directory), "--save", "", "--appendonly", "no",
                    "--logfile", str(self.directory / "redis.log"), "--daemonize", "no",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"redis-server did not start; its log:\n{self.log}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the server by its PID and wait for it to exit."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
