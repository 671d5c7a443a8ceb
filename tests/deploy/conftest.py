"""Fixtures that run real processes: a gunicorn master with koa-core's worker.

``gunicorn(app_source, *args)`` writes ``app_source`` as ``app_module.py`` in a temporary
directory, starts ``gunicorn app_module:app -k koa.core.worker.GunicornWorker`` on a
free 127.0.0.1 port (its own process group) and returns a handle; every master still running
at the end of the test is stopped by its PID (TERM, then KILL of its group).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WORKER = "koa.core.worker.GunicornWorker"

# The script, as deployments run it: USR2 re-executes the master's own command line, and
# ``python -m gunicorn`` re-executed would run gunicorn/__main__.py as a script, with
# gunicorn/ (and its ``http`` package) first on sys.path.
_SCRIPT = Path(sys.executable).parent / "gunicorn"
GUNICORN = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "gunicorn"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(
    port: int, path: str = "/", *, timeout: float = 30.0, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """GET ``path`` on a new connection (closed after the response): (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
        res = conn.getresponse()
        return res.status, res.read().decode()
    finally:
        conn.close()


def _control_socket_args() -> list[str]:
    # gunicorn 26+ opens a control socket in ~/.gunicorn by default: one for every master on
    # the machine. Tests must not share (or remove) it.
    from gunicorn.config import KNOWN_SETTINGS

    names = {setting.name for setting in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in names else []


class Gunicorn:
    """A gunicorn master running in ``directory``; ``port`` is its first TCP bind."""

    def __init__(
        self, directory: Path, port: int, args: list[str], pass_fds: tuple[int, ...] = ()
    ) -> None:
        self.directory = directory
        self.port = port
        self.log_path = directory / "gunicorn.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*GUNICORN, *args],
            cwd=directory,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the workers can be killed with it
            pass_fds=pass_fds,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str = "/", **kwargs: object) -> tuple[int, str]:
        return get(self.port, path, **kwargs)  # type: ignore[arg-type]

    def answers(self) -> bool:
        try:
            return self.get(timeout=5)[0] == 200
        except OSError:
            return False

    def wait_serving(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log()}"
                )
            if self.answers():
                return
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not answer in {timeout} s:\n{self.log()}")

    def pids_answering(self, count: int, *, tries: int = 400) -> set[str]:
        """Worker PIDs seen in the bodies of ``/pid`` until ``count`` distinct ones answered."""
        seen: set[str] = set()
        for _ in range(tries):
            status, body = self.get("/pid")
            assert status == 200, body
            seen.add(body)
            if len(seen) >= count:
                return seen
        raise AssertionError(f"only {sorted(seen)} answered in {tries} requests:\n{self.log()}")

    def wait_until(self, condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
        """Poll ``condition`` until it is true; fail with the log after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log()}")

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"gunicorn still running after {timeout} s:\n{self.log()}"
            ) from None

    def stop(self) -> None:
        """TERM the master, then KILL its whole process group if it is still there."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(10)
        else:  # the master is gone; make sure no orphaned worker of its group is left
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        self._log.close()


GunicornFactory = Callable[..., Gunicorn]


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[GunicornFactory]:
    """``gunicorn(source, *args, worker=WORKER, app="app_module:app", bind=True,
    wait=True, pass_fds=(), port=None)``: a master started on ``source`` (stopped after the
    test). ``bind=False`` leaves the binds to ``args``; ``port`` is where to ask."""
    started: list[Gunicorn] = []

    def start(
        source: str,
        *args: str,
        worker: str = WORKER,
        app: str = "app_module:app",
        bind: bool = True,
        wait: bool = True,
        pass_fds: tuple[int, ...] = (),
        port: int | None = None,
    ) -> Gunicorn:
        directory = tmp_path / f"gunicorn{len(started)}"
        directory.mkdir()
        (directory / "app_module.py").write_text(textwrap.dedent(source))
        port = port or free_port()
        argv = [app, "-k", worker, "--graceful-timeout", "20", *_control_socket_args()]
        if bind:
            argv += ["-b", f"127.0.0.1:{port}"]
        argv += list(args)
        master = Gunicorn(directory, port, argv, pass_fds)
        started.append(master)
        if wait:
            master.wait_serving()
        return master

    yield start
    for master in started:
        master.stop()
