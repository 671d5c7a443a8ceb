"""Startup and shutdown hooks: ``app.on("startup", fn)``, ``app.on("shutdown", fn)``."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from koa.core import Context, Koa, Next, StartupError
from koa.core.testing import TestClient


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _recording(app: Koa, events: list[str], name: str) -> Koa:
    """Hooks that append ``name:startup:N`` / ``name:shutdown:N`` to ``events``."""

    def sync_startup(app: Koa) -> None:
        events.append(f"{name}:startup:1")

    async def async_startup(app: Koa) -> None:
        await asyncio.sleep(0)
        events.append(f"{name}:startup:2")

    async def async_shutdown(app: Koa) -> None:
        await asyncio.sleep(0)
        events.append(f"{name}:shutdown:1")

    def sync_shutdown(app: Koa) -> None:
        events.append(f"{name}:shutdown:2")

    app.on("startup", sync_startup).on("startup", async_startup)
    app.on("shutdown", async_shutdown).on("shutdown", sync_shutdown)
    return app


async def test_startup_in_order_before_serving_shutdown_in_reverse_after() -> None:
    events: list[str] = []
    app = _recording(Koa(), events, "app")
    seen_by: list[Koa] = []
    app.on("startup", seen_by.append)

    async def hello(ctx: Context, next: Next) -> None:
        events.append("request")
        ctx.body = "hi"

    app.use(hello)
    async with TestClient(app) as client:
        assert events == ["app:startup:1", "app:startup:2"]
        assert (await client.get("/")).status == 200
    assert events == [
        "app:startup:1",
        "app:startup:2",
        "request",
        "app:shutdown:2",
        "app:shutdown:1",
    ]
    assert seen_by == [app]


async def test_startup_state_is_seen_by_requests() -> None:
    app = Koa()

    async def connect(app: Koa) -> None:
        app.context.db = {"users": 3}  # type: ignore[attr-defined]

    async def count(ctx: Context, next: Next) -> None:
        ctx.body = ctx.db  # type: ignore[attr-defined]

    app.on("startup", connect).use(count)
    async with TestClient(app) as client:
        assert await (await client.get("/")).json() == {"users": 3}


async def test_shutdown_waits_for_in_flight_requests() -> None:
    events: list[str] = []
    app = Koa()
    entered = asyncio.Event()

    async def slow(ctx: Context, next: Next) -> None:
        entered.set()
        await asyncio.sleep(0.5)
        events.append("request done")
        ctx.body = "slow"

    app.use(slow).on("shutdown", lambda app: events.append("shutdown"))
    server = await app.serve()
    async with aiohttp.ClientSession() as session:
        pending = asyncio.ensure_future(session.get(f"{server.url}/"))
        await asyncio.wait_for(entered.wait(), 10)
        await server.close()
        res = await pending
        assert res.status == 200
        assert await res.text() == "slow"
    assert events == ["request done", "shutdown"]


async def test_shutdown_runs_once_the_shutdown_timeout_passed() -> None:
    events: list[str] = []
    app = Koa()
    entered = asyncio.Event()

    async def stuck(ctx: Context, next: Next) -> None:
        entered.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            events.append("request cancelled")
            raise

    app.use(stuck).on("shutdown", lambda app: events.append("shutdown"))
    server = await app.serve(shutdown_timeout=0.2)
    async with aiohttp.ClientSession() as session:
        pending = asyncio.ensure_future(session.get(f"{server.url}/"))
        await asyncio.wait_for(entered.wait(), 10)
        await asyncio.wait_for(server.close(), 30)
        with pytest.raises(aiohttp.ClientError):
            await pending
    assert events == ["request cancelled", "shutdown"]


async def test_a_failing_startup_hook_serves_nothing_and_logs_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[str] = []
    app = _recording(Koa(), events, "app")

    def broken(app: Koa) -> None:
        raise ConnectionRefusedError("no database")

    app.on("startup", broken).on("startup", lambda app: events.append("after the failure"))
    port = _free_port()
    with caplog.at_level(logging.ERROR, logger="koa"), pytest.raises(StartupError) as failed:
        await app.serve(port)
    assert isinstance(failed.value.__cause__, ConnectionRefusedError)
    assert "broken" in str(failed.value)
    # Nothing bound the port; the hooks after the failure and the app's shutdown did not run.
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    assert events == ["app:startup:1", "app:startup:2"]
    [record] = caplog.records
    assert "broken" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is failed.value.__cause__


async def test_a_failing_shutdown_hook_is_logged_and_the_others_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[str] = []
    app = Koa()
    app.on("shutdown", lambda app: events.append("first added, last run"))

    async def broken(app: Koa) -> None:
        raise RuntimeError("flush failed")

    app.on("shutdown", broken)
    app.on("shutdown", lambda app: events.append("last added, first run"))
    with caplog.at_level(logging.ERROR, logger="koa"):
        async with TestClient(app):
            pass
    assert events == ["last added, first run", "first added, last run"]
    [record] = caplog.records
    assert "broken" in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "flush failed"


async def test_hooks_run_once_per_serving_however_many_servers() -> None:
    events: list[str] = []
    app = _recording(Koa(), events, "app")
    first = await app.serve()
    second = await app.serve()
    assert events == ["app:startup:1", "app:startup:2"]
    await first.close()
    await first.close()  # closing twice runs nothing twice
    assert events == ["app:startup:1", "app:startup:2"]
    await second.close()
    assert events[2:] == ["app:shutdown:2", "app:shutdown:1"]
    # Served again, later: the hooks run again.
    async with TestClient(app):
        pass
    assert len(events) == 8


async def test_a_port_in_use_runs_the_shutdown_hooks_and_raises() -> None:
    events: list[str] = []
    app = _recording(Koa(), events, "app")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            await app.serve(taken.getsockname()[1])
    assert events == ["app:startup:1", "app:startup:2", "app:shutdown:2", "app:shutdown:1"]


LISTEN = """
    import os, signal, sys
    from koa.core import Koa

    app = Koa()

    def started(app):
        print("startup", flush=True)
        if sys.argv[1] == "fail":
            raise RuntimeError("cannot start")

    app.on("startup", started)
    app.on("shutdown", lambda app: print("shutdown", flush=True))
    app.listen(0, callback=lambda server: os.kill(os.getpid(), signal.SIGTERM))
    print("stopped", flush=True)
