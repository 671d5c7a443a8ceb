"""The back end every ``TestClient(app)`` serves on: aiohttp, and uvicorn (ASGI) as well for
the tests whose behaviour is the back end's.

A test module of the packages in ``BOTH`` that uses ``TestClient`` runs once per back end (its
tests get ``[aiohttp]`` and ``[uvicorn]`` ids): the autouse ``koa_backend`` fixture sets
``TestClient.default_backend``. A module whose tests are about one back end only says so with
``KOA_BACKENDS = ("aiohttp",)`` and why; one test does with
``@pytest.mark.backends("aiohttp")``. ``pytest --backends=aiohttp`` runs everything on aiohttp
only (``--backends=uvicorn``: the parametrised tests on uvicorn only).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from koa.core.testing import TestClient

#: The packages whose TestClient tests run on both back ends (``packages/<name>/tests``).
BOTH = (
    "koa-core",
    "koa-router",
    "koa-static",
    "koa-bodyparser",
    "koa-mount",
    "koa-cors",
    "koa-helmet",
    "koa-session",
    "koa-compress",
    "koa-logger",
    "koa-multer",
)
ALL = ("aiohttp", "uvicorn")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=",".join(ALL),
        help="the back ends TestClient tests run on, comma-separated (aiohttp,uvicorn)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): the back ends this test runs on (aiohttp, uvicorn)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "koa_backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    module = metafunc.module
    if marker is not None:
        backends = tuple(marker.args)
    elif hasattr(module, "KOA_BACKENDS"):
        backends = tuple(module.KOA_BACKENDS)
    else:
        parts = metafunc.definition.path.parts
        ours = any(f"{name}" in parts for name in BOTH) and "tests" in parts
        backends = ALL if ours and "TestClient" in vars(module) else ("aiohttp",)
    chosen = metafunc.config.getoption("--backends").split(",")
    selected = [name for name in backends if name in chosen] or [backends[0]]
    if len(backends) > 1:
        metafunc.parametrize("koa_backend", selected, indirect=True)


@pytest.fixture(autouse=True)
def koa_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The back end of this test's ``TestClient(app)``: ``"aiohttp"`` or ``"uvicorn"``."""
    backend: str = getattr(request, "param", "aiohttp")
    saved = TestClient.default_backend
    TestClient.default_backend = backend
    try:
        yield backend
    finally:
        TestClient.default_backend = saved
