"""koa.core.worker.GunicornWorker under a real gunicorn master: workers, signals, hooks.

Every test starts its own master on a free 127.0.0.1 port (see ``conftest.py``) and talks to
it over new connections; the bodies carry the worker's PID so a test can tell workers apart.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.deploy.conftest import Gunicorn, GunicornFactory

APP = """
    import asyncio, os
    from koa.core import Koa

    app = Koa()
    log = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooks.log")

    def note(what):
        with open(log, "a") as file:
            file.write(f"{what} {os.getpid()}\\n")

    app.on("startup", lambda app: note("startup"))

    async def closing(app):
        await asyncio.sleep(0)
        note("shutdown")

    app.on("shutdown", closing)

    async def serve(ctx, next):
        if ctx.path == "/slow":
            note("slow")
            await asyncio.sleep(2)
            ctx.body = "slow done"
        elif ctx.path == "/pid":
            ctx.body = str(os.getpid())
        else:
            ctx.body = "hello"

    app.use(serve)
"""


def hook_lines(directory: Path) -> list[tuple[str, str]]:
    path = directory / "hooks.log"
    if not path.exists():
        return []
    return [tuple(line.split()) for line in path.read_text().splitlines()]  # type: ignore[misc]


def dead(pid: int) -> bool:
    """``pid`` has exited (a zombie not yet reaped by the master counts as dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


def test_two_workers_both_answer_and_a_killed_one_is_replaced(gunicorn: GunicornFactory) -> None:
    master = gunicorn(APP, "-w", "2")
    first = master.pids_answering(2)
    victim = int(min(first))
    os.kill(victim, signal.SIGKILL)
    master.wait_until(lambda: dead(victim), "the killed worker to exit")
    # From its death until its replacement answers, every request is served.
    seen: list[str] = []
    for _ in range(2000):
        status, body = master.get("/pid")
        assert status == 200, body
        seen.append(body)
        if set(seen) - first:
            break
    assert str(victim) not in seen
    after = master.pids_answering(2)
    assert str(victim) not in after
    assert len(after - first) == 1, (first, after)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGQUIT])
def test_a_stop_signal_lets_a_slow_request_finish_and_hooks_ran_once_per_worker(
    gunicorn: GunicornFactory, stop: signal.Signals
) -> None:
    # gunicorn documents TERM as graceful and QUIT (and INT) as quick; this worker drains
    # in-flight requests on all three, within graceful_timeout.
    master = gunicorn(APP, "-w", "2")
    pids = master.pids_answering(2)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(master.get, "/slow")
        master.wait_until(lambda: hook_lines(master.directory)[-1][0] == "slow", "the request")
        master.signal(stop)
        assert slow.result(timeout=30) == (200, "slow done")
    assert master.wait() == 0, master.log()
    lines = [line for line in hook_lines(master.directory) if line[0] != "slow"]
    assert sorted(lines) == sorted(
        [("startup", pid) for pid in pids] + [("shutdown", pid) for pid in pids]
    )
    for pid in pids:  # each worker started before it shut down
        assert lines.index(("startup", pid)) < lines.index(("shutdown", pid))


def under_load(master: Gunicorn, until: Callable[[set[str]], bool], limit: int = 3000) -> set[str]:
    """Requests on new connections from 4 threads until ``until(pids seen)`` is true; every
    one must be answered 200. Returns the worker PIDs seen."""
    seen: set[str] = set()
    failures: list[str] = []
    done = threading.Event()
    count = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal count
        while not done.is_set():
            with lock:
                count += 1
                if count > limit:
                    done.set()
                    return
            try:
                status, body = master.get("/pid")
            except OSError as err:
                failures.append(repr(err))
                continue
            if status != 200:
                failures.append(f"{status} {body}")
                continue
            with lock:
                seen.add(body)
                if until(seen):
                    done.set()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == [], master.log()
    return seen


def test_hup_replaces_the_workers_under_load_without_a_failed_request(
    gunicorn: GunicornFactory,
) -> None:
    master = gunicorn(APP, "-w", "2")
    old = master.pids_answering(2)
    hupped = threading.Event()

    def replaced(seen: set[str]) -> bool:
        if not hupped.is_set() and len(seen) >= 2:
            hupped.set()
            master.signal(signal.SIGHUP)
        return len(seen - old) >= 2

    seen = under_load(master, replaced)
    assert len(seen - old) >= 2, master.log()
    master.wait_until(
        lambda: {pid for what, pid in hook_lines(master.directory) if what == "shutdown"} == old,
        "the old workers' shutdown hooks",
    )


def test_max_requests_recycles_the_worker_without_a_failed_request(
    gunicorn: GunicornFactory,
) -> None:
    # Each recycle is a chance for a connection accepted as the worker stops to be dropped
    # (asyncio's accept race, see GunicornWorker._stop_accepting): several of them.
    master = gunicorn(APP, "-w", "1", "--max-requests", "10", "--max-requests-jitter", "5")
    seen = under_load(master, lambda seen: len(seen) >= 8)
    assert len(seen) >= 8, master.log()
    assert "Autorestarting worker" in master.log()


def test_factories(gunicorn: GunicornFactory) -> None:
    source = (
        APP
        + """
    def create_app():
        return app

    async def create_app_async():
        return app
    """
    )
    # Started together: each master takes seconds to import gunicorn on a busy machine.
    factories = ["app_module:create_app()", "app_module:create_app", "app_module:create_app_async"]
    masters = [gunicorn(source, "-w", "1", app=factory, wait=False) for factory in factories]
    for master in masters:
        master.wait_serving()
        assert master.get() == (200, "hello")


def test_usr2_starts_a_new_master_on_the_same_sockets(gunicorn: GunicornFactory) -> None:
    # USR2 re-executes gunicorn, which passes its listening sockets to the new master
    # (GUNICORN_FD); the new workers serve them; TERM then retires the old master.
    master = gunicorn(APP, "-w", "1", "--pid", "master.pid")
    pidfile = master.directory / "master.pid.2"  # the new master's, until the old one exits
    old = master.pids_answering(1)
    master.signal(signal.SIGUSR2)

    def new_master() -> int | None:
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid != master.pid else None

    master.wait_until(lambda: new_master() is not None, "the new master's pid file", 60)
    successor = new_master()
    assert successor is not None
    try:
        master.wait_until(
            lambda: bool(set(under_load(master, lambda seen: bool(seen - old))) - old),
            "a worker of the new master",
            60,
        )
        master.signal(signal.SIGTERM)
        assert master.wait() == 0, master.log()
        # The old master and its worker are gone; the new ones serve on the same port.
        assert master.pids_answering(1).isdisjoint(old)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(successor, signal.SIGTERM)
    master.wait_until(lambda: dead(successor), "the new master to exit")
    assert "Worker exiting" in master.log()
