"""Integration tests across packages: each drives real apps over 127.0.0.1.

``examples/`` is not a package, so the ``load_example`` fixture imports an example by its file
path, the way ``python examples/<file>.py`` would (the file's folder first on ``sys.path``), but
without running its ``if __name__ == "__main__":`` block. Every call gives a fresh module, so
examples that keep state (the users list) start clean in every test.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Callable, Iterator
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
