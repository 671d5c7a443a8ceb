"""koa-mount and koa-core's lifespan: a mounted app's startup and shutdown hooks run with the
hooks of the app that serves it."""

from __future__ import annotations

import asyncio

import pytest
from koa.core import Koa, StartupError
from koa.core.testing import TestClient
from koa.mount import mount


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


async def test_mounted_apps_run_their_hooks_with_the_parent() -> None:
    events: list[str] = []
    inner = _recording(Koa(), events, "inner")
    api = _recording(Koa(), events, "api")
    api.use(mount("/inner", inner))
    admin = _recording(Koa(), events, "admin")
    app = _recording(Koa(), events, "app")
    app.use(mount("/api", api)).use(mount(admin)).use(mount("/again", api))
    async with TestClient(app):
        pass
    starts = [event for event in events if ":startup:" in event]
    stops = [event for event in events if ":shutdown:" in event]
    # Depth first in middleware order, each app once; shutdown exactly reversed.
    assert [event.split(":")[0] for event in starts[::2]] == ["app", "api", "inner", "admin"]
    assert [event.split(":")[0] for event in stops[::2]] == ["admin", "inner", "api", "app"]
    assert events == starts + stops


async def test_a_mounted_app_served_on_its_own_too_starts_once() -> None:
    events: list[str] = []
    api = _recording(Koa(), events, "api")
    app = Koa().use(mount("/api", api))
    async with TestClient(app), TestClient(api):
        assert events == ["api:startup:1", "api:startup:2"]
    assert events[2:] == ["api:shutdown:2", "api:shutdown:1"]


async def test_a_failing_mounted_app_shuts_down_the_ones_already_started() -> None:
    events: list[str] = []
    api = Koa().on("startup", lambda app: 1 / 0)
    api.on("shutdown", lambda app: events.append("api:shutdown"))
    app = _recording(Koa(), events, "app").use(mount("/api", api))
    with pytest.raises(StartupError):
        await app.serve()
    assert events == ["app:startup:1", "app:startup:2", "app:shutdown:2", "app:shutdown:1"]
