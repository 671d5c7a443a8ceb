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

from koa.core import Context, Koa, Middleware, Next, Request, compose

C = TypeVar("C", bound=Context[Any])

MountedMiddleware: TypeAlias = Callable[[C, Next], Awaitable[None]]
"""What ``mount`` returns: a middleware for ``app.use``."""

# A prefix is compared with the raw request path, so it must look like one.
_FORBIDDEN_IN_PREFIX = frozenset("?#") | frozenset(map(chr, range(0x21))) | {"\x7f"}
# What may follow a prefix in a request target when the path is exactly the prefix.
_PATH_ENDS = frozenset(("", "?", "#"))


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

    base = prefix.rstrip("/")
    if isinstance(app, Koa):
        runner = _app_runner(app) if not base else _mounted(base, prefix.endswith("/"), None, app)
        # koa-core runs the startup and shutdown hooks of the apps it finds here with the
        # hooks of the app that serves them.
        runner.mounted_app = app  # type: ignore[attr-defined]
        return runner
    downstream = _downstream(app)
    if not base:
        return downstream
    # A lone middleware is called directly inside the mount, without ``_awaiting``'s coroutine.
    single = None if isinstance(app, Sequence) else app
    return _mounted(base, prefix.endswith("/"), downstream, None, single)


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/"):
        raise ValueError(f'mount path must begin with "/", got {prefix!r}')
    bad = _FORBIDDEN_IN_PREFIX.intersection(prefix)
    if bad:
        raise ValueError(f"mount path {prefix!r} holds characters a request path cannot: {bad}")


def _downstream(app: Any) -> MountedMiddleware[Any]:
    """The middleware that runs inside the mount."""
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

    This is ``mount("/", app)``, which has no path to handle; ``_mounted`` does the same
    inline for a prefix.

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


class _Stay:
    """One request's stay in a mount: its target and mount path inside and outside.

    While nothing inside changes the target, crossing the mount's edge swaps two strings
    (``outer_url`` and ``inner_url``, the outer target with the prefix cut off). Otherwise,
    or for an absolute-form target (``inner_url`` is then ``None``), ``ctx.path`` is set, as
    koa-mount does, keeping the query of the moment.
    """

    __slots__ = (
        "ctx",
        "inner_mount",
        "inner_path",
        "inner_url",
        "next",
        "outer_mount",
        "outer_path",
        "outer_url",
        "passed",
        "request",
    )
    ctx: Any
    request: Request
    next: Next
    outer_url: str
    inner_url: str | None
    outer_path: str | None  # None: the path of outer_url (an origin-form target)
    inner_path: str | None
    outer_mount: str | None
    inner_mount: str
    passed: BaseException | None

    def inside(self) -> None:
        request = self.request
        inner_url = self.inner_url
        if inner_url is not None and request.url == self.outer_url:
            request.url = inner_url
        else:
            self.ctx.path = self.inner_path or _path_of(inner_url or "/")
        self.ctx.mount_path = self.inner_mount

    def outside(self) -> None:
        request = self.request
        if request.url == self.inner_url:
            request.url = self.outer_url
        else:
            self.ctx.path = self.outer_path or _path_of(self.outer_url)
        self.ctx.mount_path = self.outer_mount

    async def upstream(self) -> None:
        """The ``next`` handed inside: the parent's downstream, in the parent's view."""
        self.outside()
        try:
            await self.next()
        except BaseException as err:
            # Errors from the parent's downstream travel back through the mount; only those
            # the mounted app raised itself are its own.
            self.passed = err
            raise
        finally:
            self.inside()


def _path_of(target: str) -> str:
    """The path of an origin-form request target (what ``ctx.path`` reads from it)."""
    return target.partition("#")[0].partition("?")[0]


def _inner_path(outer: str, base: str, trailing_slash: bool) -> str | None:
    """The path inside a mount at ``base`` for ``outer``; ``None`` when it does not match."""
    size = len(base)
    if not outer.startswith(base):
        return None
    if len(outer) == size:
        return None if trailing_slash else "/"
    return outer[size:] if outer[size] == "/" else None


