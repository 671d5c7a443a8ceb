"""koa.core.worker.GunicornWorker under a real gunicorn master: workers, signals, hooks.

Every test starts its own master on a free 127.0.0.1 port (see ``conftest.py``) and talks to
it over new connections; the bodies carry the worker's PID so a test can tell workers apart.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.deploy.conftest import GunicornFactory

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


def test_term_lets_a_slow_request_finish_and_the_master_exits_0(
    gunicorn: GunicornFactory,
) -> None:
    master = gunicorn(APP, "-w", "1")
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(master.get, "/slow")
        master.wait_until(lambda: hook_lines(master.directory)[-1][0] == "slow", "the request")
        master.signal(signal.SIGTERM)
        assert slow.result(timeout=30) == (200, "slow done")
    assert master.wait() == 0, master.log()


def test_hooks_run_once_per_worker(gunicorn: GunicornFactory) -> None:
    master = gunicorn(APP, "-w", "2")
    pids = master.pids_answering(2)
    master.signal(signal.SIGTERM)
    assert master.wait() == 0, master.log()
    lines = hook_lines(master.directory)
    assert sorted(lines) == sorted(
        [("startup", pid) for pid in pids] + [("shutdown", pid) for pid in pids]
    )
    for pid in pids:  # each worker started before it shut down
        assert lines.index(("startup", pid)) < lines.index(("shutdown", pid))


@pytest.mark.parametrize(
    "factory",
    ["app_module:create_app()", "app_module:create_app", "app_module:create_app_async"],
)
def test_factories(gunicorn: GunicornFactory, factory: str) -> None:
    source = (
        APP
        + """
    def create_app():
        return app

    async def create_app_async():
        return app
    """
    )
    master = gunicorn(source, "-w", "1", app=factory)
    assert master.get() == (200, "hello")