"""


@pytest.mark.parametrize("outcome", ["ok", "fail"])
def test_listen_runs_the_hooks_once_and_exits_1_when_startup_fails(
    tmp_path: Path, outcome: str
) -> None:
    script = tmp_path / "serve.py"
    script.write_text(textwrap.dedent(LISTEN))
    done = subprocess.run(
        [sys.executable, str(script), outcome],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if outcome == "ok":
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["startup", "shutdown", "stopped"]
    else:
        assert done.returncode == 1
        assert done.stdout.splitlines() == ["startup"]
        assert "startup hook started failed: nothing is served" in done.stderr
        assert "Traceback (most recent call last)" in done.stderr
        assert done.stderr.rstrip().endswith("RuntimeError: cannot start")


def test_a_koa_app_called_as_wsgi_fails_at_once() -> None:
    # A Koa app is an ASGI application: a WSGI server's call (two arguments) is refused.
    app: Any = Koa()
    with pytest.raises(TypeError, match="send"):
        app({}, lambda *args: None)


def test_a_koa_app_is_not_a_middleware() -> None:
    with pytest.raises(TypeError, match="mount"):
        Koa().use(Koa())  # type: ignore[arg-type]  # an ASGI app, not a middleware


def test_listeners_returns_a_copy() -> None:
    app = Koa()
    hook = signal.getsignal  # any callable
    app.on("startup", hook)
    listeners = app.listeners("startup")
    listeners.clear()
    assert app.listeners("startup") == [hook]
    assert app.listeners("shutdown") == []
