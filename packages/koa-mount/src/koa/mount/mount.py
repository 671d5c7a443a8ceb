"""``mount(prefix, app)``: run an app, a middleware or a list of middleware under a path prefix.

An app is itself middleware, so apps compose from middleware and other apps::

    api = Koa()
    api.use(list_users)

    app = Koa()
    app.use(mount("/api", api))      # GET /api/users reaches ``api`` with ctx.path == "/users"
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar, overload

from koa.core import Context, Koa, Middleware, Next, compose

C = TypeVar("C", bound=Context[Any])

MountedMiddleware: TypeAlias = Callable[[C, Next], Awaitable[None]]
"""What ``mount`` returns: a middleware for ``app.use``."""

# A prefix is compared with the raw request path, so it must look like one.
_FORBIDDEN_IN_PREFIX = frozenset("?#") | frozenset(map(chr, range(0x21))) | {"\x7f"}


@overload
def mount(prefix: str, app: Koa[Any], /) -> MountedMiddleware[Any]: ...
@overload
def mount(prefix: str, app: Middleware[C] | Sequence[Middleware[C]], /) -> MountedMiddleware[C]: ...
@overload
def mount(app: Koa[Any], /) -> MountedMiddleware[Any]: ...
@overload
def mount(app: Middleware[C] | Sequence[Middleware[C]], /) -> MountedMiddleware[C]: ...
def mount(prefix: Any, app: Any = None, /) -> MountedMiddleware[Any]:
    """Run ``app`` for requests whose path is ``prefix`` or lies below it.

    ``app`` is a ``Koa`` app (its *current* middleware list runs, with the parent's ``ctx``),
    a middleware, or a list of middleware. ``mount(app)`` mounts at ``/``.

    Matching is case-sensitive and stops at segment boundaries: ``/api`` matches ``/api``,
    ``/api/`` and ``/api/x``, never ``/apix``; ``/api/`` does not match ``/api``. Inside,
    ``ctx.path`` is the rest of the path (always starting with ``/``) and ``ctx.mount_path`` the
    full prefix of all enclosing mounts without a trailing slash (``/a/b`` for
    ``mount("/a", mount("/b/", ...))``). Both are restored when the request leaves the
    mount, by ``next()`` or by an exception.

    Raises ``ValueError`` for a prefix that does not start with ``/`` (or holds ``?``, ``#``,
    whitespace or control characters) and for an empty list; ``TypeError`` for anything that is
    not a ``Koa`` app, a middleware or a list of middleware.
    """
    if app is None:
        if isinstance(prefix, str):
            raise TypeError(f"mount({prefix!r}) needs an app or middleware to mount")
        prefix, app = "/", prefix
    elif not isinstance(prefix, str):
        raise TypeError(f"mount path must be a string, not {type(prefix).__name__}")
    _check_prefix(prefix)

    downstream = _downstream(app)
    base = prefix.rstrip("/")
    if not base:
        return downstream
    return _mounted(base, prefix.endswith("/"), downstream)


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/"):
        raise ValueError(f'mount path must begin with "/", got {prefix!r}')
    bad = _FORBIDDEN_IN_PREFIX.intersection(prefix)
    if bad:
        raise ValueError(f"mount path {prefix!r} holds characters a request path cannot: {bad}")


def _downstream(app: Any) -> MountedMiddleware[Any]:
    """The middleware that runs inside the mount."""
    if isinstance(app, Koa):
        return _app_runner(app)
    if isinstance(app, (str, bytes)):
        raise TypeError(f"mount() takes a Koa app, a middleware or a list, not {app!r}")
    if isinstance(app, Sequence):
        if not app:
            raise ValueError("mount() got an empty list of middleware")
        return compose(app)
    if not callable(app):
        raise TypeError(
            f"mount() takes a Koa app, a middleware or a list, not {type(app).__name__}"
        )
    return _awaiting(app)


def _awaiting(fn: Callable[[Any, Next], Awaitable[None] | None]) -> MountedMiddleware[Any]:
    """``fn`` as a middleware that always returns an awaitable (plain functions allowed)."""

    async def run(ctx: Any, next: Next) -> None:
        result = fn(ctx, next)
        if result is not None:
            await result

    run.__qualname__ = run.__name__ = getattr(fn, "__name__", "middleware")
    return run


def _app_runner(app: Koa[Any]) -> MountedMiddleware[Any]:
    """Run ``app``'s middleware list as it is now, and tell ``app``'s listeners of errors.

    The chain is composed again only when ``app.middleware`` changed since the last request
    (one list comparison per request, identity-first), so ``app.use()`` after mounting works.
    """
    snapshot: list[Any] = list(app.middleware)
    composed = compose(snapshot)

    async def run_app(ctx: Any, next: Next) -> None:
        nonlocal snapshot, composed
        middleware = app.middleware
        if middleware != snapshot:
            snapshot = list(middleware)
            composed = compose(snapshot)
        # Errors from the parent's downstream travel back through the mounted app; only those
        # the mounted app raised itself are its own.
        passing: list[BaseException] = []

        async def upstream() -> None:
            try:
                await next()
            except BaseException as err:
                passing.append(err)
                raise

        try:
            await composed(ctx, upstream)
        except Exception as err:
            if not any(err is seen for seen in passing):
                _report(app, err, ctx)
            raise
        finally:
            passing.clear()

    run_app.__qualname__ = run_app.__name__ = "mounted_app"
    return run_app


def _report(app: Koa[Any], err: BaseException, ctx: Any) -> None:
    """Emit ``err`` on the mounted app's ``error`` listeners, once per error and app.

    Without listeners nothing happens: the parent app logs the error as it propagates, and
    logging it here too would print it twice.
    """
    if not app.listener_count("error"):
        return
    told: Any = getattr(err, "_koa_mount_reported", None)
    if told is None:
        told = []
        with contextlib.suppress(AttributeError):  # an exception class with __slots__
            err._koa_mount_reported = told  # type: ignore[attr-defined]
    elif any(other is app for other in told):
        return
    told.append(app)
    app.emit("error", err, ctx)


def _mounted(
    base: str, trailing_slash: bool, downstream: MountedMiddleware[Any]
) -> MountedMiddleware[Any]:
    """The prefix matcher around ``downstream`` (``base`` has no trailing slash)."""
    size = len(base)

    async def mounted(ctx: Any, next: Next) -> None:
        prev = ctx.path
        # One comparison for the common miss; then the segment boundary.
        if not prev.startswith(base):
            return await next()
        if len(prev) == size:
            if trailing_slash:
                return await next()
            path = "/"
        elif prev[size] == "/":
            path = prev[size:]
        else:
            return await next()

        prev_mount = ctx.mount_path
        mount_path = base if prev_mount is None else prev_mount + base

        async def upstream() -> None:
            ctx.path = prev
            ctx.mount_path = prev_mount
            try:
                await next()
            finally:
                ctx.path = path
                ctx.mount_path = mount_path

        ctx.path = path
        ctx.mount_path = mount_path
        try:
            await downstream(ctx, upstream)
        finally:
            ctx.path = prev
            ctx.mount_path = prev_mount

    mounted.__qualname__ = mounted.__name__ = f"mount({base!r})"
    return mounted
