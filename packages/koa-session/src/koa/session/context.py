"""The session state of one request: reading it from the cookie or the store, and the commit.

koa-session's ``ContextSession``, with its rules: nothing is written for a session that was
never touched, or is new and empty, or did not change (unless ``rolling``, ``renew``,
``save()``, ``regenerate()`` or a new ``max_age`` asks for it); a session that cannot be
read (bad signature, bad data, expired, unknown to the store, refused by ``valid``) is
replaced by a new empty one, never an error.
"""

from __future__ import annotations

import time
from copy import copy
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .codec import decode as default_decode
from .codec import dumps, loads
from .codec import encode as default_encode
from .session import Session

if TYPE_CHECKING:
    from koa.core import Context

    from .middleware import SessionMiddleware
    from .options import MaxAge, SessionOptions

__all__ = ["ContextSession", "SessionCookieTooLarge"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: What browsers keep of one cookie (name, '=' and value; RFC 6265 section 6.1 asks for at
#: least this much, and Chrome and Firefox keep no more).
MAX_COOKIE_BYTES = 4096
#: Longer session ids from a client are not looked up (ours are 36 characters + prefix).
_MAX_ID = 256
#: A store entry outlives its cookie by this much (koa-session adds 10 000 ms).
STORE_GRACE = 10


class SessionCookieTooLarge(ValueError):
    """The session does not fit in a cookie: browsers would drop it without a word."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class ContextSession:
    """One request's session: created when ``ctx.session`` is first used."""

    __slots__ = (
        "ctx",
        "external_key",
        "key_from_request",
        "middleware",
        "options",
        "options_owned",
        "prev_json",
        "remove_committed",
        "removed",
        "require_save",
        "session",
    )

    def __init__(self, ctx: Context[Any], middleware: SessionMiddleware) -> None:
        self.ctx = ctx
        self.middleware = middleware
        # Shared with the middleware until this request changes something (own_options()).
        self.options: SessionOptions = middleware.options
        self.options_owned = False
        self.session: Session | None = None
        self.removed = False
        self.remove_committed = False
        self.external_key: str | None = None
        # True when the cookie already holds external_key (it came with the request).
        self.key_from_request = False
        self.prev_json: str | None = None
        self.require_save = False

    # -- ctx.session and ctx.session = ... -------------------------------------------------

    def get(self) -> Session | None:
        if self.removed:
            return None
        session = self.session
        if session is None:
            if self.options.store is not None:
                session = self.session = Session(self, None, loaded=False)
            else:
                session = self.session = self._from_cookie()
        return session

    def set(self, value: object) -> None:
        if value is None:
            self.removed, self.remove_committed = True, False
            return
        if not isinstance(value, dict):
            raise TypeError("ctx.session can only be set to None or a dict")
        self.removed = self.remove_committed = False
        data = dict(value)
        for key in data:
            if not isinstance(key, str) or key.startswith("_"):
                raise KeyError(f"session keys are str and do not start with '_': {key!r}")
        loaded_before = self.session is not None and self.session._loaded
        self.session = Session(self, data)
        self.session.is_new = False
        if self.options.store is not None and not loaded_before:
            # A client's id is never adopted unread: this data gets an id of its own.
            self.external_key = self._gen_id()
            self.key_from_request = False

    # -- reading ---------------------------------------------------------------------------

    def _cookie(self) -> str | None:
        options = self.options
        return self.ctx.cookies.get(options.key, signed=options.signed and not options.encrypt)

    def _from_cookie(self) -> Session:
        options = self.options
        value = self._cookie()
        if not value:
            return Session(self, None)
        try:
            if options.encrypt:
                data = self._decrypt(value)
            else:
                data = (options.decode or default_decode)(value)
        except ValueError:  # unreadable (tampered with, or not ours): a new session
            data = None
        if data is None or not self._valid(data, None):
            return Session(self, None)
        return self._adopt(data)

    def _decrypt(self, value: str) -> dict[str, Any] | None:
        cipher = self.middleware.cipher(self.ctx)
        opened = cipher.decrypt(self.options.key, value)
        if opened is None:
            return None
        plaintext, index = opened
        if index > 0:  # sealed with an older key: seal it again with the current one
            self.require_save = True
        decode = self.options.decode
        data = decode(plaintext.decode()) if decode else loads(plaintext)
        return data if isinstance(data, dict) else None

    def _valid(self, data: object, key: str | None) -> bool:
        ctx = self.ctx
        if not isinstance(data, dict):
            self._emit("missed", key, data)
            return False
        expire = data.get("_expire")
        if isinstance(expire, (int, float)) and expire < _now_ms():
            self._emit("expired", key, data)
            return False
        valid = self.options.valid
        if valid is not None and not valid(ctx, data):
            self._emit("invalid", key, data)
            return False
        return True

    def _emit(self, event: str, key: str | None, value: object) -> None:
        app = self.ctx.app
        if app.listener_count(f"session:{event}"):
            app.emit(f"session:{event}", {"key": key, "value": value, "ctx": self.ctx})

    def _adopt(self, data: dict[str, Any], session: Session | None = None) -> Session:
        """The session holding ``data`` as read (koa-session's private keys set aside)."""
        values: dict[str, Any] = {}
        expire: float | None = None
        for key, value in data.items():
            if key == "_maxAge":
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    self.set_max_age(value / 1000)
            elif key == "_session":
                self.set_max_age("session")
            elif key == "_expire":
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    expire = value
            elif not key.startswith("_"):
                values[key] = value
        if session is None:
            session = Session(self, values, expire=expire)
        else:
            session._data, session._expire, session._loaded = values, expire, True
            session.is_new = False
        session.is_new = False
        self.prev_json = dumps(values)
        return session

    def own_options(self) -> SessionOptions:
        """This request's own copy of the options (``ctx.session_options``), made once."""
        if not self.options_owned:
            self.options = copy(self.options)
            self.options_owned = True
        return self.options

    def set_max_age(self, value: MaxAge) -> None:
        if value != self.options.max_age:
            self.own_options().max_age = value

    async def load(self) -> None:
        """Read the session from the store (store mode; once)."""
        session = self.get()
        if session is None or session._loaded:
            return
        options = self.options
        store = options.store
        assert store is not None
        ctx = self.ctx
        sent = options.external_key
        key = sent.get(ctx) if sent is not None else self._cookie()
        data: dict[str, Any] | None = None
        if key and len(key) <= _MAX_ID:
            data = await store.get(key, options.max_age, rolling=options.rolling, ctx=ctx)
            if not self._valid(data, key):
                data = None
        if data is None:
            # Unknown, expired or missing: a new session under a new id. The id the client
            # sent is never adopted (session fixation).
            session._data, session._loaded, session.is_new = {}, True, True
            self.external_key = self._gen_id()
            self.key_from_request = False
            return
        assert key is not None
        self.external_key = key
        self.key_from_request = True
        self._adopt(data, session)

    def _gen_id(self) -> str:
        options = self.options
        if options.gen_id is not None:
            return options.gen_id(self.ctx)
        import uuid

        return f"{options.prefix}{uuid.uuid4()}"

    # -- the commit ------------------------------------------------------------------------

    async def commit(self, *, save: bool = False, regenerate: bool = False) -> None:
        """Write what changed: the cookie, the store entry, or their removal."""
        if self.removed:
            if not self.remove_committed:
                await self._remove()
            return
        session = self.session
        if session is None:
            return
        if not session._loaded:
            if not (save or regenerate):
                return  # never loaded, so nothing can have changed
            await self.load()
        options = self.options
        if regenerate:
            await self._remove()
            if options.store is not None:
                self.external_key = self._gen_id()
                self.key_from_request = False
        forced = save or regenerate or self.require_save
        reason = "force" if forced else self._should_save(session)
        if not reason:
            return
        if options.before_save is not None:
            options.before_save(self.ctx, session)
        await self._save(session, changed=reason == "changed", reason=reason)

    def _should_save(self, session: Session) -> str:
        current = dumps(session._data)
        if self.prev_json is None and not session._data:
            return ""  # new and empty
        if current != self.prev_json:
            return "changed"
        if self.options.rolling:
            return "rolling"
        if self.options.renew:
            expire, max_age = session._expire, self.options.max_age
            if expire and max_age != "session" and expire - _now_ms() < max_age * 500:
                return "renew"
        return ""

    async def _remove(self) -> None:
        options, ctx = self.options, self.ctx
        store = options.store
        key = self.external_key
        if key is None and store is not None and not (self.session and self.session._loaded):
            # ``ctx.session = None`` before the session was read: the id the client holds.
            sent = options.external_key.get(ctx) if options.external_key else self._cookie()
            key = sent if sent and len(sent) <= _MAX_ID else None
        if key is not None and store is not None:
            await store.destroy(key, ctx=ctx)
            if key == self.external_key:
                self.external_key = None
        if self.removed:
            self.session = None
            self.remove_committed = True
        self.prev_json = None
        if ctx.response.header_sent:
            if store is not None:
                return  # the id the client keeps now points at nothing
            self._check_headers("removed")
        self._set_cookie("")

    async def _save(self, session: Session, *, changed: bool, reason: str) -> None:
        options, ctx = self.options, self.ctx
        data = dict(session._data)
        max_age = options.max_age
        if max_age == "session":
            data["_session"] = True
        else:
            max_age_ms = round(max_age * 1000)
            data["_expire"] = _now_ms() + max_age_ms
            data["_maxAge"] = max_age_ms
        store = options.store
        if store is not None:
            key = self.external_key
            assert key is not None
            if ctx.response.header_sent and not self.key_from_request:
                self._check_headers("saved")  # a new id could not reach the client
            ttl: MaxAge = "session" if max_age == "session" else max_age + STORE_GRACE
            await store.set(key, data, ttl, rolling=options.rolling, changed=changed, ctx=ctx)
            self._mark_saved(session)
            if ctx.response.header_sent:
                return  # the data is saved; the cookie the client holds is still right
            if options.external_key is not None:
                options.external_key.set(ctx, key)
            else:
                self._set_cookie(key)
            self.key_from_request = True
            return
        if ctx.response.header_sent:
            if reason in ("rolling", "renew"):
                return  # committed before the headers went; only a refresh is missed
            self._check_headers("saved")
        if options.encrypt:
            encode = options.encode
            plaintext = (encode(data) if encode else dumps(data)).encode()
            value = self.middleware.cipher(ctx).encrypt(options.key, plaintext)
        else:
            value = (options.encode or default_encode)(data)
        size = len(options.key) + 1 + len(value.encode())
        if size > MAX_COOKIE_BYTES:
            raise SessionCookieTooLarge(
                f"the session cookie {options.key!r} would be {size} bytes and browsers drop"
                f" cookies over {MAX_COOKIE_BYTES} without a word: keep less in the session,"
                " or keep it on the server with a store (session(app, store=RedisStore(...)))"
            )
        self._set_cookie(value)
        self._mark_saved(session)

    def _mark_saved(self, session: Session) -> None:
        self.prev_json = dumps(session._data)
        self.require_save = False

    def _check_headers(self, what: str) -> None:
        if self.ctx.response.header_sent:
            raise RuntimeError(
                f"the session was {what} after the response headers were sent, so its cookie"
                " cannot follow: change the session before ctx.flush_headers() or before the"
                " body starts streaming"
            )

    def _set_cookie(self, value: str) -> None:
        options = self.options
        max_age = options.max_age
        self.ctx.cookies.set(
            options.key,
            value,
            max_age=None if max_age == "session" or not value else max_age,
            expires=None if value else _EPOCH,
            http_only=options.http_only,
            secure=options.secure,
            same_site=options.same_site,
            signed=options.signed and not options.encrypt,
            overwrite=options.overwrite,
        )
