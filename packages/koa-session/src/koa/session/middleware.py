"""``session(app, ...)``: the middleware, and ``ctx.session`` on the app's context class."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from koa.core import Context, HookMiddleware, Koa
from koa.core.cookies import SameSite

from .context import ContextSession
from .options import ONE_DAY, ExternalKey, MaxAge, SessionOptions, check_options

if TYPE_CHECKING:
    from .crypto import CookieCipher
    from .session import Session
    from .store import SessionStore

__all__ = ["SessionMiddleware", "session"]


def session(
    app: Koa[Any],
    *,
    key: str = "koa.sess",
    max_age: MaxAge = ONE_DAY,
    auto_commit: bool = True,
    overwrite: bool = True,
    http_only: bool = True,
    signed: bool = True,
    rolling: bool = False,
    renew: bool = False,
    secure: bool | None = None,
    same_site: SameSite = None,
    store: SessionStore | None = None,
    external_key: ExternalKey | None = None,
    prefix: str = "koa:sess:",
    gen_id: Callable[[Context[Any]], str] | None = None,
    encode: Callable[[dict[str, Any]], str] | None = None,
    decode: Callable[[str], dict[str, Any]] | None = None,
    valid: Callable[[Context[Any], dict[str, Any]], bool] | None = None,
    before_save: Callable[[Context[Any], Session], None] | None = None,
    encrypt: bool = False,
) -> SessionMiddleware:
    """koa-session's middleware: ``ctx.session`` for every request that goes through it.

    ::

        app = Koa(keys=["a long random secret"])
        app.use(session(app))

        @app.use
        async def count(ctx: Context, next: Next) -> None:
            ctx.session["views"] = ctx.session.get("views", 0) + 1
            ctx.body = f"{ctx.session['views']} views"

    ``max_age`` is in seconds (or ``"session"``). Without ``store`` the session lives in the
    cookie, signed with ``app.keys`` (``signed=True``) or encrypted with keys derived from
    them (``encrypt=True``); with a store the cookie holds only the session id, ``prefix``
    followed by a random UUID. Options are checked here: a bad one raises at once.
    """
    if not isinstance(app, Koa):
        raise TypeError("app instance required: session(app, ...)")
    options = SessionOptions(
        key=key, max_age=max_age, auto_commit=auto_commit, overwrite=overwrite,
        http_only=http_only, signed=signed, rolling=rolling, renew=renew, secure=secure,
        same_site=same_site, store=store, external_key=external_key, prefix=prefix,
        gen_id=gen_id, encode=encode, decode=decode, valid=valid, before_save=before_save,
        encrypt=encrypt,
    )  # fmt: skip
    check_options(options)
    middleware = SessionMiddleware(options, app.context)
    middleware._claim(app.context)
    return middleware


def _get_session(ctx: Context[Any]) -> Session | None:
    return _state(ctx).get()


def _set_session(ctx: Context[Any], value: object) -> None:
    _state(ctx).set(value)


def _get_options(ctx: Context[Any]) -> SessionOptions:
    return _state(ctx).own_options()


def _state(ctx: Context[Any]) -> ContextSession:
    found: ContextSession | None = ctx._session_state  # type: ignore[attr-defined]
    if found is not None:
        return found
    # This request's session middleware: the one running on it (mounted apps, a second
    # session()), else the one that owns the app's context class, as koa-session extends
    # app.context (so middleware ahead of it may use ctx.session too; it commits it).
    middleware: SessionMiddleware | None = ctx._session_marked or getattr(  # type: ignore[attr-defined]
        type(ctx), "_session_middleware", None
    )
    if middleware is None:
        raise RuntimeError(
            "ctx.session is used before the session middleware ran for this request:"
            " app.use(session(app)) ahead of the middleware that uses it"
        )
    state = ContextSession(ctx, middleware)
    ctx._session_state = state  # type: ignore[attr-defined]
    if middleware.options.auto_commit:
        ctx.before_flush_headers(state.commit)
    return state


def install(context_class: type[Any]) -> None:
    """Give ``context_class`` its ``session`` and ``session_options`` properties (once).

    Two attributes of a request's own are read on every request, with class-level defaults
    (``None``): ``_session_state`` (the session, once used) and ``_session_marked`` (the
    session middleware running on this request, when it does not own the context class).
    Plain attributes, not ``ctx.__dict__``: reading an instance's ``__dict__`` makes
    CPython build a dict for it, a good part of a microsecond per request.
    """
    if isinstance(getattr(context_class, "session", None), property):
        return
    context_class._session_state = None
    context_class._session_marked = None
    context_class.session = property(_get_session, _set_session, doc="The request's session.")
    context_class.session_options = property(_get_options, doc="The session's options.")


class SessionMiddleware(HookMiddleware[Context[Any]]):
    """What ``session()`` returns: a middleware for ``app.use``."""

    __slots__ = (
        "_app_context",
        "_cipher",
        "_context_class",
        "_fast",
        "_needs_keys",
        "_owns_context",
        "options",
    )

    def __init__(self, options: SessionOptions, app_context: type[Any]) -> None:
        self.options = options
        self._needs_keys = options.signed or options.encrypt
        self._app_context = app_context
        self._context_class: type[Any] | None = None
        self._owns_context = False
        self._cipher: tuple[object, CookieCipher] | None = None
        # The context class whose requests take the short path: owned by this middleware,
        # app.keys checked; ``None`` until the first request has found both.
        self._fast: type[Any] | None = None

    def _claim(self, context_class: type[Any]) -> None:
        """Own ``context_class`` when it is the app's own and no other session() does: then
        a request costs nothing to mark; otherwise each request is marked on ``ctx``."""
        install(context_class)
        owner = context_class.__dict__.get("_session_middleware")
        if owner is None and context_class is self._app_context:
            context_class._session_middleware = owner = self
        self._owns_context = owner is self
        self._context_class = context_class
        self._fast = None

    # A hook middleware (koa-core's ``HookMiddleware``): alone at the head of the app's
    # chain it costs a request two calls and no coroutine; beside other hook middleware,
    # one coroutine for them all.

    def before(self, ctx: Context[Any]) -> tuple[Any, Any] | None:
        """Nothing on the usual path; returns what a marked request restores afterwards."""
        if type(ctx) is self._fast and ctx._session_marked is None:  # type: ignore[attr-defined]
            return None
        return self._first(ctx)

    def after(
        self, ctx: Context[Any], state: tuple[Any, Any] | None, error: BaseException | None
    ) -> Awaitable[None] | None:
        """Commit the session, if this request used it, whether downstream raised or not
        (koa-session commits in ``finally``); ``ctx.session`` stays readable upstream."""
        target: Any = ctx
        session_state: ContextSession | None = target._session_state
        if state is not None:
            target._session_marked, target._session_state = state
        if session_state is not None and self.options.auto_commit:
            return session_state.commit()
        return None

    def _first(self, ctx: Context[Any]) -> tuple[Any, Any] | None:
        """The checks the short path skips: app.keys, and whose context class this is."""
        if self._needs_keys:  # until the first request that finds app.keys set
            if ctx.app.keys is None:
                raise RuntimeError(
                    "koa-session: signed=True (the default) needs app.keys: set"
                    ' app.keys = ["a long random secret"] before serving (or Koa(keys=[...])),'
                    " or pass signed=False to session()"
                )
            # Keys removed later still fail loudly: ctx.cookies refuses to sign without them.
            self._needs_keys = False
        if type(ctx) is not self._context_class:  # a mounted app's ctx is its parent's
            self._claim(type(ctx))
        if not self._owns_context or ctx._session_marked is not None:  # type: ignore[attr-defined]
            # This request marked as this middleware's (a mounted app's, or a second
            # session() on one request): inside it, its own session; outside, the one
            # before is back (``after`` restores it).
            target: Any = ctx
            outer = target._session_marked, target._session_state
            target._session_marked = self
            target._session_state = None
            return outer
        self._fast = self._context_class
        return None

    def cipher(self, ctx: Context[Any]) -> CookieCipher:
        """The AES-GCM cipher for the app's current keys (rebuilt when ``app.keys`` changes)."""
        keys = ctx.app.keys
        cached = self._cipher
        if cached is not None and cached[0] is keys:
            return cached[1]
        from .crypto import CookieCipher

        raw = getattr(keys, "keys", None)
        if not raw or not all(isinstance(key, bytes) for key in raw):
            raise RuntimeError(
                "encrypt=True derives its keys from app.keys, which must be a list of"
                " secrets (app.keys = ['a long random secret'])"
            )
        cipher = CookieCipher(raw)
        self._cipher = (keys, cipher)
        return cipher
