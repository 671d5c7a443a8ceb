"""Startup and shutdown hooks: ``app.on("startup", fn)`` and ``app.on("shutdown", fn)``.

Every way of serving an app (``app.listen()``, ``app.serve()``, ``TestClient``, the gunicorn
worker) calls :func:`startup` before it accepts the first connection and :func:`shutdown`
after the last request has finished (or the shutdown timeout passed)::

    app = Koa()

    async def open_pool(app: Koa) -> None:
        app.context.db = await create_pool(...)

    async def close_pool(app: Koa) -> None:
        await app.context.db.close()

    app.on("startup", open_pool).on("shutdown", close_pool)

Hooks get the app and may be plain functions or coroutine functions. Startup hooks run in the
order they were added; shutdown hooks in the reverse order. Apps mounted with koa-mount (a
middleware whose ``mounted_app`` attribute holds a ``Koa`` app) run their hooks with the
app that serves them: the served app's own first, then each mounted app's in the order of the
middleware list, depth first; shutdown in exactly the reverse order.

The hooks of an app run once however many servers serve it at the same time in the process:
startup when the first starts, shutdown when the last has stopped. An app served, stopped and
served again runs them again.
"""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .application import Koa

__all__ = ["StartupError", "shutdown", "startup"]

log = logging.getLogger("koa")

# How many servers currently serve each app (its own or a parent's) in this process.
_serving: weakref.WeakKeyDictionary[Koa[Any], int] = weakref.WeakKeyDictionary()


class StartupError(RuntimeError):
    """A startup hook raised: nothing is served. The hook's exception is ``__cause__``."""


def _apps(app: Koa[Any]) -> list[Koa[Any]]:
    """``app`` and the apps mounted in it, depth first, each once."""
    seen: list[Koa[Any]] = []

    def walk(current: Koa[Any]) -> None:
        if any(current is other for other in seen):
            return
        seen.append(current)
        for mounted in _mounted(current):
            walk(mounted)

    walk(app)
    return seen


def _mounted(app: Koa[Any]) -> Iterator[Koa[Any]]:
    from .application import Koa

    for middleware in app.middleware:
        mounted = getattr(middleware, "mounted_app", None)
        if isinstance(mounted, Koa):
            yield mounted


async def _call(hook: Any, app: Koa[Any]) -> None:
    result = hook(app)
    if inspect.isawaitable(result):
        await result


def _name(hook: Any) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)


async def startup(app: Koa[Any]) -> None:
    """Run the startup hooks of ``app`` and of the apps mounted in it (unless already running).

    A hook that raises stops the rest: the error is logged with its traceback, the shutdown
    hooks of the apps that had fully started run, and :class:`StartupError` is raised from
    the hook's exception. The failing app's own shutdown hooks do not run: they may rely on
    everything its startup hooks set up.
    """
    started: list[Koa[Any]] = []
    for current in _apps(app):
        count = _serving.get(current, 0)
        if count == 0:
            for hook in current.listeners("startup"):
                try:
                    await _call(hook, current)
                except Exception as err:
                    log.error(
                        "startup hook %s failed: nothing is served", _name(hook), exc_info=err
                    )
                    await _stop(reversed(started))
                    raise StartupError(f"startup hook {_name(hook)} failed: {err!r}") from err
        _serving[current] = count + 1
        started.append(current)


async def shutdown(app: Koa[Any]) -> None:
    """Run the shutdown hooks of ``app`` and its mounted apps, in the reverse order of startup.

    Only apps no other server still serves are shut down. A hook that raises is logged with
    its traceback; the others still run and nothing is raised.
    """
    await _stop(reversed(_apps(app)))


async def _stop(apps: Iterator[Koa[Any]]) -> None:
    for current in apps:
        count = _serving.get(current, 0)
        if count == 0:
            continue  # never started (its own startup failed), or already stopped
        if count > 1:
            _serving[current] = count - 1
            continue
        del _serving[current]
        for hook in reversed(current.listeners("shutdown")):
            try:
                await _call(hook, current)
            except Exception as err:
                log.error("shutdown hook %s failed", _name(hook), exc_info=err)
