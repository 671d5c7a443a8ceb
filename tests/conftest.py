"""Integration tests across packages: each drives real apps over 127.0.0.1.

``examples/`` is not a package, so the ``load_example`` fixture imports an example by its file
path, the way ``python examples/<file>.py`` would (the file's folder first on ``sys.path``), but
without running its ``if __name__ == "__main__":`` block. Every call gives a fresh module, so
examples that keep state (the users list) start clean in every test.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from koa.core import Koa
from koa.session.testing import RedisServer, redis_server_binary

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

ExampleLoader = Callable[[str], ModuleType]

_counter = itertools.count()


def load_example_module(relative_path: str) -> ModuleType:
    """Import ``examples/<relative_path>`` as a fresh module named ``example_<n>``."""
    path = EXAMPLES / relative_path
    if not path.is_file():
        raise FileNotFoundError(path)
    name = f"example_{path.stem.replace('-', '_')}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        if added:
            sys.path.remove(folder)
    app: Any = getattr(module, "app", None)
    assert isinstance(app, Koa), f"{relative_path} must expose its Koa app as `app`"
    return module


@pytest.fixture
def load_example() -> ExampleLoader:
    """``load_example("app.py")`` returns the freshly imported example module."""
    return load_example_module


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of its own on a free port of 127.0.0.1 (koa-session's RedisStore tests),
    stopped by PID afterwards. Skipped where the binary is missing, except under CI
    (``CI=true``), where that fails."""
    if redis_server_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing under CI: .ci/run must install it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()
        print(f"redis-server log:\n{server.log}")  # shown when the test failed


#: How each ASGI server is started on ``{port}`` to serve ``module:app`` from the current
#: folder, with no header of its own that Koa on aiohttp does not send (``Server``).
ASGI_SERVERS: dict[str, list[str]] = {
    "uvicorn": [
        "-m", "uvicorn", "--host", "127.0.0.1", "--port", "{port}", "--no-server-header",
        "--no-access-log", "{target}",
    ],
    "granian": [
        "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", "{port}",
        "--no-ws", "{target}",
    ],
    "hypercorn": [
        "-m", "hypercorn", "--bind", "127.0.0.1:{port}", "--config", "python:hypercorn_quiet",
        "{target}",
    ],
}  # fmt: skip


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def run_asgi_server(
    server: str, folder: Path, target: str, *extra: str, tls: bool = False
) -> AsyncIterator[int]:
    """Run ``server`` (a key of ``ASGI_SERVERS``) on ``target`` (``module:app``, imported from
    ``folder``) in a process of its own; yields its port once it accepts connections, then
    stops it by PID. ``tls``: the server speaks TLS (``extra`` gives it a certificate)."""
    port = free_port()
    args = [part.format(port=port, target=target) for part in ASGI_SERVERS[server]]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(Path(__file__).parent / "asgi")]),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, *extra, cwd=folder, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                writer = None
            if writer is None:
                if proc.returncode is not None or loop.time() > deadline:
                    output = await proc.stdout.read() if proc.stdout else b""
                    raise RuntimeError(f"{server} did not start:\n{output.decode()}") from None
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            break
        yield port
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()


AsgiServerRunner = Callable[..., contextlib.AbstractAsyncContextManager[int]]


@pytest.fixture
def asgi_server() -> AsgiServerRunner:
    """``async with asgi_server("granian", folder, "app:app") as port``: see
    ``run_asgi_server``."""
    return run_asgi_server