def _mounted(
    base: str,
    trailing_slash: bool,
    downstream: MountedMiddleware[Any] | None,
    app: Koa[Any] | None,
    single: Any = None,
) -> MountedMiddleware[Any]:
    """The prefix matcher around ``downstream``, or around ``app``'s current middleware.

    ``base`` has no trailing slash. For an app, its chain is composed again only when
    ``app.middleware`` changed since the last request, and errors it raises itself are
    reported to its listeners (see ``_app_runner``); both are done here rather than in a
    layer of their own, which would cost a coroutine and a closure per request.
    """
    size = len(base)
    snapshot: list[Any] = [] if app is None else list(app.middleware)
    composed: MountedMiddleware[Any] = compose(snapshot) if downstream is None else downstream
    # An app of one middleware runs it directly, as a mounted middleware runs: its ``next``
    # is the mount's own, so the parent's chain still refuses a second call. This saves the
    # app's compose coroutine, about half of what a mounted app costs per request.
    if app is not None and len(snapshot) == 1:
        single = snapshot[0]

    def mounted(ctx: Any, next: Next) -> Awaitable[None]:
        # A plain function: a request that does not match gets the downstream's own
        # awaitable, without a coroutine of the mount's around it.
        request: Request = ctx.request
        url = request.url
        inner_url: str | None
        outer_path = inner_path = None
        # The target is matched rather than ctx.path, which would parse it. The common miss
        # costs one comparison; then the character after the prefix says where the path goes.
        if url.startswith(base):
            after = url[size : size + 1]
            if after == "/":
                inner_url = url[size:]
            elif after in _PATH_ENDS and not trailing_slash:
                inner_url = "/" + url[size:]
            else:
                return next()
            # Cutting keeps an empty query (``/m/x?`` gives ``/x?``), as koa-mount's
            # ``ctx.path`` setter does in Koa.js.
        elif url[:1] == "/":
            return next()
        else:  # an absolute-form target (GET http://host/path): match its path
            outer_path = ctx.path
            inner_path = _inner_path(outer_path, base, trailing_slash)
            if inner_path is None:
                return next()
            inner_url = None
        return inside(ctx, next, request, url, inner_url, outer_path, inner_path)

    async def inside(
        ctx: Any,
        next: Next,
        request: Request,
        url: str,
        inner_url: str | None,
        outer_path: str | None,
        inner_path: str | None,
    ) -> None:
        nonlocal snapshot, composed, single
        if app is not None:
            middleware = app.middleware
            if middleware != snapshot:
                snapshot = list(middleware)
                composed = compose(snapshot)
                single = snapshot[0] if len(snapshot) == 1 else None
        run = composed
        only = single

        outer_mount = ctx.mount_path
        inner_mount = base if outer_mount is None else outer_mount + base
        stay = _Stay()
        stay.ctx = ctx
        stay.request = request
        stay.next = next
        stay.outer_url = url
        stay.inner_url = inner_url
        stay.outer_path = outer_path
        stay.inner_path = inner_path
        stay.outer_mount = outer_mount
        stay.inner_mount = inner_mount
        stay.passed = None
        if inner_url is None:
            ctx.path = inner_path
        else:
            request.url = inner_url
        ctx.mount_path = inner_mount
        try:
            if only is None:
                await run(ctx, stay.upstream)
            else:
                result = only(ctx, stay.upstream)
                if result is not None:
                    await result
        except Exception as err:
            if app is not None and err is not stay.passed:
                _report(app, err, ctx)
            raise
        finally:
            stay.passed = None  # no cycle through the traceback
            # stay.outside(), inlined for the common case.
            if inner_url is not None and request.url == inner_url:
                request.url = url
            else:
                stay.outside()
            ctx.mount_path = outer_mount

    mounted.__qualname__ = mounted.__name__ = f"mount({base!r})"
    return mounted
