"""The ``koa`` command: ``koa serve MODULE:APP`` in one process, with gunicorn workers, with
``--reload``; and one clear line for every bad input."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from koa.core.cli import main

APP = """
    import os
    from koa.core import Koa

    app = Koa()

    def note(what):
        with open("hooks.log", "a") as file:
            file.write(f"{what} {os.getpid()}\\n")

    app.on("startup", lambda app: note("startup")).on("shutdown", lambda app: note("shutdown"))

    async def hello(ctx, next):
        ctx.body = f"VERSION {os.getpid()}"

    app.use(hello)

    def create_app():
        return app

    not_an_app = {"a": 1}

    def make_nothing():
        return None
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(port: int) -> tuple[int, str] | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/", headers={"Connection": "close"})
            res = conn.getresponse()
            return res.status, res.read().decode()
        finally:
            conn.close()
    except OSError:
        return None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "myapp.py").write_text(textwrap.dedent(APP).replace("VERSION", "v1"))
    (tmp_path / "broken.py").write_text("import no_such_module_here\n")
    return tmp_path


@pytest.fixture
def koa(project: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started by a test; each still running at the end is stopped by its PID."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "koa.core", *args]


def environment(project: Path) -> dict[str, str]:
    # HOME in the test's directory: nothing the command writes there reaches the user's.
    return {**os.environ, "HOME": str(project), "PYTHONUNBUFFERED": "1"}


def start(
    started: list[subprocess.Popen[bytes]], project: Path, *args: str
) -> subprocess.Popen[bytes]:
    with (project / f"koa{len(started)}.log").open("wb") as log:
        process = subprocess.Popen(
            command(*args),
            cwd=project,
            env=environment(project),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    started.append(process)
    return process


def wait_answer(
    port: int, process: subprocess.Popen[bytes], want: str = "v1", timeout: float = 60
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"koa exited with {process.returncode}"
        reply = get(port)
        if reply is not None and reply[0] == 200 and reply[1].startswith(want):
            return reply[1]
        time.sleep(0.1)
    raise AssertionError(f"no {want!r} answer on port {port} in {timeout} s")


def hooks(project: Path) -> list[list[str]]:
    path = project / "hooks.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_serve_runs_one_process_and_stops_on_term(
    koa: list[subprocess.Popen[bytes]], project: Path
) -> None:
    port = free_port()
    process = start(koa, project, "serve", "myapp:app", "--port", str(port))
    body = wait_answer(port, process)
    assert body == f"v1 {process.pid}"  # served by the command's own process
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert hooks(project) == [["startup", str(process.pid)], ["shutdown", str(process.pid)]]
    log = (project / "koa0.log").read_text()
    assert f"koa: serving myapp:app on http://127.0.0.1:{port}" in log


def test_serve_with_workers_runs_gunicorn(
    koa: list[subprocess.Popen[bytes]], project: Path
) -> None:
    port = free_port()
    process = start(
        koa, project, "serve", "myapp:create_app", "--port", str(port), "--workers", "2"
    )
    pids: set[str] = set()
    deadline = time.monotonic() + 60
    while len(pids) < 2 and time.monotonic() < deadline:
        pids.add(wait_answer(port, process).split()[1])
    assert len(pids) == 2
    assert str(process.pid) not in pids  # the command is gunicorn's master
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert sorted(hooks(project)) == sorted(
        [["startup", pid] for pid in pids] + [["shutdown", pid] for pid in pids]
    )


def test_reload_restarts_when_a_source_file_changes(
    koa: list[subprocess.Popen[bytes]], project: Path
) -> None:
    port = free_port()
    process = start(koa, project, "serve", "myapp:app", "--port", str(port), "--reload")
    first = wait_answer(port, process, "v1")
    source = project / "myapp.py"
    source.write_text(source.read_text().replace('f"v1 ', 'f"v2 '))
    second = wait_answer(port, process, "v2")
    assert first.split()[1] != second.split()[1]  # a new process serves the new code
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert get(port) is None  # the served process went with it


def run_in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``koa *args`` through ``koa.core.cli.main``: (exit status, what it printed)."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    printed = capsys.readouterr()
    assert printed.out == ""
    code = exited.value.code
    if isinstance(code, str):  # sys.exit("message"): Python prints it and exits 1
        return 1, code + "\n" + printed.err
    assert isinstance(code, int)
    return code, printed.err


def test_every_bad_input_gets_one_line_and_a_non_zero_exit(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process (a Python start-up per case takes seconds on a busy machine); the
    # real command is run by test_the_koa_script_is_installed and the serving tests.
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = str(taken.getsockname()[1])
    cases = [
        (["serve", "nothere:app"], "koa: cannot import module 'nothere': ModuleNotFoundError"),
        (
            ["serve", "broken:app"],
            "koa: cannot import module 'broken': ModuleNotFoundError:"
            " No module named 'no_such_module_here'",
        ),
        (["serve", "myapp:missing"], "koa: module 'myapp' has no attribute 'missing'"),
        (
            ["serve", "myapp:not_an_app"],
            "koa: myapp:not_an_app is builtins.dict {'a': 1}, not a Koa app",
        ),
        (
            ["serve", "myapp:make_nothing"],
            "koa: myapp:make_nothing() returned builtins.NoneType None, not a Koa app",
        ),
        (["serve", "myapp"], "koa: expected MODULE:APP (like myapp:app), not 'myapp'"),
        (
            ["serve", "myapp:app", "--port", busy],
            f"koa: cannot listen on 127.0.0.1:{busy}: address already in use",
        ),
        (
            ["serve", "myapp:app", "--port", busy, "--workers", "2"],
            f"koa: cannot listen on 127.0.0.1:{busy}: address already in use",
        ),
        (["serve", "myapp:app", "--workers", "0"], "koa: --workers must be 1 or more, not 0"),
        (["serve", "myapp:app", "--workers", "-3"], "koa: --workers must be 1 or more, not -3"),
        (
            ["serve", "myapp:app", "--workers", "2", "--reload"],
            "koa: --reload runs one process: it cannot be combined with --workers",
        ),
        (
            ["serve", "myapp:app", "--port", "70000"],
            "koa: --port must be between 0 and 65535, not 70000",
        ),
        (
            ["serve", "myapp:app", "--port", "http"],
            "koa serve: argument --port: invalid int value: 'http'",
        ),
        (
            ["serve", "myapp:app", "--loop", "trio"],
            "koa serve: argument --loop: invalid choice: 'trio'",
        ),
        (["serve"], "koa serve: the following arguments are required: MODULE:APP"),
        (["launch"], "koa: argument command: invalid choice: 'launch'"),
    ]
    try:
        for args, expected in cases:
            code, printed = run_in_process(args, capsys)
            assert code in (1, 2), (args, printed)
            assert len(printed.splitlines()) == 1, printed
            assert printed.startswith(expected), printed
    finally:
        taken.close()


def test_the_koa_script_is_installed(project: Path) -> None:
    script = Path(sys.executable).parent / "koa"
    if not script.exists():
        pytest.fail(f"no koa script beside {sys.executable}: is koa-core installed?")
    done = subprocess.run(
        [str(script), "serve", "myapp:missing"],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "koa: module 'myapp' has no attribute 'missing'\n"
